"""Applicant background jobs: the list export with the current status, address labels and notice letters.
Each reads the applicants in chunks (never all at once) and reports progress on the job page."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.audit import audit_log
from campaign.exports import EXPORT_FORMATS, write_table
from campaign.jobs import JobError, job_kind
from campaign.models import Campaign
from reservations import labels, letters
from reservations.fields import SEX_CHOICES
from reservations.linkcodes import format_code
from reservations.models import LetterTemplate
from reservations.selectors_applicants import ApplicantFilter, letter_counters, letter_recipients, search
from reservations.selectors_applicants import labels as status_labels

CHUNK = 2000


def _filtered(job):
    campaign = Campaign.objects.get(pk=job.params["campaign"])
    flt = ApplicantFilter.from_params(job.params.get("filter", {}))
    return campaign, search(campaign, flt)


def _chunks(qs, fields: list[str]):
    """The rows of ``qs`` in id order, CHUNK at a time (keyset paging: no OFFSET, no cursor held open)."""
    last = 0
    while True:
        batch = list(qs.filter(pk__gt=last).order_by("pk").values(*fields)[:CHUNK])
        if not batch:
            return
        yield from batch
        last = batch[-1]["pk"]


def export_header() -> list[str]:
    return [_("Applicant number"), _("Link code"), _("Resident ID"), _("Name"), _("Name (kana)"), _("Sex"),
            _("Birth date"), _("Postal code"), _("Address"), _("Phone"), _("E-mail"), _("Current status"),
            _("Status since"), _("Reservation number"), _("Notes")]


def export_rows(qs, total: int, progress=None):
    names = status_labels()
    done = 0
    fields = ["pk", "link_code", "resident_number", "name", "kana", "sex", "birth_date", "postal_code", "address",
              "phone", "email", "current_status_id", "current_status_at", "reservation_id", "notes"]
    for row in _chunks(qs, fields):
        status = names.get(row["current_status_id"])
        yield [row["pk"], format_code(row["link_code"]), row["resident_number"], row["name"], row["kana"],
               str(SEX_CHOICES.get(row["sex"], row["sex"])), row["birth_date"], row["postal_code"], row["address"],
               row["phone"], row["email"], status.label if status else "",
               timezone.localtime(row["current_status_at"]) if row["current_status_at"] else "",
               row["reservation_id"] or "", row["notes"]]
        done += 1
        if progress and total and done % CHUNK == 0:
            progress(min(99, done * 100 // total), _("%(done)d of %(total)d applicants") % {"done": done,
                                                                                         "total": total})


@job_kind("applicants_export", label=gettext_lazy("Applicant list export"), capability="reservations.view")
def applicants_export(job, out, progress) -> str:
    fmt = job.params.get("format", "xlsx")
    if fmt not in EXPORT_FORMATS:
        raise JobError(_("Unknown export format: %(format)s") % {"format": fmt})
    campaign, qs = _filtered(job)
    total = qs.count()
    audit_log(actor=job.owner, action="applicant.export", target=campaign, campaign=campaign,
              data={"filter": job.params.get("filter", {}), "rows": total, "format": fmt})
    write_table(fmt, out, export_header(), export_rows(qs, total, progress), sheet_title=_("Applicants"))
    return f"applicants-{campaign.code}-{timezone.localtime():%Y%m%d-%H%M%S}{EXPORT_FORMATS[fmt].extension}"


@job_kind("applicant_labels", label=gettext_lazy("Address labels"), capability="reservations.manage")
def applicant_labels(job, out, progress) -> str:
    sheet = labels.SHEETS.get(str(job.params.get("sheet", "12")))
    if sheet is None:
        raise JobError(_("Unknown label sheet."))
    campaign, qs = _filtered(job)
    qs = qs.filter(personal_data_purged_at__isnull=True)
    total = qs.count()
    audit_log(actor=job.owner, action="applicant.print_labels", target=campaign, campaign=campaign,
              data={"filter": job.params.get("filter", {}), "labels": total, "sheet": sheet.code})
    items = (labels.LabelData(postal_code=r["postal_code"], address=r["address"], name=r["name"])
             for r in _chunks(qs, ["pk", "postal_code", "address", "name"]))
    progress(0, _("%(n)d labels") % {"n": total})
    labels.write_labels(out, items, sheet=sheet, total=total, progress=progress, title=_("Address labels"))
    return f"labels-{sheet.code}up-{campaign.code}-{timezone.localtime():%Y%m%d-%H%M%S}.pdf"


def letter_setup(campaign: Campaign, *, test_print: bool = False) -> letters.LetterSetup:
    template = LetterTemplate.objects.filter(campaign=campaign).first()
    return letters.LetterSetup(
        title=template.title if template else letters.DEFAULT_TITLE,
        body=template.body if template else letters.DEFAULT_BODY,
        counters=[(c.name, c.address) for c in letter_counters(campaign)],
        deadline=template.deadline if template else None, sender=template.sender if template else "",
        issued_on=timezone.localdate(), test_print=test_print)


@job_kind("applicant_letters", label=gettext_lazy("Notice letters"), capability="reservations.manage")
def applicant_letters(job, out, progress) -> str:
    """Params: campaign, filter, include_received (default: applicants already handed their vouchers are left
    out) and test_print (required while the site address is a development one; every page is then marked)."""
    problem = letters.site_url_problem()
    test_print = bool(job.params.get("test_print"))
    if problem and not test_print:
        raise JobError(problem + " " + _("Set the public address first, or confirm a test print."))
    campaign = Campaign.objects.get(pk=job.params["campaign"])
    flt = ApplicantFilter.from_params(job.params.get("filter", {}))
    found = letter_recipients(campaign, flt, include_received=bool(job.params.get("include_received")))
    qs = found.applicants
    total = qs.count()
    audit_log(actor=job.owner, action="applicant.print_letters", target=campaign, campaign=campaign,
              data={"filter": job.params.get("filter", {}), "letters": total,
                    "excluded_received": found.excluded_received, "test_print": bool(problem and test_print)})
    items = (letters.LetterData(postal_code=r["postal_code"], address=r["address"], name=r["name"],
                                link_code=r["link_code"])
             for r in _chunks(qs, ["pk", "postal_code", "address", "name", "link_code"]))
    progress(0, _("%(n)d letters") % {"n": total})
    letters.write_letters(out, items, letter_setup(campaign, test_print=bool(problem and test_print)),
                          total=total, progress=progress, title=_("Notice letters"))
    return f"letters-{campaign.code}-{timezone.localtime():%Y%m%d-%H%M%S}.pdf"
