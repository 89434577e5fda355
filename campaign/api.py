"""API plumbing shared by every app's api.py."""

from rest_framework import serializers, viewsets

from campaign.models import Campaign, Denomination


class DenominationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Denomination
        fields = ["code", "name", "face_value", "tickets_per_book", "sale_price_per_book"]


class CampaignSerializer(serializers.ModelSerializer):
    denominations = DenominationSerializer(many=True, read_only=True)

    class Meta:
        model = Campaign
        fields = ["id", "code", "name", "prefecture", "sales_start", "sales_end", "usage_start", "usage_end",
                  "settlement_deadline", "is_active", "denominations"]


class CampaignViewSet(viewsets.ReadOnlyModelViewSet):
    """Campaigns with their denominations (read-only)."""

    queryset = Campaign.objects.prefetch_related("denominations").order_by("code")
    serializer_class = CampaignSerializer
    lookup_field = "code"
