"""How the system names a person on a page or in a file: by name, in Japanese order, never by login ID alone."""

from __future__ import annotations


def person_name(user) -> str:
    """Family name and given name (「山田 太郎」) when the account has them, else the login ID; "" for nobody."""
    if user is None:
        return ""
    full = f"{getattr(user, 'last_name', '') or ''} {getattr(user, 'first_name', '') or ''}".strip()
    return full or user.get_username()
