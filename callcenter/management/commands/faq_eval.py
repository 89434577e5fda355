"""manage.py faq_eval --queries PATH: recall@1, recall@5, MRR and search latency over a query set."""

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from callcenter import search


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


class Command(BaseCommand):
    help = 'Evaluate the FAQ search on JSONL lines {"query","expected":[ids]}.'

    def add_arguments(self, parser):
        parser.add_argument("--queries", required=True)
        parser.add_argument("--dump", help="write one JSONL line per query with the result ids and time")
        parser.add_argument("--misses", action="store_true", help="list queries whose expected item is not in the top 5")

    def handle(self, *args, queries, dump=None, misses=False, **options):
        path = Path(queries)
        if not path.is_file():
            raise CommandError(f"No such file: {queries}")
        cases = []
        for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                cases.append((str(row["query"]), [str(e) for e in row["expected"]]))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise CommandError(f"Line {number}: expected {{\"query\", \"expected\": [ids]}} ({exc})") from exc
        index = search.get_index()  # built once, outside the timings
        search.run(index, "食事券")  # warm the analyser's caches
        r1 = r5 = rr = 0.0
        times, dumped, missed = [], [], []
        for query, expected in cases:
            start = time.perf_counter()
            hits, _plan = search.run(index, query)
            ms = (time.perf_counter() - start) * 1000
            times.append(ms)
            ids = [h.external_id if h.external_id is not None else str(h.pk) for h in hits][:10]
            rank = next((i for i, ext in enumerate(ids, start=1) if ext in expected), None)
            r1 += rank == 1
            r5 += rank is not None and rank <= 5
            rr += 1 / rank if rank else 0
            if not rank or rank > 5:
                missed.append((query, expected, ids[:5]))
            dumped.append({"query": query, "results": ids, "ms": round(ms, 3)})
        n = len(cases) or 1
        self.stdout.write(f"queries: {len(cases)}  items indexed: {index.size}")
        self.stdout.write(f"recall@1: {r1 / n:.3f}")
        self.stdout.write(f"recall@5: {r5 / n:.3f}")
        self.stdout.write(f"MRR: {rr / n:.3f}")
        self.stdout.write(f"latency p50: {percentile(times, 50):.2f} ms  p95: {percentile(times, 95):.2f} ms")
        if misses:
            for query, expected, got in missed:
                self.stdout.write(f"  miss: {query!r} expected {expected} got {got}")
        if dump:
            with open(dump, "w", encoding="utf-8") as handle:
                for row in dumped:
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")
