"""Known: a conference networking companion with a scavenger-hunt game."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError
from itsdangerous import URLSafeTimedSerializer
from werkzeug.exceptions import HTTPException

from conference import extensions as ext
from conference import realtime
from conference.config import PROJECT_ROOT, load_settings
from conference.db import render_migration_item
from conference.errors import DomainError

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self' ws: wss:",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, then extensions, then features, then the CLI."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    settings = load_settings()
    app.config.from_mapping(settings.flask_config())
    if config:
        app.config.update(config)

    _init_extensions(app)
    _register_features(app)
    _register_errors(app)
    _register_headers(app)

    from conference import cli

    cli.init_app(app)
    logging.getLogger("conference").setLevel(logging.INFO)
    return app


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once per key set.

    Flask builds a new serializer for every request, and itsdangerous probes it with a
    throw-away ``dumps`` each time; on Socket.IO, where every event opens the session, that
    was a tenth of a quiz answer's CPU. The cache follows ``SECRET_KEY`` and its fallbacks,
    so rotating keys still works."""

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = app.extensions.get("known_session_serializer")
        if cached is None or cached[0] != keys:
            cached = (keys, super().get_signing_serializer(app))
            app.extensions["known_session_serializer"] = cached
        serializer: URLSafeTimedSerializer | None = cached[1]
        return serializer


def _init_extensions(app: Flask) -> None:
    import conference.models  # noqa: F401  (every table registered before anything uses them)

    app.session_interface = SessionInterface()
    ext.db.init_app(app)
    ext.migrate.init_app(
        app,
        ext.db,
        directory=str(Path(__file__).parent / "migrations"),
        render_as_batch=True,
        compare_type=True,
        render_item=render_migration_item,
    )
    ext.login_manager.init_app(app)
    ext.csrf.init_app(app)
    ext.limiter.init_app(app)
    realtime.init_app(app)


def _register_features(app: Flask) -> None:
    from conference import health
    from conference.accounts import views as accounts_views
    from conference.badges import views as badges_views
    from conference.checkin import views as checkin_views
    from conference.events import sockets as events_sockets
    from conference.events import views as events_views
    from conference.hunt import sockets as hunt_sockets
    from conference.hunt import views as hunt_views
    from conference.network import views as network_views
    from conference.people import import_views, organiser_views
    from conference.people import views as people_views
    from conference.quiz import live_views as quiz_live_views
    from conference.quiz import sockets as quiz_sockets
    from conference.quiz import views as quiz_views
    from conference.scoring import sockets as scoring_sockets
    from conference.scoring import views as scoring_views

    accounts_views.init_app(app)
    people_views.init_app(app)
    network_views.init_app(app)
    quiz_views.init_app(app)
    hunt_views.init_app(app)
    scoring_views.init_app(app)
    for blueprint in (
        health.bp,
        accounts_views.bp,
        events_views.bp,
        people_views.bp,
        organiser_views.bp,
        import_views.bp,
        badges_views.bp,
        checkin_views.bp,
        network_views.bp,
        quiz_views.bp,
        quiz_live_views.bp,
        hunt_views.bp,
        scoring_views.bp,
    ):
        app.register_blueprint(blueprint)
    events_sockets.init_app()
    quiz_sockets.init_app()
    hunt_sockets.init_app()
    scoring_sockets.init_app()


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def _register_errors(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(err: DomainError) -> Any:
        if _wants_json():
            return jsonify(err.as_dict()), err.status
        return render_template("error.html", status=err.status, message=err.message), err.status

    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError) -> Any:
        message = "This form has expired. Go back, reload the page and try again."
        if _wants_json():
            return jsonify({"ok": False, "error": "csrf_failed", "message": message}), 400
        return render_template("error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException) -> Any:
        status = err.code or 500
        messages = {
            403: "You do not have access to this page.",
            404: "We could not find that page.",
            429: "Too many attempts. Please wait a minute and try again.",
        }
        message = messages.get(status, err.description or "Something went wrong.")
        if _wants_json():
            return jsonify(
                {"ok": False, "error": err.name.lower().replace(" ", "_"), "message": message}
            ), status
        return render_template("error.html", status=status, message=message), status

    @app.errorhandler(500)
    def server_error(err: Exception) -> Any:
        message = "Something went wrong on our side. The error has been logged."
        if _wants_json():
            return jsonify({"ok": False, "error": "server_error", "message": message}), 500
        return render_template("error.html", status=500, message=message), 500


def _register_headers(app: Flask) -> None:
    @app.after_request
    def security_headers(response: Any) -> Any:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(self), microphone=(), geolocation=()"
        )
        return response
