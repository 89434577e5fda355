"""Demo merchants for `manage.py seed_demo`: 200 Tottori restaurants across the three areas and every genre,
most approved with kits sent, some applications waiting, a few sent back for correction, two rejected, one
suspended and one with a bank account change waiting for the second person. Runs once per campaign.

They come in the way a chamber of commerce's list does (the bulk import), then go through the same review
services as on the staff screens.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from settlement import demo_payouts, services
from settlement.models import Bank, BankAccount, BankBranch, KitShipment, Merchant

COUNT = 200
APPLIED, CORRECTION, REJECTED = range(0, 20), range(20, 24), range(24, 26)
SUSPENDED = 30
BANK_CHANGE = 31

# (place, kana, area, street address without the block number, postal code, phone area code)
PLACES = [
    ("鳥取", "トットリ", Merchant.Area.EAST, "鳥取県鳥取市栄町", "6800831", "0857"),
    ("湖山", "コヤマ", Merchant.Area.EAST, "鳥取県鳥取市湖山町東", "6800941", "0857"),
    ("賀露", "カロ", Merchant.Area.EAST, "鳥取県鳥取市賀露町", "6800908", "0857"),
    ("岩美", "イワミ", Merchant.Area.EAST, "鳥取県岩美郡岩美町浦富", "6810003", "0857"),
    ("智頭", "チヅ", Merchant.Area.EAST, "鳥取県八頭郡智頭町智頭", "6891402", "0858"),
    ("倉吉", "クラヨシ", Merchant.Area.CENTRAL, "鳥取県倉吉市明治町", "6820021", "0858"),
    ("三朝", "ミササ", Merchant.Area.CENTRAL, "鳥取県東伯郡三朝町三朝", "6820123", "0858"),
    ("湯梨浜", "ユリハマ", Merchant.Area.CENTRAL, "鳥取県東伯郡湯梨浜町はわい長瀬", "6890714", "0858"),
    ("琴浦", "コトウラ", Merchant.Area.CENTRAL, "鳥取県東伯郡琴浦町浦安", "6892301", "0858"),
    ("米子", "ヨナゴ", Merchant.Area.WEST, "鳥取県米子市角盤町", "6830812", "0859"),
    ("皆生", "カイケ", Merchant.Area.WEST, "鳥取県米子市皆生温泉", "6830001", "0859"),
    ("境港", "サカイミナト", Merchant.Area.WEST, "鳥取県境港市大正町", "6840004", "0859"),
    ("大山", "ダイセン", Merchant.Area.WEST, "鳥取県西伯郡大山町大山", "6893318", "0859"),
]

KINDS = [
    ("食堂", "ショクドウ", Merchant.Genre.JAPANESE),
    ("割烹", "カッポウ", Merchant.Genre.JAPANESE),
    ("定食屋", "テイショクヤ", Merchant.Genre.JAPANESE),
    ("寿司", "スシ", Merchant.Genre.SUSHI),
    ("海鮮丼", "カイセンドン", Merchant.Genre.SUSHI),
    ("回転寿司", "カイテンズシ", Merchant.Genre.SUSHI),
    ("ラーメン", "ラーメン", Merchant.Genre.NOODLES),
    ("牛骨ラーメン", "ギュウコツラーメン", Merchant.Genre.NOODLES),
    ("そば処", "ソバドコロ", Merchant.Genre.NOODLES),
    ("居酒屋", "イザカヤ", Merchant.Genre.IZAKAYA),
    ("酒場", "サカバ", Merchant.Genre.IZAKAYA),
    ("焼肉", "ヤキニク", Merchant.Genre.YAKINIKU),
    ("ホルモン", "ホルモン", Merchant.Genre.YAKINIKU),
    ("洋食屋", "ヨウショクヤ", Merchant.Genre.WESTERN),
    ("ビストロ", "ビストロ", Merchant.Genre.WESTERN),
    ("中華飯店", "チュウカハンテン", Merchant.Genre.CHINESE),
    ("餃子房", "ギョウザボウ", Merchant.Genre.CHINESE),
    ("カフェ", "カフェ", Merchant.Genre.CAFE),
    ("珈琲店", "コーヒーテン", Merchant.Genre.CAFE),
    ("甘味処", "カンミドコロ", Merchant.Genre.CAFE),
    ("お好み焼き", "オコノミヤキ", Merchant.Genre.OTHER),
    ("カレー", "カレー", Merchant.Genre.OTHER),
]

STEMS = [
    ("まるや", "マルヤ"), ("大黒", "ダイコク"), ("さくら", "サクラ"), ("松葉", "マツバ"), ("浜風", "ハマカゼ"),
    ("砂丘", "サキュウ"), ("白兎", "ハクト"), ("若桜", "ワカサ"), ("因幡", "イナバ"), ("伯耆", "ホウキ"),
    ("山陰", "サンイン"), ("千代", "チヨ"), ("福助", "フクスケ"), ("一番", "イチバン"), ("梨の木", "ナシノキ"),
    ("ひまわり", "ヒマワリ"),
]

FAMILY = [("田中", "タナカ"), ("山本", "ヤマモト"), ("松本", "マツモト"), ("岸本", "キシモト"), ("前田", "マエダ"),
          ("小谷", "コタニ"), ("山根", "ヤマネ"), ("谷口", "タニグチ"), ("福田", "フクダ"), ("竹内", "タケウチ"),
          ("池田", "イケダ"), ("足立", "アダチ")]
GIVEN = [("太郎", "タロウ"), ("花子", "ハナコ"), ("健一", "ケンイチ"), ("美咲", "ミサキ"), ("誠", "マコト"),
         ("洋子", "ヨウコ"), ("翔太", "ショウタ"), ("由美", "ユミ"), ("大輔", "ダイスケ"), ("恵", "メグミ")]

HOURS = ["11:00〜14:00、17:00〜22:00 月曜定休", "10:00〜18:00 水曜定休", "17:00〜24:00 日曜定休", "11:00〜21:00 無休",
         "7:00〜15:00 火曜定休"]

# Local banks of the demo accounts; a few branches are created when the Zengin data is not available.
DEMO_BANKS = ["0166", "0167", "1701", "1702", "1703"]
FALLBACK_BANKS = [
    ("0166", "鳥取", "トツトリ", [("113", "鳥取", "トツトリ"), ("117", "湖山", "コヤマ"), ("150", "倉吉", "クラヨシ")]),
    ("0167", "山陰合同", "サンインゴウドウ", [("053", "鳥取営業部", "トツトリ"), ("067", "倉吉", "クラヨシ"),
                                            ("080", "米子", "ヨナゴ"), ("077", "境東", "サカイヒガシ")]),
]


def seed(*, campaign, users: dict, stdout) -> None:
    branches = _ensure_banks()
    if not Merchant.objects.filter(campaign=campaign).exists():
        _seed(campaign, users, branches)
    merchants = Merchant.objects.filter(campaign=campaign)
    counts = {status: merchants.filter(status=status).count() for status in Merchant.Status.values}
    stdout.write(
        f"Demo merchants: {merchants.count()} ({counts['approved']} approved, {counts['applied']} applied, "
        f"{counts['correction']} asked for a correction, {counts['rejected']} rejected), "
        f"{merchants.filter(suspended_at__isnull=False).count()} suspended, "
        f"{BankAccount.objects.filter(merchant__campaign=campaign, status=BankAccount.Status.PENDING, merchant__status=Merchant.Status.APPROVED).count()} "
        f"bank account change awaiting approval, "
        f"{KitShipment.objects.filter(merchant__campaign=campaign).count()} redemption kits sent; "
        f"{Bank.objects.count():,} banks and {BankBranch.objects.count():,} branches."
    )
    from settlement import demo_intake

    demo_intake.create(campaign=campaign, users=users)
    demo_payouts.seed(campaign=campaign, users=users, stdout=stdout)
    demo_intake.summary(campaign=campaign, stdout=stdout)


def _ensure_banks() -> list[BankBranch]:
    if not Bank.objects.exists():
        from settlement.banks import import_banks

        import_banks()
    if not Bank.objects.exists():
        for code, name, kana, branches in FALLBACK_BANKS:
            bank = Bank.objects.create(code=code, name=name, kana=kana)
            BankBranch.objects.bulk_create([BankBranch(bank=bank, code=b, name=n, kana=k) for b, n, k in branches])
    branches = list(BankBranch.objects.filter(bank__code__in=DEMO_BANKS, bank__is_active=True, is_active=True)
                    .select_related("bank").order_by("bank__code", "code")[:40])
    return branches or list(BankBranch.objects.filter(is_active=True, bank__is_active=True)
                            .select_related("bank").order_by("bank__code", "code")[:40])


def _rows(branches: list[BankBranch]) -> list[dict]:
    """Deterministic store rows in the import format: "{place}{kind}", "{kind} {stem}", "{stem}{kind} {place}店"."""
    rows, names = [], set()
    i = 0
    while len(rows) < COUNT:
        place, place_kana, area, street, postal, phone_code = PLACES[i % len(PLACES)]
        kind, kind_kana, genre = KINDS[(i * 5 + i // len(PLACES)) % len(KINDS)]
        stem, stem_kana = STEMS[(i * 3 + i // 7) % len(STEMS)]
        pattern = (i // len(PLACES)) % 3
        name, kana = [
            (f"{place}{kind}", f"{place_kana}{kind_kana}"),
            (f"{kind} {stem}", f"{kind_kana} {stem_kana}"),
            (f"{stem}{kind} {place}店", f"{stem_kana}{kind_kana} {place_kana}テン"),
        ][pattern]
        i += 1
        if name in names:
            continue
        names.add(name)
        n = len(rows)
        family, family_kana = FAMILY[n % len(FAMILY)]
        given, given_kana = GIVEN[(n * 7) % len(GIVEN)]
        corporation = n % 3 == 0
        branch = branches[n % len(branches)]
        rows.append({
            "store_name": name,
            "store_name_kana": kana,
            "business_form": "法人" if corporation else "個人",
            "company_name": f"株式会社{stem}" if corporation else f"{family} {given}",
            "representative_name": f"{family} {given}",
            "representative_kana": f"{family_kana} {given_kana}",
            "postal_code": postal,
            "address": f"{street}{1 + n % 9}-{1 + n * 7 % 30}",
            "phone": f"{phone_code}-{20 + n % 70:02d}-{1000 + n * 37 % 9000:04d}",
            "email": f"shop{n + 1:03d}@demo.example.jp",
            "genre": genre,
            "area": area,
            "opening_hours": HOURS[n % len(HOURS)],
            "takeout": n % 2 == 0,
            "infection_control": True,
            "bank_code": branch.bank.code,
            "branch_code": branch.code,
            "account_type": "普通" if n % 10 else "当座",
            "account_number": f"{(1234567 + n * 7919) % 10_000_000:07d}",
            "holder_name": f"カ）{stem_kana}" if corporation else f"{family_kana} {given_kana}",
        })
    return rows


@contextmanager
def _demo_mail_in_memory():
    """Keep the demo's mails (portal invitations, review notices) out of the console.

    Review notices are sent at once; approval invitations are sent when the transaction commits, which for
    `seed_demo` is after this block. So a second override is switched on and off by on-commit callbacks
    registered around the block: callbacks run in the order they were registered, so it brackets exactly the
    mails queued here.
    """
    later = override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        transaction.on_commit(later.enable)
        try:
            yield
        finally:
            transaction.on_commit(later.disable)


def _seed(campaign, users: dict, branches: list[BankBranch]) -> None:
    clerk, manager = users["clerk"], users["manager"]
    services.merchants_import(actor=clerk, campaign=campaign, rows=_rows(branches), source="demo: 商工会議所リスト.xlsx")
    merchants = list(Merchant.objects.filter(campaign=campaign).order_by("pk"))

    # Spread the applications over the weeks before today, the first ones first.
    now = timezone.now()
    for n, merchant in enumerate(merchants):
        merchant.applied_at = now - timedelta(days=60) + timedelta(hours=6 * n)
    Merchant.objects.bulk_update(merchants, ["applied_at"])

    today = timezone.localdate()
    with _demo_mail_in_memory():
        for n, merchant in enumerate(merchants):
            if n in APPLIED:
                continue
            if n in CORRECTION:
                services.merchant_request_correction(
                    actor=clerk, merchant=merchant,
                    reason="口座名義のフリガナが通帳の表記と一致しません。通帳の写しを添えて再提出してください。")
            elif n in REJECTED:
                services.merchant_reject(actor=manager, merchant=merchant,
                                         reason="飲食店営業許可が確認できないため、加盟店として登録できません。")
            else:
                # The clerk imported the list (and so entered the bank accounts): the manager approves, which
                # confirms each first account with a second pair of eyes.
                merchant = services.merchant_approve(actor=manager, merchant=merchant)
                if n % 12:  # every twelfth approved merchant still waits for its kit
                    services.kit_ship(actor=clerk, merchant=merchant, shipped_on=today - timedelta(days=n % 20),
                                      carrier="ゆうパック", tracking_number=f"{3000_0000_0000 + n * 104_729:012d}")

    merchants = list(Merchant.objects.filter(campaign=campaign).order_by("pk"))
    services.merchant_suspend(actor=manager, merchant=merchants[SUSPENDED],
                              reason="換金請求に不審な点があるため、調査が終わるまで停止します。")
    changed = merchants[BANK_CHANGE]
    branch = branches[(BANK_CHANGE + 1) % len(branches)]
    holder = changed.bank_accounts.get(status=BankAccount.Status.ACTIVE).holder_kana
    services.bank_account_request(actor=clerk, merchant=changed, bank=services.BankDetails(
        bank_code=branch.bank.code, branch_code=branch.code, account_type="1", account_number="7654321",
        holder_name=holder))
