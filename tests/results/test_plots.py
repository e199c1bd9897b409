"""The PNGs the results store keeps, opened with Pillow (SYNTHETIC spectra)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from insbench.results.plots import plot_pressure_response
from insbench.results.store_index import load_index


def _ink_fraction(image: Image.Image) -> float:
    """Share of pixels that are not (near-)white: a blank or failed figure has ~0."""
    grey = np.asarray(image.convert("L"), dtype=float)
    return float((grey < 200).mean())


def test_spectral_plot_of_a_record_is_a_real_png(synthetic_results):
    record = load_index(synthetic_results).get("synthetic-soft", "hexane", "spectra")
    [(case_id, png)] = record.png_files()
    assert case_id == "hexane-0GPa-relaxed-cell-vs-measured"
    with Image.open(png) as image:
        assert image.format == "PNG"
        windows = len(record.cases[case_id]["windows"])
        # figsize (6.5 x n_windows, 4.4) inches at 110 dpi
        assert image.size == (round(6.5 * windows * 110), round(4.4 * 110))
        assert 0.01 < _ink_fraction(image) < 0.5


def test_pressure_plot_marks_bands_on_both_pressures(tmp_path):
    x = np.linspace(0.0, 400.0, 801)
    low = np.exp(-0.5 * ((x - 200.0) / 4.0) ** 2)
    high = np.exp(-0.5 * ((x - 206.0) / 4.0) ** 2)
    path = plot_pressure_response(
        tmp_path / "pressure.png", title="SYNTHETIC", model_spectra={0.0: (x, low), 1.5: (x, high)},
        reference_spectra={0.0: (x, low, "SYNTHETIC reference")},
        marked_bands=[{"label": "band", "position_cm1": 200.0, "shift_cm1": 6.0},
                      {"label": "untracked", "position_cm1": None, "shift_cm1": None}],
        window_cm1=(100.0, 300.0))
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == (11 * 110, round(4.8 * 110))
        assert 0.005 < _ink_fraction(image) < 0.5
