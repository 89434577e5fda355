from django.utils.functional import SimpleLazyObject

from campaign.models import Campaign
from campaign.selectors import default_campaign

SESSION_KEY = "current_campaign_id"


def _current_campaign(request):
    campaign_id = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if campaign_id:
        campaign = Campaign.objects.filter(pk=campaign_id).first()
        if campaign is not None:
            return campaign
    return default_campaign()


class CurrentCampaignMiddleware:
    """``request.campaign``: the campaign a staff member picked, or the newest active one (lazy: no query
    unless a view or template uses it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.campaign = SimpleLazyObject(lambda: _current_campaign(request))
        return self.get_response(request)
