"""`make run`: database up, migrations, demo data, then the development server (and, with REDIS_URL, a Celery
worker with beat). Ctrl-C stops everything this command started; running it again reuses the data."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from campaign import devdb

HOST = os.environ.get("RUN_HOST", "127.0.0.1")
PORT = os.environ.get("RUN_PORT", "8000")


def main() -> int:
    python = sys.executable
    env = dict(os.environ)
    started_db = False
    children: list[subprocess.Popen] = []
    try:
        if not env.get("DATABASE_URL"):
            print("Starting the embedded PostgreSQL server (first run: initialising, please wait) ...")
            started_db = devdb.start()
            env["DATABASE_URL"] = devdb.url()
        subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], env=env, check=True)
        subprocess.run([python, "manage.py", "seed_demo"], env=env, check=True)
        if env.get("REDIS_URL"):
            print("REDIS_URL is set: starting a Celery worker with beat.")
            children.append(subprocess.Popen(
                [python, "-m", "celery", "-A", "campaign", "worker", "-B", "-l", "warning", "--concurrency", "2"],
                env=env,
            ))
        else:
            print("REDIS_URL is not set: background jobs run inline in the web process.")
        base = f"http://{HOST}:{PORT}"
        print("")
        print(f"  Public site     {base}/")
        print(f"  Staff area      {base}/staff/   (log in as above; then the TOTP code)")
        print(f"  Admin           {base}/admin/")
        print(f"  Health          {base}/healthz")
        print(f"  API schema      {base}/api/docs/")
        print("")
        print("Press Ctrl-C to stop.")
        server = subprocess.Popen([python, "manage.py", "runserver", f"{HOST}:{PORT}"], env=env)
        children.append(server)
        return server.wait()
    except KeyboardInterrupt:
        return 0
    except subprocess.CalledProcessError as exc:
        print(f"error: {' '.join(exc.cmd)} failed with exit code {exc.returncode}", file=sys.stderr)
        return exc.returncode
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 10
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        if started_db:
            print("Stopping the embedded PostgreSQL server.")
            devdb.stop()


if __name__ == "__main__":
    sys.exit(main())
