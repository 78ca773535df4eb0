"""The check-in JSON API: the contract's shapes, validation, roles, CSRF and OpenAPI."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from conference.checkin import schemas, service
from conference.checkin.models import CheckIn, CheckInList, Scan
from conference.db import utcnow
from conference.people import service as people
from tests.checkin.conftest import Desk, make_desk


def api(desk: Desk, rest: str = "") -> str:
    return f"/api/events/{desk.event.slug}/checkin{rest}"


def scan_body(desk: Desk, **fields: Any) -> dict[str, Any]:
    body = {
        "token": None,
        "attendee_id": None,
        "list_id": desk.lst.id,
        "nonce": str(uuid.uuid4()),
        "scanned_at": utcnow().isoformat(),
    }
    body.update(fields)
    return body


def login_attendee(client: Any, session: Any, desk: Desk) -> None:
    attendee = desk.attendee("Curious Attendee")
    token = people.issue_login_link(session, attendee=attendee, event=desk.event, now=utcnow())
    session.commit()
    assert client.get(f"/e/{desk.event.slug}/login/{token}").status_code == 302


# --- checking in --------------------------------------------------------------------------


def test_staff_checks_in_and_gets_the_contract_answer(
    client: Any, auth: Any, desk: Desk, session: Any
) -> None:
    maria, token = desk.guest("Maria Fernández", "Datawell")
    auth.login(desk.staff)
    response = client.post(api(desk), json=scan_body(desk, token=token))
    assert response.status_code == 200
    data = response.get_json()
    schemas.CheckInResponse.model_validate(data)
    assert set(data) == {
        "ok",
        "code",
        "message",
        "attendee",
        "check_in",
        "previous",
        "undo_until",
        "replayed",
    }
    assert (data["ok"], data["code"], data["replayed"]) == (True, "ok", False)
    assert data["message"] == "Welcome, Maria Fernández — Datawell"
    assert data["attendee"] == {"id": maria.id, "name": "Maria Fernández", "company": "Datawell"}
    assert data["check_in"]["list"] == {"id": desk.lst.id, "name": "Main entrance"}
    assert data["check_in"]["by"] == "Sam Porter"
    assert data["check_in"]["at"].endswith("Z") and data["undo_until"].endswith("Z")
    assert data["previous"] is None
    assert session.scalar(sa.select(sa.func.count(CheckIn.id))) == 1


def test_second_device_gets_already_checked_in(client: Any, auth: Any, desk: Desk) -> None:
    _, token = desk.guest("Maria")
    auth.login(desk.staff)
    client.post(api(desk), json=scan_body(desk, token=token))
    data = client.post(api(desk), json=scan_body(desk, token=token)).get_json()
    assert (data["ok"], data["code"]) == (False, "already_checked_in")
    assert data["previous"]["by"] == "Sam Porter"
    assert data["previous"]["list"]["name"] == "Main entrance"
    assert data["message"].startswith("Already checked in at ")


def test_full_badge_url_from_another_base_url(client: Any, auth: Any, desk: Desk) -> None:
    _, token = desk.guest("Maria")
    auth.login(desk.staff)
    body = scan_body(desk, token=f"https://badges.other-host.example:8443/b/{token}")
    assert client.post(api(desk), json=body).get_json()["code"] == "ok"


def test_repeated_nonce_replays_over_http(client: Any, auth: Any, desk: Desk) -> None:
    _, token = desk.guest("Maria")
    auth.login(desk.staff)
    body = scan_body(desk, token=token)
    first = client.post(api(desk), json=body).get_json()
    again = client.post(api(desk), json=body).get_json()
    assert again["replayed"] is True
    assert {**again, "replayed": False} == first


@pytest.mark.parametrize(
    "outcome", ["unknown_badge", "revoked_badge", "wrong_event", "not_allowed"]
)
def test_refusals_are_200_with_their_code_and_logged(
    client: Any, auth: Any, desk: Desk, session: Any, make: Any, outcome: str
) -> None:
    other = make_desk(session, make)
    maria, token = desk.guest("Maria")
    body = scan_body(desk, token="nothing-like-a-badge")
    if outcome == "revoked_badge":
        from conference.badges import service as badges

        badges.revoke_badge(session, attendee=maria, now=utcnow())
        session.commit()
        body["token"] = token
    elif outcome == "wrong_event":
        body["token"] = other.guest()[1]
    elif outcome == "not_allowed":
        body.update(token=token, list_id=other.lst.id)
    auth.login(desk.staff)
    response = client.post(api(desk), json=body)
    assert response.status_code == 200
    assert response.get_json()["code"] == outcome
    scan = session.scalar(sa.select(Scan).where(Scan.nonce == body["nonce"]))
    assert scan is not None and scan.code == outcome


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"nonce": "short"}, "nonce"),
        ({"nonce": "x" * 65}, "nonce"),
        ({"nonce": None}, "nonce"),
        ({"list_id": "main"}, "list_id"),
        ({"list_id": 0}, "list_id"),
        ({"scanned_at": "2026-06-01T09:12:00"}, "scanned_at"),  # no offset
        ({"scanned_at": "yesterday"}, "scanned_at"),
        ({"token": None}, None),  # neither token nor attendee id
        ({"attendee_id": 5}, None),  # both
        ({"attendee_id": -1, "token": None}, "attendee_id"),
    ],
)
def test_invalid_bodies_get_400_with_details(
    client: Any, auth: Any, desk: Desk, session: Any, change: dict[str, Any], field: str | None
) -> None:
    auth.login(desk.staff)
    body = scan_body(desk, token="some-token") | change
    response = client.post(api(desk), json=body)
    assert response.status_code == 400
    data = response.get_json()
    assert (data["ok"], data["error"]) == (False, "invalid_request")
    assert data["details"]
    if field is not None:
        assert [field] in [d["loc"] for d in data["details"]]
    assert session.scalar(sa.select(sa.func.count(Scan.id))) == 0


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b'{"token": '])
def test_bodies_that_are_not_a_json_object_get_400(
    client: Any, auth: Any, desk: Desk, raw: bytes
) -> None:
    auth.login(desk.staff)
    response = client.post(api(desk), data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"


# --- undo ---------------------------------------------------------------------------------


def test_undo_within_30_seconds_then_again_is_409(
    client: Any, auth: Any, desk: Desk, session: Any
) -> None:
    _, token = desk.guest("Maria")
    auth.login(desk.staff)
    data = client.post(api(desk), json=scan_body(desk, token=token)).get_json()
    check_in_id = data["check_in"]["id"]
    response = client.post(api(desk, f"/{check_in_id}/undo"))
    assert (response.status_code, response.get_json()) == (200, {"ok": True})
    assert session.get(CheckIn, check_in_id).undone_at is not None
    again = client.post(api(desk, f"/{check_in_id}/undo"))
    assert (again.status_code, again.get_json()["error"]) == (409, "already_undone")
    # Undone, the badge checks in again.
    assert client.post(api(desk), json=scan_body(desk, token=token)).get_json()["code"] == "ok"


def test_undo_after_30_seconds_is_409_undo_expired(
    client: Any, auth: Any, desk: Desk, session: Any
) -> None:
    _, token = desk.guest("Maria")
    then = utcnow() - timedelta(seconds=45)
    result = desk.scan(token, now=then, scanned_at=then)
    assert result.check_in is not None
    auth.login(desk.staff)
    response = client.post(api(desk, f"/{result.check_in.id}/undo"))
    assert response.status_code == 409
    assert response.get_json()["error"] == "undo_expired"
    assert session.get(CheckIn, result.check_in.id).undone_at is None


def test_undo_of_another_events_check_in_is_404(
    client: Any, auth: Any, desk: Desk, session: Any, make: Any
) -> None:
    other = make_desk(session, make)
    _, token = other.guest()
    result = other.scan(token, now=utcnow())
    assert result.check_in is not None
    auth.login(desk.staff)
    response = client.post(api(desk, f"/{result.check_in.id}/undo"))
    assert (response.status_code, response.get_json()["error"]) == (404, "not_found")


# --- lists, roster, search, stats ---------------------------------------------------------


def test_lists_roster_search_and_stats(client: Any, auth: Any, desk: Desk, session: Any) -> None:
    maria, token = desk.guest("Maria Fernández", "Datawell")
    desk.attendee("Bob Stone", email="bob@quarry.example")
    auth.login(desk.staff)
    client.post(api(desk), json=scan_body(desk, token=token))

    lists = client.get(api(desk, "/lists")).get_json()
    assert lists == {
        "lists": [
            {
                "id": desk.lst.id,
                "name": "Main entrance",
                "allow_reentry": False,
                "expected": 2,
                "checked_in": 1,
                "version": 1,
            }
        ]
    }

    roster_response = client.get(api(desk, f"/lists/{desk.lst.id}/roster"))
    assert roster_response.headers["Cache-Control"] == "no-store"
    roster = roster_response.get_json()
    schemas.RosterResponse.model_validate(roster)
    assert roster["list"]["id"] == desk.lst.id
    entry = next(e for e in roster["entries"] if e["attendee_id"] == maria.id)
    assert entry == {
        "h": service.token_hash(token),
        "attendee_id": maria.id,
        "name": "Maria Fernández",
        "company": "Datawell",
        "checked_in": True,
    }
    assert b"@" not in roster_response.data  # no e-mail addresses

    found = client.get(api(desk, f"/search?q=quarry&list_id={desk.lst.id}"))
    assert found.get_json() == {
        "results": [
            {"attendee_id": maria.id + 1, "name": "Bob Stone", "company": "", "checked_in": False}
        ]
    }
    assert b"bob@quarry.example" not in found.data
    assert client.get(api(desk, "/search?list_id=abc")).status_code == 400

    stats = client.get(api(desk, f"/lists/{desk.lst.id}/stats")).get_json()
    schemas.StatsResponse.model_validate(stats)
    assert (stats["expected"], stats["checked_in"]) == (2, 1)
    assert stats["recent"][0]["name"] == "Maria Fernández"
    assert stats["recent"][0]["by"] == "Sam Porter"
    assert [b["n"] for b in stats["per_5min"]] == [1]


def test_roster_and_stats_of_another_events_list_are_404(
    client: Any, auth: Any, desk: Desk, session: Any, make: Any
) -> None:
    other = make_desk(session, make)
    auth.login(desk.staff)
    for rest in (f"/lists/{other.lst.id}/roster", f"/lists/{other.lst.id}/stats"):
        response = client.get(api(desk, rest))
        assert (response.status_code, response.get_json()["error"]) == (404, "not_found")


# --- who may ------------------------------------------------------------------------------

ENDPOINTS = [
    ("post", ""),
    ("get", "/lists"),
    ("get", "/lists/{list}/roster"),
    ("get", "/lists/{list}/stats"),
    ("get", "/search?q=a"),
    ("post", "/{check_in}/undo"),
]


def _call(client: Any, desk: Desk, method: str, rest: str, token: str, check_in_id: int) -> Any:
    path = api(desk, rest.format(list=desk.lst.id, check_in=check_in_id))
    if method == "post":
        return client.post(path, json=scan_body(desk, token=token))
    return client.get(path)


@pytest.fixture
def scanned(desk: Desk) -> tuple[str, int]:
    """A badge token and a fresh check-in of this desk (to try undoing it)."""
    _, token = desk.guest("Maria")
    other_token = desk.guest("Ana")[1]
    result = desk.scan(other_token, now=utcnow())
    assert result.check_in is not None
    return token, result.check_in.id


@pytest.mark.parametrize(("method", "rest"), ENDPOINTS)
def test_attendee_is_refused_with_403(
    client: Any, desk: Desk, session: Any, scanned: tuple[str, int], method: str, rest: str
) -> None:
    login_attendee(client, session, desk)
    response = _call(client, desk, method, rest, *scanned)
    assert response.status_code == 403
    assert response.get_json()["error"] == "not_allowed"
    assert (
        session.scalar(sa.select(sa.func.count(CheckIn.id)).where(CheckIn.undone_at.is_(None))) == 1
    )


@pytest.mark.parametrize(("method", "rest"), ENDPOINTS)
def test_staff_of_another_event_is_refused_with_403(
    client: Any,
    auth: Any,
    desk: Desk,
    session: Any,
    make: Any,
    scanned: tuple[str, int],
    method: str,
    rest: str,
) -> None:
    other = make_desk(session, make)
    auth.login(other.staff)
    response = _call(client, desk, method, rest, *scanned)
    assert response.status_code == 403
    assert response.get_json() == {
        "ok": False,
        "error": "not_allowed",
        "message": "Only this event's organisers and staff can check people in.",
        "details": None,
    }
    assert session.scalar(sa.select(sa.func.count(Scan.id))) == 1


@pytest.mark.parametrize(("method", "rest"), ENDPOINTS)
def test_no_login_is_refused_with_401(
    client: Any, desk: Desk, session: Any, scanned: tuple[str, int], method: str, rest: str
) -> None:
    response = _call(client, desk, method, rest, *scanned)
    assert response.status_code == 401
    assert response.get_json()["error"] == "login_required"
    assert session.scalar(sa.select(sa.func.count(Scan.id))) == 1


def test_organiser_may_check_in_too(client: Any, auth: Any, desk: Desk) -> None:
    _, token = desk.guest("Maria")
    auth.login(desk.organiser)
    data = client.post(api(desk), json=scan_body(desk, token=token)).get_json()
    assert data["code"] == "ok" and data["check_in"]["by"] == "Olga Organiser"


def test_unknown_event_is_404_json(client: Any, auth: Any, desk: Desk) -> None:
    auth.login(desk.staff)
    response = client.get("/api/events/no-such-event/checkin/lists")
    assert response.status_code == 404
    assert response.get_json()["ok"] is False


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_json_calls_need_the_csrf_header(
    client: Any, desk: Desk, session: Any, app_config: Any
) -> None:
    _, token = desk.guest("Maria")
    page = client.get("/login").get_data(as_text=True)
    login_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert login_token is not None
    client.post(
        "/login",
        data={
            "email": desk.staff.email,
            "password": "correct horse battery",
            "csrf_token": login_token[1],
        },
    )
    dashboard = client.get(f"/organiser/events/{desk.event.slug}/checkin").get_data(as_text=True)
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)">', dashboard)
    assert meta is not None
    refused = client.post(api(desk), json=scan_body(desk, token=token))
    assert (refused.status_code, refused.get_json()["error"]) == (400, "csrf_failed")
    accepted = client.post(
        api(desk), json=scan_body(desk, token=token), headers={"X-CSRFToken": meta[1]}
    )
    assert accepted.get_json()["code"] == "ok"


# --- the OpenAPI document -----------------------------------------------------------------


def _resolve(document: dict[str, Any], ref: str) -> dict[str, Any]:
    assert ref.startswith("#/components/schemas/"), ref
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]  # type: ignore[no-any-return]


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for item in node for r in _refs(item)]
    return []


def test_openapi_document_is_generated_from_the_request_models(client: Any, app: Any) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"]
    post = document["paths"]["/api/events/{slug}/checkin"]["post"]
    schema_ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    request_schema = _resolve(document, schema_ref)
    assert set(request_schema["properties"]) == set(schemas.CheckInRequest.model_fields)
    assert set(request_schema["required"]) == {"list_id", "nonce", "scanned_at"}
    assert request_schema["properties"]["nonce"]["minLength"] == 8
    assert request_schema["properties"]["nonce"]["maxLength"] == 64
    assert request_schema["properties"]["scanned_at"]["format"] == "date-time"
    answer_ref = post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    answer = _resolve(document, answer_ref)
    assert set(answer["properties"]) == set(schemas.CheckInResponse.model_fields)
    assert set(answer["properties"]["code"]["enum"]) == set(service.CODES)
    assert "400" in post["responses"] and "403" in post["responses"]
    # Every reference resolves, and every documented path is a real route (and vice versa).
    for ref in _refs(document):
        assert _resolve(document, ref)
    rules = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule): rule.methods
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/events/") and rule.endpoint.startswith("checkin.")
    }
    documented = {path: set(ops) for path, ops in document["paths"].items()}
    assert set(rules) == set(documented)
    for path, methods in documented.items():
        assert {m.upper() for m in methods} <= rules[path]
    search = document["paths"]["/api/events/{slug}/checkin/search"]["get"]
    assert {p["name"] for p in search["parameters"]} == {"slug", "q", "list_id"}
    undo = document["paths"]["/api/events/{slug}/checkin/{check_in_id}/undo"]["post"]
    assert "409" in undo["responses"]
    assert {
        "name": "check_in_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer"},
    } in undo["parameters"]


# --- pages --------------------------------------------------------------------------------


def test_organiser_creates_a_list_and_sees_the_dashboard(
    client: Any, auth: Any, desk: Desk, session: Any
) -> None:
    auth.login(desk.organiser)
    page = client.get(f"/organiser/events/{desk.event.slug}/checkin")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Main entrance" in html and 'name="allow_reentry"' in html
    assert "js/checkin-dashboard.js" in html and "vendor/uPlot.min.css" in html
    created = client.post(
        f"/organiser/events/{desk.event.slug}/checkin/lists",
        data={"name": "Workshop day 2", "allow_reentry": "y"},
        follow_redirects=True,
    )
    text = created.get_data(as_text=True)
    assert "List “Workshop day 2” created" in text
    lst = session.scalar(sa.select(CheckInList).where(CheckInList.name == "Workshop day 2"))
    assert lst is not None and lst.allow_reentry is True
    duplicate = client.post(
        f"/organiser/events/{desk.event.slug}/checkin/lists",
        data={"name": "Workshop day 2"},
        follow_redirects=True,
    )
    assert "There is already a list called" in duplicate.get_data(as_text=True)
    assert 'value="Workshop day 2"' in duplicate.get_data(as_text=True)  # the input is kept


def test_staff_sees_the_dashboard_but_cannot_create_lists(
    client: Any, auth: Any, desk: Desk, session: Any
) -> None:
    auth.login(desk.staff)
    page = client.get(f"/organiser/events/{desk.event.slug}/checkin")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Main entrance" in html and 'name="allow_reentry"' not in html
    response = client.post(
        f"/organiser/events/{desk.event.slug}/checkin/lists", data={"name": "Sneaky"}
    )
    assert response.status_code == 403
    assert session.scalar(sa.select(CheckInList).where(CheckInList.name == "Sneaky")) is None


def test_dashboard_refuses_attendees_and_other_staff(
    client: Any, auth: Any, desk: Desk, session: Any, make: Any
) -> None:
    path = f"/organiser/events/{desk.event.slug}/checkin"
    assert client.get(path).status_code == 302  # to the login page
    login_attendee(client, session, desk)
    assert client.get(path).status_code == 403
    assert client.get(path + "/scan").status_code == 403
    auth.login(make_desk(session, make).staff)
    assert client.get(path).status_code == 403
    assert client.get(path + "/scan").status_code == 403


def test_dashboard_shows_the_last_check_ins_escaped(client: Any, auth: Any, desk: Desk) -> None:
    _, token = desk.guest("<b>Bold</b> Name", "Acme & Co")
    desk.scan(token, now=utcnow())
    auth.login(desk.organiser)
    html = client.get(f"/organiser/events/{desk.event.slug}/checkin").get_data(as_text=True)
    assert "&lt;b&gt;Bold&lt;/b&gt; Name" in html and "<b>Bold</b>" not in html
    assert "<strong data-count>1</strong>" in html and "<span data-expected>1</span>" in html


def test_manifest_describes_the_installable_scanner(client: Any, desk: Desk) -> None:
    response = client.get(f"/organiser/events/{desk.event.slug}/checkin/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    data = response.get_json(force=True)
    assert data["start_url"] == f"/organiser/events/{desk.event.slug}/checkin/scan"
    assert data["display"] == "standalone"
    assert data["icons"][0]["src"] == "/static/img/icon.svg"


def test_event_overview_links_staff_and_organisers_to_check_in(
    client: Any, auth: Any, desk: Desk
) -> None:
    for account in (desk.staff, desk.organiser):
        auth.login(account)
        html = client.get(f"/organiser/events/{desk.event.slug}").get_data(as_text=True)
        assert f'href="/organiser/events/{desk.event.slug}/checkin/scan"' in html
        assert f'href="/organiser/events/{desk.event.slug}/checkin"' in html
        auth.logout()


def test_scanner_page_gets_the_chosen_list_or_a_picker(
    client: Any, auth: Any, desk: Desk, session: Any, make: Any
) -> None:
    other = make_desk(session, make)
    auth.login(desk.staff)
    path = f"/organiser/events/{desk.event.slug}/checkin/scan"
    chosen = client.get(f"{path}?list={desk.lst.id}").get_data(as_text=True)
    assert f'data-list-id="{desk.lst.id}"' in chosen
    assert f'data-api="/api/events/{desk.event.slug}/checkin"' in chosen
    for query in ("", f"?list={other.lst.id}", "?list=abc"):
        picker = client.get(path + query)
        assert picker.status_code == 200
        html = picker.get_data(as_text=True)
        assert "data-list-id" not in html and "Main entrance" in html


def test_service_worker_may_control_the_check_in_pages(client: Any) -> None:
    response = client.get("/checkin-sw.js")
    assert response.status_code == 200
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response.headers["Cache-Control"]
    assert response.mimetype in ("text/javascript", "application/javascript")
    response.close()


def test_manifest_offers_raster_icons_for_android(client: Any, desk: Desk) -> None:
    response = client.get(f"/organiser/events/{desk.event.slug}/checkin/manifest.webmanifest")
    icons = response.get_json(force=True)["icons"]
    assert {i["sizes"] for i in icons} >= {"192x192", "512x512"}
    for icon in icons:
        image = client.get(icon["src"])
        assert image.status_code == 200
        image.close()
