import io

import pytest

from callcenter import demo
from callcenter.models import CallbackRequest, CallRecord, Escalation, FaqItem, Line
from campaign import roles
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


def test_demo_data_is_complete_and_idempotent(campaign):
    users = {name: make_staff(name, role) for name, role in [
        ("supervisor", roles.CALLCENTER_SUPERVISOR), ("operator", roles.OPERATOR),
        ("settlement", roles.SETTLEMENT_CLERK), ("clerk", roles.SECRETARIAT_CLERK)]}
    out = io.StringIO()
    demo.seed(campaign=campaign, users=users, stdout=out)
    calls = CallRecord.objects.count()
    assert Line.objects.count() == 2 and FaqItem.objects.count() == 60 and calls > 150
    assert Escalation.objects.exclude(status="resolved").exists() and CallbackRequest.objects.exists()
    demo.seed(campaign=campaign, users=users, stdout=out)
    assert CallRecord.objects.count() == calls
