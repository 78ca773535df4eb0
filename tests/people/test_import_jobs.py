"""The attendee import service: jobs, mapping, preview, chunked import, re-import, races."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from conference.db import pending_events
from conference.people import import_jobs, service
from conference.people.import_jobs import ImportJobError, MappingError
from conference.people.importing import guess_mapping, read_table, validate_rows
from conference.people.models import Attendee, AttendeeHandle, ImportJob

SAMPLES = Path(__file__).parent / "samples"
NOW = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)

# sample file -> (rows, created on first import)
SAMPLE_COUNTS = {
    "attendees_pretix.csv": 25,
    "attendees_eventbrite.csv": 25,
    "attendees_simple.csv": 30,
}
PROBLEM_REASONS = {
    4: "Name is missing",
    5: 'E-mail "chloe.martin(at)example.com" is not valid',
    6: "E-mail is missing",
    7: "E-mail also on line 2",
    8: "X / Twitter: That is not an X / Twitter handle. Use @name, name or https://x.com/name.",
}

# attendees_problems.csv's rejected-rows download: its header and first row
PROBLEMS_HEADER = ["Line", "Problem", "Name", "E-mail", "Company", "Twitter", "Mastodon"]
PROBLEMS_FIRST_REJECTED = ["4", "Name is missing", "", "nobody@example.com", "No Name Inc", "", ""]


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def new_job(session: Any, event: Any, data: bytes, *, filename: str = "attendees.csv") -> ImportJob:
    """A job uploaded and mapped with the guessed mapping, as the organiser would accept it."""
    account = event.memberships[0].account
    job = import_jobs.create_job(
        session, event=event, account=account, filename=filename, data=data, now=NOW
    )
    import_jobs.save_mapping(session, job=job, mapping=guess_mapping(read_table(data)))
    session.commit()
    return job


def run_to_end(session: Any, job: ImportJob, chunk_size: int = 500) -> tuple[Any, int]:
    """Call run_chunk (committing each, as the page does) until finished; returns (progress, n)."""
    chunks = 0
    while True:
        progress = import_jobs.run_chunk(session, job=job, now=NOW, chunk_size=chunk_size)
        session.commit()
        chunks += 1
        if progress.finished:
            return progress, chunks
        assert chunks < 1000


def attendees_of(session: Any, event: Any) -> list[Attendee]:
    return list(session.scalars(sa.select(Attendee).where(Attendee.event_id == event.id)))


@pytest.mark.parametrize(("filename", "rows"), SAMPLE_COUNTS.items())
def test_sample_exports_import_every_row(session: Any, make: Any, filename: str, rows: int) -> None:
    event = make.event()
    job = new_job(session, event, sample(filename), filename=filename)
    assert job.total_rows == rows

    progress, _ = run_to_end(session, job)

    assert (progress.created, progress.updated, progress.rejected_count) == (rows, 0, 0)
    assert progress.done == progress.total == rows
    assert job.status == "done"
    assert job.finished_at == NOW
    people = attendees_of(session, event)
    assert len(people) == rows
    assert {a.source for a in people} == {"import"}
    assert not any(a.consent_card or a.consent_game or a.consent_leaderboard for a in people)


def test_imported_fields_and_handles_are_stored(session: Any, make: Any) -> None:
    event = make.event()
    run_to_end(session, new_job(session, event, sample("attendees_pretix.csv")))
    amara = service.find_by_email(session, event_id=event.id, email="amara.okafor@example.com")
    assert amara is not None
    assert (amara.name, amara.company) == ("Amara Okafor", "Kestrel Payments")
    assert [h.key for h in amara.handles] == [
        "x:amara_codes",
        "mastodon:amara@hachyderm.io",
        "linkedin:amara-okafor",
        "github:amaraokafor",
    ]
    assert all(h.event_id == event.id for h in amara.handles)

    event2 = make.event()
    run_to_end(session, new_job(session, event2, sample("attendees_eventbrite.csv")))
    zach = service.find_by_email(session, event_id=event2.id, email="zachary.price@example.com")
    assert zach is not None
    # First + last name columns are joined; job title comes from its own column.
    assert (zach.name, zach.job_title) == ("Zachary Price", "Head of Engineering")
    assert {h.key for h in zach.handles} == {"x:zachprice", "mastodon:zach@fosstodon.org"}


def test_rows_with_problems_are_rejected_with_their_reasons(session: Any, make: Any) -> None:
    event = make.event()
    job = new_job(session, event, sample("attendees_problems.csv"))

    progress, _ = run_to_end(session, job)

    assert (progress.created, progress.updated, progress.rejected_count) == (3, 0, 5)
    assert {r["line"]: r["reason"] for r in job.rejected} == PROBLEM_REASONS
    by_line = {r["line"]: r for r in job.rejected}
    assert (by_line[7]["name"], by_line[7]["email"]) == ("Erik Weiß", "ANA.GARCIA@example.com")
    assert by_line[4]["email"] == "nobody@example.com"
    names = sorted(a.name for a in attendees_of(session, event))
    assert names == ["Ana García", "Björn Åkesson", "Gérard Dupont"]  # cp1252 decoded
    ana = service.find_by_email(session, event_id=event.id, email="ana.garcia@example.com")
    assert ana is not None and ana.company == "Northwind"  # the first row wins, not the duplicate


def test_reimport_updates_instead_of_duplicating(session: Any, make: Any) -> None:
    event = make.event()
    data = sample("attendees_simple.csv")
    run_to_end(session, new_job(session, event, data))
    assert len(attendees_of(session, event)) == 30

    progress, _ = run_to_end(session, new_job(session, event, data))

    assert (progress.created, progress.updated, progress.rejected_count) == (0, 30, 0)
    assert len(attendees_of(session, event)) == 30
    assert session.scalar(sa.select(sa.func.count(AttendeeHandle.id))) == session.scalar(
        sa.select(sa.func.count(AttendeeHandle.id)).where(AttendeeHandle.event_id == event.id)
    )


def test_reimport_changes_what_the_file_says_and_keeps_the_rest(session: Any, make: Any) -> None:
    event = make.event()
    # Someone the organiser already added, who since gave consent, a bio and a Bluesky handle.
    ana = make.attendee(
        event,
        name="Ana G.",
        email="Ana.Garcia@example.com",
        company="Old Corp",
        bio="Speaker on accessibility",
        handles=("bluesky:ana.bsky.social", "x:old_handle"),
        consents=service.Consents(card=True, game=True),
    )
    changed = sample("attendees_simple.csv").replace(b"Northwind Labs", b"Southwind Labs")

    progress, _ = run_to_end(session, new_job(session, event, changed))

    assert (progress.created, progress.updated) == (29, 1)
    session.refresh(ana)
    assert ana.name == "Ana García Ruiz"
    assert ana.company == "Southwind Labs"
    assert ana.bio == "Speaker on accessibility"  # no bio column: kept
    assert (ana.consent_card, ana.consent_game) == (True, True)
    assert ana.source == "organiser"
    keys = [h.key for h in ana.handles]
    # X replaced in place, Bluesky from the file replaces theirs, the rest appended.
    assert keys == [
        "bluesky:anagarcia.bsky.social",
        "x:anagarcia_dev",
        "linkedin:ana-garcia-ruiz",
        "mastodon:anagarcia@hachyderm.io",
        "github:anagarcia-dev",
    ]


def test_empty_cells_keep_stored_values(session: Any, make: Any) -> None:
    event = make.event()
    make.attendee(
        event,
        name="Björn",
        email="bjorn@example.org",
        company="Fjord AB",
        handles=("github:bjorn",),
    )
    data = "name,email,company,github\nBjörn Åkesson,bjorn@example.org,,\n".encode()
    progress, _ = run_to_end(session, new_job(session, event, data))
    assert progress.updated == 1
    bjorn = service.find_by_email(session, event_id=event.id, email="bjorn@example.org")
    assert bjorn is not None
    assert (bjorn.name, bjorn.company, [h.key for h in bjorn.handles]) == (
        "Björn Åkesson",
        "Fjord AB",
        ["github:bjorn"],
    )


def test_import_never_touches_another_event(session: Any, make: Any) -> None:
    event, other = make.event(), make.event()
    stranger = make.attendee(other, email="ana.garcia@example.com", company="Elsewhere")
    progress, _ = run_to_end(session, new_job(session, event, sample("attendees_simple.csv")))
    assert progress.created == 30
    session.refresh(stranger)
    assert stranger.company == "Elsewhere"
    assert len(attendees_of(session, other)) == 1


def test_chunks_find_duplicates_across_chunk_boundaries(session: Any, make: Any) -> None:
    event = make.event()
    lines = ["name,email"] + [f"Person {n},p{n % 9}@example.com" for n in range(30)]
    job = new_job(session, event, "\n".join(lines).encode())

    progress, chunks = run_to_end(session, job, chunk_size=4)

    assert chunks == 8
    assert (progress.created, progress.rejected_count) == (9, 21)
    assert job.rejected[-1] == {
        "line": 31,
        "reason": "E-mail also on line 4",
        "name": "Person 29",
        "email": "p2@example.com",
        "cells": ["Person 29", "p2@example.com"],
    }


def test_chunk_validation_matches_whole_file_validation() -> None:
    data = sample("attendees_problems.csv") + "Hanna Ek;bjorn@example.org;;;\r\n".encode("cp1252")
    table = read_table(data)
    mapping = guess_mapping(table)
    whole = validate_rows(table, mapping)
    for size in (1, 2, 3, 5):
        pieces = []
        for start in range(0, len(table.rows), size):
            pieces.extend(import_jobs._validate_slice(table, mapping, start, start + size))
        assert [(r.line, r.problems, r.row, r.raw) for r in pieces] == [
            (r.line, r.problems, r.row, r.raw) for r in whole
        ]


def test_each_chunk_records_one_progress_event(session: Any, make: Any) -> None:
    event = make.event()
    job = new_job(session, event, sample("attendees_simple.csv"))
    progress = import_jobs.run_chunk(session, job=job, now=NOW, chunk_size=20)
    events = [e for e in pending_events(session) if e.name == "import_progress"]
    assert len(events) == 1
    assert events[0].room == f"event:{event.id}:organiser"
    assert events[0].namespace == "/event"
    assert events[0].payload == {"job_id": job.id, **progress.as_dict()}
    assert events[0].payload["done"] == 20
    assert events[0].payload["finished"] is False


def test_same_chunk_twice_imports_it_once(session: Any, make: Any) -> None:
    event = make.event()
    job = new_job(session, event, sample("attendees_simple.csv"))
    first = import_jobs.run_chunk(session, job=job, now=NOW, chunk_size=10, expected=0)
    session.commit()
    # A second request that read the job before the first one committed: same expected row.
    second = import_jobs.run_chunk(session, job=job, now=NOW, chunk_size=10, expected=0)
    assert pending_events(session) == []  # the loser imported and announced nothing
    session.commit()

    assert first == second
    assert (second.done, second.created) == (10, 10)
    assert len(attendees_of(session, event)) == 10


def test_finished_job_imports_nothing_more(session: Any, make: Any) -> None:
    event = make.event()
    job = new_job(session, event, sample("attendees_simple.csv"))
    done, _ = run_to_end(session, job)
    again = import_jobs.run_chunk(session, job=job, now=NOW)
    assert again == done
    assert import_jobs.run_all(session, job=job, now=NOW) == done
    assert len(attendees_of(session, event)) == 30


def test_concurrent_runs_import_a_chunk_once(
    app: Any, backend: str, make: Any, session: Any
) -> None:
    """Two processes' requests race for the same chunk; the row lock lets exactly one import it."""
    if backend != "postgresql":
        pytest.skip("needs two real connections and row locks")
    event = make.event()
    job = new_job(session, event, sample("attendees_simple.csv"))
    job_id = job.id
    session.remove()
    barrier = threading.Barrier(2)
    results: list[Any] = []
    errors: list[BaseException] = []

    def request() -> None:
        try:
            with app.app_context():
                from conference.extensions import db

                mine = db.session.get(ImportJob, job_id)
                barrier.wait()
                results.append(
                    import_jobs.run_chunk(db.session(), job=mine, now=NOW, chunk_size=10)
                )
                db.session.commit()
                db.session.remove()
        except BaseException as err:  # re-raised below, in the test's thread
            errors.append(err)

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert sorted((p.done, p.created) for p in results) == [(10, 10), (10, 10)]
    assert session.scalar(sa.select(sa.func.count(Attendee.id))) == 10


def test_run_all_imports_everything_in_chunks(session: Any, make: Any) -> None:
    event = make.event()
    job = new_job(session, event, sample("attendees_problems.csv"))
    progress = import_jobs.run_all(session, job=job, now=NOW, chunk_size=2)
    announced = [e.payload["done"] for e in pending_events(session) if e.name == "import_progress"]
    session.commit()
    assert (progress.created, progress.rejected_count, progress.finished) == (3, 5, True)
    assert {r["line"] for r in job.rejected} == set(PROBLEM_REASONS)
    assert announced == [2, 4, 6, 8]
    assert len(attendees_of(session, event)) == 3


def test_chunk_lookups_do_not_grow_with_rows(session: Any, make: Any) -> None:
    """A chunk of 28 rows reads as much as a chunk of 2: one lookup for all its attendees."""
    data = sample("attendees_simple.csv")
    # The same people already exist in the second event, so its chunk updates instead.
    existing = make.event()
    run_to_end(session, new_job(session, existing, data))
    statements: list[list[str]] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements[-1].append(statement.lstrip().split(" ", 1)[0].upper())

    for label, event in (("create", make.event()), ("update", existing)):
        job = new_job(session, event, data)
        session.refresh(job)  # loaded now, so both chunks start from the same state
        session.refresh(event)  # (the chunk reads the event's secret for the handles' hashes)
        engine = session.get_bind()
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            statements[:] = [[]]
            import_jobs.run_chunk(session, job=job, now=NOW, chunk_size=2)
            statements.append([])
            import_jobs.run_chunk(session, job=job, now=NOW, chunk_size=28)
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        session.commit()
        small, big = statements
        assert big.count("SELECT") == small.count("SELECT") <= 3, label
        # Inserts go out as one executemany per table.
        assert len(big) == len(small), (label, big)


def test_preview_counts_new_updated_and_problems(session: Any, make: Any) -> None:
    event = make.event()
    make.attendee(event, email="bjorn@example.org")
    job = new_job(session, event, sample("attendees_problems.csv"))

    summary = import_jobs.preview(session, job=job)

    assert (summary.total, summary.importable, summary.new, summary.updated) == (8, 3, 2, 1)
    assert [r.line for r in summary.problems] == [4, 5, 6, 7, 8]
    assert summary.problems[1].problems == [PROBLEM_REASONS[5]]
    assert [r.row.name for r in summary.sample if r.row] == [
        "Ana García",
        "Björn Åkesson",
        "Gérard Dupont",
    ]
    assert summary.columns == ["Name", "E-mail", "Company", "Twitter", "Mastodon"]
    assert len(attendees_of(session, event)) == 1  # nothing written


def test_unreadable_files_are_refused(session: Any, make: Any) -> None:
    event = make.event()
    account = event.memberships[0].account
    cases = {
        b"": "empty_file",
        b"PK\x03\x04binaryzip": "spreadsheet_file",
        b"name,email\n": "no_rows",
        b"x" * (import_jobs.MAX_UPLOAD_BYTES + 1): "file_too_large",
    }
    for data, code in cases.items():
        with pytest.raises(ImportJobError) as err:
            import_jobs.create_job(
                session, event=event, account=account, filename="a.csv", data=data, now=NOW
            )
        assert err.value.code == code
        assert err.value.message
    assert session.scalar(sa.select(sa.func.count(ImportJob.id))) == 0


def test_mapping_problems_block_saving(session: Any, make: Any) -> None:
    event = make.event()
    account = event.memberships[0].account
    job = import_jobs.create_job(
        session,
        event=event,
        account=account,
        filename="../../etc/a.csv",
        data=sample("attendees_simple.csv"),
        now=NOW,
    )
    assert job.filename == "a.csv"
    with pytest.raises(MappingError) as err:
        import_jobs.save_mapping(session, job=job, mapping={0: "name", 1: "company"})
    assert err.value.problems == ["Map a column to E-mail"]
    assert job.mapping is None
    with pytest.raises(ImportJobError) as not_mapped:
        import_jobs.run_chunk(session, job=job, now=NOW)
    assert not_mapped.value.code == "not_mapped"
    import_jobs.save_mapping(session, job=job, mapping={0: "name", 1: "email"})
    # Columns left out of the posted mapping are ignored, not guessed.
    assert job.mapping == {
        "columns": {"0": "name", "1": "email", **{str(i): "ignore" for i in range(2, 8)}}
    }
    assert job.status == "mapped"


def test_mapping_cannot_change_once_importing(session: Any, make: Any) -> None:
    event = make.event()
    job = new_job(session, event, sample("attendees_simple.csv"))
    import_jobs.run_chunk(session, job=job, now=NOW, chunk_size=5)
    with pytest.raises(ImportJobError) as err:
        import_jobs.save_mapping(session, job=job, mapping={0: "name", 1: "email"})
    assert err.value.code == "import_started"


def test_jobs_are_scoped_to_their_event(session: Any, make: Any) -> None:
    event, other = make.event(), make.event()
    job = new_job(session, event, sample("attendees_simple.csv"))
    assert import_jobs.get_job(session, event=event, job_id=job.id) is job
    with pytest.raises(ImportJobError) as err:
        import_jobs.get_job(session, event=other, job_id=job.id)
    assert err.value.status == 404
    assert import_jobs.recent_jobs(session, event=other) == []
    assert [j.id for j in import_jobs.recent_jobs(session, event=event)] == [job.id]


def test_rejected_rows_come_back_as_in_the_file(session: Any, make: Any) -> None:
    event = make.event()
    job = new_job(session, event, sample("attendees_problems.csv"))
    run_to_end(session, job)
    header, rows = import_jobs.rejected_rows(job)
    assert (header, rows[0]) == (PROBLEMS_HEADER, PROBLEMS_FIRST_REJECTED)
    assert [r[0] for r in rows] == ["4", "5", "6", "7", "8"]


def stored_upload(session: Any, job_id: int) -> int:
    """How many bytes of the uploaded file the database holds for a job (read from the table)."""
    return int(
        session.scalar(sa.select(sa.func.length(ImportJob.data)).where(ImportJob.id == job_id))
    )


def test_finishing_empties_the_upload_and_keeps_the_report(session: Any, make: Any) -> None:
    event = make.event()
    job = new_job(session, event, sample("attendees_problems.csv"))
    import_jobs.run_chunk(session, job=job, now=NOW, chunk_size=4)
    session.commit()
    assert stored_upload(session, job.id) > 0  # still needed for the rows left

    run_to_end(session, job, chunk_size=4)

    session.expire_all()
    assert stored_upload(session, job.id) == 0
    job = session.get(ImportJob, job.id)
    assert (job.status, job.created, job.updated) == ("done", 3, 0)
    assert {r["line"]: r["reason"] for r in job.rejected} == PROBLEM_REASONS
    # The download still has the rejected rows as in the file, from the report alone.
    header, rows = import_jobs.rejected_rows(job)
    assert (header, rows[0]) == (PROBLEMS_HEADER, PROBLEMS_FIRST_REJECTED)
    # A finished job is read no further: running it again answers from the report.
    assert import_jobs.run_all(session, job=job, now=NOW).finished
    assert import_jobs.run_chunk(session, job=job, now=NOW).finished


def test_run_all_empties_the_upload_in_its_transaction(session: Any, make: Any) -> None:
    event = make.event()
    job = new_job(session, event, sample("attendees_simple.csv"))
    import_jobs.run_all(session, job=job, now=NOW, chunk_size=7)
    session.rollback()
    assert stored_upload(session, job.id) > 0  # rolled back with the import itself

    import_jobs.run_all(session, job=job, now=NOW, chunk_size=7)
    session.commit()
    assert stored_upload(session, job.id) == 0
    assert len(attendees_of(session, event)) == 30


def test_an_import_that_fails_midway_keeps_its_file_to_continue(
    session: Any, make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = make.event()
    job = new_job(session, event, sample("attendees_simple.csv"))
    import_jobs.run_chunk(session, job=job, now=NOW, chunk_size=10)
    session.commit()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patched:
        patched.setattr(import_jobs, "_import_rows", broken)
        with pytest.raises(RuntimeError):
            import_jobs.run_chunk(session, job=job, now=NOW, chunk_size=30)
        session.rollback()

    assert stored_upload(session, job.id) > 0
    assert job.status == "importing"
    progress, _ = run_to_end(session, job, chunk_size=30)
    assert (progress.created, progress.finished) == (30, True)
    assert stored_upload(session, job.id) == 0


def test_jobs_finished_before_rejections_kept_their_cells_download_from_the_file(
    session: Any, make: Any
) -> None:
    event = make.event()
    data = sample("attendees_problems.csv")
    job = new_job(session, event, data)
    run_to_end(session, job)
    # As such a job was stored: rejections without cells, mapping without headers, file kept.
    job.rejected = [{k: v for k, v in r.items() if k != "cells"} for r in job.rejected]
    job.mapping = {"columns": job.mapping["columns"]}
    job.data = data
    session.commit()

    header, rows = import_jobs.rejected_rows(job)

    assert (header, rows[0]) == (PROBLEMS_HEADER, PROBLEMS_FIRST_REJECTED)
    assert [r[0] for r in rows] == ["4", "5", "6", "7", "8"]
