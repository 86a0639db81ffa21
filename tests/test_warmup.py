"""Warm workers: gunicorn's post_worker_init loads the encoder, the matching index and the language
detector before a worker's first request; a failure is logged, never fatal."""

from __future__ import annotations

import logging
import runpy
import time
from pathlib import Path

from matchmaker import warmup
from matchmaker.matching.runtime import get_engine

GUNICORN_CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def test_warm_up_loads_the_engine_and_the_index(app, make, index):
    need = index(make.need())
    assert warmup.warm_up(app) is True
    engine = get_engine(app)
    assert engine._loaded and len(engine.indexes["need"]) >= 1
    assert need.id in {pid for pid, _score in engine.search("need", engine.indexes["need"].mean_vector(), 50)}


def test_a_failing_warm_up_is_logged_not_raised(app, monkeypatch, caplog):
    def broken(_app):
        raise OSError("model file missing")

    monkeypatch.setattr(warmup, "get_engine", broken)
    with caplog.at_level(logging.ERROR, logger="matchmaker.warmup"):
        assert warmup.warm_up(app) is False
    assert "warming up failed" in caplog.text and "model file missing" in caplog.text


def test_the_heartbeat_keeps_the_worker_alive_while_it_warms():
    beats = []
    assert warmup.with_heartbeat(lambda: beats.append(1), lambda: time.sleep(0.35) or True, every=0.1) is True
    assert 2 <= len(beats) <= 4
    count = len(beats)
    time.sleep(0.25)
    assert len(beats) == count  # it stops with the work


class FakeWorker:
    def __init__(self, wsgi):
        self.wsgi = wsgi
        self.notified = 0
        self.errors = []
        self.log = self

    def notify(self):
        self.notified += 1

    def exception(self, message, *args):
        self.errors.append(message % args)


def test_gunicorn_warms_each_worker_and_survives_a_failure(app, monkeypatch):
    hooks = runpy.run_path(str(GUNICORN_CONF))
    assert hooks["preload_app"] is False  # so the hook runs in each worker, after the fork
    called = []
    monkeypatch.setattr(warmup, "warm_up", lambda wsgi: called.append(wsgi) or True)
    hooks["post_worker_init"](FakeWorker(app))
    assert called == [app]
    monkeypatch.setattr(warmup, "with_heartbeat", lambda *args: 1 / 0)
    worker = FakeWorker(app)
    hooks["post_worker_init"](worker)
    assert worker.errors == ["warming up the worker failed"]
