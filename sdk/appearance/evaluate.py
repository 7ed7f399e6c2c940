"""``anisync eval appearance``: one table over several exported appearance models (numpy and onnxruntime).

The held-out faces are the test split of a procedural dataset (identities no model trained on), each with
its exact attributes; every measure that uses the judge (:mod:`anisync.appearance.judge`, trained only on
procedural renders) reads generated faces the way it reads those renders. Every model and the judge
must have been trained on this dataset (their cards' ``data_fingerprint``): another dataset's training
faces can be this one's held-out ones. For each model:

* conditioning: one generated face per held-out face (its attributes, a fresh seed; ``samples`` faces,
  the held-out faces cycled), read by the judge: accuracy and macro-F1 per attribute, their means over
  the five attributes, and the share of faces with all five right. The judge's own scores on the real
  held-out renders are reported beside them (the most a generator can be credited with);
* reconstruction (the VAE path): each held-out face encoded with its attributes (``z`` at the posterior
  mean, by the encoder exported beside the model) and decoded, against its own procedural render: MAE and
  RMSE over all RGBA values in [0, 1];
* fidelity: Fréchet distance between the judge embeddings of the generated faces and of the held-out
  renders, and precision and recall (Kynkäänniemi et al. 2019, k = 3 nearest neighbours) in the same
  space on equal numbers of each (the larger set subsampled), with the sample counts;
* diversity: for ``sets`` attribute sets (the first distinct ones of the held-out faces), ``per_set``
  faces each (seeds), the mean pairwise embedding distance within a set, averaged over the sets; beside it
  the same figure for ``per_set`` fresh procedural renders of each set (what the attributes leave free);
* memorisation: each generated face's distance to its nearest training face (all of them unless
  ``train_faces`` limits the search), against each held-out real
  face's distance to its nearest training face, in the judge embedding and in pixels (RGBA at 32x32, 2x2
  means, in [0, 1], L2): medians, their ratio (near 1: no closer to the training faces than new real
  faces are), the copy rate, the share of generated faces nearer a training face than the 5th
  percentile of the real faces' distances (about 0.05 when nothing is copied), and the far rate, the
  share farther from every training face than the 95th percentile of the real faces' distances (about
  0.05 for faces like the renders; in pixels it counts the noisy, off-data faces that an attribute guide
  pushed too hard can make, which an embedding can miss);
* cost: parameters (decoder and encoder, from the card), the ONNX file's bytes, training wall time (the
  card's ``training.wall_seconds``, all resumed runs together) and faces per second through
  :meth:`AppearanceGenerator.generate_many` (attribute names in, uint8 faces out) at batch 1 and batch 64
  (median over timed calls, with onnxruntime's thread count).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import AnisyncError, ModelLoadError
from ..expression.card import sha256_of
from ..sessions import checked_signature, open_session
from ..procedural.identity import STYLES
from ..procedural.render import render_face
from ..timing import call_seconds
from .attributes import ATTRIBUTES, from_indices, one_hot, sample_appearance
from .data import LabelledFaces, check_fingerprint, dataset_fingerprint, load_faces
from .generator import AppearanceGenerator, to_network
from .judge import AttributeJudge, scores

K_NEAREST = 3
#: The encoder graph the reconstruction path runs (anisync.appearance.export writes it).
ENCODER_SIGNATURE = {"inputs": {"image": 4, "attributes": 2}, "outputs": {"mu": 2, "logvar": 2}}
COPY_PERCENTILE, FAR_PERCENTILE = 5.0, 95.0


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to the rows of ``a`` and of ``b``:
    ``|mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a^1/2 S_b S_a^1/2)^1/2)``."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    values, vectors = np.linalg.eigh(s_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    middle = np.linalg.eigvalsh(root_a @ s_b @ root_a)
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(s_a) + np.trace(s_b) - 2 * np.sqrt(np.clip(middle, 0, None)).sum())


def _distances(a: np.ndarray, b: np.ndarray, chunk: int = 1024) -> np.ndarray:
    """Euclidean distances between the rows of ``a`` and of ``b`` ([len(a), len(b)])."""
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    b2 = (b * b).sum(1)
    out = np.empty((len(a), len(b)), np.float32)
    for s in range(0, len(a), chunk):
        part = a[s:s + chunk]
        out[s:s + chunk] = np.sqrt(np.maximum((part * part).sum(1)[:, None] + b2[None] - 2 * part @ b.T, 0))
    return out


def nearest(a: np.ndarray, b: np.ndarray, chunk: int = 512) -> np.ndarray:
    """Each row of ``a``'s distance to its nearest row of ``b``."""
    return np.concatenate([_distances(a[s:s + chunk], b).min(1) for s in range(0, len(a), chunk)])


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = K_NEAREST, seed: int = 0) -> tuple[float, float]:
    """Improved precision and recall: the share of ``fake`` rows inside the union of the real rows'
    k-nearest-neighbour balls, and of ``real`` rows inside the fake rows' balls. The larger set is first
    subsampled (``seed``) to the smaller one's size: the balls shrink as a set grows, so unequal sizes
    would bias the two figures."""
    n = min(len(real), len(fake))
    rng = np.random.default_rng(seed)
    real, fake = (x if len(x) == n else x[np.sort(rng.choice(len(x), n, replace=False))] for x in (real, fake))

    def radii(x):
        d = _distances(x, x)
        return np.sort(d, axis=1)[:, min(k, len(x) - 1)]  # column 0 is the row itself

    real_r, fake_r = radii(real), radii(fake)
    cross = _distances(fake, real)
    precision = float((cross <= real_r[None]).any(1).mean())
    recall = float((cross.T <= fake_r[None]).any(1).mean())
    return precision, recall


def nearest_figures(generated: np.ndarray, real: np.ndarray) -> dict:
    """The memorisation figures (module docstring) from the generated and the real faces' distances to
    their nearest training faces."""
    return {"generated_median": float(np.median(generated)), "real_median": float(np.median(real)),
            "ratio": float(np.median(generated) / max(np.median(real), 1e-12)),
            "copy_rate": float((generated < np.percentile(real, COPY_PERCENTILE)).mean()),
            "far_rate": float((generated > np.percentile(real, FAR_PERCENTILE)).mean())}


def mean_pairwise(x: np.ndarray) -> float:
    """Mean Euclidean distance over the distinct pairs of rows of ``x``."""
    d = _distances(x, x)
    np.fill_diagonal(d, 0.0)  # the expansion |a|^2 + |b|^2 - 2ab leaves rounding noise on the diagonal
    n = len(x)
    return float(d.sum() / (n * (n - 1))) if n > 1 else float("nan")


def _pixels(faces: np.ndarray) -> np.ndarray:
    """RGBA at half the side (2x2 means), in [0, 1], flattened."""
    n, s = len(faces), faces.shape[1]
    small = faces.astype(np.float32).reshape(n, s // 2, 2, s // 2, 2, 4).mean((2, 4)) / 255.0
    return small.reshape(n, -1)


def _latency(generator: AppearanceGenerator, batch: int, calls: int) -> dict:
    # What a game calls: attribute names checked, z drawn from each seed, the graph, uint8 faces.
    attributes = [from_indices(np.zeros(len(ATTRIBUTES), np.int64))] * batch
    seeds = list(range(batch))
    median = float(np.median(call_seconds(lambda: generator.generate_many(attributes, seeds), calls)))
    return {"images_per_second": batch / median, "ms_per_call_median": 1e3 * median, "calls": calls}


def _encoder(model: Path, card: dict | None):
    """The model's encoder session, after checking its sha256 against the card (None without one)."""
    if not card or "encoder" not in card:
        return None
    path = model.with_name(card["encoder"]["file"])
    if not path.is_file():
        raise ModelLoadError(f"{path}: no such encoder file (named by {model}'s card)")
    if sha256_of(path) != card["encoder"].get("sha256"):
        raise ModelLoadError(f"{path}: sha256 does not match the model card of {model}")
    session = open_session(path, 1, ["CPUExecutionProvider"])
    checked_signature(session, path, ENCODER_SIGNATURE)
    return session


def _reconstruction(generator: AppearanceGenerator, encoder, faces: LabelledFaces) -> dict | None:
    if encoder is None:
        return None
    codes = one_hot(faces.labels)
    mus = []
    for s in range(0, len(faces), 128):
        mus.append(encoder.run(["mu"], {"image": to_network(faces.images[s:s + 128]), "attributes": codes[s:s + 128]})[0])
    decoded = generator.decode(codes, np.concatenate(mus)).astype(np.float64) / 255.0
    truth = faces.images.astype(np.float64) / 255.0
    return {"mae": float(np.abs(decoded - truth).mean()), "rmse": float(np.sqrt(((decoded - truth) ** 2).mean())),
            "faces": len(faces)}


def _reference_diversity(judge: AttributeJudge, sets: list[np.ndarray], per_set: int, seed: int) -> float:
    values = []
    for k, row in enumerate(sets):
        rng = np.random.default_rng([seed, 2, k])
        faces = np.stack([render_face(sample_appearance(rng, from_indices(row)), None, 0.0, 64).rgba
                          for _ in range(per_set)])
        values.append(mean_pairwise(judge.read(faces)[1]))
    return float(np.mean(values))


def evaluate(models: list[str | Path], data: str | Path, judge: str | Path, samples: int = 1000, sets: int = 20,
             per_set: int = 10, threads: int = 1, seed: int = 0, train_faces: int | None = None) -> dict:
    """All the measures of the module docstring, for every model, as plain data (``train_faces``: how many
    training faces the nearest-neighbour check searches, all by default)."""
    if not models:
        raise AnisyncError("eval appearance: no model given")
    # Load errors before the work.
    generators = [AppearanceGenerator(model, threads=threads) for model in models]
    encoders = [_encoder(Path(model), generator.card) for model, generator in zip(models, generators)]
    reader = AttributeJudge(judge, threads)
    fingerprint = dataset_fingerprint(data)
    for name, card in [(str(m), g.card) for m, g in zip(models, generators)] + [(str(judge), reader.card)]:
        check_fingerprint(name, card, data, fingerprint)
    held_out = load_faces(data, "test")
    training = load_faces(data, "train", limit=train_faces)
    real_labels, real_embedding = reader.read(held_out.images)
    train_embedding = reader.read(training.images)[1]
    train_pixels = _pixels(training.images)
    real_nn = {"embedding": nearest(real_embedding, train_embedding), "pixels": nearest(_pixels(held_out.images), train_pixels)}
    distinct = list(dict.fromkeys(tuple(row) for row in held_out.labels.tolist()))[:sets]
    set_rows = [np.array(row) for row in distinct]
    rng = np.random.default_rng(seed)
    rows = held_out.labels[np.arange(samples) % len(held_out)]
    seeds = rng.integers(0, 2**62, samples).tolist()
    set_seeds = rng.integers(0, 2**62, (len(set_rows), per_set)).tolist()
    results = []
    for model, generator, encoder in zip(models, generators, encoders):
        model = Path(model)
        card = generator.card or {}
        faces = generator.generate_many([from_indices(r) for r in rows], seeds)
        predicted, embedding = reader.read(faces)
        precision, recall = precision_recall(real_embedding, embedding, seed=seed)
        diversity = [mean_pairwise(reader.read(generator.generate_many(from_indices(r), s))[1])
                     for r, s in zip(set_rows, set_seeds)]
        memorisation = {}
        for space, generated, reference in (("embedding", embedding, train_embedding),
                                            ("pixels", _pixels(faces), train_pixels)):
            memorisation[space] = nearest_figures(nearest(generated, reference), real_nn[space])
        results.append({
            "model": str(model), "arch": card.get("arch", model.stem), "provider": generator.provider,
            "conditioning": scores(rows, predicted),
            "reconstruction": _reconstruction(generator, encoder, held_out),
            "fidelity": {"frechet_distance": frechet_distance(embedding, real_embedding), "precision": precision,
                         "recall": recall, "generated_faces": len(faces), "real_faces": len(held_out),
                         "precision_recall_faces_each": min(len(faces), len(held_out))},
            "diversity": {"mean_pairwise_embedding_distance": float(np.mean(diversity)), "sets": len(set_rows),
                          "per_set": per_set},
            "memorisation": memorisation,
            "parameters": card.get("parameters"),
            "file_bytes": model.stat().st_size,
            "encoder_file_bytes": model.with_name(card["encoder"]["file"]).stat().st_size if encoder else None,
            "training_wall_seconds": (card.get("training") or {}).get("wall_seconds"),
            "training": card.get("training"),
            "speed": {"threads": threads, "through": "AppearanceGenerator.generate_many", "batch_1": _latency(generator, 1, 50), "batch_64": _latency(generator, 64, 10)},
        })
    return {
        "data": str(data), "judge": str(judge), "seed": seed, "samples": samples, "threads": threads,
        "held_out_faces": len(held_out), "training_faces_compared": len(training),
        "judge_on_real_renders": scores(held_out.labels, real_labels),
        "real_diversity": {"mean_pairwise_embedding_distance": _reference_diversity(reader, set_rows, per_set, seed),
                           "sets": len(set_rows), "per_set": per_set},
        "models": results,
    }


def format_report(result: dict) -> str:
    """The figures as one table (one row per model) with the judge's own scores above it."""
    judge = result["judge_on_real_renders"]
    lines = [f"{result['held_out_faces']} held-out real faces, {result['samples']} generated per model; judge on the "
             f"real renders: accuracy {100 * judge['accuracy']:.1f} %, macro-F1 {judge['macro_f1']:.3f} ("
             + ", ".join(f"{k} {100 * v['accuracy']:.1f} %" for k, v in judge["per_attribute"].items()) + "); "
             f"real diversity {result['real_diversity']['mean_pairwise_embedding_distance']:.3f}"]
    header = ("arch", "acc %", "F1", "all %", "MAE", "RMSE", "FD", "prec", "rec", "div", "NN gen/real",
              "copy %", "far px %", "params", "MB", "train s", "img/s b1", "img/s b64")
    rows = [header]
    for m in result["models"]:
        c, f, r = m["conditioning"], m["fidelity"], m["reconstruction"] or {}
        params = m["parameters"] or {}
        mem = m["memorisation"]["embedding"]
        wall = m["training_wall_seconds"]
        rows.append((m["arch"], f"{100 * c['accuracy']:.1f}", f"{c['macro_f1']:.3f}", f"{100 * c['all_correct']:.1f}",
                     f"{r['mae']:.4f}" if r else "-", f"{r['rmse']:.4f}" if r else "-", f"{f['frechet_distance']:.2f}",
                     f"{f['precision']:.3f}", f"{f['recall']:.3f}",
                     f"{m['diversity']['mean_pairwise_embedding_distance']:.3f}", f"{mem['ratio']:.2f}",
                     f"{100 * mem['copy_rate']:.1f}", f"{100 * m['memorisation']['pixels']['far_rate']:.1f}",
                     str(params.get("decoder", "-")), f"{m['file_bytes'] / 1e6:.2f}",
                     f"{wall:.0f}" if wall is not None else "-",
                     f"{m['speed']['batch_1']['images_per_second']:.0f}", f"{m['speed']['batch_64']['images_per_second']:.0f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines += ["  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)


def write_json(result: dict, path: str | Path) -> None:
    """The figures as JSON (the keys are those of :func:`evaluate`)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


def appearance_sheet(model: str | Path, out: str | Path, seeds: int = 8, scale: int = 2) -> Path:
    """A sheet of one model: a row per style, a column per seed (0 .. seeds-1; the other attributes drawn
    from the seed), faces scaled up ``scale`` times (nearest neighbour)."""
    from PIL import Image

    from ..procedural.sheet import grid

    generator = AppearanceGenerator(model)
    cells = []
    for style in STYLES:
        for face in generator.generate_many({"style": style}, list(range(seeds))):
            cells.append(Image.fromarray(face, "RGBA").resize((64 * scale, 64 * scale), Image.Resampling.NEAREST))
    sheet = grid(cells, seeds, 64 * scale, column_labels=[f"seed {s}" for s in range(seeds)], row_labels=list(STYLES))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    return out
