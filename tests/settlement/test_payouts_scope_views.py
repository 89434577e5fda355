"""The limit and relief of an extraordinary cutoff on the cutoff screens: a manager names merchants and envelopes
by number and gives the reason; a mistyped number is named and nothing is saved; others only read it."""

from __future__ import annotations

from datetime import date

import pytest

from settlement.models import Cutoff
from settlement.services.payouts import batch_close
from tests.settlement.payouts_world import merchant, reconciled_envelope

BASE = "/staff/settlement/payouts/"


@pytest.fixture
def shops(campaign, mizuho, alice, thousand):
    shops = [merchant(campaign, alice, n) for n in range(3)]
    envelopes = [reconciled_envelope(shop, actor=alice, tickets={thousand: 2}) for shop in shops]
    return shops, envelopes


@pytest.fixture
def extraordinary(campaign):
    return Cutoff.objects.create(campaign=campaign, cutoff_date=date(2026, 11, 20), payment_date=date(2026, 11, 30),
                                 kind=Cutoff.Kind.EXTRAORDINARY, note="不正案件の精算")


def _scope(cutoff: Cutoff) -> tuple:
    cutoff.refresh_from_db()
    return (sorted(cutoff.merchants.values_list("merchant_number", flat=True)),
            sorted(cutoff.envelopes.values_list("number", flat=True)), cutoff.accepts_late, cutoff.scope_reason,
            cutoff.scope_decided_by_id)


@pytest.mark.django_db
def test_a_manager_limits_an_extraordinary_cutoff_and_makes_it_a_relief_cutoff(shops, extraordinary, manager,
                                                                               carol, client, staff_client):
    (first, second, third), envelopes = shops
    as_manager = staff_client(manager)
    page = as_manager.get(f"{BASE}cutoffs/{extraordinary.pk}/edit/").content.decode()
    assert "対象の限定・救済" in page and f'action="{BASE}cutoffs/{extraordinary.pk}/scope/"' in page
    # Numbers one per line or comma-separated, full-width digits as typed on a Japanese keyboard.
    wide = first.merchant_number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    response = as_manager.post(f"{BASE}cutoffs/{extraordinary.pk}/scope/", {
        "merchants": f"{wide}、{second.merchant_number}\n", "envelopes": envelopes[2].number.lower(),
        "accepts_late": "on", "reason": "不正案件の3店を精算する"}, follow=True)
    assert response.redirect_chain[-1][0] == f"{BASE}cutoffs/"
    text = response.content.decode()
    assert "締日の対象の限定・救済を保存しました。" in text
    assert _scope(extraordinary) == (sorted([first.merchant_number, second.merchant_number]),
                                     [envelopes[2].number], True, "不正案件の3店を精算する", manager.pk)
    # The schedule says what the cutoff pays, that it is a relief cutoff, why and who decided.
    assert "支払対象の加盟店（2 店）：" in text and first.merchant_number in text and envelopes[2].number in text
    assert "救済" in text and "換金申請期限後に受け付けた封筒も支払う" in text
    assert "不正案件の3店を精算する" in text and "決定：mallory" in text

    # The auditor reads it on the schedule but gets no form and cannot post one.
    client.logout()
    as_auditor = staff_client(carol)
    assert "決定：mallory" in as_auditor.get(f"{BASE}cutoffs/").content.decode()
    assert as_auditor.post(f"{BASE}cutoffs/{extraordinary.pk}/scope/", {"reason": "x"}).status_code == 403

    # Closing it pays what it names: the two merchants and the third's envelope.
    batch = batch_close(actor=manager, cutoff=extraordinary)
    assert batch.merchants == 3 and batch.envelopes == 3


@pytest.mark.django_db
def test_a_mistyped_number_is_named_and_nothing_is_saved(shops, extraordinary, manager, staff_client):
    (first, _second, _third), envelopes = shops
    as_manager = staff_client(manager)
    response = as_manager.post(f"{BASE}cutoffs/{extraordinary.pk}/scope/", {
        "merchants": f"{first.merchant_number}, 99999990", "envelopes": f"{envelopes[0].number}\nE99999999999",
        "accepts_late": "on", "reason": "誤入力の確認"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "加盟店番号 99999990 の加盟店はこのキャンペーンにありません。" in text
    assert "封筒番号 E99999999999 の封筒はこのキャンペーンにありません。" in text
    assert first.merchant_number in text  # what was typed stays in the form
    assert _scope(extraordinary) == ([], [], False, "", None)

    # The reason is required.
    response = as_manager.post(f"{BASE}cutoffs/{extraordinary.pk}/scope/", {"merchants": first.merchant_number})
    assert response.status_code == 200 and "field--error" in response.content.decode()
    assert _scope(extraordinary) == ([], [], False, "", None)


@pytest.mark.django_db
def test_a_clerk_reads_the_limit_but_may_not_change_it(shops, extraordinary, manager, clerk, staff_client):
    (first, _second, _third), _envelopes = shops
    from settlement.services.cutoffs import cutoff_scope_set

    cutoff_scope_set(actor=manager, cutoff=extraordinary, merchants=[first], reason="不正案件の精算")
    as_clerk = staff_client(clerk)
    page = as_clerk.get(f"{BASE}cutoffs/{extraordinary.pk}/edit/").content.decode()
    assert "支払対象の加盟店（1 店）：" in page and first.merchant_number in page
    assert "変更できるのは事務局責任者だけです。" in page
    assert f'action="{BASE}cutoffs/{extraordinary.pk}/scope/"' not in page
    response = as_clerk.post(f"{BASE}cutoffs/{extraordinary.pk}/scope/", {"merchants": "", "reason": "解除"})
    assert response.status_code == 403
    assert _scope(extraordinary) == ([first.merchant_number], [], False, "不正案件の精算", manager.pk)


@pytest.mark.django_db
def test_only_an_open_extraordinary_cutoff_offers_the_form(shops, extraordinary, campaign, manager, staff_client):
    regular = Cutoff.objects.create(campaign=campaign, cutoff_date=date(2026, 11, 10),
                                    payment_date=date(2026, 11, 30))
    as_manager = staff_client(manager)
    page = as_manager.get(f"{BASE}cutoffs/{regular.pk}/edit/").content.decode()
    assert "対象の限定・救済" not in page
    # A regular cutoff refuses a limit (a page left open, a crafted post): the service's reason, nothing saved.
    response = as_manager.post(f"{BASE}cutoffs/{regular.pk}/scope/", {"accepts_late": "on", "reason": "救済"})
    assert "臨時の締日でだけ設定できます" in response.content.decode()
    assert _scope(regular) == ([], [], False, "", None)

    batch_close(actor=manager, cutoff=extraordinary)
    page = as_manager.get(f"{BASE}cutoffs/{extraordinary.pk}/edit/").content.decode()
    assert "この締日は締め済みのため、支払対象を変更できません。" in page
    assert f'action="{BASE}cutoffs/{extraordinary.pk}/scope/"' not in page
