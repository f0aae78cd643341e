"""compile's C form as a hostile or a careful user meets it: the disk cache of built modules (native/build.py),
the numbers of a large program kept in memory of their own (translator.py's heap frame), and the tests' own
use of the cache. Each test holds a case a review found (it failed before the fix beside it) or a property the
review checked (a leak, threads, random graphs)."""

import ast
import pathlib

import pytest

from micrograd_ko.compiler.native import build

pytestmark = pytest.mark.usefixtures("c_code_on")  # (conftest: the C form built at once; the suite runs without)


# -- where the cache is --


def test_the_tests_child_processes_use_the_tests_cache():
    """A test that starts Python with an environment of its own must hand it the tests' cache directory (or all
    of os.environ): test_native_review.py's child, given only MICROGRAD_KO_NATIVE and PATH, built its module in
    the user's ~/.cache/micrograd_ko/c."""
    missing = []
    for path in sorted(pathlib.Path(__file__).parent.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            envs = []
            if isinstance(node, ast.Call):
                envs = [k.value for k in node.keywords if k.arg == "env"]
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and "env" in t.id for t in node.targets):
                envs = [node.value]
            for env in envs:
                if not isinstance(env, ast.Dict):
                    continue
                keys = [k.value if isinstance(k, ast.Constant) else k for k in env.keys]
                if None not in keys and build.CACHE_ENV not in keys:  # (None: a **mapping)
                    missing.append(f"{path.name}:{env.lineno}")
    assert missing == []
