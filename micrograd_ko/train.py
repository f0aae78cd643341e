"""The training loop (학습 루프), written once so a notebook cell can just call `fit`.

    history = fit(model, X, y, loss="bce_with_logits", optimizer=Adam(model.parameters(), lr=0.05),
                  epochs=100, batch_size=16, seed=0)
    history["loss"][-1], history["accuracy"][-1]

One epoch (에폭) = one pass over the data in (shuffled) mini-batches; for each
batch: forward pass (순전파) for every sample, the mean loss over the batch as
one node, zero_grad, backward (역전파), optimizer step.
"""

from __future__ import annotations

import math
import random

from tqdm import tqdm

from . import losses
from .engine import Value, no_grad
from .engine import sum as value_sum
from .i18n import tr
from .nn import check_positive_int
from .optim import SGD

__all__ = ["fit", "evaluate"]


def fit(model, X, y, loss="mse", optimizer=None, epochs=100, batch_size=None, shuffle=True, seed=None,
        progress=True, validation_data=None, accuracy=None):
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
    _check_data(X, y)
    epochs = check_positive_int(epochs, "epochs")
    batch_size = len(X) if batch_size is None else check_positive_int(batch_size, "batch_size")
    loss_fn = losses.get(loss)
    is_correct = accuracy or _default_accuracy(loss, y)
    optimizer = optimizer or SGD(model.parameters(), lr=0.1)
    owned = {id(p) for p in model.parameters()}
    if not any(id(p) in owned for p in optimizer.params):
        raise ValueError(
            "옵티마이저가 이 모델의 매개변수를 갖고 있지 않습니다: optim.SGD(model.parameters(), ...)처럼 만드세요 / "
            "the optimizer holds none of this model's parameters: build it with model.parameters()"
        )
    rng = random.Random(seed)
    history = {"loss": [], "accuracy": []}
    if validation_data is not None:
        history.update(val_loss=[], val_accuracy=[])
    order = list(range(len(X)))
    bar = tqdm(range(epochs), desc=tr("학습", "training"), unit=tr("에폭", "epoch"), disable=not progress)
    for _ in bar:
        model.train()
        if shuffle:
            rng.shuffle(order)
        total, correct = 0.0, 0
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            try:
                preds = [model(X[i]) for i in batch]
                batch_loss = value_sum(loss_fn(p, y[i]) for p, i in zip(preds, batch)) / len(batch)
            except OverflowError as error:  # the engine refuses to make an inf
                raise _diverged(error) from error
            if not math.isfinite(batch_loss.data):
                raise _diverged(batch_loss.data)
            optimizer.zero_grad()
            batch_loss.backward()
            optimizer.step()
            total += batch_loss.data * len(batch)
            correct += sum(bool(is_correct(p, y[i])) for p, i in zip(preds, batch))
        history["loss"].append(total / len(X))
        history["accuracy"].append(correct / len(X))
        postfix = {tr("손실", "loss"): f"{history['loss'][-1]:.4f}", tr("정확도", "accuracy"): f"{history['accuracy'][-1]:.1%}"}
        if validation_data is not None:
            result = evaluate(model, *validation_data, loss=loss, accuracy=is_correct)
            history["val_loss"].append(result["loss"])
            history["val_accuracy"].append(result["accuracy"])
            postfix[tr("검증 정확도", "val accuracy")] = f"{result['accuracy']:.1%}"
        bar.set_postfix(postfix)
    return history


def evaluate(model, X, y, loss="mse", accuracy=None):
    """Mean loss and accuracy of `model` on `(X, y)`, in eval mode and without building a graph."""
    _check_data(X, y)
    loss_fn = losses.get(loss)
    is_correct = accuracy or _default_accuracy(loss, y)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            preds = [model(x) for x in X]
            total = math.fsum(loss_fn(p, t).data for p, t in zip(preds, y))
            correct = sum(bool(is_correct(p, t)) for p, t in zip(preds, y))
    finally:
        model.train(was_training)
    return {"loss": total / len(X), "accuracy": correct / len(X)}


def _default_accuracy(loss, y):
    """Whether a prediction is right, judged the way the loss reads predictions."""
    labels = sorted({_number(t) for t in y if not isinstance(t, (list, tuple))})

    def is_correct(pred, target):
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


def _check_data(X, y):
    if len(X) != len(y) or not len(X):
        raise ValueError(
            f"X({len(X)})와 y({len(y)})의 길이가 같고 0이 아니어야 합니다 / "
            f"X and y must be equally long and non-empty ({len(X)}, {len(y)})"
        )


def _diverged(cause):
    return FloatingPointError(
        f"손실이 발산했습니다({cause}): 학습률을 낮춰 보세요 / the loss diverged ({cause}); try a smaller learning rate"
    )
