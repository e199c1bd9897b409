"""Check that a model file is a model before anything tries to load it.

MACE ``.model``, SevenNet ``.pth`` and CHGNet ``.pth.tar`` files are written by
``torch.save``: a zip archive holding ``<name>/data.pkl`` (torch >= 1.6), or, from older
torch, a raw pickle (first byte 0x80). Anything else would reach ``torch.load`` and end
in an UnpicklingError traceback that names no file; this check names the file instead.
It reads the file's header and zip directory only (cheap, no torch import).
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from insbench.models.errors import ModelFileError, ModelFileNotFoundError

_PICKLE_PROTOCOL_BYTE = 0x80


def check_model_file(path: str | Path, *, origin: str) -> Path:
    """Return ``path`` resolved, or raise naming it: missing, a directory, unreadable, not a model.

    ``origin`` says who named the file (e.g. "--mlip", "alias 'mace_ft' in insbench.toml").
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise ModelFileError(path, origin, "is a directory, not a model file",
                             "pass the model file inside it (e.g. DIR/model.model)")
    if not path.exists():
        raise ModelFileNotFoundError(str(path), cwd=str(Path.cwd()), origin=origin)
    if not os.access(path, os.R_OK):
        raise ModelFileError(path, origin, "cannot be read (permission denied)",
                             f"make it readable (chmod u+r {path}) or copy it somewhere readable")
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except OSError as error:
        raise ModelFileError(path, origin, f"cannot be read ({error.strerror or error})",
                             "check the file and its permissions") from None
    if not head:
        raise ModelFileError(path, origin, "is empty (0 bytes)",
                             "the download or copy was probably interrupted: fetch the model again")
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError) as error:
            raise ModelFileError(path, origin, f"is a damaged zip archive ({error})",
                                 "fetch the model again") from None
        if any(name.endswith("data.pkl") for name in names):
            return path.resolve()
        raise ModelFileError(path, origin, "is a zip archive but not a torch checkpoint (no data.pkl inside)",
                             "pass the model file written by torch.save (MACE .model, SevenNet .pth)")
    if head[0] == _PICKLE_PROTOCOL_BYTE:
        return path.resolve()
    raise ModelFileError(path, origin, "is not a model file: it is neither a torch zip checkpoint nor a pickle",
                         "check that the path points at the model (MACE .model, SevenNet .pth, CHGNet "
                         ".pth.tar), not a log, a config or a text file")
