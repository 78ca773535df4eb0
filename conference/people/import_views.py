"""The organiser's CSV import: upload, column mapping, preview, import with progress."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import (
    Blueprint,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from conference import csv_export
from conference.accounts.models import Account
from conference.db import utcnow
from conference.errors import DomainError
from conference.events.access import require_account, require_organiser
from conference.events.models import Event
from conference.extensions import db
from conference.people import import_jobs
from conference.people.handles import PLATFORM_LABELS, PLATFORMS
from conference.people.import_jobs import DONE, IMPORTING, MappingError
from conference.people.importing import (
    FIELD_LABELS,
    FIELDS,
    HANDLE_PREFIX,
    IGNORE,
    mapping_problems,
)
from conference.people.models import ImportJob

bp = Blueprint("people_import", __name__)

BASE = "/organiser/events/<slug>/attendees/import"
MAX_MB = import_jobs.MAX_UPLOAD_BYTES // (1024 * 1024)
TOO_LARGE = (
    f"The file is too large: upload at most {MAX_MB} MB. Split the attendee list into smaller "
    "files and import them one after the other."
)
# The preview and result pages list this many problem rows; the CSV download has them all.
LISTED_PROBLEMS = 200


def _handle_label(platform: str) -> str:
    label = PLATFORM_LABELS.get(platform, platform)
    return "Website address" if platform == "website" else f"{label} handle"


# The mapping screen's select: person fields, then handles, then "don't import".
CHOICE_GROUPS: list[tuple[str, list[tuple[str, str]]]] = [
    ("About the person", [(f, FIELD_LABELS[f]) for f in FIELDS]),
    ("Online handles", [(HANDLE_PREFIX + p, _handle_label(p)) for p in PLATFORMS]),
]
IGNORE_LABEL = FIELD_LABELS.get(IGNORE, "Ignore")


def _account() -> Account:
    account = db.session.get(Account, require_account())
    assert account is not None
    return account


def _job(event: Event, job_id: int) -> ImportJob:
    return import_jobs.get_job(db.session(), event=event, job_id=job_id)


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def _zone(event: Event) -> ZoneInfo:
    """The event's time zone, for showing when a file was imported."""
    try:
        return ZoneInfo(event.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _attendees_url(event: Event) -> str:
    return url_for("people_admin.attendees", slug=event.slug)


def _render_upload(event: Event, error: str = "", status: int = 200) -> Any:
    recent = import_jobs.recent_jobs(db.session(), event=event)
    return (
        render_template(
            "people/import/upload.html",
            event=event,
            # A bare form for its CSRF token; the file itself is read from request.files. No
            # form data is read here: after a 413 reading it would raise again.
            form=FlaskForm(formdata=None),
            error=error,
            recent=recent,
            tz=_zone(event),
            max_mb=MAX_MB,
            max_bytes=import_jobs.MAX_UPLOAD_BYTES,
            attendees_url=_attendees_url(event),
        ),
        status,
    )


@bp.errorhandler(RequestEntityTooLarge)
def too_large(err: RequestEntityTooLarge) -> Any:
    """An upload above the app's request limit: say so on the upload page."""
    if _wants_json():
        return jsonify({"ok": False, "error": "file_too_large", "message": TOO_LARGE}), 413
    slug = (request.view_args or {}).get("slug", "")
    try:
        event = require_organiser(slug)
    except HTTPException:
        return render_template("error.html", status=413, message=TOO_LARGE), 413
    return _render_upload(event, TOO_LARGE, 413)


@bp.route(BASE, methods=["GET", "POST"])
def upload(slug: str) -> Any:
    """Upload an attendee CSV; it is stored as an import job, then mapped."""
    event = require_organiser(slug)
    if not FlaskForm().validate_on_submit():
        return _render_upload(event)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _render_upload(event, "Choose a CSV file to upload.", 422)
    try:
        job = import_jobs.create_job(
            db.session(),
            event=event,
            account=_account(),
            filename=upload.filename,
            data=upload.read(import_jobs.MAX_UPLOAD_BYTES + 1),
            now=utcnow(),
        )
    except DomainError as err:
        db.session.rollback()
        return _render_upload(event, err.message, 422)
    db.session.commit()
    flash(
        f"“{job.filename}” is uploaded: {job.total_rows:,} rows. Check what each column holds.",
        "success",
    )
    return redirect(url_for(".mapping", slug=slug, job_id=job.id))


@bp.route(BASE + "/<int:job_id>/mapping", methods=["GET", "POST"])
def mapping(slug: str, job_id: int) -> Any:
    """Choose what each column of the file holds."""
    event = require_organiser(slug)
    job = _job(event, job_id)
    if job.status in (IMPORTING, DONE):
        return redirect(url_for(".preview", slug=slug, job_id=job.id))
    table = import_jobs.table_of(job)
    chosen = import_jobs.mapping_of(job, table)
    form = FlaskForm()
    status = 200
    if form.validate_on_submit():
        chosen = {i: request.form.get(f"column-{i}", IGNORE) for i in range(len(table.headers))}
        try:
            import_jobs.save_mapping(db.session(), job=job, mapping=chosen)
        except MappingError as err:
            db.session.rollback()
            problems, status = err.problems, 422
        else:
            db.session.commit()
            return redirect(url_for(".preview", slug=slug, job_id=job.id))
    else:
        problems = mapping_problems(chosen)
    columns = [
        {
            "index": i,
            "header": header,
            "samples": import_jobs.column_samples(table, i),
            "selected": chosen.get(i, IGNORE),
        }
        for i, header in enumerate(table.headers)
    ]
    return (
        render_template(
            "people/import/mapping.html",
            event=event,
            job=job,
            table=table,
            columns=columns,
            problems=problems,
            form=form,
            groups=CHOICE_GROUPS,
            ignore=IGNORE,
            ignore_label=IGNORE_LABEL,
        ),
        status,
    )


@bp.get(BASE + "/<int:job_id>/preview")
def preview(slug: str, job_id: int) -> Any:
    """What the import will do: new, updated and skipped rows, before anything is written."""
    event = require_organiser(slug)
    job = _job(event, job_id)
    if not job.mapping:
        return redirect(url_for(".mapping", slug=slug, job_id=job.id))
    if job.status == DONE:
        return redirect(url_for(".result", slug=slug, job_id=job.id))
    summary = import_jobs.preview(db.session(), job=job)
    return render_template(
        "people/import/preview.html",
        event=event,
        job=job,
        summary=summary,
        progress=import_jobs.progress_of(job),
        listed=summary.problems[:LISTED_PROBLEMS],
        form=FlaskForm(),
    )


@bp.post(BASE + "/<int:job_id>/run")
def run(slug: str, job_id: int) -> Any:
    """Import: the next chunk as JSON (the progress page's loop), or everything left (no JS)."""
    event = require_organiser(slug)
    job = _job(event, job_id)
    result_url = url_for(".result", slug=slug, job_id=job.id)
    if _wants_json():
        progress = import_jobs.run_chunk(db.session(), job=job, now=utcnow())
        db.session.commit()
        return jsonify({"ok": True, **progress.as_dict(), "result_url": result_url})
    progress = import_jobs.run_all(db.session(), job=job, now=utcnow())
    db.session.commit()
    flash(
        f"Import finished: {progress.created:,} added, {progress.updated:,} updated, "
        f"{progress.rejected_count:,} skipped.",
        "success",
    )
    return redirect(result_url)


@bp.get(BASE + "/<int:job_id>")
def result(slug: str, job_id: int) -> Any:
    """How the import went: counts, and the rejected rows with their reasons."""
    event = require_organiser(slug)
    job = _job(event, job_id)
    if job.status != DONE:
        return redirect(url_for(".preview", slug=slug, job_id=job.id))
    rejected = job.rejected or []
    return render_template(
        "people/import/result.html",
        event=event,
        job=job,
        progress=import_jobs.progress_of(job),
        rejected=rejected[:LISTED_PROBLEMS],
        tz=_zone(event),
        attendees_url=_attendees_url(event),
    )


@bp.get(BASE + "/<int:job_id>/rejected.csv")
def rejected_csv(slug: str, job_id: int) -> Any:
    """The rejected rows as in the file, with line and reason, to fix and import again."""
    event = require_organiser(slug)
    job = _job(event, job_id)
    header, rows = import_jobs.rejected_rows(job)
    stem = job.filename.rsplit(".", 1)[0] or "attendees"
    return csv_export.csv_response(f"{stem}-rejected.csv", header, rows)
