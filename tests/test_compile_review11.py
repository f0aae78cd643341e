"""compile called directly, and the engine it stands for: cases a fresh-eyes review found that no test covered.

Each test states the case and what went wrong before its fix.
"""

import re
import struct
import threading

import pytest

import micrograd_ko as ko
from micrograd_ko import Value, compiler
from micrograd_ko.compiler import CompileError, GuardError, Tracer


def bits(x):
    return struct.pack("d", x)


def _call(step, args, params):
    """(value or error class, gradients' bits) of a compiled call, the gradients reset afterwards."""
    try:
        result = bits(step(*args))
    except Exception as error:  # noqa: BLE001 - the error class is part of the result
        result = type(error)
    grads = [bits(p.grad) for p in params]
    for p in params:
        p.grad = 0.0
    return result, grads


def _run(fn, args, params):
    """The same for `fn(*leaves).backward()`, interpreted."""
    try:
        out = fn(*[Value(a) for a in args])
        out.backward()
        result = bits(out.data)
    except Exception as error:  # noqa: BLE001
        result = type(error)
    grads = [bits(p.grad) for p in params]
    for p in params:
        p.grad = 0.0
    return result, grads


# -- guards: the truth of a comparison, never its text -----------------------------------------------------


def _threshold_step(threshold, fallback):
    w = Value(0.7)

    def fn(x):
        y = w * x
        return y.tanh() if y > threshold else y * 2.0

    return fn, w, ko.compile(fn, 1.0, fallback=fallback)


@pytest.mark.parametrize("kind", ["float64", "float32", "int64"])
def test_a_guard_against_a_numpy_number_holds_while_the_branch_does(kind):
    """`y > np.float64(0.5)` is numpy's own bool, never `True` itself: the guard `(y > k) is not True` missed
    on every call, so with fallback=False a call whose branch had not changed raised GuardError, and with the
    fallback every call ran interpreted (handed_over 3 of 3)."""
    np = pytest.importorskip("numpy")
    threshold = getattr(np, kind)(0)
    fn, w, step = _threshold_step(threshold, fallback=False)
    for x in (1.0, 0.3, 2.0):  # the branch taken while tracing, every time
        assert _call(step, (x,), [w]) == _run(fn, (x,), [w])
    assert step.handed_over == 0
    with pytest.raises(GuardError):  # the other branch still raises
        step(-1.0)
    fn, w, step = _threshold_step(threshold, fallback=True)
    for x in (1.0, -1.0, 0.3):
        assert _call(step, (x,), [w]) == _run(fn, (x,), [w])
    assert step.handed_over == 1  # only the call that branches the other way


def test_a_guard_on_a_weight_set_to_a_numpy_float_after_compiling_does_not_miss():
    """A weight's `.data` may be a numpy float; compared with a node, Python gives numpy's bool, which the
    guard's `is not True` took for the other branch (a false GuardError with fallback=False)."""
    np = pytest.importorskip("numpy")
    w, t = Value(0.7), Value(0.1)
    step = ko.compile(lambda x: (w * x).relu() if w * x > t else w * x, 1.0, fallback=False)
    t.data = np.float64(0.2)
    assert step(1.0) == (w * 1.0).relu().data


def test_the_text_of_a_comparisons_result_never_reaches_the_source():
    """A number type of the learner's may answer a comparison with an object of its own: its text was pasted
    into the guard's line (`... is not True or print('INJECTED') or True:`) and ran at every call."""

    class Answer:
        def __bool__(self):
            return True

        def __str__(self):
            return "True or print('INJECTED') or True"

        __repr__ = __str__

    class Sneaky(float):
        def __lt__(self, other):
            return Answer()

    w = Value(0.7)

    def fn(x):
        y = w * x
        return y.tanh() if y > Sneaky(0.5) else y * 2.0

    step = ko.compile(fn, 1.0)
    assert "INJECTED" not in step.source
    assert _call(step, (1.0,), [w]) == _run(fn, (1.0,), [w])


# -- a compiled function inside a traced fn -------------------------------------------------------------


def test_a_compiled_function_called_inside_a_traced_fn_is_refused_at_fns_line():
    """The inner call returns a number and adds into `.grad`, neither of which the outer code would do again.
    It was refused, but as "fn reads the .data of a traced node at .../compiler/run.py:279": a line of the
    library, and a read fn never wrote. Now the refusal names the call and fn's line, and the inner call
    changes nothing; a fn that catches the error is refused all the same."""
    w = Value(0.7)
    inner = ko.compile(lambda x: (w * x).tanh(), 0.5)

    def outer(x):
        return w * x + inner(0.3)

    with pytest.raises(CompileError, match="fn calls a compiled function") as caught:
        ko.compile(outer, 0.5)
    assert f"{__file__}:{outer.__code__.co_firstlineno + 1}" in str(caught.value)
    assert "run.py" not in str(caught.value) and w.grad == 0.0

    def catches(x):
        try:
            return w * x + inner(0.3)
        except CompileError:
            return w * x

    with pytest.raises(CompileError, match="fn calls a compiled function"):
        ko.compile(catches, 0.5)
    assert inner(0.3) == (w * 0.3).tanh().data  # outside a trace, a call as ever


# -- what fn returns beside its output ------------------------------------------------------------------


@pytest.mark.parametrize("gradients", [True, False])
def test_extras_nested_too_deep_or_holding_themselves_are_refused_without_recursion_error(gradients):
    """Arguments nested more than 100 deep were refused; what fn returns beside its output was walked by
    recursion, so 500 lists deep (or a list holding itself) raised RecursionError from inside compile."""
    w = Value(0.5)
    deep = w
    for _ in range(500):
        deep = [deep]
    cyclic = [w]
    cyclic.append(cyclic)
    for extra in (deep, cyclic):
        fn = (lambda x, extra=extra: (w * x, extra)) if gradients else (lambda x, extra=extra: [w * x, extra])
        with pytest.raises(CompileError, match="nested more than 100 deep"):
            ko.compile(fn, 0.5, gradients=gradients)
    shallow = [[w]] * 3
    step = ko.compile(lambda x: (w * x, shallow), 0.5, gradients=gradients)
    assert step(0.25) == (0.125, [[0.5]] * 3)


# -- compile's own arguments ----------------------------------------------------------------------------


@pytest.mark.parametrize("max_terms", ["a", -1, 0, 2.5, True, float("nan")])
def test_max_terms_that_is_no_positive_int_is_refused_before_fn_runs(max_terms):
    """`max_terms='a'` raised Python's "'<' not supported between instances of 'int' and 'str'" after tracing;
    -1, 0, 2.5 and True became limits ("3 nodes + edges > the limit of -1"), and NaN turned the limit off."""
    w = Value(0.5)

    def fn(x):
        raise AssertionError("fn ran")  # (the check comes first)

    with pytest.raises(ValueError, match="compile: max_terms must be a positive int"):
        ko.compile(fn, 0.5, max_terms=max_terms)
    assert ko.compile(lambda x: w * x, 0.5, max_terms=10)(2.0) == 1.0


def test_the_source_shown_in_compiles_docstring_is_what_compile_writes():
    """The module docstring's example had drifted from the code compile writes (the input line before the
    parameters' lines, and a finiteness check without its type test): its lines are checked here, in order."""
    import micrograd_ko.compiler as compiler

    w, b = Value(0.5, label="w"), Value(0.1, label="b")
    step = ko.compile(lambda x: (w * x + b).tanh(), 2.0)
    doc = compiler.__doc__
    shown = doc[doc.index("def compiled(") : doc.index("return v2") + len("return v2")]
    written = [line.strip() for line in step.source.splitlines()]
    at = 0
    for line in (line.strip() for line in shown.splitlines()):
        if "..." in line:  # elided in the docstring
            continue
        assert line in written[at:], line
        at = written.index(line, at) + 1


def test_a_call_with_a_numpy_row_says_to_pass_a_list_not_to_compile_again():
    """A dataset's row as a numpy array, given where a list was traced, got "args[0] has another structure
    than when traced ...; call micrograd_ko.compile again for the new structure", and compiling again with
    the array is refused ("for an array, pass .tolist()"). The call now says the same, naming the place."""
    np = pytest.importorskip("numpy")
    w = [Value(0.5), Value(0.1)]
    step = ko.compile(lambda xs, t: ko.dot(w, xs) + t[0], [0.1, 0.2], [0.0])
    for args, where in [((np.array([0.3, 0.4]), [0.0]), "args[0]"), (([0.3, 0.4], np.array([0.0])), "args[1]")]:
        with pytest.raises(TypeError, match=rf"{re.escape(where)} is a ndarray.*pass \.tolist\(\)"):
            step(*args)
    assert step([0.3, 0.4], [0.0]) == ko.dot(w, [0.3, 0.4]).data
    with pytest.raises(ko.compiler.StructureError, match="call micrograd_ko.compile again"):
        step([0.3], [0.0])  # another length: another structure, as before


# -- two threads ----------------------------------------------------------------------------------------


def _another_thread_tracing():
    """(start, stop): a trace open in another thread between the two calls (its hooks are on Value meanwhile)."""
    started, release = threading.Event(), threading.Event()

    def trace():
        with Tracer():
            started.set()
            release.wait(10)

    thread = threading.Thread(target=trace)

    def start():
        thread.start()
        assert started.wait(10)

    def stop():
        release.set()
        thread.join()

    return start, stop


def test_a_function_compiled_while_another_thread_traces_stays_compiled():
    """A trace puts its hooks on Value (the properties for `.data` and `.grad`, `__eq__`, `__bool__`, ...) for
    as long as any thread traces. The watch of micrograd_ko's classes took them for a patched Value: a
    function compiled while another thread traced ran interpreted at every later call (handed_over 1 of 1),
    and a compile during which another thread began to trace was refused ("fn changes 'Value.__bool__')."""
    start, stop = _another_thread_tracing()
    w = Value(0.5)
    start()
    step = ko.compile(lambda x: (w * x).tanh(), 1.0)
    stop()
    assert _call(step, (2.0,), [w]) == _run(lambda x: (w * x).tanh(), (2.0,), [w])
    assert step.handed_over == 0


def test_a_compile_during_which_another_thread_begins_to_trace_is_not_refused(monkeypatch):
    start, stop = _another_thread_tracing()
    traced = compiler.trace_fn

    def trace_after_the_other_thread_began(fn, args):
        start()  # (after compile pictured the state, before its own trace)
        return traced(fn, args)

    monkeypatch.setattr(compiler, "trace_fn", trace_after_the_other_thread_began)
    w = Value(0.5)
    try:
        step = ko.compile(lambda x: (w * x).tanh(), 1.0)
    finally:
        stop()
    assert step(2.0) == (w * 2.0).tanh().data and step.handed_over == 0


def test_a_learners_own_value_eq_survives_compile_and_is_what_the_trace_runs(monkeypatch):
    """A trace puts identity hooks on Value (`__eq__`, `__hash__`, ...) and took them off with delattr: a
    learner's own `Value.__eq__` (comparing numbers, as some tutorials add) was deleted by compile, so
    `Value(1.0) == Value(1.0)` went from True to False for the rest of the program, and compile was refused
    as "fn changes 'Value.__eq__'". The learner's method now stays, during the trace too (it is what runs
    interpreted: here it reads `.data`, so an `==` in fn is refused as such a read)."""

    def equal_numbers(a, b):
        return isinstance(b, Value) and a.data == b.data

    monkeypatch.setattr(Value, "__eq__", equal_numbers, raising=False)
    monkeypatch.setattr(Value, "__hash__", lambda self: id(self), raising=False)
    w = Value(0.5)
    step = ko.compile(lambda x: w * x, 1.0)
    assert step(2.0) == 1.0 and step.handed_over == 0
    assert Value.__eq__ is equal_numbers and Value(1.0) == Value(1.0)
    with pytest.raises(CompileError, match=r"reads the \.data of a traced node"):
        ko.compile(lambda x: w * x if x == w else w + x, 1.0)
    assert Value.__eq__ is equal_numbers


def test_compiling_a_compiled_function_says_so():
    """compile(step, 1.0) traced the compiled function's call, and was refused as "at .../compiler/trace.py:510,
    fn calls a compiled function": a line of the library. It now says fn is compiled already."""
    w = Value(0.5)
    step = ko.compile(lambda x: (w * x).tanh(), 1.0)
    with pytest.raises(CompileError, match="fn is already compiled; call it as it is"):
        ko.compile(step, 1.0)
    assert w.grad == 0.0


def test_an_argument_given_by_name_is_named_in_both_languages():
    """`step(x=1.0)` got Python's own "CompiledFunction.__call__() got an unexpected keyword argument 'x'"."""
    w = Value(0.5)

    def fn(x, scale=2.0):
        return w * x * scale

    step = ko.compile(fn, 1.0)
    with pytest.raises(TypeError, match=r"by position only \(given by name: x\)") as caught:
        step(x=1.0)
    assert "위치로만" in str(caught.value)
    with pytest.raises(TypeError, match=r"given by name: scale"):
        step(1.0, scale=3.0)
    assert step(1.0, output_grad=2.0) == 1.0 and w.grad == 4.0
