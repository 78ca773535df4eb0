"""The organiser's CSV import over HTTP: upload, mapping, preview, run, result, download."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from werkzeug.test import encode_multipart

from conference.db import utcnow
from conference.people import service
from conference.people.importing import guess_mapping, read_table
from conference.people.models import Attendee, ImportJob
from tests.factories import PASSWORD

SAMPLES = Path(__file__).parent / "samples"
BASE = "/organiser/events/{slug}/attendees/import"
JSON = {"Accept": "application/json"}

# sample -> (created, rejected {line: reason}) on the first import into an empty event
EXPECTED = {
    "attendees_pretix.csv": (25, {}),
    "attendees_eventbrite.csv": (25, {}),
    "attendees_simple.csv": (30, {}),
    "attendees_problems.csv": (
        3,
        {
            4: "Name is missing",
            5: 'E-mail "chloe.martin(at)example.com" is not valid',
            6: "E-mail is missing",
            7: "E-mail also on line 2",
            8: "X / Twitter: That is not an X / Twitter handle. Use @name, name or "
            "https://x.com/name.",
        },
    ),
}


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def upload(client: Any, slug: str, data: bytes, filename: str = "attendees.csv") -> Any:
    return client.post(
        BASE.format(slug=slug),
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def job_id_from(response: Any) -> int:
    match = re.search(r"/import/(\d+)/mapping$", response.headers["Location"])
    assert match, response.headers.get("Location")
    return int(match.group(1))


def guessed_form(data: bytes) -> dict[str, str]:
    return {f"column-{i}": f for i, f in guess_mapping(read_table(data)).items()}


def run_until_finished(client: Any, slug: str, job_id: int) -> tuple[dict[str, Any], int]:
    """Call the JSON run endpoint as people-import.js does; returns (last answer, calls)."""
    calls = 0
    while True:
        response = client.post(f"{BASE.format(slug=slug)}/{job_id}/run", json={}, headers=JSON)
        calls += 1
        assert response.status_code == 200, response.data
        body = response.get_json()
        if body["finished"]:
            return body, calls
        assert calls < 100


def import_over_http(client: Any, slug: str, data: bytes, filename: str) -> tuple[int, dict]:
    """Upload, accept the guessed mapping, run to the end: (job id, last progress)."""
    response = upload(client, slug, data, filename)
    assert response.status_code == 302
    job_id = job_id_from(response)
    mapping_page = client.get(f"{BASE.format(slug=slug)}/{job_id}/mapping")
    assert mapping_page.status_code == 200
    response = client.post(f"{BASE.format(slug=slug)}/{job_id}/mapping", data=guessed_form(data))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/import/{job_id}/preview")
    assert client.get(f"{BASE.format(slug=slug)}/{job_id}/preview").status_code == 200
    body, _ = run_until_finished(client, slug, job_id)
    return job_id, body


def csrf_token(client: Any, path: str = "/login") -> str:
    """The CSRF token a page's form carries (for apps that check it)."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


@pytest.fixture
def organiser(app: Any, client: Any, make: Any, auth: Any) -> Any:
    """A logged-in organiser (through the login form, with its CSRF token when it is checked)."""
    account = make.account()
    if app.config["WTF_CSRF_ENABLED"]:
        client.post(
            "/login",
            data={"email": account.email, "password": PASSWORD, "csrf_token": csrf_token(client)},
        )
    else:
        auth.login(account)
    return account


def count_attendees(session: Any, event: Any) -> int:
    return int(
        session.scalar(sa.select(sa.func.count(Attendee.id)).where(Attendee.event_id == event.id))
    )


@pytest.mark.parametrize("filename", EXPECTED)
def test_sample_files_import_end_to_end(
    client: Any, session: Any, make: Any, organiser: Any, filename: str
) -> None:
    event = make.event(organiser=organiser)
    created, rejected = EXPECTED[filename]
    data = sample(filename)

    job_id, body = import_over_http(client, event.slug, data, filename)

    assert (body["created"], body["updated"], body["rejected_count"]) == (created, 0, len(rejected))
    assert body["done"] == body["total"] == len(read_table(data).rows)
    assert body["status"] == "done"
    assert body["result_url"].endswith(f"/import/{job_id}")
    job = session.get(ImportJob, job_id)
    assert {r["line"]: r["reason"] for r in job.rejected} == rejected
    assert count_attendees(session, event) == created
    page = client.get(body["result_url"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Import finished" in html
    assert f"/organiser/events/{event.slug}/attendees" in html
    for reason in rejected.values():
        assert reason.replace('"', "&#34;") in html

    # The same file again: everyone is updated, nobody is added.
    _, again = import_over_http(client, event.slug, data, filename)
    assert (again["created"], again["updated"], again["rejected_count"]) == (
        0,
        created,
        len(rejected),
    )
    assert count_attendees(session, event) == created


def test_reimport_with_a_changed_company_updates_it(
    client: Any, session: Any, make: Any, organiser: Any
) -> None:
    event = make.event(organiser=organiser)
    data = sample("attendees_simple.csv")
    import_over_http(client, event.slug, data, "simple.csv")
    changed = data.replace(b'"Brightfield, Inc."', b"Brightfield Group")
    _, body = import_over_http(client, event.slug, changed, "simple-v2.csv")
    assert (body["created"], body["updated"]) == (0, 30)
    liam = service.find_by_email(session, event_id=event.id, email="liam.oconnor@example.com")
    assert liam is not None
    session.refresh(liam)
    assert liam.company == "Brightfield Group"


def test_import_without_javascript_runs_everything(
    client: Any, session: Any, make: Any, organiser: Any
) -> None:
    event = make.event(organiser=organiser)
    data = sample("attendees_problems.csv")
    job_id = job_id_from(upload(client, event.slug, data))
    client.post(f"{BASE.format(slug=event.slug)}/{job_id}/mapping", data=guessed_form(data))

    response = client.post(f"{BASE.format(slug=event.slug)}/{job_id}/run", data={})

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/import/{job_id}")
    assert count_attendees(session, event) == 3
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Import finished: 3 added, 0 updated, 5 skipped." in page
    assert "Download rejected rows as CSV" in page
    assert "Line 7" in page and "E-mail also on line 2" in page


def test_double_run_after_finish_changes_nothing(
    client: Any, session: Any, make: Any, organiser: Any
) -> None:
    event = make.event(organiser=organiser)
    job_id, body = import_over_http(client, event.slug, sample("attendees_simple.csv"), "s.csv")
    again = client.post(f"{BASE.format(slug=event.slug)}/{job_id}/run", json={}, headers=JSON)
    assert again.get_json() == body
    assert count_attendees(session, event) == 30


def test_upload_page_explains_which_exports_work(client: Any, make: Any, organiser: Any) -> None:
    event = make.event(organiser=organiser)
    html = client.get(BASE.format(slug=event.slug)).get_data(as_text=True)
    assert 'type="file"' in html and 'accept=".csv,.txt' in html
    assert 'enctype="multipart/form-data"' in html
    for text in ("pretix", "Check-in list", "Eventbrite", "attendee report", "e-mail column"):
        assert text in html
    assert "updates them instead of adding them twice" in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"PK\x03\x04\x14\x00binary", "This is a spreadsheet workbook, not a CSV file"),
        (b"name,email\n", "The file has a header row but no attendees below it."),
    ],
)
def test_unreadable_file_gets_a_clear_error(
    client: Any, session: Any, make: Any, organiser: Any, data: bytes, message: str
) -> None:
    event = make.event(organiser=organiser)
    response = upload(client, event.slug, data, "list.xlsx")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count(ImportJob.id))) == 0


def test_missing_file_is_asked_for(client: Any, make: Any, organiser: Any) -> None:
    event = make.event(organiser=organiser)
    response = client.post(BASE.format(slug=event.slug), data={})
    assert response.status_code == 422
    assert "Choose a CSV file to upload." in response.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"MAX_CONTENT_LENGTH": 2048, "WTF_CSRF_ENABLED": True}])
def test_request_above_the_limit_shows_a_clear_413(client: Any, make: Any, organiser: Any) -> None:
    event = make.event(organiser=organiser)
    response = upload(client, event.slug, b"name,email\n" + b"a,b@example.com\n" * 500)
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "The file is too large: upload at most 10 MB." in html
    assert "Upload your attendee list" in html  # the upload page, ready for another try


def test_file_above_ten_megabytes_is_refused(
    client: Any, session: Any, make: Any, organiser: Any
) -> None:
    event = make.event(organiser=organiser)
    big = b"name,email\n" + b"x" * (10 * 1024 * 1024)
    # Encoded in memory: the test client would spool a body this size to a file it never closes.
    boundary, body = encode_multipart({"file": (io.BytesIO(big), "big.csv")})
    response = client.post(
        BASE.format(slug=event.slug),
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 422
    assert "The file is larger than 10 MB" in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count(ImportJob.id))) == 0


def test_mapping_page_shows_columns_samples_and_guesses(
    client: Any, make: Any, organiser: Any
) -> None:
    event = make.event(organiser=organiser)
    job_id = job_id_from(upload(client, event.slug, sample("attendees_problems.csv")))
    html = client.get(f"{BASE.format(slug=event.slug)}/{job_id}/mapping").get_data(as_text=True)
    assert "Windows-1252" in html and "semicolon" in html
    assert "Ana García" in html and "Björn Åkesson" in html  # sample values, decoded
    assert re.search(
        r'name="column-1">.*?<option value="email" selected>E-mail</option>', html, re.S
    )
    assert re.search(
        r'name="column-3">.*?<option value="handle:x" selected>X / Twitter handle', html, re.S
    )
    for label in ("Full name", "First name", "Last name", "Job title", "Pronouns", "Bio"):
        assert f">{label}</option>" in html


def test_mapping_problems_are_shown_and_nothing_is_saved(
    client: Any, session: Any, make: Any, organiser: Any
) -> None:
    event = make.event(organiser=organiser)
    job_id = job_id_from(upload(client, event.slug, sample("attendees_simple.csv")))
    response = client.post(
        f"{BASE.format(slug=event.slug)}/{job_id}/mapping",
        data={"column-0": "name", "column-1": "ignore", "column-2": "company"},
    )
    assert response.status_code == 422
    assert "Map a column to E-mail" in response.get_data(as_text=True)
    assert session.get(ImportJob, job_id).mapping is None
    # The preview needs a mapping first.
    preview = client.get(f"{BASE.format(slug=event.slug)}/{job_id}/preview")
    assert preview.status_code == 302
    assert preview.headers["Location"].endswith(f"/import/{job_id}/mapping")


def test_preview_lists_problems_first_and_counts_new_and_updated(
    client: Any, make: Any, organiser: Any
) -> None:
    event = make.event(organiser=organiser)
    make.attendee(event, email="bjorn@example.org")
    data = sample("attendees_problems.csv")
    job_id = job_id_from(upload(client, event.slug, data))
    client.post(f"{BASE.format(slug=event.slug)}/{job_id}/mapping", data=guessed_form(data))

    html = client.get(f"{BASE.format(slug=event.slug)}/{job_id}/preview").get_data(as_text=True)

    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert (
        "3 rows will be imported (2 new, 1 updated), 5 rows have problems and will be skipped"
        in text
    )
    assert "Import 3 attendees" in text
    assert (
        text.index("Line 4")
        < text.index("Line 8")
        < text.index("First rows as they will be imported")
    )
    assert "chloe.martin(at)example.com" in text  # the raw value next to its reason
    assert "@anagarcia_dev" in text  # handles of an OK row, as shown to people


def test_preview_of_a_file_nobody_can_be_imported_from(
    client: Any, make: Any, organiser: Any
) -> None:
    event = make.event(organiser=organiser)
    data = b"name,email\nAna,not-an-email\n"
    job_id = job_id_from(upload(client, event.slug, data))
    client.post(f"{BASE.format(slug=event.slug)}/{job_id}/mapping", data=guessed_form(data))
    html = client.get(f"{BASE.format(slug=event.slug)}/{job_id}/preview").get_data(as_text=True)
    assert "No row can be imported" in html
    assert "Import 0" not in html


def test_rejected_rows_download_as_safe_csv(client: Any, make: Any, organiser: Any) -> None:
    event = make.event(organiser=organiser)
    data = b"name,email,company\n=HYPERLINK(1),bad,x\nAna,ana@example.com,y\n"
    job_id, body = import_over_http(client, event.slug, data, "my list.csv")
    assert body["rejected_count"] == 1

    response = client.get(f"{BASE.format(slug=event.slug)}/{job_id}/rejected.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "my list-rejected.csv" in response.headers["Content-Disposition"].replace("%20", " ")
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == "Line,Problem,name,email,company"
    assert lines[1] == '2,"E-mail ""bad"" is not valid",\'=HYPERLINK(1),bad,x'
    assert len(lines) == 2


def stored_upload(session: Any, job_id: int) -> int:
    """How many bytes of the uploaded file the database holds for a job (read from the table)."""
    return int(
        session.scalar(sa.select(sa.func.length(ImportJob.data)).where(ImportJob.id == job_id))
    )


def test_successful_import_keeps_the_report_but_not_the_file(
    client: Any, session: Any, make: Any, organiser: Any
) -> None:
    event = make.event(organiser=organiser)
    data = sample("attendees_problems.csv")

    job_id, body = import_over_http(client, event.slug, data, "problems.csv")

    assert (body["created"], body["rejected_count"], body["finished"]) == (3, 5, True)
    assert stored_upload(session, job_id) == 0
    html = client.get(f"{BASE.format(slug=event.slug)}/{job_id}").get_data(as_text=True)
    assert "Import finished" in html and "problems.csv" in html
    assert "Line 7" in html and "E-mail also on line 2" in html
    csv = client.get(f"{BASE.format(slug=event.slug)}/{job_id}/rejected.csv")
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == "Line,Problem,Name,E-mail,Company,Twitter,Mastodon"
    assert lines[1] == "4,Name is missing,,nobody@example.com,No Name Inc,,"
    assert len(lines) == 6
    listed = client.get(BASE.format(slug=event.slug)).get_data(as_text=True)
    assert "3 added, 0 updated, 5 skipped" in listed
    # Asking to run it again changes nothing and needs no file.
    again = client.post(f"{BASE.format(slug=event.slug)}/{job_id}/run", json={}, headers=JSON)
    assert again.get_json() == body
    assert client.post(f"{BASE.format(slug=event.slug)}/{job_id}/run", data={}).status_code == 302
    # The steps before the result send a finished job to its result, without reading a file.
    for suffix in ("/mapping", "/preview"):
        response = client.get(
            f"{BASE.format(slug=event.slug)}/{job_id}{suffix}", follow_redirects=True
        )
        assert response.status_code == 200
        assert response.request.path == f"{BASE.format(slug=event.slug)}/{job_id}"


def test_failed_import_keeps_the_report_but_not_the_file(
    client: Any, session: Any, make: Any, organiser: Any
) -> None:
    event = make.event(organiser=organiser)
    data = b"name,email,company\nAna,ana(at)example.com,Acme\n,bo@example.com,Beta\n"

    job_id, body = import_over_http(client, event.slug, data, "broken.csv")

    assert (body["created"], body["updated"], body["rejected_count"]) == (0, 0, 2)
    assert stored_upload(session, job_id) == 0
    html = client.get(f"{BASE.format(slug=event.slug)}/{job_id}").get_data(as_text=True)
    assert "Import finished" in html
    assert "Line 2" in html and "E-mail &#34;ana(at)example.com&#34; is not valid" in html
    assert "Line 3" in html and "Name is missing" in html
    csv = client.get(f"{BASE.format(slug=event.slug)}/{job_id}/rejected.csv")
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines == [
        "Line,Problem,name,email,company",
        '2,"E-mail ""ana(at)example.com"" is not valid",Ana,ana(at)example.com,Acme',
        "3,Name is missing,,bo@example.com,Beta",
    ]


def test_unfinished_import_result_goes_to_the_preview(
    client: Any, make: Any, organiser: Any
) -> None:
    event = make.event(organiser=organiser)
    data = sample("attendees_simple.csv")
    job_id = job_id_from(upload(client, event.slug, data))
    response = client.get(f"{BASE.format(slug=event.slug)}/{job_id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/import/{job_id}/preview")


def test_job_of_another_event_is_not_found(client: Any, make: Any, organiser: Any) -> None:
    mine, other = make.event(organiser=organiser), make.event(organiser=organiser)
    job_id = job_id_from(upload(client, mine.slug, sample("attendees_simple.csv")))
    for suffix in ("", "/mapping", "/preview", "/rejected.csv"):
        assert client.get(f"{BASE.format(slug=other.slug)}/{job_id}{suffix}").status_code == 404
    response = client.post(f"{BASE.format(slug=other.slug)}/{job_id}/run", json={}, headers=JSON)
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def _pages(slug: str, job_id: int) -> list[tuple[str, str]]:
    base = BASE.format(slug=slug)
    return [
        ("get", base),
        ("post", base),
        ("get", f"{base}/{job_id}/mapping"),
        ("post", f"{base}/{job_id}/mapping"),
        ("get", f"{base}/{job_id}/preview"),
        ("post", f"{base}/{job_id}/run"),
        ("get", f"{base}/{job_id}"),
        ("get", f"{base}/{job_id}/rejected.csv"),
    ]


@pytest.mark.parametrize("who", ["staff", "other_organiser", "attendee", "anonymous"])
def test_only_the_events_organisers_may_import(
    client: Any, session: Any, make: Any, auth: Any, who: str
) -> None:
    owner = make.account()
    event = make.event(organiser=owner)
    auth.login(owner)
    data = sample("attendees_simple.csv")
    job_id = job_id_from(upload(client, event.slug, data))
    auth.logout()
    if who == "staff":
        auth.login(make.member(event, role="staff"))
    elif who == "other_organiser":
        stranger = make.account()
        make.event(organiser=stranger)
        auth.login(stranger)
    elif who == "attendee":
        attendee = make.attendee(event)
        token = service.issue_login_link(session, attendee=attendee, event=event, now=utcnow())
        session.commit()
        assert client.get(f"/e/{event.slug}/login/{token}").status_code == 302

    for method, path in _pages(event.slug, job_id):
        response = getattr(client, method)(path, data=guessed_form(data))
        if who == "anonymous":
            assert response.status_code == 302, path
            assert "/login" in response.headers["Location"]
        else:
            assert response.status_code == 403, (method, path)
    assert count_attendees(session, event) == (1 if who == "attendee" else 0)
    assert session.get(ImportJob, job_id).mapping is None


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_run_api_needs_the_csrf_header(
    client: Any, session: Any, make: Any, organiser: Any
) -> None:
    event = make.event(organiser=organiser)
    token = csrf_token(client, BASE.format(slug=event.slug))
    data = sample("attendees_simple.csv")
    response = client.post(
        BASE.format(slug=event.slug),
        data={"csrf_token": token, "file": (io.BytesIO(data), "s.csv")},
        content_type="multipart/form-data",
    )
    job_id = job_id_from(response)
    client.post(
        f"{BASE.format(slug=event.slug)}/{job_id}/mapping",
        data={"csrf_token": token, **guessed_form(data)},
    )
    preview = client.get(f"{BASE.format(slug=event.slug)}/{job_id}/preview").get_data(as_text=True)
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)">', preview)
    assert meta
    run_url = f"{BASE.format(slug=event.slug)}/{job_id}/run"

    refused = client.post(run_url, json={}, headers=JSON)
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "csrf_failed"
    assert count_attendees(session, event) == 0

    accepted = client.post(run_url, json={}, headers={**JSON, "X-CSRFToken": meta.group(1)})
    assert accepted.status_code == 200
    assert accepted.get_json()["created"] == 30
