"""Issue 17, the wording pass: the words a native reader found wrong, rendered in Japanese as a clerk sees them."""

from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from campaign import roles
from settlement import services
from settlement.models import Investigation
from tests.conftest import make_staff, verified_login
from tests.settlement.test_intake import code, forged, received, scanner_file, sold_books  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _japanese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    with translation.override("ja"):
        yield


@pytest.fixture
def sato(db):
    """Sato is a settlement clerk."""
    return make_staff("sato", roles.SETTLEMENT_CLERK)


@pytest.fixture
def keyed(client, sato, received):
    """Envelope `received` with one good ticket, one ticket of a book still in the vault and one forgery keyed in."""
    verified_login(client, sato)
    response = client.post(reverse("intake:key", args=[received.number]),
                           {"codes": f"{code(1, 1)}\n{code(60, 1)}\n{forged(2, 1)}"}, follow=True)
    return response.content.decode()


def test_the_verification_class_valid_reads_yuko(keyed):
    assert "有効 1" in keyed
    assert "適用期間" not in keyed


def test_a_reading_shows_the_book_state_by_its_label_never_the_code(client, keyed, received):
    page = client.get(reverse("intake:envelope", args=[received.number])).content.decode()
    assert "未販売在庫 (保管庫在庫)" in page
    assert "(vault)" not in page


def test_the_envelope_lookup_button_opens(client, sato, campaign):
    verified_login(client, sato)
    page = client.get(reverse("intake:home")).content.decode()
    assert ">開く</button>" in page
    assert "回収開始" not in page


def test_an_open_investigation_is_under_investigation_and_its_book_history_names_states(client, keyed, received,
                                                                                          alice):
    services.envelope_reconcile(actor=alice, envelope=received)
    investigation = Investigation.objects.filter(verification="unsold").get()
    listing = client.get(reverse("intake:investigations")).content.decode()
    assert "調査中" in listing and "回収開始" not in listing
    page = client.get(reverse("intake:investigation", args=[investigation.pk])).content.decode()
    assert "調査中" in page and "回収開始" not in page
    assert "移動前の状態" in page and "移動後の状態" in page
    assert "開始日" not in page and "終了日" not in page
    assert "保管庫在庫" in page and "vault" not in page
    assert "1,000円" in page and "¥" not in page


def test_amounts_are_yen_after_the_figure_and_dates_are_written_in_japanese(client, keyed, received):
    page = client.get(reverse("intake:envelope", args=[received.number])).content.decode()
    assert "2026年11月2日" in page  # received on
    assert "2026-11-02" not in page and "2026/11/2" not in page
    assert "1,000円" in page and "¥" not in page


def test_the_payouts_tile_says_unpaid_amount_not_a_count(client, received):
    manager = make_staff("mallory", "secretariat_manager")
    verified_login(client, manager)
    page = client.get(reverse("payouts:dashboard")).content.decode()
    assert "未払額" in page
    assert "未納数" not in page and "¥" not in page
    assert 'data-testid="outstanding">0円<' in page


def test_the_slip_is_downloaded_under_a_japanese_name(client, sato, received):
    verified_login(client, sato)
    response = client.get(reverse("intake:slip", args=[received.number]))
    assert response.status_code == 200
    # RFC 5987: the name travels percent-encoded in UTF-8.
    assert "filename*=utf-8''%E6%8F%9B%E9%87%91%E4%BC%9D%E7%A5%A8_" in response["Content-Disposition"]


def test_a_collection_is_opened_with_kaishu_kaishi_and_shown_as_kaishuchu():
    with translation.override("ja"):
        assert translation.pgettext("collection", "Open") == "回収開始"
        assert translation.pgettext("collection status", "Open") == "回収中"
        assert translation.pgettext("button", "Open") == "開く"


def test_the_dates_on_one_screen_share_one_format():
    from campaign import formats

    assert formats.day(date(2026, 12, 8)) == "2026年12月8日"
    assert formats.day(date(2026, 12, 8), weekday=True) == "2026年12月8日（火）"
    assert formats.yen(713000) == "713,000円"
