"""Check at import time that a fixture's resolution model can be evaluated by resins.

The physics layer broadens spectra with ``resins``; a manifest naming a model resins
cannot evaluate (e.g. TOSCA "book" in resins 0.1: NameError inside the model) would
only fail later, mid-benchmark. This check runs the same calls on a few energies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from insbench.reference.errors import ReferenceImportError

#: What the importer suggests: TOSCA's AbINS polynomial (Dymkowski et al. 2018), which resins evaluates.
SUGGESTED = "TOSCA:TOSCA:AbINS"
_PROBE_ENERGIES_MEV = np.array([[5.0], [50.0], [150.0]])


def check_resolution(resolution: Mapping[str, Any]) -> None:
    """Raise ReferenceImportError unless resins gives finite, positive widths and bank geometry."""
    name, version, model = resolution.get("instrument"), resolution.get("version"), resolution.get("model")
    banks = tuple(resolution.get("banks") or ("Backward", "Forward"))
    kinematics_version = resolution.get("kinematics_version") or version
    kinematics_model = resolution.get("kinematics_model") or "book"
    where = f"resolution {name}:{version}:{model}"
    try:
        from resins.instrument import Instrument

        instrument = Instrument.from_default(name, version)
        options = instrument.possible_options_for_model(model)
        geometry = Instrument.from_default(name, kinematics_version)
        for bank in banks:
            kwargs = {"detector_bank": bank} if "detector_bank" in options else {}
            sigma = np.asarray(instrument.get_resolution_function(model, **kwargs)
                               .get_characteristics(_PROBE_ENERGIES_MEV)["sigma"], dtype=float)
            if not (np.all(np.isfinite(sigma)) and np.all(sigma > 0)):
                raise ValueError(f"widths {sigma.tolist()} meV are not finite and positive")
            geometry.get_model_data(kinematics_model, detector_bank=bank)
    except Exception as error:  # noqa: BLE001 - any failure inside resins means "cannot be evaluated"
        raise ReferenceImportError(
            f"{where} (banks {', '.join(banks)}) cannot be evaluated by resins: "
            f"{type(error).__name__}: {error}. Fix: choose a model resins evaluates, e.g. "
            f"--resolution {SUGGESTED} (TOSCA's AbINS polynomial; for another instrument scale it with "
            "a width_scale and say why in the note)."
        ) from None
