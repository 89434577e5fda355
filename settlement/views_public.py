"""Public pages: the merchant application (form → confirmation → done), the postal-code lookup it uses,
and the store directory residents search."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.mail import send_mail
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from campaign.japanese import search_key
from campaign.selectors import default_campaign
from settlement import services
from settlement.forms_public import ApplicationForm, StoreDetailsForm
from settlement.models import BankAccount, Merchant
from settlement.postal import address_for, format_postal_code, parse_postal_code

# The application between the form and the final submit, and the reference shown on the done page.
DRAFT_SESSION_KEY = "merchant_application"
DONE_SESSION_KEY = "merchant_application_done"

DIRECTORY_PAGE_SIZE = 20

logger = logging.getLogger(__name__)


def application_reference(merchant: Merchant) -> str:
    """What the applicant quotes when they call: the campaign code and the application's number."""
    return f"{merchant.campaign.code}-{merchant.pk:06d}"


def _closed(request):
    return render(request, "settlement/apply/closed.html", status=200)


@require_http_methods(["GET", "POST"])
def apply(request):
    campaign = default_campaign()
    if campaign is None:
        return _closed(request)
    if request.method == "POST":
        form = ApplicationForm(request.POST)
        if form.is_valid():
            request.session[DRAFT_SESSION_KEY] = {"campaign": campaign.pk, "data": form.cleaned_data}
            return redirect("public:apply_confirm")
    else:
        draft = request.session.get(DRAFT_SESSION_KEY)
        form = ApplicationForm(initial=draft["data"] if draft else None)
    return render(request, "settlement/apply/form.html", {"form": form, "campaign": campaign})


@require_http_methods(["GET", "POST"])
def apply_confirm(request):
    campaign = default_campaign()
    if campaign is None:
        return _closed(request)
    draft = request.session.get(DRAFT_SESSION_KEY)
    if not draft or draft.get("campaign") != campaign.pk:
        messages.info(request, _("Fill in the application form first."))
        return redirect("public:apply")
    data = draft["data"]
    if request.method == "POST":
        if request.POST.get("action") != "submit":
            return redirect("public:apply")
        # Checked again: the bank data or the campaign may have changed since the form was filled in.
        form = ApplicationForm(_as_post_data(data))
        if form.is_valid():
            data = form.cleaned_data
            try:
                merchant = services.merchant_apply(
                    campaign=campaign,
                    fields={name: data[name] for name in ApplicationForm.MERCHANT_FIELDS},
                    representative={"name": data["representative_name"], "name_kana": data["representative_kana"]},
                    bank=services.BankDetails(bank_code=data["bank_code"], branch_code=data["branch_code"],
                                              account_type=data["account_type"],
                                              account_number=data["account_number"],
                                              holder_name=data["holder_name"]),
                    request=request,
                )
            except services.MerchantError as exc:
                form.add_error(None, str(exc))
            else:
                del request.session[DRAFT_SESSION_KEY]
                reference = application_reference(merchant)
                request.session[DONE_SESSION_KEY] = {"reference": reference, "email": merchant.email}
                _send_application_received(merchant, reference)
                return redirect("public:apply_done")
        return render(request, "settlement/apply/form.html", {"form": form, "campaign": campaign})
    form = ApplicationForm()
    rows = _confirmation_rows(form, data)
    return render(request, "settlement/apply/confirm.html", {"rows": rows, "data": data, "campaign": campaign})


def _as_post_data(data: dict) -> dict:
    """Cleaned values back into form input (checkboxes are present only when ticked)."""
    return {name: value for name, value in data.items() if value not in (False, None)}


def _confirmation_rows(form: ApplicationForm, data: dict) -> list[tuple[str, str]]:
    rows = []
    for name in ApplicationForm.field_order:
        if name == "email_confirm":
            continue
        field = form.fields[name]
        value = data.get(name, "")
        if name == "postal_code":
            value = "〒" + format_postal_code(value)
        elif name == "bank_code":
            value = f"{value} {data.get('bank_name', '')}"
        elif name == "branch_code":
            value = f"{value} {data.get('branch_name', '')}"
        elif name == "account_type":
            value = BankAccount.AccountType(value).label
        elif hasattr(field, "choices") and not isinstance(value, bool):
            value = dict(field.choices).get(value, value)
        elif isinstance(value, bool):
            value = _("Yes") if value else _("No")
        rows.append((field.label, value))
    return rows


def _send_application_received(merchant: Merchant, reference: str) -> None:
    campaign = merchant.campaign
    subject = _("[%(campaign)s] We have received your merchant application") % {"campaign": campaign.name}
    body = _(
        "%(store)s\n\nThank you for applying to take part in %(campaign)s as a merchant.\n"
        "Your application reference is %(reference)s. Please quote it when you contact the secretariat.\n\n"
        "The secretariat will review your application. When it is approved you will receive your merchant "
        "number and a link to set the password of your merchant portal account.\n\n"
        "If you did not apply, please contact the campaign secretariat."
    ) % {"store": merchant.store_name, "campaign": campaign.name, "reference": reference}
    try:
        send_mail(subject, body, None, [merchant.email])
    except Exception:
        # The application is saved: an error page now would only make the applicant apply twice.
        logger.exception("Could not send the application confirmation for merchant %s", merchant.pk)


@require_GET
def apply_done(request):
    done = request.session.get(DONE_SESSION_KEY)
    if not done:
        return redirect("public:apply")
    return render(request, "settlement/apply/done.html", {"done": done, "campaign": default_campaign()})


@require_GET
def postal_lookup(request):
    """htmx: the address for a postal code, and a status line for screen readers.

    The address input is swapped out of band only when it is empty or holds another area's address, so a street
    and building the applicant already typed after the town name are not wiped out.
    """
    raw = request.GET.get("postal_code", "")
    code = parse_postal_code(raw)
    if code is None:
        if sum(ch.isdigit() for ch in raw) >= 7:
            message = _("Enter the postal code as 7 digits, e.g. 680-0011.")
            return render(request, "settlement/apply/_postal_result.html", {"message": message, "error": True})
        return HttpResponse("")
    address = address_for(code)
    if address is None:
        message = _("No address was found for 〒%(code)s. Check the postal code, or type the address yourself.") % {
            "code": format_postal_code(code)}
        return render(request, "settlement/apply/_postal_result.html", {"message": message, "error": True})
    current = request.GET.get("address", "").strip()
    replace = not current.startswith(address)
    address_input = None
    if replace:
        form = StoreDetailsForm(initial={"address": address})
        address_input = form["address"].as_widget(attrs={"hx-swap-oob": "true"})
        message = _("Address filled in: %(address)s. Add the street number and building.") % {"address": address}
    else:
        message = _("The postal code matches the address: %(address)s.") % {"address": address}
    return render(request, "settlement/apply/_postal_result.html",
                  {"message": message, "address": address, "address_input": address_input})


# --- store directory ------------------------------------------------------------------------------------

def directory_merchants(campaign, *, q: str = "", area: str = "", genre: str = "",
                        takeout: bool = False) -> QuerySet[Merchant]:
    """Stores residents may see: approved, published, not suspended, of this campaign."""
    qs = Merchant.objects.filter(campaign_id=campaign.pk, status=Merchant.Status.APPROVED, published=True,
                                 suspended_at__isnull=True)
    # Each word must match somewhere in name, reading or address; keys make ｶﾌｪ, カフェ and かふぇ equal.
    for word in q.split():
        key = search_key(word)
        if key:
            qs = qs.filter(search_key__icontains=key)
    if area:
        qs = qs.filter(area=area)
    if genre:
        qs = qs.filter(genre=genre)
    if takeout:
        qs = qs.filter(takeout=True)
    return qs.order_by("store_name_kana", "pk")


@require_GET
def stores(request):
    campaign = request.campaign or None
    if campaign is None:
        return render(request, "stores/directory.html", {"campaign": None})
    q = request.GET.get("q", "").strip()[:100]
    area = request.GET.get("area", "")
    area = area if area in Merchant.Area.values else ""
    genre = request.GET.get("genre", "")
    genre = genre if genre in Merchant.Genre.values else ""
    takeout = request.GET.get("takeout") == "1"
    merchants = directory_merchants(campaign, q=q, area=area, genre=genre, takeout=takeout)
    page = Paginator(merchants, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    params = {key: value for key, value in {"q": q, "area": area, "genre": genre,
                                              "takeout": "1" if takeout else ""}.items() if value}
    return render(request, "stores/directory.html", {
        "campaign": campaign, "page": page, "query": urlencode(params), "filtered": bool(params),
        "q": q, "area": area, "genre": genre, "takeout": takeout,
        "areas": Merchant.Area.choices, "genres": Merchant.Genre.choices,
    })

