"""fit(compile=True) equals fit(compile=False), and a trace hides nothing a learner sees (the twelfth review):
what a learner's accuracy function does with a compiled step's stand-in predictions through micrograd_ko's own
graph walks, and what a traced model writes or warns through other routes than print() and sys.stdout."""

import contextlib
import io
import logging
import pickle
import sys
import warnings

from test_fit_python_state import LabelsItsOutput, X, Y, bits

import micrograd_ko as ko
from micrograd_ko import nn
from micrograd_ko.module import Module
from micrograd_ko.train import fit


def _runs(make, accuracy=None, **kwargs):
    """[(history, weights' (data, grad) bits)] for compile=True and compile=False, each on a new model."""
    runs = []
    for compile_ in (True, False):
        model = make()
        history = fit(model, X, Y, epochs=3, batch_size=4, progress=False, seed=0, compile=compile_,
                      accuracy=accuracy() if accuracy else None, **kwargs)  # fmt: skip
        runs.append((history, [(bits(p.data), bits(p.grad)) for p in model.parameters()]))
    return runs


def _mlp():
    return nn.MLP(2, [4, 1], seed=1)


def test_an_accuracy_that_zeroes_a_predictions_graph_leaves_the_weights_grads_as_interpreted():
    """p.zero_grad() on a real prediction zeroes the weights' .grad too (they are in its graph); on a compiled
    step's stand-in (a new leaf) it zeroed nothing: after fit the weights' .grad differed, under no notice."""

    def accuracy():
        return lambda p, t: (p.zero_grad(), (p.data > 0) == (t > 0))[1]

    compiled, interpreted = _runs(_mlp, accuracy)
    assert compiled == interpreted
    assert all(grad == bits(0.0) for _, grad in interpreted[1])


def test_an_accuracy_that_draws_a_predictions_graph_draws_the_same_graph():
    """A drawing of a stand-in was one leaf (15,217 characters of SVG against the real graph's 108,880)."""
    drawings = []

    def accuracy():
        drawings.append([])
        return lambda p, t: drawings[-1].append(ko.render_svg(p)) or True

    compiled, interpreted = _runs(_mlp, accuracy)
    assert compiled == interpreted
    assert drawings[0] == drawings[1]


class Logs(Module):
    """A learner's model that logs a line on every forward pass through a handler made before fit."""

    def __init__(self, log):
        self.net, self.log = nn.MLP(2, [4, 1], seed=1), log

    def __call__(self, x):
        self.log.warning("forward")
        return self.net(x)


def test_a_model_that_logs_to_a_handler_of_the_console_logs_as_often(capsys):
    """logging's StreamHandler holds the sys.stderr object it was given: the trace's line went past the watch of
    sys.stderr, so the model compiled and logged 13 lines against 24 interpreted (12 rows, 2 epochs)."""
    log = logging.getLogger("micrograd_ko.tests.review12")
    handler = logging.StreamHandler(sys.stderr)
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("warm")  # (the logger's own caches filled before fit)
        capsys.readouterr()
        for compile_ in (True, False):
            fit(Logs(log), X, Y, epochs=2, batch_size=4, progress=False, seed=0, compile=compile_)
            assert capsys.readouterr().err.count("forward") == 24
    finally:
        log.removeHandler(handler)


class LogsByName(Module):
    """A learner's model that logs through `logging.getLogger(name)` at each call (no logger kept in the model)."""

    def __init__(self):
        self.net = nn.MLP(2, [4, 1], seed=1)

    def __call__(self, x):
        logging.getLogger("micrograd_ko.tests.review12.by_name").warning("forward")
        return self.net(x)


def test_a_model_that_logs_by_a_loggers_name_logs_as_often(capsys):
    """The logger is looked up by name in each call, so nothing the model keeps holds the handler's stream:
    the trace's line went to the stream object itself, past the watch of the name sys.stderr (13 against 24)."""
    log = logging.getLogger("micrograd_ko.tests.review12.by_name")
    handler = logging.StreamHandler(sys.stderr)
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("warm")
        capsys.readouterr()
        for compile_ in (True, False):
            fit(LogsByName(), X, Y, epochs=2, batch_size=4, progress=False, seed=0, compile=compile_)
            assert capsys.readouterr().err.count("forward") == 24
    finally:
        log.removeHandler(handler)


class WritesTo(Module):
    """A learner's model that writes a line on every forward pass to a stream it was given."""

    def __init__(self, stream):
        self.net, self.stream = nn.MLP(2, [4, 1], seed=1), stream

    def __call__(self, x):
        self.stream.write("forward\n")
        return self.net(x)


def test_a_model_that_writes_to_the_console_object_it_holds_writes_as_often(capsys):
    """sys.__stdout__, or sys.stdout bound before fit (`OUT = sys.stdout`): 13 lines compiled, 24 interpreted."""
    for compile_ in (True, False):
        fit(WritesTo(sys.stdout), X, Y, epochs=2, batch_size=4, progress=False, seed=0, compile=compile_)
        assert capsys.readouterr().out.count("forward") == 24


def test_a_model_that_writes_to_a_file_or_a_buffer_writes_as_often():
    """A log file or an io.StringIO the model writes to: 13 lines compiled, 24 interpreted, under no notice."""
    for compile_ in (True, False):
        buffer = io.StringIO()
        fit(WritesTo(buffer), X, Y, epochs=2, batch_size=4, progress=False, seed=0, compile=compile_)
        assert buffer.getvalue().count("forward") == 24


class Warns(Module):
    def __init__(self):
        self.net = nn.MLP(2, [4, 1], seed=1)

    def __call__(self, x):
        warnings.warn("a warning of the learner's model", UserWarning, stacklevel=1)
        return self.net(x)


def test_a_model_that_warns_shows_its_warning_compiled_too(capsys):
    """The trace kept the warning's text back, and Python's registry then counted it as shown: compiled, the
    learner never saw it (interpreted, once). Where warnings are recorded (`catch_warnings(record=True)`, as
    pytest does) the trace's went into the record and the model compiled: 1 warning against 24 with the filter
    "always"."""
    for action, times in (("default", 1), ("once", 1), ("module", 1), ("always", 24)):
        for compile_ in (True, False):
            with warnings.catch_warnings(record=True) as caught:  # (a fresh registry for each run)
                warnings.simplefilter(action)
                fit(Warns(), X, Y, epochs=2, batch_size=4, progress=False, seed=0, compile=compile_)
            assert sum("of the learner's model" in str(w.message) for w in caught) == times
    for compile_ in (True, False):  # shown on sys.stderr
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = lambda message, *rest: print(f"shown: {message}", file=sys.stderr)
            fit(Warns(), X, Y, epochs=2, batch_size=4, progress=False, seed=0, compile=compile_)
        assert capsys.readouterr().err.count("a warning of the learner's model") == 1


def test_a_value_can_be_given_a_subclass_of_the_same_layout():
    """`v.__class__ = Mine` (a subclass adding no slots) worked before Value's __class__ became a property for the
    tracer; the property had no setter: AttributeError "property '__class__' of 'Value' object has no setter"."""

    class Mine(ko.Value):
        __slots__ = ()

    v = ko.Value(1.5)
    v.__class__ = Mine
    assert type(v) is Mine and v.__class__ is Mine and (v * 2).data == 3.0
    v.__class__ = ko.Value
    assert type(v) is ko.Value


def _squared(p, t):
    return (p - t) ** 2


def test_predictions_an_accuracy_keeps_show_their_gradient_where_a_stand_in_cannot_be_given_it(capsys):
    """Where fit cannot give the stand-ins the real .grad (a loss function of the learner's, a labelled
    prediction), predictions an accuracy function kept to look at after fit held grad 0.0 compiled against
    the real gradients interpreted (the last three: -0.4147, 0.1980, 0.3634), under no notice."""
    for make, loss in ((_mlp, _squared), (LabelsItsOutput, "mse")):
        runs = []
        for compile_ in (True, False):
            kept = []
            history = fit(make(), X, Y, loss=loss, epochs=2, batch_size=4, progress=False, seed=0,
                          compile=compile_, accuracy=lambda p, t, kept=kept: kept.append(p) or (p.data > 0) == (t > 0))  # fmt: skip
            runs.append((history, [(bits(p.grad), repr(p)) for p in kept]))
        assert runs[0] == runs[1]
        assert capsys.readouterr().err.count("keeps a prediction") == 1


def test_an_accuracy_that_pickles_predictions_pickles_what_interpreted_pickles():
    """A real prediction's op cannot be pickled (TypeError); a stand-in, a leaf, can: an accuracy that saved what
    it could pickle saved 32 predictions compiled against none interpreted (12 rows, 3 epochs of batches of 4)."""
    saved = []

    def accuracy():
        saved.append([])

        def judge(p, t):
            with contextlib.suppress(TypeError):  # (the op of a real prediction cannot be pickled)
                saved[-1].append(pickle.dumps(p))
            return (p.data > 0) == (t > 0)

        return judge

    compiled, interpreted = _runs(_mlp, accuracy)
    assert compiled == interpreted
    assert len(saved[0]) == len(saved[1]) == 0


def test_a_warning_of_the_accuracy_function_is_shown_as_often():
    """The trace forgets the warnings it kept back and no other: leaving a catch_warnings() around every trace
    made Python forget them all, and a warning of the accuracy function (not traced) was shown again after each
    of fit's traces (3 times against once: batches of 5 and the last of 2, and the validation forward pass)."""

    def accuracy(p, t):
        warnings.warn("a warning of the learner's accuracy function", UserWarning, stacklevel=1)
        return (p.data > 0) == (t > 0)

    for compile_ in (True, False):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            fit(_mlp(), X, Y, epochs=3, batch_size=5, progress=False, seed=0, compile=compile_, accuracy=accuracy,
                validation_data=(X[:5], Y[:5]))  # fmt: skip
        assert len(caught) == 1


def test_a_score_an_accuracy_takes_out_of_a_prediction_and_keeps_shows_its_gradient():
    """`kept.append(p.pop())` adds no reference in all (one more kept, one less in the list): the kept scores of
    compiled steps held grad 0.0, interpreted the real ones (0.0779, -0.1902, 0.0700 the last three)."""
    y = [i % 3 for i in range(12)]
    runs = []
    for compile_ in (True, False):
        kept = []
        history = fit(nn.MLP(2, [4, 3], seed=1), X, y, loss="cross_entropy", epochs=2, batch_size=4, progress=False,
                      seed=0, compile=compile_, accuracy=lambda p, t, kept=kept: kept.append(p.pop()) or True)  # fmt: skip
        runs.append((history, [bits(k.grad) for k in kept]))
    assert runs[0] == runs[1]
