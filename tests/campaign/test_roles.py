"""The role matrix in docs/roles.md is the one the code enforces, and every staff URL honours it for every role."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from campaign import roles
from campaign.models import Job
from tests.conftest import make_staff, verified_login

DOC = Path(settings.BASE_DIR) / "docs" / "roles.md"


def documented_matrix() -> dict[str, frozenset[str]]:
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| capability |"))
    role_columns = re.findall(r"`([a-z_]+)`", lines[start])
    matrix = {}
    for line in lines[start + 2:]:
        match = re.match(r"\| `([a-z_.]+)` \|[^|]*\|(.*)\|\s*$", line)
        if not match:
            continue
        cells = [cell.strip() for cell in match.group(2).split("|")]
        assert len(cells) == len(role_columns), line
        matrix[match.group(1)] = frozenset(role for role, cell in zip(role_columns, cells, strict=True) if cell == "✓")
    return matrix


def test_docs_matrix_is_the_enforced_matrix():
    documented = documented_matrix()
    assert set(re.findall(r"`([a-z_]+)`", next(
        line for line in DOC.read_text().splitlines() if line.startswith("| capability |")
    ))) == set(roles.ALL_ROLES)
    assert documented == dict(roles.CAPABILITIES)


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def staff_urls():
    return [(route, entry) for route, entry in _walk(get_resolver().url_patterns) if route.startswith("staff/")]


def test_every_staff_view_declares_a_capability_or_is_a_login_page():
    undeclared = [
        route for route, entry in staff_urls()
        if not getattr(entry.callback, "capability", None) and not getattr(entry.callback, "staff_public", False)
    ]
    assert undeclared == []
    assert len(staff_urls()) >= 10


# URL kwargs for parametrised staff URLs, made for the user who is about to open them.
def _own_job(user):
    return {"public_id": Job.objects.create(kind="audit_export", owner=user).public_id}


# Downloading a job's file also needs the capability of the job's kind (the job above is an audit export).
ALSO_NEEDS = {"job_download": "audit.export"}

URL_KWARGS = {
    "staff:job_detail": _own_job,
    "staff:job_status": _own_job,
    "staff:job_download": _own_job,
}


def _url(entry, user) -> str:
    name = f"staff:{entry.name}"
    if entry.pattern.converters:
        assert name in URL_KWARGS, f"add a kwargs maker for {name} to URL_KWARGS"
        return reverse(name, kwargs=URL_KWARGS[name](user))
    return reverse(name)


@pytest.mark.django_db
@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_every_staff_url_allows_exactly_the_documented_roles(client, role):
    user = make_staff(f"user_{role}", role)
    verified_login(client, user)
    documented = documented_matrix()
    checked = 0
    for _route, entry in staff_urls():
        capability = getattr(entry.callback, "capability", None)
        if capability is None:
            continue
        url = _url(entry, user)
        response = client.get(url)
        allowed = role in documented[capability]
        if entry.name in ALSO_NEEDS:
            allowed = allowed and role in documented[ALSO_NEEDS[entry.name]]
        if allowed:
            # 200, or 405 for POST-only actions, or 404 for a job without a file: never a refusal or a login.
            assert response.status_code in (200, 404, 405), (url, response.status_code)
            if response.status_code == 404:
                assert entry.name == "job_download"
        else:
            assert response.status_code == 403, (url, response.status_code)
        checked += 1
    assert checked >= 8


ADMIN_URLS = {
    "/admin/campaign/campaign/": "masterdata.manage",
    "/admin/campaign/department/": "masterdata.manage",
    "/admin/campaign/bankholiday/add/": "masterdata.manage",
    "/admin/campaign/auditevent/": "audit.view",
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_admin_pages_follow_the_matrix(client, role):
    user = make_staff(f"admin_{role}", role)
    verified_login(client, user)
    assert client.get("/admin/").status_code == 200
    for url, capability in ADMIN_URLS.items():
        response = client.get(url)
        expected = 200 if role in roles.CAPABILITIES[capability] else 403
        assert response.status_code == expected, (url, response.status_code)


@pytest.mark.django_db
def test_a_merchant_user_never_reaches_staff_or_admin(client, dave):
    client.force_login(dave)
    assert client.get("/staff/").status_code == 403
    admin_response = client.get("/admin/", follow=True)
    assert admin_response.redirect_chain[-1][0].startswith(reverse("staff:login"))
    assert "site administration" not in admin_response.content.decode().lower()
    assert client.get("/admin/campaign/campaign/", follow=True).redirect_chain[-1][0].startswith(
        reverse("staff:login"))


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login(client):
    for route, entry in staff_urls():
        if getattr(entry.callback, "staff_public", False) or entry.pattern.converters:
            continue
        response = client.get("/" + route)
        assert response.status_code == 302, route
        assert response["Location"].startswith(reverse("staff:login")), route
