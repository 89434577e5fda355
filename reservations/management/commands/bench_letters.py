"""Notice letters at volume: `manage.py bench_letters --applicants 20000`.

Creates the applicants in a transaction that is rolled back at the end, then writes the letters PDF exactly as
the print job does (rows read in chunks, each page compressed when finished, output to a file) and prints
letters per second and peak memory: Python allocations (tracemalloc) during the run and the process's
maximum resident size (ru_maxrss). The baseline, measured in the same run on the same rows, is a bare
reportlab canvas that writes one page per applicant with only the name on it: the floor any letter costs.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
import tracemalloc

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from campaign.models import Campaign
from campaign.pdf import new_canvas
from reservations import letters
from reservations.jobs_applicants import _chunks, letter_setup
from reservations.linkcodes import new_code
from reservations.models import Applicant, Counter


class _Rollback(Exception):
    pass


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Command(BaseCommand):
    help = "Benchmark the notice-letter PDF: letters/second and peak memory, against a bare-canvas baseline."

    def add_arguments(self, parser):
        parser.add_argument("--applicants", type=int, default=20000)

    def handle(self, *args, applicants: int, **options):
        try:
            with transaction.atomic():
                self._run(applicants)
                raise _Rollback
        except _Rollback:
            pass

    def _rows(self, campaign, fields):
        return _chunks(Applicant.objects.filter(campaign=campaign), ["pk", *fields])

    def _measure(self, label: str, render) -> tuple[float, float, int]:
        fd, path = tempfile.mkstemp(suffix=".pdf")
        os.close(fd)
        try:
            tracemalloc.start()
            started = time.perf_counter()
            with open(path, "wb") as out:
                count = render(out)
            seconds = time.perf_counter() - started
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            size = os.path.getsize(path)
        finally:
            os.unlink(path)
        rate = count / seconds if seconds else 0.0
        self.stdout.write(f"{label:<10} {count:>7} letters in {seconds:7.2f} s = {rate:8.1f} letters/s, "
                          f"peak Python memory {peak / 2**20:7.1f} MB, file {size / 2**20:7.1f} MB, "
                          f"process max RSS so far {_maxrss_mb():7.1f} MB")
        return rate, peak, count

    def _run(self, n: int) -> None:
        today = timezone.localdate()
        campaign = Campaign.objects.create(
            code="BENCHLTR", name="bench letters", prefecture="31", serial_prefix=99, sales_start=today,
            sales_end=today, usage_start=today, usage_end=today, settlement_deadline=today)
        Counter.objects.create(campaign=campaign, name="本庁舎窓口", address="鳥取県鳥取市東町1-220")
        Counter.objects.create(campaign=campaign, name="駅前出張所", address="鳥取県鳥取市富安2-138")
        started = time.perf_counter()
        batch = []
        for i in range(n):
            batch.append(Applicant(campaign=campaign, link_code=new_code(), name=f"鳥取 花子{i}",
                                   kana="トットリ ハナコ", postal_code=f"680{i % 10000:04d}",
                                   address=f"鳥取県鳥取市東町{i % 50 + 1}-{i % 300 + 1} コーポ鳥取{i % 20 + 1}号室",
                                   retention_until=today))
            if len(batch) == 5000:
                Applicant.objects.bulk_create(batch)
                batch = []
        Applicant.objects.bulk_create(batch)
        self.stdout.write(f"{n} applicants created in {time.perf_counter() - started:.1f} s "
                          f"(rolled back at the end); max RSS {_maxrss_mb():.1f} MB")
        setup = letter_setup(campaign)

        def baseline(out) -> int:
            canvas = new_canvas(out, title="baseline")
            count = 0
            for row in self._rows(campaign, ["name"]):
                canvas.drawString(72, 720, row["name"])
                canvas.showPage()
                count += 1
            canvas.save()
            return count

        def ours(out) -> int:
            items = (letters.LetterData(postal_code=r["postal_code"], address=r["address"], name=r["name"],
                                        link_code=r["link_code"])
                     for r in self._rows(campaign, ["postal_code", "address", "name", "link_code"]))
            return letters.write_letters(out, items, setup)

        base_rate, base_peak, _n = self._measure("baseline", baseline)
        rate, peak, count = self._measure("letters", ours)
        self.stdout.write(f"letters/s {rate:.1f} = {rate / base_rate:.2f} × the bare-canvas baseline "
                          f"({base_rate:.1f}/s); peak Python memory {peak / 2**20:.1f} MB "
                          f"= {peak / max(base_peak, 1):.2f} × baseline ({base_peak / 2**20:.1f} MB), "
                          f"{peak / max(count, 1) / 1024:.2f} KB per letter; process max RSS {_maxrss_mb():.1f} MB")
