"""The role matrix in docs/roles.md is the one the code enforces, and every staff URL honours it for every role."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from campaign import roles
from campaign.models import Job
from tests.conftest import make_staff, verified_login

DOC = Path(settings.BASE_DIR) / "docs" / "roles.md"


def documented_matrix() -> dict[str, frozenset[str]]:
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| capability |"))
    role_columns = re.findall(r"`([a-z_]+)`", lines[start])
    matrix = {}
    for line in lines[start + 2:]:
        match = re.match(r"\| `([a-z_.]+)` \|[^|]*\|(.*)\|\s*$", line)
        if not match:
            continue
        cells = [cell.strip() for cell in match.group(2).split("|")]
        assert len(cells) == len(role_columns), line
        matrix[match.group(1)] = frozenset(role for role, cell in zip(role_columns, cells, strict=True) if cell == "✓")
    return matrix


def test_docs_matrix_is_the_enforced_matrix():
    documented = documented_matrix()
    assert set(re.findall(r"`([a-z_]+)`", next(
        line for line in DOC.read_text().splitlines() if line.startswith("| capability |")
    ))) == set(roles.ALL_ROLES)
    assert documented == dict(roles.CAPABILITIES)


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), entry.namespace or namespace)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry, namespace


def staff_urls():
    return [(route, entry, namespace) for route, entry, namespace in _walk(get_resolver().url_patterns)
            if route.startswith("staff/")]


def test_every_staff_view_declares_a_capability_or_is_a_login_page():
    undeclared = [
        route for route, entry, _ns in staff_urls()
        if not getattr(entry.callback, "capability", None) and not getattr(entry.callback, "staff_public", False)
    ]
    assert undeclared == []
    assert len(staff_urls()) >= 10


# URL kwargs for parametrised staff URLs, made for the user who is about to open them.
def _own_job(user):
    return {"public_id": Job.objects.create(kind="audit_export", owner=user).public_id}


# Downloading a job's file also needs the capability of the job's kind (the job above is an audit export).
ALSO_NEEDS = {"job_download": "audit.export"}

def _vouchers_world(user) -> dict:
    """One of everything the voucher screens show, in the only (hence current) campaign; made once per test."""
    from datetime import timedelta

    from django.utils import timezone

    from campaign.models import Campaign, Denomination
    from vouchers import services
    from vouchers.models import Collection, Delivery, Destruction, Outlet, PrintLot, PrintOrder, StockTakeLine
    from vouchers.movements import BookRange

    campaign = Campaign.objects.filter(code="TEST").first()  # TEST has a development serial key (proof PDF)
    if campaign is None:
        today = timezone.localdate()
        campaign = Campaign.objects.create(
            code="TEST", name="ロール確認キャンペーン", prefecture="31", serial_prefix=12,
            sales_start=today - timedelta(days=30), sales_end=today + timedelta(days=30),
            usage_start=today - timedelta(days=30), usage_end=today + timedelta(days=60),
            settlement_deadline=today + timedelta(days=90))
        thousand = Denomination.objects.create(campaign=campaign, code=1, name="1,000円券", face_value=1000,
                                               tickets_per_book=13, sale_price_per_book=10000)
        order = services.print_order_create(actor=user, campaign=campaign, printer="印刷所", ordered_on=today,
                                            requested_delivery=today, books={thousand: 100})
        services.lot_create(actor=user, order=order, denomination=thousand, completed_on=today, first_book=1,
                            last_book=100, spoiled_sheets=2)
        outlet = Outlet.objects.create(campaign=campaign, code="S001", name="スーパー", kind=Outlet.Kind.SUPERMARKET,
                                       address="鳥取市", route=Outlet.Route.EAST)
        services.delivery_dispatch(actor=user, outlet=outlet, delivery_date=today, books={thousand: 10})
        services.stocktake_record(actor=user, campaign=campaign, counted_on=today, outlet=None, witnesses="佐藤",
                                  counts={thousand: 89})
        services.collection_open(actor=user, outlet=outlet, collected_on=today)
        services.destruction_record(actor=user, campaign=campaign, destroyed_on=today, method="pulping",
                                    place="工場", witnesses="佐藤", ranges=[BookRange(100, 100)])
    return {
        "print_order": PrintOrder.objects.filter(campaign=campaign).first(),
        "lot": PrintLot.objects.filter(campaign=campaign).first(),
        "outlet": Outlet.objects.filter(campaign=campaign).first(),
        "delivery": Delivery.objects.filter(campaign=campaign).first(),
        "stocktake_line": StockTakeLine.objects.filter(stocktake__campaign=campaign).first(),
        "collection": Collection.objects.filter(campaign=campaign).first(),
        "destruction": Destruction.objects.filter(campaign=campaign).first(),
    }


def _voucher_pk(key: str, attribute: str = "pk"):
    return lambda user: {"pk": getattr(_vouchers_world(user)[key], attribute)}


def _merchants_world(user) -> dict:
    """An approved merchant with a bank account change waiting, in the campaign of the voucher world."""
    from dataclasses import replace

    from campaign.models import Campaign
    from settlement import services
    from settlement.models import Bank, BankAccount, BankBranch, Merchant

    _vouchers_world(user)  # the TEST campaign, current for every role
    campaign = Campaign.objects.get(code="TEST")
    merchant = Merchant.objects.filter(campaign=campaign).first()
    if merchant is None:
        bank = Bank.objects.create(code="0001", name="みずほ", kana="ミズホ")
        BankBranch.objects.create(bank=bank, code="541", name="鳥取", kana="トツトリ")
        details = services.BankDetails(bank_code="0001", branch_code="541", account_type="1",
                                       account_number="1234567", holder_name="トツトリ タロウ")
        merchant = services.merchant_apply(
            campaign=campaign, bank=details, representative={"name": "鳥取 太郎", "name_kana": "トットリ タロウ"},
            fields=dict(store_name="ロール食堂", store_name_kana="ロールショクドウ", business_form="corporation",
                        company_name="株式会社ロール", postal_code="6800011", address="鳥取県鳥取市東町1-1",
                        phone="0857-00-0000", email="role@example.jp", genre="japanese", area="east",
                        infection_control=True))
        merchant = services.merchant_approve(actor=user, merchant=merchant)
        services.bank_account_request(actor=user, merchant=merchant, bank=replace(details, account_number="7654321"))
    return {"merchant": merchant, "change": BankAccount.objects.get(merchant=merchant, status="pending")}


def _merchant_pk(key: str = "merchant"):
    return lambda user: {"pk": _merchants_world(user)[key].pk}


def _intake_world(user) -> dict:
    """A declared envelope of the merchant world's merchant and an open investigation on it."""
    from settlement import services
    from settlement.models import Envelope, Investigation, ReadOutcome, SerialRead

    merchant = _merchants_world(user)["merchant"]
    envelope = Envelope.objects.filter(merchant=merchant).first()
    if envelope is None:
        denomination = merchant.campaign.denominations.order_by("code").first()
        envelope = services.envelope_declare(actor=user, merchant=merchant, tickets={denomination: 3})
        read = SerialRead.objects.create(envelope=envelope, source="manual", read_by=user, lines=1)
        outcome = ReadOutcome.objects.create(read=read, envelope=envelope, line_no=1, code="1" * 21,
                                             verification="bad_check")
        Investigation.objects.create(campaign=merchant.campaign, envelope=envelope, outcome=outcome,
                                     verification="bad_check", face_value=denomination.face_value)
    return {"envelope": envelope, "investigation": Investigation.objects.get(envelope=envelope)}


def _envelope_number(user):
    return {"number": _intake_world(user)["envelope"].number}


def _reservations_world(user) -> dict:
    """A counter with a rule, a slot and a reservation in the TEST campaign (current for every role)."""
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    from campaign.models import Campaign
    from reservations.models import Counter, OpeningRule, Reservation, Slot

    _vouchers_world(user)
    campaign = Campaign.objects.get(code="TEST")
    counter, _ = Counter.objects.get_or_create(campaign=campaign, name="ロール窓口")
    rule = OpeningRule.objects.filter(counter=counter).first() or OpeningRule.objects.create(
        counter=counter, weekday=0, opens=time(9), closes=time(12), public_capacity=2, staff_capacity=3)
    reservation = Reservation.objects.filter(campaign=campaign).first()
    if reservation is None:
        start = datetime.combine(timezone.localdate() + timedelta(days=2), time(10), timezone.get_current_timezone())
        slot = Slot.objects.create(campaign=campaign, counter=counter, day=start.date(), starts_at=start,
                                   ends_at=start + timedelta(minutes=30), capacity=2, staff_capacity=3, booked=1)
        reservation = Reservation.objects.create(campaign=campaign, slot=slot, name="窓口 太郎")
    return {"counter": counter, "rule": rule, "reservation": reservation}


def _applicant_world(user) -> dict:
    """An applicant with one progress entry in the reservations world's campaign."""
    from reservations import services_applicants
    from reservations.models import Applicant, ProgressEvent

    campaign = _reservations_world(user)["counter"].campaign
    applicant = Applicant.objects.filter(campaign=campaign).first()
    if applicant is None:
        applicant = services_applicants.applicant_create(campaign=campaign, actor=user, values={"name": "申込 花子", "phone": "0857-00-0000"})
        services_applicants.progress_append(applicant=applicant, status="notice_sent", actor=user)
    return {"applicant": applicant, "event": ProgressEvent.objects.filter(applicant=applicant).first()}


def _applicant_pk(key: str = "applicant"):
    return lambda user: {"pk": _applicant_world(user)[key].pk}


def _reservation_pk(key: str = "reservation"):
    return lambda user: {"pk": _reservations_world(user)[key].pk}


def _callcenter_world(user) -> dict:
    """A call with an escalation and one with a callback request, in the user's department (so every role that
    may open the pages sees them), plus an FAQ item."""
    from datetime import time

    from callcenter import services as cc
    from callcenter.models import CallbackRequest, DepartmentMember, Escalation, Line
    from campaign.models import Campaign, Department

    _vouchers_world(user)
    campaign = Campaign.objects.get(code="TEST")
    dept, _ = Department.objects.get_or_create(code="cc-role", defaults={"name": "ロール確認課"})
    DepartmentMember.objects.get_or_create(user=user, department=dept)
    item = cc.faq_save(actor=None, question="払い戻しはできますか", answer="できません", status="published")
    line, _ = Line.objects.get_or_create(name="購入者向け", defaults=dict(kind="consumer", phone="0120-000-000",
                                                                       opens_at=time(9), closes_at=time(17)))
    call = cc.call_log(actor=user, campaign=campaign, line=line, caller_type="resident", summary="s",
                       response_type="escalated", escalation=cc.EscalationInput(department=dept))
    cc.call_log(actor=user, campaign=campaign, line=line, caller_type="resident", summary="s",
                response_type="callback", callback=cc.CallbackInput(department=dept, name="名", phone="000",
                                                                    inquiry="i"))
    return {"call": call, "escalation": Escalation.objects.filter(department=dept).last(),
            "callback": CallbackRequest.objects.filter(department=dept).last(), "faq": item,
            "synonym": __import__("callcenter.models", fromlist=["SynonymGroup"]).SynonymGroup.objects.first()}


def _cc_pk(key: str):
    return lambda user: {"pk": _callcenter_world(user)[key].pk}
def _payouts_world(user) -> dict:
    """A closed, approved batch with its summary file, an open cutoff, a watch case and a report (TEST campaign)."""
    import io
    from datetime import timedelta

    from django.utils import timezone

    from settlement.models import AuditReport, BatchOutput, Cutoff, SettlementBatch, WatchCase
    from settlement.payout_documents import generate_output
    from settlement.reports import report_issue
    from settlement.services.payouts import batch_approve, batch_close

    merchant = _merchants_world(user)["merchant"]
    campaign = merchant.campaign
    batch = SettlementBatch.objects.filter(campaign=campaign).first()
    if batch is None:
        from tests.conftest import make_staff

        today = timezone.localdate()
        closed = Cutoff.objects.create(campaign=campaign, cutoff_date=today - timedelta(days=40),
                                       payment_date=today - timedelta(days=30))
        Cutoff.objects.create(campaign=campaign, cutoff_date=today + timedelta(days=400),
                              payment_date=today + timedelta(days=410))
        preparer = make_staff("payout_preparer", "settlement_clerk")
        batch = batch_close(actor=preparer, cutoff=closed)
        batch_approve(actor=user, batch=batch)
        generate_output(SettlementBatch.objects.get(pk=batch.pk), BatchOutput.Kind.SUMMARY, io.BytesIO())
        WatchCase.objects.create(campaign=campaign, merchant=merchant, opened_on=today)
        report_issue(actor=user, campaign=campaign, kind="daily", start=today)
    return {"batch": batch, "cutoff": Cutoff.objects.filter(campaign=campaign, batch__isnull=True).first(),
            "case": WatchCase.objects.get(campaign=campaign), "report": AuditReport.objects.get(campaign=campaign),
            "rule": _fraud_rule(campaign)}


def _fraud_rule(campaign):
    from settlement.services.fraud import fraud_rules

    return next(iter(fraud_rules(campaign).values()))


def _payout_pk(key: str, **extra):
    return lambda user: {"pk": _payouts_world(user)[key].pk, **extra}


URL_KWARGS = {
    "intake:envelope": _envelope_number,
    "intake:receive": _envelope_number,
    "intake:slip": _envelope_number,
    "intake:upload": _envelope_number,
    "intake:upload_accept": _envelope_number,
    "intake:key": _envelope_number,
    "intake:reconcile": _envelope_number,
    "intake:release": _envelope_number,
    "intake:investigation": lambda user: {"pk": _intake_world(user)["investigation"].pk},
    "reservations:detail": _reservation_pk(),
    "reservations:arrive": _reservation_pk(),
    "reservations:change": _reservation_pk(),
    "reservations:cancel": _reservation_pk(),
    "reservations:counter_edit": _reservation_pk("counter"),
    "reservations:rule_delete": _reservation_pk("rule"),
    "callcenter:call_detail": _cc_pk("call"),
    "callcenter:escalation_detail": _cc_pk("escalation"),
    "callcenter:callback_detail": _cc_pk("callback"),
    "callcenter:faq_detail": _cc_pk("faq"),
    "callcenter:faq_edit": _cc_pk("faq"),
    "callcenter:synonym_edit": _cc_pk("synonym"),
    "reservations:applicant_detail": _applicant_pk(),
    "reservations:applicant_edit": _applicant_pk(),
    "reservations:applicant_status": _applicant_pk(),
    "reservations:applicant_sale": _applicant_pk(),
    "reservations:applicant_event_undo": _applicant_pk("event"),
    "staff:job_detail": _own_job,
    "staff:job_status": _own_job,
    "staff:job_download": _own_job,
    "vouchers:print_order_detail": _voucher_pk("print_order"),
    "vouchers:lot_create": _voucher_pk("print_order"),
    "vouchers:lot_detail": _voucher_pk("lot"),
    "vouchers:lot_numbering": _voucher_pk("lot"),
    "vouchers:lot_proof": _voucher_pk("lot"),
    "vouchers:outlet_detail": _voucher_pk("outlet"),
    "vouchers:outlet_edit": _voucher_pk("outlet"),
    "vouchers:outlet_order_create": _voucher_pk("outlet"),
    "vouchers:delivery_detail": _voucher_pk("delivery"),
    "vouchers:delivery_confirm": _voucher_pk("delivery"),
    "vouchers:delivery_slip": _voucher_pk("delivery"),
    "vouchers:stocktake_detail": _voucher_pk("stocktake_line", "stocktake_id"),
    "vouchers:stocktake_resolve": _voucher_pk("stocktake_line"),
    "vouchers:collection_detail": _voucher_pk("collection"),
    "vouchers:collection_return": _voucher_pk("collection"),
    "vouchers:collection_close": _voucher_pk("collection"),
    "vouchers:destruction_detail": _voucher_pk("destruction"),
    "vouchers:destruction_certificate": _voucher_pk("destruction"),
    "merchants:detail": _merchant_pk(),
    "merchants:representative": _merchant_pk(),
    "merchants:approve": _merchant_pk(),
    "merchants:reject": _merchant_pk(),
    "merchants:correction": _merchant_pk(),
    "merchants:suspend": _merchant_pk(),
    "merchants:resume": _merchant_pk(),
    "merchants:store_changes_apply": _merchant_pk(),
    "merchants:store_changes_reject": _merchant_pk(),
    "merchants:bank_request": _merchant_pk(),
    "merchants:kit_ship": _merchant_pk(),
    "merchants:bank_approve": _merchant_pk("change"),
    "merchants:bank_reject": _merchant_pk("change"),
    "payouts:cutoff_edit": _payout_pk("cutoff"),
    "payouts:cutoff_delete": _payout_pk("cutoff"),
    "payouts:cutoff_close": _payout_pk("cutoff"),
    "payouts:cutoff_scope": _payout_pk("cutoff"),
    "payouts:batch_prepare": _payout_pk("batch"),
    "payouts:batch": _payout_pk("batch"),
    "payouts:batch_approve": _payout_pk("batch"),
    "payouts:batch_discard": _payout_pk("batch"),
    "payouts:batch_bank_result": _payout_pk("batch"),
    "payouts:output_generate": _payout_pk("batch", kind="summary"),
    "payouts:output_generate_all": _payout_pk("batch"),
    "payouts:output_all_status": _payout_pk("batch"),
    "payouts:output_download": _payout_pk("batch", kind="summary"),
    "payouts:fraud_rule_update": _payout_pk("rule"),
    "payouts:watch": _payout_pk("case"),
    "payouts:watch_warn": _payout_pk("case"),
    "payouts:watch_suspend": _payout_pk("case"),
    "payouts:watch_close": _payout_pk("case"),
    "payouts:report": _payout_pk("report"),
    "payouts:report_download": _payout_pk("report"),
}


def _url(entry, namespace, user) -> str:
    name = f"{namespace}:{entry.name}"
    if entry.pattern.converters:
        assert name in URL_KWARGS, f"add a kwargs maker for {name} to URL_KWARGS"
        return reverse(name, kwargs=URL_KWARGS[name](user))
    return reverse(name)


@pytest.mark.django_db
@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_every_staff_url_allows_exactly_the_documented_roles(client, role):
    user = make_staff(f"user_{role}", role)
    verified_login(client, user)
    documented = documented_matrix()
    checked = 0
    for _route, entry, namespace in staff_urls():
        capability = getattr(entry.callback, "capability", None)
        if capability is None:
            continue
        url = _url(entry, namespace, user)
        response = client.get(url)
        allowed = role in documented[capability]
        if entry.name in ALSO_NEEDS:
            allowed = allowed and role in documented[ALSO_NEEDS[entry.name]]
        if allowed:
            # 200, or 405 for POST-only actions, or 404 for a job without a file: never a refusal or a login.
            assert response.status_code in (200, 404, 405), (url, response.status_code)
            if response.status_code == 404:
                assert entry.name == "job_download"
        else:
            assert response.status_code == 403, (url, response.status_code)
        checked += 1
    assert checked >= 8


ADMIN_URLS = {
    "/admin/campaign/campaign/": "masterdata.manage",
    "/admin/campaign/department/": "masterdata.manage",
    "/admin/campaign/bankholiday/add/": "masterdata.manage",
    "/admin/campaign/auditevent/": "audit.view",
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_admin_pages_follow_the_matrix(client, role):
    user = make_staff(f"admin_{role}", role)
    verified_login(client, user)
    assert client.get("/admin/").status_code == 200
    for url, capability in ADMIN_URLS.items():
        response = client.get(url)
        expected = 200 if role in roles.CAPABILITIES[capability] else 403
        assert response.status_code == expected, (url, response.status_code)


@pytest.mark.django_db
def test_a_merchant_user_never_reaches_staff_or_admin(client, dave):
    client.force_login(dave)
    assert client.get("/staff/").status_code == 403
    admin_response = client.get("/admin/", follow=True)
    assert admin_response.redirect_chain[-1][0].startswith(reverse("staff:login"))
    assert "site administration" not in admin_response.content.decode().lower()
    assert client.get("/admin/campaign/campaign/", follow=True).redirect_chain[-1][0].startswith(
        reverse("staff:login"))


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login(client):
    for route, entry, _ns in staff_urls():
        if getattr(entry.callback, "staff_public", False) or entry.pattern.converters:
            continue
        response = client.get("/" + route)
        assert response.status_code == 302, route
        assert response["Location"].startswith(reverse("staff:login")), route


@pytest.mark.django_db
@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_domain_records_are_read_only_in_the_admin_for_their_roles(client, role):
    user = make_staff(f"ro_{role}", role)
    verified_login(client, user)
    for url, capability in {"/admin/settlement/merchant/": "merchants.view",
                            "/admin/settlement/bankaccount/": "merchants.bank_approve",
                            "/admin/vouchers/book/": "vouchers.view"}.items():
        expected = 200 if role in roles.CAPABILITIES[capability] else 403
        assert client.get(url).status_code == expected, (url, role)
    # Nobody but a superuser adds merchants behind the services' back.
    assert client.get("/admin/settlement/merchant/add/").status_code == 403
