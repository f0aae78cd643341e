"""The training loop (학습 루프), written once so a notebook cell can just call `fit`.

    history = fit(model, X, y, loss="bce_with_logits", optimizer=Adam(model.parameters(), lr=0.05),
                  epochs=100, batch_size=16, seed=0)
    history["loss"][-1], history["accuracy"][-1]

One epoch (에폭) = one pass over the data in (shuffled) mini-batches; for each
batch: forward pass (순전파) for every sample, the mean loss over the batch as
one node, zero_grad, backward (역전파), optimizer step.

By default the per-sample forward + backward runs as compiled straight-line
code (`micrograd_ko.compile`): the same floats as the interpreted engine,
several times faster. See `_CompiledSamples` for when `fit` does not compile.
"""

from __future__ import annotations

import math
import random

from tqdm import tqdm

from . import losses
from .checks import check_dataset, check_loss_output, check_positive_int
from .compiler import CompileError
from .compiler import compile as compile_function
from .engine import Value, no_grad
from .engine import sum as value_sum
from .i18n import bilingual, tr
from .optim import SGD, Optimizer

__all__ = ["fit", "evaluate"]


def fit(model, X, y, loss="mse", optimizer=None, epochs=100, batch_size=None, shuffle=True, seed=None,
        progress=True, validation_data=None, accuracy=None, compile=True, track_gradients=False):
    """Train `model` on inputs `X` and targets `y`; returns the history per epoch.

    - `loss`: a name from `micrograd_ko.losses.LOSSES` or a function
      `(prediction, target) -> Value` for one sample.
    - `optimizer`: an optimizer over `model.parameters()`; default
      `SGD(model.parameters(), lr=0.1)`.
    - `batch_size`: samples per update (default: all of them, full batch).
    - `seed`: the order of samples in each epoch (`random.Random(seed)`).
    - `progress`: show a tqdm progress bar; `False` for none.
    - `validation_data`: `(X_val, y_val)`, evaluated after every epoch.
    - `accuracy`: a function `(prediction, target) -> bool`; by default it is
      chosen from the loss (argmax for lists of scores, the sign of a logit
      for bce_with_logits and hinge, else the nearest label).

    Returns `{"loss": [...], "accuracy": [...]}` (plus "val_loss" and
    "val_accuracy" with validation data). The training loss and accuracy of
    an epoch are measured on the predictions made while training on it.
    """
    check_dataset(X, y)
    _check_model(model)
    epochs = check_positive_int(epochs, "epochs")
    batch_size = len(X) if batch_size is None else check_positive_int(batch_size, "batch_size")
    loss_fn = losses.get(loss)
    width = _output_width(model)
    if isinstance(loss, str) and width is not None:
        check_loss_output(loss, width, y[0])
    _check_loss_function(model, loss, loss_fn, X[0], y[0])
    is_correct = accuracy or _default_accuracy(loss, y)
    optimizer = optimizer or SGD(model.parameters(), lr=0.1)
    if not isinstance(optimizer, Optimizer):
        raise TypeError(bilingual(
            f"optimizer는 optim.Adam(model.parameters(), lr=0.01)처럼 만든 옵티마이저여야 합니다 (받은 것: {optimizer!r})",
            f"optimizer must be an optimizer object such as optim.Adam(model.parameters(), lr=0.01), got {optimizer!r}"))
    if validation_data is not None and not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
        raise TypeError(bilingual(
            "validation_data는 (X_val, y_val) 두 개짜리 튜플이어야 합니다",
            f"validation_data must be a pair (X_val, y_val), got {type(validation_data).__name__}"
            + (f" of length {len(validation_data)}" if hasattr(validation_data, "__len__") else "")))
    owned = {id(p) for p in model.parameters()}
    if not any(id(p) in owned for p in optimizer.params):
        raise ValueError(bilingual(
            "옵티마이저가 이 모델의 매개변수를 갖고 있지 않습니다: optim.SGD(model.parameters(), ...)처럼 만드세요",
            "the optimizer holds none of this model's parameters: build it with model.parameters()",
        ))
    rng = random.Random(seed)
    history = {"loss": [], "accuracy": []}
    if validation_data is not None:
        history.update(val_loss=[], val_accuracy=[])
    if track_gradients:
        from .diagnostics import gradient_flow

        history["gradient_flow"] = []
    order = list(range(len(X)))
    compiled, predict = None, model
    if compile and _compilable(model):
        predict = _CompiledForward(model)
        samples = _CompiledSamples(model, loss, loss_fn)
        # Without shuffling every epoch has the same batches: compile each batch whole.
        compiled = samples if shuffle else _CompiledBatches(model, loss_fn, samples, math.ceil(len(X) / batch_size))
    bar = tqdm(range(epochs), desc=tr("학습", "training"), unit=tr("에폭", "epoch"), disable=not progress)
    model.train()  # (evaluate puts the mode back as it found it)
    for _ in bar:
        if shuffle:
            rng.shuffle(order)
        total, correct = 0.0, 0
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            optimizer.zero_grad()
            step = compiled.step(X, y, batch) if compiled is not None else None
            if step is None:  # interpreted (or the compiled code could not follow this batch)
                compiled = None
                step = _interpreted_step(model, loss_fn, X, y, batch)
            batch_loss, preds = step
            if track_gradients and start + batch_size >= len(order):
                history["gradient_flow"].append([r.mean_abs_grad for r in gradient_flow(model)])
            try:
                optimizer.step()
            except OverflowError as error:  # the step would write an infinite weight
                raise _diverged(error) from error
            total += batch_loss * len(batch)
            correct += sum(bool(is_correct(p, y[i])) for p, i in zip(preds, batch))
        history["loss"].append(total / len(X))
        history["accuracy"].append(correct / len(X))
        postfix = {tr("손실", "loss"): f"{history['loss'][-1]:.4f}", tr("정확도", "accuracy"): f"{history['accuracy'][-1]:.1%}"}
        if validation_data is not None:
            result = _evaluate(model, *validation_data, loss, is_correct, predict)
            history["val_loss"].append(result["loss"])
            history["val_accuracy"].append(result["accuracy"])
            postfix[tr("검증 정확도", "val accuracy")] = f"{result['accuracy']:.1%}"
        bar.set_postfix(postfix, refresh=False)  # drawn at tqdm's own pace, not once per epoch into a log
    return history


def _batch_loss(model, loss_fn, X, y, batch):
    """The batch's mean loss as one graph, and the predictions."""
    preds = [model(X[i]) for i in batch]
    return value_sum(loss_fn(p, y[i]) for p, i in zip(preds, batch)) / len(batch), preds


def _interpreted_step(model, loss_fn, X, y, batch):
    """Forward and backward of one batch with the engine (gradients already zeroed by fit); returns (mean loss, predictions)."""
    try:
        batch_loss, preds = _batch_loss(model, loss_fn, X, y, batch)
    except OverflowError as error:  # the engine refuses to make an inf
        raise _diverged(error) from error
    if not math.isfinite(batch_loss.data):
        raise _diverged(batch_loss.data)
    batch_loss.backward()
    return batch_loss.data, preds


def _compilable(model):
    """False for models that draw random numbers while training (dropout): tracing would freeze them."""
    from .nn import Dropout

    modules = model.modules() if hasattr(model, "modules") else [model]
    return not any(isinstance(m, Dropout) and m.p > 0 for m in modules)


class _CompiledForward:
    """The model's forward pass alone as compiled code, for evaluating on validation data every epoch.

    Made on the first call (in eval mode, so dropout is off); anything it
    cannot follow (another input shape, a branch) goes to the model itself.
    """

    def __init__(self, model):
        self.model, self.program = model, None

    def prepare(self, x):
        if self.program is None:
            try:
                self.program = compile_function(self.model, x, gradients=False)
            except (CompileError, TypeError):
                self.program = False

    def __call__(self, x):
        if self.program:
            try:
                return _as_values(self.program(x))
            except CompileError:
                self.program = False
        return self.model(x)


class _CompiledBatches:
    """Whole batches as compiled programs, for training without shuffling.

    The batches are the same every epoch, so each is traced once, exactly as
    the interpreted step builds it (inputs and targets frozen as constants).
    If all batches together would be more than `MAX_NODES` nodes of code,
    it hands over to per-sample programs (`samples`).
    """

    MAX_NODES = 200_000

    def __init__(self, model, loss_fn, samples, n_batches):
        self.model, self.loss_fn, self.samples, self.n_batches = model, loss_fn, samples, n_batches
        self.parameters = model.parameters()
        self.programs = {}

    def step(self, X, y, batch):
        if self.samples.programs or self.programs is None:
            return self.samples.step(X, y, batch)
        key = tuple(batch)
        program = self.programs.get(key)
        if program is None:
            model, loss_fn = self.model, self.loss_fn
            try:
                program = compile_function(lambda: _batch_loss(model, loss_fn, X, y, batch))
            except CompileError:
                return None
            except OverflowError as error:
                raise _diverged(error) from error
            if program.nodes * self.n_batches > self.MAX_NODES:
                self.programs = None
                return self.samples.step(X, y, batch)
            self.programs[key] = program
        parameters = self.parameters
        held = [p.grad for p in parameters]
        try:
            batch_loss, preds = program()
        except CompileError:
            for p, g in zip(parameters, held):
                p.grad = g
            return None
        except OverflowError as error:
            raise _diverged(error) from error
        return batch_loss, [_as_values(p) for p in preds]


class _CompiledSamples:
    """Each sample's loss, forward and backward, as compiled code: one program per target.

    A program is `x -> (loss, prediction)` for one target value `t`, which
    the losses read as a constant, so samples with equal targets (classes,
    labels) share one program; `mse` takes its targets as inputs instead, so
    one program serves every target. The parameters are read live, so one
    trace serves the whole training. Programs are made on first use; past
    `MAX_PROGRAMS` distinct targets (a custom loss on continuous targets)
    `step` gives up and `fit` continues interpreted.
    """

    MAX_PROGRAMS = 16

    def __init__(self, model, loss, loss_fn):
        self.model, self.loss_fn = model, loss_fn
        self.parameters = model.parameters()
        self.targets_are_inputs = loss == "mse"
        self.programs = {}

    def step(self, X, y, batch):
        """Mean loss and predictions of the batch, with the gradients added; None if it cannot compile."""
        weight = 1.0 / len(batch)  # d(mean)/d(one sample's loss), as backward() computes it
        parameters = self.parameters
        held = [p.grad for p in parameters]
        values, preds = [], []
        try:
            for i in batch:
                program = self._program(X[i], y[i])
                if program is None:
                    raise CompileError("no program")
                args = (X[i], _plain(y[i])) if self.targets_are_inputs else (X[i],)
                value, pred = program(*args, output_grad=weight)
                values.append(value)
                preds.append(_as_values(pred))
        except CompileError:  # also a GuardError or StructureError: this batch starts again, interpreted
            for p, g in zip(parameters, held):
                p.grad = g
            return None
        except OverflowError as error:
            raise _diverged(error) from error
        return math.fsum(values) / len(batch), preds

    def _program(self, x, t):
        key = None if self.targets_are_inputs else _target_key(t)
        program = self.programs.get(key)
        if program is None and len(self.programs) < self.MAX_PROGRAMS:
            model, loss_fn = self.model, self.loss_fn
            try:
                if self.targets_are_inputs:
                    program = compile_function(lambda x, t: _with_prediction(model(x), loss_fn, t), x, _plain(t))
                else:
                    program = compile_function(lambda x: _with_prediction(model(x), loss_fn, t), x)
            except (CompileError, TypeError):
                return None
            self.programs[key] = program
        return program


def _with_prediction(prediction, loss_fn, target):
    return loss_fn(prediction, target), prediction


def _plain(t):
    """A target as numbers (Values read as their number), the way the losses read it."""
    if isinstance(t, (list, tuple)):
        return [_plain(v) for v in t]
    return _number(t)


def _target_key(t):
    t = _plain(t)
    return tuple(t) if isinstance(t, list) else t


def _as_values(pred):
    return [Value(p) for p in pred] if isinstance(pred, list) else Value(pred)


def evaluate(model, X, y, loss="mse", accuracy=None):
    """Mean loss and accuracy of `model` on `(X, y)`, in eval mode and without building a graph."""
    return _evaluate(model, X, y, loss, accuracy, model)


def _evaluate(model, X, y, loss, accuracy, predict):
    """`evaluate` with the predictions made by `predict(x)` (the model, or its compiled forward pass)."""
    check_dataset(X, y)
    loss_fn = losses.get(loss)
    is_correct = accuracy or _default_accuracy(loss, y)
    was_training = model.training
    model.eval()
    try:
        if isinstance(predict, _CompiledForward):
            predict.prepare(X[0])  # traced outside no_grad, which would freeze every number
        with no_grad():
            preds = [predict(x) for x in X]
            total = math.fsum(loss_fn(p, t).data for p, t in zip(preds, y))
            correct = sum(bool(is_correct(p, t)) for p, t in zip(preds, y))
    finally:
        model.train(was_training)
    return {"loss": total / len(X), "accuracy": correct / len(X)}


def _default_accuracy(loss, y):
    """Whether a prediction is right, judged the way the loss reads predictions."""
    labels = sorted({_number(_unwrap(t)) for t in y if not isinstance(_unwrap(t), (list, tuple))})

    def is_correct(pred, target):
        if not isinstance(pred, list):
            target = _unwrap(target)  # one output, its target written as [t]
        if isinstance(pred, list):
            scores = [p.data for p in pred]
            predicted = scores.index(max(scores))
            if isinstance(target, (list, tuple)):
                target_scores = [_number(t) for t in target]
                return predicted == target_scores.index(max(target_scores))
            return predicted == _number(target)
        z, t = pred.data, _number(target)
        if loss == "bce_with_logits":
            return (z >= 0.0) == (t >= 0.5)
        if loss == "hinge":
            return (z > 0.0) == (t > 0.0)
        return min(labels, key=lambda label: abs(label - z)) == t

    return is_correct


def _number(t):
    return t.data if isinstance(t, Value) else t


def _unwrap(t):
    return t[0] if isinstance(t, (list, tuple)) and len(t) == 1 else t


def _check_model(model):
    if not (callable(model) and callable(getattr(model, "parameters", None))):
        raise TypeError(bilingual(
            f"model은 nn.MLP(...)처럼 parameters()가 있는 모델이어야 합니다 (받은 것: {type(model).__name__})",
            f"model must be a model with parameters(), such as nn.MLP(...), got {type(model).__name__}"))


def _check_loss_function(model, loss, loss_fn, x, t):
    """A loss function of the user's must give a Value: a plain number would train nothing, silently.

    Tried once on the first sample, in eval mode (no dropout draws, so the
    random stream of training is untouched) and without building a graph.
    """
    if isinstance(loss, str):
        return
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            result = loss_fn(model(x), t)
    finally:
        model.train(was_training)
    if not isinstance(result, Value):
        raise TypeError(bilingual(
            f"손실 함수는 Value를 돌려줘야 합니다 (받은 것: {type(result).__name__}); 숫자를 돌려주면 기울기가 없어 아무것도 배우지 않습니다",
            f"the loss function must return a Value, got {type(result).__name__}; a plain number has no gradient, so nothing would be learned"))


def _diverged(cause):
    # the cause (often a message in both languages itself) goes after, once, not inside each half
    return FloatingPointError(bilingual("손실이 발산했습니다: 학습률을 낮춰 보세요", "the loss diverged; try a smaller learning rate")
                              + f" [{cause}]")


def _output_width(model):
    """How many numbers the model outputs, read from its last layer (None if it has no `layers`)."""
    layers = getattr(model, "layers", None)
    last = layers[-1] if isinstance(layers, list) and layers else None
    width = getattr(last, "nout", None)
    return width if isinstance(width, int) else None
