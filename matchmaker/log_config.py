"""Logging for the app: one line per event on standard error, as text or as JSON lines.

Configured by the app factory from LOG_LEVEL (default INFO) and LOG_FORMAT (``text`` or
``json``). Only the root logger gets a handler; loggers that have their own and do not
propagate, such as gunicorn's error and access logs, keep theirs as gunicorn configures them,
so both show.
"""

from __future__ import annotations

import json
import logging
import logging.config
import sys
from datetime import UTC, datetime

from flask import Flask

LOG_FORMATS = ("text", "json")
# Libraries that report routine steps at INFO: each web worker would repeat them at every start.
QUIET_LOGGERS = ("faiss.loader", "alembic.runtime.plugins")
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"


def register_logging(app: Flask) -> None:
    level = str(app.config.get("LOG_LEVEL") or "INFO").upper()
    if not isinstance(logging.getLevelName(level), int):
        raise RuntimeError(f"LOG_LEVEL={level!r} is not a logging level (DEBUG, INFO, WARNING, ERROR).")
    log_format = str(app.config.get("LOG_FORMAT") or "text").lower()
    if log_format not in LOG_FORMATS:
        raise RuntimeError(f"LOG_FORMAT={log_format!r}: use one of {', '.join(LOG_FORMATS)}.")
    # A handler someone else put on the root logger (a test runner's capture) stays; this
    # app's own from an earlier configuration is replaced, so building apps never adds up.
    others = [handler for handler in logging.root.handlers if not isinstance(handler, StderrHandler)]
    logging.config.dictConfig(logging_config(level, log_format))
    for handler in others:
        logging.root.addHandler(handler)


def logging_config(level: str, log_format: str) -> dict:
    return {
        "version": 1,
        # Loggers made before now (gunicorn's, the libraries') keep working as they are.
        "disable_existing_loggers": False,
        "formatters": {
            "text": {"()": OneLineFormatter, "format": TEXT_FORMAT},
            "json": {"()": JsonFormatter},
        },
        "handlers": {"stderr": {"()": StderrHandler, "formatter": log_format}},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {name: {"level": max(logging.WARNING, logging.getLevelName(level))} for name in QUIET_LOGGERS},
    }


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of each event, not the one it was
    made with: a test's captured stream, or the process's own after a daemon reopens it."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


class OneLineFormatter(logging.Formatter):
    """Tracebacks and multi-line messages on the event's one line (newlines written as \\n), so
    that a log reader never takes a traceback's lines for events of their own."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", "\\n")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, process, and the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        event = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            event["stack"] = self.formatStack(record.stack_info)
        return json.dumps(event, ensure_ascii=False, default=str)
