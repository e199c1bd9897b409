"""Spectra as labelled xarray Datasets, saved as NetCDF next to each record (SYNTHETIC arrays)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st

from insbench._io import write_netcdf_atomic
from insbench.spectra import Spectrum1D, SpectrumError, components_to_xarray


@given(n=st.integers(2, 50), with_error=st.booleans(), seed=st.integers(0, 2**16))
def test_a_spectrum_survives_a_netcdf_round_trip(tmp_path_factory, n, with_error, seed):
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.uniform(0.1, 5.0, n))
    y = rng.uniform(0.0, 10.0, n)
    error = rng.uniform(0.0, 1.0, n) if with_error else None
    spectrum = Spectrum1D(x, y, error, "SYNTHETIC", {"source": "tests", "nested": {"a": [1, 2]}})
    path = tmp_path_factory.mktemp("nc") / "spectrum.nc"
    write_netcdf_atomic(path, spectrum.to_xarray(kind="measured"))
    with xr.open_dataset(path) as opened:
        back = Spectrum1D.from_xarray(opened)
        assert opened["energy_cm1"].attrs["units"] == "cm-1"
        assert opened.attrs["kind"] == "measured"
    assert np.array_equal(back.energy_cm1, x) and np.array_equal(back.intensity, y)
    assert (back.error is None) == (error is None)
    if error is not None:
        assert np.array_equal(back.error, error)
    assert back.label == "SYNTHETIC" and back.metadata == {"source": "tests", "nested": {"a": [1, 2]}}


def test_components_are_labelled_by_bank_and_order(tmp_path):
    x = np.linspace(10.0, 100.0, 10)
    components = {"Backward/order1": x * 1.0, "Backward/order2": x * 2.0, "Backward/total": x * 3.0,
                  "Forward/order1": x * 4.0, "Forward/total": x * 5.0}
    dataset = components_to_xarray(x, components, model="synthetic", settings={"orders": [1, 2]})
    write_netcdf_atomic(tmp_path / "c.nc", dataset)
    opened = xr.open_dataset(tmp_path / "c.nc")
    assert list(opened["bank"].values) == ["Backward", "Forward"]
    assert list(opened["order"].values) == ["order1", "order2", "total"]
    assert np.array_equal(opened["intensity"].sel(bank="Forward", order="total").values, x * 5.0)
    assert np.isnan(opened["intensity"].sel(bank="Forward", order="order2").values).all()
    assert json.loads(opened.attrs["settings"]) == {"orders": [1, 2]}
    opened.close()


@pytest.mark.parametrize("components, message", [
    ({"order1": [1.0, 2.0]}, "is not '<bank>/<order>'"),
    ({"Backward/order1": [1.0, 2.0, 3.0]}, r"has shape \(3,\), expected \(2,\)"),
])
def test_bad_components_are_refused(components, message):
    with pytest.raises(SpectrumError, match=message):
        components_to_xarray(np.array([1.0, 2.0]), components)


def test_every_spectral_record_has_its_spectra_as_netcdf(synthetic_results):
    from insbench.results.store_index import load_index

    record = load_index(synthetic_results).get("synthetic-good", "hexane", "spectra")
    case = record.cases["hexane-0GPa-relaxed-cell-vs-measured"]
    names = sorted(n for n in case["files"] if n.endswith(".nc"))
    assert names == ["spectra-hexane-0GPa-relaxed-cell-vs-measured-reference.nc",
                     "spectra-hexane-0GPa-relaxed-cell-vs-measured-simulated.nc"]
    simulated = xr.open_dataset(record.directory / names[1])
    assert simulated.attrs["kind"] == "simulated" and simulated.attrs["model"] == "synthetic-good"
    assert np.allclose(simulated["intensity"].values, case["simulated_spectrum"]["intensity"])
    reference = xr.open_dataset(record.directory / names[0])
    assert reference.attrs["kind"] == "measured" and json.loads(reference.attrs["fixture"])["system"] == "hexane"
    simulated.close()
    reference.close()
