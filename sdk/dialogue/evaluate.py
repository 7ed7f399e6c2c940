"""``anisync eval dialogue``: weighted F1 on MELD's test split (the standard measure: F1 per emotion,
weighted by each emotion's share of the true labels), the classifier beside its baselines, each also
per emotion:

* ``always_neutral``: the do-nothing baseline (31.3 in the literature);
* ``tfidf_logistic``: word and word-pair TF-IDF with logistic regression (scikit-learn);
* ``encoder_linear``: the frozen encoder's sentence embedding (mean of the tokens, unit length, as
  sentence-transformers pools all-MiniLM-L6-v2) with logistic regression;
* ``classifier_no_context`` (with ``--no-context-model``) and ``classifier``: the shipped head through
  :class:`~anisync.dialogue.EmotionClassifier`, exactly as a game runs it, each line read with the earlier
  lines of its dialogue (up to the head's context slots).

Both regressions choose their regularisation on the dev split; nothing sees the test split before it
is scored. The classifier's speed is timed at batch 1 on one thread, each line with its context's
vectors already known (as in a game, where each line is read when said).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from ..emotion import EMOTIONS
from ..timing import cpu_name
from ..errors import ModelLoadError
from .classifier import EmotionClassifier
from .encoder import SentenceEncoder, encoder_model_path, shipped_encoder_path, source_tokenizer_file
from .meld import DEFAULT_MELD, cached_features, dialogues, read_split, weighted_f1

#: Regularisation strengths the baselines' logistic regressions choose from on the dev split.
C_GRID = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
#: Lines timed for the latency figures.
TIMED_LINES = 300


def _scores(labels: np.ndarray, predicted: np.ndarray) -> dict:
    from sklearn.metrics import f1_score

    per_class = f1_score(labels, predicted, labels=range(len(EMOTIONS)), average=None, zero_division=0)
    return {"weighted_f1": round(100 * weighted_f1(labels, predicted), 2),
            "per_class_f1": {name: round(100 * float(f), 2) for name, f in zip(EMOTIONS, per_class)}}


def _logistic(train_x, train_y, dev_x, dev_y, test_x) -> tuple[np.ndarray, float]:
    """Test predictions of the logistic regression whose C scored best on dev, and that C."""
    from sklearn.linear_model import LogisticRegression

    best = None
    for c in C_GRID:
        model = LogisticRegression(C=c, max_iter=3000).fit(train_x, train_y)
        f1 = weighted_f1(dev_y, model.predict(dev_x))
        if best is None or f1 > best[0]:
            best = (f1, c, model)
    return best[2].predict(test_x), best[1]


def _sentence_embeddings(features: dict) -> np.ndarray:
    tokens, offsets = features["tokens"].astype(np.float32), features["offsets"]
    pooled = np.stack([tokens[a:b].mean(0) for a, b in zip(offsets[:-1], offsets[1:])])
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def classifier_predictions(classifier: EmotionClassifier, utterances) -> np.ndarray:
    """The classifier's probabilities for every utterance, each read with the earlier lines of its dialogue."""
    out = np.zeros((len(utterances), len(EMOTIONS)), np.float32)
    for group in dialogues(utterances):
        for turn, index in enumerate(group):
            context = [(utterances[i].speaker, utterances[i].text) for i in group[:turn]]
            out[index] = classifier.classify(utterances[index].text, context, utterances[index].speaker)
    return out


def _latency(classifier: EmotionClassifier, utterances) -> dict:
    groups = [g for g in dialogues(utterances) if len(g) > 1]
    times = []
    for group in groups:
        for turn, index in enumerate(group):
            if len(times) == TIMED_LINES:
                break
            context = [(utterances[i].speaker, utterances[i].text) for i in group[:turn]]
            started = time.perf_counter()
            classifier.classify(utterances[index].text, context, utterances[index].speaker)
            times.append(time.perf_counter() - started)
    ms = 1000 * np.array(times)
    return {"lines": len(ms), "p50_ms": round(float(np.median(ms)), 2), "p99_ms": round(float(np.percentile(ms, 99)), 2)}


def _encoder_latency(utterances) -> dict:
    """The sentence encoder alone, per line at batch 1 on one thread (p50 ms): the shipped one, and in the
    same run the one it was rebuilt from when its package is installed (``anisync train dialogue-encoder``)."""
    encoders = {"shipped": SentenceEncoder(1)}
    try:
        encoders["source"] = SentenceEncoder(1, encoder_model_path(), source_tokenizer_file())
    except ModelLoadError:
        pass
    texts = [u.text for u in utterances[:TIMED_LINES]]
    out = {}
    for name, encoder in encoders.items():
        for text in texts[:5]:  # onnxruntime's first runs allocate
            encoder.encode(text)
        times = []
        for text in texts:
            started = time.perf_counter()
            encoder.encode(text)
            times.append(time.perf_counter() - started)
        out[f"{name}_p50"] = round(1e3 * float(np.median(times)), 2)
    return out


def evaluate(args: argparse.Namespace) -> dict:
    """Run ``anisync eval dialogue`` (module docstring); returns the JSON report."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    split = {name: read_split(args.meld, name) for name in ("train", "dev", "test")}
    texts = {name: [u.text for u in rows] for name, rows in split.items()}
    labels = {name: np.array([u.emotion for u in rows]) for name, rows in split.items()}
    rows: dict[str, dict] = {"always_neutral": _scores(labels["test"], np.full(len(labels["test"]),
                                                                                 EMOTIONS.index("neutral")))}
    tfidf = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit(texts["train"])
    words = {name: tfidf.transform(texts[name]) for name in split}
    predicted, c = _logistic(words["train"], labels["train"], words["dev"], labels["dev"], words["test"])
    rows["tfidf_logistic"] = {**_scores(labels["test"], predicted), "C": c}
    embedded = {n: _sentence_embeddings(cached_features(args.meld, n, args.cache)) for n in split}
    predicted, c = _logistic(embedded["train"], labels["train"], embedded["dev"], labels["dev"], embedded["test"])
    rows["encoder_linear"] = {**_scores(labels["test"], predicted), "C": c}
    models = {"classifier": args.model}
    if args.no_context_model:
        models = {"classifier_no_context": args.no_context_model, **models}
    latency, sizes = {}, {}
    for name, path in models.items():
        classifier = EmotionClassifier(path, threads=1)
        probabilities = classifier_predictions(classifier, split["test"])
        rows[name] = {**_scores(labels["test"], probabilities.argmax(1)), "model": str(classifier.path),
                      "context_slots": classifier.context_slots}
        if name == "classifier" and args.confusion:
            from sklearn.metrics import confusion_matrix

            from ..plot import confusion_plot

            confusion_plot(confusion_matrix(labels["test"], probabilities.argmax(1), labels=range(len(EMOTIONS))),
                           EMOTIONS, args.confusion, f"MELD test: {rows[name]['weighted_f1']:.2f} weighted F1")
        latency[name] = _latency(EmotionClassifier(path, threads=1), split["test"])
        sizes[name] = round(os.path.getsize(classifier.path) / 1e6, 2)
    report = {
        "data": {"meld": str(args.meld), "test_utterances": len(labels["test"]), "licence": "GPL-3.0 (MELD)"},
        "test": rows,
        "latency_batch1_one_thread": latency,
        "encoder_ms_batch1_one_thread": _encoder_latency(split["test"]),
        "model_mb": {"encoder": round(os.path.getsize(shipped_encoder_path()) / 1e6, 2),
                     **{f"head_{k}": v for k, v in sizes.items()}},
        "hardware": {"processor": cpu_name(), "cpu_count": os.cpu_count()},
    }
    return report


def print_table(report: dict) -> None:
    """The report's test table, one row per model, per-class F1 beside the weighted figure."""
    print(f"{'':24s} {'weighted F1':>11s} " + " ".join(f"{name[:7]:>7s}" for name in EMOTIONS))
    for name, row in report["test"].items():
        print(f"{name:24s} {row['weighted_f1']:11.2f} " + " ".join(f"{row['per_class_f1'][e]:7.2f}" for e in EMOTIONS))
    for name, figures in report["latency_batch1_one_thread"].items():
        print(f"{name}: {figures['p50_ms']} ms p50, {figures['p99_ms']} ms p99 per line (batch 1, one thread)")
    print("the encoder alone (ms p50):", json.dumps(report["encoder_ms_batch1_one_thread"]))
    print("model files (MB):", json.dumps(report["model_mb"]))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--meld", type=Path, default=DEFAULT_MELD, help="folder of MELD's CSV files")
    parser.add_argument("--cache", type=Path, default=Path("runs/dialogue"),
                        help="where the encoder's features of MELD are kept between runs")
