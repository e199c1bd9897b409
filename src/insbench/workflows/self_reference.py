"""Is a model being scored against itself? (``self_reference`` in result records.)

A score is a self-reference when the model made the reference it is scored against,
or selected the structure the benchmark starts from. Such scores are shown but left
out of ranking and default gates (results.leaderboard, results.gate).

Where the fixture says so, the answer comes from the fixture: any artefact's
``settings`` may hold ``{"self_reference_models": {model_name: reason}}``. Fixture
versions published before that key existed are immutable, so their known provenance
is listed once here (:data:`PUBLISHED_PROVENANCE`).
"""

from __future__ import annotations

SETTINGS_KEY = "self_reference_models"

#: (system, version) -> {model name: reason}, for published versions without SETTINGS_KEY.
PUBLISHED_PROVENANCE: dict[tuple[str, str], dict[str, str]] = {
    ("diiodothiophene", "1.0.0"): {
        "gfn2-xtb": "the computed reference (spectra, peaks, shifts) was made with GFN2-xTB",
        "sevennet-0+d3": "the predicted structure was relaxed and pre-selected with SevenNet-0+D3",
    },
}


def self_reference_models(fixture) -> dict[str, str]:
    """``{model name: reason}`` of every model that made this fixture's reference or structure."""
    found = dict(PUBLISHED_PROVENANCE.get((fixture.system, str(fixture.version)), {}))
    for artefact in fixture.artefacts():
        settings = getattr(artefact, "settings", None) or {}
        for name, reason in (settings.get(SETTINGS_KEY) or {}).items():
            found.setdefault(str(name), str(reason))
    return found


def self_reference_reason(fixture, model_name: str) -> str | None:
    """Why ``model_name`` is a self-reference on ``fixture``, or None when it is not."""
    return self_reference_models(fixture).get(model_name)
