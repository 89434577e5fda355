from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
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


class JapaneseFirstLocaleMiddleware(LocaleMiddleware):
    """Japanese unless the visitor chose another language with the switcher (its cookie).

    The browser's Accept-Language is not used: this is a Japanese public service, and a resident whose phone
    happens to be set to English should still see the Japanese page first, with English one click away.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
