"""Where a process keeps its encoder and matching engine. Nothing loads until first use, so
the app factory stays free of work and web workers load the model after forking."""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

from flask import Flask, current_app

from embeddings.encoders import Encoder, load_encoder
from matchmaker.matching.engine import MatchingEngine

_lock = threading.Lock()


@cache
def shared_encoder(spec: str, threads: int | None = None) -> Encoder:
    """One encoder per spec and process, shared by every app instance in it."""
    return load_encoder(spec, threads)


def get_encoder(app: Flask | None = None) -> Encoder:
    config = (app or current_app).config
    return shared_encoder(config["MATCHING_ENCODER"], config.get("MATCHING_ENCODER_THREADS"))


def get_engine(app: Flask | None = None) -> MatchingEngine:
    app = app or current_app
    engine = app.extensions.get("matchmaker.matching")
    if engine is None:
        with _lock:
            engine = app.extensions.get("matchmaker.matching")
            if engine is None:
                snapshot = app.config.get("MATCHING_SNAPSHOT_DIR")
                engine = MatchingEngine(get_encoder(app), Path(snapshot) if snapshot else None,
                                        ann_threshold=app.config["MATCHING_ANN_THRESHOLD"])
                app.extensions["matchmaker.matching"] = engine
    return engine
