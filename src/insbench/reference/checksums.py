"""sha256 of data files, and verification against a manifest."""

from __future__ import annotations

import re
from pathlib import Path

from insbench._io import sha256_bytes, sha256_file  # noqa: F401  (the one sha256; re-exported)
from insbench.reference.errors import ChecksumError, MissingDataFileError

#: A sha256 as written in manifests: 64 lower-case hexadecimal digits.
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")


def read_verified(path: Path, expected_sha256: str, manifest: Path | str) -> bytes:
    """The bytes of ``path``, after checking they hash to ``expected_sha256``.

    Returning the verified bytes (rather than a yes/no) lets callers parse exactly
    what was checked, so a file cannot change between check and use.

    Raises:
        ChecksumError: the file's sha256 differs from the manifest's.
        MissingDataFileError: the file is not there.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise MissingDataFileError(path, expected_sha256, manifest) from None
    actual = sha256_bytes(data)
    if actual != expected_sha256:
        raise ChecksumError(path, expected_sha256, actual, manifest)
    return data
