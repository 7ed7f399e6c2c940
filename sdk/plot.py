"""Line plots as PNG with Pillow (no plotting dependency): loss curves, frame times."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from .extras import import_extra

#: Colours of the series, in order: the usual ten-colour cycle, then two more (the demo benchmark plots
#: twelve series).
COLORS = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
          (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207), (40, 40, 40), (120, 90, 0))
_STEPS = (1, 2, 5)


def _pillow():
    """Pillow's ``Image`` and ``ImageDraw`` modules (the ``faces`` extra)."""
    return (import_extra("PIL.Image", "faces", "drawing plots"), import_extra("PIL.ImageDraw", "faces", "drawing plots"))


def _tick(span: float, most: int = 8) -> float:
    """The smallest 1-2-5 step that cuts ``span`` into at most ``most`` parts."""
    scale = 10.0 ** np.floor(np.log10(span / most)) if span > 0 else 1.0
    return next(s * scale for s in (*_STEPS, 10) if span / (s * scale) <= most)


def line_plot(series: dict[str, tuple[Sequence[float], Sequence[float]]], path: str | Path, x_label: str,
              y_unit: str = "", faint: dict[str, Sequence[float]] | None = None, size: tuple[int, int] = (960, 420),
              log_y: bool = False) -> None:
    """Write ``series`` (name -> (x values, y values)) as one coloured line each, with a legend and axis
    ticks; ``faint`` (name -> y values at the same x) draws a light line beside a series, ``log_y`` a
    logarithmic y axis (for positive values)."""
    Image, ImageDraw = _pillow()

    width, height = size
    left, right, top, bottom = 64, 16, 16, 78
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    faint = faint or {}
    ys = [np.asarray(y, np.float64) for _, y in series.values()] + [np.asarray(y, np.float64) for y in faint.values()]
    xs = [np.asarray(x, np.float64) for x, _ in series.values()]
    x_high = max((float(x.max()) for x in xs if len(x)), default=1.0) or 1.0
    y_all = np.concatenate([y for y in ys if len(y)]) if any(len(y) for y in ys) else np.ones(1)
    transform = (lambda v: np.log10(np.maximum(v, 1e-12))) if log_y else (lambda v: v)
    y_low = float(transform(y_all).min()) if log_y else 0.0
    y_high = float(transform(y_all).max()) * (1.0 if log_y else 1.1)
    if y_high <= y_low:
        y_high = y_low + 1.0

    def xy(x, y):
        return (left + (width - left - right) * np.asarray(x) / x_high,
                top + (height - top - bottom) * (1 - (transform(np.asarray(y, np.float64)) - y_low) / (y_high - y_low)))

    step = _tick(y_high - y_low)
    for tick in np.arange(np.ceil(y_low / step) * step, y_high, step):
        y = top + (height - top - bottom) * (1 - (tick - y_low) / (y_high - y_low))
        draw.line([(left, y), (width - right, y)], fill=(225, 225, 225))
        label = f"{10 ** tick:.3g}" if log_y else f"{tick:g}"
        draw.text((6, y - 6), f"{label} {y_unit}".strip(), fill=(60, 60, 60))
    x_step = _tick(x_high)
    for tick in np.arange(0, x_high + x_step / 2, x_step):
        x, y = float(xy(tick, 10 ** y_low if log_y else 0.0)[0]), height - bottom
        draw.text((x - 4, y + 3), f"{tick:g}", fill=(60, 60, 60))
    for k, (name, (x, y)) in enumerate(series.items()):
        color = COLORS[k % len(COLORS)]
        if len(x) > 1:
            if name in faint:
                px, py = xy(x, faint[name])
                draw.line(list(zip(px.tolist(), py.tolist())), fill=tuple(int(c + (255 - c) * 0.65) for c in color))
            px, py = xy(x, y)
            draw.line(list(zip(px.tolist(), py.tolist())), fill=color, width=2)
        lx, ly = left + 8 + 230 * (k % 4), height - bottom + 32 + 16 * (k // 4)
        draw.rectangle([lx, ly + 3, lx + 14, ly + 9], fill=color)
        draw.text((lx + 20, ly), name, fill=(30, 30, 30))
    draw.text((left, height - bottom + 16), x_label, fill=(60, 60, 60))
    image.save(path)


def confusion_plot(counts: np.ndarray, labels: Sequence[str], path: str | Path, title: str = "") -> None:
    """Write a confusion matrix (``counts[true, predicted]``) as a grid whose cells are shaded by the share
    of their row (each true label's recall across the predictions), with the percentage and the row's count."""
    Image, ImageDraw = _pillow()

    counts = np.asarray(counts, np.float64)
    shares = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    cell, left, top = 64, 96, 48 if title else 28
    size = (left + cell * len(labels) + 16, top + cell * len(labels) + 40)
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    if title:
        draw.text((8, 6), title, fill=(0, 0, 0))
    for j, label in enumerate(labels):
        draw.text((left + j * cell + 4, top - 14), label[:9], fill=(0, 0, 0))
    draw.text((left, top + cell * len(labels) + 8), "predicted (columns); true label and count (rows)", fill=(90, 90, 90))
    for i, label in enumerate(labels):
        draw.text((6, top + i * cell + cell // 2 - 12), label, fill=(0, 0, 0))
        draw.text((6, top + i * cell + cell // 2 + 2), f"n={int(counts[i].sum())}", fill=(90, 90, 90))
        for j in range(len(labels)):
            shade = int(255 - 200 * shares[i, j])
            box = (left + j * cell, top + i * cell, left + (j + 1) * cell - 2, top + (i + 1) * cell - 2)
            draw.rectangle(box, fill=(shade, shade, 255))
            draw.text((box[0] + 14, box[1] + cell // 2 - 8), f"{100 * shares[i, j]:.0f}%",
                      fill=(255, 255, 255) if shares[i, j] > 0.5 else (0, 0, 0))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
