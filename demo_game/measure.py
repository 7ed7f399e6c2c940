"""What the demo measures: texture memory as Panda3D's TexMemWatcher counts it, frame-time statistics,
the SDK's overhead ratio, and the frame-time plot."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from engine_plugin import FACE_TEXTURE_PREFIX


def texture_memory(gsg) -> dict:
    """Bytes of textures resident in the graphics state's prepared objects, in total and for the
    characters' faces: the sum TexMemWatcher shows (``getDataSizeBytes`` of each resident texture)."""
    prepared = gsg.getPreparedObjects()
    total = faces = count = 0
    for texture in gsg.getPreparedTextures():
        if texture.getResident(prepared):
            size = texture.getDataSizeBytes(prepared)
            total += size
            count += 1
            if texture.getName().startswith(FACE_TEXTURE_PREFIX):
                faces += size
    return {"resident_mb": total / 1e6, "character_mb": faces / 1e6, "textures": count}


def frame_statistics(frame_seconds: Sequence[float]) -> dict:
    """Mean fps, 1% low fps (the frame rate of the slowest 1% of frames, averaged) and frame-time
    percentiles in milliseconds."""
    ms = np.asarray(frame_seconds, dtype=np.float64) * 1e3
    if not len(ms):
        return {"frames": 0, "mean_fps": None, "low_1pct_fps": None, "p50_ms": None, "p99_ms": None, "mean_ms": None}
    slowest = np.sort(ms)[-max(1, len(ms) // 100):]
    return {
        "frames": int(len(ms)),
        "mean_fps": float(1e3 / ms.mean()),
        "low_1pct_fps": float(1e3 / slowest.mean()),
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
        "mean_ms": float(ms.mean()),
    }


def overhead_ratio(with_sdk_ms: float, without_sdk_ms: float) -> float:
    """The share of a frame that anisync costs: (frame time with it - frame time of the same scene with it
    switched off) / frame time with it. 0.2 means a fifth of every frame goes to anisync."""
    if with_sdk_ms <= 0:
        raise ValueError(f"with_sdk_ms: expected a positive frame time, got {with_sdk_ms}")
    return (with_sdk_ms - without_sdk_ms) / with_sdk_ms


def plot_frame_times(series: dict[str, Sequence[float]], path: str | Path, size: tuple[int, int] = (960, 420),
                     window: float = 0.5) -> None:
    """Write a PNG plot of frame time against time into the run, one line per series: each point is the
    mean frame time over ``window`` seconds (software OpenGL alternates short and long frames, so single
    frames would hide the trend), with the slowest frame of each window as a faint line above it."""
    from PIL import Image, ImageDraw

    width, height = size
    left, right, top, bottom = 56, 16, 16, 78
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    binned = []
    for frame_seconds in series.values():
        ms = np.asarray(frame_seconds, dtype=np.float64) * 1e3
        bins = (np.cumsum(ms) / 1e3 // window).astype(int)
        groups = [ms[bins == b] for b in np.unique(bins)]
        binned.append(((np.unique(bins) + 0.5) * window, [g.mean() for g in groups], [g.max() for g in groups]))
    longest = max((float(at[-1]) + window / 2 for at, _, _ in binned if len(at)), default=1.0)
    ceiling = max((max(worst) for _, _, worst in binned if len(worst)), default=1.0) * 1.1
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000, 2000, 5000) if ceiling / s <= 8)

    def xy(seconds: float, ms: float) -> tuple[float, float]:
        return (left + (width - left - right) * seconds / longest, top + (height - top - bottom) * (1 - ms / ceiling))

    for tick in np.arange(0, ceiling, step):
        y = xy(0, tick)[1]
        draw.line([(left, y), (width - right, y)], fill=(225, 225, 225))
        draw.text((8, y - 6), f"{tick:g} ms", fill=(60, 60, 60))
    for second in range(0, int(longest) + 1, max(1, int(longest) // 8)):
        x, y = xy(second, 0)
        draw.text((x - 4, y + 3), f"{second} s", fill=(60, 60, 60))
    colors = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
              (227, 119, 194), (127, 127, 127)]
    for k, (name, (at, mean, worst)) in enumerate(zip(series, binned)):
        color = colors[k % len(colors)]
        faint = tuple(int(c + (255 - c) * 0.65) for c in color)
        if len(at) > 1:
            draw.line([xy(t, v) for t, v in zip(at.tolist(), worst)], fill=faint, width=1)
            draw.line([xy(t, v) for t, v in zip(at.tolist(), mean)], fill=color, width=2)
        x, y = left + 8 + 230 * (k % 4), height - bottom + 32 + 16 * (k // 4)
        draw.rectangle([x, y + 3, x + 14, y + 9], fill=color)
        draw.text((x + 20, y), name, fill=(30, 30, 30))
    draw.text((left, height - bottom + 16), f"seconds into each measured run; mean frame time per {window:g} s "
              "(bold) and slowest frame (faint)", fill=(60, 60, 60))
    image.save(path)
