"""Differential fuzzer: compiled calls equal interpreted ones bit for bit (value, every gradient, error class),
or compile refuses. Random graphs over every op of the table, every loss and user ops made with Op/from_op
(`micrograd_ko.testing.strategies.expressions`), numbers at the float edges, then calls with new inputs,
new parameters, gradients already held, zero_grad, repeats and no_grad."""

import struct

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

import micrograd_ko as ko
from micrograd_ko import Value, losses
from micrograd_ko.compiler import CompileError
from micrograd_ko.engine import Op
from micrograd_ko.testing import strategies as mst

# User ops, each made the ways the engine offers: a rule replayed by compile, a rule named like a
# row of the table (compile must go by identity, not by name), and local derivatives given to from_op.
CUBE = Op("cube", lambda xs, out: (3.0 * xs[0] * xs[0],), forward=lambda xs: xs[0] * xs[0] * xs[0])
PRODUCT_NAMED_PLUS = Op("+", lambda xs, out: (xs[1], xs[0]), forward=lambda xs: xs[0] * xs[1])
STRAIGHT_THROUGH = Op("sign", None)


def cube(x):
    return CUBE.apply([x])  # the number from the op's own forward, as the losses make theirs


def product(x, y):
    return PRODUCT_NAMED_PLUS.apply([x, y])


def ste(x):
    return Value.from_op(1.0, STRAIGHT_THROUGH, [x], local_grads=[1.0])  # a number fn chose: frozen


USER_OPS = {"cube": cube, "product": product, "ste": ste}

FUZZ = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def bits(x):
    return struct.pack("d", x)


def run(call, params):
    """(value bits or error class, gradient bits) of `call()`, which may add into the parameters' gradients."""
    try:
        result = bits(call())
    except Exception as error:  # noqa: BLE001 - the error class is part of what must agree
        result = type(error)
    return result, [bits(p.grad) if isinstance(p.grad, float) else p.grad for p in params]


def interpreted(fn, xs):
    def call():
        out = fn([Value(x) for x in xs])
        out.backward()
        return out.data

    return call


@st.composite
def cases(draw):
    n_inputs = draw(st.integers(1, 2))
    n_params = draw(st.integers(1, 2))
    expr = draw(
        mst.expressions(n_inputs=n_inputs + n_params, max_nodes=6, ops=USER_OPS, guard_domains=draw(st.booleans()))
    )
    numbers = mst.values(-3.0, 3.0) if draw(st.booleans()) else mst.values()
    example = draw(st.lists(numbers, min_size=n_inputs, max_size=n_inputs))
    params = draw(st.lists(numbers, min_size=n_params, max_size=n_params))
    calls = draw(
        st.lists(
            st.tuples(
                st.lists(numbers, min_size=n_inputs, max_size=n_inputs),  # new inputs
                st.one_of(st.none(), st.lists(numbers, min_size=n_params, max_size=n_params)),  # new parameters
                st.sampled_from(["keep", "zero_grad", "held", "no_grad"]),
            ),
            min_size=1,
            max_size=4,
        )
    )
    held = draw(st.lists(mst.values(-2.0, 2.0), min_size=n_params, max_size=n_params))
    return expr, n_inputs, example, params, calls, held


@FUZZ
@given(cases())
def test_compiled_calls_equal_interpreted_calls_bit_for_bit(case):
    expr, n_inputs, example, param_values, calls, held = case
    params = [Value(v) for v in param_values]

    def fn(xs):
        return expr(*xs, *params)

    try:
        step = ko.compile(fn, example)
    except CompileError:
        return  # refused: allowed
    except (ArithmeticError, ValueError, TypeError, RuntimeError):
        return  # fn itself fails on the example (the engine's own error while tracing)
    for xs, new_params, what in calls:
        if new_params is not None:
            for p, v in zip(params, new_params):
                p.data = v
        if what == "zero_grad":
            for p in params:
                p.grad = 0.0
        elif what == "held":
            for p, g in zip(params, held):
                p.grad = g
        before = [p.grad for p in params]
        if what == "no_grad":
            with ko.no_grad():
                expected = run(lambda: fn([Value(x) for x in xs]).data, params)
                got = run(lambda: step(xs), params)
        else:
            expected = run(interpreted(fn, xs), params)
            for p, g in zip(params, before):
                p.grad = g
            got = run(lambda: step(xs), params)
        assert got == expected, (expr, xs, what)
    # a repeat of the last call: gradients accumulate the same way in both
    for p, g in zip(params, before):
        p.grad = g
    expected = run(interpreted(fn, xs), params)
    for p, g in zip(params, before):
        p.grad = g
    assert run(lambda: step(xs), params) == expected


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(
    st.sampled_from(sorted(losses.LOSSES)),
    st.lists(mst.values(-4.0, 4.0), min_size=3, max_size=3),
    st.lists(st.integers(0, 1), min_size=4, max_size=4),
)
def test_every_loss_takes_its_targets_as_inputs(name, weights, labels):
    """One program per loss serves every target: class indices, labels, probabilities, ±1."""
    w = [Value(v) for v in weights]

    def target(k):
        return {
            "cross_entropy": k,
            "hinge": 2.0 * k - 1.0,
            "bce": 0.25 + 0.5 * k,
            "bce_with_logits": float(k),
            "mse": float(k),
        }[name]

    def fn(x, t):
        z = [w[0] * x + w[1], w[2] * x]
        if name == "cross_entropy":
            return losses.cross_entropy(z, t)
        if name == "bce":
            return losses.bce(z[0].sigmoid(), t)
        return losses.LOSSES[name](z[0], t)

    step = ko.compile(fn, 0.5, target(labels[0]))
    for k, x in zip(labels, (0.5, -1.0, 2.0, 1e-3)):
        expected = run(interpreted(lambda xs: fn(xs[0], Value(target(k))), [x]), w)
        for p in w:
            p.grad = 0.0
        assert run(lambda: step(x, target(k)), w) == expected
        for p in w:
            p.grad = 0.0


# targets at and beyond the edges of each loss's domain ([0, 1], {-1, 1}), and anywhere
ANY_TARGET = st.one_of(
    st.sampled_from([-1.0, -0.5, -5e-324, -0.0, 0.0, 5e-324, 0.5, 1.0 - 2**-53, 1.0, 1.5, 2.0]), mst.values()
)


@FUZZ
@given(st.sampled_from(["mse", "bce", "bce_with_logits", "hinge"]), mst.values(), ANY_TARGET, mst.values(-3.0, 3.0))
def test_a_loss_of_one_prediction_equals_the_engine(name, z, t, scale):
    """fit's per-sample losses (one prediction, one target): value, gradient and error class equal the engine's
    for any prediction and target, in or out of the loss's domain (there the compiled call hands over, and the
    engine raises)."""
    w = Value(scale)
    loss = losses.LOSSES[name]

    def fn(x, target):
        return loss(w * x, target)

    try:
        step = ko.compile(fn, 0.5, 1.0)  # traced inside every loss's domain
    except (CompileError, ArithmeticError, ValueError):
        return
    expected = run(interpreted(lambda xs: fn(xs[0], Value(t)), [z]), [w])
    w.grad = 0.0
    assert run(lambda: step(z, t), [w]) == expected
    event("handed over" if step.handed_over else "compiled")


TARGETS = {
    "mse": st.floats(-3, 3),
    "bce_with_logits": st.sampled_from([0.0, 1.0]),
    "hinge": st.sampled_from([-1.0, 1.0]),
}


@st.composite
def batches(draw):
    """(model, loss name, inputs, targets): an MLP batch at the float edges."""
    name = draw(st.sampled_from(["mse", "bce_with_logits", "hinge", "cross_entropy"]))
    n_outputs = 3 if name == "cross_entropy" else 1
    model = draw(mst.mlps(n_inputs=(1, 4), widths=(1, 4), depth=(1, 3), n_outputs=n_outputs))
    scale = draw(st.sampled_from([1.0, 1e150, 1e-300, 1e300]))
    for p in model.parameters():
        p.data = draw(st.one_of(st.just(p.data * scale), mst.values()))
    n_in = len(model.layers[0].neurons[0].w)
    size = draw(st.integers(1, 4))
    xs = [draw(st.lists(mst.values(), min_size=n_in, max_size=n_in)) for _ in range(size)]
    target = st.integers(0, 2) if name == "cross_entropy" else TARGETS[name]
    ts = [draw(target) for _ in range(size)]
    return model, name, xs, ts


@FUZZ
@given(batches(), st.sampled_from(["zero", "negative zero", "held"]), mst.values(-2.0, 2.0))
def test_a_compiled_batch_equals_one_backward_over_the_batch_or_hands_over(case, start, held):
    """fit's compiled mini-batch, sample by sample (one loop of generated code, the inputs' gradients bounded,
    not summed), leaves loss, predictions and every gradient as one backward() over the batch's mean loss
    does, from gradients of zero (either sign) or held ones, or hands the batch over (None) having changed
    nothing; where the engine raises, the compiled batch must hand over."""
    from micrograd_ko.train import _CompiledSamples, _interpreted_step, _SampleNumbers

    model, name, xs, ts = case
    loss_fn = losses.get(name)
    params = model.parameters()
    note(f"weights {[p.data for p in params]}")
    before = {"zero": 0.0, "negative zero": -0.0, "held": held}[start]
    batch = list(range(len(xs)))
    samples = _CompiledSamples(model, name, loss_fn, _SampleNumbers(xs, ts), params)
    for p in params:
        p.grad = before
    try:
        loss, preds, _ = _interpreted_step(model, loss_fn, xs, ts, batch)
        expected = (bits(loss), [bits(p.grad) for p in params], [bits(v.data) for v in flat(preds)])
    except (ArithmeticError, ValueError):
        expected = None  # the engine raises: the compiled batch must hand over
    for p in params:
        p.grad = before
    try:
        got = samples.step(xs, ts, batch)
    except (CompileError, ArithmeticError, ValueError):  # refused, or the engine's error while tracing:
        return  # fit trains interpreted then (`_compiled_step`)
    if got is None:
        assert [bits(p.grad) for p in params] == [bits(before)] * len(params)  # handed over, nothing changed
        return
    assert expected is not None, "the engine raises on this batch, the compiled batch did not hand over"
    assert (bits(got[0]), [bits(p.grad) for p in params], [bits(v) for v in flat(got[1])]) == expected


def flat(predictions):
    return [v for p in predictions for v in (p if isinstance(p, list) else [p])]


def test_an_input_gradient_that_overflows_hands_the_call_to_the_engine():
    """An MLP's input gradients are bounded, not computed (generate._LeafBound): one that overflows while every
    weight's gradient is finite must still end in the engine's own error."""
    w = Value(1e300)
    c = Value(1e10)

    def fn(x):
        return ko.dot([w, w], [x[0], x[1]]) * c

    step = ko.compile(fn, [1e-300, 1e-300])
    with pytest.raises(OverflowError) as compiled_error:
        step([1e-300, 1e-300])
    w.grad = c.grad = 0.0
    with pytest.raises(OverflowError) as engine_error:
        fn([Value(1e-300), Value(1e-300)]).backward()
    assert type(compiled_error.value) is type(engine_error.value)
    assert step.handed_over == 1
    assert step.fast([1e-300, 1e-300]) is None
    c.data = 1.0  # now every gradient is finite: |input gradient| <= 1 * 1e300, the bound holds
    assert step([1e-300, 1e-300]) == fn([Value(1e-300), Value(1e-300)]).data
    assert step.handed_over == 1  # compiled this time


@FUZZ
@given(batches(), st.sampled_from([0.1, 1.0, 1e300]))
def test_a_fused_sgd_step_equals_zero_grad_backward_and_the_optimizers_step(case, lr):
    """The 'sgd' variant (what fit runs for plain SGD) leaves gradients and weights as zero_grad + backward()
    + optim.SGD.step() leave them, or hands over having changed nothing, or leaves the optimizer's own step
    to raise (a new weight not finite)."""
    from micrograd_ko.optim import SGD
    from micrograd_ko.train import _mean_loss

    model, name, xs, ts = case
    loss_fn = losses.get(name)
    params = model.parameters()
    try:
        program = ko.compile(lambda xs, ts: _mean_loss(model, loss_fn, xs, ts), xs, ts)
    except (CompileError, ArithmeticError, ValueError):
        return
    if {id(p) for p in program.parameters} != {id(p) for p in params}:
        event("not fused")
        return  # fit fuses only when the optimizer holds exactly the parameters the loss depends on
    start = [p.data for p in params]
    optimizer = SGD(params, lr=lr)
    optimizer.zero_grad()
    try:
        mean, _ = _mean_loss(model, loss_fn, xs, ts)
        mean.backward()
        optimizer.step()
        expected = (bits(mean.data), [bits(p.grad) for p in params], [bits(p.data) for p in params])
    except (ArithmeticError, ValueError) as error:
        expected = type(error)
    for p, v in zip(params, start):
        p.data, p.grad = v, 0.0
    got = program.sgd_step([v for x in xs for v in x] + list(ts), lr)
    event(f"compiled: {'handed over' if got is None else 'updated' if got[1] else 'optimizer decides'}")
    if got is None:
        assert [p.data for p in params] == start and all(p.grad == 0.0 for p in params)
        return
    (value, _), updated = got
    if not updated:  # gradients written, weights not: the optimizer's own step decides
        assert [p.data for p in params] == start
        try:
            optimizer.step()
        except OverflowError as error:
            assert expected is type(error)
            assert [p.data for p in params] == start
            return
    assert (bits(value), [bits(p.grad) for p in params], [bits(p.data) for p in params]) == expected


@FUZZ
@given(batches())
def test_a_forward_batch_equals_the_forward_pass_of_each_sample(case):
    """fit's validation runs the forward pass over all samples as one loop (variant 'forward_batch', the weights
    read and checked once): the same numbers as the forward pass of each sample and as the engine's own
    (inside no_grad), or None, handing every sample over to be asked one by one."""
    model, _, xs, _ = case
    try:
        program = ko.compile(lambda x: model(x), xs[0], gradients=False)
    except (CompileError, ArithmeticError, ValueError):
        return
    each = [program.fast_forward(x) for x in xs]
    together = program.fast_forward_batch(xs)
    note(f"each {each!r}, together {together!r}")
    event(f"batch: {'handed over' if together is None else 'compiled'}")
    if together is None:  # some sample hands over (or the check's sum of finite numbers overflowed): fit asks each
        return
    for one, alone in zip(together, each):  # (a sum of finite numbers that overflows hands one sample over alone)
        if alone is not None:
            assert [bits(v) for v in flat([one])] == [bits(v) for v in flat([alone])]
    with ko.no_grad():
        engine = [model(x) for x in xs]
    assert [bits(v) for v in flat(together)] == [bits(v.data) for v in flat(engine)]
