"""Run a lesson notebook with the reference solutions filled in, and save it with the exercises left blank.

The committed notebooks hold exercise stubs (cells tagged ``exercise``: the
learner's code, ending in ``raise NotImplementedError`` or ``...``); the
reference solutions live apart in ``notebooks/solutions/NN_name.py``, one
section per exercise cell, keyed by the cell's id::

    # %% exercise: 02-softsign
    def softsign_derivative(x):
        ...

Saving a notebook (``python notebooks/run_notebook.py notebooks/02_*.ipynb``)
executes it top to bottom with the solutions in place, then puts the stubs
back, so the saved outputs show what a correct answer prints. The tests
(tests/test_notebooks.py) use the same functions: they execute each notebook
once with the solutions, then run each stub with its check cell, which must
report (not raise: Run All goes on) a message that says what to do.
A check cell wraps its asserts in `micrograd_ko.exercises.exercise_check`,
which prints that report to stderr under a marker line read by `check_report`.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from micrograd_ko.exercises import MARK

NOTEBOOK_DIR = Path(__file__).resolve().parent
SOLUTION_DIR = NOTEBOOK_DIR / "solutions"
EXERCISE_TAG = "exercise"
CHECK_TAG = "exercise-check"
SECTION = re.compile(r"^# %% exercise: (\S+)[ \t]*$", re.MULTILINE)
REPORT = re.compile(re.escape(MARK) + r" (?P<name>\S+): (?P<kind>[^\n]+)\n(?P<message>.*)", re.DOTALL)


def check_report(cell):
    """(kind, message) of the failure a check cell reported, or None if it reported none."""
    stderr = "".join(o.text for o in cell.get("outputs", []) if o.output_type == "stream" and o.name == "stderr")
    found = REPORT.search(stderr)
    return (found["kind"].strip(), found["message"].strip()) if found else None


def solutions_for(path):
    """{exercise cell id: solution source} from notebooks/solutions/<notebook stem>.py."""
    file = SOLUTION_DIR / f"{Path(path).stem}.py"
    if not file.is_file():
        return {}
    parts = SECTION.split(file.read_text(encoding="utf-8"))
    return {key: source.strip("\n") for key, source in zip(parts[1::2], parts[2::2])}


def exercises(nb):
    """[(index of the exercise cell, index of the check cell that follows it)]."""
    pairs = []
    for i, cell in enumerate(nb.cells):
        if EXERCISE_TAG in cell.metadata.get("tags", []):
            check = next((j for j in range(i + 1, len(nb.cells)) if CHECK_TAG in nb.cells[j].metadata.get("tags", [])), None)
            if check is None:
                raise ValueError(f"exercise cell {cell.id!r} has no {CHECK_TAG!r} cell after it")
            pairs.append((i, check))
    return pairs


def with_solutions(nb, solutions):
    """A copy of `nb` whose exercise cells hold the reference solutions."""
    nb = nbformat.from_dict(nb)
    ids = [nb.cells[i].id for i, _ in exercises(nb)]
    if sorted(ids) != sorted(solutions):
        raise ValueError(f"exercise cells {sorted(ids)} and solutions {sorted(solutions)} do not match")
    for i, _ in exercises(nb):
        nb.cells[i].source = solutions[nb.cells[i].id]
    return nb


def execute(nb, cwd, timeout=600, check_stubs=None):
    """Execute `nb` in place (kernel: this Python's ``python3``); returns seconds per code cell.

    With `check_stubs` ({exercise id: stub source}), after the whole notebook
    has run, each stub is run, then the cells up to its check cell, then the
    check; the failure the check reported is recorded as (kind, message) in the
    returned ``stub_failures`` (None if the check passed; ("raised", error) if
    the check cell raised, which stops Run All). The solution and the cells
    after it are then run again, so the next check sees a working answer.
    """
    client = NotebookClient(nb, kernel_name="python3", timeout=timeout, record_timing=False, resources={"metadata": {"path": str(cwd)}})
    seconds, stub_failures = {}, {}
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            started = time.perf_counter()
            client.execute_cell(cell, index)
            if cell.cell_type == "code":
                seconds[index] = time.perf_counter() - started
        for exercise, check in exercises(nb) if check_stubs is not None else []:
            key = nb.cells[exercise].id
            solution_run = nb.cells[exercise:check + 1]  # nbclient puts each executed copy in their place: restored below
            between = [nbformat.from_dict(nb.cells[i]) for i in range(exercise + 1, check)]
            client.execute_cell(nbformat.v4.new_code_cell(check_stubs[key]), exercise)
            for i, cell in enumerate(between, exercise + 1):  # the given code the exercise feeds, as a learner runs it
                client.execute_cell(cell, i)
            check_cell = nbformat.from_dict(nb.cells[check])
            try:
                client.execute_cell(check_cell, check)
                stub_failures[key] = check_report(check_cell)
            except CellExecutionError as error:
                stub_failures[key] = ("raised", f"{error.ename}: {error.evalue}")
            for i in range(exercise, check):
                client.execute_cell(nbformat.from_dict(solution_run[i - exercise]), i)
            nb.cells[exercise:check + 1] = solution_run
    return {"seconds": seconds, "stub_failures": stub_failures}


def save(path):
    """Execute the notebook at `path` with the solutions and write it back with its stubs and fresh outputs."""
    path = Path(path)
    original = nbformat.read(path, as_version=4)
    nb = with_solutions(original, solutions_for(path))
    with tempfile.TemporaryDirectory() as cwd:
        timing = execute(nb, cwd)
    for i, _ in exercises(nb):
        if nb.cells[i].outputs:
            raise ValueError(f"{path.name}: the solution of {nb.cells[i].id!r} prints something; the stub would not")
        nb.cells[i].source = original.cells[i].source
    nbformat.write(nb, path)
    return sum(timing["seconds"].values())


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="노트북을 참고 답안으로 실행하고, 연습 셀은 빈칸으로 되돌려 출력과 함께 저장합니다 / "
        "run a notebook with the reference solutions and save it with its outputs, the exercises left blank",
        epilog="예 / e.g.: PYTHONPATH=. python notebooks/run_notebook.py notebooks/NN_name.ipynb",
    )
    parser.add_argument("notebooks", nargs="+", metavar="NN_name.ipynb")
    args = parser.parse_args(argv)
    for name in args.notebooks:
        if not Path(name).is_file():
            parser.error(f"{name}: 노트북 파일이 없습니다 / no such notebook file")
    for name in args.notebooks:
        print(f"{name}: {save(name):.1f} s", flush=True)


if __name__ == "__main__":
    main()
