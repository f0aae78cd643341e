"""fit's arguments and data, from a learner's mistakes (review2 #10, #11, #22): each gets one clear error.

A bad row is named (`X[37]: ...`), the same error with compile=True as with
compile=False, and without a "training interpreted" note before it.
"""

import random

import pytest

from micrograd_ko import nn, optim
from micrograd_ko.train import evaluate, fit

_rng = random.Random(0)
X = [[_rng.uniform(-1, 1), _rng.uniform(-1, 1)] for _ in range(40)]
LABELS = [0, 1] * 20


def _model(width=2):
    return nn.MLP(2, [4, width], seed=0)


def _halves(message):
    korean, english = message.split(" / ")
    return korean, english


def _with(rows, i, row):
    rows = [list(r) if isinstance(r, list) else r for r in rows]
    rows[i] = row
    return rows


# (what is wrong, loss, output width, X, y, where the message must say it is)
BAD_DATA = {
    "input too short": ("cross_entropy", 2, lambda i: (_with(X, i, [1.0]), LABELS), "X"),
    "nan input": ("mse", 1, lambda i: (_with(X, i, [float("nan"), 0.5]), [float(t) for t in LABELS]), "X"),
    "str in an input": ("mse", 1, lambda i: (_with(X, i, ["a", 0.5]), [float(t) for t in LABELS]), "X"),
    "class index out of range": ("cross_entropy", 2, lambda i: (X, _with(LABELS, i, 2)), "y"),
    "class index 2.0": ("cross_entropy", 2, lambda i: (X, _with(LABELS, i, 2.0)), "y"),
    "target of two numbers": ("mse", 1, lambda i: (X, _with([float(t) for t in LABELS], i, [1.0, 2.0])), "y"),
}


def _error_of(run):
    try:
        run()
    except (TypeError, ValueError) as error:
        return type(error), str(error)
    raise AssertionError("no error")


@pytest.mark.parametrize(
    "row", [0, 37]
)  # 0: in the very first batch, which fit also checks compiled against interpreted
@pytest.mark.parametrize("batch_size", [None, 8, 1])
@pytest.mark.parametrize("make_optimizer", ["sgd", "adam"])  # plain SGD is fused into compiled batches
@pytest.mark.parametrize("case", list(BAD_DATA))
def test_a_bad_row_is_named_and_compile_gives_the_same_single_error(case, row, batch_size, make_optimizer, capsys):
    loss, width, data, name = BAD_DATA[case]
    Xs, ys = data(row)
    errors = []
    for compile_ in (False, True):
        model = _model(width)
        opt = optim.SGD(model.parameters(), lr=0.1) if make_optimizer == "sgd" else optim.Adam(model.parameters())
        kwargs = dict(loss=loss, optimizer=opt, epochs=2, batch_size=batch_size, seed=0, progress=False)
        errors.append(_error_of(lambda: fit(model, Xs, ys, compile=compile_, **kwargs)))
        assert capsys.readouterr().err == ""  # no "training interpreted, not compiled" note before the error
    assert errors[0] == errors[1]
    assert errors[0][1].startswith(f"{name}[{row}]: ")


def test_a_bad_row_of_validation_data_is_named():
    Xv = _with(X[:10], 3, [float("nan"), 0.0])
    with pytest.raises(ValueError, match=r"^X_val\[3\]: "):
        fit(_model(), X, LABELS, loss="cross_entropy", epochs=1, progress=False, validation_data=(Xv, LABELS[:10]))
    with pytest.raises(ValueError, match=r"^y_val\[2\]: "):
        fit(
            _model(),
            X,
            LABELS,
            loss="cross_entropy",
            epochs=1,
            progress=False,
            validation_data=(X[:10], [0, 1, 7] + [0] * 7),
        )
    with pytest.raises(ValueError, match=r"^X\[3\]: "):
        evaluate(_model(), Xv, LABELS[:10], loss="cross_entropy")


@pytest.mark.parametrize("loss", ["cross_entropy", "mse", "bce_with_logits"])
def test_a_str_label_among_numbers_is_named(loss):
    """It was: TypeError '<' not supported between instances of 'str' and 'int' (from sorting the labels)."""
    y = _with(LABELS, 3, "b")
    with pytest.raises(TypeError) as info:
        fit(_model(2 if loss == "cross_entropy" else 1), X, y, loss=loss, epochs=1, progress=False)
    message = str(info.value)
    assert message.startswith("y[3]: ")
    korean, english = _halves(message.removeprefix("y[3]: "))
    assert "'b'" in korean and "'b'" in english
    with pytest.raises(TypeError, match=r"^y\[3\]: "):
        evaluate(_model(), X, y, loss="cross_entropy")


def test_the_row_is_looked_for_only_on_the_error_path(monkeypatch):
    from micrograd_ko import train

    def forbidden(*args):
        raise AssertionError("looked for a bad row in good data")

    monkeypatch.setattr(train, "_failing_row", forbidden)
    for compile_ in (False, True):
        fit(_model(), X, LABELS, loss="cross_entropy", epochs=2, batch_size=8, seed=0, progress=False, compile=compile_)


def test_a_refused_compile_still_says_so_once_and_trains(monkeypatch, capsys):
    """The note stays for a real fallback (the batch trained interpreted), and comes after the batch ran."""
    from micrograd_ko import train
    from micrograd_ko.compiler import CompileError

    def refuse(*args, **kwargs):
        raise CompileError("refused for the test")

    monkeypatch.setattr(train, "compile_function", refuse)
    compiled = fit(_model(), X, LABELS, loss="cross_entropy", epochs=3, batch_size=8, seed=0, progress=False)
    err = capsys.readouterr().err
    assert err.count("training interpreted, not compiled") == 1 and "refused for the test" in err
    monkeypatch.undo()
    plain = fit(
        _model(), X, LABELS, loss="cross_entropy", epochs=3, batch_size=8, seed=0, progress=False, compile=False
    )
    assert compiled == plain


def test_a_target_no_key_can_hold_is_named_in_both_languages_and_trains_interpreted(capsys):
    """A loss function of the user's with dict targets: fit's notice was Python's own 'unhashable type: 'dict''."""
    targets = [{"y": 1.0 if a > 0 else -1.0} for a, _ in X]
    runs = []
    for compile_ in (True, False):
        model = nn.MLP(2, [3, 1], seed=0)
        loss = lambda p, t: (p - t["y"]) ** 2  # noqa: E731
        runs.append(fit(model, X, targets, loss=loss, accuracy=lambda p, t: True, epochs=2, seed=0, progress=False,
                        compile=compile_))  # fmt: skip
    assert runs[0] == runs[1]
    err = capsys.readouterr().err
    assert "목표값(dict)을 구별할 수 없어" in err and "a target (dict) cannot be told apart" in err
    assert "unhashable" not in err


@pytest.mark.parametrize("option", ["shuffle", "progress", "compile", "track_gradients"])
@pytest.mark.parametrize("value", ["no", 1, 0, None, "False"])
def test_a_true_false_option_takes_only_true_or_false(option, value):
    model = _model()
    before = [p.data for p in model.parameters()]
    kwargs = {"progress": False, option: value}
    with pytest.raises(TypeError) as info:
        fit(model, X, LABELS, loss="cross_entropy", epochs=1, **kwargs)
    korean, english = _halves(str(info.value))
    assert option in korean and option in english and repr(value) in korean and repr(value) in english
    assert [p.data for p in model.parameters()] == before


@pytest.mark.parametrize("accuracy", [3, "argmax"])
def test_accuracy_must_be_a_function(accuracy):
    with pytest.raises(TypeError) as info:  # was: 'int' object is not callable, after the first batch
        fit(_model(), X, LABELS, loss="cross_entropy", epochs=1, progress=False, accuracy=accuracy)
    korean, english = _halves(str(info.value))
    assert "accuracy" in korean and "accuracy" in english and repr(accuracy) in korean
    with pytest.raises(TypeError, match="accuracy must be a function"):
        evaluate(_model(), X, LABELS, loss="cross_entropy", accuracy=accuracy)


@pytest.mark.parametrize("seed", [[1], True, {"seed": 1}, 1j])
def test_a_seed_random_cannot_take_is_named_in_both_languages(seed):
    with pytest.raises(TypeError) as info:  # was: random.py's English-only message
        fit(_model(), X, LABELS, loss="cross_entropy", epochs=1, progress=False, seed=seed)
    korean, english = _halves(str(info.value))
    assert "seed" in korean and "seed" in english and repr(seed) in korean


@pytest.mark.parametrize("seed", [None, 3, 2.5, "abc"])
def test_seeds_random_takes_still_train(seed):
    history = fit(_model(), X, LABELS, loss="cross_entropy", epochs=2, batch_size=8, progress=False, seed=seed)
    assert len(history["loss"]) == 2


@pytest.mark.parametrize("compile_", [False, True])
@pytest.mark.parametrize("lr", [-5, "x", float("nan")])
def test_a_learning_rate_changed_after_construction_is_refused_before_training(lr, compile_):
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    opt.lr = lr  # was: lr = -5 trained uphill without a word
    before = [p.data for p in model.parameters()]
    with pytest.raises((TypeError, ValueError), match="nothing was updated"):
        fit(model, X, LABELS, loss="cross_entropy", optimizer=opt, epochs=2, progress=False, compile=compile_)
    assert [p.data for p in model.parameters()] == before


def test_bad_validation_data_is_refused_at_the_call_and_named():
    model = _model()
    before = [p.data for p in model.parameters()]
    with pytest.raises(TypeError, match="^validation_data: .*generator"):  # was: after the first epoch
        fit(model, X, LABELS, loss="cross_entropy", epochs=2, progress=False, validation_data=((x for x in X), LABELS))
    with pytest.raises(ValueError, match="^validation_data: "):
        fit(model, X, LABELS, loss="cross_entropy", epochs=2, progress=False, validation_data=(X, LABELS[:5]))
    assert [p.data for p in model.parameters()] == before


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: evaluate(_model(), (x for x in X), LABELS, loss="cross_entropy"), TypeError),
        (lambda: evaluate(_model(), X, LABELS[:5], loss="cross_entropy"), ValueError),
        (lambda: evaluate(_model(), X, LABELS, loss="nll"), ValueError),
    ],
)
def test_evaluate_refuses_bad_arguments_with_one_error(call, error):
    with pytest.raises(error) as info:
        call()
    assert info.value.__context__ is None  # not "during handling of the above exception, another exception occurred"


@pytest.mark.parametrize(
    "options, korean, english",
    [
        ({"lr": 0.1}, "학습률은 옵티마이저가", "optimizer=SGD(model.parameters(), lr=0.1)"),
        ({"epoch": 5}, "epochs을(를) 뜻했나요?", "did you mean epochs?"),
        ({"verbosity": 0}, "받는 인자: model, X, y", "it takes: model, X, y, loss"),
    ],
)
def test_an_option_fit_does_not_take_is_named_with_where_it_belongs(options, korean, english):
    """A learner coming from Keras or PyTorch writes fit(..., lr=0.1): Python's own 'unexpected keyword argument'
    said neither where the learning rate goes nor in Korean."""
    model = nn.MLP(2, [2, 1], seed=0)
    with pytest.raises(TypeError) as error:
        fit(model, [[0.0, 1.0]], [1.0], **options)
    message = str(error.value)
    assert korean in message.split(" / ")[0] and english in message.split(" / ")[1]
    assert f"'{next(iter(options))}'" in message


def test_one_batch_of_everything_is_not_shuffled():
    """Full-batch gradient descent gives the same numbers on every run: shuffling one batch changed only the order
    of the sums, and so the last bits (two runs of the same notebook cell differed)."""
    X = [[(i % 5) / 3 - 0.6, (i % 7) / 4 - 0.8] for i in range(20)]
    y = [1.0 if a * b > 0 else 0.0 for a, b in X]
    runs = []
    for seed in (0, 1, None):
        model = nn.MLP(2, [8, 8, 1], seed=0)
        history = fit(model, X, y, loss="bce_with_logits", epochs=20, progress=False, seed=seed)
        runs.append((history["loss"], [p.data for p in model.parameters()]))
    assert runs[0] == runs[1] == runs[2]
