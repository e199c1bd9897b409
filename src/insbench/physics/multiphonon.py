"""Multiphonon orders 3..N by autoconvolution of the one-phonon spectrum.

In the incoherent, isotropic approximation the n-phonon scattering of one atom at
momentum transfer Q is

    S_n(Q, E) = exp(-Q^2 u2) * Q^(2n) / n! * g^{*n}(E)

where g(E) is the atom's one-phonon spectrum at unit Q^2 without Debye-Waller
factor (sum over modes of tr(B)/3, B the mode displacement tensor with its n+1
Bose factor, binned per cm-1), g^{*n} is g convolved with itself n times, and
u2 = 2 tr(A)/3 is the isotropic mean-square displacement (A the Debye-Waller tensor
in abinslib's half convention).  Summed over all n >= 1 and integrated over E this
gives 1 - exp(-Q^2 u2) at T = 0 (the sum rule checked in the tests).

Mantid Abins adds orders up to 10 the same way (its "autoconvolution" option,
Mantid 6.2): convolve the unbroadened per-atom spectra, then apply Q^(2n)/n! at each
bin's Q and the isotropic Debye-Waller factor, then the resolution.  Differences from
Mantid here: every order n >= 2 is g^{*n} (Mantid continues from its explicit order
2), and the bin bookkeeping is exact (below) instead of Mantid's fine sub-bins.

Bins: g is a density on bin centres (i + 1/2) h.  The discrete n-fold convolution
(times h^(n-1)) puts its k-th sample at energy (k + n/2) h.  For odd n that is a bin
centre; for even n it is a bin edge and each sample is split equally between the two
neighbouring bins.  Areas are kept exactly and first moments exactly (n x the
one-phonon mean), with at most one extra half-bin smoothing per order.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import fftconvolve
from scipy.special import factorial

#: Mantid Abins' default highest order for autoconvolution.
DEFAULT_MAX_ORDER = 10
#: The highest order accepted: the terms fall as x^n/n! and 20 is far past any use.
LIMIT_MAX_ORDER = 20


def one_phonon_density(
    frequencies_cm1: np.ndarray,
    qpoint_weights: np.ndarray,
    mode_traces: np.ndarray,
    edges_cm1: np.ndarray,
) -> np.ndarray:
    """Per-atom one-phonon density g(E) at unit Q^2, without Debye-Waller factor.

    ``frequencies_cm1`` (q, mode); ``qpoint_weights`` (q,), normalised here;
    ``mode_traces`` (q, mode, atom) = tr(B)/3 in bohr^2 (Bose n+1 included);
    ``edges_cm1`` uniform bin edges.  Returns (atom, bin) in bohr^2 per cm-1.
    """
    edges = np.asarray(edges_cm1, dtype=float)
    width = float(edges[1] - edges[0])
    weights = np.asarray(qpoint_weights, dtype=float)
    weights = weights / weights.sum()
    per_mode = np.asarray(mode_traces, dtype=float) * weights[:, None, None]
    frequencies = np.asarray(frequencies_cm1, dtype=float).reshape(-1)
    per_mode = per_mode.reshape(-1, per_mode.shape[-1])
    out = np.empty((per_mode.shape[1], edges.size - 1))
    for atom in range(per_mode.shape[1]):
        out[atom], _ = np.histogram(frequencies, bins=edges, weights=per_mode[:, atom])
    return out / width


def _to_bin_centres(raw: np.ndarray, order: int, n_bins: int) -> np.ndarray:
    """Map samples at (k + order/2) h onto bin centres (j + 1/2) h (see module docstring)."""
    out = np.zeros(raw.shape[:-1] + (n_bins,))
    if order % 2:  # sample k sits on the centre of bin k + (order - 1) / 2
        offset = (order - 1) // 2
        take = max(0, min(n_bins - offset, raw.shape[-1]))
        out[..., offset : offset + take] = raw[..., :take]
        return out
    offset = order // 2  # sample k sits on the edge between bins k + offset - 1 and k + offset
    for shift in (offset - 1, offset):
        take = max(0, min(n_bins - shift, raw.shape[-1]))
        out[..., shift : shift + take] += 0.5 * raw[..., :take]
    return out


def autoconvolved_orders(
    density: np.ndarray, bin_width_cm1: float, max_order: int
) -> dict[int, np.ndarray]:
    """g^{*n} / n! on the bin centres for n = 1..max_order (per atom, last axis energy).

    ``density`` is (atom, bin) on uniform bins starting at 0 cm-1 (as from
    :func:`one_phonon_density`); each result has the same shape and units of
    (bohr^2)^n per cm-1.  Intensity pushed above the last bin is dropped.
    """
    if not 1 <= max_order <= LIMIT_MAX_ORDER:
        raise ValueError(f"max_order must be in 1..{LIMIT_MAX_ORDER}, got {max_order}")
    g = np.asarray(density, dtype=float)
    n_bins = g.shape[-1]
    orders = {1: g.copy()}
    raw = g
    for order in range(2, max_order + 1):
        raw = fftconvolve(raw, g, axes=-1)[..., :n_bins] * bin_width_cm1
        raw = np.clip(raw, 0.0, None)  # FFT round-off only; true values are >= 0
        orders[order] = _to_bin_centres(raw, order, n_bins) / factorial(order)
    return orders


def order_intensity(
    term: np.ndarray, order: int, q2_inv_bohr2: np.ndarray, u2_bohr2: np.ndarray
) -> np.ndarray:
    """Per-atom S_n(E) = exp(-Q^2 u2) Q^(2n) g^{*n}(E)/n! with Q^2 = Q^2(E) of the bank.

    ``term`` (atom, bin) from :func:`autoconvolved_orders`; ``q2_inv_bohr2`` (bin,);
    ``u2_bohr2`` (atom,) = 2 tr(A)/3.  Returns (atom, bin), per cm-1, dimensionless.
    """
    q2 = np.asarray(q2_inv_bohr2, dtype=float)[None, :]
    dw = np.exp(-q2 * np.asarray(u2_bohr2, dtype=float)[:, None])
    return term * q2**order * dw
