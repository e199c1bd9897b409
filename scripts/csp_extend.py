"""Publish a new diiodothiophene fixture version that extends a published one.

    python scripts/csp_extend.py --base-version 2.0.0 --version 2.1.0 --next-version 2.2.0 \
        --sensitivity DIR/structure_sensitivity.json [--wall-times DIR/wall_times_first_run.json] \
        [--gfn2-check DIR/gfn2_sanity.json] [--csp-dir CSP_DIR]

Every data file of the base version is copied byte for byte (same sha256, same
artefact entry), and the new version adds:

* ``structure_sensitivity.json`` (+ ``.md``), kind ``computed``: the pressure verdicts
  per model and per shipped candidate (``scripts/structure_sensitivity.py``), which the
  end-of-session summary reads (``insbench.workflows.pressure_report``);
* ``gfn2_sanity.json``, kind ``computed``, when given: the GFN2-xTB sanity check of
  ``scripts/csp_gfn2_check.py`` (criteria declared before the run, outcome);
* ``csp_summary_completed.json`` (+ ``.md``), kind ``predicted``, with ``--csp-dir``: the
  structure search as it stands now, when it went on after the base version; if the
  declared rule then selects another candidate, that candidate too
  (``candidate_selected_completed.json``), never as the default structure;
* no computed reference: the computed slots stay declared empty, with the reason (the
  GFN2-xTB check's outcome and ``--computed-reason``). Adding a reference that passed
  the check is for a later version.

The staged version is validated with the strict loader before it is copied into place;
an existing version is never overwritten.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from csp_export import SYSTEM, artefact, install, notes, sha256, slots, top_candidates  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
#: why 2.1.0 has no computed reference beyond the GFN2-xTB sanity check's outcome
NO_REFERENCE_REASON = (
    "No other computed reference was made: DFT phonons are not available on this machine, and a consensus of the "
    "benchmarked MLIPs would be a reference made by the models under test (a self-reference for each of them). "
    "Until a reference method passes the check (or measured data is imported), the pressure verdicts are judged "
    "against the cited claims only and this version has no spectral or band-sign tests.")


def sensitivity_artefacts(staging: Path, table: Path, wall_times: Path | None, *,
                          default: str | None = None) -> list[dict]:
    """The table and its Markdown; with ``default`` (a version whose default structure is not
    the base version's), the table names it (``default_candidate``) and its rows say "(default)"."""
    data = json.loads(table.read_text())
    md = table.with_suffix(".md")
    if default is None:
        shutil.copy(table, staging / "structure_sensitivity.json")
        shutil.copy(md, staging / "structure_sensitivity.md")
    else:
        if default not in data.get("candidates", []):
            raise SystemExit(f"the sensitivity table {table} has no runs on the default structure {default}")
        (staging / "structure_sensitivity.json").write_text(
            json.dumps({**data, "default_candidate": default}, indent=1, default=float))
        (staging / "structure_sensitivity.md").write_text(
            md.read_text().replace(f"| {default} |", f"| {default} (default) |"))
    settings = dict(data.get("settings", {})) | {"candidates": data.get("candidates", [])}
    if wall_times is not None:  # a run's own "seconds" is its last (possibly cached) run; the cold ones are kept
        settings["wall_seconds_first_run"] = json.loads(wall_times.read_text())
    shipped = {c["ident"] for c in json.loads((staging / "candidates.json").read_text())["candidates"]}
    others = [c for c in data.get("candidates", []) if c not in shipped]
    where = ("the base version's candidates.json" if default is None
             else f"those of candidates.json; the default structure {default} is marked")
    description = (f"Pressure verdicts per model on {len(data.get('candidates', []))} candidate structures ({where}"
                   + (f", plus {', '.join(others)} from candidate_selected_completed.json"
                      if others else "") + "): the 453 cm-1 band (chosen mode, its assignment, shift with sign, tracking "
                   "overlap) and the INS-weighted blue fraction, each judged with thresholds.toml, and per model a "
                   "structure-sensitivity flag ('flips': pass/fail differs between candidates) with the spread. "
                   "Results of a model on a structure it selected are self-reference (see structure_predicted).")
    return [
        artefact(staging / "structure_sensitivity.json", "structure_sensitivity", "other", "computed", "json",
                 description, method=data.get("method", "insbench pressure pipeline"), settings=settings),
        artefact(staging / "structure_sensitivity.md", "structure_sensitivity_md", "other", "computed", "md",
                 "The structure-sensitivity table as Markdown (one row per model and candidate).",
                 method=data.get("method", "insbench pressure pipeline"), settings=settings),
    ]


def gfn2_artefact(staging: Path, check: Path, *, selected: str | None = None) -> tuple[dict, dict]:
    """``selected``: the version's default structure, said when the check was run on another candidate."""
    shutil.copy(check, staging / "gfn2_sanity.json")
    data = json.loads(check.read_text())
    outcome = "PASSED" if data["passed"] else "FAILED"
    failed = [k for k, c in data["checks"].items() if not c["passed"]]
    g = data["gfn2"]
    on = ("the selected structure" if selected is None or data.get("candidate") == selected
          else f"candidate {data.get('candidate')} (not this version's default structure {selected})")
    description = (f"GFN2-xTB sanity check on {on}, {outcome}"
                   + (f" ({', '.join(failed)} failed)" if failed else "")
                   + f": GFN2-xTB relaxed cell at 0 GPa {g['volume_per_molecule_a3']:.1f} A3/molecule, lattice "
                   f"energy {g['lattice_energy_ev_per_molecule']:+.3f} eV/molecule, against SevenNet-0+D3 and "
                   "CHGNet+D3 on the same candidate; criteria declared before the run in "
                   "scripts/csp_gfn2_check.py (volume within 5 % and lattice energy within x1.5 of the two "
                   "MLIPs' range, bound, converged with intact molecules).")
    return artefact(staging / "gfn2_sanity.json", "gfn2_sanity_check", "other", "computed", "json", description,
                    method="GFN2-xTB (tblite, insbench FreshXTBCalculator), BFGS + FrechetCellFilter + FixSymmetry",
                    settings={"criteria": data["criteria"], "passed": data["passed"]}), data


def completed_search_artefacts(staging: Path, csp_dir: Path, base_summary: dict, procedure: str) -> list[dict]:
    """The CSP summary after the base version was published (more candidates pre-screened / relaxed)."""
    shutil.copy(csp_dir / "summary.json", staging / "csp_summary_completed.json")
    shutil.copy(csp_dir / "summary.md", staging / "csp_summary_completed.md")
    new = json.loads((csp_dir / "summary.json").read_text())
    old_sel, new_sel = base_summary["selection"], new["selection"]
    same = old_sel.get("selected") == new_sel.get("selected")
    note = (f"The structure search continued after the base version: {new['counts']['prescreened']} of "
            f"{new['counts']['generated']} generated candidates pre-screened (base: "
            f"{base_summary['counts']['prescreened']}), and the candidates that entered the lowest "
            f"{new['counts']['final_order']} given converged final relaxations. Selection by the same declared rule: "
            f"{new_sel.get('selected')} ({'UNCHANGED' if same else 'CHANGED from ' + str(old_sel.get('selected'))}"
            "; this version ships the base version's structure either way).")
    out = [artefact(staging / "csp_summary_completed.json", "csp_summary_completed_json", "other", "predicted",
                    "json", note, procedure=procedure),
           artefact(staging / "csp_summary_completed.md", "csp_summary_completed_md", "other", "predicted", "md",
                    "The completed search summary as Markdown.", procedure=procedure)]
    if not same:  # the newly selected candidate ships too (not as the default structure), so it can be used
        entry = top_candidates(csp_dir, new, 1)[0]
        d = entry["descriptors"]
        (staging / "candidate_selected_completed.json").write_text(json.dumps(
            {"kind": "predicted", "note": ("the candidate the declared selection rule picks after the completed "
                                           "search; NOT this version's default structure (which is "
                                           f"{old_sel.get('selected')}, unchanged from the base version)"),
             "selection": new_sel, "candidates": [entry]}, indent=1) + "\n")
        out.append(artefact(
            staging / "candidate_selected_completed.json", "candidate_selected_completed", "other", "predicted",
            "json", f"Candidate {entry['ident']} ({entry['space_group_relaxed']}, density "
            f"{entry['density_g_cm3']:.3f} g/cm3, herringbone {d['herringbone']} ({d['herringbone_angle_deg']} deg), "
            f"bilayer {d['bilayer']}): the structure the declared rule selects after the completed search "
            f"({new_sel.get('rule_outcome')}). Same layout as candidates.json. NOT the default structure of this "
            "version; use it with `python scripts/csp_export.py variant " + entry["ident"] + "`.",
            procedure=procedure))
    return out


def changed_selection_note(base_dir: Path, csp_dir: Path | None) -> str:
    if csp_dir is None:
        return ""
    old = json.loads((base_dir / "csp_summary.json").read_text())["selection"]
    new = json.loads((csp_dir / "summary.json").read_text())["selection"]
    if old.get("selected") == new.get("selected"):
        return f" The completed structure search keeps the selection ({old.get('selected')})."
    return (f" NOTE: after the completed structure search the declared rule selects {new.get('selected')} "
            f"({new.get('rule_outcome')}), not {old.get('selected')}; this version keeps {old.get('selected')} as "
            "the default structure, unchanged, and ships the new selection as candidate_selected_completed.json.")


def computed_reason(check: dict | None, extra: str, *, selected: str | None = None,
                    on_selected: str | None = None) -> str:
    """Why no computed reference ships; ``on_selected`` says what GFN2-xTB did on the default
    structure ``selected`` when ``check`` was run on another candidate."""
    base = ("The computed reference of fixture 1.0.0 (GFN2-xTB, Gamma only, 1x1x1) was made on another structure "
            "and is not carried over. ")
    if check is None:
        return base + extra
    if selected is not None and check.get("candidate") != selected:
        failed = ", ".join(k for k, c in check["checks"].items() if not c["passed"]) or "none"
        outcome = "FAILED" if not check["passed"] else "passed"
        return (base + f"GFN2-xTB {outcome} its declared sanity check on candidate {check.get('candidate')} (failed: "
                f"{failed}; gfn2_sanity.json); on this version's structure {selected}: "
                f"{on_selected or 'not checked'}. " + extra)
    if not check["passed"]:
        failed = ", ".join(k for k, c in check["checks"].items() if not c["passed"])
        return (base + f"GFN2-xTB FAILED its declared sanity check on this structure ({failed}; gfn2_sanity.json), "
                "so it is not used as the reference. " + extra)
    return base + "GFN2-xTB passed its declared sanity check (gfn2_sanity.json). " + extra


def extend(base_version: str, version: str, next_version: str, table: Path, check: Path | None,
           reason_extra: str, dest_root: Path, *, wall_times: Path | None = None,
           csp_dir: Path | None = None) -> Path:
    base_dir = dest_root / SYSTEM / base_version
    target = dest_root / SYSTEM / version
    if target.exists():
        raise SystemExit(f"{target} exists: a published fixture version never changes; choose a new version")
    base = json.loads((base_dir / "manifest.json").read_text())
    staging_root = Path(tempfile.mkdtemp(prefix=f"{SYSTEM}-{version}-"))
    staging = staging_root / SYSTEM / version
    staging.mkdir(parents=True)
    arts = []
    for entry in base["artefacts"]:
        shutil.copy(base_dir / entry["file"], staging / entry["file"])
        if sha256(staging / entry["file"]) != entry["sha256"]:
            raise SystemExit(f"{entry['file']} of {base_version} does not match its sha256")
        arts.append(entry)
    arts += sensitivity_artefacts(staging, table, wall_times)
    if csp_dir is not None:
        procedure = next(a["procedure"] for a in base["artefacts"] if a["name"] == "csp_summary_json")
        arts += completed_search_artefacts(staging, csp_dir, json.loads((base_dir / "csp_summary.json").read_text()),
                                           procedure)
    check_data = None
    if check is not None:
        art, check_data = gfn2_artefact(staging, check)
        arts.append(art)
    new_slots = slots(version, next_version)
    reason = computed_reason(check_data, reason_extra)
    for s in new_slots:
        if s["kind"] == "computed":
            s["description"] = s["description"].split(": declared, not made yet.")[0] + ": declared, not made yet. " \
                + reason
    models = sorted(json.loads(table.read_text()).get("models", {}))
    manifest = {
        "schema_version": 1, "system": SYSTEM, "version": version,
        "description": (base["description"].split(" Holds ")[0] + f" Extends {base_version} (every file of it "
                        "unchanged): the same PREDICTED structure, top candidates and cited claims, plus the "
                        f"structure-sensitivity table of the pressure verdicts ({', '.join(models)} on every shipped "
                        "candidate)" + (", the GFN2-xTB sanity check" if check is not None else "")
                        + (", the summary of the structure search completed after the base version (same selection "
                           "rule; see csp_summary_completed.json)" if csp_dir is not None else "")
                        + ". No measured spectrum or structure, and NO computed reference (declared slots say why)."
                        + changed_selection_note(base_dir, csp_dir)),
        "formula": base["formula"], "conditions": base["conditions"], "artefacts": arts,
        "notes": notes(version, next_version),
        "slots": new_slots,
    }
    return install(manifest, staging, target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-version", default="2.0.0")
    parser.add_argument("--version", default="2.1.0")
    parser.add_argument("--next-version", default="2.2.0")
    parser.add_argument("--sensitivity", type=Path, required=True)
    parser.add_argument("--gfn2-check", type=Path, default=None)
    parser.add_argument("--computed-reason", default=NO_REFERENCE_REASON,
                        help="why the computed reference is not in this version")
    parser.add_argument("--wall-times", type=Path, default=None,
                        help="JSON {'model candidate': seconds} of the first (uncached) sensitivity runs")
    parser.add_argument("--csp-dir", type=Path, default=None,
                        help="the structure-search folder, when the search went on after the base version")
    parser.add_argument("--dest", type=Path, default=REPO / "reference_data")
    args = parser.parse_args(argv)
    print(extend(args.base_version, args.version, args.next_version, args.sensitivity, args.gfn2_check,
                 args.computed_reason, args.dest, wall_times=args.wall_times, csp_dir=args.csp_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
