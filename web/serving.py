"""How `archive serve` runs the app: worker processes under gunicorn, or one process under waitress.

Searching is CPU work in Python, so one process uses one core however many threads it runs. Gunicorn (on
Linux and macOS) forks the workers, each with its own snapshot of the index that follows new generations
(index.LiveIndex.follow), replaces a worker that dies, and gives each connection to a free worker.
Waitress, pure Python, serves from one process on systems gunicorn does not run on (Windows).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

from index import LiveIndex

# A worker silent for this long (stuck in a search far past its time limit) is killed and replaced.
WORKER_TIMEOUT_SECONDS = 30
# On stop, requests under way get this long to finish.
GRACEFUL_STOP_SECONDS = 5
# Idle kept-alive connections are closed after this long.
KEEPALIVE_SECONDS = 5


@dataclass(frozen=True)
class ServeOptions:
    """Where to listen and how many processes and threads answer."""

    host: str
    port: int
    workers: int
    threads: int


def default_workers() -> int:
    """Return one worker per core this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def has_gunicorn() -> bool:
    """Tell whether gunicorn can run here (it needs fork: not on Windows)."""
    try:
        import gunicorn.app.base  # noqa: F401
    except ImportError:
        return False
    return True


def serve(app: Flask, options: ServeOptions, announce: Callable[[int], None]) -> None:
    """Serve the app until stopped, calling announce with the port once it listens; raise OSError if it cannot listen."""
    if has_gunicorn():
        _serve_with_gunicorn(app, options, announce)
    else:
        _serve_with_waitress(app, options, announce)


def _serve_with_gunicorn(app: Flask, options: ServeOptions, announce: Callable[[int], None]) -> None:
    """Run gunicorn's arbiter in this process: it binds, forks the workers and replaces any that die."""
    from gunicorn.app.base import BaseApplication
    from gunicorn.errors import HaltServer

    live = _live_index(app)
    if live is not None:
        live.close()  # each worker opens its own snapshot: none is shared across the fork

    class Application(BaseApplication):
        def load_config(self) -> None:
            settings = {
                "bind": [f"[{options.host}]:{options.port}" if ":" in options.host else f"{options.host}:{options.port}"],
                "workers": options.workers,
                # Threads let a worker read the next request and write the last answer while it searches.
                "worker_class": "gthread",
                "threads": options.threads,
                "timeout": WORKER_TIMEOUT_SECONDS,
                "graceful_timeout": GRACEFUL_STOP_SECONDS,
                "keepalive": KEEPALIVE_SECONDS,
                "proc_name": "news-archive",
                "loglevel": "warning",
                "control_socket_disable": True,  # gunicorn would otherwise make ~/.gunicorn/gunicorn.ctl
                "when_ready": lambda arbiter: announce(arbiter.LISTENERS[0].sock.getsockname()[1]),
                "post_fork": lambda arbiter, worker: _start_worker(app),
            }
            for name, value in settings.items():
                self.cfg.set(name, value)

        def load(self) -> Flask:
            return app

    try:
        Application().run()
    except HaltServer as error:
        raise OSError(error.reason) from None
    except SystemExit as stopped:  # the arbiter exits once its workers have stopped
        if stopped.code not in (None, 0):
            raise


def _start_worker(app: Flask) -> None:
    """Open this process's snapshot and follow new generations, and render a page once, before taking requests.

    Jinja compiles each template on first use: rendering the newest articles once spares the first visitor that.
    """
    live = _live_index(app)
    if live is not None:
        live.follow()
    app.test_client().get("/")


def _live_index(app: Flask) -> LiveIndex | None:
    """Return the embedded backend's live index (None for Xapian's, whose shard servers hold the index and switch it)."""
    live = getattr(app.extensions["archive"], "live", None)
    return live if isinstance(live, LiveIndex) else None


def _serve_with_waitress(app: Flask, options: ServeOptions, announce: Callable[[int], None]) -> None:
    """Serve from this process with waitress's threads."""
    import waitress

    server = waitress.create_server(app, host=options.host, port=options.port, threads=options.threads, ident="news-archive")
    _start_worker(app)
    announce(server.effective_port)
    try:
        server.run()
    finally:
        server.close()
