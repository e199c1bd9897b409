"""``insbench leaderboard | submit | gate``: wiring only; the work is in
:mod:`insbench.results.leaderboard`, :mod:`.submit` and :mod:`.gate`. (``verify`` re-runs
models, so it is wired in :mod:`insbench.verify_cli`: results never imports workflows.)

Exit codes: 0 success (gate passed, bundle verified), 1 a gate missed or a bundle
failed verification, 2 bad input (no such directory, malformed gate file).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from insbench.metrics.bootstrap import DEFAULT_CONFIDENCE, DEFAULT_N_RESAMPLES, DEFAULT_SEED


def _err(message: str) -> None:
    print(f"insbench: {message}", file=sys.stderr)


def register(subparsers: Any) -> None:
    board = subparsers.add_parser(
        "leaderboard", help="render the leaderboard (Markdown + one self-contained HTML page)",
        description="Reads every result record under RESULTS_DIR and writes leaderboard.md (+ plots/), "
        "leaderboard.html (self-contained) and leaderboard.json into --out.",
    )
    board.add_argument("results_dirs", nargs="*", default=["insbench-results"], metavar="RESULTS_DIR",
                       help="results directory or directories (default: ./insbench-results)")
    board.add_argument("--out", default="insbench-leaderboard", metavar="DIR", help="output directory")
    board.add_argument("--title", default="insbench leaderboard")
    _bootstrap_args(board)
    board.set_defaults(func=leaderboard_command)

    submit = subparsers.add_parser(
        "submit", help="pack one model's results with provenance into a checksummed bundle",
        description="Packs results JSON + PNGs, model identity, environment, reference checksums, "
        "settings and logs, with a MANIFEST of sha256 sums.",
    )
    submit.add_argument("results_dir", metavar="RESULTS_DIR")
    submit.add_argument("--model", required=True, metavar="NAME", help="model name as in the records")
    submit.add_argument("--out", required=True, metavar="BUNDLE", help="output .tar.gz")
    submit.add_argument("--log", action="append", default=[], metavar="FILE", help="extra log file(s) to include")
    submit.set_defaults(func=submit_command)

    gate = subparsers.add_parser(
        "gate", help="judge a release gate file's required metrics on the results (non-zero exit on a miss)",
    )
    gate.add_argument("results_dir", metavar="RESULTS_DIR")
    gate.add_argument("gate_file", metavar="GATE_TOML")
    gate.add_argument("--model", action="append", default=None, metavar="NAME",
                      help="gate only this model (repeatable; default: every model in RESULTS_DIR)")
    gate.add_argument("--junit-xml", default=None, metavar="FILE", help="write a JUnit XML report")
    gate.add_argument("--json", default=None, metavar="FILE", help="write the outcome as JSON")
    gate.set_defaults(func=gate_command)


def _bootstrap_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n-resamples", type=int, default=DEFAULT_N_RESAMPLES,
                        help=f"bootstrap resamples for intervals (0 = none; default {DEFAULT_N_RESAMPLES})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="bootstrap seed")
    parser.add_argument("--confidence", type=float, default=DEFAULT_CONFIDENCE, help="interval confidence")


def leaderboard_command(args: argparse.Namespace) -> int:
    from insbench.results.leaderboard import build_leaderboard, write_leaderboard
    from insbench.results.leaderboard_render import key_parts
    from insbench.results.store_index import load_indexes

    try:
        index = load_indexes(args.results_dirs)
    except FileNotFoundError as error:
        _err(str(error))
        return 2
    for issue in index.issues:
        print(f"left out: {issue}", file=sys.stderr)
    if not index.records:
        _err(f"no usable result records in {', '.join(args.results_dirs)}")
        return 2
    board = build_leaderboard(index, n_resamples=args.n_resamples, seed=args.seed,
                              confidence=args.confidence, title=args.title)
    paths = write_leaderboard(board, args.out)
    for number, table in enumerate(board.tables, start=1):
        print(f"table {number} of {len(board.tables)}: {'; '.join(key_parts(table.key))}")
        for row in table.rows:
            rank = "-" if row.rank is None else str(row.rank)
            counted = ("nothing counted" if row.pass_fraction is None else
                       f"passed {row.n_passed}/{row.n_run} run (P {row.pass_fraction:.2f})  "
                       f"coverage {row.n_run}/{row.n_columns}  S {row.composite:+.3f}")
            extra = f"  self-reference {row.n_self_reference} (not counted)" if row.n_self_reference else ""
            print(f"{rank:>5}  {row.model:<24} {counted}{extra}")
    for kind, path in paths.items():
        print(f"{kind}: {path}")
    return 0


def submit_command(args: argparse.Namespace) -> int:
    from insbench.results.submit import BundleError, build_bundle

    try:
        summary = build_bundle(args.results_dir, args.model, args.out, logs=args.log)
    except (BundleError, FileNotFoundError) as error:
        _err(str(error))
        return 2
    print(f"wrote {summary.path} ({len(summary.members)} members)")
    if summary.status is not None:
        for line in summary.status.lines():
            print(line, file=sys.stderr if not summary.status.passed else sys.stdout)
        if not summary.status.complete:
            _err("this bundle is from an INCOMPLETE run and says so in MANIFEST.json; `insbench verify` reports it")
    print(f"sha256 {summary.sha256}  (publish this next to the bundle)")
    return 0


def gate_command(args: argparse.Namespace) -> int:
    import json

    from insbench.results.gate import GateFileError, evaluate_gate, load_gate, write_junit_xml
    from insbench.results.store_index import load_index

    try:
        gate = load_gate(args.gate_file)
        index = load_index(args.results_dir)
    except (GateFileError, FileNotFoundError) as error:
        _err(str(error))
        return 2
    for issue in index.issues:
        print(f"left out: {issue}", file=sys.stderr)
    outcome = evaluate_gate(gate, index, args.model)
    for line in outcome.lines():
        print(line)
    if args.junit_xml:
        write_junit_xml(outcome, args.junit_xml)
    if args.json:
        Path(args.json).write_text(json.dumps(outcome.to_dict(), indent=1))
    return 0 if outcome.passed else 1
