"""fit/evaluate: small networks really learn; history, progress bar and errors."""

import math
import random
import sys
from collections.abc import Sequence

import pytest

from micrograd_ko import Value, datasets, nn, optim
from micrograd_ko.nn import MLP
from micrograd_ko.optim import SGD, Adam
from micrograd_ko.train import evaluate, fit


def test_a_2_8_1_tanh_mlp_solves_xor_within_500_epochs():
    X, y = datasets.xor()
    model = MLP(2, [8, 1], activation="tanh", output_activation="sigmoid", seed=0)
    history = fit(model, X, y, loss="bce", optimizer=SGD(model.parameters(), lr=0.5), epochs=500, progress=False)
    assert len(history["loss"]) == len(history["accuracy"]) == 500
    assert history["accuracy"][0] < 1.0 and history["accuracy"][-1] == 1.0
    assert history["loss"][-1] < 0.05 < history["loss"][0]
    result = evaluate(model, X, y, loss="bce")
    assert result["accuracy"] == 1.0
    assert [round(model(x).data) for x in X] == y


def test_karpathys_moons_network_reaches_95_percent_on_new_points():
    X, y = datasets.moons(100, noise=0.1, seed=0)
    X_new, y_new = datasets.moons(200, noise=0.1, seed=1)
    signs, signs_new = [2 * t - 1 for t in y], [2 * t - 1 for t in y_new]
    model = MLP(2, [16, 16, 1], seed=0)
    history = fit(
        model,
        X,
        signs,
        loss="hinge",
        optimizer=Adam(model.parameters(), lr=0.05),
        epochs=20,
        batch_size=25,
        seed=0,
        progress=False,
    )
    assert history["accuracy"][0] < 0.95 <= history["accuracy"][-1]
    assert evaluate(model, X_new, signs_new, loss="hinge")["accuracy"] >= 0.95


def test_validation_data_is_evaluated_after_every_epoch():
    X, y = datasets.xor()
    model = MLP(2, [4, 1], activation="tanh", output_activation="sigmoid", seed=0)
    history = fit(model, X, y, loss="bce", epochs=3, progress=False, validation_data=(X[:2], y[:2]))
    assert len(history["val_loss"]) == len(history["val_accuracy"]) == 3
    assert history["val_loss"][-1] == evaluate(model, X[:2], y[:2], loss="bce")["loss"]


def test_cross_entropy_training_on_a_few_digits_lowers_the_loss():
    X, y = datasets.digits()
    X, y = X[:40], y[:40]
    model = MLP(64, [10], seed=0)
    before = evaluate(model, X, y, loss="cross_entropy")
    history = fit(
        model,
        X,
        y,
        loss="cross_entropy",
        optimizer=Adam(model.parameters(), lr=0.05),
        epochs=5,
        batch_size=10,
        seed=0,
        progress=False,
    )
    after = evaluate(model, X, y, loss="cross_entropy")
    assert after["loss"] < before["loss"] / 2 and after["accuracy"] > before["accuracy"]
    assert history["accuracy"][-1] > 0.8


def test_the_same_seed_trains_to_the_same_weights():
    X, y = datasets.moons(20, seed=0)

    def trained():
        model = MLP(2, [4, 1], dropout=0.2, seed=1)
        fit(
            model,
            X,
            y,
            loss="bce_with_logits",
            optimizer=SGD(model.parameters(), lr=0.1),
            epochs=3,
            batch_size=5,
            seed=2,
            progress=False,
        )
        return [p.data for p in model.parameters()]

    assert trained() == trained()


def test_progress_bar_shows_on_stderr_and_can_be_turned_off(capsys):
    X, y = datasets.xor()
    model = MLP(2, [2, 1], seed=0)
    fit(model, X, y, epochs=2, progress=False)
    assert capsys.readouterr().err == ""
    fit(model, X, y, epochs=2, progress=True)
    err = capsys.readouterr().err
    assert "2/2" in err and "손실" in err


def test_default_accuracy_follows_the_loss():
    X = [[0.0], [1.0]]
    model = MLP(1, [1], output_activation="linear", seed=0)
    model.layers[0].set_weights([[4.0]], [-1.0])  # outputs -1 and 3
    assert evaluate(model, X, [0, 1], loss="bce_with_logits")["accuracy"] == 1.0
    assert evaluate(model, X, [-1, 1], loss="hinge")["accuracy"] == 1.0
    assert evaluate(model, X, [-1, 3], loss="mse")["accuracy"] == 1.0
    assert evaluate(model, X, [3, -1], loss="mse")["accuracy"] == 0.0
    two = MLP(1, [2], seed=0)
    two.layers[0].set_weights([[1.0], [-1.0]], [0.0, 0.5])
    assert evaluate(two, X, [1, 0], loss="cross_entropy")["accuracy"] == 1.0
    assert evaluate(two, X, [[0, 1], [1, 0]], loss="mse")["accuracy"] == 1.0


def test_a_custom_loss_and_accuracy_can_be_given():
    X, y = datasets.xor()
    model = MLP(2, [4, 1], activation="tanh", seed=0)
    history = fit(model, X, y, loss=lambda p, t: (p - t) ** 2, accuracy=lambda p, t: True, epochs=3, progress=False)
    assert history["accuracy"] == [1.0, 1.0, 1.0]


def test_evaluate_builds_no_graph_and_restores_the_mode():
    X, y = datasets.xor()
    model = MLP(2, [4, 1], dropout=0.5, seed=0)
    evaluate(model, X, y)
    assert model.training is True
    assert all(p.grad == 0.0 for p in model.parameters())


def test_divergence_is_reported_not_hidden():
    model = MLP(1, [1], seed=0)
    with pytest.raises(FloatingPointError, match="diverged"):  # the weight grows x(-179) per epoch
        fit(model, [[3.0]], [1.0], loss="mse", optimizer=SGD(model.parameters(), lr=10.0), epochs=1000, progress=False)


@pytest.mark.parametrize(
    "kwargs",
    [dict(epochs=0), dict(batch_size=0), dict(epochs=1.5), dict(loss="nll")],
)
def test_bad_arguments_are_rejected(kwargs):
    X, y = datasets.xor()
    with pytest.raises((TypeError, ValueError)):
        fit(MLP(2, [1], seed=0), X, y, progress=False, **kwargs)
    with pytest.raises(ValueError):
        fit(MLP(2, [1], seed=0), X, y[:3], progress=False)


def test_history_loss_is_the_mean_per_sample_loss():
    X, y = [[1.0, 2.0], [3.0, -1.0]], [0.5, -0.5]
    model = MLP(2, [1], seed=3)
    expected = math.fsum((model(x).data - t) ** 2 for x, t in zip(X, y)) / 2
    history = fit(model, X, y, loss="mse", optimizer=SGD(model.parameters(), lr=1e-3), epochs=1, progress=False)
    assert history["loss"][0] == pytest.approx(expected, rel=1e-12)


def test_an_optimizer_of_another_model_is_refused():
    X, y = datasets.xor()
    model, other = MLP(2, [4, 1], seed=0), MLP(2, [4, 1], seed=1)
    with pytest.raises(ValueError, match="none of this model's parameters"):
        fit(model, X, y, optimizer=SGD(other.parameters(), lr=0.1), epochs=1, progress=False)


# -- compiled training (micrograd_ko.compile under fit) ------------------------


def _no_interpreted_steps(monkeypatch):
    """Make sure fit really runs compiled code: an interpreted step, other than fit's check of a new program, fails the test."""
    import sys

    from micrograd_ko import train

    interpreted = train._interpreted_step

    def only_to_check(*args):
        if sys._getframe(1).f_code is not train._compiled_step.__code__:
            raise AssertionError("fit fell back to the interpreted engine")
        return interpreted(*args)

    monkeypatch.setattr(train, "_interpreted_step", only_to_check)


def _twin_runs(make_model, X, y, monkeypatch, **kwargs):
    results = []
    for compile_ in (False, True):
        model = make_model()
        optimizer = SGD(model.parameters(), lr=0.1)
        with monkeypatch.context() as m:
            if compile_:
                _no_interpreted_steps(m)
            history = fit(model, X, y, optimizer=optimizer, progress=False, compile=compile_, **kwargs)
        results.append((history, [p.data for p in model.parameters()]))
    return results


@pytest.mark.parametrize(
    "case",
    [
        "hinge-minibatch-adam",
        "bce_with_logits-full-batch",
        "unshuffled-minibatches",
        "mse-list-targets",
        "cross_entropy",
        "bce-sigmoid-output",
    ],
)
def test_compiled_and_interpreted_fit_give_equal_histories_and_weights(case, monkeypatch):
    X, labels = datasets.moons(24, noise=0.1, seed=0)
    if case == "hinge-minibatch-adam":
        signs = [2 * t - 1 for t in labels]
        runs = [None, None]
        for k, compile_ in enumerate((False, True)):
            model = MLP(2, [8, 8, 1], seed=0)
            with monkeypatch.context() as m:
                if compile_:
                    _no_interpreted_steps(m)
                history = fit(
                    model,
                    X,
                    signs,
                    loss="hinge",
                    optimizer=Adam(model.parameters(), lr=0.05),
                    epochs=6,
                    batch_size=5,
                    seed=0,
                    progress=False,
                    compile=compile_,
                    validation_data=(X[:5], signs[:5]),
                )
            runs[k] = (history, [p.data for p in model.parameters()])
    elif case == "bce_with_logits-full-batch":
        runs = _twin_runs(
            lambda: MLP(2, [5, 5, 1], activation="sigmoid", seed=1),
            X,
            labels,
            monkeypatch,
            loss="bce_with_logits",
            epochs=8,
            shuffle=False,
        )
    elif case == "unshuffled-minibatches":  # the same batches every epoch: each compiled whole
        runs = _twin_runs(
            lambda: MLP(2, [5, 1], activation="elu", seed=1),
            X,
            labels,
            monkeypatch,
            loss="bce_with_logits",
            epochs=4,
            batch_size=5,
            shuffle=False,
        )
    elif case == "mse-list-targets":
        one_hot = [[1.0, 0.0] if t else [0.0, 1.0] for t in labels]
        runs = _twin_runs(
            lambda: MLP(2, [6, 2], activation="tanh", seed=2),
            X,
            one_hot,
            monkeypatch,
            loss="mse",
            epochs=5,
            batch_size=7,
            seed=3,
        )
    elif case == "cross_entropy":
        runs = _twin_runs(
            lambda: MLP(2, [6, 2], activation="gelu", seed=2),
            X,
            labels,
            monkeypatch,
            loss="cross_entropy",
            epochs=5,
            batch_size=8,
            seed=4,
        )
    else:
        runs = _twin_runs(
            lambda: MLP(2, [4, 1], activation="leaky_relu", output_activation="sigmoid", seed=5),
            X,
            labels,
            monkeypatch,
            loss="bce",
            epochs=5,
            batch_size=6,
            seed=5,
        )
    (interpreted, w_interpreted), (compiled, w_compiled) = runs
    assert compiled == interpreted
    assert w_compiled == w_interpreted


def test_fit_falls_back_when_a_branch_in_the_loss_changes_and_the_history_stays_equal():
    X, labels = datasets.moons(16, noise=0.1, seed=1)

    def branchy(p, t):  # a Python branch on a traced Value: the compiled code guards it
        return (p - t) ** 2 if p > t else (t - p) * 0.5

    histories = []
    for compile_ in (False, True):
        model = MLP(2, [4, 1], activation="tanh", seed=0)
        histories.append(
            fit(model, X, labels, loss=branchy, epochs=4, batch_size=4, seed=0, progress=False, compile=compile_)
        )
    assert histories[0] == histories[1]


def test_dropout_models_train_interpreted(monkeypatch):
    X, y = datasets.xor()
    model = MLP(2, [4, 1], dropout=0.5, seed=0)
    _no_interpreted_steps(monkeypatch)
    with pytest.raises(AssertionError, match="interpreted"):
        fit(model, X, y, epochs=1, progress=False)


def test_gradient_flow_is_recorded_after_each_epochs_last_backward():
    from micrograd_ko import diagnostics
    from micrograd_ko.engine import sum as value_sum
    from micrograd_ko.losses import bce_with_logits

    X, y = datasets.xor()
    model = MLP(2, [3, 3, 1], activation="sigmoid", seed=0)
    history = fit(
        model,
        X,
        y,
        loss="bce_with_logits",
        optimizer=SGD(model.parameters(), lr=0.5),
        epochs=3,
        shuffle=False,
        progress=False,
        track_gradients=True,
    )
    twin = MLP(2, [3, 3, 1], activation="sigmoid", seed=0)
    expected = []
    for _ in range(3):  # full batch: one backward per epoch
        loss = value_sum(bce_with_logits(twin(x), t) for x, t in zip(X, y)) / len(X)
        twin.zero_grad()
        loss.backward()
        expected.append([r.mean_abs_grad for r in diagnostics.gradient_flow(twin)])
        for p in twin.parameters():
            p.data -= 0.5 * p.grad
    assert len(history["gradient_flow"]) == 3 and len(history["gradient_flow"][0]) == 3
    assert history["gradient_flow"] == expected
    assert "gradient_flow" not in fit(model, X, y, epochs=1, progress=False)


def test_fit_checks_the_data_and_the_loss_against_the_output_width():
    X, y = datasets.xor()
    with pytest.raises(TypeError, match="generator"):
        fit(MLP(2, [1], seed=0), (x for x in X), y, progress=False)
    with pytest.raises(ValueError, match="output width is 2"):
        fit(MLP(2, [2], seed=0), X, y, loss="bce", progress=False)
    with pytest.raises(ValueError, match="cross_entropy"):
        fit(MLP(2, [1], seed=0), X, y, loss="cross_entropy", progress=False)


def test_shuffled_minibatches_compile_once_plus_one_for_the_last_batch(monkeypatch):
    from micrograd_ko import train

    X, labels = datasets.moons(23, noise=0.1, seed=0)
    made, checks = [], []
    original, interpreted = train._CompiledBatches.__init__, train._interpreted_step

    def remember(self, *args):
        original(self, *args)
        made.append(self)

    def counted(*args):
        checks.append(args[-1])
        return interpreted(*args)

    monkeypatch.setattr(train._CompiledBatches, "__init__", remember)
    monkeypatch.setattr(train, "_interpreted_step", counted)
    for loss, y in (("cross_entropy", labels), ("bce_with_logits", labels), ("hinge", [2 * t - 1 for t in labels])):
        width = 2 if loss == "cross_entropy" else 1
        model = MLP(2, [6, width], activation="tanh", seed=0)
        history = fit(model, X, y, loss=loss, epochs=3, batch_size=5, seed=1, progress=False)  # 23 = 4 x 5 + 3
        assert sorted(made[-1].programs) == [3, 5] and not made[-1].unchecked  # batches of 5, and the last of 3
        assert len(checks) == 2  # one interpreted step to check each program
        checks.clear()
        monkeypatch.setattr(train, "_interpreted_step", interpreted)
        plain = fit(
            MLP(2, [6, width], activation="tanh", seed=0),
            X,
            y,
            loss=loss,
            epochs=3,
            batch_size=5,
            seed=1,
            progress=False,
            compile=False,
        )
        monkeypatch.setattr(train, "_interpreted_step", counted)
        assert history == plain


# -- mistakes a learner makes with fit (from a fresh-eyes review) ------------------


def _xor_model():
    return nn.MLP(2, [4, 1], activation="tanh", output_activation="sigmoid", seed=0)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"optimizer": "adam"}, TypeError, "optimizer must be an optimizer object"),
        ({"optimizer": optim.Adam}, TypeError, "optimizer must be an optimizer object"),
        ({"validation_data": [[0.0, 0.0]] * 4}, TypeError, "validation_data must be a pair \\(X_val, y_val\\)"),
        ({"loss": lambda p, t: 0.0}, TypeError, "the loss function must return a Value, got float"),
    ],
)
def test_fit_names_a_wrong_argument(kwargs, error, message):
    X, y = datasets.xor()
    with pytest.raises(error, match=message):
        fit(_xor_model(), X, y, epochs=2, progress=False, **kwargs)


def test_fit_needs_a_model_with_parameters():
    X, y = datasets.xor()
    with pytest.raises(TypeError, match="model must be a model with parameters\\(\\)"):
        fit(lambda x: x, X, y, epochs=2, progress=False)


def test_one_output_targets_written_as_one_element_lists_train_like_numbers():
    X, y = datasets.xor()
    as_numbers = fit(_xor_model(), X, y, epochs=20, progress=False)
    as_lists = fit(_xor_model(), X, [[t] for t in y], epochs=20, progress=False)
    assert as_lists == as_numbers


def test_a_step_that_would_write_an_infinite_weight_is_divergence_said_once():
    X, y = datasets.xor()
    model = _xor_model()
    with pytest.raises(FloatingPointError) as info:
        fit(model, X, [1e150] * 4, optimizer=optim.SGD(model.parameters(), lr=1e300), epochs=3, progress=False)
    message = str(info.value)
    assert message.startswith(
        "손실이 발산했습니다: 학습률을 낮춰 보세요 / the loss diverged; try a smaller learning rate ["
    )
    assert message.count("the loss diverged") == 1


def test_samples_compiled_one_by_one_run_as_one_loop_and_train_like_the_engine(monkeypatch):
    """Batches too large to compile whole run sample by sample, in one loop of the compiled code per batch."""
    from micrograd_ko import train

    monkeypatch.setattr(train._CompiledBatches, "MAX_TERMS", 10)  # every batch goes sample by sample
    X, labels = datasets.moons(23, noise=0.1, seed=2)
    runs = _twin_runs(
        lambda: MLP(2, [6, 2], activation="relu", seed=3),
        X,
        labels,
        monkeypatch,
        loss="cross_entropy",
        epochs=3,
        batch_size=6,
        seed=2,
    )
    (interpreted, w_interpreted), (compiled, w_compiled) = runs
    assert compiled == interpreted
    assert w_compiled == w_interpreted


def test_a_batch_loop_adds_what_one_backward_over_the_batch_adds_or_changes_nothing():
    import struct

    from micrograd_ko import compile, losses
    from micrograd_ko.train import _mean_loss, _with_prediction

    model = MLP(3, [4, 2], activation="tanh", seed=0)
    program = compile(lambda x, t: _with_prediction(model(x), losses.cross_entropy, t), [0.1, 0.2, 0.3], 1)
    xs, ts = [[0.5, -1.0, 2.0], [1e-3, 3.0, -0.5], [-0.0, 0.0, 7.0]], [0, 1, 1]
    flats = [[*x, t] for x, t in zip(xs, ts)]
    parameters = model.parameters()
    model.zero_grad()
    mean, predictions = _mean_loss(model, losses.cross_entropy, xs, ts)
    mean.backward()
    expected = [struct.pack("d", p.grad) for p in parameters]
    model.zero_grad()
    results = program.fast_batch(flats, 1.0 / 3)
    assert [struct.pack("d", p.grad) for p in parameters] == expected
    assert [[v.data for v in pred] for pred in predictions] == [r[1] for r in results]
    model.zero_grad()  # a batch split over two calls (fit, when a batch needs two programs) adds the same
    assert program.fast_batch(flats[:1], 1.0 / 3) + program.fast_batch(flats[1:], 1.0 / 3) == results
    assert [struct.pack("d", p.grad) for p in parameters] == expected
    held = [p.grad for p in parameters]
    assert program.fast_batch([flats[0], [1e308, 1e308, 1e308, 0.0]], 0.5) is None  # the second hands over
    assert [p.grad for p in parameters] == held  # and nothing was written, not even the first sample's terms


def test_the_nearest_label_by_bisection_is_the_scans_choice():
    import random

    from micrograd_ko.train import _nearest

    rng = random.Random(0)
    label_sets = [
        [0, 1],
        [-1, 1],
        [0.1, 0.2, 0.3, 0.30000000000000004],
        sorted({rng.gauss(0, 1) for _ in range(50)}),
        sorted({1e16 + k for k in range(0, 40, 2)} | {1e16 - 3.0}),  # equal rounded distances on one side
        [5e-324, 1e-300, 1.0, 1e300],
    ]
    for labels in label_sets:
        points = [*labels, *(a + (b - a) / 2 for a, b in zip(labels, labels[1:]))]
        points += [rng.uniform(labels[0] - 2, labels[-1] + 2) for _ in range(200)]
        points += [-math.inf, math.inf, -0.0, 0.0, labels[0] - 1e-9, labels[-1] + 1e-9, 1e16 + 1.0, 1e16 - 1.0]
        for z in points:
            scan = min(labels, key=lambda label: abs(label - z))
            assert _nearest(labels, z) == scan and type(_nearest(labels, z)) is type(scan), (labels, z)
    assert _nearest([0.0, 1.0], math.nan) == 0.0
    with pytest.raises(ValueError):
        _nearest([], 0.5)


@pytest.mark.parametrize("per_sample", [False, True])
def test_samples_holding_values_are_read_as_they_are_now_not_once(per_sample, monkeypatch):
    """fit reads each sample's numbers once; a Value among them (it may change) is read at every batch instead."""
    from micrograd_ko import train
    from micrograd_ko.engine import Value

    if per_sample:
        monkeypatch.setattr(train._CompiledBatches, "MAX_TERMS", 10)
    X, labels = datasets.moons(20, noise=0.1, seed=4)
    X = [list(x) for x in X]
    X[3] = [Value(X[3][0]), X[3][1]]  # an input that is a Value: that batch runs interpreted
    targets = [float(t) for t in labels]
    targets[5] = Value(targets[5])  # a target that is a Value, changed by hand below after every step
    runs = []
    for compile_ in (False, True):
        model = MLP(2, [5, 1], activation="tanh", seed=6)
        optimizer = SGD(model.parameters(), lr=0.1)
        targets[5].data = 1.0
        moved = optimizer.step

        def step_and_move_the_target(moved=moved):
            moved()
            targets[5].data = 1.0 - targets[5].data

        optimizer.step = step_and_move_the_target
        history = fit(
            model,
            X,
            targets,
            loss="mse",
            optimizer=optimizer,
            epochs=3,
            batch_size=4,
            seed=1,
            progress=False,
            compile=compile_,
            validation_data=(X[:8], targets[:8]),
        )
        runs.append((history, [p.data for p in model.parameters()]))
    assert runs[0] == runs[1]


def test_validation_inputs_the_compiled_forward_cannot_take_go_to_the_model_and_agree(monkeypatch):
    from micrograd_ko.engine import Value

    # Counted outside the model's code, by a profile hook: a counter the model kept itself (an attribute, a global, a
    # list it closes over) would be Python state that changes when it is called, and fit would not compile it.
    calls_in_eval = []

    class Counted(MLP):
        def __call__(self, x):
            return super().__call__(x)

    def count(frame, event, arg):
        if event == "call" and frame.f_code is Counted.__call__.__code__ and not frame.f_locals["self"].training:
            calls_in_eval.append(frame.f_locals["x"])

    X, labels = datasets.moons(30, noise=0.1, seed=5)
    X_val, y_val = [list(x) for x in X[:12]], labels[:12]
    X_val[2] = [1, 0]  # ints where X_val[0] has floats: the model answers (it may tell an int from a float)
    X_val[7] = [Value(0.5), 0.25]  # a Value: from here on the model itself answers, as before
    runs = []
    for compile_ in (False, True):
        model = Counted(2, [6, 2], activation="relu", seed=7)
        calls_in_eval.clear()
        sys.setprofile(count)
        try:
            history = fit(
                model,
                X,
                labels,
                loss="cross_entropy",
                optimizer=Adam(model.parameters(), lr=0.02),
                epochs=3,
                batch_size=8,
                seed=2,
                progress=False,
                compile=compile_,
                validation_data=(X_val, y_val),
            )
        finally:
            sys.setprofile(None)
        runs.append((history, [p.data for p in model.parameters()]))
    assert runs[0] == runs[1]
    # the trace, what the model decides for X_val[0] as Values and as numbers (compared) and its numbers from two
    # random states (compared); in epoch 1 every sample (the model's own predictions, which the compiled ones are
    # checked against); then only samples 2 and 7, whose ints and Value the compiled forward does not take
    assert len(calls_in_eval) == 5 + 12 + 2 * 2


def test_the_default_accuracy_on_numbers_is_the_one_on_values():
    from micrograd_ko.engine import Value
    from micrograd_ko.train import _default_accuracy, _numeric_accuracy

    cases = [
        ("cross_entropy", [0, 2, 1], [[0.1, 0.5, 0.2], [1.0, 1.0, 3.0], [2.0, 2.0, -1.0]]),
        ("mse", [[1.0, 0.0], [0.0, 1.0]], [[0.2, 0.9], [0.3, 0.1], [0.5, 0.5]]),
        ("bce_with_logits", [0, 1, [1]], [0.0, -0.0, -1e-300, 3.0]),
        ("hinge", [-1, 1], [0.0, 0.5, -2.0]),
        ("mse", [0.0, 0.5, 1.0, [1.0]], [0.25, 0.75, 0.6, -3.0, 0.5]),
    ]
    for loss, ys, preds in cases:
        judge, is_correct = _numeric_accuracy(loss, ys), _default_accuracy(loss, ys)
        for p in preds:
            as_values = [Value(v) for v in p] if isinstance(p, list) else Value(p)
            for t in ys:
                if isinstance(p, list) != isinstance(t, list) and loss != "cross_entropy":
                    continue
                assert judge(p, t) == is_correct(as_values, t), (loss, p, t)


def test_plain_sgd_fused_into_the_compiled_step_trains_exactly_as_the_engine(monkeypatch):
    """fit runs plain SGD inside the compiled step (variant 'sgd'): histories, weights and gradients equal the
    interpreted run bit for bit (full batch and shuffled mini-batches with a shorter last one), and a learning
    rate that overflows a weight ends in the same error."""
    import struct

    from micrograd_ko.compiler.run import CompiledFunction

    fused_calls = []
    sgd = CompiledFunction._sgd  # (what sgd_step and fit's own fused call run)
    monkeypatch.setattr(CompiledFunction, "_sgd", lambda self, *a: fused_calls.append(1) or sgd(self, *a))

    def run(compile_, X, y, loss, batch_size, lr, activation):
        model = MLP(len(X[0]), [6, 6, 1], activation=activation, seed=5)
        try:
            history = fit(
                model, X, y, loss=loss, optimizer=SGD(model.parameters(), lr=lr), epochs=4,
                batch_size=batch_size, seed=1, progress=False, compile=compile_,
            )  # fmt: skip
        except ArithmeticError as error:  # diverged
            return type(error), str(error)
        return history, [(struct.pack("d", p.data), struct.pack("d", p.grad)) for p in model.parameters()]

    X, labels = datasets.moons(23, noise=0.2, seed=2)
    cases = [
        (X, labels, "bce_with_logits", None, 0.5, "relu"),
        (X, labels, "bce_with_logits", 5, 0.5, "sigmoid"),  # 4 batches of 5 and one of 3
        (X, [2.0 * t - 1.0 for t in labels], "hinge", 10, 0.1, "tanh"),
        (X, [float(t) for t in labels], "mse", None, 1e308, "relu"),  # the first update overflows
    ]
    for case in cases:
        fused_calls.clear()
        assert run(True, *case) == run(False, *case), case[2:]
        assert len(fused_calls) > 2 or case[4] == 1e308, case[2:]  # fused steps did run (not: diverged at once)


@pytest.mark.parametrize(
    "change",
    [
        ("lr", 0.0),  # a schedule that decays to 0: the optimizer refuses the rate
        ("lr", -0.1),
        ("lr", True),
        ("lr", 0.05),  # a rate it accepts: trained with it either way
        ("momentum", 0.9),
        ("params", slice(0, 4)),  # parameters taken out of the optimizer: frozen from then on
    ],
)
def test_an_optimizer_changed_between_fused_steps_updates_as_its_own_step_does(change):
    """The learner's code runs between fit's steps (here an accuracy function, as a schedule would): whatever it
    changes on a plain SGD after fit began (the rate, momentum, the parameters) is what the next step uses, fused
    or not, and a rate the optimizer refuses ends in its own error."""
    name, value = change

    def make():
        model = MLP(2, [4, 1], seed=1)
        optimizer = SGD(model.parameters(), lr=0.1)
        calls = []

        def accuracy(p, t):
            calls.append(1)
            if len(calls) == 6:  # after a few fused steps
                new = optimizer.params[value] if name == "params" else value
                setattr(optimizer, name, new)
            return (p.data > 0.5) == (t > 0.5)

        kwargs = {"X": X4 * 3, "y": [1.0, 0.0, 1.0, 0.0] * 3, "optimizer": optimizer, "accuracy": accuracy}
        return model, [], kwargs

    compiled, interpreted = _fit_both_ways(make, epochs=4, seed=0, batch_size=4, loss="mse")
    assert compiled == interpreted


def test_sgds_step_replaced_with_functools_wraps_is_not_fused_away(monkeypatch):
    """A replacement of SGD.step made with functools.wraps carries the original's name and module: fit took it
    for optim's own step and fused it away, once its first step (before the warm-up ended) agreed."""
    import functools

    original = SGD.step
    steps = []

    @functools.wraps(original)
    def clipped_after_warm_up(self):
        steps.append(1)
        if len(steps) > 2:  # two steps of warm-up, then clipped gradients
            for p in self.params:
                p.grad = max(-0.01, min(0.01, p.grad))
        original(self)

    monkeypatch.setattr(SGD, "step", clipped_after_warm_up)

    def make():
        steps.clear()
        model = MLP(2, [4, 1], seed=3)
        return model, [], {"X": X4, "y": [1.0, 0.0, 1.0, 0.0], "optimizer": SGD(model.parameters(), lr=0.5)}

    compiled, interpreted = _fit_both_ways(make, epochs=6, seed=0)
    assert compiled == interpreted


class _Jittered(Sequence):
    """An augmenting data set of the learner's: each read of a sample adds noise from the random module."""

    def __init__(self, rows):
        self.rows = rows

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        return [v + random.gauss(0.0, 0.1) for v in self.rows[i]]


@pytest.mark.parametrize("batch_size", [None, 3])
def test_an_augmenting_sequence_is_read_once_per_batch_compiled_as_interpreted(batch_size):
    """Compiled steps read a batch's samples again (to trace, to check themselves, to run), and a compiled
    validation pass read X_val[0] once more to trace: with a data set that draws random numbers on every read,
    compile=True trained (and validated) on other noise than compile=False, notice or not."""

    def make():
        random.seed(7)
        model = MLP(2, [4, 1], activation="tanh", seed=1)
        kwargs = {
            "X": _Jittered(X4 * 2),
            "y": [1.0, 0.0, 1.0, 0.0] * 2,
            "validation_data": (_Jittered(X4), [1.0, 0.0] * 2),
        }
        return model, [], {**kwargs, "optimizer": SGD(model.parameters(), lr=0.1)}

    compiled, interpreted = _fit_both_ways(make, epochs=3, seed=0, batch_size=batch_size)
    assert compiled == interpreted


class _Corrupt(_Jittered):
    """A data set of the learner's one of whose rows cannot be read."""

    def __getitem__(self, i):
        if i == 3:
            raise ValueError("row 3 is corrupt")
        return self.rows[i]


@pytest.mark.parametrize("compiled", [True, False])
def test_a_row_of_a_sequence_that_raises_is_named_compiled_as_interpreted(compiled):
    """The compiled step reads a Sequence's rows outside the interpreted step's naming of the row: its error
    said 'row 3 is corrupt' where compile=False said 'X[3]: row 3 is corrupt'."""
    model = MLP(2, [3, 1], seed=1)
    with pytest.raises(ValueError, match=r"^X\[3\]: row 3 is corrupt$"):
        fit(model, _Corrupt(X4 * 2), [1.0, 0.0] * 4, epochs=1, seed=0, progress=False, compile=compiled)


class _Scores(list):
    """A list of scores a model of the learner's returns (a list subclass, as a named result type would be)."""


class _Containers(nn.Module):
    """Two scores in a tuple (training) or in a `_Scores` (what validation sees too)."""

    def __init__(self, kind):
        self.m, self.kind = MLP(2, [3, 2], activation="tanh", seed=6), kind

    def __call__(self, x):
        return self.kind(self.m(x))

    def parameters(self):
        return self.m.parameters()


@pytest.mark.parametrize("kind", [tuple, _Scores])
def test_predictions_in_a_tuple_or_a_list_subclass_reach_the_accuracy_function_as_the_model_made_them(kind):
    """Compiled predictions are rebuilt as lists: an accuracy function that tells a tuple (or the learner's list
    subclass) from a list counted other samples compiled than interpreted. fit compares the containers too."""

    def make():
        model = _Containers(kind)
        kwargs = {"X": X4 * 2, "y": [0, 1, 1, 0] * 2, "loss": "cross_entropy", "batch_size": 3}
        kwargs["accuracy"] = lambda p, t: type(p) is kind
        kwargs["validation_data"] = (X4, [0, 1, 1, 0])
        return model, [], {**kwargs, "optimizer": SGD(model.parameters(), lr=0.1)}

    compiled, interpreted = _fit_both_ways(make, epochs=3, seed=0)
    assert compiled == interpreted
    assert interpreted[0]["accuracy"] == [1.0] * 3 and interpreted[0]["val_accuracy"] == [1.0] * 3


@pytest.mark.parametrize("batch_size", [None, 3])
@pytest.mark.parametrize("change", ["an input", "a target", "a row", "a validation input"])
def test_data_changed_in_place_between_steps_is_read_as_it_is_then(change, batch_size):
    """fit reads each sample's numbers once (`_SampleNumbers`, and the validation inputs): the learner's code that
    runs between steps (here an accuracy function) may change X, y or X_val in place, and the interpreted steps
    read them as they are then. Compiled steps used the numbers read at the start."""

    def make():
        X = [list(x) for x in X4 * 2]
        y = [1.0, 0.0, 1.0, 0.0] * 2
        X_val = [list(x) for x in X4]
        calls = []

        def accuracy(p, t):
            calls.append(1)
            if len(calls) == 12:  # after the first programs were checked
                if change == "an input":
                    X[3][0] *= 0.5
                elif change == "a target":
                    y[3] = 1.0 - y[3]
                elif change == "a row":
                    X[3] = [1.0, 1.0]
                else:
                    X_val[1][0] = 5.0
            return True

        model = MLP(2, [4, 1], activation="relu", seed=1)
        kwargs = {"X": X, "y": y, "accuracy": accuracy, "validation_data": (X_val, [1.0, 0.0, 1.0, 0.0])}
        return model, [], {**kwargs, "optimizer": SGD(model.parameters(), lr=0.1)}

    compiled, interpreted = _fit_both_ways(make, epochs=3, seed=0, batch_size=batch_size, loss="mse")
    assert compiled == interpreted


class _Scaled(nn.Module):
    """An MLP times a Value kept in a private attribute (model.parameters() does not list it)."""

    def __init__(self):
        self.m = MLP(2, [3, 1], seed=4)
        self._scale = Value(1.5)

    def __call__(self, x):
        return self.m(x) * self._scale


def _fit_both_ways(make, **options):
    """fit(compile=True) and fit(compile=False) from the same start: (history or error, every Value's bits) each."""
    import struct

    runs = []
    for compile_ in (True, False):
        model, extra, kwargs = make()
        try:
            result = fit(model, progress=False, compile=compile_, **kwargs, **options)
        except Exception as error:  # noqa: BLE001 - the error is part of what must agree
            result = (type(error), str(error))
        values = model.parameters() + extra
        runs.append((result, [(struct.pack("d", v.data), struct.pack("d", v.grad)) for v in values]))
    return runs


X4 = [[0.5, 1.0], [0.1, -1.0], [0.3, 0.2], [-1.2, 0.4]]


@pytest.mark.parametrize("batch_size", [None, 2])
def test_fit_compiled_equals_interpreted_for_values_outside_the_models_parameters(batch_size):
    """A Value the loss reads that model.parameters() does not list (a private attribute, trained or not; a weight
    of a loss function of the user's that the optimizer holds); targets that are Values the loss differentiates
    through; a loss function of the user's with distinct Value targets of equal number: compiled fit equals
    interpreted fit bit for bit, or trains interpreted."""

    def private(trained):
        def make():
            model = _Scaled()
            params = model.parameters() + ([model._scale] if trained else [])
            return model, [model._scale], {"X": X4, "y": [1.0, -1.0, 0.5, 0.0], "optimizer": SGD(params, lr=0.1)}

        return make

    def loss_weight():
        model, k = MLP(2, [3, 1], seed=4), Value(2.0)
        kwargs = {"X": X4, "y": [1.0, -1.0, 0.5, 0.0], "loss": lambda p, t: k * (p - t) ** 2}
        return model, [k], {**kwargs, "optimizer": SGD(model.parameters() + [k], lr=0.05)}

    def learnable_target():
        model, t = MLP(2, [3, 1], seed=4), Value(0.8)
        return model, [t], {"X": X4, "y": [t, 0.0, t, 1.0], "optimizer": SGD(model.parameters() + [t], lr=0.1)}

    def value_targets_of_a_user_loss():
        model, ta, tb = MLP(2, [3, 1], seed=4), Value(1.0), Value(1.0)
        kwargs = {"X": X4, "y": [ta, tb, ta, tb], "loss": lambda p, t: (p - t) ** 2}
        return model, [ta, tb], {**kwargs, "optimizer": SGD(model.parameters() + [ta, tb], lr=0.1)}

    for make in (private(False), private(True), loss_weight, learnable_target, value_targets_of_a_user_loss):
        compiled, interpreted = _fit_both_ways(make, epochs=3, seed=0, batch_size=batch_size)
        assert compiled == interpreted, make


def test_fit_compiled_equals_interpreted_for_odd_targets_models_and_optimizers(monkeypatch):
    """Targets 1, 1.0 and True for a loss function of the user's (it may index with them); a model that changes
    its input list in place; a model returning a tuple, with validation data; SGD's step replaced on the class."""

    def indexing_loss():
        model = MLP(2, [3, 2], seed=1)
        kwargs = {"X": X4[:3], "y": [1, 0, 1.0], "loss": lambda p, t: (p[t] - 1.0) ** 2, "batch_size": 1}
        return model, [], {**kwargs, "shuffle": False, "optimizer": SGD(model.parameters(), lr=0.1)}

    class Halving(nn.Module):
        def __init__(self):
            self.m = MLP(2, [3, 1], seed=2)

        def __call__(self, x):
            x[0] = x[0] * 0.5  # changes the caller's data on every call
            return self.m(x)

        def parameters(self):
            return self.m.parameters()

    def in_place():
        model = Halving()
        data = [list(x) for x in X4]
        return model, [], {"X": data, "y": [1.0, -1.0, 0.5, 0.0], "optimizer": SGD(model.parameters(), lr=0.1)}

    class Pair(nn.Module):
        def __init__(self):
            self.m = MLP(2, [3, 1], seed=3)

        def __call__(self, x):
            out = self.m(x)
            return out, out

        def parameters(self):
            return self.m.parameters()

    def tuple_output():
        model = Pair()
        kwargs = {"X": X4, "y": [1.0, 0.0, 1.0, 0.0], "loss": lambda p, t: (p[0] - t) ** 2}
        return model, [], {**kwargs, "validation_data": (X4, [1.0, 0.0, 1.0, 0.0]), "accuracy": lambda p, t: True,
                           "optimizer": SGD(model.parameters(), lr=0.1)}  # fmt: skip

    for make in (indexing_loss, in_place, tuple_output):
        compiled, interpreted = _fit_both_ways(make, epochs=2, seed=0)
        assert compiled == interpreted, make

    clipped_steps = []
    original = SGD.step

    def clipping_step(self):
        clipped_steps.append(1)
        for p in self.params:
            p.grad = max(-0.5, min(0.5, p.grad))
        original(self)

    monkeypatch.setattr(SGD, "step", clipping_step)

    def plain():
        model = MLP(2, [3, 1], seed=4)
        return model, [], {"X": X4, "y": [1.0, -1.0, 0.5, 0.0], "optimizer": SGD(model.parameters(), lr=0.5)}

    compiled, interpreted = _fit_both_ways(plain, epochs=4, seed=0)
    assert compiled == interpreted
    assert len(clipped_steps) == 8  # the class's own step ran at every step, fused or not


def test_a_model_that_changes_its_inputs_in_place_trains_interpreted_with_a_notice(capsys):
    class Rescaling(nn.Module):  # divides its input list in place: the compiled code would not repeat that
        def __init__(self):
            self.net = MLP(2, [4, 1], activation="tanh", seed=8)

        def __call__(self, x):
            x[0] = x[0] * 0.5
            return self.net(x)

        def parameters(self):
            return self.net.parameters()

    X, labels = datasets.moons(16, noise=0.1, seed=6)
    runs = []
    for compile_ in (False, True):
        data = [list(x) for x in X]
        model = Rescaling()
        history = fit(
            model,
            data,
            labels,
            loss="bce_with_logits",
            optimizer=SGD(model.parameters(), lr=0.1),
            epochs=3,
            batch_size=4,
            seed=0,
            progress=False,
            compile=compile_,
        )
        runs.append((history, [p.data for p in model.parameters()], data))
    assert runs[0] == runs[1]
    notice = capsys.readouterr().err  # the trace sees its own argument lists change (compile refuses)
    assert "training interpreted, not compiled" in notice and "compile: fn changes the lists it is given" in notice


def test_a_sequence_of_the_users_is_read_at_every_batch_not_once():
    from collections.abc import Sequence

    class Scaled(Sequence):  # gives other numbers after every step (set below): not a list fit may read once
        def __init__(self, rows):
            self.rows, self.scale = rows, 1.0

        def __len__(self):
            return len(self.rows)

        def __getitem__(self, i):
            return [v * self.scale for v in self.rows[i]]

    X, labels = datasets.moons(20, noise=0.1, seed=7)
    runs = []
    for compile_ in (False, True):
        data = Scaled([list(x) for x in X])
        model = MLP(2, [5, 1], activation="tanh", seed=9)
        optimizer = SGD(model.parameters(), lr=0.1)
        moved = optimizer.step

        def step_and_rescale(moved=moved, data=data):
            moved()
            data.scale *= 1.1

        optimizer.step = step_and_rescale
        history = fit(
            model,
            data,
            labels,
            loss="bce_with_logits",
            optimizer=optimizer,
            epochs=3,
            batch_size=5,
            seed=1,
            progress=False,
            compile=compile_,
            validation_data=(data, labels),
        )
        runs.append((history, [p.data for p in model.parameters()]))
    assert runs[0] == runs[1]


def test_a_batch_too_large_to_compile_whole_is_known_from_one_samples_program(monkeypatch):
    """fit does not trace a whole mini-batch only to have it refused as too large: one sample's program tells."""
    from micrograd_ko import train

    monkeypatch.setattr(train._CompiledBatches, "MAX_TERMS", 400)
    traced = []
    compile_function = train.compile_function
    monkeypatch.setattr(train, "compile_function", lambda *a, **k: traced.append(a[1:]) or compile_function(*a, **k))
    X, labels = datasets.moons(24, noise=0.2, seed=1)
    runs = []
    for compile_ in (True, False):
        model = MLP(2, [8, 1], activation="tanh", seed=0)
        history = fit(model, X, labels, loss="bce_with_logits", optimizer=SGD(model.parameters(), lr=0.3),
                      epochs=2, batch_size=8, seed=0, progress=False, compile=compile_)  # fmt: skip
        runs.append((history, [(p.data, p.grad) for p in model.parameters()]))
    assert runs[0] == runs[1]
    whole = [isinstance(args[0][0], list) for args in traced]  # (xs, ts) of a batch, or (x, t) of a sample
    assert whole == [False]  # one sample's program: the batch of 8 was never traced whole


class _Constant(nn.Module):
    """The simplest model of a lesson: one number, the same prediction for every input (the weight itself)."""

    def __init__(self):
        self.b = Value(0.3)

    def __call__(self, x):
        return self.b

    def parameters(self):
        return [self.b]


class _WithItsInput(nn.Module):
    """A model that returns its first input beside its output (a plain number where fit runs it interpreted)."""

    def __init__(self):
        self.m = MLP(2, [3, 1], seed=1)

    def __call__(self, x):
        return [self.m(x), x[0]]

    def parameters(self):
        return self.m.parameters()


@pytest.mark.parametrize("batch_size", [None, 4])
def test_predictions_holding_a_weight_itself_or_a_plain_number_reach_the_accuracy_function_as_they_are(batch_size):
    """Compiled predictions reach an accuracy function as new Values holding the forward pass's numbers. A model
    whose prediction is its weight itself gave the interpreted accuracy that weight after the optimizer's step
    (p.data 0.212 in the second batch, the stand-in 0.14); one returning an input beside its output gave a plain
    float (`isinstance(p[1], float)`: accuracy 1.0 interpreted, 0.0 compiled). fit's check of a program's first
    batch now says so, and trains interpreted."""
    X = [[(i % 4) / 2 - 0.7, (i % 3) / 2 - 0.4] for i in range(12)]
    y = [1.0 if a * b > 0 else -1.0 for a, b in X]

    def first_loss(p, t):
        return (p[0] - t) ** 2

    cases = [
        (_Constant, {"loss": "mse", "accuracy": lambda p, t: p.data > 0.2}),
        (_Constant, {"loss": "mse"}),  # the default accuracy reads p.data too
        (_WithItsInput, {"loss": first_loss, "accuracy": lambda p, t: isinstance(p[1], float)}),
        (
            _WithItsInput,
            {"loss": first_loss, "accuracy": lambda p, t: isinstance(p[1], float), "validation_data": (X[:4], y[:4])},
        ),
    ]
    for make_model, options in cases:

        def make():
            model = make_model()
            return model, [], {"X": X, "y": y, "optimizer": SGD(model.parameters(), lr=0.1), **options}

        compiled, interpreted = _fit_both_ways(make, epochs=3, seed=0, batch_size=batch_size)
        assert compiled == interpreted, (make_model.__name__, options)
