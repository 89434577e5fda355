"""Strict readers for settings that come from the environment.

Every helper raises ``ImproperlyConfigured`` naming the variable and what was wrong, instead of silently
falling back: a typo in production configuration must stop the process, not change its behaviour.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {value!r}.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def parse_database_url(url: str, name: str = "DATABASE_URL") -> dict:
    """``postgres://user:password@host:port/dbname?sslmode=require`` → a Django DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "postgis"):
        raise ImproperlyConfigured(f"{name} must be a postgres:// URL; got scheme {parts.scheme!r}.")
    database = unquote(parts.path.lstrip("/"))
    if not database:
        raise ImproperlyConfigured(f"{name} must name a database, e.g. postgres://user@host:5432/jimukyoku.")
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"{name} has an invalid port.") from None
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": database,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(port or ""),
        "OPTIONS": options,
    }


def database_url(entry: dict) -> str:
    """A Django DATABASES entry (e.g. ``connection.settings_dict``) as the URL ``parse_database_url`` reads: what a
    child process (a Celery worker, gunicorn under a benchmark) is given to reach the same database — under the
    test runner, the test database."""
    auth = quote(entry.get("USER") or "", safe="")
    if entry.get("PASSWORD"):
        auth += ":" + quote(entry["PASSWORD"], safe="")
    query = urlencode({k: v for k, v in (entry.get("OPTIONS") or {}).items() if isinstance(v, str)})
    return (f"postgres://{auth}@{entry.get('HOST') or '127.0.0.1'}:{entry.get('PORT') or 5432}/"
            f"{quote(entry['NAME'], safe='')}" + (f"?{query}" if query else ""))


def parse_email_url(url: str, name: str = "EMAIL_URL") -> dict:
    """Mail transport from one URL.

    ``console:`` (print), ``locmem:`` (tests), ``file:///path/to/dir``, ``smtp://user:pass@host:587?tls=1``,
    ``smtps://user:pass@host:465``.
    """
    parts = urlsplit(url)
    scheme = parts.scheme
    if scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if scheme == "file":
        if not parts.path:
            raise ImproperlyConfigured(f"{name}: file:// needs a folder, e.g. file:///var/mail/jimukyoku.")
        return {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": parts.path}
    if scheme in ("smtp", "smtps"):
        if not parts.hostname:
            raise ImproperlyConfigured(f"{name}: an smtp:// URL needs a host.")
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname,
            "EMAIL_PORT": parts.port or (465 if scheme == "smtps" else 25),
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_SSL": scheme == "smtps",
            "EMAIL_USE_TLS": query.get("tls", "0") in _TRUE,
        }
    raise ImproperlyConfigured(f"{name} scheme must be console, locmem, file, smtp or smtps; got {scheme!r}.")


def parse_mac_keys(value: str, name: str = "VOUCHER_MAC_KEYS") -> dict[str, bytes]:
    """``CAMPAIGN:hexkey,OTHER:hexkey`` → {campaign code: key bytes}. Keys must be at least 128 bits."""
    keys: dict[str, bytes] = {}
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        code, sep, hexkey = item.partition(":")
        if not sep or not code.strip():
            raise ImproperlyConfigured(f"{name}: each entry must be CAMPAIGN_CODE:HEXKEY; got {item!r}.")
        try:
            key = bytes.fromhex(hexkey.strip())
        except ValueError:
            raise ImproperlyConfigured(f"{name}: the key for {code!r} is not hexadecimal.") from None
        if len(key) < 16:
            raise ImproperlyConfigured(f"{name}: the key for {code!r} must be at least 16 bytes (32 hex digits).")
        keys[code.strip()] = key
    return keys
