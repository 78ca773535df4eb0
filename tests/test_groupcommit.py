"""Group commit: concurrent callers share writes, and each gets its own outcome."""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable, Sequence

import pytest

from conference.groupcommit import GroupCommit


class Recorder:
    """A write that records its batches and can be held open to let callers pile up."""

    def __init__(self) -> None:
        self.batches: list[tuple[Hashable, list[int]]] = []
        self.hold = threading.Event()
        self.hold.set()
        self.entered = threading.Event()

    def write(self, key: Hashable, items: Sequence[int]) -> list[int | BaseException]:
        self.batches.append((key, list(items)))
        self.entered.set()
        self.hold.wait(5)
        return [ValueError(f"bad {i}") if i < 0 else i * 10 for i in items]


def _wait_for(condition: object, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def _submit_in_threads(
    group: GroupCommit[int, int], key: Hashable, items: Sequence[int]
) -> tuple[list[threading.Thread], dict[int, object]]:
    outcomes: dict[int, object] = {}

    def call(item: int) -> None:
        try:
            outcomes[item] = group.submit(key, item)
        except Exception as exc:
            outcomes[item] = exc

    threads = [threading.Thread(target=call, args=(i,)) for i in items]
    for thread in threads:
        thread.start()
    return threads, outcomes


def test_a_lone_caller_writes_at_once() -> None:
    recorder = Recorder()
    group: GroupCommit[int, int] = GroupCommit(recorder.write)
    assert group.submit("k", 4) == 40
    assert recorder.batches == [("k", [4])]
    assert group.waiting("k") == 0


def test_callers_arriving_during_a_write_share_the_next_one() -> None:
    recorder = Recorder()
    group: GroupCommit[int, int] = GroupCommit(recorder.write)
    recorder.hold.clear()
    first, first_outcome = _submit_in_threads(group, "k", [1])
    assert recorder.entered.wait(5)
    rest, outcomes = _submit_in_threads(group, "k", [2, 3, 4, 5])
    _wait_for(lambda: group.waiting("k") == 5)  # the writing leader and four queued
    recorder.hold.set()
    for thread in first + rest:
        thread.join(5)
    assert first_outcome == {1: 10}
    assert outcomes == {2: 20, 3: 30, 4: 40, 5: 50}
    assert recorder.batches[0] == ("k", [1])
    assert len(recorder.batches) == 2 and sorted(recorder.batches[1][1]) == [2, 3, 4, 5]
    assert group.waiting("k") == 0


def test_batches_are_capped_and_the_rest_follow() -> None:
    recorder = Recorder()
    group: GroupCommit[int, int] = GroupCommit(recorder.write, max_batch=2)
    recorder.hold.clear()
    first, _ = _submit_in_threads(group, "k", [1])
    assert recorder.entered.wait(5)
    rest, outcomes = _submit_in_threads(group, "k", [2, 3, 4, 5, 6])
    _wait_for(lambda: group.waiting("k") == 6)
    recorder.hold.set()
    for thread in first + rest:
        thread.join(5)
    assert outcomes == {2: 20, 3: 30, 4: 40, 5: 50, 6: 60}
    assert [len(items) for _, items in recorder.batches] == [1, 2, 2, 1]


def test_keys_do_not_wait_for_each_other() -> None:
    recorder = Recorder()
    group: GroupCommit[int, int] = GroupCommit(recorder.write)
    recorder.hold.clear()
    held, _ = _submit_in_threads(group, "a", [1])
    assert recorder.entered.wait(5)
    other, outcomes = _submit_in_threads(group, "b", [7])
    _wait_for(lambda: len(recorder.batches) == 2)  # "b" wrote while "a" is still writing
    assert recorder.batches[1] == ("b", [7])
    recorder.hold.set()
    for thread in held + other:
        thread.join(5)
    assert outcomes == {7: 70}


def test_an_item_refused_is_raised_in_its_own_caller_only() -> None:
    recorder = Recorder()
    group: GroupCommit[int, int] = GroupCommit(recorder.write)
    recorder.hold.clear()
    first, _ = _submit_in_threads(group, "k", [1])
    assert recorder.entered.wait(5)
    rest, outcomes = _submit_in_threads(group, "k", [2, -3])
    _wait_for(lambda: group.waiting("k") == 3)
    recorder.hold.set()
    for thread in first + rest:
        thread.join(5)
    assert outcomes[2] == 20
    assert isinstance(outcomes[-3], ValueError) and str(outcomes[-3]) == "bad -3"


def test_a_failed_write_reaches_every_caller_of_its_batch_and_the_next_batch_still_runs() -> None:
    calls: list[list[int]] = []
    hold = threading.Event()
    entered = threading.Event()

    def write(key: Hashable, items: Sequence[int]) -> list[int | BaseException]:
        calls.append(list(items))
        entered.set()
        hold.wait(5)
        if 2 in items:
            raise RuntimeError("database gone")
        return [i for i in items]

    group: GroupCommit[int, int] = GroupCommit(write)
    first, first_outcome = _submit_in_threads(group, "k", [1])
    assert entered.wait(5)
    second, outcomes = _submit_in_threads(group, "k", [2, 3])
    _wait_for(lambda: group.waiting("k") == 3)
    hold.set()
    for thread in first + second:
        thread.join(5)
    assert first_outcome == {1: 1}
    assert all(isinstance(outcomes[i], RuntimeError) for i in (2, 3))
    assert group.submit("k", 9) == 9  # the key is free again


def test_a_write_returning_the_wrong_number_of_outcomes_is_an_error() -> None:
    group: GroupCommit[int, int] = GroupCommit(lambda key, items: [])
    with pytest.raises(RuntimeError, match="wrong number"):
        group.submit("k", 1)
    assert group.waiting("k") == 0
