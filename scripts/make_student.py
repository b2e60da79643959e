"""Write the student edition of the book: solutions stubbed, solution dropdowns removed, outputs cleared.

Usage: python scripts/make_student.py book student

For every chapter notebook in SOURCE this writes SOURCE's twin under DEST/book/:

- in each code cell tagged ``solution``, the lines between ``# BEGIN SOLUTION`` and ``# END SOLUTION``
  become ``raise NotImplementedError("exercise")`` (the markers must sit inside a function, so the
  cell still runs and its ``check(...)`` reports "not yet solved");
- every ``{solution}`` block is removed from the markdown;
- outputs and execution counts are cleared.

It also writes DEST/_config.yml and DEST/_toc.yml, so ``jupyter-book build DEST`` builds a student
edition of the HTML book (executed, with sphinx-exercise's ``hide_solutions: true``), and copies the
book's other pages and bibliography.
"""

import re
import shutil
import sys
from pathlib import Path

import nbformat
import yaml

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
STUB = 'raise NotImplementedError("exercise")'
# A MyST {solution} block: the fence (3+ backticks or colons) through the matching closing fence.
SOLUTION_BLOCK = re.compile(r"^(?P<fence>`{3,}|:{3,})\{solution\}.*?^(?P=fence)[ \t]*\n?", re.M | re.S)


def stub_solution(source, where):
    """Replace each BEGIN/END SOLUTION region of ``source`` by a NotImplementedError stub."""
    lines, out, inside = source.splitlines(), [], False
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ValueError(f"{where}, line {number}: nested '{BEGIN}'")
            indent = line[: len(line) - len(line.lstrip())]
            if not indent:
                raise ValueError(
                    f"{where}, line {number}: '{BEGIN}' must be inside a function "
                    "(indented), so the stubbed cell still runs"
                )
            out.append(f"{indent}{STUB}")
            inside = True
        elif stripped == END:
            if not inside:
                raise ValueError(f"{where}, line {number}: '{END}' without '{BEGIN}'")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: '{BEGIN}' is never closed by '{END}'")
    return "\n".join(out)


def student_notebook(nb, where):
    """Return the student version of notebook ``nb`` (a new object)."""
    nb = nbformat.from_dict(nb)  # deep copy
    stubbed = 0
    for index, cell in enumerate(nb.cells):
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "markdown":
            cell.source = SOLUTION_BLOCK.sub("", cell.source).rstrip()
        elif cell.cell_type == "code":
            if "solution" in tags:
                if BEGIN not in cell.source:
                    raise ValueError(f"{where}, cell {index}: tagged 'solution' but has no '{BEGIN}'")
                cell.source = stub_solution(cell.source, f"{where}, cell {index}")
                stubbed += 1
            cell.outputs = []
            cell.execution_count = None
    return nb, stubbed


def main(source="book", dest="student"):
    source, dest = Path(source), Path(dest)
    out_book = dest / "book"
    if dest.exists():
        shutil.rmtree(dest)
    out_book.mkdir(parents=True)
    total = 0
    for path in sorted(source.glob("*.ipynb")):
        nb, stubbed = student_notebook(nbformat.read(path, as_version=4), path.name)
        nbformat.write(nb, out_book / path.name)
        total += stubbed
        print(f"{out_book / path.name}: {stubbed} exercise(s) stubbed")
    for path in sorted(source.glob("*.md")) + sorted(source.glob("*.bib")):
        text = path.read_text()
        if path.suffix == ".md":
            text = SOLUTION_BLOCK.sub("", text)
        (out_book / path.name).write_text(text)
    for folder in [p for p in source.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))]:
        shutil.copytree(folder, out_book / folder.name)  # figures and other assets

    config = yaml.safe_load(Path("_config.yml").read_text())
    config["title"] = config["title"] + " (student edition)"
    config["sphinx"].setdefault("config", {})["hide_solutions"] = True
    (dest / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    shutil.copy("_toc.yml", dest / "_toc.yml")
    print(f"{dest}: {total} exercise(s) stubbed in all; build the student edition with `jupyter-book build {dest}`")


if __name__ == "__main__":
    main(*sys.argv[1:3])
