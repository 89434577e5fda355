"""The resident's entry with a link code: /reserve/code/ (typed) and /reserve/code/<code>/ (the letter's QR
code). A valid code is remembered in the session; the booking then passes the applicant to
``reservation_book``, whose ``reservation_booked`` receiver ties the code to the booking exactly once."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from campaign.audit import client_ip
from reservations import ratelimit
from reservations import services_applicants as services
from reservations.errors import RateLimited
from reservations.models import Applicant
from reservations.selectors_applicants import APPLICANT_FIELDS

APPLICANT_KEY = "reserve_applicant"  # the applicant whose link code this browser entered



def applicant_of_session(request) -> int | None:
    """The applicant id a link code opened in this browser (passed to the booking, which ties them once)."""
    value = request.session.get(APPLICANT_KEY)
    return int(value) if value else None


def booking_initial(request) -> dict:
    """Answers to pre-fill on the booking form from the applicant's record (the fields the form asks)."""
    applicant_id = applicant_of_session(request)
    if not applicant_id:
        return {}
    applicant = Applicant.objects.filter(pk=applicant_id).first()
    if applicant is None:
        return {}
    initial = {}
    for name in APPLICANT_FIELDS:
        value = getattr(applicant, name)
        if value:
            initial[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return initial


@require_http_methods(["GET", "POST"])
def code_entry(request, code: str = ""):
    """/reserve/code/ (typed) and /reserve/code/<code>/ (from the letter's QR code)."""
    campaign = request.campaign
    if not campaign:
        raise Http404(_("No campaign is open at the moment."))
    typed = request.POST.get("code", "") if request.method == "POST" else code
    error = None
    applicant = None
    if typed:
        try:
            ratelimit.check("lookup", client_ip(request))
        except RateLimited as exc:
            response = render(request, "reservations/applicants/code.html", {"rate_message": str(exc), "code": typed},
                              status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        applicant = services.applicant_for_code(campaign_id=campaign.pk, code=typed)
        if applicant is None:
            error = _("This link code is not valid. Please check it against your letter (hyphens do not matter).")
        elif applicant.reservation_id:
            error = _("This link code has already been used for a booking. To change the time, open your "
                      "reservation with its number and access key.")
            applicant = None
        else:
            request.session[APPLICANT_KEY] = applicant.pk
            return redirect("reserve:index")
    return render(request, "reservations/applicants/code.html", {"error": error, "code": typed},
                  status=400 if error else 200)
