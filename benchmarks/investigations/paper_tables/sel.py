"""Selection bias of the table-2 discard rule: corr(s, start attribute) among kept points."""

import sys

import numpy as np
import torch

from latentjam.analysis import attributes as attr
from latentjam.corpora import load_corpus
from latentjam.datasets import make_converter
from latentjam.evaluation import decoder, encode_means
from latentjam.pretrained import load_model

torch.set_num_threads(1)

N = int(sys.argv[1])
for item in sys.argv[2:]:
    name, path = item.split("=")
    m = load_model(path)
    m.eval()
    kind = m.config.data
    x = load_corpus(
        "drums" if kind == "drums" else "ryans-mammoth",
        make_converter(kind, bars=m.config.bars),
        "test",
        progress=False,
    )
    mu = encode_means(m, x)
    dec = decoder(m)
    A = attr.compute_attributes(x, kind)
    base_attr = attr.compute_attributes(dec(mu), kind)
    lo, hi = mu.min(0), mu.max(0)
    import os

    rng = np.random.default_rng(int(os.environ.get("SEED", 0)))

    def slope(s_, y, b):
        ok = np.isfinite(y)
        return np.polyfit(s_[ok], y[ok], 1)[0] / np.nanstd(b)

    for a, vals in A.items():
        v = attr.attribute_vector(mu, vals)
        n = 4 * N
        idx = rng.integers(0, len(mu), n)
        s = rng.uniform(-1, 1, n).astype(np.float32)
        z = mu[idx] + s[:, None] * v[None]
        keep = ((z >= lo) & (z <= hi)).all(1)
        k = np.flatnonzero(keep)[:N]
        allk = np.arange(N)
        val_k = attr.compute_attributes(dec(z[k]), kind)[a]
        val_a = attr.compute_attributes(dec(z[allk]), kind)[a]
        b = base_attr[a]
        print(
            f"{name:16s} {a:8s} discard={1 - keep.mean():.2f} "
            f"r(s,start)kept={attr.pearson(s[k], b[idx[k]]):+.2f} "
            f"r_kept={attr.pearson(s[k], val_k):+.3f} r_all={attr.pearson(s[allk], val_a):+.3f} "
            f"r_within_kept={attr.pearson(s[k], val_k - b[idx[k]]):+.3f} "
            f"slope_kept={slope(s[k], val_k, b):+.2f} "
            f"slope_all={slope(s[allk], val_a, b):+.2f} (per std of decoded attr)",
            flush=True,
        )
