"""The staff area's own screens: home, campaign picker, audit log, jobs."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from campaign import audit_labels
from campaign.audit import audit_log
from campaign.decorators import staff_view
from campaign.forms import AuditFilterForm, ExportFormatForm
from campaign.jobs import can_download, can_view, get_kind, job_start
from campaign.middleware import SESSION_KEY
from campaign.models import Campaign, Job
from campaign.selectors import AuditFilter, campaigns_for_picker, jobs_of


@staff_view("staff.home")
def home(request):
    return render(request, "staff/home.html", {
        "campaigns": campaigns_for_picker(),
        "recent_jobs": jobs_of(request.user)[:5],
    })


@staff_view("staff.home")
@require_POST
def campaign_select(request):
    campaign = Campaign.objects.filter(pk=request.POST.get("campaign")).first()
    if campaign is None:
        messages.error(request, _("Choose a campaign from the list."))
    else:
        request.session[SESSION_KEY] = campaign.pk
        messages.success(request, _("Current campaign: %(name)s") % {"name": campaign.name})
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "staff:home"
    return redirect(target)


class AuditLogFilterForm(AuditFilterForm):
    """The shared audit filter with the action and the kind of object picked from lists of words, not typed."""

    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False)
    target_type = forms.ChoiceField(label=gettext_lazy("Kind of object"), required=False)

    field_order = ["actor", "action", "target_type", "target", "date_from", "date_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"].help_text = _("Name or login ID")
        self.fields["target"].label = _("Object name or ID")
        self.fields["action"].choices = audit_labels.action_choices()
        self.fields["target_type"].choices = audit_labels.target_type_choices()

    def params(self) -> dict:
        """The filter as saved with an export job; an invalid filter shows everything, as before."""
        if not self.is_valid():
            return AuditFilter().as_params()
        data = self.cleaned_data
        flt = AuditFilter(actor=data["actor"].strip(), action=data["action"], target=data["target"].strip(),
                          date_from=data["date_from"], date_to=data["date_to"])
        return {**flt.as_params(), "target_type": data["target_type"]}


@staff_view("audit.view")
def audit_list(request):
    form = AuditLogFilterForm(request.GET or None)
    page = Paginator(audit_labels.audit_log_events(form.params()), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "staff/audit_list.html", {
        "form": form, "page": page, "events": [audit_labels.readable(event) for event in page],
        "query": query.urlencode(), "export_form": ExportFormatForm(),
    })


@staff_view("audit.export")
@require_POST
def audit_export(request):
    form = AuditLogFilterForm(request.POST)
    fmt = ExportFormatForm(request.POST)
    if not form.is_valid() or not fmt.is_valid():
        messages.error(request, _("The export could not start: check the filter and the format."))
        return redirect("staff:audit_list")
    job = job_start(actor=request.user, kind="audit_export", request=request, campaign=None,
                    params={"filter": form.params(), "format": fmt.cleaned_data["format"]})
    return redirect("staff:job_detail", public_id=job.public_id)


@staff_view("jobs.own")
def job_list(request):
    page = Paginator(jobs_of(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "staff/job_list.html", {"page": page})


def _own_job(request, public_id) -> Job:
    job = get_object_or_404(Job, public_id=public_id)
    if not can_view(request.user, job):
        raise Http404
    return job


@staff_view("jobs.own")
def job_detail(request, public_id):
    job = _own_job(request, public_id)
    return render(request, "staff/job_detail.html", {"job": job, "kind": get_kind(job.kind)})


@staff_view("jobs.own")
def job_status(request, public_id):
    """The progress fragment the detail page polls with htmx until the job is finished."""
    job = _own_job(request, public_id)
    return render(request, "staff/_job_status.html", {"job": job})


@staff_view("jobs.own")
def job_download(request, public_id):
    job = _own_job(request, public_id)
    if not can_download(request.user, job):
        raise PermissionDenied
    if job.status != Job.Status.SUCCEEDED or not job.result_file:
        raise Http404(_("This file is not available (not finished, or deleted after its retention period)."))
    audit_log(actor=request.user, action="job.download", target=job, request=request,
              data={"kind": job.kind, "file": job.result_name})
    return FileResponse(job.result_file.open("rb"), as_attachment=True, filename=job.result_name)
