"""Group commit: many concurrent requests, one transaction.

When a whole room answers a quiz question within a second, a transaction per answer spends
most of its time on per-transaction costs (a commit, its fsync, a round trip per statement). A
:class:`GroupCommit` lets concurrent callers with the same key share one: the first caller
becomes the *leader* and writes its own item at once; items arriving while it works queue up
and the next leader (the first of them) writes them all together. At low load every item is
written alone, without waiting; under load batches grow by themselves to whatever arrived
during one write. Nobody returns before the transaction holding their item has committed, so an
acknowledgement still means "stored".

There is no background worker: leaders are the callers' own greenlets (or threads), each
working in its own application context, so a leader's failure reaches exactly the callers of
its batch. Under gevent, ``threading`` is monkey-patched and the locks and events below are
cooperative.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")


@dataclass(eq=False)
class _Waiter(Generic[Item, Outcome]):
    item: Item
    ready: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    outcome: Outcome | BaseException | None = None


class GroupCommit(Generic[Item, Outcome]):
    """Run ``write(key, items)`` for batches of concurrent :meth:`submit` calls per key.

    ``write`` must return one outcome per item, in order (an exception as an outcome is raised
    in that item's caller); if it raises, every caller of that batch gets the exception.
    """

    def __init__(
        self,
        write: Callable[[Hashable, Sequence[Item]], Sequence[Outcome | BaseException]],
        *,
        max_batch: int = 500,
    ) -> None:
        self._write = write
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queues: dict[Hashable, list[_Waiter[Item, Outcome]]] = {}

    def submit(self, key: Hashable, item: Item) -> Outcome:
        """Write ``item`` with whatever else is waiting under ``key``; return its outcome once
        the batch is written (or raise its exception)."""
        waiter: _Waiter[Item, Outcome] = _Waiter(item)
        with self._lock:
            queue = self._queues.get(key)
            if queue is None:
                self._queues[key] = [waiter]  # nobody writing: lead
                waiter.lead = True
            else:
                queue.append(waiter)
        if not waiter.lead:
            waiter.ready.wait()
        if waiter.lead:
            self._lead(key, waiter)
        if isinstance(waiter.outcome, BaseException):
            raise waiter.outcome
        return waiter.outcome  # type: ignore[return-value]

    def _lead(self, key: Hashable, leader: _Waiter[Item, Outcome]) -> None:
        # Let callers that are ready to run queue their items first (a no-op without gevent).
        time.sleep(0)
        with self._lock:
            queue = self._queues[key]
            batch, rest = queue[: self._max_batch], queue[self._max_batch :]
            queue[:] = [leader, *rest]  # the key stays "being written" while we write
        outcomes: Sequence[Outcome | BaseException] | None = None
        try:
            outcomes = self._write(key, [w.item for w in batch])
            if len(outcomes) != len(batch):
                raise RuntimeError("a group commit's write returned the wrong number of outcomes")
        except Exception as exc:  # every caller of the batch learns of the failure
            outcomes = [exc] * len(batch)
        finally:  # even when the leader is killed, its batch is answered and a successor leads
            if outcomes is None:
                outcomes = [RuntimeError("the group commit was interrupted")] * len(batch)
            self._hand_over(key, batch, outcomes)

    def _hand_over(
        self,
        key: Hashable,
        batch: list[_Waiter[Item, Outcome]],
        outcomes: Sequence[Outcome | BaseException],
    ) -> None:
        with self._lock:
            queue = self._queues[key]
            del queue[0]
            successor = queue[0] if queue else None
            if successor is None:
                del self._queues[key]
            else:
                successor.lead = True
        for waiter, outcome in zip(batch, outcomes, strict=True):
            waiter.outcome = outcome
            waiter.ready.set()
        if successor is not None:
            successor.ready.set()

    def waiting(self, key: Hashable) -> int:
        """How many items are queued or being written under ``key`` (for tests and metrics)."""
        with self._lock:
            return len(self._queues.get(key, ()))
