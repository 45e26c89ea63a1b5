"""Corpus tests share one throw-away cache folder (the drum corpus is converted once)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def _corpus_cache(tmp_path_factory):
    old = os.environ.get("LATENTJAM_CACHE")
    os.environ["LATENTJAM_CACHE"] = str(tmp_path_factory.mktemp("latentjam-cache"))
    yield
    if old is None:
        os.environ.pop("LATENTJAM_CACHE", None)
    else:
        os.environ["LATENTJAM_CACHE"] = old
