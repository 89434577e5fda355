"""Settings come from the environment through strict helpers; production refuses unsafe configuration."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from campaign.env import database_url, env_bool, env_int, parse_database_url, parse_email_url, parse_mac_keys


def test_booleans_are_strict(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        env_bool("SOME_FLAG", False)
    monkeypatch.setenv("SOME_FLAG", "off")
    assert env_bool("SOME_FLAG", True) is False
    monkeypatch.setenv("SOME_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER"):
        env_int("SOME_NUMBER", 1)


def test_database_url_is_parsed_and_checked():
    db = parse_database_url("postgres://app:p%40ss@db.internal:6543/jimukyoku?sslmode=require")
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "app", "p@ss", "db.internal", "6543", "jimukyoku")
    assert db["OPTIONS"] == {"sslmode": "require"}
    with pytest.raises(ImproperlyConfigured, match="postgres"):
        parse_database_url("mysql://x@y/z")
    with pytest.raises(ImproperlyConfigured, match="name a database"):
        parse_database_url("postgres://x@y:5432/")


def test_a_database_entry_turns_back_into_the_url_it_came_from():
    url = "postgres://app:p%40ss%2Fw@db.internal:6543/test_jimukyoku?sslmode=require"
    assert database_url(parse_database_url(url)) == url
    # No password, host or port: the local server's defaults are written out.
    assert database_url({"USER": "postgres", "PASSWORD": "", "HOST": "", "PORT": "", "NAME": "x"}) == \
        "postgres://postgres@127.0.0.1:5432/x"


def test_email_url_schemes():
    assert parse_email_url("console:")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    smtp = parse_email_url("smtp://mailer:secret@smtp.example.jp:587?tls=1")
    assert (smtp["EMAIL_HOST"], smtp["EMAIL_PORT"], smtp["EMAIL_USE_TLS"]) == ("smtp.example.jp", 587, True)
    assert parse_email_url("smtps://a:b@smtp.example.jp")["EMAIL_PORT"] == 465
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        parse_email_url("pigeon://coop")


def test_voucher_keys_must_be_long_hex():
    keys = parse_mac_keys("TOTTORI2020:" + "ab" * 32 + ", NAGANO:" + "01" * 16)
    assert keys["TOTTORI2020"] == bytes.fromhex("ab" * 32) and len(keys["NAGANO"]) == 16
    with pytest.raises(ImproperlyConfigured, match="at least 16 bytes"):
        parse_mac_keys("X:abcd")
    with pytest.raises(ImproperlyConfigured, match="hexadecimal"):
        parse_mac_keys("X:" + "zz" * 16)


def test_japanese_is_the_default_language_and_time_is_japan_time():
    assert settings.LANGUAGE_CODE == "ja"
    assert settings.TIME_ZONE == "Asia/Tokyo"
    assert [code for code, _name in settings.LANGUAGES] == ["ja", "en"]


def _manage(*args, **env):
    drop = ("SECRET_KEY", "ALLOWED_HOSTS", "VOUCHER_MAC_KEYS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    base = {k: v for k, v in os.environ.items() if k not in drop}
    base.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=base,
                          capture_output=True, text=True, timeout=120)


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k" * 10 + "Zx9-" * 15,
    "ALLOWED_HOSTS": "jimukyoku.example.jp",
    "VOUCHER_MAC_KEYS": "TOTTORI2020:" + "5a" * 32,
    "DATABASE_URL": "postgres://app:pw@db.example.internal:5432/jimukyoku",
}


def test_production_refuses_to_start_without_a_real_secret():
    env = dict(PRODUCTION)
    del env["SECRET_KEY"]
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    result = _manage("check", **dict(PRODUCTION, SECRET_KEY="dev-only-insecure-secret-key-do-not-use-in-production"))
    assert result.returncode != 0


def test_production_refuses_to_start_without_voucher_keys_or_hosts():
    result = _manage("check", **{k: v for k, v in PRODUCTION.items() if k != "VOUCHER_MAC_KEYS"})
    assert result.returncode != 0 and "VOUCHER_MAC_KEYS" in result.stderr
    result = _manage("check", **{k: v for k, v in PRODUCTION.items() if k != "ALLOWED_HOSTS"})
    assert result.returncode != 0 and "ALLOWED_HOSTS" in result.stderr


def test_check_deploy_reports_no_warnings_in_production():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout
