"""Leave a PNG alone when what it would show has not changed.

A plot function hashes everything it draws from (its arguments, the source of the
module that draws, matplotlib's version) with :func:`inputs_digest` and writes the
digest into the PNG as a text chunk (:func:`save_png`). Next time, :func:`is_current`
reads that chunk (no pixel is decoded)
and the function returns without importing matplotlib or drawing: a cached rerun
re-renders no unchanged plot. A PNG without the chunk, unreadable, or with another
digest is drawn again.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: the PNG text-chunk keyword holding the digest of the inputs the image was drawn from
DIGEST_KEY = "insbench-inputs-sha256"


def _feed(digest, value: Any) -> None:
    """Add ``value`` to ``digest`` unambiguously (type tag, length, content)."""
    if value is None or isinstance(value, (bool, int, str, float)):
        text = repr(value) if not isinstance(value, float) else float(value).hex()
        digest.update(f"{type(value).__name__}:{len(text)}:{text};".encode())
    elif isinstance(value, (np.ndarray, np.generic)):
        array = np.ascontiguousarray(value)
        if array.dtype == object:
            _feed(digest, array.tolist())
            return
        digest.update(f"nd:{array.dtype.str}:{array.shape};".encode())
        digest.update(array.tobytes())
    elif isinstance(value, Path):
        _feed(digest, str(value))
    elif isinstance(value, Mapping):
        digest.update(f"map:{len(value)};".encode())
        for key in sorted(value, key=repr):
            _feed(digest, key)
            _feed(digest, value[key])
    elif isinstance(value, (list, tuple)):
        digest.update(f"seq:{len(value)};".encode())
        for item in value:
            _feed(digest, item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        digest.update(f"dc:{type(value).__qualname__};".encode())
        for field in dataclasses.fields(value):
            _feed(digest, field.name)
            _feed(digest, getattr(value, field.name))
    else:
        raise TypeError(f"cannot fingerprint a {type(value).__name__} for a plot digest; "
                        "pass plain data (numbers, strings, arrays, dicts, lists, dataclasses)")


@functools.lru_cache(maxsize=32)
def _file_sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def inputs_digest(code_files: str | Sequence[str], *parts: Any) -> str:
    """sha256 of ``parts``, of the drawing code (a module file, or several) and of matplotlib's version."""
    from importlib.metadata import version

    files = [code_files] if isinstance(code_files, str) else list(code_files)
    digest = hashlib.sha256()
    _feed(digest, [*(_file_sha256(str(f)) for f in files), version("matplotlib")])
    for part in parts:
        _feed(digest, part)
    return digest.hexdigest()


def png_digest(path: Path) -> str | None:
    """The digest stored in the PNG at ``path`` (None: no file, not a PNG, or no digest).

    Pillow reads the chunks before the image data when it opens a file; the pixels are
    never decoded.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            value = image.info.get(DIGEST_KEY)
    except (OSError, UnidentifiedImageError, ValueError):
        return None
    return value if isinstance(value, str) else None


def is_current(path: Path, digest: str) -> bool:
    """True if the PNG at ``path`` was drawn from inputs with this digest."""
    return png_digest(path) == digest


def save_png(fig, path: Path, digest: str, *, dpi: int = 110) -> Path:
    """Save ``fig`` as PNG at ``path`` with ``digest`` in a text chunk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, metadata={DIGEST_KEY: digest})
    return path
