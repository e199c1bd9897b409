"""plot_spectral_comparison on SYNTHETIC data (made here): measured, simulation with its
multiphonon part, fitted background."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from insbench.results.plots import multiphonon_part, plot_spectral_comparison


def _window(with_multiphonon: bool):
    x = np.linspace(400.0, 1600.0, 300)
    peaks = np.exp(-0.5 * ((x - 800.0) / 10.0) ** 2)
    background = np.full_like(x, 0.2)
    data = {
        "energy_cm1": x,
        "measured_minus_background": peaks,
        "scaled_simulated": peaks + 0.3 * (x / 1600.0),
        "background": background,
        "reference_peaks_cm1": [800.0],
        "simulated_peaks_cm1": [802.0],
        "scores": {"w1_cm1": 3.0, "cosine": 0.9, "peak_mae_cm1": 2.0, "frequency_scale": 1.002},
        "reduced_chi2": 1.3,
    }
    if with_multiphonon:
        data["multiphonon"] = 0.3 * (x / 1600.0)
    return data


def _orange_pixels(path) -> int:
    image = np.asarray(Image.open(path).convert("RGB")).astype(int)
    r, g, b = image[..., 0], image[..., 1], image[..., 2]
    # tab:orange at alpha 0.35 on white is about (255, 210, 171)
    return int(np.count_nonzero((r > 245) & (abs(g - 210) < 8) & (abs(b - 171) < 8)))


def test_multiphonon_part_is_shaded_and_only_when_given(tmp_path):
    with_part = plot_spectral_comparison(tmp_path / "a.png", title="t", reference_label="measured (SYNTHETIC)",
                                         windows={"fingerprint": _window(True)})
    without = plot_spectral_comparison(tmp_path / "b.png", title="t", reference_label="measured (SYNTHETIC)",
                                       windows={"fingerprint": _window(False)})
    assert _orange_pixels(with_part) > 1000
    assert _orange_pixels(without) < 50


def test_multiphonon_part_sums_orders_two_and_up_over_banks():
    components = {
        "Backward/order1": [1.0, 1.0], "Backward/order2": [0.5, 0.1], "Backward/orders3-10": [0.2, 0.3],
        "Forward/order1": [1.0, 1.0], "Forward/order2": [0.1, 0.1], "Backward/total": [9.0, 9.0],
    }
    assert multiphonon_part(components) == pytest.approx([0.8, 0.5])
    assert multiphonon_part({"Backward/order1": [1.0]}) is None
    assert multiphonon_part(None) is None
