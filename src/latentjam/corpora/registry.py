"""The named corpora: what each one is, where it comes from, which converter suits it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CorpusSpec:
    """One corpus: bundled MIDI files, or a folder of music21's installed corpus (never copied)."""

    name: str
    description: str
    kind: str  # default converter kind: "drums", "melody" or "pianoroll"
    music21_dir: str = ""  # folder under music21/corpus; empty for the bundled drum corpus
    patterns: tuple[str, ...] = ()  # file globs inside music21_dir
    expand_repeats: bool = True  # play repeats out as written (as a performer would)

    @property
    def bundled(self) -> bool:
        """True for data shipped inside latentjam (the drum corpus)."""
        return not self.music21_dir


CORPORA: dict[str, CorpusSpec] = {
    spec.name: spec
    for spec in (
        CorpusSpec(
            "drums",
            "bundled drum corpus: MMA grooves, Hydrogen and TK-707 demos, game MIDI drum tracks",
            "drums",
        ),
        CorpusSpec(
            "ryans-mammoth",
            "Ryan's Mammoth Collection (1883), ~1,060 fiddle tunes in ABC (music21 corpus)",
            "melody",
            "ryansMammoth",
            ("*.abc",),
        ),
        CorpusSpec(
            "oneills1850",
            "O'Neill's Music of Ireland (1903, '1850 melodies'), ~2,000 Irish tunes in ABC "
            "(music21 corpus)",
            "melody",
            "oneills1850",
            ("*.abc",),
        ),
        CorpusSpec(
            "essen",
            "Essen folksong collection, ~8,500 songs in ABC (music21 corpus; non-commercial "
            "licence, read from the installed music21 and never copied)",
            "melody",
            "essenFolksong",
            ("*.abc",),
        ),
        CorpusSpec(
            "bach-chorales",
            "J. S. Bach's four-part chorales, all voices (music21 corpus, bwv*.mxl)",
            "pianoroll",
            "bach",
            ("bwv*.mxl", "bwv*.xml"),
        ),
    )
}
DEFAULT_DRUMS = "drums"
DEFAULT_MELODY = "ryans-mammoth"
