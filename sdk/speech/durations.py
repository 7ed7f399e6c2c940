"""How long each phoneme of a line lasts: a duration table with three context factors, fitted to speech.

A phoneme's seconds at rate 1 are ``base[phoneme]`` times a factor for each context it is in:

* ``word_final``: the last phoneme of its word;
* ``phrase_final``: in the last word before a punctuation mark (speakers slow down there);
* ``function_word``: in one of :data:`FUNCTION_WORDS` (unstressed, spoken quickly);
* ``stressed``: the first vowel of any other word (the dictionary marks no stress; English content words
  mostly stress their first syllable);
* ``syllables``: raised to the number of vowels in the word less one (longer words are spoken faster);

and a punctuation mark pauses ``pauses[","]`` (for , ; :) or ``pauses["."]`` (for . ! ?), and a clause
that a conjunction opens without a mark (:data:`CLAUSE_WORDS`: "... five ropes and I will ...") pauses
``pauses["clause"]`` before it. Divided by the speaking rate.

:func:`fit_durations` learns the table from a speech set's ``train`` split (``anisync data speech``):
each sentence's dictionary phonemes are aligned with the recording's phoneme events (edit distance;
pairs of the same phoneme, or of the same viseme, count; a pause is a symbol of its own, and a run of
the recording's pause events one pause), and ``log seconds`` is fitted by least squares on one column
per phoneme and one per factor. Phonemes the data never shows keep :data:`PRIOR_SECONDS` scaled by the
fitted table's median ratio to it. Each kind of pause is the mean of the recording's pauses aligned
with it (the line's last mark aside: a recording ends there). The table ships as ``assets/models/durations.json`` with its card.
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..errors import AnisyncError, DefinitionError
from ..timing import cpu_name
from .visemes import DIPHTHONGS, PHONEME_VISEME

#: Average seconds of each ARPAbet phoneme in read English (TIMIT's order of magnitude): the prior.
PRIOR_SECONDS: dict[str, float] = {
    "AA": 0.13, "AE": 0.14, "AH": 0.08, "AO": 0.13, "AW": 0.17, "AY": 0.16, "EH": 0.10, "ER": 0.12, "EY": 0.14,
    "IH": 0.08, "IY": 0.11, "OW": 0.15, "OY": 0.18, "UH": 0.08, "UW": 0.12,
    "P": 0.08, "B": 0.07, "T": 0.07, "D": 0.06, "K": 0.08, "G": 0.07, "CH": 0.11, "JH": 0.09,
    "F": 0.10, "V": 0.07, "TH": 0.09, "DH": 0.045, "S": 0.11, "Z": 0.08, "SH": 0.12, "ZH": 0.09, "HH": 0.065,
    "M": 0.07, "N": 0.06, "NG": 0.08, "L": 0.065, "R": 0.065, "W": 0.06, "Y": 0.06,
}
#: Words spoken unstressed: articles, pronouns, auxiliaries, prepositions, conjunctions.
FUNCTION_WORDS = frozenset(
    "a an the i you he she it we they me him her us them my your his its our their is am are was were be been "
    "do does did have has had will would can could shall should may might must to of in on at by for with from "
    "as and or but so if that this than then there not no".split())
#: The context factors, in the order :meth:`DurationTable.seconds` takes them.
FACTORS = ("word_final", "phrase_final", "function_word", "stressed", "syllables")
#: ARPAbet vowels (a syllable each).
VOWELS = frozenset({"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"})
#: Conjunctions that open a clause; spoken after a word (no mark between), a short pause comes first.
CLAUSE_WORDS = frozenset({"and", "but", "or", "because", "so"})
#: The mark :func:`anisync.speech.text.phoneme_contexts` puts before such a clause.
CLAUSE_BREAK = "|"
#: The pause marks and the kind of pause each takes.
PAUSE_MARKS = {",": ",", ";": ",", ":": ",", ".": ".", "!": ".", "?": ".", CLAUSE_BREAK: "clause"}
#: The kinds of pause.
PAUSES = (",", ".", "clause")


@dataclass(frozen=True)
class DurationTable:
    """Base seconds per phoneme, context factors and pauses (module docstring), at ``pace_wpm`` words a
    minute; ``card`` says how it was made."""

    base: dict[str, float] = field(default_factory=lambda: dict(PRIOR_SECONDS))
    factors: dict[str, float] = field(default_factory=lambda: dict.fromkeys(FACTORS, 1.0))
    pauses: dict[str, float] = field(default_factory=lambda: {",": 0.2, ".": 0.35, "clause": 0.1})
    pace_wpm: float = 175.0
    card: dict = field(default_factory=dict)

    def seconds(self, phoneme: str, *context: float) -> float:
        """Seconds of ``phoneme`` in its ``context`` (one number per :data:`FACTORS`: 0 or 1, or the
        count of extra syllables), at rate 1."""
        factor = 1.0
        for name, value in zip(FACTORS, context):
            factor *= self.factors[name] ** value
        return self.base[phoneme] * factor

    def table(self) -> dict:
        """The numbers, without the card."""
        return {key: value for key, value in asdict(self).items() if key != "card"}

    def save(self, path: str | Path) -> Path:
        """Write the table and its card (with the numbers' sha256, :func:`table_sha256`) as JSON."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        card = {**self.card, "sha256": table_sha256(self.table())}
        path.write_text(json.dumps({**self.table(), "card": card}, indent=1) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> "DurationTable":
        """A table saved by :meth:`save`; DefinitionError naming the file and key when it is not one."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise DefinitionError(str(path), "", "a duration table (JSON)", str(error)) from None
        if not isinstance(data, dict):
            raise DefinitionError(str(path), "", "a mapping", type(data).__name__)
        expected = {"base": set(PRIOR_SECONDS), "factors": set(FACTORS), "pauses": set(PAUSES)}
        for key, names in expected.items():
            value = data.get(key)
            if not isinstance(value, dict) or set(value) != names or not all(
                    isinstance(v, (int, float)) and 0 < v < 5 for v in value.values()):
                raise DefinitionError(str(path), key, f"seconds or factors (0 to 5) for {', '.join(sorted(names))}", value)
        pace = data.get("pace_wpm")
        if not isinstance(pace, (int, float)) or not 50 <= pace <= 500:
            raise DefinitionError(str(path), "pace_wpm", "words per minute from 50 to 500", pace)
        card = data.get("card", {})
        table = cls(data["base"], data["factors"], data["pauses"], float(pace), card)
        if "sha256" in card and card["sha256"] != table_sha256(table.table()):
            raise DefinitionError(str(path), "card.sha256", "the sha256 of the numbers it was saved with",
                                  "numbers changed since")
        return table


def table_sha256(table: dict) -> str:
    """sha256 of a table's numbers, written as sorted JSON."""
    return hashlib.sha256(json.dumps(table, sort_keys=True).encode()).hexdigest()


_PAUSE = "_"


def _spoken(entry: dict) -> list[tuple[str, float]]:
    """A recording's phonemes with their seconds, a run of pause events as one pause (:data:`_PAUSE`)."""
    from .espeak import ipa_phonemes

    spoken: list[tuple[str, float]] = []
    events = entry["phonemes"]
    for k, (start, ipa) in enumerate(events):
        seconds = (events[k + 1][0] if k + 1 < len(events) else entry["seconds"]) - start
        phonemes = ipa_phonemes(ipa)
        if not phonemes:
            if spoken and spoken[-1][0] == _PAUSE:
                spoken[-1] = (_PAUSE, spoken[-1][1] + seconds)
            elif seconds > 0:
                spoken.append((_PAUSE, seconds))
        spoken += [(p, seconds / len(phonemes)) for p in phonemes]
    return spoken


def _align(ours: list[str], theirs: list[str]) -> list[tuple[int, int]]:
    """Index pairs of an edit-distance alignment of two phoneme sequences whose phonemes agree (the
    same phoneme, or the same viseme)."""
    def viseme(p: str) -> str:
        return "sil" if p == _PAUSE else DIPHTHONGS[p][0] if p in DIPHTHONGS else PHONEME_VISEME[p]

    def substitution(a: str, b: str) -> float:
        """0 for the same phoneme, 0.5 for the same viseme, else more than a gap and a skip."""
        return 0.0 if a == b else 0.5 if viseme(a) == viseme(b) else 1.5

    n, m = len(ours), len(theirs)
    cost = np.zeros((n + 1, m + 1))
    cost[:, 0], cost[0, :] = np.arange(n + 1), np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            step = substitution(ours[i - 1], theirs[j - 1])
            cost[i, j] = min(cost[i - 1, j - 1] + step, cost[i - 1, j] + 1, cost[i, j - 1] + 1)
    pairs, i, j = [], n, m
    while i and j:
        step = substitution(ours[i - 1], theirs[j - 1])
        if cost[i, j] == cost[i - 1, j - 1] + step:
            if step < 1:
                pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif cost[i, j] == cost[i - 1, j] + 1:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


def fit_durations(data: str | Path, out: str | Path, command: str = "") -> DurationTable:
    """Fit the table to ``data``'s train split at the standard pace (module docstring), save it to
    ``out`` and return it."""
    from .data import MANIFEST
    from .text import phoneme_contexts

    started = time.perf_counter()
    manifest = json.loads((Path(data) / MANIFEST).read_text(encoding="utf-8"))
    entries = [e for e in manifest["entries"] if e["split"] == "train" and e["recording"] == "standard"]
    if not entries:
        raise AnisyncError(f"{data}: no standard train recordings to fit durations on")
    rows, targets, pauses = [], [], {kind: [] for kind in PAUSES}
    for entry in entries:
        spoken = _spoken(entry)
        ours = list(phoneme_contexts(entry["text"]))
        symbols = [_PAUSE if c[0] in PAUSE_MARKS else c[0] for c in ours]
        for i, j in _align(symbols, [p for p, _ in spoken]):
            if symbols[i] != _PAUSE:
                rows.append(ours[i])
                targets.append(spoken[j][1])
            elif i < len(ours) - 1:  # the last mark's pause is cut short by the recording's end
                pauses[PAUSE_MARKS[ours[i][0]]].append(spoken[j][1])
    phonemes = sorted({row[0] for row in rows})
    design = np.zeros((len(rows), len(phonemes) + len(FACTORS)))
    for r, (phoneme, *context) in enumerate(rows):
        design[r, phonemes.index(phoneme)] = 1.0
        design[r, len(phonemes):] = context
    solution, *_ = np.linalg.lstsq(design, np.log(np.maximum(targets, 1e-3)), rcond=None)
    fitted = dict(zip(phonemes, np.exp(solution[:len(phonemes)]).tolist()))
    scale = float(np.median([fitted[p] / PRIOR_SECONDS[p] for p in fitted]))
    base = {p: fitted.get(p, scale * PRIOR_SECONDS[p]) for p in PRIOR_SECONDS}
    factors = dict(zip(FACTORS, np.exp(solution[len(phonemes):]).tolist()))
    default = DurationTable()
    pause = {kind: float(np.mean(values)) if values else default.pauses[kind] for kind, values in pauses.items()}
    predicted = np.exp(design @ solution)
    card = {"model": "phoneme duration table with context factors (sdk/speech/durations.py)", "command": command,
            "data": {"path": str(data), "seed": manifest["seed"], "sentences": len(entries),
                     "aligned_phonemes": len(rows), "source": "espeak-ng en-us at 175 words a minute"},
            "fitted_phonemes": phonemes, "prior_scale_for_unseen": scale,
            "metrics": {"train_mean_abs_error_ms": 1e3 * float(np.mean(np.abs(predicted - targets))),
                        "prior_mean_abs_error_ms": 1e3 * float(np.mean(np.abs(
                            [default.seconds(*row) for row in rows] - np.asarray(targets))))},
            "pause_samples": {kind: len(values) for kind, values in pauses.items()},
            "wall_seconds": time.perf_counter() - started,
            "hardware": {"processor": cpu_name(), "python": platform.python_version()}}
    table = DurationTable(base, factors, pause, 175.0, card)
    table.save(out)
    return table
