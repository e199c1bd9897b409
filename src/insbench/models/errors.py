"""Exceptions raised by the MLIP registry.

Every error subclasses :class:`ModelError`, and every message says what
happened, why, and how to fix it (three short sentences, in that order).
"""

from __future__ import annotations

from collections.abc import Iterable


def format_error(what: str, why: str, fix: str) -> str:
    """Join the three parts of an insbench error message."""
    return f"{what}\n  why: {why}\n  fix: {fix}"


class ModelError(Exception):
    """Base class of every error raised by :mod:`insbench.models`."""


class UnknownModelError(ModelError, LookupError):
    """The ``--mlip`` name is not a built-in, an alias, a plug-in or a model file."""

    def __init__(self, name: str, valid: Iterable[str], no_d3: Iterable[str] = ()) -> None:
        import difflib

        self.name = name
        self.valid = list(valid)
        no_d3 = list(no_d3)
        by_lower = {v.lower(): v for v in self.valid}
        close = difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.6)
        self.suggestions = [by_lower[c] for c in close]
        maybe = f" Did you mean {' or '.join(repr(s) for s in self.suggestions)}?" if self.suggestions else ""
        except_these = f", except to {', '.join(no_d3)} (dispersion built in)" if no_d3 else ""
        super().__init__(
            format_error(
                f"Unknown MLIP {name!r}.{maybe}",
                "it is not a built-in model, an alias in insbench.toml, an "
                "'insbench.mlips' plug-in, or the path of an existing MACE .model file.",
                "use one of: " + ", ".join(self.valid) + ". Append '+d3' to any of "
                f"them to add D3(BJ) dispersion (e.g. 'sevennet-0+d3'){except_these}. For your own "
                f"model file, give its path, or name it once with `insbench models add NAME PATH`, which "
                f"writes this alias:\n    {ALIAS_SYNTAX}",
            )
        )


class ModelFileNotFoundError(ModelError, FileNotFoundError):
    """A model file named by a path or an alias does not exist."""

    def __init__(self, path: str, *, cwd: str, origin: str) -> None:
        self.path = path
        super().__init__(
            format_error(
                f"Model file {path!r} does not exist (working directory: {cwd}).",
                f"{origin} names this file, and relative paths are resolved "
                "against the working directory (or, for aliases, against the "
                "directory of insbench.toml).",
                "check the spelling, pass an absolute path, or run from the "
                "directory the path is relative to.",
            )
        )


class ModelFileError(ModelError, ValueError):
    """A model file exists but is not a model: a directory, unreadable, empty or another file type."""

    def __init__(self, path, origin: str, problem: str, fix: str) -> None:
        self.path = str(path)
        super().__init__(
            format_error(
                f"Model file {self.path!r} {problem}.",
                f"{origin} names this file, and insbench loads it as a model.",
                f"{fix}.",
            )
        )


ALIAS_SYNTAX = ('[mlips]\n    mace_ft = {kind = "mace", path = "models/ft.model"}   '
                '# in ./insbench.toml; kinds: mace, sevennet, chgnet, xtb')


class ModelConfigError(ModelError, ValueError):
    """An ``[mlips]`` entry of ``insbench.toml`` is invalid."""


class DoubleDispersionError(ModelError, ValueError):
    """``+d3`` was asked for a model that already contains dispersion."""

    def __init__(self, name: str, dispersion: str) -> None:
        super().__init__(
            format_error(
                f"Cannot add D3 dispersion to {name!r}.",
                f"this model already contains dispersion ({dispersion}); adding "
                "D3(BJ) would count it twice.",
                f"use {name!r} without '+d3'.",
            )
        )


class PluginError(ModelError):
    """An ``insbench.mlips`` entry point broke its contract."""


class UnsupportedElementError(ModelError):
    """The structure contains elements the model was not trained on."""

    def __init__(
        self, model_name: str, missing: Iterable[str], supported: Iterable[str], system: str = ""
    ) -> None:
        self.model_name = model_name
        self.missing = sorted(set(missing))
        self.supported = sorted(set(supported))
        on = f" in {system}" if system else ""
        shown = ", ".join(self.supported) if len(self.supported) <= 20 else (
            f"{len(self.supported)} elements"
        )
        super().__init__(
            format_error(
                f"Model {model_name!r} does not cover element(s) "
                f"{', '.join(self.missing)}{on}.",
                f"the model was trained on {shown} only, so its output for the "
                "missing elements is undefined.",
                "choose a model that covers these elements, or skip this system "
                "for this model.",
            )
        )


class NonFiniteOutputError(ModelError, FloatingPointError):
    """A calculator returned NaN or infinite energy, forces or stress."""

    def __init__(self, model_name: str, prop: str, n_bad: int, n_total: int, unit: str) -> None:
        self.model_name = model_name
        self.property = prop
        self.n_bad = n_bad
        self.n_total = n_total
        super().__init__(
            format_error(
                f"Model {model_name!r} returned non-finite {prop} "
                f"({n_bad} of {n_total} {unit} NaN or infinite).",
                "likely causes: atoms too close together (a relaxation or MD step "
                "went too far), or a structure outside the model's training domain.",
                "check the structure (minimum interatomic distance, cell), use a "
                "smaller step / tighter optimiser settings, or use another model.",
            )
        )


class ConformanceError(ModelError):
    """A calculator's output does not have the shape or type insbench requires."""


class AtomsMutatedError(ConformanceError):
    """A calculator changed the Atoms object it was given."""


class SCFConsistencyError(ModelError):
    """Two independent GFN2-xTB SCF runs for one geometry disagree."""
