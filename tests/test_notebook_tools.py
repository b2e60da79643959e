"""The notebook tools: the lint that refuses one run's digits, and the robust runner."""

import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_notebooks = _load("check_notebooks")
robust = _load("robust")


@pytest.mark.parametrize(
    "source",
    [
        'assert f"{acc:.3f} {base:.3f}" == "0.279 0.207"',
        'assert f"{acc:.1%}" == label',
        'assert "%.2f" % loss == expected',
        'assert "{:.2f}".format(loss) == expected',
        "assert str(round(loss, 2)) == text",
        'assert x == "0.25"',
        "assert loss == 0.25",
        "assert best_lr == 1e-1",
        "assert -0.5 != value",
        "assert a < b and c == 2.0",
    ],
)
def test_brittle_assertions_are_found(source):
    assert check_notebooks.brittle_assertions(source), source


@pytest.mark.parametrize(
    "source",
    [
        "assert acc > base + 0.02",
        "assert 0.6 < acc < 0.9",
        "assert solved >= 4 and rnn_solved == 0",
        "assert shape == (5, 3, 4)",
        'assert verdict == "pass"',
        "assert abs(loss - 0.25) < 1e-12",
        'print(f"{acc:.3f}" == "0.279")',  # not an assertion
        "%time x = 1\nassert n == 3",
    ],
)
def test_properties_pass_the_lint(source):
    assert not check_notebooks.brittle_assertions(source), source


def _notebook(tmp_path, *sources, tags=()):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    for cell in nb.cells:
        cell.metadata["tags"] = list(tags)
    path = tmp_path / "chapter.ipynb"
    nbformat.write(nb, path)
    return path


def test_robust_run_reports_a_chapter_whose_claim_fails_under_a_shift(tmp_path):
    path = _notebook(
        tmp_path,
        "import os\nshift = int(os.environ['LSTMLIB_SEED_SHIFT'])",
        "assert shift != 1, 'the claim held for one seed only'",
    )
    label, _, error = robust.run_one(str(path), 0, 1, False, str(tmp_path))
    assert error is None and "shift 0" in label
    label, _, error = robust.run_one(str(path), 1, 2, False, str(tmp_path))
    assert "the claim held for one seed only" in error and "2 threads" in label


def test_robust_run_sets_the_thread_count(tmp_path):
    path = _notebook(tmp_path, "import os\nassert os.environ['OMP_NUM_THREADS'] == '3'")
    assert robust.run_one(str(path), 0, 3, False, str(tmp_path))[2] is None
