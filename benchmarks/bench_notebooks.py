"""How long the notebooks and the demo take, with the machine and the load they were measured on.

Run:  python benchmarks/bench_notebooks.py                  (every notebook once, the demo 3 times)
      python benchmarks/bench_notebooks.py 04 05            (only these notebooks)
      python benchmarks/bench_notebooks.py --repeats 3      (median of 3 runs per notebook)
      python benchmarks/bench_notebooks.py --no-demo        (notebooks only)

Notebooks are run as the tests run them (notebooks/run_notebook.py: the reference solutions
filled in, a fresh kernel of this Python, in a temporary folder); the time is the sum of the
code cells' times, kernel start-up left out. The demo is `micrograd-ko demo` in a subprocess
(`--out` in a temporary folder), wall time from start to exit.

Times on a shared machine vary by a factor of two or more with the other work on it, so the
script prints the number of CPUs and the 1-minute load average before and after each run:
quote a time together with them. No test asserts any of these times.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "notebooks"))
import run_notebook  # noqa: E402  (notebooks/run_notebook.py, next to the notebooks)


def load():
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def notebook_seconds(path):
    nb = run_notebook.with_solutions(nbformat.read(path, as_version=4), run_notebook.solutions_for(path))
    with tempfile.TemporaryDirectory() as cwd:
        return sum(run_notebook.execute(nb, cwd)["seconds"].values())


def demo_seconds():
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "micrograd_ko", "demo", "--out", out], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=out, env={**os.environ, "PYTHONPATH": str(ROOT)})
        return time.perf_counter() - start


def measure(label, run, repeats):
    loads, seconds = [load()], []
    for _ in range(repeats):
        seconds.append(run())
        loads.append(load())
    shown = f"{statistics.median(seconds):7.1f} s" + (f" (min {min(seconds):.1f}, max {max(seconds):.1f}, {repeats} runs)" if repeats > 1 else "")
    print(f"| {label} | {shown} | {min(loads):.1f}–{max(loads):.1f} |", flush=True)
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebook numbers (default: all)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per notebook (default 1: a full pass takes minutes)")
    parser.add_argument("--demo-repeats", type=int, default=3)
    parser.add_argument("--no-demo", action="store_true")
    args = parser.parse_args(argv)
    paths = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if args.notebooks:
        paths = [p for p in paths if p.name[:2] in args.notebooks]
    print(f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs, 1-minute load average {load():.1f} at the start")
    print("\n| run | time (median) | load average during the run |\n|---|---|---|")
    for path in paths:
        measure(path.name, lambda: notebook_seconds(path), args.repeats)
    if not args.no_demo:
        measure("micrograd-ko demo", demo_seconds, args.demo_repeats)


if __name__ == "__main__":
    main()
