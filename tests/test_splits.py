"""The one split rule: deterministic, fractions honoured, the bundled corpora's splits unchanged."""

from __future__ import annotations

import zlib
from collections import Counter

import pytest

from latentjam.splits import split_of


def test_the_default_is_the_mod_ten_rule_the_shipped_test_splits_were_made_with():
    keys = [f"group-{i}" for i in range(3000)]
    for key in keys:
        bucket = zlib.crc32(key.encode("utf-8")) % 10
        assert split_of(key) == {8: "valid", 9: "test"}.get(bucket, "train")


def test_other_fractions_are_honoured_and_splits_are_deterministic():
    keys = [f"songs/{i:05d}.mid" for i in range(20000)]
    counts = Counter(split_of(k, valid=0.05, test=0.2) for k in keys)
    assert abs(counts["test"] / len(keys) - 0.2) < 0.01
    assert abs(counts["valid"] / len(keys) - 0.05) < 0.01
    assert [split_of(k, 0.05, 0.2) for k in keys[:50]] == [
        split_of(k, 0.05, 0.2) for k in keys[:50]
    ]
    assert {split_of(k, 0.0, 0.0) for k in keys[:500]} == {"train"}
    # a key's test membership only grows with the test fraction
    assert all(
        split_of(k, 0.0, 0.3) == "test" for k in keys[:2000] if split_of(k, 0.0, 0.1) == "test"
    )


def test_bad_fractions_are_refused():
    with pytest.raises(ValueError, match="fractions"):
        split_of("x", valid=0.7, test=0.5)
