"""Locating shipped assets through importlib.resources, whatever the current directory is."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .errors import AnisyncError


def _assets_root():
    try:
        return resources.files("anisync.assets")
    except ModuleNotFoundError:
        raise AnisyncError("the shipped assets are missing: package anisync.assets is not installed") from None


def assets_root() -> Path:
    """The folder the shipped assets are installed in, resolved."""
    return Path(str(_assets_root())).resolve()


def asset_path(*parts: str) -> Path:
    """Return the filesystem path of a shipped asset, e.g. ``asset_path("characters", "mira.yaml")``.

    Raises:
        AnisyncError: if no such asset was installed.
    """
    root = _assets_root()
    path = Path(str(root.joinpath(*parts)))
    if not path.exists():
        raise AnisyncError(f"no shipped asset {'/'.join(parts)!r} under {root}")
    return path


def shipped_characters() -> list[Path]:
    """Paths of the sample character definitions shipped in ``assets/characters``, sorted by name."""
    return sorted(asset_path("characters").glob("*.yaml"))
