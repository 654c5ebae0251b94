"""Settings for prescoring.

Everything that differs between a laptop and production comes from the environment.
With nothing set, the service runs on the embedded default: SQLite and Celery in eager mode.
"""
import os
import warnings
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# Environment variables (docs/deploy.md, "Environment variables", lists each with its default).
# Everything the project defines is named PRESCORING_*; only the three connection URLs keep the
# names that tools and platforms expect. Every variable is read by env() below, and only there.
ENVIRONMENT_STANDARD_NAMES = frozenset({"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"})
# The names before the PRESCORING_ prefix, old -> new. An old name still set is honoured when the
# new one is not, and the process warns once: "OLD is deprecated, use NEW".
ENVIRONMENT_RENAMED = {
    "DJANGO_DEBUG": "PRESCORING_DEBUG",
    "DJANGO_SECRET_KEY": "PRESCORING_SECRET_KEY",
    "DJANGO_REQUIRE_SECRET_KEY": "PRESCORING_REQUIRE_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS": "PRESCORING_ALLOWED_HOSTS",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "PRESCORING_CSRF_TRUSTED_ORIGINS",
    "DJANGO_SESSION_SECONDS": "PRESCORING_SESSION_SECONDS",
    "DJANGO_SECURE": "PRESCORING_SECURE",
    "DJANGO_SSL_REDIRECT": "PRESCORING_SSL_REDIRECT",
    "DJANGO_HSTS_SECONDS": "PRESCORING_HSTS_SECONDS",
    "DJANGO_HSTS_PRELOAD": "PRESCORING_HSTS_PRELOAD",
    "DATABASE_CONN_MAX_AGE": "PRESCORING_DATABASE_CONN_MAX_AGE",
    "TIME_ZONE": "PRESCORING_TIME_ZONE",
    "STATIC_MANIFEST": "PRESCORING_STATIC_MANIFEST",
    "STATIC_ROOT": "PRESCORING_STATIC_ROOT",
    "LOGIN_LOCKOUT_FAILURES": "PRESCORING_LOGIN_LOCKOUT_FAILURES",
    "LOGIN_LOCKOUT_SECONDS": "PRESCORING_LOGIN_LOCKOUT_SECONDS",
    "CELERY_VISIBILITY_TIMEOUT": "PRESCORING_CELERY_VISIBILITY_TIMEOUT",
    "CELERY_UNACKED_MUTEX_EXPIRE": "PRESCORING_CELERY_UNACKED_MUTEX_EXPIRE",
    "ANALYTICS_REFRESH_SECONDS": "PRESCORING_ANALYTICS_REFRESH_SECONDS",
    "DRIFT_EVERY_SECONDS": "PRESCORING_DRIFT_EVERY_SECONDS",
    "API_THROTTLE_RATE": "PRESCORING_API_THROTTLE_RATE",
    "API_BATCH_LIMIT": "PRESCORING_API_BATCH_LIMIT",
    "API_WAIT_MAX_REQUESTS": "PRESCORING_API_WAIT_MAX_REQUESTS",
    "WEBHOOK_TIMEOUT_SECONDS": "PRESCORING_WEBHOOK_TIMEOUT_SECONDS",
    "WEBHOOK_MAX_RETRIES": "PRESCORING_WEBHOOK_MAX_RETRIES",
    "WEBHOOK_RETRY_BASE_SECONDS": "PRESCORING_WEBHOOK_RETRY_BASE_SECONDS",
    "WEBHOOK_RETRY_MAX_SECONDS": "PRESCORING_WEBHOOK_RETRY_MAX_SECONDS",
    "LOG_FORMAT": "PRESCORING_LOG_FORMAT",
    "LOG_LEVEL": "PRESCORING_LOG_LEVEL",
    "DEMO_PASSWORD": "PRESCORING_DEMO_PASSWORD",
}
_old_environment_name = {new: old for old, new in ENVIRONMENT_RENAMED.items()}
_warned_old_names: set[str] = set()


def env(name: str, default: str | None = "") -> str | None:
    """Environment variable `name`, else its old name's (with a warning), else `default`."""
    if not name.startswith("PRESCORING_") and name not in ENVIRONMENT_STANDARD_NAMES:
        raise ImproperlyConfigured(f"{name}: the project's environment variables are named PRESCORING_*")
    value = os.environ.get(name)
    old = _old_environment_name.get(name)
    if old is not None and old in os.environ:
        if old not in _warned_old_names:
            _warned_old_names.add(old)
            ignored = "" if value is None else f" ({old} is ignored: {name} is set)"
            warnings.warn(f"{old} is deprecated, use {name}{ignored}", FutureWarning, stacklevel=2)
        if value is None:
            value = os.environ[old]
    return default if value is None else value


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name, None)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("PRESCORING_DEBUG", False)

# The embedded default (the README's first command): SQLite and Celery in-process, on one machine.
# Anything else (a server database or a broker) is a deployment and must bring its own secret key.
EMBEDDED_DEFAULT = (env("DATABASE_URL") or "sqlite").startswith("sqlite") and not env("CELERY_BROKER_URL")

SECRET_KEY = env("PRESCORING_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG and (env_bool("PRESCORING_REQUIRE_SECRET_KEY", False) or not EMBEDDED_DEFAULT):
        raise ImproperlyConfigured(
            "PRESCORING_SECRET_KEY must be set in production (any process with a server DATABASE_URL or "
            "a CELERY_BROKER_URL that is not PRESCORING_DEBUG): a public key would let anyone forge "
            "sessions. Generate one: python -c \"import secrets; print(secrets.token_urlsafe(50))\"")
    # The embedded default or DEBUG only: a key that is obviously not a secret.
    SECRET_KEY = "insecure-local-development-key-set-PRESCORING_SECRET_KEY-in-production"

ALLOWED_HOSTS = env_list("PRESCORING_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("PRESCORING_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "scoring",  # the domain: models, services, selectors, the scoring task, the engine
    "scoring.accounts",  # login, lockout, roles
    "scoring.officer",  # the loan officer's pages
    "scoring.api",  # the REST API and webhooks
    "scoring.modelops",  # banks, fields, history, training, versions: admin pages and commands
    "scoring.analytics",  # the analysts' pages
]

MIDDLEWARE = [
    "prescoring.middleware.RequestIdMiddleware",
    "prescoring.middleware.RequestBodyLimitMiddleware",
    "prescoring.middleware.RequestHeaderLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "prescoring.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "prescoring.middleware.LoginRequiredMiddleware",  # Django's, with a 401 for htmx requests
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "prescoring.urls"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

WSGI_APPLICATION = "prescoring.wsgi.application"

# Database: DATABASE_URL (postgres://user@host:5432/name) in production and CI, SQLite when unset or empty.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(env("PRESCORING_DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a lock instead of failing at once when the web process and a task write together.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend with a health check that needs no round trip (prescoring/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "prescoring.postgresql"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "scoring:application_list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("PRESCORING_TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Production (the Docker image) collects static files into STATIC_ROOT and serves the hashed,
# compressed copies; the embedded default serves them straight from the apps and static/.
STATIC_MANIFEST = env_bool("PRESCORING_STATIC_MANIFEST", False)
STATIC_ROOT = env("PRESCORING_STATIC_ROOT") or (None if not STATIC_MANIFEST else BASE_DIR / "staticfiles")
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Security defaults that hold everywhere; the TLS-only ones are switched on behind HTTPS.
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie; keep Django's default
CSRF_FAILURE_VIEW = "prescoring.errors.csrf_failure"  # the refusal page in the site's layout, with a way back
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(env("PRESCORING_SESSION_SECONDS", str(8 * 3600)))  # one working day
# Scripts only from our origin: no inline <script>, no on*= handlers (templates keep JS in static/js).
# Inline style attributes stay allowed for the computed bar widths of the explanation waterfall.
# No <style> elements either: htmx's own indicator styles are one, turned off in templates/_htmx.html
# (meta htmx-config), which every page loading htmx includes; tests/test_browser_pages.py checks that no page logs a refusal.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
if env_bool("PRESCORING_SECURE", False):
    SECURE_SSL_REDIRECT = env_bool("PRESCORING_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("PRESCORING_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("PRESCORING_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Upload limits: a request body (form or JSON) of at most 5 MB and 1000 fields; uploaded files
# (CSV imports) of at most MAX_UPLOAD_BYTES, checked by scoring.modelops.uploads.validate_csv_upload.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Login lockout: after FAILURES wrong passwords for one username from one address, that pair is
# refused for SECONDS (counted in the cache, which is Redis, shared by every web process, in production).
AUTHENTICATION_BACKENDS = ["scoring.accounts.lockout.LockoutModelBackend"]
LOGIN_LOCKOUT = {
    "FAILURES": int(env("PRESCORING_LOGIN_LOCKOUT_FAILURES", "5")),
    "SECONDS": int(env("PRESCORING_LOGIN_LOCKOUT_SECONDS", "900")),
    # Wrong passwords from one client address (any usernames) before the address is locked too.
    "ADDRESS_FAILURES": int(env("PRESCORING_LOGIN_LOCKOUT_ADDRESS_FAILURES", "20")),
    # The proxies in front of the web processes (addresses or CIDR, comma-separated): their
    # X-Forwarded-For names the client. Empty: the socket's address is the client's.
    "TRUSTED_PROXIES": env_list("PRESCORING_TRUSTED_PROXIES"),
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "scoring.api.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["scoring.api.parsers.LimitedJSONParser"],
    "EXCEPTION_HANDLER": "scoring.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_CLASSES": ["scoring.api.throttling.PerTokenThrottle"],
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

SPECTACULAR_SETTINGS = {
    "TITLE": "Prescoring API",
    "DESCRIPTION": "Estimates how likely each partner bank is to approve a loan application, "
    "explains each estimate and proposes alternatives.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's assets come from the drf-spectacular-sidecar package, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "scoring.api.schema.add_questionnaire_to_schema",
    ],
}

# Celery: a real broker when CELERY_BROKER_URL is set, otherwise tasks run in-process (eager).
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_BROKER_URL.startswith("redis://"):
    # Kombu's Redis transport, one client per channel instead of one per publish (prescoring/broker.py).
    CELERY_BROKER_TRANSPORT = "prescoring.broker:Transport"
CELERY_TASK_EAGER_PROPAGATES = False
# Without a broker, long work started from a page runs in a thread of the web process
# (scoring/services/background.py), so the page shows progress instead of waiting.
PRESCORING_BACKGROUND_THREADS = env_bool("PRESCORING_BACKGROUND_THREADS", True)
# Fairness pages compare approval rates only between groups of at least this many applications.
PRESCORING_FAIRNESS_MIN_GROUP = int(env("PRESCORING_FAIRNESS_MIN_GROUP", "30"))
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# CELERY_WORKER_PREFETCH_MULTIPLIER: below PRESCORING, from the scoring batch size.
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker that loses the broker keeps trying to reconnect (never exits for it), and cancels the
# tasks it was running (late acknowledgement: they are redelivered, not half-done twice).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# A message taken by a worker that died unacknowledged goes back to the queue after this long.
# A web request that cannot reach the broker gives up after one quick retry (the application stays
# queued for the periodic re-enqueue) instead of holding the officer for seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(env("PRESCORING_CELERY_VISIBILITY_TIMEOUT", "3600")),
    # The lock a worker holds while it returns unacknowledged messages; a worker killed holding it
    # blocks the return for this long.
    "unacked_mutex_expire": int(env("PRESCORING_CELERY_UNACKED_MUTEX_EXPIRE", "300")),
    "max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5,
}
# Workers keep their database connection from task to task (Celery closes it around every task
# unless told otherwise, and reconnecting cost more than a scoring's queries); prescoring/celery.py
# closes one that failed or outlived CONN_MAX_AGE, as Django does between requests.
CELERY_DB_REUSE_MAX = 1000
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
# Celery beat (`celery -A prescoring beat`, exactly one per deployment): applications left queued
# (broker down when they were submitted, a lost message) are sent again, scoring being idempotent;
# the analytics pages' daily figures and drift measurement.
CELERY_BEAT_SCHEDULE = {
    "requeue-stale-applications": {
        "task": "scoring.tasks.requeue_stale_applications",
        "schedule": float(env("PRESCORING_REQUEUE_EVERY_SECONDS", "10")),
    },
    "analytics-refresh": {
        "task": "scoring.analytics.tasks.refresh_analytics",
        "schedule": float(env("PRESCORING_ANALYTICS_REFRESH_SECONDS", str(15 * 60))),
    },
    "analytics-compute-drift": {
        "task": "scoring.analytics.tasks.compute_drift",
        "schedule": float(env("PRESCORING_DRIFT_EVERY_SECONDS", str(24 * 3600))),
    },
}

# Cache: Redis when REDIS_URL is set (shared across processes), local memory otherwise.
redis_url = env("REDIS_URL")
if redis_url:
    # Redis errors answer as an empty cache (prescoring/cache.py): an outage must not make requests fail.
    CACHES = {"default": {"BACKEND": "prescoring.cache.ResilientRedisCache", "LOCATION": redis_url}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

PRESCORING = {
    # The configuration directory (features.yaml, banks.yaml, import.yaml; docs/configuration.md): the
    # default of load_config, bootstrap and export_config. Commands read what load_config stored.
    "CONFIG_DIR": Path(env("PRESCORING_CONFIG_DIR") or BASE_DIR / "configs"),
    # Scores at or above the bank's threshold are "likely"; this margin below it is "uncertain".
    "UNCERTAIN_MARGIN": float(env("PRESCORING_UNCERTAIN_MARGIN", "0.15")),
    "TOP_REASONS": 5,
    # An application queued this long without being scored is sent to the broker again.
    "REQUEUE_AFTER_SECONDS": int(env("PRESCORING_REQUEUE_AFTER_SECONDS", "20")),
    # An application scoring for this long has lost its worker (a scoring takes milliseconds) and is
    # sent again. A worker that starts, or connects again to a broker it lost, sends again everything
    # scoring or queued at that moment: what a killed worker left, what a restarted Redis lost; a
    # duplicate of a live scoring elsewhere is harmless (idempotent).
    "STUCK_SCORING_SECONDS": int(env("PRESCORING_STUCK_SCORING_SECONDS", "20")),
    "WORKER_START_STUCK_SECONDS": 0,
    # A worker scores the applications queued for it in batches (scoring.tasks.score_batch): up to
    # SCORING_BATCH_SIZE in one engine pass and one transaction, gathered while they keep coming (no
    # gap longer than SCORING_BATCH_GAP_MS), for at most SCORING_BATCH_WAIT_MS after the first.
    # 1 scores them one at a time, as Celery runs tasks (docs/performance.md).
    "SCORING_BATCH_SIZE": int(env("PRESCORING_SCORING_BATCH_SIZE", "32")),
    "SCORING_BATCH_WAIT_MS": float(env("PRESCORING_SCORING_BATCH_WAIT_MS", "20")),
    "SCORING_BATCH_GAP_MS": float(env("PRESCORING_SCORING_BATCH_GAP_MS", "1")),
    # Clients' names and phones are erased this many days after their last application (docs/deploy.md).
    "PERSONAL_DATA_RETENTION_DAYS": int(env("PRESCORING_RETENTION_DAYS", "1095")),
    "MAX_UPLOAD_BYTES": int(env("PRESCORING_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024))),
    # The pages that take a history file: their bodies may be MAX_UPLOAD_BYTES, every other one
    # DATA_UPLOAD_MAX_MEMORY_SIZE (prescoring.middleware.RequestBodyLimitMiddleware).
    "LARGE_BODY_PATHS": ("/admin/scoring/importbatch/upload/",),
    # Where a worker announces a finished application to the API requests waiting for it (?wait=,
    # scoring/services/events.py): REDIS_URL, else the broker's Redis; none on the embedded default.
    "EVENTS_REDIS_URL": redis_url or (
        CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else ""),
    # The algorithms `train` compares for each bank (scoring.engine.estimators.KINDS).
    "TRAINING_ALGORITHMS": tuple(env_list("PRESCORING_TRAINING_ALGORITHMS",
                                           "logreg,random_forest,xgboost,mlp")),
    # Each process keeps the questionnaire's fields and the active models' versions and banks this
    # long before reading them again (scoring/services/config_cache.py); 0 reads them for every request.
    "CONFIG_CACHE_SECONDS": float(env("PRESCORING_CONFIG_CACHE_SECONDS", "2")),
    # ...and this long while it hears the changes announced on EVENTS_REDIS_URL (config_cache.py): a
    # bound for an announcement lost; 0 keeps CONFIG_CACHE_SECONDS always.
    "CONFIG_CACHE_SUBSCRIBED_SECONDS": float(env("PRESCORING_CONFIG_CACHE_SUBSCRIBED_SECONDS", "30")),
    # The password `manage.py bootstrap` gives the demo users; empty: a new random one on every run.
    "DEMO_PASSWORD": env("PRESCORING_DEMO_PASSWORD"),
    # Training on imported history leaves out the rows the import flagged (implausible, unreadable or
    # unseen values, a dropped decision; docs/data-format.md); off: they train with what was kept.
    "TRAIN_EXCLUDE_FLAGGED": env_bool("PRESCORING_TRAIN_EXCLUDE_FLAGGED", False),
}

# A worker holds up to this many messages per pool process unacknowledged: a batch's worth
# (scoring/batching.py), each acknowledged once its application is stored.
CELERY_WORKER_PREFETCH_MULTIPLIER = max(1, PRESCORING["SCORING_BATCH_SIZE"])

# The integration API (docs/api.md).
PRESCORING_API = {
    # Requests per API user (token) and period: "600/minute"; empty turns throttling off.
    "THROTTLE_RATE": env("PRESCORING_API_THROTTLE_RATE", "600/minute"),
    "BATCH_LIMIT": int(env("PRESCORING_API_BATCH_LIMIT", "1000")),
    # Requests of one web process that may wait for a result at once (GET …/applications/{id}/?wait=);
    # each holds a server thread, so keep it below the threads per process (gunicorn --threads).
    "WAIT_MAX_REQUESTS": int(env("PRESCORING_API_WAIT_MAX_REQUESTS", "32")),
    # Days an API token issued now stays valid (manage.py issue_token --days overrides; 0: no expiry).
    "TOKEN_DAYS": int(env("PRESCORING_API_TOKEN_DAYS", "365")),
    "WEBHOOK_TIMEOUT_SECONDS": float(env("PRESCORING_WEBHOOK_TIMEOUT_SECONDS", "10")),
    "WEBHOOK_MAX_RETRIES": int(env("PRESCORING_WEBHOOK_MAX_RETRIES", "6")),
    "WEBHOOK_RETRY_BASE_SECONDS": int(env("PRESCORING_WEBHOOK_RETRY_BASE_SECONDS", "30")),
    "WEBHOOK_RETRY_MAX_SECONDS": int(env("PRESCORING_WEBHOOK_RETRY_MAX_SECONDS", "3600")),
    # Callback URLs must be https and resolve to public addresses (scoring/api/callbacks.py):
    # http only when this says so (a development receiver), and receivers inside the bank's
    # network only in these networks (CIDR, comma-separated, e.g. "10.20.0.0/16").
    "WEBHOOK_ALLOW_HTTP": env_bool("PRESCORING_WEBHOOK_ALLOW_HTTP", False),
    "WEBHOOK_ALLOWED_NETWORKS": env_list("PRESCORING_WEBHOOK_ALLOWED_NETWORKS"),
}

# Every Celery task's options, in one place: what they all share is CELERY_TASK_* above (late
# acknowledgement, requeue when a worker is lost, 100/120 s time limits, no results); what differs
# is here, by task name. Celery sets these on the task classes when they are bound to the app.
LONG_TASK_LIMITS = {"time_limit": 3600, "soft_time_limit": 3540}  # whole tables or training runs
CELERY_TASK_ANNOTATIONS = {
    # Scoring: a database outage is retried (the task decides which errors are transient).
    "scoring.tasks.score_application": {"max_retries": 5, "retry_backoff": True, "retry_backoff_max": 60},
    "scoring.tasks.requeue_stale_applications": {"time_limit": 60, "soft_time_limit": 50},
    # Webhooks: retried with exponential backoff (scoring/api/webhooks.py backoff_seconds) until 2xx.
    "scoring.tasks.deliver_webhook": {"max_retries": PRESCORING_API["WEBHOOK_MAX_RETRIES"]},
    "scoring.tasks.train_models": LONG_TASK_LIMITS,
    "scoring.analytics.tasks.compute_drift": LONG_TASK_LIMITS,
    "scoring.analytics.tasks.profile_data": LONG_TASK_LIMITS,
    "scoring.analytics.tasks.train_without_protected_attributes": LONG_TASK_LIMITS,
    "scoring.analytics.tasks.refresh_analytics": LONG_TASK_LIMITS,
}

# PRESCORING_LOG_FORMAT=json (docker-compose.yml) writes one JSON object per line; both formats carry the
# request id (X-Request-ID) and the Celery task id.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "prescoring.observability.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s task=%(task_id)s] %(message)s"},
        "json": {"()": "prescoring.observability.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["context"],
                             "formatter": "json" if env("PRESCORING_LOG_FORMAT", "plain") == "json" else "plain"}},
    "root": {"handlers": ["console"], "level": env("PRESCORING_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
