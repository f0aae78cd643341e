"""The notebooks (notebooks/NN_*.ipynb) run from top to bottom and still show what they say.

Each notebook is executed in memory with nbclient, in a kernel started from this
very Python (the `python3` kernel of the installed ipykernel), in a temporary
working directory; the committed file is not changed. Any failing cell raises
`CellExecutionError`, including the `assert`s of each notebook's exercise-check
cell. The committed notebooks carry their outputs (so they read on GitHub); the
text those outputs print, which the prose quotes, must still be what the code
prints now.

After changing a notebook or the library, re-execute it in place:
    jupyter execute --inplace notebooks/NN_name.ipynb
"""

import math
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
CHECK_TAG = "exercise-check"
MAX_BYTES = 1_000_000
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def printed_text(cell):
    """What a cell printed (stdout) or returned as plain text; figures and stderr are left out."""
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream" and output.name == "stdout":
            parts.append(output.text)
        elif output.output_type == "execute_result" and set(output.data) == {"text/plain"}:
            parts.append(output.data["text/plain"] + "\n")
    return "".join(parts)


def same_text(committed, fresh):
    """Equal words and numbers equal to 4 significant digits (last-digit float noise aside)."""
    if NUMBER.sub("#", committed) != NUMBER.sub("#", fresh):
        return False
    return all(
        math.isclose(float(a), float(b), rel_tol=1e-4, abs_tol=1e-12)
        for a, b in zip(NUMBER.findall(committed), NUMBER.findall(fresh))
    )


def test_the_eight_lessons_are_there():
    assert [p.name[:3] for p in NOTEBOOKS] == [f"{i:02d}_" for i in range(1, 9)]
    assert all(p.name.isascii() and " " not in p.name for p in NOTEBOOKS)  # file names that work on every OS
    assert (NOTEBOOK_DIR / "README.md").is_file()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_with_outputs_and_an_exercise_check(path):
    assert path.stat().st_size < MAX_BYTES
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    cells = code_cells(nb)
    assert all(cell.execution_count for cell in cells), "every code cell is committed executed"
    assert [cell.execution_count for cell in cells] == list(range(1, len(cells) + 1)), "executed top to bottom, once"
    assert not [o for cell in cells for o in cell.outputs if o.output_type == "error"]
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith(f"# {path.name[:2]}.")
    checks = [cell for cell in cells if CHECK_TAG in cell.metadata.get("tags", [])]
    assert checks, f"{path.name}: no cell tagged {CHECK_TAG!r}"
    assert all(re.search(r"^\s*assert\b", cell.source, re.MULTILINE) for cell in checks)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_prints_what_is_committed(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    committed = [printed_text(cell) for cell in code_cells(nb)]
    nb.cells.append(nbformat.v4.new_code_cell("import sys\nprint(sys.executable)"))

    NotebookClient(nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(tmp_path)}}).execute()

    *cells, probe = code_cells(nb)
    assert probe.outputs[0].text.strip() == sys.executable, "the kernel must be the test run's own Python"
    stale = [
        (i, before, printed_text(cell)) for i, (cell, before) in enumerate(zip(cells, committed), 1)
        if not same_text(before, printed_text(cell))
    ]
    assert not stale, (
        f"{path.name}: code cells {[i for i, _, _ in stale]} now print something else than the committed outputs "
        f"(which the prose quotes); re-execute it (jupyter execute --inplace {path.relative_to(NOTEBOOK_DIR.parent)}) "
        f"and check its text. First difference, code cell {stale[0][0]}:\n"
        f"--- committed:\n{stale[0][1][:1000]}\n--- now:\n{stale[0][2][:1000]}"
    )
    left = [p.name for p in tmp_path.iterdir() if p.name != ".hypothesis"]  # hypothesis's own cache is git-ignored
    assert not left, f"{path.name} left files behind: {left}"
