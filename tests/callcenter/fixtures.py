"""Call-center personas and data: Olivia the operator, Sam the supervisor, Dan in the settlement department."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from callcenter import services
from callcenter.models import DepartmentMember, Line
from campaign import roles
from campaign.models import Department
from tests.conftest import make_staff

DATA = Path(__file__).resolve().parents[2] / "callcenter" / "data"


@pytest.fixture
def settlement_dept(db):
    return Department.objects.create(code="settlement", name="精算センター")


@pytest.fixture
def support_dept(db):
    return Department.objects.create(code="support", name="お客様相談")


@pytest.fixture
def olivia(db):
    """Olivia is an operator with no department."""
    return make_staff("olivia", roles.OPERATOR, last_name="応対")


@pytest.fixture
def sam(db):
    """Sam is the call-center supervisor."""
    return make_staff("sam", roles.CALLCENTER_SUPERVISOR)


@pytest.fixture
def dan(db, settlement_dept):
    """Dan is a settlement clerk and a member of the settlement department."""
    user = make_staff("dan", roles.SETTLEMENT_CLERK)
    DepartmentMember.objects.create(user=user, department=settlement_dept)
    return user


@pytest.fixture
def consumer_line(db):
    return Line.objects.create(name="購入者向け", kind=Line.Kind.CONSUMER, phone="0120-000-001",
                               opens_at=time(9), closes_at=time(17))


@pytest.fixture
def faq_set(db):
    with (DATA / "faq_items.jsonl").open(encoding="utf-8") as handle:
        result = services.faq_import(actor=None, lines=handle)
    assert not result.errors
    return result
