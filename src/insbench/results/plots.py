"""PNG of a simulated spectrum over the reference it is scored against."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from insbench.results.png_reuse import inputs_digest, is_current, save_png


def multiphonon_part(components: dict[str, list[float]] | None) -> np.ndarray | None:
    """Sum over banks of the orders >= 2 ("<bank>/order2", "<bank>/orders3-N"), or None."""
    if not components:
        return None
    parts = [
        np.asarray(values, dtype=float)
        for key, values in components.items()
        if key.rsplit("/", 1)[-1] == "order2" or key.rsplit("/", 1)[-1].startswith("orders")
    ]
    return np.sum(parts, axis=0) if parts else None


def plot_spectral_comparison(
    path: Path,
    *,
    title: str,
    reference_label: str,
    windows: dict[str, dict],
) -> Path:
    """One panel per scoring window: the measured spectrum, the fitted background, and the
    scaled simulation on top of it with its multiphonon part (orders >= 2) shaded.

    ``windows`` maps a window name to a dict with ``energy_cm1``,
    ``measured_minus_background``, ``scaled_simulated``, ``background``, optionally
    ``multiphonon`` (the scaled orders >= 2 on the same grid), the measured and
    simulated peak positions and the scores (as produced by the metrics' to_dict;
    ``frequency_scale`` and ``reduced_chi2`` are shown when present).

    A PNG already drawn from the same inputs is left as it is (see :mod:`insbench.results.png_reuse`).
    """
    digest = inputs_digest(__file__, "spectral_comparison", title, reference_label, windows)
    if is_current(path, digest):
        return path
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(windows), figsize=(6.5 * len(windows), 4.4), squeeze=False)
    for ax, (name, data) in zip(axes[0], windows.items()):
        x = np.asarray(data["energy_cm1"], dtype=float)
        background = np.asarray(data["background"], dtype=float)
        measured = np.asarray(data["measured_minus_background"], dtype=float) + background
        model = np.asarray(data["scaled_simulated"], dtype=float) + background
        ax.plot(x, measured, color="k", lw=1.1, label=reference_label)
        ax.plot(x, model, color="tab:red", lw=1.1, label="simulation x scale + background")
        if data.get("multiphonon") is not None:
            multiphonon = np.asarray(data["multiphonon"], dtype=float)
            ax.fill_between(x, background, background + multiphonon, color="tab:orange", alpha=0.35,
                            lw=0, label="of which multiphonon (orders >= 2)")
        ax.plot(x, background, color="0.45", lw=0.9, ls="--", label="fitted background")
        for peak in data.get("reference_peaks_cm1", []):
            ax.axvline(peak, color="k", lw=0.4, alpha=0.3)
        for peak in data.get("simulated_peaks_cm1", []):
            ax.axvline(peak, color="tab:red", lw=0.4, alpha=0.4, ls=":")
        scores = data.get("scores", {})
        extra = []
        if scores.get("frequency_scale") is not None:
            extra.append(f"s {scores['frequency_scale']:.3f}")
        if data.get("reduced_chi2") is not None:
            extra.append(f"chi2/dof {data['reduced_chi2']:.3g}")
        ax.set_title(
            f"{name}: W1 {scores.get('w1_cm1', float('nan')):.1f} cm-1, "
            f"cos {scores.get('cosine', float('nan')):.2f}, "
            f"peak MAE {scores.get('peak_mae_cm1', float('nan')):.1f} cm-1"
            + (f"\n{', '.join(extra)}" if extra else ""),
            fontsize=9,
        )
        ax.set_xlabel("energy transfer (cm-1)")
        ax.set_ylabel("intensity (measured units)")
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    save_png(fig, path, digest)
    plt.close(fig)
    return path


def plot_pressure_response(
    path: Path,
    *,
    title: str,
    model_spectra: dict[float, tuple[np.ndarray, np.ndarray]],
    reference_spectra: dict[float, tuple[np.ndarray, np.ndarray, str]],
    marked_bands: list[dict],
    window_cm1: tuple[float, float],
) -> Path:
    """Model spectra at each pressure over the reference, with tracked bands marked.

    Each spectrum is area-normalised in the window (scale-free); ``marked_bands`` are
    dicts with ``label``, ``position_cm1``, ``shift_cm1``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def normalised(x, y):
        keep = (x >= window_cm1[0]) & (x <= window_cm1[1])
        area = np.trapezoid(np.clip(y[keep], 0, None), x[keep]) or 1.0
        return x[keep], y[keep] / area

    fig, ax = plt.subplots(figsize=(11, 4.8))
    offset = 0.0
    step = 0.0
    for pressure in sorted(model_spectra):
        x, y = normalised(*model_spectra[pressure])
        step = max(step, 1.1 * float(y.max()))
    for pressure in sorted(model_spectra):
        x, y = normalised(*model_spectra[pressure])
        ax.plot(x, y + offset, color="tab:red", lw=1.0, label=f"model {pressure:g} GPa" if offset == 0 else None)
        if pressure in reference_spectra:
            rx, ry, rlabel = reference_spectra[pressure]
            rx, ry = normalised(rx, ry)
            ax.plot(rx, ry + offset, color="k", lw=0.9, alpha=0.8,
                    label=f"{rlabel}" if offset == 0 else None)
        ax.text(window_cm1[0], offset + 0.6 * step, f"{pressure:g} GPa", fontsize=9)
        offset += step
    for band in marked_bands:
        position, shift = band["position_cm1"], band["shift_cm1"]
        if position is None or shift is None:
            continue
        ax.annotate("", xy=(position + shift, offset * 0.98), xytext=(position, offset * 0.98),
                    arrowprops={"arrowstyle": "->", "color": "tab:blue" if shift > 0 else "tab:purple"})
        ax.axvline(position, color="0.6", lw=0.5, ls=":")
        ax.text(position, offset * 1.0, f"{band['label']}\n{shift:+.1f} cm-1", fontsize=7, ha="center")
    ax.set_xlim(*window_cm1)
    ax.set_xlabel("energy transfer (cm-1)")
    ax.set_ylabel("intensity (area-normalised, offset)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
