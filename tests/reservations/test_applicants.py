"""Applicants: link codes, the field configuration, progress entries with undo, booking with the link code,
arrival, search, import all-or-nothing, and the retention purge."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.utils import InternalError, ProgrammingError
from django.utils import timezone
from openpyxl import Workbook

from campaign.models import AuditEvent
from reservations import linkcodes, services
from reservations import services_applicants as applicants
from reservations.errors import ReservationError
from reservations.fields import FieldErrors
from reservations.imports_applicants import ImportRejected, applicants_import, preview_import
from reservations.models import Applicant, ProgressEvent, Reservation
from reservations.selectors_applicants import ApplicantFilter, current_status, search, with_current_status
from tests.reservations.applicant_helpers import applicant_settings, make_applicant
from tests.reservations.fixtures import ANSWERS, make_slot, open_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(resv):
    applicant_settings(resv["campaign"])
    return resv


# --- link codes --------------------------------------------------------------------------------------------

def test_a_link_code_has_80_random_bits_and_a_check_character():
    codes = {linkcodes.new_code() for _i in range(2000)}
    assert len(codes) == 2000
    code = codes.pop()
    assert len(code) == 17 and linkcodes.is_valid(code)
    assert set(code) <= set(linkcodes.ALPHABET)
    assert linkcodes.RANDOM_CHARS * 5 >= 80


@pytest.mark.parametrize("body", ["X8Z0M68JF3A3J54E", "0000000000000000", "ZZZZZZZZZZZZZZZZ", "0Z0Z0Z0Z0Z0Z0Z0Z",
                                  None, None, None])
def test_every_single_typo_and_neighbour_swap_is_caught(body):
    code = body + linkcodes.check_char(body) if body else linkcodes.new_code()
    assert linkcodes.is_valid(code)
    for i in range(len(code)):
        for ch in linkcodes.ALPHABET:
            if ch != code[i]:
                assert not linkcodes.is_valid(code[:i] + ch + code[i + 1:])
    for i in range(len(code) - 1):
        if code[i] != code[i + 1]:
            assert not linkcodes.is_valid(code[:i] + code[i + 1] + code[i] + code[i + 2:])


def test_a_typed_code_is_read_generously():
    code = linkcodes.new_code()
    typed = "ｰ".join(linkcodes.format_code(code).lower().split("-")).replace("0", "o").replace("1", "l")
    assert linkcodes.normalize(typed) == code


# --- applicants and the field configuration -------------------------------------------------------------------

def test_an_applicant_gets_a_unique_code_and_follows_the_field_configuration(world, bob):
    a = make_applicant(world["campaign"], bob, postal_code="6800011", kana="とっとり はなこ")
    assert linkcodes.is_valid(a.link_code)
    assert a.postal_code == "680-0011" and a.kana == "トットリ ハナコ"
    assert a.retention_until > timezone.localdate()
    with pytest.raises(FieldErrors) as exc:
        make_applicant(world["campaign"], bob, name="", phone="12345")
    assert set(exc.value.errors) == {"name", "phone"}
    # A field the set-up does not use is refused here as it is on the booking form.
    open_settings(world["campaign"], basic_fields={"name": {"use": "required"}})
    with pytest.raises(FieldErrors) as exc:
        make_applicant(world["campaign"], bob)
    assert set(exc.value.errors) == {"kana", "postal_code", "address"}


def test_the_system_works_with_no_applicant_data_at_all(resv, bob):
    open_settings(resv["campaign"], basic_fields={"name": {"use": "unused"}})
    a = applicants.applicant_create(campaign=resv["campaign"], actor=bob, values={})
    assert a.name == "" and linkcodes.is_valid(a.link_code)
    applicants.progress_append(applicant=a, status="notice_sent", actor=bob)
    assert current_status(a).code == "notice_sent"


def test_a_resident_id_is_registered_once_per_campaign(world, bob):
    make_applicant(world["campaign"], bob, resident_number="R-1")
    with pytest.raises(FieldErrors) as exc:
        make_applicant(world["campaign"], bob, resident_number="R-1")
    assert "resident_number" in exc.value.errors
    assert Applicant.objects.count() == 1


# --- progress ---------------------------------------------------------------------------------------------

def test_undo_keeps_both_entries_and_restores_the_derived_status(world, bob):
    a = make_applicant(world["campaign"], bob)
    first = applicants.progress_append(applicant=a, status="notice_sent", actor=bob)
    returned = applicants.progress_append(applicant=a, status="returned", actor=bob, note="宛所不明")
    assert current_status(a).code == "returned"
    undo = applicants.progress_undo(event=returned, actor=bob, note="誤操作")
    events = list(ProgressEvent.objects.filter(applicant=a).order_by("id"))
    assert [(e.kind, e.status.code) for e in events] == [("set", "notice_sent"), ("set", "returned"),
                                                        ("undo", "returned")]
    assert undo.cancels_id == returned.pk and events[2].actor == bob and events[2].occurred_at
    assert current_status(a).code == "notice_sent"
    annotated = with_current_status(Applicant.objects.filter(pk=a.pk)).get()
    assert annotated.current_status_id == first.status_id
    # Undoing the first as well leaves no status; an entry is undone at most once.
    applicants.progress_undo(event=first, actor=bob)
    assert current_status(a) is None
    with pytest.raises(ReservationError):
        applicants.progress_undo(event=first, actor=bob)
    with pytest.raises(ReservationError):
        applicants.progress_undo(event=undo, actor=bob)
    assert ProgressEvent.objects.filter(applicant=a).count() == 4
    assert AuditEvent.objects.filter(action="applicant.progress_undo").count() == 2


def test_progress_entries_can_never_be_changed_or_deleted(world, bob):
    a = make_applicant(world["campaign"], bob)
    event = applicants.progress_append(applicant=a, status="notice_sent", actor=bob)
    for statement in ("UPDATE reservations_progressevent SET note = 'x' WHERE id = %s",
                      "DELETE FROM reservations_progressevent WHERE id = %s"):
        with pytest.raises((InternalError, ProgrammingError)), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])
    assert ProgressEvent.objects.get(pk=event.pk).note == ""


def test_renamed_labels_show_on_past_entries(world, alice, bob):
    a = make_applicant(world["campaign"], bob)
    applicants.progress_append(applicant=a, status="handed_over", actor=bob)
    applicants.status_label_save(actor=alice, code="handed_over", label="引換済み", sort_order=50, is_active=False)
    assert current_status(a).label == "引換済み"
    assert current_status(a).is_active  # system statuses stay in use
    custom = applicants.status_label_save(actor=alice, code="card_arrived", label="カード到着", sort_order=5,
                                          is_active=True)
    applicants.progress_append(applicant=a, status=custom, actor=bob)
    applicants.status_label_save(actor=alice, code="card_arrived", label="カード到着", sort_order=5, is_active=False)
    with pytest.raises(ReservationError):
        applicants.progress_append(applicant=a, status="card_arrived", actor=bob)


# --- booking with the link code, arrival, cancellation -----------------------------------------------------

def test_booking_with_the_link_code_appends_reserved_once_and_arrival_appends_visited(world, bob):
    a = make_applicant(world["campaign"], bob)
    slot = make_slot(world["main"])
    result = services.reservation_book(slot_id=slot.pk, answers=ANSWERS, channel="web", applicant=a.pk)
    a.refresh_from_db()
    assert a.reservation_id == result.reservation_id
    assert current_status(a).code == "reserved"
    with pytest.raises(ReservationError) as exc:
        services.reservation_book(slot_id=slot.pk, answers={**ANSWERS, "phone": "0857-00-9999"}, channel="web",
                                  applicant=a.pk)
    assert exc.value.code == "link_used"
    slot.refresh_from_db()
    assert slot.booked == 1 and Reservation.objects.count() == 1  # the refused booking left nothing
    services.reservation_arrive(reservation=Reservation.objects.get(), actor=bob)
    assert current_status(a).code == "visited"
    assert list(ProgressEvent.objects.filter(applicant=a).values_list("status__code", "reservation_id_ref")) == [
        ("reserved", result.reservation_id), ("visited", result.reservation_id)]


def test_a_cancelled_booking_undoes_reserved_and_frees_the_code(world, bob):
    a = make_applicant(world["campaign"], bob)
    applicants.progress_append(applicant=a, status="notice_sent", actor=bob)
    slot = make_slot(world["main"])
    result = services.reservation_book(slot_id=slot.pk, answers=ANSWERS, channel="web", applicant=a.pk)
    services.reservation_cancel(reservation=Reservation.objects.get(pk=result.reservation_id))
    a.refresh_from_db()
    assert a.reservation_id is None
    assert current_status(a).code == "notice_sent"
    assert ProgressEvent.objects.filter(applicant=a, kind="undo").count() == 1
    again = services.reservation_book(slot_id=slot.pk, answers=ANSWERS, channel="web", applicant=a.pk)
    a.refresh_from_db()
    assert a.reservation_id == again.reservation_id and current_status(a).code == "reserved"


def test_a_code_of_another_campaign_does_not_book(world, bob):
    from campaign.models import Campaign

    other = Campaign.objects.create(code="OTHER", name="他", prefecture="31", serial_prefix=13,
                                    sales_start=world["campaign"].sales_start, sales_end=world["campaign"].sales_end,
                                    usage_start=world["campaign"].usage_start, usage_end=world["campaign"].usage_end,
                                    settlement_deadline=world["campaign"].settlement_deadline)
    applicant_settings(other)
    a = make_applicant(other, bob)
    slot = make_slot(world["main"])
    with pytest.raises(ReservationError):
        services.reservation_book(slot_id=slot.pk, answers=ANSWERS, channel="web", applicant=a.pk)
    assert Reservation.objects.count() == 0


# --- search -----------------------------------------------------------------------------------------------

def test_search_by_status_period_name_kana_and_link_code(world, bob):
    c = world["campaign"]
    hanako = make_applicant(c, bob)
    taro = make_applicant(c, bob, name="米子 太郎", kana="ヨナゴ タロウ", resident_number="R-2")
    jiro = make_applicant(c, bob, name="倉吉 次郎", kana="クラヨシ ジロウ")
    applicants.progress_append(applicant=hanako, status="notice_sent", actor=bob)
    applicants.progress_append(applicant=taro, status="notice_sent", actor=bob)
    returned = applicants.progress_append(applicant=taro, status="returned", actor=bob)
    ids = lambda **kw: sorted(a.pk for a in search(c, ApplicantFilter(**kw)))  # noqa: E731
    assert ids(status="returned") == [taro.pk]
    assert ids(status="notice_sent") == [hanako.pk]
    assert ids(status="none") == [jiro.pk]
    applicants.progress_undo(event=returned, actor=bob)
    assert ids(status="notice_sent") == [hanako.pk, taro.pk]
    today = timezone.localdate()
    assert ids(status="notice_sent", date_from=today, date_to=today) == [hanako.pk, taro.pk]
    assert ids(status="notice_sent", date_to=today - timedelta(days=1)) == []
    assert ids(date_from=today) == [hanako.pk, taro.pk]
    assert ids(name="よなご") == [taro.pk]
    assert ids(name="次郎") == [jiro.pk]
    assert ids(link_code=linkcodes.format_code(jiro.link_code).lower()) == [jiro.pk]
    assert ids(resident_number="R-2") == [taro.pk]


# --- import -----------------------------------------------------------------------------------------------

HEADER = "住民ID,氏名,フリガナ,性別,生年月日,郵便番号,住所,電話番号,備考,世帯番号\r\n"


def _csv(rows: list[str], encoding="utf-8-sig") -> bytes:
    return (HEADER + "".join(r + "\r\n" for r in rows)).encode(encoding)


def test_a_good_cp932_file_imports_every_row_with_codes(world, bob):
    content = _csv(["A001,鳥取 花子,とっとり はなこ,女,昭和40年4月1日,6800011,鳥取県鳥取市東町1-220,0857-00-1111,,H1",
                    "A002,米子 太郎,ヨナゴ タロウ,男,1970/12/24,683-0823,鳥取県米子市加茂町2-1,,郵送希望,H2"],
                   encoding="cp932")
    preview = preview_import(campaign=world["campaign"], content=content)
    assert preview.ok and preview.total == 2 and preview.ignored == ["世帯番号"]
    assert applicants_import(campaign=world["campaign"], actor=bob, content=content) == 2
    hanako = Applicant.objects.get(resident_number="A001")
    assert (hanako.sex, hanako.birth_date.isoformat(), hanako.kana) == ("female", "1965-04-01", "トットリ ハナコ")
    assert linkcodes.is_valid(hanako.link_code)
    assert Applicant.objects.get(resident_number="A002").notes == "郵送希望"


def test_an_import_with_one_bad_row_imports_nothing_and_names_the_line(world, bob):
    make_applicant(world["campaign"], bob, resident_number="A009")
    before = list(Applicant.objects.values_list("pk", flat=True))
    content = _csv(["A001,鳥取 花子,トットリ ハナコ,女,1965-04-01,6800011,鳥取県鳥取市東町1-220,,,",
                    "A002,,ヨナゴ タロウ,男,1970-12-24,68308,鳥取県米子市,,,",
                    "A001,倉吉 次郎,クラヨシ ジロウ,男,1980-01-01,6820000,鳥取県倉吉市,,,",
                    "A009,境 三郎,サカイ サブロウ,男,1990-01-01,6840000,鳥取県境港市,,,"])
    with pytest.raises(ImportRejected) as exc:
        applicants_import(campaign=world["campaign"], actor=bob, content=content)
    errors = [(e.line, e.field) for e in exc.value.preview.errors]
    assert (3, "氏名") in errors or (3, "Full name") in errors
    assert any(line == 3 and "郵便番号" in field or field == "Postal code" for line, field in errors)
    assert any(line == 4 for line, _f in errors) and any(line == 5 for line, _f in errors)
    assert all(line != 2 for line, _f in errors)
    assert list(Applicant.objects.values_list("pk", flat=True)) == before
    assert not AuditEvent.objects.filter(action="applicant.import").exists()


def test_an_excel_list_imports_too(world, bob):
    wb = Workbook()
    ws = wb.active
    ws.append(["氏名", "フリガナ", "郵便番号", "住所", "リンクコード"])
    code = linkcodes.new_code()
    ws.append(["鳥取 花子", "トットリ ハナコ", "680-0011", "鳥取県鳥取市東町1-220", linkcodes.format_code(code)])
    ws.append(["米子 太郎", "ヨナゴ タロウ", 6830823, "鳥取県米子市加茂町2-1", None])
    buffer = io.BytesIO()
    wb.save(buffer)
    assert applicants_import(campaign=world["campaign"], actor=bob, content=buffer.getvalue()) == 2
    assert Applicant.objects.filter(link_code=code).exists()
    assert Applicant.objects.get(name="米子 太郎").postal_code == "683-0823"


def test_a_file_without_known_headings_is_refused(world, bob):
    with pytest.raises(ImportRejected):
        applicants_import(campaign=world["campaign"], actor=bob, content=b"a,b\r\n1,2\r\n")
    assert Applicant.objects.count() == 0


# --- retention --------------------------------------------------------------------------------------------

def test_personal_data_is_blanked_when_the_retention_date_passes(world, bob):
    a = make_applicant(world["campaign"], bob, resident_number="R-9", phone="0857-00-1234")
    applicants.progress_append(applicant=a, status="notice_sent", actor=bob)
    assert applicants.applicants_purge_personal_data(today=a.retention_until) == 0
    assert applicants.applicants_purge_personal_data(today=a.retention_until + timedelta(days=1)) == 1
    a.refresh_from_db()
    assert (a.name, a.kana, a.address, a.phone, a.resident_number, a.postal_code) == ("", "", "", "", "", "")
    assert a.personal_data_purged_at is not None
    assert ProgressEvent.objects.filter(applicant=a).count() == 1
    assert applicants.applicant_for_code(campaign_id=a.campaign_id, code=a.link_code) is None
