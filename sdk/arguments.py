"""Argument types and checks shared by the ``anisync`` subcommands: each argparse type raises
``argparse.ArgumentTypeError`` with what it expected, so the parser names the option. Also the writer of
every command's ``--json PATH`` report."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .errors import InvalidArgumentError


def positive(text: str) -> int:
    """An integer of 1 or more."""
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def at_least_two(text: str) -> int:
    """An integer of 2 or more (a count that pairs are drawn from)."""
    value = int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"expected an integer of 2 or more, got {text}")
    return value


def non_negative(text: str) -> int:
    """An integer of 0 or more."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer of 0 or more, got {text}")
    return value


def positive_float(text: str) -> float:
    """A number above 0."""
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def non_negative_float(text: str) -> float:
    """A number of 0 or more."""
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a number of 0 or more, got {text}")
    return value


def seed(text: str) -> int:
    """A seed: an integer from 0 to 2**63 - 1."""
    value = int(text)
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"expected an integer from 0 to 2**63 - 1, got {text}")
    return value


def need_torch(device: str | None = None):
    """The torch module, for the commands that train; InvalidArgumentError saying how to install it if
    absent, or naming ``--device`` if ``device`` is ``"cuda"`` and torch sees no CUDA device."""
    try:
        import torch
    except ImportError:
        raise InvalidArgumentError('training needs torch, which is not installed: pip install ".[train]"') from None
    if device == "cuda" and not torch.cuda.is_available():
        raise InvalidArgumentError("--device: cuda was asked for but torch sees no CUDA device")
    return torch


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """Help that states each option's default once, from the parser itself: ``(default: X)`` is appended
    to an option's help unless its default is None or False (nothing to state) or the help already says
    what the default is (a default that needs words, such as "OUT with .ckpt")."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (default is None or default is False or default is argparse.SUPPRESS or "(default" in text
                or not action.option_strings):
            return text
        shown = ",".join(map(str, default)) if isinstance(default, (list, tuple)) else "%(default)s"
        return f"{text} (default: {shown})"


def add_run_options(parser: argparse.ArgumentParser, checkpoint_every: int) -> None:
    """Add what every ``anisync train`` run takes: ``--seed``, ``--checkpoint-every`` and ``--resume``."""
    parser.add_argument("--seed", type=seed, default=0, help="seed of the initial weights and the batches")
    parser.add_argument("--checkpoint-every", type=positive, default=checkpoint_every, help="steps between checkpoints")
    parser.add_argument("--resume", action="store_true", help="continue from the checkpoint (OUT with .ckpt)")


def write_json_report(path: str | Path, report: object) -> None:
    """Write a command's ``--json PATH`` report (indented JSON), making its folder if needed."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
