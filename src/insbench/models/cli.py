"""``insbench models list``: the model names ``--mlip`` accepts."""

from __future__ import annotations

import argparse
from typing import Any

from insbench.models.registry import available_mlips, resolve_mlip


def register(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("models", help="list the models --mlip accepts")
    sub = parser.add_subparsers(dest="models_command", metavar="SUBCOMMAND", required=True)
    listing = sub.add_parser("list", help="built-ins, insbench.toml aliases and plug-ins")
    listing.set_defaults(func=run_list)
    return parser


def run_list(args: argparse.Namespace) -> int:
    for name in available_mlips():
        spec = resolve_mlip(name)
        print(f"{name:<22} {spec.kind:<9} {spec.source:<10} {spec.description}")
    print("\nAppend '+d3' to add D3(BJ) dispersion, e.g. sevennet-0+d3; a path to a MACE .model file also works.")
    return 0
