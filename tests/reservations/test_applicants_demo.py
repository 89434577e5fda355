"""The demo: 500 applicants across the states, one real booking made with a link code, idempotent."""

from __future__ import annotations

import io

import pytest

from reservations import demo_applicants
from reservations.models import Applicant, ProgressEvent
from reservations.selectors_applicants import with_current_status
from tests.reservations.fixtures import make_slot

pytestmark = pytest.mark.django_db


def test_the_demo_has_500_applicants_across_states(resv, bob):
    for days in range(1, 4):
        make_slot(resv["main"], days=days, capacity=50, staff_capacity=60)
    out = io.StringIO()
    demo_applicants.seed(campaign=resv["campaign"], users={"counter": bob}, stdout=out)
    assert Applicant.objects.count() == 500
    states = {a.current_status_id for a in with_current_status(Applicant.objects.all())}
    codes = set(ProgressEvent.objects.filter(status_id__in=states).values_list("status__code", flat=True))
    assert codes >= {"notice_sent", "returned", "reserved", "visited", "handed_over", "revisit"}
    assert Applicant.objects.filter(reservation__isnull=False).exists()
    assert ProgressEvent.objects.filter(kind="undo").exists()
    first = out.getvalue()
    assert first.startswith("Demo applicants: 500 applicants")
    again = io.StringIO()
    demo_applicants.seed(campaign=resv["campaign"], users={"counter": bob}, stdout=again)
    assert Applicant.objects.count() == 500 and again.getvalue() == first
