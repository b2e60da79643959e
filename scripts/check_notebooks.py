"""Check that every chapter is committed in a state nbval can verify.

Fails if a notebook under the given folder has a code cell that was never executed, an error output,
a stderr output (warnings drift between machines), or is missing from _toc.yml.

Usage: python scripts/check_notebooks.py book
"""

import sys
from pathlib import Path

import nbformat
import yaml


def toc_files(toc_path="_toc.yml"):
    """Every page of the table of contents, in reading order, without file extensions."""
    toc = yaml.safe_load(Path(toc_path).read_text())
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for key, value in node.items():
                if key != "file":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    stems = [f.rsplit(".", 1)[0] if f.endswith((".ipynb", ".md")) else f for f in files]
    return list(dict.fromkeys(stems))


def problems(path, listed):
    nb = nbformat.read(path, as_version=4)
    found = []
    if path.with_suffix("").as_posix() not in listed:
        found.append("not listed in _toc.yml")
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        if cell.execution_count is None:
            found.append(f"cell {index} was never executed")
        for out in cell.outputs:
            if out.output_type == "error":
                found.append(f"cell {index} has an error output ({out.ename})")
            if out.get("name") == "stderr":
                found.append(f"cell {index} has stderr output: {out.text[:80]!r}")
    return found


def main(folder):
    listed = set(toc_files())
    bad = 0
    notebooks = sorted(p for p in Path(folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    for path in notebooks:
        for problem in problems(path, listed):
            print(f"{path}: {problem}")
            bad += 1
    print(f"checked {len(notebooks)} notebooks: {bad} problem(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "book"))
