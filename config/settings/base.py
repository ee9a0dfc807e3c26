"""Settings shared by every environment; values that differ come from environment variables."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    # API tokens stored hashed, with idle and absolute expiry (core.models.ApiToken).
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_tables2",
    "simple_history",
    # The admin's import and export of the reference catalogues (enrollment.admin_resources).
    "import_export",
    "axes",
    "csp",
    "crispy_forms",
    "crispy_bootstrap5",
    "core",
    "enrollment.apps.EnrollmentConfig",
    "dropout.apps.DropoutConfig",
    "subsidies.apps.SubsidiesConfig",
    "teachers.apps.TeachersConfig",
    "inspections.apps.InspectionsConfig",
    # The annual summary: shows the sections the four modules register with core.annual.
    "risk.apps.RiskConfig",
    # 转入/转出: moves between townships and counties and out of the deployment.
    "transfers.apps.TransfersConfig",
    "yearend.apps.YearendConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A body larger than REQUEST_BODY_MAX_BYTES is refused (413) before anything reads it.
    "core.uploads.RequestBodyLimitMiddleware",
    # Content-Security-Policy on every answer (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle timeout and absolute lifetime of a login; no-store on answers to a logged-in user.
    "core.middleware.SessionTimeoutMiddleware",
    "core.middleware.NoStoreForLoggedInMiddleware",
    # A create form's one-time key and the API's Idempotency-Key (core.idempotency).
    "core.idempotency.IdempotencyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so that a locked-out login is answered before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "enrollment.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo's SQLite under concurrent writes: WAL lets readers go on while one writes; each
    # transaction takes the write lock when it begins (IMMEDIATE), so a second writer waits up
    # to `timeout` seconds for the first, then reads what it committed and is refused (409)
    # like on PostgreSQL, instead of failing mid-transaction with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# A PostgreSQL streaming replica (hot standby) of the primary: the monthly reports' figures, the
# export jobs and the annual figures read from it (core.replica.reading; every write and every
# other read stays on the primary). Unset: one database, nothing changes. Tests use the primary.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]
# How old the replica's last replayed commit may be when it has not caught up with the primary;
# an older, paused or unreachable replica is not used (reads go to the primary).
DATABASE_REPLICA_MAX_LAG = env.float("DATABASE_REPLICA_MAX_LAG", default=30)

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # MLPS 2.0 口令复杂度: three of upper case, lower case, digits and symbols.
    {"NAME": "core.security.PasswordComplexityValidator", "OPTIONS": {"min_classes": 3}},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): lock a username+address pair after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Behind nginx (production) the client's address is in X-Forwarded-For; see core.security.client_ip.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "core.security.client_ip"
# A login from an office's NAT must not lock the colleagues out, so failures lock a username
# at an address; but one address that fails with this many different usernames within
# AXES_COOLOFF_TIME (guessing names) is locked for all of them (core.security.LoginLockHandler).
AXES_USERNAMES_PER_ADDRESS = env.int("AXES_USERNAMES_PER_ADDRESS", default=10)
AXES_HANDLER = "core.security.LoginLockHandler"
# The token endpoint answers a lockout in JSON (429 with "detail"), pages with the template.
AXES_LOCKOUT_CALLABLE = "core.security.lockout_response"

# API tokens (django-rest-knox): a token dies after API_TOKEN_IDLE_HOURS without a request
# (every request moves its expiry forward) and API_TOKEN_MAX_DAYS after it was issued however
# busy it is. Only its hash is stored; logout, deactivation and revocation delete it.
API_TOKEN_IDLE_HOURS = env.int("API_TOKEN_IDLE_HOURS", default=8)
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=7)
KNOX_TOKEN_MODEL = "core.ApiToken"
# knox's own migrations would create its (swapped-out, unused) token table, whose foreign key to
# the users then stops the tests' TRUNCATE of auth_user on PostgreSQL: core's migration 0007
# creates the one table.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=API_TOKEN_IDLE_HOURS),
    "AUTO_REFRESH": True,
    "AUTO_REFRESH_MAX_TTL": timedelta(days=API_TOKEN_MAX_DAYS),
    # The expiry is written at most once a minute per token, not on every request.
    "MIN_REFRESH_INTERVAL": 60,
    "TOKEN_LIMIT_PER_USER": None,
    "AUTH_HEADER_PREFIX": "Token",
}

SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
# A login ends after this long without a request, and after SESSION_COOKIE_AGE however busy
# (core.middleware.SessionTimeoutMiddleware); closing the browser ends it too.
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_MINUTES", default=30) * 60
# How long a form's submission key or an API Idempotency-Key is remembered after first use.
IDEMPOTENCY_KEY_TTL = env.int("IDEMPOTENCY_KEY_HOURS", default=24) * 3600
SESSION_ABSOLUTE_LIFETIME = SESSION_COOKIE_AGE
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Content-Security-Policy (django-csp): scripts only from our own static files (no inline
# handlers: static/js/behaviours.js wires them); inline style attributes stay allowed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Upload sizes, from the outside in (tests/core/test_uploads.py keeps them agreeing):
# nginx's client_max_body_size (deploy/nginx.conf) = REQUEST_BODY_MAX_BYTES, refused before the
# body is read (core.uploads.RequestBodyLimitMiddleware): the largest file a field takes (an
# Excel import, core.imports.MAX_UPLOAD_BYTES, 40 MB) plus the form around it. Per field:
# VISIT_ATTACHMENT_MAX_BYTES for every scanned document or photo. A file above
# FILE_UPLOAD_MAX_MEMORY_SIZE streams to a temporary file instead of memory.
REQUEST_BODY_MAX_BYTES = 45 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
VISIT_ATTACHMENT_MAX_BYTES = env.int("VISIT_ATTACHMENT_MAX_BYTES", default=5 * 1024 * 1024)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.CappedPageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Domain errors answered in one place (409 refused transition / stale edit, 400 bad input).
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # JSON nested beyond core.api.MAX_JSON_DEPTH is a 400, not a RecursionError.
    "DEFAULT_PARSER_CLASSES": [
        "core.api.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_RATES": {"token": "10/minute"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "控辍保学与教育扶贫 API",
    "DESCRIPTION": "Registry, ledgers and household visits of a county education bureau.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation documents its error answers (400/401/403/404/409/429) and their bodies.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.add_error_responses",
        "core.idempotency.document_idempotency_key",
    ],
    # Swagger UI from the installed sidecar package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "EnrollmentStatusEnum": "enrollment.models.EnrollmentStatus",
        "CaseStatusEnum": "dropout.models.DropoutCase.Status",
        "ExemptionStatusEnum": "dropout.models.ExemptionRequest.Status",
        "ExemptionReasonEnum": "dropout.models.ExemptionRequest.Reason",
        "CloseReasonEnum": "dropout.models.DropoutCase.CloseReason",
        "ManualStatusEnum": "enrollment.forms.manual_status_choices",
        "SexEnum": "enrollment.models.Sex",
        "IssueStatusEnum": "inspections.models.Issue.Status",
        "ReplyOutcomeEnum": "dropout.models.GuardianReply.Outcome",
        "VisitOutcomeEnum": "enrollment.models.HouseholdVisit.Outcome",
        # A background run's state: the monthly reports', the annual summaries' (same choices).
        "RunStatusEnum": "dropout.models.ReportRun.Status",
    },
}

# Celery: without a broker, tasks run in-process (the demo); with REDIS_URL, in a worker.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
# The worker keeps Django's LOGGING (its console handler masks personal data).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    # Absences → suspected dropout → dropout (opens a case); consolidation strike-off; due-back.
    "dropout-daily-run": {
        "task": "dropout.tasks.daily_dropout_run",
        "schedule": crontab(hour=2, minute=0),
    },
    # 失辍学儿童月报告: last month's reports of every county, on the 1st at 01:00 (Asia/Shanghai).
    "dropout-monthly-reports": {
        "task": "dropout.tasks.generate_monthly_reports",
        "schedule": crontab(day_of_month=1, hour=1, minute=0),
    },
    # Issues past their rectification deadline: flagged and their units notified.
    "inspections-daily-overdue": {
        "task": "inspections.tasks.notify_overdue_issues_task",
        "schedule": crontab(hour=2, minute=30),
    },
    # Dropout-risk scores of every county, after the daily dropout run (the backtest on the 1st).
    "risk-nightly-scores": {
        "task": "risk.tasks.recompute_all_scores",
        "schedule": crontab(hour=3, minute=0),
    },
    # Moves out of the deployment not confirmed in time: back to the unaccounted list.
    "transfers-daily-lapse": {
        "task": "transfers.tasks.lapse_unconfirmed_transfers",
        "schedule": crontab(hour=2, minute=15),
    },
}

# Notifications also go by email to users with an address when a mail server is configured
# (EMAIL_URL, e.g. smtp+tls://user:password@mail.example.gov.cn:587); none by default.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="dummymail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="noreply@localhost")
# The address users reach the product at, for links in emails.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
NOTIFICATION_EMAILS = env.bool("NOTIFICATION_EMAILS", default=bool(env("EMAIL_URL", default="")))

if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }

# --- Domain settings (the procedure's numbers are settings, not constants in code) ---
# Compulsory-education age window: age in whole years on 31 August of the school year.
SCHOOL_AGE_MIN = env.int("SCHOOL_AGE_MIN", default=6)
SCHOOL_AGE_MAX = env.int("SCHOOL_AGE_MAX", default=15)
# Ages (same reference date) up to which a school-age child is counted in the primary stage.
PRIMARY_STAGE_MAX_AGE = env.int("PRIMARY_STAGE_MAX_AGE", default=11)
# 大班额: a class of this many pupils or more; 超大班额 from the second figure.
LARGE_CLASS_SIZE = env.int("LARGE_CLASS_SIZE", default=56)
OVERSIZED_CLASS_SIZE = env.int("OVERSIZED_CLASS_SIZE", default=66)
# Dropout-risk score from which a child is "high risk" (the list's default, the monthly line).
RISK_HIGH_THRESHOLD = env.int("RISK_HIGH_THRESHOLD", default=40)
SUSPECTED_DROPOUT_DAYS = env.int("SUSPECTED_DROPOUT_DAYS", default=7)
DROPOUT_DAYS = env.int("DROPOUT_DAYS", default=30)
# 转出: days the destination has to confirm a child's arrival before the child returns to the
# unaccounted list.
TRANSFER_CONFIRM_DAYS = env.int("TRANSFER_CONFIRM_DAYS", default=30)
# 多次动员仍不返校: failed persuasions needed before the notice to resume schooling.
DROPOUT_MIN_PERSUASIONS = env.int("DROPOUT_MIN_PERSUASIONS", default=2)
# 责令一周内限期改正: days from service to the notice's deadline.
RESUME_NOTICE_DAYS = env.int("RESUME_NOTICE_DAYS", default=7)
# 行政处罚法 Art. 44-45 and 64: days after the prior notice is served for the guardian's
# statement and defence, and (where the penalty qualifies) for asking for a hearing.
PENALTY_REPLY_DAYS = env.int("PENALTY_REPLY_DAYS", default=3)
PENALTY_HEARING_REQUEST_DAYS = env.int("PENALTY_HEARING_REQUEST_DAYS", default=5)
# Art. 61: days from a penalty decision within which it is served on the guardian.
DECISION_SERVICE_DAYS = env.int("DECISION_SERVICE_DAYS", default=7)
# 巩固期 after a return: a new absence inside it reopens the same case.
CONSOLIDATION_DAYS = env.int("CONSOLIDATION_DAYS", default=60)
# A case with no action for this long is on the "stale" work queue.
STALE_CASE_DAYS = env.int("STALE_CASE_DAYS", default=30)
# A child to watch (unaccounted, suspected or dropped out) not visited for this long is on the
# village's "visits due" queue.
VISIT_DUE_DAYS = env.int("VISIT_DUE_DAYS", default=30)
# Suspension (休学) is normally one school year, extendable once.
SUSPENSION_MAX_DAYS = env.int("SUSPENSION_MAX_DAYS", default=366)
SUSPENSION_MAX_RENEWALS = env.int("SUSPENSION_MAX_RENEWALS", default=1)
# Four eyes on exemptions: the official who registered a request may approve it only where a
# township has a single official (the approval step then says so).
EXEMPTION_SELF_APPROVAL_ALLOWED = env.bool("EXEMPTION_SELF_APPROVAL_ALLOWED", default=False)
# Subsidies: a pupil's status this many days after a term starts decides its entitlement.
SUBSIDY_CENSUS_OFFSET_DAYS = env.int("SUBSIDY_CENSUS_OFFSET_DAYS", default=30)

# --- Teacher workforce (teachers app) ---
# Students per teacher post (编制) by stage, for urban and rural schools. National standards:
# 国办发〔2001〕74号 (中央编办、教育部、财政部《关于制定中小学教职工编制标准的意见》) set city /
# county-town / rural ratios; 中央编办发〔2014〕72号《关于统一城乡中小学教职工编制标准的通知》
# unified county-town and rural schools to the city standard: senior 1:12.5, junior 1:13.5,
# primary 1:19. Preschool: 教育部《幼儿园教职工配备标准（暂行）》(教师〔2013〕1号), full-day
# kindergartens 1:5–1:7 (the looser end here); secondary vocational: 《中等职业学校设置标准》
# (教职成〔2010〕12号) 20 students per teacher; special schools: provincial standards, commonly 1:3.
TEACHER_STUDENT_RATIOS = {
    "urban": {
        "preschool": 7,
        "primary": 19,
        "junior": 13.5,
        "senior": 12.5,
        "vocational": 20,
        "special": 3,
    },
    "rural": {
        "preschool": 7,
        "primary": 19,
        "junior": 13.5,
        "senior": 12.5,
        "vocational": 20,
        "special": 3,
    },
}
# Post types that fill the quota (代课 substitutes are hired because of vacancies, so they don't).
TEACHER_POSTS_AGAINST_QUOTA = ["regular", "special_post", "exchange"]
# 特岗计划: a special-post teacher serves three years before conversion to a regular post.
SPECIAL_POST_SERVICE_YEARS = env.int("SPECIAL_POST_SERVICE_YEARS", default=3)
# 教育部等《关于推进县（区）域内义务教育学校校长教师交流轮岗的意见》(教教师〔2014〕4号): teachers
# with six years at the same school are due to rotate; at least 10% of them each year.
TEACHER_EXCHANGE_ELIGIBLE_YEARS = env.int("TEACHER_EXCHANGE_ELIGIBLE_YEARS", default=6)
TEACHER_EXCHANGE_TARGET_PERCENT = env.int("TEACHER_EXCHANGE_TARGET_PERCENT", default=10)
# Post types paid the rural teacher allowance (乡村教师生活补助).
TEACHER_ALLOWANCE_POST_TYPES = ["regular", "special_post", "exchange"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Resident IDs and phone numbers are masked in every log line (PIPL: minors' data).
    # Django's own defaults are replaced, not added to: its "django" console handler (DEBUG)
    # and its "django.server" handler (runserver's request lines, with the query string)
    # would write unmasked. config/gunicorn.py does the same for gunicorn's loggers.
    "filters": {"mask_personal_data": {"()": "core.log_filters.MaskPersonalData"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_personal_data"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["mask_personal_data"],
        },
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        # No handlers of their own: they reach the masked root console.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.request": {"handlers": [], "level": "WARNING", "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        # django-axes logs every login at INFO; keep lockouts and failures (WARNING) only.
        "axes": {"level": "WARNING"},
    },
}

# A filter's empty choice reads "All" (全部), as the hand-labelled ones do, not "---------".
FILTERS_EMPTY_CHOICE_LABEL = _("All")
