"""Datasets built from folders of MIDI files: parallel conversion, sharded .npz, split by file."""

from latentjam.datasets.build import BuildReport, build_dataset, find_midi_files, split_of
from latentjam.datasets.convert_file import KINDS, convert_file, make_converter
from latentjam.datasets.store import dataset_info, load_dataset, read_manifest

__all__ = [
    "KINDS",
    "BuildReport",
    "build_dataset",
    "convert_file",
    "dataset_info",
    "find_midi_files",
    "load_dataset",
    "make_converter",
    "read_manifest",
    "split_of",
]
