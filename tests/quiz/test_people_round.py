"""People rounds: made from consenting attendees only, repeatable with a seed, fair to play."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from PIL import Image

from conference.people import service as people
from conference.quiz import people_round, service
from conference.quiz.models import RunQuestion
from tests.quiz.helpers import NOW, QuizKit, consenting

# name, handles, bio, consents to be an answer
CROWD = [
    ("Maria Fernández", ("x:@maria_dev", "github:mariadev"), "Streams all the things.", True),
    ("Jonas Becker", ("mastodon:@jonas@chaos.social",), "Rust on microcontrollers.", True),
    ("Aiko Tanaka", ("bluesky:aiko.bsky.social", "x:@aikotanaka"), "", True),
    ("Samuel Okafor", ("x:@sokafor",), "On call for the internet.", True),
    ("Chloé Martin", (), "Design systems and palettes.", True),
    ("Priya Raman", ("x:@priya_ml",), "Teaching models to read X-rays.", True),
    # nobody below may ever appear: no consent to be an answer
    ("Lukas Nowak", ("x:@lukas_pg", "mastodon:@lukas@mastodon.social"), "Has opinions.", False),
    ("Fatima Zahra", ("bluesky:fatima.bsky.social",), "NLP for low-resource languages.", False),
    ("Secret Sam", ("x:@secret_sam",), "Please do not quiz me.", False),
]


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 40), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def crowd(session: Any, make: Any) -> tuple[Any, dict[str, Any]]:
    """An event with nine attendees, six of whom agreed to be an answer; all have avatars."""
    event = make.event()
    attendees = {}
    for name, handles, bio, game in CROWD:
        attendee = make.attendee(
            event,
            name=name,
            handles=handles,
            bio=bio,
            consents=people.Consents(card=True, game=game, leaderboard=True),
        )
        people.set_avatar(session, attendee=attendee, upload=_png(), now=NOW)
        attendees[name] = attendee
    session.commit()
    return event, attendees


def _quiz_with_one(session: Any, event: Any, kind: str, **settings: Any) -> Any:
    """A quiz holding a single people question of ``kind``."""
    quiz = service.create_quiz(session, event=event, title="Faces", **settings)
    made = people_round.add_people_round(session, quiz=quiz, count=6, now=NOW, seed=5)
    keep = next(q for q in made if q.people_kind == kind)
    for question in made:
        if question is not keep:
            service.delete_question(session, question=question)
    session.commit()
    return quiz


def _text(question: Any) -> str:
    return " ".join([question.prompt, *question.options])


def test_nobody_without_consent_ever_appears(
    session: Any, kit: QuizKit, crowd: tuple[Any, dict[str, Any]]
) -> None:
    event, attendees = crowd
    refused = [a for a in attendees.values() if not a.consent_game]
    forbidden_ids = {a.id for a in refused}
    forbidden_words = ["Lukas", "Nowak", "lukas_pg", "Fatima", "fatima", "Secret Sam", "secret_sam"]
    forbidden_words += ["Has opinions", "low-resource", "do not quiz me"]
    for seed in range(25):
        quiz = service.create_quiz(session, event=event, title=f"Round {seed}")
        made = people_round.add_people_round(session, quiz=quiz, count=12, now=NOW, seed=seed)
        assert made
        for question in made:
            assert question.person_id not in forbidden_ids
            assert not forbidden_ids & set(question.option_people or [])
            assert not any(word in _text(question) for word in forbidden_words), _text(question)
    session.rollback()


def test_a_round_mixes_the_three_kinds_with_four_options(
    session: Any, kit: QuizKit, crowd: tuple[Any, dict[str, Any]]
) -> None:
    event, attendees = crowd
    quiz = service.create_quiz(session, event=event, title="People")
    made = people_round.add_people_round(session, quiz=quiz, count=6, now=NOW, seed=7)
    assert len(made) == 6
    assert {q.people_kind for q in made} == {"who_handle", "handle_of", "bio"}
    assert len({q.person_id for q in made}) == 6  # six different people asked about
    by_id = {a.id: a for a in attendees.values()}
    for q in made:
        assert q.type == "people" and len(q.options) == 4 and len(set(q.options)) == 4
        assert len(q.correct) == 1
        answer = by_id[q.option_people[q.correct[0]]]
        assert answer.id == q.person_id
        if q.people_kind == "who_handle":
            assert q.prompt.startswith("Who is ") and q.options[q.correct[0]] == answer.name
            assert answer.handles[0].display in q.prompt
        elif q.people_kind == "handle_of":
            assert q.prompt == f"What is {answer.name}'s handle?"
            assert q.options[q.correct[0]].startswith(answer.handles[0].display)
        else:
            assert answer.bio in q.prompt and q.options[q.correct[0]] == answer.name
    assert [q.position for q in quiz.questions] == list(range(6))


def test_the_same_seed_makes_the_same_round(
    session: Any, crowd: tuple[Any, dict[str, Any]]
) -> None:
    event, _ = crowd

    def round_with(seed: int) -> list[tuple[str, list[str], list[int]]]:
        quiz = service.create_quiz(session, event=event, title="Seeded")
        made = people_round.add_people_round(session, quiz=quiz, count=5, now=NOW, seed=seed)
        return [(q.prompt, list(q.options), list(q.correct)) for q in made]

    assert round_with(3) == round_with(3)
    assert round_with(3) != round_with(4)


def test_a_second_round_asks_about_other_people_first(
    session: Any, crowd: tuple[Any, dict[str, Any]]
) -> None:
    event, _ = crowd
    quiz = service.create_quiz(session, event=event, title="Two rounds")
    first = people_round.add_people_round(session, quiz=quiz, count=3, now=NOW, seed=1)
    second = people_round.add_people_round(session, quiz=quiz, count=3, now=NOW, seed=1)
    assert not {q.person_id for q in first} & {q.person_id for q in second}


def test_too_few_consenting_people_is_a_clear_error(session: Any, make: Any) -> None:
    event = make.event()
    consenting(make, event, "Only One", handles=("x:@only_one",))
    make.attendee(event, name="Not Me", handles=("x:@not_me",))
    quiz = service.create_quiz(session, event=event, title="Lonely")
    with pytest.raises(service.QuizError) as err:
        people_round.add_people_round(session, quiz=quiz, count=3, now=NOW)
    assert err.value.code == "not_enough_people"
    with pytest.raises(service.QuizError) as err:
        people_round.add_people_round(session, quiz=quiz, count=0, now=NOW)
    assert err.value.code == "invalid_count"


def test_a_consent_withdrawn_after_authoring_keeps_the_person_out_of_the_run(
    session: Any, kit: QuizKit, crowd: tuple[Any, dict[str, Any]]
) -> None:
    event, attendees = crowd
    quiz = kit.quiz(event)
    made = people_round.add_people_round(session, quiz=quiz, count=6, now=NOW, seed=2)
    session.commit()
    maria = attendees["Maria Fernández"]
    involving = [q for q in made if maria.id in service.people_in(q)]
    assert involving
    people.update_attendee(
        session,
        attendee=maria,
        profile=people.Profile(name=maria.name, email=maria.email or ""),
        consents=people.Consents(card=True, game=False, leaderboard=True),
    )
    session.commit()
    run = kit.run(quiz)
    frozen = session.query(RunQuestion).filter_by(run_id=run.id).all()
    assert run.total == 2 + 6 - len(involving)
    assert all(maria.id not in service.people_in(q) for q in frozen)


def test_people_questions_play_with_avatars_and_reveal_the_person(
    session: Any, kit: QuizKit, crowd: tuple[Any, dict[str, Any]], client: Any, make: Any
) -> None:
    event, attendees = crowd
    quiz = _quiz_with_one(session, event, "who_handle", fair_mode=True)
    run = kit.run(quiz)
    frozen = session.query(RunQuestion).filter_by(run_id=run.id).one()
    answer_id = frozen.person_id
    # Lobby: nobody's avatar is served yet, not even to a player with the URL
    assert client.get(f"/quiz-avatar/{run.id}/{answer_id}").status_code == 404
    ana, _ = kit.guest(run, "Ana")
    kit.guest(run, "Bob")
    kit.open_first(run)
    payload = service.question_payload(run, frozen)
    urls = [o["avatar_url"] for o in payload["options"]]
    assert all(url and url.startswith(f"/quiz-avatar/{run.id}/") for url in urls)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert response.headers["Cache-Control"] == "private, max-age=300"
    # fair mode: full points however late
    kit.answer(run, ana, choice=frozen.correct, after=15)
    session.refresh(run)
    service.close(session, run=run, now=NOW + timedelta(seconds=16))
    session.commit()
    assert session.get(type(ana), ana.id).score == 1000
    person = frozen.reveal["person"]
    who = session.get(type(attendees["Maria Fernández"]), answer_id)
    assert person["name"] == who.name and person["handle"] == who.handles[0].display
    assert person["avatar_url"] == f"/quiz-avatar/{run.id}/{answer_id}"


def test_handle_options_carry_no_pictures(
    session: Any, kit: QuizKit, crowd: tuple[Any, dict[str, Any]], client: Any
) -> None:
    event, _ = crowd
    run = kit.run(_quiz_with_one(session, event, "handle_of"))
    kit.guest(run, "Ana")
    kit.open_first(run)
    frozen = service.current_question(session, run)
    assert all(o["avatar_url"] is None for o in service.question_payload(run, frozen)["options"])
    for attendee_id in frozen.option_people:
        assert client.get(f"/quiz-avatar/{run.id}/{attendee_id}").status_code == 404


def test_the_avatar_endpoint_serves_nobody_else(
    session: Any, kit: QuizKit, crowd: tuple[Any, dict[str, Any]], client: Any, make: Any
) -> None:
    event, attendees = crowd
    quiz = _quiz_with_one(session, event, "bio")
    run = kit.run(quiz)
    kit.guest(run, "Ana")
    kit.open_first(run)
    frozen = service.current_question(session, run)
    shown = set(frozen.option_people or [])
    not_shown = [a for a in attendees.values() if a.consent_game and a.id not in shown]
    refused = [a for a in attendees.values() if not a.consent_game]
    other_event = make.event()
    stranger = consenting(make, other_event, "Stranger")
    people.set_avatar(session, attendee=stranger, upload=_png(), now=NOW)
    session.commit()
    for attendee in [*not_shown, *refused, stranger]:
        assert client.get(f"/quiz-avatar/{run.id}/{attendee.id}").status_code == 404
    assert client.get(f"/quiz-avatar/{run.id + 99}/{next(iter(shown))}").status_code == 404
    # someone shown who withdraws their consent disappears at once
    shown_person = session.get(type(stranger), next(iter(shown)))
    assert client.get(f"/quiz-avatar/{run.id}/{shown_person.id}").status_code == 200
    shown_person.consent_game = False
    session.commit()
    assert client.get(f"/quiz-avatar/{run.id}/{shown_person.id}").status_code == 404


def test_deleting_a_profile_forgets_the_person_in_quizzes(
    session: Any, kit: QuizKit, crowd: tuple[Any, dict[str, Any]]
) -> None:
    event, attendees = crowd
    maria = attendees["Maria Fernández"]
    quiz = kit.quiz(event)
    people_round.add_people_round(session, quiz=quiz, count=6, now=NOW, seed=2)
    session.commit()
    about_maria = [q.id for q in quiz.questions if maria.id in service.people_in(q)]
    assert about_maria
    run = kit.run(quiz)
    player = kit.attendee_player(run, maria)
    assert player.nickname == "Maria Fernández"
    exported = people.export_data(session, attendee=maria)
    assert exported["quiz_games"][0]["nickname"] == "Maria Fernández"
    people.delete_profile(session, attendee=maria, now=NOW)
    session.commit()
    session.expire_all()
    assert session.get(type(player), player.id).nickname == f"Player {maria.id}"
    remaining = {q.id for q in session.get(type(quiz), quiz.id).questions}
    assert not remaining & set(about_maria)
