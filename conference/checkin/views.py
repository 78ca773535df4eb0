"""Check-in desk over HTTP: the JSON API, its OpenAPI document, lists and the live dashboard."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_login import current_user
from pydantic import BaseModel, ValidationError

from conference.accounts.models import Account
from conference.checkin import schemas, service
from conference.db import utcnow
from conference.errors import DomainError
from conference.events import service as events
from conference.events.access import (
    current_account_id,
    event_or_404,
    require_organiser,
    require_team,
)
from conference.events.models import ORGANISER, STAFF, Event
from conference.extensions import db, login_manager

bp = Blueprint("checkin", __name__)

API = "/api/events/<slug>/checkin"
# Refusals the app-wide table (conference.errors) maps to 422 but the API answers otherwise.
STATUS = {"undo_expired": 409, "already_undone": 409, "not_found": 404}
OPERATIONS: list[schemas.Operation] = []
M = TypeVar("M", bound=BaseModel)
F = TypeVar("F", bound=Callable[..., Any])


def api_route(
    method: str,
    path: str,
    *,
    summary: str,
    response: type[BaseModel],
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    errors: dict[int, str] | None = None,
) -> Callable[[F], F]:
    """Register a JSON route and describe it in the OpenAPI document in one place."""

    def decorate(view: F) -> F:
        OPERATIONS.append(
            schemas.Operation(
                method=method,
                path=path,
                operation_id=view.__name__,
                summary=summary,
                response=response,
                body=body,
                query=query,
                errors=errors or {},
            )
        )
        bp.add_url_rule(path, view_func=view, methods=[method])
        return view

    return decorate


def _refuse(status: int, error: str, message: str, details: Any = None) -> NoReturn:
    body = schemas.ErrorResponse(error=error, message=message, details=details)
    abort(Response(body.model_dump_json(), status=status, mimetype="application/json"))


def _reply(model: type[M], data: dict[str, Any]) -> Response:
    # The answer goes through its model, so the OpenAPI document says what is really sent.
    return Response(model.model_validate(data).model_dump_json(), mimetype="application/json")


def _team(slug: str) -> tuple[Event, Account]:
    """The event and the logged-in account on its team; 401/403 JSON for anyone else."""
    # The event and the caller's role in one query: every scan asks for both.
    event, role = events.event_with_role(db.session(), slug, account_id=current_account_id())
    if event is None:
        abort(404)
    if not current_user.is_authenticated:
        # The unauthorized handler answers /api/ paths with a (JSON, 401) tuple.
        abort(make_response(login_manager.unauthorized()))
    if role not in (ORGANISER, STAFF):
        _refuse(403, "not_allowed", "Only this event's organisers and staff can check people in.")
    account: Account = current_user._get_current_object()
    return event, account


def _body(model: type[M]) -> M:
    try:
        return model.model_validate_json(request.get_data() or b"{}")
    except ValidationError as err:
        details = err.errors(include_url=False, include_context=False, include_input=False)
        _refuse(400, "invalid_request", "The request is not valid.", details)


def _query(model: type[M]) -> M:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as err:
        details = err.errors(include_url=False, include_context=False, include_input=False)
        _refuse(400, "invalid_request", "The request is not valid.", details)


def _domain_refusal(err: DomainError) -> NoReturn:
    db.session.rollback()
    _refuse(STATUS.get(err.code, err.status), err.code, err.message)


# --- the JSON API -------------------------------------------------------------------------


@api_route(
    "GET",
    API + "/lists",
    summary="The event's check-in lists with their counts.",
    response=schemas.ListsResponse,
)
def api_lists(slug: str) -> Response:
    """The event's check-in lists, each with checked-in and expected counts."""
    event, _ = _team(slug)
    lists = service.lists_with_counts(db.session(), event=event)
    return _reply(schemas.ListsResponse, {"lists": [c.as_dict() for c in lists]})


@api_route(
    "POST",
    API,
    summary="Check someone in: decide one scan (exactly once per nonce).",
    body=schemas.CheckInRequest,
    response=schemas.CheckInResponse,
)
def api_check_in(slug: str) -> Response:
    """Decide one scan; HTTP 200 for every decided outcome, the code says which."""
    event, staff = _team(slug)
    body = _body(schemas.CheckInRequest)
    try:
        result = service.check_in(
            db.session(),
            event=event,
            list_id=body.list_id,
            staff=staff,
            token=body.token,
            attendee_id=body.attendee_id,
            nonce=body.nonce,
            scanned_at=body.scanned_at,
            now=utcnow(),
        )
    except DomainError as err:
        _domain_refusal(err)
    db.session.commit()
    return _reply(schemas.CheckInResponse, result.as_dict())


@api_route(
    "POST",
    API + "/<int:check_in_id>/undo",
    summary="Undo a check-in within 30 s of it.",
    response=schemas.UndoResponse,
    errors={409: "Too late (undo_expired) or already undone (already_undone)."},
)
def api_undo(slug: str, check_in_id: int) -> Response:
    """Take back a check-in made less than 30 s ago."""
    event, staff = _team(slug)
    try:
        service.undo(db.session(), event=event, check_in_id=check_in_id, staff=staff, now=utcnow())
    except DomainError as err:
        _domain_refusal(err)
    db.session.commit()
    return _reply(schemas.UndoResponse, {"ok": True})


@api_route(
    "GET",
    API + "/lists/<int:list_id>/roster",
    summary="The offline roster of a list: badge-token hashes, names, companies (no e-mails).",
    response=schemas.RosterResponse,
)
def api_roster(slug: str, list_id: int) -> Response:
    """Everything a scanner needs to validate scans without the network."""
    event, _ = _team(slug)
    try:
        roster = service.roster(db.session(), event=event, list_id=list_id, now=utcnow())
    except DomainError as err:
        _domain_refusal(err)
    data = {
        "list": roster.counts.as_dict(),
        "generated_at": roster.generated_at.isoformat(),
        "entries": [e.as_dict() for e in roster.entries],
    }
    response = _reply(schemas.RosterResponse, data)
    response.headers["Cache-Control"] = "no-store"
    return response


@api_route(
    "GET",
    API + "/search",
    summary="Find attendees by name, e-mail or company (at most 20; e-mails are not returned).",
    query=schemas.SearchQuery,
    response=schemas.SearchResponse,
)
def api_search(slug: str) -> Response:
    """Attendees matching the query, for a check-in without a badge."""
    event, _ = _team(slug)
    query = _query(schemas.SearchQuery)
    try:
        found = service.search(db.session(), event=event, q=query.q, list_id=query.list_id)
    except DomainError as err:
        _domain_refusal(err)
    return _reply(schemas.SearchResponse, {"results": [r.as_dict() for r in found]})


@api_route(
    "GET",
    API + "/lists/<int:list_id>/stats",
    summary="A list's counts, last ten check-ins and check-ins per five minutes.",
    response=schemas.StatsResponse,
)
def api_stats(slug: str, list_id: int) -> Response:
    """The live dashboard's figures for one list."""
    event, _ = _team(slug)
    try:
        figures = service.stats(db.session(), event=event, list_id=list_id)
    except DomainError as err:
        _domain_refusal(err)
    return _reply(schemas.StatsResponse, figures.as_dict())


@functools.cache
def _openapi_json() -> str:
    # The routes and models are fixed once the module is imported: generate the document once.
    document = schemas.openapi_document(OPERATIONS, title="Known check-in API", version="1")
    return json.dumps(document)


@bp.get("/api/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document of the check-in API, generated from its pydantic models."""
    return Response(_openapi_json(), mimetype="application/json")


# --- pages --------------------------------------------------------------------------------


def _role(event: Event) -> str:
    role = events.role_in(db.session(), account_id=int(current_user.id), event_id=event.id)
    return role or STAFF


@bp.get("/organiser/events/<slug>/checkin")
def dashboard(slug: str) -> str:
    """Check-in lists and the live dashboard; organisers also create lists here."""
    event = require_team(slug)
    session = db.session()
    lists = service.lists_with_counts(session, event=event)
    return render_template(
        "checkin/dashboard.html",
        event=event,
        role=_role(event),
        lists=lists,
        recent=service.recent_for_event(session, event=event),
        form_name=request.args.get("name", ""),
        local_time=lambda at: service.local_time(event, at),
    )


@bp.post("/organiser/events/<slug>/checkin/lists")
def create_list(slug: str) -> Any:
    """Create a check-in list (organisers only)."""
    event = require_organiser(slug)
    name = request.form.get("name", "")
    try:
        lst = service.create_list(
            db.session(),
            event=event,
            name=name,
            allow_reentry=request.form.get("allow_reentry") == "y",
            now=utcnow(),
        )
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(url_for("checkin.dashboard", slug=slug, name=name[:100]) + "#new-list")
    db.session.commit()
    flash(f"List “{lst.name}” created. Staff can pick it when they open the scanner.", "success")
    return redirect(url_for("checkin.dashboard", slug=slug))


@bp.get("/organiser/events/<slug>/checkin/scan")
def scanner(slug: str) -> str:
    """The scanner page (its template and scripts are the scanner's own)."""
    event = require_team(slug)
    lists = [c.as_dict() for c in service.lists_with_counts(db.session(), event=event)]
    wanted = request.args.get("list", type=int)
    selected = next((lst for lst in lists if lst["id"] == wanted), None)
    return render_template(
        "checkin/scanner.html",
        event=event,
        role=_role(event),
        lists=lists,
        selected=selected,
        staff_name=current_user.name,
        base_url=current_app.config["KNOWN_BASE_URL"],
        api_base=f"/api/events/{event.slug}/checkin",
        sw_url=url_for("checkin.service_worker"),
        manifest_url=url_for("checkin.manifest", slug=event.slug),
        dashboard_url=url_for("checkin.dashboard", slug=event.slug),
    )


@bp.get("/checkin-sw.js")
def service_worker() -> Response:
    """The scanner's service worker, allowed to control the check-in pages of any event."""
    response = send_from_directory(current_app.static_folder or "static", "sw.js", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/organiser/events/<slug>/checkin/manifest.webmanifest")
def manifest(slug: str) -> Response:
    """Web app manifest of the scanner, so staff can install it on their phone."""
    event = event_or_404(slug)
    scope = url_for("checkin.dashboard", slug=event.slug) + "/"
    body = {
        "name": f"Check-in · {event.name}",
        "short_name": "Check-in",
        "start_url": url_for("checkin.scanner", slug=event.slug),
        "scope": scope,
        "display": "standalone",
        "background_color": "#f5f5fa",
        "theme_color": "#3b2fc9",
        "icons": [
            {
                "src": url_for("static", filename="img/icon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
            },
            *(
                {
                    "src": url_for("static", filename=f"img/checkin-{size}.png"),
                    "sizes": f"{size}x{size}",
                    "type": "image/png",
                    "purpose": "any maskable",
                }
                for size in (192, 512)
            ),
        ],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    return response
