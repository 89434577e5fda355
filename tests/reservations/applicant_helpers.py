"""Helpers for the applicant tests: a campaign whose form uses the applicant's address fields, and applicants."""

from __future__ import annotations

from reservations import services_applicants as services
from reservations.models import Applicant
from tests.reservations.fixtures import open_settings

APPLICANT_FIELDS = {"name": {"use": "required"}, "kana": {"use": "optional", "alias": "フリガナ"},
                    "sex": {"use": "display"}, "birth_date": {"use": "display"},
                    "postal_code": {"use": "display"}, "address": {"use": "display"},
                    "phone": {"use": "optional"}, "email": {"use": "optional"}}


def applicant_settings(campaign):
    return open_settings(campaign, basic_fields=APPLICANT_FIELDS)


def make_applicant(campaign, actor=None, **values) -> Applicant:
    data = {"name": "鳥取 花子", "kana": "トットリ ハナコ", "postal_code": "680-0011",
            "address": "鳥取県鳥取市東町1-220", **values}
    return services.applicant_create(campaign=campaign, actor=actor, values=data)
