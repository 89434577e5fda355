"""Reads of merchants for the staff screens and exports: the filtered list, counts per status, bank changes
waiting for a second person, kits not sent yet, a merchant's audit trail. Writes live in ``services``."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet

from campaign.japanese import normalize, search_key
from campaign.models import AuditEvent, Campaign
from settlement.models import BankAccount, KitShipment, Merchant

MERCHANT_TARGET_TYPE = Merchant._meta.label_lower  # "settlement.merchant", as audit_log writes it


@dataclass(frozen=True)
class MerchantFilter:
    """What the clerk picked above the merchant list; also the parameters of the export job."""

    status: str = ""
    suspended: str = ""  # "yes" / "no" / ""
    area: str = ""
    genre: str = ""
    kit: str = ""  # "yes" (shipped) / "no" / ""
    q: str = ""

    def as_params(self) -> dict:
        return asdict(self)

    @classmethod
    def from_params(cls, params: dict) -> MerchantFilter:
        return cls(**{name: str(params.get(name) or "") for name in cls.__dataclass_fields__})


def _with_kit(qs: QuerySet[Merchant]) -> QuerySet[Merchant]:
    return qs.annotate(has_kit=Exists(KitShipment.objects.filter(merchant=OuterRef("pk"))))


def merchants(campaign: Campaign, flt: MerchantFilter | None = None) -> QuerySet[Merchant]:
    """The campaign's merchants, newest application first, narrowed by the filter.

    The search matches the kana-insensitive ``search_key`` (name, kana, address, company) or, for a string of
    digits, the exact merchant number.
    """
    flt = flt or MerchantFilter()
    qs = _with_kit(Merchant.objects.filter(campaign=campaign))
    if flt.status in Merchant.Status.values:
        qs = qs.filter(status=flt.status)
    if flt.suspended == "yes":
        qs = qs.filter(suspended_at__isnull=False)
    elif flt.suspended == "no":
        qs = qs.filter(suspended_at__isnull=True)
    if flt.area in Merchant.Area.values:
        qs = qs.filter(area=flt.area)
    if flt.genre in Merchant.Genre.values:
        qs = qs.filter(genre=flt.genre)
    if flt.kit == "yes":
        qs = qs.filter(has_kit=True)
    elif flt.kit == "no":
        qs = qs.filter(has_kit=False)
    text = normalize(flt.q)
    if text:
        condition = Q(search_key__contains=search_key(text))
        number = text.replace("-", "").replace(" ", "")
        if number.isdigit():
            condition |= Q(merchant_number=number)
        qs = qs.filter(condition)
    return qs.order_by("-applied_at", "-pk")


def status_counts(campaign: Campaign) -> dict[str, int]:
    """Merchants per status (every status present, zero included), plus "suspended" and "total"."""
    rows = Merchant.objects.filter(campaign=campaign).values("status").annotate(n=Count("pk")).order_by()
    counts = {status: 0 for status in Merchant.Status.values}
    counts.update({row["status"]: row["n"] for row in rows})
    counts["suspended"] = Merchant.objects.filter(campaign=campaign, suspended_at__isnull=False).count()
    counts["total"] = sum(counts[status] for status in Merchant.Status.values)
    return counts


def bank_accounts_of(merchant: Merchant) -> QuerySet[BankAccount]:
    """Every account the merchant ever had or asked for: in use, waiting, replaced and rejected."""
    return (merchant.bank_accounts.select_related("bank", "branch", "requested_by", "decided_by")
            .order_by("-requested_at", "-pk"))


def pending_bank_changes(campaign: Campaign) -> QuerySet[BankAccount]:
    """Account changes of approved merchants waiting for the second person. (The first account of an
    application is not here: it becomes active with the merchant's approval.)"""
    return (BankAccount.objects.filter(merchant__campaign=campaign, status=BankAccount.Status.PENDING,
                                       merchant__status=Merchant.Status.APPROVED)
            .select_related("merchant", "bank", "branch", "requested_by")
            .order_by("requested_at", "pk"))


def active_accounts(merchant_ids) -> dict[int, BankAccount]:
    accounts = BankAccount.objects.filter(merchant_id__in=list(merchant_ids), status=BankAccount.Status.ACTIVE)
    return {account.merchant_id: account for account in accounts.select_related("bank", "branch")}


def kits_missing(campaign: Campaign) -> QuerySet[Merchant]:
    """Approved merchants that have not been sent a redemption kit yet, oldest approval first."""
    return (_with_kit(Merchant.objects.filter(campaign=campaign, status=Merchant.Status.APPROVED))
            .filter(has_kit=False).order_by("reviewed_at", "pk"))


def kit_shipments_of(merchant: Merchant) -> QuerySet[KitShipment]:
    return merchant.kit_shipments.select_related("created_by").order_by("-shipped_on", "-pk")


def last_kit_dates(merchant_ids) -> dict[int, object]:
    rows = (KitShipment.objects.filter(merchant_id__in=list(merchant_ids)).values("merchant_id")
            .annotate(last=Max("shipped_on")).order_by())
    return {row["merchant_id"]: row["last"] for row in rows}


def merchant_audit_events(merchant: Merchant) -> QuerySet[AuditEvent]:
    """The merchant's audit trail: events aimed at it, and the bulk import that created it."""
    return AuditEvent.objects.filter(
        Q(target_type=MERCHANT_TARGET_TYPE, target_id=str(merchant.pk))
        | Q(action="merchant.import", data__merchant_ids__contains=[merchant.pk])
    ).order_by("-at", "-pk")


def mask_account_number(number: str) -> str:
    """Show only the last three digits of an account number to staff who do not approve bank changes."""
    return "•" * max(0, len(number) - 3) + number[-3:]
