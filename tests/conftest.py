"""Shared fixtures: personas for every staff role, logged-in clients with the second factor, and the optional
real services (Redis, Chromium) that are skipped with a reason on a bare machine and required under CI=true."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from campaign import roles
from campaign.models import Campaign, Denomination

pytest_plugins = ["tests.vouchers.fixtures", "tests.settlement.fixtures", "tests.settlement.payouts_world",
                  "tests.reservations.fixtures", "tests.callcenter.fixtures"]

IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "correct-horse-battery-9"


def needs(reason: str) -> None:
    """Skip with a visible reason; in CI a missing browser or Redis is a failure, not a skip."""
    if IN_CI:
        pytest.fail(f"{reason} — CI=true, so this is a failure, not a skip.")
    pytest.skip(reason)


def current_totp(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift):06d}"


def make_staff(username: str, *role_codes: str, with_totp: bool = True, **extra):
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.jp", is_staff=True, **extra
    )
    for code in role_codes:
        user.groups.add(Group.objects.get(name=code))
    if with_totp:
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def verified_login(client, user) -> None:
    """Log in as if the user had passed password and TOTP (the flow itself is tested in test_auth)."""
    client.force_login(user)
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture
def campaign(db) -> Campaign:
    c = Campaign.objects.create(
        code="TEST", name="テスト県プレミアム食事券", prefecture="31", serial_prefix=12,
        sales_start=date(2026, 10, 1), sales_end=date(2027, 1, 31),
        usage_start=date(2026, 10, 1), usage_end=date(2027, 3, 31), settlement_deadline=date(2027, 4, 30),
    )
    Denomination.objects.create(campaign=c, code=1, name="1,000円券", face_value=1000, tickets_per_book=13,
                                sale_price_per_book=10000)
    Denomination.objects.create(campaign=c, code=2, name="500円券", face_value=500, tickets_per_book=12,
                                sale_price_per_book=5000)
    return c


@pytest.fixture
def alice(db):
    """Alice is the system administrator."""
    return make_staff("alice", roles.SYSTEM_ADMIN, is_superuser=True)


@pytest.fixture
def bob(db):
    """Bob is a secretariat clerk."""
    return make_staff("bob", roles.SECRETARIAT_CLERK)


@pytest.fixture
def carol(db):
    """Carol is the auditor (read-only)."""
    return make_staff("carol", roles.AUDITOR)


@pytest.fixture
def dave(db):
    """Dave is a merchant user: an account, but no staff flag and no role."""
    return get_user_model().objects.create_user(username="dave", password=PASSWORD, email="dave@example.jp")


@pytest.fixture
def staff_client(client):
    def login(user):
        verified_login(client, user)
        return client

    return login


# --- Redis ---------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url():
    """REDIS_URL when set (CI's service); otherwise a private redis-server when the binary exists."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    binary = shutil.which("redis-server")
    if not binary:
        needs("redis-server is not installed and REDIS_URL is not set")
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("redis-server did not start")
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(autouse=True)
def _jobs_run_inline():
    """Jobs run inline in tests even when REDIS_URL is set; the worker test turns this off for itself."""
    from campaign.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher is deliberately slow; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
