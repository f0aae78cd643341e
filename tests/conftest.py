import os

from hypothesis import HealthCheck, settings

# "ci": enough examples to find real bugs within the CI time budget, derandomized so that every CI run
# tries the same examples (a red CI is a real failure, never a rare draw).
# "dev": quicker local runs. "thorough": run by hand before a release.
settings.register_profile(
    "ci", max_examples=150, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=40, deadline=None)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

# compile's C form (micrograd_ko/compiler/native/) is built in the background for programs called often: in
# the suite that would be gcc running beside the tests at moments no test chooses. It is off here, and
# tests/test_native.py turns it on, built at once, where it is what is tested.
os.environ.setdefault("MICROGRAD_KO_NATIVE", "0")
# Where it is on, what it builds is kept in a directory of this run's own (not the user's cache; removed at exit).
import atexit  # noqa: E402
import tempfile  # noqa: E402

os.environ["MICROGRAD_KO_CACHE"] = tempfile.mkdtemp(prefix="micrograd_ko_test_cache_")
atexit.register(__import__("shutil").rmtree, os.environ["MICROGRAD_KO_CACHE"], True)


# -- a real browser for the tests that look at pages: Debian's chromium, driven by Playwright --

import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying hosts this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run; tests that need it are skipped, with the reason, without it."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (install Debian's chromium package)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def fake_dot(tmp_path, monkeypatch):
    """`fake_dot(source)` puts an executable `dot` (a Python script) first on PATH, standing in for Graphviz's."""
    import stat

    def install(source):
        dot = tmp_path / "dot"
        dot.write_text(source)
        dot.chmod(dot.stat().st_mode | stat.S_IEXEC)
        monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + os.environ.get("PATH", ""))
        return dot

    return install


@pytest.fixture
def interpreted_steps(monkeypatch):
    """The list of fit's interpreted steps taken while the test runs (one entry per step)."""
    import micrograd_ko.train as train

    calls = []
    real = train._interpreted_step
    monkeypatch.setattr(train, "_interpreted_step", lambda *a: calls.append(1) or real(*a))
    return calls


@pytest.fixture
def c_code_on(monkeypatch):
    """compile's C form built at once, from a program's first call (tests/test_native*.py); skipped where this
    machine has no C compiler or no Python headers."""
    from micrograd_ko.compiler import native

    monkeypatch.setenv("MICROGRAD_KO_NATIVE", "sync")
    monkeypatch.setattr(native, "CALLS_BEFORE_BUILD", 0)
    if native.build.compiler() is None:
        pytest.skip("no C compiler or no Python headers here")
