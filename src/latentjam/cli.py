"""The `latentjam` command: one sub-command module per job; heavy imports happen in the handler."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from latentjam import __version__
from latentjam.errors import LatentjamError, extra_for

# name -> module under latentjam.commands exposing `register(subparsers)`; each handler imports
# its heavy dependencies itself, so `latentjam --help` stays fast.
COMMAND_MODULES = (
    "data",  # data build / data info
    "corpus",  # corpus list / build / info (bundled drums, music21 melodies)
    "train",  # train, evaluate
    "explore",  # models, sample, reconstruct, interpolate, attribute, map, humanize, drumify
    "improvise",  # improvise, analyze
    "jam",  # jam
    "audio",  # audio train / reconstruct / sample / interpolate
    "export",  # export a model for other hosts (TorchScript)
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every available sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="latentjam", description="Make music with variational autoencoders."
    )
    parser.add_argument("--version", action="version", version=f"latentjam {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"latentjam.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"latentjam.commands.{name}":
                continue  # not built yet
            raise
        module.register(sub)
    _show_defaults(sub)
    return parser


class _DefaultsFormatter(argparse.HelpFormatter):
    """Appends "(default: X)" to an option's help when it has a real default not yet named."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            action.option_strings
            and not (default is None or default is False or default == argparse.SUPPRESS)
            and "default" not in text.lower()
        ):
            text += " (default: %(default)s)"
        return text


class _RawDefaultsFormatter(_DefaultsFormatter, argparse.RawDescriptionHelpFormatter):
    """The same, keeping a description's own line breaks (a table of models)."""


def _show_defaults(sub: argparse._SubParsersAction) -> None:
    """Every sub-command's help shows the default of each option that has one."""
    for parser in sub.choices.values():
        raw = issubclass(parser.formatter_class, argparse.RawDescriptionHelpFormatter)
        parser.formatter_class = _RawDefaultsFormatter if raw else _DefaultsFormatter
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                _show_defaults(action)


class _StderrHandler(logging.Handler):
    """Log records as bare lines on whatever `sys.stderr` is when they are emitted, unless a
    logger below `latentjam` has shown them already (the jam command's own handler)."""

    def emit(self, record: logging.LogRecord) -> None:
        name = record.name
        while name.startswith("latentjam."):
            if logging.getLogger(name).handlers:
                return
            name = name.rpartition(".")[0]
        print(self.format(record), file=sys.stderr, flush=True)


def _show_library_progress() -> None:
    """The library logs progress ("resuming ...", skipped files) on the `latentjam` logger; the
    command line shows its INFO records on stderr (a Python user configures logging instead)."""
    root = logging.getLogger("latentjam")
    if not any(isinstance(h, _StderrHandler) for h in root.handlers):
        root.addHandler(_StderrHandler())
    if root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse, dispatch, and turn `LatentjamError` into a one-line message."""
    _show_library_progress()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        result = args.func(args)
    except LatentjamError as exc:
        print(f"latentjam: error: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:  # an optional extra that is not installed
        error = extra_for(exc)
        if error is None:
            raise
        print(f"latentjam: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `latentjam data info DIR | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit flush
        return 0
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
