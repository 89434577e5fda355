"""Benchmark the redemption verification engine end to end, from the scanner file's bytes.

    manage.py bench_intake --serials 1000000 --existing 10000000      (the issue's figures)
    manage.py bench_intake --serials 100000 --existing 1000000        (a quick run)

1. Builds a dedicated campaign (code BENCHINTAKE, a random key held only in this process) with sold books, a few
   unsold ones, and ``--existing`` prior redemptions, set-based (INSERT … SELECT generate_series), then VACUUM
   ANALYZE, as a long-running campaign's table would be.
2. The naive baseline: the first ``--sample`` lines of the file verified one by one through the ORM (parse,
   look the book up, look for an earlier redemption, save), rolled back; extrapolated to the whole file.
3. The floor: a plain COPY of the same file's lines into a one-column temporary table.
4. The engine: ``envelope_read`` on the whole file (decode + parse + check codes + COPY + classify + record),
   timed per phase, with the process's peak RSS and (in a separate, untimed pass, since tracing slows Python
   down several times) the traced Python peak of the parsing.
5. A clerk's unit of work: ``--envelopes`` files of ``--envelope-size`` codes, each into its own envelope.

Everything the run created is deleted afterwards; the campaign row stays (audit events, append-only, refer to
it) and is marked inactive. ``--keep-base`` keeps the books and prior redemptions for the next run.
"""

from __future__ import annotations

import os
import random
import resource
import statistics
import time
import tracemalloc
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from campaign.models import Campaign, Denomination
from settlement import intake
from settlement.models import Envelope, Merchant, ReadOutcome, Redemption, SerialRead
from vouchers.models import Book, BookState, Outlet, PrintLot, PrintOrder
from vouchers.serials import CodeMaker, TicketId, damm_digit, group_code, parse_code

CODE = "BENCHINTAKE"
TICKETS_PER_BOOK = 20
FACE_VALUE = 1000
UNSOLD_BOOKS = 2000  # half in the vault, half at the outlet
# The 1M file's mix (the rest are valid, not yet redeemed tickets).
SHARES = {"bad_check": 0.01, "unsold": 0.01, "already_redeemed": 0.02, "duplicate_in_batch": 0.01}
EXTRA_SHARE = 0.05  # lines with extra columns after the code
GROUPED_SHARE = 0.02  # lines printed with the hyphen grouping instead of bare digits


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Verify --serials codes from a scanner file against --existing prior redemptions; print the figures."

    def add_arguments(self, parser):
        parser.add_argument("--serials", type=int, default=1_000_000)
        parser.add_argument("--existing", type=int, default=10_000_000)
        parser.add_argument("--sample", type=int, default=10_000, help="lines for the ORM baseline")
        parser.add_argument("--envelopes", type=int, default=20, help="envelope files for the clerk's p95")
        parser.add_argument("--envelope-size", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=5)
        parser.add_argument("--keep-base", action="store_true",
                            help="keep the books and prior redemptions for the next run (faster re-runs)")

    def handle(self, *args, serials, existing, sample, envelopes, envelope_size, seed, keep_base, **options):
        if serials < 100 or existing < 0 or envelope_size < 10 or envelopes < 1:
            raise CommandError("--serials must be at least 100 and --envelope-size at least 10.")
        sample = min(sample, serials)
        self.rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
        self.out = self.stdout.write
        load = os.getloadavg()
        self.out(f"Intake benchmark: {serials:,} serials against {existing:,} prior redemptions; "
                 f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
                 f"database {connection.settings_dict['HOST']}:{connection.settings_dict['PORT']}")
        self.key = os.urandom(32)
        settings.VOUCHER_MAC_KEYS = {**getattr(settings, "VOUCHER_MAC_KEYS", {}), CODE: self.key}
        try:
            self._setup(serials=serials, existing=existing, extra_books=envelopes * envelope_size)
            self._run(serials=serials, sample=sample, envelopes=envelopes, envelope_size=envelope_size)
        finally:
            self._cleanup(base=not keep_base)

    # -- data ------------------------------------------------------------------------------------------------
    def _setup(self, *, serials: int, existing: int, extra_books: int) -> None:
        User = get_user_model()
        self.user, _ = User.objects.get_or_create(username="bench-intake", defaults={"is_staff": True})
        today = timezone.localdate()
        campaign = Campaign.objects.filter(code=CODE).first()
        if campaign is None:
            used = set(Campaign.objects.values_list("serial_prefix", flat=True))
            free = [p for p in range(99, 9, -1) if p not in used]
            if not free:
                raise CommandError("No free serial prefix for the benchmark campaign.")
            campaign = Campaign.objects.create(code=CODE, name="Intake benchmark", prefecture="31",
                                               serial_prefix=free[0], sales_start=today - timedelta(days=90),
                                               sales_end=today, usage_start=today - timedelta(days=90),
                                               usage_end=today, settlement_deadline=today + timedelta(days=30),
                                               is_active=False)
        self.campaign = campaign
        self.denomination, _ = Denomination.objects.get_or_create(
            campaign=campaign, code=1, defaults={"name": "1,000円券", "face_value": FACE_VALUE,
                                                 "tickets_per_book": TICKETS_PER_BOOK, "sale_price_per_book": 18000})
        self.outlet, _ = Outlet.objects.get_or_create(campaign=campaign, code="BENCH", defaults={
            "name": "ベンチ販売所", "kind": Outlet.Kind.SUPERMARKET, "address": "-", "route": Outlet.Route.EAST})
        self.merchant = Merchant.objects.filter(campaign=campaign).first() or Merchant.objects.create(
            campaign=campaign, status=Merchant.Status.APPROVED, merchant_number=f"9{campaign.serial_prefix:02d}99999",
            store_name="ベンチ食堂", store_name_kana="ベンチショクドウ", business_form="corporation",
            postal_code="6800011", address="-", phone="0857-00-0000", email="bench@example.jp", genre="cafe",
            area="east")
        self._cleanup(base=False)  # a previous run that died half-way

        t = TICKETS_PER_BOOK
        self.prior_books = -(-existing // t)
        self.first_new_book = self.prior_books + 1
        # Books the runs need after the prior ones: the file's valid tickets, then the envelope files'.
        valid = serials - sum(int(serials * share) for share in SHARES.values())
        needed = -(-valid // t) + 1 + -(-extra_books // t) + 1
        if Redemption.objects.filter(campaign=campaign).count() == existing and Book.objects.filter(
                campaign=campaign).exists():
            first_unsold = (Book.objects.filter(campaign=campaign).exclude(state=BookState.SOLD)
                            .order_by("number").values_list("number", flat=True).first()) or 0
            if first_unsold - self.first_new_book >= needed:
                self.first_unsold_book = first_unsold
                self.out(f"setup: reusing the books and {existing:,} prior redemptions (--keep-base)")
                self.prior_envelope = Envelope.objects.get(campaign=campaign, number=self._envelope_number(0))
                return
        self.first_unsold_book = self.first_new_book + -(-serials // t) + -(-extra_books // t) + 10
        total_books = self.first_unsold_book + UNSOLD_BOOKS - 1
        if total_books > 9_999_999:
            raise CommandError("That many serials do not fit in one campaign's book numbers.")
        self._cleanup(base=True)
        started = time.perf_counter()
        day = today - timedelta(days=60)
        order = PrintOrder.objects.create(campaign=campaign, printer="bench", ordered_on=day, requested_delivery=day,
                                          created_by=self.user)
        lot = PrintLot.objects.create(campaign=campaign, order=order, denomination=self.denomination, completed_on=day,
                                      first_book=1, last_book=total_books, created_by=self.user)
        self.prior_envelope = self._envelope(0)
        prior_read = SerialRead.objects.create(envelope=self.prior_envelope, source=SerialRead.Source.SCANNER,
                                               file_name="prior", lines=existing, read_by=self.user)
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO vouchers_book (campaign_id, denomination_id, lot_id, number, state, outlet_id,
                                           last_moved_on)
                SELECT %(campaign)s, %(denomination)s, %(lot)s, n,
                       CASE WHEN n < %(unsold)s THEN 'sold'
                            WHEN n < %(unsold)s + %(half)s THEN 'outlet' ELSE 'vault' END,
                       CASE WHEN n < %(unsold)s + %(half)s THEN %(outlet)s END, %(day)s
                FROM generate_series(1, %(total)s) n
                """,
                {"campaign": campaign.pk, "denomination": self.denomination.pk, "lot": lot.pk,
                 "unsold": self.first_unsold_book, "half": UNSOLD_BOOKS // 2, "outlet": self.outlet.pk,
                 "day": day, "total": total_books},
            )
            cursor.execute(
                """
                INSERT INTO settlement_redemption (campaign_id, denomination_id, book, ticket, face_value,
                                                   envelope_id, read_id, merchant_id, redeemed_at)
                SELECT %(campaign)s, %(denomination)s, b, t, %(face)s, %(envelope)s, %(read)s, %(merchant)s, %(at)s
                FROM generate_series(1, %(books)s) b CROSS JOIN generate_series(1, %(tickets)s) t
                WHERE (b - 1) * %(tickets)s + t <= %(existing)s
                ORDER BY b, t
                """,
                {"campaign": campaign.pk, "denomination": self.denomination.pk, "face": FACE_VALUE,
                 "envelope": self.prior_envelope.pk, "read": prior_read.pk, "merchant": self.merchant.pk,
                 "at": timezone.now() - timedelta(days=1), "books": self.prior_books, "tickets": t,
                 "existing": existing},
            )
            # A table that has lived through a campaign has been vacuumed and analysed; so is this one.
            cursor.execute("VACUUM ANALYZE vouchers_book")
            cursor.execute("VACUUM ANALYZE settlement_redemption")
        self.out(f"setup: {total_books:,} books and {existing:,} prior redemptions in "
                 f"{time.perf_counter() - started:.1f} s (not part of the figures)")

    def _envelope_number(self, i: int) -> str:
        serial = f"9{self.campaign.serial_prefix:02d}{i:08d}"
        return serial + damm_digit(serial)

    def _envelope(self, i: int) -> Envelope:
        return Envelope.objects.create(campaign=self.campaign, merchant=self.merchant, number=self._envelope_number(i),
                                       status=Envelope.Status.RECEIVED, declared_by=self.user,
                                       received_on=timezone.localdate(), seal_intact=True, opened_by=self.user)

    def _cleanup(self, *, base: bool) -> None:
        """Delete what runs created (and with ``base``, the books and prior redemptions too)."""
        campaign = getattr(self, "campaign", None) or Campaign.objects.filter(code=CODE).first()
        if campaign is None:
            return
        self.campaign = campaign
        keep = [] if base else [self._envelope_number(0)]
        envelopes = Envelope.objects.filter(campaign=campaign).exclude(number__in=keep)
        with transaction.atomic():
            ReadOutcome.objects.filter(envelope__in=envelopes).delete()
            with connection.cursor() as cursor:
                # A raw DELETE: the ORM would fetch the rows first to look for cascades.
                cursor.execute("DELETE FROM settlement_redemption WHERE envelope_id IN (SELECT id FROM "
                               "settlement_envelope WHERE campaign_id = %s AND NOT number = ANY(%s))",
                               [campaign.pk, keep])
                cursor.execute("DELETE FROM settlement_serialread WHERE envelope_id IN (SELECT id FROM "
                               "settlement_envelope WHERE campaign_id = %s AND NOT number = ANY(%s))",
                               [campaign.pk, keep])
            envelopes.delete()
            if base:
                with connection.cursor() as cursor:
                    cursor.execute("DELETE FROM vouchers_book WHERE campaign_id = %s", [campaign.pk])
                PrintLot.objects.filter(campaign=campaign).delete()
                PrintOrder.objects.filter(campaign=campaign).delete()
        self._vacuum()

    def _vacuum(self) -> None:
        """Deleted and rolled-back rows stay in the tables and their indexes as dead entries until a vacuum; the
        next reading would step over them (its codes are the same tickets) where a live campaign has none:
        redemptions are never deleted. Untimed, like the rest of the set-up."""
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) settlement_redemption")
            cursor.execute("VACUUM (ANALYZE) settlement_readoutcome")

    # -- the scanner file ------------------------------------------------------------------------------------
    def _code(self, maker: CodeMaker, book: int, ticket: int) -> str:
        return maker.make(TicketId(self.campaign.serial_prefix, 1, book, ticket))

    def _forged(self, maker: CodeMaker, book: int, ticket: int) -> str:
        real = self._code(maker, book, ticket)
        head = real[:12] + str((int(real[12]) + 1) % 10) + real[13:20]
        return head + damm_digit(head)

    def _new_tickets(self, first_book: int, count: int):
        for i in range(count):
            book, ticket = divmod(i, TICKETS_PER_BOOK)
            yield first_book + book, ticket + 1

    def _file(self, *, first_book: int, size: int, shares: dict[str, float], shuffle: bool) -> tuple[bytes, Counter]:
        """A scanner file of ``size`` lines (CRLF, UTF-8) and the classes its lines must come out as."""
        maker = CodeMaker(self.key)
        rng = self.rng
        special = {cls: int(size * share) for cls, share in shares.items()}
        valid = size - sum(special.values())
        lines = [self._code(maker, b, t) for b, t in self._new_tickets(first_book, valid)]
        expected = Counter(valid=valid)
        for _ in range(special.get("bad_check", 0)):
            lines.append(self._forged(maker, rng.randrange(first_book, first_book + valid // TICKETS_PER_BOOK + 1),
                                      rng.randint(1, TICKETS_PER_BOOK)))
        for _ in range(special.get("unsold", 0)):
            lines.append(self._code(maker, rng.randrange(self.first_unsold_book,
                                                         self.first_unsold_book + UNSOLD_BOOKS),
                                    rng.randint(1, TICKETS_PER_BOOK)))
        repeats = special.get("already_redeemed", 0) if self.prior_books else 0
        for _ in range(repeats):  # distinct prior tickets, so none doubles as a duplicate in the file
            n = rng.randrange(0, self.prior_books * TICKETS_PER_BOOK)
            lines.append(self._code(maker, n // TICKETS_PER_BOOK + 1, n % TICKETS_PER_BOOK + 1))
        duplicates = rng.sample(range(valid), special.get("duplicate_in_batch", 0))
        lines.extend(lines[i] for i in duplicates)
        for cls in special:
            expected[cls] = special[cls] if cls != "already_redeemed" else repeats
        # (Randomly drawn repeats, unsold and forged tickets may collide; the second sighting is then a
        # duplicate in the file, so only the valid count is exact.)
        if shuffle:
            rng.shuffle(lines)
        for i, code in enumerate(lines):
            roll = rng.random()
            if roll < EXTRA_SHARE:
                lines[i] = f"{code},2026-11-02 10:{i % 60:02d}:00,scanner-{i % 3}"
            elif roll < EXTRA_SHARE + GROUPED_SHARE:
                lines[i] = group_code(code)
        return ("\r\n".join(lines) + "\r\n").encode(), expected

    # -- the runs --------------------------------------------------------------------------------------------
    def _run(self, *, serials: int, sample: int, envelopes: int, envelope_size: int) -> None:
        content, expected = self._file(first_book=self.first_new_book, size=serials, shares=SHARES, shuffle=True)
        after_file = self.first_new_book + -(-expected["valid"] // TICKETS_PER_BOOK) + 1
        lines = content.splitlines()

        naive_seconds = self._naive(lines[:sample])
        floor_seconds = self._floor(content)
        self._vacuum()  # the naive loop's rolled-back rows

        envelope = self._envelope(1)
        rss_before = _max_rss_mb()
        machine_before, process_before = _machine_cpu(), os.times()
        started = time.perf_counter()
        report = intake.envelope_read(actor=self.user, envelope=envelope, source=SerialRead.Source.SCANNER,
                                      content=content, file_name="bench.txt")
        seconds = time.perf_counter() - started
        machine_after, process_after = _machine_cpu(), os.times()
        rss_after = _max_rss_mb()
        got = Counter(report.counts)
        if got["valid"] != expected["valid"] or sum(got.values()) != serials:
            raise CommandError(f"The engine's classes are not what the file holds: {dict(got)} vs {dict(expected)}")

        # The engine's Python part again (decode, split, judge, build the COPY chunks), traced, without the
        # database: the peak of what Python holds for a file this size.
        tracemalloc.start()
        self._read_alone(content)
        _current, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        # ...and untraced, timed: what this machine's Python needs for the file's reading alone, right now. The
        # engine's wall time over this is comparable between runs on a machine whose speed varies.
        python_only = self._read_alone(content)

        rate = serials / seconds
        self.out("")
        self.out(f"engine, {serials:,} serials from a {len(content) / 1e6:.1f} MB file: {seconds:.2f} s, "
                 f"{rate:,.0f} serials/s (target ≥ 150,000)")
        for phase, phase_seconds in getattr(report, "timings", {}).items():
            self.out(f"  phase {phase:<24}{phase_seconds:>8.2f} s")
        self.out("  classes " + ", ".join(f"{cls} {n:,}" for cls, n in sorted(got.items())))
        self.out(f"Python reading alone (the same lines, no database, after the run): {python_only:.2f} s; "
                 f"engine / Python reading alone = {seconds / python_only:.2f}")
        process_cpu = (process_after.user + process_after.system) - (process_before.user + process_before.system)
        if machine_before and machine_after:
            busy = machine_after[0] - machine_before[0]
            idle = machine_after[1] - machine_before[1]
            self.out(f"CPU during the run: {busy:.2f} s busy ({process_cpu:.2f} s this process, {busy - process_cpu:.2f} s "
                     f"the rest: database server, WAL writer, kernel), {idle:.2f} s idle, of "
                     f"{os.cpu_count()} × {seconds:.2f} s")
        self.out(f"peak memory: max RSS {rss_after:,.0f} MB (before the run {rss_before:,.0f} MB), Python traced "
                 f"peak of parsing {traced_peak / 2**20:,.0f} MB (target < 1,024 MB)")
        self.out(f"floor: plain COPY of the same lines {floor_seconds:.2f} s ({serials / floor_seconds:,.0f} "
                 f"lines/s); engine / floor = {seconds / floor_seconds:.1f}×")
        naive_rate = sample / naive_seconds
        self.out(f"naive: per-row ORM loop on {sample:,} lines {naive_seconds:.2f} s ({naive_rate:,.0f} serials/s), "
                 f"{serials:,} would take about {serials / naive_rate:,.0f} s; engine / naive = "
                 f"{rate / naive_rate:.0f}× faster")

        # A clerk's unit of work: one envelope's file, against the same prior redemptions.
        first_book = after_file
        per_file = -(-envelope_size // TICKETS_PER_BOOK)
        shares = {"bad_check": 0.0025, "already_redeemed": 0.0025}
        times = []
        for i in range(envelopes):
            file_content, _expected = self._file(first_book=first_book + i * per_file, size=envelope_size,
                                                 shares=shares, shuffle=False)
            envelope = self._envelope(2 + i)
            started = time.perf_counter()
            intake.envelope_read(actor=self.user, envelope=envelope, source=SerialRead.Source.SCANNER,
                                 content=file_content, file_name=f"envelope-{i}.txt")
            times.append(time.perf_counter() - started)
        p95 = statistics.quantiles(times, n=20, method="inclusive")[-1] if len(times) > 1 else times[0]
        self.out(f"envelope files: {envelopes} × {envelope_size:,} codes, median {statistics.median(times):.3f} s, "
                 f"p95 {p95:.3f} s, max {max(times):.3f} s (target p95 < 1 s)")
        self.out(f"load average after the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    def _naive(self, lines: list[bytes]) -> float:
        """One code at a time through the ORM, as a first version would: rolled back afterwards."""
        keys = {self.campaign.serial_prefix: self.key}.get
        started = time.perf_counter()
        try:
            with transaction.atomic():
                envelope = self._envelope(9_999_999)
                read = SerialRead.objects.create(envelope=envelope, source=SerialRead.Source.SCANNER, read_by=self.user)
                seen = set()
                for line_no, raw in enumerate(lines, start=1):
                    text = raw.decode().split(",")[0]
                    parsed = parse_code(text, keys)
                    cls, book, first = "valid", None, None
                    if not parsed.is_valid:
                        cls = "bad_check"
                    else:
                        ticket = parsed.ticket
                        book = Book.objects.filter(campaign=self.campaign, number=ticket.book).first()
                        first = Redemption.objects.filter(campaign=self.campaign, book=ticket.book,
                                                          ticket=ticket.ticket).first()
                        if book is None:
                            cls = "never_issued"
                        elif book.state != BookState.SOLD:
                            cls = "unsold"
                        elif (ticket.book, ticket.ticket) in seen:
                            cls = "duplicate_in_batch"
                        elif first is not None:
                            cls = "already_redeemed"
                    if cls == "valid":
                        seen.add((ticket.book, ticket.ticket))
                        Redemption.objects.create(campaign=self.campaign, denomination=self.denomination,
                                                  book=ticket.book, ticket=ticket.ticket, face_value=FACE_VALUE,
                                                  envelope=envelope, read=read, merchant=self.merchant)
                    else:
                        ReadOutcome.objects.create(read=read, envelope=envelope, line_no=line_no,
                                                   code=parsed.digits[:21], verification=cls,
                                                   book=book.number if book else None,
                                                   ticket=parsed.ticket.ticket if parsed.ticket else None,
                                                   first_redemption=first)
                raise _Rollback
        except _Rollback:
            pass
        return time.perf_counter() - started

    def _read_alone(self, content: bytes) -> float:
        """The engine's Python part on the file (decode, split, judge, build the COPY rows), without a database:
        the seconds its reading loop took."""
        scan = intake._Scan(campaign=self.campaign, keys={self.campaign.serial_prefix: self.key})
        for _chunk in scan.rows(intake.decode_scanner_file(content).splitlines()):
            pass
        return scan.python_seconds

    def _floor(self, content: bytes) -> float:
        """A plain COPY of the file's lines into a one-column table: the least any engine must spend."""
        started = time.perf_counter()
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("CREATE TEMPORARY TABLE bench_floor (line text) ON COMMIT DROP")
                with cursor.cursor.copy("COPY bench_floor (line) FROM STDIN") as copy:
                    view = memoryview(content)
                    for offset in range(0, len(content), 1 << 20):
                        copy.write(view[offset:offset + (1 << 20)])
                raise _Rollback
        except _Rollback:
            pass
        return time.perf_counter() - started


def _machine_cpu() -> tuple[float, float] | None:
    """(busy, idle) CPU seconds of the whole machine so far, from /proc/stat (None where there is none)."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / tick, idle / tick  # user nice system idle iowait irq softirq steal


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
