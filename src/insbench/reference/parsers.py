"""Readers for the spectrum and structure files fixtures hold.

* :func:`read_isis_dat` - ISIS INS database ``.dat`` files: a title line, a
  header line such as ``C    (CM-1)         COUNTS           ERROR``, then three
  whitespace-separated columns (energy in cm-1, counts, error).
* :func:`read_mantid_ascii` - Mantid ``SaveAscii`` output: ``#`` header lines,
  possibly a spectrum-number line, then X, Y, E separated by commas or
  whitespace; histogram data (one more X than Y, the last edge alone on the last
  line) are converted from bin edges to bin centres.
* :func:`read_structure` - any structure format ASE reads.

Bad input raises :class:`ReferenceFormatError` naming the file, the line and
what was expected; no other exception escapes for bad text. Energies must be
strictly increasing; a file in exactly reversed order is reversed, anything else
is rejected rather than silently sorted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from insbench.reference.errors import ReferenceFormatError
from insbench.spectra import Spectrum1D, SpectrumError
from insbench.units import mev_to_cm1

#: Fewer points than this cannot be a real INS spectrum.
MIN_POINTS = 10

# A plain decimal number; Fortran's D exponent is accepted. Python's float()
# alone would also take "nan", "inf" and "1_0", which a data file must not hold.
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eEdD][+-]?\d+)?$")
_ISIS_EXPECTED_ROW = "three numbers: energy (cm-1), counts, error"
_MANTID_EXPECTED_ROW = "three numbers X, Y, E separated by commas or whitespace"


def _decode(data: bytes, name: str) -> list[str]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("latin-1")
        except UnicodeDecodeError as exc:  # pragma: no cover - latin-1 decodes any byte
            raise ReferenceFormatError(name, None, "is not a text file", "plain text") from exc
    return text.splitlines()


def _number(token: str, name: str, line: int, what: str, expected: str) -> float:
    if not _NUMBER.match(token):
        problem = f"{what} is {token!r}, which is not a finite number"
        raise ReferenceFormatError(name, line, problem, expected)
    value = float(token.replace("d", "e").replace("D", "E"))
    if not np.isfinite(value):
        raise ReferenceFormatError(name, line, f"{what} {token!r} overflows to infinity", expected)
    return value


def _spectrum(rows: list[tuple[int, float, float, float]], name: str, label: str,
              edges_last: tuple[int, float] | None = None, energy_unit: str = "cm-1") -> Spectrum1D:
    """Check rows (line, x, y, e) and build the spectrum; ``edges_last`` marks histogram data."""
    n_points = len(rows)
    if n_points < MIN_POINTS:
        raise ReferenceFormatError(name, None, f"has {n_points} data rows",
                                   f"at least {MIN_POINTS} rows of data")
    lines = [r[0] for r in rows]
    x = np.array([r[1] for r in rows] + ([edges_last[1]] if edges_last else []), dtype=float)
    y = np.array([r[2] for r in rows], dtype=float)
    e = np.array([r[3] for r in rows], dtype=float)
    if edges_last:
        lines.append(edges_last[0])
    negative = np.flatnonzero(e < 0)
    if negative.size:
        i = int(negative[0])
        raise ReferenceFormatError(name, lines[i], f"error is negative ({float(e[i])!r})",
                                   "errors >= 0 (one standard deviation)")
    step = np.diff(x)
    if np.any(step <= 0):
        if np.all(step < 0):
            x, y, e = x[::-1], y[::-1], e[::-1]
        else:
            i = int(np.flatnonzero(step <= 0)[0]) + 1
            raise ReferenceFormatError(
                name, lines[i], f"energy {float(x[i])!r} does not exceed the previous one ({float(x[i - 1])!r})",
                "strictly increasing energies (the file is not sorted; fix the file rather "
                "than relying on a silent sort)",
            )
    if edges_last:
        x = 0.5 * (x[:-1] + x[1:])
    if energy_unit == "meV":
        x = mev_to_cm1(x)
    elif energy_unit != "cm-1":
        raise ValueError(f"energy_unit must be 'cm-1' or 'meV', got {energy_unit!r}")
    try:
        return Spectrum1D(x, y, e, label=label, metadata={"file": name})
    except SpectrumError as exc:  # e.g. centres collapsing after float rounding
        raise ReferenceFormatError(name, None, str(exc), "a usable spectrum") from exc


def parse_isis_dat(data: bytes, name: str = "<isis-dat>") -> Spectrum1D:
    """Parse the bytes of an ISIS INS database ``.dat`` file (see :func:`read_isis_dat`)."""
    lines = _decode(data, name)
    if len(lines) < 2:
        raise ReferenceFormatError(name, len(lines) + 1, "file ends before the header line",
                                   "a title line, then a header like 'C    (CM-1)  COUNTS  ERROR'")
    title = lines[0].strip()
    header = lines[1]
    if "CM-1" not in header.upper():
        raise ReferenceFormatError(name, 2, f"header is {header.strip()[:60]!r}",
                                   "a header naming the energy unit, like 'C    (CM-1)  COUNTS  ERROR'")
    rows: list[tuple[int, float, float, float]] = []
    for number, line in enumerate(lines[2:], start=3):
        tokens = line.split()
        if not tokens:
            continue
        if len(tokens) != 3:
            raise ReferenceFormatError(name, number, f"found {len(tokens)} columns",
                                       _ISIS_EXPECTED_ROW)
        x, y, e = (_number(t, name, number, what, _ISIS_EXPECTED_ROW)
                   for t, what in zip(tokens, ("energy", "counts", "error")))
        rows.append((number, x, y, e))
    spectrum = _spectrum(rows, name, label=title or Path(name).stem)
    spectrum.metadata["title"] = title
    return spectrum


def read_isis_dat(path: Path | str) -> Spectrum1D:
    """Read an ISIS INS database ``.dat`` file into a :class:`Spectrum1D` in cm-1.

    Line 1 is a free title, line 2 the column header (must mention ``CM-1``), then
    one ``energy counts error`` row per line. Blank lines are ignored.

    Raises:
        ReferenceFormatError: the file does not have that layout.
    """
    return parse_isis_dat(Path(path).read_bytes(), str(path))


def _split(line: str) -> list[str]:
    if "," in line:
        return [t.strip() for t in line.split(",")]
    return line.split()


def parse_mantid_ascii(data: bytes, name: str = "<mantid-ascii>", *,
                       energy_unit: str = "cm-1") -> Spectrum1D:
    """Parse the bytes of a Mantid SaveAscii file (see :func:`read_mantid_ascii`)."""
    lines = _decode(data, name)
    content = [(n, line) for n, line in enumerate(lines, start=1)
               if line.strip() and not line.lstrip().startswith("#")]
    # Mantid writes the spectrum number on its own line before the data.
    if content and len(_split(content[0][1])) == 1 and content[0][1].strip().isdigit():
        content = content[1:]
    rows: list[tuple[int, float, float, float]] = []
    last_edge: tuple[int, float] | None = None
    for index, (number, line) in enumerate(content):
        tokens = _split(line)
        is_last = index == len(content) - 1
        if is_last and rows and (len(tokens) == 1 or (len(tokens) == 3 and tokens[1:] == ["", ""])):
            last_edge = (number, _number(tokens[0], name, number, "last bin edge", _MANTID_EXPECTED_ROW))
            break
        if len(tokens) == 1 and tokens[0].isdigit():
            raise ReferenceFormatError(name, number, "a second spectrum-number line",
                                       "one spectrum per file (save each spectrum separately)")
        if len(tokens) != 3:
            raise ReferenceFormatError(name, number, f"found {len(tokens)} columns", _MANTID_EXPECTED_ROW)
        x, y, e = (_number(t, name, number, what, _MANTID_EXPECTED_ROW)
                   for t, what in zip(tokens, ("X", "Y", "E")))
        rows.append((number, x, y, e))
    return _spectrum(rows, name, label=Path(name).stem, edges_last=last_edge, energy_unit=energy_unit)


def read_mantid_ascii(path: Path | str, *, energy_unit: str = "cm-1") -> Spectrum1D:
    """Read a Mantid ``SaveAscii`` file (one spectrum) into a :class:`Spectrum1D` in cm-1.

    ``energy_unit`` says what X is in the file (``"cm-1"`` or ``"meV"``; SaveAscii
    does not write it); meV is converted to cm-1. If the last line holds a single
    X value, the data are a histogram and bin centres are returned.

    Raises:
        ReferenceFormatError: the file does not have that layout.
    """
    return parse_mantid_ascii(Path(path).read_bytes(), str(path), energy_unit=energy_unit)


def parse_spectrum(data: bytes, name: str, fmt: str, *, energy_unit: str = "cm-1") -> Spectrum1D:
    """Parse spectrum bytes in one of the formats in ``schema.SPECTRUM_FORMATS``."""
    if fmt == "isis-dat":
        spectrum = parse_isis_dat(data, name)
        if energy_unit != "cm-1":
            raise ReferenceFormatError(name, 2, f"energy unit is declared {energy_unit!r}",
                                       "cm-1, the only unit of ISIS INS database files")
        return spectrum
    if fmt == "mantid-ascii":
        return parse_mantid_ascii(data, name, energy_unit=energy_unit)
    raise ReferenceFormatError(name, None, f"format {fmt!r} has no spectrum parser",
                               "isis-dat or mantid-ascii")


def detect_spectrum_format(data: bytes) -> str:
    """Guess a spectrum file's format from its content: ``isis-dat`` if line 2 is
    an ISIS header (mentions CM-1 and is not numbers), else ``mantid-ascii``."""
    lines = data.decode("latin-1").splitlines()
    if len(lines) >= 2 and "CM-1" in lines[1].upper() and not lines[1].lstrip().startswith("#"):
        return "isis-dat"
    return "mantid-ascii"


def read_structure(path: Path | str, format: str | None = None, **kwargs: Any) -> Any:
    """Read a crystal structure with ``ase.io.read`` (one image, the last if many).

    ``format`` is an ASE format name (``aims``, ``cif``, ``extxyz``, ``vasp``...);
    when None ASE guesses from the name and content.

    Raises:
        ReferenceFormatError: ASE cannot read the file (message says why).
    """
    import warnings

    import ase.io  # lazy: ase is heavy to import

    try:
        with warnings.catch_warnings():
            # ASE >= 3.25 warns on every aims read that the reader moves to a plugin;
            # it is about ASE's future, not about this file, so keep it out of results.
            warnings.filterwarnings("ignore", message="FHI-aims IO is moving", category=FutureWarning)
            atoms = ase.io.read(str(path), format=format, **kwargs)
    except Exception as exc:  # ase raises many types for bad input; all mean "unreadable"
        fmt = format or "the format ASE guesses from the file name"
        raise ReferenceFormatError(
            path, None, f"ASE could not read it as {fmt} ({type(exc).__name__}: {exc})",
            "a structure file ASE reads; pass format= (e.g. 'aims', 'cif', 'extxyz') if the guess is wrong",
        ) from exc
    if isinstance(atoms, list):  # pragma: no cover - only with index=":"
        atoms = atoms[-1]
    if len(atoms) == 0:
        raise ReferenceFormatError(path, None, "holds no atoms", "a structure with at least one atom")
    return atoms


def parse_structure(data: bytes, name: str, fmt: str) -> Any:
    """Read a structure from verified bytes (written to a temporary file for ASE)."""
    import tempfile

    suffix = Path(name).suffix
    with tempfile.TemporaryDirectory(prefix="insbench-") as tmp:
        tmp_path = Path(tmp) / (Path(name).name or f"structure{suffix}")
        tmp_path.write_bytes(data)
        try:
            return read_structure(tmp_path, fmt)
        except ReferenceFormatError as exc:
            raise ReferenceFormatError(name, exc.line, exc.problem, exc.expected) from exc


def detect_structure_format(path: Path | str) -> str:
    """ASE's name for the structure format of ``path`` (e.g. ``aims`` for geometry.in)."""
    from ase.io.formats import filetype

    from insbench.reference.schema import structure_formats

    expected = "a structure file with a recognisable name/content, or an explicit format"
    try:
        fmt = str(filetype(str(path), read=True))
    except Exception as exc:  # ase raises UnknownFileTypeError and others
        raise ReferenceFormatError(path, None, f"ASE cannot tell its format ({exc})", expected) from exc
    if fmt not in structure_formats():  # ASE falls back to the file extension
        raise ReferenceFormatError(path, None, f"ASE cannot tell its format (guessed {fmt!r})", expected)
    return fmt


__all__: Sequence[str] = (
    "MIN_POINTS", "detect_spectrum_format", "detect_structure_format", "parse_isis_dat",
    "parse_mantid_ascii", "parse_spectrum", "parse_structure", "read_isis_dat",
    "read_mantid_ascii", "read_structure",
)
