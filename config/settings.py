"""Settings, from the environment. Wiring only: no business rules here.

Environment variables:
    DATABASE_URL           default sqlite:///var/residence.sqlite3 ; postgres://… for PostgreSQL
    RESIDENCE_SECRET_KEY   Django secret key (sessions, CSRF); else var/keys/django-secret, written by the demo
    RESIDENCE_FIELD_KEY, RESIDENCE_INDEX_KEY, RESIDENCE_AUDIT_KEY
                           base64 of 32 random bytes each: field encryption, blind index, audit chain; older keys in
                           RESIDENCE_<KIND>_OLD_KEYS; else key rings in RESIDENCE_KEY_DIR (residence/core/keys.py)
    RESIDENCE_KEY_DIR      default var/keys (mode 0700, files 0600)
    RESIDENCE_DEBUG        1/0
    RESIDENCE_ALLOWED_HOSTS comma-separated
    RESIDENCE_SECURE_COOKIES 1/0 (default: on unless DEBUG)
    RESIDENCE_LOCKOUT_FAILURES  failed log-ins before lockout (default 5)
    RESIDENCE_SMS_BACKEND  where text messages go: console (default) or memory
    RESIDENCE_STAFF_REQUIRE_OTP 1/0: staff log in with an authenticator app's code
    RESIDENCE_OTP_ENROL_HOURS   hours a new staff account may log in without a code to set one up (default 72)
    RESIDENCE_PASSWORD_CODE_HOURS  hours an administrator's one-time code for a new password is valid (default 24)
    RESIDENCE_TRUSTED_PROXIES   comma-separated addresses/networks of reverse proxies whose X-Forwarded-* are believed
    RESIDENCE_TRUSTED_ORIGINS   comma-separated origins (https://rk.example.gov.cn) trusted for CSRF
    RESIDENCE_HSTS_SECONDS      Strict-Transport-Security max-age over HTTPS (default one year; 0 turns it off)
    RESIDENCE_API_TOKEN_DAYS    days a new API token is valid (default 365)
    RESIDENCE_API_TOKEN_RATE    API requests per minute per client (default 600)
    RESIDENCE_RESIDENT_CODE_TRIES  resident sign-up/reset tries an hour per address and per ID number (default 10)
    RESIDENCE_LOCALITY          whose rules apply: national (default), yantian, taizhou, hubei (the demo: yantian)
    RESIDENCE_STAY_KEY_DAYS     days an integrator's idempotency keys are kept (default 30)
    RESIDENCE_STAY_SCOPE_DAYS   days after a hotel stay ends that its area's staff still find the guest (default 30)
    RESIDENCE_UPLOAD_TTL_MINUTES minutes an import upload waits for its confirm before it is removed (default 60)
    RESIDENCE_LOGIN_FAILURE_EVENTS  failed log-ins recorded one by one on the audit trail per minute (default 120)
    RESIDENCE_REFUSAL_EVENTS    refused pages recorded one by one per account per minute (default 60)
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("RESIDENCE_VAR_DIR", BASE_DIR / "var"))


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _flag("RESIDENCE_DEBUG", False)
_DEV_SECRET = "dev-only-insecure-key-change-me-0123456789abcdef"  # noqa: S105
# Keys of each kind (field, index, audit) are read by residence/core/keys.py from the environment or this directory.
KEY_DIR = Path(os.environ.get("RESIDENCE_KEY_DIR", VAR_DIR / "keys"))
_SECRET_FILE = KEY_DIR / "django-secret"
SECRET_KEY = os.environ.get("RESIDENCE_SECRET_KEY") or (
    _SECRET_FILE.read_text().strip() if _SECRET_FILE.exists() else _DEV_SECRET)
ALLOWED_HOSTS = [h for h in os.environ.get("RESIDENCE_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # serves its bundled Swagger UI from our static files instead of a CDN
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "residence.core",
    "residence.audit",
    "residence.accounts",
    "residence.places",
    "residence.people",
    "residence.stays",
    "residence.registrations",
    "residence.employment",
    "residence.eligibility",
    "residence.permits",
    "residence.demo",
    "residence.workbench",
    "residence.bench",
]

MIDDLEWARE = [
    "residence.core.proxy.TrustedProxyMiddleware",  # first: forwarded headers only from trusted proxies
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "residence.core.middleware.NoStoreMiddleware",  # personal data (issue 11): nothing dynamic is cached
    "residence.core.middleware.RequestIdMiddleware",
    "residence.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "residence.core.middleware.SessionlessApiMiddleware",  # bearer-key and public API requests: straight to the view
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "residence.accounts.middleware.OtpEnrolmentMiddleware",
    "residence.accounts.middleware.RefusedAccessMiddleware",  # refused pages on the audit trail
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    "residence.core.middleware.NulCharacterMiddleware",  # last: its 400 is a page like any other
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "residence" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "residence.accounts.context_processors.navigation",
            ],
        },
    }
]

VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'residence.sqlite3'}",
        conn_max_age=int(os.environ.get("RESIDENCE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side binding (parameters sent apart from the statement, never spliced into its text). Only statements
    # marked by core.lean.prepared are prepared (look-ups by key and inserts that run on every request): preparing
    # every statement cut a name search's median but gave it tails of 15 to 50 ms from generic plans, where a plan
    # made for the actual prefix stays near 10. No JIT and no parallel workers:
    # the planner's cost of a look-up across every monthly stay partition passes both thresholds, and compiling took
    # seconds where the query itself took a third of one (a hotel's batch of returning guests), while launching two
    # workers for a guest's open stays (a third of a millisecond of work) cost six milliseconds and most of the
    # database's CPU at 16 front desks. A web request's queries are short; a report that would gain from parallel
    # workers may SET LOCAL max_parallel_workers_per_gather in its transaction.
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True,
                                       "options": "-c jit=off -c max_parallel_workers_per_gather=0"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [  # at least 12 characters (ASVS 2.1.1), messages in Chinese
    {"NAME": "residence.accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ("username", "display_name")}},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "workbench:home"

# Lockout (django-axes)
AXES_FAILURE_LIMIT = int(os.environ.get("RESIDENCE_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("RESIDENCE_LOCKOUT_HOURS", "0.5"))
# A user name from one address, and also one address across user names (password spraying); the address is the one
# residence.core.proxy settled (forwarded only by trusted proxies). A success does not wipe the address's count,
# or a sprayer with an account of its own would log in between tries.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_CLIENT_IP_CALLABLE = "residence.core.proxy.client_address"
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# Audit events of failed log-ins across the site per minute (the lockout bounds each address); refused pages per
# account per minute. Past these, one event says the rest of the minute's are not recorded one by one.
LOGIN_FAILURE_EVENTS_PER_MINUTE = int(os.environ.get("RESIDENCE_LOGIN_FAILURE_EVENTS", "120"))
REFUSAL_EVENTS_PER_MINUTE = int(os.environ.get("RESIDENCE_REFUSAL_EVENTS", "60"))

# Second factor for staff: when on, every staff account must have a confirmed TOTP device.
STAFF_REQUIRE_OTP = _flag("RESIDENCE_STAFF_REQUIRE_OTP", False)
# Where text messages go: "console" (development, demo) or "memory" (tests); see residence/core/sms.py.
SMS_BACKEND = os.environ.get("RESIDENCE_SMS_BACKEND", "console")
# Hours a new staff account (or one whose lost phone an administrator removed) may log in without a code, to set
# up its authenticator app, when STAFF_REQUIRE_OTP is on.
OTP_ENROL_HOURS = int(os.environ.get("RESIDENCE_OTP_ENROL_HOURS", "72"))
# Hours a one-time code for setting a new password (issued by an administrator at /manage/accounts/) is valid.
PASSWORD_CODE_HOURS = int(os.environ.get("RESIDENCE_PASSWORD_CODE_HOURS", "24"))
OTP_TOTP_ISSUER = "居住登记与居住证信息系统"  # the name authenticator apps show beside the user name

# Internationalisation: Simplified Chinese first.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "residence" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [
    BASE_DIR / "residence" / "static",
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/jsqr", BASE_DIR / "node_modules" / "jsqr" / "dist"),
]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Security
_SECURE = _flag("RESIDENCE_SECURE_COOKIES", not DEBUG and os.environ.get("RESIDENCE_HTTPS", "0") == "1")
SESSION_COOKIE_SECURE = _SECURE
CSRF_COOKIE_SECURE = _SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "residence.core.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Clients, tokens and log-in (issue 11)
# Behind a TLS-terminating proxy: addresses or networks whose X-Forwarded-For/-Proto are believed (others' are
# dropped by residence.core.proxy), and the public origins a browser posts from when the proxy rewrites the host.
TRUSTED_PROXIES = [p.strip() for p in os.environ.get("RESIDENCE_TRUSTED_PROXIES", "").split(",") if p.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("RESIDENCE_TRUSTED_ORIGINS", "").split(",") if o.strip()]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # safe: the header survives only from TRUSTED_PROXIES
SECURE_HSTS_SECONDS = int(os.environ.get("RESIDENCE_HSTS_SECONDS", str(365 * 24 * 3600)))  # sent over HTTPS only
# API tokens: days a new token is valid; requests per minute per client.
API_TOKEN_DAYS = int(os.environ.get("RESIDENCE_API_TOKEN_DAYS", "365"))
API_TOKEN_RATE_PER_MINUTE = int(os.environ.get("RESIDENCE_API_TOKEN_RATE", "600"))
# public e-permit verification, per client address; the addresses listed are not counted (the benchmark's clients)
PERMIT_VERIFY_RATE_PER_MINUTE = int(os.environ.get("RESIDENCE_PERMIT_VERIFY_RATE", "60"))
RATELIMIT_EXEMPT_ADDRESSES = frozenset(filter(None, os.environ.get("RESIDENCE_RATELIMIT_EXEMPT", "").split(",")))
# Residents' sign-up and password reset: tries an hour per client address and per ID number.
RESIDENT_CODE_TRIES_PER_HOUR = int(os.environ.get("RESIDENCE_RESIDENT_CODE_TRIES", "10"))

# The locality whose rules apply (a parameter file of residence_rules: national, yantian, taizhou, hubei).
LOCALITY = os.environ.get("RESIDENCE_LOCALITY", "national")
# Stays (hotels' and hourly rentals' declarations): idempotency keys are kept this many days; a batch holds at most
# this many items.
STAY_KEY_DAYS = int(os.environ.get("RESIDENCE_STAY_KEY_DAYS", "30"))
STAY_BATCH_MAX = 1000
# A stay at a hotel puts its guest in the hotel's area's scope while it is open and for this many days after.
STAY_SCOPE_DAYS = int(os.environ.get("RESIDENCE_STAY_SCOPE_DAYS", "30"))

# Scope: staff keep seeing a person for this long after the last registration in their area ended.
SCOPE_RETENTION_DAYS = int(os.environ.get("RESIDENCE_SCOPE_RETENTION_DAYS", "730"))

# The shared rate limiter (residence/core/ratelimit.py): "django://" counts in this database; any storage URL of the
# `limits` library (redis://host:6379/0) once its client is installed.
RATELIMIT_STORAGE = os.environ.get("RESIDENCE_RATELIMIT_STORAGE", "django://")

# Personal data (issue 11): exact look-ups by ID number or phone that find nobody, per account (or department
# client) per day, before the account locks.
FAILED_LOOKUPS_PER_DAY = int(os.environ.get("RESIDENCE_FAILED_LOOKUPS_PER_DAY", "20"))

# Audit: events younger than this are left for the next seal, so that late commits are not skipped.
AUDIT_SEAL_GRACE_SECONDS = float(os.environ.get("RESIDENCE_AUDIT_SEAL_GRACE", "5"))
# Events nobody waits for (anonymous e-permit checks) are gathered this long by the process's audit writer, then
# stored together.
AUDIT_DEFER_SECONDS = float(os.environ.get("RESIDENCE_AUDIT_DEFER", "0.02"))
# The chain's head is appended here after each seal; keep it where the database's owner cannot write.
AUDIT_WITNESS_FILE = Path(os.environ.get("RESIDENCE_AUDIT_WITNESS", VAR_DIR / "audit-witness.jsonl"))
# `audit verify` fails when events have waited longer than this to be sealed (the worker stopped).
AUDIT_MAX_UNSEALED_SECONDS = float(os.environ.get("RESIDENCE_AUDIT_MAX_UNSEALED", "900"))

# Uploads and inputs (issue 11): files at rest encrypted and readable by the service user only; uploads kept in
# memory (never a plain temporary file); an upload waiting for its confirm is removed after this many minutes.
STORAGES = {
    "default": {"BACKEND": "residence.core.storage.EncryptedFileSystemStorage",
                "OPTIONS": {"location": VAR_DIR / "media", "context": "media"}},  # person photos
    "imports": {"BACKEND": "residence.core.storage.EncryptedFileSystemStorage",
                "OPTIONS": {"location": VAR_DIR / "imports", "context": "imports"}},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
FILE_UPLOAD_HANDLERS = ["residence.core.storage.BoundedMemoryUploadHandler"]
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
UPLOAD_TTL_MINUTES = int(os.environ.get("RESIDENCE_UPLOAD_TTL_MINUTES", "60"))
# An import of more rows than this is committed by the worker, with a progress bar (core/jobs.py).
IMPORT_JOB_ROWS = int(os.environ.get("RESIDENCE_IMPORT_JOB_ROWS", "2000"))

TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("RESIDENCE_LOG_LEVEL", "WARNING")},
}

