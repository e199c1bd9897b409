"""``insbench reference ...`` subcommands, written against plain argparse.

The top-level CLI calls :func:`register` with its subparsers object; each
subcommand stores its handler as ``func`` (``args.func(args) -> int``):

* ``reference list`` - table of installed fixtures (:func:`run_list`);
* ``reference verify [SYSTEM [--version V]]`` - load with all checks (:func:`run_verify`);
* ``reference import SYSTEM --version V ...`` - make a new fixture version (:func:`run_import`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from insbench.reference.errors import ReferenceDataError
from insbench.reference.importer import import_fixture
from insbench.reference.loader import list_fixtures, load_fixture
from insbench.reference.schema import KINDS


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``reference`` command (with list/verify/import) to ``subparsers``."""
    parser = subparsers.add_parser("reference", help="list, verify and import reference fixtures",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="reference_command", metavar="{list,verify,import}", required=True)

    listing = sub.add_parser("list", help="list installed fixtures and where they are")
    listing.set_defaults(func=run_list)

    verify = sub.add_parser("verify", help="load fixtures with schema, checksum and format checks")
    verify.add_argument("system", nargs="?", help="only this system (default: all)")
    verify.add_argument("--version", help="only this version (default: all versions)")
    verify.set_defaults(func=run_verify)

    imp = sub.add_parser("import", help="create a fixture version from data files",
                         description="Copy data files into <dest>/<system>/<version>/ with a checksummed manifest.")
    imp.add_argument("system", help="system name, e.g. hexane")
    imp.add_argument("--version", required=True, help="new fixture version (semver, e.g. 1.1.0)")
    imp.add_argument("--spectrum", action="append", default=[], type=_spectrum_arg, metavar="PATH[@PRESSURE_GPA]",
                     help="spectrum file (ISIS .dat or Mantid SaveAscii), pressure in GPa (default 0); repeatable")
    imp.add_argument("--peaks", type=Path, default=None, metavar="PATH",
                     help="peak table (JSON: 'peaks' list with position_0gpa_cm1, optional "
                     "peak_shift_cm1 and dominant_label), e.g. the measured peaks with assignments")
    imp.add_argument("--structure", type=Path, metavar="PATH", help="structure file ASE reads")
    cell = imp.add_mutually_exclusive_group()
    cell.add_argument("--cell-measured", dest="cell_measured", action="store_true", default=None,
                      help="the structure's cell comes from a measurement")
    cell.add_argument("--cell-predicted", dest="cell_measured", action="store_false",
                      help="the structure's cell is predicted/computed")
    imp.add_argument("--structure-pressure-gpa", type=float, help="pressure the structure belongs to")
    imp.add_argument("--kind", choices=KINDS, default="measured", help="kind of the new spectra")
    imp.add_argument("--structure-kind", choices=KINDS, help="kind of the new structure (default: --kind)")
    imp.add_argument("--instrument", required=True, help="e.g. TOSCA")
    imp.add_argument("--temperature-k", type=float, help="measurement temperature in K")
    imp.add_argument("--temperature-note", help="required without --temperature-k: why it is unknown")
    imp.add_argument("--citation", required=True, help="reference for the data")
    imp.add_argument("--doi")
    imp.add_argument("--repository")
    imp.add_argument("--source-path", help="path of the file in --repository")
    imp.add_argument("--commit", help="commit of --repository the files came from")
    imp.add_argument("--url")
    imp.add_argument("--licence", required=True, help="licence of the data, stated honestly")
    imp.add_argument("--method", help="for computed data: the method")
    imp.add_argument("--settings", type=_json_object, help="for computed data: settings as a JSON object")
    imp.add_argument("--procedure", help="for predicted data: the procedure")
    imp.add_argument("--formula", help="molecular formula (required for a new system)")
    imp.add_argument("--description", help="fixture description")
    imp.add_argument("--resolution", type=_resolution_arg, metavar="INSTRUMENT:VERSION:MODEL",
                     help="resolution model (required for a new system), e.g. TOSCA:TOSCA:AbINS")
    imp.add_argument("--energy-unit", choices=("cm-1", "meV"), default="cm-1",
                     help="unit of X in Mantid ASCII files")
    imp.add_argument("--allow-negative", action="store_true",
                     help="accept negative counts (a background-subtracted spectrum); recorded in the manifest")
    imp.add_argument("--base-version", help="carry over this version's artefacts and conditions")
    imp.add_argument("--dest", type=Path, default=Path("reference_data"), help="destination root")
    imp.add_argument("--overwrite", action="store_true", help="replace an existing version (never a shared one)")
    imp.set_defaults(func=run_import)
    return parser


def _spectrum_arg(text: str) -> tuple[Path, float]:
    path, sep, pressure = text.rpartition("@")
    if not sep:
        return Path(text), 0.0
    try:
        return Path(path), float(pressure)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected PATH@PRESSURE_GPA, e.g. data.dat@1.5") from None


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("expected a JSON object like '{\"xc\": \"PBE\"}'")
    return value


def _resolution_arg(text: str) -> dict[str, str]:
    parts = text.split(":")
    if len(parts) != 3 or not all(parts):
        raise argparse.ArgumentTypeError(f"{text!r}: expected INSTRUMENT:VERSION:MODEL, e.g. TOSCA:TOSCA:AbINS")
    return {"instrument": parts[0], "version": parts[1], "model": parts[2],
            "note": "given with insbench reference import --resolution"}


def _table(rows: list[list[str]], out: TextIO) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out.writelines("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() + "\n" for row in rows)


def run_list(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Print system, version, kinds present and location of every fixture; 0 if all valid."""
    out = out or sys.stdout
    summaries = list_fixtures()
    if not summaries:
        out.write("no reference fixtures found; see `insbench reference import --help`\n")
        return 0
    rows = [["system", "version", "kinds", "location"]]
    for s in summaries:
        kinds = "INVALID: " + (s.problem or "") if s.problem else ",".join(s.kinds)
        rows.append([s.system, s.version, kinds, f"{s.path} [{s.origin}]"])
    _table(rows, out)
    return 1 if any(s.problem for s in summaries) else 0


def run_verify(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Load fixtures with every check; print one line each; 0 if all pass."""
    out = out or sys.stdout
    targets = [(s.system, s.version) for s in list_fixtures()
               if (args.system in (None, s.system)) and (getattr(args, "version", None) in (None, s.version))]
    if args.system and not targets:
        targets = [(args.system, args.version)]  # let load_fixture explain what is missing
    failures = 0
    for system, version in targets:
        try:
            fixture = load_fixture(system, version)
        except ReferenceDataError as exc:
            failures += 1
            out.write(f"FAIL {system} {version or ''}: {exc}\n")
        else:
            out.write(f"ok   {fixture.system} {fixture.version} ({len(fixture.checksums())} files) {fixture.root}\n")
    return 1 if failures else 0


def run_import(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Import files as a new fixture version; print where it went; 0 on success, 2 on bad input."""
    out = out or sys.stdout
    extra: dict[str, Any] = {k: v for k, v in (("method", args.method), ("settings", args.settings),
                                                ("procedure", args.procedure),
                                                ("temperature_note", args.temperature_note)) if v is not None}
    conditions = {"resolution": args.resolution} if args.resolution else {}
    try:
        path = import_fixture(
            args.system, args.version,
            spectra=args.spectrum, structure=args.structure, peaks=args.peaks, structure_cell_is_measured=args.cell_measured,
            structure_pressure_gpa=args.structure_pressure_gpa, kind=args.kind,
            structure_kind=args.structure_kind, instrument=args.instrument, temperature_k=args.temperature_k,
            source={"citation": args.citation, "doi": args.doi, "repository": args.repository,
                    "path": args.source_path, "commit": args.commit, "url": args.url},
            licence=args.licence, base_version=args.base_version, dest_root=args.dest,
            overwrite=args.overwrite, description=args.description, formula=args.formula,
            conditions=conditions, artefact_fields=extra, spectrum_energy_unit=args.energy_unit,
            allow_negative=args.allow_negative,
        )
    except ReferenceDataError as exc:
        sys.stderr.write(f"insbench reference import: {exc}\n")
        return 2
    out.write(f"imported {args.system} {args.version} into {path}\n")
    return 0
