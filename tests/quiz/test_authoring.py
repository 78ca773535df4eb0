"""Authoring: questions, reorder, duplicate, delete, JSON export/import, and the pages."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from PIL import Image

from conference.db import utcnow
from conference.people import service as people
from conference.quiz import people_round, service
from conference.quiz.images import process_image
from conference.quiz.models import Question, Quiz, QuizRun
from tests.quiz.helpers import NOW, QuizKit, consenting, single


def _png(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        (single(prompt="  "), "prompt_required"),
        (single(options=["only one"]), "invalid_options"),
        (single(options=["a", "b", "c", "d", "e"]), "invalid_options"),
        (single(options=["Same", "same"], correct=[0]), "duplicate_options"),
        (single(correct=[]), "invalid_correct"),
        (single(correct=[0, 1]), "invalid_correct"),
        (single(type="multiple", correct=[]), "invalid_correct"),
        (single(time_limit=4), "invalid_time_limit"),
        (single(time_limit=121), "invalid_time_limit"),
        (single(points=500), "invalid_points"),
        (
            service.QuestionFields(type="truefalse", prompt="Sky is blue", correct=[]),
            "invalid_correct",
        ),
        (
            service.QuestionFields(type="text", prompt="Name it", accepted=[" ", ""]),
            "accepted_required",
        ),
        (service.QuestionFields(type="people", prompt="Who?"), "invalid_type"),
    ],
)
def test_bad_questions_are_refused_with_a_reason(fields: service.QuestionFields, code: str) -> None:
    with pytest.raises(service.QuizError) as err:
        service.clean_question(fields)
    assert err.value.code == code and err.value.message


def test_clean_question_skips_blank_options_and_keeps_their_ticks() -> None:
    clean = service.clean_question(
        single(type="multiple", options=["A", "", "  C  ", ""], correct=[0, 2])
    )
    assert (clean.options, clean.correct) == (["A", "C"], [0, 1])
    tf = service.clean_question(
        service.QuestionFields(type="truefalse", prompt="x", options=["junk"], correct=[1])
    )
    assert (tf.options, tf.correct) == (["True", "False"], [1])
    text = service.clean_question(
        service.QuestionFields(type="text", prompt="x", accepted=["Paris", "paris ", "Paříž"])
    )
    assert text.accepted == ["Paris", "Paříž"]


def test_reorder_duplicate_delete(session: Any, make: Any, kit: QuizKit) -> None:
    quiz = kit.quiz(make.event(), single("One"), single("Two"), single("Three"))
    one, two, three = quiz.questions

    def order() -> list[str]:
        session.expire(quiz, ["questions"])
        return [q.prompt for q in quiz.questions]

    service.move_question(session, question=three, offset=-1)
    assert order() == ["One", "Three", "Two"]
    service.move_question(session, question=one, offset=-1)  # already first: nothing moves
    assert order() == ["One", "Three", "Two"]
    copy = service.duplicate_question(session, question=one)
    assert order() == ["One", "One", "Three", "Two"] and copy.id != one.id
    service.delete_question(session, question=two)
    assert order() == ["One", "One", "Three"]
    assert [q.position for q in quiz.questions] == [0, 1, 2]


def test_export_and_import_round_trip(session: Any, make: Any, kit: QuizKit) -> None:
    event = make.event()
    for name, handle in (("Ada", "x:@ada"), ("Bea", "x:@bea"), ("Cy", "x:@cy")):
        consenting(make, event, name, handles=(handle,))
    quiz = kit.quiz(
        event,
        single("Capital?"),
        single("Primes?", type="multiple", options=["2", "4", "5"], correct=[0, 2], points=2000),
        service.QuestionFields(type="truefalse", prompt="Water is wet", correct=[0], time_limit=5),
        service.QuestionFields(type="text", prompt="Author?", accepted=["Kafka", "F. Kafka"]),
        fair_mode=True,
        streaks_enabled=False,
    )
    service.update_question(
        session, question=quiz.questions[0], fields=single("Capital?"), image=process_image(_png())
    )
    people_round.add_people_round(session, quiz=quiz, count=2, now=NOW, seed=1)
    session.commit()
    exported = service.export_quiz(session, quiz=quiz)
    assert [q["type"] for q in exported["questions"]] == ["single", "multiple", "truefalse", "text"]
    assert "Ada" not in json.dumps(exported)  # people questions stay in their event

    other_event = make.event()
    copy = service.import_quiz(
        session,
        event=other_event,
        raw=json.dumps(exported).encode(),
        process_image=process_image,
    )
    session.commit()
    assert (copy.title, copy.fair_mode, copy.streaks_enabled) == (quiz.title, True, False)
    assert service.export_quiz(session, quiz=copy) == exported
    assert copy.questions[0].has_image and copy.event_id == other_event.id


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"{not json", "not valid JSON (line 1, column 2"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b'{"format": "kahoot"}', "not a Known quiz file"),
        (b'{"format": "known-quiz", "version": 9}', "version 9 is not supported"),
        (
            b'{"format": "known-quiz", "version": 1, "title": "T", "questions": ['
            b'{"type": "single", "prompt": "Q", "options": ["a"], "correct": [0]},'
            b'{"type": "text", "prompt": "Q2", "accepted": []},'
            b'{"type": "people", "prompt": "Who?"},'
            b'{"type": "single", "prompt": "Q4", "options": ["a", "b"], "correct": [0],'
            b' "image": {"content_type": "image/png", "data": "!!!"}}]}',
            "Question 1: Give 2 to 4 options.; Question 2: Give at least one accepted answer.; "
            "Question 3: people questions cannot be imported",
        ),
    ],
)
def test_import_explains_what_is_wrong(session: Any, make: Any, raw: bytes, problem: str) -> None:
    event = make.event()
    with pytest.raises(service.QuizImportError) as err:
        service.import_quiz(session, event=event, raw=raw, process_image=process_image)
    assert problem in err.value.message
    assert session.query(Quiz).count() == 0
    if b"Q4" in raw:
        assert "Question 4: the picture is not valid base64." in err.value.problems


# --- the pages ------------------------------------------------------------------------------


def _question_form(**overrides: Any) -> dict[str, Any]:
    form = {
        "type": "single",
        "prompt": "Which planet is red?",
        "option_0": "Venus",
        "option_1": "Mars",
        "option_2": "",
        "option_3": "",
        "correct_1": "y",
        "time_limit": "30",
        "points": "2000",
    }
    form.update(overrides)
    return form


def test_an_organiser_writes_a_quiz_through_the_pages(
    client: Any, session: Any, make: Any, auth: Any
) -> None:
    organiser = make.account()
    event = make.event(organiser=organiser)
    auth.login(organiser)
    base = f"/organiser/events/{event.slug}/quizzes"
    page = client.get(base)
    assert page.status_code == 200 and b"No quizzes yet" in page.data
    created = client.post(base, data={"title": "Friday fun"})
    assert created.status_code == 302
    quiz = session.query(Quiz).one()
    editor = f"{base}/{quiz.id}"
    assert created.headers["Location"] == editor
    assert b"No questions yet" in client.get(editor).data

    form = _question_form()
    form["image"] = (io.BytesIO(_png()), "red.png")
    added = client.post(f"{editor}/questions/new", data=form, content_type="multipart/form-data")
    assert added.status_code == 302
    question = session.query(Question).one()
    assert (question.options, question.correct, question.time_limit, question.points) == (
        ["Venus", "Mars"],
        [1],
        30,
        2000,
    )
    assert question.has_image
    image = client.get(f"{editor}/questions/{question.id}/image")
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    page = client.get(editor).data.decode()
    assert "Which planet is red?" in page and "Question 1 is added." in page

    # a mistake keeps what was typed and says what is wrong
    bad = client.post(
        f"{editor}/questions/new", data=_question_form(correct_1="", prompt="Keep me")
    )
    assert bad.status_code == 422
    assert b"exactly one correct option" in bad.data and b"Keep me" in bad.data

    text_form = {
        "type": "text",
        "prompt": "Capital of Japan?",
        "accepted": "Tokyo\nTōkyō",
        "time_limit": "20",
        "points": "1000",
    }
    assert client.post(f"{editor}/questions/new", data=text_form).status_code == 302
    assert client.post(f"{editor}/questions/{question.id}/duplicate").status_code == 302
    session.expire_all()
    assert [q.prompt for q in session.get(Quiz, quiz.id).questions] == [
        "Which planet is red?",
        "Which planet is red?",
        "Capital of Japan?",
    ]
    last = session.get(Quiz, quiz.id).questions[-1]
    moved = client.post(f"{editor}/questions/{last.id}/move", data={"direction": "up"})
    assert moved.status_code == 302 and moved.headers["Location"].endswith(f"#q-{last.id}")
    session.expire_all()
    assert session.get(Question, last.id).position == 1
    edit = client.get(f"{editor}/questions/{last.id}")
    assert b"Tokyo" in edit.data
    edited = client.post(
        f"{editor}/questions/{last.id}", data=text_form | {"accepted": "Tokyo", "time_limit": "45"}
    )
    assert edited.status_code == 302
    session.expire_all()
    assert session.get(Question, last.id).time_limit == 45
    assert client.post(f"{editor}/questions/{last.id}/delete").status_code == 302
    session.expire_all()
    assert len(session.get(Quiz, quiz.id).questions) == 2

    saved = client.post(
        f"{editor}/settings",
        data={"title": "Friday fun!", "fair_mode": "y", "streaks_enabled": "y"},
    )
    assert saved.status_code == 302
    session.expire_all()
    refreshed = session.get(Quiz, quiz.id)
    assert (refreshed.title, refreshed.allow_guests, refreshed.fair_mode) == (
        "Friday fun!",
        False,
        True,
    )

    exported = client.get(f"{editor}/export.json")
    assert exported.status_code == 200 and exported.json["title"] == "Friday fun!"
    imported = client.post(
        f"{base}/import",
        data={"file": (io.BytesIO(exported.data), "quiz.json")},
        content_type="multipart/form-data",
    )
    assert imported.status_code == 302
    assert session.query(Quiz).count() == 2

    broken = client.post(
        f"{base}/import",
        data={"file": (io.BytesIO(b'{"format": "known-quiz", "version": 1}'), "bad.json")},
        content_type="multipart/form-data",
    )
    assert broken.status_code == 422 and b"could not be imported" in broken.data


def test_starting_a_run_opens_the_host_console(
    client: Any, session: Any, make: Any, auth: Any, kit: QuizKit
) -> None:
    organiser = make.account()
    event = make.event(organiser=organiser)
    quiz = kit.quiz(event)
    auth.login(organiser)
    started = client.post(f"/organiser/events/{event.slug}/quizzes/{quiz.id}/runs")
    run = session.query(QuizRun).one()
    assert started.status_code == 302
    assert started.headers["Location"] == f"/organiser/events/{event.slug}/quiz-runs/{run.id}/host"
    assert run.state == "lobby" and run.created_by_id == organiser.id
    listing = client.get(f"/organiser/events/{event.slug}/quizzes").data.decode()
    assert "Running now" in listing and run.pin in listing
    empty = service.create_quiz(session, event=event, title="Empty")
    session.commit()
    refused = client.post(f"/organiser/events/{event.slug}/quizzes/{empty.id}/runs")
    assert refused.status_code == 302 and session.query(QuizRun).count() == 1


def test_people_round_from_the_editor(
    client: Any, session: Any, make: Any, auth: Any, kit: QuizKit
) -> None:
    organiser = make.account()
    event = make.event(organiser=organiser)
    for name, handle in (("Ada", "x:@ada"), ("Bea", "x:@bea"), ("Cy", "x:@cy")):
        consenting(make, event, name, handles=(handle,))
    make.attendee(event, name="Dee Private", handles=("x:@dee",))
    quiz = kit.quiz(event)
    auth.login(organiser)
    editor = f"/organiser/events/{event.slug}/quizzes/{quiz.id}"
    assert b"3 attendees agreed to be an answer" in client.get(editor).data
    added = client.post(f"{editor}/people-round", data={"count": "4"})
    assert added.status_code == 302
    session.expire_all()
    made = [q for q in session.get(Quiz, quiz.id).questions if q.type == "people"]
    assert len(made) == 4
    assert "Dee" not in json.dumps([[q.prompt, *q.options] for q in made])
    assert client.post(f"{editor}/people-round", data={"count": "0"}).status_code == 422


def test_results_page_and_csv(
    client: Any, session: Any, make: Any, auth: Any, kit: QuizKit
) -> None:
    organiser = make.account()
    event = make.event(organiser=organiser)
    run = kit.run(kit.quiz(event))
    ana, _ = kit.guest(run, "=HYPERLINK(1)")
    kit.guest(run, "Bob")
    kit.open_first(run)
    kit.answer(run, ana, choice=[1], after=2)
    service.close(session, run=run, now=NOW)
    session.commit()
    auth.login(organiser)
    page = client.get(f"/organiser/events/{event.slug}/quiz-runs/{run.id}/results")
    assert page.status_code == 200 and b"=HYPERLINK(1)" in page.data
    csv = client.get(f"/organiser/events/{event.slug}/quiz-runs/{run.id}/results.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    lines = csv.data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Rank,Name,Player,Score,Correct answers,Q1 answer,Q1 time (s)")
    assert lines[1] == "1,'=HYPERLINK(1),guest,950,1,Paris,2.0,,"
    assert lines[2] == "2,Bob,guest,0,0,,,,"


@pytest.mark.parametrize(
    "path",
    [
        "/organiser/events/{slug}/quizzes",
        "/organiser/events/{slug}/quizzes/{quiz}",
        "/organiser/events/{slug}/quizzes/{quiz}/questions/new",
        "/organiser/events/{slug}/quizzes/{quiz}/export.json",
        "/organiser/events/{slug}/quiz-runs/{run}/results",
        "/organiser/events/{slug}/quiz-runs/{run}/results.csv",
    ],
)
@pytest.mark.parametrize("who", ["staff", "other_organiser", "attendee"])
def test_only_the_events_organisers_see_the_quiz_pages(
    app: Any, session: Any, make: Any, kit: QuizKit, path: str, who: str
) -> None:
    event = make.event()
    quiz = kit.quiz(event)
    run = kit.run(quiz)
    client = app.test_client()
    if who == "attendee":
        attendee = make.attendee(event, name="Att")
        token = people.issue_login_link(session, attendee=attendee, event=event, now=utcnow())
        session.commit()
        client.get(f"/e/{event.slug}/login/{token}")
    else:
        account = make.member(event) if who == "staff" else make.account()
        if who == "other_organiser":
            make.event(organiser=account)
        client.post("/login", data={"email": account.email, "password": "correct horse battery"})
    url = path.format(slug=event.slug, quiz=quiz.id, run=run.id)
    assert client.get(url).status_code == 403
    assert client.post(f"/organiser/events/{event.slug}/quizzes/{quiz.id}/runs").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client: Any, make: Any, kit: QuizKit) -> None:
    event = make.event()
    quiz = kit.quiz(event)
    response = client.get(f"/organiser/events/{event.slug}/quizzes/{quiz.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_other_events_quizzes_are_not_found(
    client: Any, make: Any, auth: Any, kit: QuizKit
) -> None:
    organiser = make.account()
    mine = make.event(organiser=organiser)
    theirs = kit.quiz(make.event())
    auth.login(organiser)
    assert client.get(f"/organiser/events/{mine.slug}/quizzes/{theirs.id}").status_code == 404


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_state_changes_need_the_csrf_token(
    client: Any, make: Any, auth: Any, kit: QuizKit, session: Any
) -> None:
    organiser = make.account()
    event = make.event(organiser=organiser)
    quiz = kit.quiz(event)
    login = client.get("/login").data.decode()
    token = login.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post(
        "/login",
        data={"email": organiser.email, "password": "correct horse battery", "csrf_token": token},
    )
    response = client.post(f"/organiser/events/{event.slug}/quizzes/{quiz.id}/delete")
    assert response.status_code == 400
    assert session.get(Quiz, quiz.id) is not None


def test_the_event_overview_links_organisers_to_their_quizzes(
    client: Any, make: Any, auth: Any
) -> None:
    organiser = make.account()
    event = make.event(organiser=organiser)
    auth.login(organiser)
    page = client.get(f"/organiser/events/{event.slug}").data.decode()
    assert f"/organiser/events/{event.slug}/quizzes" in page
    auth.logout()
    auth.login(make.member(event))
    assert "/quizzes" not in client.get(f"/organiser/events/{event.slug}").data.decode()


def test_question_pictures_are_processed(session: Any) -> None:
    picture = process_image(_png((3000, 1500)))
    with Image.open(io.BytesIO(picture.data)) as img:
        assert img.size == (1280, 640) and img.format == "JPEG"
    with pytest.raises(service.QuizError.__mro__[1]) as err:
        process_image(b"not a picture")
    assert "not a picture" in str(err.value)


def test_a_run_picture_is_served_once_its_question_opens(
    client: Any, session: Any, make: Any, kit: QuizKit
) -> None:
    event = make.event()
    quiz = kit.quiz(event)
    service.update_question(
        session,
        question=quiz.questions[1],
        fields=single("2 + 2?", options=["3", "4"], correct=[1]),
        image=process_image(_png()),
    )
    session.commit()
    run = kit.run(quiz)
    pictured = next(q for q in run.questions if q.has_image)
    url = service.image_path(run.id, pictured.id)
    kit.guest(run, "Ana")
    kit.open_first(run)
    assert client.get(url).status_code == 404  # question 2 has not opened yet
    service.close(session, run=run, now=NOW)
    service.advance(session, run=run, now=NOW)
    service.advance(session, run=run, now=NOW)
    session.commit()
    assert service.current_question(session, run).id == pictured.id
    assert service.question_payload(run, pictured)["image_url"] == url
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
