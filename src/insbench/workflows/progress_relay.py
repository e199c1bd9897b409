"""Progress lines of pytest-xdist workers, printed by the controller while the workers run.

An xdist worker's output never reaches the terminal, so a run with ``-n 2`` would sit
silent through a 15-minute MD stage. Instead each worker appends its progress lines,
prefixed with its id (``[gw0]``), to one file the controller names in the worker's
``workerinput``; a background thread of the controller prints new complete lines every
``interval_s`` and once more when it stops, so no line is lost. Lines are short single
``write`` calls in append mode, so two workers' lines never interleave within a line.
"""

from __future__ import annotations

import tempfile
import threading
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
        self.path.unlink(missing_ok=True)
        try:
            self._dir.rmdir()
        except OSError:
            pass
