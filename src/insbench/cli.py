"""``insbench`` command line: wires subcommands to the functions the plugin uses.

Each subcommand module exposes ``register(subparsers)`` and stores its handler in
``args.func``; the handler returns the exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: modules that contribute subcommands (each has ``register(subparsers)``)
SUBCOMMAND_MODULES = (
    "insbench.run_cli",
    "insbench.models.cli",
    "insbench.reference.cli",
    "insbench.results.cli",
    "insbench.verify_cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="insbench",
        description="Benchmark machine-learned interatomic potentials against measured "
        "inelastic neutron scattering spectra.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            continue  # a subcommand module not written yet
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # everything after the first "--" is passed through untouched (e.g. to pytest)
    passthrough: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, passthrough = argv[:cut], argv[cut + 1 :]
    parser = build_parser()
    args = parser.parse_args(argv)
    args.passthrough = passthrough
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
