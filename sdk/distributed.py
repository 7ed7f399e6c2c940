"""Training on several processes under ``torchrun`` (torch; imported only to train): DistributedDataParallel
over a process group, gloo on CPUs and NCCL on GPUs.

    torchrun --standalone --nproc_per_node=2 -m anisync.cli train expression --arch unet --batch 8 ...
    torchrun --nnodes=2 --node_rank=R --nproc_per_node=1 --rdzv-backend=c10d --rdzv-endpoint=HOST:PORT \\
        -m anisync.cli train expression ...

The expression (``--arch unet``), appearance and dialogue trainers run this way unchanged; a run on N
processes follows the run of one process on the same global batch (``--batch``, which N must divide):

* every process keeps the same random generators (same seed), draws the same global batch, and its
  noise, and works on its own contiguous share of it (:meth:`Ranks.share`);
* DDP averages the gradients across processes, so with losses that are means over the batch the update
  is one process's update on the whole batch (the dialogue loss, a mean over a varying number of labelled
  lines, is scaled to the global count so that this holds too);
* the losses recorded are the means over processes (:meth:`Ranks.mean`), the global batch's;
* process 0 alone writes checkpoints, the model and its card, and draws the progress bar; every process
  resumes from the same checkpoint, so a resumed run continues exactly.

What differs, and why: BatchNorm (the appearance decoder) normalises each process's share, not the global
batch, since torch's SyncBatchNorm runs on GPUs only; dropout (the dialogue head) draws its masks per
process. Both change the run's noise, not what it learns; docs/scale.md gives the measured curves.
"""

from __future__ import annotations

import atexit
import os
from dataclasses import dataclass

import torch
from torch import nn

from .errors import AnisyncError


@dataclass(frozen=True)
class Ranks:
    """This process's place among the run's processes: ``rank`` of ``world`` (1 without torchrun)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    device: str = "cpu"

    @classmethod
    def from_environment(cls, device: str = "cpu") -> "Ranks":
        """The ranks torchrun set (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``), joining the process group on
        first use; one process of one without torchrun."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls(device=device)
        import torch.distributed as dist

        if not dist.is_initialized():
            dist.init_process_group("nccl" if device == "cuda" else "gloo")
            # Leave the group before the interpreter exits: a process that ends with gloo's threads still
            # running aborts ("terminate called without an active exception") when another rank ends first.
            atexit.register(dist.destroy_process_group)
        ranks = cls(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")), device)
        if device == "cuda":
            torch.cuda.set_device(ranks.local_rank)
        return ranks

    @property
    def distributed(self) -> bool:
        """Whether this run has more than one process."""
        return self.world > 1

    @property
    def is_main(self) -> bool:
        """Whether this process writes the run's files (rank 0)."""
        return self.rank == 0

    def share(self, batch: int) -> slice:
        """This process's rows of a global batch of ``batch``; AnisyncError naming ``--batch`` when the
        processes cannot share it equally."""
        if batch % self.world:
            raise AnisyncError(f"--batch: {batch} does not divide among {self.world} processes; give a multiple of {self.world}")
        size = batch // self.world
        return slice(self.rank * size, (self.rank + 1) * size)

    def wrap(self, module: nn.Module) -> nn.Module:
        """``module`` as DistributedDataParallel when the run has several processes, else itself; call the
        wrapper for the forward pass and keep ``module`` for its state."""
        if not self.distributed:
            return module
        devices = [self.local_rank] if self.device == "cuda" else None
        return nn.parallel.DistributedDataParallel(module, device_ids=devices)

    def mean(self, values: dict[str, float]) -> dict[str, float]:
        """``values`` averaged over the processes (every process gets the means)."""
        if not self.distributed:
            return values
        import torch.distributed as dist

        tensor = torch.tensor(list(values.values()), dtype=torch.float64,
                              device="cuda" if self.device == "cuda" else "cpu")
        dist.all_reduce(tensor)
        return dict(zip(values, (tensor / self.world).tolist()))

    def barrier(self) -> None:
        """Wait until every process gets here."""
        if self.distributed:
            import torch.distributed as dist

            dist.barrier()

    def describe(self) -> dict:
        """What a model card records of the run's processes."""
        return {"processes": self.world, "backend": ("nccl" if self.device == "cuda" else "gloo") if self.distributed else None}
