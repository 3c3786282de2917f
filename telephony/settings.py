"""Dialdesk settings: everything that differs between machines comes from the environment.

Each variable is documented in README.md ("Environment variables"). An invalid value
raises ImproperlyConfigured naming the variable.
"""

import ipaddress
import os
import sys
import zoneinfo
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false, 1/0, yes/no), got {raw!r}.")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


TESTING = "pytest" in sys.modules or (len(sys.argv) > 1 and sys.argv[1] == "test")

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "django-insecure-dev-only-key-not-for-production-use-0123456789"
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (set DEBUG=true for local development)."
        )
elif len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if TESTING:
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver", "127.0.0.1", "localhost"]
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_htmx",
    "django_q",
    "django_filters",
    "import_export",
    "telephony",
    "telephony.reports",
    "campaigns",
    "phone_numbers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "telephony.middleware.UserTimezoneMiddleware",
    "telephony.middleware.HtmxMessagesMiddleware",
]

if not (DEBUG or TESTING):
    # runserver and the test live server serve static files themselves.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "telephony.urls"
WSGI_APPLICATION = "telephony.wsgi.application"
ASGI_APPLICATION = "telephony.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "telephony.context_processors.shell",
            ],
        },
    },
]

# Widgets render with Bootstrap classes from templates/django/forms/widgets/.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# Database: SQLite by default; DATABASE_URL (postgres://…) for production.
_default_db = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
try:
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ.get("DATABASE_URL") or _default_db,
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; a busy timeout avoids
    # "database is locked" under the worker's bursts.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: the django-q2 broker and the shared cache when set.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(
        f"REDIS_URL must start with redis://, rediss:// or unix://, got {REDIS_URL!r}."
    )

# Test runs in parallel (pytest-xdist) share one Redis: each test worker, and every
# cluster it starts (they inherit its environment), gets its own queue and cache keys.
_TEST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": _TEST_WORKER,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "dialdesk_cache",
        }
    }

Q_CLUSTER = {
    "name": f"dialdesk-{_TEST_WORKER}" if _TEST_WORKER else "dialdesk",
    "workers": env_int("Q_WORKERS", 2, minimum=1),
    "timeout": 600,
    "retry": 720,
    "max_attempts": 1,
    "queue_limit": 50,
    "bulk": 10,
    "catch_up": False,
    "save_limit": 500,
    "label": "Jobs",
    # Workers may start a child process: a big import parses in one while it writes.
    "daemonize_workers": False,
    "sync": TESTING and not env_bool("Q_ASYNC_IN_TESTS", False),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 1

# Vendor secrets are encrypted at rest with MultiFernet: the first key encrypts, every
# key decrypts, so a key is rotated by putting a new one first (then `manage.py
# rotate_secrets`) and later removing the old one.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", [])
if not FIELD_ENCRYPTION_KEYS:
    if DEBUG or TESTING:
        FIELD_ENCRYPTION_KEYS = ["ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktZm9yLWRpYWw="]
    else:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be set when DEBUG is off: one or more comma-separated "
            "Fernet keys (python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')."
        )
for _key in FIELD_ENCRYPTION_KEYS:
    try:
        from cryptography.fernet import Fernet

        Fernet(_key)
    except ValueError:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds a value that is not a valid Fernet key "
            "(32 url-safe base64-encoded bytes)."
        ) from None

# The vendor HTTP seam (telephony/vendors/http.py): timeouts in seconds, retries of
# idempotent requests, and the exponential backoff between them.
VENDOR_HTTP = {
    "connect_timeout": float(env_int("VENDOR_CONNECT_TIMEOUT", 5, minimum=1)),
    "read_timeout": float(env_int("VENDOR_READ_TIMEOUT", 20, minimum=1)),
    "max_retries": env_int("VENDOR_MAX_RETRIES", 2),
    "backoff_base": 0.01 if TESTING else 0.5,
    "backoff_cap": 0.05 if TESTING else 30.0,
}
# The largest vendor answer the seam reads (after decompression); past it, it stops.
VENDOR_MAX_RESPONSE_BYTES = env_int("VENDOR_MAX_RESPONSE_MB", 50, minimum=1) * 1024 * 1024

# Vendor base URLs on link-local or cloud metadata addresses (169.254.0.0/16, fe80::/10,
# fd00:ec2::254, metadata.google.internal, …) are refused unless this is on
# (telephony/vendors/destinations.py): a base URL there would hand the account's
# credentials to the metadata service and show its answers on the account page.
VENDOR_ALLOW_LINK_LOCAL = env_bool("VENDOR_ALLOW_LINK_LOCAL", default=False)

SANDBOX_ENABLED = env_bool("SANDBOX_ENABLED", default=DEBUG or TESTING)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Failed logins per username and per client address before a lock-out.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 900, minimum=1)


def env_trusted_proxies(name: str):
    """Empty: no proxy is trusted. A whole number: that many proxies in front of the
    server. Otherwise a comma-separated list of addresses or networks (CIDR)."""
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return 0
    if raw.isdigit():
        return int(raw)
    networks = []
    for item in env_list(name, []):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must be a number of proxies or a comma-separated list of "
                f"addresses or networks (e.g. 10.0.0.0/8,::1), got {item!r}."
            ) from None
    return networks


# The reverse proxies whose X-Forwarded-For is believed for the client address (the
# log-in throttle counts failures per client address).
TRUSTED_PROXIES = env_trusted_proxies("TRUSTED_PROXIES")

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
if TIME_ZONE not in zoneinfo.available_timezones():
    raise ImproperlyConfigured(f"TIME_ZONE must be an IANA time zone name, got {TIME_ZONE!r}.")
USE_I18N = True
USE_TZ = True  # stored in UTC; shown in each user's own time zone

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "media")

# OCA audio library: an upload larger than this is refused before its body is read
# (OCA documents no limit; a prompt of a few minutes at 128 kbit/s is a few MB).
OCA_AUDIO_MAX_MB = 10

# Contact and DND imports: uploads larger than this are refused before their body is read.
IMPORT_MAX_UPLOAD_MB = env_int("IMPORT_MAX_UPLOAD_MB", 200, minimum=1)
# An upload wider than this many columns, or with a longer cell in its first rows, is
# refused naming the row (the mapping page has a select per column). The mapping form
# sends a field per column, so columns stay under DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000);
# a cell stays under the csv module's field limit (131,072).
IMPORT_MAX_COLUMNS = env_int("IMPORT_MAX_COLUMNS", 200, minimum=1)
IMPORT_MAX_CELL_CHARS = env_int("IMPORT_MAX_CELL_CHARS", 5000, minimum=100)
if IMPORT_MAX_COLUMNS > 900:
    raise ImproperlyConfigured(f"IMPORT_MAX_COLUMNS must be at most 900, got {IMPORT_MAX_COLUMNS}.")
if IMPORT_MAX_CELL_CHARS > 131_072:
    raise ImproperlyConfigured(
        f"IMPORT_MAX_CELL_CHARS must be at most 131072, got {IMPORT_MAX_CELL_CHARS}."
    )
# Campaign dials per number per day (the contact's local day), across all campaigns.
CAMPAIGN_DAILY_CAP = env_int("CAMPAIGN_DAILY_CAP", 3, minimum=1)
# A campaign runner renews its lease every loop; a runner whose worker died is replaced
# once its lease is this old. Keep it above VENDOR_READ_TIMEOUT (one request's wait).
CAMPAIGN_LEASE_SECONDS = env_int("CAMPAIGN_LEASE_SECONDS", 90, minimum=5)

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG and not TESTING:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading commits the domain and all its subdomains to HTTPS for months, so it
        # stays an operator's explicit opt-in; off is a decision, not an oversight.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(
        f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {LOG_LEVEL!r}."
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "client_errors_in_one_line": {"()": "telephony.log_filters.ClientErrorsInOneLine"},
        "secrets_out_of_urls": {"()": "telephony.log_filters.SecretsOutOfUrls"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own console handler would print every record a second time (it also
        # reaches the root's handler); its records go through the root's alone.
        "django": {"handlers": [], "propagate": True, "level": LOG_LEVEL},
        "django.request": {"filters": ["client_errors_in_one_line"]},
        # Its DEBUG line carries the full URL (a query-string token too).
        "urllib3.connectionpool": {"filters": ["secrets_out_of_urls"]},
        "django_q": {"level": "WARNING" if TESTING else LOG_LEVEL},
    },
}

# Demo logins printed by `make run`; only used by `manage.py load_demo`.
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "dialdesk-demo")
