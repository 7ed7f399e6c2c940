"""A voice recording to timed visemes, by one of two :data:`METHODS`.

``reader`` (the default): the phoneme reader of :mod:`anisync.speech.reader`, a network trained here,
hears which phoneme sounds in each 10 ms; the transcript's phonemes are aligned to what it hears, or
without a transcript its likeliest phonemes are read off directly.

``pocketsphinx``: Rhubarb Lip Sync's approach with the recogniser that ships in a wheel (``pocketsphinx``,
BSD; its English acoustic model, language model and dictionary come with it, nothing downloads):

1. The audio (mono, any sample rate) is resampled to pocketsphinx's 16 kHz.
2. **With a transcript**, pocketsphinx aligns its words to the audio (words the dictionary lacks are
   added with the letter rules of :mod:`anisync.speech.text`). On synthetic voices the aligner sometimes
   stops short of the end and returns the words it reached: the words it did not reach share the rest of
   the voiced audio (frames louder than :data:`VOICED` of the 95th percentile) in proportion to their
   durations. **Without one**, pocketsphinx recognises the words first.
3. Each word's phonemes share the word's heard span in proportion to their durations in context
   (:class:`~anisync.speech.durations.DurationTable`); silence between words is the rest viseme.

pocketsphinx reports time in 10 ms frames. Its phone-level second pass fails on a third of the synthetic
lines and is hardly more accurate where it works (docs/results/lipsync.md), hence word spans with
phonemes timed inside them. The two methods' figures stand side by side in docs/results/lipsync.md.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..errors import AnisyncError, InvalidArgumentError
from .durations import PAUSE_MARKS, DurationTable
from .reader import reader_visemes, resample
from .text import pronouncing_dictionary, phoneme_contexts, pronounce, shipped_durations, spell, spoken_words
from .visemes import TimedViseme, phoneme_visemes

#: pocketsphinx's sample rate.
SAMPLE_RATE = 16000
#: Seconds per pocketsphinx frame.
FRAME = 0.01
#: Loudness (of the 95th percentile of 10 ms frames) above which a frame is voiced.
VOICED = 0.1
_FILLERS = {"<s>", "</s>", "<sil>", "[NOISE]", "<unk>"}


#: The aligner's search beams: wider than pocketsphinx's defaults, which lose the path on synthetic
#: voices more often (measured on the speech set's held-out lines: 60 % of frames right, 64 % with these).
ALIGN_BEAMS = {"beam": 1e-60, "wbeam": 1e-40}


#: The ways :func:`audio_visemes` times a recording (module docstring).
METHODS = ("reader", "pocketsphinx")


def _pcm16k(samples: np.ndarray, sample_rate: int) -> bytes:
    """Mono samples in [-1, 1] at ``sample_rate`` as 16-bit PCM at 16 kHz (linear interpolation)."""
    return (np.clip(resample(samples, sample_rate, SAMPLE_RATE), -1, 1) * 32767).astype("<i2").tobytes()


def _decoder(**options):
    from pocketsphinx import Decoder

    return Decoder(loglevel="FATAL", samprate=SAMPLE_RATE, **options)


def _segments(decoder) -> list[tuple[str, float, float]]:
    """The words of a decoder's result with their heard spans in seconds (fillers left out)."""
    return [(re.sub(r"\(\d+\)$", "", s.word), s.start_frame * FRAME, (s.end_frame + 1) * FRAME)
            for s in (decoder.seg() or []) if s.word not in _FILLERS]


def voiced_span(samples: np.ndarray, sample_rate: int) -> tuple[float, float]:
    """Seconds from the first to the end of the last voiced 10 ms frame (:data:`VOICED`)."""
    step = max(1, int(FRAME * sample_rate))
    frames = len(samples) // step
    rms = np.sqrt((np.asarray(samples[:frames * step], np.float64).reshape(frames, step) ** 2).mean(axis=1))
    voiced = np.nonzero(rms > VOICED * np.percentile(rms, 95))[0] if frames else np.zeros(0, int)
    return (float(voiced[0] * FRAME), float((voiced[-1] + 1) * FRAME)) if len(voiced) else (0.0, len(samples) / sample_rate)


def word_spans(samples: np.ndarray, sample_rate: int, transcript: str | None = None,
               durations: DurationTable | None = None) -> list[tuple[str, float, float]]:
    """Where each word is heard: ``(word, start, end)`` in seconds (module docstring)."""
    samples = np.asarray(samples, np.float32)
    pcm = _pcm16k(samples, sample_rate)
    if transcript is None:
        decoder = _decoder()
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        return _segments(decoder)
    words = spoken_words(transcript)
    if not words:
        return []
    decoder = _decoder(lm=None, **ALIGN_BEAMS)
    for word in set(words) - set(pronouncing_dictionary()):
        decoder.add_word(word, " ".join(spell(word)), True)
    decoder.set_align_text(" ".join(words))
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    try:
        decoder.end_utt()
    except RuntimeError:  # no path at all: every word shares the voiced audio
        pass
    spans = _segments(decoder)
    if [word for word, _, _ in spans] != words[:len(spans)]:
        raise AnisyncError(f"transcript: pocketsphinx aligned {[w for w, _, _ in spans]} to {words}")
    rest = words[len(spans):]
    if rest:
        table = shipped_durations() if durations is None else durations
        start, end = voiced_span(samples, sample_rate)
        start = spans[-1][2] if spans else start
        weights = np.array([sum(table.base[p] for p in pronounce(word)) for word in rest])
        edges = start + max(end - start, 0.0) * np.concatenate([[0.0], np.cumsum(weights) / weights.sum()])
        spans += [(word, float(a), float(b)) for word, a, b in zip(rest, edges[:-1], edges[1:])]
    return spans


def audio_visemes(samples: np.ndarray, sample_rate: int, transcript: str | None = None,
                  durations: DurationTable | None = None, method: str = "reader") -> list[TimedViseme]:
    """The timed visemes of a mono recording (``samples`` in [-1, 1]), with or without its ``transcript``,
    by ``method`` (one of :data:`METHODS`; module docstring); times from the recording's start. ``durations``
    times the phonemes inside pocketsphinx's words (the shipped table by default)."""
    if not isinstance(sample_rate, int) or sample_rate < 8000:
        raise InvalidArgumentError(f"sample_rate: expected an integer of at least 8000 Hz, got {sample_rate!r}")
    if transcript is not None and not isinstance(transcript, str):
        raise InvalidArgumentError(f"transcript: expected a string or None, got {type(transcript).__name__}")
    if method not in METHODS:
        raise InvalidArgumentError(f"method: expected one of {', '.join(METHODS)}, got {method!r}")
    if method == "reader":
        return reader_visemes(np.asarray(samples, np.float32), sample_rate, transcript)
    table = shipped_durations() if durations is None else durations
    spans = word_spans(samples, sample_rate, transcript, table)
    # Phoneme contexts (stress, function words, phrase ends) from the heard words, with the transcript's marks.
    text = transcript if transcript is not None else " ".join(word for word, _, _ in spans)
    contexts = iter([c for c in phoneme_contexts(text) if c[0] not in PAUSE_MARKS])
    visemes: list[TimedViseme] = []
    clock = 0.0
    for word, start, end in spans:
        phonemes = pronounce(word)
        if not phonemes:
            continue
        # A recognised word the tokenizer reads otherwise gets plain contexts rather than shifted ones.
        context = [next(contexts, None) for _ in phonemes]
        weights = np.array([table.seconds(*c) if c is not None and c[0] == phoneme else table.base[phoneme]
                            for c, phoneme in zip(context, phonemes)])
        if start > clock:
            visemes.append(TimedViseme(clock, start, "sil", ""))
        edges = start + (end - start) * np.concatenate([[0.0], np.cumsum(weights) / weights.sum()])
        for phoneme, a, b in zip(phonemes, edges[:-1], edges[1:]):
            visemes += phoneme_visemes(phoneme, float(a), float(b))
        clock = end
    return visemes


def wav_visemes(path: str | Path, transcript: str | None = None, durations: DurationTable | None = None,
                method: str = "reader") -> list[TimedViseme]:
    """:func:`audio_visemes` of a mono 16-bit WAV file."""
    from .data import read_wav

    samples, sample_rate = read_wav(path)
    return audio_visemes(samples, sample_rate, transcript, durations, method)
