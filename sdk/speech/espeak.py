"""Ground truth for lip sync: espeak-ng speaks a sentence and says when each phoneme sounds.

libespeak-ng (the Debian package ``espeak-ng``; GPL-3.0, so it is only *run* here, to make evaluation
data, and nothing of it ships) synthesises in synchronous mode and, with phoneme events switched on,
reports each phoneme's position in the audio it returns, as IPA. :func:`speak` binds the few calls
needed through ctypes and returns the samples and the events; :func:`ipa_phonemes` reads an event's IPA
as ARPAbet phonemes (:data:`IPA_ARPABET`), which :mod:`anisync.speech.visemes` maps to visemes. espeak-ng is
needed only to build an evaluation set (``anisync data speech``), never at run time.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import threading
import unicodedata
from dataclasses import dataclass

import numpy as np

from ..errors import AnisyncError

#: IPA as espeak-ng writes American English, to ARPAbet (longest symbol first when reading).
IPA_ARPABET: dict[str, tuple[str, ...]] = {
    "aɪ": ("AY",), "aʊ": ("AW",), "eɪ": ("EY",), "oʊ": ("OW",), "ɔɪ": ("OY",), "tʃ": ("CH",), "dʒ": ("JH",),
    "ɑː": ("AA",), "ɔː": ("AO",), "iː": ("IY",), "uː": ("UW",), "ɜː": ("ER",), "oː": ("AO",), "əl": ("AH", "L"),
    "ə": ("AH",), "ɚ": ("ER",), "ɜ": ("ER",), "ɛ": ("EH",), "æ": ("AE",), "ɑ": ("AA",), "ɔ": ("AO",), "ɒ": ("AA",),
    "ɪ": ("IH",), "i": ("IY",), "ʊ": ("UH",), "u": ("UW",), "ʌ": ("AH",), "ɐ": ("AH",), "ᵻ": ("IH",), "e": ("EH",),
    "o": ("OW",), "a": ("AA",),
    "p": ("P",), "b": ("B",), "t": ("T",), "d": ("D",), "k": ("K",), "ɡ": ("G",), "g": ("G",), "f": ("F",),
    "v": ("V",), "θ": ("TH",), "ð": ("DH",), "s": ("S",), "z": ("Z",), "ʃ": ("SH",), "ʒ": ("ZH",), "h": ("HH",),
    "m": ("M",), "n": ("N",), "ŋ": ("NG",), "l": ("L",), "ɹ": ("R",), "r": ("R",), "w": ("W",), "j": ("Y",),
    "ɾ": ("D",), "ʔ": ("T",), "ʍ": ("W",), "x": ("HH",), "ɬ": ("L",),
}
#: Marks that say nothing of the mouth: stress, length, syllable breaks, ties.
_IGNORED = set("ˈˌː.‿‍͡")
_LONGEST = max(map(len, IPA_ARPABET))

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS, _INITIALIZE_PHONEME_IPA, _INITIALIZE_DONT_EXIT = 0x0001, 0x0002, 0x8000
_EVENT_LIST_TERMINATED, _EVENT_PHONEME = 0, 7
_PARAMETER_RATE, _PARAMETER_PITCH = 1, 3
_CHARS_UTF8 = 1
_LOCK = threading.Lock()  # libespeak-ng holds one global synthesiser


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    """``espeak_EVENT`` of speak_lib.h."""

    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _EventId)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


@dataclass(frozen=True)
class Speech:
    """A spoken sentence: mono 16-bit ``samples`` at ``sample_rate``, and its phoneme events as
    ``(seconds, ipa)`` in order (``""`` for a pause)."""

    samples: np.ndarray
    sample_rate: int
    phonemes: list[tuple[float, str]]

    @property
    def seconds(self) -> float:
        """The audio's length."""
        return len(self.samples) / self.sample_rate


@functools.cache
def _library() -> tuple[ctypes.CDLL, int]:
    name = ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1"
    try:
        library = ctypes.CDLL(name)
    except OSError:
        raise AnisyncError("espeak-ng is not installed (libespeak-ng); it makes lip-sync evaluation data: "
                           "apt-get install espeak-ng") from None
    rate = library.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, None,
                                     _INITIALIZE_PHONEME_EVENTS | _INITIALIZE_PHONEME_IPA | _INITIALIZE_DONT_EXIT)
    if rate <= 0:
        raise AnisyncError(f"espeak-ng failed to start (espeak_Initialize returned {rate})")
    return library, rate


def available() -> bool:
    """Whether libespeak-ng can be loaded here."""
    try:
        _library()
    except AnisyncError:
        return False
    return True


def speak(text: str, voice: str = "en-us", words_per_minute: int = 175, pitch: int = 50) -> Speech:
    """``text`` spoken by espeak-ng's ``voice`` at ``words_per_minute`` (80 to 450) and ``pitch`` (0 to 99)."""
    library, sample_rate = _library()
    chunks: list[np.ndarray] = []
    events: list[tuple[float, str]] = []

    def collect(wav, count, event_list) -> int:
        if wav and count > 0:
            chunks.append(np.ctypeslib.as_array(wav, (count,)).copy())
        k = 0
        while event_list[k].type != _EVENT_LIST_TERMINATED:
            event = event_list[k]
            if event.type == _EVENT_PHONEME:
                events.append((event.audio_position / 1000.0, event.id.string.decode("utf-8", "replace")))
            k += 1
        return 0

    callback = _CALLBACK(collect)  # kept alive until synthesis ends
    encoded = text.encode("utf-8")
    with _LOCK:
        library.espeak_SetSynthCallback(callback)
        if library.espeak_SetVoiceByName(voice.encode()) != 0:
            raise AnisyncError(f"voice: espeak-ng has no voice {voice!r} (espeak-ng --voices lists them)")
        library.espeak_SetParameter(_PARAMETER_RATE, int(words_per_minute), 0)
        library.espeak_SetParameter(_PARAMETER_PITCH, int(pitch), 0)
        library.espeak_Synth(encoded, len(encoded) + 1, 0, 0, 0, _CHARS_UTF8, None, None)
        library.espeak_Synchronize()
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
    return Speech(samples.astype(np.int16), sample_rate, events)


def ipa_phonemes(ipa: str) -> tuple[str, ...]:
    """The ARPAbet phonemes of one espeak-ng phoneme event's IPA (empty for a pause); AnisyncError
    naming a symbol :data:`IPA_ARPABET` lacks."""
    symbols = "".join(c for c in unicodedata.normalize("NFC", ipa) if not unicodedata.combining(c))
    phonemes: list[str] = []
    at = 0
    while at < len(symbols):
        if symbols[at] in _IGNORED:  # after the symbols that include it (iː, ɑː, ...) are tried
            at += 1
            continue
        for size in range(min(_LONGEST, len(symbols) - at), 0, -1):
            if symbols[at:at + size] in IPA_ARPABET:
                phonemes += IPA_ARPABET[symbols[at:at + size]]
                at += size
                break
        else:
            raise AnisyncError(f"espeak-ng phoneme {ipa!r}: no ARPAbet for {symbols[at]!r} (U+{ord(symbols[at]):04X}); "
                               "add it to anisync.speech.espeak.IPA_ARPABET")
    return tuple(phonemes)
