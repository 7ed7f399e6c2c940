"""Helpers the tests import (fixtures are in conftest.py): a minimal character definition, a scripted
headless world, the command line in a subprocess, small ONNX graphs, calls run in parallel threads."""

from __future__ import annotations

from pathlib import Path

MINIMAL_CHARACTER = {"id": "tester", "appraisal": {"greet": {"joy": 0.5, "neutral": -0.3}}}


def scripted_world(seed: int, seconds: int, characters: int, events_per_second: float, **runtime_options):
    """A runtime with ``characters`` shipped samples run ``seconds`` in the headless world script at 30 Hz."""
    from anisync import Runtime
    from anisync.headless import WorldScript, spawn_samples

    runtime = Runtime(seed=seed, **runtime_options)
    spawn_samples(runtime, characters)
    script = WorldScript(runtime, seed=seed, events_per_second=events_per_second)
    for second in range(seconds):
        script.schedule_second(float(second))
        for _ in range(30):
            runtime.update(1 / 30)
    return runtime


def run_cli(*args: str, cwd: Path, timeout: float = 180, module: str = "anisync.cli", **options):
    """Run ``python -m MODULE ARGS`` (the ``anisync`` command line by default) from ``cwd``, a folder outside
    the checkout, so that the installed package (with its ``anisync.assets``) is imported rather than the
    checkout's ``sdk/``."""
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", module, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, **options)


def save_graph(nodes, inputs, outputs, path, constants=()):
    """Save a small ONNX graph (opset 17, IR version 8, which the installed onnxruntime reads) to ``path``."""
    from onnx import helper, save_model

    graph = helper.make_graph(nodes, path.stem, inputs, outputs, list(constants))
    save_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), path)
    return path


def in_parallel(calls):
    """Run each zero-argument callable in its own thread, all at once; their results, in order."""
    import threading

    results = [None] * len(calls)

    def run(k):
        results[k] = calls[k]()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
