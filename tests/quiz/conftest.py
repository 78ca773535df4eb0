"""Quiz fixtures: the quiz kit, unthrottled broadcasts, and no timer outliving its test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from conference.quiz import timers
from tests.quiz.helpers import QuizKit


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Broadcasts are not throttled in tests, so each test sees every one at once."""
    return {"QUIZ_LOBBY_INTERVAL": 0, "QUIZ_COUNT_INTERVAL": 0}


@pytest.fixture(autouse=True)
def _stop_timers(request: pytest.FixtureRequest) -> Iterator[None]:
    """No timer greenlet outlives its test (and its database)."""
    yield
    if "app" in request.fixturenames:
        timers.stop_all(request.getfixturevalue("app"))


@pytest.fixture
def kit(session: Any, make: Any) -> QuizKit:
    """Quiz builders bound to the test session."""
    return QuizKit(session, make)
