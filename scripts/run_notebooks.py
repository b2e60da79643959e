"""Re-execute chapters in place and normalize them, so committed outputs match the current code.

Usage: python scripts/run_notebooks.py book/05_lstm_cell.ipynb [more.ipynb ...]

Each notebook runs top to bottom in its own kernel, from the book/ folder, with the same environment
the tests use (no progress bars, fixed string hashing). Metadata that changes from run to run
(execution timestamps, widget state, the kernel's exact Python version) is removed, so diffs show
only what changed in the chapter. The wall time of each chapter is printed: the course's budget is
60 s per chapter (120 s for the heaviest) on a 2-core CPU.
"""

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KERNEL_SPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def normalize(nb):
    """Strip run-to-run noise from a notebook's metadata (in place)."""
    nb.metadata = nbformat.from_dict(
        {
            "kernelspec": KERNEL_SPEC,
            "language_info": {"name": "python", "pygments_lexer": "ipython3"},
        }
    )
    count = 0
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
        cell.metadata.pop("collapsed", None)
        cell.metadata.pop("scrolled", None)
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
            for out in cell.outputs:
                if "execution_count" in out:
                    out["execution_count"] = count
                out.get("metadata", {}).pop("needs_background", None)
    return nb


def run(path):
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    env_before = dict(os.environ)
    # Same environment as `make nbval`: one thread, so floating-point results match bit for bit.
    os.environ.update(
        {
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "TQDM_DISABLE": "1",
            "PYTHONHASHSEED": "0",
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        }
    )
    try:
        client = NotebookClient(
            nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
        )
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    nbformat.write(normalize(nb), path)
    print(f"{path}: executed in {seconds:.1f} s")
    return seconds


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for p in sys.argv[1:]:
        run(p)
