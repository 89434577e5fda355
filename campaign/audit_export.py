"""The audit-log export job: the filtered audit log as Excel or CSV (UTF-8 with BOM or CP932), in the same words as
the page (campaign/audit_labels.py): described actions, named people and objects, labelled details."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign import audit_labels
from campaign.exports import EXPORT_FORMATS, write_table
from campaign.jobs import JobError, job_kind

CHUNK = 2000


@job_kind("audit_export", label=gettext_lazy("Audit log export"), capability="audit.export")
def export_audit_log(job, out, progress) -> str:
    fmt = job.params.get("format", "xlsx")
    if fmt not in EXPORT_FORMATS:
        raise JobError(_("Unknown export format: %(format)s") % {"format": fmt})
    events = audit_labels.audit_log_events(job.params.get("filter", {}))
    total = events.count()
    header = [_("Time"), _("Actor"), _("Login ID"), _("Action"), _("Kind of object"), _("Target"),
              _("Target ID"), _("Campaign"), _("IP address"), _("Details"), _("Action code")]

    def rows():
        for done, event in enumerate(events.iterator(chunk_size=CHUNK), start=1):
            yield [
                timezone.localtime(event.at),
                audit_labels.actor_name(event),
                event.actor.get_username() if event.actor_id else "",
                audit_labels.action_label(event.action),
                audit_labels.target_type_label(event.target_type),
                event.target_label,
                event.target_id,
                event.campaign.name if event.campaign_id else "",
                event.ip or "",
                audit_labels.details_text(event.data),
                event.action,
            ]
            if done % CHUNK == 0 and total:
                progress(min(99, done * 100 // total), _("%(done)d of %(total)d rows") % {"done": done,
                                                                                          "total": total})

    progress(0, _("%(total)d rows to export") % {"total": total})
    write_table(fmt, out, header, rows(), sheet_title=_("Audit log"))
    extension = EXPORT_FORMATS[fmt][1]
    # The name the auditor saves: 監査ログ_20261105.xlsx (sent as RFC 6266 filename* by the download view).
    return f"{_('Audit log')}_{timezone.localtime():%Y%m%d}{extension}"
