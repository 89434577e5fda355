"""Demo call-center data for `manage.py seed_demo`: two lines, a category tree, 60 FAQ items, a month of calls,
open escalations and callback requests. Runs once per campaign (idempotent)."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from pathlib import Path

from django.utils import timezone

from callcenter import services
from callcenter.models import CallRecord, DepartmentMember, FaqItem, Line
from campaign.models import Department

DATA = Path(__file__).resolve().parent / "data"

EXTRA_FAQ = [
    ("利用について", "障がいのある方の代理購入はできますか。", "ご家族や介助者による代理購入ができます。"),
    ("利用について", "ランチタイムだけ使えるお店はありますか。", "利用できる時間帯は加盟店ごとに異なります。お店にご確認ください。"),
    ("購入について", "販売所で売り切れていました。", "販売所ごとに在庫が異なります。他の販売所をご利用ください。"),
    ("加盟店について", "移動販売（キッチンカー）も加盟できますか。", "県内で営業許可を受けていれば加盟できます。"),
    ("換金・精算について", "換金伝票の金額を書き間違えました。", "二重線で訂正し、訂正印を押してください。"),
    ("その他", "事務局の住所を教えてください。", "〒680-0000 鳥取県鳥取市東町1-1 キャンペーン事務局です。"),
    ("その他", "キャンペーンの問い合わせ先を教えてください。", "コールセンター（平日9時から17時）までお電話ください。"),
    ("利用について", "コース料理の一部だけに使えますか。", "お会計の一部に充てることができます。おつりは出ません。"),
    ("加盟店について", "ポスターを追加でほしい。", "事務局へご連絡いただければ追加でお送りします。"),
    ("換金・精算について", "換金した食事券は返却されますか。", "換金済みの食事券は事務局で裁断処分し、返却しません。"),
    ("購入について", "食事券を郵送で送ってもらえますか。", "郵送販売は行っていません。販売所でお買い求めください。"),
    ("利用について", "食事券の番号を控える必要はありますか。", "必要ありませんが、紛失に備えて控えておくと安心です。"),
    ("その他", "詐欺の電話がかかってきた。", "事務局から口座番号や暗証番号を電話で聞くことはありません。警察にご相談ください。"),
    ("加盟店について", "加盟店の登録内容を確認したい。", "加盟店ポータルにログインして確認できます。"),
    ("換金・精算について", "支払日が土日の場合はどうなりますか。", "支払日が金融機関の休業日の場合は前営業日に振り込みます。"),
]
SUMMARIES = ["有効期限の確認", "販売所の場所", "換金方法の問い合わせ", "振込日の確認", "紛失した場合の対応", "加盟店登録の方法",
             "おつりについて", "テイクアウト利用の可否", "口座変更の手続き", "ステッカー未着", "払い戻しの可否", "購入冊数の上限"]
DEPARTMENTS = [("support", "お客様相談"), ("sales", "販売担当"), ("settlement", "精算センター")]


def seed(*, campaign, users: dict, stdout) -> None:
    if not CallRecord.objects.filter(campaign=campaign).exists():
        _seed(campaign, users)
    stdout.write(f"Demo call center: {Line.objects.count()} lines, {FaqItem.objects.count()} FAQ items, "
                 f"{CallRecord.objects.filter(campaign=campaign).count()} calls with escalations and callback requests.")


def _seed(campaign, users: dict) -> None:
    rng = random.Random(2026)  # noqa: S311 - demo data
    supervisor, operator = users["supervisor"], users["operator"]
    consumer, _ = Line.objects.get_or_create(name="購入者向けダイヤル", defaults=dict(
        kind=Line.Kind.CONSUMER, phone="0120-100-100", opens_at=time(9), closes_at=time(17)))
    merchant, _ = Line.objects.get_or_create(name="加盟店向けダイヤル", defaults=dict(
        kind=Line.Kind.MERCHANT, phone="0120-200-200", opens_at=time(9), closes_at=time(17)))
    depts = {}
    for code, name in DEPARTMENTS:
        depts[code], _ = Department.objects.get_or_create(code=code, defaults={"name": name})
    DepartmentMember.objects.get_or_create(user=users["settlement"], department=depts["settlement"])
    DepartmentMember.objects.get_or_create(user=users["clerk"], department=depts["support"])
    DepartmentMember.objects.get_or_create(user=users["clerk"], department=depts["sales"])
    with (DATA / "faq_items.jsonl").open(encoding="utf-8") as handle:
        services.faq_import(actor=supervisor, lines=handle)
    for n, (category, question, answer) in enumerate(EXTRA_FAQ, start=1):
        if not FaqItem.objects.filter(external_id=f"demo-{n:03d}").exists():
            services.faq_save(actor=supervisor, external_id=f"demo-{n:03d}", question=question, answer=answer,
                              category=services.category_by_path(category), status="published",
                              visibility="public" if n % 3 else "internal")
    for top in ("購入について", "利用について"):
        services.category_by_path(f"{top}/その他")
    items = list(FaqItem.objects.filter(status="published"))
    categories = list(services.category_by_path(c) for c in ("購入について", "利用について", "加盟店について",
                                                            "換金・精算について", "その他"))
    now = timezone.localtime()
    for day in range(30, 0, -1):
        date = (now - timedelta(days=day)).date()
        for _ in range(rng.randint(8 if date.weekday() < 5 else 2, 25 if date.weekday() < 5 else 6)):
            moment = timezone.make_aware(datetime.combine(date, time(rng.choice(
                [8, 9, 10, 10, 11, 12, 13, 14, 14, 15, 16, 17, 18]), rng.randint(0, 59))))
            is_merchant = rng.random() < 0.35
            kind = rng.choices(["answered", "transferred", "escalated", "callback", "out_of_scope"],
                               [80, 6, 6, 3, 5])[0]
            dept = depts["settlement" if is_merchant else "support"]
            services.call_log(
                actor=operator, campaign=campaign, line=merchant if is_merchant else consumer,
                caller_type="merchant" if is_merchant else "resident", summary=rng.choice(SUMMARIES),
                answer="FAQに沿って回答", response_type=kind, received_at=moment, category=rng.choice(categories),
                faq_items=rng.sample(items, k=rng.randint(0, 2)), transfer_to="精算センター" if kind == "transferred" else "",
                duration_seconds=rng.randint(40, 600),
                escalation=services.EscalationInput(department=dept, priority=rng.choice(["high", "normal", "low"]))
                if kind == "escalated" else None,
                callback=services.CallbackInput(department=dept, name="鳥取 花子", phone="0857-00-1234",
                                                inquiry="換金について担当者から説明がほしい", address="鳥取県鳥取市")
                if kind == "callback" else None,
            )
    for query in ("ポイント二重取り", "キッチンカー 登録", "海外在住"):
        services.search_log(user=operator, source="console", query=query, hits=[])
