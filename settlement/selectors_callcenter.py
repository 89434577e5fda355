"""Read-only merchant lookup for the call-center console: by merchant number, name (kana-insensitive) or phone.

Kept apart from ``selectors.py`` so the call center's needs do not tangle with the settlement screens'."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from campaign.japanese import normalize, search_key
from campaign.models import Campaign
from settlement.models import Merchant


@dataclass(frozen=True)
class MerchantSummary:
    pk: int
    merchant_number: str
    store_name: str
    store_name_kana: str
    address: str
    phone: str
    status: str
    status_label: str
    suspended: bool


def merchants_for_callcenter(campaign: Campaign, query: str, *, limit: int = 8) -> list[MerchantSummary]:
    text = normalize(query or "")
    if len(text) < 2:
        return []
    digits = "".join(ch for ch in text if ch.isdigit())
    condition = Q(search_key__contains=search_key(text))
    if digits and len(digits) == len(text.replace("-", "").replace(" ", "")):
        condition |= Q(merchant_number=digits)
        if len(digits) >= 6:
            # Phone numbers are stored as typed ("0857-00-0000"); compare digits only.
            condition |= Q(pk__in=[m.pk for m in Merchant.objects.filter(campaign=campaign).only("pk", "phone")
                                   if "".join(ch for ch in m.phone if ch.isdigit()).endswith(digits)])
    rows = Merchant.objects.filter(campaign=campaign).filter(condition).order_by("store_name_kana", "pk")[:limit]
    return [MerchantSummary(pk=m.pk, merchant_number=m.merchant_number or "", store_name=m.store_name,
                            store_name_kana=m.store_name_kana, address=m.address, phone=m.phone, status=m.status,
                            status_label=m.get_status_display(), suspended=m.suspended_at is not None)
            for m in rows]
