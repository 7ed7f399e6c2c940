"""What the demo measures: texture memory as Panda3D's TexMemWatcher counts it, frame-time statistics,
the SDK's overhead ratio, and the frame-time plot."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

#: Name prefix of the plugin's per-character face textures (see engine_plugin.plugin).
FACE_TEXTURE_PREFIX = "anisync-face-"


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


def plot_frame_times(series: dict[str, Sequence[float]], path: str | Path, size: tuple[int, int] = (960, 420)) -> None:
    """Write a PNG line plot of frame times (ms) against time into the run, one coloured line per series."""
    from PIL import Image, ImageDraw

    width, height = size
    left, right, top, bottom = 56, 16, 16, 64
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    values = [np.asarray(v, dtype=np.float64) * 1e3 for v in series.values()]
    times = [np.cumsum(v) / 1e3 for v in values]  # seconds since each run's start
    longest = max((float(t[-1]) for t in times if len(t)), default=1.0)
    ceiling = max((float(np.percentile(v, 99.5)) for v in values if len(v)), default=1.0) * 1.15
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000) if ceiling / s <= 8)

    def xy(seconds: float, ms: float) -> tuple[float, float]:
        return (left + (width - left - right) * seconds / longest,
                top + (height - top - bottom) * (1 - min(ms, ceiling) / ceiling))

    for tick in np.arange(0, ceiling, step):
        y = xy(0, tick)[1]
        draw.line([(left, y), (width - right, y)], fill=(225, 225, 225))
        draw.text((8, y - 6), f"{tick:g} ms", fill=(60, 60, 60))
    colors = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
              (227, 119, 194), (127, 127, 127)]
    for k, (name, ms, at) in enumerate(zip(series, values, times)):
        color = colors[k % len(colors)]
        if len(ms) > 1:
            draw.line([xy(t, v) for t, v in zip(at.tolist(), ms.tolist())], fill=color, width=1)
        x, y = left + 8 + 230 * (k % 4), height - bottom + 18 + 18 * (k // 4)
        draw.rectangle([x, y + 3, x + 14, y + 9], fill=color)
        draw.text((x + 20, y), name, fill=(30, 30, 30))
    draw.text((left, height - bottom + 2), f"seconds from the start of each measured run (0 to {longest:.0f} s); "
              "frame time clipped at the top", fill=(60, 60, 60))
    image.save(path)
