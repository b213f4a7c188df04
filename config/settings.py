"""Cradle settings. One profile switch, DJANGO_ENV = dev (default) | test | staging | production.

dev runs from a fresh clone with no services; test points at real PostgreSQL and Redis;
staging/production refuse to start unless every launch-critical item is set (deploy_guard).
"""
import os

from csp.constants import NONE, SELF

from config import deploy_guard
from config.env import BASE_DIR, IS_DEPLOYED, PROFILE, env

DEV_ONLY_SECRET = "dev-only-insecure-secret-key-never-used-outside-dev-and-test"
# Deterministic dev/test keys so a fresh clone works; the guard refuses them in staging/production.
DEV_FERNET_KEY = "ZGV2LW9ubHktZmVybmV0LWtleS0zMi1ieXRlcy0hISE="
DEV_LOOKUP_KEY = "dev-only-pii-lookup-hash-key"

DEBUG = PROFILE == "dev"
SECRET_KEY = env.str("SECRET_KEY", default="" if IS_DEPLOYED else DEV_ONLY_SECRET)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if IS_DEPLOYED else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Origins allowed to open WebSockets (Channels); never derived from the request itself.
WEBSOCKET_ALLOWED_ORIGINS = env.list(
    "WEBSOCKET_ALLOWED_ORIGINS", default=[] if IS_DEPLOYED else ["http://127.0.0.1:8000", "http://localhost:8000"]
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_ratelimit",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "social_django",
    "channels",
    "csp",
    "tenants",
    "accounts",
    "surrogates",
    "forms_public",
    "booking",
    "tracking",
    "integrations",
    "integrations.zoom",
    "integrations.meta",
    "messaging",
    "auditlog",
    "matching",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.security_headers.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Sets request.user.is_verified(); the two after it end idle/old/revoked sessions, then hold
    # every signed-in request that has not passed the second factor (accounts/middleware.py).
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SessionActivityMiddleware",
    "accounts.middleware.MFAGateMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Last, so the view *and* template rendering run inside the organization scope.
    "tenants.middleware.TenantScopeMiddleware",
]

if IS_DEPLOYED:
    # Serves collected static files in staging/production; runserver does it in dev.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "tenants.context_processors.current_organization",
            ],
        },
    },
]

# --- Data stores -------------------------------------------------------------------------
if PROFILE == "dev":
    _default_db = f"sqlite:///{BASE_DIR / 'var' / 'dev.sqlite3'}"
elif PROFILE == "test":
    _default_db = "postgres://postgres@127.0.0.1:5432/cradle"
else:
    _default_db = ""
DATABASE_URL = env.str("DATABASE_URL", default=_default_db)
DATABASES = {"default": env.db_url_config(DATABASE_URL) if DATABASE_URL else {}}
if DATABASES["default"].get("ENGINE") == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=0 if PROFILE == "test" else 60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DB_CONN_HEALTH_CHECKS", default=True)
    # A database that does not answer fails /readyz (and requests) in seconds instead of hanging.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    if PROFILE == "test":
        # One test database per run, so concurrent runs on one machine never share tables.
        DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default=f"test_cradle_{os.getpid()}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/15" if PROFILE == "test" else "")
# Test runs share one Redis database; each run keeps to its own keys.
_KEY_RUN = f"{os.getpid()}:" if PROFILE == "test" else ""
if REDIS_URL:
    _redis_options = {"SOCKET_CONNECT_TIMEOUT": 5, "SOCKET_TIMEOUT": 5}
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"{_KEY_RUN}cradle",
            "OPTIONS": _redis_options,
        },
        "ratelimit": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"{_KEY_RUN}rl",
            "OPTIONS": _redis_options,
        },
    }
    # Every signed-in request reads its session: from Redis, with PostgreSQL kept as the durable copy
    # (a Redis flush signs nobody out). Revocation deletes both (accounts.sessions).
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"},
        "ratelimit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ratelimit"},
    }

# --- Rate limiting (shared by every public surface) --------------------------------------
RATELIMIT_USE_CACHE = "ratelimit"
RATELIMIT_VIEW = "tenants.ratelimits.too_many_requests"
# How many reverse proxies in front of us append to X-Forwarded-For; 0 = trust only REMOTE_ADDR.
TRUSTED_PROXY_HOPS = env.int("TRUSTED_PROXY_HOPS", default=0)
if PROFILE == "dev" and not REDIS_URL:
    # A single dev process is the only client; production refuses this (deploy_guard).
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

# --- Auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "tenants.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "surrogates:list"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_LOGIN_ENABLED = env.bool("PASSWORD_LOGIN_ENABLED", default=True)
# MFA (accounts.mfa): the issuer shown in authenticator apps.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Cradle")
# Sessions (accounts.sessions), in seconds: signed out after this long without a request, and
# after this long since sign-in whatever the activity.
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_ABSOLUTE_LIFETIME = env.int("SESSION_ABSOLUTE_LIFETIME", default=12 * 60 * 60)
# Google sign-in (accounts.google, OpenID Connect): shown on the login page when the client is set.
# GOOGLE_OIDC_ENDPOINT is the issuer base (discovery at <it>/.well-known/openid-configuration), so
# dev and tests can point it at a local fake provider.
GOOGLE_OIDC_CLIENT_ID = env.str("GOOGLE_OIDC_CLIENT_ID", default="")
GOOGLE_OIDC_CLIENT_SECRET = env.str("GOOGLE_OIDC_CLIENT_SECRET", default="")
GOOGLE_OIDC_ENDPOINT = env.str("GOOGLE_OIDC_ENDPOINT", default="https://accounts.google.com").rstrip("/")
GOOGLE_SIGNIN_ALLOWED_DOMAINS = [d.strip().lower() for d in env.list("GOOGLE_SIGNIN_ALLOWED_DOMAINS", default=[]) if d.strip()]
AUTHENTICATION_BACKENDS = ["accounts.google.GoogleSignIn", "django.contrib.auth.backends.ModelBackend"]
SOCIAL_AUTH_URL_NAMESPACE = "social"
SOCIAL_AUTH_LOGIN_REDIRECT_URL = "/"
SOCIAL_AUTH_LOGIN_ERROR_URL = "/accounts/login/"
SOCIAL_AUTH_SANITIZE_REDIRECTS = True
SOCIAL_AUTH_ALLOWED_REDIRECT_HOSTS: list[str] = []
SOCIAL_AUTH_REDIRECT_IS_HTTPS = IS_DEPLOYED
SOCIAL_AUTH_USER_MODEL = AUTH_USER_MODEL
SOCIAL_AUTH_PIPELINE = (
    "social_core.pipeline.social_auth.social_details",
    "social_core.pipeline.social_auth.social_uid",
    "accounts.pipeline.require_verified_email",
    "accounts.pipeline.resolve_member",
    "social_core.pipeline.social_auth.social_user",
    "social_core.pipeline.social_auth.associate_user",
)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if PROFILE == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- PII protection -------------------------------------------------------------------------
# Comma-separated Fernet keys; the first encrypts, all decrypt (rotate by prepending a new key).
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[] if IS_DEPLOYED else [DEV_FERNET_KEY])
PII_LOOKUP_HASH_KEY = env.str("PII_LOOKUP_HASH_KEY", default="" if IS_DEPLOYED else DEV_LOOKUP_KEY)

# --- Security headers & cookies -------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=PROFILE != "dev")
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=PROFILE != "dev")
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 12)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
if IS_DEPLOYED:
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    if env.bool("BEHIND_TLS_PROXY", default=True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Integrations and services named by the launch gates ----------------------------------
SENTRY_DSN = env.str("SENTRY_DSN", default="")
GCP_PROJECT_ID = env.str("GCP_PROJECT_ID", default="")
# host:port or unix socket path; the test profile uses the clamd of scripts/clamd-start.
CLAMAV_ADDRESS = env.str("CLAMAV_ADDRESS", default="127.0.0.1:3310" if PROFILE == "test" else "")
VIRUS_SCAN_ENABLED = env.bool("VIRUS_SCAN_ENABLED", default=IS_DEPLOYED or PROFILE == "test")

# --- Uploads (forms_public.uploads) -------------------------------------------------------------
# Stored under random names outside the static root and served only by the authorised download view.
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# Non-file fields of one request (RequestDataTooBig -> 413); files are capped per form by the views.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # larger files spool to a temporary file
DATA_UPLOAD_MAX_NUMBER_FILES = 20
META_TEST_MODE = env.bool("META_TEST_MODE", default=False)
# Meta lead ads (integrations.meta). The app secret signs webhooks and appsecret_proof; with none
# set every webhook is refused (403). dev has a fixed secret so the README's curl walkthrough works.
META_APP_SECRET = env.str("META_APP_SECRET", default="" if IS_DEPLOYED else "dev-only-meta-app-secret")
META_VERIFY_TOKEN = env.str("META_VERIFY_TOKEN", default="" if IS_DEPLOYED else "dev-only-meta-verify-token")
# dev points this at the fake Graph server (python -m integrations.meta.fake_graph).
META_GRAPH_BASE_URL = env.str("META_GRAPH_BASE_URL", default="https://graph.facebook.com").rstrip("/")
META_GRAPH_VERSION = env.str("META_GRAPH_VERSION", default="v21.0")
META_HTTP_TIMEOUT = env.float("META_HTTP_TIMEOUT", default=10.0)
META_WEBHOOK_RATE = env.str("META_WEBHOOK_RATE", default="100/m")  # per client IP

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=PROFILE in ("dev", "test"))
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis broker: an unacknowledged task (worker killed) is redelivered after visibility_timeout.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
if env.str("CELERY_BROKER_KEY_PREFIX", default=""):
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = env.str("CELERY_BROKER_KEY_PREFIX")
if env.str("CELERY_UNACKED_RESTORE_INTERVAL", default=""):
    # How often a worker sweeps for such tasks (kombu's default is every 100 s); tests use 1.
    CELERY_BROKER_TRANSPORT_OPTIONS["unacked_restore_interval"] = env.int("CELERY_UNACKED_RESTORE_INTERVAL")
    CELERY_BROKER_TRANSPORT_OPTIONS["unacked_restore_throttle"] = 1
CELERY_BEAT_SCHEDULE = {
    # Booking: lapse pending requests after 60 minutes and send due reminders once (read from the DB).
    "booking-sweep": {"task": "booking.sweep", "schedule": 60.0},
    # Uploads the scanner could not reach stay pending; this retries them with backoff.
    "rescan-pending-uploads": {"task": "forms_public.rescan_pending_uploads", "schedule": 300.0},
    # Campaigns whose scheduled time has come are launched (each claimed once by a state guard).
    "messaging-due-campaigns": {"task": "messaging.launch_due_campaigns", "schedule": 60.0},
    # Meta leads still unprocessed 15 minutes after arrival (a lost enqueue) are queued again.
    "meta-requeue-stuck-leads": {"task": "meta.requeue_stuck_leads", "schedule": 300.0},
    # Zoom meeting requests no task is working on (a lost enqueue, retries exhausted) are queued again.
    "zoom-resume-stalled": {"task": "zoom.resume_stalled", "schedule": 300.0},
    # Open-pixel hits queued in Redis are written to the database in batches (tracking.open_buffer).
    "tracking-flush-opens": {"task": "tracking.flush_opens", "schedule": 5.0},
}

# --- Channels ---------------------------------------------------------------------------------
# Single-process layer until real-time notifications land (they bring a Redis layer).
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Email ------------------------------------------------------------------------------------
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if PROFILE == "dev"
    else "django.core.mail.backends.locmem.EmailBackend"
    if PROFILE == "test"
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Cradle <no-reply@cradle.invalid>")
# Staff email (messaging, integrations.gmail). Links in outgoing mail (tracking, unsubscribe) use PUBLIC_BASE_URL.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="" if IS_DEPLOYED else "http://127.0.0.1:8000").rstrip("/")
EMAIL_MESSAGE_ID_DOMAIN = env.str("EMAIL_MESSAGE_ID_DOMAIN", default="cradle.invalid")
GMAIL_API_BASE_URL = env.str("GMAIL_API_BASE_URL", default="https://gmail.googleapis.com").rstrip("/")
GMAIL_HTTP_TIMEOUT = env.float("GMAIL_HTTP_TIMEOUT", default=20.0)
# Without a Gmail connection, send through EMAIL_BACKEND instead (console in dev, locmem in test).
EMAIL_DEV_TRANSPORT = env.bool("EMAIL_DEV_TRANSPORT", default=not IS_DEPLOYED)
# A claimed send is someone else's until this lease lapses; must exceed the HTTP timeout.
EMAIL_SEND_LEASE_SECONDS = env.int("EMAIL_SEND_LEASE_SECONDS", default=120)
EMAIL_RETRY_BASE_SECONDS = env.float("EMAIL_RETRY_BASE_SECONDS", default=10.0)
# Zoom meetings (integrations.zoom; the API base URL is ZOOM_API_BASE_URL with the connections).
# The create call carries our idempotency key in this tracking field, so an ambiguous create can be
# found again; a claimed create is one worker's until its lease lapses (must exceed the timeout).
ZOOM_HTTP_TIMEOUT = env.float("ZOOM_HTTP_TIMEOUT", default=20.0)
ZOOM_TRACKING_FIELD = env.str("ZOOM_TRACKING_FIELD", default="cradle_request")
ZOOM_CREATE_LEASE_SECONDS = env.int("ZOOM_CREATE_LEASE_SECONDS", default=120)
ZOOM_RETRY_BASE_SECONDS = env.float("ZOOM_RETRY_BASE_SECONDS", default=10.0)

# --- Integration connections (integrations.connections): per-user OAuth grants -----------------
# A provider without a client id shows "not configured". Endpoint URLs are settings so dev and
# tests can point them at a local fake provider.
INTEGRATIONS_GOOGLE_CLIENT_ID = env.str("INTEGRATIONS_GOOGLE_CLIENT_ID", default="")
INTEGRATIONS_GOOGLE_CLIENT_SECRET = env.str("INTEGRATIONS_GOOGLE_CLIENT_SECRET", default="")
INTEGRATIONS_ZOOM_CLIENT_ID = env.str("INTEGRATIONS_ZOOM_CLIENT_ID", default="")
INTEGRATIONS_ZOOM_CLIENT_SECRET = env.str("INTEGRATIONS_ZOOM_CLIENT_SECRET", default="")
GOOGLE_OAUTH_AUTHORIZE_URL = env.str("GOOGLE_OAUTH_AUTHORIZE_URL", default="https://accounts.google.com/o/oauth2/v2/auth")
GOOGLE_OAUTH_TOKEN_URL = env.str("GOOGLE_OAUTH_TOKEN_URL", default="https://oauth2.googleapis.com/token")
GOOGLE_OAUTH_REVOKE_URL = env.str("GOOGLE_OAUTH_REVOKE_URL", default="https://oauth2.googleapis.com/revoke")
GOOGLE_USERINFO_URL = env.str("GOOGLE_USERINFO_URL", default="https://openidconnect.googleapis.com/v1/userinfo")
ZOOM_OAUTH_BASE_URL = env.str("ZOOM_OAUTH_BASE_URL", default="https://zoom.us").rstrip("/")
ZOOM_API_BASE_URL = env.str("ZOOM_API_BASE_URL", default="https://api.zoom.us").rstrip("/")
OAUTH_HTTP_TIMEOUT = env.float("OAUTH_HTTP_TIMEOUT", default=15.0)

# --- i18n / static ----------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_DEPLOYED
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Logging: every handler passes through the PII filter -------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub_pii": {"()": "config.pii_logging.ScrubPIIFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["scrub_pii"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Replaces Django's default "django" handlers (an unfiltered console handler when DEBUG is
        # on, mail_admins with the raw request otherwise), so django.* records are scrubbed too.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # django.server logs the raw client address and full path (tokens): keep it but scrubbed.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# --- The launch guard: refuse unsafe staging/production start-up --------------------------------
if IS_DEPLOYED:
    deploy_guard.enforce(
        {
            "DATABASE_ENGINE": DATABASES["default"].get("ENGINE", ""),
            "REDIS_URL": REDIS_URL,
            "RATELIMIT_CACHE_BACKEND": CACHES[RATELIMIT_USE_CACHE]["BACKEND"],
            "SECRET_KEY": SECRET_KEY,
            "FIELD_ENCRYPTION_KEYS": FIELD_ENCRYPTION_KEYS,
            "PII_LOOKUP_HASH_KEY": PII_LOOKUP_HASH_KEY,
            "SENTRY_DSN": SENTRY_DSN,
            "GCP_PROJECT_ID": GCP_PROJECT_ID,
            "CLAMAV_ADDRESS": CLAMAV_ADDRESS,
            "VIRUS_SCAN_ENABLED": VIRUS_SCAN_ENABLED,
            "META_TEST_MODE": META_TEST_MODE,
            "ALLOWED_HOSTS": ALLOWED_HOSTS,
            "SESSION_COOKIE_SECURE": SESSION_COOKIE_SECURE,
            "CSRF_COOKIE_SECURE": CSRF_COOKIE_SECURE,
            "DEBUG": DEBUG,
            "DEV_DEFAULTS": {
                "SECRET_KEY": DEV_ONLY_SECRET,
                "FIELD_ENCRYPTION_KEYS": DEV_FERNET_KEY,
                "PII_LOOKUP_HASH_KEY": DEV_LOOKUP_KEY,
            },
        },
        profile=PROFILE,
    )

from config.sentry import init_sentry  # noqa: E402  (needs the settings above)

init_sentry(dsn=SENTRY_DSN, environment=PROFILE)
