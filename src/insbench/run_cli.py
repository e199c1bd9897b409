"""``insbench run``: the benchmark suite through pytest, or its stage graph on a Dask cluster.

    insbench run sevennet-0+d3                                 # pytest, like pytest --mlip=...
    insbench run --mlip a,b,c -- -n 2 -k hexane                # pytest options after '--'
    insbench run --mlip a,b,c --dask-scheduler tcp://host:8786 # the stage graph on Dask
    insbench run --mlip a,b,c --dask-cluster cluster.yaml      # ... on a cluster it starts
"""

from __future__ import annotations

import argparse
import uuid
from typing import Any

#: ``--insbench-*`` options shared with the pytest plugin: (flag, keyword arguments).
_SHARED: tuple[tuple[str, dict[str, Any]], ...] = (
    ("--insbench-results", {"metavar": "DIR"}),
    ("--insbench-cache-dir", {"metavar": "DIR"}),
    ("--insbench-cell-mode", {"choices": ("both", "relaxed-cell", "measured-cell")}),
    ("--insbench-supercell-min-length", {"type": float, "metavar": "ANGSTROM"}),
    ("--insbench-threads", {"type": int, "metavar": "N"}),
    ("--insbench-level", {"choices": ("smoke", "standard", "paper")}),
    ("--insbench-device", {"choices": ("auto", "cpu", "cuda")}),
)


def register(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "run",
        help="run the benchmark suite on one or more models (pytest, or a Dask cluster)",
        description="Runs the insbench benchmark suite with pytest (extra pytest arguments after "
        "'--', e.g. insbench run sevennet-0+d3 -- -n 2 -k hexane), or, with --dask-scheduler or "
        "--dask-cluster, runs its (model x system x pressure x cell-mode) stage graph on Dask "
        "workers that share the stage cache and write the one results store (docs/distributed.md).",
    )
    parser.add_argument("models", nargs="*", help="model names (see 'insbench models list')")
    parser.add_argument("--mlip", action="append", default=[], metavar="NAMES",
                        help="model name(s), comma-separated or repeated (same as the positional names)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--dask-scheduler", metavar="ADDRESS",
                       help="run the stage graph on the Dask scheduler at ADDRESS (e.g. tcp://host:8786)")
    where.add_argument("--dask-cluster", metavar="FILE.yaml",
                       help="start the cluster FILE.yaml declares (dask-jobqueue SLURM/PBS/..., or local) "
                       "and run the stage graph on it")
    for flag, kwargs in _SHARED:
        parser.add_argument(flag, default=None, **kwargs)
    parser.set_defaults(func=run)
    return parser


def _names(args: argparse.Namespace) -> list[str]:
    names = [*args.models]
    for value in args.mlip:
        names += [n.strip() for n in value.split(",") if n.strip()]
    return names


def run(args: argparse.Namespace) -> int:
    names = _names(args)
    if not names:
        print("insbench run: name at least one model (e.g. insbench run --mlip mace-tiny); "
              "'insbench models list' shows them")
        return 2
    shared = {flag: getattr(args, flag[2:].replace("-", "_")) for flag, _ in _SHARED}
    if args.dask_scheduler is None and args.dask_cluster is None:
        import pytest

        options = [f"{flag}={value}" for flag, value in shared.items() if value is not None]
        return int(pytest.main([f"--mlip={','.join(names)}", *options, *args.passthrough]))
    return _run_dask(args, names, shared)


def _run_dask(args: argparse.Namespace, names: list[str], shared: dict[str, Any]) -> int:
    from insbench.models import ModelError, parse_mlip_option, resolve_mlip
    from insbench.workflows.distributed import GraphReport, dask_client, plan_tasks, run_on_dask
    from insbench.workflows.session import InsbenchOptions

    if args.passthrough:
        print(f"insbench run: pytest arguments ({' '.join(args.passthrough)}) do not apply to a Dask run")
        return 2
    defaults = InsbenchOptions()
    values = {flag[len("--insbench-"):].replace("-", "_"): value for flag, value in shared.items()}
    try:
        options = InsbenchOptions(
            mlip_names=tuple(parse_mlip_option([",".join(names)])),
            results_dir=values["results"] or defaults.results_dir,
            cache_dir=values["cache_dir"],
            cell_mode=values["cell_mode"] or defaults.cell_mode,
            supercell_min_length_a=values["supercell_min_length"],
            level=values["level"] or defaults.level,
            threads=values["threads"] if values["threads"] is not None else 1,
            device=values["device"] or defaults.device,
        )
        for name in options.mlip_names:  # an unknown name or a missing file fails here, not on a worker
            resolve_mlip(name)
        tasks = plan_tasks(options)
    except (ModelError, ValueError) as error:
        print(f"insbench run: {error}")
        return 2
    session_id = uuid.uuid4().hex
    print(f"insbench: {len(tasks)} tasks on Dask (session {session_id[:8]}); results in {options.results_dir}")
    try:
        with dask_client(args.dask_scheduler, args.dask_cluster) as client:
            report = GraphReport(run_on_dask(client, options, session_id, tasks))
    except ValueError as error:
        print(f"insbench run: {error}")
        return 2
    except OSError as error:  # no scheduler at that address
        print(f"insbench run: cannot reach the Dask scheduler {args.dask_scheduler}: {error}. Is "
              "`dask scheduler` running there, and is its port open to this machine? (docs/distributed.md)")
        return 2
    for line in report.lines():
        print(line)
    return 0 if report.passed else 1
