"""Headless-browser screenshot of the leaderboard HTML (SYNTHETIC records).

Opens the page from disk with Chromium (no server, no network) and checks the
screenshot is a real rendering: a PNG of the requested size that is not blank.
Skipped when no Chromium is installed (`apt-get install -y chromium`).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib

import pytest

from insbench.results.leaderboard import build_leaderboard, write_leaderboard
from insbench.results.store_index import load_index

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars")


def _browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def _png_size_and_colours(path) -> tuple[int, int, int]:
    """(width, height, distinct byte values of the decompressed image data) of an RGB(A) PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    chunks, pos = [], 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            chunks.append(data[pos + 8:pos + 8 + length])
        pos += 12 + length
    pixels = zlib.decompress(b"".join(chunks))
    return width, height, len(set(pixels[: 4 * width * 200]))


def test_leaderboard_renders_in_headless_chromium(synthetic_results, tmp_path):
    browser = _browser()
    if browser is None:
        pytest.skip("no Chromium found (looked for " + ", ".join(BROWSERS) + "); "
                    "install it with `apt-get install -y chromium` to run this test")
    board = build_leaderboard(load_index(synthetic_results), n_resamples=0)
    page = write_leaderboard(board, tmp_path / "board")["html"]
    shot = tmp_path / "shot.png"
    command = [browser, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,1600",
               f"--screenshot={shot}", page.resolve().as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and shot.is_file(), f"chromium failed: {done.stderr[-2000:]}"
    width, height, distinct = _png_size_and_colours(shot)
    assert (width, height) == (1280, 1600)
    assert distinct > 20, "the screenshot looks blank"
