"""to_torch(): the same network in PyTorch gives the same outputs and gradients (float64)."""

import sys

import pytest

from micrograd_ko.engine import Value
from micrograd_ko.nn import ACTIVATIONS, MLP, Dropout, Layer, Sequential

torch = pytest.importorskip("torch")

INPUTS = [[0.3, -1.2, 2.0], [-2.5, 0.0, 0.7], [1.0, 1.0, -1.0]]


def engine_output_and_input_grads(model, x):
    xs = [Value(v) for v in x]
    model.zero_grad()
    out = model(xs)
    outs = out if isinstance(out, list) else [out]
    total = outs[0]
    for i, o in enumerate(outs[1:], start=2):
        total = total + i * o  # weight the outputs so every one matters
    total.backward()
    return [o.data for o in outs], [v.grad for v in xs], [p.grad for p in model.parameters()]


def torch_output_and_grads(net, x):
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    net.zero_grad()
    out = net(t)
    (out * torch.arange(1, out.numel() + 1, dtype=torch.float64)).sum().backward()
    grads = []
    for module in net:
        if isinstance(module, torch.nn.Linear):
            for j in range(module.out_features):
                grads += module.weight.grad[j].tolist() + [module.bias.grad[j].item()]
    return out.tolist(), t.grad.tolist(), grads


def assert_close(a, b):
    assert len(a) == len(b)
    assert all(abs(x - y) <= 1e-12 for x, y in zip(a, b)), (a, b)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_outputs_and_gradients_equal_pytorchs(activation):
    model = MLP(
        3,
        [5, 1, 4, 2],
        activation=activation,
        output_activation=activation,
        init="xavier_normal",
        bias_init="normal",
        seed=3,
    )
    net = model.to_torch()
    assert isinstance(net, torch.nn.Sequential)
    assert sum(isinstance(m, torch.nn.Linear) for m in net) == 4
    for x in INPUTS:
        ours, ours_x_grad, ours_param_grads = engine_output_and_input_grads(model, x)
        theirs, theirs_x_grad, theirs_param_grads = torch_output_and_grads(net, x)
        assert_close(ours, theirs)
        assert_close(ours_x_grad, theirs_x_grad)
        assert_close(ours_param_grads, theirs_param_grads)


def test_dropout_and_mode_carry_over():
    model = MLP(3, [4, 1], dropout=0.3, seed=0)
    net = model.to_torch()
    assert any(isinstance(m, torch.nn.Dropout) and m.p == 0.3 for m in net) and net.training
    model.eval()
    net = model.to_torch()
    assert not net.training
    with torch.no_grad():
        assert abs(net(torch.tensor(INPUTS[0], dtype=torch.float64)).item() - model(INPUTS[0]).data) <= 1e-12


def test_layers_and_sequential_convert_too():
    seq = Sequential(Layer(3, 2, "silu", rng=0), Dropout(0.5, rng=0), Layer(2, 2, "linear", rng=1)).eval()
    net = seq.to_torch()
    with torch.no_grad():
        assert_close([v.data for v in seq(INPUTS[1])], net(torch.tensor(INPUTS[1], dtype=torch.float64)).tolist())


def test_without_torch_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    with pytest.raises(ImportError, match=r"micrograd_ko\[torch\]") as error:
        MLP(2, [1], seed=0).to_torch()
    assert "PyTorch가 필요합니다" in str(error.value)


def test_every_engine_activation_has_a_torch_module():
    for name in ACTIVATIONS:
        layer = Layer(2, 1, activation=name, rng=0)
        converted = layer.to_torch()
        x = [0.3, -1.2]
        assert converted(torch.tensor([x], dtype=torch.float64)).item() == pytest.approx(layer(x)[0].data, rel=1e-8)
