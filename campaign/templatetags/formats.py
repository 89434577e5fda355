"""Template filters for campaign/formats.py: ``{{ amount|yen }}``, ``{{ d|day }}``, ``{{ d|day:"weekday" }}``,
``{{ t|moment }}``, ``{{ d|month }}`` and ``{{ code|book_state }}``."""

from django import template

from campaign import formats

register = template.Library()


@register.filter
def yen(amount) -> str:
    return formats.yen(amount)


@register.filter
def day(value, arg: str = "") -> str:
    return formats.day(value, weekday=arg == "weekday")


@register.filter
def moment(value) -> str:
    return formats.moment(value)


@register.filter
def month(value) -> str:
    return formats.month(value)


@register.filter
def book_state(code: str) -> str:
    """A book state code kept in a record ("vault") shown with the Book state label (保管庫)."""
    from vouchers.models import BookState  # noqa: PLC0415 - campaign is loaded before the vouchers app

    try:
        return str(BookState(code).label)
    except ValueError:
        return code


@register.filter
def person(user) -> str:
    """``{{ batch.prepared_by|person }}``: family and given name (campaign.people.person_name), never a bare login ID
    when the account has a name."""
    from campaign.people import person_name

    return person_name(user)
