"""Review of round 15 (rolled C, runtime.c, sgd_momentum in C, the translating process, losses of numbers):
inputs that showed a difference between the C form or fit's fast paths and the slow path."""

import pytest

import micrograd_ko as ko
from micrograd_ko import Value
from micrograd_ko.compiler import run

pytestmark = pytest.mark.usefixtures("c_code_on")  # (conftest: the C form built at once)


def test_a_variant_whose_python_compile_was_interrupted_is_made_again_and_answered_compiled(monkeypatch):
    """Its C form is asked for before Python compiles the generated function: where that compile is interrupted
    (Ctrl-C in a notebook, a MemoryError), the C form installed in its place must still find the Python function
    it hands over to (it used to call an empty list's first item: every later call handed over to the engine)."""
    w = Value(0.75)
    step = ko.compile(lambda x: (w * x).tanh(), 0.5)
    original, calls = run._code_of, []

    def interrupted_once(source):
        calls.append(source)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return original(source)

    monkeypatch.setattr(run, "_code_of", interrupted_once)
    with pytest.raises(KeyboardInterrupt):
        step(0.5)
    w.grad = 0.0
    expected = (Value(0.75) * 0.5).tanh()
    for _ in range(3):
        assert step(0.5) == expected.data
    assert step.handed_over == 0
    assert step._variants["full"][0].answered >= 2


class _Touchy:
    """An object of the learner's in a program's namespace (a number type of its own, a callable): any attribute
    it does not have raises something other than AttributeError."""

    def __init__(self, error):
        self.error = error

    def __getattr__(self, name):
        raise self.error(name)

    def __call__(self, x):
        return x


@pytest.mark.parametrize("error", [RuntimeError, KeyError])
@pytest.mark.parametrize("kind", ["_k", "_replay_mse_"])
def test_the_translating_process_is_told_of_unusual_objects_without_reading_them(error, kind):
    """`summary` asked every object of the namespace for an `op` attribute (`_rule_in_c`), which the translator
    asks only of a replay it translates: an object whose attribute lookup raises made the background build raise
    (RuntimeError: no C form, a traceback) or kill the translating process (KeyError), where this process's
    translation of the same text is made."""
    from micrograd_ko.compiler.native import elsewhere, translator

    w = Value(0.75)
    step = ko.compile(lambda x: (w * x).tanh(), 0.5)
    source = step._variant("full")[1]
    namespace = {**step._namespace, f"{kind}99": _Touchy(error)}
    here = translator.c_text(source, namespace)
    assert here is not None
    assert elsewhere.translate(source, namespace) == here
    assert elsewhere._process  # (still running, for the next build)


def test_a_rule_of_the_learners_is_summarized_without_asking_it_for_an_op():
    """A row's rule (`_f3`) is only called by the translated code: the translator never asks it for `op`."""
    from micrograd_ko.compiler.native import elsewhere

    assert elsewhere.summary({"_f3": _Touchy(RuntimeError), "_k1": 2.5}, "v0 = _f3(x0) * _k1") == {
        "_f3": ["callable"],
        "_k1": ["float", 2.5],
    }


def test_a_record_of_a_translation_is_not_believed_once_rolling_py_has_changed(monkeypatch, tmp_path):
    """The C text is the translator's and rolling.py's (its loops): a record made by a run whose rolling.py was
    another (a fix since) must not load that run's module. `_made_by` hashed translator.py, runtime.h and
    runtime.c only."""
    import os
    import shutil

    from micrograd_ko.compiler.native import build

    package = os.path.dirname(build.__file__)
    for name in os.listdir(package):
        if name.endswith((".py", ".h", ".c")):
            shutil.copy(os.path.join(package, name), tmp_path / name)
    monkeypatch.setattr(build, "__file__", str(tmp_path / "build.py"))
    build._made_by.cache_clear()
    before = build._made_by()
    with open(tmp_path / "rolling.py", "a", encoding="utf-8") as file:
        file.write("\n_LEAST = 4\n")
    build._made_by.cache_clear()
    after = build._made_by()
    build._made_by.cache_clear()
    assert after != before
