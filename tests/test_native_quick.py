"""What makes the C form quick to build and quick to use (micrograd_ko/compiler/native/): repeated statements
written as loops (rolling.py), runtime.c's helpers built once and linked into every module, builds made one
after another, translated in a process of their own (elsewhere.py), and momentum SGD's step in C for a
compiled fit, and fsum's shorter road where a sum is far from a rounding boundary. Each must leave every number as it was: the C
code still answers what the generated Python answers, bit for bit, and fit's history is the interpreted one."""

import functools
import math
import os
import re
import struct
import subprocess
import sys
import threading
import time

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_native import FUZZ, agree, both, cases, compiled_case  # (the C form against the generated Python)

import micrograd_ko as ko
from micrograd_ko import Value, datasets, losses, nn, optim
from micrograd_ko.compiler import native
from micrograd_ko.compiler.native import build, elsewhere, rolling, translator
from micrograd_ko.testing import strategies as mst
from micrograd_ko.train import _mean_loss, fit

pytestmark = pytest.mark.usefixtures("c_code_on")  # (conftest: the C form built at once; skipped without a compiler)


def bits(x):
    return struct.pack("d", x) if type(x) is float else repr(x)


# -- repeated statements as loops (rolling.py) ------------------------------------------------------------------


def test_a_repeated_block_is_one_loop_over_steps_and_a_table():
    """Three repetitions of a block of two statements: one loop whose indices are `start + step * mk_row`, or
    read from a table where they do not move in steps (v's second index: 5, 9, 6)."""
    lines = [
        "    v0 = (p0 * x3);",
        "    g0 = (v0 + v5);",
        "    v1 = (p2 * x3);",
        "    g1 = (v1 + v9);",
        "    v2 = (p4 * x3);",
        "    g2 = (v2 + v6);",
    ]
    names = ["v0", "v1", "v2", "v5", "v6", "v9", "g0", "g1", "g2", "p0", "p2", "p4", "x3"]
    elements, sizes = rolling.family_arrays(names)
    assert sizes == {"mk_n_v": 10, "mk_n_g": 3, "mk_n_p": 5, "mk_n_x": 4}
    statics = []
    (loop,) = rolling.rolled(lines, elements, statics)
    assert loop == (
        "    for (int mk_row = 0; mk_row < 3; mk_row++) { "
        "mk_n_v[0 + 1 * mk_row] = (mk_n_p[0 + 2 * mk_row] * mk_n_x[3]); "
        "mk_n_g[0 + 1 * mk_row] = (mk_n_v[0 + 1 * mk_row] + mk_n_v[mk_rows0[mk_row][0]]); }"
    )
    assert statics == ["static const int mk_rows0[3][1] = {{5}, {9}, {6}};"]


def test_terms_of_one_shape_are_written_by_a_loop():
    """Terms written into the scratch array: a run of one shape is a loop, the rest as they are."""
    scalars = {"p5", "p6", "p7", "x0", "x1", "x2"}
    items = ["(p7 * x0)", "(p6 * x1)", "(p5 * x2)", "fabs(x1)", "mk_K0"]
    assert rolling.scratch_writes(items, scalars.__contains__, []) == (
        "for (int mk_term = 0; mk_term < 3; mk_term++) "
        "mk_scratch[0 + mk_term] = (mk_n_p[7 + -1 * mk_term] * mk_n_x[0 + 1 * mk_term]); "
        "mk_scratch[3] = fabs(x1); mk_scratch[4] = mk_K0;"
    )


@pytest.mark.parametrize(
    "line",
    [
        "unsure:",  # a label
        "    case 1: break;",
        "    double v3;",
        "    _gb = 0.0; for (int mk_j = 0; mk_j < 3; mk_j++) _gb += fabs(v3);",  # the translator's own loop
        "    {",
        "    }",
    ],
)
def test_what_is_not_one_whole_statement_is_never_repeated_by_a_loop(line):
    lines = [line] * 4
    elements, _ = rolling.family_arrays(["v3"])
    assert rolling.rolled(lines, elements, []) == [x.replace("v3", "mk_n_v[3]") for x in lines]


def mlp_step(sizes, loss):
    model = nn.MLP(sizes[0], sizes[1:], activation="relu", init="he_normal", seed=2)
    x = [0.1 * k - 0.3 for k in range(sizes[0])]
    target = 1 if loss is losses.cross_entropy else [0.5] * sizes[-1]
    return ko.compile(lambda xs, ts: _mean_loss(model, loss, xs, ts)[0], [x, x], [target, target])


@FUZZ
@given(
    st.sampled_from([(6, 5, 3), (9, 7, 4, 2), (4, 8, 1)]),
    st.lists(st.one_of(mst.values(-3.0, 3.0), st.sampled_from([0.0, -0.0, 1e300, 5e-324])), min_size=9, max_size=9),
    st.sampled_from(["full", "batch", "batch_sgd", "forward_batch"]),
)
def test_an_mlps_rolled_c_code_answers_what_its_python_answers(sizes, numbers, variant):
    """A network's step, whose C text is mostly loops (over a layer's neurons, a neuron's weights) and tables,
    against the generated Python at random numbers and edges, in every variant fit runs: the same bits."""
    loss = losses.cross_entropy if sizes[-1] > 2 else losses.mse
    step = mlp_step(sizes, loss)
    python_function, c = both(step, variant)
    text = native.translate(step._variant(variant)[1], step._namespace)[0]
    assert "for (int mk_row" in text and "for (int mk_term" in text
    x = [numbers[k % 9] for k in range(sizes[0])]
    target = 2.0 if loss is losses.cross_entropy else [numbers[1] / 4] * sizes[-1]
    flat = [*x, *x, target, target] if loss is losses.cross_entropy else [*x, *x, *target, *target]
    args = ([flat, flat], step.parameters, 0.5) if "batch" in variant else (flat, step.parameters, 0.5)
    if variant == "batch_sgd":
        args = (*args, 0.125)
    state = [(p.data, 0.0) for p in step.parameters]
    agree(python_function, c, args, step.parameters, state)


@pytest.mark.parametrize("variant", ["full", "batch", "batch_sgd", "forward_batch"])
def test_an_mlps_rolled_c_code_answers_ordinary_calls_itself(variant):
    """Ordinary numbers: the rolled C code answers (no hand-over), the same bits as the Python."""
    step = mlp_step((9, 7, 4, 3), losses.cross_entropy)
    python_function, c = both(step, variant)
    answered = 0
    for k in range(5):
        x = [0.37 * ((j * 7 + k) % 5) - 0.6 for j in range(9)]
        flat = [*x, *x[::-1], float(k % 3), float((k + 1) % 3)]
        args = ([flat, flat], step.parameters, 0.5) if "batch" in variant else (flat, step.parameters, 0.5)
        if variant == "batch_sgd":
            args = (*args, 0.125)
        answered += agree(python_function, c, args, step.parameters, [(p.data, 0.0) for p in step.parameters])
    assert answered == 5


@pytest.mark.parametrize("variant", ["full", "forward_batch"])
def test_a_table_of_indices_is_written_once_and_read_by_every_loop_that_needs_it(variant):
    """A block repeated in every sample of a batch reads the same indices: one table, not one per loop (W2's step
    had 102 tables, 4 of them different)."""
    step = mlp_step((6, 5, 3), losses.cross_entropy)
    text = native.translate(step._variant(variant)[1], step._namespace)[0]
    tables = [line.split(" = ")[1] for line in text.splitlines() if line.startswith("static const int mk_rows")]
    names = {name for name in re.findall(r"\b(mk_rows\d+)\[mk_(?:row|term)\]", text)}
    assert tables and len(set(tables)) == len(tables) == len(names)


def test_a_large_step_is_a_short_c_text():
    """digits' 64-32-10 network, a sample's step: its C is a tenth of the unrolled text (615 KB before)."""
    step = mlp_step((64, 32, 10), losses.cross_entropy)
    python_function, source = step._variant("batch")
    text = native.translate(source, step._namespace)[0]
    function = text[text.index("static PyObject *compiled(") :]
    assert len(function) < 80_000 and len(source) > 300_000


def test_the_leaf_bounds_terms_are_written_once_not_once_per_term():
    """The leaf bound (`_gb`, a sum of |gradient| over the step's weights) loops over terms written before the
    loop: written inside it, W2's 1,600 terms were written 1,600 times each (2.6 million writes a step, most of
    its C form's time)."""
    step = mlp_step((9, 7, 4, 3), losses.cross_entropy)
    text = native.translate(step._variant("full")[1], step._namespace)[0]
    loops = [line[line.index("for (int mk_j") :] for line in text.splitlines() if "for (int mk_j" in line]
    assert loops and all("({" not in loop and "mk_scratch" not in loop for loop in loops)


# -- fsum's shorter road (runtime.c's mk_fsum_near) ---------------------------------------------------------------

SUM_TERMS = 8


@functools.cache
def dot_of_inputs():
    """A compiled dot product of eight weights 1.0 with the inputs: its C form sums the inputs themselves with
    mk_fsum (each product by 1.0 is exact); the generated Python with math.fsum."""
    w = [Value(1.0) for _ in range(SUM_TERMS)]
    step = ko.compile(lambda xs: ko.engine.dot(w, list(xs)), [1.0] * SUM_TERMS)
    python_function, c = both(step, "forward")
    return step, python_function, c


@st.composite
def near_a_boundary(draw):
    """Terms whose exact sum lies on, or within a few units of the 2^-60th part of an ulp of, a point halfway
    between two floats (a tie, or nearly one), in any order, with terms that cancel."""
    base = draw(st.floats(min_value=2.0**-900, max_value=2.0**990) | st.sampled_from([1.0, 2.0, 0.75, 2.0**52]))
    base = base * draw(st.sampled_from([1.0, -1.0]))
    half = math.ulp(base) / 2
    if abs(base) == 2.0 ** math.frexp(abs(base))[1] / 2:  # a power of two: the gap below is half the one above
        half = draw(st.sampled_from([half, half / 2]))
    nudges = [0.0, half * 2.0**-60, half * 2.0**-30, half * 2.0**-52, half * 2.0**-53, half * 2.0**-54, half]
    terms = [base, draw(st.sampled_from([half, -half]))]
    terms += draw(st.lists(st.sampled_from([*nudges, *(-n for n in nudges)]), min_size=1, max_size=3))
    big = draw(st.floats(min_value=0.0, max_value=2.0**995))
    terms += [big, -big]
    terms += [0.0] * (SUM_TERMS - len(terms))
    return draw(st.permutations(terms[:SUM_TERMS]))


ANY_FLOAT = st.floats(allow_nan=False, allow_infinity=False)
SCALED = st.builds(math.ldexp, st.floats(min_value=-1.0, max_value=1.0), st.integers(min_value=-1080, max_value=1023))


# Below a power of two the gap is half the gap above; and where the errors' own sum is rounded (c), the sum by the
# shorter road sits on a tie that the exact sum misses by 2^-108: the partials must decide.
@example([1.0, -(2.0**-54), -(2.0**-108), 0.0, 0.0, 0.0, 0.0, 0.0])
@example([-1.0, 2.0**-54, 2.0**-108, 0.0, 0.0, 0.0, 0.0, 0.0])
@example([1.0, 2.0**-53, 2.0**-106, 0.0, 0.0, 0.0, 0.0, 0.0])
@example([1.0, 2.0**-53, -(2.0**-106), 0.0, 0.0, 0.0, 0.0, 0.0])
@settings(FUZZ, max_examples=600)
@given(
    near_a_boundary()
    | st.lists(ANY_FLOAT | SCALED, min_size=SUM_TERMS, max_size=SUM_TERMS)
    | st.lists(
        st.sampled_from([1.0, -1.0, 2.0**-53, -(2.0**-53), 2.0**-54, 3.0 * 2.0**-54, 1e16, -1e16, 0.1]),
        min_size=SUM_TERMS,
        max_size=SUM_TERMS,
    )  # fmt: skip
)
def test_fsum_in_c_is_math_fsum_at_ties_and_near_them(terms):
    """The C sum is math.fsum's, bit for bit (or the call handed over, as math.fsum raises): on the way that
    stops early where the sum is sure (most sums) and on the partials, which take every sum near a tie."""
    step, python_function, c = dot_of_inputs()
    if c is None:
        pytest.skip("not translated")
    agree(python_function, c, (list(terms), step.parameters, 1.0), step.parameters, [(1.0, 0.0)] * SUM_TERMS)


def test_fsum_in_c_answers_ordinary_sums_itself():
    """Ordinary sums are answered by the C code (no hand-over), each math.fsum's."""
    step, python_function, c = dot_of_inputs()
    answered = 0
    for k in range(50):
        terms = [math.sin(k * 7.1 + j) * 10.0 ** (j % 5 - 2) for j in range(SUM_TERMS)]
        answered += agree(python_function, c, (terms, step.parameters, 1.0), step.parameters, [(1.0, 0.0)] * 8)
    assert answered == 50


# -- runtime.c, built once -------------------------------------------------------------------------------------


def test_runtime_c_is_built_once_and_linked_into_every_module(monkeypatch, tmp_path):
    """Two modules in an empty cache: one object file of runtime.c, built with the first; each module's C text
    declares the helpers (runtime.h) without their code. A damaged object file is built again."""
    monkeypatch.setenv("MICROGRAD_KO_CACHE", str(tmp_path))
    monkeypatch.setattr(build, "modules", {})
    texts = []
    for k in (2.0, 3.0):
        w = Value(k)
        step = ko.compile(lambda x, w=w: (w * x).tanh() + x * x, 0.5)
        text, name, _ = native.translate(step._variant("full")[1], step._namespace)
        assert text.startswith(build.runtime_header()) and "double mk_fsum(const double *terms" not in text.replace(
            "MK_HELPER double mk_fsum", ""
        )
        assert build.module(text, name).compiled is not None
        texts.append((text, name))
    objects = [name for name in os.listdir(tmp_path) if name.startswith("_mk_runtime-")]
    assert len(objects) == 1
    path = tmp_path / objects[0]
    path.write_bytes(path.read_bytes()[:-100])  # (cut short: a full disk, a lost power)
    monkeypatch.setattr(build, "modules", {})
    for file in tmp_path.iterdir():
        if file.name.startswith("_mk_native_"):
            file.unlink()
    assert build.module(*texts[0]).compiled is not None
    assert build._whole(str(path))


def test_fit_has_runtime_c_built_before_the_first_module_asks(monkeypatch, tmp_path):
    """`prepare` (fit calls it before it traces) builds runtime.c's object file in a thread of its own; the first
    module's build then builds the module alone, and links that object."""
    monkeypatch.setenv("MICROGRAD_KO_CACHE", str(tmp_path))
    monkeypatch.setattr(build, "modules", {})
    jobs = []
    real_build = build._build
    monkeypatch.setattr(build, "_build", lambda made: jobs.append([job["suffix"] for job in made]) or real_build(made))
    build.prepare().join()
    assert jobs == [[".o"]] and [name for name in os.listdir(tmp_path) if name.startswith("_mk_runtime-")]
    step = ko.compile(lambda x: (Value(2.0) * x).tanh() + x * x, 0.5)
    python_function, c = both(step, "full")
    assert jobs == [[".o"], [build._suffix()]]
    agree(python_function, c, (0.25, step.parameters, 1.0), step.parameters, [(p.data, 0.0) for p in step.parameters])
    build.prepare().join()  # (there already: nothing built again)
    assert len(jobs) == 2


# -- builds one after another ------------------------------------------------------------------------------------


def test_builds_are_made_one_after_another_in_the_order_asked(monkeypatch):
    """Beside the training, which keeps one core busy, builds are made one at a time, the first asked first."""
    monkeypatch.delenv(native.ENV, raising=False)
    spans = []

    def slow_build(python_function, source, namespace, in_background):
        assert in_background  # (translated in a process of its own)
        start = time.perf_counter()
        time.sleep(0.05)
        spans.append((source, start, time.perf_counter()))

    monkeypatch.setattr(native, "c_function", slow_build)
    for k in range(4):
        native.faster(None, f"text {k}", {}, lambda made: None)
    for t in [t for t in threading.enumerate() if t.name == "micrograd_ko C build"]:
        t.join(timeout=60)
    assert [source for source, _, _ in spans] == [f"text {k}" for k in range(4)]
    assert all(spans[k][2] <= spans[k + 1][1] for k in range(3))
    assert native._worker is None and not native._waiting


# -- translated in a process of its own ------------------------------------------------------------------------


def translated_both_ways(step, variant):
    python_function, source = step._variant(variant)
    here = translator.c_text(source, step._namespace)
    there = elsewhere.translate(source, step._namespace)
    assert there == here
    return here


@FUZZ
@given(cases())
def test_the_translating_process_writes_what_this_process_writes(case):
    """Random graphs over every op (rules of micrograd_ko's, replays, guards' numbers): the translating process,
    which sees only what `summary` tells of the namespace, writes the same C text, or refuses the same lines."""
    step = compiled_case(case)
    if step is not None:
        for variant in ("full", "sgd", "batch", "forward_batch"):
            translated_both_ways(step, variant)


@pytest.mark.parametrize("loss", [losses.mse, losses.bce_with_logits, losses.cross_entropy])
def test_the_translating_process_computes_the_built_in_losses_in_c_too(loss):
    step = mlp_step((5, 4, 3) if loss is losses.cross_entropy else (5, 4, 1), loss)
    text = translated_both_ways(step, "batch")[0]
    function = text[text.index("static PyObject *compiled(") :]
    assert (f"mk_{loss.__name__}(" in function) == (loss is not losses.bce_with_logits)  # (its rule is Python's)


def test_without_a_translating_process_a_build_is_translated_here(monkeypatch):
    """A process that cannot be started (or fails): False, and the build translates in its own process."""
    monkeypatch.setattr(elsewhere, "_process", None)
    monkeypatch.setattr(elsewhere._Translating, "started", classmethod(lambda cls: False))
    w = Value(0.75)
    step = ko.compile(lambda x: (w * x).tanh(), 0.5)
    python_function, source = step._variant("full")
    assert elsewhere.translate(source, step._namespace) is False
    monkeypatch.setattr(native, "_translated", {})
    c = native.c_function(python_function, source, step._namespace, in_background=True)
    assert c is not None and c(([0.5], step.parameters, 1.0)[0], step.parameters, 1.0) == python_function(
        [0.5], step.parameters, 1.0
    )


# -- momentum SGD's step in C -----------------------------------------------------------------------------------

EDGES = [0.0, -0.0, 1.0, -2.5, 1e308, -1e308, 5e-324, 1e-300, 3.0e154]


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.one_of(mst.values(-5.0, 5.0), st.sampled_from(EDGES)),
            st.one_of(mst.values(-5.0, 5.0), st.sampled_from(EDGES + [float("inf"), float("nan"), 2, None])),
            st.one_of(mst.values(-5.0, 5.0), st.sampled_from(EDGES + [None, 1])),
        ),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from([0.1, 1e-3, 0.5, 1e300]),
    st.sampled_from([0.9, 0.5, 1.0, 1e300]),
)
def test_sgd_momentum_in_c_steps_as_the_optimizer_or_not_at_all(rows, lr, momentum):
    """runtime.c's `sgd_momentum` against `SGD(momentum=m).step()` from the same state, at the float edges,
    with gradients and velocities that are not floats or not finite: the same parameters and velocity bit for
    bit, or NotImplemented with nothing changed (the optimizer then steps, or raises, itself)."""
    step = mlp_step((2, 2, 1), losses.mse)
    sgd_momentum = build.module(*native.translate(step._variant("full")[1], step._namespace)[:2]).sgd_momentum

    def fresh():
        params = [Value(d) for d, _, _ in rows]
        for p, (_, g, _) in zip(params, rows):
            p.grad = g
        opt = optim.SGD(params, lr=lr, momentum=momentum)
        opt.velocity = [v for _, _, v in rows]
        return params, opt

    def state(params, opt):
        return [bits(p.data) for p in params], [bits(v) for v in opt.velocity]

    params, opt = fresh()
    before = state(params, opt)
    got = sgd_momentum(opt.params, opt.velocity, opt.lr, opt.momentum)
    if got is NotImplemented:
        assert state(params, opt) == before
        return
    opt._commit([got])
    expected_params, expected = fresh()
    expected.step()
    assert state(params, opt) == state(expected_params, expected)


def test_sgd_momentum_in_c_answers_ordinary_steps():
    """Floats, finite, a velocity from an earlier step: answered in C, as the optimizer steps."""
    step = mlp_step((2, 2, 1), losses.mse)
    sgd_momentum = build.module(*native.translate(step._variant("full")[1], step._namespace)[:2]).sgd_momentum
    outcomes = []
    for in_c in (True, False):
        params = [Value(0.25 * k - 1.0) for k in range(7)]
        opt = optim.SGD(params, lr=0.1, momentum=0.9)
        for t in range(4):
            for k, p in enumerate(params):
                p.grad = 0.1 * (k - t) + 1e-17 * k
            if in_c and t:
                velocity = sgd_momentum(opt.params, opt.velocity, opt.lr, opt.momentum)
                assert velocity is not NotImplemented
                opt._commit([velocity])
            else:
                opt.step()
        outcomes.append(([bits(p.data) for p in params], [bits(v) for v in opt.velocity]))
    assert outcomes[0] == outcomes[1]


def test_a_compiled_fit_with_momentum_steps_in_c_and_keeps_the_interpreted_history(monkeypatch):
    """fit(compile=True) with SGD(momentum=0.9): the steps after the first (whose velocity is still None) are
    runtime.c's; the history, every weight and the optimizer's velocity equal fit(compile=False)'s bit for bit."""
    from micrograd_ko import train

    taken = []
    original = train._momentum_in_c
    monkeypatch.setattr(train, "_momentum_in_c", lambda optimizer: taken.append(original(optimizer)) or taken[-1])
    X, y = datasets.moons(40, noise=0.1, seed=5)
    outcomes = []
    for compiled in (True, False):
        model = nn.MLP(2, [6, 6, 1], activation="tanh", init="xavier_uniform", seed=1)
        opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        history = fit(model, X, y, loss="mse", optimizer=opt, epochs=6, batch_size=8, compile=compiled, seed=2,
                      progress=False)  # fmt: skip
        outcomes.append((history, [bits(p.data) for p in model.parameters()], [bits(v) for v in opt.velocity]))
    assert outcomes[0] == outcomes[1]
    assert taken.count(True) >= 25


# -- validation losses from a compiled prediction's numbers (train._loss_of_numbers) ------------------------------

NUMBERS = st.one_of(
    st.sampled_from([0.0, -0.0, 0.5, 1.0, 1e-300, 5e-324, 1e308, -1e308, 0.999999]), mst.values(-40.0, 40.0)
)
TARGETS = st.one_of(
    st.sampled_from([0, 1, 2, 3, 0.0, 1.0, 2.0, 0.25, -1.0, 1.5, 2.5, True, False, 10**400, None, "1"]),
    st.lists(st.sampled_from([0, 1, 0.0, 0.5, 1.0, True, 2.0]), min_size=0, max_size=4).map(lambda t: t),
    st.tuples(st.sampled_from([0.0, 1.0]), st.sampled_from([0, 1.0])),
)


@settings(FUZZ, max_examples=600)  # (a quick test: many cases)
@given(
    st.sampled_from([losses.mse, losses.bce, losses.cross_entropy]),
    st.one_of(NUMBERS, st.lists(NUMBERS, min_size=1, max_size=4)),
    TARGETS,
)
def test_a_validation_loss_from_numbers_is_the_loss_functions_or_none(loss, numbers, target):
    """The loss of a compiled prediction's numbers, without Values: the same bits as the loss function given the
    prediction as Values, or None (never a number where the loss function raises, never another number)."""
    from micrograd_ko.train import _as_values, _loss_of_numbers

    if loss is losses.bce:  # (probabilities, 0 and 1 among them)
        numbers = (
            [abs(x) / (1.0 + abs(x)) if abs(x) < 1e300 else 1.0 for x in numbers]
            if type(numbers) is list
            else min(abs(numbers), 1.0)
        )
    got = _loss_of_numbers(loss)(numbers, target)
    try:
        expected = loss(_as_values(numbers), target).data
    except Exception:  # noqa: BLE001
        assert got is None
        return
    assert got is None or bits(got) == bits(expected)


def test_a_validation_loss_from_numbers_answers_ordinary_samples():
    from micrograd_ko.train import _loss_of_numbers

    assert _loss_of_numbers(losses.mse)([0.25, 0.5], [1, 0.0]) == losses.mse([0.25, 0.5], [1, 0.0]).data
    assert _loss_of_numbers(losses.bce)(0.25, 1) == losses.bce(Value(0.25), 1).data
    assert _loss_of_numbers(losses.cross_entropy)([0.5, -1.0, 2.0], 2) == losses.cross_entropy([0.5, -1.0, 2.0], 2).data
    assert _loss_of_numbers(losses.hinge) is None and _loss_of_numbers(lambda p, t: p) is None
    for loss, numbers, target in [(losses.bce, 0.5, True), (losses.bce, 0.5, "1"), (losses.mse, [0.5], [1, 2])]:
        assert _loss_of_numbers(loss)(numbers, target) is None  # (the loss function raises)


LATER_FIT = """
from micrograd_ko import datasets, nn, optim
from micrograd_ko.compiler import native
from micrograd_ko.compiler.native import elsewhere
from micrograd_ko.train import fit

X, y = datasets.moons(200, noise=0.1, seed=5)  # (1,000 steps: a long run, its programs built from the first call)
model = nn.MLP(2, [6, 6, 1], activation="tanh", init="xavier_uniform", seed=1)
fit(model, X, y, loss="mse", optimizer=optim.SGD(model.parameters(), lr=0.05, momentum=0.9), epochs=40,
    batch_size=8, compile=True, seed=2, progress=False)
for _ in range(600):  # (its builds made in the background: the state this package keeps, filled)
    if native.sgd_momentum() is not None and native._worker is None:
        break
    __import__("time").sleep(0.1)
assert native.sgd_momentum() is not None and elsewhere._process

from fits_between_steps import fits_importing_between_steps

runs = fits_importing_between_steps()
assert runs[0] == runs[1]
"""


def test_what_this_package_keeps_between_steps_leaves_a_later_fit_compiled(tmp_path):
    """The translating process, the C form of momentum's step, the builds made: this package's own state, which
    fills as fits run. A later fit whose loss reads `globals()` and whose accuracy function imports a module
    between steps (so its watch looks at every module's names the learner's code mentions) still trains compiled,
    and says nothing. (In a process of its own: this file names the package's state in its own code.)"""
    tests = os.path.dirname(os.path.abspath(__file__))  # (fits_between_steps.py)
    path = os.pathsep.join([tests, os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "MICROGRAD_KO_CACHE": str(tmp_path), native.ENV: "1", "PYTHONPATH": path}
    done = subprocess.run([sys.executable, "-c", LATER_FIT], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr == ""
