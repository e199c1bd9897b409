"""Kind ``cited``: statements paraphrased from a paper, each with its exact source."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, model_validator

from insbench.reference.errors import ReferenceSchemaError
from insbench.reference.schema_types import Text, _Problem, _text


class _CitedClaim(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    statement: Text
    source: Annotated[Any, BeforeValidator(lambda v: v if isinstance(v, Mapping) else _text(v))]

    @model_validator(mode="after")
    def _exact(self) -> _CitedClaim:
        if isinstance(self.source, Mapping) and not (isinstance(self.source.get("location"), str)
                                                     and self.source["location"].strip()):
            raise _Problem("source.location", "must say exactly where in the paper (e.g. 'Figure 2 caption')")
        return self


class _CitedFile(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    claims: list[_CitedClaim]


def check_cited_claims(data: bytes, file: Path, manifest: Path, artefact: str) -> None:
    """A ``cited`` artefact's JSON: ``{"claims": [{"statement", "source"}, ...]}``, where each
    ``source`` names the exact place (a string, or an object with ``location``)."""
    import json

    try:
        decoded = json.loads(data.decode("utf-8"))
        parsed = _CitedFile.model_validate(decoded)
    except (UnicodeDecodeError, ValueError) as error:
        if isinstance(error, ValidationError):
            problem = error.errors(include_url=False)[0]
            cause = (problem.get("ctx") or {}).get("error")
            where = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in problem["loc"]).replace(".[", "[")
            if isinstance(cause, _Problem):
                where, message = f"{where}.{cause.field}", str(cause)
            else:
                message = "is missing (required)" if problem["type"] == "missing" else str(problem["msg"])
        else:
            where, message = "<json>", f"is not valid UTF-8 JSON ({error})"
        raise ReferenceSchemaError(manifest, f"{artefact} -> {file.name}: {where}",
                                   f"{message}; a cited artefact lists each statement with its exact source") from None
    if not parsed.claims:
        raise ReferenceSchemaError(manifest, f"{artefact} -> {file.name}: claims", "must list at least one statement")
