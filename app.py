"""Entry point: ``python app.py`` serves Known (gevent); ``flask --app app`` runs commands."""

if __name__ == "__main__":
    # Monkey-patch before anything else is imported, so sockets, locks and the database
    # drivers all yield to gevent instead of blocking every connected phone.
    from gevent import monkey

    monkey.patch_all()

from conference import create_app
from conference.extensions import socketio
from conference.runtime import no_delay_handler, tune_gc

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


if __name__ == "__main__":
    tune_gc()
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
        handler_class=no_delay_handler(),
    )
