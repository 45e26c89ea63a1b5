"""Invertible converters between music (`Sequence`) and fixed-size numpy tensors (no torch)."""

from latentjam.convert.drums import DRUM_CLASSES, DrumGrid
from latentjam.convert.melody import MelodyOneHot, transpose, transpose_windows
from latentjam.convert.pianoroll import PianoRollBars

__all__ = [
    "DRUM_CLASSES",
    "DrumGrid",
    "MelodyOneHot",
    "PianoRollBars",
    "transpose",
    "transpose_windows",
]
