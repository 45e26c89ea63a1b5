"""Real corpora as tensors: the bundled drum corpus and music21's melodies and chorales.

`load_corpus(name, converter, split="train")` -> float32 windows (n, T, D), cached under
~/.cache/latentjam (or $LATENTJAM_CACHE); `corpus_sequences(name)` yields the `Sequence`s.
"""

from latentjam.corpora.load import (
    SPLITS,
    corpus_report,
    corpus_sequences,
    corpus_version,
    drums_index,
    load_corpus,
    split_of,
)
from latentjam.corpora.registry import CORPORA, DEFAULT_DRUMS, DEFAULT_MELODY, CorpusSpec

__all__ = [
    "CORPORA",
    "DEFAULT_DRUMS",
    "DEFAULT_MELODY",
    "SPLITS",
    "CorpusSpec",
    "corpus_report",
    "corpus_sequences",
    "corpus_version",
    "drums_index",
    "load_corpus",
    "split_of",
]
