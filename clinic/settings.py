"""The one settings module, driven by environment variables.

Development needs no variables at all. Production (``DJANGO_DEBUG=0``) refuses to start without
``DJANGO_SECRET_KEY`` and ``DJANGO_ALLOWED_HOSTS``; any malformed value stops start-up with a
message naming the variable, because a clinic app that half-starts with a wrong setting is worse
than one that does not start.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """Read a yes/no variable; anything but a recognised spelling is a start-up error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0/true/false/yes/no, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0, maximum: int = 10**9) -> int:
    """Read a whole number within bounds; a bad value is a start-up error."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ImproperlyConfigured(f"{name} must be between {minimum} and {maximum}, not {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

_DEV_SECRET = "dev-only-insecure-key-never-use-in-production-0123456789abcdefghijklmnop"  # noqa: S105 - refused when DEBUG is off
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", [])

if DEBUG:
    SECRET_KEY = SECRET_KEY or _DEV_SECRET
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "testserver"]
else:
    if len(SECRET_KEY) < 50 or SECRET_KEY == _DEV_SECRET:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set to a random value of at least 50 characters "
            "when DJANGO_DEBUG is off."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is off.")

CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# Staff reach health data only after a second factor (a TOTP app or a one-time backup code) in
# the same session. Turning it off is for local development and the demo only.
STAFF_2FA = env_bool("DJANGO_STAFF_2FA", True)
if not STAFF_2FA and not DEBUG:
    raise ImproperlyConfigured("DJANGO_STAFF_2FA=0 is allowed only with DJANGO_DEBUG=1.")
OTP_TOTP_ISSUER = "Dry-needling intake"
BACKUP_CODE_COUNT = 10

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    "rest_framework",
    "screening",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # HTML compressed here (static files come pre-compressed from WhiteNoise above). Django's
    # GZipMiddleware mitigates BREACH since 4.2 by padding each response at random ("Heal The
    # Breach"), and CSRF tokens are masked per response, so the secret in a page cannot be
    # recovered from compressed sizes. A proxy in front may compress instead; both is harmless.
    "django.middleware.gzip.GZipMiddleware",
    "screening.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "screening.middleware.SessionRefreshMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "screening.middleware.StaffSessionLifetimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "screening.middleware.NoStoreMiddleware",
    # Axes must come last so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

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
                "screening.context_processors.navigation",
            ],
        },
    },
]

# Widgets render through TEMPLATES, so the project's own widget templates are found.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# SQLite under var/ by default; PostgreSQL in production through DATABASE_URL.
_default_db = f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"
try:
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ.get("DATABASE_URL") or _default_db,
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, maximum=3600),
            conn_health_checks=True,
        )
    }
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a usable database URL: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, with a health check of the reused connection that sends no query
    # unless the server has said something (clinic/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "clinic.postgresql"
    # READ COMMITTED whatever the role's or database's default_transaction_isolation says: the
    # audit chain's head is read after its lock with a fresh snapshot, which only this level
    # gives (migration 0023; the function refuses any other level).
    import psycopg

    DATABASES["default"].setdefault("OPTIONS", {})["isolation_level"] = (
        psycopg.IsolationLevel.READ_COMMITTED
    )
    if env_bool("DATABASE_PREPARED_STATEMENTS", True):
        # Parameters bound by the server, and a statement a connection has sent 5 times kept
        # prepared there: the wizard's session and access lookups are planned once per
        # connection rather than on every request. Off (DATABASE_PREPARED_STATEMENTS=0) behind
        # a connection pooler in transaction mode that cannot keep prepared statements.
        DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several threads (the dev server, tests) write the same file; wait rather than fail.
    # IMMEDIATE transactions take the write lock at BEGIN, so two concurrent submits of the
    # same intake serialise instead of both reading "draft" (PostgreSQL uses row locks).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        # A 64 MB page cache keeps the index pages of a large intake table in memory.
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA cache_size=-65536"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "screening.User"

AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked username before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sign-in throttling (django-axes). Failures lock the pair (username, client address): a
# colleague's typos behind the clinic's shared address do not lock the others, and a stranger
# elsewhere cannot lock a real user out by typing their name. Failures from one address across
# usernames are limited too, which stops password spraying.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1, maximum=100)
SIGN_IN_ADDRESS_FAILURE_LIMIT = env_int(
    "SIGN_IN_ADDRESS_FAILURE_LIMIT", 20, minimum=AXES_FAILURE_LIMIT, maximum=1000
)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "screening.signin.StaffSignInHandler"
AXES_CLIENT_IP_CALLABLE = "screening.middleware.client_address"
AXES_USERNAME_CALLABLE = "screening.signin.attempted_username"
AXES_RESET_ON_SUCCESS = True
# Tries during a lock do not restart it: staff who keep trying are not locked out for longer.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "screening.views.core.lockout"
AXES_VERBOSE = False  # its log lines would name usernames and addresses
# The client address: REMOTE_ADDR, or behind the one trusted reverse proxy (DJANGO_BEHIND_PROXY)
# the last address of X-Forwarded-For, the one that proxy appended.
BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY", False)
# The addresses the proxy's requests come from; X-Forwarded-For from anyone else is ignored.
TRUSTED_PROXIES = env_list("DJANGO_TRUSTED_PROXIES", ["127.0.0.1", "::1"])
USERNAME_MAX_LENGTH = 150

# Sessions in the database, Django's backend with the session row read by a query compiled once
# (screening/session_store.py).
SESSION_ENGINE = "screening.session_store"
# Staff sessions end after this much inactivity: every request renews the cookie.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30, minimum=1, maximum=24 * 60)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
# The idle clock restarts when a request finds the session's expiry older than this, not on
# every request (a session row rewritten per click is most of a wizard step's database work):
# a session idles out between SESSION_IDLE minutes and that minus these seconds after the last
# click (screening.middleware.SessionRefreshMiddleware).
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = env_int("SESSION_REFRESH_SECONDS", 300, minimum=0, maximum=3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# A patient may take a while over one page of questions; their session idles out later.
SESSION_MAX_HOURS = env_int("SESSION_MAX_HOURS", 12, minimum=1, maximum=24 * 7)
PATIENT_SESSION_IDLE_MINUTES = env_int(
    "PATIENT_SESSION_IDLE_MINUTES", 180, minimum=10, maximum=24 * 60
)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# One language: the pages and documents are written in English. Django's translation machinery
# then only looks every string up in an empty catalogue, on each request, so it is off (as
# Django's settings documentation advises), and no LocaleMiddleware chooses among languages.
# The templates still mark their text for translation: a clinic that adds a language turns
# USE_I18N on, lists the language here and adds django.middleware.locale.LocaleMiddleware.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English")]
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "Europe/London")
USE_I18N = False
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "var" / "staticfiles"))
# WhiteNoise serves from STATIC_ROOT after collectstatic; finders also let it serve the files
# straight from static/ in development and tests without a collectstatic step.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "clinic.static_storage.StaticStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Security headers. In production every cookie is secure and HTTPS is enforced.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", not DEBUG)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# No inline script or style anywhere: every script and stylesheet is a vendored file.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# Logs carry the request id, method, path and status; never bodies or answers. A URL can hold
# patient data: the query string a patient's name (the search boxes of the review queue and the
# front desk) and an invitation path the patient's live link (/i/<token>/). So every record
# passes through screening.logredact on its way out, which drops query strings and shows
# /i/<redacted>/, the rule Gunicorn's logs follow too (gunicorn.conf.py). Django's own loggers
# ("django.request": "Not Found: /i/<token>/", "django.server": runserver's request lines)
# lose their default handlers and reach the one handler here, with its filters.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "screening.middleware.RequestIdLogFilter"},
        "redact_paths": {"()": "screening.logredact.RedactPathsFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id", "redact_paths"],
            "formatter": "plain",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        # Configuring these drops Django's default handlers (a console handler in debug that
        # would print paths unredacted, and error mails, which would include request bodies):
        # their records propagate to the handler above.
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": [], "propagate": True},
        "django.security.DisallowedHost": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
        # WeasyPrint logs every render's seven steps at INFO ("Step 1 - Fetching and parsing
        # HTML" ...), and fontTools every subset: noise at the app's default level.
        "weasyprint": {"level": "WARNING"},
        # The tasks framework logs every task's start and end at INFO.
        "django_tasks": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Background tasks (screening/tasks.py): "database" stores them for `manage.py db_worker` (the
# production default), "immediate" runs each at once in the request that queued it (the default
# with DJANGO_DEBUG=1, and in tests: development needs no second process).
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
_task_backend = os.environ.get("DJANGO_TASKS_BACKEND", "immediate" if DEBUG else "database")
if _task_backend not in _TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"DJANGO_TASKS_BACKEND must be one of {', '.join(_TASK_BACKENDS)}, not {_task_backend!r}"
    )
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[_task_backend]}}

# Product settings that are not clinical thresholds (those live in the database, see
# screening.models.ClinicSettings, so that a clinic admin can change them without a deploy).
# Invitations and reminders (screening.messaging). The console backends print whole messages,
# live links included, to the server's standard output: development only, refused in production,
# where e-mail goes through SMTP and text messages stay off until a provider is configured.
_CONSOLE_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "screening.sms.ConsoleBackend",
}
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("DJANGO_EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured(
        "DJANGO_EMAIL_USE_TLS (STARTTLS, port 587) and DJANGO_EMAIL_USE_SSL (port 465) "
        "exclude each other: set one."
    )
# Seconds before a mail server that does not answer counts as a failed send (the desk waits).
EMAIL_TIMEOUT = env_int("DJANGO_EMAIL_TIMEOUT", 10, minimum=1, maximum=60)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "clinic@localhost")

SMS_BACKEND = os.environ.get(
    "SMS_BACKEND", "screening.sms.ConsoleBackend" if DEBUG else "screening.sms.DisabledBackend"
)
SMS_TIMEOUT = env_int("SMS_TIMEOUT", 10, minimum=1, maximum=60)
# A mobile number typed without its country code ("07700 900123") gets this one.
SMS_COUNTRY_CODE = env_int("SMS_COUNTRY_CODE", 44, minimum=1, maximum=999)
TWILIO_API_BASE = os.environ.get("TWILIO_API_BASE", "https://api.twilio.com").rstrip("/")
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM = os.environ.get("TWILIO_FROM", "")
TWILIO_MESSAGING_SERVICE_SID = os.environ.get("TWILIO_MESSAGING_SERVICE_SID", "")
if SMS_BACKEND == "screening.sms.TwilioBackend":
    if not (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN):
        raise ImproperlyConfigured(
            "SMS_BACKEND is Twilio: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN."
        )
    if not (TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID):
        raise ImproperlyConfigured(
            "SMS_BACKEND is Twilio: set TWILIO_FROM (the sending number) or "
            "TWILIO_MESSAGING_SERVICE_SID."
        )
if not TWILIO_API_BASE.startswith(("https://", "http://")):
    raise ImproperlyConfigured(f"TWILIO_API_BASE must be an http(s) URL, not {TWILIO_API_BASE!r}")
if not DEBUG:
    for _name, _backend in (("DJANGO_EMAIL_BACKEND", EMAIL_BACKEND), ("SMS_BACKEND", SMS_BACKEND)):
        if _backend in _CONSOLE_BACKENDS:
            raise ImproperlyConfigured(
                f"{_name}: the console backend prints patients' links to the server's output; "
                "it is for development only (DJANGO_DEBUG=1)."
            )
# The address patients' links start with in messages sent outside a request (the reminders
# command), e.g. https://clinic.example.org. Pages that send use the address they were reached by.
SITE_URL = os.environ.get("DJANGO_SITE_URL", "").rstrip("/")
if SITE_URL and not SITE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(f"DJANGO_SITE_URL must start with https://, not {SITE_URL!r}")

# The FHIR API (README "Integrations (FHIR)"): the canonical base of the resources this app
# defines (the Questionnaire's url, its code systems). Stable across releases, so set it once to
# the public address of /api/fhir and keep it.
FHIR_BASE_URL = os.environ.get("FHIR_BASE_URL", "").rstrip("/") or (
    f"{SITE_URL}/api/fhir" if SITE_URL else "http://localhost:8000/api/fhir"
)
if not FHIR_BASE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(f"FHIR_BASE_URL must start with https://, not {FHIR_BASE_URL!r}")
# Django REST framework serves only the token-authenticated FHIR API (screening.api): no
# session authentication, so a staff browser session never reaches it.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["screening.api.auth.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["screening.api.renderers.FhirJsonRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "EXCEPTION_HANDLER": "screening.api.errors.fhir_exception_handler",
    "UNAUTHENTICATED_USER": None,
}
