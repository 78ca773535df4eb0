"""The demo quiz: created once, with a people round of demo attendees who agreed to play."""

from __future__ import annotations

from typing import Any

from conference import demo
from conference.people import demo as people_demo
from conference.people.models import Attendee
from conference.quiz import demo as quiz_demo
from conference.quiz import service
from conference.quiz.models import Quiz
from tests.quiz.helpers import NOW


def test_the_demo_has_a_playable_quiz_made_once(session: Any, make: Any) -> None:
    assert demo.STEPS.index(quiz_demo.seed) > demo.STEPS.index(people_demo.seed)
    event = make.event()
    people_demo.seed(session, event, NOW)
    quiz_demo.seed(session, event, NOW)
    quiz_demo.seed(session, event, NOW)
    session.commit()
    quiz = session.query(Quiz).filter_by(title=quiz_demo.DEMO_TITLE).one()
    kinds = [q.type for q in quiz.questions]
    assert kinds[:4] == ["single", "multiple", "truefalse", "text"]
    assert kinds[4:] == ["people"] * 3
    refused = {a.id for a in session.query(Attendee).filter_by(consent_game=False)}
    assert refused  # the demo has people who said no…
    assert all(not refused & service.people_in(q) for q in quiz.questions)  # …never asked about
    run = service.create_run(session, quiz=quiz, now=NOW)
    assert run.total == 7
