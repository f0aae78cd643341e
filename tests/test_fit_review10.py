"""fit(compile=True) equals fit(compile=False) (the tenth review): what the learner's code does besides
computing numbers, seen the way a run interpreted would show it."""

import pytest
from test_fit_python_state import X, Y, both_ways

from micrograd_ko import nn
from micrograd_ko.module import Module
from micrograd_ko.train import fit


class SaysWhenCalled(Module):
    """A learner's model that prints a line on every forward pass, to see how often fit calls it."""

    def __init__(self):
        self.net = nn.MLP(2, [4, 1], seed=1)

    def __call__(self, x):
        print("forward")
        return self.net(x)


def test_a_model_that_prints_trains_as_interpreted_and_prints_as_often(capsys):
    """Compiled code does not run the model's Python, so its print() ran only while fit traced and checked:
    13 lines compiled against 36 interpreted (12 rows, 3 epochs), under no notice."""
    (compiled, weights_c, _), (interpreted, weights_i, _) = both_ways(SaysWhenCalled, X, Y, epochs=3, batch_size=4)
    assert compiled == interpreted and weights_c == weights_i
    said = capsys.readouterr()
    assert said.out.count("forward") == 2 * 36
    assert said.err.count("training interpreted, not compiled") == 1 and "print" in said.err


def test_a_model_that_prints_in_eval_mode_only_is_evaluated_by_the_model(capsys):
    """The forward pass traced for the validation data runs in eval mode: a print there keeps the model
    predicting the validation data every epoch, training stays compiled."""

    class SaysWhenEvaluated(SaysWhenCalled):
        def __call__(self, x):
            if not self.training:
                print("evaluated")
            return self.net(x)

    runs = [
        fit(SaysWhenEvaluated(), X, Y, epochs=3, batch_size=4, progress=False, seed=0, compile=c,
            validation_data=(X[:5], Y[:5]))
        for c in (True, False)
    ]  # fmt: skip
    assert runs[0] == runs[1]
    said = capsys.readouterr()
    assert said.out.count("evaluated") == 2 * 3 * 5
    assert "training interpreted" not in said.err


class Halving(Module):
    """A learner's model whose output passes through a method of its own class."""

    def __init__(self):
        self.net = nn.MLP(2, [4, 1], seed=1)

    def act(self, v):
        return v

    def __call__(self, x):
        return self.act(self.net(x))


def test_a_method_whose_code_is_replaced_between_steps_stops_compiled_training(capsys):
    """An accuracy function that puts other code into the model's method (`act.__code__ = ...`, what a reload
    in place does) on its 14th call: compiled steps went on with the traced code, silently (loss [0.8740,
    0.7738, 0.7458] compiled against [0.8740, 0.8589, 0.8477] interpreted, val_loss too)."""
    original = Halving.act.__code__

    def make_accuracy(model, optimizer):
        calls = []

        def accuracy(p, t):
            calls.append(1)
            if len(calls) == 14:
                Halving.act.__code__ = (lambda self, v: v * 0.5).__code__
            return (p.data > 0) == (t > 0)

        return accuracy

    runs = []
    try:
        for compile_ in (True, False):
            Halving.act.__code__ = original
            model = Halving()
            runs.append(
                fit(model, X, Y, accuracy=make_accuracy(model, None), epochs=3, batch_size=4, progress=False,
                    seed=0, compile=compile_, validation_data=(X[:4], Y[:4]))
            )  # fmt: skip
    finally:
        Halving.act.__code__ = original
    assert runs[0] == runs[1]
    assert capsys.readouterr().err.count("training interpreted, not compiled") == 1


class YieldsItsParameters(Module):
    """PyTorch's habit: parameters() is a generator (or a tuple)."""

    def __init__(self, kind=None):
        self.net = nn.MLP(2, [4, 1], seed=1)
        self.kind = kind

    def __call__(self, x):
        return self.net(x)

    def parameters(self):
        if self.kind is tuple:
            return tuple(self.net.parameters())
        return (p for p in self.net.parameters())


@pytest.mark.parametrize("kind", [None, tuple])
def test_a_model_whose_parameters_are_a_generator_or_a_tuple_trains_compiled_as_interpreted(kind, capsys):
    """fit added the model's parameters() to the optimizer's list: a raw TypeError from inside fit ("unsupported
    operand type(s) for +: 'generator' and 'list'")."""
    runs = [
        fit(YieldsItsParameters(kind), X, Y, epochs=3, batch_size=4, progress=False, seed=0, compile=c,
            validation_data=(X[:5], Y[:5]))
        for c in (True, False)
    ]  # fmt: skip
    assert runs[0] == runs[1]
    assert capsys.readouterr().err == ""
