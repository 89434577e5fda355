"""The public store directory: only approved, published, not-suspended stores; kana-insensitive search."""

from __future__ import annotations

import pytest
from django.urls import reverse

from settlement import services
from settlement.models import Merchant
from tests.settlement.fixtures import apply

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def approved_store(campaign, actor, **fields) -> Merchant:
    return services.merchant_approve(actor=actor, merchant=apply(campaign, **fields))


@pytest.fixture
def stores(campaign, mizuho, alice) -> dict[str, Merchant]:
    return {
        "cafe": approved_store(campaign, alice),  # カフェ・ド・鳥取, east, cafe, takeout
        "ramen": approved_store(campaign, alice, store_name="麺屋 とっとり", store_name_kana="メンヤトットリ",
                                genre="noodles", area="central", takeout=False, address="鳥取県倉吉市本町2-2",
                                company_name="有限会社めんや"),
        "sushi": approved_store(campaign, alice, store_name="寿司 米子", store_name_kana="スシヨナゴ", genre="sushi",
                                area="west", takeout=True, address="鳥取県米子市角盤町3-3",
                                company_name="米子 一郎"),
    }


def names(response) -> list[str]:
    return [m.store_name for m in response.context["page"].object_list]


@pytest.mark.parametrize("query", ["ｶﾌｪ", "カフェ", "かふぇ", "ｶﾌｪ･ﾄﾞ", "かふぇ 鳥取"])
def test_kana_variants_find_the_same_store(client, stores, query):
    response = client.get(reverse("public:stores"), {"q": query})
    assert response.status_code == 200
    assert names(response) == ["カフェ・ド・鳥取"]


def test_the_reading_and_the_address_are_searched_too(client, stores):
    assert names(client.get(reverse("public:stores"), {"q": "すしよなご"})) == ["寿司 米子"]
    assert names(client.get(reverse("public:stores"), {"q": "倉吉"})) == ["麺屋 とっとり"]


def test_it_lists_every_visible_store(client, stores):
    response = client.get(reverse("public:stores"))
    assert sorted(names(response)) == sorted(m.store_name for m in stores.values())
    page = response.content.decode()
    assert "0857-00-1234" in page and "〒680-0011" in page and "10:00〜18:00" in page
    assert "3 stores" in page


def test_suspended_unpublished_and_unapproved_stores_are_hidden(client, campaign, stores, alice):
    services.merchant_suspend(actor=alice, merchant=stores["ramen"], reason="調査中")
    Merchant.objects.filter(pk=stores["sushi"].pk).update(published=False)
    apply(campaign, store_name="カフェ 申請中")  # applied, not approved
    rejected = apply(campaign, store_name="カフェ 却下")
    services.merchant_reject(actor=alice, merchant=rejected, reason="書類不備")
    assert names(client.get(reverse("public:stores"))) == ["カフェ・ド・鳥取"]
    assert names(client.get(reverse("public:stores"), {"q": "カフェ"})) == ["カフェ・ド・鳥取"]


def test_stores_of_another_campaign_are_hidden(client, campaign, stores, alice):
    Merchant.objects.filter(pk=stores["sushi"].pk).update(
        campaign=campaign.__class__.objects.create(
            code="OLD", name="旧キャンペーン", prefecture="31", serial_prefix=11, is_active=False,
            sales_start="2020-10-01", sales_end="2021-01-31", usage_start="2020-10-01", usage_end="2021-03-31",
            settlement_deadline="2021-04-30"))
    assert "寿司 米子" not in names(client.get(reverse("public:stores")))


def test_filters(client, stores):
    url = reverse("public:stores")
    assert names(client.get(url, {"area": "west"})) == ["寿司 米子"]
    assert names(client.get(url, {"genre": "noodles"})) == ["麺屋 とっとり"]
    assert sorted(names(client.get(url, {"takeout": "1"}))) == sorted(["カフェ・ド・鳥取", "寿司 米子"])
    assert names(client.get(url, {"takeout": "1", "area": "east", "q": "かふぇ"})) == ["カフェ・ド・鳥取"]
    assert names(client.get(url, {"genre": "sushi", "area": "east"})) == []
    # Unknown filter values are ignored rather than failing.
    assert len(names(client.get(url, {"area": "moon", "genre": "x"}))) == 3


def test_it_pages_by_twenty(client, campaign, mizuho, alice):
    for i in range(23):
        approved_store(campaign, alice, store_name=f"食堂{i:02d}", store_name_kana="シヨクドウ")
    first = client.get(reverse("public:stores"), {"genre": "cafe"})
    assert len(names(first)) == 20
    assert "genre=cafe&amp;page=2" in first.content.decode()
    second = client.get(reverse("public:stores"), {"genre": "cafe", "page": 2})
    assert len(names(second)) == 3


def test_without_a_campaign_the_page_still_answers(client, db):
    response = client.get(reverse("public:stores"))
    assert response.status_code == 200
    assert "No campaign is open at the moment." in response.content.decode()
