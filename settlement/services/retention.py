"""Personal data past its retention date is deleted (DESIGN: "deleted when its retention date passes")."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from campaign.audit import audit_log
from settlement.models import MerchantRepresentative

__all__ = ["representatives_purge"]


@transaction.atomic
def representatives_purge(*, today: date | None = None) -> int:
    """Delete merchant representatives whose retention date has passed; returns how many. Run daily by beat."""
    today = today or timezone.localdate()
    due = MerchantRepresentative.objects.filter(retain_until__lt=today)
    merchant_ids = list(due.values_list("merchant_id", flat=True))
    count, _ = due.delete()
    if count:
        audit_log(actor=None, action="retention.representatives_purge", target_type="settlement.merchantrepresentative",
                  data={"deleted": count, "merchant_ids": merchant_ids, "before": today.isoformat()})
    return count
