"""Staff login: password, then a TOTP code or a backup code; enrolment; throttling; password reset."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from campaign.models import AuditEvent, LoginFailure
from tests.conftest import PASSWORD, current_totp, make_staff

pytestmark = pytest.mark.django_db


def password_login(client, username, password=PASSWORD, next_url=""):
    return client.post(reverse("staff:login"), {"username": username, "password": password, "next": next_url})


def test_login_needs_password_and_then_the_totp_code(client, bob):
    response = password_login(client, "bob")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff:otp"))

    # A password-only session is refused by the staff area and by the admin site.
    staff = client.get("/staff/")
    assert staff.status_code == 302 and staff["Location"].startswith(reverse("staff:otp"))
    admin = client.get("/admin/", follow=True)
    assert admin.redirect_chain[-1][0].startswith(reverse("staff:login"))
    assert client.get("/admin/campaign/campaign/").status_code == 302

    wrong = client.post(reverse("staff:otp"), {"token": "000000"})
    assert wrong.status_code == 200
    assert "コードが正しくない" in wrong.content.decode()
    assert client.get("/staff/").status_code == 302

    device = TOTPDevice.objects.get(user=bob)
    # django-otp makes the user wait a moment after a wrong code.
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        ok = client.post(reverse("staff:otp"), {"token": current_totp(device), "next": "/staff/audit/"})
        assert ok.status_code == 302
        assert ok["Location"] == "/staff/audit/"
        assert client.get("/staff/").status_code == 200
    actions = list(AuditEvent.objects.filter(actor=bob).values_list("action", flat=True))
    assert "auth.login" in actions and "auth.otp_failed" in actions and "auth.password_ok" in actions


def test_a_verified_system_admin_reaches_the_admin_site(client, alice):
    password_login(client, "alice")
    client.post(reverse("staff:otp"), {"token": current_totp(TOTPDevice.objects.get(user=alice))})
    response = client.get("/admin/")
    assert response.status_code == 200
    assert "/admin/campaign/campaign/" in response.content.decode()


def test_a_backup_code_works_once(client):
    user = make_staff("erin", "secretariat_clerk", with_totp=False)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    from campaign.auth import backup_codes_regenerate

    codes = backup_codes_regenerate(user=user, request=None)
    assert len(codes) == 10 and len(set(codes)) == 10
    password_login(client, "erin")
    assert client.post(reverse("staff:otp"), {"token": codes[0]}).status_code == 302
    assert client.get("/staff/").status_code == 200
    assert StaticToken.objects.filter(device__user=user).count() == 9

    client.post(reverse("staff:logout"))
    password_login(client, "erin")
    reused = client.post(reverse("staff:otp"), {"token": codes[0]})
    assert reused.status_code == 200  # refused: the form is shown again
    assert client.get("/staff/").status_code == 302


def test_first_login_enrols_an_authenticator_and_shows_backup_codes_once(client):
    user = make_staff("frank", "operator", with_totp=False)
    password_login(client, "frank")
    otp = client.get(reverse("staff:otp"))
    assert otp.status_code == 302 and otp["Location"].startswith(reverse("staff:otp_setup"))

    setup = client.get(otp["Location"])
    page = setup.content.decode()
    assert "<svg" in page  # the QR code, rendered inline (no external service)
    pending = TOTPDevice.objects.get(user=user, confirmed=False)

    wrong = client.post(reverse("staff:otp_setup"), {"token": "123456"})
    assert wrong.status_code == 200
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()

    throttled = client.post(reverse("staff:otp_setup"), {"token": current_totp(pending)})
    assert "数秒待って" in throttled.content.decode()
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        confirmed = client.post(reverse("staff:otp_setup"), {"token": current_totp(pending)})
    assert confirmed.status_code == 302
    assert TOTPDevice.objects.get(pk=pending.pk).confirmed
    codes_page = client.get(confirmed["Location"]).content.decode()
    codes = re.findall(r"<code>(\d{8})</code>", codes_page)
    assert len(codes) == 10
    assert StaticToken.objects.filter(device__user=user).count() == 10
    # Shown once: reloading the page does not show them again.
    assert re.findall(r"<code>(\d{8})</code>", client.get(reverse("staff:backup_codes")).content.decode()) == []
    assert AuditEvent.objects.filter(actor=user, action="auth.otp_enrolled").count() == 1


def test_enrolment_cannot_replace_an_authenticator_with_a_password_alone(client, bob):
    password_login(client, "bob")
    response = client.get(reverse("staff:otp_setup"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("staff:otp"))
    assert TOTPDevice.objects.filter(user=bob).count() == 1


def test_logins_are_refused_after_repeated_failures(client, bob, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        response = password_login(client, "bob", "wrong-password")
        assert "正しくありません" in response.content.decode()
    assert LoginFailure.objects.filter(username="bob").count() == settings.LOGIN_FAILURE_LIMIT

    blocked = password_login(client, "bob", PASSWORD)
    assert blocked.status_code == 200
    assert "試行が多すぎます" in blocked.content.decode()
    assert "_auth_user_id" not in client.session

    with time_machine.travel(timezone.now() + timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS + 60)):
        allowed = password_login(client, "bob", PASSWORD)
        assert allowed.status_code == 302
    assert not LoginFailure.objects.filter(username="bob").exists()
    assert AuditEvent.objects.filter(action="auth.login_failed", target_label="bob").count() == 5


def test_a_merchant_account_cannot_log_in_to_the_staff_area(client, dave):
    response = password_login(client, "dave")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_password_reset_by_email(client, bob):
    response = client.post(reverse("staff:password_reset"), {"email": "bob@example.jp"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/staff/password-reset/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    new_password = "a-much-better-passphrase-42"
    done = client.post(form_page.redirect_chain[-1][0],
                       {"new_password1": new_password, "new_password2": new_password})
    assert done.status_code == 302
    bob.refresh_from_db()
    assert bob.check_password(new_password)
    # A new password still needs the second factor.
    password_login(client, "bob", new_password)
    assert client.get("/staff/").status_code == 302


def test_unsafe_next_urls_are_ignored(client, bob):
    password_login(client, "bob")
    response = client.post(reverse("staff:otp"), {"token": current_totp(TOTPDevice.objects.get(user=bob)),
                                                  "next": "https://evil.example.com/"})
    assert response["Location"] == reverse("staff:home")
