"""Match answers kept for a short while in each worker, so that a client paging back and forth,
a dashboard polling, or many colleagues' tools asking the same thing do not rank it again.

An answer is keyed by who asks, what exactly they ask, and the matching index's position in the
change log: any saved, published, archived or approved profile moves that position, so the next
request ranks afresh. Anything the change log does not record (an organisation renamed) shows
at most ``seconds`` late. Permission checks run on every request, before the cache is asked.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class AnswerCache:
    def __init__(self, size: int = 2048, seconds: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.size, self.seconds, self.clock = size, seconds, clock
        self._answers: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable[[], Any]) -> Any:
        now = self.clock()
        with self._lock:
            kept = self._answers.get(key)
            if kept is not None and kept[0] > now:
                self._answers.move_to_end(key)
                return kept[1]
        # Made outside the lock: two requests may both rank a new key, but none waits on another.
        answer = make()
        with self._lock:
            self._answers[key] = (now + self.seconds, answer)
            self._answers.move_to_end(key)
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)
        return answer

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
