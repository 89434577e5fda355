"""A secretariat clerk records a delivery to an outlet in the browser and downloads its slip."""

from __future__ import annotations

import re

import pypdf
import pytest

from tests.e2e.test_job_progress import _login
from tests.vouchers.fixtures import make_outlet
from vouchers.models import Book, BookState, Delivery

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_clerk_records_a_delivery_and_downloads_the_slip(page, live_server, campaign, bob, printed, thousand):
    outlet = make_outlet(campaign, "S001", "スーパーまるい 本店")
    _login(page, live_server, bob)
    page.goto("/staff/vouchers/deliveries/new/")
    page.locator("#id_outlet").select_option(label=outlet.name)
    page.locator("#id_delivery_date").fill("2026-10-22")
    page.locator("#id_books_1").fill("120")
    page.locator("#id_ranges_2").fill("1001-1010")
    page.locator("main form button[type=submit]").click()

    page.wait_for_url(re.compile(r"/staff/vouchers/deliveries/\d+/$"))
    delivery = Delivery.objects.get()
    assert Book.objects.filter(state=BookState.TRANSIT, outlet=outlet).count() == 130
    assert "1,001" in page.content() or "1001" in page.content()

    with page.expect_download() as info:
        page.locator(f"a[href='/staff/vouchers/deliveries/{delivery.pk}/slip.pdf']").click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    reader = pypdf.PdfReader(download.path())
    text = "".join(p.extract_text() for p in reader.pages)
    assert "受領書" in text and "納品預託書" in text and outlet.name in text
    assert "130" in text  # total books on the slip

    # The outlet signed: the clerk confirms the receipt.
    page.locator("#id_received_by").fill("店長 山田")
    page.locator("#id_confirmed_on").fill("2026-10-22")
    page.locator(f"form[action='/staff/vouchers/deliveries/{delivery.pk}/confirm/'] button[type=submit]").click()
    page.get_by_test_id("delivery-status").wait_for()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.CONFIRMED
    assert Book.objects.filter(state=BookState.OUTLET, outlet=outlet).count() == 130


def test_a_refused_delivery_shows_the_reason_and_changes_nothing(page, live_server, campaign, bob, printed):
    outlet = make_outlet(campaign, "S001", "スーパーまるい 本店")
    _login(page, live_server, bob)
    page.goto("/staff/vouchers/deliveries/new/")
    page.locator("#id_outlet").select_option(label=outlet.name)
    page.locator("#id_delivery_date").fill("2026-10-22")
    page.locator("#id_ranges_1").fill("995-1005")  # runs into the ¥500 books
    page.locator("main form button[type=submit]").click()
    assert page.locator(".alert--error, .field__error").first.is_visible()
    assert Delivery.objects.count() == 0
    assert Book.objects.exclude(state=BookState.VAULT).count() == 0
