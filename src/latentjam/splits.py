"""The one train/valid/test split rule: a file or piece goes where a hash of its name says.

u = ((9 - c mod 10) + (c div 10 mod 1000) / 1000) / 10 with c = CRC-32 of the key (UTF-8), so
u is spread over [0, 1); the key is "test" when u < test, "valid" when u < test + valid, else
"train". At the default 10 % / 10 % this is exactly c mod 10 == 9 -> test, == 8 -> valid: the
rule the bundled corpora and the shipped models' recorded test splits were made with.
"""

from __future__ import annotations

import zlib

SPLITS = ("train", "valid", "test")


def split_of(key: str, valid: float = 0.1, test: float = 0.1) -> str:
    """The split of `key` (a relative path or a piece's group name): train, valid or test."""
    if not (valid >= 0.0 and test >= 0.0 and valid + test <= 1.0):
        raise ValueError(f"split fractions must be >= 0 and sum to <= 1, got {valid}, {test}")
    c = zlib.crc32(key.encode("utf-8"))
    u = ((9 - c % 10) + (c // 10 % 1000) / 1000) / 10
    if u < test:
        return "test"
    if u < test + valid:
        return "valid"
    return "train"
