"""How the attribute vector compares with the encoded data's range, axis by axis."""

import sys

import numpy as np
import torch

from latentjam.analysis import attributes as attr
from latentjam.corpora import load_corpus
from latentjam.datasets import make_converter
from latentjam.evaluation import encode_means
from latentjam.pretrained import load_model

torch.set_num_threads(1)

for item in sys.argv[1:]:
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
    rng_ = mu.max(0) - mu.min(0)
    for a, vals in attr.compute_attributes(x, kind).items():
        v = attr.attribute_vector(mu, vals)
        q = np.abs(v) / rng_
        print(
            f"{name:16s} {a:8s} |v_d|/range_d: max={q.max():.2f} sum={q.sum():.2f} "
            f"axes>0.15={int((q > 0.15).sum())} axes>0.25={int((q > 0.25).sum())} of {len(q)}"
        )
