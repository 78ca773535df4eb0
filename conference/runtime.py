"""Tuning of the serving process (``python app.py``; the benchmarks' bare server uses it too)."""

from __future__ import annotations

import gc

# Collect young garbage every 100,000 net allocations instead of CPython's 700. A process
# holding thousands of connections has millions of long-lived objects; with the defaults,
# collections ran so often during a quiz's answer burst that they cost more than the answers
# themselves (bench/quiz_load.py, 5,000 players: 787 → 1,504 answers/s, last phone 742 → 489 ms).
# Full collections still run (after 50 x 100 young ones at most), so cyclic garbage is freed.
GC_THRESHOLDS = (100_000, 50, 100)


def tune_gc() -> None:
    """Freeze what start-up created (modules, the app) out of the collector's sight, and
    collect the young generation less often; see ``GC_THRESHOLDS``."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def no_delay_handler() -> type:
    """gevent's handler with Nagle off: it writes headers and body separately, and on a
    kept-alive connection Nagle + delayed ACK held every response back by ~40 ms."""
    import socket

    from gevent.pywsgi import WSGIHandler

    class NoDelayHandler(WSGIHandler):  # type: ignore[misc]
        def __init__(self, sock: socket.socket, *args: object, **kwargs: object) -> None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().__init__(sock, *args, **kwargs)

    return NoDelayHandler
