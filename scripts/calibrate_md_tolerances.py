"""Derive the numbers of md_tolerances.toml: noise floor from seeds of a stable model, separation from broken ones.

For each (model, system, level, seed) it runs the MD case exactly as the benchmark does
(relaxation in the fixture's cell, the level's MD settings from md_settings.toml with the
seed replaced), judges it with the packaged md_tolerances.toml, and writes one JSON row
per run with every score, every drift's slope / stderr / n_effective, the RDF pair counts
and the verdicts. Runs are cached, so re-judging after a tolerance change is seconds.

    OMP_NUM_THREADS=1 nice -n 10 python scripts/calibrate_md_tolerances.py \
        --model mace-tiny --level smoke --seeds 1 2 3 4 5 --out /work/coord/md-calibration

``--model toy-*`` runs the synthetic calculators of tests/md_broken_calculators.py
(stable: toy-tethered; broken: toy-exploding, toy-soft, toy-untethered, toy-nan).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.md_broken_calculators (synthetic toy models)


def _toy_specs():
    from insbench.models import GuardedCalculator, MLIPSpec
    from tests import md_broken_calculators as toys

    def guarded(cls, name):
        return lambda: GuardedCalculator(cls(), model_name=name)

    specs = {
        "toy-tethered": toys.TetheredBondsCalculator,
        "toy-exploding": toys.ExplodingCalculator,
        "toy-soft": toys.SoftCalculator,
        "toy-untethered": toys.UntetheredCalculator,
    }
    out = {name: MLIPSpec(name=name, kind="plugin", factory=guarded(cls, name), elements=("H", "C", "S", "I"))
           for name, cls in specs.items()}
    out["toy-nan"] = MLIPSpec(
        name="toy-nan", kind="plugin", elements=("H", "C", "S", "I"),
        factory=lambda: GuardedCalculator(toys.NaNAfterCalculator(toys.TetheredBondsCalculator(), 120),
                                          model_name="toy-nan"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--level", default="smoke")
    parser.add_argument("--systems", nargs="+", default=["hexane", "diiodothiophene"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3, 4, 5])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--cache-dir", type=Path, default=None)
    args = parser.parse_args(argv)

    from insbench.metrics.md_tolerances import load_md_config
    from insbench.models import resolve_mlip
    from insbench.physics.md_settings import load_md_run_config
    from insbench.reference import load_fixture
    from insbench.workflows.cache import Cache
    from insbench.workflows.md_pipeline import evaluate_md_run, run_md_case
    from insbench.workflows.model_handle import ModelHandle

    toys = _toy_specs()
    spec = toys[args.model] if args.model in toys else resolve_mlip(args.model)
    model = ModelHandle(spec, threads=1)
    config = load_md_config()
    base = load_md_run_config()
    cache = Cache(args.cache_dir or args.out / "cache")
    args.out.mkdir(parents=True, exist_ok=True)
    rows_file = args.out / f"{args.model}-{args.level}.jsonl"
    for system in args.systems:
        fixture = load_fixture(system)
        for seed in args.seeds:
            run_config = dataclasses.replace(base, run=base.run.model_copy(update={"seed": seed}))
            run = run_md_case(model, fixture, args.level, cache, config=config, run_config=run_config)
            evaluation = evaluate_md_run(run, config=config)
            row = {
                "model": args.model, "system": system, "level": args.level, "seed": seed,
                "n_atoms": run.result.n_atoms, "blew_up_at_step": run.result.blew_up_at_step,
                "reason": run.result.reason, "md_seconds": run.result.seconds,
                "scores": evaluation.scores, "statistics": evaluation.statistics(),
                "failed": {k: j.message for k, j in evaluation.judgements.items() if not j.passed},
                "summary": evaluation.summary_line(),
            }
            with rows_file.open("a") as handle:
                handle.write(json.dumps(row, default=float) + "\n")
            print(f"{args.model} {system} {args.level} seed {seed}: {row['summary']}; "
                  f"failed {sorted(row['failed']) or '-'}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
