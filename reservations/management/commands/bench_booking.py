"""Booking rush: the app under gunicorn on loopback, a window of seats, and concurrent clients on the API.

    manage.py bench_booking [--seats 1000] [--clients 200] [--workers 3] [--rate 200] [--steady-seconds 5]

Runs, in one process against the same database:
  1. the bare endpoint (only the conditional UPDATE and the INSERT, no validation) — the floor;
  2. our API (/api/v1/reservations/book/: rate limit, field validation, idempotency key, access key);
  3. our API at a steady offered rate (open loop: requests leave on schedule whatever the answers).
Each run gets fresh slots of 10 seats; clients pick random slots that are not known to be full until every
seat is gone. Afterwards it checks every slot: booked ≤ capacity, booked = rows, every success response has
its row and every row had a success response (lost = 0). Prints bookings/s, p50/p99 and our share of the floor.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from campaign.env import database_url
from campaign.models import Campaign
from reservations.models import Counter, Reservation, ReservationSettings, Slot

BENCH_CODE = "BENCHRESV"
SEATS_PER_SLOT = 10


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_async(make_coroutine) -> None:
    """``asyncio.run`` in a thread of its own: the caller's thread may already run an event loop (a test
    process where Playwright's sync API lives), and asyncio.run refuses to start inside one."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(make_coroutine())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=run, name="bench-load")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def _post(port: int, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
            f"Content-Length: {len(body)}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    await writer.drain()
    data = await reader.read()
    writer.close()
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return status, data.split(b"\r\n\r\n", 1)[-1]


class Rush:
    """One run's bookkeeping: the slots still believed open, the latencies and every success response."""

    def __init__(self, slot_ids: list[int]):
        self.open = list(slot_ids)
        self.latencies: list[float] = []
        self.successes: list[tuple[int, int]] = []  # (slot id, reservation number)
        self.other: dict[int, int] = {}
        self.requests = 0

    def pick(self) -> int | None:
        return random.choice(self.open) if self.open else None  # noqa: S311 - load spread, not security

    def full(self, slot_id: int) -> None:
        if slot_id in self.open:
            self.open.remove(slot_id)


class Command(BaseCommand):
    help = "Booking rush against gunicorn on loopback: bookings/s, p50/p99, overbooking and lost checks."

    def add_arguments(self, parser):
        parser.add_argument("--seats", type=int, default=1000)
        parser.add_argument("--clients", type=int, default=200)
        parser.add_argument("--workers", type=int, default=3)
        parser.add_argument("--rate", type=int, default=200, help="steady offered rate (bookings/s)")
        parser.add_argument("--steady-seconds", type=int, default=5)

    def handle(self, *args, **opts):
        self.opts = opts
        seats = opts["seats"]
        campaign = self._setup()
        port = _free_port()
        server = self._start_gunicorn(port, opts["workers"])
        results = {}
        try:
            self._wait_ready(port)
            self._warm_up(campaign, port)
            bare_slots = self._slots(campaign, seats, "bare")
            results["bare"] = self._closed_loop(port, "/api/v1/reservations/_bench/bare/", bare_slots, api=False)
            api_slots = self._slots(campaign, seats, "api")
            results["api"] = self._closed_loop(port, "/api/v1/reservations/book/", api_slots, api=True)
            steady_seats = opts["rate"] * opts["steady_seconds"]
            steady_slots = self._slots(campaign, steady_seats, "steady")
            results["steady"] = self._open_loop(port, steady_slots, opts["rate"], steady_seats)
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
        checks = {name: self._check(rush, name) for name, rush in results.items()}
        self._report(results, checks)
        self._teardown(campaign)
        if any(c["overbooked"] or c["lost"] or c["phantom"] for c in checks.values()):
            raise CommandError("Integrity check failed: see above.")

    # --- set-up ------------------------------------------------------------------------------------------

    def _setup(self) -> Campaign:
        existing = Campaign.objects.filter(code=BENCH_CODE).first()
        if existing:
            self._teardown(existing)
        used = set(Campaign.objects.values_list("serial_prefix", flat=True))
        prefix = next(p for p in range(99, 9, -1) if p not in used)
        today = timezone.localdate()
        campaign = Campaign.objects.create(
            code=BENCH_CODE, name="booking benchmark", prefecture="31", serial_prefix=prefix, is_active=False,
            sales_start=today, sales_end=today + timedelta(days=30), usage_start=today,
            usage_end=today + timedelta(days=30), settlement_deadline=today + timedelta(days=60))
        ReservationSettings.objects.create(
            campaign=campaign, accept_from=timezone.now() - timedelta(hours=1),
            accept_until=timezone.now() + timedelta(days=1), window_start=today + timedelta(days=1),
            window_end=today + timedelta(days=30),
            basic_fields={"name": {"use": "required"}, "kana": {"use": "optional"}, "phone": {"use": "required"},
                          "email": {"use": "unused"}})
        Counter.objects.create(campaign=campaign, name="bench counter")
        return campaign

    def _slots(self, campaign: Campaign, seats: int, label: str) -> list[int]:
        counter = Counter.objects.get(campaign=campaign)
        tz = timezone.get_current_timezone()
        base = {"bare": 1, "api": 8, "steady": 15}[label]
        count = (seats + SEATS_PER_SLOT - 1) // SEATS_PER_SLOT
        rows = []
        for i in range(count):
            day = timezone.localdate() + timedelta(days=base + i // 96)
            start = datetime.combine(day, datetime.min.time(), tz) + timedelta(minutes=15 * (i % 96))
            rows.append(Slot(campaign=campaign, counter=counter, day=day, starts_at=start,
                             ends_at=start + timedelta(minutes=15), capacity=SEATS_PER_SLOT,
                             staff_capacity=SEATS_PER_SLOT))
        Slot.objects.bulk_create(rows)
        return [s.pk for s in rows]

    def _teardown(self, campaign: Campaign) -> None:
        with transaction.atomic():
            Reservation.objects.filter(campaign=campaign).delete()
            Slot.objects.filter(campaign=campaign).delete()
            Counter.objects.filter(campaign=campaign).delete()
            ReservationSettings.objects.filter(campaign=campaign).delete()
            campaign.delete()
        self._vacuum()

    def _vacuum(self) -> None:
        """Each run deletes its thousands of reservations and slots; left as dead entries in the tables and their
        indexes, they slowed the next run's bookings by a third (measured: 340–410 bookings/s after a few dozen
        runs, 500–520 after a VACUUM FULL). A live campaign does not delete its reservations; a vacuum after
        every run keeps the runs comparable. Untimed."""
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) reservations_reservation")
            cursor.execute("VACUUM (ANALYZE) reservations_slot")

    def _start_gunicorn(self, port: int, workers: int) -> subprocess.Popen:
        env = dict(os.environ)
        env.update({
            "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(64), "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0", "VOUCHER_MAC_KEYS": "BENCH:" + "00" * 32, "DB_CONN_MAX_AGE": "600",
            "JIMUKYOKU_BENCH_BARE": "1", "RESERVATION_BOOK_RATE": "1000000000",
            "DATABASE_URL": database_url(connection.settings_dict), "LOG_LEVEL": "WARNING",
        })
        gunicorn = Path(sys.executable).with_name("gunicorn")
        cmd = [str(gunicorn), "campaign.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers",
               str(workers), "--backlog", "2048", "--log-level", "warning", "--timeout", "60"]
        self.stdout.write(f"gunicorn: {workers} sync workers on 127.0.0.1:{port}")
        # 409 answers are logged by django.request as warnings; keep them off the report.
        return subprocess.Popen(cmd, cwd=settings.BASE_DIR, env=env, stderr=subprocess.DEVNULL)

    def _wait_ready(self, port: int) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        raise CommandError("gunicorn did not start")

    def _warm_up(self, campaign: Campaign, port: int) -> None:
        """Let every worker import the app and open its database connection before the clock starts."""
        slots = self._slots(campaign, 200, "steady")
        body = json.dumps({"slot": -1}).encode()

        async def go():
            await asyncio.gather(*[_post(port, "/api/v1/reservations/_bench/bare/", body, {}) for _ in range(40)])
            await asyncio.gather(*[_post(port, "/api/v1/reservations/book/",
                                         json.dumps({"slot": slots[0], "fields": {}}).encode(), {})
                                   for _ in range(40)])

        _run_async(go)
        Slot.objects.filter(pk__in=slots).delete()

    # --- load --------------------------------------------------------------------------------------------

    def _request(self, rush: Rush, api: bool):
        slot = rush.pick()
        if slot is None:
            return None, None, {}
        if api:
            body = {"slot": slot, "fields": {"name": "鳥取 太郎", "kana": "トットリ タロウ",
                                             "phone": f"0857-{random.randint(10, 99)}-{random.randint(1000, 9999)}"}}  # noqa: S311
            headers = {"Idempotency-Key": uuid.uuid4().hex}
        else:
            body, headers = {"slot": slot}, {}
        return slot, json.dumps(body, ensure_ascii=False).encode(), headers

    async def _one(self, port: int, path: str, rush: Rush, slot: int, body: bytes, headers: dict) -> None:
        started = time.perf_counter()
        rush.requests += 1
        try:
            status, payload = await _post(port, path, body, headers)
        except OSError:
            status, payload = 0, b""
        elapsed = time.perf_counter() - started
        if status == 201:
            rush.latencies.append(elapsed)
            rush.successes.append((slot, int(json.loads(payload)["number"])))
        else:
            rush.other[status] = rush.other.get(status, 0) + 1
            if status == 409:
                rush.full(slot)

    def _closed_loop(self, port: int, path: str, slot_ids: list[int], *, api: bool) -> Rush:
        rush = Rush(slot_ids)

        async def client():
            while True:
                slot, body, headers = self._request(rush, api)
                if slot is None:
                    return
                await self._one(port, path, rush, slot, body, headers)

        async def go():
            await asyncio.gather(*[client() for _ in range(self.opts["clients"])])

        started, cpu = time.perf_counter(), time.process_time()
        _run_async(go)
        rush.elapsed = time.perf_counter() - started
        rush.client_cpu = time.process_time() - cpu
        rush.slot_ids = slot_ids
        return rush

    def _open_loop(self, port: int, slot_ids: list[int], rate: int, total: int) -> Rush:
        rush = Rush(slot_ids)
        path = "/api/v1/reservations/book/"

        async def go():
            loop = asyncio.get_running_loop()
            start = loop.time()
            tasks = []
            for i in range(total):
                delay = start + i / rate - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                slot, body, headers = self._request(rush, True)
                if slot is None:
                    break
                tasks.append(asyncio.create_task(self._one(port, path, rush, slot, body, headers)))
            await asyncio.gather(*tasks)

        started, cpu = time.perf_counter(), time.process_time()
        _run_async(go)
        rush.elapsed = time.perf_counter() - started
        rush.client_cpu = time.process_time() - cpu
        rush.slot_ids = slot_ids
        return rush

    # --- checks and report -------------------------------------------------------------------------------

    def _check(self, rush: Rush, name: str) -> dict:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM reservations_slot WHERE id = ANY(%s) AND booked > capacity",
                           [rush.slot_ids])
            overbooked = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM reservations_slot s WHERE id = ANY(%s) AND booked <> "
                           "(SELECT count(*) FROM reservations_reservation r WHERE r.slot_id = s.id)",
                           [rush.slot_ids])
            counter_mismatch = cursor.fetchone()[0]
            cursor.execute("SELECT id, slot_id FROM reservations_reservation WHERE slot_id = ANY(%s)",
                           [rush.slot_ids])
            rows = {row[0]: row[1] for row in cursor.fetchall()}
            cursor.execute("SELECT coalesce(sum(capacity), 0), coalesce(sum(booked), 0) FROM reservations_slot "
                           "WHERE id = ANY(%s)", [rush.slot_ids])
            capacity, booked = cursor.fetchone()
        answered = {number: slot for slot, number in rush.successes}
        lost = sum(1 for number, slot in answered.items() if rows.get(number) != slot)  # success without its row
        phantom = sum(1 for number in rows if number not in answered)  # row nobody was told about
        return {"overbooked": overbooked + counter_mismatch, "lost": lost, "phantom": phantom,
                "capacity": capacity, "booked": booked, "rows": len(rows)}

    def _report(self, results: dict, checks: dict) -> None:
        out = self.stdout.write
        out("")
        out(f"{'run':<28}{'bookings':>9}{'seconds':>9}{'book/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'load CPU':>9}"
            "  other answers")
        labels = {"bare": "bare endpoint (floor)", "api": f"API, {self.opts['clients']} clients",
                  "steady": f"API, steady {self.opts['rate']}/s offered"}
        for name, rush in results.items():
            rate = len(rush.successes) / rush.elapsed if rush.elapsed else 0
            rush.rate = rate
            out(f"{labels[name]:<28}{len(rush.successes):>9}{rush.elapsed:>9.2f}{rate:>9.0f}"
                f"{_pct(rush.latencies, 50) * 1000:>9.1f}{_pct(rush.latencies, 99) * 1000:>9.1f}"
                f"{rush.client_cpu / rush.elapsed:>9.0%}  {rush.other}")
        out("")
        for name, c in checks.items():
            out(f"check {labels[name]:<28} seats {c['capacity']}, booked {c['booked']}, rows {c['rows']}: "
                f"overbooked {c['overbooked']}, lost {c['lost']}, unanswered rows {c['phantom']}")
        share = results["api"].rate / results["bare"].rate if results["bare"].rate else 0
        out("")
        out(f"API throughput as a share of the bare endpoint: {share:.0%}")
        out(f"targets: >= 400 bookings/s with {self.opts['clients']} clients, >= 50% of the floor, p99 <= 1 s; "
            f"steady {self.opts['rate']}/s p99 <= 300 ms; overbooked 0, lost 0")
        out(f"(measured {date.today().isoformat()}, {os.cpu_count()} CPUs shared by server, database and load; "
            "'load CPU' is the load generator's own share of one CPU during the run)")
