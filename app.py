"""Entry point: ``python app.py`` serves Known (gevent); ``flask --app app`` runs commands."""

if __name__ == "__main__":
    # Monkey-patch before anything else is imported, so sockets, locks and the database
    # drivers all yield to gevent instead of blocking every connected phone.
    from gevent import monkey

    monkey.patch_all()

from conference import create_app
from conference.extensions import socketio

app = create_app()


def _drain_on_sigterm() -> None:
    """SIGTERM: stop accepting connections, let in-flight requests and events finish (10 s)."""
    import signal

    import gevent

    def drain() -> None:
        server = getattr(socketio, "wsgi_server", None)
        if server is not None:
            server.stop(timeout=10)

    gevent.signal_handler(signal.SIGTERM, drain)


def _no_delay_handler() -> type:
    """gevent's handler with Nagle off: it writes headers and body separately, and on a
    kept-alive connection Nagle + delayed ACK held every response back by ~40 ms."""
    import socket

    from gevent.pywsgi import WSGIHandler

    class NoDelayHandler(WSGIHandler):  # type: ignore[misc]
        def __init__(self, sock: socket.socket, *args: object, **kwargs: object) -> None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().__init__(sock, *args, **kwargs)

    return NoDelayHandler


if __name__ == "__main__":
    _drain_on_sigterm()
    host = app.config["KNOWN_HOST"]
    port = app.config["KNOWN_PORT"]
    print(f" * Known is serving {app.config['KNOWN_BASE_URL']} (listening on {host}:{port})")
    socketio.run(
        app,
        host=host,
        port=port,
        use_reloader=False,
        log_output=False,
        handler_class=_no_delay_handler(),
    )
