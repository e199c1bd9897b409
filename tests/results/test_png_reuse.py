"""A PNG drawn from unchanged inputs is not drawn again (results.png_reuse), on SYNTHETIC data made here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from insbench.results import plots, png_reuse, pressure_figure
from insbench.results.png_reuse import DIGEST_KEY, inputs_digest, is_current, png_digest
from tests.results.test_pressure_figure import WINDOW, panels
from tests.results.test_spectral_plot import _window

CODE = plots.__file__


@dataclass(frozen=True)
class _Point:
    x_cm1: float
    label: str


def test_digest_is_stable_and_changes_with_every_input(tmp_path):
    base = {"x": np.arange(4.0), "label": "a", "points": [_Point(1.0, "p")], "n": 3, "none": None}
    same = {"none": None, "n": 3, "points": [_Point(1.0, "p")], "label": "a", "x": np.arange(4.0)}
    assert inputs_digest(CODE, base) == inputs_digest(CODE, same)
    changed = [
        {**base, "x": np.array([0.0, 1.0, 2.0, 3.0 + 1e-12])},  # one element, far below print precision
        {**base, "x": np.arange(4.0, dtype=np.float32)},  # same values, other dtype
        {**base, "label": "b"},
        {**base, "points": [_Point(1.0, "q")]},
        {**base, "n": 3.0},  # an int is not a float
        {**base, "extra": 1},
    ]
    digests = {inputs_digest(CODE, c) for c in changed}
    assert len(digests) == len(changed) and inputs_digest(CODE, base) not in digests
    other_code = tmp_path / "drawing.py"
    other_code.write_text("# another drawing module\n")
    assert inputs_digest(str(other_code), base) != inputs_digest(CODE, base)
    assert inputs_digest((CODE, str(other_code)), base) != inputs_digest(CODE, base)


def test_digest_refuses_what_it_cannot_fingerprint():
    with pytest.raises(TypeError, match="cannot fingerprint a object"):
        inputs_digest(CODE, {"x": object()})


def test_no_digest_in_a_missing_foreign_or_plain_png(tmp_path):
    assert png_digest(tmp_path / "missing.png") is None
    (tmp_path / "text.png").write_text("not a png")
    assert png_digest(tmp_path / "text.png") is None
    Image.new("RGB", (4, 4), "white").save(tmp_path / "plain.png")
    assert png_digest(tmp_path / "plain.png") is None
    assert not is_current(tmp_path / "plain.png", "0" * 64)


def _count_saves(monkeypatch) -> list[Path]:
    saved: list[Path] = []
    real = png_reuse.save_png
    for module in (plots, pressure_figure):
        monkeypatch.setattr(module, "save_png", lambda fig, path, digest, **kw: saved.append(path) or real(fig, path, digest, **kw))
    return saved


def test_spectral_plot_is_drawn_once_per_set_of_inputs(tmp_path, monkeypatch):
    saved = _count_saves(monkeypatch)
    path = tmp_path / "spectral.png"
    args = {"title": "t", "reference_label": "measured (SYNTHETIC)", "windows": {"fingerprint": _window(True)}}
    assert plots.plot_spectral_comparison(path, **args) == path
    with Image.open(path) as image:
        assert image.info[DIGEST_KEY] == png_digest(path)
    before = path.stat().st_mtime_ns
    plots.plot_spectral_comparison(path, **args)
    assert saved == [path] and path.stat().st_mtime_ns == before
    plots.plot_spectral_comparison(path, **{**args, "title": "t2"})
    assert saved == [path, path]
    path.write_bytes(b"damaged")  # not a PNG any more: drawn again
    plots.plot_spectral_comparison(path, **{**args, "title": "t2"})
    assert len(saved) == 3 and png_digest(path) is not None


def test_pressure_figure_is_drawn_once_per_set_of_inputs(tmp_path, monkeypatch):
    saved = _count_saves(monkeypatch)
    path = tmp_path / "pressure.png"
    summary = pressure_figure.plot_pressure_figure(path, title="SYNTHETIC", panels=panels(), window_cm1=WINDOW)
    assert summary is not None and summary.arrows
    assert pressure_figure.plot_pressure_figure(path, title="SYNTHETIC", panels=panels(), window_cm1=WINDOW) is None
    assert saved == [path]
    moved = panels()
    moved[0] = pressure_figure.PressurePanel(moved[0].title, moved[0].spectra, shifts=moved[0].shifts[:1])
    assert pressure_figure.plot_pressure_figure(path, title="SYNTHETIC", panels=moved, window_cm1=WINDOW) is not None
    assert saved == [path, path]
