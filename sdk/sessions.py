"""onnxruntime sessions, for every model anisync runs (expression editor, appearance generator, judges):
opening one with execution providers tried in order, checking its graph at load (input and output names,
ranks and element types), and running a big batch a chunk at a time. onnxruntime is imported only when a
session is opened."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import ModelInputError, ModelLoadError

#: Execution providers the runtimes try, in order: CUDA where onnxruntime-gpu has it, else the CPU.
PROVIDER_ORDER = ("CUDAExecutionProvider", "CPUExecutionProvider")
#: The element type of every input and output of anisync's graphs (float32), as onnxruntime names it.
ELEMENT_TYPE = "tensor(float)"


def model_file(path: str | Path, threads: object) -> Path:
    """``path`` as a Path, checked before a runtime reads the model's card and opens it: ModelLoadError
    naming the path when there is no such file, or ``threads`` when it is not an integer >= 0."""
    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(f"{path}: no such model file")
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 0:
        raise ModelLoadError(f"threads: expected a non-negative integer, got {threads!r}")
    return path


def open_session(path: Path, threads: int, providers: list[str]):
    """An onnxruntime session on ``path`` with ``threads`` intra-op threads and the first of ``providers``
    that this onnxruntime has (else the CPU); raises ModelLoadError naming the path if it is missing or
    not a loadable model."""
    import onnxruntime as ort

    if not path.is_file():
        raise ModelLoadError(f"{path}: no such model file")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    available = set(ort.get_available_providers())
    chosen = [p for p in providers if p in available] or ["CPUExecutionProvider"]
    try:
        return ort.InferenceSession(str(path), options, providers=chosen)
    except Exception as error:  # onnxruntime raises its own exception types for unreadable graphs
        raise ModelLoadError(f"{path}: not a loadable ONNX model ({error})") from None


def checked_signature(session, path: Path, signature: dict[str, dict[str, int]]) -> dict[str, dict[str, list]]:
    """The shapes of ``session``'s inputs and outputs (``{"inputs": {name: shape}, "outputs": ...}``) after
    checking them against ``signature`` (the same layout, with ranks) and checking that each is float32
    (:data:`ELEMENT_TYPE`); raises ModelLoadError naming ``path`` and the first name, rank or element type
    that differs. A graph of other element types would load and then fail at every call."""
    nodes = {"inputs": session.get_inputs(), "outputs": session.get_outputs()}
    found = {kind: {node.name: node.shape for node in listed} for kind, listed in nodes.items()}
    types = {kind: {node.name: node.type for node in listed} for kind, listed in nodes.items()}
    for kind, expected in signature.items():
        if set(found[kind]) != set(expected):
            raise ModelLoadError(f"{path}: {kind} {sorted(found[kind])}, expected {sorted(expected)}")
        for name, rank in expected.items():
            if len(found[kind][name]) != rank:
                raise ModelLoadError(f"{path}: {kind[:-1]} {name!r} has rank {len(found[kind][name])}, expected {rank}")
            if types[kind][name] != ELEMENT_TYPE:
                raise ModelLoadError(f"{path}: {kind[:-1]} {name!r} has type {types[kind][name]}, "
                                     f"expected {ELEMENT_TYPE}")
    return found


def run_in_chunks(session, outputs: list[str], feed: dict[str, np.ndarray], chunk: int) -> list[np.ndarray]:
    """``session.run(outputs, feed)`` on at most ``chunk`` rows of the batch at a time, each output
    concatenated along the batch axis. A session holds the activations of the whole batch it runs, so
    one run of a big batch takes gigabytes (the 128 px editor: about 1.8 MB a face). ``feed`` holds at
    least one row."""
    rows = len(next(iter(feed.values())))
    parts = [session.run(outputs, {name: value[start:start + chunk] for name, value in feed.items()})
             for start in range(0, rows, chunk)]
    return [np.concatenate(part) for part in zip(*parts)]


def check_faces(faces: object, argument: str, size: int | None = None) -> np.ndarray:
    """``faces`` if it is a non-empty batch of square uint8 RGBA faces (``[n, S, S, 4]``, S = ``size`` when
    given), what every face model takes; else ModelInputError naming ``argument``. Another dtype is refused
    rather than scaled by a guess (is a float in [0, 1] or in [0, 255]?)."""
    side = "S" if size is None else str(size)
    if (not isinstance(faces, np.ndarray) or faces.ndim != 4 or faces.shape[3] != 4 or faces.shape[1] != faces.shape[2]
            or (size is not None and faces.shape[1] != size)):
        shape = list(faces.shape) if isinstance(faces, np.ndarray) else type(faces).__name__
        raise ModelInputError(f"{argument}: expected an array of shape [batch, {side}, {side}, 4] (RGBA), got {shape}")
    if faces.dtype != np.uint8:
        raise ModelInputError(f"{argument}: expected uint8 RGBA, got {faces.dtype}")
    if not len(faces):
        raise ModelInputError(f"{argument}: an empty batch")
    return faces
