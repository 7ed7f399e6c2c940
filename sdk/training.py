"""What every anisync training run shares (torch; imported only to train): the step counter, seed, loss
history and random generators, the learning-rate schedule, and checkpoints that resume a run exactly.

A trainer subclasses :class:`TrainingRun`, builds its networks and optimisers after ``super().__init__``
(so that they are initialised from the seed) and names them in :meth:`TrainingRun.parts`; a checkpoint
holds each part's state, the step, the seed, the loss history and every random generator's state (the
batches' numpy generator, the trainer's torch generator and torch's global one), written atomically.
"""

from __future__ import annotations

import json
import sys
import time
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np
import torch

from .distributed import Ranks
from .errors import AnisyncError
from .files import write_atomically
from .progress import progress


class TrainingRun(ABC):
    """Step, seed, loss history (``history[key]``, one value per step), random generators (``rng`` for
    batches, ``torch_rng`` for noise) and the learning rate of one run of ``steps`` steps; ``ranks``, this
    process's place under torchrun (:mod:`anisync.distributed`); ``wall_seconds``, the time spent in
    training steps over every resumed part of the run (the model card's figure)."""

    def __init__(self, seed: int, lr: float, steps: int, loss_keys: tuple[str, ...], device: str = "cpu"):
        self.ranks = Ranks.from_environment(device)
        torch.manual_seed(seed)
        self.seed, self.lr, self.steps, self.device = seed, lr, steps, device
        self.rng = np.random.default_rng(seed)
        self.torch_rng = torch.Generator(device=device).manual_seed(seed)
        self.step = 0
        self.history: dict[str, list[float]] = {key: [] for key in loss_keys}
        self.wall_seconds = 0.0

    @abstractmethod
    def parts(self) -> dict:
        """The networks and optimisers a checkpoint holds, by name (each has ``state_dict``)."""

    def learning_rate(self) -> float:
        """This step's learning rate: ``lr`` for the first half of ``steps``, then linearly down to 0
        (GANimation's schedule); constant when ``steps`` is 0."""
        if not self.steps:
            return self.lr
        return self.lr * min(1.0, 2.0 * (1.0 - self.step / self.steps))

    def set_learning_rate(self, *optimizers: torch.optim.Optimizer) -> None:
        """Give ``optimizers`` this step's :meth:`learning_rate`."""
        for optimizer in optimizers:
            for group in optimizer.param_groups:
                group["lr"] = self.learning_rate()

    def state(self) -> dict:
        """Everything a checkpoint holds."""
        return {**{name: part.state_dict() for name, part in self.parts().items()},
                "step": self.step, "seed": self.seed, "history": self.history, "settings": json.dumps(self.settings()),
                "rng": json.dumps(self.rng.bit_generator.state), "torch_rng": self.torch_rng.get_state(),
                "torch_global_rng": torch.get_rng_state(), "wall_seconds": self.wall_seconds}

    def save(self, path: Path) -> None:
        """Write the checkpoint to ``path`` (through a ``.partial`` file: never a half-written one); under
        torchrun, process 0 alone writes it (every process holds the same state)."""
        if not self.ranks.is_main:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, lambda handle: torch.save(self.state(), handle))

    def load(self, path: Path) -> dict:
        """Continue from the checkpoint at ``path`` exactly where it was saved; returns its whole state
        (for what a subclass keeps besides)."""
        state = torch.load(path, map_location=self.device, weights_only=True)
        self.check_state(path, state)
        for name, part in self.parts().items():
            part.load_state_dict(state[name])
        self.step, self.history = int(state["step"]), {k: list(v) for k, v in state["history"].items()}
        self.seed = int(state["seed"])  # the run's own seed, whatever --seed says now
        self.wall_seconds = float(state.get("wall_seconds", 0.0))
        self.rng.bit_generator.state = json.loads(state["rng"])
        # Random-generator states are CPU byte tensors wherever the run trains (map_location moved them).
        self.torch_rng.set_state(state["torch_rng"].cpu())
        torch.set_rng_state(state["torch_global_rng"].cpu())
        return state

    def settings(self) -> dict:
        """What a resumed run must share with the checkpoint (network sizes, loss switches, batch, learning
        rate: JSON values by name); ``steps`` may grow, so it is not one of them."""
        return {}

    def check_state(self, path: Path, state: dict) -> None:
        """Refuse a checkpoint this run cannot continue: one of another format, or whose :meth:`settings`
        differ; raises AnisyncError naming ``path`` and the settings."""
        if "seed" not in state or "settings" not in state:
            raise AnisyncError(f"{path}: a checkpoint of an older format, which cannot be resumed; start a new run")
        saved, now = json.loads(state["settings"]), self.settings()
        differing = sorted(k for k in set(saved) | set(now) if saved.get(k) != now.get(k))
        if differing:
            raise AnisyncError(f"{path}: the checkpoint was made with other settings ("
                               + ", ".join(f"{k} {saved.get(k)!r}, now {now.get(k)!r}" for k in differing)
                               + "); resume with the same ones")

    def record(self, values: dict[str, float]) -> dict[str, float]:
        """Append this step's loss values, averaged over the run's processes, to the history; returns them."""
        values = self.ranks.mean(values)
        for key, value in values.items():
            self.history[key].append(value)
        return values

    def train_to(self, steps: int, checkpoint: Path, every: int, resume: bool, desc: str) -> None:
        """Run ``train_step`` up to step ``steps`` under a progress bar, saving ``checkpoint`` every ``every``
        steps and at the end; with ``resume``, first continue from ``checkpoint`` (AnisyncError naming
        ``--resume`` when there is none)."""
        if resume:
            if not checkpoint.exists():
                raise AnisyncError(f"--resume: no checkpoint at {checkpoint}")
            self.load(checkpoint)
            if self.ranks.is_main:
                print(f"resumed from {checkpoint} at step {self.step}", file=sys.stderr)
        remaining = range(self.step, steps)
        for _ in progress(remaining, desc=desc) if self.ranks.is_main else remaining:
            started = time.perf_counter()
            self.train_step()
            self.wall_seconds += time.perf_counter() - started
            if self.step % every == 0:
                self.save(checkpoint)
        self.save(checkpoint)
        self.ranks.barrier()  # no process returns before the last checkpoint is whole

    @abstractmethod
    def train_step(self) -> dict[str, float]:
        """One update of the networks; returns this step's losses."""

    def final_losses(self) -> dict[str, float]:
        """Each loss averaged over the last 5 % of the run (the model card's figure)."""
        return {key: float(np.mean(values[-max(1, len(values) // 20):])) for key, values in self.history.items() if values}
