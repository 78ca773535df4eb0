"""Quiz authoring for organisers, results, and the pictures the live screens show."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
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
from flask_wtf import FlaskForm
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

T = TypeVar("T")


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


# --- the steps every organiser handler shares ------------------------------------------------


def _or_404(find: Callable[[], T]) -> T:
    try:
        return find()
    except service.QuizError:
        abort(404)


def _organiser_quiz(slug: str, quiz_id: int) -> tuple[Event, Quiz]:
    """The event the caller organises (403 otherwise) and its quiz (404 if not its own)."""
    event = require_organiser(slug)
    quiz = _or_404(lambda: service.get_quiz(db.session(), event_id=event.id, quiz_id=quiz_id))
    return event, quiz


def _organiser_question(slug: str, quiz_id: int, question_id: int) -> tuple[Event, Quiz, Question]:
    """``_organiser_quiz`` and a question of that quiz (404 if not one of its questions)."""
    event, quiz = _organiser_quiz(slug, quiz_id)
    question = _or_404(
        lambda: service.get_question(db.session(), quiz=quiz, question_id=question_id)
    )
    return event, quiz, question


def _organiser_run(slug: str, run_id: int) -> tuple[Event, QuizRun]:
    """The event the caller organises (403 otherwise) and one of its runs (404 otherwise)."""
    event = require_organiser(slug)
    run = _or_404(lambda: service.get_run(db.session(), event_id=event.id, run_id=run_id))
    return event, run


def _back(url: str, message: str, category: str = "success") -> Any:
    """Say how it went on the next page, and go there."""
    flash(message, category)
    return redirect(url)


def _commit(
    change: Callable[[], T],
    done: Callable[[T], Any],
    refused: Callable[[DomainError], Any],
    catch: type[DomainError] = DomainError,
) -> Any:
    """Make ``change`` and commit, answering ``done(result)``; on ``catch``, roll back instead."""
    try:
        result = change()
    except catch as err:
        db.session.rollback()
        return refused(err)
    db.session.commit()
    return done(result)


def _submit(
    form: FlaskForm, change: Callable[[], T], done: Callable[[T], Any], page: Callable[[], Any]
) -> Any:
    """A form's change: made when the form is valid; else, or when refused, the form's ``page``."""
    if not form.validate_on_submit():
        return page()

    def refused(err: DomainError) -> Any:
        form.form_errors.append(err.message)
        return page()

    return _commit(change, done, refused)


def _act(change: Callable[[], T], done: Callable[[T], Any], refused_url: str) -> Any:
    """A button's change; a refusal is flashed as an error on ``refused_url``."""
    return _commit(change, done, lambda err: _back(refused_url, err.message, "error"))


def _picture(picture: tuple[bytes, str] | None, cache: str) -> Response:
    """An image response (404 when there is none)."""
    if picture is None:
        abort(404)
    response = Response(picture[0], mimetype=picture[1])
    response.headers["Cache-Control"] = cache
    return response


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
    return _submit(
        form,
        lambda: service.create_quiz(db.session(), event=event, title=form.title.data or ""),
        lambda quiz: _back(
            _editor_url(event, quiz), f"“{quiz.title}” is created. Add its first question."
        ),
        lambda: (_render_index(event, form, ImportForm()), 422),
    )


@bp.post("/organiser/events/<slug>/quizzes/import")
def import_quiz(slug: str) -> Any:
    """Create a quiz from a JSON file exported by Known."""
    event = require_organiser(slug)
    form = ImportForm()

    def page(problems: list[str] | None = None) -> Any:
        return _render_index(event, NewQuizForm(formdata=None), form, problems), 422

    def refused(err: DomainError) -> Any:
        assert isinstance(err, service.QuizImportError)
        return page(err.problems)

    if not form.validate_on_submit():
        return page()
    return _commit(
        lambda: service.import_quiz(
            db.session(), event=event, raw=form.file.data.read(), process_image=process_image
        ),
        lambda quiz: _back(
            _editor_url(event, quiz),
            f"Imported “{quiz.title}” with {len(quiz.questions)} questions.",
        ),
        refused,
        catch=service.QuizImportError,
    )


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
    event, quiz = _organiser_quiz(slug, quiz_id)
    return _render_editor(event, quiz)


@bp.post("/organiser/events/<slug>/quizzes/<int:quiz_id>/settings")
def settings(slug: str, quiz_id: int) -> Any:
    """Save the quiz's title and settings."""
    event, quiz = _organiser_quiz(slug, quiz_id)
    form = SettingsForm()
    return _submit(
        form,
        lambda: service.update_settings(
            db.session(),
            quiz=quiz,
            title=form.title.data or "",
            allow_guests=bool(form.allow_guests.data),
            fair_mode=bool(form.fair_mode.data),
            streaks_enabled=bool(form.streaks_enabled.data),
        ),
        lambda _: _back(
            _editor_url(event, quiz, "settings"),
            "Settings saved. Runs already started keep the old ones.",
        ),
        lambda: (_render_editor(event, quiz, settings_form=form), 422),
    )


@bp.post("/organiser/events/<slug>/quizzes/<int:quiz_id>/delete")
def delete(slug: str, quiz_id: int) -> Any:
    """Delete a quiz (results of past runs stay)."""
    event, quiz = _organiser_quiz(slug, quiz_id)
    title = quiz.title
    return _act(
        lambda: service.delete_quiz(db.session(), quiz=quiz),
        lambda _: _back(
            url_for("quiz.index", slug=event.slug),
            f"“{title}” is deleted. Results of its past runs are still below.",
        ),
        _editor_url(event, quiz),
    )


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


def _question_page(event: Event, quiz: Quiz, form: QuestionForm, question: Question | None) -> Any:
    """The question form: 200 to start with, 422 when a POST comes back to it."""
    status = 422 if request.method == "POST" else 200
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
    event, quiz = _organiser_quiz(slug, quiz_id)
    form = QuestionForm()
    if request.method == "GET" and request.args.get("type") in service.AUTHORED_TYPES:
        form.type.data = request.args["type"]
    return _submit(
        form,
        lambda: service.add_question(
            db.session(), quiz=quiz, fields=_fields(form, None), image=_upload(form)
        ),
        lambda question: _back(
            _editor_url(event, quiz, f"q-{question.id}"),
            f"Question {question.position + 1} is added.",
        ),
        lambda: _question_page(event, quiz, form, None),
    )


@bp.route(
    "/organiser/events/<slug>/quizzes/<int:quiz_id>/questions/<int:question_id>",
    methods=["GET", "POST"],
)
def edit_question(slug: str, quiz_id: int, question_id: int) -> Any:
    """Change a question (people questions: time limit and points only)."""
    event, quiz, question = _organiser_question(slug, quiz_id, question_id)
    form = QuestionForm()
    if request.method == "GET":
        _fill(form, question)  # and no validation: a GET is never a submission
    return _submit(
        form,
        lambda: service.update_question(
            db.session(),
            question=question,
            fields=_fields(form, question),
            image=_upload(form),
            remove_image=bool(form.remove_image.data),
        ),
        lambda _: _back(
            _editor_url(event, quiz, f"q-{question.id}"),
            f"Question {question.position + 1} is saved.",
        ),
        lambda: _question_page(event, quiz, form, question),
    )


@bp.post("/organiser/events/<slug>/quizzes/<int:quiz_id>/questions/<int:question_id>/move")
def move_question(slug: str, quiz_id: int, question_id: int) -> Any:
    """Move a question one place up or down."""
    event, quiz, question = _organiser_question(slug, quiz_id, question_id)
    offset = -1 if request.form.get("direction") == "up" else 1
    return _act(
        lambda: service.move_question(db.session(), question=question, offset=offset),
        lambda _: _back(
            _editor_url(event, quiz, f"q-{question.id}"),
            f"Moved to position {question.position + 1}.",
        ),
        _editor_url(event, quiz),
    )


@bp.post("/organiser/events/<slug>/quizzes/<int:quiz_id>/questions/<int:question_id>/duplicate")
def duplicate_question(slug: str, quiz_id: int, question_id: int) -> Any:
    """Insert a copy of a question right after it."""
    event, quiz, question = _organiser_question(slug, quiz_id, question_id)
    return _act(
        lambda: service.duplicate_question(db.session(), question=question),
        lambda copy: _back(
            _editor_url(event, quiz, f"q-{copy.id}"), f"Copied as question {copy.position + 1}."
        ),
        _editor_url(event, quiz),
    )


@bp.post("/organiser/events/<slug>/quizzes/<int:quiz_id>/questions/<int:question_id>/delete")
def delete_question(slug: str, quiz_id: int, question_id: int) -> Any:
    """Delete a question."""
    event, quiz, question = _organiser_question(slug, quiz_id, question_id)
    number = question.position + 1
    return _act(
        lambda: service.delete_question(db.session(), question=question),
        lambda _: _back(_editor_url(event, quiz, "questions"), f"Question {number} is deleted."),
        _editor_url(event, quiz),
    )


@bp.get("/organiser/events/<slug>/quizzes/<int:quiz_id>/questions/<int:question_id>/image")
def question_image(slug: str, quiz_id: int, question_id: int) -> Response:
    """A question's picture, for the editor."""
    _, _, question = _organiser_question(slug, quiz_id, question_id)
    picture = service.question_image(db.session(), question_id=question.id, run=False)
    return _picture(picture, "private, no-cache")


@bp.post("/organiser/events/<slug>/quizzes/<int:quiz_id>/people-round")
def people_round_add(slug: str, quiz_id: int) -> Any:
    """Add questions about the attendees who agreed to be an answer."""
    event, quiz = _organiser_quiz(slug, quiz_id)
    form = PeopleRoundForm()
    wanted = form.count.data or 0

    def done(made: list[Question]) -> Any:
        url = _editor_url(event, quiz, "questions")
        if len(made) < wanted:
            return _back(
                url,
                f"Added {len(made)} of {wanted} people questions: there are not enough "
                "attendees who agreed to be an answer (with handles or a bio) for more.",
                "warning",
            )
        return _back(url, f"Added {len(made)} people questions.")

    return _submit(
        form,
        lambda: people_round.add_people_round(db.session(), quiz=quiz, count=wanted, now=utcnow()),
        done,
        lambda: (_render_editor(event, quiz, people_form=form), 422),
    )


@bp.get("/organiser/events/<slug>/quizzes/<int:quiz_id>/export.json")
def export(slug: str, quiz_id: int) -> Response:
    """Download the quiz as JSON (people questions are left out)."""
    _, quiz = _organiser_quiz(slug, quiz_id)
    body = json.dumps(service.export_quiz(db.session(), quiz=quiz), ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    filename = f"quiz-{quiz.id}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/organiser/events/<slug>/quizzes/<int:quiz_id>/runs")
def start_run(slug: str, quiz_id: int) -> Any:
    """Open a lobby with a PIN and go to the host console."""
    event, quiz = _organiser_quiz(slug, quiz_id)

    def done(run: QuizRun) -> Any:
        skipped = quiz.questions and len(quiz.questions) - run.total
        if skipped:
            flash(
                f"{skipped} people question(s) left out: someone in them no longer agrees to be "
                "an answer.",
                "warning",
            )
        return _back(host_url(event.slug, run.id), f"The lobby is open. PIN {run.pin}.")

    return _act(
        lambda: service.create_run(
            db.session(), quiz=quiz, now=utcnow(), created_by_id=current_account_id()
        ),
        done,
        _editor_url(event, quiz),
    )


# --- results --------------------------------------------------------------------------------


@bp.get("/organiser/events/<slug>/quiz-runs/<int:run_id>/results")
def results(slug: str, run_id: int) -> str:
    """A run's results, best first."""
    event, run = _organiser_run(slug, run_id)
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
    event, run = _organiser_run(slug, run_id)
    header, rows = service.results(db.session(), run=run)
    return csv_response(f"quiz-{event.slug}-run-{run.id}-results.csv", header, rows)


# --- pictures for the live screens ----------------------------------------------------------


def _organises(event_id: int) -> bool:
    account_id = current_account_id()
    return account_id is not None and events.has_role(
        db.session(), account_id=account_id, event_id=event_id, roles=(ORGANISER,)
    )


def _require_shown(run_id: int, shown: Callable[[QuizRun, bool], bool]) -> None:
    """404 unless the run exists and ``shown(run, caller_organises_it)`` lets the caller see."""
    run = db.session.get(QuizRun, run_id)
    if run is None or not shown(run, _organises(run.event_id)):
        abort(404)


@bp.get("/quiz-avatar/<int:run_id>/<int:attendee_id>")
def avatar(run_id: int, attendee_id: int) -> Response:
    """The avatar of a person a run shows (an option or a revealed answer), if they agreed."""
    session = db.session()
    _require_shown(
        run_id,
        lambda run, organiser: service.avatar_allowed(
            session, run=run, attendee_id=attendee_id, organiser=organiser
        ),
    )
    avatar = people.avatar_of(session, attendee_id)
    picture = None if avatar is None else (avatar.image, avatar.content_type)
    return _picture(picture, PICTURE_CACHE)


@bp.get("/quiz-image/<int:run_id>/<int:question_id>")
def run_image(run_id: int, question_id: int) -> Response:
    """A run question's picture, once that question has opened."""
    session = db.session()
    _require_shown(
        run_id,
        lambda run, organiser: service.run_image_allowed(
            session, run=run, question_id=question_id, organiser=organiser
        ),
    )
    picture = service.question_image(session, question_id=question_id, run=True)
    return _picture(picture, PICTURE_CACHE)
