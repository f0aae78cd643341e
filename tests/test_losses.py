"""Losses: values, gradients and second derivatives against torch.nn.functional (float64)."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd_ko import losses
from micrograd_ko.engine import Value, grad

torch = pytest.importorskip("torch")
F = torch.nn.functional

finite = st.floats(-1e3, 1e3, allow_nan=False)
extreme = st.one_of(finite, st.sampled_from([-1000.0, -745.0, -40.0, 0.0, 40.0, 745.0, 1000.0]))
probability = st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 1.0, 1e-300, 1e-15, 0.5, 1 - 1e-15]))
target01 = st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 1.0]))


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def ours_and_grads(loss_fn, inputs, *args):
    xs = [Value(x) for x in inputs]
    out = loss_fn(xs if len(xs) > 1 or loss_fn in (losses.mse, losses.cross_entropy) else xs[0], *args)
    out.backward()
    return out, xs


def torch_and_grads(fn, inputs):
    t = torch.tensor(inputs, dtype=torch.float64, requires_grad=True)
    out = fn(t)
    out.backward()
    return out.item(), t.grad.tolist()


@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=6))
def test_mse_matches_torch(pairs):
    preds, targets = [p for p, _ in pairs], [t for _, t in pairs]
    pv, tv = [Value(p) for p in preds], [Value(t) for t in targets]
    out = losses.mse(pv, tv)
    out.backward()
    p = torch.tensor(preds, dtype=torch.float64, requires_grad=True)
    t = torch.tensor(targets, dtype=torch.float64, requires_grad=True)
    expected = F.mse_loss(p, t)
    expected.backward()
    assert math.isclose(out.data, expected.item(), rel_tol=1e-12, abs_tol=1e-9)
    assert all(math.isclose(a.grad, b, rel_tol=1e-12, abs_tol=1e-12) for a, b in zip(pv, p.grad.tolist()))
    assert all(math.isclose(a.grad, b, rel_tol=1e-12, abs_tol=1e-12) for a, b in zip(tv, t.grad.tolist()))


@given(probability, target01)
def test_bce_matches_torch_including_p_0_and_1(p, t):
    out, (x,) = ours_and_grads(losses.bce, [p], t)
    value, (g,) = torch_and_grads(lambda v: F.binary_cross_entropy(v[0], torch.tensor(t, dtype=torch.float64)), [p])
    assert math.isfinite(out.data) and close(out.data, value)
    assert math.isclose(x.grad, g, rel_tol=1e-12, abs_tol=1e-12)


@given(extreme, target01)
def test_bce_with_logits_matches_torch_up_to_1000(z, t):
    out, (x,) = ours_and_grads(losses.bce_with_logits, [z], t)
    value, (g,) = torch_and_grads(
        lambda v: F.binary_cross_entropy_with_logits(v[0], torch.tensor(t, dtype=torch.float64)), [z]
    )
    assert close(out.data, value)
    assert close(x.grad, g)


@given(st.lists(extreme, min_size=1, max_size=6), st.data())
def test_cross_entropy_matches_torch(logits, data):
    k = data.draw(st.integers(0, len(logits) - 1))
    out, xs = ours_and_grads(losses.cross_entropy, logits, k)
    value, grads = torch_and_grads(lambda v: F.cross_entropy(v.unsqueeze(0), torch.tensor([k])), logits)
    assert math.isclose(out.data, value, rel_tol=1e-12, abs_tol=1e-9)
    assert all(close(x.grad, g) for x, g in zip(xs, grads))


@given(finite, st.sampled_from([-1, 1]))
def test_hinge_matches_torch(score, t):
    out, (x,) = ours_and_grads(losses.hinge, [score], t)
    value, (g,) = torch_and_grads(lambda s: torch.relu(1 - t * s[0]), [score])
    assert close(out.data, value)
    assert x.grad == g


def second_derivatives(loss_fn, inputs, args, torch_fn):
    xs = [Value(x) for x in inputs]
    out = loss_fn(xs if len(xs) > 1 else xs[0], *args)
    first = grad(out, xs, create_graph=True)
    ours = [grad(g, xs) if g._prev else [0.0] * len(xs) for g in first]
    t = torch.tensor(inputs, dtype=torch.float64, requires_grad=True)
    (g_t,) = torch.autograd.grad(torch_fn(t), t, create_graph=True)
    theirs = [torch.autograd.grad(g_t[i], t, retain_graph=True)[0].tolist() for i in range(len(inputs))]
    return ours, theirs


@given(st.floats(-30, 30), target01)
def test_bce_with_logits_second_derivative_matches_torch(z, t):
    ours, theirs = second_derivatives(
        losses.bce_with_logits, [z], (t,), lambda v: F.binary_cross_entropy_with_logits(v[0], torch.tensor(t).double())
    )
    assert close(ours[0][0], theirs[0][0])


@given(st.lists(st.floats(-30, 30), min_size=2, max_size=4), st.data())
def test_cross_entropy_hessian_matches_torch(logits, data):
    k = data.draw(st.integers(0, len(logits) - 1))
    ours, theirs = second_derivatives(
        losses.cross_entropy, logits, (k,), lambda v: F.cross_entropy(v.unsqueeze(0), torch.tensor([k]))
    )
    for row_ours, row_theirs in zip(ours, theirs):
        assert all(close(a, b) for a, b in zip(row_ours, row_theirs))


@given(st.floats(0.01, 0.99), target01)
def test_bce_second_derivative_is_exact(p, t):
    # torch's double backward of binary_cross_entropy is off by ~1e-8 relative
    # here, so compare with the exact t/p^2 + (1-t)/(1-p)^2 instead
    x = Value(p)
    (first,) = grad(losses.bce(x, t), [x], create_graph=True)
    assert math.isclose(grad(first, x), t / p**2 + (1 - t) / (1 - p) ** 2, rel_tol=1e-12)


def test_each_loss_is_one_node_over_its_inputs():
    z = [Value(0.5), Value(-1.0), Value(2.0)]
    cases = [
        (losses.mse(z, [0.0, 1.0, 2.0]), "mse", 6),
        (
            losses.bce(z[0], 1),
            "bce",
            2,
        ),  # targets are parents too (local derivative 0), so compile takes them as inputs
        (losses.bce_with_logits(z[1], 0), "bce_with_logits", 2),
        (losses.cross_entropy(z, 2), "cross_entropy", 4),
        (losses.hinge(z[2], -1), "hinge", 2),
    ]
    for out, name, parents in cases:
        assert out._op == name and len(out._prev) == parents


def test_mse_accepts_two_numbers_and_rejects_unequal_lists():
    assert losses.mse(Value(3.0), 1.0).data == 4.0
    with pytest.raises(ValueError, match="2 predictions and 1 targets"):
        losses.mse([Value(1.0), Value(2.0)], [1.0])
    with pytest.raises(ValueError):
        losses.mse([], [])


@pytest.mark.parametrize(
    "call",
    [
        lambda: losses.bce(Value(1.5), 1),
        lambda: losses.bce(Value(0.5), 2),
        lambda: losses.hinge(Value(0.5), 0),
        lambda: losses.cross_entropy([Value(1.0), Value(2.0)], 2),
        lambda: losses.cross_entropy([Value(1.0), Value(2.0)], -1),
        lambda: losses.cross_entropy([Value(1.0), Value(2.0)], 0.5),
        lambda: losses.cross_entropy([], 0),
        lambda: losses.bce_with_logits(Value(0.0), math.nan),
        lambda: losses.bce_with_logits(Value(0.0), "1"),
        lambda: losses.get("nll"),
    ],
)
def test_bad_targets_are_rejected_with_a_clear_error(call):
    with pytest.raises((TypeError, ValueError)) as error:
        call()
    assert " / " in str(error.value)  # Korean / English


def test_a_value_target_is_read_as_a_constant():
    t = Value(1.0)
    z = Value(0.3)
    losses.bce_with_logits(z, t).backward()
    assert t.grad == 0.0 and z.grad == pytest.approx(1 / (1 + math.exp(-0.3)) - 1.0)
    assert losses.cross_entropy([Value(0.0), Value(0.0)], Value(1.0)).data == pytest.approx(math.log(2))


@given(st.lists(st.tuples(probability, target01), min_size=1, max_size=5))
def test_bce_of_a_batch_is_the_mean_as_in_torch(pairs):
    preds, targets = [p for p, _ in pairs], [t for _, t in pairs]
    xs = [Value(p) for p in preds]
    out = losses.bce(xs, targets)
    out.backward()
    p = torch.tensor(preds, dtype=torch.float64, requires_grad=True)
    expected = F.binary_cross_entropy(p, torch.tensor(targets, dtype=torch.float64))
    expected.backward()
    assert close(out.data, expected.item()) and len(out._prev) == 2 * len(preds)
    assert all(math.isclose(x.grad, g, rel_tol=1e-12, abs_tol=1e-12) for x, g in zip(xs, p.grad.tolist()))


@pytest.mark.parametrize(
    "loss, preds, targets, torch_fn",
    [
        (losses.bce_with_logits, [2.0, -1.0, 0.5], [1.0, 0.0, 0.25], F.binary_cross_entropy_with_logits),
        (losses.hinge, [2.0, -0.5, 0.5], [1.0, 1.0, -1.0], lambda s, t: torch.relu(1 - t * s).mean()),
    ],
)
def test_elementwise_losses_take_a_batch_and_return_the_mean(loss, preds, targets, torch_fn):
    xs = [Value(p) for p in preds]
    out = loss(xs, targets)
    out.backward()
    value, grads = torch_and_grads(lambda v: torch_fn(v, torch.tensor(targets, dtype=torch.float64)), preds)
    assert close(out.data, value) and all(close(x.grad, g) for x, g in zip(xs, grads))


def test_a_batch_and_its_targets_must_be_equally_long_and_the_loss_is_named():
    with pytest.raises(ValueError, match=r"bce: .*2 predictions and 1 targets"):
        losses.bce([Value(0.2), Value(0.7)], 1)
    with pytest.raises(ValueError, match=r"hinge: .*1 predictions and 2 targets"):
        losses.hinge(Value(0.2), [1, -1])


def test_every_loss_op_has_a_forward_and_a_korean_name():
    z = [Value(0.5), Value(-1.0), Value(2.0)]
    outs = [
        losses.mse(z, [0.0, 1.0, 2.0]),
        losses.bce(Value(0.3), 1),
        losses.bce_with_logits(z, [0, 1, 0.5]),
        losses.cross_entropy(z, 2),
        losses.hinge(z, [-1, 1, 1]),
    ]
    for out in outs:
        assert out._op.forward([p.data for p in out._prev]) == out.data
        assert out._op.korean and out._op.korean != out._op.name


def test_numpy_arrays_of_predictions_and_targets_are_taken_item_by_item():
    """밑바닥부터 시작하는 딥러닝 keeps data in numpy arrays: an array of targets is n targets, not one."""
    import numpy as np

    preds = [Value(0.2), Value(0.7), Value(-0.4)]
    targets = [0.0, 1.0, 1.0]
    for name in ("mse", "bce_with_logits", "hinge"):
        loss = losses.get(name)
        ts = [2 * t - 1 for t in targets] if name == "hinge" else targets
        assert loss(preds, np.array(ts)).data == loss(preds, ts).data
    assert losses.mse(np.array([0.5, 1.5]), np.array([1.0, 1.0])).data == losses.mse([0.5, 1.5], [1.0, 1.0]).data
    logits = np.array([1.0, 2.0, 3.0])
    assert losses.cross_entropy(logits, np.int64(2)).data == losses.cross_entropy([1.0, 2.0, 3.0], 2).data
    with pytest.raises(ValueError, match="3 predictions and 2 targets"):
        losses.mse(preds, np.array([1.0, 2.0]))


@pytest.mark.parametrize("logit", [Value(0.7), 0.7])
def test_cross_entropy_of_one_score_instead_of_a_list_says_so(logit):
    """A model with one output gives one Value; cross_entropy made it a single class, whose loss is 0 whatever the
    weights (nothing to learn, no error), or blamed the label. torch refuses a 0-d input too; a list of one stays."""
    with pytest.raises(TypeError) as error:
        losses.cross_entropy(logit, 0)
    ko, en = str(error.value).split(" / ")
    assert "로짓" in ko and "bce_with_logits" in ko and "MLP(2, [8, 3])" in ko
    assert "one logit per class" in en and "bce_with_logits" in en
    assert losses.cross_entropy([logit], 0).data == 0.0  # as torch's F.cross_entropy on one class


def test_an_empty_list_of_logits_is_named_as_such():
    """It said 'the target index must be an int in [0, 0), got 0', naming the index for the missing logits."""
    with pytest.raises(ValueError, match="the list of logits is empty") as error:
        losses.cross_entropy([], 0)
    assert "비어 있습니다" in str(error.value)
