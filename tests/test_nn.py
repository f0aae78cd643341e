"""Neuron, Layer, MLP, Dropout, Sequential: structure, contract names, errors."""

import random

import pytest

from micrograd_ko import nn
from micrograd_ko.engine import Value, topological_order
from micrograd_ko.i18n import language
from micrograd_ko.nn import ACTIVATIONS, MLP, Dropout, Layer, Module, Neuron, Sequential


def test_defaults_are_karpathys_mlp_bit_for_bit():
    micrograd_nn = pytest.importorskip("micrograd.nn")
    random.seed(7)
    theirs = micrograd_nn.MLP(2, [16, 16, 1])
    ours = MLP(2, [16, 16, 1], seed=7)
    assert len(ours.parameters()) == len(theirs.parameters()) == 337
    # random.Random(7) draws the same U(-1, 1) numbers as the seeded global state
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    for x in ([0.3, -0.7], [2.0, 1.5], [-1.0, 0.0]):
        assert ours(x).data == pytest.approx(theirs(x).data, abs=1e-12)
    assert [layer.activation for layer in ours.layers] == ["relu", "relu", "linear"]


def test_without_a_seed_the_weights_come_from_the_global_random_as_in_micrograd():
    micrograd_nn = pytest.importorskip("micrograd.nn")
    random.seed(1337)
    theirs = micrograd_nn.MLP(2, [16, 16, 1])
    after_theirs = random.getstate()
    random.seed(1337)
    ours = MLP(2, [16, 16, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    assert random.getstate() == after_theirs  # the same numbers were drawn, no more
    random.seed(5)
    theirs_neuron = micrograd_nn.Neuron(3)
    random.seed(5)
    ours_neuron = Neuron(3)
    assert [p.data for p in ours_neuron.parameters()] == [p.data for p in theirs_neuron.parameters()]


def test_an_int_seed_keeps_a_private_generator_and_other_inits_keep_their_rules():
    random.seed(0)
    state = random.getstate()
    seeded = MLP(2, [4, 1], init="he_normal", seed=3)
    assert random.getstate() == state
    assert [p.data for p in seeded.parameters()] == [
        p.data for p in MLP(2, [4, 1], init="he_normal", seed=3).parameters()
    ]
    # the same rule drawn from the global state: the same numbers when the global state is seeded alike
    random.seed(3)
    from_global = MLP(2, [4, 1], init="he_normal")
    assert [p.data for p in from_global.parameters()] == [p.data for p in seeded.parameters()]


def _karpathy_demo_losses(value_class, model, X, y, steps):
    """The training loop of karpathy's demo.ipynb (SVM max-margin loss, L2, decaying learning rate), unchanged."""
    curve = []
    for k in range(steps):
        inputs = [list(map(value_class, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        curve.append(total_loss.data)
    return curve


def test_karpathys_demo_loop_reproduces_micrograds_loss_curve_after_random_seed():
    micrograd_engine = pytest.importorskip("micrograd.engine")
    micrograd_nn = pytest.importorskip("micrograd.nn")
    from micrograd_ko import datasets

    X, labels = datasets.moons(16, noise=0.1, seed=0)
    y = [2 * t - 1 for t in labels]
    random.seed(1337)
    theirs = _karpathy_demo_losses(micrograd_engine.Value, micrograd_nn.MLP(2, [16, 16, 1]), X, y, steps=4)
    random.seed(1337)
    ours = _karpathy_demo_losses(Value, MLP(2, [16, 16, 1]), X, y, steps=4)
    assert ours == pytest.approx(theirs, rel=1e-12)
    assert ours[-1] < ours[0]


def test_a_neuron_is_a_dot_node_a_bias_add_and_an_activation():
    neuron = Neuron(5, activation="tanh", rng=0)
    x = [Value(float(i)) for i in range(5)]
    out = neuron(x)
    assert out._op == "tanh"
    (added,) = out._prev
    assert added._op == "+"
    dotted, bias = added._prev
    assert dotted._op == "dot" and bias is neuron.b
    assert len(topological_order(out)) == 5 + 5 + 1 + 3  # inputs, weights, bias, 3 nodes


def test_output_is_a_value_for_one_unit_else_a_list():
    assert isinstance(MLP(3, [4, 1], seed=0)([1, 2, 3]), Value)
    out = MLP(3, [4, 2], seed=0)([1, 2, 3])
    assert isinstance(out, list) and len(out) == 2 and all(isinstance(v, Value) for v in out)
    assert isinstance(MLP(1, [3, 1], seed=0)(0.5), Value)  # one input may be a bare number


def test_one_unit_middle_layer_works_forward_and_backward():
    model = MLP(2, [1, 3, 1], activation="tanh", seed=1)
    out = model([0.5, -0.25])
    out.backward()
    assert model.layers[0].nout == 1
    assert any(p.grad != 0.0 for p in model.layers[0].parameters())


def test_every_activation_name_is_accepted_and_recorded():
    for name in ACTIVATIONS:
        model = MLP(2, [3, 3, 1], activation=name, output_activation=name, seed=0)
        assert [layer.activation for layer in model.layers] == [name] * 3
        assert all(n.activation == name for layer in model.layers for n in layer.neurons)
        out = model([0.3, -0.2])
        assert out._op == ("+" if name == "linear" else name)


def test_activation_per_hidden_layer_and_output_activation():
    model = MLP(2, [4, 4, 4, 1], activation=["tanh", "relu", "gelu"], output_activation="sigmoid", seed=0)
    assert [layer.activation for layer in model.layers] == ["tanh", "relu", "gelu", "sigmoid"]
    assert 0.0 < model([1.0, 2.0]).data < 1.0
    with pytest.raises(ValueError, match="one entry per hidden layer: 3 expected"):
        MLP(2, [4, 4, 4, 1], activation=["tanh", "relu"])


def test_unknown_activation_lists_the_valid_names():
    with pytest.raises(ValueError) as error:
        MLP(2, [3, 1], activation="swish")
    assert "'swish'" in str(error.value)
    for name in ACTIVATIONS:
        assert name in str(error.value)
    with pytest.raises(ValueError, match="softmax"):
        MLP(2, [1], output_activation="softmax")
    with pytest.raises(ValueError):
        MLP(2, [1], activation="nope")  # checked even without hidden layers
    layer = Layer(2, 2)
    with pytest.raises(ValueError):
        layer.activation = "Tanh"
    assert layer.activation == "relu"


def test_setting_a_layers_activation_changes_its_neurons():
    layer = Layer(2, 3, activation="relu", rng=0)
    layer.activation = "tanh"
    assert all(out._op == "tanh" for out in layer([1.0, -1.0]))


@pytest.mark.parametrize(
    "call",
    [
        lambda: MLP(0, [1]),
        lambda: MLP(2, []),
        lambda: MLP(2, [3, 0]),
        lambda: MLP(2.5, [1]),
        lambda: MLP(2, 3),
        lambda: Neuron(True),
    ],
)
def test_bad_sizes_are_rejected(call):
    with pytest.raises((TypeError, ValueError)):
        call()


def test_wrong_input_length_names_the_sizes():
    model = MLP(3, [2, 1], seed=0)
    with pytest.raises(ValueError, match="nin=3"):
        model([1.0, 2.0])
    with pytest.raises(TypeError):
        model(None)


def test_parameters_named_parameters_and_zero_grad():
    model = MLP(2, [3, 1], seed=0)
    named = list(model.named_parameters())
    assert len(named) == len(model.parameters()) == 2 * 3 + 3 + 3 + 1
    names = [name for name, _ in named]
    assert len(set(names)) == len(names)
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert dict(named)["layers.1.neurons.0.b"] is model.layers[1].neurons[0].b
    model([1.0, 2.0]).backward()
    assert any(p.grad for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_a_custom_module_finds_the_parameters_of_its_parts():
    class Net(Module):
        def __init__(self):
            self.hidden = Layer(2, 4, "tanh", rng=0)
            self.drop = Dropout(0.5, rng=0)
            self.out = Layer(4, 1, "linear", rng=1)
            self.scale = Value(2.0)
            self._cache = Value(9.0)  # private: not a parameter

        def __call__(self, x):
            return self.out(self.drop(self.hidden(x)))[0] * self.scale

    net = Net()
    assert len(net.parameters()) == 4 * 3 + 5 + 1
    assert all(p is not net._cache for p in net.parameters())
    net.eval()
    assert net.drop.training is False and net.hidden.training is False
    assert isinstance(net([1.0, 2.0]), Value)


class _Linear(Module):
    """A learner's layer: the weight matrix as a list of rows (nested lists of Values)."""

    def __init__(self, nin, nout, rng):
        self.W = [[Value(rng.uniform(-1, 1)) for _ in range(nin)] for _ in range(nout)]
        self.b = [Value(0.0) for _ in range(nout)]

    def __call__(self, x):
        return [sum((w * xi for w, xi in zip(row, x)), b) for row, b in zip(self.W, self.b)]


class _NestedNet(Module):
    def __init__(self):
        rng = random.Random(0)
        self.parts = {"hidden": _Linear(2, 4, rng), "out": _Linear(4, 1, rng)}  # parts in a dict
        self.gain = (Value(1.0), Value(0.5))  # a tuple of Values
        self.drops = {"input": [Dropout(0.0, rng=0)]}
        self.itself = self  # a part referring back: walked once

    def __call__(self, x):
        hidden = [v.tanh() for v in self.parts["hidden"](self.drops["input"][0](x))]
        return self.parts["out"](hidden)[0] * self.gain[0] + self.gain[1]


def test_parameters_kept_in_nested_lists_tuples_and_dicts_are_found_trained_and_saved():
    from micrograd_ko import datasets, optim
    from micrograd_ko.train import fit

    net = _NestedNet()
    names = [name for name, _ in net.named_parameters()]
    assert len(net.parameters()) == 8 + 4 + 4 + 1 + 2 == len(set(map(id, net.parameters())))
    assert names[:3] == ["parts.hidden.W.0.0", "parts.hidden.W.0.1", "parts.hidden.W.1.0"]
    assert "gain.0" in names and "parts.out.b.0" in names
    assert list(net.state_dict())[:2] == ["parts.hidden.W.0", "parts.hidden.W.1"]
    net.eval()
    assert net.drops["input"][0].training is False
    net.train()

    X, y = datasets.xor()
    histories, weights = [], []
    for compile_ in (True, False):
        net = _NestedNet()
        before = [p.data for p in net.parameters()]
        history = fit(net, X, y, loss="mse", optimizer=optim.SGD(net.parameters(), lr=0.1), epochs=5,
                      progress=False, compile=compile_, seed=0)  # fmt: skip
        after = [p.data for p in net.parameters()]
        assert all(a != b for a, b in zip(after[:8], before[:8]))  # the matrix rows moved: they are trained
        histories.append(history)
        weights.append(after)
    assert histories[0] == histories[1] and weights[0] == weights[1]
    copy = _NestedNet()
    copy.load_state_dict(net.state_dict())
    assert [p.data for p in copy.parameters()] == weights[1]


def test_repr_is_readable_in_both_languages():
    model = MLP(2, [16, 16, 1], dropout=0.1, seed=0)
    with language("ko"):
        text = repr(model)
    assert "2 → 16 → 16 → 1" in text and "매개변수 337개" in text
    assert "Layer(16 → 1, activation='linear')" in text and "Dropout(p=0.1)" in text
    with language("en"):
        assert "337 parameters" in repr(model)
    assert repr(Neuron(3, "tanh", rng=0)) == "Neuron(nin=3, activation='tanh')"


def test_dropout_drops_and_rescales_in_training_and_passes_in_eval():
    drop = Dropout(0.25, rng=3)
    xs = [Value(1.0) for _ in range(4000)]
    out = drop(xs)
    kept = [v.data for v in out if v.data != 0.0]
    assert 0.71 < len(kept) / len(xs) < 0.79
    assert all(v == pytest.approx(1.0 / 0.75) for v in kept)
    drop.eval()
    assert drop(xs) is xs
    for p in (-0.1, 1.0, "0.5"):
        with pytest.raises(ValueError):
            Dropout(p)


def test_mlp_dropout_is_seeded_and_off_in_eval_mode():
    a = MLP(4, [32, 1], dropout=0.5, seed=5)
    b = MLP(4, [32, 1], dropout=0.5, seed=5)
    no_dropout = MLP(4, [32, 1], seed=5)
    x = [0.1, 0.2, 0.3, 0.4]
    assert [p.data for p in a.parameters()] == [p.data for p in no_dropout.parameters()]
    assert a(x).data == b(x).data  # same seed, same dropped units
    assert a(x).data != no_dropout(x).data
    a.eval()
    assert a(x).data == no_dropout(x).data


def test_sequential_composes_modules():
    model = Sequential(Layer(2, 4, "tanh", rng=0), Dropout(0.5, rng=0), Layer(4, 1, "linear", rng=0))
    assert len(model.parameters()) == 12 + 5
    out = model.eval()([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 1
    with pytest.raises(TypeError):
        Sequential(Layer(2, 2), "relu")


def test_layer_set_weights_checks_shapes_before_changing_anything():
    layer = Layer(2, 3, rng=0)
    layer.set_weights([[1, 2], [3, 4], [5, 6]], [0.5, 0.25, 0.0])
    assert [[w.data for w in n.w] for n in layer.neurons] == [[1, 2], [3, 4], [5, 6]]
    assert [n.b.data for n in layer.neurons] == [0.5, 0.25, 0.0]
    before = [p.data for p in layer.parameters()]
    with pytest.raises(ValueError, match=r"weights\[2\]"):
        layer.set_weights([[9, 9], [9, 9], [9]])
    with pytest.raises(ValueError, match="biases"):
        layer.set_weights([[9, 9]] * 3, [1.0, 2.0])
    assert [p.data for p in layer.parameters()] == before


@pytest.mark.parametrize(
    "build, shape",
    [
        (lambda: MLP(2, [10**9]), "2 → 1,000,000,000"),
        (lambda: MLP(784, [100000, 10]), "784 → 100,000 → 10"),
        (lambda: MLP(1, [1] * 1001), "1001 layers"),
        (lambda: Layer(784, 100000), "784 → 100,000"),
        (lambda: Neuron(10**9), "1,000,000,000 → 1"),
    ],
)
def test_a_network_beyond_the_load_caps_is_refused_before_anything_is_built(build, shape):
    # counted, not allocated: without the check these take minutes and gigabytes (the test would hang)
    with pytest.raises(ValueError) as error:
        build()
    message = str(error.value)
    assert shape in message and "too large to build" in message and "만들기에 너무 큽니다" in message
    assert f"{nn.MAX_PARAMETERS:,} parameters" in message


def test_a_network_at_the_cap_is_built(monkeypatch):
    monkeypatch.setattr(nn, "MAX_PARAMETERS", 13)
    assert len(MLP(2, [3, 1], seed=0).parameters()) == 13  # (2 + 1) * 3 + (3 + 1) * 1
    with pytest.raises(ValueError, match="17 parameters is too large to build"):
        MLP(2, [4, 1], seed=0)


@pytest.mark.parametrize("nouts", [None, "16", 3.0, {4, 1}])
def test_nouts_that_is_not_a_list_of_widths_says_so(nouts):
    with pytest.raises(TypeError) as error:
        MLP(2, nouts)
    assert "nouts is a list of layer widths" in str(error.value) and "nouts는" in str(error.value)
    assert "not iterable" not in str(error.value)


def test_a_bad_width_is_named_by_its_place():
    with pytest.raises(ValueError, match=r"nouts\[1\] must be a positive int, got 2.0"):
        MLP(2, [3, 2.0])


@pytest.mark.parametrize(
    "call, error_type, message",
    [
        (lambda: Neuron(3, rng=0)(5.0), ValueError, "the input has 1 number, expected nin=3"),
        (lambda: Neuron(2, rng=0)("ab"), TypeError, "the input must be a list of 2 numbers"),
        (lambda: Neuron(2, rng=0)(None), TypeError, "the input must be a list of 2 numbers"),
        (lambda: Layer(2, 2, rng=0)([1.0, "x"]), TypeError, r"input \[1\] is not a number"),
        (lambda: MLP(2, [1], seed=0)({"a": 1, "b": 2}), TypeError, "the input must be a list of 2 numbers"),
    ],
)
def test_a_neuron_layer_or_mlp_called_on_a_wrong_input_names_it(call, error_type, message):
    with pytest.raises(error_type, match=message) as error:
        call()
    assert " / " in str(error.value)


def test_a_neuron_called_on_the_right_input_matches_its_formula():
    neuron = Neuron(2, activation="linear", rng=0)
    out = neuron([2.0, Value(-1.0)])
    assert out.data == pytest.approx(neuron.w[0].data * 2.0 - neuron.w[1].data + neuron.b.data, rel=1e-15)


@pytest.mark.parametrize("draw", [lambda: 0.5, lambda rng: 0.5, lambda rng, fan_in, fan_out, extra: 0.5])
def test_an_initializer_with_the_wrong_signature_says_how_it_is_called(draw):
    with pytest.raises(TypeError) as error:
        MLP(2, [1], init=draw)
    message = str(error.value)
    assert "draw(rng, fan_in, fan_out) -> float" in message and "(rng, fan_in, fan_out)을 받아" in message
    assert "positional argument" not in message


def test_an_initializer_returning_none_is_named():
    with pytest.raises(TypeError, match="bias_init: .* expected a number, got NoneType"):
        MLP(2, [1], bias_init=lambda rng, fan_in, fan_out: None)


def test_a_list_of_activations_says_it_is_one_per_hidden_layer_and_how_many():
    with pytest.raises(ValueError) as error:
        MLP(2, [4, 4, 1], activation=["relu"])
    message = str(error.value)
    assert "은닉층마다 하나씩, 2개여야 하는데 1개입니다" in message
    assert "one entry per hidden layer: 2 expected, got 1" in message
    assert MLP(2, [4, 4, 1], activation=["relu", "tanh"], seed=0).config["activation"] == ["relu", "tanh"]


def test_integer_types_that_are_not_int_are_sizes_and_become_ints():
    np = pytest.importorskip("numpy")
    model = MLP(np.int64(2), [np.int64(3), np.int32(1)], seed=0)
    assert [layer.nout for layer in model.layers] == [3, 1]
    config = model.config
    assert type(config["nin"]) is int and all(type(n) is int for n in config["nouts"])
    assert Layer(np.int16(2), np.int64(2)).nin == 2
    with pytest.raises(ValueError, match="nouts\\[0\\]"):
        MLP(2, [np.bool_(True)])
    with pytest.raises(ValueError, match="nouts\\[0\\]"):
        MLP(2, [True])


@pytest.mark.parametrize("where", ["output_activation", "activation"])
def test_softmax_as_an_activation_points_to_the_cross_entropy_loss(where):
    with pytest.raises(ValueError) as error:
        MLP(2, [4, 3], **{where: "softmax"})
    korean, english = str(error.value).split(" / ")
    assert "loss='cross_entropy'" in korean and "loss='cross_entropy'" in english
    assert "output_activation=None" in english


def test_activations_kept_for_a_plot_are_no_parameters_and_cycles_are_walked_once():
    class Recording(Module):
        def __init__(self):
            self.l1 = Layer(2, 3, "tanh", rng=0)
            self.acts = []  # the last call's activations, for a plot
            a = {"value": 1.0}
            self.schedule = {"first": a, "next": {"value": 2.0, "prev": a}}
            a["next"] = self.schedule  # a small cyclic structure of numbers

        def __call__(self, x):
            h = self.l1(x)
            self.acts = [h]
            return h[0]

    model = Recording()
    before = [name for name, _ in model.named_parameters()]
    model([0.5, -1.0])
    assert [name for name, _ in model.named_parameters()] == before and len(before) == 9
    assert "acts" not in " ".join(model.state_dict())
    assert len(list(model.modules())) == 1 + 1 + 3  # itself, the layer and its neurons


def test_a_parameter_kept_in_two_places_is_listed_once_and_trains_once():
    from micrograd_ko.module import Module
    from micrograd_ko.train import fit

    class Tied(Module):
        """The same weight vector used twice (tied weights): listed once, as PyTorch's parameters() does."""

        def __init__(self):
            self.net = MLP(2, [3, 2], seed=3)
            self.tied = [self.net.layers[0].neurons[0].w, self.net.layers[0].neurons[0].b]

        def __call__(self, x):
            return self.net(x)

    model = Tied()
    names = [name for name, _ in model.named_parameters()]
    assert len(model.parameters()) == len({id(p) for p in model.parameters()}) == len(MLP(2, [3, 2]).parameters())
    assert not any(name.startswith("tied") for name in names)  # its first name is the one given
    runs = [
        fit(Tied(), [[0.1, 0.2], [0.4, -0.3]], [[1.0, 0.0], [0.0, 1.0]], epochs=3, progress=False, compile=c)
        for c in (True, False)
    ]
    assert runs[0] == runs[1]


@pytest.mark.parametrize(
    "batch",
    [
        [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]],  # model(X): the whole XOR data set at once
        [[0.0, 1.0], [1.0, 0.0]],  # as many samples as inputs: it read "input [0] is not a number"
        [[0.5] * 2],  # one sample, one list too deep
    ],
)
def test_a_list_of_lists_is_called_a_list_of_lists_with_both_ways_out(batch):
    """model(X) on a data set, or an input nested like an 8×8 image, used to read as 'the input has 4 numbers'."""
    with pytest.raises(TypeError) as error:
        MLP(2, [3, 1], seed=0)(batch)
    ko, en = str(error.value).split(" / ")
    assert (
        f"목록 {len(batch)}개의 목록" in ko and "[model(x) for x in X]" in ko and "[v for row in x for v in row]" in ko
    )
    assert f"a list of {len(batch)} lists" in en and "[model(x) for x in X]" in en and "expected nin" not in en
