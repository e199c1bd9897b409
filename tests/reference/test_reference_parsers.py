"""Tests of the ISIS .dat, Mantid ASCII and structure readers (synthetic data + shipped hexane)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insbench.reference import ReferenceFormatError, read_isis_dat, read_mantid_ascii, read_structure
from insbench.reference.parsers import (
    MIN_POINTS,
    detect_spectrum_format,
    detect_structure_format,
    parse_isis_dat,
    parse_mantid_ascii,
    parse_spectrum,
    parse_structure,
)
from insbench.units import mev_to_cm1

from .synthetic_data import HEXANE_DIR, isis_text, mantid_text, synthetic_arrays

# --- the real file -------------------------------------------------------------------------

def test_read_isis_dat_reads_the_shipped_hexane_file() -> None:
    spectrum = read_isis_dat(HEXANE_DIR / "Hexane.dat")
    assert spectrum.energy_cm1.size == 794
    assert spectrum.energy_cm1[0] == pytest.approx(20.29187)
    assert spectrum.energy_cm1[-1] == pytest.approx(3998.738)
    assert spectrum.intensity[0] == pytest.approx(1.566107)
    assert spectrum.error is not None and spectrum.error[-1] == pytest.approx(0.1256078)
    assert spectrum.metadata["title"].startswith("Hexane    S.F.Parker")


# --- ISIS .dat ------------------------------------------------------------------------------

def test_isis_dat_file_round_trip(tmp_path: Path) -> None:
    x, y, e = synthetic_arrays()
    path = tmp_path / "synthetic_spectrum.dat"
    path.write_text(isis_text(x, y, e))
    spectrum = read_isis_dat(path)
    np.testing.assert_allclose(spectrum.energy_cm1, x, rtol=1e-6)
    np.testing.assert_allclose(spectrum.intensity, y, rtol=1e-6)
    np.testing.assert_allclose(spectrum.error, e, rtol=1e-6)
    assert spectrum.metadata["file"] == str(path)


def test_isis_dat_accepts_fortran_d_exponents_and_blank_lines() -> None:
    x, y, e = synthetic_arrays(12)
    text = isis_text(x, y, e).replace("E+", "D+") + "\n\n"
    spectrum = parse_isis_dat(text.encode())
    np.testing.assert_allclose(spectrum.energy_cm1, x, rtol=1e-6)


def test_isis_dat_in_exactly_reversed_order_is_reversed() -> None:
    x, y, e = synthetic_arrays(15)
    spectrum = parse_isis_dat(isis_text(x[::-1], y[::-1], e[::-1]).encode())
    np.testing.assert_allclose(spectrum.energy_cm1, x, rtol=1e-6)
    np.testing.assert_allclose(spectrum.intensity, y, rtol=1e-6)


def _bad_isis(mutate) -> bytes:
    x, y, e = synthetic_arrays(20)
    lines = isis_text(x, y, e).splitlines()
    return ("\n".join(mutate(lines)) + "\n").encode()


def _set_row(lines: list[str], index: int, row: str) -> list[str]:
    lines[index] = row
    return lines


@pytest.mark.parametrize(
    ("mutate", "line", "words"),
    [
        (lambda ls: ls[:1], 2, "header"),
        (lambda ls: _set_row(ls, 1, "   1.0   2.0   3.0"), 2, "CM-1"),
        (lambda ls: _set_row(ls, 5, "  1.0E+02  abc  1.0E-02"), 6, "'abc'"),
        (lambda ls: _set_row(ls, 5, "  nan  1.0  1.0E-02"), 6, "not a finite number"),
        (lambda ls: _set_row(ls, 5, "  1.0E+02  1.0"), 6, "2 columns"),
        (lambda ls: _set_row(ls, 5, "  1.0E+02  1.0  1.0  4.0"), 6, "4 columns"),
        (lambda ls: _set_row(ls, 7, ls[7].replace("E-0", "E-0").rstrip()[:-13] + "  -1.0E-02"), 8, "negative"),
        (lambda ls: ls[:2] + [ls[3], ls[2]] + ls[4:], 4, "does not exceed"),
        (lambda ls: ls[:2] + [ls[2], ls[2]] + ls[3:], 4, "does not exceed"),
        (lambda ls: ls[:2] + ls[2:2 + MIN_POINTS - 1], None, f"{MIN_POINTS - 1} data rows"),
        (lambda ls: _set_row(ls, 5, "  1e999  1.0  1.0"), 6, "infinity"),
    ],
    ids=["no-header", "numeric-header", "non-numeric", "nan", "too-few-columns", "too-many-columns",
         "negative-error", "unsorted", "duplicate-energy", "too-few-points", "overflow"],
)
def test_malformed_isis_dat_names_file_line_and_problem(mutate, line: int | None, words: str) -> None:
    with pytest.raises(ReferenceFormatError) as info:
        parse_isis_dat(_bad_isis(mutate), "synthetic_bad.dat")
    assert info.value.file == "synthetic_bad.dat"
    assert info.value.line == line
    assert words in str(info.value)
    assert "expected" in str(info.value)


def test_read_isis_dat_error_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "synthetic_empty.dat"
    path.write_text("")
    with pytest.raises(ReferenceFormatError, match="synthetic_empty.dat"):
        read_isis_dat(path)


# --- Mantid ASCII ---------------------------------------------------------------------------

@pytest.mark.parametrize("sep", [",", ", ", "\t", "   "])
@pytest.mark.parametrize("spectrum_id", [True, False])
def test_mantid_point_data_with_any_separator(tmp_path: Path, sep: str, spectrum_id: bool) -> None:
    x, y, e = synthetic_arrays()
    path = tmp_path / "synthetic_mantid.txt"
    path.write_text(mantid_text(x, y, e, sep=sep, spectrum_id=spectrum_id))
    spectrum = read_mantid_ascii(path)
    np.testing.assert_array_equal(spectrum.energy_cm1, x)
    np.testing.assert_array_equal(spectrum.intensity, y)
    np.testing.assert_array_equal(spectrum.error, e)


def test_mantid_histogram_edges_become_centres() -> None:
    edges = np.linspace(10.0, 1010.0, 21)
    y = np.arange(20, dtype=float) + 1
    e = np.full(20, 0.5)
    spectrum = parse_mantid_ascii(mantid_text(edges, y, e).encode())
    np.testing.assert_allclose(spectrum.energy_cm1, 0.5 * (edges[:-1] + edges[1:]))
    np.testing.assert_array_equal(spectrum.intensity, y)


def test_mantid_histogram_last_edge_written_with_empty_fields() -> None:
    edges = np.linspace(10.0, 1010.0, 21)
    text = mantid_text(edges[:-1], np.ones(20), np.ones(20)) + f"{float(edges[-1])!r},,\n"
    spectrum = parse_mantid_ascii(text.encode())
    assert spectrum.energy_cm1[-1] == pytest.approx(985.0)


def test_mantid_mev_is_converted_to_cm1() -> None:
    x, y, e = synthetic_arrays(lo=2.0, hi=200.0)
    spectrum = parse_mantid_ascii(mantid_text(x, y, e).encode(), energy_unit="meV")
    np.testing.assert_allclose(spectrum.energy_cm1, mev_to_cm1(x))


def test_mantid_unknown_energy_unit_is_a_programming_error() -> None:
    x, y, e = synthetic_arrays()
    with pytest.raises(ValueError, match="energy_unit"):
        parse_mantid_ascii(mantid_text(x, y, e).encode(), energy_unit="K")


def _bad_mantid(mutate) -> bytes:
    x, y, e = synthetic_arrays(20)
    lines = mantid_text(x, y, e).splitlines()
    return ("\n".join(mutate(lines)) + "\n").encode()


@pytest.mark.parametrize(
    ("mutate", "line", "words"),
    [
        (lambda ls: _set_row(ls, 5, "100.0,abc,0.1"), 6, "'abc'"),
        (lambda ls: _set_row(ls, 5, "100.0,NaN,0.1"), 6, "not a finite number"),
        (lambda ls: _set_row(ls, 5, "100.0,1.0"), 6, "2 columns"),
        (lambda ls: _set_row(ls, 5, "100.0,1.0,0.1,0.0"), 6, "4 columns"),
        (lambda ls: _set_row(ls, 5, "100.0,,0.1"), 6, "''"),
        (lambda ls: _set_row(ls, 6, ls[6].rsplit(",", 1)[0] + ",-0.5"), 7, "negative"),
        (lambda ls: ls[:4] + [ls[5], ls[4]] + ls[6:], 6, "does not exceed"),
        (lambda ls: ls[:12] + ["2"] + ls[12:], 13, "one spectrum per file"),
        (lambda ls: ls[:3 + MIN_POINTS - 1], None, f"{MIN_POINTS - 1} data rows"),
    ],
    ids=["non-numeric", "nan", "too-few-columns", "dx-column", "empty-field", "negative-error",
         "unsorted", "two-spectra", "too-few-points"],
)
def test_malformed_mantid_names_file_line_and_problem(mutate, line: int | None, words: str) -> None:
    with pytest.raises(ReferenceFormatError) as info:
        parse_mantid_ascii(_bad_mantid(mutate), "synthetic_bad.txt")
    assert info.value.file == "synthetic_bad.txt"
    assert info.value.line == line
    assert words in str(info.value)


# --- dispatch and detection -----------------------------------------------------------------

def test_detect_spectrum_format() -> None:
    x, y, e = synthetic_arrays()
    assert detect_spectrum_format(isis_text(x, y, e).encode()) == "isis-dat"
    assert detect_spectrum_format(mantid_text(x, y, e).encode()) == "mantid-ascii"
    assert detect_spectrum_format((HEXANE_DIR / "Hexane.dat").read_bytes()) == "isis-dat"


def test_parse_spectrum_dispatches_and_rejects_unknown_formats() -> None:
    x, y, e = synthetic_arrays()
    assert parse_spectrum(isis_text(x, y, e).encode(), "a.dat", "isis-dat").energy_cm1.size == x.size
    assert parse_spectrum(mantid_text(x, y, e).encode(), "a.txt", "mantid-ascii").energy_cm1.size == x.size
    with pytest.raises(ReferenceFormatError, match="no spectrum parser"):
        parse_spectrum(b"", "a.xye", "xye")
    with pytest.raises(ReferenceFormatError, match="cm-1"):
        parse_spectrum(isis_text(x, y, e).encode(), "a.dat", "isis-dat", energy_unit="meV")


# --- structures -----------------------------------------------------------------------------

def test_read_structure_reads_hexane_geometry() -> None:
    atoms = read_structure(HEXANE_DIR / "geometry.in", format="aims")
    assert atoms.get_chemical_formula() == "C6H14"
    assert atoms.cell.lengths()[0] == pytest.approx(4.1309)
    assert detect_structure_format(HEXANE_DIR / "geometry.in") == "aims"


def test_parse_structure_from_bytes_uses_the_given_name() -> None:
    atoms = parse_structure((HEXANE_DIR / "geometry.in").read_bytes(), "somewhere/geometry.in", "aims")
    assert len(atoms) == 20


def test_unreadable_structure_raises_reference_format_error(tmp_path: Path) -> None:
    path = tmp_path / "synthetic_bad.cif"
    path.write_text("this is not a CIF file\n")
    with pytest.raises(ReferenceFormatError, match="synthetic_bad.cif") as info:
        read_structure(path)
    assert "format=" in str(info.value)


def test_undetectable_structure_format(tmp_path: Path) -> None:
    path = tmp_path / "synthetic_structure.unknownext"
    path.write_text("nothing\n")
    with pytest.raises(ReferenceFormatError, match="cannot tell its format"):
        detect_structure_format(path)


# --- properties -----------------------------------------------------------------------------

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def spectra(draw, n_min: int = MIN_POINTS, n_max: int = 60):
    """Synthetic (x, y, e) with x strictly increasing and well separated."""
    n = draw(st.integers(n_min, n_max))
    start = draw(st.floats(0.0, 500.0))
    steps = draw(st.lists(st.floats(0.01, 100.0), min_size=n - 1, max_size=n - 1))
    x = start + np.concatenate([[0.0], np.cumsum(steps)])
    y = np.array(draw(st.lists(finite, min_size=n, max_size=n)))
    e = np.array(draw(st.lists(st.floats(0.0, 1e6), min_size=n, max_size=n)))
    return x, y, e


@settings(max_examples=60, deadline=None)
@given(spectra())
def test_isis_round_trip_property(data) -> None:
    x, y, e = data
    spectrum = parse_isis_dat(isis_text(x, y, e).encode())
    # the format keeps 7 significant digits
    np.testing.assert_allclose(spectrum.energy_cm1, x, rtol=1e-6, atol=1e-300)
    np.testing.assert_allclose(spectrum.intensity, y, rtol=1e-6, atol=1e-300)
    np.testing.assert_allclose(spectrum.error, e, rtol=1e-6, atol=1e-300)


@settings(max_examples=60, deadline=None)
@given(spectra(), st.sampled_from([",", ", ", "\t", " "]), st.booleans(), st.booleans())
def test_mantid_round_trip_property(data, sep: str, spectrum_id: bool, histogram: bool) -> None:
    x, y, e = data
    if histogram:
        edges = np.append(x, x[-1] + 1.0)
        spectrum = parse_mantid_ascii(mantid_text(edges, y, e, sep, spectrum_id).encode())
        np.testing.assert_allclose(spectrum.energy_cm1, 0.5 * (edges[:-1] + edges[1:]))
    else:
        spectrum = parse_mantid_ascii(mantid_text(x, y, e, sep, spectrum_id).encode())
        np.testing.assert_array_equal(spectrum.energy_cm1, x)
    np.testing.assert_array_equal(spectrum.intensity, y)
    np.testing.assert_array_equal(spectrum.error, e)


MUTATIONS = ["garbage-token", "drop-column", "extra-column", "nan", "inf", "negative-error",
             "swap-rows", "duplicate-row", "truncate"]


def _mutate(lines: list[str], first_data: int, mutation: str, row: int, sep: str) -> list[str]:
    """Apply one mutation that must make any valid file invalid."""
    data_rows = len(lines) - first_data
    i = first_data + row % data_rows
    cells = lines[i].replace(",", " ").split()
    if mutation == "garbage-token":
        cells[row % 3] = "x1.0"
    elif mutation == "drop-column":
        cells = cells[:2]
    elif mutation == "extra-column":
        cells = cells + ["1.0"]
    elif mutation == "nan":
        cells[row % 3] = "nan"
    elif mutation == "inf":
        cells[row % 3] = "inf"
    elif mutation == "negative-error":
        cells[2] = "-1.5"
    elif mutation == "swap-rows":
        j = first_data + (row + 1) % data_rows
        if j < i:
            i, j = j, i
        lines[i], lines[j] = lines[j], lines[i]
        return lines
    elif mutation == "duplicate-row":
        return lines[: i + 1] + [lines[i]] + lines[i + 1:]
    elif mutation == "truncate":
        return lines[: first_data + MIN_POINTS - 1]
    lines[i] = sep.join(cells)
    return lines


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spectra(n_max=30), st.sampled_from(MUTATIONS), st.integers(0, 1000), st.sampled_from(["isis", "mantid"]))
def test_malformed_mutations_always_raise_reference_format_error(data, mutation: str, row: int, fmt: str) -> None:
    x, y, e = data
    if fmt == "isis":
        lines, first, sep, parse = isis_text(x, y, e).splitlines(), 2, "  ", parse_isis_dat
    else:
        lines, first, sep, parse = mantid_text(x, y, e).splitlines(), 3, ",", parse_mantid_ascii
    if mutation == "swap-rows" and len(lines) - first < 2:
        return
    bad = "\n".join(_mutate(lines, first, mutation, row, sep)) + "\n"
    with pytest.raises(ReferenceFormatError):
        parse(bad.encode(), "synthetic_mutated")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_arbitrary_bytes_either_parse_or_raise_reference_format_error(data: bytes) -> None:
    for parse in (parse_isis_dat, parse_mantid_ascii):
        try:
            parse(data, "synthetic_fuzz")
        except ReferenceFormatError:
            pass


@settings(max_examples=100, deadline=None)
@given(spectra(n_max=20), st.lists(st.sampled_from(["\n", "#c\n", "1\n", "a,b,c\n", "1,2\n", "1,,\n", " \n"]),
                                   min_size=1, max_size=4), st.integers(0, 40))
def test_mantid_with_random_junk_lines_never_crashes(data, junk: list[str], at: int) -> None:
    x, y, e = data
    lines = mantid_text(x, y, e).splitlines(keepends=True)
    at = at % (len(lines) + 1)
    text = "".join(lines[:at] + junk + lines[at:])
    try:
        parse_mantid_ascii(text.encode(), "synthetic_junk")
    except ReferenceFormatError:
        pass
