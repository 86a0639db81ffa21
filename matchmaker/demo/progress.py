"""How loading the demo tells what it is doing. The loader names each step and counts long work;
the command line shows that as lines and a progress bar, tests and other callers stay quiet."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol


class Progress(Protocol):
    def step(self, text: str) -> None:
        """A new step begins ("Building the demo arena…")."""

    def bar(self, label: str, length: int) -> Iterator[Callable[[int], None]]:
        """A context manager around counted work; yields a function to call with each n done."""


class Quiet:
    """Progress nobody watches."""

    def step(self, text: str) -> None:
        pass

    @contextmanager
    def bar(self, label: str, length: int) -> Iterator[Callable[[int], None]]:
        yield lambda n: None


QUIET = Quiet()
