"""Login throttling and the second factor (TOTP + static backup codes, django-otp)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from campaign.audit import audit_log
from campaign.models import LoginFailure

BACKUP_CODE_COUNT = 10
BACKUP_DEVICE_NAME = "backup"


def login_allowed(*, username: str, ip: str | None) -> bool:
    """False once a user name, or an address, has failed too often within the window."""
    since = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    recent = LoginFailure.objects.filter(at__gte=since)
    if recent.filter(username__iexact=username).count() >= settings.LOGIN_FAILURE_LIMIT:
        return False
    # An office behind one address has many users: allow it more attempts than a single name.
    if ip and recent.filter(ip=ip).count() >= settings.LOGIN_FAILURE_LIMIT * 4:
        return False
    return True


def login_failure_record(*, username: str, request) -> None:
    from campaign.audit import client_ip

    with transaction.atomic():
        LoginFailure.objects.create(username=username[:150], ip=client_ip(request))
        audit_log(actor=None, action="auth.login_failed", target_type="auth.user", target_label=username[:300],
                  request=request)


def login_failures_clear(*, username: str) -> None:
    LoginFailure.objects.filter(username__iexact=username).delete()


def confirmed_totp(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def totp_pending(user) -> TOTPDevice:
    """The unconfirmed TOTP device being enrolled (created on first call, reused until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def _new_backup_codes(user) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(user=user, name=BACKUP_DEVICE_NAME,
                                                   defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [f"{secrets.randbelow(10**8):08d}" for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def totp_confirm(*, user, device: TOTPDevice, request) -> list[str]:
    """Confirm a freshly verified authenticator and issue backup codes (returned once, shown once)."""
    TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_backup_codes(user)
    audit_log(actor=user, action="auth.otp_enrolled", target=user, request=request)
    return codes


@transaction.atomic
def backup_codes_regenerate(*, user, request) -> list[str]:
    codes = _new_backup_codes(user)
    audit_log(actor=user, action="auth.backup_codes_regenerated", target=user, request=request)
    return codes
