"""compile's C form (native/) where its answer differed from the generated Python function's, or where it
crashed: each test holds one case a review found, with the Python function's answer as the expected one."""

import math
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

import micrograd_ko as ko
from micrograd_ko import Value, losses, nn
from micrograd_ko.compiler import native

pytestmark = pytest.mark.usefixtures("c_code_on")  # (conftest: the C form built at once; the suite runs without)


def kernel_of(source, namespace):
    """The built C function itself and the tuple of namespace objects it takes first."""
    text, module_name, names = native.translate(source, namespace)
    return native.build.module(text, module_name).compiled, tuple(namespace[name] for name in names)


def test_a_finalizer_that_empties_the_parameter_list_mid_step_raises_index_error_as_python_does():
    """The SGD step does not read the old gradients, so one may be any object; the write that drops it runs its
    __del__, which here empties P. Python's next `P[1].grad = ...` raises IndexError; the C code read P[1] from
    memory the list no longer has (a segmentation fault). Run in a child process: a crash must not end the run."""
    program = textwrap.dedent(
        """
        import micrograd_ko as ko
        from micrograd_ko import Value
        from micrograd_ko.compiler import native
        native.CALLS_BEFORE_BUILD = 0
        w = [Value(0.5), Value(-1.5)]
        step = ko.compile(lambda xs: (w[0] * xs[0] + w[1] * xs[1]).tanh(), [1.0, 2.0])
        python_function, source = step._variant("sgd")
        c = native.c_function(python_function, source, step._namespace)
        c.trusted = True
        P = list(step.parameters)

        class EmptiesP:
            def __del__(self):
                P.clear()

        for f in (python_function, c):
            P[:] = step.parameters
            for p in P:
                p.data, p.grad = 0.5, 0.0
            P[0].grad = EmptiesP()
            try:
                print(f([1.0, 2.0], P, 1.0, 0.1))
            except Exception as error:
                print(type(error).__name__)
        """
    )
    env = {
        "MICROGRAD_KO_NATIVE": "sync",
        "PATH": "/usr/bin:/bin",
        "MICROGRAD_KO_CACHE": os.environ["MICROGRAD_KO_CACHE"],
    }
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env, timeout=300,
                          cwd=Path(__file__).parent.parent)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["IndexError", "IndexError"]


def test_a_value_class_changed_by_a_finalizer_mid_step_is_written_as_python_writes():
    """The fast path writes `.data` and `.grad` straight into the slots. A finalizer run by the first write that
    gives the class a __setattr__ must see the later writes go through it, as Python's own writes do."""
    w = [Value(0.5), Value(-1.5)]
    step = ko.compile(lambda xs: (w[0] * xs[0] + w[1] * xs[1]).tanh(), [1.0, 2.0])
    python_function, source = step._variant("sgd")
    c = native.c_function(python_function, source, step._namespace)
    assert c is not None
    c.trusted = True
    seen = []

    class Watched(Value):
        __slots__ = ()

    def watching(self, name, value):
        seen.append(name)
        object.__setattr__(self, name, value)

    class PatchesTheClass:
        def __del__(self):
            Watched.__setattr__ = watching

    params = [Watched(0.5), Watched(-1.5)]
    runs = []
    for f in (python_function, c):
        if "__setattr__" in Watched.__dict__:
            del Watched.__setattr__
        for p in params:
            p.data, p.grad = 0.5, 0.0
        params[0].grad = PatchesTheClass()
        seen.clear()
        result = f([1.0, 2.0], params, 1.0, 0.1)
        runs.append((result, list(seen), [(p.data, p.grad) for p in params]))
    assert runs[1] == runs[0]
    assert runs[0][1] == ["grad", "data", "data"]  # P[1].grad, then both .data, through the new __setattr__


def test_a_keyboard_interrupt_in_a_rule_is_raised_not_swallowed():
    """A Ctrl-C that lands while the C code calls a rule (hinge's replay, every step) must stop the program, as
    it does when the Python function calls that rule; the C code cleared it and handed the call over."""
    w = [Value(0.5), Value(-1.5)]
    step = ko.compile(lambda xs, t: losses.hinge(w[0] * xs[0] + w[1] * xs[1], t), [1.0, 2.0], 1.0)
    python_function, source = step._variant("full")
    namespace = dict(step._namespace)

    def interrupted(floats):
        raise KeyboardInterrupt

    replays = [name for name in namespace if name.startswith("_replay")]
    assert replays
    namespace.update(dict.fromkeys(replays, interrupted))
    kernel, objects = kernel_of(source, namespace)
    exec(source, namespace)  # noqa: S102 - the generated source, with the interrupting rule
    for f, first in ((namespace["compiled"], ()), (kernel, (objects,))):
        with pytest.raises(KeyboardInterrupt):
            f(*first, [1.0, 2.0, 1.0], step.parameters, 1.0)


@pytest.mark.parametrize(
    "body, expected",
    [
        ("return -0 * x0", 0.0),  # the int -0 is 0: 0 * 1.0 is +0.0 (C's -0.0 * 1.0 is -0.0)
        ("return 2 - 2", 0),  # an int, not the float 0.0
        ("y = 3\n    return y", 3),
    ],
)
def test_int_constants_are_translated_only_where_python_makes_them_floats(body, expected):
    source = f"def compiled(X, P, output_grad):\n    x0, = X\n    {body}\n"
    namespace = {}
    exec(source, namespace)  # noqa: S102
    python_function = namespace.pop("compiled")
    assert repr(python_function([1.0], [], 1.0)) == repr(expected)
    c = native.c_function(python_function, source, namespace)
    if c is not None:
        c.trusted = True
        got = c([1.0], [], 1.0)
        assert (type(got), repr(got)) == (type(expected), repr(expected))


def test_no_hand_over_after_a_write_of_what_the_function_reads():
    """A line that may hand over (here a division by zero) after `P[0].grad` was written: the Python function,
    run again, would add onto the gradient written already. Such a program stays Python."""
    source = (
        "def compiled(X, P, output_grad):\n"
        "    p0 = P[0].data\n"
        "    x0, = X\n"
        "    t0 = P[0].grad + x0\n"
        "    P[0].grad = t0\n"
        "    v0 = 1.0 / p0\n"
        "    return v0\n"
    )
    namespace = {}
    exec(source, namespace)  # noqa: S102
    python_function = namespace.pop("compiled")
    w = Value(0.0)
    w.grad = 1.0
    with pytest.raises(ZeroDivisionError):
        python_function([2.0], [w], 1.0)
    expected = w.grad
    c = native.c_function(python_function, source, namespace)
    if c is not None:
        c.trusted = True
        w.grad = 1.0
        with pytest.raises(ZeroDivisionError):
            c([2.0], [w], 1.0)
        assert w.grad == expected == 3.0


def test_counting_calls_from_many_threads_raises_nothing(monkeypatch):
    """`wanted` forgets the oldest counted text once it counts more than it keeps: two threads forgetting the
    same one raised KeyError (from the compiled function's call, which then ran interpreted)."""
    monkeypatch.setattr(native, "CALLS_BEFORE_BUILD", 10**9)
    monkeypatch.setattr(native, "_calls", {})
    interval = sys.getswitchinterval()
    errors = []

    def count(thread):
        try:
            for i in range(30000):
                native.wanted(f"text {thread} {i}")
        except Exception as error:  # noqa: BLE001 - what the test looks for
            errors.append(error)

    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=count, args=(t,)) for t in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    assert len(native._calls) <= native._TRANSLATED_KEPT + 1


@pytest.mark.parametrize(
    "op, number",
    [("exp", "0x1.14d290ea7ad14p+8"), ("log", "0x1.65fbdc0224de1p+0"), ("tanh", "0x1.2266e4b4458dp+0")],
)
def test_a_function_of_a_constant_is_the_c_librarys_as_in_python(op, number):
    """`Value(c).exp()` inside fn is written `_exp(276.8225237417075)`: gcc computed exp of that constant while
    building, correctly rounded (0x1.4af3f2d9baafap+399), where math.exp gives the C library's
    0x1.4af3f2d9baaf9p+399. (The numbers: ones where the C library's last bit is not the correctly rounded one.)"""
    c = float.fromhex(number)
    w = Value(1.0)
    step = ko.compile(lambda xs: w * xs[0] * getattr(Value(c), op)(), [1.0])
    python_function, source = step._variant("forward")
    assert f"_{op}({c!r})" in source
    compiled = native.c_function(python_function, source, step._namespace)
    assert compiled is not None
    compiled.trusted = True
    expected = python_function([1.0], step.parameters, 1.0)
    assert compiled([1.0], step.parameters, 1.0).hex() == expected.hex()
    assert compiled.answered == 1


@pytest.mark.parametrize("body", ["return [1.0 / x0, x0 * 3.0]", "return (x0 * 2.0, 1.0 / x0)"])
def test_a_hand_over_while_making_the_answer_leaves_no_object_behind(body):
    """`[1.0 / x0, x0 * 3.0]` with x0 zero: the C code made the float of x0 * 3.0 (C evaluates a call's
    arguments in any order), then handed over at the division: one float lost per call."""
    source = f"def compiled(X, P, output_grad):\n    x0, = X\n    {body}\n"
    namespace = {}
    kernel, objects = kernel_of(source, namespace)
    for _ in range(100):
        assert kernel(objects, [0.0], [], 1.0) is NotImplemented
    before = sys.getallocatedblocks()
    for _ in range(10000):
        kernel(objects, [0.0], [], 1.0)
    assert sys.getallocatedblocks() - before < 1000


@pytest.mark.parametrize(
    "body",
    [
        "mk_n = x0 + 1.0\n    return x0 / mk_n",
        "mk_v = x0 + 1.0\n    return _log(mk_v)",
        "_n = x0 + 1.0\n    return x0 / _n",
        "_a = x0 + 1.0\n    return _log(_a)",
    ],
)
def test_a_python_name_that_is_a_name_of_the_c_code_keeps_the_program_python(body):
    """The Python function's variables are the C function's: one named as the C code's own was hidden by it.
    Before the C side's names all began with mk_, `x0 / _n` read MK_DIV's own _n (1.0 for 0.75) and `_log(_a)`
    an uninitialized number; now a text holding mk_ stays Python."""
    source = f"def compiled(X, P, output_grad):\n    x0, = X\n    {body}\n"
    namespace = {"_log": math.log, "_exp": math.exp}
    exec(source, namespace)  # noqa: S102
    python_function = namespace.pop("compiled")
    c = native.c_function(python_function, source, namespace)
    if c is not None:
        c.trusted = True
        assert c([3.0], [], 1.0) == python_function([3.0], [], 1.0)


def test_programs_of_one_text_each_get_a_c_form_if_their_own_rules_are_micrograd_kos():
    """erf's program and softplus's have one text (`v1 = _f0(v0)`); erf's rule is math.erf, not micrograd_ko's
    own, and the translation of the shared text was refused for it: softplus, compiled after it, then had no C
    form either. Each program's rules are now asked for that program."""
    u = [Value(0.3), Value(0.4)]
    steps = {op: ko.compile(lambda xs, op=op: getattr(u[0] * xs[0], op)() * u[1], [1.0]) for op in ("erf", "softplus")}
    (erf_function, erf_source), (softplus_function, softplus_source) = (s._variant("forward") for s in steps.values())
    assert erf_source == softplus_source
    assert native.c_function(erf_function, erf_source, steps["erf"]._namespace) is None
    c = native.c_function(softplus_function, softplus_source, steps["softplus"]._namespace)
    assert c is not None
    c.trusted = True
    assert c([0.7], steps["softplus"].parameters, 1.0) == softplus_function([0.7], steps["softplus"].parameters, 1.0)
    assert c.answered == 1


def test_two_threads_building_the_c_form_of_one_text_at_once_both_answer_as_python(monkeypatch):
    """Two programs of one text (two networks of one shape), each compiled and called in a thread of its own,
    their C form built at once in both threads (one builds, the other waits for it): every answer and every
    parameter as the generated Python function gives them, and both programs answered by the C code."""
    monkeypatch.setattr(native.build, "modules", {})  # (built anew here, by the two threads together)
    X, y = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [1.0, 1.0, 0.0]
    flat = [v for row in X for v in row] + y
    runs = {}

    def train(seed, with_c):
        model = nn.MLP(2, [4, 1], activation="tanh", init="he_normal", seed=seed)
        step = ko.compile(lambda xs, ts: ko.train._mean_loss(model, losses.mse, xs, ts)[0], X, y)
        python_function, source = step._variant("sgd")
        c = native.c_function(python_function, source, step._namespace) if with_c else python_function
        if with_c:
            c.trusted = True
        results = [c(flat, step.parameters, 1.0, 0.1) for _ in range(50)]
        runs[seed, with_c] = (results, [(p.data, p.grad) for p in step.parameters], getattr(c, "answered", 50))

    for seed in (1, 2):
        train(seed, False)
    threads = [threading.Thread(target=train, args=(seed, True)) for seed in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for seed in (1, 2):
        assert runs[seed, True][:2] == runs[seed, False][:2]
        assert runs[seed, True][2] == 50
    assert len(native.build.modules) == 1 and None not in native.build.modules.values()
