"""Structure sensitivity of the diiodothiophene pressure verdicts.

For every shipped candidate structure of a published fixture version (its
``candidates.json``) and every model asked for, run the benchmark's own pressure
pipeline (relax at 0 and 1.5 GPa with the cell free, phonons, tracked modes) and
judge the two headline verdicts exactly as ``benchmarks/test_insbench_pressure_shifts.py``
does: the claimed 453 cm-1 red shift and the INS-weighted blue fraction, behind the same
tracking gate (a band tracked below thresholds.toml's ``tracking_overlap`` fails, unjudged;
the blue fraction is not judged when untracked modes carry more than
``untracked_weight_fraction`` of the INS weight). A verdict whose pass/fail differs between
candidates is flagged structure-sensitive, with the spread of its judged values. One JSON
file per (model, candidate) is written as soon as it is done (rerun = resume; a file written
before the tracking gate is recomputed, from the stage cache); the table is rewritten after each.

    OMP_NUM_THREADS=1 python scripts/structure_sensitivity.py --models mace-tiny sevennet-0+d3 \
        [--version 2.0.0] [--out DIR] [--candidates ID ...] [--stop-at HH:MM]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

import csp_export  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = Path(os.environ.get("INSBENCH_CACHE_DIR", Path.home() / ".cache" / "insbench")) / (
    "structure-sensitivity/diiodothiophene")


def log(message: str) -> None:
    print(time.strftime("%H:%M:%S"), message, flush=True)


#: bump when what a run file holds changes; older files are recomputed (the stages come from the cache)
RUN_FORMAT = 2  # 2: the tracking gate (overlap, minimum, untracked INS weight)


def one(model_name: str, ident: str, version: str, out: Path, fixture_root: Path) -> dict:
    path = out / "runs" / f"{model_name}__{ident}.json"
    if path.is_file():
        done = json.loads(path.read_text())
        if done.get("run_format") == RUN_FORMAT:
            return done
    path.parent.mkdir(parents=True, exist_ok=True)
    from insbench.metrics import load_thresholds
    from insbench.models import resolve_mlip
    from insbench.reference.loader import load_fixture_dir
    from insbench.workflows.cache import Cache
    from insbench.workflows.evaluate_pressure import judge_pressure_item, pressure_items, relaxed_cases
    from insbench.workflows.model_handle import ModelHandle
    from insbench.workflows.pipeline import run_spectral_case
    from insbench.workflows.pressure import analyse_pressure_pair

    os.environ["INSBENCH_REFERENCE_PATH"] = str(fixture_root)  # where the importer finds the base version
    fixture_dir = csp_export.variant(ident, version, out / "fixtures", fixture_root)
    fixture = load_fixture_dir(fixture_dir)
    model = ModelHandle(resolve_mlip(model_name), threads=1)
    cache = Cache(out / "cache", enabled=True)
    started = time.perf_counter()
    record: dict = {"model": model_name, "candidate": ident, "fixture": f"{fixture.system} {fixture.version}",
                    "run_format": RUN_FORMAT}
    try:
        runs = {c.pressure_gpa: run_spectral_case(model, fixture, c, cache) for c in relaxed_cases(fixture)}
        low, high = sorted(runs)
        analysis = analyse_pressure_pair(runs[low].phonopy_yaml, runs[high].phonopy_yaml, (low, high))
        window = tuple(fixture.conditions.energy_window_cm1)
        thresholds = load_thresholds()
        for item in pressure_items(fixture):
            if item.check not in ("red_shift", "blue_shift_fraction"):
                continue
            verdict = judge_pressure_item(analysis, item, thresholds, fixture.system, window)
            key = "blue_fraction" if item.check == "blue_shift_fraction" else f"red_shift_{item.target_cm1:g}_cm1"
            tracking = verdict.tracking or {}
            entry = {"value": verdict.value, "passed": verdict.judgement.passed,
                     "tracked": (tracking.get("gate") or {}).get("passed"), "min_overlap": tracking.get("min_overlap"),
                     "message": verdict.judgement.message}
            if "untrusted_value" in tracking:
                entry["untrusted_value"] = tracking["untrusted_value"]
            if "blue_fraction" in tracking:
                entry["untracked_weight_fraction"] = tracking["blue_fraction"]["untracked_weight_fraction"]
            if verdict.band is not None:
                band = verdict.band.to_dict()
                labels = {c["mode"]: c["label"] for c in band.get("candidates", [])}
                entry.update(mode=band["chosen_mode"], position_cm1=band["position_cm1"],
                             assignment=labels.get(band["chosen_mode"]),
                             overlap=band["tracking_overlap"])  # the band's set overlap, as the gate judged it
            record[key] = entry
        record["volumes_a3"] = {f"{p:g}": float(r.structure.get_volume()) for p, r in runs.items()}
        record["median_overlap"] = float(np.median(analysis.tracking.overlaps))
        record["status"] = "ok"
    except Exception as exc:  # noqa: BLE001 - a model that fails on a candidate is a result: recorded, next one
        record.update(status="failed", reason=f"{type(exc).__name__}: {exc}")
    record["seconds"] = time.perf_counter() - started
    path.write_text(json.dumps(record, indent=1, default=float))
    log(f"{model_name} {ident}: {record.get('status')} {json.dumps({k: v for k, v in record.items() if k.startswith(('red', 'blue'))}, default=float)} ({record['seconds']:.0f} s)")
    return record


def table(out: Path, version: str, models: list[str], candidates: list[str]) -> dict:
    from insbench.results.summary_pressure import sensitivity_verdicts

    runs = {}
    for p in sorted((out / "runs").glob("*.json")):
        r = json.loads(p.read_text())
        runs[(r["model"], r["candidate"])] = r
    result: dict = {"system": "diiodothiophene", "fixture_version": version, "candidates": candidates,
                    "method": "insbench pressure pipeline (scripts/structure_sensitivity.py): relaxed cell at 0 and "
                              "1.5 GPa, phonopy phonons, modes tracked, verdicts judged with thresholds.toml",
                    "settings": {"models": models}, "models": {}, "runs": [runs[k] for k in sorted(runs)]}
    for model in models:
        verdicts: dict = {}
        for name in ("red_shift_453_cm1", "blue_fraction"):
            values = {c: runs[(model, c)][name]["value"] for c in candidates
                      if runs.get((model, c), {}).get(name, {}).get("value") is not None}
            # an untracked verdict has no value but is a FAIL: it counts in the flip test
            passes = {c: runs[(model, c)][name]["passed"] for c in candidates if name in runs.get((model, c), {})}
            band = {c: runs[(model, c)][name] for c in passes if "mode" in runs[(model, c)][name]}
            if passes:  # a band verdict also says whether the band kept its assignment, and its overlaps
                verdicts[name] = sensitivity_verdicts(values, passes,
                                                      assignments={c: b.get("assignment") for c, b in band.items()},
                                                      overlaps={c: b.get("overlap") for c, b in band.items()})
        if verdicts:
            result["models"][model] = verdicts
    (out / "structure_sensitivity.json").write_text(json.dumps(result, indent=1, default=float))
    def shown(entry: dict, fmt: str = "+.2f") -> str:  # a verdict the tracking gate refused is not a number
        if entry.get("value") is None and entry.get("tracked") is False:
            return "not judged"
        return "n/a" if entry.get("value") is None else format(entry["value"], fmt)

    def verdict(entry: dict) -> str:
        return ("PASS" if entry.get("passed") else "FAIL") + (" (NOT TRACKED)" if entry.get("tracked") is False else "")

    lines = ["| model | candidate | 453 band: mode (assignment) at cm-1 | shift cm-1 | band overlap | red? | "
             "blue fraction | untracked INS weight | >= 0.5? | median overlap |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for (model, cand), r in sorted(runs.items()):
        red, blue = r.get("red_shift_453_cm1", {}), r.get("blue_fraction", {})
        if r.get("status") != "ok":
            lines.append(f"| {model} | {cand} | failed: {r.get('reason', '')[:80]} | | | | | | | |")
            continue
        untrusted = f" ({red['untrusted_value']:+.2f} untrusted)" if red.get("untrusted_value") is not None else ""
        lines.append(f"| {model} | {cand} | {red.get('mode')} ({red.get('assignment')}) at "
                     f"{red.get('position_cm1', float('nan')):.1f} | {shown(red)}{untrusted} | "
                     f"{red.get('overlap', float('nan')):.2f} | {verdict(red)} | "
                     f"{shown(blue, '.2f')} | {blue.get('untracked_weight_fraction', float('nan')):.1%} | {verdict(blue)} | "
                     f"{r.get('median_overlap', float('nan')):.2f} |")
    (out / "structure_sensitivity.md").write_text("\n".join(lines) + "\n")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=["mace-tiny"])
    parser.add_argument("--version", default="2.0.0")
    parser.add_argument("--candidates", nargs="*", default=None, help="default: all shipped candidates")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--fixture-root", type=Path, default=REPO / "reference_data")
    parser.add_argument("--stop-at", default=None, help="UTC HH:MM after which no new run starts")
    args = parser.parse_args(argv)
    from predict_structure import deadline  # the next such UTC time: a run started before midnight goes on

    stop = deadline(args.stop_at)
    import torch

    torch.set_num_threads(1)
    shipped = json.loads((args.fixture_root / "diiodothiophene" / args.version / "candidates.json").read_text())
    candidates = args.candidates or [c["ident"] for c in shipped["candidates"]]
    for model in args.models:
        for ident in candidates:
            if stop is not None and dt.datetime.now(dt.timezone.utc) >= stop:
                log("stop time reached")
                table(args.out, args.version, args.models, candidates)
                return 0
            one(model, ident, args.version, args.out, args.fixture_root)
            table(args.out, args.version, args.models, candidates)
    return 0


if __name__ == "__main__":
    sys.exit(main())
