"""Settings of the atlas catalogue: one module, every value read from the environment (see README)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_cache_url
from django.core.exceptions import ImproperlyConfigured

from config import bootstrap, paths
from config.env import base_url, env_bool, env_int, env_list, env_paths, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
# Nothing is created at import: manage.py makes this folder (config/bootstrap.py), the key file is written on first use.
VAR_DIR = bootstrap.var_dir()

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    """Use SECRET_KEY, or a key generated once per node into var/secret_key when first used (set it in production)."""
    key = env_str("SECRET_KEY")
    if key:
        if len(key) < 50 or len(set(key)) < 5:
            raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters with at least 5 distinct ones")
        return key
    return bootstrap.generated_secret_key(VAR_DIR / "secret_key")  # type: ignore[no-any-return]


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
PORT = env_int("PORT", 8000, minimum=1)

# Base of every IRI the catalogue mints (datasets, agents, distributions, concepts of our own schemes).
ATLAS_BASE_URL = base_url(env_str("ATLAS_BASE_URL", f"http://127.0.0.1:{PORT}/"))
# docs/privacy.md §0: threshold k below which subject counts are published as "<k".
ATLAS_DISCLOSURE_K = env_int("ATLAS_DISCLOSURE_K", 10, minimum=2)
# The only folders and internal hosts a harvester may ever read: nothing else (no source, curator or API call)
# can widen them.
ATLAS_HARVEST_FILE_ROOTS = env_paths("ATLAS_HARVEST_FILE_ROOTS")
ATLAS_HARVEST_PRIVATE_HOSTS = env_list("ATLAS_HARVEST_PRIVATE_HOSTS")
# Node-local folder of the refused-path report files of harvest jobs (never in the database; docs/privacy.md R18).
ATLAS_HARVEST_REPORT_DIR = Path(env_str("ATLAS_HARVEST_REPORT_DIR", str(VAR_DIR / "harvest-reports")))
# The atlas catalogue's publisher (dct:publisher of the dcat:Catalog, mandatory in DCAT-AP 3).
ATLAS_PUBLISHER_NAME = env_str("ATLAS_PUBLISHER_NAME", "European Cancer Imaging Atlas")
ATLAS_PUBLISHER_EMAIL = env_str("ATLAS_PUBLISHER_EMAIL")
# Official SHACL shapes for validate_dcat (DCAT-AP 3.0.1, HealthDCAT-AP R8); default: the copy shipped inside the
# project (catalogue/dcat/shapes, see its NOTICE.md files).
ATLAS_SHAPES_DIR = env_str("ATLAS_SHAPES_DIR", str(paths.SHAPES_DIR))
# Number of reverse proxies in front of the app whose X-Forwarded-For entries are trusted.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0, minimum=0)
# HTTPS deployment: secure cookies, HSTS and redirect (set in production behind TLS).
ATLAS_HTTPS = env_bool("ATLAS_HTTPS", False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "config.apps.AtlasEdgeConfig",
    "catalogue",
    "harvesters",
    "search",
]

MIDDLEWARE = [
    # First: they see the final response (HEAD without a body; the JSON error body on every /api/ error).
    "config.middleware.HeadResponseMiddleware",
    "config.middleware.ApiErrorBodyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.RequestSizeLimitMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a lockout flagged during authentication into config.auth's 429 answer.
    "axes.middleware.AxesMiddleware",
]

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
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'atlas.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the portal read while a harvest writes; a busy timeout instead of "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
_test_db_name = env_str("DATABASE_TEST_NAME")
if _test_db_name:
    DATABASES["default"]["TEST"] = {"NAME": _test_db_name}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The default cache holds the API throttle counters and the login-failure counts, so it must be shared by every web
# process: a table in the database by default (created by `migrate`, see config/apps.py), Redis in production.
# A per-process cache (locmem://) would let each gunicorn worker count on its own.
CACHE_URL = env_str("CACHE_URL", "db://atlas_cache?max_entries=100000")
CACHES = {"default": django_cache_url.parse(CACHE_URL)}

# Password guessing (django-axes, config/auth.py): failed logins counted in the shared cache by client address and
# by account name, on the admin login and the API token endpoint; after ATLAS_LOGIN_FAILURE_LIMIT failures either
# is refused (429, even with the right password) until ATLAS_LOGIN_COOLOFF_MINUTES pass without a new failure.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_FAILURE_LIMIT = env_int("ATLAS_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ATLAS_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "config.auth.client_ip"
AXES_LOCKOUT_CALLABLE = "config.auth.lockout_response"
AXES_VERBOSE = False  # logs mask the address and account name (AXES_SENSITIVE_PARAMETERS)
AXES_ENABLE_ADMIN = False  # its admin pages list the database handler's tables, which the cache handler leaves empty
AXES_HTTP_RESPONSE_CODE = 429

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and env_bool("ATLAS_MANIFEST_STATIC", True)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Request size limits: API bodies are small; uploads of descriptor sheets go through harvest sources.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

# Security. Production behind TLS sets ATLAS_HTTPS=true (and TRUSTED_PROXIES when a proxy terminates TLS).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = ATLAS_HTTPS
CSRF_COOKIE_SECURE = ATLAS_HTTPS
SECURE_SSL_REDIRECT = ATLAS_HTTPS
SECURE_HSTS_SECONDS = 31536000 if ATLAS_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = ATLAS_HTTPS
SECURE_HSTS_PRELOAD = ATLAS_HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "config.error_views.csrf_failure"

# Django REST framework: one error body, stable paging, throttles on the shared cache.
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["catalogue.api.permissions.ReadOnlyOrCurator"],
    "DEFAULT_PAGINATION_CLASS": "catalogue.api.pagination.AtlasPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # JSON nesting is bounded before parsing (a deep body is a 400, not a RecursionError).
    "DEFAULT_PARSER_CLASSES": [
        "catalogue.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("ATLAS_THROTTLE_ANON", "120/min"),
        "user": env_str("ATLAS_THROTTLE_USER", "600/min"),
    },
    "NUM_PROXIES": TRUSTED_PROXIES,
    "EXCEPTION_HANDLER": "catalogue.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Atlas Catalogue API",
    "DESCRIPTION": (
        "Metadata catalogue of de-identified cancer imaging datasets. Public metadata is readable anonymously; "
        "counts follow the atlas disclosure rules (small counts are published as \"<k\", never exactly)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {},
}

# Celery. Unset broker: tasks run in-process (eager), so `make run` needs no extra service.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Threads pool: a harvest task starts its own process pool (DICOM gate workers); prefork children are
# daemonic and may not have children of their own.
CELERY_WORKER_POOL = env_str("CELERY_WORKER_POOL", "threads")
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"harvesters.tasks.*": {"queue": "harvest"}}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Search backend: embedded by default, Elasticsearch when ELASTICSEARCH_URL is set.
ELASTICSEARCH_URL = env_str("ELASTICSEARCH_URL")
ATLAS_SEARCH_BACKEND = env_str(
    "ATLAS_SEARCH_BACKEND",
    "search.backends.elasticsearch.ElasticsearchBackend" if ELASTICSEARCH_URL else "search.backends.embedded.EmbeddedBackend",
)
ATLAS_SEARCH_INDEX_PREFIX = env_str("ATLAS_SEARCH_INDEX_PREFIX", "atlas")

# Registries (code, not environment): the ONE list of harvester kinds and of DCAT profiles, name -> dotted path
# of the class, read through `catalogue.registry.Registry` (a bad path stops with ImproperlyConfigured). A new
# kind or profile is its module plus one line here; see README "Architecture".
ATLAS_HARVESTER_KINDS = {
    "dicom_folder": "harvesters.dicom_folder.harvester.DicomFolderHarvester",
    "dcat_rdf": "harvesters.dcat_rdf.DcatRdfHarvester",
    "idc_index": "harvesters.idc_index.IdcIndexHarvester",
    "descriptor_sheet": "harvesters.descriptor_sheet.DescriptorSheetHarvester",
}
ATLAS_DCAT_PROFILES = {
    "dcat-ap": "catalogue.dcat.profiles.dcat_ap3.DcatAp3Profile",
    "healthdcat-ap": "catalogue.dcat.profiles.healthdcat_ap.HealthDcatApProfile",
    "eucaim": "catalogue.dcat.profiles.eucaim.EucaimProfile",
    "schema.org": "catalogue.dcat.profiles.schema_org.SchemaOrgDatasetProfile",
}

# E-mail (failed harvest jobs notify the source contact).
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if env_str("EMAIL_HOST") else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "atlas@localhost")

# Logging: structured JSON in production (DEBUG off), readable lines in development.
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r} must be 'json' or 'text'")
