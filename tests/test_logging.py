"""Logging configured by the app factory: level and format from the settings, one line per event
on standard error, and other loggers' own handlers (gunicorn's) left alone."""

from __future__ import annotations

import json
import logging

import pytest

from matchmaker.log_config import StderrHandler
from tests.apps import app_with


def own_handlers() -> list[logging.Handler]:
    return [handler for handler in logging.root.handlers if isinstance(handler, StderrHandler)]


def test_the_factory_logs_at_info_in_text_by_default(app, capsys):
    assert app.config["LOG_LEVEL"] == "INFO" and app.config["LOG_FORMAT"] == "text"
    assert logging.root.level == logging.INFO
    assert len(own_handlers()) == 1  # however many apps were built before
    logging.getLogger("matchmaker.example").debug("not shown")
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("matchmaker.example").exception("failed\nbadly")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1  # the message and the traceback on one line
    assert " ERROR [" in lines[0] and "matchmaker.example: failed\\nbadly\\nTraceback" in lines[0]
    assert "ValueError: boom" in lines[0]


def test_json_lines_at_the_level_asked_for(app, capsys):
    app_with(app, LOG_LEVEL="debug", LOG_FORMAT="json")
    assert logging.root.level == logging.DEBUG
    logging.getLogger("matchmaker.example").debug("løst %s", "ø")
    logging.getLogger("matchmaker.example").warning("two\nlines")
    events = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(e["level"], e["logger"], e["message"]) for e in events] == [
        ("DEBUG", "matchmaker.example", "løst ø"), ("WARNING", "matchmaker.example", "two\nlines")]
    assert events[0]["time"].endswith("+00:00") and isinstance(events[0]["process"], int)


def test_bad_settings_are_refused(app):
    with pytest.raises(RuntimeError, match="LOG_LEVEL"):
        app_with(app, LOG_LEVEL="chatty")
    with pytest.raises(RuntimeError, match="LOG_FORMAT"):
        app_with(app, LOG_FORMAT="xml")


def test_loggers_with_handlers_of_their_own_keep_them(app, capsys):
    """As gunicorn's error and access logs have: both they and the app's events show."""
    gunicorn_log = logging.getLogger("gunicorn.error.example")
    own = logging.StreamHandler()
    gunicorn_log.addHandler(own)
    gunicorn_log.propagate = False
    try:
        app_with(app, LOG_FORMAT="json")
        assert own in gunicorn_log.handlers and not gunicorn_log.disabled
        assert not any(isinstance(handler, StderrHandler) for handler in gunicorn_log.handlers)
        assert len(own_handlers()) == 1
    finally:
        gunicorn_log.removeHandler(own)
        gunicorn_log.propagate = True
