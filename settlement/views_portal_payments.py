"""Merchant portal: payment history and payment notices (/merchant/payments/).

A merchant sees its lines of approved batches: the amount, the payment date, whether the bank confirmed it, a
failed transfer with the reason (and the way to correct the account), held amounts with the reason, and envelopes
that paid nothing (every ticket rejected) as "nothing to pay" with the reason. The notice PDF is the very file in
the batch's notice zip (deterministic), generated on request.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header

from campaign.audit import audit_log
from settlement.models import PayoutLine, SettlementBatch
from settlement.payout_documents import notice_name, notice_pdf
from settlement.views_portal import merchant_required

RELEASED = (SettlementBatch.Status.APPROVED, SettlementBatch.Status.PAID)


def _lines(merchant):
    return (PayoutLine.objects.filter(merchant=merchant, batch__status__in=RELEASED)
            .select_related("batch__cutoff").order_by("-batch__cutoff__payment_date", "-pk"))


@merchant_required
def payments(request):
    merchant = request.merchant
    lines = list(_lines(merchant))
    return render(request, "settlement/portal_payments/payments.html", {
        "merchant": merchant, "nav": "payments", "lines": lines,
        "failed": [line for line in lines if line.status == PayoutLine.Status.FAILED and line.carried_to_id is None],
        "hold_labels": dict(PayoutLine.HoldReason.choices),
        "total_paid": sum(line.amount for line in lines if line.status == PayoutLine.Status.PAID),
    })


@merchant_required
def notice(request, pk):
    line = get_object_or_404(_lines(request.merchant).select_related("merchant", "batch__campaign"), pk=pk)
    # A held line has nothing decided yet, and a "nothing to pay" line no transfer: neither has a payment notice.
    if line.status in (PayoutLine.Status.HELD, PayoutLine.Status.NOTHING):
        raise Http404
    data = notice_pdf(line.batch, line)
    audit_log(actor=request.user, action="settlement.notice_download", target=line, campaign=line.batch.campaign,
              request=request)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, notice_name(line.batch, line))
    return response
