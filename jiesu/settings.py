# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Django settings for Jiesu.

Every value that differs between machines comes from the environment (12-factor style).
The defaults are the embedded mode: SQLite under var/, DEBUG on, local host only.
Production mode (DEBUG=false) refuses to start with the development secret key.
"""

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from jiesu.conf import TIME_ZONE as DISTRICT_TIME_ZONE

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("JIESU_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
env_file = BASE_DIR / ".env"
if env_file.exists():
    environ.Env.read_env(env_file)

# Refused when DEBUG is off (see the production checks below).
DEVELOPMENT_SECRET_KEY = "jiesu-development-key-never-use-in-production"  # noqa: S105
DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured(
        "Refusing to start in production mode (DEBUG=false) with the development SECRET_KEY. "
        "Set SECRET_KEY in the environment to a long random value."
    )
if not DEBUG and (
    len(SECRET_KEY) < 50
    or len(set(SECRET_KEY)) < 10
    or SECRET_KEY.startswith("django-insecure-")
    # A placeholder left in from an example file (deploy/jiesu.env.example).
    or "change-me" in SECRET_KEY.lower()
):
    # Sessions, CSRF tokens, query-code hashes and tracking grants are only as strong as this.
    raise ImproperlyConfigured(
        "Refusing to start in production mode (DEBUG=false) with a weak SECRET_KEY: use at least "
        "50 random characters, e.g. from `python3 -c 'import secrets; "
        "print(secrets.token_urlsafe(64))'`."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

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
    "django_tasks",
    "jiesu.apps.TasksDatabaseConfig",  # django_tasks_db, with a translated name
    "axes",
    "corsheaders",
    # Domain rooms, in dependency order (a room may import only from those above it).
    "jiesu.org",
    "jiesu.workdays",
    "jiesu.catalog",
    "jiesu.notify",
    "jiesu.appeals",
    "jiesu.dispatch",
    "jiesu.intake",
    "jiesu.intake.open311",
    "jiesu.insights",
    "jiesu.rewards",
    "jiesu.console",
    # The demo loader sits below every room: it may use them all.
    "jiesu.demo",
    # Operations (metrics, structured logs, backups): reads every room's state.
    "jiesu.ops",
]

MIDDLEWARE = [
    # Counts and times every request by route (jiesu.ops.metrics; /metrics).
    "jiesu.ops.metrics.RequestMetrics",
    # A request id for the logs and the X-Request-ID header (jiesu.ops.logs).
    "jiesu.ops.logs.RequestContext",
    "django.middleware.security.SecurityMiddleware",
    # Nothing inline, nothing from elsewhere (jiesu.middleware.content_security_policy).
    "jiesu.middleware.ContentSecurityPolicy",
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "jiesu.middleware.RefuseNonUtf8Forms",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: locks out an account or a client after repeated wrong passwords (ADR 0007).
    "axes.middleware.AxesMiddleware",
]

# Browser apps of other origins may call the native API only from the origins named here
# (CORS_ALLOWED_ORIGINS=https://app.example.gov.cn,...; none by default). Only /api/ answers
# CORS; credentials (cookies) are never shared across origins: such apps use a channel key.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/v1/.*$"
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_HEADERS = [
    "accept",
    "accept-language",
    "authorization",
    "content-type",
    "idempotency-key",
    "x-api-key",
]
CORS_EXPOSE_HEADERS = ["retry-after", "location"]
CORS_PREFLIGHT_MAX_AGE = 3600

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Login brute-force protection (django-axes; ADR 0007): after AXES_FAILURE_LIMIT wrong passwords
# for one account, or AXES_CLIENT_FAILURE_LIMIT from one client address (higher: an office's
# staff may share one address), further logins of that account or from that address are refused
# for AXES_COOLOFF_TIME. Failures and lockouts are kept in the database (so
# every process sees them) and logged; an administrator unlocks in the admin (访问尝试).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_CLIENT_FAILURE_LIMIT = env.int("AXES_CLIENT_FAILURE_LIMIT", default=30)
AXES_HANDLER = "jiesu.console.login_limits.AccountAndClientHandler"
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "jiesu.console.views.auth.lockout"
AXES_CLIENT_IP_CALLABLE = "jiesu.clients.client_ip_address"
AXES_VERBOSE = True

ROOT_URLCONF = "jiesu.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "jiesu" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "jiesu.console.context_processors.console",
            ],
        },
    },
]

WSGI_APPLICATION = "jiesu.wsgi.application"


def _database_url(name: str, default: str | None = None) -> dict:
    """`env.db(name)`, refusing a URL whose password carries an unencoded `/`, `#` or `?`: the
    parser would silently read the rest as the database name, a fragment or options, and part
    of the password as the host ("failed to resolve host ...")."""
    raw = env.str(name, default=default or "")
    parts = urlsplit(raw)
    server = not parts.scheme.startswith("sqlite")  # a file path may hold any character
    if server and ("@" in parts.path or "@" in parts.query or parts.fragment):
        raise ImproperlyConfigured(
            f"{name}: the password (or user name) holds a character that must be "
            "percent-encoded in a URL (/ as %2F, # as %23, ? as %3F, % as %25, @ as %40), "
            "or use a password of letters and digits. See docs/operations.md, step 3."
        )
    return env.db_url_config(raw)


# Database: SQLite under var/ by default; PostgreSQL via DATABASE_URL=postgres://user@host:5432/name
DATABASES = {
    "default": _database_url("DATABASE_URL", f"sqlite:///{VAR_DIR / 'jiesu.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so two writers queue instead of
    # failing half-way; WAL lets readers proceed while one writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # Tests use a file too (not the in-memory default), so that concurrency tests with real
    # connections behave as the embedded mode does.
    # One file per test process, so that parallel test runs never share a database.
    DATABASES["default"].setdefault("TEST", {}).setdefault(
        "NAME", str(VAR_DIR / f"test_jiesu_{os.getpid()}.sqlite3")
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    # A kept connection is checked before a request reuses it: after a database restart or a
    # failover the first request gets a new connection instead of an error. The check polls the
    # socket and asks `SELECT 1` only when the server has sent something (jiesu.postgres).
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "jiesu.postgres"
        # No JIT compilation for the web's and workers' queries (ADR 0029): PostgreSQL compiles
        # any query it estimates expensive, 50-60 ms each time, and its estimate is far off for
        # the few running clocks among millions; the queries here are short. The read replica
        # (reports) keeps the server's default. DATABASE_JIT=true restores it here too.
        if not env.bool("DATABASE_JIT", default=False):
            DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
# A read replica for reports and exports (jiesu.dbrouting): reads inside `analytics()` go there.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = _database_url("DATABASE_REPLICA_URL")
    DATABASES["replica"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["replica"].setdefault("CONN_HEALTH_CHECKS", True)
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["replica"]["ENGINE"] = "jiesu.postgres"
    # Tests use the primary's test database as the replica's.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["jiesu.dbrouting.AnalyticsRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# SQLite cannot enforce UNIQUE ... NULLS NOT DISTINCT; model validation and the importers do.
SILENCED_SYSTEM_CHECKS = ["models.W047"]

AUTH_USER_MODEL = "org.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "console:login"

# Internationalisation: Chinese by default, English available. Times are Asia/Shanghai.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "jiesu" / "locale"]
TIME_ZONE = DISTRICT_TIME_ZONE
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
# The embedded database and collected static files live under var/; make sure it exists.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Uploaded photos and videos show citizens and their streets: readable by the service user and
# its group only (Django's default is 0644, set after saving whatever the umask); Jiesu shows
# them to those allowed, nginx never serves them.
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
        # Public files that nginx (another user) serves: not the uploads' 0640/0750 below.
        "OPTIONS": {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755},
    },
}

# Cache: rate limits (API keys, citizen form, public tracking) must be shared by every server
# process. The embedded default is the database cache (the table is made by `bootstrap`, or
# `manage.py createcachetable`); production: CACHE_URL=redis://127.0.0.1:6379/1 or
# dbcache://jiesu_cache. A per-process cache (locmem, dummy) is refused with DEBUG=false.
CACHES = {"default": env.cache("CACHE_URL", default="dbcache://jiesu_cache")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Counters fail open while Redis is unreachable instead of failing requests (jiesu.cache).
    CACHES["default"]["BACKEND"] = "jiesu.cache.ResilientRedisCache"
PER_PROCESS_CACHES = ("LocMemCache", "DummyCache")
if not DEBUG and CACHES["default"]["BACKEND"].endswith(PER_PROCESS_CACHES):
    raise ImproperlyConfigured(
        "Refusing to start in production mode (DEBUG=false) with a per-process cache "
        f"({CACHES['default']['BACKEND']}): throttles and lockouts would not hold across "
        "processes. Set CACHE_URL=redis://HOST:6379/1 (or dbcache://jiesu_cache)."
    )
if CACHES["default"]["BACKEND"].endswith("DatabaseCache"):
    # The database cache restarts an entry's expiry on increment: keep lockouts long enough.
    CACHES["default"]["TIMEOUT"] = 900

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "jiesu.intake.api.parsers.JsonParser",
        "jiesu.intake.api.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "jiesu.intake.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Jiesu API",
    "DESCRIPTION": "Jiesu (接诉) citizen-appeal platform",
    "VERSION": "0.1.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Rules between fields (anyOf ...) join their components: jiesu.intake.api.schema.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "jiesu.intake.api.schema.add_rules",
    ],
}

# Files (photos, evidence) through Django's storage API: local files by default, any
# S3-compatible store when JIESU_S3_BUCKET is set (django-storages).
if env.str("JIESU_S3_BUCKET", default=""):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("JIESU_S3_BUCKET"),
            "endpoint_url": env.str("JIESU_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("JIESU_S3_REGION", default=None),
            "access_key": env.str("JIESU_S3_ACCESS_KEY", default=None),
            "secret_key": env.str("JIESU_S3_SECRET_KEY", default=None),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # HTTPS only: redirect plain HTTP and tell browsers to never use it again (HSTS).
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # The load balancer's health check and the Prometheus scraper over plain HTTP inside.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# PROMETHEUS_MULTIPROC_DIR: the folder the web and worker processes of a machine keep their
# metrics in, made here when it can be. A process that can neither find nor make
# it (a one-off `manage.py` command run before the folder exists, by a user who may not create
# it) keeps its figures to itself and says so: no command fails for want of a metrics folder.
# Decided here, before prometheus_client is imported (it reads the variable once).
_METRICS_FOLDER = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _METRICS_FOLDER:
    try:
        os.makedirs(_METRICS_FOLDER, exist_ok=True)
        if not os.access(_METRICS_FOLDER, os.W_OK | os.X_OK):
            raise PermissionError(f"cannot write in {_METRICS_FOLDER}")
    except OSError as exc:
        del os.environ["PROMETHEUS_MULTIPROC_DIR"]
        print(  # noqa: T201 - logging is not configured yet
            f"jiesu: PROMETHEUS_MULTIPROC_DIR={_METRICS_FOLDER} cannot be used ({exc}); this "
            "process keeps its metrics to itself (docs/operations.md, Install on a server).",
            file=sys.stderr,
        )

# JIESU_LOG_FORMAT=json: one JSON object per line with the request id and user id
# (jiesu.ops.logs); `text` (the default) is Python's plain format.
LOG_FORMAT = env.str("JIESU_LOG_FORMAT", default="text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"JIESU_LOG_FORMAT must be text or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Secrets in request lines (Open311's ?api_key=) and mobile numbers never reach a log
    # (jiesu.logsafety).
    "filters": {"mask_secrets": {"()": "jiesu.logsafety.MaskSecrets"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "jiesu.ops.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["mask_secrets"],
            "formatter": LOG_FORMAT,
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
    # Django's own handlers (plain text, unmasked, printing while DEBUG) are replaced: its
    # lines go through the handler above like every other.
    "loggers": {
        "django": {"handlers": [], "level": env.str("LOG_LEVEL", default="WARNING")},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# Background work (ADR 0003): the Django Tasks API. Embedded default: the database backend and
# `manage.py run_worker`; TASKS_BACKEND=rq with django-tasks-rq beyond one machine.
# TASKS_BACKEND=rq (or django_tasks_rq.RQBackend): RQ on Redis at RQ_REDIS_URL, workers run as
# `manage.py rqworker default` (django-rq); docs/operations.md.
TASKS_BACKEND = {
    "rq": "django_tasks_rq.RQBackend",
    "database": "django_tasks_db.DatabaseBackend",
}.get(env.str("TASKS_BACKEND", default="database"), env.str("TASKS_BACKEND", default="database"))
TASKS = {"default": {"BACKEND": TASKS_BACKEND}}
if TASKS_BACKEND == "django_tasks_rq.RQBackend":
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {
        "default": {
            "URL": env.str("RQ_REDIS_URL", default="redis://127.0.0.1:6379/2"),
            "DEFAULT_TIMEOUT": env.int("RQ_DEFAULT_TIMEOUT", default=600),
        }
    }

# Jiesu's own settings
JIESU = {
    # Prefix of human-readable appeal numbers (PS20261126000123).
    "DISTRICT_PREFIX": env.str("JIESU_DISTRICT_PREFIX", default="PS"),
    # Share of a clock's allowed time after which its light turns yellow.
    "WARN_RATIO": env.float("JIESU_WARN_RATIO", default=0.75),
    # Time limit of the return visit after the review accepts a result: (amount, unit code).
    "VISIT_LIMIT": (env.int("JIESU_VISIT_LIMIT_DAYS", default=2), "wd"),
    # Longest extension a unit may ask for, in working days.
    "MAX_EXTENSION_DAYS": env.int("JIESU_MAX_EXTENSION_DAYS", default=15),
    # Return-visit attempts before an unreachable citizen's appeal is closed.
    "VISIT_MAX_ATTEMPTS": env.int("JIESU_VISIT_MAX_ATTEMPTS", default=3),
    # Whether a citizen's "not satisfied" on a closed appeal reopens it at once (True), or
    # only goes to the supervision desk as a supervision notice (False, the default).
    "CITIZEN_UNSATISFIED_REOPENS": env.bool("JIESU_CITIZEN_UNSATISFIED_REOPENS", default=False),
    # Seconds between two SLA sweeps (the periodic task that raises yellow and red lights).
    "SWEEP_INTERVAL": env.int("JIESU_SWEEP_INTERVAL", default=60),
    # At most this many seconds before a calendar edit saved by another process is seen here
    # (each process holds the working calendar in memory; docs/adr/0009-provisional-calendar.md).
    "CALENDAR_CHECK_SECONDS": env.float("JIESU_CALENDAR_CHECK_SECONDS", default=5.0),
    # Selective auto-dispatch (jiesu.dispatch.auto, docs/guide/dispatch.md): the district-wide
    # switch, and the threshold for categories without their own (empty: none, never automatic).
    "AUTO_DISPATCH": env.bool("JIESU_AUTO_DISPATCH", default=True),
    "AUTO_DISPATCH_THRESHOLD": env.float("JIESU_AUTO_DISPATCH_THRESHOLD", default=None),
    # The precision the suggested thresholds aim for (shown with 95% confidence by the active
    # model's out-of-fold table; the administration page's suggestions, the demo's thresholds).
    # Appeals whose title and text hold fewer letters, digits and ideographs than this wait
    # for a person whatever the model's confidence ("测试", "投诉").
    "AUTO_DISPATCH_MIN_CHARS": env.int("JIESU_AUTO_DISPATCH_MIN_CHARS", default=8),
    "AUTO_DISPATCH_TARGET_PRECISION": env.float(
        "JIESU_AUTO_DISPATCH_TARGET_PRECISION", default=0.95
    ),
    # Seconds the likely duplicates found for an appeal are reused by the intake desk and the
    # appeal page before they are searched again (ADR 0036; 0: search on every view).
    "DUPLICATE_SHORTLIST_SECONDS": env.int("JIESU_DUPLICATE_SHORTLIST_SECONDS", default=300),
    # A task claimed by a worker this many seconds ago and not finished is put back in the
    # queue by the scheduler (its worker died; jiesu.taskclaims).
    "TASK_LEASE": env.int("JIESU_TASK_LEASE", default=900),
    # The scheduler logs a warning while a task or a notification has waited longer than this.
    "BACKLOG_WARN_SECONDS": env.int("JIESU_BACKLOG_WARN_SECONDS", default=600),
    # Who may read /metrics (jiesu.ops.metrics): a scraper sending this bearer token, or one
    # from these addresses or networks. Neither set: nobody.
    "METRICS_TOKEN": env.str("JIESU_METRICS_TOKEN", default=""),
    "METRICS_ALLOWED_IPS": env.list("JIESU_METRICS_ALLOWED_IPS", default=[]),
    # Audit checkpoints (ADR 0005): the Ed25519 signing key, never in the database.
    "AUDIT_SIGNING_KEY": env.str("JIESU_AUDIT_SIGNING_KEY", default=""),
    "AUDIT_SIGNING_KEY_FILE": env.str("JIESU_AUDIT_SIGNING_KEY_FILE", default=""),
    "AUDIT_CHECKPOINT_MINUTES": env.int("JIESU_AUDIT_CHECKPOINT_MINUTES", default=60),
    # A map tile server (e.g. https://{s}.tile.example/{z}/{x}/{y}.png); none by default: maps
    # draw the district's outlines only. Its host is allowed in the CSP's img-src.
    "MAP_TILE_URL": env.str("JIESU_MAP_TILE_URL", default=""),
    # The coordinate system of those tiles: wgs84 (OpenStreetMap and most servers), gcj02
    # (AMap, Tencent) or bd09 (Baidu). A pin tapped on the map is converted from it.
    "MAP_TILE_COORD_SYSTEM": env.str("JIESU_MAP_TILE_COORD_SYSTEM", default="wgs84"),
    # Reverse proxies in front of Jiesu that append to X-Forwarded-For (jiesu.clients).
    "TRUSTED_PROXY_HOPS": env.int("JIESU_TRUSTED_PROXY_HOPS", default=0),
}

# Notifications (jiesu/notify, docs/guide/notifications.md). Embedded default: SMS, WeChat and
# e-mail are written as JSON lines to var/outbox/<channel>.log; nothing leaves the machine.
JIESU_NOTIFY = {
    "ADAPTERS": {
        "sms": env.str("JIESU_NOTIFY_SMS", default="file"),
        "wechat": env.str("JIESU_NOTIFY_WECHAT", default="file"),
        "email": env.str("JIESU_NOTIFY_EMAIL", default="file"),
        "webhook": env.str("JIESU_NOTIFY_WEBHOOK", default="http"),
    },
    "OUTBOX_DIR": env.str("JIESU_NOTIFY_OUTBOX_DIR", default=str(VAR_DIR / "outbox")),
    "BACKOFF": env.list("JIESU_NOTIFY_BACKOFF", cast=int, default=[60, 300, 1800, 7200, 43200]),
    "MAX_ATTEMPTS": env.int("JIESU_NOTIFY_MAX_ATTEMPTS", default=6),
    "LEASE": env.int("JIESU_NOTIFY_LEASE", default=600),
    "TIMEOUT": env.float("JIESU_NOTIFY_TIMEOUT", default=10.0),
    "SITE_NAME": env.str("JIESU_SITE_NAME", default="接诉"),
    "TRACKING_URL": env.str("JIESU_TRACKING_URL", default=""),
    "SMS": {
        "URL": env.str("JIESU_SMS_URL", default=""),
        "ACCESS_KEY_ID": env.str("JIESU_SMS_ACCESS_KEY_ID", default=""),
        "ACCESS_KEY_SECRET": env.str("JIESU_SMS_ACCESS_KEY_SECRET", default=""),
        "SIGN_NAME": env.str("JIESU_SMS_SIGN_NAME", default="接诉"),
        "TEMPLATES": env.json("JIESU_SMS_TEMPLATES", default={}),
        "DEFAULT_TEMPLATE": env.str("JIESU_SMS_DEFAULT_TEMPLATE", default=""),
    },
    "WECHAT": {
        "URL": env.str(
            "JIESU_WECHAT_URL", default="https://api.weixin.qq.com/cgi-bin/message/template/send"
        ),
        "ACCESS_TOKEN": env.str("JIESU_WECHAT_ACCESS_TOKEN", default=""),
        "TEMPLATES": env.json("JIESU_WECHAT_TEMPLATES", default={}),
        "DEFAULT_TEMPLATE": env.str("JIESU_WECHAT_DEFAULT_TEMPLATE", default=""),
    },
    "EMAIL": {
        "FROM": env.str("JIESU_EMAIL_FROM", default=""),
        "MESSAGE_ID_DOMAIN": env.str("JIESU_EMAIL_MESSAGE_ID_DOMAIN", default="jiesu.invalid"),
    },
    "WEBHOOK": {
        "URL": env.str("JIESU_WEBHOOK_URL", default=""),
        "SECRET": env.str("JIESU_WEBHOOK_SECRET", default=""),
    },
}
# Reporter rewards (jiesu.rewards.conf has the defaults; secrets come from files or the
# environment, never from the repository: docs/operations.md, "Reward payouts").
JIESU_REWARDS = {
    "PROVIDER": env.str("JIESU_REWARDS_PROVIDER", default="embedded"),
    "BACKOFF": env.list("JIESU_REWARDS_BACKOFF", cast=int, default=[60, 300, 1800, 7200, 43200]),
    "MAX_ATTEMPTS": env.int("JIESU_REWARDS_MAX_ATTEMPTS", default=8),
    "LEASE": env.int("JIESU_REWARDS_LEASE", default=300),
    "POLL": env.int("JIESU_REWARDS_POLL", default=60),
    "TIMEOUT": env.float("JIESU_REWARDS_TIMEOUT", default=10.0),
    "REQUEST_PREFIX": env.str("JIESU_REWARDS_REQUEST_PREFIX", default="JS"),
    "WECHAT": {
        "BASE_URL": env.str("JIESU_WECHATPAY_BASE_URL", default="https://api.mch.weixin.qq.com"),
        "MCHID": env.str("JIESU_WECHATPAY_MCHID", default=""),
        "APPID": env.str("JIESU_WECHATPAY_APPID", default=""),
        "SERIAL_NO": env.str("JIESU_WECHATPAY_SERIAL_NO", default=""),
        "PRIVATE_KEY_FILE": env.str("JIESU_WECHATPAY_PRIVATE_KEY_FILE", default=""),
        "APIV3_KEY_FILE": env.str("JIESU_WECHATPAY_APIV3_KEY_FILE", default=""),
        "APIV3_KEY": env.str("JIESU_WECHATPAY_APIV3_KEY", default=""),
        "PLATFORM_CERTS": env.json("JIESU_WECHATPAY_PLATFORM_CERTS", default={}),
        "TRANSFER_SCENE_ID": env.str("JIESU_WECHATPAY_TRANSFER_SCENE_ID", default=""),
    },
}
# E-mail through Django's mail (when JIESU_NOTIFY_EMAIL=django).
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="接诉 <noreply@localhost>")
