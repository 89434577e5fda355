"""The second person at an opening or a disposal confirms by signing in on the first clerk's screen (password and
the current code of their own authenticator) — never by being picked from a list.

Sato (a settlement clerk) is at the desk; Eve (another settlement clerk) is the second person; Carol is the
auditor, who may not open envelopes."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from campaign import roles
from campaign.models import AuditEvent, LoginFailure
from settlement import services
from settlement.intake import envelope_read
from settlement.models import Disposal, Envelope
from tests.conftest import PASSWORD, current_totp, make_staff, verified_login
from tests.settlement.test_intake import code, received, sold_books  # noqa: F401

pytestmark = pytest.mark.django_db

REFUSED = "The second person could not be confirmed."


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def clerk(db):
    """Sato, the settlement clerk at the desk: the first person."""
    return make_staff("sato", roles.SETTLEMENT_CLERK, last_name="佐藤")


@pytest.fixture
def eve(db):
    """Eve, another settlement clerk: the second person."""
    return make_staff("eve", roles.SETTLEMENT_CLERK, last_name="鈴木", first_name="恵")


@pytest.fixture
def declared(approved, sold_books, thousand):
    return services.envelope_declare(actor=approved.portal_user, merchant=approved, tickets={thousand: 4})


def _code(user) -> str:
    return current_totp(TOTPDevice.objects.get(user=user, confirmed=True))


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def _receipt(login, password, token) -> dict:
    return {"received_on": "2026-11-02", "seal_intact": "yes", "counted_tickets": 4,
            "second-login": login, "second-password": password, "second-token": token}


def _failures():
    return list(AuditEvent.objects.filter(action="auth.second_person_failed")
                .values_list("actor__username", "target_label"))


def test_the_second_person_confirms_with_their_password_and_current_code(client, clerk, eve, declared):
    verified_login(client, clerk)
    response = client.post(reverse("intake:receive", args=[declared.number]),
                           _receipt("eve", PASSWORD, _code(eve)))
    assert response.status_code == 302
    envelope = Envelope.objects.get()
    assert envelope.status == "received" and (envelope.opened_by, envelope.opened_with) == (clerk, eve)
    assert _failures() == [] and not LoginFailure.objects.exists()
    # Eve is not signed in: the session is still Sato's.
    assert client.session["_auth_user_id"] == str(clerk.pk)
    assert "鈴木 恵" in client.get(reverse("intake:envelope", args=[declared.number])).content.decode()


def test_a_backup_code_of_the_second_person_also_confirms_and_is_used_up(client, clerk, eve, declared):
    device = StaticDevice.objects.create(user=eve, name="backup", confirmed=True)
    StaticToken.objects.create(device=device, token="12345678")
    verified_login(client, clerk)
    client.post(reverse("intake:receive", args=[declared.number]), _receipt("eve", PASSWORD, "1234 5678"))
    assert Envelope.objects.get().opened_with == eve
    assert not StaticToken.objects.exists()


@pytest.mark.parametrize("who", ["wrong password", "wrong code", "the first clerk", "the auditor", "nobody"])
def test_the_opening_is_refused_unless_the_second_person_is_confirmed(client, clerk, eve, carol, declared, who):
    login, password, token = {
        "wrong password": ("eve", PASSWORD + "x", _code(eve)),
        "wrong code": ("eve", PASSWORD, _wrong(_code(eve))),
        "the first clerk": ("sato", PASSWORD, _code(clerk)),
        "the auditor": ("carol", PASSWORD, _code(carol)),
        "nobody": ("mallory", PASSWORD, "123456"),
    }[who]
    verified_login(client, clerk)
    response = client.post(reverse("intake:receive", args=[declared.number]), _receipt(login, password, token))
    page = response.content.decode()
    assert response.status_code == 400 and REFUSED in page
    # The same words whatever was wrong.
    assert "password is not correct" not in page and "code is not correct" not in page
    envelope = Envelope.objects.get()
    assert envelope.status == "declared" and envelope.opened_by is None and envelope.opened_with is None
    assert _failures() == [("sato", login)]
    assert LoginFailure.objects.filter(username=login).count() == 1
    # The password typed is never shown back.
    assert PASSWORD not in page


def test_repeated_failures_lock_the_second_person_like_failed_sign_ins(client, clerk, eve, declared, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    verified_login(client, clerk)
    url = reverse("intake:receive", args=[declared.number])
    for _ in range(2):
        assert client.post(url, _receipt("eve", "guess", "000000")).status_code == 400
    locked = client.post(url, _receipt("eve", PASSWORD, _code(eve)))
    assert locked.status_code == 400 and "Too many failed attempts" in locked.content.decode()
    assert Envelope.objects.get().status == "declared"
    assert len(_failures()) == 3 and LoginFailure.objects.count() == 2


def test_the_second_person_is_not_checked_while_the_rest_of_the_form_is_wrong(client, clerk, eve, declared):
    verified_login(client, clerk)
    url = reverse("intake:receive", args=[declared.number])
    token = _code(eve)
    incomplete = client.post(url, {**_receipt("eve", PASSWORD, token), "counted_tickets": ""})
    assert incomplete.status_code == 400 and REFUSED not in incomplete.content.decode()
    assert _failures() == [] and Envelope.objects.get().status == "declared"
    # Her code was not used up by the refused form: it still confirms her.
    client.post(url, _receipt("eve", PASSWORD, token))
    assert Envelope.objects.get().opened_with == eve


def test_the_receipt_form_asks_for_credentials_and_lists_nobody(client, clerk, eve, declared):
    verified_login(client, clerk)
    page = client.get(reverse("intake:envelope", args=[declared.number])).content.decode()
    assert 'name="opened_with"' not in page and "鈴木" not in page
    assert re.search(r'<input type="text" name="second-login"[^>]*autocomplete="off"', page)
    assert re.search(r'<input type="password" name="second-password"[^>]*autocomplete="off"', page)
    assert re.search(r'<input type="text" name="second-token"[^>]*autocomplete="off"[^>]*inputmode="numeric"', page)


def _disposal(login, password, token, envelope) -> dict:
    return {"disposed_on": "2026-11-20", "method": "shredded", "envelopes": [envelope.pk], "confirm": "on",
            "second-login": login, "second-password": password, "second-token": token}


def test_a_disposal_is_witnessed_by_a_confirmed_second_person(client, clerk, eve, received, alice, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp's pause after a wrong code is not what this test is about
    envelope_read(actor=alice, envelope=received, source="manual", codes=[code(1, t) for t in range(1, 11)])
    services.envelope_reconcile(actor=alice, envelope=received)
    verified_login(client, clerk)
    url = reverse("intake:disposals")
    page = client.get(url).content.decode()
    assert 'name="witness"' not in page and 'name="second-password"' in page

    refused = client.post(url, _disposal("eve", PASSWORD, _wrong(_code(eve)), received))
    assert refused.status_code == 400 and REFUSED in refused.content.decode()
    assert not Disposal.objects.exists() and _failures() == [("sato", "eve")]

    himself = client.post(url, _disposal("sato", PASSWORD, _code(clerk), received))
    assert himself.status_code == 400 and not Disposal.objects.exists() and len(_failures()) == 2

    assert client.post(url, _disposal("eve", PASSWORD, _code(eve), received)).status_code == 302
    disposal = Disposal.objects.get()
    assert (disposal.recorded_by, disposal.witness) == (clerk, eve)
    assert list(disposal.envelopes.all()) == [received]
