"""Merchant background jobs: the (filtered) merchant list as Excel or CSV for staff.

The export carries the store details the directory and the review use; bank accounts and the representative's
personal data are deliberately left out, so the file can travel to the prefecture or a chamber of commerce.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.exports import EXPORT_FORMATS, write_table
from campaign.jobs import JobError, job_kind
from campaign.models import Campaign
from settlement import selectors

CHUNK = 2000


def export_header() -> list[str]:
    return [_("Merchant number"), _("Status"), _("Suspended"), _("Store name"), _("Store name (kana)"),
            _("Business form"), _("Company or owner name"), _("Postal code"), _("Address"), _("Phone"),
            _("E-mail"), _("Genre"), _("Area"), _("Opening hours"), _("Takeout"),
            _("Infection-control measures declared"), _("Shown in the directory"), _("Kit shipped on"),
            _("Applied at"), _("Reviewed at")]


def export_rows(campaign: Campaign, flt: selectors.MerchantFilter, progress=None):
    qs = selectors.merchants(campaign, flt)
    total = qs.count()
    yes, no = _("yes"), _("no")
    done = 0
    # Chunks keep memory flat and let the kit dates come in one query per chunk.
    for start in range(0, total, CHUNK):
        chunk = list(qs[start:start + CHUNK])
        kits = selectors.last_kit_dates(m.pk for m in chunk)
        for m in chunk:
            yield [
                m.merchant_number or "", m.get_status_display(), yes if m.is_suspended else no, m.store_name,
                m.store_name_kana, m.get_business_form_display(), m.company_name, m.postal_code, m.address,
                m.phone, m.email, m.get_genre_display(), m.get_area_display(), m.opening_hours,
                yes if m.takeout else no, yes if m.infection_control else no, yes if m.published else no,
                kits.get(m.pk) or "", timezone.localtime(m.applied_at),
                timezone.localtime(m.reviewed_at) if m.reviewed_at else "",
            ]
        done += len(chunk)
        if progress and total:
            progress(min(99, done * 100 // total), _("%(done)d of %(total)d merchants") % {"done": done,
                                                                                         "total": total})


@job_kind("merchants_export", label=gettext_lazy("Merchant list export"), capability="merchants.view")
def merchants_export(job, out, progress) -> str:
    fmt = job.params.get("format", "xlsx")
    if fmt not in EXPORT_FORMATS:
        raise JobError(_("Unknown export format: %(format)s") % {"format": fmt})
    campaign = Campaign.objects.get(pk=job.params["campaign"])
    flt = selectors.MerchantFilter.from_params(job.params.get("filter", {}))
    progress(0, _("Collecting the merchants"))
    write_table(fmt, out, export_header(), export_rows(campaign, flt, progress), sheet_title=_("Merchants"))
    return f"merchants-{campaign.code}-{timezone.localtime():%Y%m%d-%H%M%S}{EXPORT_FORMATS[fmt].extension}"
