"""Exceptions raised by the metrics package."""

from __future__ import annotations


class MetricInputError(ValueError):
    """The reference (measured) data or the scoring request cannot be scored.

    Raised for problems on the *reference* side: NaN in the measured spectrum,
    a scoring window outside the data, too few measured points in the window,
    no peaks in the measured spectrum.  A bad *prediction* never raises; it
    gets the worst score and a message (see :func:`insbench.metrics.score_spectrum`).
    """
