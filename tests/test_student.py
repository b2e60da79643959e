"""The student edition: solutions stubbed, every other cell still runs, checks say "not yet solved"."""

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))

spec = importlib.util.spec_from_file_location("make_student", ROOT / "scripts" / "make_student.py")
make_student = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_student)


def test_stub_replaces_the_marked_answer_only():
    source = "def f(x):\n    y = 1\n    # BEGIN SOLUTION\n    return x + y\n    # END SOLUTION\n\ncheck('f', f)"
    assert make_student.stub_solution(source, "cell") == (
        "def f(x):\n    y = 1\n    raise NotImplementedError(\"exercise\")\n\ncheck('f', f)"
    )


@pytest.mark.parametrize(
    "source, message",
    [
        ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION", "must be inside a function"),
        ("def f():\n    # BEGIN SOLUTION\n    return 1", "never closed"),
        ("def f():\n    return 1\n    # END SOLUTION", "without"),
    ],
)
def test_malformed_markers_are_reported(source, message):
    with pytest.raises(ValueError, match=message):
        make_student.stub_solution(source, "cell")


def test_solution_dropdowns_are_removed_from_markdown():
    text = (
        "```{exercise} E\n:label: e\n\nDo it.\n```\n\n```{solution} e\n:class: dropdown\n\nThe answer.\n```\n\nAfter."
    )
    stripped = make_student.SOLUTION_BLOCK.sub("", text)
    assert "The answer" not in stripped and "Do it." in stripped and "After." in stripped


def test_every_chapter_has_exercises_and_a_checked_coding_exercise():
    for path in CHAPTERS:
        nb = nbformat.read(path, as_version=4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert text.count("{exercise}") >= 3, f"{path.name}: fewer than 3 exercises"
        assert text.count("{exercise}") == text.count("{solution}"), f"{path.name}: an exercise lacks a solution"
        solution_cells = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
        assert solution_cells, f"{path.name}: no automatically checked coding exercise"
        assert all("check(" in c.source for c in solution_cells), f"{path.name}: a solution cell calls no check"


# Running every student notebook to the end (each stubbed exercise reporting "not yet solved") is
# part of `make robust` (scripts/robust.py, its student-edition condition), so chapters run once there
# rather than again here.


@pytest.mark.slow
def test_student_edition_html_hides_solutions(tmp_path):
    """hide_solutions (the student build option) works with the book's exercise form."""
    dest = tmp_path / "student"
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        make_student.main("book", str(dest))
    finally:
        os.chdir(cwd)
    # Build the first chapter's teacher version (solutions present in the source) with the student
    # configuration: the HTML must show the exercises but none of the solutions.
    shutil.copy(ROOT / "book" / "00_how_to_use.ipynb", dest / "book" / "00_how_to_use.ipynb")
    (dest / "_toc.yml").write_text(
        "format: jb-book\nroot: book/index\nchapters:\n  - file: book/00_how_to_use\n  - file: book/bibliography\n"
    )
    config = (dest / "_config.yml").read_text().replace("execute_notebooks: force", "execute_notebooks: 'off'")
    (dest / "_config.yml").write_text(config)
    jb = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run(
        [str(jb), "build", str(dest), "-W", "-n", "--keep-going"], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html = (dest / "_build" / "html" / "book" / "00_how_to_use.html").read_text()
    assert "Reading shapes" in html  # the exercise is there
    assert "(40, 16, 300)" not in html  # its solution is not
    assert "student edition" in html
