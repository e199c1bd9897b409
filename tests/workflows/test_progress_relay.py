"""Progress lines of xdist workers reach the controller's terminal: unit tests of the relay."""

from __future__ import annotations

import time

import pytest

from insbench.workflows.progress_relay import ProgressRelay, worker_line_writer


def test_every_worker_line_is_printed_once_in_order_with_its_worker_id():
    printed: list[str] = []
    relay = ProgressRelay(printed.append, interval_s=0.02)
    gw0, gw1 = worker_line_writer(relay.path, "gw0"), worker_line_writer(relay.path, "gw1")
    for step in range(5):
        gw0(f"[insbench] md: {step}/5")
        gw1(f"[insbench] relax: {step}/5")
    deadline = time.monotonic() + 5
    while len(printed) < 10 and time.monotonic() < deadline:  # the thread prints while workers run
        time.sleep(0.02)
    assert len(printed) == 10
    relay.stop()
    assert [line for line in printed if line.startswith("[gw0]")] == [f"[gw0] [insbench] md: {s}/5" for s in range(5)]
    assert [line for line in printed if line.startswith("[gw1]")] == [f"[gw1] [insbench] relax: {s}/5" for s in range(5)]
    assert not relay.path.exists()  # the file is removed
    relay.stop()  # a second stop is harmless


def test_stop_prints_what_came_after_the_last_poll_and_a_line_without_its_newline():
    printed: list[str] = []
    relay = ProgressRelay(printed.append, interval_s=60)  # the thread never polls in this test
    worker_line_writer(relay.path, "gw0")("[insbench] phonons: 60/60")
    with relay.path.open("a") as handle:
        handle.write("[gw1] cut short")  # a worker killed mid-line
    assert printed == []
    started = time.monotonic()
    relay.stop()
    assert time.monotonic() - started < 5  # stop does not wait for the next poll
    assert printed == ["[gw0] [insbench] phonons: 60/60", "[gw1] cut short"]


def test_blank_lines_are_not_printed():
    printed: list[str] = []
    relay = ProgressRelay(printed.append, interval_s=60)
    with relay.path.open("a") as handle:
        handle.write("\n\n[gw0] x\n\n")
    relay.stop()
    assert printed == ["[gw0] x"]


def test_a_worker_that_cannot_write_warns_once_and_goes_on(tmp_path):
    write = worker_line_writer(tmp_path / "no-such-folder" / "progress.log", "gw3")  # a remote worker
    with pytest.warns(RuntimeWarning, match="gw3 cannot write progress lines"):
        write("[insbench] md: 1/600")
    write("[insbench] md: 2/600")  # no second warning, no exception


def test_a_worker_is_alone_only_once_every_other_worker_has_finished(tmp_path):
    from insbench.workflows.progress_relay import WorkerPresence

    gw0, gw1, gw2 = (WorkerPresence(tmp_path, f"gw{i}", 3, interval_s=0.0) for i in range(3))
    assert not gw0.others_done()  # nobody finished (and workers not yet started do not count as done)
    gw1.mark_done()
    assert not gw0.others_done()
    gw0.mark_done()  # its own marker does not count for itself
    assert gw2.others_done()  # gw2 sees gw0 and gw1 done
    single = WorkerPresence(tmp_path / "x", "gw0", 1, interval_s=0.0)
    assert not single.others_done()  # one worker is never "alone" in this sense: it already has every core


def test_the_presence_check_is_rate_limited(tmp_path):
    from insbench.workflows.progress_relay import WorkerPresence

    gw0 = WorkerPresence(tmp_path, "gw0", 2, interval_s=60.0)
    assert not gw0.others_done()  # the first check happens, finds nobody done
    WorkerPresence(tmp_path, "gw1", 2).mark_done()
    assert not gw0.others_done()  # not checked again within 60 s
