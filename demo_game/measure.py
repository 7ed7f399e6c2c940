"""What the demo measures: texture memory as Panda3D's TexMemWatcher counts it, frame-time statistics,
the SDK's overhead ratio, and the frame-time plot."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
from anisync.panda import FACE_TEXTURE_PREFIX
from anisync.plot import line_plot


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


def plot_frame_times(series: dict[str, Sequence[float]], path: str | Path, window: float = 0.5) -> None:
    """Write a PNG plot of frame time against time into the run, one line per series: each point is the
    mean frame time over ``window`` seconds (software OpenGL alternates short and long frames, so single
    frames would hide the trend), with the slowest frame of each window as a faint line beside it."""
    lines, slowest = {}, {}
    for name, frame_seconds in series.items():
        ms = np.asarray(frame_seconds, dtype=np.float64) * 1e3
        bins = (np.cumsum(ms) / 1e3 // window).astype(int)
        kept = np.unique(bins)
        lines[name] = ((kept + 0.5) * window, [ms[bins == b].mean() for b in kept])
        slowest[name] = [ms[bins == b].max() for b in kept]
    line_plot(lines, path, f"seconds into each measured run; mean frame time per {window:g} s (bold) and "
              "slowest frame (faint)", y_unit="ms", faint=slowest)
