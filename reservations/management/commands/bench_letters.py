"""Notice letters at volume: `manage.py bench_letters --applicants 20000`.

Creates the applicants in a transaction that is rolled back at the end, then writes the letters PDF exactly as
the print job does (rows read in chunks, letters drawn in parts appended to a file) for the first tenth of the
applicants (N/10) and for all of them (N), each twice:

- untraced: letters per second, and the process's peak resident size during the run (VmHWM, reset before
  each run through /proc/self/clear_refs; where that is not allowed, the maximum since start, said so);
- traced: peak Python allocations (tracemalloc). Tracing slows reportlab down about four times, so the rate
  of a traced run is not the rate of the job.

Peak memory that does not grow from N/10 to N is what the parts are for. The baseline, measured last on the
same rows, is a bare reportlab canvas that writes one page per applicant with only the name on it: the floor
any letter costs (one canvas for everything, so its memory grows with N).
"""

from __future__ import annotations

import io
import itertools
import os
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from campaign.models import Campaign
from campaign.pdf import new_canvas
from reservations import letters
from reservations.jobs_applicants import _chunks, letter_setup
from reservations.linkcodes import new_code
from reservations.models import Applicant, Counter

# Common family and given names and towns: a few hundred different characters, so the font subsets grow
# over the first parts as they would with a real list.
FAMILY = ("佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 林 斎藤 清水 山崎 "
          "森 池田 橋本 阿部 石川 山下 中島 石井 小川 前田 岡田 長谷川 藤田 後藤 近藤 村上 遠藤 青木 坂本 斉藤 福田 "
          "太田 西村 藤井 金子 岡本 藤原 中野 三浦 原田 中川 松田 竹内 小野 田村 中山 和田 石田 森田 上田 原 内田 "
          "柴田 酒井 宮崎 横山 高木 安藤 宮本 大野 小島 谷口 工藤 高田 丸山 今井 河野 藤本 村田 武田 上野 杉山 "
          "増田 小山 平野 大塚 千葉 久保 松井 岩崎 野口 菅原 木下 野村 新井 渡部 米子 倉吉 智頭 湯梨浜 琴浦").split()
GIVEN = ("花子 太郎 一郎 美咲 健 陽子 翔 大輔 拓也 直樹 和也 達也 哲也 誠 浩 学 剛 隆 修 聡 恵 愛 舞 彩 "
         "優子 裕子 智子 真由美 由美子 久美子 恵子 幸子 和子 節子 清 勇 博 茂 稔 進 蓮 陽翔 湊 悠真 結菜 "
         "陽葵 凛 葵 芽依 紬 澪 樹 蒼 朝陽 律 颯 暖 碧 伊織 楓 杏 琴音 千尋 雫").split()
TOWNS = ("鳥取市東町 鳥取市富安 鳥取市湖山町東 鳥取市国府町宮下 米子市加茂町 米子市皆生温泉 倉吉市宮川町 "
         "境港市大正町 岩美郡岩美町浦富 八頭郡智頭町智頭 東伯郡三朝町大字三朝 東伯郡湯梨浜町松崎 "
         "東伯郡琴浦町赤碕 西伯郡大山町御来屋 日野郡日南町霞 西伯郡伯耆町丸山").split()


class _Rollback(Exception):
    pass


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak resident size of this process (Linux: write 5 to clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Command(BaseCommand):
    help = ("Benchmark the notice-letter PDF: letters/second and peak memory for N/10 and N applicants, "
            "against a bare-canvas baseline.")

    def add_arguments(self, parser):
        parser.add_argument("--applicants", type=int, default=20000)
        parser.add_argument("--no-baseline", action="store_true", help="Skip the bare-canvas baseline.")

    def handle(self, *args, applicants: int, no_baseline: bool, **options):
        try:
            with transaction.atomic():
                self._run(applicants, baseline=not no_baseline)
                raise _Rollback
        except _Rollback:
            pass

    def _rows(self, campaign, fields):
        return _chunks(Applicant.objects.filter(campaign=campaign), ["pk", *fields])

    def _measure(self, label: str, render, *, trace: bool) -> dict:
        fd, path = tempfile.mkstemp(suffix=".pdf")
        os.close(fd)
        rss_reset = _reset_peak_rss()
        peak = None
        try:
            if trace:
                tracemalloc.start()
            started = time.perf_counter()
            with open(path, "wb") as out:
                count = render(out)
            seconds = time.perf_counter() - started
            if trace:
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
            size = os.path.getsize(path)
        finally:
            os.unlink(path)
        rss = _peak_rss_mb()
        rate = count / seconds if seconds else 0.0
        memory = (f"peak Python memory {peak / 2**20:6.1f} MB" if trace
                  else f"{'peak RSS this run' if rss_reset else 'max RSS since start'} {rss:6.1f} MB")
        self.stdout.write(f"{label:<20} {count:>7} letters in {seconds:7.2f} s = {rate:7.1f} letters/s, {memory}, "
                          f"file {size / 2**20:6.1f} MB")
        return {"rate": rate, "peak": peak, "count": count, "rss": rss, "size": size}

    def _run(self, n: int, *, baseline: bool) -> None:
        today = timezone.localdate()
        # Any prefix no other campaign holds (another benchmark's campaign may be kept between its runs).
        used = set(Campaign.objects.values_list("serial_prefix", flat=True))
        prefix = next((p for p in range(99, 9, -1) if p not in used), None)
        if prefix is None:
            raise CommandError("No free serial prefix for the benchmark campaign.")
        campaign = Campaign.objects.create(
            code="BENCHLTR", name="bench letters", prefecture="31", serial_prefix=prefix, sales_start=today,
            sales_end=today, usage_start=today, usage_end=today, settlement_deadline=today)
        Counter.objects.create(campaign=campaign, name="本庁舎窓口", address="鳥取県鳥取市東町1-220")
        Counter.objects.create(campaign=campaign, name="駅前出張所", address="鳥取県鳥取市富安2-138")
        started = time.perf_counter()
        batch = []
        for i in range(n):
            name = f"{FAMILY[i % len(FAMILY)]} {GIVEN[(i * 7) % len(GIVEN)]}"
            address = f"鳥取県{TOWNS[i % len(TOWNS)]}{i % 50 + 1}-{i % 300 + 1} コーポ{FAMILY[i % 37]}{i % 20 + 1}号室"
            batch.append(Applicant(campaign=campaign, link_code=new_code(), name=name, kana="トットリ ハナコ",
                                   postal_code=f"680{i % 10000:04d}", address=address, retention_until=today))
            if len(batch) == 5000:
                Applicant.objects.bulk_create(batch)
                batch = []
        Applicant.objects.bulk_create(batch)
        self.stdout.write(f"{n} applicants created in {time.perf_counter() - started:.1f} s "
                          f"(rolled back at the end); {letters.LETTERS_PER_PART} letters per part")
        setup = letter_setup(campaign)

        def ours(limit: int):
            def render(out) -> int:
                rows = self._rows(campaign, ["postal_code", "address", "name", "link_code"])
                items = (letters.LetterData(postal_code=r["postal_code"], address=r["address"], name=r["name"],
                                            link_code=r["link_code"])
                         for r in itertools.islice(rows, limit))
                return letters.write_letters(out, items, setup)
            return render

        def bare(out) -> int:
            canvas = new_canvas(out, title="baseline")
            count = 0
            for row in self._rows(campaign, ["name"]):
                canvas.drawString(72, 720, row["name"])
                canvas.showPage()
                count += 1
            canvas.save()
            return count

        ours(3)(io.BytesIO())  # load the font, the URL resolver and the rest once, outside the measurements
        tenth = max(1, n // 10)
        small = self._measure("N/10 untraced", ours(tenth), trace=False)
        full = self._measure("N untraced", ours(n), trace=False)
        small_traced = self._measure("N/10 traced", ours(tenth), trace=True)
        full_traced = self._measure("N traced", ours(n), trace=True)
        self.stdout.write(
            f"letters/s {full['rate']:.1f} at N = {n} ({small['rate']:.1f} at N/10); "
            f"peak Python memory {full_traced['peak'] / 2**20:.1f} MB at N vs {small_traced['peak'] / 2**20:.1f} MB "
            f"at N/10 (× {full_traced['peak'] / max(small_traced['peak'], 1):.2f} for 10 × the letters); "
            f"peak RSS {full['rss']:.1f} MB at N vs {small['rss']:.1f} MB at N/10; "
            f"file {full['size'] / max(full['count'], 1) / 1024:.2f} KB per letter")
        if baseline:
            base = self._measure("bare canvas", bare, trace=False)
            self.stdout.write(f"letters/s = {full['rate'] / base['rate']:.2f} × the bare-canvas baseline "
                              f"({base['rate']:.1f}/s)")
