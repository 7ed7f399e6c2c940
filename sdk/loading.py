"""Reading definition files: the one door every YAML definition (characters, trees, libraries, smart
objects, BPFA) comes in through.

Definition files are data that may come from a mod, a download or a teammate's typo, so reading one is
bounded and strict. Each refusal is a :class:`~anisync.errors.DefinitionError` naming the file, the key path
(or the line) and what was expected:

* at most :data:`MAX_FILE_BYTES` bytes, read no further than that;
* UTF-8 text;
* safe YAML (``yaml.SafeLoader``: plain data, no Python objects) **without aliases**: ``*name`` would let
  a few hundred bytes expand into millions of values ("billion laughs"), so every value is written out;
* at most :data:`MAX_DEPTH` levels of nesting (deeper files would exhaust Python's recursion);
* each key at most once in a mapping (YAML's own rule, which PyYAML does not enforce: it keeps the last);
* a file a definition references (``behavior.tree``, ``library``, a composite state's ``behavior``) must
  lie under the referencing file's folder, the shipped assets, or a folder given to :func:`asset_roots`
  (``Runtime(asset_roots=...)`` does this for what it spawns), so a definition cannot read files elsewhere
  on the machine.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Iterator

import yaml

from .errors import DefinitionError, InvalidArgumentError
from .resources import assets_root

#: Largest definition file read, in bytes. The shipped ones are under 10 KiB; PyYAML reads about 200 KiB a
#: second here, so the largest file loads in about a second.
MAX_FILE_BYTES = 256 * 1024
#: Deepest nesting of mappings and lists in a definition file. Shipped trees nest about 10 levels.
MAX_DEPTH = 64

#: Folders, beyond each file's own and the shipped assets, whose files definitions may reference.
_ROOTS: ContextVar[tuple[Path, ...]] = ContextVar("anisync_asset_roots", default=())


class _Refused(yaml.YAMLError):
    """Raised inside the loader; :func:`load_yaml` turns it into a DefinitionError."""

    def __init__(self, key: str, expected: str, got: object, mark: yaml.Mark):
        super().__init__(expected)
        self.key, self.expected, self.got, self.mark = key, expected, got, mark


class _DefinitionLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses aliases, nesting deeper than MAX_DEPTH and repeated keys; it keeps
    the key path of the node being composed so that a refusal can name it."""

    def __init__(self, stream):
        super().__init__(stream)
        self._path: list[str] = []
        # (tag, text) of each scalar key seen so far, per mapping node, and the line it was on
        self._keys: dict[int, dict[tuple[str, str], int]] = {}

    def compose_node(self, parent, index):
        # A mapping composes each key with index None, then its value with the key's node as index (a
        # scalar, or a list or mapping for YAML's complex keys, which the schemas refuse later).
        self._path.append(f"[{index}]" if isinstance(index, int) else index.value
                          if isinstance(index, yaml.ScalarNode) else "?" if index is not None else "")
        try:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise _Refused(self._key(), "no aliases: each value written out (aliases can expand without "
                                            "bound)", f"*{event.anchor}", event.start_mark)
            if len(self._path) > MAX_DEPTH:
                raise _Refused(self._key(), f"at most {MAX_DEPTH} levels of nesting", "deeper nesting",
                               self.peek_event().start_mark)
            node = super().compose_node(parent, index)
        finally:
            self._path.pop()
        if index is None and isinstance(parent, yaml.MappingNode) and isinstance(node, yaml.ScalarNode):
            self._refuse_repeated_key(parent, node)
        return node

    def _refuse_repeated_key(self, mapping: yaml.MappingNode, key: yaml.ScalarNode) -> None:
        seen = self._keys.setdefault(id(mapping), {})  # the nodes live until the document is built
        if (key.tag, key.value) in seen:
            raise _Refused(self._key(key.value), "each key at most once in a mapping",
                           f"{key.value!r} again (first at line {seen[key.tag, key.value]})", key.start_mark)
        seen[key.tag, key.value] = key.start_mark.line + 1

    def _key(self, last: str = "") -> str:
        key = ""
        for part in [*self._path, last]:
            if part:
                key = key + part if part.startswith("[") or not key else f"{key}.{part}"
        return key


def load_yaml(path: str | Path) -> Any:
    """Read a definition file under the limits of the module docstring; raises DefinitionError naming
    the file, and the key path or line, for anything it refuses."""
    path = Path(path)
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise DefinitionError(path, "", "a readable YAML file", error.strerror or str(error)) from None
    if len(raw) > MAX_FILE_BYTES:
        raise DefinitionError(path, "", f"a definition file of at most {MAX_FILE_BYTES} bytes",
                              f"{path.stat().st_size} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DefinitionError(path, "", "UTF-8 text",
                              f"byte 0x{raw[error.start]:02x} at offset {error.start}, which is not UTF-8") from None
    try:
        return yaml.load(text, Loader=_DefinitionLoader)
    except _Refused as refusal:
        where = f" (line {refusal.mark.line + 1})"
        raise DefinitionError(path, refusal.key, refusal.expected + where, refusal.got) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise DefinitionError(path, "", f"valid YAML{where}", problem) from None


@contextmanager
def asset_roots(*folders: str | Path) -> Iterator[tuple[Path, ...]]:
    """Within the block, definitions may also reference files under ``folders`` (and their subfolders).

    Yields the folders, resolved. Raises InvalidArgumentError for a folder that does not exist.
    """
    resolved = []
    for folder in folders:
        path = Path(folder).resolve()
        if not path.is_dir():
            raise InvalidArgumentError(f"asset_roots: {folder!r} is not a folder")
        resolved.append(path)
    token = _ROOTS.set(_ROOTS.get() + tuple(resolved))
    try:
        yield tuple(resolved)
    finally:
        _ROOTS.reset(token)


def referenced_file(source: object, name: str, key: str) -> Path:
    """The file ``name`` that the definition ``source`` references, relative to ``source``'s folder (the
    current directory without a source).

    Raises DefinitionError naming ``source`` and ``key`` unless the file lies under that folder, the
    shipped assets or a folder of :func:`asset_roots`; the file itself is not opened here.
    """
    folder = (Path(str(source)).parent if source is not None else Path.cwd()).resolve()
    path = folder / name
    roots = (folder, assets_root(), *_ROOTS.get())
    if not any(path.resolve().is_relative_to(root) for root in roots):
        raise DefinitionError(source, key, f"a file under {folder}, the shipped assets or a folder given to "
                                           "asset_roots (Runtime(asset_roots=...))", name)
    return path
