"""The public top page, the health check and the demo data."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from campaign.models import Campaign, Denomination, Department

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"] in ("inline", "ok")


def test_healthz_is_503_when_the_database_is_down(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise connection.Database.OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"].startswith("error")


def test_top_page_shows_the_campaign_in_japanese(client, campaign):
    page = client.get("/").content.decode()
    assert '<html lang="ja">' in page
    assert campaign.name in page
    assert "利用期間" in page and "1,000円券" in page
    assert 'href="#main"' in page  # skip link


def test_the_language_switcher_serves_english(client, campaign):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"}, follow=True)
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "Period of use" in page


def test_seed_demo_is_idempotent_and_prints_the_logins(capsys):
    call_command("seed_demo")
    first = capsys.readouterr().out
    counts = (Campaign.objects.count(), Denomination.objects.count(), Department.objects.count(),
              TOTPDevice.objects.count())
    call_command("seed_demo")
    second = capsys.readouterr().out
    assert counts == (Campaign.objects.count(), Denomination.objects.count(), Department.objects.count(),
                      TOTPDevice.objects.count())
    assert counts[1] == 2 and counts[3] == 8
    assert first == second  # same secrets printed on every run
    for username in ("admin", "manager", "clerk", "settlement", "supervisor", "operator", "counter", "auditor"):
        assert f"  {username} " in first
    secret = TOTPDevice.objects.get(user__username="auditor").bin_key
    import base64

    assert base64.b32encode(secret).decode() in first


def test_japanese_is_shown_whatever_the_browser_asks_for(client, campaign):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="ja">' in page and "利用期間" in page
