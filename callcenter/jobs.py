"""Background exports of the call center. The callback list carries personal data: the job records which
requests it contains (``params["ids"]``) so the retention purge can delete the file with the data."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from callcenter import selectors
from callcenter.services import CALLBACK_EXPORT_KIND
from campaign.audit import audit_log
from campaign.exports import EXPORT_FORMATS, write_table
from campaign.jobs import JobError, job_kind
from campaign.models import Job


@job_kind(CALLBACK_EXPORT_KIND, label=gettext_lazy("Callback requests export"), capability="staff.home")
def callbacks_export(job, out, progress) -> str:
    fmt = job.params.get("format", "xlsx")
    if fmt not in EXPORT_FORMATS:
        raise JobError(_("Unknown export format: %(format)s") % {"format": fmt})
    requests = list(selectors.callbacks_visible_to(job.owner, job.campaign)
                    .filter(purged_at__isnull=True).select_related("department"))
    ids = [r.pk for r in requests]
    Job.objects.filter(pk=job.pk).update(params={**job.params, "ids": ids})
    audit_log(actor=job.owner, action="callback.export", target=job, campaign=job.campaign, data={"ids": ids})
    header = [_("Number"), _("Collected at"), _("Department"), _("Status"), _("Caller's name"), _("Daytime phone"),
              _("Address"), _("E-mail"), _("FAX"), _("Inquiry"), _("Delete after")]
    rows = ([str(r), r.collected_at, r.department.name, r.get_status_display(), r.name, r.phone, r.address,
             r.email, r.fax, r.inquiry, r.purge_after] for r in requests)
    progress(10, _("Writing the file"))
    write_table(fmt, out, header, rows, sheet_title=_("Callback requests"))
    return f"callbacks-{timezone.localtime():%Y%m%d-%H%M%S}{EXPORT_FORMATS[fmt].extension}"
