"""The ``anisync`` command line: ``run``, ``bench``, ``train``, ``eval``, ``data``, ``behavior``.

Each feature module registers its own subcommands through a ``register(commands)`` function listed in
:data:`COMMAND_MODULES`; handlers import heavy dependencies (torch, panda3d) only when they run.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Callable, Sequence

from .arguments import DefaultsHelpFormatter
from .errors import AnisyncError

#: Modules that contribute subcommands; each defines ``register(commands: CommandGroups)``.
COMMAND_MODULES = (
    "anisync.headless",
    "anisync.behavior.bpfa_commands",
    "anisync.behavior.show",
    "anisync.behavior.bench",
    "anisync.procedural.commands",
    "anisync.expression.commands",
    "anisync.appearance.commands",
    "anisync.speech.commands",
    "anisync.dialogue.commands",
    "anisync.dialogue.encoder_build",
    "anisync.scenes.commands",
    "anisync.panda.bench",
    "anisync.panda.cast",
    "anisync.stylize.commands",
)

GROUP_HELP = {
    "bench": "measure speed and memory; every bench takes --json PATH",
    "train": "train a model and export it to ONNX",
    "eval": "evaluate a model; every eval takes --json PATH",
    "data": "make and inspect training data",
    "generate": "make game assets ahead of time",
    "behavior": "inspect behavior definitions",
}


class CommandGroups:
    """Hands out argparse parsers for top-level commands and for subcommands of the command groups."""

    def __init__(self, top: argparse._SubParsersAction):
        self._top = top
        self._groups: dict[str, argparse._SubParsersAction] = {}

    def command(self, name: str, handler: Callable[[argparse.Namespace], int], **kwargs) -> argparse.ArgumentParser:
        """Add a top-level command (``anisync NAME``)."""
        parser = self._top.add_parser(name, **kwargs)
        parser.set_defaults(handler=handler)
        return parser

    def subcommand(self, group: str, name: str, handler: Callable[[argparse.Namespace], int], **kwargs) -> argparse.ArgumentParser:
        """Add ``anisync GROUP NAME``; GROUP is one of :data:`GROUP_HELP`."""
        if group not in self._groups:
            group_parser = self._top.add_parser(group, help=GROUP_HELP[group])
            self._groups[group] = group_parser.add_subparsers(dest="subcommand", required=True, metavar="WHAT")
        parser = self._groups[group].add_parser(name, formatter_class=DefaultsHelpFormatter, **kwargs)
        parser.set_defaults(handler=handler)
        return parser


def build_parser() -> argparse.ArgumentParser:
    """The full ``anisync`` parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="anisync",
        description="anisync: anime characters whose faces and behavior follow their emotions.",
    )
    top = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands = CommandGroups(top)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``anisync`` console script; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except AnisyncError as error:
        print(f"anisync: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("anisync: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
