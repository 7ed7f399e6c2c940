"""``anisync data speech``: sentences spoken by espeak-ng with each phoneme's time, the lip-sync evaluation set.

Sentences are drawn from :data:`TEMPLATES` (lines a villager might say, with names the dictionary lacks)
under a seed, so the set is made anew anywhere espeak-ng is installed, and nothing of espeak-ng's output
ships. Half the sentences are ``train`` (what a duration table may be fitted on), half ``test``. Every
sentence is spoken in the ``standard`` recording; the first ``variants`` test sentences also in each other
recording of :data:`RECORDINGS` (another voice, speed and pitch), to test robustness.

Folder layout (format ``anisync-speech``, version 1)::

    OUT/manifest.json        settings, and per recording: text, split, recording, wav, seconds, phonemes
    OUT/0000-standard.wav    mono 16-bit audio, one file per recording

``phonemes`` is the list of espeak-ng's phoneme events, ``[seconds, ipa]`` in order (``""``: a pause).

``anisync data phonemes`` (:func:`make_phoneme_speech`) makes the phoneme reader's training set in the same
layout, all of it ``train``: lines of random words from the pronouncing dictionary (nothing of
:data:`TEMPLATES`), each spoken by one of :data:`TRAINING_VOICES` at a random speed and pitch.
"""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np

from ..errors import DefinitionError
from ..progress import progress
from .espeak import speak

FORMAT, VERSION = "anisync-speech", 1
MANIFEST = "manifest.json"

#: The recordings: espeak-ng voice, words per minute and pitch.
RECORDINGS: dict[str, dict] = {
    "standard": {"voice": "en-us", "words_per_minute": 175, "pitch": 50},
    "fast_high": {"voice": "en-us+f3", "words_per_minute": 230, "pitch": 75},
    "slow_low": {"voice": "en-us+m3", "words_per_minute": 130, "pitch": 25},
}

#: The espeak-ng voices the phoneme reader trains on. f3 and m3, the voices of the test recordings
#: ``fast_high`` and ``slow_low``, are kept out, so those recordings measure a voice it never heard.
TRAINING_VOICES = ("en-us", "en-us+m1", "en-us+m2", "en-us+m4", "en-us+m5", "en-us+m6", "en-us+m7", "en-us+f1",
                   "en-us+f2", "en-us+f4", "en-us+f5", "en-us+klatt")
#: The training recordings' speeds (words a minute) and pitches, drawn uniformly.
TRAINING_SPEEDS, TRAINING_PITCHES = (120, 250), (15, 85)

_WORDS = {
    "name": ("Mira", "Tobin", "Zorgul", "Elsbeth", "Kaito", "Rowan", "Brannoc", "Yuki", "Fennick", "Ardith"),
    "greeting": ("Hello", "Good morning", "Welcome back", "Hey there", "Well met", "Good evening"),
    "adjective": ("old", "quiet", "broken", "golden", "strange", "heavy", "little", "dusty", "bright", "cold"),
    "noun": ("lantern", "sword", "basket", "map", "letter", "hammer", "bridge", "river", "shield", "potion"),
    "plural": ("apples", "arrows", "candles", "coins", "feathers", "mushrooms", "nails", "stones", "ropes", "herbs"),
    "place": ("market", "mill", "forest", "tavern", "well", "tower", "harbor", "chapel", "orchard", "gate"),
    "preposition": ("behind", "near", "under", "beside", "inside", "across"),
    "past": ("vanished", "appeared", "fell", "broke", "waited", "burned", "opened", "moved"),
    "verb": ("pay", "help", "thank", "reward", "follow", "teach", "warn", "forgive"),
    "adverb": ("gladly", "tomorrow", "quickly", "twice", "at dawn", "in silver"),
    "number": ("two", "three", "five", "seven", "ten", "twelve"),
    "feeling": ("worried", "happy", "afraid", "furious", "tired", "surprised"),
}
#: Sentence forms; ``{kind}`` takes a word of that kind.
TEMPLATES = (
    "{greeting}, {name}! The {adjective} {noun} {past} {preposition} the {place}.",
    "Have you seen my {noun}? I left it {preposition} the {place}.",
    "{name} says the {noun} is {adjective} today, so be careful.",
    "Bring me {number} {plural} and I will {verb} you {adverb}.",
    "I am {feeling}, because the {place} is {adjective} and nobody came.",
    "Listen, {name}: the {plural} {past} near the {adjective} {place}.",
    "Why would anyone leave a {adjective} {noun} {preposition} the {place}?",
    "{greeting}! {number} {plural} for a {noun}, that is my final offer.",
)


def sentences(count: int, seed: int) -> list[str]:
    """``count`` sentences drawn from :data:`TEMPLATES` with ``numpy.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(count):
        template = TEMPLATES[int(rng.integers(len(TEMPLATES)))]
        lines.append(template.format_map({kind: words[int(rng.integers(len(words)))] for kind, words in _WORDS.items()}))
    return lines


def word_lines(count: int, seed: int) -> list[str]:
    """``count`` lines of 3 to 12 random words of 2 to 10 letters from the pronouncing dictionary, some with
    a comma, each ending in ``.``, ``!`` or ``?``; under ``numpy.random.default_rng(seed)``."""
    from .text import pronouncing_dictionary

    vocabulary = sorted(w for w in pronouncing_dictionary() if w.isalpha() and 2 <= len(w) <= 10)
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(count):
        words = [vocabulary[int(k)] for k in rng.integers(len(vocabulary), size=int(rng.integers(3, 13)))]
        if len(words) > 5 and rng.random() < 0.5:
            words[int(rng.integers(2, len(words) - 2))] += ","
        lines.append(" ".join(words).capitalize() + ".!?"[int(rng.integers(3))])
    return lines


def write_wav(path: str | Path, samples: np.ndarray, sample_rate: int) -> None:
    """Write mono 16-bit ``samples`` as a WAV file."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(samples.astype("<i2").tobytes())


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """A mono 16-bit WAV's samples (float in [-1, 1]) and sample rate."""
    with wave.open(str(path), "rb") as audio:
        if audio.getnchannels() != 1 or audio.getsampwidth() != 2:
            raise DefinitionError(str(path), "format", "mono 16-bit PCM",
                                  f"{audio.getnchannels()} channels of {8 * audio.getsampwidth()} bits")
        frames = audio.readframes(audio.getnframes())
        return np.frombuffer(frames, "<i2").astype(np.float32) / 32768.0, audio.getframerate()


def make_speech_dataset(out: str | Path, count: int = 200, seed: int = 0, variants: int = 20,
                        show_progress: bool = True) -> Path:
    """Speak ``count`` sentences into ``out`` (module docstring); returns the folder."""
    for key, value, low in (("sentences", count, 2), ("variants", variants, 0), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise DefinitionError("data speech", key, f"an integer of at least {low}", value)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lines = sentences(count, seed)
    test = list(range(count // 2, count))
    work = [(k, "standard") for k in range(count)] + [(k, name) for k in test[:variants] for name in RECORDINGS if name != "standard"]
    entries = []
    for k, recording in (progress(work, desc="speaking") if show_progress else work):
        speech = speak(lines[k], **RECORDINGS[recording])
        wav = f"{k:04d}-{recording}.wav"
        write_wav(out / wav, speech.samples, speech.sample_rate)
        entries.append({"id": k, "text": lines[k], "split": "train" if k < count // 2 else "test",
                        "recording": recording, **RECORDINGS[recording], "wav": wav, "seconds": speech.seconds,
                        "phonemes": [[round(t, 4), ipa] for t, ipa in speech.phonemes]})
    manifest = {"format": FORMAT, "version": VERSION, "sentences": count, "seed": seed, "variants": variants,
                "recordings": RECORDINGS, "entries": entries}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


def make_phoneme_speech(out: str | Path, count: int = 3000, seed: int = 1, show_progress: bool = True) -> Path:
    """Speak ``count`` :func:`word_lines` into ``out`` for the phoneme reader (module docstring); returns the folder."""
    for key, value, low in (("lines", count, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise DefinitionError("data phonemes", key, f"an integer of at least {low}", value)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 1])  # the voices' draw, apart from the words'
    entries = []
    lines = word_lines(count, seed)
    for k, line in enumerate(progress(lines, desc="speaking") if show_progress else lines):
        settings = {"voice": TRAINING_VOICES[int(rng.integers(len(TRAINING_VOICES)))],
                    "words_per_minute": int(rng.integers(TRAINING_SPEEDS[0], TRAINING_SPEEDS[1] + 1)),
                    "pitch": int(rng.integers(TRAINING_PITCHES[0], TRAINING_PITCHES[1] + 1))}
        speech = speak(line, **settings)
        wav = f"{k:05d}.wav"
        write_wav(out / wav, speech.samples, speech.sample_rate)
        entries.append({"id": k, "text": line, "split": "train", "recording": settings["voice"], **settings, "wav": wav,
                        "seconds": speech.seconds, "phonemes": [[round(t, 4), ipa] for t, ipa in speech.phonemes]})
    manifest = {"format": FORMAT, "version": VERSION, "sentences": count, "seed": seed, "variants": 0,
                "recordings": {"voices": list(TRAINING_VOICES), "words_per_minute": list(TRAINING_SPEEDS),
                               "pitch": list(TRAINING_PITCHES)}, "entries": entries}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return out
