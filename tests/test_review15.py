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
