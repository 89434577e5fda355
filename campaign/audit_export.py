"""The audit-log export job: the filtered audit log as Excel or CSV (UTF-8 with BOM or CP932)."""

from __future__ import annotations

import json

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.exports import EXPORT_FORMATS, write_table
from campaign.jobs import JobError, job_kind
from campaign.selectors import AuditFilter, audit_events

CHUNK = 2000


@job_kind("audit_export", label=gettext_lazy("Audit log export"), capability="audit.export")
def export_audit_log(job, out, progress) -> str:
    fmt = job.params.get("format", "xlsx")
    if fmt not in EXPORT_FORMATS:
        raise JobError(_("Unknown export format: %(format)s") % {"format": fmt})
    events = audit_events(AuditFilter.from_params(job.params.get("filter", {})))
    total = events.count()
    header = [_("Time"), _("Actor"), _("Action"), _("Target type"), _("Target ID"), _("Target"),
              _("Campaign"), _("IP address"), _("Details")]

    def rows():
        for done, event in enumerate(events.iterator(chunk_size=CHUNK), start=1):
            yield [
                timezone.localtime(event.at),
                event.actor_label,
                event.action,
                event.target_type,
                event.target_id,
                event.target_label,
                event.campaign.code if event.campaign_id else "",
                event.ip or "",
                json.dumps(event.data, ensure_ascii=False, sort_keys=True) if event.data else "",
            ]
            if done % CHUNK == 0 and total:
                progress(min(99, done * 100 // total), _("%(done)d of %(total)d rows") % {"done": done,
                                                                                          "total": total})

    progress(0, _("%(total)d rows to export") % {"total": total})
    write_table(fmt, out, header, rows(), sheet_title=_("Audit log"))
    extension = EXPORT_FORMATS[fmt][1]
    return f"audit-log-{timezone.localtime():%Y%m%d-%H%M%S}{extension}"
