"""The phoneme reader: which phoneme sounds in each 10 ms of a voice recording, and where a transcript's
phonemes fall in it (onnxruntime; no torch).

:class:`PhonemeReader` runs a small convolutional network (``assets/models/phonemes.onnx``, trained here by
:mod:`anisync.speech.reader_train` on speech that espeak-ng spoke with each phoneme's time) over the
recording's log-mel frames (:func:`log_mel`) and gives, per 10 ms frame, the log-probability of each of
:data:`CLASSES` (silence and ARPAbet's 39 phonemes; a diphthong is one class).

* **With a transcript**, :func:`align` places the transcript's phonemes (the pronouncing dictionary's, as
  the text path reads them) on the frames by Viterbi forced alignment: the phonemes in order, each at least
  one frame, an optional pause before, between and after the words; the path of highest log-probability.
* **Without one**, :func:`decode` reads the likeliest class of each frame, with a cost for every change so
  that a single stray frame does not make a mouth twitch.

Both give :class:`~anisync.speech.visemes.TimedViseme` lists through :func:`reader_visemes`.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import numpy as np

from ..errors import InvalidArgumentError, ModelInputError, ModelLoadError
from ..expression.card import checked_card
from ..resources import asset_path
from ..sessions import PROVIDER_ORDER, checked_signature, model_file, open_session
from .durations import PRIOR_SECONDS
from .text import pronounce, spoken_words
from .visemes import TimedViseme, phoneme_visemes

log = logging.getLogger("anisync.speech")

#: The shipped reader.
DEFAULT_MODEL = asset_path("models") / "phonemes.onnx"
#: The graph: log-mel ``features`` ``[batch, BINS, frames]`` in, per-frame class ``logits``
#: ``[batch, classes, frames]`` out; batch and frames are dynamic.
SIGNATURE = {"inputs": {"features": 3}, "outputs": {"logits": 3}}
#: What the reader tells apart: a pause (``""``) and each ARPAbet phoneme.
CLASSES: tuple[str, ...] = ("", *PRIOR_SECONDS)
#: The features' sample rate, window and hop (samples), and mel bands.
SAMPLE_RATE, WINDOW, HOP, BINS = 16000, 400, 160, 40
#: Seconds per frame.
FRAME = HOP / SAMPLE_RATE
#: Log-probability a change of class costs :func:`decode` (about three frames' worth of a clear reading).
CHANGE_COST = 6.0


def resample(samples: np.ndarray, sample_rate: int, to: int = SAMPLE_RATE) -> np.ndarray:
    """Mono ``samples`` at ``sample_rate`` as float32 at ``to`` Hz (linear interpolation)."""
    times = np.arange(0, len(samples) / sample_rate, 1 / to)
    return np.interp(times, np.arange(len(samples)) / sample_rate, np.asarray(samples, np.float64)).astype(np.float32)


@functools.cache
def _mel_filters() -> np.ndarray:
    """:data:`BINS` triangular filters on the mel scale from 0 to 8 kHz, over a ``WINDOW``-point rfft."""
    def mel(hz):
        return 2595.0 * np.log10(1.0 + hz / 700.0)

    edges_hz = 700.0 * (10 ** (np.linspace(0.0, mel(SAMPLE_RATE / 2), BINS + 2) / 2595.0) - 1.0)
    frequencies = np.fft.rfftfreq(512, 1 / SAMPLE_RATE)
    low, centre, high = edges_hz[:-2, None], edges_hz[1:-1, None], edges_hz[2:, None]
    rising, falling = (frequencies - low) / (centre - low), (high - frequencies) / (high - centre)
    return np.maximum(0.0, np.minimum(rising, falling)).astype(np.float32)


def log_mel(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """The reader's features of a mono recording: ``[BINS, frames]`` log-mel energies, frame ``k`` a 25 ms
    Hann window centred on the middle of the recording's ``k``-th 10 ms, each band less its mean over the
    recording (so loudness and a microphone's colour do not matter) and divided by the recording's spread."""
    audio = resample(samples, sample_rate)
    frames = max(1, -(-len(audio) // HOP))
    lead = (WINDOW - HOP) // 2
    audio = np.pad(audio, (lead, (frames - 1) * HOP + WINDOW - lead - len(audio)))
    windows = np.lib.stride_tricks.sliding_window_view(audio, WINDOW)[::HOP][:frames] * np.hanning(WINDOW).astype(np.float32)
    power = np.abs(np.fft.rfft(windows, 512)) ** 2
    energies = np.log(power @ _mel_filters().T + 1e-8)
    centred = energies - energies.mean(axis=0)
    return (centred / (centred.std() + 1e-5)).T.astype(np.float32)


class PhonemeReader:
    """The phoneme reader behind onnxruntime (module docstring).

    Args:
        path: the ``.onnx`` file (default: the shipped model); its card (``NAME.json``), when present, must
            carry the file's sha256.
        threads: onnxruntime intra-op threads (default 1: a line is read in a few milliseconds).
        providers: execution providers to try, in order.

    Raises:
        ModelLoadError: naming the path for a missing or corrupt file or card, or a graph that is not a
            reader of :data:`CLASSES` over :data:`BINS` bands.
    """

    def __init__(self, path: str | Path = DEFAULT_MODEL, threads: int = 1, providers: tuple[str, ...] = PROVIDER_ORDER):
        self.path = model_file(path, threads)
        self.card = checked_card(self.path)
        self.session = open_session(self.path, threads, list(providers))
        found = checked_signature(self.session, self.path, SIGNATURE)
        if found["inputs"]["features"][1] != BINS or found["outputs"]["logits"][1] != len(CLASSES):
            raise ModelLoadError(f"{self.path}: expected {BINS} mel bands in and {len(CLASSES)} classes out, got "
                                 f"{found['inputs']['features']} -> {found['outputs']['logits']}")
        log.info("PhonemeReader %s on %s", self.path.name, self.session.get_providers()[0])

    def log_probabilities(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        """``[frames, classes]``: per 10 ms frame of the recording, each class's log-probability."""
        if not isinstance(sample_rate, int) or sample_rate < 8000:
            raise InvalidArgumentError(f"sample_rate: expected an integer of at least 8000 Hz, got {sample_rate!r}")
        samples = np.asarray(samples)
        if samples.ndim != 1 or not len(samples):
            raise ModelInputError(f"samples: expected a non-empty mono recording [samples], got shape {list(samples.shape)}")
        logits = self.session.run(["logits"], {"features": log_mel(samples, sample_rate)[None]})[0][0].T
        shifted = logits - logits.max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


@functools.cache
def shipped_reader() -> PhonemeReader:
    """The shipped reader, opened once."""
    return PhonemeReader()


_INDEX = {name: k for k, name in enumerate(CLASSES)}


def align(log_probabilities: np.ndarray, words: list[tuple[str, ...]]) -> list[tuple[str, int, int]]:
    """The frames of each phoneme of ``words`` (each word's ARPAbet phonemes, in order) in a recording
    read by :meth:`PhonemeReader.log_probabilities`: ``(phoneme, first frame, end frame)``, pauses as
    ``""`` (module docstring). A recording with fewer frames than phonemes gives each phoneme a frame
    from the start, as far as the frames go."""
    states: list[str] = [""]
    optional: list[bool] = [True]
    for phonemes in (w for w in words if w):
        states += phonemes
        optional += [False] * len(phonemes)
        states.append("")
        optional.append(True)
    frames, count = len(log_probabilities), len(states)
    needed = sum(not o for o in optional)
    if needed == 0:
        return [("", 0, frames)] if frames else []
    if frames < needed:
        return [(p, k, k + 1) for k, p in enumerate([s for s, o in zip(states, optional) if not o][:frames])]
    emissions = log_probabilities[:, [_INDEX[s] for s in states]]
    skippable = np.array([False, False] + [optional[k - 1] for k in range(2, count)])
    score = np.full(count, -np.inf)
    score[0], score[1] = emissions[0, 0], emissions[0, 1]
    back = np.zeros((frames, count), np.int8)  # 0 stay, 1 from the state before, 2 over a skipped pause
    for t in range(1, frames):
        moved = np.concatenate([[-np.inf], score[:-1]])
        skipped = np.where(skippable, np.concatenate([[-np.inf, -np.inf], score[:-2]]), -np.inf)
        choices = np.stack([score, moved, skipped])
        back[t] = choices.argmax(axis=0)
        score = choices.max(axis=0) + emissions[t]
    state = count - 1 if score[count - 1] >= score[count - 2] else count - 2
    path = np.empty(frames, int)
    for t in range(frames - 1, -1, -1):
        path[t] = state
        state -= int(back[t, state])
    return _runs([states[s] for s in path], path)


def decode(log_probabilities: np.ndarray, change_cost: float = CHANGE_COST) -> list[tuple[str, int, int]]:
    """Each frame's class with :data:`CHANGE_COST` per change (Viterbi), as runs ``(class, first, end)``."""
    frames, classes = log_probabilities.shape
    if not frames:
        return []
    score = log_probabilities[0].copy()
    back = np.zeros((frames, classes), np.int16)
    for t in range(1, frames):
        best = int(score.argmax())
        switch = score[best] - change_cost
        back[t] = np.where(score >= switch, np.arange(classes), best)
        score = np.maximum(score, switch) + log_probabilities[t]
    path = np.empty(frames, int)
    path[-1] = int(score.argmax())
    for t in range(frames - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return _runs([CLASSES[c] for c in path], path)


def _runs(names: list[str], path: np.ndarray) -> list[tuple[str, int, int]]:
    """Consecutive frames of one path state as ``(name, first, end)``."""
    edges = [0, *(np.nonzero(np.diff(path))[0] + 1), len(path)]
    return [(names[a], int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]


def reader_visemes(samples: np.ndarray, sample_rate: int, transcript: str | None = None,
                   reader: PhonemeReader | None = None) -> list[TimedViseme]:
    """The timed visemes of a mono recording read by ``reader`` (the shipped one by default): aligned to
    ``transcript``'s words when given, else decoded (module docstring)."""
    if transcript is not None and not isinstance(transcript, str):
        raise InvalidArgumentError(f"transcript: expected a string or None, got {type(transcript).__name__}")
    reader = shipped_reader() if reader is None else reader
    scores = reader.log_probabilities(samples, sample_rate)
    runs = decode(scores) if transcript is None else align(scores, [pronounce(w) for w in spoken_words(transcript)])
    visemes: list[TimedViseme] = []
    for phoneme, first, end in runs:
        if phoneme:
            visemes += phoneme_visemes(phoneme, first * FRAME, end * FRAME)
        else:
            visemes.append(TimedViseme(first * FRAME, end * FRAME, "sil", ""))
    return visemes
