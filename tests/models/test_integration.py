"""Every built-in model gives finite energy, forces and stress on the hexane cell."""

from __future__ import annotations

import numpy as np
import pytest

from insbench.models import check_conformance, make_calculator, resolve_mlip, spec_identity
from insbench.models.elements import calculator_elements

SLOW = pytest.mark.slow


@pytest.mark.parametrize(
    "name",
    [
        "mace-tiny",
        pytest.param("sevennet-0", marks=SLOW),
        pytest.param("sevennet-0+d3", marks=SLOW),
        pytest.param("chgnet", marks=SLOW),
        pytest.param("gfn2-xtb", marks=SLOW),
    ],
)
def test_builtin_model_on_hexane(name: str, hexane) -> None:
    spec = resolve_mlip(name)
    calc = make_calculator(spec)
    report = check_conformance(calc, hexane, model_name=name)
    assert report.elements_checked and report.stress_shape in ((6,), (3, 3))
    assert np.isfinite(report.energy_ev)
    identity = spec_identity(spec)
    assert identity["name"] == name
    if spec.kind in ("mace", "sevennet", "chgnet"):
        assert len(identity["model_file"]["sha256"]) == 64
        assert identity["packages"]["torch"]


@SLOW
def test_sevennet_0_element_list_matches_checkpoint() -> None:
    spec = resolve_mlip("sevennet-0")
    calc = make_calculator(spec, guard=False)
    assert calculator_elements(calc) == spec.elements


@SLOW
def test_sevennet_plus_d3_is_sevennet_plus_dftd3(hexane) -> None:
    from insbench.models.d3 import make_d3_calculator

    def run(calc):
        atoms = hexane.copy()
        atoms.calc = calc
        return atoms.get_potential_energy(), atoms.get_forces(), atoms.get_stress()

    e, f, s = run(make_calculator(resolve_mlip("sevennet-0+d3")))
    e0, f0, s0 = run(make_calculator(resolve_mlip("sevennet-0")))
    e1, f1, s1 = run(make_d3_calculator())
    # SevenNet runs in float32: compare at float32 precision.
    assert e == pytest.approx(e0 + e1, rel=1e-6)
    np.testing.assert_allclose(f, f0 + f1, atol=1e-4)
    np.testing.assert_allclose(s, s0 + s1, atol=1e-6)


@SLOW
def test_gfn2_xtb_fresh_calculation_is_reproducible(hexane) -> None:
    calc = make_calculator(resolve_mlip("gfn2-xtb"))
    atoms = hexane.copy()
    atoms.calc = calc
    first = atoms.get_potential_energy()
    atoms.positions[0, 0] += 0.01
    atoms.get_potential_energy()
    atoms.positions[0, 0] -= 0.01
    assert atoms.get_potential_energy() == pytest.approx(first, abs=1e-6)
