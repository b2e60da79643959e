"""Every chapter opens with the same Colab setup cell, and it installs what the chapters need."""

import importlib.util
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))


def first_code_cell(path):
    nb = nbformat.read(path, as_version=4)
    return next(c for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_opens_with_the_colab_setup_cell(path):
    cell = first_code_cell(path)
    assert cell.source == first_code_cell(CHAPTERS[0]).source, f"{path.name}: setup cell differs from chapter 0's"
    assert 'if "google.colab" in sys.modules:' in cell.source  # does nothing outside Colab
    assert "lstmlib[course]" in cell.source and "requirements-nodeps.txt" in cell.source
    assert not cell.outputs
    assert "remove-cell" in cell.metadata.get("tags", []), f"{path.name}: the setup cell would show in the HTML"


def test_course_extra_lists_the_data_and_plot_packages():
    """What Colab installs ("lstmlib[course]") covers requirements.txt's packages for the chapters."""
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["course"]
    names = {req.split(">")[0].split("=")[0].strip().lower() for req in extra}
    assert {"matplotlib", "scikit-learn", "statsmodels", "num2words", "music21", "sphinx", "myst-nb"} <= names
    requirements = (ROOT / "requirements.txt").read_text().lower()
    for name in names - {"sphinx", "pandas"}:  # sphinx comes with jupyter-book, pandas with statsmodels
        assert f"\n{name}>=" in requirements, f"{name} is in the course extra but not in requirements.txt"


def test_book_extensions_live_beside_the_book_not_in_the_package():
    """The Sphinx extension is loaded from _config.yml's local_extensions, not shipped in lstmlib."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]
    local = config["local_extensions"]
    assert local, "no local extensions configured"
    for module, folder in local.items():
        path = ROOT / folder / f"{module}.py"
        assert path.is_file(), f"{module}: expected {path}, relative to _config.yml; it is not there"
        spec = importlib.util.spec_from_file_location(module, path)
        extension = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(extension)
        assert callable(extension.setup)
    assert not any(e.startswith("lstmlib") for e in config.get("extra_extensions", []))
    assert not (ROOT / "lstmlib" / "_sphinx.py").exists()
