"""Lossless compact storage of windows in shards: small integers instead of float32.

- drums (n, T, 27): `vel` uint8 (n, T, 9) = velocity 0..127 (0 = no hit) and `off` int8
  (n, T, 9) = offset in ticks -60..59, exactly as the drum grid computes them;
- one-hot melodies (n, T, 90): `codes` uint8 (n, T), the event index per step;
- 0/1 piano rolls (n, T, D): `bits` uint8 (n, T, ceil(D / 8)), bit-packed along D;
- anything else: `x` float32 as is.

`encode` checks that `decode` gives back the identical array and otherwise stores float32.
"""

from __future__ import annotations

import numpy as np

from latentjam.convert.drums import FEATURE_DIM as DRUM_DIM
from latentjam.convert.drums import N_CLASSES
from latentjam.convert.melody import FEATURE_DIM as MELODY_DIM
from latentjam.convert.windows import HALF_STEP_TICKS


def encode(kind: str, x: np.ndarray) -> dict[str, np.ndarray]:
    """Windows (n, T, D) float32 -> arrays to save (with an "encoding" name)."""
    arrays = _encode(kind, x)
    if arrays is not None and np.array_equal(decode(arrays, x.shape[2]), x):
        return arrays
    return {"encoding": np.array("float32"), "x": x.astype(np.float32)}


def _encode(kind: str, x: np.ndarray) -> dict[str, np.ndarray] | None:
    if kind == "drums" and x.shape[2] == DRUM_DIM:
        vel = np.rint(x[:, :, N_CLASSES : 2 * N_CLASSES] * 127.0)
        off = np.rint(x[:, :, 2 * N_CLASSES :] * HALF_STEP_TICKS)
        if vel.min(initial=0) < 0 or vel.max(initial=0) > 127 or np.abs(off).max(initial=0) > 127:
            return None
        return {
            "encoding": np.array("drums"),
            "vel": vel.astype(np.uint8),
            "off": off.astype(np.int8),
        }
    if kind == "melody" and x.shape[2] == MELODY_DIM:
        return {"encoding": np.array("codes"), "codes": x.argmax(axis=2).astype(np.uint8)}
    if kind == "pianoroll":
        return {"encoding": np.array("bits"), "bits": np.packbits(x > 0.5, axis=2)}
    return None


def decode(arrays, feature_dim: int) -> np.ndarray:
    """Saved arrays (a dict or an open .npz) -> windows (n, T, feature_dim) float32."""
    encoding = str(arrays["encoding"]) if "encoding" in arrays else "float32"
    if encoding == "float32":
        return np.asarray(arrays["x"], dtype=np.float32)
    if encoding == "drums":
        vel = np.asarray(arrays["vel"])
        off = np.asarray(arrays["off"]).astype(np.int64)
        x = np.zeros((*vel.shape[:2], DRUM_DIM), dtype=np.float32)
        x[:, :, :N_CLASSES] = vel > 0
        # the same arithmetic as DrumGrid, so the floats are bit-identical
        x[:, :, N_CLASSES : 2 * N_CLASSES] = vel.astype(np.float32) / np.float32(127.0)
        x[:, :, 2 * N_CLASSES :] = off / np.float32(HALF_STEP_TICKS)
        return x
    if encoding == "codes":
        return np.eye(MELODY_DIM, dtype=np.float32)[np.asarray(arrays["codes"])]
    if encoding == "bits":
        bits = np.unpackbits(np.asarray(arrays["bits"]), axis=2, count=feature_dim)
        return bits.astype(np.float32)
    raise ValueError(f"unknown shard encoding {encoding!r}")
