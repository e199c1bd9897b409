"""Name -> :class:`MLIPSpec`: built-ins, ``insbench.toml`` aliases, plug-ins, model files."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

from insbench.models.builtins import builtin_specs
from insbench.models.config import alias_names, alias_spec, read_aliases
from insbench.models.errors import (
    DoubleDispersionError,
    ModelConfigError,
    UnknownModelError,
    format_error,
)
from insbench.models.files import check_model_file
from insbench.models.plugins import plugin_names, plugin_spec
from insbench.models.spec import MLIPSpec

D3_SUFFIX = "+d3"
#: File endings taken as "this name is a path to a MACE model".
MODEL_SUFFIXES = (".model", ".pt", ".pth")


def parse_mlip_option(values: Iterable[str]) -> list[str]:
    """Split repeated and comma-separated ``--mlip`` values; drop blanks and repeats.

    >>> parse_mlip_option(["mace-tiny,chgnet", "chgnet", " gfn2-xtb "])
    ['mace-tiny', 'chgnet', 'gfn2-xtb']
    """
    names: list[str] = []
    for value in values:
        for part in value.split(","):
            name = part.strip()
            if name and name not in names:
                names.append(name)
    return names


def available_mlips(*, config_dir: Path | None = None) -> list[str]:
    """Every valid base name: built-ins, then aliases, then plug-ins (no ``+d3`` variants)."""
    config_dir = Path.cwd() if config_dir is None else Path(config_dir)
    names = list(builtin_specs())
    for extra in (*alias_names(config_dir), *plugin_names()):
        if extra not in names:
            names.append(extra)
    return names


def resolve_mlip(name: str, *, config_dir: Path | None = None) -> MLIPSpec:
    """The spec for ``name``; nothing is loaded yet.

    Lookup order: built-in name, alias in ``config_dir/insbench.toml``,
    ``insbench.mlips`` plug-in, then a filesystem path to a MACE model file.
    ``NAME+d3`` adds D3(BJ) dispersion to any of them, except to models that
    already contain dispersion.

    Raises:
        UnknownModelError: no such name (the message lists the valid ones).
        ModelFileNotFoundError: a path or alias names a file that does not exist.
        DoubleDispersionError: ``+d3`` on a model that already has dispersion.
        ModelConfigError, PluginError: a broken alias or plug-in.
    """
    config_dir = Path.cwd() if config_dir is None else Path(config_dir)
    requested = name.strip()
    base_name, want_d3 = requested, False
    if requested.lower().endswith(D3_SUFFIX):
        base_name, want_d3 = requested[: -len(D3_SUFFIX)], True
    spec = _resolve_base(base_name, config_dir)
    if want_d3:
        if spec.dispersion:
            raise DoubleDispersionError(base_name, spec.dispersion)
        spec = dataclasses.replace(spec, name=requested, d3=True)
    return spec


def _resolve_base(name: str, config_dir: Path) -> MLIPSpec:
    builtins = builtin_specs()
    if name in builtins:
        return builtins[name]
    aliases = read_aliases(config_dir)
    clash = sorted(set(aliases) & set(builtins))
    if clash:
        raise ModelConfigError(
            format_error(
                f"insbench.toml in {config_dir} redefines built-in model(s) {', '.join(clash)}.",
                "an alias must not hide a built-in name.",
                "rename the alias(es).",
            )
        )
    if name in aliases:
        return alias_spec(name, aliases[name], config_dir)
    from_plugin = plugin_spec(name)
    if from_plugin is not None:
        return from_plugin
    return _path_spec(name, config_dir)


def _looks_like_path(name: str) -> bool:
    return name.endswith(MODEL_SUFFIXES) or "/" in name or "\\" in name


def _path_spec(name: str, config_dir: Path) -> MLIPSpec:
    path = Path(name).expanduser()
    if path.exists() or _looks_like_path(name):
        checked = check_model_file(path, origin="--mlip")
        return MLIPSpec(
            name=name,
            kind="mace",
            path=str(checked),
            options=(("default_dtype", "float64"),),
            description=f"MACE model file {path}",
            source="path",
        )
    no_d3 = [spec.name for spec in builtin_specs().values() if spec.dispersion]
    raise UnknownModelError(name, available_mlips(config_dir=config_dir), no_d3)
