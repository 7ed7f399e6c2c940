"""Lip sync: the mouth shapes of a spoken line, timed, on the game's clock.

* :mod:`anisync.speech.visemes`: the viseme sets (OVR LipSync's 15, Rhubarb's A-H and X, VRM's five vowels)
  in one table, and the mouth parameters each draws.
* :mod:`anisync.speech.text`: text to timed visemes offline (a pronouncing dictionary, letter rules for
  unknown words, a duration table and a speaking rate), streamed word by word.
* :mod:`anisync.speech.audio`: a voice recording to timed visemes, by the phoneme reader
  (:mod:`anisync.speech.reader`, a network trained here that hears each phoneme; trained by
  :mod:`anisync.speech.reader_train`, ``anisync data phonemes`` and ``train phonemes``) or by pocketsphinx
  (where each word is).
* :mod:`anisync.speech.track`: :class:`VisemeTrack`, a line playing on a clock, and
  :func:`speaking_expression`, the speaking mouth blended with the face's emotion.
* :mod:`anisync.speech.durations`: the phoneme duration table and its fitting; :mod:`anisync.speech.espeak`,
  :mod:`anisync.speech.data` and :mod:`anisync.speech.evaluate`: the ground truth and the measures
  (``anisync data speech``, ``train durations``, ``eval lipsync``).

Importing this package imports neither pocketsphinx nor espeak-ng: each loads when first needed.
"""

from .audio import audio_visemes, wav_visemes
from .reader import PhonemeReader
from .text import pronounce, stream_visemes, text_visemes
from .track import VisemeTrack, speaking_expression
from .visemes import VISEME_SETS, VISEMES, TimedViseme, in_set, mouth_of

__all__ = ["PhonemeReader", "TimedViseme", "VISEMES", "VISEME_SETS", "VisemeTrack", "audio_visemes", "in_set", "mouth_of", "pronounce",
           "speaking_expression", "stream_visemes", "text_visemes", "wav_visemes"]
