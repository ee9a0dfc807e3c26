"""The demo and development: SQLite by default, Celery eager; debug pages only on request
(DJANGO_DEBUG=true), so that the demo shows the product's own 403/404/500 pages in Chinese."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Static files straight from the app directories (no collectstatic) with debug off too.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-demo-key-only-for-the-local-demo-county")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "0.0.0.0"])
# Demo users may be created only under these settings (see enrollment seed_demo).
DEMO_DATA_ALLOWED = True
# The demo prints notification emails on the console instead of sending them.
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
NOTIFICATION_EMAILS = True
