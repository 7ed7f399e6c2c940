"""Emotion from what is said: :class:`EmotionClassifier` turns an utterance, and the lines of the dialogue
before it, into the seven emotion probabilities (EMOTIONS order), with onnxruntime and no network.

Two graphs run: the frozen sentence encoder (:mod:`anisync.dialogue.encoder`) reads the utterance's tokens, and
the shipped head (``assets/models/dialogue.onnx``, :mod:`anisync.dialogue.model`) reads those and the vectors
of up to ``context_slots`` earlier lines. Each line's vector is computed once and kept (a bounded cache
keyed by its text), so a game that classifies every line as it is said encodes each line once.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Sequence, Union

import numpy as np

from ..emotion import EMOTIONS
from ..errors import InvalidArgumentError, ModelInputError
from ..expression.card import checked_card
from ..resources import asset_path
from ..sessions import checked_signature, model_file, open_session
from .encoder import check_text, shared_encoder

#: The head's graph: input and output names with their ranks. A head trained to read no context
#: (``--context 0``) has only the first two inputs.
SIGNATURE = {"inputs": {"tokens": 3, "mask": 2, "context": 3, "same_speaker": 2, "context_mask": 2},
             "outputs": {"logits": 2, "vector": 2}}
CONTEXT_INPUTS = ("context", "same_speaker", "context_mask")
#: Line vectors an :class:`EmotionClassifier` keeps (about 1 KB each).
CACHED_LINES = 4096
#: Lines the head reads in one run in :meth:`EmotionClassifier.classify_many`.
BATCH = 32
#: Runs at once in :meth:`EmotionClassifier.classify_many`, by default: the cores this process may use, at most 4.
WORKERS = min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)

#: An earlier line of the dialogue: its text, or ``(speaker, text)``.
ContextLine = Union[str, tuple[str, str]]


class EmotionClassifier:
    """What an utterance expresses, as seven probabilities. Thread-safe.

    Args:
        path: the head's ONNX file (default: the shipped ``dialogue.onnx``), checked against its card.
        threads: onnxruntime intra-op threads for both graphs (1: what a game's loop can spare).
        workers: encoder and head runs :meth:`classify_many` makes at once, each line still alone in
            its encoder run (default :data:`WORKERS`): loading a scene's lines takes all the cores it is
            given; 1 keeps to one. :meth:`classify`, what a game calls as lines are said, always keeps to one.
    """

    def __init__(self, path: str | Path | None = None, threads: int = 1, workers: int = WORKERS):
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise InvalidArgumentError(f"workers: expected the runs classify_many makes at once, an integer >= 1, got {workers!r}")
        self.workers = workers
        self.path = model_file(asset_path("models", "dialogue.onnx") if path is None else path, threads)
        #: The head's model card (None when the file has none).
        self.card = checked_card(self.path)
        self.session = open_session(self.path, threads, ["CPUExecutionProvider"])
        reads_context = any(node.name == "context" for node in self.session.get_inputs())
        signature = SIGNATURE if reads_context else {
            "inputs": {k: v for k, v in SIGNATURE["inputs"].items() if k not in CONTEXT_INPUTS},
            "outputs": SIGNATURE["outputs"]}
        shapes = checked_signature(self.session, self.path, signature)
        #: Earlier lines the head reads (0: it reads none), and the width of a line's vector.
        self.context_slots = int(shapes["inputs"]["context"][1]) if reads_context else 0
        self.width = int(shapes["outputs"]["vector"][1])
        self.encoder = shared_encoder(threads)
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def classify(self, text: str | bytes, context: Sequence[ContextLine] = (), speaker: str | None = None) -> np.ndarray:
        """The seven probabilities (float32, EMOTIONS order, summing to 1) of what ``text`` expresses.

        Args:
            text: the utterance (str, or UTF-8 bytes), at most
                :data:`~anisync.dialogue.encoder.MAX_CHARACTERS` characters.
            context: earlier lines of the dialogue, oldest first: texts, or ``(speaker, text)`` pairs; the
                last ``context_slots`` count. Unknown speakers are fine.
            speaker: who says ``text``, to tell the head which earlier lines are the same speaker's.

        Raises ModelInputError naming the argument for empty, over-long, non-text or non-UTF-8 input.
        """
        return self._classify_many([(text, context, speaker)], workers=1)[0]

    def classify_many(self, requests: Sequence[tuple[str | bytes, Sequence[ContextLine], str | None]]) -> np.ndarray:
        """:meth:`classify` for many utterances at once, ``[n, 7]``: each request is ``(text, context,
        speaker)``. Each line's words are encoded alone (see :class:`~anisync.dialogue.encoder.SentenceEncoder`)
        and the head reads them in batches, so the probabilities are those of one call each; the lines of
        the context that are not known yet are read first, each once. Encoder and head runs go
        :attr:`workers` at once."""
        return self._classify_many(requests, self.workers)

    def _classify_many(self, requests, workers: int) -> np.ndarray:
        checked = []
        for index, (text, context, speaker) in enumerate(requests):
            argument = "text" if len(requests) == 1 else f"requests[{index}].text"
            checked.append((check_text(text, argument), self._context(context), speaker))
        lines = {line for _, context, _ in checked for _, line in context}
        with self._lock:
            known = {line: self._vectors[line] for line in lines & self._vectors.keys()}
            for line in known:
                self._vectors.move_to_end(line)
        missing = sorted(lines - known.keys())
        # Every text is encoded once, though it may be both an utterance and another one's context.
        texts = list(dict.fromkeys([*missing, *(text for text, _, _ in checked)]))
        features = dict(zip(texts, _mapped(self.encoder.encode, texts, workers)))
        # A context line's vector is the head's reading of the line alone.
        for rows, (_, vectors) in self._head_runs([features[line] for line in missing], [([], None)] * len(missing), {},
                                                  workers):
            for i, vector in zip(rows, vectors):
                known[missing[i]] = vector
                self._remember(missing[i], vector)
        out = np.zeros((len(checked), len(EMOTIONS)), np.float32)
        utterances = [features[text] for text, _, _ in checked]
        for rows, (logits, vectors) in self._head_runs(utterances, [c[1:] for c in checked], known, workers):
            for i, row_logits, vector in zip(rows, logits, vectors):
                self._remember(checked[i][0], vector)
                shifted = np.exp(row_logits - row_logits.max())
                out[i] = shifted / shifted.sum()
        return out

    def dominant(self, text: str | bytes, context: Sequence[ContextLine] = (), speaker: str | None = None) -> tuple[str, float]:
        """The most probable emotion of ``text`` and its probability (:meth:`classify`'s arguments)."""
        probabilities = self.classify(text, context, speaker)
        best = int(np.argmax(probabilities))
        return EMOTIONS[best], float(probabilities[best])

    def _context(self, context: Sequence[ContextLine]) -> list[tuple[str | None, str]]:
        if isinstance(context, (str, bytes)) or not isinstance(context, Sequence):
            raise ModelInputError(f"context: expected a sequence of earlier lines (texts or (speaker, text) pairs), "
                                  f"got {type(context).__name__}")
        lines = []
        for index, line in enumerate(context[len(context) - self.context_slots:] if self.context_slots else ()):
            who = None
            if isinstance(line, tuple) and len(line) == 2:
                who, line = line
            lines.append((who, check_text(line, f"context[{index}]")))
        return lines

    def _run(self, tokens: np.ndarray, mask: np.ndarray, contexts: list[tuple[list, str | None]],
             known: dict[str, np.ndarray]):
        """The head's logits and vectors for a batch of encoded texts, each with its (context, speaker) whose
        lines' vectors are in ``known``."""
        if not self.context_slots:
            return self.session.run(None, {"tokens": tokens, "mask": mask})
        slots = self.context_slots
        context = np.zeros((len(contexts), slots, self.width), np.float32)
        same = np.zeros((len(contexts), slots), np.float32)
        filled = np.zeros((len(contexts), slots), np.float32)
        for row, (lines, speaker) in enumerate(contexts):
            # Newest line in the last slot, as the head was trained.
            for slot, (who, line) in zip(range(slots - len(lines), slots), lines):
                context[row, slot] = known[line]
                same[row, slot] = speaker is not None and who == speaker
                filled[row, slot] = 1
        return self.session.run(None, {"tokens": tokens, "mask": mask, "context": context,
                                       "same_speaker": same, "context_mask": filled})

    def _head_runs(self, features: list[np.ndarray], contexts: list[tuple[list, str | None]],
                   known: dict[str, np.ndarray], workers: int):
        """``(rows, (logits, vectors))`` for the encoded texts ``features``, each with its (context, speaker),
        read by the head in batches of similar token counts (:func:`_batches`), ``workers`` at once."""
        batches = list(_batches(features))

        def run(rows: list[int]):
            tokens, mask = _padded([features[i] for i in rows])
            return self._run(tokens, mask, [contexts[i] for i in rows], known)

        return zip(batches, _mapped(run, batches, workers))

    def _remember(self, line: str, vector: np.ndarray) -> None:
        with self._lock:
            self._vectors[line] = vector
            self._vectors.move_to_end(line)
            while len(self._vectors) > CACHED_LINES:
                self._vectors.popitem(last=False)


def _mapped(function, items: list, workers: int) -> list:
    """``[function(item) ...]``, ``workers`` at once (onnxruntime runs without holding the GIL)."""
    if workers <= 1 or len(items) < 2:
        return [function(item) for item in items]
    with ThreadPoolExecutor(min(workers, len(items)), thread_name_prefix="anisync-dialogue") as pool:
        return list(pool.map(function, items))


def _batches(features: list[np.ndarray]):
    """Indices of ``features`` in runs of at most :data:`BATCH`, of similar token counts so that the
    head's batches pad little."""
    order = sorted(range(len(features)), key=lambda i: len(features[i]))
    for start in range(0, len(order), BATCH):
        yield order[start:start + BATCH]


def _padded(features: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Token features ``[n, T, WIDTH]`` padded to the longest, and the mask ``[n, T]`` (1 on real tokens)."""
    longest = max(len(f) for f in features)
    tokens = np.zeros((len(features), longest, features[0].shape[1]), np.float32)
    mask = np.zeros((len(features), longest), np.float32)
    for row, f in enumerate(features):
        tokens[row, :len(f)], mask[row, :len(f)] = f, 1
    return tokens, mask
