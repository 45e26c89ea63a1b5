"""The one exception type users see: a clear message instead of a traceback."""


class LatentjamError(Exception):
    """A problem with the user's input or setup, explained in the message."""


class InvalidMidiError(LatentjamError):
    """A file that is not a readable standard MIDI file (or has nothing usable in it)."""


def missing_extra(package: str, extra: str) -> LatentjamError:
    """Build the error raised when an optional dependency is not installed."""
    return LatentjamError(
        f"this needs the optional package '{package}': "
        f"pip install 'latentjam[{extra}]' (with torch==2.13.0 in the same command for torch)"
    )


# top-level module -> the extra that installs it
EXTRA_OF_MODULE = {
    "torch": "torch",
    "lightning": "torch",
    "tensorboard": "torch",
    "music21": "corpora",
    "soundfile": "audio",
    "midirenderer": "audio",
    "scipy": "audio",
    "pretty_midi": "audio",
    "websockets": "jam",
    "pythonosc": "jam",
    "mido": "jam",
    "rtmidi": "jam",
    "orjson": "jam",
    "onnx": "onnx",
    "onnxruntime": "onnx",
}


def extra_for(exc: ModuleNotFoundError) -> LatentjamError | None:
    """The one-line error for a missing optional package, or None for any other module."""
    top = (exc.name or "").split(".")[0]
    extra = EXTRA_OF_MODULE.get(top)
    return missing_extra(top, extra) if extra else None
