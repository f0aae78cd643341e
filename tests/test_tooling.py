"""The tools that keep the house in order: .ci/run lints and type-checks before the tests, with pinned versions."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
PYPROJECT = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
CLI_FILES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "micrograd_ko").glob("cli*.py"))


def test_ci_lints_and_type_checks_before_the_readme_test_command():
    steps = [
        ".venv/bin/ruff check .",
        ".venv/bin/ruff format --check .",
        ".venv/bin/mypy",
        'bash -euo pipefail -c "$test_command"',
    ]
    places = [CI.index(step) for step in steps]
    assert places == sorted(places), places
    assert CI.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in CI  # the first failing step stops the run


@pytest.mark.parametrize("tool", ["ruff", "mypy"])
def test_the_tools_are_pinned_in_the_test_extra_which_ci_installs(tool):
    test_extra = re.search(r"^test = \[(.*?)^\]", PYPROJECT, re.S | re.M).group(1)
    assert re.search(rf'"{tool}==\d+(\.\d+)+"', test_extra), tool


def _tool(name):
    path = Path(sys.executable).parent / name
    if not path.exists() and shutil.which(name) is None:
        pytest.skip(f"{name} is not installed (pip install '.[test]')")
    return str(path) if path.exists() else shutil.which(name)


def test_the_command_line_modules_are_clean_under_ruff():
    ruff = _tool("ruff")
    for args in (["check"], ["format", "--check"]):
        done = subprocess.run([ruff, *args, *CLI_FILES], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr


def test_the_package_ships_its_type_information():
    assert (ROOT / "micrograd_ko" / "py.typed").is_file()
    package_data = re.search(r"^\[tool\.setuptools\.package-data\]\nmicrograd_ko = (\[.*\])", PYPROJECT, re.M).group(1)
    assert '"py.typed"' in package_data
