"""Merchant fixtures shared by the settlement tests and the browser journeys (registered in tests/conftest.py)."""

from __future__ import annotations

import pytest

from settlement import services
from settlement.models import Bank, BankBranch, Merchant


@pytest.fixture
def mizuho(db):
    bank = Bank.objects.create(code="0001", name="みずほ", kana="ミズホ", hira="みずほ")
    BankBranch.objects.create(bank=bank, code="001", name="東京営業部", kana="トウキヨウ", hira="とうきよう")
    BankBranch.objects.create(bank=bank, code="541", name="鳥取", kana="トツトリ", hira="とつとり")
    return bank


def application(**overrides) -> dict:
    fields = dict(store_name="カフェ・ド・鳥取", store_name_kana="カフェドトットリ", business_form="corporation",
                  company_name="株式会社とっとりカフェ", postal_code="6800011", address="鳥取県鳥取市東町1-1",
                  phone="0857-00-1234", email="cafe@example.jp", genre="cafe", area="east",
                  opening_hours="10:00〜18:00", takeout=True, infection_control=True)
    fields.update(overrides)
    return fields


def bank_details(**overrides) -> services.BankDetails:
    values = dict(bank_code="0001", branch_code="541", account_type="1", account_number="1234567",
                  holder_name="カ）トツトリカフエ")
    values.update(overrides)
    return services.BankDetails(**values)


def apply(campaign, **overrides) -> Merchant:
    return services.merchant_apply(campaign=campaign, fields=application(**overrides),
                                   representative={"name": "鳥取 太郎", "name_kana": "トットリ タロウ"},
                                   bank=bank_details())


@pytest.fixture
def applicant(campaign, mizuho) -> Merchant:
    return apply(campaign)


@pytest.fixture
def approved(applicant, alice) -> Merchant:
    return services.merchant_approve(actor=alice, merchant=applicant)
