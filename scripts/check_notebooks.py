"""Check that every chapter is committed in a state nbval can verify, and that its claims travel.

Fails if a notebook under the given folder
- has a code cell that was never executed, an error output, or a stderr output (warnings drift
  between machines), or is missing from _toc.yml;
- has an assertion that compares a formatted float as a string (``f"{acc:.3f}" == "0.279"``,
  ``str(round(x, 2)) == ...``, ``x == "0.279"``) or compares a value with ``==``/``!=`` against a float
  literal (``loss == 0.25``): such an assertion encodes one machine's digits, not a claim;
- calls myst-nb's ``glue`` in a cell whose output nbval would compare (the glued value's repr is
  written as an output, so the cell must be tagged ``nbval-ignore-output``).

It also reports, per chapter, the share of code cells with output that nbval compares exactly
(the rest are tagged ``nbval-ignore-output``: their results are proven by hidden assertions).

Usage: python scripts/check_notebooks.py book
"""

import ast
import re
import sys
from pathlib import Path

import nbformat
import yaml

IGNORE_TAG = "nbval-ignore-output"
DECIMAL = re.compile(r"\d\.\d")


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


def _is_float_text(node):
    """An expression that yields a float rendered as text: an f-string with a float format spec
    (``:.3f``, ``:.2e``, ``:.1%``, ``:g``), ``str``/``repr``/``format`` of something, ``"%.3f" % x``,
    ``"{:.3f}".format(x)``, or a string literal holding a decimal number."""
    if isinstance(node, ast.JoinedStr):
        for part in node.values:
            if isinstance(part, ast.FormattedValue) and part.format_spec is not None:
                spec = "".join(v.value for v in part.format_spec.values if isinstance(v, ast.Constant))
                if re.search(r"[efgEFG%]$", spec):
                    return True
        return any(isinstance(v, ast.Constant) and DECIMAL.search(str(v.value)) for v in node.values)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(DECIMAL.search(node.value))
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name in ("format", "str", "repr"):
            return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant):
        return "%" in str(node.left.value) and bool(re.search(r"%[-+ 0#]*\d*\.?\d*[efgEFG]", str(node.left.value)))
    return False


def _is_float_literal(node):
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant) and isinstance(node.value, float)


def brittle_assertions(source):
    """(line, text) of each equality in an ``assert`` that compares float text or a float literal."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics: check the lines that parse
        tree = ast.parse(
            "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
        )
    found = []
    for statement in ast.walk(tree):
        if not isinstance(statement, ast.Assert):
            continue
        for compare in ast.walk(statement.test):
            if not isinstance(compare, ast.Compare):
                continue
            operands = [compare.left, *compare.comparators]
            for op, left, right in zip(compare.ops, operands, operands[1:]):
                if not isinstance(op, (ast.Eq, ast.NotEq)):
                    continue
                if _is_float_text(left) or _is_float_text(right) or _is_float_literal(left) or _is_float_literal(right):
                    found.append((compare.lineno, ast.get_source_segment(source, compare) or ""))
    return found


def problems(path, listed):
    nb = nbformat.read(path, as_version=4)
    found = []
    if path.with_suffix("").as_posix() not in listed:
        found.append("not listed in _toc.yml")
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        tags = cell.metadata.get("tags", [])
        if cell.execution_count is None:
            found.append(f"cell {index} was never executed")
        for out in cell.outputs:
            if out.output_type == "error":
                found.append(f"cell {index} has an error output ({out.ename})")
            if out.get("name") == "stderr":
                found.append(f"cell {index} has stderr output: {out.text[:80]!r}")
        for line, text in brittle_assertions(cell.source):
            found.append(f"cell {index}, line {line}: an assertion compares one run's digits: {text[:100]!r}")
        if re.search(r"\bglue\(", cell.source) and IGNORE_TAG not in tags:
            found.append(f"cell {index} calls glue() but is not tagged {IGNORE_TAG}")
    return found


def compared_share(path):
    """(compared, with output): code cells with output, and those nbval compares exactly."""
    nb = nbformat.read(path, as_version=4)
    with_output = [c for c in nb.cells if c.cell_type == "code" and c.outputs]
    compared = [c for c in with_output if IGNORE_TAG not in c.metadata.get("tags", [])]
    return len(compared), len(with_output)


def main(folder):
    listed = set(toc_files())
    bad = 0
    notebooks = sorted(p for p in Path(folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    print(f"{'chapter':40s} output cells compared by nbval")
    for path in notebooks:
        compared, total = compared_share(path)
        share = f"{100 * compared / total:3.0f} %" if total else "  - "
        print(f"{path.name:40s} {compared:3d} of {total:3d}  {share}")
    for path in notebooks:
        for problem in problems(path, listed):
            print(f"{path}: {problem}")
            bad += 1
    print(f"checked {len(notebooks)} notebooks: {bad} problem(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "book"))
