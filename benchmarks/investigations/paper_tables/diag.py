"""Diagnostics: why FM loses attribute correlations."""

import json
import os
import sys

import numpy as np
import torch

from latentjam.analysis import attributes as attr
from latentjam.corpora import load_corpus
from latentjam.datasets import make_converter
from latentjam.evaluation import decoder
from latentjam.pretrained import load_model

torch.set_num_threads(1)

pairs = [a.split("=") for a in sys.argv[1:]]  # name=path
out = {}
for name, path in pairs:
    m = load_model(path)
    m.eval()
    cfg = m.config
    kind = cfg.data
    corpus = "drums" if kind == "drums" else "ryans-mammoth"
    x = load_corpus(corpus, make_converter(kind, bars=cfg.bars), "test", progress=False)
    with torch.no_grad():
        xs = torch.from_numpy(np.asarray(x, np.float32))
        mus, sig = [], []
        for i in range(0, len(xs), 512):
            a, b = m.encode(xs[i : i + 512])
            mus.append(a.numpy())
            sig.append(b.numpy())
    mu, sg = np.concatenate(mus), np.concatenate(sig)
    sd = mu.std(0)
    ms2 = (sg**2).mean(0)
    snr = sd**2 / ms2
    kl_n = 0.5 * (mu**2 + sg**2 - 1 - np.log(sg**2)).mean(0)  # KL to N(0,1) per dim
    dec = decoder(m)
    rec = dec(mu)
    A = attr.compute_attributes(x, kind)
    R = attr.compute_attributes(rec, kind)
    res = {
        "n": len(x),
        "mu_std_median": float(np.median(sd)),
        "mu_std_min": float(sd.min()),
        "mu_std_max": float(sd.max()),
        "sigma_mean": float(np.sqrt(ms2).mean()),
        "snr_sorted": np.round(np.sort(snr)[::-1], 2).tolist(),
        "active_snr>1": int((snr > 1).sum()),
        "active_snr>0.1": int((snr > 0.1).sum()),
        "active_varmu>0.01": int((sd**2 > 0.01).sum()),
        "kl_to_N01_per_dim_sum": float(kl_n.sum()),
        "range_width_over_std_median": float(np.median((mu.max(0) - mu.min(0)) / sd)),
        "attrs": {},
    }
    rng = np.random.default_rng(0)
    starts = rng.choice(len(x), 400, replace=False)
    for a, vals in A.items():
        v = attr.attribute_vector(mu, vals)
        ok = np.isfinite(vals)
        Xd = np.c_[mu[ok], np.ones(ok.sum())]
        coef, *_ = np.linalg.lstsq(Xd, vals[ok], rcond=None)
        r2 = 1 - ((Xd @ coef - vals[ok]) ** 2).mean() / vals[ok].var()
        okr = np.isfinite(R[a]) & ok
        # effect along the vector: decode starts at s=-1,0,+1 (no discard)
        eff = {}
        for s in (-1.0, 0.0, 1.0):
            eff[s] = attr.compute_attributes(dec(mu[starts] + s * v[None]), kind)[a]
        d = eff[1.0] - eff[-1.0]
        # same with discard rule
        lo, hi = mu.min(0), mu.max(0)
        up, down = mu[starts] + v[None], mu[starts] - v[None]
        zin = ((up >= lo) & (up <= hi)).all(1) & ((down >= lo) & (down <= hi)).all(1)
        # pooled r without discard
        ss = rng.uniform(-1, 1, 2000).astype(np.float32)
        ii = rng.integers(0, len(mu), 2000)
        vals2 = attr.compute_attributes(dec(mu[ii] + ss[:, None] * v[None]), kind)[a]
        res["attrs"][a] = {
            "vec_norm": float(np.linalg.norm(v)),
            "vec_norm_over_rms_std": float(np.linalg.norm(v) / np.sqrt((sd**2).sum())),
            "vec_whitened_norm": float(np.linalg.norm(v / sd)),
            "vec_frac_on_active(snr>1)": float(
                np.linalg.norm(v[snr > 1]) ** 2 / np.linalg.norm(v) ** 2
            ),
            "linear_R2_from_mu": float(r2),
            "recon_attr_corr": float(np.corrcoef(vals[okr], R[a][okr])[0, 1]),
            "data_attr_std": float(np.nanstd(vals)),
            "recon_attr_std": float(np.nanstd(R[a])),
            "top_minus_bottom_data": float(
                np.nanquantile(vals[ok], 0.875) - np.nanquantile(vals[ok], 0.125)
            ),
            "effect_mean(+1 minus -1)": float(np.nanmean(d)),
            "effect_std": float(np.nanstd(d)),
            "effect_over_recon_attr_std": float(np.nanmean(d) / np.nanstd(R[a])),
            "frac_both_ends_inside_range": float(zin.mean()),
            "r_no_discard": attr.pearson(ss, vals2),
        }
    out[name] = res
    print(
        name, json.dumps({k: v for k, v in res.items() if k != "snr_sorted"}, indent=1), flush=True
    )
    print(" snr", res["snr_sorted"], flush=True)
names = "_".join(n for n, _ in pairs)
with open(os.path.join(os.path.dirname(__file__), f"diag_{names}.json"), "w") as fh:
    json.dump(out, fh, indent=1)
