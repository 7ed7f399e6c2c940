"""``anisync eval lipsync``: timed visemes against espeak-ng's phoneme events, beside a loudness baseline.

For each test recording of a speech set (``anisync data speech``), the truth is espeak-ng's phoneme
events read as visemes (:func:`truth_visemes`: each event lasts until the next; an event of two phonemes
splits its time evenly), and the prediction is the text path (:func:`anisync.speech.text.text_visemes`) at
the recording's speed: ``rate = words_per_minute / pace_wpm`` (the duration table's own pace, that of the
recordings it was fitted on); and the text path told the clip's length (``text_visemes(...,
seconds=...)``: what a game knows of a voice clip it has not aligned); and the audio path
(:func:`anisync.speech.audio.audio_visemes`) on the recording, with its transcript and without, by each of
its methods (the phoneme reader, ``audio``; pocketsphinx, ``audio_pocketsphinx``). All play as
:class:`~anisync.speech.track.VisemeTrack` from 0, sampled at ``fps`` frames a second:

* **frame accuracy**: the share of frames whose viseme is the truth's, in each viseme set (OVR's 15,
  Rhubarb's 9, VRM's 6);
* **onset error**: for each change of the truth's viseme (to a viseme other than rest), the distance to
  the nearest change of the prediction to the same viseme within :data:`ONSET_WINDOW` seconds; the
  median, and the share of onsets so matched;
* **LD / LVD** (lip distance and lip velocity distance, after Lu): mean absolute difference of the
  ``mouth_open`` curves, and of their frame-to-frame changes;
* **real-time factor**: seconds of speech per second of each path's work, on one thread.

The do-nothing figures stand beside them: a mouth that **flaps with the audio's loudness** (the RMS of
each frame's samples over the recording's 95th percentile, clipped to 1, as ``mouth_open``; viseme ``aa``
where it is above 0.2, else rest), and for frame accuracy, a mouth **always at rest**. And so that the
frame accuracy can be read, the truth itself **50 ms late** (a sync error ITU-R BT.1359 calls just
detectable) scores what a perfect track out of step by that much would.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from ..errors import AnisyncError
from .audio import audio_visemes
from .reader import PhonemeReader, reader_visemes, shipped_reader
from .data import MANIFEST, read_wav
from .espeak import ipa_phonemes
from .durations import DurationTable
from .text import shipped_durations, text_visemes
from .track import VisemeTrack
from .visemes import VISEME_SETS, TimedViseme, in_set, mouth_of, phoneme_visemes

#: How late (seconds) the shifted truth of the module docstring runs.
SHIFT = 0.05
#: How far apart (seconds) a predicted onset may be from the truth's and still count as its match.
ONSET_WINDOW = 0.25
#: Loudness (of the 95th percentile) above which the baseline's mouth shows ``aa``.
LOUD = 0.2


def truth_visemes(phonemes: list, seconds: float) -> list[TimedViseme]:
    """espeak-ng's phoneme events ``[[seconds, ipa], ...]`` of a recording ``seconds`` long, as visemes."""
    visemes = [TimedViseme(0.0, phonemes[0][0], "sil", "")] if phonemes and phonemes[0][0] > 0 else []
    for k, (start, ipa) in enumerate(phonemes):
        end = phonemes[k + 1][0] if k + 1 < len(phonemes) else max(seconds, start)
        arpabet = ipa_phonemes(ipa)
        if not arpabet:
            visemes.append(TimedViseme(start, end, "sil", ""))
            continue
        step = (end - start) / len(arpabet)
        for j, phoneme in enumerate(arpabet):
            visemes += phoneme_visemes(phoneme, start + j * step, start + (j + 1) * step)
    return visemes


def _onsets(frames: list[str], fps: float) -> list[tuple[float, str]]:
    return [(k / fps, v) for k, v in enumerate(frames) if v != "sil" and (k == 0 or frames[k - 1] != v)]


def onset_errors(truth: list[str], predicted: list[str], fps: float) -> tuple[list[float], int]:
    """Per truth onset (module docstring), the matched distance in seconds; and how many onsets there were."""
    wanted, found = _onsets(truth, fps), _onsets(predicted, fps)
    errors = []
    for when, viseme in wanted:
        near = [abs(t - when) for t, v in found if v == viseme and abs(t - when) <= ONSET_WINDOW]
        if near:
            errors.append(min(near))
    return errors, len(wanted)


def loudness(samples: np.ndarray, sample_rate: int, fps: float, frames: int) -> np.ndarray:
    """Per frame, the RMS of its samples over the recording's 95th percentile of frame RMS, clipped to 1."""
    per_frame = sample_rate / fps
    rms = np.array([np.sqrt(np.mean(samples[int(k * per_frame):int((k + 1) * per_frame)] ** 2))
                    if int(k * per_frame) < len(samples) else 0.0 for k in range(frames)])
    top = np.percentile(rms, 95) if len(rms) else 0.0
    return np.clip(rms / top, 0, 1) if top > 0 else rms


def _distances(predicted: np.ndarray, truth: np.ndarray) -> dict:
    """LD and LVD of two ``mouth_open`` curves."""
    return {"ld": float(np.abs(predicted - truth).mean()),
            "lvd": float(np.abs(np.diff(predicted) - np.diff(truth)).mean()) if len(truth) > 1 else 0.0}


def _open_curve(track: VisemeTrack, frames: int, fps: float) -> np.ndarray:
    return np.array([track.mouth_at(k / fps)["mouth_open"] for k in range(frames)])


#: The tracks measured against the truth: the text path alone, told the clip's length, and the audio
#: path with and without the transcript, by the phoneme reader and by pocketsphinx.
PREDICTIONS = ("text", "text_clip_length", "audio", "audio_no_transcript", "audio_pocketsphinx",
               "audio_pocketsphinx_no_transcript")


def _predictions(entry: dict, samples: np.ndarray, sample_rate: int, durations: DurationTable,
                 reader: PhonemeReader) -> tuple[dict, dict]:
    """Each prediction's visemes of a recording, and the seconds each took."""
    rate = entry["words_per_minute"] / durations.pace_wpm
    makers = {
        "text": lambda: text_visemes(entry["text"], rate, durations),
        "text_clip_length": lambda: text_visemes(entry["text"], rate, durations, seconds=entry["seconds"]),
        "audio": lambda: reader_visemes(samples, sample_rate, entry["text"], reader),
        "audio_no_transcript": lambda: reader_visemes(samples, sample_rate, None, reader),
        "audio_pocketsphinx": lambda: audio_visemes(samples, sample_rate, entry["text"], durations, "pocketsphinx"),
        "audio_pocketsphinx_no_transcript": lambda: audio_visemes(samples, sample_rate, None, durations, "pocketsphinx"),
    }
    tracks, work = {}, {}
    for kind, make in makers.items():
        started = time.perf_counter()
        tracks[kind] = VisemeTrack(make())
        work[kind] = time.perf_counter() - started
    return tracks, work


def with_noise(samples: np.ndarray, noise_db: float, seed: int) -> np.ndarray:
    """``samples`` plus white noise ``noise_db`` decibels below their mean power (pauses included, so the
    voice itself stands a little higher above it), drawn under ``seed``."""
    power = np.mean(samples ** 2) / 10 ** (noise_db / 10)
    return samples + np.sqrt(power) * np.random.default_rng(seed).standard_normal(len(samples)).astype(np.float32)


def evaluate_recording(entry: dict, root: Path, fps: float, durations: DurationTable, reader: PhonemeReader,
                       noise_db: float | None = None) -> dict:
    """The figures of one recording (module docstring), before averaging; with ``noise_db``, every path
    hears the recording with white noise that many decibels below the recording's mean power (:func:`with_noise`, seeded
    by the recording's id)."""
    truth = VisemeTrack(truth_visemes(entry["phonemes"], entry["seconds"]))
    samples, sample_rate = read_wav(root / entry["wav"])
    if noise_db is not None:
        samples = with_noise(samples, noise_db, entry["id"])
    tracks, work = _predictions(entry, samples, sample_rate, durations, reader)
    frames = int(np.ceil(max(truth.end, *(track.end for track in tracks.values())) * fps))
    loud = loudness(samples, sample_rate, fps, frames)
    result = {"seconds": entry["seconds"], "work_seconds": work, "frames": frames}
    for name in VISEME_SETS:
        t = [truth.viseme_at(k / fps, name) for k in range(frames)]
        shown = {kind: [track.viseme_at(k / fps, name) for k in range(frames)] for kind, track in tracks.items()}
        shown["loudness"] = [in_set("aa" if level > LOUD else "sil", name) for level in loud]
        shown["truth_50ms_late"] = [truth.viseme_at(k / fps - SHIFT, name) for k in range(frames)]
        shown["rest"] = [in_set("sil", name)] * frames
        result[name] = {kind: float(np.mean([a == b for a, b in zip(t, p)])) for kind, p in shown.items()}
        if name == "ovr":
            result["onset"] = {kind: dict(zip(("errors", "onsets"), onset_errors(t, shown[kind], fps)))
                               for kind in (*PREDICTIONS, "loudness")}
    opening = _open_curve(truth, frames, fps)
    result["distances"] = {kind: _distances(_open_curve(track, frames, fps), opening) for kind, track in tracks.items()}
    result["distances"]["loudness"] = _distances(loud * mouth_of("aa")["mouth_open"], opening)
    return result


def _summary(results: list[dict]) -> dict:
    """The figures averaged over recordings (frames pooled; onsets pooled; distances per frame)."""
    frames = np.array([r["frames"] for r in results], float)

    def pooled(path) -> float:
        return float(np.sum([path(r) * r["frames"] for r in results]) / frames.sum())

    summary = {"recordings": len(results), "speech_seconds": float(sum(r["seconds"] for r in results))}
    for name in VISEME_SETS:
        summary[f"frame_accuracy_{name}"] = {kind: pooled(lambda r, k=kind: r[name][k]) for kind in results[0][name]}
    summary["onset"] = {}
    for kind in results[0]["onset"]:
        errors = [e for r in results for e in r["onset"][kind]["errors"]]
        onsets = sum(r["onset"][kind]["onsets"] for r in results)
        summary["onset"][kind] = {"median_ms": 1e3 * float(np.median(errors)) if errors else None,
                                  "matched": len(errors) / onsets if onsets else None, "onsets": onsets}
    summary["lip_distance"] = {kind: {measure: pooled(lambda r, k=kind, m=measure: r["distances"][k][m])
                                      for measure in ("ld", "lvd")} for kind in results[0]["distances"]}
    summary["real_time_factor"] = {kind: summary["speech_seconds"] / max(sum(r["work_seconds"][kind] for r in results), 1e-9)
                                   for kind in PREDICTIONS}
    return summary


def evaluate(data: str | Path, fps: float = 60.0, split: str = "test", durations: str | Path | None = None,
             reader: str | Path | None = None, noise_db: float | None = None) -> dict:
    """All the figures of the module docstring for ``data``'s ``split``, per recording kind, with the
    duration table at ``durations`` and the phoneme reader at ``reader`` (the shipped ones by default);
    with ``noise_db``, on the recordings with white noise that many decibels below the recording's mean power."""
    table = shipped_durations() if durations is None else DurationTable.load(durations)
    phonemes = shipped_reader() if reader is None else PhonemeReader(reader)
    root = Path(data)
    if not (root / MANIFEST).is_file():
        raise AnisyncError(f"{root}: no {MANIFEST}; make a speech set with anisync data speech")
    manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    text_visemes("warm up", durations=table)  # the dictionary loads once, outside the timed work
    by_recording: dict[str, list[dict]] = {}
    for entry in manifest["entries"]:
        if entry["split"] == split:
            by_recording.setdefault(entry["recording"], []).append(evaluate_recording(entry, root, fps, table, phonemes, noise_db))
    if not by_recording:
        raise AnisyncError(f"{root}: no {split} recordings")
    return {"data": str(root), "split": split, "fps": fps, "durations": table.card.get("command", str(durations)),
            "reader": str(phonemes.path), "reader_sha256": (phonemes.card or {}).get("sha256"), "noise_db": noise_db,
            "pace_wpm": table.pace_wpm,
            "recordings": {name: _summary(results) for name, results in by_recording.items()}}


def format_report(result: dict) -> str:
    """The figures as a few lines of text, one block per recording kind."""
    noise = f", white noise {result['noise_db']:g} dB below the mean power" if result.get("noise_db") is not None else ""
    lines = [f"lip sync on {result['data']} ({result['split']} split, {result['fps']:g} frames a second{noise})"]
    for name, summary in result["recordings"].items():
        accuracy = summary["frame_accuracy_ovr"]
        onset, distance = summary["onset"], summary["lip_distance"]
        lines += [
            f"  {name}: {summary['recordings']} recordings, {summary['speech_seconds']:.0f} s",
            "    frame accuracy (OVR / Rhubarb / VRM): " + "; ".join(
                f"{kind} " + " / ".join(f"{100 * summary[f'frame_accuracy_{s}'][kind]:.1f} %" for s in VISEME_SETS)
                for kind in accuracy),
            "    onset error, median (matched): " + "; ".join(
                f"{kind} {value['median_ms']:.0f} ms ({100 * value['matched']:.0f} %)" for kind, value in onset.items()
                if value["median_ms"] is not None),
            "    LD / LVD of mouth_open: " + "; ".join(f"{kind} {v['ld']:.3f} / {v['lvd']:.3f}" for kind, v in distance.items()),
            "    faster than real time (one thread): " + ", ".join(
                f"{kind} {factor:.0f}x" for kind, factor in summary["real_time_factor"].items())]
    return "\n".join(lines)
