"""The applicant screens: list and search, history with undo after a confirmation, import preview and accept,
registration, counter sale, set-up, exports; who may open them; every view of personal data in the audit log;
and the resident's entry with a link code."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from campaign import roles
from campaign.models import AuditEvent, Job
from reservations import services
from reservations import services_applicants as applicants
from reservations.linkcodes import ALPHABET, format_code, new_code
from reservations.models import Applicant, CounterSale, ProgressEvent, Reservation
from reservations.selectors_applicants import current_status
from tests.conftest import make_staff
from tests.reservations.applicant_helpers import applicant_settings, make_applicant
from tests.reservations.fixtures import make_slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(resv):
    applicant_settings(resv["campaign"])
    return resv


@pytest.fixture
def counter_user(db):
    return make_staff("kana", roles.COUNTER_STAFF)


def test_the_list_searches_and_logs_the_viewing(world, staff_client, counter_user):
    make_applicant(world["campaign"], counter_user)
    make_applicant(world["campaign"], counter_user, name="米子 太郎", kana="ヨナゴ タロウ")
    client = staff_client(counter_user)
    page = client.get(reverse("reservations:applicant_list"), {"name": "よなご"}).content.decode()
    assert "米子 太郎" in page and "鳥取 花子" not in page
    assert AuditEvent.objects.filter(action="applicant.search", actor=counter_user).exists()


def test_staff_record_a_status_and_undo_it_after_confirming(world, staff_client, counter_user):
    a = make_applicant(world["campaign"], counter_user)
    client = staff_client(counter_user)
    applicants.progress_append(applicant=a, status="notice_sent", actor=counter_user)
    client.post(reverse("reservations:applicant_status", args=[a.pk]), {"status": "returned", "note": "宛所不明"})
    assert current_status(a).code == "returned"
    event = ProgressEvent.objects.get(applicant=a, status__code="returned")
    confirm = client.get(reverse("reservations:applicant_event_undo", args=[event.pk]))
    assert confirm.status_code == 200 and "郵便返戻" in confirm.content.decode()
    assert current_status(a).code == "returned"  # nothing happens on the confirmation page
    response = client.post(reverse("reservations:applicant_event_undo", args=[event.pk]), {"note": "誤り"},
                           follow=True)
    page = response.content.decode()
    assert current_status(a).code == "notice_sent"
    assert ProgressEvent.objects.filter(applicant=a).count() == 3
    assert page.count("郵便返戻") >= 2  # the entry and its undo are both listed
    assert AuditEvent.objects.filter(action="applicant.view", target_id=str(a.pk)).exists()


def test_an_auditor_or_a_merchant_never_sees_applicants(world, staff_client, carol, client, dave):
    a = make_applicant(world["campaign"])
    assert staff_client(carol).get(reverse("reservations:applicant_detail", args=[a.pk])).status_code == 403
    client.force_login(dave)
    assert client.get(reverse("reservations:applicant_list")).status_code == 403


def test_an_operator_may_read_but_not_change(world, staff_client):
    operator = make_staff("ope", roles.OPERATOR)
    a = make_applicant(world["campaign"])
    client = staff_client(operator)
    assert client.get(reverse("reservations:applicant_detail", args=[a.pk])).status_code == 200
    assert client.post(reverse("reservations:applicant_status", args=[a.pk]), {"status": "returned"}).status_code == 403
    assert not ProgressEvent.objects.exists()


def test_import_preview_shows_each_bad_row_and_imports_nothing(world, staff_client, counter_user):
    client = staff_client(counter_user)
    content = ("氏名,フリガナ,郵便番号,住所\r\n鳥取 花子,トットリ ハナコ,6800011,鳥取市\r\n"
               ",ヨナゴ,123,米子市\r\n").encode("cp932")
    response = client.post(reverse("reservations:applicant_import"),
                           {"file": SimpleUploadedFile("list.csv", content, content_type="text/csv")})
    page = response.content.decode()
    assert response.status_code == 400
    assert "取り込んでいません" in page or "Nothing has been imported" in page
    assert "<td>3</td>" in page and 'name="token"' not in page
    assert Applicant.objects.count() == 0


def test_import_preview_then_accept(world, staff_client, counter_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = staff_client(counter_user)
    content = "氏名,フリガナ,郵便番号,住所\r\n鳥取 花子,トットリ ハナコ,6800011,鳥取市\r\n".encode("utf-8-sig")
    response = client.post(reverse("reservations:applicant_import"),
                           {"file": SimpleUploadedFile("list.csv", content, content_type="text/csv")})
    assert response.status_code == 200 and Applicant.objects.count() == 0
    token = response.context["token"]
    client.post(reverse("reservations:applicant_import_accept"), {"token": token})
    assert Applicant.objects.get().name == "鳥取 花子"
    # The token is single-use: the file is gone.
    client.post(reverse("reservations:applicant_import_accept"), {"token": token})
    assert Applicant.objects.count() == 1


def test_register_and_edit_through_the_configured_form(world, staff_client, counter_user):
    client = staff_client(counter_user)
    response = client.post(reverse("reservations:applicant_create"), {"name": "", "kana": "abc"})
    assert response.status_code == 200 and Applicant.objects.count() == 0
    page = client.get(reverse("reservations:applicant_create")).content.decode()
    assert "フリガナ" in page  # the alias label of the set-up
    client.post(reverse("reservations:applicant_create"), {"name": "倉吉 次郎", "postal_code": "6820000",
                                                           "resident_number": "R-7"})
    a = Applicant.objects.get()
    assert (a.name, a.postal_code, a.resident_number) == ("倉吉 次郎", "682-0000", "R-7")
    client.post(reverse("reservations:applicant_edit", args=[a.pk]), {"name": "倉吉 二郎", "postal_code": "6820000"})
    a.refresh_from_db()
    assert a.name == "倉吉 二郎" and a.resident_number == ""


def test_export_and_print_start_jobs(world, staff_client, counter_user, settings, tmp_path,
                                     django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    a = make_applicant(world["campaign"], counter_user)
    applicants.progress_append(applicant=a, status="returned", actor=counter_user)
    http = staff_client(counter_user)

    class Client:  # every POST runs the job it starts, as the worker would after the commit
        def post(self, *args, **kwargs):
            with django_capture_on_commit_callbacks(execute=True):
                return http.post(*args, **kwargs)

    client = Client()
    client.post(reverse("reservations:applicant_export"), {"format": "csv_cp932", "status": "returned"})
    job = Job.objects.get(kind="applicants_export")
    assert job.status == Job.Status.SUCCEEDED
    text = job.result_file.open("rb").read().decode("cp932")
    assert "鳥取 花子" in text and "郵便返戻" in text and format_code(a.link_code) in text
    client.post(reverse("reservations:applicant_export"), {"format": "csv_utf8"})
    assert Job.objects.filter(kind="applicants_export").count() == 2
    assert Job.objects.filter(kind="applicants_export").order_by("id").last().result_file.open("rb").read()[:3] \
        == b"\xef\xbb\xbf"
    client.post(reverse("reservations:applicant_export"), {"format": "xlsx"})
    client.post(reverse("reservations:applicant_print"), {"what": "labels", "sheet": "24"})
    # Letters start only from their confirmation, with the numbers shown (tests/reservations/test_letters_fixes.py).
    settings.SITE_URL = "https://reserve.example.jp"
    client.post(reverse("reservations:applicant_print"), {"what": "letters", "step": "print", "confirm": "on",
                                                          "expected_letters": "1", "expected_excluded": "0"})
    assert set(Job.objects.values_list("kind", "status").distinct()) == {
        ("applicants_export", "succeeded"), ("applicant_labels", "succeeded"), ("applicant_letters", "succeeded")}


def test_bulk_status_for_everyone_found(world, staff_client, counter_user):
    for i in range(3):
        make_applicant(world["campaign"], counter_user, name=f"一括 {i}")
    make_applicant(world["campaign"], counter_user, name="別人")
    client = staff_client(counter_user)
    client.post(reverse("reservations:applicant_bulk_status"), {"name": "一括", "bulk-status": "notice_sent",
                                                                "bulk-confirm": "on"})
    assert ProgressEvent.objects.filter(status__code="notice_sent").count() == 3


def test_counter_sale_moves_the_books_and_records_handed_over(world, staff_client, printed, bob, marui, thousand):
    from vouchers import services as voucher_services
    from vouchers.movements import BookRange

    counter_user = make_staff("uriba", roles.COUNTER_STAFF)
    today = timezone.localdate()
    delivery = voucher_services.delivery_dispatch(actor=bob, outlet=marui, delivery_date=today,
                                                  ranges=[BookRange(1, 10)])
    voucher_services.delivery_confirm(actor=bob, delivery=delivery, received_by="店長", confirmed_on=today)
    applicants.counter_outlet_set(counter=world["main"], outlet=marui, actor=bob)
    a = make_applicant(world["campaign"], counter_user)
    client = staff_client(counter_user)
    client.post(reverse("reservations:applicant_sale", args=[a.pk]), {"counter": world["main"].pk,
                                                                      "ranges": "3-4"})
    sale = CounterSale.objects.get()
    assert (sale.books, sale.amount, sale.applicant) == (2, 20000, a)
    assert current_status(a).code == "handed_over"
    # A book that is not at the outlet: nothing sold, no entry.
    client.post(reverse("reservations:applicant_sale", args=[a.pk]), {"counter": world["main"].pk, "ranges": "50"})
    assert CounterSale.objects.count() == 1
    assert ProgressEvent.objects.filter(applicant=a).count() == 1


def test_setup_renames_statuses_and_saves_the_letter(world, staff_client, alice):
    client = staff_client(alice)
    assert client.get(reverse("reservations:applicant_setup")).status_code == 200
    client.post(reverse("reservations:applicant_setup"), {"action": "label", "label-code": "returned",
                                                           "label-label": "返戻", "label-sort_order": "20",
                                                           "label-is_active": "on"})
    assert applicants.status_get("returned").label == "返戻"
    response = client.post(reverse("reservations:applicant_setup"), {
        "action": "letter", "letter-title": "ご案内", "letter-body": "{nmae} 様", "letter-sender": ""})
    assert "nmae" in response.content.decode()
    client.post(reverse("reservations:applicant_setup"), {
        "action": "letter", "letter-title": "ご案内", "letter-body": "{name} 様 {link_code}", "letter-sender": "",
        "letter-deadline": "2026-12-25"})
    from reservations.models import LetterTemplate

    assert LetterTemplate.objects.get().body == "{name} 様 {link_code}"


def test_a_resident_books_with_the_link_code_from_the_letter(world, client):
    a = make_applicant(world["campaign"], phone="0857-00-1234")
    slot = make_slot(world["main"])
    assert client.get("/reserve/code/XXXX-XXXX/").status_code == 400
    response = client.get(f"/reserve/code/{format_code(a.link_code)}/", follow=True)
    assert "リンクコード" in response.content.decode() or "link code" in response.content.decode()
    form = client.get(f"/reserve/slots/{slot.pk}/book/")
    assert "鳥取 花子" in form.content.decode()  # pre-filled from the applicant
    answers = {"name": "鳥取 花子", "phone": "0857-00-1234"}
    confirm = client.post(f"/reserve/slots/{slot.pk}/book/", answers)
    token = confirm.context["token"]
    done = client.post(f"/reserve/slots/{slot.pk}/book/", {**answers, "step": "confirm", "token": token})
    assert done.status_code == 302
    a.refresh_from_db()
    assert a.reservation_id == Reservation.objects.get().pk and current_status(a).code == "reserved"
    again = client.post("/reserve/code/", {"code": a.link_code})
    assert again.status_code == 400


def test_a_link_code_lookup_is_rate_limited(world, client, settings, steady_rate_window):
    settings.RESERVATION_LOOKUP_RATE = 2
    for _i in range(2):
        client.post("/reserve/code/", {"code": "AAAA-BBBB-CCCC-DDDD-E"})
    response = client.post("/reserve/code/", {"code": "AAAA-BBBB-CCCC-DDDD-E"})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0


# --- proxy booking with the link code read out on the phone ------------------------------------------------

def _proxy_book(client, world, slot, code: str, token: str):
    return client.post(f"/staff/reservations/book/?counter={world['main'].pk}&day={slot.day}",
                       {"name": "鳥取 花子", "phone": "0857-00-1234", "slot": slot.pk, "token": token,
                        "applicant-link_code": code})


def _nothing_booked(slot, applicant) -> None:
    slot.refresh_from_db()
    applicant.refresh_from_db()
    assert Reservation.objects.count() == 0 and slot.booked == 0
    assert applicant.reservation_id is None
    assert not ProgressEvent.objects.filter(applicant=applicant, status__code="reserved").exists()
    assert not AuditEvent.objects.filter(action="reservation.book").exists()


def test_staff_book_with_the_link_code_and_the_applicant_is_reserved_once(world, staff_client, counter_user):
    a = make_applicant(world["campaign"], counter_user)
    applicants.progress_append(applicant=a, status="notice_sent", actor=counter_user)
    slot = make_slot(world["main"])
    client = staff_client(counter_user)
    form = client.get("/staff/reservations/book/", {"counter": world["main"].pk, "day": slot.day.isoformat()})
    assert 'name="applicant-link_code"' in form.content.decode()
    # Read out on the phone: no hyphens, lower case, a full-width space.
    response = _proxy_book(client, world, slot, a.link_code[:8].lower() + "\u3000" + a.link_code[8:], "t1")
    assert response.status_code == 302
    r = Reservation.objects.get()
    a.refresh_from_db()
    assert a.reservation_id == r.pk and r.channel == "staff" and r.booked_by == counter_user
    assert current_status(a).code == "reserved"
    assert list(ProgressEvent.objects.filter(applicant=a, status__code="reserved").values_list(
        "kind", "actor", "reservation_id_ref")) == [("set", counter_user.pk, r.pk)]
    page = client.get(response["Location"]).content.decode()
    assert format_code(a.link_code) in page and "予約済み" in page
    # The same form sent again (a double click) is the same booking, not a second "reserved".
    assert _proxy_book(client, world, slot, a.link_code, "t1").status_code == 302
    assert Reservation.objects.count() == 1
    assert ProgressEvent.objects.filter(applicant=a, status__code="reserved").count() == 1


@pytest.mark.parametrize("kind", ["check_character", "unknown", "too_short"])
def test_a_wrong_link_code_is_refused_and_nothing_is_saved(world, staff_client, counter_user, kind):
    a = make_applicant(world["campaign"], counter_user)
    slot = make_slot(world["main"])
    last = a.link_code[-1]
    typed = {"check_character": a.link_code[:-1] + next(ch for ch in ALPHABET if ch != last),
             "unknown": format_code(new_code()), "too_short": a.link_code[:-1]}[kind]
    response = _proxy_book(staff_client(counter_user), world, slot, typed, f"t-{kind}")
    assert response.status_code == 200
    page = response.content.decode()
    if kind == "unknown":
        assert "このリンクコードの対象者はこの事業に登録されていません" in page
    else:
        assert "リンクコードが正しくありません" in page
    assert f'value="{typed}"' in page  # kept in the field to be corrected
    _nothing_booked(slot, a)


def test_a_link_code_already_booked_cannot_book_again(world, staff_client, counter_user):
    a = make_applicant(world["campaign"], counter_user)
    slot = make_slot(world["main"])
    first = services.reservation_book(slot_id=slot.pk, answers={"name": "鳥取 花子"}, channel="web", applicant=a.pk)
    other = make_slot(world["station"])
    client = staff_client(counter_user)
    response = client.post(f"/staff/reservations/book/?counter={world['station'].pk}&day={other.day}",
                           {"name": "鳥取 花子", "slot": other.pk, "token": "t2",
                            "applicant-link_code": format_code(a.link_code)})
    assert response.status_code == 200
    assert f"このリンクコードはすでに予約 {first.reservation_id} に使われています" in response.content.decode()
    other.refresh_from_db()
    a.refresh_from_db()
    assert Reservation.objects.count() == 1 and other.booked == 0 and a.reservation_id == first.reservation_id
    assert ProgressEvent.objects.filter(applicant=a, status__code="reserved").count() == 1
    assert not AuditEvent.objects.filter(action="reservation.book").exists()  # the staff booking rolled back


def test_the_purge_task_blanks_due_applicants(world):
    from reservations.tasks import purge_expired_applicants

    a = make_applicant(world["campaign"])
    Applicant.objects.filter(pk=a.pk).update(retention_until=timezone.localdate() - timedelta(days=1))
    assert purge_expired_applicants() == 1
    a.refresh_from_db()
    assert a.name == "" and a.personal_data_purged_at
