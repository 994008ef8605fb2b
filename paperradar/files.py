"""Writing files so that a reader (or a rerun after kill -9) sees the old file or the
new one, never half of one.

Everything paperradar writes whole (digests, exports, index parts, weights)
goes through here: the bytes land in a temporary file in the same folder,
are flushed to disk, and replace the target in one rename.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Literal, overload


@overload
def atomic_open(path: str | Path, mode: Literal["w"] = "w", encoding: str = "utf-8") -> contextlib.AbstractContextManager[IO[str]]: ...  # noqa: E501


@overload
def atomic_open(path: str | Path, mode: Literal["wb"], encoding: str = "utf-8") -> contextlib.AbstractContextManager[IO[bytes]]: ...  # noqa: E501


def atomic_open(path: str | Path, mode: str = "w",
                encoding: str = "utf-8") -> contextlib.AbstractContextManager:
    """Open ``path`` for writing; the file appears (replacing any old one) only when the
    block ends without an exception. The parent folder is created if needed."""
    return _atomic(Path(path), mode, encoding)


@contextlib.contextmanager
def _atomic(path: Path, mode: str, encoding: str) -> Iterator[IO]:
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open: mode must be 'w' or 'wb', not {mode!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        handle: IO = (os.fdopen(fd, "wb") if mode == "wb"
                      else os.fdopen(fd, "w", encoding=encoding, newline=""))
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: str | Path, data: str | bytes, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    target = Path(path)
    if isinstance(data, bytes):
        with atomic_open(target, "wb") as handle:
            handle.write(data)
    else:
        with atomic_open(target, "w", encoding=encoding) as handle:
            handle.write(data)
    return target
