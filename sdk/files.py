"""Writing files so that a reader never sees half of one."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO, Callable


def write_atomically(path: str | Path, write: Callable[[BinaryIO], object] | bytes) -> None:
    """Write ``path`` through a temporary file beside it and a rename, so that it exists only when
    complete; ``write`` is the bytes, or a function that writes to the open binary file."""
    path = Path(path)
    temporary = path.with_name(path.name + ".partial")
    with open(temporary, "wb") as handle:
        if isinstance(write, bytes):
            handle.write(write)
        else:
            write(handle)
    os.replace(temporary, path)
