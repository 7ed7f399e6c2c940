"""Optional dependencies: the packages that anisync's extras install, imported when a feature first needs them.

The core (``pip install anisync``) needs only numpy, onnxruntime, transitions, py_trees and pyyaml; a
feature used without its extra fails with a :class:`MissingExtraError` that names the ``pip install`` to run.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import AnisyncError


class MissingExtraError(AnisyncError, ImportError):
    """A feature needs a package that one of anisync's extras installs, and it is not installed.

    Attributes:
        module: the module that could not be imported (``"tokenizers"``).
        extra: the extra that installs it (``"dialogue"``).
    """

    def __init__(self, module: str, extra: str, feature: str):
        self.module, self.extra = module, extra
        super().__init__(f"{feature} needs the {module.split('.')[0]!r} package, which is not installed: "
                         f"pip install \"anisync[{extra}]\"", name=module)


def import_extra(module: str, extra: str, feature: str) -> ModuleType:
    """Import ``module`` for ``feature``, or raise :class:`MissingExtraError` naming the ``extra`` to install."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        # Only the optional package itself being absent is the user's to fix; a broken install underneath it
        # (a missing module of its own) is re-raised as is.
        if error.name is None or module.split(".")[0] != error.name.split(".")[0]:
            raise
        raise MissingExtraError(module, extra, feature) from error
