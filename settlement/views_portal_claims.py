"""The merchant portal's redemption claims (/merchant/claims/): the envelope list, declaring an envelope
(counts → confirmation → claim), its redemption slip PDF, and the result of the check per envelope.

A merchant only ever reaches its own envelopes: another merchant's envelope number is a 404, not a 403,
so the portal does not even confirm that the number exists.
"""

from __future__ import annotations

import io
import secrets

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from campaign.forms import form_attempt
from campaign.models import Denomination
from settlement import selectors_portal, services
from settlement.forms_claims import DeclareForm
from settlement.slips import group_envelope_number, redemption_slip_pdf, slip_document
from settlement.views_portal import merchant_required

# Confirmation tokens of claims on their way: a claim is made once per confirmation page, so a double tap
# on "declare" or the browser's back-and-resubmit does not make a second envelope.
TOKENS_SESSION_KEY = "merchant_claim_tokens"
REJECTED_PER_PAGE = 100
ENVELOPES_PER_PAGE = 50


def _denominations(merchant) -> list[Denomination]:
    return list(Denomination.objects.filter(campaign_id=merchant.campaign_id).order_by("-face_value", "code"))


@merchant_required
@require_GET
def claim_list(request):
    merchant = request.merchant
    page = Paginator(selectors_portal.merchant_envelopes(merchant), ENVELOPES_PER_PAGE).get_page(
        request.GET.get("page"))
    return render(request, "settlement/portal_claims/list.html", {
        "merchant": merchant, "envelopes": selectors_portal.envelope_rows(page.object_list), "page_obj": page,
        "nav": "claims",
    })


@merchant_required
@require_http_methods(["GET", "POST"])
def claim_declare(request):
    """Counts per denomination → a confirmation page with the computed amounts → the claim."""
    merchant = request.merchant
    denominations = _denominations(merchant)
    action = request.POST.get("action", "confirm") if request.method == "POST" else ""
    form = DeclareForm(request.POST if request.method == "POST" else None, denominations=denominations)
    context = {"merchant": merchant, "nav": "claims", "form": form}
    if action in ("confirm", "submit") and form.is_valid():
        if action == "confirm" and not merchant.is_suspended:
            token = secrets.token_urlsafe(16)
            request.session[TOKENS_SESSION_KEY] = [*request.session.get(TOKENS_SESSION_KEY, [])[-4:], token]
            tickets = form.tickets()
            return render(request, "settlement/portal_claims/confirm.html", {
                **context, "token": token, "hidden": form.as_hidden_values(),
                "lines": [{"name": d.name, "face_value": d.face_value, "tickets": n, "amount": n * d.face_value}
                          for d, n in tickets.items() if n],
                "total_tickets": sum(tickets.values()),
                "total_amount": sum(n * d.face_value for d, n in tickets.items()),
            })
        if action == "submit":
            tokens = request.session.get(TOKENS_SESSION_KEY, [])
            token = request.POST.get("token", "")
            if token not in tokens:
                messages.warning(request, _("This claim has already been sent. Check the list below before you "
                                            "declare the envelope again."))
                return redirect("merchant:claims")
            request.session[TOKENS_SESSION_KEY] = [t for t in tokens if t != token]
            envelope = form_attempt(form, lambda: services.envelope_declare(
                actor=request.user, merchant=merchant, tickets=form.tickets(), key=token, request=request))
            if envelope is not None:
                messages.success(request, _("Envelope %(number)s has been declared. Print its slip, sign and seal "
                                            "it, and put it in the envelope with the tickets.")
                                 % {"number": envelope.number})
                return redirect("merchant:claim_detail", number=envelope.number)
    if request.method == "POST" and action == "back":
        form = DeclareForm(initial={k: request.POST.get(k, "") for k in form.fields}, denominations=denominations)
        context["form"] = form
    return render(request, "settlement/portal_claims/declare.html", context)


def _own_envelope(request, number: str):
    envelope = selectors_portal.merchant_envelope(request.merchant, number)
    if envelope is None:
        raise Http404
    return envelope


@merchant_required
@require_GET
def claim_detail(request, number: str):
    """The result of the check: declared against accepted, and every ticket that was not accepted and why."""
    envelope = _own_envelope(request, number)
    result = selectors_portal.envelope_result(envelope)
    page = Paginator(selectors_portal.rejected_outcomes(envelope), REJECTED_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "settlement/portal_claims/detail.html", {
        "merchant": request.merchant, "nav": "claims", "envelope": envelope, "result": result,
        "number_grouped": group_envelope_number(envelope.number),
        "page_obj": page, "rejected": selectors_portal.rejected_tickets(envelope, page.object_list),
    })


@merchant_required
@require_GET
def claim_slip(request, number: str):
    """The redemption slip PDF (換金伝票) of one of the merchant's own envelopes."""
    envelope = _own_envelope(request, number)
    buffer = io.BytesIO()
    redemption_slip_pdf(buffer, slip_document(envelope))
    response = HttpResponse(buffer.getvalue(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="slip-{envelope.number}.pdf"'
    return response
