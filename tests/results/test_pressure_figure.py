"""Tests of insbench.results.pressure_figure on SYNTHETIC spectra (Gaussian peaks made
here; not measured, not computed by any model)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from insbench.results.pressure_figure import (
    BLUE_SHIFT_COLOUR,
    RED_SHIFT_COLOUR,
    BandShift,
    PressurePanel,
    build_pressure_figure,
    order_panels,
    plot_pressure_figure,
)

WINDOW = (10.0, 1200.0)


def synthetic_spectrum(peaks_cm1, shift_cm1=0.0):
    x = np.arange(0.0, 1300.0, 1.0)
    y = sum(np.exp(-0.5 * ((x - p - shift_cm1) / 6.0) ** 2) for p in peaks_cm1)
    return x, y


def panels():
    ref = PressurePanel("reference (SYNTHETIC)", {0.0: synthetic_spectrum([300, 453, 800]),
                                                   1.5: synthetic_spectrum([300, 453, 800], 2.0)},
                        shifts=(BandShift(453.0, -2.0, "453"),), is_reference=True)
    model = PressurePanel("synthetic-model", {1.5: synthetic_spectrum([310, 460], 3.0),
                                              0.0: synthetic_spectrum([310, 460])},
                          shifts=(BandShift(460.0, 3.0, "453"), BandShift(310.0, -25.0, "lattice")))
    return [model, ref]  # reference given last on purpose: it must still be drawn on top


def test_reference_on_top_and_pressures_labelled_correctly():
    import matplotlib.pyplot as plt

    fig, summary = build_pressure_figure(title="t", panels=panels(), window_cm1=WINDOW)
    assert summary.panel_titles == ["reference (SYNTHETIC)", "synthetic-model"]
    for labels in summary.legend_labels:
        assert labels[:2] == ["0 GPa", "1.5 GPa"]  # ambient first, high pressure second, never mislabelled
    axes = fig.get_axes()
    for ax in axes:
        legend = ax.get_legend()
        assert legend is not None
        x_anchor = legend.get_bbox_to_anchor().transformed(ax.transAxes.inverted()).x0
        assert x_anchor > 1.0  # legend to the right of the data
    plt.close(fig)


def test_arrow_colours_follow_shift_sign_and_small_shifts_stay_visible():
    _, summary = build_pressure_figure(title="t", panels=panels(), window_cm1=WINDOW, min_arrow_cm1=12.0)
    by_key = {(a["panel"], a["position_cm1"]): a for a in summary.arrows}
    assert by_key[("reference (SYNTHETIC)", 453.0)]["colour"] == RED_SHIFT_COLOUR
    assert by_key[("reference (SYNTHETIC)", 453.0)]["drawn_length_cm1"] == -12.0
    assert by_key[("synthetic-model", 460.0)]["colour"] == BLUE_SHIFT_COLOUR
    assert by_key[("synthetic-model", 460.0)]["drawn_length_cm1"] == 12.0
    assert by_key[("synthetic-model", 310.0)]["drawn_length_cm1"] == -25.0  # long enough: true length


def test_empty_reference_panel_shows_its_note(tmp_path):
    empty = PressurePanel("reference", {}, note="no reference spectrum in fixture 9.9.9", is_reference=True)
    _, summary = build_pressure_figure(title="t", panels=[panels()[0], empty], window_cm1=WINDOW)
    assert summary.panel_titles[0] == "reference"


def test_png_written_and_readable(tmp_path):
    path = tmp_path / "fig" / "pressure.png"
    plot_pressure_figure(path, title="SYNTHETIC", panels=panels(), window_cm1=WINDOW)
    with Image.open(path) as image:
        width, height = image.size
        assert width > 800 and height > 300
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
        assert len(colours) > 10  # something was drawn, not a blank canvas


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="at least one panel"):
        build_pressure_figure(title="t", panels=[], window_cm1=WINDOW)
    with pytest.raises(ValueError, match="is empty"):
        build_pressure_figure(title="t", panels=panels(), window_cm1=(500.0, 100.0))
    outside = PressurePanel("m", {0.0: (np.array([2000.0, 2001.0]), np.array([1.0, 1.0]))})
    with pytest.raises(ValueError, match="no spectrum points inside the window"):
        build_pressure_figure(title="t", panels=[outside], window_cm1=WINDOW)


def test_order_panels_keeps_model_order():
    a, b = PressurePanel("a", {}), PressurePanel("b", {})
    r = PressurePanel("r", {}, is_reference=True)
    assert [p.title for p in order_panels([a, r, b])] == ["r", "a", "b"]
