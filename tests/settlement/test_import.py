"""Bulk import of merchants from a chamber of commerce's list: CSV in any of the encodings Excel writes or an
.xlsx workbook, every row checked with the application's rules, and all rows imported or none."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from campaign.models import AuditEvent
from settlement import services
from settlement.models import BankAccount, Merchant, MerchantRepresentative
from settlement.services.imports import IMPORT_COLUMNS, IMPORT_MAX_ROWS, import_file_read
from tests.conftest import make_staff, verified_login

pytestmark = pytest.mark.django_db

JAPANESE = [column.ja for column in IMPORT_COLUMNS]
ENGLISH = [column.en for column in IMPORT_COLUMNS]
READINGS = ["ゼロ", "イチ", "ニ", "サン", "ヨン"]


def row(n: int, **overrides) -> list:
    values = {
        # The reading has no digits: the kana check refuses them, as the application form does.
        "store_name": f"鳥取食堂{n}号店", "store_name_kana": f"とっとりしょくどう {READINGS[n % 5]}",
        "business_form": "個人", "company_name": "山根 花子", "representative_name": "山根 花子",
        "representative_kana": "ヤマネ ハナコ", "postal_code": "680-0831", "address": f"鳥取県鳥取市栄町{n}-1",
        "phone": "0857-22-0000", "email": f"shop{n}@example.jp", "genre": "和食", "area": "東部",
        "opening_hours": "11:00〜21:00", "takeout": "はい", "infection_control": "はい", "bank_code": "0001",
        "branch_code": "541", "account_type": "普通", "account_number": f"{1000000 + n}",
        "holder_name": "ヤマネ ハナコ",
    }
    values.update(overrides)
    return [values[column.key] for column in IMPORT_COLUMNS]


def csv_bytes(header, rows, encoding: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(header, rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def clerk(client, bob, settings):
    verified_login(client, bob)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def upload(client, content: bytes, name: str):
    return client.post(reverse("merchants:import"), {"file": SimpleUploadedFile(name, content)})


def confirm(client, preview):
    token = re.search(r'name="token" value="([^"]+)"', preview.content.decode()).group(1)
    return client.post(reverse("merchants:import_confirm"), {"token": token, "confirm": "on"})


@pytest.mark.parametrize(("encoding", "header"), [("cp932", JAPANESE), ("utf-8-sig", JAPANESE), ("utf-8", ENGLISH)])
def test_a_good_csv_file_imports_every_row(clerk, campaign, mizuho, bob, encoding, header):
    content = csv_bytes(header, [row(1), row(2), row(3)], encoding)
    preview = upload(clerk, content, "list.csv")
    assert preview.status_code == 200
    assert "list.csv: 3 rows checked, no errors." in preview.content.decode()
    assert Merchant.objects.count() == 0  # nothing before the confirmation

    response = confirm(clerk, preview)
    assert response.status_code == 302
    merchants = Merchant.objects.order_by("pk")
    assert [m.store_name for m in merchants] == ["鳥取食堂1号店", "鳥取食堂2号店", "鳥取食堂3号店"]
    first = merchants[0]
    assert first.status == Merchant.Status.APPLIED and first.merchant_number is None
    assert (first.genre, first.area, first.business_form, first.takeout) == ("japanese", "east", "sole_proprietor",
                                                                             True)
    assert first.postal_code == "6800831" and first.search_key
    assert MerchantRepresentative.objects.get(merchant=first).name_kana == "ヤマネ ハナコ"
    account = BankAccount.objects.get(merchant=first)
    assert (account.status, account.requested_by, account.holder_kana) == (BankAccount.Status.PENDING, bob,
                                                                           "ﾔﾏﾈ ﾊﾅｺ")
    event = AuditEvent.objects.get(action="merchant.import")
    assert event.actor == bob and event.data["count"] == 3 and event.data["source"] == "list.csv"
    assert sorted(event.data["merchant_ids"]) == [m.pk for m in merchants]
    # Imported applications are reviewed like any other. Bob imported the account, so his own approval of the
    # merchant leaves it waiting for a second person; another person's approval of the account activates it.
    approved = services.merchant_approve(actor=bob, merchant=first)
    assert approved.bank_accounts.get().status == BankAccount.Status.PENDING
    with pytest.raises(services.MerchantError, match="another staff member"):
        services.bank_account_approve(actor=bob, account=approved.bank_accounts.get())
    services.bank_account_approve(actor=make_staff("mia", "secretariat_manager"), account=approved.bank_accounts.get())
    assert approved.bank_accounts.get().status == BankAccount.Status.ACTIVE
    second = services.merchant_approve(actor=make_staff("ken", "secretariat_manager"), merchant=merchants[1])
    assert second.bank_accounts.get().status == BankAccount.Status.ACTIVE  # approved by someone else: confirmed


def test_a_good_xlsx_file_imports_every_row_and_gets_lost_zeros_back(clerk, campaign, mizuho):
    # Excel keeps codes typed as numbers: 0001 becomes 1 and 0123456 becomes 123456.
    rows = [row(1, bank_code=1, account_number=123456, postal_code=6800831),
            row(2, genre="sushi", area="West", business_form="corporation", company_name="株式会社二号"),
            row(3, takeout=None)]
    preview = upload(clerk, xlsx_bytes(ENGLISH, rows), "商工会議所.xlsx")
    assert "3 rows checked, no errors." in preview.content.decode()
    assert confirm(clerk, preview).status_code == 302
    assert Merchant.objects.count() == 3
    first = Merchant.objects.get(store_name="鳥取食堂1号店")
    assert first.bank_accounts.get().account_number == "0123456"
    second = Merchant.objects.get(store_name="鳥取食堂2号店")
    assert (second.genre, second.area, second.business_form) == ("sushi", "west", "corporation")
    assert Merchant.objects.get(store_name="鳥取食堂3号店").takeout is False


def test_one_bad_row_imports_nothing_and_the_preview_names_row_and_column(clerk, campaign, mizuho):
    rows = [row(1), row(2), row(3, account_number="12345")]
    preview = upload(clerk, csv_bytes(JAPANESE, rows, "cp932"), "list.csv")
    body = preview.content.decode()
    assert preview.status_code == 200
    assert "Row 4, column 口座番号: The account number must be exactly 7 digits" in body
    assert "1 of 3 rows has errors; nothing was imported." in body
    assert 'name="token"' not in body
    assert Merchant.objects.count() == 0 and BankAccount.objects.count() == 0


def test_the_service_refuses_the_whole_list_for_one_bad_row(campaign, mizuho, bob):
    keys = [column.key for column in IMPORT_COLUMNS]
    rows = [dict(zip(keys, row(n), strict=True)) for n in (1, 2)]
    rows.append(dict(zip(keys, row(3, branch_code="999", genre="フレンチ", holder_name="山根花子"), strict=True)))
    before = Merchant.objects.count()
    with pytest.raises(services.MerchantImportError) as caught:
        services.merchants_import(actor=bob, campaign=campaign, rows=rows)
    messages = [str(error) for error in caught.value.errors]
    assert any(m.startswith("Row 4, column 支店コード:") for m in messages), messages
    assert any(m.startswith("Row 4, column ジャンル:") and "フレンチ" in m for m in messages), messages
    assert any(m.startswith("Row 4, column 口座名義:") and "kanji" in m for m in messages), messages
    assert {error.line for error in caught.value.errors} == {4}
    assert Merchant.objects.count() == before
    assert not AuditEvent.objects.filter(action="merchant.import").exists()


def test_rows_repeating_a_store_are_refused(campaign, mizuho):
    table = import_file_read(csv_bytes(JAPANESE, [row(1), row(1, email="x@example.jp")], "utf-8"), "a.csv")
    _cleaned, errors = services.merchants_import_check(table)
    assert [str(e) for e in errors] == ["Row 3, column 店舗名: The same store (name and address) is already in row 2."]


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"", "empty.csv", "The submitted file is empty."),
    (b"\r\n\r\n", "blank.csv", "The file is empty"),
    ("店舗名\r\n".encode(), "header.csv", "Required columns are missing"),
    ("店舗名,好きな色\r\nカフェ,青\r\n".encode("cp932"), "odd.csv", "Unknown column"),
    ("店舗名,住所\r\nカフェ,鳥取\r\n".encode(), "short.csv", "Required columns are missing"),
    (",".join(JAPANESE).encode() + b'\r\n"' + b"x" * 200_000, "huge.csv", "The CSV file could not be read"),
    (b"\x00\x01", "list.xls", "Upload an Excel workbook (.xlsx) or a CSV file"),
    (b"PK\x03\x04broken", "list.xlsx", "The Excel file could not be read"),
])
def test_a_file_that_is_not_in_the_import_format_is_explained(clerk, campaign, mizuho, content, name, message):
    response = upload(clerk, content, name)
    assert response.status_code == 200 and message in response.content.decode()
    assert Merchant.objects.count() == 0


def test_a_list_longer_than_the_limit_is_refused(mizuho):
    rows = [row(1)] * (IMPORT_MAX_ROWS + 1)
    with pytest.raises(services.MerchantImportError, match="more than 5,000 rows"):
        import_file_read(csv_bytes(JAPANESE, rows, "utf-8"), "big.csv")


def test_the_preview_belongs_to_the_clerk_who_uploaded_it(clerk, client, settings, campaign, mizuho):
    preview = upload(clerk, csv_bytes(JAPANESE, [row(1)], "utf-8"), "list.csv")
    token = re.search(r'name="token" value="([^"]+)"', preview.content.decode()).group(1)
    verified_login(client, make_staff("mika", "secretariat_manager"))
    response = client.post(reverse("merchants:import_confirm"), {"token": token, "confirm": "on"}, follow=True)
    assert "expired or belongs to someone else" in response.content.decode()
    response = client.post(reverse("merchants:import_confirm"), {"token": token + "x", "confirm": "on"})
    assert response.status_code == 302 and Merchant.objects.count() == 0


def test_the_template_lists_every_column_and_its_example_row_imports(clerk, campaign, mizuho):
    response = clerk.get(reverse("merchants:import_template"), {"format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [cell.value for cell in sheet[1]] == JAPANESE
    table = import_file_read(response.content, "template.xlsx")
    cleaned, errors = services.merchants_import_check(table)
    assert errors == [] and len(cleaned) == 1
    csv_template = clerk.get(reverse("merchants:import_template"), {"format": "csv"})
    assert csv_template.content.startswith(b"\xef\xbb\xbf")
    page = clerk.get(reverse("merchants:import")).content.decode()
    assert "5,000" in page and all(column.ja in page for column in IMPORT_COLUMNS)
