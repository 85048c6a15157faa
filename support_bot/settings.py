"""One settings module. Every environment variable is read here, once, with a safe local default.

Embedded defaults (nothing set): SQLite, in-memory channel layer, local-memory cache, the pipeline
runs in the web process, the offline model engine. Set DATABASE_URL and REDIS_URL for production.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", default=False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Production refuses to start without one; "
            "for local development set DJANGO_DEBUG=1 (the README's demo command does)."
        )
    SECRET_KEY = "django-insecure-local-development-only-never-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")


def hosts_as_origins(hosts: list[str], *, debug: bool) -> list[str]:
    """Allowed hosts as the origins a browser sends: https, and http too when debugging.
    Wildcards ("*", ".example.com") have no single origin and are left out."""
    schemes = ["https", "http"] if debug else ["https"]
    return [
        f"{scheme}://{host}" for host in hosts if host[:1] not in {"*", "."} for scheme in schemes
    ]


# The store origins the widget may run on: its API answers them cross-origin (CORS) and its
# websocket accepts their Origin. Each is scheme://host[:port], exactly as the browser sends it.
WIDGET_ALLOWED_ORIGINS = env_list("WIDGET_ALLOWED_ORIGINS") or hosts_as_origins(
    ALLOWED_HOSTS, debug=DEBUG
)
# The secret a store's backend signs its customers' e-mails with (HMAC-SHA256, hex). Unset: no
# signed identity is accepted, and a request that carries one is refused.
WIDGET_IDENTITY_SECRET = os.environ.get("WIDGET_IDENTITY_SECRET", "")
# How many reverse proxies in front of the app append to X-Forwarded-For. 0: the client is the
# socket's peer address and the header is ignored (anyone can send it); N: the Nth address from
# the right, the one the outermost proxy of ours saw.
PROXY_COUNT = int(os.environ.get("DJANGO_PROXY_COUNT", "0"))

CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOWED_ORIGINS = WIDGET_ALLOWED_ORIGINS
CORS_ALLOW_CREDENTIALS = False  # the widget proves itself with its bearer token, not cookies
CORS_PREFLIGHT_MAX_AGE = 3600

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "channels",
    "corsheaders",
    "django_htmx",
    "axes",
    "template_partials",
    "orders",
    "knowledge",
    "conversations",
    "llm",
    "pipeline",
    "desk",
    "chat",
    "ops",
    "demo",
    "bench",
    "fakes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",  # before CommonMiddleware, as its docs ask
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

# Admin sign-in: django-axes locks a username tried from one address after AXES_FAILURE_LIMIT
# wrong passwords, for AXES_COOLOFF_TIME hours; a locked sign-in is refused even with the right
# password until then (or until `manage.py axes_reset`).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "1"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

# Content-Security-Policy on every page (django-csp): scripts only from this origin (the widget,
# the desk and htmx are files under /static/); inline styles stay allowed because htmx and the
# admin set some, and a style cannot run code. Sockets are same-origin ('self' covers ws/wss).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    }
}

ROOT_URLCONF = "support_bot.urls"
WSGI_APPLICATION = "support_bot.wsgi.application"
ASGI_APPLICATION = "support_bot.asgi.application"

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

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the chat's writer and the readers of the demo work side by side.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Pub/sub: one PUBLISH per frame; made safe for a Redis restart (see the class).
            "BACKEND": "support_bot.channel_layers.RedisPubSubChannelLayer",
            # redis-py 8 cuts any read after 5 s by default; the subscriber waits on such a
            # read for events, so it must not time out.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": None}]},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "support_bot.patches.django_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "support_bot",
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "support_bot.channel_layers.InMemoryChannelLayer"}}
    # Django's default of 300 entries is far too few here: the cache holds each chat's rate-limit
    # window, each customer's daily token count and each streaming reply's resume buffer, and a
    # full LocMemCache drops a third of its entries, so a few hundred busy chats would wipe
    # budgets and rate limits. 100,000 small entries are tens of MB.
    CACHES = {
        "default": {
            "BACKEND": "support_bot.patches.django_cache.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

CELERY_BROKER_URL = REDIS_URL or "memory://"
if REDIS_URL:  # kombu's Redis transport with one fix (a worker survives a Redis restart)
    CELERY_BROKER_TRANSPORT = "support_bot.patches.kombu_redis_qos:Transport"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 300}
CELERY_TIMEZONE = "UTC"
# `celery -A support_bot beat` runs these: a sweep re-queues customer messages whose task was lost
# (Redis restarted empty), and the retention purge deletes transcripts older than
# TRANSCRIPT_RETENTION_DAYS (traces and cost aggregates are kept, detached from the text).
CELERY_BEAT_SCHEDULE = {
    "transcripts-purge": {"task": "ops.tasks.transcripts_purge", "schedule": 6 * 60 * 60},
    "unanswered-sweep": {"task": "chat.tasks.unanswered_sweep", "schedule": 60},
    "handoffs-requeue": {"task": "desk.tasks.handoffs_unanswered_requeue", "schedule": 60},
    "golden-eval": {"task": "ops.tasks.golden_eval", "schedule": 24 * 60 * 60},
    "dialogues-eval": {"task": "ops.tasks.dialogues_eval", "schedule": 24 * 60 * 60},
    # Help-center pages imported from URLs, fetched again (conditional GETs): what changed updates.
    "knowledge-resync": {"task": "knowledge.tasks.knowledge_resync_task", "schedule": 6 * 60 * 60},
}
# The scripted dialogues the daily evaluation replays (chat.dialogues); each file's cases run on
# the stores this database has.
EVAL_DIALOGUE_FILES = [BASE_DIR / "demo" / "dialogues.jsonl"]
TRANSCRIPT_RETENTION_DAYS = int(os.environ.get("TRANSCRIPT_RETENTION_DAYS", "365"))

# The human queue: minutes until a handoff should have a human, by Conversation.Priority.
HANDOFF_SLA_MINUTES = {1: 5, 2: 15, 3: 60, 4: 240}
# An agent given a handoff who has not replied within this many seconds loses it back to the
# queue (desk/requeue.py), so a conversation never waits on someone who is not there.
HANDOFF_ANSWER_WITHIN_S = int(os.environ.get("HANDOFF_ANSWER_WITHIN_S", "300"))
# An agent whose desk sockets sent no ping for this long is no longer at the desk (pings every
# 30 s; a closed socket ends presence at once).
# A conversation counts as resolved by the bot only if the customer did not come back about it
# within this many hours (ops/resolution.py).
RESOLUTION_REOPEN_WINDOW_H = int(os.environ.get("RESOLUTION_REOPEN_WINDOW_H", "72"))
DESK_PRESENCE_TIMEOUT_S = int(os.environ.get("DESK_PRESENCE_TIMEOUT_S", "75"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/admin/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "httpx": {"level": "WARNING"},
        "httpx2": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
    },
}

# The model gateway (llm/) turns these into its typed config (llm.config) and validates them at
# start: a malformed key stops the process with a clear message and is never logged.
LLM = {
    "BASE_URL": os.environ.get("LLM_BASE_URL", ""),
    "API_KEY": os.environ.get("LLM_API_KEY", ""),
    "MODELS": {
        "intent": os.environ.get("LLM_MODEL_INTENT", "gemini-2.5-flash"),
        "retrieval": os.environ.get("LLM_MODEL_RETRIEVAL", "deepseek-v3.2"),
        "reasoning": os.environ.get("LLM_MODEL_REASONING", "gpt-4.1"),
        "empathy": os.environ.get("LLM_MODEL_EMPATHY", "claude-sonnet-4.5"),
    },
    "FALLBACK_MODELS": env_list("LLM_FALLBACK_MODELS"),
    # Optional overrides, e.g. LLM_PRICES="gpt-4.1=2.0/8.0,my-model=0.1/0.4" ($ per MTok in/out).
    "PRICES": os.environ.get("LLM_PRICES", ""),
    "CUSTOMER_DAILY_TOKENS": int(os.environ.get("LLM_CUSTOMER_DAILY_TOKENS", "200000")),
    # A model the endpoint serves on /v1/embeddings: help-center search then ranks by meaning
    # as well as words (knowledge/search.py). Empty: words only.
    "EMBEDDING_MODEL": os.environ.get("LLM_EMBEDDING_MODEL", ""),
}

# The storefront's one-click "sign in as a demo customer". Never on in production.
DEMO_SIGN_IN = env_bool("DEMO_SIGN_IN", default=DEBUG)

# A customer message's whole pipeline run; past it the customer gets an honest fallback reply
# and a place in the human queue.
PIPELINE_TIMEOUT_S = float(os.environ.get("PIPELINE_TIMEOUT_S", "45"))

# Messages a visitor may send a minute, across all their conversations (protocol guarantee 5).
# Anonymous visitors count per address: raise it where many shoppers share one (a kiosk, a NAT).
CHAT_MESSAGES_PER_MINUTE = int(os.environ.get("CHAT_MESSAGES_PER_MINUTE", "20"))

# On SIGTERM the web process refuses new chat messages (their sockets are closed with the
# "reconnect and resume" code) and lets replies in progress finish for this long; the next
# start of a web process finishes whatever is left (chat/lifecycle.py).
SHUTDOWN_GRACE_S = float(os.environ.get("SHUTDOWN_GRACE_S", "10"))

# An anonymous visitor proves who they are in the chat with an order number and its e-mail. Past
# this many failed attempts in an hour, per conversation and per visitor, nothing more is checked
# and a person takes over (pipeline/verification.py).
VERIFY_ATTEMPTS_PER_HOUR = int(os.environ.get("VERIFY_ATTEMPTS_PER_HOUR", "5"))
