"""The organiser's attendee pages: roles, search, filters, editing, exports, login links, QR."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from conference.db import utcnow
from conference.people import service
from conference.people.models import Attendee, LoginLink
from conference.people.service import Consents

BASE = "http://known.test"
LINK_RE = re.compile(r"http://known\.test/e/([a-z0-9-]+)/login/([A-Za-z0-9_-]+)")


@pytest.fixture
def org(make: Any) -> Any:
    """An organiser's account."""
    return make.account()


@pytest.fixture
def event(make: Any, org: Any) -> Any:
    """An event organised by ``org``."""
    return make.event(organiser=org)


def page(event: Any, rest: str = "") -> str:
    return f"/organiser/events/{event.slug}/attendees{rest}"


def body(response: Any) -> str:
    return response.get_data(as_text=True)


def rows_in(response: Any) -> int:
    return body(response).count('class="attendee-row"')


def csv_rows(response: Any) -> list[list[str]]:
    text = response.get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def login_attendee(client: Any, session: Any, event: Any, attendee: Any) -> None:
    token = service.issue_login_link(session, attendee=attendee, event=event, now=utcnow())
    session.commit()
    assert client.get(f"/e/{event.slug}/login/{token}").status_code == 302


def link_count(session: Any) -> int:
    return int(session.scalar(sa.select(sa.func.count(LoginLink.id))))


# --- who may do what ----------------------------------------------------------------------

ORGANISER_ONLY = [
    ("get", ""),
    ("get", "/new"),
    ("post", "/new"),
    ("get", "/{id}/edit"),
    ("post", "/{id}/edit"),
    ("post", "/{id}/withdraw-links"),
    ("get", "/export.csv"),
    ("post", "/links.csv"),
    ("post", "/send-links"),
]
EVERY_ENDPOINT = [*ORGANISER_ONLY, ("post", "/{id}/login-qr")]


def call(client: Any, event: Any, attendee: Any, method: str, rest: str) -> Any:
    return getattr(client, method)(page(event, rest.replace("{id}", str(attendee.id))))


@pytest.mark.parametrize(("method", "rest"), ORGANISER_ONLY)
def test_staff_cannot_use_the_organiser_pages(
    client: Any, session: Any, make: Any, auth: Any, event: Any, method: str, rest: str
) -> None:
    attendee = make.attendee(event)
    auth.login(make.member(event, role="staff"))
    assert call(client, event, attendee, method, rest).status_code == 403
    assert link_count(session) == 0


@pytest.mark.parametrize(("method", "rest"), EVERY_ENDPOINT)
def test_an_organiser_of_another_event_is_refused(
    client: Any, session: Any, make: Any, auth: Any, event: Any, method: str, rest: str
) -> None:
    attendee = make.attendee(event)
    other = make.account()
    make.event(organiser=other)
    auth.login(other)
    assert call(client, event, attendee, method, rest).status_code == 403
    assert link_count(session) == 0


@pytest.mark.parametrize(("method", "rest"), EVERY_ENDPOINT)
def test_an_attendee_is_refused(
    client: Any, session: Any, make: Any, event: Any, method: str, rest: str
) -> None:
    attendee = make.attendee(event)
    login_attendee(client, session, event, attendee)
    assert call(client, event, attendee, method, rest).status_code == 403
    assert link_count(session) == 1  # only the link the attendee logged in with


@pytest.mark.parametrize(("method", "rest"), EVERY_ENDPOINT)
def test_anonymous_visitors_are_sent_to_log_in(
    client: Any, session: Any, make: Any, event: Any, method: str, rest: str
) -> None:
    attendee = make.attendee(event)
    response = call(client, event, attendee, method, rest)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert link_count(session) == 0


def test_staff_may_show_a_login_qr_at_the_desk(
    client: Any, make: Any, auth: Any, event: Any
) -> None:
    attendee = make.attendee(event, name="Jonas Becker")
    auth.login(make.member(event, role="staff"))
    response = client.post(page(event, f"/{attendee.id}/login-qr"))
    assert response.status_code == 200
    assert "Jonas Becker" in body(response)


@pytest.mark.parametrize(
    ("method", "rest"),
    [
        ("get", "/{id}/edit"),
        ("post", "/{id}/edit"),
        ("post", "/{id}/withdraw-links"),
        ("post", "/{id}/login-qr"),
    ],
)
def test_an_attendee_of_another_event_is_not_found(
    client: Any, session: Any, make: Any, auth: Any, org: Any, event: Any, method: str, rest: str
) -> None:
    elsewhere = make.attendee(make.event(organiser=org))
    auth.login(org)
    assert call(client, event, elsewhere, method, rest).status_code == 404
    assert link_count(session) == 0


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_posts_without_the_csrf_token_are_refused(
    client: Any, session: Any, make: Any, auth: Any, org: Any, event: Any
) -> None:
    make.attendee(event)
    login_page = client.get("/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body(login_page))
    assert token is not None
    client.post(
        "/login",
        data={"email": org.email, "password": "correct horse battery", "csrf_token": token[1]},
    )
    assert client.get(page(event)).status_code == 200  # logged in
    assert client.post(page(event, "/links.csv")).status_code == 400
    assert link_count(session) == 0


# --- the list -----------------------------------------------------------------------------


def test_empty_event_offers_import_and_add(client: Any, auth: Any, org: Any, event: Any) -> None:
    auth.login(org)
    response = client.get(page(event))
    assert response.status_code == 200
    html = body(response)
    assert "No attendees yet" in html
    assert "Import a CSV" in html
    assert f'href="{page(event, "/new")}"' in html
    assert f"/organiser/events/{event.slug}/attendees/import" in html


def test_list_shows_people_with_handle_company_and_consents(
    client: Any, make: Any, auth: Any, org: Any, event: Any
) -> None:
    make.attendee(
        event,
        name="Maria Fernández",
        company="Datawell",
        handles=("x:@maria_dev", "github:mariadev"),
        consents=Consents(card=True, game=True),
    )
    make.attendee(event, name="<script>alert(1)</script>")
    auth.login(org)
    html = body(client.get(page(event)))
    assert "Maria Fernández" in html and "Datawell" in html
    assert "@maria_dev" in html and "+1" in html  # primary handle and how many more
    assert '<span class="pill pill-yes">Card</span>' in html
    assert '<span class="pill pill-yes">Games</span>' in html
    assert "No consent" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert f'action="/organiser/events/{event.slug}/badges"' in html


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("maria", {"Maria Fernández"}),  # name
        ("JONAS@EXAMPLE", {"Jonas Becker"}),  # e-mail, any case
        ("sakura", {"Aiko Tanaka"}),  # company
        ("@maria_dev", {"Maria Fernández"}),  # handle
        ("jbecker", {"Jonas Becker"}),  # handle on another platform
        ("nobody-here", set()),
    ],
)
def test_search_by_name_email_company_and_handle(
    client: Any, make: Any, auth: Any, org: Any, event: Any, q: str, expected: set[str]
) -> None:
    make.attendee(
        event,
        name="Maria Fernández",
        email="maria@example.com",
        company="Datawell",
        handles=("x:@maria_dev",),
    )
    make.attendee(
        event,
        name="Jonas Becker",
        email="jonas@example.com",
        company="Kiel Robotics",
        handles=("github:jbecker",),
    )
    make.attendee(event, name="Aiko Tanaka", email="aiko@example.com", company="Sakura Labs")
    auth.login(org)
    response = client.get(page(event), query_string={"q": q})
    html = body(response)
    shown = {n for n in ("Maria Fernández", "Jonas Becker", "Aiko Tanaka") if n in html}
    assert shown == expected
    assert rows_in(response) == len(expected)
    if not expected:
        assert "Nobody matches" in html


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"consent": "card"}, {"Card", "All"}),
        ({"consent": "game"}, {"Game", "All"}),
        ({"consent": "leaderboard"}, {"Board", "All"}),
        ({"consent": "none"}, {"Nothing"}),
        ({"has_handles": "yes"}, {"Card", "All"}),
        ({"has_handles": "no"}, {"Game", "Board", "Nothing"}),
        ({"consent": "card", "has_handles": "no"}, set()),
        ({"consent": "bogus"}, {"Card", "Game", "Board", "All", "Nothing"}),
    ],
)
def test_each_filter(
    client: Any, make: Any, auth: Any, org: Any, event: Any, args: dict, expected: set[str]
) -> None:
    make.attendee(event, name="Card", consents=Consents(card=True), handles=("x:@card",))
    make.attendee(event, name="Game", consents=Consents(game=True))
    make.attendee(event, name="Board", consents=Consents(leaderboard=True))
    make.attendee(event, name="All", consents=Consents(True, True, True), handles=("x:@all",))
    make.attendee(event, name="Nothing")
    auth.login(org)
    response = client.get(page(event), query_string=args)
    names = set(re.findall(r'class="name" href="[^"]+">([^<]+)</a>', body(response)))
    assert names == expected


def test_pagination_shows_fifty_per_page_and_the_count(
    client: Any, session: Any, make: Any, auth: Any, org: Any, event: Any
) -> None:
    for n in range(53):
        service.create_attendee(
            session,
            event=event,
            profile=service.Profile(name=f"Person {n:02d}", email=f"p{n}@example.com"),
        )
    session.commit()
    auth.login(org)
    first = client.get(page(event))
    assert rows_in(first) == 50
    assert "Showing 1\u201350 of 53" in body(first)
    assert "Page 1 of 2" in body(first)
    second = client.get(page(event), query_string={"page": 2})
    assert rows_in(second) == 3
    assert "Showing 51\u201353 of 53" in body(second)
    assert "Person 52" in body(second) and "Person 00" not in body(second)
    beyond = client.get(page(event), query_string={"page": 9, "q": "person"})
    assert beyond.status_code == 302
    assert "page=2" in beyond.headers["Location"] and "q=person" in beyond.headers["Location"]


def test_filtered_count_and_links_keep_the_filter(
    client: Any, make: Any, auth: Any, org: Any, event: Any
) -> None:
    make.attendee(event, name="Ana", consents=Consents(card=True))
    make.attendee(event, name="Ben")
    auth.login(org)
    html = body(client.get(page(event), query_string={"q": "an", "consent": "card"}))
    assert "1 matching attendee" in html and "(of 2)" in html
    assert f"/organiser/events/{event.slug}/badges?q=an&amp;consent=card" in html
    assert "export.csv?q=an&amp;consent=card" in html
    assert '<input type="hidden" name="consent" value="card">' in html


# --- add and edit -------------------------------------------------------------------------

FORM = {
    "name": "Priya Raman",
    "email": "Priya@Example.com",
    "company": "OpenMed",
    "job_title": "ML engineer",
    "pronouns": "she/her",
    "bio": "X-rays and climbing.",
    "handle_x": "https://twitter.com/Priya_ML",
    "handle_linkedin": "linkedin.com/in/priya-raman",
    "primary_platform": "linkedin",
    "consent_card": "y",
}


def test_organiser_adds_an_attendee(
    client: Any, session: Any, auth: Any, org: Any, event: Any
) -> None:
    auth.login(org)
    response = client.post(page(event, "/new"), data=FORM)
    assert response.status_code == 302
    attendee = service.find_by_email(session, event_id=event.id, email="priya@example.com")
    assert attendee is not None
    assert response.headers["Location"].endswith(page(event, f"/{attendee.id}/edit"))
    assert (attendee.name, attendee.company, attendee.pronouns) == (
        "Priya Raman",
        "OpenMed",
        "she/her",
    )
    assert [h.key for h in attendee.handles] == ["linkedin:priya-raman", "x:priya_ml"]
    assert service.consents_of(attendee) == Consents(card=True)
    assert attendee.source == "organiser"
    followed = client.get(response.headers["Location"])
    assert "Added Priya Raman" in body(followed)


def test_edit_page_is_filled_in_and_offers_badge_and_login_tools(
    client: Any, make: Any, auth: Any, org: Any, event: Any
) -> None:
    attendee = make.attendee(
        event,
        name="Grace Kim",
        handles=("threads:@gracekim", "github:gracekim"),
        consents=Consents(game=True),
    )
    auth.login(org)
    html = body(client.get(page(event, f"/{attendee.id}/edit")))
    assert 'value="Grace Kim"' in html
    assert 'value="@gracekim"' in html and 'value="github.com/gracekim"' in html
    assert '<option selected value="threads">' in html
    assert re.search(r'name="consent_game"[^>]*checked|checked[^>]*name="consent_game"', html)
    assert "Tick only what the attendee told you" in html
    base = f"/organiser/events/{event.slug}/attendees/{attendee.id}"
    assert f'action="{base}/revoke-badge"' in html
    assert f'<input type="hidden" name="next" value="{base}/edit">' in html
    assert f'href="{base}/badge.pdf"' in html
    assert f'action="{base}/login-qr"' in html
    assert f'action="{base}/withdraw-links"' in html


def test_editing_saves_profile_handles_and_consents(
    client: Any, session: Any, make: Any, auth: Any, org: Any, event: Any
) -> None:
    attendee = make.attendee(event, handles=("mastodon:@old@chaos.social",))
    auth.login(org)
    response = client.post(page(event, f"/{attendee.id}/edit"), data=FORM)
    assert response.status_code == 302
    session.refresh(attendee)
    assert attendee.email == "priya@example.com"
    assert [h.key for h in attendee.handles] == ["linkedin:priya-raman", "x:priya_ml"]
    assert service.consents_of(attendee) == Consents(card=True)


def test_a_bad_handle_keeps_the_input_and_shows_the_message_on_the_field(
    client: Any, session: Any, make: Any, auth: Any, org: Any, event: Any
) -> None:
    attendee = make.attendee(event, name="Old Name", handles=("x:@kept",))
    auth.login(org)
    data = FORM | {"handle_x": "@way_too_long_for_x_handles", "handle_github": "-bad-"}
    response = client.post(page(event, f"/{attendee.id}/edit"), data=data)
    assert response.status_code == 422
    html = body(response)
    assert 'value="@way_too_long_for_x_handles"' in html
    assert 'value="-bad-"' in html
    assert 'value="Priya Raman"' in html and "X-rays and climbing." in html
    assert "That is not an X / Twitter handle" in html
    assert "That is not a GitHub username" in html
    assert "Nothing was saved yet" in html
    session.refresh(attendee)
    assert attendee.name == "Old Name"
    assert [h.key for h in attendee.handles] == ["x:kept"]


def test_badge_handle_must_be_filled_in(
    client: Any, make: Any, auth: Any, org: Any, event: Any
) -> None:
    attendee = make.attendee(event)
    auth.login(org)
    data = FORM | {"primary_platform": "github"}
    response = client.post(page(event, f"/{attendee.id}/edit"), data=data)
    assert response.status_code == 422
    assert "Fill in the GitHub handle to print it on the badge." in body(response)


@pytest.mark.parametrize("path", ["/new", "/{id}/edit"])
def test_email_must_be_unique_whatever_its_case(
    client: Any, session: Any, make: Any, auth: Any, org: Any, event: Any, path: str
) -> None:
    make.attendee(event, email="maria@example.com")
    other = make.attendee(event, name="Somebody Else", email="else@example.com")
    auth.login(org)
    data = FORM | {"email": "  MARIA@Example.COM "}
    response = client.post(page(event, path.replace("{id}", str(other.id))), data=data)
    assert response.status_code == 422
    html = body(response)
    assert "already" in html and "e-mail address" in html
    assert 'value="  MARIA@Example.COM "' in html and 'value="Priya Raman"' in html
    session.refresh(other)
    assert other.email == "else@example.com"
    assert session.scalar(sa.select(sa.func.count(Attendee.id))) == 2


def test_the_same_email_at_another_event_is_fine(
    client: Any, session: Any, make: Any, auth: Any, org: Any, event: Any
) -> None:
    make.attendee(make.event(), email="priya@example.com")
    auth.login(org)
    assert client.post(page(event, "/new"), data=FORM).status_code == 302


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "Enter a name."),
        ({"email": "not-an-address"}, "Enter a valid e-mail address."),
        ({"pronouns": "x" * 41}, "Field cannot be longer than 40 characters."),
    ],
)
def test_profile_errors_are_shown_on_their_field(
    client: Any, auth: Any, org: Any, event: Any, change: dict, message: str
) -> None:
    auth.login(org)
    response = client.post(page(event, "/new"), data=FORM | change)
    assert response.status_code == 422
    assert message in body(response)


def test_withdrawing_login_links(
    client: Any, session: Any, make: Any, auth: Any, org: Any, event: Any
) -> None:
    attendee = make.attendee(event, name="Lukas Nowak")
    now = utcnow()
    tokens = [
        service.issue_login_link(session, attendee=attendee, event=event, now=now) for _ in range(2)
    ]
    session.commit()
    auth.login(org)
    response = client.post(page(event, f"/{attendee.id}/withdraw-links"), follow_redirects=True)
    assert "Withdrew 2 login links of Lukas Nowak" in body(response)
    for token in tokens:
        with pytest.raises(service.PeopleError) as err:
            service.login_with_link(session, event=event, token=token, now=utcnow())
        assert err.value.code == "link_revoked"
    again = client.post(page(event, f"/{attendee.id}/withdraw-links"), follow_redirects=True)
    assert "had no working login links" in body(again)


# --- exports ------------------------------------------------------------------------------


def test_export_csv_neutralises_formulas_and_lists_handles_as_links(
    client: Any, make: Any, auth: Any, org: Any, event: Any
) -> None:
    make.attendee(
        event,
        name='=HYPERLINK("http://evil")',
        company="@SUM(1)",
        job_title="-2",
        email="evil@example.com",
        handles=("x:@evil", "mastodon:@evil@chaos.social"),
        consents=Consents(card=True),
    )
    make.attendee(event, name="Zoë Ålund", company="Café", email="zoe@example.com")
    auth.login(org)
    response = client.get(page(event, "/export.csv"))
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{event.slug}-attendees.csv"'
    )
    assert response.get_data().startswith(b"\xef\xbb\xbf")
    header, *rows = csv_rows(response)
    assert header[:5] == ["name", "email", "company", "job_title", "pronouns"]
    assert header[5:13] == [
        "x",
        "linkedin",
        "mastodon",
        "bluesky",
        "github",
        "threads",
        "instagram",
        "website",
    ]
    assert header[13:] == ["consent_card", "consent_game", "consent_leaderboard", "registered_at"]
    evil = dict(zip(header, rows[0], strict=True))
    assert evil["name"] == '\'=HYPERLINK("http://evil")'
    assert evil["company"] == "'@SUM(1)"
    assert evil["job_title"] == "'-2"
    assert evil["x"] == "https://x.com/evil"
    assert evil["mastodon"] == "https://chaos.social/@evil"
    assert (evil["consent_card"], evil["consent_game"]) == ("yes", "no")
    assert evil["registered_at"].startswith("20")
    zoe = dict(zip(header, rows[1], strict=True))
    assert (zoe["name"], zoe["company"], zoe["x"]) == ("Zoë Ålund", "Café", "")


def test_export_csv_follows_the_filter(
    client: Any, make: Any, auth: Any, org: Any, event: Any
) -> None:
    make.attendee(event, name="Ana", consents=Consents(game=True))
    make.attendee(event, name="Ben")
    auth.login(org)
    response = client.get(page(event, "/export.csv"), query_string={"consent": "game"})
    assert [row[0] for row in csv_rows(response)[1:]] == ["Ana"]


# --- login links for a mail merge ---------------------------------------------------------


def test_links_csv_issues_new_working_links_each_time_and_stores_only_hashes(
    client: Any, session: Any, make: Any, auth: Any, org: Any, event: Any
) -> None:
    maria = make.attendee(event, name="Maria", email="maria@example.com", company="=cmd")
    jonas = make.attendee(event, name="Jonas", email="jonas@example.com")
    auth.login(org)

    downloads = []
    for _ in range(2):
        response = client.post(page(event, "/links.csv"))
        assert response.status_code == 200
        assert response.headers["Content-Disposition"] == (
            f'attachment; filename="{event.slug}-login-links.csv"'
        )
        assert response.headers["Cache-Control"] == "no-store"
        header, *rows = csv_rows(response)
        assert header == ["name", "email", "company", "login_link", "expires_at"]
        downloads.append(rows)

    first = downloads[0]
    assert [r[:3] for r in first] == [
        ["Jonas", "jonas@example.com", ""],
        ["Maria", "maria@example.com", "'=cmd"],
    ]
    tokens = []
    for rows in downloads:
        for name, _, _, link, expires in rows:
            match = LINK_RE.fullmatch(link)
            assert match is not None and match[1] == event.slug
            tokens.append(match[2])
            who = service.login_with_link(session, event=event, token=match[2], now=utcnow())
            assert who.id == (maria.id if name == "Maria" else jonas.id)
            assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d \S+", expires)
    assert len(set(tokens)) == 4  # per row and per download

    links = session.scalars(sa.select(LoginLink)).all()
    assert len(links) == 4 and {link.purpose for link in links} == {"csv"}
    stored = " ".join(
        str(value)
        for link in links
        for value in (
            link.token_hash,
            link.purpose,
            link.created_at,
            link.expires_at,
            link.attendee_id,
        )
    )
    assert not any(token in stored for token in tokens)
    # The link outlives the event by the grace week, whatever day the test runs.
    assert all(link.expires_at >= utcnow() + timedelta(days=6) for link in links)


def test_links_csv_follows_the_filter_and_says_when_nobody_matches(
    client: Any, session: Any, make: Any, auth: Any, org: Any, event: Any
) -> None:
    make.attendee(event, name="Ana", consents=Consents(card=True))
    make.attendee(event, name="Ben")
    auth.login(org)
    response = client.post(page(event, "/links.csv"), data={"consent": "card"})
    assert [row[0] for row in csv_rows(response)[1:]] == ["Ana"]
    nobody = client.post(page(event, "/links.csv"), data={"q": "zzz"}, follow_redirects=True)
    assert "no links were created" in body(nobody)
    assert link_count(session) == 1


def test_list_explains_that_every_download_makes_new_links(
    client: Any, make: Any, auth: Any, org: Any, event: Any
) -> None:
    make.attendee(event)
    auth.login(org)
    html = body(client.get(page(event)))
    assert "Every download creates <strong>new</strong> links" in html
    assert "keep working until they expire or you withdraw them" in html


def test_without_smtp_the_send_button_is_disabled_and_explained(
    client: Any, session: Any, make: Any, auth: Any, org: Any, event: Any
) -> None:
    make.attendee(event)
    auth.login(org)
    html = body(client.get(page(event)))
    assert re.search(r'<button class="button" type="submit" disabled[^>]*>E-mail login links', html)
    assert "Set KNOWN_SMTP_URL to send e-mail." in html
    response = client.post(page(event, "/send-links"), follow_redirects=True)
    assert "Set KNOWN_SMTP_URL to send e-mail." in body(response)
    assert link_count(session) == 0


# --- the desk's login QR ------------------------------------------------------------------


def test_login_qr_png_decodes_to_a_link_that_logs_in_that_attendee(
    client: Any, session: Any, make: Any, auth: Any, org: Any, event: Any
) -> None:
    import zxingcpp
    from PIL import Image

    make.attendee(event, name="Someone Else")
    attendee = make.attendee(event, name="Aiko Tanaka")
    auth.login(make.member(event, role="staff"))
    before = utcnow()
    response = client.post(page(event, f"/{attendee.id}/login-qr?format=png"))
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "no-store"
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.get_data())))
    assert len(results) == 1
    match = LINK_RE.fullmatch(results[0].text)
    assert match is not None and match[1] == event.slug
    who = service.login_with_link(session, event=event, token=match[2], now=utcnow())
    assert who.id == attendee.id
    link = session.scalar(sa.select(LoginLink))
    assert link.purpose == "desk"
    # One hour: long enough for the queue, short enough that a photo of the screen goes stale.
    assert before + timedelta(minutes=59) < link.expires_at <= utcnow() + timedelta(hours=1)
    with pytest.raises(service.PeopleError) as err:
        service.login_with_link(
            session, event=event, token=match[2], now=utcnow() + timedelta(minutes=61)
        )
    assert err.value.code == "link_expired"


def test_login_qr_page_shows_the_code_inline_the_name_and_how_to_scan(
    client: Any, session: Any, make: Any, auth: Any, org: Any, event: Any
) -> None:
    import base64

    attendee = make.attendee(event, name="Chloé <Martin>")
    auth.login(org)
    edit = page(event, f"/{attendee.id}/edit")
    response = client.post(page(event, f"/{attendee.id}/login-qr"), data={"next": edit})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = body(response)
    assert "Chloé &lt;Martin&gt;" in html
    assert "Scan with your phone's camera to log in" in html
    uri = re.search(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', html)
    assert uri is not None
    assert base64.b64decode(uri[1]).lstrip().startswith((b"<?xml", b"<svg"))
    assert f'href="{edit}"' in html  # "Done" goes back where the organiser came from
    assert link_count(session) == 1


def test_login_qr_done_button_never_leaves_the_site(
    client: Any, make: Any, auth: Any, org: Any, event: Any
) -> None:
    attendee = make.attendee(event)
    auth.login(org)
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        html = body(client.post(page(event, f"/{attendee.id}/login-qr"), data={"next": evil}))
        assert "evil.example" not in html
        assert f'href="/organiser/events/{event.slug}"' in html
