"""gunicorn's own settings; docker-compose.yml and the Dockerfile start it with
`--config python:config.gunicorn` (bind address and workers stay on the command line).

Its access and error logs go through the same masking filter as Django's (core.log_filters),
and the access line names the path without the query string: a search by resident ID, phone
number or a child's name (`/api/v1/children/?q=...`) never reaches the log in full.
tests/security/test_gunicorn_log.py starts gunicorn with this file and reads what it writes.
"""

# The request line without its query (%(U)s is the path only); no referrer, which is the
# previous page's address with its query.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s "%(a)s"'

_MASK = ["mask_personal_data"]

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_data": {"()": "core.log_filters.MaskPersonalData"}},
    "formatters": {
        "generic": {
            "format": "%(asctime)s [%(process)d] [%(levelname)s] %(message)s",
            "datefmt": "[%Y-%m-%d %H:%M:%S %z]",
        },
        "access": {"format": "%(message)s"},
    },
    "handlers": {
        "access": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "access",
            "filters": _MASK,
        },
        "error": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": "generic",
            "filters": _MASK,
        },
    },
    "root": {"level": "INFO", "handlers": ["error"]},
    "loggers": {
        # The filter on the logger as well as its handler: a handler gunicorn adds itself
        # (`--access-logfile`) still receives masked records.
        "gunicorn.error": {
            "level": "INFO",
            "handlers": ["error"],
            "filters": _MASK,
            "propagate": False,
        },
        "gunicorn.access": {
            "level": "INFO",
            "handlers": ["access"],
            "filters": _MASK,
            "propagate": False,
        },
    },
}
