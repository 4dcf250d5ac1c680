"""A daemon thread that polls a stats source and hands changed snapshots to a callback, at most 10 Hz.

It owns the live-update rules: never poll faster than `MIN_INTERVAL`, push only when the snapshot
changed, and exit promptly when stopped (widget closed) or at interpreter exit (kernel shutdown/restart).
"""
from __future__ import annotations

import atexit
import threading
import time
import weakref
from typing import Callable, Mapping

MIN_INTERVAL = 0.1  # seconds: the dashboard promises at most 10 updates per second

_live: "weakref.WeakSet[Poller]" = weakref.WeakSet()


class Poller:
    """Calls `source()` every `interval` seconds on a daemon thread and `on_change(doc)` when it differs.

    `clock` and `sleep` are injectable so tests can check the rate without waiting; the stop event
    doubles as the sleep so `stop()` wakes the thread at once instead of after a full interval.
    """

    def __init__(self, source: Callable[[], Mapping], on_change: Callable[[Mapping], None],
                 interval: float = 0.2, *, on_error: Callable[[BaseException], None] | None = None,
                 keep_going: Callable[[], bool] = lambda: True,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.source, self.on_change, self.on_error = source, on_change, on_error
        self.keep_going = keep_going
        self.interval = max(MIN_INTERVAL, float(interval))
        self.clock = clock
        self.polls = 0
        self.pushes = 0
        self._last: Mapping | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "Poller":
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="tierjit-dashboard-poller", daemon=True)
            _live.add(self)
            self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout)

    def poll_once(self) -> bool:
        """One poll: returns True when the snapshot changed and was pushed."""
        self.polls += 1
        doc = self.source()
        if doc == self._last:
            return False
        self._last = doc
        self.on_change(doc)
        self.pushes += 1
        return True

    def _run(self) -> None:
        # keep_going lets the owner end the thread when its widget has gone (comm closed by the frontend).
        while not self._stop.is_set() and self.keep_going():
            started = self.clock()
            try:
                self.poll_once()
            except Exception as exc:  # a failing source must not kill the thread silently forever
                if self.on_error is not None:
                    self.on_error(exc)
            # Timed from the poll's start: consecutive polls are always >= interval apart, even when one is slow.
            self._stop.wait(max(0.0, started + self.interval - self.clock()))


@atexit.register
def stop_all() -> None:
    """Stops every running poller; runs at interpreter exit, i.e. when the kernel shuts down or restarts."""
    for poller in list(_live):
        poller.stop(timeout=0.5)
