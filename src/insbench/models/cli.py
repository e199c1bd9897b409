"""``insbench models list`` (the names ``--mlip`` accepts) and ``insbench models add NAME PATH``
(writes an alias to ``./insbench.toml`` so ``--mlip=NAME`` finds the file)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from insbench.models.config import CONFIG_FILE, read_aliases
from insbench.models.errors import ModelConfigError, ModelError, format_error
from insbench.models.registry import available_mlips, resolve_mlip

_KINDS_WITH_FILES = ("mace", "sevennet", "chgnet")


def register(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("models", help="list the models --mlip accepts, or name a model file")
    sub = parser.add_subparsers(dest="models_command", metavar="SUBCOMMAND", required=True)
    listing = sub.add_parser("list", help="built-ins, insbench.toml aliases and plug-ins")
    listing.set_defaults(func=run_list)
    add = sub.add_parser("add", help="name a model file: writes [mlips] NAME = {...} to ./insbench.toml")
    add.add_argument("name", help="the name to use with --mlip (e.g. mace_ft)")
    add.add_argument("path", type=Path, help="the model file (relative paths are kept relative to ./)")
    add.add_argument("--kind", choices=_KINDS_WITH_FILES, default="mace", help="model kind (default: mace)")
    add.add_argument("--d3", action="store_true", help="always add D3(BJ) dispersion to this model")
    add.add_argument("--description", help="one line for listings and reports")
    add.add_argument("--config-dir", type=Path, default=Path("."), help=argparse.SUPPRESS)
    add.set_defaults(func=run_add)
    return parser


def run_list(args: argparse.Namespace) -> int:
    for name in available_mlips():
        spec = resolve_mlip(name)
        print(f"{name:<22} {spec.kind:<9} {spec.source:<10} {spec.description}")
    print("\nAppend '+d3' to add D3(BJ) dispersion, e.g. sevennet-0+d3; a path to a MACE .model file also works;"
          "\n`insbench models add NAME PATH` names a model file for --mlip=NAME.")
    return 0


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def add_alias(name: str, path: Path, *, kind: str = "mace", d3: bool = False, description: str | None = None,
              config_dir: Path = Path(".")) -> Path:
    """Write ``name = {kind, path, ...}`` into ``[mlips]`` of ``config_dir/insbench.toml`` and check it
    resolves (the file is restored if not). Returns the config file."""
    config = Path(config_dir) / CONFIG_FILE
    if not name.replace("_", "").replace("-", "").isalnum() or name.lower().endswith("+d3"):
        raise ModelConfigError(format_error(f"Alias name {name!r} is not usable.",
                                            "--mlip=NAME must be letters, digits, '-' or '_'.",
                                            "choose a name like mace_ft."))
    if name in available_mlips(config_dir=config_dir):
        raise ModelConfigError(format_error(f"{name!r} is already a model name.",
                                            "an alias must not hide a built-in, a plug-in or another alias.",
                                            "choose another name, or edit insbench.toml by hand."))
    shown = os.path.relpath(path.resolve(), Path(config_dir).resolve()) if not path.is_absolute() else str(path)
    fields = [f"kind = {_toml_string(kind)}", f"path = {_toml_string(shown)}"]
    if d3:
        fields.append("d3 = true")
    if description:
        fields.append(f"description = {_toml_string(description)}")
    line = f"{name} = {{{', '.join(fields)}}}\n"
    before = config.read_text(encoding="utf-8") if config.is_file() else None
    read_aliases(Path(config_dir))  # an existing broken file is reported, not rewritten
    lines = (before or "").splitlines(keepends=True)
    header = next((i for i, text in enumerate(lines) if text.strip() == "[mlips]"), None)
    if header is not None:
        lines.insert(header + 1, line)
    else:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        lines += (["\n"] if lines else []) + ["[mlips]\n", line]
    config.write_text("".join(lines), encoding="utf-8")
    try:
        resolve_mlip(name, config_dir=Path(config_dir))
    except BaseException:
        if before is None:
            config.unlink()
        else:
            config.write_text(before, encoding="utf-8")
        raise
    return config


def run_add(args: argparse.Namespace) -> int:
    try:
        config = add_alias(args.name, args.path, kind=args.kind, d3=args.d3, description=args.description,
                           config_dir=args.config_dir)
    except ModelError as error:
        sys.stderr.write(f"insbench models add: {error}\n")
        return 2
    print(f"wrote alias {args.name!r} to {config}; use it with: pytest --mlip={args.name}")
    return 0
