"""One source for the version: the package's __version__ is what pip installed."""

from __future__ import annotations

from importlib.metadata import version

import latentjam


def test_installed_version_is_the_package_version():
    assert version("latentjam") == latentjam.__version__
