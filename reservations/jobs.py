"""Reservation background jobs: slot generation from the rules, and the reservation list export."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.audit import audit_log
from campaign.exports import EXPORT_FORMATS, write_table
from campaign.jobs import JobError, job_kind
from campaign.models import Campaign
from reservations import selectors, services

CHUNK = 2000


@job_kind("reservation_slots_generate", label=gettext_lazy("Slot generation"), capability="reservations.setup")
def slots_generate(job, out, progress) -> str:
    """Regenerate the slots and write a report: counts, then every conflict (booked slots kept)."""
    campaign = Campaign.objects.get(pk=job.params["campaign"])
    progress(0, _("Generating slots"))
    report = services.slots_generate(campaign=campaign, progress=progress)
    audit_log(actor=job.owner, action="reservation.slots_generate", target=campaign, campaign=campaign,
              data={"created": report.created, "updated": report.updated, "deleted": report.deleted,
                    "conflicts": len(report.closed) + len(report.over_capacity)})
    header = [_("Result"), _("Counter"), _("Date and time"), _("Booked"), _("Seats (public)")]
    rows = [[_("Created"), "", "", report.created, ""], [_("Updated"), "", "", report.updated, ""],
            [_("Deleted (never booked)"), "", "", report.deleted, ""]]
    for slot in report.closed:
        rows.append([_("Conflict: no longer in the rules, kept with its bookings"), slot.counter.name,
                     timezone.localtime(slot.starts_at), slot.booked, slot.capacity])
    for slot in report.over_capacity:
        rows.append([_("Conflict: more bookings than the new capacity"), slot.counter.name,
                     timezone.localtime(slot.starts_at), slot.booked, slot.capacity])
    write_table("csv_utf8", out, header, rows, sheet_title=_("Slots"))
    return f"slots-{campaign.code}-{timezone.localtime():%Y%m%d-%H%M%S}.csv"


def export_header() -> list[str]:
    return [_("Reservation number"), _("Status"), _("Counter"), _("Date and time"), _("Name"), _("Name (kana)"),
            _("Phone"), _("E-mail"), _("Resident ID"), _("Channel"), _("Booked at"), _("Arrived at"), _("Memo")]


def export_rows(campaign, flt, progress=None):
    qs = selectors.search(campaign, flt).select_related(None).select_related("slot__counter", "resident")
    total = qs.count()
    done = 0
    for start in range(0, total, CHUNK):
        for r in qs[start:start + CHUNK]:
            yield [r.number, r.get_status_display(), r.slot.counter.name, timezone.localtime(r.slot.starts_at),
                   r.name, r.kana, r.phone, r.email, r.resident_number or (r.resident.resident_number if r.resident
                                                                            else ""),
                   r.get_channel_display(), timezone.localtime(r.created_at),
                   timezone.localtime(r.arrived_at) if r.arrived_at else "", r.arrival_memo]
            done += 1
        if progress and total:
            progress(min(99, done * 100 // total), _("%(done)d of %(total)d reservations") % {"done": done,
                                                                                           "total": total})


@job_kind("reservations_export", label=gettext_lazy("Reservation list export"), capability="reservations.view")
def reservations_export(job, out, progress) -> str:
    fmt = job.params.get("format", "xlsx")
    if fmt not in EXPORT_FORMATS:
        raise JobError(_("Unknown export format: %(format)s") % {"format": fmt})
    campaign = Campaign.objects.get(pk=job.params["campaign"])
    flt = selectors.SearchFilter.from_params(job.params.get("filter", {}))
    audit_log(actor=job.owner, action="reservation.export", target=campaign, campaign=campaign,
              data={"filter": job.params.get("filter", {})})
    write_table(fmt, out, export_header(), export_rows(campaign, flt, progress), sheet_title=_("Reservations"))
    return f"reservations-{campaign.code}-{timezone.localtime():%Y%m%d-%H%M%S}{EXPORT_FORMATS[fmt].extension}"


