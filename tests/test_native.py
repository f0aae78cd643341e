"""The C form of compiled programs (`micrograd_ko/compiler/native/`): it answers exactly what the generated
Python function answers (the value, every parameter's `.data` and `.grad` bit for bit, the error class) or hands
the call to it. Random graphs over every op of the table and every loss, numbers at the float edges, and the
variants fit runs (a fused SGD step, a mini-batch); then fit itself with the C code built at once."""

import functools
import json
import math
import os
import struct
import subprocess
import sys
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import micrograd_ko as ko
from micrograd_ko import Value, datasets, losses, nn, optim
from micrograd_ko.compiler import CompileError, native
from micrograd_ko.testing import strategies as mst
from micrograd_ko.train import fit

pytestmark = pytest.mark.usefixtures("c_code_on")  # (conftest: the C form built at once; the suite runs without)


def bits(x):
    return struct.pack("d", x) if type(x) is float else repr(x)


def outcome(call, params):
    """(result or error class, every parameter's data and grad as bits) after `call()`."""
    try:
        result = call()
        result = repr(result) if not isinstance(result, float) else bits(result)
    except Exception as error:  # noqa: BLE001 - the error class is part of what must agree
        result = type(error)
    return result, [(bits(p.data), bits(p.grad)) for p in params]


def both(step, variant):
    """(the generated Python function, its C form) of a compiled function's variant; the C form trusted from
    its first call (these tests are its check, not the one it makes of itself on its first answer)."""
    python_function, source = step._variant(variant)
    c = native.c_function(python_function, source, step._namespace)
    if c is not None:
        c.trusted = True
    return python_function, c


def agree(python_function, c, args, params, state):
    """Run both on the same parameter state; they must agree. Returns whether the C code answered."""

    def restore():
        for p, (d, g) in zip(params, state):
            p.data, p.grad = d, g

    restore()
    expected = outcome(lambda: python_function(*args), params)
    restore()
    before = c.answered
    got = outcome(lambda: c(*args), params)
    assert got == expected
    return c.answered > before


FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@st.composite
def cases(draw):
    n_inputs = draw(st.integers(1, 2))
    n_params = draw(st.integers(1, 3))
    expr = draw(mst.expressions(n_inputs=n_inputs + n_params, max_nodes=8, guard_domains=draw(st.booleans())))
    numbers = mst.values(-3.0, 3.0) if draw(st.booleans()) else mst.values()
    example = draw(st.lists(numbers, min_size=n_inputs, max_size=n_inputs))
    params = draw(st.lists(numbers, min_size=n_params, max_size=n_params))
    calls = draw(
        st.lists(
            st.tuples(
                st.lists(numbers, min_size=n_inputs, max_size=n_inputs),
                st.lists(numbers, min_size=n_params, max_size=n_params),
                st.lists(st.sampled_from([0.0, -0.0, 0.5, -2.0, 1e308]), min_size=n_params, max_size=n_params),
            ),
            min_size=3,
            max_size=6,
        )
    )
    return expr, n_inputs, example, params, calls


def compiled_case(case):
    """A case of `cases()` compiled, or None where compile refuses it."""
    expr, n_inputs, example, param_values, calls = case
    params = [Value(v) for v in param_values]
    try:
        return ko.compile(lambda xs: expr(*xs, *params), example)
    except (CompileError, ArithmeticError, ValueError, TypeError, RuntimeError):
        return None


def random_graph_agrees(case, variants, translated=lambda text: None):
    """Compile a case of `cases()` (unless compile refuses it) and run each variant's calls both ways: they must
    agree. `translated(C text)` is asked of each variant that has a C form."""
    step, calls = compiled_case(case), case[-1]
    if step is None:
        return
    for variant, extra in variants:
        python_function, c = both(step, variant)
        if c is None:
            continue
        translated(native.translate(step._variant(variant)[1], step._namespace)[0])
        for xs, data, grads in calls:
            state = list(zip(data, grads))
            agree(python_function, c, (xs, step.parameters, 1.0, *extra), step.parameters, state)


@FUZZ
@given(cases())
def test_c_code_answers_what_the_generated_python_answers(case):
    random_graph_agrees(case, (("full", ()), ("forward", ()), ("sgd", (0.25,))))


def xor_step(activation="relu", width=5, loss=losses.bce_with_logits):
    model = nn.MLP(2, [width] * 4 + [1], activation=activation, init="he_normal", seed=3)
    X, y = datasets.xor()
    targets = [2.0 * t - 1.0 if loss is losses.hinge else float(t) for t in y]  # hinge: labels -1 and +1
    step = ko.compile(lambda xs, ts: ko.train._mean_loss(model, loss, xs, ts)[0], X, targets)
    flat = [v for row in X for v in row] + targets
    return step, flat


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh", "leaky_relu"])
@pytest.mark.parametrize("loss", [losses.bce_with_logits, losses.mse, losses.hinge])
def test_a_deep_xor_step_in_c_equals_the_python_step(activation, loss):
    step, flat = xor_step(activation, loss=loss)
    params = step.parameters
    start = [(p.data, p.grad) for p in params]
    answered = 0
    for variant, extra in (("sgd", (0.1,)), ("full", ()), ("forward", ())):
        python_function, c = both(step, variant)
        if c is None:
            continue
        for scale, held in ((1.0, 0.0), (-3.0, 0.25), (1e150, 0.0), (0.0, -0.0), (math.inf, 0.0)):
            state = [(d * scale, held) for d, _ in start]
            answered += agree(python_function, c, (flat, params, 1.0, *extra), params, state)
    assert answered >= 6  # the C code answered the ordinary calls itself (it may hand over the edge ones)


def test_the_batch_variant_in_c_equals_the_python_batch():
    step, flat = xor_step()
    python_function, c = both(step, "batch")
    if c is None:
        pytest.skip("not translated")
    params = step.parameters
    state = [(p.data, 0.0) for p in params]
    assert agree(python_function, c, ([flat, flat], params, 0.5), params, state)


@pytest.mark.parametrize(
    "activation, loss, batch_size, optimizer",
    [
        ("relu", "bce_with_logits", None, "sgd"),
        ("sigmoid", "mse", 2, "sgd"),
        ("tanh", "bce_with_logits", None, "adam"),
    ],
)
def test_fit_with_the_c_code_built_at_once_gives_the_interpreted_history(activation, loss, batch_size, optimizer):
    X, y = datasets.xor()
    runs = {}
    built_before = len(native.build.modules)
    for compiled in (False, True):
        model = nn.MLP(2, [5, 5, 5, 1], activation=activation, init="he_normal", seed=1)
        opt = optim.SGD(model.parameters(), lr=0.1) if optimizer == "sgd" else optim.Adam(model.parameters(), lr=0.01)
        history = fit(
            model,
            X,
            y,
            loss=loss,
            optimizer=opt,
            epochs=60,
            batch_size=batch_size,
            seed=5,
            compile=compiled,
            progress=False,
        )
        runs[compiled] = (history["loss"], [bits(p.data) for p in model.parameters()])
    assert runs[True] == runs[False]
    assert len(native.build.modules) > built_before or native.build.modules  # the C code was built (or found built)


def test_the_c_code_is_used_in_fit(monkeypatch):
    """fit's steps after the first are answered by the C code (a spy on the C functions made)."""
    made = []
    real = native.c_function

    def spy(*args):
        c = real(*args)
        made.append(c)
        return c

    monkeypatch.setattr(native, "c_function", spy)
    X, y = datasets.xor()
    model = nn.MLP(2, [5, 5, 1], activation="relu", init="he_normal", seed=2)
    fit(model, X, y, loss="bce_with_logits", optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=40,
           compile=True, progress=False)  # fmt: skip
    assert any(c is not None and c.answered >= 30 for c in made)


def test_a_learners_own_rule_keeps_the_program_in_python():
    """A rule that is not micrograd_ko's own may do anything (print, draw random numbers); the C code, which may
    call it and then hand the call over, would call it twice: no C form."""
    from micrograd_ko.engine import Op

    twice = Op("twice", lambda xs, out: (2.0,), forward=lambda xs: 2.0 * xs[0])
    w = Value(0.5)
    step = ko.compile(lambda x: twice.apply([w * x]), 1.0)
    _, c = both(step, "full")
    assert c is None


def test_fsum_in_c_is_math_fsum():
    """mk_fsum against math.fsum on sums that need the half-even correction and many partials."""
    w = [Value(1.0) for _ in range(6)]
    step = ko.compile(lambda xs: ko.engine.dot(w, [x * 1.0 for x in xs]), [1.0] * 6)
    python_function, c = both(step, "forward")
    if c is None:
        pytest.skip("not translated")
    cases_ = [[1e-16, 1.0, 1e16, 0.0, 0.0, 0.0], [1e100, 1.0, -1e100, 1e-100, 1e50, -1.0], [0.1] * 6, [-0.0] * 6,
              [2.0**53, 1.0, -(2.0**-53), 0.0, 0.0, 1.0], [1e308, 1e308, -1e308, 0.0, 0.0, 0.0]]  # fmt: skip
    for xs in cases_:
        agree(python_function, c, (xs, step.parameters, 1.0), step.parameters, [(p.data, p.grad) for p in w])


def test_a_c_form_that_disagrees_on_its_first_answer_is_never_used():
    """The C form checks itself: its first answer is compared with the Python function's, from the same state.
    Here the Python function is made to differ in the last bit: the C form answers as Python does, then and
    on every later call, and never answers itself."""
    step, flat = xor_step()
    python_function, source = step._variant("sgd")

    def off_by_a_bit(*args):
        result, updated = python_function(*args)
        return math.nextafter(result, math.inf), updated

    c = native.c_function(off_by_a_bit, source, step._namespace)
    assert c is not None
    params = step.parameters
    start = [(p.data, p.grad) for p in params]
    for _ in range(3):
        expected = outcome(lambda: off_by_a_bit(flat, params, 1.0, 0.1), params)
        for p, (d, g) in zip(params, start):
            p.data, p.grad = d, g
        assert outcome(lambda: c(flat, params, 1.0, 0.1), params) == expected
        for p, (d, g) in zip(params, start):
            p.data, p.grad = d, g
    assert c.disagreed and not c.trusted and c.answered == 0


def test_a_c_form_that_agrees_on_its_first_answer_answers_from_then_on():
    step, flat = xor_step()
    python_function, source = step._variant("sgd")
    c = native.c_function(python_function, source, step._namespace)
    params = step.parameters
    start = [(p.data, p.grad) for p in params]
    state = [(d, 0.0) for d, _ in start]
    for _ in range(3):
        agree(python_function, c, (flat, params, 1.0, 0.1), params, state)
    assert c.trusted and c.answered == 2  # (the first answer was the Python function's, checked against it)


def test_a_mini_batch_call_counts_once_per_sample(monkeypatch):
    """A batch variant runs the per-sample lines once per sample: fit's mini-batch of 32 digits is 32 calls'
    work, so a text is built after CALLS_BEFORE_BUILD samples, not that many batches."""
    monkeypatch.setattr(native, "CALLS_BEFORE_BUILD", 100)
    asked = []
    monkeypatch.setattr(native, "faster", lambda function, source, namespace, install: asked.append(source))
    w = Value(0.5)
    step = ko.compile(lambda x: (w * x).tanh(), 1.0)
    flats = [[0.25 * k] for k in range(40)]
    for _ in range(2):
        assert step.fast_batch(flats) is not None
    assert asked == []  # 80 samples
    step.fast_batch(flats)
    assert len(asked) == 1  # 120 samples: its C form is asked for


def test_one_call_over_many_samples_starts_no_build(monkeypatch):
    """A single prediction over a large grid (a drawing of the decision boundary) counts its samples but asks
    for no C form: one call is no sign of more. A second call does."""
    monkeypatch.setattr(native, "CALLS_BEFORE_BUILD", 100)
    asked = []
    monkeypatch.setattr(native, "faster", lambda function, source, namespace, install: asked.append(source))
    w = Value(0.75)
    step = ko.compile(lambda x: (w * x).sigmoid(), 1.0, gradients=False)
    grid = [[0.01 * k] for k in range(300)]
    assert step.fast_forward_batch(grid) is not None
    assert asked == []
    step.fast_forward_batch(grid[:10])
    assert len(asked) == 1


def test_a_program_its_caller_expects_to_run_long_is_built_from_its_first_call(monkeypatch):
    """fit knows how long its run is: a variant expected to run CALLS_BEFORE_BUILD samples or more asks for its C
    form at its first call; one expected to run fewer counts its calls as before."""
    monkeypatch.setattr(native, "CALLS_BEFORE_BUILD", 100)
    asked = []
    monkeypatch.setattr(native, "faster", lambda function, source, namespace, install: asked.append(source))
    for expected, wanted_at_once in ((100, True), (99, False)):
        w = Value(0.5 + expected)  # (another text each time)
        step = ko.compile(lambda x, w=w: (w * x * float(expected)).tanh(), 1.0)
        step.expected_calls = {"batch": expected}
        asked.clear()
        step.fast_batch([[0.25]])
        assert bool(asked) == wanted_at_once
        step.fast_forward_batch([[0.25]])  # (another variant: not expected to run long)
        assert len(asked) == int(wanted_at_once)


def test_the_c_form_is_built_in_a_thread_of_its_own(monkeypatch):
    """Outside the tests' `sync` setting the build runs in a background thread, and its C form is then used."""
    monkeypatch.delenv(native.ENV, raising=False)
    w = Value(0.5)
    step = ko.compile(lambda x: (w * x).tanh(), 1.0)
    step(0.25)  # (counted: asks for the C form, built in a thread of its own)
    builds = [t for t in threading.enumerate() if t.name == "micrograd_ko C build"]
    for t in builds:
        t.join(timeout=120)
    for x in (0.5, 0.75, 1.0):
        assert step(x) == (w * x).tanh().data
    function = step._variant("full")[0]
    assert getattr(function, "answered", 0) >= 2  # the C form answered after its first (checked) answer


# -- built modules kept on disk (native/build.py) --

NEXT_PROCESS = """
import json
import sys
from micrograd_ko.compiler import native
from micrograd_ko.compiler.native import build
import micrograd_ko as ko
from micrograd_ko import Value

if sys.argv[1] == "first":
    native.CALLS_BEFORE_BUILD = 0
if sys.argv[1] == "another version":  # (a record made by another micrograd_ko, Python or compiler)
    build._made_by = lambda: "another"
runs, translated = [], []
real, real_text = build._compile, native.c_text
build._compile = lambda *args: runs.append(1) or real(*args)
native.c_text = lambda *args: translated.append(1) or real_text(*args)
w = Value(0.5)
step = ko.compile(lambda x: (w * x).tanh(), 1.0)
out = [step(0.1 * k) for k in range(20)]
answered = getattr(step._variant("full")[0], "answered", 0)
print(json.dumps([len(runs), answered, [x.hex() for x in out], len(translated)]))
"""


def test_a_built_module_is_kept_on_disk_and_loaded_by_the_next_process(tmp_path):
    """The next run of a program built before uses its C form from the first call, loaded from the cache
    directory without running the compiler, with the same numbers (its default threshold of calls unmet)."""
    env = {**os.environ, native.ENV: "sync", "MICROGRAD_KO_CACHE": str(tmp_path / "cache")}
    runs = []
    for which in ("first", "next", "another version"):
        done = subprocess.run([sys.executable, "-c", NEXT_PROCESS, which], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        runs.append(json.loads(done.stdout))
    (first_builds, first_answered, first_out, first_translated), next_run, other_run = runs
    assert first_builds == 1 and first_answered >= 15 and first_translated == 1
    # loaded, not built, and not translated either (its record names the module); wanted from its first call
    assert next_run[0] == 0 and next_run[1] >= 15 and next_run[3] == 0
    # a record another version made is not trusted: translated again (the same C text: loaded, not built)
    assert other_run[0] == 0 and other_run[1] >= 15 and other_run[3] == 1
    assert next_run[2] == other_run[2] == first_out == [math.tanh(0.5 * (0.1 * k)).hex() for k in range(20)]
    kept = os.listdir(tmp_path / "cache")
    assert sum(name.startswith("_mk_native_") for name in kept) == 1
    assert not [name for name in kept if name.startswith("building-")]


def test_with_the_cache_off_nothing_is_kept(monkeypatch, tmp_path):
    monkeypatch.setenv("MICROGRAD_KO_CACHE", "0")
    assert not native.build.directory().startswith(str(tmp_path))
    monkeypatch.setenv("MICROGRAD_KO_CACHE", str(tmp_path))
    assert native.build.directory() == str(tmp_path)


def test_a_failed_build_leaves_nothing_on_disk(monkeypatch, tmp_path):
    monkeypatch.setenv("MICROGRAD_KO_CACHE", str(tmp_path))
    assert native.build.module("this is not C;", "_mk_native_broken") is None
    assert os.listdir(tmp_path) == []


def test_the_modules_used_longest_ago_are_removed(monkeypatch, tmp_path):
    monkeypatch.setattr(native.build, "KEPT_ON_DISK", 2)
    for k in range(4):
        for kind in ("_mk_native_", "source-", "building-"):
            path = tmp_path / f"{kind}{k}"
            path.write_text("")
            os.utime(path, (10_000 * k, 10_000 * k))  # (old: the building- files are stale)
    native.build._forget_the_oldest(str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == ["_mk_native_2", "_mk_native_3", "source-2", "source-3"]


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_a_program_too_large_for_the_stack_keeps_its_numbers_in_memory_of_its_own(monkeypatch, activation):
    """A program whose numbers would not surely fit on a thread's stack (fit's mini-batch of ten digits through
    a 64-32-32-32-10 network: 28,000 lines) keeps them in a block of memory taken per call; the same answers."""
    step, flat = xor_step(activation)
    params = step.parameters
    start = [(p.data, p.grad) for p in params]
    answered = 0
    monkeypatch.setattr(native.translator, "_LARGEST_FRAME", 8)  # (every program is too large for it now)
    monkeypatch.setattr(native, "_translated", {})
    for variant, extra in (("sgd", (0.1,)), ("full", ()), ("forward", ())):
        python_function, source = step._variant(variant)
        assert "PyMem_Free(mk_F)" in native.translate(source, step._namespace)[0]
        python_function, c = both(step, variant)
        for scale, held in ((1.0, 0.0), (-3.0, 0.25), (1e150, 0.0), (math.inf, 0.0)):
            state = [(d * scale, held) for d, _ in start]
            answered += agree(python_function, c, (flat, params, 1.0, *extra), params, state)
    assert answered >= 6


def test_a_program_too_long_to_build_quickly_stays_python(monkeypatch):
    step, _ = xor_step()
    python_function, source = step._variant("full")
    monkeypatch.setattr(native, "_translated", {})
    monkeypatch.setattr(native.translator, "_LARGEST_SOURCE", len(source) - 1)
    assert native.c_function(python_function, source, step._namespace) is None
    monkeypatch.setattr(native.translator, "_LARGEST_SOURCE", len(source))
    monkeypatch.setattr(native, "_translated", {})
    assert native.c_function(python_function, source, step._namespace) is not None


# (the build thread ends the process the moment the compiler's process is started, as a run ending then would)
EXIT_ONCE_THE_COMPILER_RUNS = """
import os, subprocess, threading, types
if sys.argv[1] == "exit at once":
    def start_and_exit(args, **options):  # (the builder, handed its C text, then the end)
        builder = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        builder.stdin.write(options["input"])
        builder.stdin.close()
        os._exit(0)
    build.subprocess = types.SimpleNamespace(run=start_and_exit, SubprocessError=subprocess.SubprocessError,
                                             DEVNULL=subprocess.DEVNULL)
"""


def test_a_build_still_running_when_python_exits_is_finished_for_the_next_run(tmp_path):
    """A short run asks for a build near its end and exits: the compiler's run and the rename into place go on
    without it, and the next run loads the module from its first call."""
    cache = tmp_path / "cache"
    env = {**os.environ, native.ENV: "1", "MICROGRAD_KO_CACHE": str(cache)}  # (built in a thread of its own)
    script = NEXT_PROCESS.replace('if sys.argv[1] == "first":', 'if sys.argv[1] == "exit at once":')
    script = script.replace("runs, translated = [], []", EXIT_ONCE_THE_COMPILER_RUNS + "runs, translated = [], []")
    assert "start_and_exit" in script
    script = script.replace("out = [step(0.1 * k) for k in range(20)]", "out = [step(0.1 * k) for k in range(20)]\n"
                            "if sys.argv[1] == 'exit at once':\n    threading.Event().wait(60)")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", script, "exit at once"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for _ in range(300):  # (the build goes on in a process of its own)
        if any(name.startswith("_mk_native_") for name in os.listdir(cache)):
            break
        time.sleep(0.1)
    env[native.ENV] = "sync"
    done = subprocess.run([sys.executable, "-c", script, "next"], env=env, capture_output=True, text=True)
    builds, answered, _, _ = json.loads(done.stdout)
    assert builds == 0 and answered >= 15


@pytest.mark.parametrize("optimizer", ["sgd", "momentum"])
@pytest.mark.parametrize("c_compiler", [True, False])
def test_a_long_run_with_a_c_compiler_goes_sample_by_sample(monkeypatch, c_compiler, optimizer):
    """Where a C compiler is at hand, every batch of a long run trains sample by sample (one sample's program,
    a loop over the batch in C), plain SGD fused into the call (variant 'batch_sgd'); without one, whole batches.
    Either way the history and the weights are the interpreted ones, bit for bit."""
    from micrograd_ko import train

    if not c_compiler:
        monkeypatch.setenv(native.ENV, "0")
    monkeypatch.setattr(train._CompiledBatches, "LONG_RUN", 10)
    made, variants = [], []
    original, variant = train._CompiledBatches.__init__, ko.compiler.CompiledFunction._variant
    monkeypatch.setattr(train._CompiledBatches, "__init__", lambda self, *a: original(self, *a) or made.append(self))
    monkeypatch.setattr(
        ko.compiler.CompiledFunction,
        "_variant",
        lambda self, name, *a: variants.append(name) or variant(self, name, *a),
    )
    X, y = datasets.moons(30, noise=0.1, seed=3)  # batches of 8: 3 of 8, and one of 6
    histories = []
    for compiled in (True, False):
        model = nn.MLP(2, [4, 4, 1], activation="tanh", init="xavier_uniform", seed=4)
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9 if optimizer == "momentum" else 0.0)
        history = fit(model, X, y, loss="mse", optimizer=opt, epochs=15, batch_size=8, compile=compiled, seed=1,
                      progress=False)  # fmt: skip
        histories.append((history["loss"], [bits(p.data) for p in model.parameters()]))
    assert histories[0] == histories[1]
    assert (made[0].programs == {8: None, 6: None}) == c_compiler
    fused = "batch_sgd" if c_compiler else "sgd"
    assert (variants.count(fused) >= 50) == (optimizer == "sgd")


def kernel_of(source, namespace):
    """(the C function of a hand-written generated-style `source`, the Python function) for the tests below."""
    from micrograd_ko.compiler.native import build

    text, name, names = native.translate(source, namespace)
    exec(source, namespace)  # noqa: S102
    kernel = build.module(text, name).compiled
    objects = tuple(namespace[n] for n in names)
    return lambda *args: kernel(objects, *args), namespace["compiled"]


class Logged:
    """A parameter whose `.grad` is a property: each read and write is logged, so the order is seen."""

    log: list = []

    def __init__(self, data, grad):
        self.data, self._grad = data, grad

    @property
    def grad(self):
        Logged.log.append(("read", self))
        return self._grad

    @grad.setter
    def grad(self, value):
        if value == 13.0:
            raise ValueError("13")
        Logged.log.append(("write", self, value))
        self._grad = value


READS_THEN_WRITES = """def compiled(X, P, output_grad):
    x0, = X
    p0 = P[0].data
    p1 = P[1].data
    v0 = p0 * x0
    v1 = (_s := v0 + p1) * _s + (_s := v0 - p1) * _s
    t0 = P[0].grad + v1
    t1 = P[1].grad + v0
    P[0].grad = t0
    P[1].grad = t1
    return v1 * output_grad
"""


@pytest.mark.parametrize("x", [1.5, 18.0, -2.0])
def test_grads_read_in_one_pass_and_writes_made_by_one_call_keep_pythons_order_and_errors(x):
    """The C code reads every `.grad` it needs at its start, in the function's order, and makes a run of writes
    with one call: a property sees the same reads and writes in the same order, and a write that raises
    (P[1].grad = 13.0 at x = 18.0) leaves what Python's own writes leave. The line with two `:=` of one name is
    evaluated left to right, as Python does (C's order of the two sides of `+` is its own)."""
    runs = []
    for f in kernel_of(READS_THEN_WRITES, {}):
        P = [Logged(0.5, 1.0), Logged(-1.5, 4.0)]
        Logged.log = []
        try:
            result = f([x], P, 1.0)
        except ValueError as error:
            result = repr(error)
        runs.append((result, [(P.index(e[1]), *e[:1], *e[2:]) for e in Logged.log], [(p.data, p._grad) for p in P]))
    assert runs[0] == runs[1]
    assert [e[:2] for e in runs[0][1][:2]] == [(0, "read"), (1, "read")]
    if x == 18.0:
        assert runs[0][0] == "ValueError('13')" and runs[0][2][0][1] != 1.0  # P[0] written, then the error


@pytest.mark.parametrize(
    ("expression", "matters"),
    [
        ("(_s := a * b) * _s", True),  # the right side reads what the left assigns
        ("_s * (_s := a * b)", True),  # the left reads the name before the right assigns it
        ("(_s := a) + (_s := b)", True),
        ("a * (_t := _exp(b))", False),  # nothing read across: either order gives the same
        ("_exp(a) + _tanh(b)", False),  # the C library's functions, no Python code
        ("_f0(a) + _df1(b)", True),  # two rules of Python's: which error is raised first
        ("a + b", False),
    ],
)
def test_the_two_sides_of_an_operation_keep_pythons_order_only_where_it_can_matter(expression, matters):
    import ast

    from micrograd_ko.compiler.native.translator import _order_matters

    node = ast.parse(expression, mode="eval").body
    assert _order_matters(node.left, node.right) is matters


def test_a_fused_batch_whose_mean_loss_is_beyond_the_floats_is_undone_and_raised_as_the_engine_raises(monkeypatch):
    """A batch served sample by sample, SGD fused (variant 'batch_sgd'): each sample's loss fits a float, their
    sum does not (a bias of 1.2e154, set by the accuracy function after the program was trusted). The fused call
    has stepped already; fit undoes it, and the engine's step raises. Weights and gradients as compile=False."""
    from micrograd_ko import train

    monkeypatch.setattr(train._CompiledBatches, "LONG_RUN", 2)
    undone = []
    real_sum = train._sum_of_losses

    def summed(results):
        try:
            return real_sum(results)
        except OverflowError:
            undone.append(sys._getframe(1).f_code.co_name)
            raise

    monkeypatch.setattr(train, "_sum_of_losses", summed)
    X, y = [[1.0], [0.5], [-0.5], [0.25]] * 2, [0.0] * 8
    outcomes = []
    for compiled in (True, False):
        model = nn.MLP(1, [1], seed=0)
        calls = []

        def accuracy(p, t):
            calls.append(1)
            if len(calls) == 9:  # after the second epoch's (first fused) step
                model.parameters()[-1].data = 1.2e154
            return True

        with pytest.raises(FloatingPointError):
            fit(model, X, y, loss="mse", optimizer=optim.SGD(model.parameters(), lr=1e-160), epochs=3, batch_size=8,
                shuffle=False, compile=compiled, progress=False, accuracy=accuracy)  # fmt: skip
        outcomes.append([(bits(p.data), bits(p.grad)) for p in model.parameters()])
    assert outcomes[0] == outcomes[1]
    assert undone[0] == "_fused"


EDGES = [0.0, -0.0, 1.0, -1.0, 2.5, 40.0, -40.0, 700.0, -745.5, -746.0, 1e308, -1e308, 5e-324, 1e-320]


def loss_program(loss, n):
    """A compiled `t -> loss(w, t)` whose predictions are the n parameters themselves, with its C form (the loss's
    rule computed in C: the C text calls runtime.c's function for it, no Python)."""
    w = [Value(0.1 * k) for k in range(n)]  # (probabilities, for bce)
    if loss == "cross_entropy":
        step = ko.compile(lambda t: losses.cross_entropy(w, t), 0)
    else:
        step = ko.compile(lambda t: getattr(losses, loss)(w, t), [0.5] * n)
    python_function, c = both(step, "full")
    text = native.translate(step._variant("full")[1], step._namespace)[0]
    assert f"mk_{loss}(" in text and "PyObject_CallOneArg" not in text
    return step, python_function, c, w


@FUZZ
@given(
    st.sampled_from(["mse", "bce", "cross_entropy"]),
    st.integers(1, 8),
    st.lists(
        st.lists(st.one_of(st.sampled_from(EDGES), mst.values(-40.0, 3.0)), min_size=8, max_size=8),
        min_size=3,
        max_size=6,
    ),  # fmt: skip
    st.lists(st.sampled_from([0.0, -0.0, 1.0, 0.25, 1.5, 2.0, 3.0, -1.0, 0.5]), min_size=6, max_size=6),
)
def test_a_loss_rule_in_c_answers_what_python_answers(loss, n, rows, targets):
    """mse, bce and cross-entropy computed by runtime.c (value, every slope, hence every gradient) against the
    rules of losses.py, at the float edges (ties for the largest logit, ±0, underflowing exponentials,
    overflowing gaps, targets and class indices out of range or not integers): the same bits, or a hand-over."""
    step, python_function, c, _ = loss_program(loss, n)
    for k, row in enumerate(rows):
        data = row[:n]
        if loss == "bce":
            data = [abs(x) / (1.0 + abs(x)) if abs(x) <= 1e300 else 1.0 for x in data]  # probabilities, 0 and 1 too
        target = targets[k] if loss == "cross_entropy" else [targets[(k + j) % 6] for j in range(n)]
        flat = [target] if loss == "cross_entropy" else target
        agree(python_function, c, (flat, step.parameters, 1.0), step.parameters, [(d, 0.0) for d in data])


@pytest.mark.parametrize("loss", ["mse", "bce", "cross_entropy"])
def test_a_loss_rule_in_c_answers_ordinary_calls(loss):
    """The C rule answers (no hand-over) ordinary calls, and sums as Python does: cross-entropy of [0, 0, -37, -37]
    for class 0 sums 1 + 8.5e-17 + 8.5e-17 with fsum, 1.0000000000000002 (1.0 added one at a time)."""
    step, python_function, c, w = loss_program(loss, 4)
    rows = [([0.1 * k, 0.3, 0.9 - 0.05 * k, 0.2], k % 4) for k in range(10)] + [([0.0, 0.0, -37.0, -37.0], 0)]
    answered = 0
    for data, k in rows:
        if loss == "bce":
            data = [min(abs(d), 1.0) for d in data]
        flat = [float(k)] if loss == "cross_entropy" else [0.0, 1.0, 0.5, 1e-16]
        state = [(data[w.index(p)], 0.0) for p in step.parameters]  # (the parameters in the program's order)
        answered += agree(python_function, c, (flat, step.parameters, 1.0), step.parameters, state)
    assert answered == len(rows)


def test_a_record_made_before_a_loss_constant_changed_is_not_loaded(monkeypatch, tmp_path):
    """A record names the module built from the C text the translator wrote then; that text holds numbers the
    translator took from losses.py and engine.py (bce's clamp 1e-12 and -100, the exponential's underflow), not
    from translator.py or runtime.c. A later micrograd_ko whose bce clamps p (1 - p) at 1e-6 instead (simulated
    here: the constant and the translator's table changed, a new process's caches empty) must not load the old
    module from the record: its C rule would divide by the old clamp where the Python rule divides by the new one.
    The first call (p = 0.5) agrees either way, so the first-answer check cannot tell."""
    from micrograd_ko.compiler.native import build, translator

    monkeypatch.setenv("MICROGRAD_KO_CACHE", str(tmp_path))
    step, python_function, c, _ = loss_program("bce", 1)
    source = step._variant("full")[1]
    assert build.recorded(source) is not None  # (recorded by the run before)

    monkeypatch.setattr(losses, "_BCE_EPS", 1e-6)
    table = {**translator._RULES_IN_C, "bce": (*translator._RULES_IN_C["bce"][:3], (losses._BCE_LOG_MIN, 1e-6))}
    monkeypatch.setattr(translator, "_RULES_IN_C", table)
    monkeypatch.setattr(native, "_translated", {})  # (a new process: nothing translated yet)
    build._made_by.cache_clear()
    monkeypatch.setattr(build, "_made_by", functools.lru_cache(maxsize=1)(build._made_by.__wrapped__))
    new = native.c_function(python_function, source, step._namespace)
    assert new is not None
    params = step.parameters
    for p in (0.5, 1e-8):  # the first answer agrees, then p (1 - p) is under the new clamp
        for p_ in params:
            p_.data, p_.grad = p, 0.0
        expected = outcome(lambda: python_function([0.0], params, 1.0), params)
        for p_ in params:
            p_.data, p_.grad = p, 0.0
        got = outcome(lambda: new([0.0], params, 1.0), params)
        assert got == expected


def test_a_record_that_names_another_programs_module_is_not_loaded(monkeypatch, tmp_path):
    """The record beside a text names the module to load without translating. One that names another text's
    module (the file edited, or copied from another mark) must not make that module this program's C form: here
    tanh(w x) would be answered with w x's numbers from the second call on (at x = 0 both give 0 and the slope
    0, so the first-answer check agrees)."""
    from micrograd_ko.compiler.native import build

    monkeypatch.setenv("MICROGRAD_KO_CACHE", str(tmp_path))
    w, v = Value(0.5), Value(0.5)
    squashed, plain = ko.compile(lambda x: (w * x).tanh(), 0.3), ko.compile(lambda x: v * x, 0.3)
    python_function, _ = both(squashed, "full")
    both(plain, "full")
    source, other = squashed._variant("full")[1], plain._variant("full")[1]
    with open(build._mark(other)) as file:
        entry = json.load(file)
    with open(build._mark(source), "w") as file:
        json.dump(entry, file)
    monkeypatch.setattr(native, "_translated", {})  # (a new process: nothing translated yet)
    c = native.c_function(python_function, source, squashed._namespace)
    params = squashed.parameters
    for x in (0.0, 0.7):
        runs = []
        for f in (python_function, c):
            params[0].data, params[0].grad = 0.5, 0.0
            runs.append(outcome(lambda: f([x], params, 1.0), params))
        assert runs[0] == runs[1]


@FUZZ
@given(cases(), st.integers(1, 3), st.sampled_from([0.25, 3.0, 1e300, 1e-300]), st.sampled_from([1.0, -0.0, 1e300]))
def test_the_batch_variants_in_c_answer_what_the_generated_python_answers(case, size, lr, output_grad):
    """Random graphs through the loop variants: 'batch' (gradients added onto what they hold) and 'batch_sgd'
    (zero_grad, the loop, SGD's step; a step beyond the floats writes the gradients only), over 1 to 3 samples."""
    step, calls = compiled_case(case), case[-1]
    if step is None:
        return
    for variant, extra in (("batch", ()), ("batch_sgd", (lr,))):
        python_function, c = both(step, variant)
        if c is None:
            continue
        for k, (_, data, grads) in enumerate(calls):
            samples = [calls[(k + j) % len(calls)][0] for j in range(size)]
            args = (samples, step.parameters, output_grad, *extra)
            agree(python_function, c, args, step.parameters, list(zip(data, grads)))


def watched_property(name, refused, error):
    """A property kept in the slot `_name`, each read and write logged (while `Watched.on`); a write of a number
    `refused(value)` says no to raises `error`."""
    slot = "_" + name

    def read(self):
        if Watched.on:
            Watched.log.append((f"read {name}", self))
        return getattr(self, slot)

    def write(self, value):
        if Watched.on:
            Watched.log.append((f"write {name}", self, value))
        if refused(value):
            raise error(value)
        setattr(self, slot, value)

    return property(read, write)


class Watched(Value):
    """A parameter whose `.data` and `.grad` are properties: each read and write is logged (while `on`), a
    `.grad` of 13.0 or nan refuses to be written, a `.data` of 7.0 too."""

    __slots__ = ("_grad", "_data")
    log: list = []
    on = False
    data = watched_property("data", lambda value: value == 7.0, KeyError)
    grad = watched_property("grad", lambda value: value == 13.0 or value != value, ValueError)


@pytest.mark.parametrize("loss", ["mse", "bce", "cross_entropy"])
@pytest.mark.parametrize("variant", ["full", "sgd", "batch", "batch_sgd"])
def test_a_loss_in_c_over_parameters_with_properties_keeps_pythons_reads_writes_and_errors(loss, variant):
    """Parameters whose `.data` and `.grad` are properties, through a loss computed in C, in every variant that
    writes: the same answer or error, the same writes in the same order (a write refused midway through a run
    of writes leaves what Python's leaves), the same numbers left in the parameters."""
    Watched.on = False
    w = [Watched(0.1 * (k + 1)) for k in range(3)]
    for p in w:
        p.grad = 0.0
    if loss == "cross_entropy":
        step = ko.compile(lambda t: losses.cross_entropy([p * 2.0 for p in w], t), 0.0)
        rows = [[0.0], [1.0], [2.0]]
    else:
        step = ko.compile(lambda t: getattr(losses, loss)([p * 0.5 for p in w], t), [0.5] * 3)
        rows = [[0.0, 1.0, 0.5], [1.0, 1.0, 0.0], [0.25, 0.0, 1.0]]
    extra = (0.5,) if "sgd" in variant else ()
    python_function, c = both(step, variant)
    assert c is not None
    P = step.parameters
    Watched.on = True
    try:
        for grads in ([0.0, 0.0, 0.0], [13.0, 1.0, 2.0], [1.0, 12.0, 3.0], [math.nan, 0.0, 0.0], [1, 0.0, 0.0]):
            for row in rows:
                for output_grad in (1.0, 4.0, -2.0):
                    args = ([row, row] if variant.startswith("batch") else row, P, output_grad, *extra)
                    runs = []
                    for f in (python_function, c):
                        for p, g, d in zip(P, grads, (0.5, 0.25, 1.5)):
                            p._grad, p._data = g, d
                        Watched.log = []
                        result = outcome(lambda: f(*args), [])[0]  # noqa: B023 - called at once
                        writes = [(e[0], P.index(e[1]), *e[2:]) for e in Watched.log if e[0].startswith("write")]
                        runs.append(
                            (
                                result,
                                [bits(x) for x in writes for x in x[2:]],
                                writes,
                                [(bits(p._data), bits(p._grad)) for p in P],
                            )
                        )
                    assert runs[0] == runs[1]
    finally:
        Watched.on = False
    assert c.answered > 0
