"""The polling thread: rate limit, change-only pushes, clean stop."""
import itertools
import threading
import time

from tierjit.widgets.poller import MIN_INTERVAL, Poller, stop_all


def test_never_polls_faster_than_ten_times_a_second_even_if_asked_to():
    counter = itertools.count()
    poller = Poller(lambda: {"n": next(counter)}, lambda doc: None, interval=0.001)
    assert poller.interval == MIN_INTERVAL
    started = time.monotonic()
    poller.start()
    time.sleep(1.0)
    poller.stop()
    elapsed = time.monotonic() - started
    # Every snapshot differs, so every poll is a push: the push rate is bounded by 10 Hz.
    assert poller.pushes == poller.polls
    assert 3 <= poller.pushes <= 10 * elapsed + 1


def test_polls_are_spaced_by_the_interval_measured_on_the_clock():
    starts = []
    poller = Poller(lambda: starts.append(time.monotonic()) or {"n": len(starts)}, lambda d: None, interval=0.1)
    poller.start()
    time.sleep(0.75)
    poller.stop()
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert gaps and min(gaps) >= MIN_INTERVAL - 0.005


def test_only_changed_snapshots_are_pushed():
    pushed = []
    docs = iter([{"a": 1}, {"a": 1}, {"a": 2}, {"a": 2}, {"a": 2}])
    poller = Poller(lambda: next(docs), pushed.append)
    for _ in range(5):
        poller.poll_once()
    assert pushed == [{"a": 1}, {"a": 2}] and poller.polls == 5


def test_stop_wakes_the_thread_at_once_and_it_exits():
    poller = Poller(lambda: {}, lambda d: None, interval=30.0).start()
    time.sleep(0.05)
    started = time.monotonic()
    poller.stop()
    assert not poller.running and time.monotonic() - started < 1.0


def test_thread_exits_when_its_owner_says_so():
    alive = threading.Event()
    alive.set()
    poller = Poller(lambda: {}, lambda d: None, interval=0.1, keep_going=alive.is_set).start()
    alive.clear()
    poller._thread.join(2.0)
    assert not poller.running


def test_interpreter_exit_hook_stops_every_poller():
    pollers = [Poller(lambda: {}, lambda d: None, interval=5.0).start() for _ in range(3)]
    stop_all()
    assert not any(p.running for p in pollers)
    assert all(t.name != "tierjit-dashboard-poller" for t in threading.enumerate())
