"""Bookkeeping rows of one process written in batches: one short transaction per batch instead
of one per request, so that on SQLite the readers that make them do not queue for the write lock.

A batch is written when it is full (after the request that filled it, see
``matchmaker.database.after_commit``) or ``seconds`` after its first row, by a timer thread, and
when the process exits. Rows still waiting when a process dies are lost: they are statistics
(what people looked at), not anything a user saved.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable

from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


class BatchedWrites:
    def __init__(self, write: Callable[[Session, list[dict]], None], open_session, rows: int = 50,
                 seconds: float = 5.0):
        """``write`` adds a batch of rows to a session; ``open_session`` is a context manager
        giving a session that commits (``Database.session_scope``)."""
        self.write, self.open_session = write, open_session
        self.rows, self.seconds = max(1, rows), seconds
        self._waiting: list[dict] = []
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self._flushes_at_exit = False

    def add(self, row: dict) -> list[dict] | None:
        """Keep ``row``; returns the batch to write now when it is full."""
        with self._lock:
            self._waiting.append(row)
            if len(self._waiting) >= self.rows:
                return self._take()
            if not self._flushes_at_exit:
                # Only once rows wait: an app that never buffers is not kept alive until exit.
                atexit.register(self.flush)
                self._flushes_at_exit = True
            if self._timer is None:
                self._timer = threading.Timer(self.seconds, self.flush)
                self._timer.daemon = True
                self._timer.start()
        return None

    def flush(self) -> None:
        """Write what waits, in a transaction of its own; a failure is logged and the rows dropped."""
        with self._lock:
            batch = self._take()
        if not batch:
            return
        try:
            with self.open_session() as session:
                self.write(session, batch)
        except Exception as error:  # noqa: BLE001  statistics must never take a worker down
            log.warning("could not record %d bookkeeping rows: %s", len(batch), error)

    def _take(self) -> list[dict]:
        batch, self._waiting = self._waiting, []
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        return batch
