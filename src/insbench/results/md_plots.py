"""PNG of an MD stability run, laid out like the validation figure of arXiv:2603.05442.

Panels: mean-squared displacement per element; the six stress components and the
potential energy per atom, each with its running average and a shaded band of one
running standard deviation; early vs late RDFs of each element pair. NVE (and NPT)
steps are shaded grey (blue) and the equilibration segment, which no statistic sees, tan;
times count from the start of production NVT. RDF panels say when a pair was not judged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from insbench.metrics.md_series import running_average, running_std, running_times
from insbench.metrics.md_stability import SEGMENTS, VOIGT, MDAnalysis


def _segments(ax, t: np.ndarray, segment: np.ndarray) -> None:
    """Shade equilibration (tan: no statistic sees it), NVE (grey) and NPT (blue)."""
    for name, colour in (("equilibration", "#f3e3c3"), ("nve", "0.85"), ("npt", "#dbe9f6")):
        mask = segment == SEGMENTS.index(name)
        if mask.any():
            ax.axvspan(t[mask][0], t[mask][-1], color=colour, lw=0, zorder=0)


def _series(ax, t, y, window, colour, label):
    ax.plot(t, y, color=colour, lw=0.4, alpha=0.45)
    if len(y) >= window:
        centre, avg, std = running_times(t, window), running_average(y, window), running_std(y, window)
        ax.plot(centre, avg, color=colour, lw=1.4, label=label)
        ax.fill_between(centre, avg - std, avg + std, color=colour, alpha=0.2, lw=0)


def plot_md_validation(path: Path, result, analysis: MDAnalysis, *, title: str) -> Path:
    """Write the validation figure of one run to ``path`` (PNG) and return ``path``
    (left as it is when already drawn from the same inputs: :mod:`insbench.results.png_reuse`)."""
    from insbench.metrics import md_series, md_stability
    from insbench.results.png_reuse import inputs_digest, is_current, save_png

    blew = getattr(result, "blew_up_at_step", None)
    digest = inputs_digest((__file__, md_series.__file__, md_stability.__file__), analysis, blew, getattr(result, "reason", None), title)
    if is_current(path, digest):
        return path
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves = analysis.curves
    t, segment, window = curves["t_ps"], curves["segment"], curves["running_window_points"]
    n_rdf = max(1, len(curves["rdf"]))
    fig = plt.figure(figsize=(15, 8.5))
    grid = fig.add_gridspec(2, max(3, n_rdf))
    ax_msd = fig.add_subplot(grid[0, 0])
    ax_stress = fig.add_subplot(grid[0, 1])
    ax_pe = fig.add_subplot(grid[0, 2])

    for element, msd in curves["msd_a2"].items():
        ax_msd.plot(curves["msd_t_ps"], msd, lw=1.2, label=element)
    ax_msd.set(xlabel="time (ps from production start)", ylabel="MSD (Angstrom$^2$)", title="mean-squared displacement")
    if curves["msd_a2"]:
        ax_msd.legend(fontsize=8)

    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    stress = curves["stress_gpa"]
    if len(t):
        _segments(ax_stress, t, segment)
        _segments(ax_pe, t, segment)
        for k, component in enumerate(VOIGT):
            _series(ax_stress, t, stress[:, k], window, colours[k % len(colours)], component)
        _series(ax_pe, t, curves["pe_ev_per_atom"], window, "k", "potential energy")
    ax_stress.set(xlabel="time (ps from production start)", ylabel="stress (GPa)")
    ax_stress.set_title("stress components\n(running average +- sd)", fontsize=10)
    if ax_stress.get_legend_handles_labels()[0]:
        ax_stress.legend(fontsize=7, ncol=3)
    fit = analysis.drift.get("pe_drift_ev_per_atom_ps")
    drift = ("" if fit is None or not np.isfinite(fit.slope)
             else f"\nslope {fit.slope:.3g} +- {fit.stderr:.2g} eV/atom/ps (in-run stderr)")
    ax_pe.set(xlabel="time (ps from production start)", ylabel="potential energy (eV/atom)")
    ax_pe.set_title("potential energy (running average +- sd)" + drift, fontsize=10)

    early, late = curves["early_window_ps"], curves["late_window_ps"]
    for k, (pair, (r, g_early, g_late)) in enumerate(curves["rdf"].items()):
        ax = fig.add_subplot(grid[1, k])
        ax.plot(r, g_early, color="tab:blue", lw=1.1, label=f"{early[0]:g}-{early[1]:g} ps")
        ax.plot(r, g_late, color="tab:red", lw=1.1, ls="--", label=f"{late[0]:g}-{late[1]:g} ps")
        w1 = analysis.scores.get(f"rdf_w1_a[{pair}]", float("nan"))
        counts = analysis.rdf_pair_counts.get(pair, {})
        judged = "not judged: " if f"rdf_w1_a[{pair}]" in analysis.not_judged else ""
        ax.set(xlabel="r (Angstrom)", ylabel="g(r)")
        ax.set_title(f"{pair} RDF: {judged}W1 {w1:.3g} Angstrom\n({min(counts.values(), default=0)} pair distances "
                     f"per window)", fontsize=9)
        ax.legend(fontsize=8)
    if not curves["rdf"]:
        ax = fig.add_subplot(grid[1, 0])
        ax.text(0.5, 0.5, "no RDF: the run stopped before the late window", ha="center", va="center")
        ax.set_axis_off()

    suffix = "" if blew is None else f"\nBLEW UP at step {blew}: {result.reason}"
    fig.suptitle(title + suffix, fontsize=11, color="k" if blew is None else "tab:red")
    fig.tight_layout()
    save_png(fig, path, digest)
    plt.close(fig)
    return path
