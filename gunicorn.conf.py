"""gunicorn settings for `make run` and production; override with GUNICORN_CMD_ARGS."""

import multiprocessing
import os

workers = int(os.environ.get("WEB_CONCURRENCY", min(4, multiprocessing.cpu_count() * 2)))
threads = int(os.environ.get("GUNICORN_THREADS", 2))
timeout = 60
accesslog = "-"
# Each worker loads the encoder and the matching index itself, after the fork: a model loaded in
# the master and forked with live OpenMP/torch thread pools hangs the workers.
preload_app = False
# Set before any worker imports torch or FAISS: one thread each; the encoder takes its own small
# pool when it loads (MATCHING_ENCODER_THREADS).
raw_env = ["OMP_NUM_THREADS=1", "MKL_NUM_THREADS=1", "TOKENIZERS_PARALLELISM=false", "HF_HUB_OFFLINE=1"]


def post_worker_init(worker):
    """Each worker loads its encoder, matching index and language detector before its first
    request (after the fork, so never in the master). A failure is logged, and the worker starts
    cold rather than not at all."""
    try:
        from matchmaker.warmup import warm_up, with_heartbeat

        with_heartbeat(worker.notify, lambda: warm_up(worker.wsgi))
    except Exception:  # noqa: BLE001
        worker.log.exception("warming up the worker failed")
