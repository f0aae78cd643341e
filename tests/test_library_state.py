"""Compiled code and fit see what the learner rebinds in micrograd_ko's own modules and classes between calls.

Each case was seen to give the trace's old numbers before `library_state`:
compiled code kept reading a weight the model no longer held, or applying an
activation the neuron no longer had."""

import struct
import types

import pytest

from micrograd_ko import Value, compile, nn
from micrograd_ko.library_state import LibraryState
from micrograd_ko.train import fit

X = [[(i % 4) / 2 - 0.7, (i % 3) / 2 - 0.4] for i in range(12)]
Y = [1.0 if a * b > 0 else -1.0 for a, b in X]


def bits(x):
    return struct.pack("d", x)


def swap_first_weight(model):
    model.layers[0].neurons[0].w[1] = Value(2.5)


def swap_bias(model):
    model.layers[1].neurons[0].b = Value(-0.75)


def another_activation(model):
    model.layers[0].activation = "tanh"


def rebind_then_change_the_copy(model):
    neuron = model.layers[0].neurons[1]
    neuron.w = list(neuron.w)  # an equal list: equality alone would take it for the old one
    neuron.w[0] = Value(-1.5)


def patch_the_class(model):
    forward = nn.Neuron.forward
    nn.Neuron.forward = lambda self, x: forward(self, x) * 0.5


def write_the_dict(model):
    vars(model.layers[0].neurons[2])["b"] = Value(0.25)


def drop_a_neuron(model):
    del model.layers[0].neurons[3]
    for neuron in model.layers[1].neurons:
        del neuron.w[3]


CHANGES = [
    swap_first_weight,
    swap_bias,
    another_activation,
    rebind_then_change_the_copy,
    patch_the_class,
    write_the_dict,
    drop_a_neuron,
]


@pytest.fixture
def neuron_forward():
    forward = nn.Neuron.forward
    yield
    nn.Neuron.forward = forward


@pytest.mark.parametrize("change", CHANGES)
def test_a_compiled_call_after_the_model_was_changed_gives_the_models_numbers(change, neuron_forward):
    model = nn.MLP(2, [4, 1], seed=3)

    def fn(a, b):
        return model([a, b])

    f = compile(fn, 0.3, -0.8)
    assert f(0.3, -0.8) == fn(0.3, -0.8).data and f.handed_over == 0
    change(model)
    for args in [(0.3, -0.8), (-1.2, 0.4)]:
        for p in model.parameters():
            p.grad = 0.0
        got = f(*args)
        compiled_grads = [p.grad for p in model.parameters()]
        for p in model.parameters():
            p.grad = 0.0
        out = fn(*args)
        out.backward()
        assert bits(got) == bits(out.data)
        assert list(map(bits, compiled_grads)) == [bits(p.grad) for p in model.parameters()]
    assert f.handed_over == 2


def test_train_and_eval_and_new_data_hand_nothing_over():
    """What fit and a learner do to a model between calls without changing what it computes."""
    model = nn.MLP(2, [4, 4, 1], seed=3, dropout=0.0)
    f = compile(model, [0.3, -0.8])
    model.eval()
    model.train()
    model.layers[0].neurons[0].w[0].data = 0.125  # numbers are read live: no change of structure
    model.layers[0].activation = "relu"  # the name it had
    assert f([0.3, -0.8]) == model([0.3, -0.8]).data
    assert f.handed_over == 0


def test_the_name_of_what_moved():
    model = nn.MLP(2, [3, 1], seed=0)
    state = LibraryState(list(model.modules()))
    assert state.moved() is None
    model.eval()
    assert state.moved() is None  # the training flag is left out
    model.layers[1].neurons[0].w[2] = Value(1.0)
    assert state.moved() == "Neuron.w"
    state = LibraryState(list(model.modules()))
    model.layers.append(nn.Layer(1, 1))
    assert state.moved() == "MLP.layers"
    state = LibraryState(list(model.modules()))
    model.layers[0].extra = 1
    assert state.moved() == "Layer.extra"


@pytest.mark.parametrize("change", [swap_first_weight, another_activation, rebind_then_change_the_copy])
def test_fit_trains_as_interpreted_when_the_learners_code_changes_the_model_between_steps(change, capsys):
    """An accuracy function of the learner's that changes the model at its 7th call: fit's next compiled step
    would replay the trace's model."""
    runs = []
    for compile_ in (True, False):
        model = nn.MLP(2, [4, 1], seed=1)
        calls = []

        def accuracy(p, t, model=model, calls=calls):
            calls.append(1)
            if len(calls) == 7:
                change(model)
            return (p.data > 0) == (t > 0)

        history = fit(model, X, Y, epochs=4, batch_size=4, progress=False, seed=0, compile=compile_, accuracy=accuracy)
        runs.append((history, [bits(p.data) for p in model.parameters()]))
    assert runs[0] == runs[1]
    assert "changed between steps" in capsys.readouterr().err


def test_fit_of_an_unchanged_mlp_stays_compiled(capsys):
    model = nn.MLP(2, [4, 1], seed=1)
    fit(model, X, Y, epochs=3, batch_size=4, progress=False, seed=0, validation_data=(X[:6], Y[:6]))
    assert "fit:" not in capsys.readouterr().err


class Holder:
    """An object of the learner's that keeps a layer."""

    def __init__(self):
        self.layer = nn.Layer(2, 1, "tanh", rng=0)


HOLDER = Holder()
NAMESPACE = types.SimpleNamespace(layer=nn.Layer(2, 1, "tanh", rng=1))
LAYERS = {"first": [nn.Layer(2, 1, "tanh", rng=2)]}
DEFAULT = nn.Layer(2, 1, "tanh", rng=3)


@pytest.mark.parametrize(
    "get",
    [lambda: HOLDER.layer, lambda: NAMESPACE.layer, lambda: LAYERS["first"][0], lambda layer=DEFAULT: layer],
    ids=["learners-object", "namespace", "dict-of-lists", "default-argument"],
)
def test_a_layer_kept_anywhere_fn_reaches_is_watched(get):
    """fn reaches the layer through a helper function: by a global kept in an object, a namespace, a dict of
    lists, or the helper's default argument."""

    def fn(a, b, get=get):
        return get()([a, b])[0]

    f = compile(fn, 0.3, -0.8)
    layer = get()
    old = layer.neurons[0].w[0]
    try:
        layer.neurons[0].w[0] = Value(2.0)
        assert bits(f(0.3, -0.8)) == bits(fn(0.3, -0.8).data) and f.handed_over == 1
    finally:
        layer.neurons[0].w[0] = old


def test_a_library_function_the_learner_patches_after_compile_is_seen(monkeypatch):
    """fn calls `losses.mse`; the learner then puts an own loss in its place (an exercise: "write your MSE")."""
    from micrograd_ko import losses

    w = Value(0.5)

    def fn(x, t):
        return losses.mse(w * x, t)

    f = compile(fn, 2.0, 1.0)
    monkeypatch.setattr(losses, "mse", lambda p, t: (p - t).abs())
    assert f(3.0, 1.0) == fn(3.0, 1.0).data == 0.5 and f.handed_over == 1
