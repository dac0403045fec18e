"""TaskRunner: work off the UI thread, progress, Cancel, errors shown the right way."""

from __future__ import annotations

import threading

import pytest

from ppds_desktop.core.errors import InputError
from ppds_desktop.ui.worker import TaskRunner


@pytest.fixture
def runner(qtbot):
    r = TaskRunner()
    yield r
    r.cancel()
    r.wait_until_idle(5)


def test_runs_off_the_ui_thread_and_returns_the_result(qtbot, runner):
    seen = {}

    def work(x, *, task, y):
        seen["thread"] = threading.current_thread()
        task.report(0.5, "half")
        return x + y

    results = []
    with qtbot.waitSignal(runner.finished, timeout=5000) as blocker:
        assert runner.run(work, 2, y=3, title="Adding", on_done=results.append)
    assert blocker.args == [5]
    assert results == [5]
    assert seen["thread"] is not threading.main_thread()
    assert not runner.is_busy


def test_one_job_at_a_time(qtbot, runner):
    gate = threading.Event()

    def wait(*, task):
        gate.wait(5)

    with qtbot.waitSignal(runner.ended, timeout=5000):
        assert runner.run(wait, title="Waiting")
        assert runner.is_busy
        assert not runner.run(wait, title="Second")
        gate.set()


def test_progress_is_delivered_on_the_ui_thread(qtbot, runner):
    threads = []
    runner.progress.connect(lambda f, m: threads.append(threading.current_thread()))

    def work(*, task):
        for i in range(5):
            task.report(i / 4, f"step {i}")

    with qtbot.waitSignal(runner.ended, timeout=5000):
        runner.run(work, title="Stepping")
    assert threads and all(t is threading.main_thread() for t in threads)


def test_cancel_stops_the_job_quietly(qtbot, runner):
    started = threading.Event()
    steps = []

    def loop(*, task):
        started.set()
        for i in range(10_000):
            task.report(i / 10_000)
            steps.append(i)
            threading.Event().wait(0.001)
        return "not cancelled"

    failures, done, messages = [], [], []
    runner.failed.connect(failures.append)
    runner.finished.connect(done.append)
    runner.message.connect(messages.append)
    with qtbot.waitSignal(runner.cancelled, timeout=5000):
        runner.run(loop, title="Looping")
        assert started.wait(5)
        runner.cancel()
    assert not failures and not done
    assert len(steps) < 10_000
    assert runner.last_error_box is None
    assert any("cancelled" in m for m in messages)


def test_user_error_shows_message_and_hint(qtbot, runner):
    def bad(*, task):
        raise InputError("ragged row", path="x.csv", line=3, hint="fix the file")

    with qtbot.waitSignal(runner.failed, timeout=5000) as blocker:
        runner.run(bad, title="Importing")
    assert isinstance(blocker.args[0], InputError)
    box = runner.last_error_box
    assert box is not None and box.isVisible()
    assert "x.csv, line 3" in box.text()
    assert box.informativeText() == "Fix the file."
    assert not box.detailedText()
    box.close()


def test_unexpected_error_keeps_details_collapsed(qtbot, runner):
    def boom(*, task):
        raise ZeroDivisionError("division by zero")

    with qtbot.waitSignal(runner.failed, timeout=5000):
        runner.run(boom, title="Dividing")
    box = runner.last_error_box
    assert box.windowTitle() == "Unexpected error"
    assert "ZeroDivisionError" in box.detailedText()
    assert "ZeroDivisionError" not in box.text()
    box.close()


def test_on_error_replaces_the_dialog(qtbot, runner):
    errors = []

    def bad(*, task):
        raise InputError("nope")

    with qtbot.waitSignal(runner.ended, timeout=5000):
        runner.run(bad, title="Trying", on_error=errors.append)
    assert len(errors) == 1 and runner.last_error_box is None


def test_runners_of_different_views_run_side_by_side(qtbot):
    """A long job on one runner does not hold up another runner's job (even on 2 cores)."""
    gate = threading.Event()
    runners = [TaskRunner() for _ in range(3)]
    for r in runners[:2]:
        r.run(lambda *, task: gate.wait(10), title="Blocking")
    with qtbot.waitSignal(runners[2].finished, timeout=5000) as blocker:
        runners[2].run(lambda *, task: "quick", title="Quick")
    assert blocker.args == ["quick"]
    gate.set()
    for r in runners[:2]:
        r.wait_until_idle(5)


def test_a_runner_dropped_after_its_job_is_never_destroyed_on_the_worker_thread(qtbot):
    """The job lets go of everything (the task's callback holds the runner) before it says it
    returned, so the runner's last reference always goes on the UI thread."""
    import gc
    import weakref

    runner = TaskRunner()
    ref = weakref.ref(runner)
    runner.run(lambda *, task: task.report(1.0, "done") or 1, title="Quick")
    assert runner.wait_until_idle(5)
    qtbot.waitUntil(lambda: not runner.is_busy, timeout=5000)
    del runner
    gc.collect()
    assert ref() is None
