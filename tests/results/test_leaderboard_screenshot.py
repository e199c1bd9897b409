"""Headless-Chromium screenshot of the leaderboard page (SYNTHETIC records).

Opens the page from disk in Debian's chromium (no server, no network) and checks, with
Pillow, that the PNG is a real rendering of the like-for-like page: the requested size,
not blank, one comparability-key box per table (counted in the pixels), "not run" and
self-reference cells drawn in their own colours. CI installs chromium (.ci/run); locally:
``apt-get install -y chromium`` (README, Tests). Where ``INSBENCH_REQUIRE_BROWSER`` is set
(.ci/run sets it) or ``CI`` is set, a missing browser fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from PIL import Image

from insbench.results.leaderboard import build_leaderboard, write_leaderboard
from insbench.results.store_index import load_index

from .test_leaderboard import _edit_case, _md

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--force-device-scale-factor=1")
WIDTH, HEIGHT = 1400, 2400
# colours from results/templates/leaderboard.css
KEY_BORDER = (0x09, 0x69, 0xda)   # .key border-left: one box per table
NOT_RUN_BG = (0xf6, 0xf8, 0xfa)   # td.score.not-run
SELF_REF_BG = (0xff, 0xf8, 0xc5)  # td.score.self-reference
PASS_BG = (0xda, 0xfb, 0xe1)      # td.score.pass


def browser() -> str:
    found = next((path for name in BROWSERS if (path := shutil.which(name))), None)
    if found is None:
        message = ("no Chromium found (looked for " + ", ".join(BROWSERS) + "); install it with "
                   "`apt-get install -y chromium` (as .ci/run does)")
        if os.environ.get("INSBENCH_REQUIRE_BROWSER") or os.environ.get("CI"):
            pytest.fail(message + "; CI must run this test, not skip it")
        pytest.skip(message)
    return found


def screenshot(page, png, tmp_path, width: int = WIDTH, height: int = HEIGHT) -> Image.Image:
    command = [browser(), *FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}",
               f"--window-size={width},{height}", f"--screenshot={png}", page.resolve().as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0 and png.is_file(), f"chromium failed ({done.returncode}): {done.stderr[-2000:]}"
    return Image.open(png).convert("RGB")


def inked(image: Image.Image) -> float:
    """Fraction of pixels that are not the white page background."""
    white = dict((colour, n) for n, colour in image.getcolors(maxcolors=1 << 24)).get((255, 255, 255), 0)
    return 1.0 - white / (image.size[0] * image.size[1])


def key_boxes(image: Image.Image) -> int:
    """Number of separate vertical runs of the key-box border colour in its column."""
    width, height = image.size
    pixels = image.load()
    best_x = max(range(width // 3), key=lambda x: sum(pixels[x, y] == KEY_BORDER for y in range(0, height, 4)))
    runs, inside = 0, False
    for y in range(height):
        hit = pixels[best_x, y] == KEY_BORDER
        runs += hit and not inside
        inside = hit
    return runs


def test_leaderboard_screenshot_shows_each_comparability_table(synthetic_results, tmp_path):
    _md(synthetic_results, "synthetic-good", "smoke", value=0.03, threshold=0.08)
    _md(synthetic_results, "synthetic-soft", "standard", value=0.03, threshold=0.05)
    _edit_case(synthetic_results, "synthetic-soft", self_reference=True)
    board = build_leaderboard(load_index(synthetic_results), n_resamples=0)
    assert sorted(str(t.key.md_level) for t in board.tables) == ["None", "smoke", "standard"]
    page = write_leaderboard(board, tmp_path / "board")["html"]
    html = page.read_text()
    assert html.count('<div class="key">') == 3 and "MD level smoke" in html and "MD level standard" in html

    image = screenshot(page, tmp_path / "shot.png", tmp_path)
    assert image.size == (WIDTH, HEIGHT)
    counts = {colour: n for n, colour in image.getcolors(maxcolors=1 << 24)}
    assert inked(image) > 0.05, "the screenshot looks blank"
    assert key_boxes(image) == 3, "expected one comparability-key box per table in the rendering"
    assert counts.get(PASS_BG, 0) > 500 and counts.get(SELF_REF_BG, 0) > 500
    # the smoke model was not run at the standard level and vice versa: not-run cells are drawn
    assert counts.get(NOT_RUN_BG, 0) > 500


def test_screenshot_check_catches_a_page_without_tables(tmp_path):
    """The pixel check is not vacuous: a page with no key boxes counts zero."""
    page = tmp_path / "empty.html"
    page.write_text("<!DOCTYPE html><html><body><h1>nothing</h1></body></html>")
    image = screenshot(page, tmp_path / "empty.png", tmp_path, 800, 600)
    assert image.size == (800, 600) and key_boxes(image) == 0
    assert inked(image) < 0.02
