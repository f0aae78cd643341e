"""fit(compile=True) equals fit(compile=False) (the tenth review): what the learner's code does besides
computing numbers, seen the way a run interpreted would show it."""

import collections
import copy
import pprint
import random
import sys

import pytest
import tqdm
from test_fit_python_state import X, Y, both_ways

import micrograd_ko as ko
from micrograd_ko import Value, nn
from micrograd_ko.compiler import CompileError
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

    def make_accuracy():
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
                fit(model, X, Y, accuracy=make_accuracy(), epochs=3, batch_size=4, progress=False,
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
    compiled, interpreted = both_ways(
        lambda: YieldsItsParameters(kind), X, Y, epochs=3, batch_size=4, validation_data=(X[:5], Y[:5])
    )
    assert compiled[:2] == interpreted[:2]
    assert capsys.readouterr().err == ""


class SeedsItsNoise(Module):
    """Noise the same on every call: the model seeds the random module before drawing (`random.seed(42)`)."""

    def __init__(self):
        self.net = nn.MLP(2, [4, 1], seed=1)

    def __call__(self, x):
        random.seed(42)
        return self.net(x) + random.gauss(0.0, 0.1)


class SeedsItsNumpyNoise(SeedsItsNoise):
    def __call__(self, x):
        import numpy as np

        np.random.seed(42)
        return self.net(x) + float(np.random.normal(0.0, 0.1))


class NoisySGD(ko.optim.SGD):
    """Gradient noise from the random module (and numpy's global generator) at each step."""

    def step(self):
        import numpy as np

        for p in self.params:
            p.grad += random.gauss(0.0, 0.01) + float(np.random.normal(0.0, 0.01))
        super().step()


def _drawing_accuracy(p, t):
    import numpy as np

    return (p.data + random.gauss(0.0, 0.3) + float(np.random.normal(0.0, 0.3)) > 0) == (t > 0)


@pytest.mark.parametrize("make", [SeedsItsNoise, SeedsItsNumpyNoise])
@pytest.mark.parametrize("draws", ["optimizer", "accuracy"])
def test_a_model_that_seeds_the_random_module_trains_as_interpreted(make, draws, capsys):
    """Seeding and drawing leaves the random state as the previous call of the model left it, so the trace was
    not seen drawing once fit had called the model before (its check that a loss of the learner's gives a
    Value): compiled steps did not seed, and the learner's code that draws between steps (a noisy SGD, an
    accuracy breaking ties at random) drew other numbers (third epoch's loss 0.74787 compiled vs 0.74879 with the
    noisy SGD, 0.74216 vs 0.74591 seeding numpy; accuracy [0.5, 0.5, 0.67] vs [0.42, 0.5, 0.67] with the
    drawing accuracy, [0.67, 0.75, 0.75] vs [0.67, 0.67, 0.58] seeding numpy)."""
    np = pytest.importorskip("numpy")
    runs = []
    for compile_ in (True, False):
        random.seed(3)
        np.random.seed(3)
        model = make()
        options = (
            dict(optimizer=NoisySGD(model.parameters(), lr=0.1))
            if draws == "optimizer"
            else dict(accuracy=_drawing_accuracy)
        )
        history = fit(model, X, Y, loss=lambda p, t: (p - t) ** 2, epochs=3, batch_size=4, progress=False, seed=0,
                      compile=compile_, validation_data=(X[:5], Y[:5]), **options)  # fmt: skip
        runs.append((history, [p.data for p in model.parameters()], random.getstate(), repr(np.random.get_state())))
    assert runs[0] == runs[1]
    said = capsys.readouterr().err
    assert "random" in said and "training interpreted" in said


def _numpy_seed():
    """numpy's `seed`, bound before fit, as `from numpy.random import seed` binds it."""
    np = pytest.importorskip("numpy")
    return np.random.seed


class SeedsThroughAName(SeedsItsNoise):
    def __init__(self, seed):
        super().__init__()
        self.seed = seed

    def __call__(self, x):
        import numpy as np

        self.seed(42)
        return self.net(x) + float(np.random.normal(0.0, 0.1))


def test_a_model_that_seeds_through_a_name_bound_before_fit_trains_as_interpreted(capsys):
    """A seed through a name bound before fit (numpy's `seed`, kept by the model) goes through no module
    attribute a watch could replace (with a noisy SGD, third epoch's loss 0.74158 compiled vs 0.74591, when fit
    watched `random.seed` and `np.random.seed` by name). What shows, whatever the name: calls of the model that
    start from other random states leave the same one."""
    np = pytest.importorskip("numpy")
    runs = []
    for compile_ in (True, False):
        random.seed(3)
        np.random.seed(3)
        model = SeedsThroughAName(_numpy_seed())
        history = fit(model, X, Y, loss=lambda p, t: (p - t) ** 2, optimizer=NoisySGD(model.parameters(), lr=0.1),
                      epochs=3, batch_size=4, progress=False, seed=0, compile=compile_)  # fmt: skip
        runs.append((history, [p.data for p in model.parameters()], random.getstate(), repr(np.random.get_state())))
    assert runs[0] == runs[1]
    assert "training interpreted" in capsys.readouterr().err


Point = collections.namedtuple("Point", "a b")


class ReadsFields(Module):
    """A learner's model that reads its input's fields by name (rows given as namedtuples)."""

    def __init__(self):
        self.net = nn.MLP(3, [4, 1], seed=1)

    def __call__(self, x):
        return self.net([x.a, x.b, 1.0])


class AddsABias(ReadsFields):
    """A learner's model that appends a constant input to its row, a tuple (`x + (1.0,)`)."""

    def __call__(self, x):
        return self.net(x + (1.0,))


@pytest.mark.parametrize("make, rows", [(ReadsFields, Point), (AddsABias, tuple), (AddsABias, Point)])
def test_rows_in_tuples_reach_the_trace_as_tuples(make, rows, interpreted_steps, capsys):
    """The trace gave the model every row as a list: a namedtuple's fields ("'list' object has no attribute 'a'")
    and tuple arithmetic (`x + (1.0,)`: can only concatenate list) failed there, and fit trained interpreted with
    that notice; fit's check and the programs now trace a row in the containers it comes in."""
    data = [rows(*r) if rows is Point else tuple(r) for r in X]
    (compiled, weights_c, _), (interpreted, weights_i, _) = both_ways(make, data, Y, epochs=3, batch_size=4)
    assert compiled == interpreted and weights_c == weights_i
    assert capsys.readouterr().err == ""
    assert len(interpreted_steps) == 1 + 9  # the check of the first batch, then the run with compile=False


def test_compile_sees_a_list_inside_a_tuple_argument_changed():
    """A tuple argument reaches fn as a tuple now; a list inside it that fn changes is still seen."""
    w = Value(0.5)

    def fn(xs):
        xs[0].append(xs[0][0])
        return w * xs[0][0]

    with pytest.raises(CompileError, match="changes the lists"):
        ko.compile(fn, ([1.0, 2.0],))
    assert ko.compile(lambda xs: w * xs[0] + xs[1], (1.0, 2.0))((3.0, 4.0)) == 5.5


@pytest.mark.parametrize("how", [copy.copy, copy.deepcopy])
def test_copies_of_predictions_an_accuracy_function_keeps_show_the_real_gradient(how, capsys):
    """A copy holds the .grad a prediction has when it is made, as its text does: an accuracy function that kept
    copies of the predictions (to look at after fit) kept 'grad=0.0' from compiled steps' stand-ins, against
    the real 'grad=0.36338144010038664' interpreted (the last row's), with no notice."""
    runs = []
    for compile_ in (True, False):
        kept = []

        def accuracy(p, t, kept=kept):
            kept.append(how(p))
            return (p.data > 0) == (t > 0)

        history = fit(nn.MLP(2, [4, 1], seed=1), X, Y, accuracy=accuracy, epochs=2, batch_size=4, progress=False,
                      seed=0, compile=compile_)  # fmt: skip
        runs.append((history, [repr(k) for k in kept]))
    assert runs[0] == runs[1]
    assert capsys.readouterr().err == ""


class WritesWhenCalled(SaysWhenCalled):
    """The same through other doors than print(): the stream itself, pprint, tqdm.write."""

    def __init__(self, say):
        super().__init__()
        self.say = say

    def __call__(self, x):
        self.say("forward\n")
        return self.net(x)


@pytest.mark.parametrize(
    "say",
    [
        lambda text: sys.stdout.write(text),
        lambda text: sys.stderr.write(text),
        lambda text: pprint.pprint(text.strip()),
        lambda text: tqdm.tqdm.write(text.strip()),
    ],
)
def test_a_model_that_writes_to_the_standard_streams_trains_as_interpreted_and_writes_as_often(say, capsys):
    """print() was watched while tracing, the streams were not: `sys.stdout.write` printed 13 lines compiled
    against 36 interpreted, without a notice. The trace now keeps the tracing thread's writes to sys.stdout and
    sys.stderr too."""
    (compiled, weights_c, _), (interpreted, weights_i, _) = both_ways(
        lambda: WritesWhenCalled(say), X, Y, epochs=3, batch_size=4
    )
    assert compiled == interpreted and weights_c == weights_i
    said = capsys.readouterr()
    assert (said.out + said.err).count("forward") == 2 * 36
    assert said.err.count("training interpreted, not compiled") == 1
