"""Progress lines of pytest-xdist workers, printed by the controller while the workers run;
and which workers are still working, so that the last one can take every core.

An xdist worker's output never reaches the terminal, so a run with ``-n 2`` would sit
silent through a 15-minute MD stage. Instead each worker appends its progress lines,
prefixed with its id (``[gw0]``), to one file the controller names in the worker's
``workerinput``; a background thread of the controller prints new complete lines every
``interval_s`` and once more when it stops, so no line is lost. Lines are short single
``write`` calls in append mode, so two workers' lines never interleave within a line.

The same folder holds one ``done-<worker>`` file per worker whose session has finished
(:class:`WorkerPresence`): a worker that sees all the others done may raise its torch
threads to every core for the rest of its work (measured on the main job with ``-n 2``: the
hexane MD worker ran alone for the last 90-120 s on one of two cores).
"""

from __future__ import annotations

import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path


def worker_line_writer(path: Path | str, worker_id: str) -> Callable[[str], None]:
    """A ``write(line)`` for a worker's :class:`~insbench.workflows.session.ProgressPrinter`.

    Progress is never worth a failed stage: where the file cannot be written (a remote
    worker, ``--tx ssh=...``, does not see the controller's temporary folder) the worker
    warns once and drops its progress lines from then on.
    """
    path = Path(path)
    broken: list[OSError] = []

    def write(line: str) -> None:
        if broken:
            return
        try:
            with path.open("a", encoding="utf-8") as handle:
                handle.write(f"[{worker_id}] {line}\n")
        except OSError as error:
            broken.append(error)
            warnings.warn(f"insbench: worker {worker_id} cannot write progress lines to {path} ({error}); "
                          "its progress is not shown", RuntimeWarning, stacklevel=2)

    return write


class ProgressRelay:
    """Prints the lines workers append to :attr:`path` through ``write``, from a daemon thread."""

    def __init__(self, write: Callable[[str], None], interval_s: float = 1.0) -> None:
        self._write = write
        self._interval_s = interval_s
        self._dir = Path(tempfile.mkdtemp(prefix="insbench-progress-"))
        self.path = self._dir / "progress.log"
        self.path.touch()
        self._offset = 0
        self._partial = b""
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="insbench-progress-relay", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            self.drain()

    def drain(self) -> None:
        """Print every complete line appended since the last call."""
        with self._lock:
            try:
                with self.path.open("rb") as handle:
                    handle.seek(self._offset)
                    chunk = handle.read()
            except FileNotFoundError:
                return
            self._offset += len(chunk)
            *lines, self._partial = (self._partial + chunk).split(b"\n")
            for line in lines:
                if line.strip():
                    self._write(line.decode("utf-8", errors="replace"))

    def stop(self) -> None:
        """Stop the thread, print what is left, remove the file (safe to call twice)."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join(timeout=5 * self._interval_s + 1.0)
        self.drain()
        if self._partial.strip():
            self._write(self._partial.decode("utf-8", errors="replace"))
            self._partial = b""
        for leftover in self._dir.iterdir():  # the progress file and the workers' done-* markers
            leftover.unlink(missing_ok=True)
        try:
            self._dir.rmdir()
        except OSError:
            pass


class WorkerPresence:
    """Whether every other xdist worker of this run has finished (checked at most every ``interval_s``).

    Each worker leaves ``done-<id>`` in the controller's progress folder when its session ends;
    counting those avoids the start-up race of counting workers that have not started yet.
    """

    def __init__(self, folder: Path | str, worker_id: str, worker_count: int, interval_s: float = 2.0) -> None:
        self._folder = Path(folder)
        self._worker_id = worker_id
        self._worker_count = worker_count
        self._interval_s = interval_s
        self._next_check = 0.0

    def others_done(self) -> bool:
        if self._worker_count < 2:
            return False
        now = time.monotonic()
        if now < self._next_check:
            return False
        self._next_check = now + self._interval_s
        try:
            done = {p.name for p in self._folder.glob("done-*")}
        except OSError:
            return False
        return len(done - {f"done-{self._worker_id}"}) >= self._worker_count - 1

    def mark_done(self) -> None:
        try:
            (self._folder / f"done-{self._worker_id}").touch()
        except OSError:  # a remote worker without the controller's folder: nothing to tell
            pass
