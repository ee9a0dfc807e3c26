"""Resident IDs and phone numbers never reach the log output in full."""

import datetime
import io
import logging

import pytest
from celery.utils.log import get_task_logger

from config.celery import app as celery_app
from core.log_filters import MaskPersonalData, mask_text
from core.resident_id import make_resident_id

CHILD_ID = make_resident_id(
    place_code="510304", birth_date=datetime.date(2015, 3, 4), sequence=123, sex="M"
)


def test_ids_and_mobiles_are_masked_but_other_numbers_are_not():
    text = f"child {CHILD_ID} guardian 13812345678 order 20261129000000000001 count 150000"
    masked = mask_text(text)
    assert CHILD_ID not in masked and "13812345678" not in masked
    assert CHILD_ID[:4] + "*" * 10 + CHILD_ID[-4:] in masked and "138****5678" in masked
    assert "20261129000000000001" in masked and "150000" in masked


def test_the_configured_log_handlers_mask_messages_arguments_and_tracebacks():
    (console,) = [h for h in logging.getLogger().handlers if h.get_name() == "console"] or [None]
    assert console is not None and any(isinstance(f, MaskPersonalData) for f in console.filters)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    for log_filter in console.filters:
        handler.addFilter(log_filter)
    logger = logging.getLogger("tests.masking")
    logger.addHandler(handler)
    # Independent of the levels earlier tests left on the root logger (a worker sets its own).
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        logger.warning("import row refused: %s, phone %s", CHILD_ID, "13912345678")
        try:
            raise ValueError(f"bad id {CHILD_ID}")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert CHILD_ID not in output and "13912345678" not in output
    assert "139****5678" in output and "bad id 5103**********" in output


@pytest.fixture
def restore_logging():
    loggers = [logging.getLogger(name) for name in ("", "celery", "celery.task")]
    saved = [(logger, list(logger.handlers), logger.propagate, logger.level) for logger in loggers]
    already_setup = celery_app.log.already_setup
    yield
    for logger, handlers, propagate, level in saved:
        logger.handlers[:] = handlers
        logger.propagate, logger.level = propagate, level
    celery_app.log.already_setup = already_setup


def test_a_celery_worker_setting_up_its_logging_keeps_the_masking(restore_logging):
    """A worker configures logging when it starts; by default Celery replaces the root handlers
    with its own, which would write unmasked IDs from every import and report task."""
    celery_app.log.already_setup = False
    celery_app.log.setup(loglevel="INFO")
    console = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    # Task loggers do not propagate; Celery gives them handlers of their own.
    task_handlers = get_task_logger("enrollment.tasks").parent.handlers
    assert console and task_handlers
    assert all(
        any(isinstance(f, MaskPersonalData) for f in handler.filters)
        for handler in console + task_handlers
    )


def _handlers_reached(logger: logging.Logger) -> list[logging.Handler]:
    handlers = []
    while logger is not None:
        handlers += logger.handlers
        logger = logger.parent if logger.propagate else None
    return handlers


@pytest.mark.parametrize("name", ["django.server", "django.request", "django"])
def test_runserver_and_django_request_logs_go_through_the_masking_filter(name):
    """runserver's request lines (`"GET /api/v1/children/?q=<ID> HTTP/1.1" 200`) and Django's
    4xx/5xx warnings; Django's own default handlers for them would write unmasked."""
    handlers = _handlers_reached(logging.getLogger(name))
    assert handlers
    for handler in handlers:
        assert any(isinstance(f, MaskPersonalData) for f in handler.filters), handler


def test_a_runserver_request_line_is_written_masked():
    (handler,) = [
        h
        for h in _handlers_reached(logging.getLogger("django.server"))
        if h.name == "django.server"
    ]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        logging.getLogger("django.server").info(
            '"%s" %s %s',
            f"GET /api/v1/children/?q={CHILD_ID}&phone=13912345678 HTTP/1.1",
            "200",
            "512",
            extra={"server_time": "07/Dec/2026 10:00:00", "status_code": 200},
        )
    finally:
        handler.setStream(previous)
    output = stream.getvalue()
    assert CHILD_ID not in output and "13912345678" not in output
    assert "5103**********" in output and "139****5678" in output
