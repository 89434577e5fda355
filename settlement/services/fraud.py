"""Fraud watch (不正検知): a daily job applies configurable rules to the redemptions; hits put a merchant on the
watch list, staff warn it with a recorded contact (是正勧告), and suspend it if nothing changes — the
escalation of real campaigns (alert threshold → watch → warning → account suspension). Everything is
audit-logged.

Rules (thresholds per campaign in ``FraudRule``):

- ``weekly_spike``: tickets redeemed in the last 7 days ÷ the merchant's weekly average over the 4 weeks before;
  fires at ``threshold`` (e.g. 3.0×) when the week has at least ``min_tickets``.
- ``repeat_rate``: share of the merchant's read serials in the last 7 days that were repeats (already redeemed
  or twice in one envelope); fires at ``threshold`` (e.g. 0.02) with at least ``min_tickets`` read.
- ``unsold_hits``: serials from unsold stock (vault, outlet, collected, lost, destroyed) in the last 7 days;
  fires at ``threshold`` hits.
- ``shared_serial``: serials this merchant sent in the last 7 days that had been redeemed by another merchant;
  fires at ``threshold`` hits.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.audit import audit_log
from campaign.errors import DomainError
from campaign.models import Campaign
from settlement.models import FraudHit, FraudRule, ReadOutcome, Redemption, WatchCase, WatchContact
from settlement.services.merchants import merchant_suspend

__all__ = ["FraudError", "fraud_rules", "fraud_rule_update", "fraud_scan", "watch_close", "watch_suspend",
           "watch_warn"]

DEFAULTS = {
    FraudRule.Code.WEEKLY_SPIKE: (Decimal("3.0"), 50),
    FraudRule.Code.REPEAT_RATE: (Decimal("0.02"), 50),
    FraudRule.Code.UNSOLD_HITS: (Decimal("1"), 0),
    FraudRule.Code.SHARED_SERIAL: (Decimal("1"), 0),
}


class FraudError(DomainError):
    pass


def fraud_rules(campaign: Campaign) -> dict[str, FraudRule]:
    """The campaign's rules, the defaults created on first use."""
    rules = {rule.code: rule for rule in FraudRule.objects.filter(campaign=campaign)}
    for code, (threshold, min_tickets) in DEFAULTS.items():
        if code not in rules:
            rules[code], _created = FraudRule.objects.get_or_create(
                campaign=campaign, code=code, defaults={"threshold": threshold, "min_tickets": min_tickets})
    return rules


@transaction.atomic
def fraud_rule_update(*, actor, rule: FraudRule, is_active: bool, threshold: Decimal, min_tickets: int,
                      request=None) -> FraudRule:
    if threshold <= 0:
        raise FraudError(_("The threshold must be more than zero."))
    before = {"is_active": rule.is_active, "threshold": rule.threshold, "min_tickets": rule.min_tickets}
    rule.is_active, rule.threshold, rule.min_tickets = is_active, threshold, min_tickets
    rule.save()
    audit_log(actor=actor, action="settlement.fraud_rule_update", target=rule, campaign=rule.campaign,
              request=request, data={"before": before, "after": {"is_active": is_active, "threshold": threshold,
                                                                 "min_tickets": min_tickets}})
    return rule


def _window(day: date, days: int, before: int = 0) -> tuple:
    tz = timezone.get_current_timezone()
    end = datetime.combine(day - timedelta(days=before) + timedelta(days=1), time(0), tzinfo=tz)
    return end - timedelta(days=days), end


def _weekly_spike(campaign, rule, day) -> dict[int, tuple[Decimal, dict]]:
    week_start, week_end = _window(day, 7)
    base_start, base_end = _window(day, 28, before=7)
    week = dict(Redemption.objects.filter(campaign=campaign, redeemed_at__gte=week_start, redeemed_at__lt=week_end)
                .values("merchant_id").annotate(n=Count("ticket")).values_list("merchant_id", "n"))
    base = dict(Redemption.objects.filter(campaign=campaign, redeemed_at__gte=base_start, redeemed_at__lt=base_end,
                                          merchant_id__in=list(week))
                .values("merchant_id").annotate(n=Count("ticket")).values_list("merchant_id", "n"))
    hits = {}
    for merchant_id, n in week.items():
        if n < rule.min_tickets:
            continue
        weekly = Decimal(base.get(merchant_id, 0)) / 4
        if weekly == 0:
            continue  # no baseline yet: a new merchant's first weeks are not a spike
        ratio = (Decimal(n) / weekly).quantize(Decimal("0.001"))
        if ratio >= rule.threshold:
            hits[merchant_id] = (ratio, {"week": n, "baseline_per_week": str(weekly)})
    return hits


def _outcomes(campaign, day):
    start, end = _window(day, 7)
    return ReadOutcome.objects.filter(envelope__campaign=campaign, read__read_at__gte=start, read__read_at__lt=end)


def _repeat_rate(campaign, rule, day) -> dict:
    start, end = _window(day, 7)
    repeats = dict(_outcomes(campaign, day).filter(verification__in=["already_redeemed", "duplicate_in_batch"])
                   .values("envelope__merchant_id").annotate(n=Count("pk"))
                   .values_list("envelope__merchant_id", "n"))
    if not repeats:
        return {}
    accepted = dict(Redemption.objects.filter(campaign=campaign, merchant_id__in=list(repeats),
                                              redeemed_at__gte=start, redeemed_at__lt=end)
                    .values("merchant_id").annotate(n=Count("ticket")).values_list("merchant_id", "n"))
    rejected = dict(_outcomes(campaign, day).filter(envelope__merchant_id__in=list(repeats))
                    .values("envelope__merchant_id").annotate(n=Count("pk"))
                    .values_list("envelope__merchant_id", "n"))
    hits = {}
    for merchant_id, n in repeats.items():
        read = accepted.get(merchant_id, 0) + rejected.get(merchant_id, 0)
        if read < max(1, rule.min_tickets):
            continue
        rate = (Decimal(n) / read).quantize(Decimal("0.001"))
        if rate >= rule.threshold:
            hits[merchant_id] = (rate, {"repeats": n, "read": read})
    return hits


def _count_rule(queryset, rule) -> dict:
    hits = {}
    for merchant_id, n in (queryset.values("envelope__merchant_id").annotate(n=Count("pk"))
                           .values_list("envelope__merchant_id", "n")):
        if n >= rule.threshold:
            hits[merchant_id] = (Decimal(n), {"hits": n})
    return hits


def _unsold_hits(campaign, rule, day) -> dict:
    return _count_rule(_outcomes(campaign, day).filter(verification="unsold"), rule)


def _shared_serial(campaign, rule, day) -> dict:
    return _count_rule(_outcomes(campaign, day).filter(verification="already_redeemed",
                                                       repeat_campaign__isnull=False)
                       .exclude(first_redemption__merchant_id=F("envelope__merchant_id")), rule)


RULES = {
    FraudRule.Code.WEEKLY_SPIKE: _weekly_spike,
    FraudRule.Code.REPEAT_RATE: _repeat_rate,
    FraudRule.Code.UNSOLD_HITS: _unsold_hits,
    FraudRule.Code.SHARED_SERIAL: _shared_serial,
}


def fraud_scan(*, campaign: Campaign, day: date | None = None, actor=None) -> list[FraudHit]:
    """Apply every active rule for ``day`` (default: today). Idempotent: a hit is recorded once per merchant, rule
    and day; a merchant with a hit and no open case is put on the watch list."""
    day = day or timezone.localdate()
    new_hits = []
    for code, rule in fraud_rules(campaign).items():
        if not rule.is_active:
            continue
        for merchant_id, (value, detail) in sorted(RULES[code](campaign, rule, day).items()):
            with transaction.atomic():
                case = WatchCase.objects.filter(merchant_id=merchant_id).exclude(status=WatchCase.Status.CLOSED).first()
                if case is None:
                    try:
                        with transaction.atomic():
                            case = WatchCase.objects.create(campaign=campaign, merchant_id=merchant_id, opened_on=day)
                    except IntegrityError:
                        case = WatchCase.objects.exclude(status=WatchCase.Status.CLOSED).get(merchant_id=merchant_id)
                    audit_log(actor=actor, action="settlement.watch_open", target=case, campaign=campaign,
                              data={"rule": code, "value": value})
                hit, created = FraudHit.objects.get_or_create(
                    merchant_id=merchant_id, rule=code, day=day,
                    defaults={"campaign": campaign, "value": value, "detail": detail, "case": case})
                if created:
                    audit_log(actor=actor, action="settlement.fraud_hit", target=hit, campaign=campaign,
                              data={"rule": code, "value": value, "detail": detail, "merchant": merchant_id})
                    new_hits.append(hit)
    return new_hits


def _case(case: WatchCase, allowed: tuple[str, ...]) -> WatchCase:
    case = WatchCase.objects.select_for_update().select_related("merchant").get(pk=case.pk)
    if case.status not in allowed:
        raise FraudError(_("This case is “%(status)s”; that step is not possible now.")
                         % {"status": case.get_status_display()})
    return case


@transaction.atomic
def watch_warn(*, actor, case: WatchCase, contacted_at, channel: str, summary: str, request=None) -> WatchCase:
    """Record the warning contact (usually a phone call) and move the case to "warned"."""
    if not summary.strip():
        raise FraudError(_("Write down what was said in the contact."))
    case = _case(case, (WatchCase.Status.WATCH, WatchCase.Status.WARNED))
    WatchContact.objects.create(case=case, contacted_at=contacted_at, channel=channel, summary=summary,
                                recorded_by=actor)
    case.status = WatchCase.Status.WARNED
    case.save(update_fields=["status"])
    audit_log(actor=actor, action="settlement.watch_warn", target=case, campaign=case.campaign, request=request,
              data={"channel": channel, "summary": summary})
    return case


@transaction.atomic
def watch_suspend(*, actor, case: WatchCase, reason: str, request=None) -> WatchCase:
    """Suspend the merchant (its payouts are then held) after a warning that changed nothing."""
    case = _case(case, (WatchCase.Status.WARNED,))
    if not reason.strip():
        raise FraudError(_("Give the reason for the suspension."))
    merchant = case.merchant
    if not merchant.is_suspended:
        merchant_suspend(actor=actor, merchant=merchant, reason=reason, request=request)
    case.status = WatchCase.Status.SUSPENDED
    case.note = reason
    case.save(update_fields=["status", "note"])
    audit_log(actor=actor, action="settlement.watch_suspend", target=case, campaign=case.campaign, request=request,
              data={"reason": reason})
    return case


@transaction.atomic
def watch_close(*, actor, case: WatchCase, note: str, request=None) -> WatchCase:
    """Close a case (cleared, or dealt with); a later hit opens a new one."""
    case = _case(case, (WatchCase.Status.WATCH, WatchCase.Status.WARNED, WatchCase.Status.SUSPENDED))
    if not note.strip():
        raise FraudError(_("Say why the case is closed."))
    case.status = WatchCase.Status.CLOSED
    case.closed_at = timezone.now()
    case.note = note
    case.save(update_fields=["status", "closed_at", "note"])
    audit_log(actor=actor, action="settlement.watch_close", target=case, campaign=case.campaign, request=request,
              data={"note": note})
    return case
