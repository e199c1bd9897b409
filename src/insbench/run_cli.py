"""``insbench run``: the benchmark suite through pytest, with the same options as the plugin."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "run",
        help="run the benchmark suite on one or more models (same as pytest --mlip=NAME)",
        description="Runs the insbench benchmark suite with pytest. Extra arguments after "
        "'--' go to pytest, e.g. insbench run sevennet-0+d3 -- -k hexane",
    )
    parser.add_argument("models", nargs="+", help="model names (see 'insbench models list')")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    import pytest

    return int(pytest.main([f"--mlip={','.join(args.models)}", *args.passthrough]))
