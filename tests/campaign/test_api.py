"""The API is for verified staff only; its schema is served without a CDN."""

import re

import pytest
from django.test import Client

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_campaigns_for_verified_staff(staff_client, bob, campaign):
    response = staff_client(bob).get("/api/v1/campaigns/")
    assert response.status_code == 200
    data = response.json()["results"]
    assert data[0]["code"] == "TEST"
    assert {d["face_value"] for d in data[0]["denominations"]} == {1000, 500}


def test_password_only_and_anonymous_sessions_are_refused(bob, campaign):
    anonymous = Client()
    assert anonymous.get("/api/v1/campaigns/").status_code == 403
    password_only = Client()
    assert password_only.login(username="bob", password=PASSWORD)
    assert password_only.get("/api/v1/campaigns/").status_code == 403


def test_schema_and_docs(staff_client, bob):
    client = staff_client(bob)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/campaigns/" in schema.content
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    # Every script and stylesheet comes from this site (the sidecar), none from a CDN. (The page's random CSRF
    # token once contained the letters "cdn": look at the addresses, not at the whole page.)
    addresses = re.findall(r'(?:src|href)="([^"]+)"', docs)
    assert addresses and all(a.startswith("/") for a in addresses), addresses
