"""Warming a web worker before its first request: the encoder, the matching index and the
language detector load in each worker after the fork (gunicorn.conf.py's post_worker_init), so
that no visitor waits for them and no request times out behind them.

Never in gunicorn's master: a model loaded there and forked with live thread pools hangs the
workers (see gunicorn.conf.py). A failure is logged and the worker starts cold; the first
requests then load what is missing, as they did before.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from flask import Flask

from matchmaker.database import get_database
from matchmaker.matching.runtime import get_engine
from matchmaker.services.language import language_weights

log = logging.getLogger(__name__)
SAMPLE_TEXT = "Pasienter som faller om natten på sykehjemmet"


def warm_up(app: Flask) -> bool:
    """Loads what the match pages need; returns whether it all loaded."""
    started = time.monotonic()
    try:
        with app.app_context():
            engine = get_engine(app)
            with get_database(app).session_scope() as session:
                engine.sync(session)
            engine.encoder.encode_queries([SAMPLE_TEXT])
            language_weights(SAMPLE_TEXT)
    except Exception:  # noqa: BLE001  a cold worker still serves; the log says why it is cold
        log.exception("warming up failed after %.1f s; the first requests load what is missing",
                      time.monotonic() - started)
        return False
    log.info("warmed up in %.1f s: encoder %s, index %s", time.monotonic() - started, engine.encoder.name,
             {kind: len(index) for kind, index in engine.indexes.items()})
    return True


def with_heartbeat(notify: Callable[[], None], work: Callable[[], bool], every: float = 5.0) -> bool:
    """Runs ``work`` while calling ``notify`` every few seconds: gunicorn's master takes a worker
    that stays silent for its ``timeout`` as hung and kills it, and warming up may take longer."""
    done = threading.Event()

    def beat():
        while not done.wait(every):
            notify()

    beater = threading.Thread(target=beat, name="warm-up heartbeat", daemon=True)
    beater.start()
    try:
        return work()
    finally:
        done.set()
        beater.join()
