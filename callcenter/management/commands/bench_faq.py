"""manage.py bench_faq --items 10000: search latency over a large knowledge base, next to a plain icontains.

The items are variants of the repository's FAQ set (other areas, dates, denominations, sentences mixed from
other items), written inside a transaction that is rolled back at the end: the database is left as it was.
"""

import json
import random
import time
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q

from callcenter import search
from callcenter.management.commands.faq_eval import percentile
from callcenter.models import FaqItem
from campaign.japanese import normalize, search_key

DATA = Path(__file__).resolve().parents[2] / "data"
AREAS = ["鳥取市", "米子市", "倉吉市", "境港市", "岩美町", "八頭町", "湯梨浜町", "琴浦町", "北栄町", "大山町",
         "日南町", "日野町", "江府町", "伯耆町", "南部町", "智頭町", "若桜町", "三朝町", "日吉津村", "東部", "中部", "西部"]
EXTRA = ["期間中は混雑が予想されます。", "詳しくはホームページをご覧ください。", "ご不明な点は事務局までお問い合わせください。",
         "販売所によって取扱時間が異なります。", "加盟店の判断により対応が異なる場合があります。",
         "換金伝票は加盟店キットに同封しています。", "年末年始は受付を休止します。", "郵送の場合は簡易書留をご利用ください。"]


class Command(BaseCommand):
    help = "Benchmark FAQ search latency (p50/p95) on N generated items against a plain icontains search."

    def add_arguments(self, parser):
        parser.add_argument("--items", type=int, default=10000)
        parser.add_argument("--rounds", type=int, default=3, help="passes over the query set")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, items, rounds, seed, **options):
        rng = random.Random(seed)  # noqa: S311 - benchmark data, not secrets
        base = [json.loads(line) for line in (DATA / "faq_items.jsonl").read_text(encoding="utf-8").splitlines()
                if line.strip()]
        queries = [json.loads(line)["query"] for line in
                   (DATA / "faq_queries.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
        with transaction.atomic():
            started = time.perf_counter()
            # Terms are computed per distinct piece and added up: analysing 10,000 items one by one would
            # only measure the analyser, which runs once per item save in real use.
            pieces: dict[tuple, dict] = {}

            def piece(field_name: str, text: str) -> dict:
                key = (field_name, text)
                if key not in pieces:
                    pieces[key] = search.document_terms(**{"question": "", "answer": "", field_name: text})
                return pieces[key]

            rows = []
            for n in range(items):
                item = base[n % len(base)]
                area = rng.choice(AREAS)
                extra = rng.choice(EXTRA)
                other = base[rng.randrange(len(base))]["answer"].split("。")[0]
                question = f"【{area}】{item['question']}"
                answer = f"{item['answer']}{extra}{other}。"
                parts = [piece("question", f"【{area}】"), piece("question", item["question"]),
                         piece("answer", item["answer"]), piece("answer", extra), piece("answer", other),
                         piece("category", item["category"])]
                tf: dict[str, float] = {}
                for part in parts:
                    for term, value in part["tf"].items():
                        tf[term] = tf.get(term, 0.0) + value
                terms = {"tf": tf, "len": sum(p["len"] for p in parts),
                         "key_q": search_key(normalize(question)), "key_a": search_key(normalize(answer))}
                rows.append(FaqItem(external_id=f"bench-{n:06d}", question=question, answer=answer,
                                    status=FaqItem.Status.PUBLISHED, visibility=FaqItem.Visibility.PUBLIC,
                                    search_terms=terms))
            FaqItem.objects.bulk_create(rows, batch_size=1000)
            search.invalidate()
            self.stdout.write(f"generated {items} items in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            index = search.get_index()
            self.stdout.write(f"index of {index.size} items built in {time.perf_counter() - started:.2f} s")
            search.run(index, "食事券")
            ours, naive = [], []
            for _round in range(rounds):
                for query in queries:
                    t = time.perf_counter()
                    search.search(query)  # includes the version check query, as a web request would
                    ours.append((time.perf_counter() - t) * 1000)
                    t = time.perf_counter()
                    list(FaqItem.objects.filter(Q(question__icontains=query) | Q(answer__icontains=query)
                                                | Q(keywords__icontains=query), status="published")
                         .values_list("pk", flat=True)[:10])
                    naive.append((time.perf_counter() - t) * 1000)
            transaction.set_rollback(True)
        p50, p95 = percentile(ours, 50), percentile(ours, 95)
        b50, b95 = percentile(naive, 50), percentile(naive, 95)
        self.stdout.write(f"searches: {len(ours)} ({len(queries)} queries x {rounds})")
        self.stdout.write(f"faq search  p50 {p50:.2f} ms  p95 {p95:.2f} ms  (target p95 <= 30 ms: "
                          f"{'met' if p95 <= 30 else 'NOT met'})")
        self.stdout.write(f"icontains   p50 {b50:.2f} ms  p95 {b95:.2f} ms")
        self.stdout.write(f"ratio p95 search/icontains: {p95 / b95:.2f}" if b95 else "ratio: n/a")
