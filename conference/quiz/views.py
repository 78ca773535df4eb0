"""Quiz authoring for organisers, results, and the pictures the live screens show."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.routing import BuildError

from conference.csv_export import csv_response
from conference.db import utcnow
from conference.errors import DomainError
from conference.events import service as events
from conference.events.access import current_account_id, require_organiser
from conference.events.models import ORGANISER, Event
from conference.extensions import db
from conference.people import service as people
from conference.quiz import people_round, service
from conference.quiz.forms import (
    ImportForm,
    NewQuizForm,
    PeopleRoundForm,
    QuestionForm,
    SettingsForm,
)
from conference.quiz.images import process_image
from conference.quiz.models import Question, Quiz, QuizRun

bp = Blueprint("quiz", __name__)

PICTURE_CACHE = "private, max-age=300"


def init_app(app: Flask) -> None:
    """Answer for quiz data in "download my data" and "delete my profile"."""
    if service.export_attendee not in people.DATA_EXPORTERS:
        people.DATA_EXPORTERS.append(service.export_attendee)
    if service.erase_attendee not in people.DATA_ERASERS:
        people.DATA_ERASERS.append(service.erase_attendee)


def host_url(slug: str, run_id: int) -> str:
    """The live host console of a run (served by the ``quiz_live`` blueprint)."""
    try:
        return url_for("quiz_live.host", slug=slug, run_id=run_id)
    except BuildError:
        return f"/organiser/events/{slug}/quiz-runs/{run_id}/host"


def _quiz(event: Event, quiz_id: int) -> Quiz:
    try:
        return service.get_quiz(db.session(), event_id=event.id, quiz_id=quiz_id)
    except service.QuizError:
        abort(404)


def _question(quiz: Quiz, question_id: int) -> Question:
    try:
        return service.get_question(db.session(), quiz=quiz, question_id=question_id)
    except service.QuizError:
        abort(404)


def _run(event: Event, run_id: int) -> QuizRun:
    try:
        return service.get_run(db.session(), event_id=event.id, run_id=run_id)
    except service.QuizError:
        abort(404)


def _local(event: Event) -> Callable[[datetime], str]:
    zone = ZoneInfo(event.timezone)
    return lambda moment: moment.astimezone(zone).strftime("%a %d %b %Y, %H:%M")


def _editor_url(event: Event, quiz: Quiz, anchor: str | None = None) -> str:
    return url_for("quiz.editor", slug=event.slug, quiz_id=quiz.id, _anchor=anchor)


# --- the list of quizzes --------------------------------------------------------------------


def _render_index(
    event: Event, new_form: NewQuizForm, import_form: ImportForm, problems: list[str] | None = None
) -> str:
    session = db.session()
    quizzes = service.quizzes_of(session, event_id=event.id)
    runs = service.runs_of(session, event_id=event.id)
    return render_template(
        "quiz/authoring/index.html",
        event=event,
        quizzes=quizzes,
        counts=service.question_counts(session, quiz_ids=[q.id for q in quizzes]),
        live_runs=[r for r in runs if r.state != "ended"],
        players=service.player_counts(session, run_ids=[r.id for r in runs]),
        new_form=new_form,
        import_form=import_form,
        problems=problems or [],
        host_url=host_url,
    )


@bp.get("/organiser/events/<slug>/quizzes")
def index(slug: str) -> str:
    """The event's quizzes: write a new one, import one, jump back into a live run."""
    event = require_organiser(slug)
    return _render_index(event, NewQuizForm(), ImportForm())


@bp.post("/organiser/events/<slug>/quizzes")
def create(slug: str) -> Any:
    """Create an empty quiz and open it in the editor."""
    event = require_organiser(slug)
    form = NewQuizForm()
    if form.validate_on_submit():
        try:
            quiz = service.create_quiz(db.session(), event=event, title=form.title.data or "")
        except DomainError as err:
            db.session.rollback()
            form.form_errors.append(err.message)
        else:
            db.session.commit()
            flash(f"“{quiz.title}” is created. Add its first question.", "success")
            return redirect(_editor_url(event, quiz))
    return _render_index(event, form, ImportForm()), 422


@bp.post("/organiser/events/<slug>/quizzes/import")
def import_quiz(slug: str) -> Any:
    """Create a quiz from a JSON file exported by Known."""
    event = require_organiser(slug)
    form = ImportForm()
    if form.validate_on_submit():
        try:
            quiz = service.import_quiz(
                db.session(), event=event, raw=form.file.data.read(), process_image=process_image
            )
        except service.QuizImportError as err:
            db.session.rollback()
            return _render_index(event, NewQuizForm(formdata=None), form, err.problems), 422
        db.session.commit()
        flash(f"Imported “{quiz.title}” with {len(quiz.questions)} questions.", "success")
        return redirect(_editor_url(event, quiz))
    return _render_index(event, NewQuizForm(formdata=None), form), 422


# --- the editor -----------------------------------------------------------------------------


def _render_editor(
    event: Event,
    quiz: Quiz,
    *,
    settings_form: SettingsForm | None = None,
    people_form: PeopleRoundForm | None = None,
) -> str:
    session = db.session()
    playable, dropped = service.playable_questions(session, quiz=quiz)
    playable_ids = {q.id for q in playable}
    runs = service.runs_of(session, event_id=event.id, quiz_id=quiz.id)
    return render_template(
        "quiz/authoring/editor.html",
        event=event,
        quiz=quiz,
        questions=quiz.questions,
        withdrawn={q.id for q in quiz.questions if q.id not in playable_ids},
        dropped=dropped,
        settings_form=settings_form or SettingsForm(obj=quiz),
        people_form=people_form or PeopleRoundForm(formdata=None),
        eligible=len(people_round.eligible_people(session, event_id=event.id)),
        runs=runs,
        players=service.player_counts(session, run_ids=[r.id for r in runs]),
        type_labels=service.TYPE_LABELS,
        host_url=host_url,
        local=_local(event),
    )


@bp.get("/organiser/events/<slug>/quizzes/<int:quiz_id>")
def editor(slug: str, quiz_id: int) -> str:
    """Edit a quiz: its questions, a people round, its settings; start a run; past runs."""
    event = require_organiser(slug)
    return _render_editor(event, _quiz(event, quiz_id))


@bp.post("/organiser/events/<slug>/quizzes/<int:quiz_id>/settings")
def settings(slug: str, quiz_id: int) -> Any:
    """Save the quiz's title and settings."""
    event = require_organiser(slug)
    quiz = _quiz(event, quiz_id)
    form = SettingsForm()
    if form.validate_on_submit():
        try:
            service.update_settings(
                db.session(),
                quiz=quiz,
                title=form.title.data or "",
                allow_guests=bool(form.allow_guests.data),
                fair_mode=bool(form.fair_mode.data),
                streaks_enabled=bool(form.streaks_enabled.data),
            )
        except DomainError as err:
            db.session.rollback()
            form.form_errors.append(err.message)
        else:
            db.session.commit()
            flash("Settings saved. Runs already started keep the old ones.", "success")
            return redirect(_editor_url(event, quiz, "settings"))
    return _render_editor(event, quiz, settings_form=form), 422


@bp.post("/organiser/events/<slug>/quizzes/<int:quiz_id>/delete")
def delete(slug: str, quiz_id: int) -> Any:
    """Delete a quiz (results of past runs stay)."""
    event = require_organiser(slug)
    quiz = _quiz(event, quiz_id)
    title = quiz.title
    service.delete_quiz(db.session(), quiz=quiz)
    db.session.commit()
    flash(f"“{title}” is deleted. Results of its past runs are still below.", "success")
    return redirect(url_for("quiz.index", slug=event.slug))


def _fields(form: QuestionForm, question: Question | None) -> service.QuestionFields:
    kind = question.type if question is not None and question.type == "people" else form.type.data
    return service.QuestionFields(
        type=kind or "single",
        prompt=form.prompt.data or "",
        options=form.options(),
        correct=form.correct(),
        accepted=(form.accepted.data or "").splitlines(),
        time_limit=form.time_limit.data or 0,
        points=int(form.points.data or 0),
    )


def _upload(form: QuestionForm) -> service.QuestionImage | None:
    upload = form.image.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    return process_image(upload.read())


def _fill(form: QuestionForm, question: Question) -> None:
    form.type.data = question.type if question.type != "people" else "single"
    form.prompt.data = question.prompt
    for i in range(len(form.options())):
        getattr(form, f"option_{i}").data = question.options[i] if i < len(question.options) else ""
        getattr(form, f"correct_{i}").data = i in question.correct
    form.truth.data = str(question.correct[0]) if question.type == "truefalse" else "0"
    form.accepted.data = "\n".join(question.accepted)
    form.time_limit.data = question.time_limit
    form.points.data = str(question.points)


def _question_page(
    event: Event, quiz: Quiz, form: QuestionForm, question: Question | None, status: int = 200
) -> Any:
    return render_template(
        "quiz/authoring/question.html",
        event=event,
        quiz=quiz,
        form=form,
        question=question,
        number=(question.position + 1) if question is not None else len(quiz.questions) + 1,
        type_labels=service.TYPE_LABELS,
    ), status


@bp.route("/organiser/events/<slug>/quizzes/<int:quiz_id>/questions/new", methods=["GET", "POST"])
def new_question(slug: str, quiz_id: int) -> Any:
    """Write a new question (``?type=`` preselects its type)."""
    event = require_organiser(slug)
    quiz = _quiz(event, quiz_id)
    form = QuestionForm()
    if request.method == "GET" and request.args.get("type") in service.AUTHORED_TYPES:
        form.type.data = request.args["type"]
    if form.validate_on_submit():
        try:
            question = service.add_question(
                db.session(), quiz=quiz, fields=_fields(form, None), image=_upload(form)
            )
        except DomainError as err:
            db.session.rollback()
            form.form_errors.append(err.message)
        else:
            db.session.commit()
            flash(f"Question {question.position + 1} is added.", "success")
            return redirect(_editor_url(event, quiz, f"q-{question.id}"))
    status = 422 if request.method == "POST" else 200
    return _question_page(event, quiz, form, None, status)


@bp.route(
    "/organiser/events/<slug>/quizzes/<int:quiz_id>/questions/<int:question_id>",
    methods=["GET", "POST"],
)
def edit_question(slug: str, quiz_id: int, question_id: int) -> Any:
    """Change a question (people questions: time limit and points only)."""
    event = require_organiser(slug)
    quiz = _quiz(event, quiz_id)
    question = _question(quiz, question_id)
    form = QuestionForm()
    if request.method == "GET":
        _fill(form, question)
    elif form.validate_on_submit():
        try:
            service.update_question(
                db.session(),
                question=question,
                fields=_fields(form, question),
                image=_upload(form),
                remove_image=bool(form.remove_image.data),
            )
        except DomainError as err:
            db.session.rollback()
            form.form_errors.append(err.message)
        else:
            db.session.commit()
            flash(f"Question {question.position + 1} is saved.", "success")
            return redirect(_editor_url(event, quiz, f"q-{question.id}"))
    status = 422 if request.method == "POST" else 200
    return _question_page(event, quiz, form, question, status)


@bp.post("/organiser/events/<slug>/quizzes/<int:quiz_id>/questions/<int:question_id>/move")
def move_question(slug: str, quiz_id: int, question_id: int) -> Any:
    """Move a question one place up or down."""
    event = require_organiser(slug)
    quiz = _quiz(event, quiz_id)
    question = _question(quiz, question_id)
    offset = -1 if request.form.get("direction") == "up" else 1
    service.move_question(db.session(), question=question, offset=offset)
    db.session.commit()
    flash(f"Moved to position {question.position + 1}.", "success")
    return redirect(_editor_url(event, quiz, f"q-{question.id}"))


@bp.post("/organiser/events/<slug>/quizzes/<int:quiz_id>/questions/<int:question_id>/duplicate")
def duplicate_question(slug: str, quiz_id: int, question_id: int) -> Any:
    """Insert a copy of a question right after it."""
    event = require_organiser(slug)
    quiz = _quiz(event, quiz_id)
    try:
        copy = service.duplicate_question(db.session(), question=_question(quiz, question_id))
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(_editor_url(event, quiz))
    db.session.commit()
    flash(f"Copied as question {copy.position + 1}.", "success")
    return redirect(_editor_url(event, quiz, f"q-{copy.id}"))


@bp.post("/organiser/events/<slug>/quizzes/<int:quiz_id>/questions/<int:question_id>/delete")
def delete_question(slug: str, quiz_id: int, question_id: int) -> Any:
    """Delete a question."""
    event = require_organiser(slug)
    quiz = _quiz(event, quiz_id)
    question = _question(quiz, question_id)
    number = question.position + 1
    service.delete_question(db.session(), question=question)
    db.session.commit()
    flash(f"Question {number} is deleted.", "success")
    return redirect(_editor_url(event, quiz, "questions"))


@bp.get("/organiser/events/<slug>/quizzes/<int:quiz_id>/questions/<int:question_id>/image")
def question_image(slug: str, quiz_id: int, question_id: int) -> Response:
    """A question's picture, for the editor."""
    event = require_organiser(slug)
    quiz = _quiz(event, quiz_id)
    picture = service.question_image(
        db.session(), question_id=_question(quiz, question_id).id, run=False
    )
    if picture is None:
        abort(404)
    response = Response(picture[0], mimetype=picture[1])
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.post("/organiser/events/<slug>/quizzes/<int:quiz_id>/people-round")
def people_round_add(slug: str, quiz_id: int) -> Any:
    """Add questions about the attendees who agreed to be an answer."""
    event = require_organiser(slug)
    quiz = _quiz(event, quiz_id)
    form = PeopleRoundForm()
    if form.validate_on_submit():
        wanted = form.count.data or 0
        try:
            made = people_round.add_people_round(
                db.session(), quiz=quiz, count=wanted, now=utcnow()
            )
        except DomainError as err:
            db.session.rollback()
            form.form_errors.append(err.message)
        else:
            db.session.commit()
            if len(made) < wanted:
                flash(
                    f"Added {len(made)} of {wanted} people questions: there are not enough "
                    "attendees who agreed to be an answer (with handles or a bio) for more.",
                    "warning",
                )
            else:
                flash(f"Added {len(made)} people questions.", "success")
            return redirect(_editor_url(event, quiz, "questions"))
    return _render_editor(event, quiz, people_form=form), 422


@bp.get("/organiser/events/<slug>/quizzes/<int:quiz_id>/export.json")
def export(slug: str, quiz_id: int) -> Response:
    """Download the quiz as JSON (people questions are left out)."""
    event = require_organiser(slug)
    quiz = _quiz(event, quiz_id)
    body = json.dumps(service.export_quiz(db.session(), quiz=quiz), ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    filename = f"quiz-{quiz.id}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/organiser/events/<slug>/quizzes/<int:quiz_id>/runs")
def start_run(slug: str, quiz_id: int) -> Any:
    """Open a lobby with a PIN and go to the host console."""
    event = require_organiser(slug)
    quiz = _quiz(event, quiz_id)
    try:
        run = service.create_run(
            db.session(), quiz=quiz, now=utcnow(), created_by_id=current_account_id()
        )
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(_editor_url(event, quiz))
    db.session.commit()
    skipped = quiz.questions and len(quiz.questions) - run.total
    if skipped:
        flash(
            f"{skipped} people question(s) left out: someone in them no longer agrees to be an "
            "answer.",
            "warning",
        )
    flash(f"The lobby is open. PIN {run.pin}.", "success")
    return redirect(host_url(event.slug, run.id))


# --- results --------------------------------------------------------------------------------


@bp.get("/organiser/events/<slug>/quiz-runs/<int:run_id>/results")
def results(slug: str, run_id: int) -> str:
    """A run's results, best first."""
    event = require_organiser(slug)
    run = _run(event, run_id)
    header, rows = service.results(db.session(), run=run)
    return render_template(
        "quiz/authoring/results.html",
        event=event,
        run=run,
        rows=list(rows),
        questions=(len(header) - 5) // 2,
        host_url=host_url,
        local=_local(event),
    )


@bp.get("/organiser/events/<slug>/quiz-runs/<int:run_id>/results.csv")
def results_csv(slug: str, run_id: int) -> Response:
    """A run's results as CSV: one row per player, each question's answer and time."""
    event = require_organiser(slug)
    run = _run(event, run_id)
    header, rows = service.results(db.session(), run=run)
    return csv_response(f"quiz-{event.slug}-run-{run.id}-results.csv", header, rows)


# --- pictures for the live screens ----------------------------------------------------------


def _organises(event_id: int) -> bool:
    account_id = current_account_id()
    return account_id is not None and events.has_role(
        db.session(), account_id=account_id, event_id=event_id, roles=(ORGANISER,)
    )


@bp.get("/quiz-avatar/<int:run_id>/<int:attendee_id>")
def avatar(run_id: int, attendee_id: int) -> Response:
    """The avatar of a person a run shows (an option or a revealed answer), if they agreed."""
    session = db.session()
    run = session.get(QuizRun, run_id)
    if run is None or not service.avatar_allowed(
        session, run=run, attendee_id=attendee_id, organiser=_organises(run.event_id)
    ):
        abort(404)
    picture = people.avatar_of(session, attendee_id)
    if picture is None:
        abort(404)
    response = Response(picture.image, mimetype=picture.content_type)
    response.headers["Cache-Control"] = PICTURE_CACHE
    return response


@bp.get("/quiz-image/<int:run_id>/<int:question_id>")
def run_image(run_id: int, question_id: int) -> Response:
    """A run question's picture, once that question has opened."""
    session = db.session()
    run = session.get(QuizRun, run_id)
    if run is None or not service.run_image_allowed(
        session, run=run, question_id=question_id, organiser=_organises(run.event_id)
    ):
        abort(404)
    picture = service.question_image(session, question_id=question_id, run=True)
    if picture is None:
        abort(404)
    response = Response(picture[0], mimetype=picture[1])
    response.headers["Cache-Control"] = PICTURE_CACHE
    return response
