"""Scoring rules, table by table: speed, streaks, fair mode, multiple select, typed answers."""

from __future__ import annotations

import pytest

from conference.quiz import service
from conference.quiz.service import (
    choice_fraction,
    levenshtein,
    normalise_text,
    score_answer,
    streak_bonus,
    text_matches,
)


def _single(points: int = 1000, elapsed_ms: int = 0, *, limit: int = 20, **kw: object) -> int:
    args: dict = {
        "kind": "single",
        "points": points,
        "time_limit": limit,
        "correct": [1],
        "accepted": [],
        "choice": [1],
        "text": None,
        "elapsed_ms": elapsed_ms,
        "previous_streak": 0,
    }
    args.update(kw)
    return score_answer(**args).points


@pytest.mark.parametrize(
    ("points", "elapsed_ms", "limit", "expected"),
    [
        (1000, 0, 20, 1000),  # answered at once: full points
        (1000, 20_000, 20, 500),  # at the buzzer: half
        (1000, 10_000, 20, 750),  # half-way: three quarters
        (2000, 5_000, 20, 1750),
        (1000, 30_000, 20, 500),  # an extended question never pays less than half
        (1000, -50, 20, 1000),  # clock skew inside the server cannot pay more than full
        (1000, 1, 30, 1000),  # round(999.98)
        (1000, 3_000, 5, 700),  # round(1000 * (1 - 0.6 / 2))
        (1000, 7_777, 120, 968),  # round(967.6)
        (0, 0, 20, 0),  # a no-points question pays nothing
    ],
)
def test_correct_answer_earns_points_times_one_minus_half_the_time_share(
    points: int, elapsed_ms: int, limit: int, expected: int
) -> None:
    assert _single(points, elapsed_ms, limit=limit) == expected
    assert expected == round(
        points * (1 - (min(max(elapsed_ms, 0), limit * 1000) / (limit * 1000)) / 2)
    )


def test_a_wrong_answer_earns_nothing_and_ends_the_streak() -> None:
    scored = score_answer(
        kind="single",
        points=1000,
        time_limit=20,
        correct=[1],
        accepted=[],
        choice=[0],
        text=None,
        elapsed_ms=0,
        previous_streak=4,
    )
    assert (scored.correct, scored.points, scored.streak) == (False, 0, 0)


@pytest.mark.parametrize(
    ("streak", "bonus"),
    [(0, 0), (1, 0), (2, 100), (3, 200), (5, 400), (6, 500), (7, 500), (50, 500)],
)
def test_streak_bonus_is_100_per_correct_answer_after_the_first_at_most_500(
    streak: int, bonus: int
) -> None:
    assert streak_bonus(streak) == bonus


def test_a_run_of_correct_answers_adds_the_streak_bonus_up_to_the_cap() -> None:
    streak, paid = 0, []
    for _ in range(8):
        scored = score_answer(
            kind="truefalse",
            points=1000,
            time_limit=20,
            correct=[0],
            accepted=[],
            choice=[0],
            text=None,
            elapsed_ms=0,
            previous_streak=streak,
        )
        streak = scored.streak
        paid.append(scored.points)
    assert paid == [1000, 1100, 1200, 1300, 1400, 1500, 1500, 1500]
    assert streak == 8


def test_streaks_switched_off_pay_no_bonus_but_still_count() -> None:
    scored = score_answer(
        kind="single",
        points=1000,
        time_limit=20,
        correct=[1],
        accepted=[],
        choice=[1],
        text=None,
        elapsed_ms=0,
        previous_streak=3,
        streaks=False,
    )
    assert (scored.points, scored.streak) == (1000, 4)


def test_a_zero_point_question_neither_pays_nor_touches_the_streak() -> None:
    for choice in ([1], [0]):
        scored = score_answer(
            kind="single",
            points=0,
            time_limit=20,
            correct=[1],
            accepted=[],
            choice=choice,
            text=None,
            elapsed_ms=0,
            previous_streak=3,
        )
        assert (scored.points, scored.streak) == (0, 3)


@pytest.mark.parametrize(
    ("kind", "fair", "expected"),
    [
        ("people", True, 1000),  # fair mode: the full points however late
        ("people", False, 625),  # round(1000 * (1 - 0.75 / 2))
        ("single", True, 625),  # fair mode only concerns people questions
    ],
)
def test_fair_mode_drops_the_speed_part_of_people_questions(
    kind: str, fair: bool, expected: int
) -> None:
    scored = score_answer(
        kind=kind,
        points=1000,
        time_limit=20,
        correct=[2],
        accepted=[],
        choice=[2],
        text=None,
        elapsed_ms=15_000,
        previous_streak=0,
        fair_mode=fair,
    )
    assert scored.points == expected


@pytest.mark.parametrize(
    ("chosen", "fraction"),
    [
        ([0, 2], 1.0),  # every correct option, nothing else
        ([0], 0.5),  # half the correct options
        ([2], 0.5),
        ([0, 1], 0.0),  # one right, one wrong: they cancel
        ([0, 1, 2], 0.5),  # two right, one wrong
        ([0, 1, 2, 3], 0.0),  # ticking everything earns nothing
        ([1], 0.0),  # only wrong: never below zero
        ([1, 3], 0.0),
        ([], 0.0),
    ],
)
def test_multiple_select_pays_right_minus_wrong_over_correct(
    chosen: list[int], fraction: float
) -> None:
    assert choice_fraction("multiple", chosen, [0, 2]) == fraction
    scored = score_answer(
        kind="multiple",
        points=1000,
        time_limit=20,
        correct=[0, 2],
        accepted=[],
        choice=chosen,
        text=None,
        elapsed_ms=0,
        previous_streak=2,
    )
    assert scored.points == round(1000 * fraction) + (200 if fraction == 1 else 0)
    assert scored.correct is (fraction == 1.0)
    assert scored.streak == (3 if fraction == 1 else 0)


def test_multiple_select_partial_credit_also_scales_with_speed() -> None:
    scored = score_answer(
        kind="multiple",
        points=2000,
        time_limit=10,
        correct=[0, 1, 3],
        accepted=[],
        choice=[0, 1],
        text=None,
        elapsed_ms=5_000,
        previous_streak=0,
    )
    assert scored.points == round(2000 * 0.75 * (2 / 3))


@pytest.mark.parametrize(
    ("given", "accepted", "ok"),
    [
        ("Ada Lovelace", ["Ada Lovelace"], True),
        ("  ada   LOVELACE ", ["Ada Lovelace"], True),  # case and spaces
        ("Ada Lovelase", ["Ada Lovelace"], True),  # one typo
        ("Ada Lovlase", ["Ada Lovelace"], True),  # two typos in a long answer
        ("Ade Lovlase", ["Ada Lovelace"], False),  # three is too many
        ("Grace Hopper", ["Ada Lovelace"], False),
        ("zurich", ["Zürich"], True),  # accents
        ("ZÜRICH!", ["Zurich"], True),  # accents and punctuation on the other side
        ("Zurick", ["Zürich"], True),  # one typo in six letters
        ("Zurch", ["Zürich"], True),
        ("Zurck", ["Zürich"], False),
        ("Zrck", ["Zürich"], False),  # two typos in six letters
        ("Soren", ["Søren"], True),  # letters NFKD does not split
        ("Paris.", ["Paris"], True),
        ("Pari", ["Paris"], True),
        ("Pa", ["Paris"], False),
        ("43", ["42"], False),  # numbers must be exact
        ("1968", ["1969"], False),
        ("1969", ["1969"], True),
        ("Ga", ["Go"], False),  # two letters must be exact
        ("go", ["Go"], True),
        ("C", ["C++"], False),
        ("Rust", ["Ruby"], False),
        ("Python", ["Rust", "python"], True),  # any accepted answer
        ("", ["Paris"], False),
        ("   ", ["Paris"], False),
    ],
)
def test_typed_answers_forgive_case_accents_and_small_typos(
    given: str, accepted: list[str], ok: bool
) -> None:
    assert text_matches(given, accepted) is ok


def test_typed_answer_scores_like_a_correct_choice() -> None:
    scored = score_answer(
        kind="text",
        points=1000,
        time_limit=20,
        correct=[],
        accepted=["Kafka"],
        choice=None,
        text="kafka",
        elapsed_ms=10_000,
        previous_streak=1,
    )
    assert (scored.correct, scored.points, scored.streak) == (True, 750 + 100, 2)


@pytest.mark.parametrize(
    ("a", "b", "limit", "distance"),
    [
        ("kitten", "sitting", 5, 3),
        ("kitten", "sitting", 2, 3),  # stops early: limit + 1
        ("", "abc", 5, 3),
        ("abc", "abc", 0, 0),
        ("abcdef", "abcdefgh", 1, 2),
        ("flaw", "lawn", 3, 2),
    ],
)
def test_levenshtein(a: str, b: str, limit: int, distance: int) -> None:
    assert levenshtein(a, b, limit) == distance
    assert levenshtein(b, a, limit) == distance


def test_normalise_text() -> None:
    assert normalise_text("  Crème  Brûlée! ") == "creme brulee"
    assert normalise_text("STRASSE") == normalise_text("Straße")
    assert service.typo_allowance("abcdef") == 1
    assert service.typo_allowance("abcdefg") == 2
