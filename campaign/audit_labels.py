"""The audit log in words an auditor reads (監査ログの表示): what each action code means, what a target is, and the
JSON details as labelled fields. The page and the export both go through here, so they say the same thing.

Every action code the code base writes has an entry in ``ACTION_LABELS``; tests/campaign/test_audit_log_readable.py
scans the source and fails when one is missing. A code written before this table existed (or by a newer release)
still shows readably through ``action_label``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.models import AuditEvent
from campaign.people import person_name
from campaign.selectors import AuditFilter, audit_events

# --- Actions ---------------------------------------------------------------------------------------------------

DOMAIN_LABELS = {
    "auth": gettext_lazy("Sign-in and accounts"),
    "job": gettext_lazy("Background jobs and downloads"),
    "merchant": gettext_lazy("Merchants"),
    "settlement": gettext_lazy("Redemption and settlement"),
    "banks": gettext_lazy("Bank directory"),
    "vouchers": gettext_lazy("Printing, delivery and sales of vouchers"),
    "reservation": gettext_lazy("Purchase reservations"),
    "applicant": gettext_lazy("Applicants"),
    "resident": gettext_lazy("Residents"),
    "call": gettext_lazy("Call center"),
    "callback": gettext_lazy("Callback requests"),
    "callcenter": gettext_lazy("Call center settings"),
    "escalation": gettext_lazy("Escalations"),
    "faq": gettext_lazy("FAQ"),
    "retention": gettext_lazy("Deletion after the retention period"),
}

ACTION_LABELS = {
    # Sign-in
    "auth.login": gettext_lazy("Signed in (second factor passed)"),
    "auth.login_failed": gettext_lazy("Sign-in failed (wrong login ID or password)"),
    "auth.password_ok": gettext_lazy("Password accepted (second factor pending)"),
    "auth.otp_failed": gettext_lazy("Second factor failed (wrong one-time code)"),
    "auth.second_person_failed": gettext_lazy("Second person not confirmed (opening or disposal refused)"),
    "auth.otp_enrolled": gettext_lazy("Authenticator app registered"),
    "auth.backup_codes_regenerated": gettext_lazy("Backup codes issued again"),
    "auth.logout": gettext_lazy("Signed out"),
    # Jobs
    "job.start": gettext_lazy("Background job started (export or print)"),
    "job.download": gettext_lazy("Generated file downloaded"),
    # Merchants
    "merchant.apply": gettext_lazy("Merchant application submitted"),
    "merchant.approve": gettext_lazy("Merchant application approved"),
    "merchant.reject": gettext_lazy("Merchant application rejected"),
    "merchant.request_correction": gettext_lazy("Merchant application sent back for correction"),
    "merchant.suspend": gettext_lazy("Merchant suspended (no claims, no payment)"),
    "merchant.resume": gettext_lazy("Merchant suspension lifted"),
    "merchant.import": gettext_lazy("Merchants imported from a file"),
    "merchant.kit_ship": gettext_lazy("Merchant starter kit shipped"),
    "merchant.login": gettext_lazy("Merchant signed in to the portal"),
    "merchant.logout": gettext_lazy("Merchant signed out of the portal"),
    "merchant.admin_change": gettext_lazy("Merchant changed in the administration screen"),
    "merchant.view_representative": gettext_lazy("Merchant representative's personal data viewed"),
    "merchant.bank_change_request": gettext_lazy("Change of bank account requested"),
    "merchant.bank_change_approve": gettext_lazy("Change of bank account approved"),
    "merchant.bank_change_reject": gettext_lazy("Change of bank account rejected"),
    "merchant.store_update": gettext_lazy("Store details changed"),
    "merchant.store_change_request": gettext_lazy("Change of store details requested"),
    "merchant.store_change_withdraw": gettext_lazy("Requested change of store details withdrawn"),
    "merchant.store_changes_apply": gettext_lazy("Requested change of store details accepted"),
    "merchant.store_changes_reject": gettext_lazy("Requested change of store details refused"),
    # Redemption intake and settlement
    "settlement.envelope_declare": gettext_lazy("Redemption envelope declared by the merchant"),
    "settlement.envelope_receive": gettext_lazy("Redemption envelope received"),
    "settlement.serials_read": gettext_lazy("Ticket serial numbers read"),
    "settlement.envelope_reconcile": gettext_lazy("Redemption envelope reconciled"),
    "settlement.envelope_release": gettext_lazy("Redemption envelope released from review"),
    "settlement.investigation_accept": gettext_lazy("Investigation decided: ticket accepted and paid"),
    "settlement.investigation_reject": gettext_lazy("Investigation decided: ticket rejected"),
    "settlement.disposal_record": gettext_lazy("Disposal of redeemed tickets recorded"),
    "settlement.cutoff_create": gettext_lazy("Cutoff added"),
    "settlement.cutoff_update": gettext_lazy("Cutoff changed"),
    "settlement.cutoff_delete": gettext_lazy("Cutoff deleted"),
    "settlement.cutoffs_save": gettext_lazy("Cutoff calendar saved"),
    "settlement.cutoff_scope": gettext_lazy("Cutoff limited to chosen merchants or envelopes"),
    "settlement.batch_close": gettext_lazy("Cutoff closed (batch prepared)"),
    "settlement.batch_prepare": gettext_lazy("Settlement batch signed by its preparer"),
    "settlement.batch_approve": gettext_lazy("Settlement batch approved"),
    "settlement.batch_discard": gettext_lazy("Settlement batch discarded (cutoff reopened)"),
    "settlement.batch_bank_result": gettext_lazy("Bank transfer result recorded"),
    "settlement.output_download": gettext_lazy("Transfer file or payout list downloaded"),
    "settlement.notice_download": gettext_lazy("Payment notices downloaded"),
    "settlement.report_issue": gettext_lazy("Auditor report issued"),
    "settlement.report_download": gettext_lazy("Auditor report downloaded"),
    "settlement.fraud_rule_update": gettext_lazy("Fraud detection rule changed"),
    "settlement.fraud_hit": gettext_lazy("Fraud detection rule triggered"),
    "settlement.watch_open": gettext_lazy("Merchant put under watch"),
    "settlement.watch_warn": gettext_lazy("Warning sent to a watched merchant"),
    "settlement.watch_suspend": gettext_lazy("Watched merchant suspended"),
    "settlement.watch_close": gettext_lazy("Watch on a merchant closed"),
    "banks.import": gettext_lazy("Bank and branch directory imported"),
    # Vouchers
    "vouchers.print_order_create": gettext_lazy("Print order created"),
    "vouchers.lot_create": gettext_lazy("Print lot created"),
    "vouchers.outlet_create": gettext_lazy("Sales outlet added"),
    "vouchers.outlet_update": gettext_lazy("Sales outlet changed"),
    "vouchers.outlet_order_create": gettext_lazy("Delivery order for an outlet created"),
    "vouchers.delivery_dispatch": gettext_lazy("Delivery dispatched"),
    "vouchers.delivery_confirm": gettext_lazy("Delivery receipt confirmed"),
    "vouchers.sales_report": gettext_lazy("Outlet sales reported"),
    "vouchers.stocktake": gettext_lazy("Stock-take recorded"),
    "vouchers.stocktake_resolve": gettext_lazy("Stock-take difference resolved"),
    "vouchers.collection_open": gettext_lazy("Collection of unsold books started"),
    "vouchers.collection_return": gettext_lazy("Unsold books returned"),
    "vouchers.collection_close": gettext_lazy("Collection of unsold books closed"),
    "vouchers.destruction": gettext_lazy("Destruction of vouchers recorded"),
    # Reservations and applicants
    "reservation.book": gettext_lazy("Purchase reserved"),
    "reservation.change": gettext_lazy("Reservation changed"),
    "reservation.cancel": gettext_lazy("Reservation cancelled"),
    "reservation.arrive": gettext_lazy("Arrival at the counter recorded"),
    "reservation.memo": gettext_lazy("Reservation memo written"),
    "reservation.no_shows": gettext_lazy("Reservations marked as no-shows"),
    "reservation.search": gettext_lazy("Reservations searched"),
    "reservation.view": gettext_lazy("Reservation viewed"),
    "reservation.view_day": gettext_lazy("Day's reservations viewed"),
    "reservation.export": gettext_lazy("Reservations exported"),
    "reservation.settings": gettext_lazy("Reservation settings changed"),
    "reservation.rules_create": gettext_lazy("Opening hours added"),
    "reservation.rule_delete": gettext_lazy("Opening hours deleted"),
    "reservation.slots_generate": gettext_lazy("Reservation slots generated"),
    "reservation.closed_days_add": gettext_lazy("Closed days added"),
    "reservation.excluded_add": gettext_lazy("Person excluded from reserving"),
    "reservation.counter_add": gettext_lazy("Sales counter added"),
    "reservation.counter_edit": gettext_lazy("Sales counter changed"),
    "reservation.counter_outlet": gettext_lazy("Sales counter linked to an outlet"),
    "reservation.counter_sale": gettext_lazy("Sale at the counter recorded"),
    "reservation.purge_personal_data": gettext_lazy("Personal data of reservations deleted"),
    "applicant.create": gettext_lazy("Applicant registered"),
    "applicant.update": gettext_lazy("Applicant changed"),
    "applicant.view": gettext_lazy("Applicant viewed"),
    "applicant.search": gettext_lazy("Applicants searched"),
    "applicant.import": gettext_lazy("Applicants imported from a file"),
    "applicant.import_preview": gettext_lazy("Applicant import checked (not saved)"),
    "applicant.export": gettext_lazy("Applicants exported"),
    "applicant.progress": gettext_lazy("Applicant's progress recorded"),
    "applicant.progress_bulk": gettext_lazy("Progress recorded for several applicants"),
    "applicant.progress_undo": gettext_lazy("Applicant's progress entry undone"),
    "applicant.status_label": gettext_lazy("Progress status saved"),
    "applicant.letter_template": gettext_lazy("Letter template saved"),
    "applicant.print_letters": gettext_lazy("Letters to applicants printed"),
    "applicant.print_labels": gettext_lazy("Address labels printed"),
    "applicant.purge_personal_data": gettext_lazy("Personal data of applicants deleted"),
    "resident.signup": gettext_lazy("Resident account created"),
    "resident.login": gettext_lazy("Resident signed in"),
    # Call center
    "call.log": gettext_lazy("Call recorded"),
    "callback.create": gettext_lazy("Callback request taken"),
    "callback.complete": gettext_lazy("Callback completed"),
    "callback.view": gettext_lazy("Callback request viewed"),
    "callback.export": gettext_lazy("Callback requests exported"),
    "callcenter.line_save": gettext_lazy("Call center line saved"),
    "callcenter.category_save": gettext_lazy("Inquiry category saved"),
    "escalation.open": gettext_lazy("Escalation opened"),
    "escalation.update": gettext_lazy("Escalation changed"),
    "escalation.note": gettext_lazy("Note added to an escalation"),
    "faq.create": gettext_lazy("FAQ entry added"),
    "faq.update": gettext_lazy("FAQ entry changed"),
    "faq.import": gettext_lazy("FAQ imported from a file"),
    "faq.synonyms_save": gettext_lazy("FAQ synonyms saved"),
    "faq.synonyms_delete": gettext_lazy("FAQ synonyms deleted"),
    # Retention
    "retention.callbacks_purge": gettext_lazy("Callback requests deleted after the retention period"),
    "retention.representatives_purge": gettext_lazy("Merchant representatives' data deleted after the retention period"),
}


def action_label(code: str) -> str:
    """The description of an action code; a code without one still reads as a sentence, never as an error."""
    if code in ACTION_LABELS:
        return str(ACTION_LABELS[code])
    return _("Other action (%(code)s)") % {"code": code}


def action_choices() -> list:
    """Choices for the action filter, grouped by area. ``merchant.`` (ending in a dot) means any merchant action."""
    groups: dict[str, list] = {}
    for code, label in ACTION_LABELS.items():
        groups.setdefault(code.split(".", 1)[0], []).append((code, str(label)))
    choices: list = [("", _("All actions"))]
    for domain, entries in groups.items():
        area = str(DOMAIN_LABELS.get(domain, domain))
        entries.sort(key=lambda entry: entry[1])
        choices.append((area, [(f"{domain}.", _("All: %(area)s") % {"area": area}), *entries]))
    return choices


# --- Targets ---------------------------------------------------------------------------------------------------

# The apps whose rows the log can name; Django's own apps other than the user model are left out of the filter.
_TARGET_APPS = ("campaign", "vouchers", "settlement", "callcenter", "reservations")


def target_type_label(target_type: str) -> str:
    """The model's Japanese name (``settlement.settlementbatch`` → 精算バッチ); the code itself if it names no model."""
    if not target_type:
        return ""
    try:
        model = apps.get_model(target_type)
    except (LookupError, ValueError):
        return target_type
    return str(model._meta.verbose_name)


def target_text(event: AuditEvent) -> str:
    """「精算バッチ 2026-11-05」: what the event was about, in words."""
    kind = target_type_label(event.target_type)
    if event.target_label:
        return f"{kind} {event.target_label}".strip()
    if event.target_id:
        return _("%(kind)s (ID %(id)s)") % {"kind": kind or _("Target"), "id": event.target_id}
    return kind


def target_type_choices() -> list[tuple[str, str]]:
    models = [m for m in apps.get_models() if m._meta.app_label in _TARGET_APPS]
    models.append(apps.get_model("auth.user"))
    entries = sorted(((m._meta.label_lower, str(m._meta.verbose_name)) for m in models), key=lambda e: e[1])
    return [("", _("All kinds")), *entries]


# --- Details ---------------------------------------------------------------------------------------------------

DETAIL_LABELS = {
    "accepted_amount": gettext_lazy("Accepted amount"),
    "accepts_late": gettext_lazy("Late envelopes accepted"),
    "account": gettext_lazy("Bank account"),
    "active": gettext_lazy("In use"),
    "adjustment": gettext_lazy("Adjustment"),
    "after": gettext_lazy("After"),
    "amount": gettext_lazy("Amount"),
    "answers_changed": gettext_lazy("Answers changed"),
    "applicant": gettext_lazy("Applicant"),
    "assignee": gettext_lazy("Assigned to"),
    "before": gettext_lazy("Before"),
    "books": gettext_lazy("Books"),
    "carried": gettext_lazy("Failed transfers carried over"),
    "changed_sections": gettext_lazy("Changed sections"),
    "changes": gettext_lazy("Changes"),
    "channel": gettext_lazy("Channel"),
    "class": gettext_lazy("Classification"),
    "code": gettext_lazy("Code (as recorded)"),
    "conflicts": gettext_lazy("Conflicts"),
    "count": gettext_lazy("Number of items"),
    "counted_tickets": gettext_lazy("Tickets counted"),
    "counter": gettext_lazy("Sales counter"),
    "counters": gettext_lazy("Sales counters"),
    "counts": gettext_lazy("Counts"),
    "created": gettext_lazy("Added"),
    "cutoff_date": gettext_lazy("Cutoff date"),
    "day": gettext_lazy("Day"),
    "declared_tickets": gettext_lazy("Tickets declared"),
    "deleted": gettext_lazy("Deleted"),
    "denomination": gettext_lazy("Denomination"),
    "department": gettext_lazy("Department"),
    "detail": gettext_lazy("Detail"),
    "device": gettext_lazy("Authenticator"),
    "disposed_on": gettext_lazy("Disposed on"),
    "due_at": gettext_lazy("Due"),
    "end": gettext_lazy("End"),
    "envelopes": gettext_lazy("Envelopes"),
    "envelopes_settled": gettext_lazy("Envelopes settled"),
    "errors": gettext_lazy("Errors"),
    "event": gettext_lazy("Progress entry"),
    "export_files": gettext_lazy("Export files"),
    "failed": gettext_lazy("Failed transfers"),
    "faq_items": gettext_lazy("FAQ entries"),
    "fields": gettext_lazy("Fields"),
    "file": gettext_lazy("File"),
    "filter": gettext_lazy("Filter"),
    "first_bank_account": gettext_lazy("First bank account"),
    "first_book": gettext_lazy("First book"),
    "format": gettext_lazy("Format"),
    "from": gettext_lazy("From (earlier value or first day)"),
    "from_slot": gettext_lazy("Previous slot"),
    "held": gettext_lazy("Merchants held"),
    "held_amount": gettext_lazy("Amount held"),
    "holder": gettext_lazy("Account holder"),
    "ids": gettext_lazy("IDs"),
    "ignored_columns": gettext_lazy("Ignored columns"),
    "investigation": gettext_lazy("Investigation"),
    "investigations": gettext_lazy("Investigations"),
    "is_active": gettext_lazy("In use"),
    "kind": gettext_lazy("Kind"),
    "labels": gettext_lazy("Labels"),
    "last_book": gettext_lazy("Last book"),
    "letters": gettext_lazy("Letters"),
    "limited": gettext_lazy("Limited to chosen merchants"),
    "line": gettext_lazy("Line"),
    "lines": gettext_lazy("Counted and ledger books by denomination"),
    "lost_books": gettext_lazy("Lost books"),
    "memo": gettext_lazy("Memo"),
    "merchant": gettext_lazy("Merchant"),
    "merchant_ids": gettext_lazy("Merchants"),
    "merchant_number": gettext_lazy("Merchant number"),
    "merchants": gettext_lazy("Number of merchants"),
    "method": gettext_lazy("Method"),
    "min_tickets": gettext_lazy("Minimum tickets"),
    "note": gettext_lazy("Note"),
    "nothing_to_pay": gettext_lazy("Merchants with nothing to pay"),
    "opened_with": gettext_lazy("Opened with"),
    "outlet": gettext_lazy("Sales outlet"),
    "page": gettext_lazy("Page"),
    "paid": gettext_lazy("Transfers paid"),
    "params": gettext_lazy("Parameters"),
    "payment_date": gettext_lazy("Payment date"),
    "previous": gettext_lazy("Previous value"),
    "previous_reason": gettext_lazy("Previous reason"),
    "priority": gettext_lazy("Priority"),
    "purge_after": gettext_lazy("Delete after"),
    "purged": gettext_lazy("Deleted"),
    "ranges": gettext_lazy("Ranges"),
    "reason": gettext_lazy("Reason"),
    "reasons": gettext_lazy("Reasons"),
    "received_by": gettext_lazy("Received by"),
    "remittance": gettext_lazy("Remittance"),
    "requested_at": gettext_lazy("Requested at"),
    "resolution": gettext_lazy("Resolution"),
    "response_type": gettext_lazy("Response"),
    "revision": gettext_lazy("Revision"),
    "rows": gettext_lazy("Rows"),
    "rule": gettext_lazy("Rule"),
    "seal_intact": gettext_lazy("Seal intact"),
    "search_logs": gettext_lazy("Search logs"),
    "sha256": gettext_lazy("File checksum (SHA-256)"),
    "sheet": gettext_lazy("Label sheet"),
    "shown": gettext_lazy("Rows shown"),
    "skipped_lines": gettext_lazy("Skipped lines"),
    "slot": gettext_lazy("Slot"),
    "source": gettext_lazy("Origin"),
    "spoiled_sheets": gettext_lazy("Spoiled sheets"),
    "start": gettext_lazy("Start"),
    "status": gettext_lazy("Status"),
    "summary": gettext_lazy("Summary"),
    "terms": gettext_lazy("Terms"),
    "threshold": gettext_lazy("Threshold"),
    "tickets": gettext_lazy("Tickets"),
    "to": gettext_lazy("To (new value or last day)"),
    "to_slot": gettext_lazy("New slot"),
    "tracking_number": gettext_lazy("Tracking number"),
    "unchanged": gettext_lazy("Unchanged"),
    "undo": gettext_lazy("Undone"),
    "updated": gettext_lazy("Updated"),
    "value": gettext_lazy("Value"),
    "visibility": gettext_lazy("Visibility"),
    "weekdays": gettext_lazy("Weekdays"),
    "witness": gettext_lazy("Witness"),
}

# Integer yen: shown as 「12,345円」.
MONEY_KEYS = frozenset({"amount", "accepted_amount", "adjustment", "held_amount", "remittance", "face_value"})
# Quantities: thousands separators. Other integers are numbers of things (book 100234, revision 3) and stay bare.
COUNT_KEYS = frozenset({
    "books", "carried", "count", "counted_tickets", "created", "declared_tickets", "deleted", "envelopes",
    "envelopes_settled", "held", "labels", "letters", "lost_books", "merchants", "min_tickets", "nothing_to_pay",
    "paid", "purged", "rows", "shown", "spoiled_sheets", "tickets", "unchanged", "updated", "failed",
})
# The figures an auditor looks for first; the rest follow by key. (The database stores the details as jsonb, which
# does not keep the order the service wrote them in.)
KEY_ORDER = ("reason", "status", "cutoff_date", "payment_date", "kind", "merchants", "amount", "held", "held_amount",
             "envelopes", "tickets", "count")
# A list longer than this is cut on the page, with the number left out said in words.
LIST_LIMIT = 30
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")


@dataclass
class Detail:
    """One labelled field of an event's details: a text, or nested fields, or a list of items."""

    label: str
    text: str = ""
    children: list[Detail] = field(default_factory=list)
    items: list[str] = field(default_factory=list)


def detail_label(key: str) -> str:
    return str(DETAIL_LABELS.get(key, key))


def _scalar(key: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, int):
        if key in MONEY_KEYS:
            return _("%(amount)s yen") % {"amount": f"{value:,}"}
        if key in COUNT_KEYS:
            return f"{value:,}"
        return str(value)
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return f"{moment:%Y-%m-%d %H:%M}"
    return str(value)


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, dict | list | tuple)


def _item_text(key: str, value: Any) -> str:
    """One element of a list as a line: a row of values joined with slashes, a small mapping as key: value."""
    if _is_scalar(value):
        return _scalar(key, value)
    if isinstance(value, dict):
        return "、".join(f"{detail_label(k)}: {_item_text(k, v)}" for k, v in value.items())
    return " / ".join(_item_text(key, v) for v in value)


def _detail(key: str, value: Any) -> Detail:
    label = detail_label(key)
    if isinstance(value, dict):
        if not value:
            return Detail(label, "—")
        return Detail(label, children=[_detail(k, value[k]) for k in _ordered(value)])
    if isinstance(value, list | tuple):
        if not value:
            return Detail(label, "—")
        if all(_is_scalar(v) for v in value) and len(value) <= LIST_LIMIT:
            return Detail(label, "、".join(_scalar(key, v) for v in value))
        items = [_item_text(key, v) for v in value[:LIST_LIMIT]]
        if len(value) > LIST_LIMIT:
            items.append(_("… and %(count)s more") % {"count": f"{len(value) - LIST_LIMIT:,}"})
        return Detail(label, items=items)
    return Detail(label, _scalar(key, value))


def detail_items(data: Any) -> list[Detail]:
    """The event's JSON details as labelled fields, the main figures first (``KEY_ORDER``)."""
    if not data:
        return []
    if not isinstance(data, dict):
        return [Detail(_("Details"), _item_text("", data))]
    return [_detail(key, data[key]) for key in _ordered(data)]


def _ordered(data: dict) -> list[str]:
    return sorted(data, key=lambda key: (KEY_ORDER.index(key) if key in KEY_ORDER else len(KEY_ORDER), key))


def details_text(data: Any) -> str:
    """The same fields as plain text for a spreadsheet cell: one 「label: value」 per line, nesting indented."""
    lines: list[str] = []

    def walk(details: list[Detail], depth: int) -> None:
        for d in details:
            indent = "  " * depth
            if d.children:
                lines.append(f"{indent}{d.label}:")
                walk(d.children, depth + 1)
            elif d.items:
                lines.append(f"{indent}{d.label}:")
                lines.extend(f"{indent}  ・{item}" for item in d.items)
            else:
                lines.append(f"{indent}{d.label}: {d.text}")

    walk(detail_items(data), 0)
    return "\n".join(lines)


# --- The log as an auditor reads it ----------------------------------------------------------------------------

@dataclass
class ReadableEvent:
    event: AuditEvent
    actor: str
    action: str
    target: str
    details: list[Detail]


def actor_name(event: AuditEvent) -> str:
    """Who did it, by name; an event written by the system itself (a scheduled task, a failed sign-in) says so."""
    if event.actor_id:
        return person_name(event.actor)
    return _("System (automatic)")


def readable(event: AuditEvent) -> ReadableEvent:
    return ReadableEvent(event=event, actor=actor_name(event), action=action_label(event.action),
                         target=target_text(event), details=detail_items(event.data))


def audit_log_events(params: dict) -> QuerySet[AuditEvent]:
    """The events the readable log shows for a filter (the page's query or an export job's saved params).

    On top of ``audit_events``: an action picked from the list is matched exactly (``auth.login`` must not also
    find ``auth.login_failed``), an area (``merchant.``) by prefix; a kind of object is matched exactly.
    """
    events = audit_events(AuditFilter.from_params(params))
    action = params.get("action", "")
    if action and not action.endswith("."):
        events = events.filter(action=action)
    if params.get("target_type"):
        events = events.filter(target_type=params["target_type"])
    return events
