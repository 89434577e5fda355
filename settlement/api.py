"""API for the auditor role: report revisions (with their diffs) and settlement batches, read-only.

Every endpoint needs the ``reports.audit`` capability on top of a verified staff session; each listing is scoped
to the campaign named by ``?campaign=CODE`` (or every campaign when absent)."""

from __future__ import annotations

from rest_framework import permissions, serializers, viewsets

from campaign.permissions import IsVerifiedStaff
from campaign.roles import has_capability
from settlement.models import AuditReport, SettlementBatch


class CanAudit(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return has_capability(request.user, "reports.audit")


class AuditReportSerializer(serializers.ModelSerializer):
    campaign = serializers.SlugRelatedField(slug_field="code", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = AuditReport
        fields = ["id", "campaign", "kind", "period_start", "period_end", "revision", "figures", "diff", "reason",
                  "created_by", "created_at"]


class SettlementBatchSerializer(serializers.ModelSerializer):
    campaign = serializers.SlugRelatedField(slug_field="code", read_only=True)
    cutoff_date = serializers.DateField(source="cutoff.cutoff_date")
    payment_date = serializers.DateField(source="cutoff.payment_date")
    kind = serializers.CharField(source="cutoff.kind")

    class Meta:
        model = SettlementBatch
        fields = ["id", "campaign", "cutoff_date", "payment_date", "kind", "status", "envelopes", "merchants",
                  "amount", "held", "held_amount", "prepared_at", "approved_at", "paid_recorded_at"]


class _CampaignScoped:
    def filter_campaign(self, qs):
        code = self.request.query_params.get("campaign")
        return qs.filter(campaign__code=code) if code else qs


class AuditReportViewSet(_CampaignScoped, viewsets.ReadOnlyModelViewSet):
    """Auditor reports, every revision kept: filter with ?campaign=, ?kind=daily|period, ?start=YYYY-MM-DD."""

    serializer_class = AuditReportSerializer
    permission_classes = [IsVerifiedStaff, CanAudit]

    def get_queryset(self):
        qs = self.filter_campaign(AuditReport.objects.select_related("campaign", "created_by"))
        params = self.request.query_params
        if params.get("kind"):
            qs = qs.filter(kind=params["kind"])
        if params.get("start"):
            qs = qs.filter(period_start=params["start"])
        return qs.order_by("-period_start", "kind", "-revision")


class SettlementBatchViewSet(_CampaignScoped, viewsets.ReadOnlyModelViewSet):
    """Settlement batches with their totals (paid per batch)."""

    serializer_class = SettlementBatchSerializer
    permission_classes = [IsVerifiedStaff, CanAudit]

    def get_queryset(self):
        return self.filter_campaign(SettlementBatch.objects.select_related("campaign", "cutoff")).order_by(
            "-cutoff__cutoff_date", "-pk")
