"""``+d3``: model + D3(BJ) equals model and D3 computed separately."""

from __future__ import annotations

import numpy as np
import pytest
from ase.calculators.emt import EMT

from insbench.models import MLIPSpec, make_calculator
from insbench.models.d3 import SumCalculator, make_d3_calculator


def _alone(calc, atoms):
    work = atoms.copy()
    work.calc = calc
    return work.get_potential_energy(), work.get_forces(), work.get_stress()


def test_model_plus_d3_is_the_sum_of_both(small_cell) -> None:
    spec = MLIPSpec(name="emt", kind="plugin", factory=EMT).with_d3()
    assert spec.name == "emt+d3" and spec.d3
    e, f, s = _alone(make_calculator(spec), small_cell)
    e_model, f_model, s_model = _alone(EMT(), small_cell)
    e_d3, f_d3, s_d3 = _alone(make_d3_calculator(), small_cell)
    assert abs(e_d3) > 1e-3 and np.abs(s_d3).max() > 0  # D3 really contributes
    assert e == pytest.approx(e_model + e_d3, abs=1e-10)
    np.testing.assert_allclose(f, f_model + f_d3, atol=1e-10)
    np.testing.assert_allclose(s, s_model + s_d3, atol=1e-12)


def test_sum_calculator_accepts_3x3_stress(small_cell, fake_calculator) -> None:
    class Full(fake_calculator):
        def calculate(self, *args, **kwargs):
            super().calculate(*args, **kwargs)
            self.results["stress"] = np.arange(9.0).reshape(3, 3) + np.arange(9.0).reshape(3, 3).T

    atoms = small_cell.copy()
    atoms.calc = SumCalculator([Full(), fake_calculator()])
    assert atoms.get_potential_energy() == pytest.approx(2.0)
    np.testing.assert_allclose(atoms.get_stress(), [0, 8, 16, 12, 8, 4])
