"""User aliases for models, read from ``[mlips]`` in ``insbench.toml``.

Example (paths are relative to the directory of ``insbench.toml``)::

    [mlips]
    mace_ft = {kind = "mace", path = "models/ft.model"}
    my7net = {kind = "sevennet", path = "models/checkpoint_best.pth", d3 = true}
    chg = {kind = "chgnet"}
    xtb = {kind = "xtb"}
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from insbench.models.errors import ModelConfigError, format_error
from insbench.models.spec import MLIPSpec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_FILE = "insbench.toml"

_COMMON_KEYS = frozenset({"kind", "path", "d3", "description"})
#: Keys each kind accepts besides the common ones.
_KIND_KEYS: dict[str, frozenset[str]] = {
    "mace": frozenset({"default_dtype"}),
    "sevennet": frozenset({"checkpoint"}),
    "chgnet": frozenset({"version"}),
    "xtb": frozenset({"method"}),
}
_NEEDS_PATH = frozenset({"mace"})
_NO_PATH = frozenset({"xtb"})


def _config_error(config: Path, name: str, what: str, why: str, fix: str) -> ModelConfigError:
    return ModelConfigError(format_error(f"{config}: [mlips] {name}: {what}", why, fix))


def read_aliases(config_dir: Path) -> dict[str, dict[str, Any]]:
    """The raw ``[mlips]`` table of ``config_dir/insbench.toml`` (empty if there is none)."""
    config = Path(config_dir) / CONFIG_FILE
    if not config.is_file():
        return {}
    try:
        document = tomllib.loads(config.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ModelConfigError(
            format_error(
                f"{config} is not valid TOML: {exc}.",
                "insbench reads model aliases from its [mlips] table.",
                "fix the syntax (see https://toml.io).",
            )
        ) from exc
    table = document.get("mlips", {})
    if not isinstance(table, dict):
        raise ModelConfigError(
            format_error(
                f"{config}: 'mlips' must be a table.",
                "each alias is one key of the [mlips] table.",
                'write e.g. [mlips]\\nmy_model = {kind = "mace", path = "m.model"}.',
            )
        )
    return table


def alias_names(config_dir: Path) -> list[str]:
    """Alias names defined in ``config_dir/insbench.toml``, in file order."""
    return list(read_aliases(config_dir))


def alias_spec(name: str, entry: Any, config_dir: Path) -> MLIPSpec:
    """Validate one ``[mlips]`` entry and turn it into an :class:`MLIPSpec`."""
    config = (Path(config_dir) / CONFIG_FILE).resolve()
    if not isinstance(entry, dict):
        raise _config_error(
            config, name, "must be a table.", "an alias needs at least a kind.",
            f'write {name} = {{kind = "mace", path = "model.model"}}.',
        )
    kind = entry.get("kind")
    if kind not in _KIND_KEYS:
        raise _config_error(
            config, name, f"kind {kind!r} is not supported.",
            "insbench can load these kinds itself; other calculators come as plug-ins.",
            "use kind = one of " + ", ".join(repr(k) for k in _KIND_KEYS) + ".",
        )
    allowed = _COMMON_KEYS | _KIND_KEYS[kind]
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise _config_error(
            config, name, f"unknown key(s) {', '.join(unknown)}.",
            f"kind {kind!r} accepts {', '.join(sorted(allowed))}.",
            "remove or rename the unknown keys.",
        )
    d3 = entry.get("d3", False)
    if not isinstance(d3, bool):
        raise _config_error(
            config, name, f"d3 = {d3!r} is not a boolean.", "d3 switches D3(BJ) on or off.",
            "write d3 = true or d3 = false.",
        )
    path = _resolve_path(config, name, kind, entry.get("path"))
    options = tuple(sorted((key, entry[key]) for key in _KIND_KEYS[kind] if key in entry))
    from insbench.models.builtins import builtin_specs

    base = builtin_specs()
    dispersion = base["gfn2-xtb"].dispersion if kind == "xtb" else None
    return MLIPSpec(
        name=name,
        kind=kind,
        path=path,
        d3=d3,
        options=options,
        description=str(entry.get("description", f"{kind} model from {config}")),
        dispersion=dispersion,
        source=f"config:{config}",
    )


def _resolve_path(config: Path, name: str, kind: str, raw: Any) -> str | None:
    if raw is None:
        if kind in _NEEDS_PATH:
            raise _config_error(
                config, name, "has no path.", f"a {kind} alias points at a model file.",
                f'add path = "models/{name}.model" (relative to {config.parent}).',
            )
        return None
    if kind in _NO_PATH:
        raise _config_error(
            config, name, "has a path.", f"kind {kind!r} has no model file.",
            "remove the path key.",
        )
    from insbench.models.files import check_model_file

    path = Path(str(raw)).expanduser()
    if not path.is_absolute():
        path = config.parent / path
    return str(check_model_file(path, origin=f"alias {name!r} in {config}"))
