"""The one way to write the audit log. Every service that changes data, and every view of personal data,
calls ``audit_log``; the table itself refuses updates and deletes (see migration 0002)."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from campaign.models import AuditEvent, Campaign


def client_ip(request) -> str | None:
    """The client's address as the web server saw it (a proxy in front must set REMOTE_ADDR correctly)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _actor_label(actor) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ""
    # Japanese order: family name first.
    full = f"{getattr(actor, 'last_name', '')} {getattr(actor, 'first_name', '')}".strip()
    return f"{actor.get_username()} ({full})" if full else actor.get_username()


def audit_log(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str | int = "",
    target_label: str = "",
    data: dict[str, Any] | None = None,
    request=None,
    campaign: Campaign | None = None,
) -> AuditEvent:
    """Append one audit event. ``action`` is a dotted verb such as ``merchant.approve``.

    Runs inside the caller's transaction, so a rolled-back change leaves no audit trace either.
    """
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
        target_label = target_label or str(target)
    # Round-trip through JSON so dates, Decimals and UUIDs are stored as text, not rejected.
    payload = json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder, ensure_ascii=False))
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=user,
        actor_label=_actor_label(user)[:150],
        action=action,
        target_type=target_type[:100],
        target_id=str(target_id)[:100],
        target_label=str(target_label)[:300],
        campaign=campaign,
        data=payload,
        ip=client_ip(request),
    )
