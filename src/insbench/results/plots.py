"""PNG of a simulated spectrum over the reference it is scored against."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def plot_spectral_comparison(
    path: Path,
    *,
    title: str,
    reference_label: str,
    windows: dict[str, dict],
) -> Path:
    """One panel per scoring window: reference minus fitted background vs scaled simulation.

    ``windows`` maps a window name to a dict with ``energy_cm1``,
    ``measured_minus_background``, ``scaled_simulated``, ``background``, the measured
    and simulated peak positions and the scores (as produced by the metrics' to_dict).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(windows), figsize=(6.5 * len(windows), 4.2), squeeze=False)
    for ax, (name, data) in zip(axes[0], windows.items()):
        x = np.asarray(data["energy_cm1"])
        ax.plot(x, data["measured_minus_background"], color="k", lw=1.2,
                label=f"{reference_label} - background")
        ax.plot(x, data["scaled_simulated"], color="tab:red", lw=1.2, label="simulated x scale")
        ax.plot(x, data["background"], color="0.6", lw=0.8, ls="--", label="fitted background")
        for peak in data.get("reference_peaks_cm1", []):
            ax.axvline(peak, color="k", lw=0.4, alpha=0.4)
        for peak in data.get("simulated_peaks_cm1", []):
            ax.axvline(peak, color="tab:red", lw=0.4, alpha=0.4, ls=":")
        scores = data.get("scores", {})
        ax.set_title(
            f"{name}: W1 {scores.get('w1_cm1', float('nan')):.1f} cm-1, "
            f"cos {scores.get('cosine', float('nan')):.2f}, "
            f"peak MAE {scores.get('peak_mae_cm1', float('nan')):.1f} cm-1",
            fontsize=9,
        )
        ax.set_xlabel("energy transfer (cm-1)")
        ax.set_ylabel("intensity (arb. units)")
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
