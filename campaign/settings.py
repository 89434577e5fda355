"""Settings for Jimukyoku, read from the environment through the strict helpers in ``campaign.env``.

Development needs no variables at all: DEBUG is on, the embedded PostgreSQL server is used and jobs run
inline. Production sets DEBUG=0 and must then provide SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and
VOUCHER_MAC_KEYS; the process refuses to start otherwise.
"""

import hashlib
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from campaign import devdb
from campaign.env import (
    env_bool,
    env_int,
    env_list,
    env_str,
    parse_database_url,
    parse_email_url,
    parse_mac_keys,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)
TESTING = env_bool("JIMUKYOKU_TESTING", False)

_DEV_SECRET = "dev-only-insecure-secret-key-do-not-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET if DEBUG else None)
if not SECRET_KEY or (not DEBUG and (SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 50)):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG=0 "
        '(e.g. python -c "import secrets; print(secrets.token_urlsafe(64))").'
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the site's host names when DEBUG=0.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# The public address of the site, used in e-mails and printed letters.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "campaign.admin_site.JimukyokuAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "campaign",
    "vouchers",
    "settlement",
    "callcenter",
    "reservations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "campaign.middleware.JapaneseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "campaign.middleware.CurrentCampaignMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

if not DEBUG:
    # Static files straight from the app server in production; runserver serves them in development.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "campaign.urls"
WSGI_APPLICATION = "campaign.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "campaign.context_processors.shell",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------
# Without DATABASE_URL: the embedded server started by `make run` / `make test` (campaign/devdb.py).
DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    if not DEBUG:
        raise ImproperlyConfigured("DATABASE_URL must be set when DEBUG=0.")
    DATABASE_URL = devdb.url()
DATABASES = {"default": parse_database_url(DATABASE_URL)}
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 0)
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", None)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Celery --------------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    # The cache shares the Redis database with Celery's queue: its keys carry a prefix, and nothing may call
    # cache.clear() (a FLUSHDB would drop queued jobs); tests delete the prefixed keys only.
    # Parallel test workers (pytest-xdist) share one Redis database too: each keeps its keys under its own
    # prefix, so that one worker's cleanup between tests cannot empty another's counters mid-test.
    _worker = env_str("PYTEST_XDIST_WORKER") or ""
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": f"jimukyoku-{_worker}" if _worker else "jimukyoku"}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# No broker configured: run every job inline, in the process that enqueued it, so the demo still works.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Asia/Tokyo"
CELERY_BEAT_SCHEDULE = {
    "purge-expired-job-files": {"task": "campaign.tasks.purge_expired_jobs", "schedule": 3600.0},
    "purge-expired-personal-data": {"task": "settlement.tasks.purge_expired_personal_data",
                                    "schedule": 24 * 3600.0},
    "reservations-flag-no-shows": {"task": "reservations.tasks.flag_no_shows", "schedule": 300.0},
    "reservations-purge-personal-data": {"task": "reservations.tasks.purge_expired_personal_data",
                                         "schedule": 24 * 3600.0},
    "purge-callback-personal-data": {"task": "callcenter.tasks.purge_callback_personal_data",
                                     "schedule": 24 * 3600.0},
    # Payouts: close every cutoff whose day has ended (idempotent, so hourly is safe); the daily fraud watch.
    "close-due-cutoffs": {"task": "settlement.tasks.close_due_cutoffs", "schedule": 3600.0},
    "fraud-watch-daily": {"task": "settlement.tasks.fraud_watch_daily", "schedule": 24 * 3600.0},
    "reservations-purge-applicants": {"task": "reservations.tasks.purge_expired_applicants",
                                      "schedule": 24 * 3600.0},
}

# --- Authentication -------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:home"
OTP_TOTP_ISSUER = "Jimukyoku"
# Failed password logins allowed per user name (and per address) in the window before logins are refused.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60)
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3
SESSION_COOKIE_AGE = 60 * 60 * 10
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- Mail -----------------------------------------------------------------------------------------------
_email = parse_email_url(env_str("EMAIL_URL", "console:") or "console:")
for _key, _value in _email.items():
    globals()[_key] = _value
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "jimukyoku@example.jp")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Voucher serial keys (never stored in the database) -------------------------------------------------
_mac = env_str("VOUCHER_MAC_KEYS")
if _mac:
    VOUCHER_MAC_KEYS = parse_mac_keys(_mac)
elif DEBUG:
    # Development keys, derived from the campaign code; real campaigns get random keys from the environment.
    VOUCHER_MAC_KEYS = {
        code: hashlib.sha256(f"jimukyoku-development-key:{code}".encode()).digest()
        for code in ("DEMO2026", "TEST")
    }
else:
    raise ImproperlyConfigured("VOUCHER_MAC_KEYS must be set when DEBUG=0 (CAMPAIGN_CODE:HEXKEY,...).")

# --- Zengin 総合振込 (our account at the paying bank; development defaults) ----------------------------------
ZENGIN_REQUESTER_CODE = env_str("ZENGIN_REQUESTER_CODE", "0000012345")
ZENGIN_REQUESTER_NAME = env_str("ZENGIN_REQUESTER_NAME", "ｼﾞﾑｷﾖｸ")
# The issuer printed on payment notices (支払通知書): empty name → "<campaign> 事務局"; empty lines are left out.
SECRETARIAT_NAME = env_str("SECRETARIAT_NAME", "")
SECRETARIAT_ADDRESS = env_str("SECRETARIAT_ADDRESS", "")
SECRETARIAT_PHONE = env_str("SECRETARIAT_PHONE", "")
ZENGIN_SOURCE_BANK_CODE = env_str("ZENGIN_SOURCE_BANK_CODE", "0167")
ZENGIN_SOURCE_BANK_NAME = env_str("ZENGIN_SOURCE_BANK_NAME", "ｻﾝｲﾝｺﾞｳﾄﾞｳ")
ZENGIN_SOURCE_BRANCH_CODE = env_str("ZENGIN_SOURCE_BRANCH_CODE", "053")
ZENGIN_SOURCE_BRANCH_NAME = env_str("ZENGIN_SOURCE_BRANCH_NAME", "ﾄﾂﾄﾘ")
ZENGIN_SOURCE_ACCOUNT_TYPE = env_str("ZENGIN_SOURCE_ACCOUNT_TYPE", "1")
ZENGIN_SOURCE_ACCOUNT_NUMBER = env_str("ZENGIN_SOURCE_ACCOUNT_NUMBER", "1234567")
ZENGIN_NEWLINE = env_str("ZENGIN_NEWLINE", "CRLF")  # "CRLF" or "none"
# Hour (Tokyo) after which a cutoff day counts as ended and the beat task closes it.
CUTOFF_CLOSE_HOUR = env_int("CUTOFF_CLOSE_HOUR", 23)

# --- Internationalisation -------------------------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media-not-served/"  # job results are served through permission-checked views only
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
PDF_FONT_PATH = BASE_DIR / "static" / "fonts" / "ipaexg.ttf"
# Generated files (exports, PDFs) are deleted this long after the job finished.
JOB_FILE_RETENTION_HOURS = env_int("JOB_FILE_RETENTION_HOURS", 72)

# --- API ------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["campaign.permissions.IsVerifiedStaff"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Jimukyoku API",
    "DESCRIPTION": "Campaign secretariat API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Security -------------------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # /healthz is probed over plain HTTP by the load balancer.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

