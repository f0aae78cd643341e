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


def _mypy_modules_with(setting):
    """The modules of every [[tool.mypy.overrides]] block of pyproject.toml that sets `setting = true`."""
    modules = set()
    for block in PYPROJECT.split("[[tool.mypy.overrides]]")[1:]:
        block = block.split("\n[", 1)[0]
        if re.search(rf"^{setting} = true$", block, re.M):
            modules.update(re.findall(r'"(micrograd_ko[\w.]*)"', block))
    return modules


def test_the_type_checking_levels_do_not_quietly_drop():
    fully_annotated = _mypy_modules_with("disallow_untyped_defs")
    checked = _mypy_modules_with("check_untyped_defs")
    for module in [
        "micrograd_ko",
        "micrograd_ko.module",
        "micrograd_ko.gradcheck",
        "micrograd_ko.optim",
        *(f"micrograd_ko.{Path(f).stem}" for f in CLI_FILES),
    ]:
        assert module in fully_annotated, module
    for module in ["micrograd_ko.compiler", "micrograd_ko.compiler.trace", "micrograd_ko.losses", "micrograd_ko.nn"]:
        assert module in checked, module
    # the one error code still switched off, and where: graphviz.Digraph as a base class after a run-time import
    assert re.findall(r"^module = (.*)\ndisable_error_code = (.*)$", PYPROJECT, re.M) == [
        ('"micrograd_ko.viz.node_view"', '["name-defined"]')
    ]


def _public_engine_api():
    import micrograd_ko as ko
    from micrograd_ko import Value

    methods = [getattr(Value, name) for name in vars(Value) if not name.startswith("_") or name in _OPERATORS]
    properties = [m.fget for m in methods if isinstance(m, property)]
    functions = [m for m in methods if callable(m)] + properties
    return functions + [ko.grad, ko.no_grad.__wrapped__, ko.is_grad_enabled, ko.softmax, ko.sum, ko.dot]


_OPERATORS = {
    "__init__",
    "__add__",
    "__sub__",
    "__mul__",
    "__truediv__",
    "__pow__",
    "__radd__",
    "__rsub__",
    "__rmul__",
    "__rtruediv__",
    "__rpow__",
    "__neg__",
    "__abs__",
    "__lt__",
    "__le__",
    "__gt__",
    "__ge__",
}


def test_the_public_api_is_annotated_so_that_an_editor_can_show_it():
    import inspect
    import typing

    import micrograd_ko as ko
    from micrograd_ko import Value, compile, gradcheck, losses
    from micrograd_ko.module import Module

    public = _public_engine_api() + [compile, gradcheck, Value.from_op]
    public += [getattr(losses, name) for name in losses.LOSSES] + [losses.get]
    public += [f for name, f in vars(Module).items() if callable(f) and not name.startswith("_")]
    for function in public:
        signature = inspect.signature(function)
        assert signature.return_annotation is not inspect.Signature.empty, function
        unannotated = [p for p in signature.parameters.values() if p.annotation is p.empty and p.name != "self"]
        assert not unannotated, (function, unannotated)
    # the annotations name real things (an editor resolves them the same way)
    assert typing.get_type_hints(Value.tanh)["return"] is Value
    assert typing.get_type_hints(ko.softmax)["return"] == list[Value]
