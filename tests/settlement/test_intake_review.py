"""After the reading: reconciliation with the slip, investigations and their decisions, release from review,
disposal — the services, then the staff screens a settlement clerk works through."""

from __future__ import annotations

import io
import re
from datetime import date

import pypdf
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from campaign import roles
from campaign.models import AuditEvent
from settlement import selectors_intake as selectors
from settlement import services
from settlement.intake import envelope_read
from settlement.models import Disposal, Envelope, Investigation, ReadOutcome, Redemption, SerialRead
from tests.conftest import PASSWORD, current_totp, make_staff, verified_login
from tests.settlement.test_intake import code, forged, received, scanner_file, sold_books  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def _totp(user) -> str:
    return current_totp(TOTPDevice.objects.get(user=user, confirmed=True))


def _state():
    return (Envelope.objects.values_list("status", "reconciled_at").order_by("pk").first(),
            Investigation.objects.values_list("status", "adjustment").order_by("pk").first(),
            Disposal.objects.count(), SerialRead.objects.count(), Redemption.objects.count())


def test_an_envelope_that_matches_its_slip_is_reconciled(received, alice):
    envelope_read(actor=alice, envelope=received, source="scanner",
                  content=scanner_file(*(code(1, t) for t in range(1, 11))))
    envelope = services.envelope_reconcile(actor=alice, envelope=received)
    assert envelope.status == Envelope.Status.RECONCILED
    assert envelope.reconciled_at is not None and envelope.review_reasons == []
    assert selectors.payable_amount(envelope) == 10_000
    assert not Investigation.objects.exists()
    assert AuditEvent.objects.filter(action="settlement.envelope_reconcile").count() == 1


def test_a_difference_or_a_rejected_ticket_puts_the_envelope_on_review(received, alice):
    content = scanner_file(code(1, 1), code(1, 2), forged(2, 1), code(1, 1), code(30, 1), code(5000, 1))
    envelope_read(actor=alice, envelope=received, source="scanner", content=content)
    envelope = services.envelope_reconcile(actor=alice, envelope=received)
    assert envelope.status == Envelope.Status.REVIEW and envelope.reconciled_at is None
    kinds = {(r["kind"], r.get("class")) for r in envelope.review_reasons}
    assert ("mismatch", None) in kinds and ("rejected", "bad_check") in kinds and ("count", None) in kinds
    mismatch = next(r for r in envelope.review_reasons if r["kind"] == "mismatch")
    assert (mismatch["declared"], mismatch["accepted"]) == (10, 2)
    # Repeats, unsold stock and bad check codes are investigated; a never-issued number is simply rejected.
    assert sorted(Investigation.objects.values_list("verification", flat=True)) == [
        "bad_check", "duplicate_in_batch", "unsold"]
    assert set(Investigation.objects.values_list("face_value", flat=True)) == {1000}
    assert envelope in selectors.envelopes(received.campaign, status="review")


def test_reconciling_twice_or_before_reading_is_refused(received, alice):
    with pytest.raises(services.ReviewError, match="no reading"):
        services.envelope_reconcile(actor=alice, envelope=received)
    envelope_read(actor=alice, envelope=received, source="manual", codes=[code(1, t) for t in range(1, 11)])
    services.envelope_reconcile(actor=alice, envelope=received)
    before = _state()
    with pytest.raises(services.ReviewError):
        services.envelope_reconcile(actor=alice, envelope=received)
    assert _state() == before


@pytest.fixture
def under_review(received, alice):
    envelope_read(actor=alice, envelope=received, source="scanner",
                  content=scanner_file(*(code(1, t) for t in range(1, 10)), forged(2, 1)))
    return services.envelope_reconcile(actor=alice, envelope=received)


def test_accepting_an_investigation_pays_the_face_value_and_is_audited(under_review, alice, bob):
    investigation = Investigation.objects.get()
    assert selectors.payable_amount(under_review) == 9_000
    with pytest.raises(services.ReviewError, match="reason"):
        services.investigation_decide(actor=alice, investigation=investigation, accept=True, reason="  ")
    assert Investigation.objects.get().status == "open"
    services.investigation_decide(actor=alice, investigation=investigation, accept=True,
                                  reason="Ticket inspected under UV: genuine, the scanner misread it.")
    investigation.refresh_from_db()
    assert (investigation.status, investigation.adjustment, investigation.decided_by) == ("accepted", 1000, alice)
    assert selectors.payable_amount(under_review) == 10_000
    event = AuditEvent.objects.get(action="settlement.investigation_accept")
    assert event.data["adjustment"] == 1000 and "UV" in event.data["reason"]
    before = _state()
    with pytest.raises(services.ReviewError, match="already decided"):
        services.investigation_decide(actor=bob, investigation=investigation, accept=False, reason="no")
    assert _state() == before


def test_rejecting_pays_nothing_and_release_needs_every_decision(under_review, alice):
    with pytest.raises(services.ReviewError, match="still open"):
        services.envelope_clear_review(actor=alice, envelope=under_review, reason="checked")
    services.investigation_decide(actor=alice, investigation=Investigation.objects.get(), accept=False,
                                  reason="Photocopy: the paper has no watermark.")
    assert selectors.payable_amount(under_review) == 9_000
    with pytest.raises(services.ReviewError, match="reason"):
        services.envelope_clear_review(actor=alice, envelope=under_review, reason="")
    # Alice read the tickets and decided the claim: releasing the short envelope is a second person's step.
    before = _state()
    with pytest.raises(services.ReviewError, match="a second person must release it"):
        services.envelope_clear_review(actor=alice, envelope=under_review, reason="Merchant called: a copy.")
    assert _state() == before
    rin = make_staff("rin", roles.SECRETARIAT_MANAGER)
    envelope = services.envelope_clear_review(actor=rin, envelope=under_review,
                                              reason="Merchant called: one ticket was a copy.")
    assert envelope.status == Envelope.Status.RECONCILED and envelope.reconciled_by == rin


def test_a_second_claim_of_one_ticket_is_never_paid(received, approved, alice, bob, thousand):
    # (This test used to accept the duplicate in the first envelope, paying one ticket twice there; a ticket is
    # paid once, so accepting any second claim is refused, naming the envelope that was paid.)
    envelope_read(actor=alice, envelope=received, source="manual", codes=[code(1, 1), code(1, 1)])
    services.envelope_reconcile(actor=alice, envelope=received)
    investigation = Investigation.objects.get(verification="duplicate_in_batch")
    with pytest.raises(services.ReviewError, match=f"already paid through envelope {received.number}"):
        services.investigation_decide(actor=alice, investigation=investigation, accept=True, reason="two claims ok")
    assert Investigation.objects.get(pk=investigation.pk).status == "open"
    assert selectors.payable_amount(received) == 1_000
    second = services.envelope_declare(actor=alice, merchant=approved, tickets={thousand: 1})
    services.envelope_receive(actor=alice, envelope=second, received_on=date(2026, 11, 3), seal_intact=True,
                              opened_with=bob, counted_tickets=1)
    envelope_read(actor=alice, envelope=second, source="manual", codes=[code(1, 1)])
    services.envelope_reconcile(actor=alice, envelope=second)
    again = Investigation.objects.get(envelope=second)
    with pytest.raises(services.ReviewError, match="a ticket is paid once"):
        services.investigation_decide(actor=alice, investigation=again, accept=True, reason="also fine?")
    assert Investigation.objects.get(pk=again.pk).status == "open"
    assert selectors.payable_amount(second) == 0


def test_disposal_needs_a_witness_and_processed_envelopes_once(under_review, received, alice, bob, campaign):
    kwargs = dict(actor=alice, campaign=campaign, disposed_on=date(2026, 11, 20), method="shredded")
    before = _state()
    with pytest.raises(services.ReviewError, match="not processed"):
        services.disposal_record(**kwargs, envelopes=[under_review], witness=bob)
    with pytest.raises(services.ReviewError, match="witness"):
        services.disposal_record(**kwargs, envelopes=[under_review], witness=alice)
    assert _state() == before
    services.investigation_decide(actor=alice, investigation=Investigation.objects.get(), accept=False, reason="copy")
    services.envelope_clear_review(actor=bob, envelope=under_review, reason="done")
    disposal = services.disposal_record(**kwargs, envelopes=[under_review], witness=bob)
    assert list(disposal.envelopes.all()) == [under_review]
    assert not selectors.disposable_envelopes(campaign).exists()
    with pytest.raises(services.ReviewError, match="already destroyed"):
        services.disposal_record(**kwargs, envelopes=[under_review], witness=bob)
    assert Disposal.objects.count() == 1


# --- the screens ---------------------------------------------------------------------------------------------

@pytest.fixture
def clerk(db):
    return make_staff("sato", roles.SETTLEMENT_CLERK)


@pytest.fixture
def declared(approved, sold_books, thousand):
    return services.envelope_declare(actor=approved.portal_user, merchant=approved, tickets={thousand: 4})


def test_a_clerk_receives_reads_and_reconciles_an_envelope_on_screen(client, clerk, bob, declared, campaign):
    verified_login(client, clerk)
    number = declared.number
    response = client.get(reverse("intake:find"), {"number": f"{number[:6]}-{number[6:]}"})
    assert response.status_code == 302 and response.url == reverse("intake:envelope", args=[number])
    full_width = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    response = client.get(reverse("intake:find"), {"number": f"{full_width[:6]}－{full_width[6:]}"})
    assert response.status_code == 302 and response.url == reverse("intake:envelope", args=[number])
    missing = client.get(reverse("intake:find"), {"number": "999999999999"})
    assert "No envelope 999999999999" in missing.content.decode()

    url = reverse("intake:receive", args=[number])
    receipt = {"received_on": "2026-11-02", "seal_intact": "yes", "counted_tickets": 4}

    def second(user) -> dict:  # the second person signs in on the clerk's screen
        return {"second-login": user.username, "second-password": PASSWORD, "second-token": _totp(user)}

    refused = client.post(url, {**receipt, **second(clerk)})
    assert refused.status_code == 400 and Envelope.objects.get().status == "declared"
    # Only people who may open envelopes can be the second person (Bob is a secretariat clerk).
    not_allowed = client.post(url, {**receipt, **second(bob)})
    assert not_allowed.status_code == 400 and Envelope.objects.get().status == "declared"
    eve = make_staff("eve", roles.SETTLEMENT_CLERK, last_name="鈴木", first_name="恵")
    client.post(url, {**receipt, **second(eve)})
    assert Envelope.objects.get().status == "received" and Envelope.objects.get().opened_with == eve
    assert "鈴木 恵" in client.get(reverse("intake:envelope", args=[number])).content.decode()  # a name, not "eve"

    # A file with an unreadable line: shown with its line number, nothing saved until the clerk accepts.
    content = scanner_file(code(1, 1), code(1, 2)[:-1] + "0" if code(1, 2)[-1] != "0" else code(1, 2)[:-1] + "1",
                           code(1, 3), "12abc")
    upload = client.post(reverse("intake:upload", args=[number]),
                         {"file": _file("scan.csv", content)})
    page = upload.content.decode()
    assert upload.status_code == 400 and "Line" in page and ">2<" in page and ">4<" in page
    assert "Nothing was saved" in page and SerialRead.objects.count() == 0
    token = upload.context["token"]
    accepted = client.post(reverse("intake:upload_accept", args=[number]), {"token": token}, follow=True)
    assert "2 unreadable lines were skipped" in accepted.content.decode()
    assert Redemption.objects.count() == 2

    # Keying by hand: a typo is refused with its line, nothing saved; then the right codes.
    typo = code(1, 4)[:-1] + str((int(code(1, 4)[-1]) + 1) % 10)
    keyed = client.post(reverse("intake:key", args=[number]), {"codes": f"{code(1, 2)}\n{typo}"})
    assert keyed.status_code == 400 and "Line 2" in keyed.content.decode()
    assert Redemption.objects.count() == 2
    client.post(reverse("intake:key", args=[number]), {"codes": f"{code(1, 2)}\n{code(1, 4)}"})
    assert Redemption.objects.count() == 4

    client.post(reverse("intake:reconcile", args=[number]))
    envelope = Envelope.objects.get()
    # 4 declared, 4 accepted, but two lines were skipped unread: the envelope goes to review.
    assert envelope.status == "review"
    review = client.get(reverse("intake:review")).content.decode()
    assert number in review and "unreadable lines skipped" in review
    # The clerk who keyed the tickets may not release the short envelope himself: a second person does.
    own = client.post(reverse("intake:release", args=[number]), {"reason": "Skipped lines were re-keyed."},
                      follow=True)
    assert "a second person must release it" in own.content.decode()
    assert Envelope.objects.get().status == "review"
    verified_login(client, make_staff("rin", roles.SECRETARIAT_MANAGER))
    release = client.post(reverse("intake:release", args=[number]), {"reason": "Skipped lines were re-keyed."})
    assert release.status_code == 302
    assert Envelope.objects.get().status == "reconciled"
    detail = client.get(reverse("intake:envelope", args=[number])).content.decode()
    assert "4,000円" in detail


def _file(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_the_same_file_twice_is_refused_on_screen(client, clerk, received):
    verified_login(client, clerk)
    content = scanner_file(code(1, 1))
    client.post(reverse("intake:upload", args=[received.number]), {"file": _file("a.csv", content)})
    before = _state()
    again = client.post(reverse("intake:upload", args=[received.number]), {"file": _file("b.csv", content)})
    assert again.status_code == 400 and "already read" in again.content.decode()
    assert "token" not in again.context or not again.context["token"]
    assert _state() == before


def test_investigation_screen_shows_evidence_and_records_the_decision(client, clerk, under_review):
    verified_login(client, clerk)
    listing = client.get(reverse("intake:investigations")).content.decode()
    investigation = Investigation.objects.get()
    assert investigation.outcome.code in listing
    url = reverse("intake:investigation", args=[investigation.pk])
    page = client.get(url).content.decode()
    assert "book-history" in page and "Sold" in page  # book 2 was delivered and sold: its history is shown
    refused = client.post(url, {"decision": "accept", "reason": ""})
    assert refused.status_code == 400 and Investigation.objects.get().status == "open"
    client.post(url, {"decision": "reject", "reason": "Photocopy."})
    assert Investigation.objects.get().status == "rejected"


def test_an_auditor_sees_intake_but_cannot_change_it(client, carol, under_review):
    verified_login(client, carol)
    investigation = Investigation.objects.get()
    assert client.get(reverse("intake:envelope", args=[under_review.number])).status_code == 200
    page = client.get(reverse("intake:investigation", args=[investigation.pk]))
    assert page.status_code == 200 and "Record the decision" not in page.content.decode()
    assert client.post(reverse("intake:investigation", args=[investigation.pk]),
                       {"decision": "accept", "reason": "x"}).status_code == 403
    assert client.post(reverse("intake:reconcile", args=[under_review.number])).status_code == 403
    assert Investigation.objects.get().status == "open"


def test_staff_create_a_claim_from_a_paper_slip(client, clerk, approved, thousand, five_hundred):
    verified_login(client, clerk)
    url = reverse("intake:claim")
    key = re.search(r'name="submit_key" value="([^"]+)"', client.get(url).content.decode()).group(1)
    refused = client.post(url, {"merchant_number": "00000000", "d1": 3, "submit_key": key})
    assert refused.status_code == 200 and "No merchant with number" in refused.content.decode()
    empty = client.post(url, {"merchant_number": approved.merchant_number, "d1": 0, "d2": 0, "submit_key": key})
    assert "at least one denomination" in empty.content.decode()
    # A form without its one-time key (an old page, a hand-made request) is refused.
    keyless = client.post(url, {"merchant_number": approved.merchant_number, "d1": 3, "d2": 2})
    assert keyless.status_code == 200 and "This form has expired" in keyless.content.decode()
    assert not Envelope.objects.exists()
    response = client.post(url, {"merchant_number": approved.merchant_number, "d1": 3, "d2": 2, "submit_key": key})
    envelope = Envelope.objects.get()
    assert response.url == reverse("intake:envelope", args=[envelope.number])
    assert envelope.declared_by == clerk
    # The same form sent again (a double click, the browser's resend) leads to the same envelope, not a second.
    again = client.post(url, {"merchant_number": approved.merchant_number, "d1": 3, "d2": 2, "submit_key": key})
    assert again.url == response.url and Envelope.objects.count() == 1
    assert AuditEvent.objects.filter(action="settlement.envelope_declare").count() == 1
    # A fresh form is a new slip.
    fresh = re.search(r'name="submit_key" value="([^"]+)"', client.get(url).content.decode()).group(1)
    assert fresh != key
    client.post(url, {"merchant_number": approved.merchant_number, "d1": 1, "submit_key": fresh})
    assert Envelope.objects.count() == 2
    slip = client.get(reverse("intake:slip", args=[envelope.number]))
    assert slip["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(slip.content)).pages)
    assert approved.merchant_number in text and "換金伝票" in text
    assert sorted(envelope.lines.values_list("declared_amount", flat=True)) == [1000, 3000]


def test_disposal_screen_records_with_confirmation(client, clerk, bob, received, alice, campaign):
    envelope_read(actor=alice, envelope=received, source="manual", codes=[code(1, t) for t in range(1, 11)])
    services.envelope_reconcile(actor=alice, envelope=received)
    verified_login(client, clerk)
    # Bob, a secretariat clerk, does not handle envelopes: he cannot witness their shredding.
    not_a_witness = client.post(reverse("intake:disposals"), {
        "disposed_on": "2026-11-20", "method": "shredded", "envelopes": [received.pk], "confirm": "on",
        "second-login": bob.username, "second-password": PASSWORD, "second-token": _totp(bob)})
    assert not_a_witness.status_code == 400 and not Disposal.objects.exists()
    eve = make_staff("eve", roles.SETTLEMENT_CLERK, last_name="鈴木", first_name="恵")
    data = {"disposed_on": "2026-11-20", "method": "shredded", "envelopes": [received.pk],
            "second-login": eve.username, "second-password": PASSWORD, "second-token": _totp(eve)}
    unconfirmed = client.post(reverse("intake:disposals"), data)
    assert unconfirmed.status_code == 400 and not Disposal.objects.exists()
    client.post(reverse("intake:disposals"), {**data, "confirm": "on"})
    disposal = Disposal.objects.get()
    assert disposal.witness == eve and disposal.recorded_by == clerk
    assert list(disposal.envelopes.all()) == [received]
    assert "shredded" in client.get(reverse("intake:disposals")).content.decode()


def test_rejected_serials_are_listed_per_class(client, clerk, under_review):
    verified_login(client, clerk)
    page = client.get(reverse("intake:envelope", args=[under_review.number])).content.decode()
    assert 'data-testid="rejected-bad_check">1<' in page
    assert ReadOutcome.objects.get().code in page
