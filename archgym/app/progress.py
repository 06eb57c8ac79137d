"""Progress of long commands on stderr, one helper for all of them (train, search, bench, sweep,
demo, propose): a tqdm bar with rate and ETA when stderr is a terminal, otherwise one plain line
every :data:`EVERY_S` seconds (logs and CI see the same numbers without carriage returns). A
background heartbeat keeps both alive while one unit of work takes long (a 5-minute BO run in a
benchmark): the bar's clock ticks each second, and a line is printed when none was for ``EVERY_S``.
Constants and their sources: docs/workflows.md."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TextIO

from typing_extensions import Self

#: seconds between two plain progress lines when stderr is not a terminal (issue 21: "a line every 30 s")
EVERY_S = 30.0
#: seconds between two redraws of the bar while no work is reported (tqdm's own default mininterval is 0.1 s)
BAR_TICK_S = 1.0


class Progress:
    """``total`` units of work labelled ``label``; :meth:`update` by a count or :meth:`set` to a
    total done. ``bar``: True/False forces the tqdm bar on/off; None (default) shows it exactly
    when stderr is a terminal. ``note`` text (best cost so far …) follows the counts."""

    def __init__(self, total: int, label: str, unit: str = "eval", initial: int = 0, bar: bool | None = None,
                 every_s: float | None = None, stream: TextIO | None = None):
        self.total, self.label, self.unit = int(total), label, unit
        self.done = self._start = int(initial)
        self.stream = stream if stream is not None else sys.stderr
        self.every_s = EVERY_S if every_s is None else every_s
        self.note = ""
        self._t0 = self._last = time.perf_counter()
        self._bar: Any = None
        if self.stream.isatty() if bar is None else bar:
            from tqdm import tqdm

            self._bar = tqdm(total=self.total, initial=self.done, desc=label, unit=unit, dynamic_ncols=True,
                             smoothing=0.1, file=self.stream)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        tick = BAR_TICK_S if self._bar is not None else self.every_s
        if tick > 0:    # every_s = 0 (a line at every update) needs no heartbeat
            threading.Thread(target=self._beat, args=(tick,), daemon=True, name=f"progress {label}").start()

    def update(self, n: int = 1, note: str | None = None) -> None:
        """``n`` more units done."""
        self.set(self.done + int(n), note)

    def set(self, done: int, note: str | None = None) -> None:
        """``done`` units done in all (never more than ``total``)."""
        step = min(int(done), self.total) - self.done
        self.done += step
        if note is not None:
            self.note = note
        if self._bar is not None:
            if note is not None:
                self._bar.set_postfix_str(note, refresh=False)
            self._bar.update(step)
            return
        self._print_due()

    def _print_due(self) -> None:
        """Print the plain line if none was printed for ``every_s``."""
        with self._lock:
            now = time.perf_counter()
            if now - self._last >= self.every_s:
                self._last = now
                print(self.line(now), file=self.stream, flush=True)

    def _beat(self, tick: float) -> None:
        while not self._stop.wait(tick):
            if self._bar is None:
                self._print_due()
            else:
                with self._lock:
                    if self._bar is not None:
                        self._bar.refresh()

    def line(self, now: float | None = None) -> str:
        """The plain progress line: done/total, rate, elapsed and ETA, and the note."""
        elapsed = (time.perf_counter() if now is None else now) - self._t0
        rate = (self.done - self._start) / elapsed if elapsed > 0 else 0.0
        eta = f"{(self.total - self.done) / rate:.0f} s" if rate > 0 else "?"
        note = f"; {self.note}" if self.note else ""
        return (f"{self.label}: {self.done}/{self.total} {self.unit}s, {rate:.3g} {self.unit}/s, "
                f"{elapsed:.0f} s elapsed, ETA {eta}{note}")

    def write(self, text: str) -> None:
        """A message on the progress stream that does not break the bar."""
        if self._bar is not None:
            self._bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def best_so_far(bar: Progress) -> Callable[[Any], bool]:
    """An ``agents.base.run`` callback that moves ``bar`` to the evaluations done, noting the best
    cost so far (never stops the run)."""
    best, seen = float("inf"), 0

    def callback(history: Any) -> bool:
        nonlocal best, seen
        best, seen = min([best, *history.costs[seen:]]), len(history.costs)
        bar.set(history.evaluations, f"best cost {best:.4g}")
        return False
    return callback
