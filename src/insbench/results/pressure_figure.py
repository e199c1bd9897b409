"""Paper-style pressure figure (after Figure 1 of arXiv:2603.05442).

One panel per source, stacked with a shared energy axis: the reference panel on top,
one panel per model below. In every panel the ambient-pressure and high-pressure
spectra are overlaid (each area-normalised in the window, so the figure is
scale-free), and arrows mark tracked bands: blue arrows for blue shifts (up in
energy), red arrows for red shifts. Arrows start at the ambient band position and
point in the direction of the shift; a shift smaller than ``min_arrow_cm1`` is drawn
with that length so it stays visible, and every arrow is labelled with the actual
shift in cm-1. Legends sit to the right of the panels, outside the data.

No physics here: callers pass arrays and shifts (results never runs a model).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from insbench.results.png_reuse import inputs_digest, is_current, save_png

#: line colours per pressure rank (ambient first): black and orange read in greyscale too
PRESSURE_COLOURS = ("black", "tab:orange", "tab:green", "tab:purple")
BLUE_SHIFT_COLOUR = "tab:blue"
RED_SHIFT_COLOUR = "tab:red"


@dataclass(frozen=True)
class BandShift:
    """A tracked band: ambient position and its shift to the high pressure (cm-1)."""

    position_cm1: float
    shift_cm1: float
    label: str = ""


@dataclass(frozen=True)
class PressurePanel:
    """One panel: a title, spectra per pressure (GPa -> (energy_cm1, intensity)), shifts."""

    title: str
    spectra: dict[float, tuple[np.ndarray, np.ndarray]]
    shifts: tuple[BandShift, ...] = ()
    note: str = ""  # shown in an empty panel (e.g. why there is no reference spectrum)
    is_reference: bool = False


@dataclass
class FigureSummary:
    """What was drawn (for tests and logs): panel titles top to bottom, arrows, legends."""

    panel_titles: list[str] = field(default_factory=list)
    arrows: list[dict] = field(default_factory=list)
    legend_labels: list[list[str]] = field(default_factory=list)


def _normalised(x: np.ndarray, y: np.ndarray, window_cm1: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = (x >= window_cm1[0]) & (x <= window_cm1[1])
    if not keep.any():
        raise ValueError(f"no spectrum points inside the window {window_cm1} cm-1 "
                         f"(spectrum spans {x.min():g}-{x.max():g} cm-1)")
    area = float(np.trapezoid(np.clip(y[keep], 0, None), x[keep]))
    return x[keep], y[keep] / (area if area > 0 else 1.0)


def order_panels(panels: list[PressurePanel]) -> list[PressurePanel]:
    """Reference panels first (in their given order), then the model panels."""
    return [p for p in panels if p.is_reference] + [p for p in panels if not p.is_reference]


def build_pressure_figure(*, title: str, panels: list[PressurePanel], window_cm1: tuple[float, float],
                          min_arrow_cm1: float | None = None):
    """A matplotlib Figure and a :class:`FigureSummary` of what it shows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    if not panels:
        raise ValueError("a pressure figure needs at least one panel")
    if window_cm1[1] <= window_cm1[0]:
        raise ValueError(f"window {window_cm1} cm-1 is empty: give (low, high) with low < high")
    panels = order_panels(panels)
    min_arrow = (0.025 * (window_cm1[1] - window_cm1[0])) if min_arrow_cm1 is None else float(min_arrow_cm1)
    fig, axes = plt.subplots(len(panels), 1, figsize=(11, 2.4 * len(panels) + 0.8), sharex=True, squeeze=False)
    summary = FigureSummary()
    for ax, panel in zip(axes[:, 0], panels):
        summary.panel_titles.append(panel.title)
        ax.set_title(panel.title, fontsize=9, loc="left")
        top = 0.0
        curves = {}
        for rank, pressure in enumerate(sorted(panel.spectra)):
            x, y = _normalised(*panel.spectra[pressure], window_cm1)
            curves[pressure] = (x, y)
            ax.plot(x, y, color=PRESSURE_COLOURS[rank % len(PRESSURE_COLOURS)], lw=0.9,
                    label=f"{pressure:g} GPa")
            top = max(top, float(y.max()))
        if not panel.spectra:
            ax.text(0.5, 0.5, panel.note or "no spectra", transform=ax.transAxes, ha="center", va="center",
                    fontsize=9, color="0.3")
            top = 1.0
        for band in panel.shifts:
            length = band.shift_cm1 if abs(band.shift_cm1) >= min_arrow else np.sign(band.shift_cm1 or 1) * min_arrow
            colour = BLUE_SHIFT_COLOUR if band.shift_cm1 > 0 else RED_SHIFT_COLOUR
            height = _height_near(curves, band.position_cm1, top)
            y_arrow = height + 0.08 * top
            ax.annotate("", xy=(band.position_cm1 + length, y_arrow), xytext=(band.position_cm1, y_arrow),
                        arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 1.4})
            text = f"{band.label} {band.shift_cm1:+.1f}".strip()
            ax.text(band.position_cm1, y_arrow + 0.05 * top, text, fontsize=7, ha="center", color=colour)
            summary.arrows.append({"panel": panel.title, "position_cm1": band.position_cm1,
                                   "shift_cm1": band.shift_cm1, "colour": colour, "drawn_length_cm1": float(length)})
        ax.set_ylim(0, 1.35 * top if top > 0 else 1.0)
        ax.set_ylabel("S (area-norm.)", fontsize=8)
        handles, labels = ax.get_legend_handles_labels()
        if panel.shifts:
            handles += [Line2D([], [], color=BLUE_SHIFT_COLOUR, marker=">", lw=1.4),
                        Line2D([], [], color=RED_SHIFT_COLOUR, marker="<", lw=1.4)]
            labels += ["blue shift", "red shift"]
        if handles:
            ax.legend(handles, labels, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
        summary.legend_labels.append(list(labels))
    axes[-1, 0].set_xlim(*window_cm1)
    axes[-1, 0].set_xlabel("energy transfer (cm-1)")
    fig.suptitle(title + (f"   (arrows shorter than {min_arrow:.0f} cm-1 drawn at that length)"
                          if any(p.shifts for p in panels) else ""), fontsize=9)
    fig.tight_layout(rect=(0, 0, 0.86, 0.97))
    return fig, summary


def _height_near(curves: dict, position_cm1: float, default: float) -> float:
    heights = []
    for x, y in curves.values():
        near = np.abs(x - position_cm1) <= 10.0
        if near.any():
            heights.append(float(y[near].max()))
    return max(heights) if heights else 0.5 * default


def plot_pressure_figure(path: Path, *, title: str, panels: list[PressurePanel], window_cm1: tuple[float, float],
                         min_arrow_cm1: float | None = None) -> FigureSummary | None:
    """Draw and save the figure as PNG at ``path``; return what it shows.

    A PNG already drawn from the same inputs is left as it is and ``None`` is returned
    (nothing was drawn; see :mod:`insbench.results.png_reuse`).
    """
    digest = inputs_digest(__file__, "pressure_figure", title, panels, window_cm1, min_arrow_cm1)
    if is_current(path, digest):
        return None
    import matplotlib.pyplot as plt

    fig, summary = build_pressure_figure(title=title, panels=panels, window_cm1=window_cm1,
                                         min_arrow_cm1=min_arrow_cm1)
    save_png(fig, path, digest)
    plt.close(fig)
    return summary
