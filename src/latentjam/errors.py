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
