"""``anisync eval expression``: measure an exported expression editor on held-out procedural identities.

Every test-split identity of a procedural dataset comes with several expressions at one yaw, each with
its exact render and expression mask, so every edit has a ground truth. Over ``pairs`` (source, target)
faces of the same identity, with ``E = edit(source, target expression)``:

* fidelity: PSNR and SSIM of ``E`` against the target's render;
* regions: PSNR against the target's render over the whole face, inside the ground-truth expression
  mask of both faces, in the mouth area (the box round both faces' mouth landmarks, grown by 1/16 of the
  image, inside that mask) and outside the mask (what the expression may not change), each beside the
  score of **copying the source** (doing nothing), so that an editor that changes nothing cannot look
  good; and how far the mouth area moves from the source in the edit and in the true render (mean
  absolute grey levels, 0-255);
* preservation: PSNR of the identity edit (target expression = source expression) against the source;
  the mean size of the model's mask and its IoU with the ground-truth masks' union (the model's mask
  thresholded at 0.5);
* from neutral (the game's case): each test identity's neutral face edited to each emotion but neutral
  at full intensity, against the renderer's truth for that identity, yaw and emotion: PSNR beside the
  copy baseline and, with a judge, how often the judge reads the emotion asked for in the edit and in the
  true render, per emotion;
* held out (generalisation): the from-neutral figures again on faces unlike any in training
  (:data:`HELD_OUT_SETS`): the same test identities in hair, eye and accent colours off every style's
  palette (:func:`~anisync.procedural.identity.off_palette_color`), and in a drawing style with lines
  :data:`HEAVY_LINES` times as heavy (``render_face``'s ``line_weight``), the stand-in for a studio's own
  art; each truth rendered the same way;
* temporal stability: along a straight path from the source to the target expression in ``steps``
  equal steps, the mean absolute pixel change per step divided by the step's change of the expression
  parameters (mean absolute): small means no flicker when an emotion moves a little;
* generated faces (with ``appearance``, the appearance generator's ONNX model, and a judge): faces it
  draws for seeds 0, 1, ... (attributes drawn from each seed), scaled to the editor's size (Lanczos),
  edited to each emotion but neutral at full intensity; how often the judge reads the emotion asked for,
  beside the same figure for the unedited faces (the do-nothing baseline). No true render exists for
  these faces, so there is no PSNR;
* split guard: a model whose card records its training identities (``anisync train expression`` writes
  them for procedural data) is refused on a dataset of the same seed whose test identities it was trained
  on, whatever the identity counts of the two datasets;
* speed: onnxruntime latency per call at batch 1 and batch 16 (median and 95th percentile, with the
  thread count), parameters (from the model card) and file size.

With a judge (:mod:`anisync.expression.judge`, trained only on real renders) also:

* control: the judge's dominant emotion of ``E`` against the target's labelled dominant emotion
  (accuracy), and the mean absolute error of the judged intensities per emotion; beside them, the same
  two figures of the judge on the real target renders;
* control on clear targets (one emotion at intensity >= 0.6) and on mixtures, apart, each beside the
  judge's figure on the real target renders;
* monotonicity: for ``sweep`` source faces and each emotion but neutral (neutral adds nothing to the
  face, so it has no sweep), edits asking for that emotion alone at 0, 0.2, ..., 1; Spearman's
  correlation between the intensity asked for and the one the judge reads, per emotion, and the mean
  absolute difference between them (a faint change in the right direction ranks well but reads low).

With a mouth judge (a judge that reads the mouth parameters, trained on speaking renders), also:

* mouth control (lip sync): for ``sweep`` held-out neutral faces, sweeps of ``mouth_open`` (0 to 1, the
  rest of the face at rest), ``mouth_width`` (-1 to 1, mouth half open) and ``mouth_form`` (-1 to 1, mouth
  a little open) in 6 steps, each edited and rendered true; Spearman's correlation between the asked and
  the judged parameter, and their mean absolute difference, for the edits and for the true renders (the
  judge's ceiling); and the mouth shapes of :data:`~anisync.procedural.expression.MOUTH_SHAPES`: PSNR against
  the true render on the pixels the shape changes, beside copying the neutral face.

Image metrics are over all four RGBA channels in [0, 1]. SSIM uses a 7x7 uniform window (constants
0.01 and 0.03, as usual) averaged over channels and pixels.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..emotion import EMOTIONS
from ..errors import AnisyncError
from ..procedural.expression import MOUTH_SHAPES, ExpressionParams
from ..procedural.identity import FaceIdentity
from ..procedural.loader import FaceDataset
from ..portrait import resize_face
from ..procedural.render import LANDMARK_NAMES, render_face
from ..timing import call_seconds
from .editor import ExpressionEditor
from .judge import READINGS, Judge, clear_targets, spearman


def psnr(a: np.ndarray, b: np.ndarray, where: np.ndarray | None = None) -> float:
    """Peak signal-to-noise ratio (dB) of two uint8 images, over the pixels ``where`` is true (all by default)."""
    diff = (a.astype(np.float64) - b.astype(np.float64)) / 255.0
    if where is not None:
        diff = diff[where]
    mse = float(np.mean(diff ** 2)) if diff.size else 0.0
    return float("inf") if mse == 0 else float(10 * np.log10(1.0 / mse))


#: Rows of the mouth's landmarks in a render's landmarks.
_MOUTH = [LANDMARK_NAMES.index(name) for name in ("mouth_left", "mouth_right", "lip_top", "lip_bottom")]


def mouth_area(source: dict, target: dict, size: int) -> np.ndarray:
    """The mouth area of a pair: the box round both faces' mouth landmarks grown by ``size / 16`` pixels,
    inside the ground-truth expression mask of either face."""
    points = np.concatenate([source["landmarks"][_MOUTH], target["landmarks"][_MOUTH]])
    grow = size / 16
    (left, top), (right, bottom) = points.min(0) - grow, points.max(0) + grow
    ys, xs = np.mgrid[:size, :size]
    return (xs >= left) & (xs <= right) & (ys >= top) & (ys <= bottom) & (source["mask"] | target["mask"])


def _beside_copy(edited: np.ndarray, sources: np.ndarray, targets: np.ndarray, regions: np.ndarray) -> dict:
    """PSNR against the targets of the squared error pooled over every face's region, for the edits and
    for copying the sources; null when the images are identical there (outside the mask copying is, by
    construction of the renders)."""

    def pooled(images: np.ndarray) -> float | None:
        value = psnr(images, targets, np.broadcast_to(regions[..., None], images.shape))
        return value if np.isfinite(value) else None

    return {"edit_psnr_db": pooled(edited), "copy_psnr_db": pooled(sources)}


def _box(image: np.ndarray, k: int) -> np.ndarray:
    """Mean over k x k windows (valid positions only) of an (H, W, C) array, by summed-area tables."""
    table = np.pad(image, ((1, 0), (1, 0), (0, 0))).cumsum(0).cumsum(1)
    return (table[k:, k:] - table[:-k, k:] - table[k:, :-k] + table[:-k, :-k]) / (k * k)


def ssim(a: np.ndarray, b: np.ndarray, window: int = 7) -> float:
    """Structural similarity of two uint8 (H, W, C) images (module docstring)."""
    x, y = a.astype(np.float64) / 255.0, b.astype(np.float64) / 255.0
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    mx, my = _box(x, window), _box(y, window)
    vx, vy = _box(x * x, window) - mx * mx, _box(y * y, window) - my * my
    cov = _box(x * y, window) - mx * my
    index = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(index.mean())


def identity_pairs(dataset: FaceDataset, pairs: int, rng: np.random.Generator) -> list[tuple[dict, dict]]:
    """``pairs`` (source, target) faces, each two different faces of one identity, identities in turn."""
    by_identity: dict[str, list[int]] = {}
    for index in range(len(dataset)):
        by_identity.setdefault(dataset[index]["identity"], []).append(index)
    groups = [rows for rows in by_identity.values() if len(rows) > 1]
    if not groups:
        raise AnisyncError(f"{dataset.root}: no identity of the {dataset.split} split has two faces to pair")
    chosen = []
    for k in range(pairs):
        rows = groups[k % len(groups)]
        source, target = rng.choice(rows, 2, replace=False)
        chosen.append((dataset[int(source)], dataset[int(target)]))
    return chosen


def _latency(editor: ExpressionEditor, batch: int, repeats: int) -> dict:
    faces = np.zeros((batch, editor.size, editor.size, 4), np.uint8)
    expressions = np.full((batch, 7), 1 / 7, np.float32)
    ms = np.array(call_seconds(lambda: editor.edit(faces, expressions), repeats)) * 1e3
    return {"p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95)), "calls": repeats}


def _moved(images: np.ndarray, sources: np.ndarray, regions: np.ndarray) -> float:
    """Mean absolute difference (grey levels, 0-255, all four channels) from the sources over the regions."""
    return float(np.abs(images.astype(np.float64) - sources)[np.broadcast_to(regions[..., None], images.shape)].mean())


_NEUTRAL = EMOTIONS.index("neutral")


def _neutral_faces(dataset: FaceDataset, limit: int) -> list[dict]:
    """The first ``limit`` neutral procedural faces of ``dataset`` (one per identity: its first face)."""
    faces = [item for item in (dataset[i] for i in range(len(dataset))) if item["emotions"][_NEUTRAL] == 1.0][:limit]
    if not faces or faces[0]["identity_params"] is None:
        raise AnisyncError(f"{dataset.root}: no neutral procedural test faces to edit from")
    return faces


def _true_render(item: dict, expression: ExpressionParams, size: int) -> np.ndarray:
    """The renderer's truth: ``item``'s identity and yaw wearing ``expression`` (in ``item``'s drawing
    style, if it names one), uint8 RGBA."""
    return render_face(FaceIdentity.from_dict(item["identity_params"]), expression, item["yaw"], size,
                       **item.get("style", {})).rgba


#: Line weight of the held-out drawing style.
HEAVY_LINES = 2.5
#: The held-out sets of the generalisation figures (module docstring).
HELD_OUT_SETS = ("off_palette", "heavy_lines")


def held_out_faces(neutral: list[dict], name: str, size: int, seed: int = 0) -> list[dict]:
    """``neutral`` procedural faces redrawn as held-out set ``name`` (:data:`HELD_OUT_SETS`): items with
    ``image``, ``identity_params``, ``yaw`` and the drawing ``style``, as :func:`_true_render` reads them."""
    from dataclasses import replace

    from ..procedural.identity import off_palette_color

    rng = np.random.default_rng([seed, HELD_OUT_SETS.index(name)])
    faces = []
    for item in neutral:
        identity, style = FaceIdentity.from_dict(item["identity_params"]), {}
        if name == "off_palette":
            identity = replace(identity, **{f"{role}_color": off_palette_color(rng, role) for role in ("hair", "eye", "accent")})
        elif name == "heavy_lines":
            style = {"line_weight": HEAVY_LINES}
        else:
            raise ValueError(f"held-out set: expected one of {', '.join(HELD_OUT_SETS)}, got {name!r}")
        face = {"identity_params": identity.to_dict(), "yaw": item["yaw"], "style": style}
        faces.append({**face, "image": _true_render(face, ExpressionParams(), size)})
    return faces


def _from_neutral(editor: ExpressionEditor, neutral: list[dict], judge: Judge | None) -> dict:
    """Each ``neutral`` face edited to each emotion but neutral at full intensity, against the renderer's
    truth (module docstring); per emotion and overall."""
    sources = np.stack([item["image"] for item in neutral])
    per_emotion = {}
    for k, name in enumerate(EMOTIONS):
        if k == _NEUTRAL:
            continue
        asked = np.zeros((len(neutral), len(EMOTIONS)), np.float32)
        asked[:, k] = 1.0
        expression = ExpressionParams.from_emotions(asked[0])
        truth = np.stack([_true_render(item, expression, editor.size) for item in neutral])
        edited = editor.edit(sources, asked)
        figures = {"whole": _beside_copy(edited, sources, truth, np.ones(truth.shape[:3], bool)),
                   "changed_pixels": _beside_copy(edited, sources, truth, np.any(truth != sources, axis=-1))}
        if judge is not None:
            figures["judged_edit"] = float((judge.emotions(edited).argmax(1) == k).mean())
            figures["judged_truth"] = float((judge.emotions(truth).argmax(1) == k).mean())
        per_emotion[name] = figures
    summary = {"faces": len(neutral), "per_emotion": per_emotion}
    if judge is not None:
        summary["judged_edit"] = float(np.mean([f["judged_edit"] for f in per_emotion.values()]))
        summary["judged_truth"] = float(np.mean([f["judged_truth"] for f in per_emotion.values()]))
    return summary


def _on_generated_faces(editor: ExpressionEditor, judge: Judge, appearance: str | Path, faces: int) -> dict:
    """The generated-faces figures of the module docstring."""
    from ..appearance.generator import AppearanceGenerator

    drawn = AppearanceGenerator(appearance).generate_many({}, list(range(faces)))
    sources = np.stack([resize_face(face, editor.size) for face in drawn])
    read_sources = judge.emotions(sources).argmax(1)
    per_emotion = {}
    for k, name in enumerate(EMOTIONS):
        if name == "neutral":
            continue
        asked = np.zeros((faces, len(EMOTIONS)), np.float32)
        asked[:, k] = 1.0
        per_emotion[name] = {"judged_edit": float((judge.emotions(editor.edit(sources, asked)).argmax(1) == k).mean()),
                             "judged_unedited": float((read_sources == k).mean())}
    return {"appearance_model": str(appearance), "faces": faces, "per_emotion": per_emotion,
            "judged_edit": float(np.mean([f["judged_edit"] for f in per_emotion.values()])),
            "judged_unedited": float(np.mean([f["judged_unedited"] for f in per_emotion.values()]))}


def _judged(editor: ExpressionEditor, judge: Judge, sources: np.ndarray, edited: np.ndarray, targets: np.ndarray,
            target_emotions: np.ndarray, sweep: int) -> dict:
    read_edit, read_real = judge.emotions(edited), judge.emotions(targets)
    wanted = target_emotions.argmax(1)
    levels = np.linspace(0.0, 1.0, 6, dtype=np.float32)
    monotonic, sweep_error = {}, {}
    for k, name in enumerate(EMOTIONS):
        if name == "neutral":
            continue
        asked = np.zeros((len(levels), len(EMOTIONS)), np.float32)
        asked[:, k] = levels
        faces = np.concatenate([editor.edit(np.repeat(sources[i:i + 1], len(levels), axis=0), asked)
                                for i in range(min(sweep, len(sources)))])
        judged, wanted_levels = judge.emotions(faces)[:, k], np.tile(levels, len(faces) // len(levels))
        monotonic[name] = spearman(wanted_levels, judged)
        sweep_error[name] = float(np.abs(judged - wanted_levels).mean())
    clear = clear_targets(target_emotions)

    def accuracy(read: np.ndarray, rows: np.ndarray) -> float | None:
        return float((read[rows].argmax(1) == wanted[rows]).mean()) if rows.any() else None

    return {
        "clear_targets": {"pairs": int(clear.sum()), "dominant_accuracy": accuracy(read_edit, clear),
                          "judge_on_real_dominant_accuracy": accuracy(read_real, clear)},
        "mixtures": {"pairs": int((~clear).sum()), "dominant_accuracy": accuracy(read_edit, ~clear),
                     "judge_on_real_dominant_accuracy": accuracy(read_real, ~clear)},
        "dominant_accuracy": float((read_edit.argmax(1) == wanted).mean()),
        "intensity_mae": dict(zip(EMOTIONS, np.abs(read_edit - target_emotions).mean(0).astype(float).tolist())),
        "judge_on_real_dominant_accuracy": float((read_real.argmax(1) == wanted).mean()),
        "judge_on_real_intensity_mae": float(np.abs(read_real - target_emotions).mean()),
        "monotonicity_spearman": monotonic,
        "sweep_intensity_mae": sweep_error,
        "sweep_faces": min(sweep, len(sources)),
    }


#: The mouth sweeps: the swept parameter, its levels, and the other mouth parameters held still.
MOUTH_SWEEPS = {"mouth_open": ((0.0, 1.0), {}), "mouth_width": ((-1.0, 1.0), {"mouth_open": 0.5}),
                "mouth_form": ((-1.0, 1.0), {"mouth_open": 0.3})}


def _mouth_control(editor: ExpressionEditor, judge: Judge, dataset: FaceDataset, faces: int) -> dict:
    """The mouth-control figures of the module docstring."""
    neutral = _neutral_faces(dataset, faces)
    sweeps = {}
    for name, ((low, high), still) in MOUTH_SWEEPS.items():
        levels = np.linspace(low, high, 6)
        asked = [ExpressionParams(**still, **{name: float(level)}) for level in levels]
        conditions = np.stack([a.to_vector() for a in asked])
        edits = np.concatenate([editor.edit(np.repeat(item["image"][None], len(asked), axis=0), conditions)
                                for item in neutral])
        truths = np.stack([_true_render(item, a, editor.size) for item in neutral for a in asked])
        wanted, column = np.tile(levels, len(neutral)), READINGS["mouth"].index(name)
        judged = {"edit": judge.mouth(edits)[:, column], "truth": judge.mouth(truths)[:, column]}
        sweeps[name] = {f"spearman_{kind}": spearman(wanted, read) for kind, read in judged.items()}
        sweeps[name].update({f"mae_{kind}": float(np.abs(read - wanted).mean()) for kind, read in judged.items()})
    shapes = {}
    sources = np.stack([item["image"] for item in neutral])
    for shape in MOUTH_SHAPES:
        expression = ExpressionParams().with_mouth_shape(shape)
        truth = np.stack([_true_render(item, expression, editor.size) for item in neutral])
        edited = editor.edit(sources, np.repeat(expression.to_vector()[None], len(neutral), axis=0))
        shapes[shape] = _beside_copy(edited, sources, truth, np.any(truth != sources, axis=-1))
    return {"mouth_judge": str(judge.path), "faces": len(neutral), "sweeps": sweeps, "shapes_changed_pixels": shapes}


def split_guard(editor: ExpressionEditor, dataset: FaceDataset) -> str:
    """Raise AnisyncError if ``dataset``'s test identities were among the model's training identities;
    otherwise say what was checked (module docstring)."""
    trained = (editor.card or {}).get("data", {})
    if "train_identity_numbers" not in trained:
        return "unchecked: the model card does not record its training identities"
    if trained["dataset_seed"] != dataset.manifest["seed"]:
        return "checked: the model was trained on faces of another dataset seed"
    shared = sorted(set(trained["train_identity_numbers"]) & set(dataset.manifest["splits"]["test"]))
    if shared:
        raise AnisyncError(f"{dataset.root}: {len(shared)} test identities ({', '.join(map(str, shared[:5]))}...) "
                           f"were in {editor.path}'s training data (dataset seed {trained['dataset_seed']}); "
                           "evaluate on a dataset made with another --seed")
    return "checked: no test identity was trained on"


def evaluate(model: str | Path, data: str | Path, pairs: int = 200, steps: int = 10, threads: int = 1,
             seed: int = 0, repeats: int = 50, judge: str | Path | None = None, sweep: int = 16,
             neutral_faces: int = 50, appearance: str | Path | None = None, generated_faces: int = 50,
             mouth_judge: str | Path | None = None) -> dict:
    """All the measures of the module docstring, as plain data."""
    editor = ExpressionEditor(model, threads=threads)
    dataset = FaceDataset(data, split="test")
    if dataset.manifest["size"] != editor.size:
        raise AnisyncError(f"{data}: faces of {dataset.manifest['size']} px, the model edits {editor.size} px")
    guard = split_guard(editor, dataset)
    rng = np.random.default_rng(seed)
    chosen = identity_pairs(dataset, pairs, rng)
    sources = np.stack([s["image"] for s, _ in chosen])
    targets = np.stack([t["image"] for _, t in chosen])
    source_params = np.stack([s["expression"] for s, _ in chosen]).astype(np.float32)
    target_params = np.stack([t["expression"] for _, t in chosen]).astype(np.float32)
    edited, mask = [], []
    for start in range(0, pairs, 16):
        e, m = editor.edit_with_mask(sources[start:start + 16], target_params[start:start + 16])
        edited.append(e)
        mask.append(m)
    edited, mask = np.concatenate(edited), np.concatenate(mask)
    identity = np.concatenate([editor.edit(sources[s:s + 16], source_params[s:s + 16]) for s in range(0, pairs, 16)])
    truth_mask = np.stack([s["mask"] | t["mask"] for s, t in chosen])
    outside = ~truth_mask
    mouths = np.stack([mouth_area(s, t, editor.size) for s, t in chosen])
    regions = {name: _beside_copy(edited, sources, targets, where) for name, where in (
        ("whole", np.ones_like(truth_mask)), ("inside_mask", truth_mask), ("mouth", mouths), ("outside_mask", outside))}
    regions["mouth_moved_grey_levels"] = {"edit": _moved(edited, sources, mouths), "truth": _moved(targets, sources, mouths)}
    predicted = mask >= 0.5
    iou = [(p & t).sum() / max((p | t).sum(), 1) for p, t in zip(predicted, truth_mask)]
    # Temporal stability along straight expression paths (the first pairs, to bound the cost).
    paths = min(pairs, 32)
    change = []
    for k in range(paths):
        alphas = np.linspace(0.0, 1.0, steps + 1, dtype=np.float32)[:, None]
        conditions = source_params[k] + alphas * (target_params[k] - source_params[k])
        frames = editor.edit(np.repeat(sources[k:k + 1], steps + 1, axis=0), conditions).astype(np.float64) / 255.0
        moved = float(np.abs(np.diff(conditions, axis=0)).mean())
        if moved > 0:
            change.append(float(np.abs(np.diff(frames, axis=0)).mean()) / moved)
    card = editor.card or {}
    neutral = _neutral_faces(dataset, neutral_faces)
    control = None
    judge = None if judge is None else _judge_of(judge, "emotions", threads)
    if judge is not None:
        target_emotions = np.stack([t["emotions"] for _, t in chosen]).astype(np.float32)
        control = _judged(editor, judge, sources, edited, targets, target_emotions, sweep)
    return {
        "model": str(model), "data": str(data), "pairs": pairs, "test_identities": len(dataset.identities),
        "split_guard": guard,
        "size": editor.size, "provider": editor.provider, "threads": threads, "seed": seed,
        "fidelity": {"psnr_db": float(np.mean([psnr(e, t) for e, t in zip(edited, targets)])),
                     "ssim": float(np.mean([ssim(e, t) for e, t in zip(edited, targets)])),
                     "copy_psnr_db": float(np.mean([psnr(s, t) for s, t in zip(sources, targets)])),
                     "copy_ssim": float(np.mean([ssim(s, t) for s, t in zip(sources, targets)]))},
        "regions": regions,
        "from_neutral": _from_neutral(editor, neutral, judge),
        "held_out": {name: _from_neutral(editor, held_out_faces(neutral, name, editor.size, seed), judge)
                     for name in HELD_OUT_SETS},
        "generated_faces": None if appearance is None or judge is None else
        _on_generated_faces(editor, judge, appearance, generated_faces),
        "preservation": {
            "identity_edit_psnr_db": float(np.mean([psnr(i, s) for i, s in zip(identity, sources)])),
            "mask_mean": float(mask.mean()),
            "mask_iou": float(np.mean(iou)),
        },
        "temporal": {"pixel_change_per_unit_expression": float(np.mean(change)) if change else None,
                     "paths": paths, "steps": steps},
        "speed": {"batch_1": _latency(editor, 1, repeats), "batch_16": _latency(editor, 16, max(5, repeats // 5))},
        "control": control,
        "mouth_control": None if mouth_judge is None else
        _mouth_control(editor, _judge_of(mouth_judge, "mouth", threads), dataset, sweep),
        "parameters": card.get("parameters"),
        "file_bytes": Path(model).stat().st_size,
        "training": card.get("training"),
        "not_measured": ["landmark NME (no landmark regressor is built)"],
    }


def _judge_of(path: str | Path, reading: str, threads: int) -> Judge:
    """The judge at ``path``, refused (AnisyncError) before any work if it reads something else."""
    judge = Judge(path, threads)
    if judge.reading != reading:
        raise AnisyncError(f"{path}: a judge of {judge.reading}, expected a judge of {reading}")
    return judge


def _db(value: float | None) -> str:
    return "identical" if value is None else f"{value:.2f} dB"


def format_report(result: dict) -> str:
    """The figures as a few lines of text."""
    f, p, t, s = result["fidelity"], result["preservation"], result["temporal"], result["speed"]
    regions = "; ".join(f"{name} {_db(r['edit_psnr_db'])} (copy {_db(r['copy_psnr_db'])})"
                        for name, r in result["regions"].items() if "edit_psnr_db" in r)
    moved, neutral = result["regions"]["mouth_moved_grey_levels"], result["from_neutral"]
    judged = "" if "judged_edit" not in neutral else (
        f", judged {100 * neutral['judged_edit']:.1f} % (true renders {100 * neutral['judged_truth']:.1f} %): "
        + ", ".join(f"{k} {100 * v['judged_edit']:.0f} %" for k, v in neutral["per_emotion"].items()))
    return (f"{result['pairs']} held-out pairs at {result['size']} px ({result['test_identities']} test identities)\n"
            f"  fidelity: PSNR {f['psnr_db']:.2f} dB, SSIM {f['ssim']:.4f} (copying the source: "
            f"{f['copy_psnr_db']:.2f} dB, {f['copy_ssim']:.4f})\n"
            f"  regions, PSNR against the true render: {regions}\n"
            f"  mouth area moved {moved['edit']:.2f} grey levels from the source (true renders {moved['truth']:.2f})\n"
            f"  from neutral at full intensity ({neutral['faces']} faces): whole-face PSNR "
            + ", ".join(f"{k} {_db(v['whole']['edit_psnr_db'])}" for k, v in neutral["per_emotion"].items())
            + f"{judged}\n"
            f"  preservation: identity edit PSNR {p['identity_edit_psnr_db']:.2f} dB, "
            f"mask mean {p['mask_mean']:.3f}, IoU {p['mask_iou']:.3f}\n"
            f"  temporal: {t['pixel_change_per_unit_expression']:.4f} mean pixel change per unit of expression\n"
            f"  speed ({result['provider']}, {result['threads']} thread(s)): batch 1 p50 {s['batch_1']['p50_ms']:.2f} ms "
            f"p95 {s['batch_1']['p95_ms']:.2f} ms; batch 16 p50 {s['batch_16']['p50_ms']:.2f} ms "
            f"p95 {s['batch_16']['p95_ms']:.2f} ms"
            + "".join(f"\n  held out, {name}: whole-face PSNR "
                      + ", ".join(f"{k} {_db(v['whole']['edit_psnr_db'])}" for k, v in held["per_emotion"].items())
                      + ("" if "judged_edit" not in held else f", judged {_percent(held['judged_edit'])} "
                         f"(true renders {_percent(held['judged_truth'])})")
                      for name, held in result.get("held_out", {}).items())
            + ("" if result["control"] is None else _control_report(result["control"]))
            + ("" if result.get("mouth_control") is None else _mouth_report(result["mouth_control"]))
            + ("" if result["generated_faces"] is None else
               f"\n  appearance-generator faces ({result['generated_faces']['faces']}): judged "
               f"{_percent(result['generated_faces']['judged_edit'])} (unedited {_percent(result['generated_faces']['judged_unedited'])})"))


def _percent(value: float | None) -> str:
    return "none" if value is None else f"{100 * value:.1f} %"


def _control_report(control: dict) -> str:
    clear, mixed = control["clear_targets"], control["mixtures"]
    return (f"\n  control (judge): dominant emotion {_percent(control['dominant_accuracy'])} (judge on real renders "
            f"{_percent(control['judge_on_real_dominant_accuracy'])}); clear targets {_percent(clear['dominant_accuracy'])} "
            f"(real {_percent(clear['judge_on_real_dominant_accuracy'])}, {clear['pairs']} pairs), mixtures "
            f"{_percent(mixed['dominant_accuracy'])} (real {_percent(mixed['judge_on_real_dominant_accuracy'])})\n"
            "  intensity sweeps, Spearman / mean |judged - asked|: "
            + ", ".join(f"{k} {v:.2f} / {control['sweep_intensity_mae'][k]:.2f}"
                        for k, v in control["monotonicity_spearman"].items()))


def _mouth_report(mouth: dict) -> str:
    return (f"\n  mouth control ({mouth['faces']} faces), Spearman edit / true render: "
            + ", ".join(f"{k} {v['spearman_edit']:.2f} / {v['spearman_truth']:.2f}" for k, v in mouth["sweeps"].items())
            + "\n  mouth shapes, PSNR on the changed pixels (copy): "
            + ", ".join(f"{k} {_db(v['edit_psnr_db'])} ({_db(v['copy_psnr_db'])})"
                        for k, v in mouth["shapes_changed_pixels"].items()))


def edit_sheet(model: str | Path, data: str | Path, path: str | Path, identities: int = 4, edits: int = 4) -> Path:
    """A picture of the editor at work on held-out faces: one row per test identity, its first face, then
    for up to ``edits`` other expressions of it the edit, the true render and the model's mask (white = edited),
    on white. Returns the PNG's path."""
    editor = ExpressionEditor(model)
    dataset = FaceDataset(data, split="test")
    by_identity: dict[str, list[dict]] = {}
    for index in range(len(dataset)):
        item = dataset[index]
        by_identity.setdefault(item["identity"], []).append(item)
    if not by_identity:
        raise AnisyncError(f"{data}: no test faces for the sheet")
    edits = min(edits, max(len(v) for v in by_identity.values()) - 1)  # as many as the dataset's identities have
    rows = []
    for items in [v for v in by_identity.values() if len(v) > edits][:identities] if edits > 0 else []:
        source, targets = items[0], items[1:edits + 1]
        faces, masks = editor.edit_with_mask(np.repeat(source["image"][None], len(targets), axis=0),
                                             np.stack([t["expression"] for t in targets]).astype(np.float32))
        tiles = [source["image"]]
        for face, mask, target in zip(faces, masks, targets):
            grey = np.rint(mask * 255).astype(np.uint8)
            tiles += [face, target["image"], np.dstack([grey, grey, grey, np.full_like(grey, 255)])]
        rows.append(np.concatenate(tiles, axis=1))
    if not rows:
        raise AnisyncError(f"{data}: no test identity with two faces for the sheet")
    return _save_on_white(rows, path)


def emotion_sheet(model: str | Path, data: str | Path, path: str | Path, identities: int = 8,
                  held_out: str | None = None) -> Path:
    """The game's case as a picture: for each of ``identities`` held-out identities, a row of its neutral
    face and its edits to each emotion but neutral at full intensity (EMOTIONS order), and below it the
    renderer's truth for each; last, the first identity's six mouth shapes (lip-sync visemes, asked by the
    expression parameters) the same way, edits above truths. With ``held_out`` (one of
    :data:`HELD_OUT_SETS`) the faces are redrawn as that set. Returns the PNG's path."""
    editor = ExpressionEditor(model)
    faces = _neutral_faces(FaceDataset(data, split="test"), identities)
    if held_out is not None:
        faces = held_out_faces(faces, held_out, editor.size)
    emotions = np.stack([np.eye(len(EMOTIONS), dtype=np.float32)[k] for k in range(len(EMOTIONS)) if k != _NEUTRAL])
    mouths = [ExpressionParams().with_mouth_shape(shape) for shape in MOUTH_SHAPES]
    asked = [(face, emotions, [ExpressionParams.from_emotions(e) for e in emotions]) for face in faces]
    asked.append((faces[0], np.stack([m.to_vector() for m in mouths]), mouths))  # the last row pair: mouth shapes
    rows = []
    for face, conditions, expressions in asked:
        edits = editor.edit(np.repeat(face["image"][None], len(conditions), axis=0), conditions)
        truths = [_true_render(face, expression, editor.size) for expression in expressions]
        rows += [np.concatenate([face["image"], *edits], axis=1), np.concatenate([face["image"], *truths], axis=1)]
    return _save_on_white(rows, path)


def _save_on_white(rows: list[np.ndarray], path: str | Path) -> Path:
    """RGBA rows of tiles stacked and composed on white, as a PNG; returns its path."""
    from PIL import Image

    grid = np.concatenate(rows, axis=0).astype(np.float64)
    alpha = grid[..., 3:4] / 255.0
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.rint(grid[..., :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)).save(out)
    return out


def write_json(result: dict, path: str | Path) -> None:
    """The figures as JSON (the keys are those of :func:`evaluate`)."""
    Path(path).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

