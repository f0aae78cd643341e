"""The training loop (학습 루프), written once so a notebook cell can just call `fit`.

    history = fit(model, X, y, loss="bce_with_logits", optimizer=Adam(model.parameters(), lr=0.05),
                  epochs=100, batch_size=16, seed=0)
    history["loss"][-1], history["accuracy"][-1]

One epoch (에폭) = one pass over the data in (shuffled) mini-batches; for each
batch: forward pass (순전파) for every sample, the mean loss over the batch as
one node, zero_grad, backward (역전파), optimizer step.

By default the per-sample forward + backward runs as compiled straight-line
code (`micrograd_ko.compile`): the same floats as the interpreted engine,
several times faster. `fit` does not take that on trust: the first batch a
compiled program serves is also run interpreted from the same state (weights,
gradients, random numbers), and unless the two agree bit for bit `fit` goes on
interpreted and says why in one line. So it does when what the learner's
own code keeps, or what micrograd_ko's modules hold (a weight swapped for a new
Value), changes between steps (`model_state.LearnersState`). See
`_CompiledSamples`.
"""

from __future__ import annotations

import bisect
import contextlib
import copy
import difflib
import functools
import inspect
import math
import numbers
import operator
import random
import struct
import sys
from collections.abc import Callable, Sequence
from typing import Any

from tqdm import tqdm

from . import engine, losses
from .checks import check_bool, check_dataset, check_loss_output, check_positive_int
from .compiler import CompileError, _flatten, _structure, cannot_follow, native
from .compiler import compile as compile_function
from .compiler.native import build as native_build
from .compiler.native import parameter_state, restore_parameters
from .compiler.trace import _wrap, numbers_given
from .engine import Value, no_grad
from .engine import sum as value_sum
from .i18n import bilingual, tr
from .model_state import _BY_COMPUTED_NAME, LearnersState, ModelState, _numpy_global_state, names_mentioned
from .module import Module
from .optim import SGD, Optimizer, _check_step_lr
from .state_pictures import _state_picture

__all__ = ["fit", "evaluate"]


def fit(
    model: Module,
    X: Sequence[Any],
    y: Sequence[Any],
    loss: str | Callable[[Any, Any], Value] = "mse",
    optimizer: Optimizer | None = None,
    epochs: int = 100,
    batch_size: int | None = None,
    shuffle: bool = True,
    seed: int | float | str | None = None,
    progress: bool = True,
    validation_data: tuple[Sequence[Any], Sequence[Any]] | None = None,
    accuracy: Callable[[Any, Any], bool] | None = None,
    compile: bool = True,
    track_gradients: bool = False,
    **unknown: Any,
) -> dict[str, list[Any]]:
    """Train `model` on inputs `X` and targets `y`; returns the history per epoch.

    - `loss`: a name from `micrograd_ko.losses.LOSSES` or a function
      `(prediction, target) -> Value` for one sample.
    - `optimizer`: an optimizer over `model.parameters()`; default
      `SGD(model.parameters(), lr=0.1)`.
    - `batch_size`: samples per update (default: all of them, full batch).
    - `seed`: the order of samples in each epoch (`random.Random(seed)`).
      One batch of all the samples (the default) is not shuffled: its order
      would change only the last bits of the sums, and make two runs of
      the same script differ.
    - `progress`: show a tqdm progress bar; `False` for none.
    - `validation_data`: `(X_val, y_val)`, evaluated after every epoch.
    - `accuracy`: a function `(prediction, target) -> bool`; by default it is
      chosen from the loss (argmax for lists of scores, the sign of a logit
      for bce_with_logits and hinge, else the nearest label). It should read
      a prediction's `.data`: compiled steps hand it new leaves holding the
      same numbers, without the `.grad` and graph `compile=False` leaves on
      them. An accuracy whose code reads those (`p.grad`, `p.backward()`,
      `p._prev`) is trained interpreted, with a one-line notice; so is one
      that walks a prediction's graph through micrograd_ko's code
      (`render_svg(p)`, `p.zero_grad()`, a copy, which holds the parents),
      from the step after. One that makes a prediction's text (`repr(p)`,
      `f"{p}"`, `print(p)`: it shows the `.grad`) gets the same text from
      compiled steps: their predictions are given the gradients the loss
      sends them. Where those would not be
      the real ones (a prediction with a label, or computed from another, a
      loss function of the learner's), fit trains interpreted from the step
      after the one where the text is first made or a prediction kept, with
      a notice (if that step was compiled, its accuracy is counted on its
      predictions' text, and what it kept is a stand-in).
    - `compile`: train with compiled code (`micrograd_ko.compile`), the same
      numbers as `compile=False` bit for bit; where fit cannot be sure of that
      (a program whose first batch differs, Python state the learner's code
      keeps that a trace or a step changes) it trains interpreted and says why
      in one line. A batch holding an input whose numbers or lists are of
      other types than the first input's (an int where it had a float, a
      tuple where it had a list) runs interpreted: the model may tell them
      apart, and the trace saw Values; a model that computes from inputs that
      are not floats alone (`x[0] - x[1]` of ints) trains interpreted.
    - `track_gradients`: keep each epoch's mean |∂L/∂W| per layer in
      `history["gradient_flow"]`.

    Returns `{"loss": [...], "accuracy": [...]}` (plus "val_loss" and
    "val_accuracy" with validation data). The training loss and accuracy of
    an epoch are measured on the predictions made while training on it.
    """
    if unknown:
        raise TypeError(_unknown_options(unknown))
    check_dataset(X, y)
    _check_model(model)
    for name, flag in (
        ("shuffle", shuffle),
        ("progress", progress),
        ("compile", compile),
        ("track_gradients", track_gradients),
    ):
        check_bool(name, flag)
    _check_seed(seed)
    _check_accuracy(accuracy)
    epochs = check_positive_int(epochs, "epochs")
    batch_size = len(X) if batch_size is None else check_positive_int(batch_size, "batch_size")
    loss_fn = losses.get(loss)
    width = _output_width(model)
    if isinstance(loss, str) and width is not None:
        try:
            check_loss_output(loss, width, y[0])
        except ValueError as error:  # about the first target, unless cross_entropy has too few outputs for any
            if not (loss == "cross_entropy" and width < 2):
                error.args = (f"y[0]: {error.args[0]}",)
            raise
    _check_loss_function(model, loss, loss_fn, X[0], y[0])
    is_correct = accuracy or _default_accuracy(loss, y)
    optimizer = optimizer or SGD(model.parameters(), lr=0.1)
    _check_optimizer(optimizer)
    if validation_data is not None:
        _check_validation_data(validation_data)  # now, not after the first epoch
    _check_optimizer_holds(optimizer, model)
    rng = random.Random(seed)
    history: dict[str, list[Any]] = {"loss": [], "accuracy": []}
    if validation_data is not None:
        history.update(val_loss=[], val_accuracy=[])
    if track_gradients:
        from .diagnostics import gradient_flow

        history["gradient_flow"] = []
    order = list(range(len(X)))
    compiled = None
    predict: Module | _CompiledForward = model  # what makes the predictions on validation data
    parameters = _trained(model, optimizer)  # every Value whose gradient a step may change
    if compile and _compilable(model):
        predict = _CompiledForward(model)
        samples = _CompiledSamples(model, loss, loss_fn, _SampleNumbers(X, y), parameters)
        steps = epochs * math.ceil(len(X) / batch_size)
        compiled = _CompiledBatches(model, loss_fn, samples, steps) if samples.targets_are_inputs else samples
    fused = (
        _FusedSGD(optimizer)
        if isinstance(compiled, _CompiledBatches) and _FusedSGD.applies(optimizer, track_gradients)
        else None
    )
    if compiled is not None:  # how often each program's variant will run: a C form is asked for from the first call
        full_batches, last = divmod(len(X), batch_size)
        samples.expected_calls = {"batch_sgd" if fused else "batch": epochs * len(X)}  # (a call counts its samples)
        if isinstance(compiled, _CompiledBatches):
            whole = "sgd" if fused else "full"
            compiled.calls_per_size = {batch_size: {whole: epochs * full_batches}, last: {whole: epochs}}
        if validation_data is not None and isinstance(predict, _CompiledForward):
            predict.expected_calls = {"forward_batch": epochs * len(validation_data[0])}
        if epochs * len(X) >= native.CALLS_BEFORE_BUILD:  # (its first program will ask for its C form)
            native.expect_builds()
    model.train()  # (evaluate puts the mode back as it found it; an accuracy function of the learner's may not)
    # (_batch_loss: what an interpreted step runs and, through _mean_loss, what the compiled batches trace: the
    # programs' own watches then see nothing this one does not, and a fused step need not ask them again)
    learners = LearnersState(model, (loss_fn, _batch_loss), modes=True) if compiled is not None else None
    if learners is not None and learners.opaque is not None:  # nothing traced: a trace would advance it
        _notice(cannot_follow(learners.opaque))
        compiled = fused = learners = None
    if compiled is not None and accuracy is not None and names_mentioned((accuracy,)) & _GRAPH_ATTRIBUTES:
        _notice(  # compiled steps' predictions are new leaves holding the same numbers
            bilingual(
                "accuracy 함수가 예측의 .grad나 그래프를 읽습니다: 컴파일된 단계의 예측은 같은 숫자만 가진 새 잎 노드입니다",
                "the accuracy function reads a prediction's .grad or graph: compiled steps' predictions are new "
                "leaves holding the same numbers",
            )
        )
        compiled = fused = learners = None
        predict = model  # (the compiled forward pass's predictions on validation data are such leaves too)
    moved_since_traced = learners.moved if learners is not None else None
    judge = None if accuracy else _numeric_accuracy(loss, y)  # the default accuracy, on compiled predictions' numbers
    tails_apart = None  # whether each prediction's .grad comes from its own loss term alone (`_give_gradients`)
    bar = tqdm(range(epochs), desc=tr("학습", "training"), unit=tr("에폭", "epoch"), disable=not progress)
    for _ in bar:
        if shuffle and batch_size < len(order):  # one batch of everything: its order would change the last bits only
            rng.shuffle(order)
        total, correct = 0.0, 0
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            Xb: Any = X
            yb: Any = y
            if compiled is not None and not (type(X) in (list, tuple) and type(y) in (list, tuple)):
                Xb, yb = _rows(model, loss_fn, X, y, batch)  # a Sequence of the user's: read once, as interpreted
            # The learner's code that runs in a step before the forward pass (a Sequence's reads just above, an
            # optimizer's zero_grad below) may change what the traces froze into the code: fit's watch looks
            # after it, just before the compiled code runs
            step = None
            if fused is not None and (compiled := _unmoved(compiled, moved_since_traced)) is not None:
                step = fused.step(compiled, Xb, yb, batch)
            if step is None:  # zero_grad, forward + backward, optimizer step
                optimizer.zero_grad()
                if (checked := _unmoved(compiled, moved_since_traced)) is not None:
                    step, compiled = _compiled_step(checked, parameters, model, loss_fn, Xb, yb, batch)
                    if checked.traced_otherwise:  # the forward pass traced for validation would be, too
                        predict = model
                else:
                    compiled = None
                if step is None:  # interpreted (or the compiled code handed this batch over)
                    step = _interpreted_step(model, loss_fn, Xb, yb, batch)
                if track_gradients and start + batch_size >= len(order):
                    history["gradient_flow"].append([r.mean_abs_grad for r in gradient_flow(model)])
                _optimizer_step(optimizer, in_c=compiled is not None)
            batch_loss, preds, numbers = step
            total += batch_loss * len(batch)
            if numbers and judge is not None:  # no Value made only to be read back
                correct += sum([bool(judge(p, y[i])) for p, i in zip(preds, batch)])
            elif accuracy is not None and (numbers or compiled is not None):  # (compiled, or a program's check)
                give = None
                if numbers:  # stand-ins: new leaves holding the compiled predictions' numbers
                    preds = [_as_values(p) for p in preds]
                    if tails_apart:
                        # (the lists as they are now: the accuracy function may take a Value out of one)
                        give = functools.partial(_give_gradients, _lists_copied(preds), loss_fn, [yb[i] for i in batch])
                elif tails_apart is None:  # the first real predictions: may the stand-ins be given their .grad?
                    tails_apart = loss_fn in losses.LOSSES.values() and _predictions_apart(preds)
                counted, read, walked = _judged_watching_text(is_correct, preds, y, batch, give, numbers)
                correct += counted
                if walked and compiled is not None:  # (if this batch's predictions were stand-ins, so is its count)
                    compiled = fused = None
                    predict = model
                    _notice(
                        bilingual(
                            "accuracy 함수가 예측의 그래프를 따라갑니다 (그리기, zero_grad() 등): 컴파일된 단계의 예측은 "
                            "같은 숫자만 가진 새 잎 노드라서 그래프가 없습니다",
                            "the accuracy function walks a prediction's graph (a drawing, zero_grad(), ...): compiled "
                            "steps' predictions are new leaves holding the same numbers, with no graph",
                        )
                    )
                elif read and compiled is not None and not tails_apart:  # (this batch's count is the stand-ins')
                    compiled = fused = None
                    predict = model  # (and on validation data: a stand-in's text has no label the model gave)
                    _notice(
                        bilingual(
                            "accuracy 함수가 예측의 글(repr, str, f-문자열, print)을 만들거나 예측을 간직합니다: 컴파일된 "
                            "단계의 예측은 같은 숫자만 가진 새 잎 노드라서 grad가 다릅니다",
                            "the accuracy function makes a prediction's text (repr, str, an f-string, print) or keeps a "
                            "prediction: compiled steps' predictions are new leaves holding the same numbers, with another "
                            "grad",
                        )
                    )
            else:
                correct += sum(bool(is_correct(p, y[i])) for p, i in zip(preds, batch))
        history["loss"].append(total / len(X))
        history["accuracy"].append(correct / len(X))
        if validation_data is not None:
            try:
                result = _evaluate(model, *validation_data, loss, is_correct, predict, judge)
            except (TypeError, ValueError) as error:  # bad validation data: say which row (`X_val[3]: ...`)
                _name_row(error, model, loss_fn, *validation_data, range(len(validation_data[0])), ("X_val", "y_val"))
                raise
            history["val_loss"].append(result["loss"])
            history["val_accuracy"].append(result["accuracy"])
        if progress:  # (a full-batch run has an epoch per step: no text made for a bar that is not shown)
            postfix = {
                tr("손실", "loss"): f"{history['loss'][-1]:.4f}",
                tr("정확도", "accuracy"): f"{history['accuracy'][-1]:.1%}",
            }
            if validation_data is not None:
                postfix[tr("검증 정확도", "val accuracy")] = f"{history['val_accuracy'][-1]:.1%}"
            bar.set_postfix(postfix, refresh=False)  # drawn at tqdm's own pace, not once per epoch into a log
    return history


def _unmoved(compiled, moved_since_traced):
    """`compiled`, or None (saying why) if what the model reads has changed since the traces."""
    if compiled is None or moved_since_traced is None or (moved := moved_since_traced()) is None:
        return compiled
    _notice(  # the traces froze the old value into the code
        bilingual(
            f"모델이 읽는 '{moved}'이(가) 단계 사이에 바뀌었습니다: 컴파일된 코드는 추적할 때의 값을 씁니다",
            f"'{moved}', which the model reads, changed between steps; compiled code would go on with the value it "
            "traced",
        )
    )
    return None


def _sum_of_losses(results):
    """`engine.sum` of the samples' losses (each result's first number), its number: an OverflowError where that
    is beyond the floats. For finite floats (what compiled code returns) the engine's own sum of floats, without
    making the node."""
    losses_ = [r[0] for r in results]
    if all(type(x) is float for x in losses_) and all(map(math.isfinite, losses_)):
        return engine._sum_of_floats(losses_)
    return value_sum(losses_).data


def _batch_loss(model, loss_fn, X, y, batch):
    """The batch's mean loss as one graph, and the predictions."""
    return _mean_loss(model, loss_fn, [X[i] for i in batch], [y[i] for i in batch])


def _mean_loss(model, loss_fn, xs, ts):
    """The mean loss over the pairs (xs[k], ts[k]) as one graph, and the predictions (what compiled batches trace)."""
    preds = [model(x) for x in xs]
    return _mean_of_losses(loss_fn, preds, ts), preds


def _mean_of_losses(loss_fn, preds, ts):
    return value_sum(loss_fn(p, t) for p, t in zip(preds, ts)) / len(preds)


def _judged_watching_text(is_correct, preds, y, batch, give=None, stand_ins=False):
    """(how many of the batch's predictions `is_correct` accepts, whether it asked for a prediction's text or
    kept one, whether it walked a prediction's graph).

    For the predictions of every batch while compiled steps go on: the real
    ones of a batch run interpreted (a program's first batch), and a compiled
    step's stand-ins (new leaves holding its numbers). A Value's text shows
    its `.grad`. `give`: where fit can give the stand-ins the real
    predictions' `.grad` (`_give_gradients`), it does so before the text of
    one is made, or after the judging if the accuracy function kept one (it
    may show it later); that costs a small graph, so only then. Without
    `give`, an accuracy function that asks for the text of a stand-in has
    judged that batch by another text, and one that kept a stand-in (a
    reference more than before) keeps another `.grad`: fit trains
    interpreted from the next step (on a program's first batch, judged on
    the real predictions, before any stand-in is judged). It does so too
    after an accuracy function walked a prediction's graph through
    micrograd_ko's code (`render_svg(p)`, `p.zero_grad()`, which zeroes the
    weights' `.grad` too): a stand-in has no graph to walk.
    """
    values = _values_in(preds)
    watched = {id(v) for v in values}
    asked, given, walked, giving = [], [], [], []

    def watch(value):
        if id(value) in watched:
            if give is None:
                asked.append(True)
            elif not given:
                given.append(True)
                give_now()

    def give_now():
        giving.append(True)  # (the tail's backward walks the stand-ins: that is fit's walk, not the learner's)
        try:
            give()
        finally:
            giving.pop()

    def walk(nodes):
        if not giving and not walked and any(id(node) in watched for node in nodes):
            walked.append(True)

    # (a prediction may be kept as the list of its Values; a real one kept matters where no stand-in can be given)
    parts = _parts(preds) if give is not None or not stand_ins else []
    held = _references(parts)
    previous = engine._text_watch, engine._graph_watch
    engine._text_watch, engine._graph_watch = watch, walk
    try:
        counted = sum(bool(is_correct(p, y[i])) for p, i in zip(preds, batch))
    finally:
        engine._text_watch, engine._graph_watch = previous
    if not given and _references(parts) != held:  # (the accuracy function kept one)
        if give is None:
            asked.append(True)
        else:
            give()
    return counted, any(asked), bool(walked)


def _references(parts):
    """How many references each part has, and what a list of Values holds: an accuracy function that keeps a
    Value it takes out of a prediction's list (`p.pop()`, `p[0] = None`) adds no reference in all."""
    return [(sys.getrefcount(part), tuple(map(id, part)) if type(part) is list else None) for part in parts]


def _lists_copied(pred):
    """`pred` with each list in it copied (the Values are the same)."""
    return [_lists_copied(p) for p in pred] if isinstance(pred, list) else pred


def _parts(preds):
    """The predictions of a batch, and every list and Value in them."""
    return [part for p in preds for part in ([p, *_parts(p)] if isinstance(p, list) else [p])]


def _give_gradients(stand_ins, loss_fn, targets):
    """Give a compiled step's stand-ins the `.grad` the real predictions hold after the step's backward.

    The real prediction of row k is used by the loss's term for row k alone
    (`_predictions_apart` checked that on real predictions; a library loss is
    pure, so calling it again changes nothing), so its gradient is that of
    the batch's tail, `_mean_of_losses` on the predictions: built again on
    the stand-ins, the same nodes in the same order give the same
    gradients, bit for bit.
    """
    with engine._recording_anyway():  # (the accuracy function may make a text inside no_grad())
        _mean_of_losses(loss_fn, stand_ins, targets).backward()


def _predictions_apart(preds):
    """Whether each real prediction's Values are used by its own loss term alone: none is another's (or
    another prediction's) ancestor or the same Value twice, and none has a label (a stand-in has none)."""
    values = [v for p in preds for v in _values_in(p)]
    if len({id(v) for v in values}) != len(values) or any(v.label for v in values):
        return False
    ids, below = {id(v) for v in values}, set()  # below: the predictions and the nodes computed from one
    done: dict = {}
    for v in values:
        for node in engine.topological_order(v, done):
            computed_from_one = any(id(parent) in below for parent in node._prev)
            if computed_from_one and id(node) in ids:
                return False
            if computed_from_one or id(node) in ids:
                below.add(id(node))
    return True


def _values_in(pred):
    """The Values in a prediction (or a list of them), however nested."""
    if isinstance(pred, (list, tuple)):
        return [v for p in pred for v in _values_in(p)]
    return [pred] if isinstance(pred, Value) else []


def _interpreted_step(model, loss_fn, X, y, batch):
    """Forward and backward of one batch with the engine (gradients already zeroed by fit).

    Returns (mean loss, predictions, False): the predictions are the graph's
    Values (a compiled step gives their numbers, and True).
    """
    try:
        batch_loss, preds = _batch_loss(model, loss_fn, X, y, batch)
    except OverflowError as error:  # the engine refuses to make an inf
        raise _diverged(error) from error
    except (TypeError, ValueError) as error:  # bad data: say which row, as `X[37]: ...` (looked for only now)
        _name_row(error, model, loss_fn, X, y, batch)
        raise
    if not math.isfinite(batch_loss.data):
        raise _diverged(batch_loss.data)
    batch_loss.backward()
    return batch_loss.data, preds, False


def _name_row(error, model, loss_fn, X, y, batch, names=("X", "y")):
    """Put the row a batch's error comes from in front of its message (`X[37]: ...`), when one sample raises it alone."""
    where = _failing_row(error, model, loss_fn, X, y, batch, names)
    if where is not None:
        error.args = (f"{where}: {error.args[0]}",)


def _failing_row(error, model, loss_fn, X, y, batch, names=("X", "y")):
    """Where a batch's error comes from, `"X[i]"` or `"y[i]"`, or None if no one sample raises it alone.

    The batch is gone over again one sample at a time, in the order in which
    the batch's graph is built (every prediction, then every loss), until a
    sample raises the same error (type and text). Only on the error path: the
    random module's state is put back (dropout draws), no gradient is touched.
    """
    if len(error.args) != 1 or not isinstance(error.args[0], str):
        return None
    state = random.getstate()
    try:
        preds = []
        for i in batch:
            try:
                preds.append(model(X[i]))
            except Exception as again:  # noqa: BLE001 - compared with the error, then dropped
                return f"{names[0]}[{i}]" if _same_error(again, error) else None
        for i, pred in zip(batch, preds):
            try:
                loss_fn(pred, y[i])
            except Exception as again:  # noqa: BLE001 - compared with the error, then dropped
                return f"{names[1]}[{i}]" if _same_error(again, error) else None
    finally:
        random.setstate(state)
    return None


def _same_error(one, other):
    return type(one) is type(other) and one.args == other.args


# What a Value made by the engine holds (a label the model gave it too) and a compiled step's prediction (a new
# leaf) does not, and the names by which code reaches it otherwise: an attribute named at run time
# (`getattr(p, name)`) and micrograd_ko's functions that walk a graph. (A Value's text, which shows the grad, is
# watched while the accuracy judges: `_judged_watching_text`.)
_GRAPH_ATTRIBUTES = frozenset(
    {"grad", "_prev", "_op", "op", "local_grads", "backward", "_backward", "_a", "_b", "_da", "_db", "label"}
    | _BY_COMPUTED_NAME
    | {"topological_order", "grad_number", "node_kind"}
)


def _compilable(model):
    """False for models that draw random numbers while training (dropout): tracing would freeze them."""
    from .nn import Dropout

    modules = model.modules() if hasattr(model, "modules") else [model]
    return not any(isinstance(m, Dropout) and m.p > 0 for m in modules)


def _compiled_step(compiled, parameters, model, loss_fn, X, y, batch):
    """The batch's step by compiled code: `(step or None, compiled or None)`.

    A batch served by a program not yet checked is run both ways from the
    same state; the compiled result is trusted only if the two agree bit for
    bit (loss, predictions, every gradient, the random module's state),
    the model decides for the batch's first input as the trace did and what it computes does not turn on a
    random state it puts back (`_traced_otherwise`), and
    from then on. Otherwise fit goes on interpreted, with one line saying why.
    `step` None: run this batch interpreted (the gradients are as zero_grad left them).
    """
    if compiled.ready(batch):  # a program already checked: nothing to keep aside
        return compiled.step(X, y, batch), compiled
    state = random.getstate()
    held = [p.grad for p in parameters]
    try:
        step = compiled.step(X, y, batch)
    except Exception as refusal:  # noqa: BLE001 - a refusal, or an error while tracing: the engine takes over
        _restore_gradients(parameters, held)
        random.setstate(state)
        step = _interpreted_step(model, loss_fn, X, y, batch)  # an error of the data is raised here, alone
        _notice(refusal)  # the batch trained: from now on interpreted, and why
        return step, None
    if step is None or not compiled.unchecked:
        return step, compiled
    got = [p.grad for p in parameters]
    _restore_gradients(parameters, held)
    random.setstate(state)
    data = _batch_numbers(X, y, batch)
    expected = _interpreted_step(model, loss_fn, X, y, batch)
    why = _difference(step, expected, got, [p.grad for p in parameters], state != random.getstate(), parameters)
    if why is None and _batch_numbers(X, y, batch) != data:  # the compiled code would not repeat that change
        why = bilingual(
            "모델이 학습 중에 입력이나 목표값을 바꿉니다", "the model changes its inputs or targets while training"
        )
    first = (X[batch[0]], y[batch[0]])
    if why is None and (why := _traced_otherwise(model, *first, parameters, loss_fn)) is _DECIDED_OTHERWISE:
        compiled.traced_otherwise = True
    if why is not None:
        _notice(why)
        return expected, None
    compiled.unchecked = False
    return expected, compiled


class _Comparisons:
    """An observer of the engine (`engine.observe`) that keeps the comparisons of Values a call makes."""

    def __init__(self):
        self.made = []

    def created(self, value):
        pass

    def compared(self, left, symbol, right, result):
        self.made.append((left, symbol, right, result))


def _traced_otherwise(model, x, t, weights, loss_fn=None):
    """Why fit's interpreted run may compute otherwise than a trace of the model (and of `loss_fn`), judged on
    input `x`: `_DECIDED_OTHERWISE`, `_READS_RANDOM_STATE`, or None.

    - The model decides otherwise for `x` as a trace sees it (Values) than for its numbers (a copy: fit's run):
      its graph's shape or its comparisons of Values (`_decisions`).
    - What a trace of it keeps (`_frozen`: the graph it builds for Values, with every number) or its numbers
      turn on the random module's state, or numpy's global generator's, although it leaves that state as it
      found it (drawing, then `random.setstate`): a trace keeps what it drew then, while fit's interpreted run
      draws from the state of each step, which the learner's code may move between steps. The graph tells
      where the numbers for `x` alone may not: noise scaled by an input that is 0 in `x`; and a call that puts
      the state back through the random module (`_PutBack`) tells where both states give alike.
    - The model sets a random state (`random.seed(42)` before each draw, the same noise every call, through
      any name): calls that start from other states leave the same one. Such a trace leaves the state as the
      model's previous call left it, so it is not seen drawing, while compiled steps would set no state for
      the learner's other code (a noisy optimizer, an accuracy breaking ties at random) to draw from.

    `t`, `loss_fn`: the target of `x` and the training loss, which the programs trace too (a loss function of
    the learner's may draw as well); None for the forward pass alone (the validation trace).

    Four calls of the model (and the loss), for `x` as Values and as numbers, from the random states as they
    are and from others (a seed of its own); after each, the model's Python state, weights and random numbers
    are put back from one snapshot (taking it costs more than a call of a small model).
    """
    functions = () if loss_fn is None else (loss_fn,)  # (the loss's globals are put back too)
    snapshot, state, put_back = ModelState(model, weights, functions), random.getstate(), _PutBack()
    states = {}  # (as_values, seed) -> (the random states a call started from, those it left)

    def call(as_values, seed=None):
        try:
            if seed is not None:
                random.seed(seed)
                if (numpy := sys.modules.get("numpy")) is not None:  # (the snapshot puts its global generator back)
                    numpy.random.seed(seed)
            started = _random_states()
            with put_back.watching():
                decided = _decisions(model, x, t, weights, loss_fn, as_values)
            states[as_values, seed] = started, _random_states()
            return decided
        finally:
            snapshot.restore()
            random.setstate(state)

    traced, run = call(True), call(False)
    if _part(traced, 0) != _part(run, 0):
        return _DECIDED_OTHERWISE
    if put_back.seen:
        return _READS_RANDOM_STATE
    traced_elsewhere, run_elsewhere = call(True, _OTHER_SEED), call(False, _OTHER_SEED)
    if _part(traced_elsewhere, 1) != _part(traced, 1) or _part(run_elsewhere, 1) != _part(run, 1):
        return _READS_RANDOM_STATE
    for as_values in (True, False):
        (started, left), (started_elsewhere, left_elsewhere) = states[as_values, None], states[as_values, _OTHER_SEED]
        if any(a != b and c == d for a, b, c, d in zip(started, started_elsewhere, left, left_elsewhere)):
            return _READS_RANDOM_STATE  # (per generator: the random module's, numpy's global one)
    return None


def _random_states():
    """The random module's state and a picture of numpy's global generator's (None without numpy)."""
    return random.getstate(), _state_picture(_numpy_global_state())


class _PutBack:
    """Whether the model put a random state back while fit's check called it (`random.setstate`, numpy's
    `np.random.set_state`, called through their modules): it drew, and hid it. Two random states may give the
    numbers alike where a draw decides a branch (a coin flip that lands the same both times)."""

    def __init__(self):
        self.seen = False

    @contextlib.contextmanager
    def watching(self):
        numpy = sys.modules.get("numpy")
        functions = [(random, "setstate")] + ([(numpy.random, "set_state")] if numpy is not None else [])
        originals = [(owner, name, getattr(owner, name)) for owner, name in functions]
        for owner, name, original in originals:
            setattr(owner, name, self._telling(original))
        try:
            yield
        finally:
            for owner, name, original in originals:
                setattr(owner, name, original)

    def _telling(self, original):
        def put_back(*args, **kwargs):
            self.seen = True
            return original(*args, **kwargs)

        return put_back


def _part(decisions, k):
    """Part k of what `_decisions` returned; None if the call raised."""
    return None if decisions is None else decisions[k]


_OTHER_SEED = 20_261_206  # (any seed: a state other than the learner's)
_DECIDED_OTHERWISE = bilingual(
    "모델이 숫자를 받을 때와 추적할 때(Value) 다르게 계산합니다 (그래프나 비교): 추적에서 보지 못한 것"
    "(입력의 자료형 등)으로 분기합니다",
    "the model computes otherwise for numbers than for the traced Values (its graph or its comparisons): it "
    "branches on something the trace saw otherwise (the type of an input)",
)
_READS_RANDOM_STATE = bilingual(
    "모델의 숫자가 random 모듈의 상태에 따라 달라집니다 (뽑은 뒤 상태를 되돌려 놓거나 시드를 다시 정합니다): 컴파일된 코드는 "
    "추적할 때 뽑은 수를 쓰고 상태를 정하지 않습니다",
    "the model's numbers depend on the random module's state, which it puts back after drawing (or seeds anew); "
    "compiled code would go on with the numbers drawn when traced, and set no state",
)


def _decisions(model, x, t, weights, loss_fn=None, as_values=False):
    """What the model's Python decides for input `x`, given as numbers (fit's interpreted run, on a copy) or as
    Values (`as_values`: what a trace sees), and what it computes; with `loss_fn`, the training loss's for
    target `t` too. ((the graph of its output as `_shape`, the comparisons of Values computed from a weight as
    (symbol, result) in order, each as the Value computed from a weight asks it), then for Values `_frozen` of
    its output, else its numbers as bits); None if the call raises. The caller puts back the model's state.

    A trace freezes the branches the model's Python took on Values; some it
    takes otherwise on numbers (`type(x[0]) is float`), and the numbers
    agree where the branch made no difference for the check's batch: a relu
    of a positive output, a `max(out, 0.0)` that returned `out`. Such a branch
    turns on the inputs' types, the same for every input of a compiled batch
    (`_SampleNumbers.same_kinds`), so one input tells.
    """
    seen, inputs = _Comparisons(), []
    try:
        with engine.observe(seen):
            out = model(_wrap(x, _structure(x), inputs) if as_values else copy.deepcopy(x))
            if loss_fn is not None:  # (a loss of the learner's may decide, or draw, too)
                out = [loss_fn(out, copy.deepcopy(t)), out]
        live, done = {id(w) for w in weights}, {}
        shape = _shape(out, live, done)
        _shape([v for left, _, right, _ in seen.made for v in (left, right)], live, done)  # (live: theirs too)
        compared = [  # (a number on the left asks the Value on the right: `x[0] < out` is `out > x[0]` for numbers)
            (symbol if id(left) in live else _REFLECTED[symbol], result)
            for left, symbol, right, result in seen.made
            if id(left) in live or id(right) in live
        ]
        return (shape, compared), _frozen(out, weights, inputs) if as_values else _bits(_numbers(out))
    except Exception:  # noqa: BLE001 - nothing to compare: the model decides
        return None


_REFLECTED = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _frozen(prediction, weights, inputs):
    """What a trace of the call that made `prediction` keeps: each node of its graph in topological order, as
    its op, its parents (a weight or an input by its place, a node by its place here, any other leaf by its
    number) and its numbers (value and local derivatives) as bits; then the prediction's numbers."""
    places = {id(v): ("input", k) for k, v in enumerate(inputs)}
    places.update((id(w), ("weight", k)) for k, w in enumerate(weights))
    done, nodes = {}, []
    for value in _values_in(prediction):
        for node in engine.topological_order(value, done):
            if id(node) in places:
                continue
            if node._a is None:  # a leaf the model made: a constant of the trace
                places[id(node)] = ("constant", _bits(node.data))
                continue
            places[id(node)] = ("node", len(nodes))
            parents = tuple(places[id(parent)] for parent in node._prev)
            numbers = (node.data, *node.local_grads())
            nodes.append((getattr(node._op, "name", node._op), parents, struct.pack(f"{len(numbers)}d", *numbers)))
    return nodes, _bits(_numbers(prediction))


def _shape(prediction, live, done):
    """The ops of the nodes of a prediction's graph that depend on a weight, in topological order.

    `live`: the ids of the weights, to which those nodes' are added; `done`: the nodes already walked (skipped).
    Nodes computed from the inputs alone are numbers in fit's interpreted run, not nodes: left out, as leaves
    are. (Which weight a node reads shows in the gradients, which fit's check compares.)
    """
    ops = []
    for value in _values_in(prediction):
        for node in engine.topological_order(value, done):
            if node._a is not None and any(id(parent) in live for parent in node._prev):
                live.add(id(node))
                ops.append(getattr(node._op, "name", node._op))
    return tuple(ops)


def _traced(model, parameters, trace, functions=(), inputs=()):
    """`trace()`, a compile that runs `model`, or a CompileError if the call changed the model's Python state.

    `inputs`: the inputs the trace gives the model; unless their numbers are all floats, the model may not
    compute from them alone (see `numbers_given`).

    Whatever the trace changed (a counter, a generator's state, a weight
    changed in place, an attribute made) is put back when it is refused, so
    the interpreted run that follows starts where it would have.
    """
    kept = ModelState(model, parameters, functions)
    if kept.opaque is not None:  # a trace would advance it, and it could not be put back
        raise cannot_follow(kept.opaque)
    try:
        with numbers_given(all(_all_floats(_number_kinds(x)) for x in inputs)):  # (plain numbers, interpreted)
            program = trace()
    except BaseException:
        kept.restore()
        raise
    changed = kept.changed()
    if changed is not None:  # compiled code would not change it again
        kept.restore()
        raise CompileError(
            bilingual(
                f"모델이 호출될 때마다 '{changed}'을(를) 바꿉니다: 컴파일된 코드는 그렇게 하지 않습니다",
                f"the model changes '{changed}' when it is called; compiled code would not",
            )
        )
    return program


def _batch_numbers(X, y, batch):
    """The batch's inputs and targets as text (`repr` of their numbers: exact, -0.0 and nan included)."""
    return repr([_numbers(X[i]) for i in batch]) + repr([_numbers(y[i]) for i in batch])


def _difference(step, expected, got, want, drew, weights):
    """Why the compiled step differs from the interpreted one (None: bit for bit the same).

    `weights`: the Values the optimizer may move (a prediction that is one of them moves with the step).
    """
    if drew:
        return bilingual("모델이 학습 중에 난수를 뽑습니다", "the model draws random numbers while training")
    if _bits(step[0]) != _bits(expected[0]):
        return bilingual(
            f"손실이 다릅니다 ({step[0]!r} != {expected[0]!r})", f"the losses differ ({step[0]!r} != {expected[0]!r})"
        )
    if _bits(_numbers(step[1])) != _bits(_numbers(expected[1])):
        return bilingual("예측이 다릅니다", "the predictions differ")
    if _kinds(step[1]) != _kinds(expected[1]):
        return bilingual(
            "모델이 예측을 list가 아닌 것(tuple 등)에 담아 돌려줍니다: 컴파일된 예측은 list입니다",
            "the model returns its predictions in something other than lists (a tuple); compiled predictions are lists",
        )
    if not _all_new_values(expected[1], {id(w) for w in weights}):
        return bilingual(
            "모델의 예측에 Value가 아닌 숫자나 가중치 자체가 들어 있습니다: 컴파일된 예측은 그 숫자를 가진 새 Value입니다",
            "the model's predictions hold a plain number or a weight itself; compiled predictions are new Values "
            "holding the numbers",
        )
    for k, (a, b) in enumerate(zip(got, want)):
        if _bits(a) != _bits(b):
            return bilingual(
                f"매개변수 {k}의 기울기가 다릅니다 ({a!r} != {b!r})",
                f"the gradient of parameter {k} differs ({a!r} != {b!r})",
            )
    return None


def _kinds(pred):
    """The containers of a prediction, nested as they are: compiled predictions are rebuilt as lists, and an
    accuracy function of the learner's may tell a tuple (or a list subclass) from a list."""
    if isinstance(pred, (list, tuple)):
        return type(pred), [_kinds(p) for p in pred]
    return None


def _all_new_values(pred, weights):
    """Whether each number of the model's own prediction is a Value other than those of `weights`, as every
    number of a compiled prediction is (a new leaf): an accuracy function of the learner's may tell a plain
    number from a Value (`isinstance(p[1], float)`), and a weight moves with the optimizer's step, which comes
    before the accuracy function sees it (a bias-only model: `p.data` after the step, the stand-in's before)."""
    if isinstance(pred, (list, tuple)):
        return all(_all_new_values(p, weights) for p in pred)
    return isinstance(pred, Value) and id(pred) not in weights


def _numbers(pred):
    if isinstance(pred, (list, tuple)):
        return [_numbers(p) for p in pred]
    return pred.data if isinstance(pred, Value) else pred


def _bits(x):
    if isinstance(x, list):
        return [_bits(v) for v in x]
    return struct.pack("d", x) if isinstance(x, float) else repr(x)


def _notice(why):
    """One line: fit goes on interpreted, and why."""
    reason = str(why).splitlines()[0] if str(why) else type(why).__name__
    print(
        bilingual("fit: 컴파일하지 않고 해석 실행으로 학습합니다", "fit: training interpreted, not compiled")
        + f" — {reason}",
        file=sys.stderr,
    )


def _trained(model, optimizer):
    """The model's parameters and the optimizer's (a loss may hold a weight of its own), each once."""
    seen, trained = set(), []
    for p in [*model.parameters(), *optimizer.params]:  # (a model's parameters() may be a generator, as torch's)
        if id(p) not in seen:
            seen.add(id(p))
            trained.append(p)
    return trained


def _reads_only(program, trained):
    """The program, if every Value it reads live is among `trained`; else CompileError (fit trains interpreted).

    fit keeps the gradients of `trained` aside while it checks a step; a
    gradient elsewhere (a Value of the loss's own, a private attribute the
    model does not list) could not be put back.
    """
    known = {id(p) for p in trained}
    if all(id(p) in known for p in program.parameters):
        return program
    raise CompileError(
        bilingual(
            "손실이 model.parameters()에도 옵티마이저에도 없는 Value를 씁니다",
            "the loss uses a Value that is neither in model.parameters() nor in the optimizer",
        )
    )


def _holds_value(t):
    """Whether a target (or input) holds a Value: the engine may differentiate through it, so it is no number."""
    if isinstance(t, (list, tuple)):
        return any(map(_holds_value, t))
    return isinstance(t, Value)


def _restore_gradients(parameters, held):
    for p, g in zip(parameters, held):
        p.grad = g


def _finite(x):
    if x - x:
        raise OverflowError(x)
    return x


def _rows(model, loss_fn, X, y, batch):
    """`_Rows` of X and y for one batch; a row that raises is named as the interpreted step names it (`X[7]: ...`)."""
    try:
        return _Rows(X, batch), _Rows(y, batch)
    except (TypeError, ValueError) as error:
        _name_row(error, model, loss_fn, X, y, batch)
        raise


class _Rows:
    """`data[i]` for the indices of one batch, read from a Sequence of the user's once, in the batch's order.

    Reading a sample may do something: an augmenting data set draws random
    numbers, a counter counts. The interpreted step reads each sample of a
    batch once; a compiled step reads them more often (to trace, to check
    itself against the engine, to run), so it reads them from here instead,
    and the random numbers drawn are the interpreted step's.
    """

    def __init__(self, data, batch):
        self.items = {i: data[i] for i in batch}
        self.length = len(data)

    def __getitem__(self, i):
        return self.items[i]

    def __len__(self):
        return self.length


class _FusedSGD:
    """Plain SGD run inside the compiled step (variant 'sgd'): zero_grad, forward, backward and update in one call.

    A step then reads and writes every weight once, instead of zero_grad,
    the compiled call and the optimizer each going over all of them. Only
    for `SGD` without momentum or weight decay over exactly the parameters
    whose gradients the batch's program writes, and only after the first
    fused step of each program agreed bit for bit (loss, predictions,
    gradients, weights) with zero_grad + the compiled step + optimizer.step()
    from the same state; else fit goes on unfused, saying why in one line.
    """

    # The methods of SGD whose work the fused code does, as optim defines them: the functions themselves,
    # taken when this module is imported (a replacement made with functools.wraps has their names).
    OWN = {
        "step": Optimizer.step,
        "zero_grad": Optimizer.zero_grad,
        "_compute": SGD._compute,
        "_commit": SGD._commit,
    }

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.params = list(optimizer.params)  # the list fit began with, its Values by identity
        self.optimized = {id(p) for p in optimizer.params}
        self.trusted = {}  # id(program) -> whether its fused step is used

    @staticmethod
    def applies(optimizer, track_gradients):
        """Plain SGD as optim defines it (no subclass, no method replaced on the class or the object), each parameter once."""
        once = len({id(p) for p in optimizer.params}) == len(optimizer.params)
        return _FusedSGD._plain(optimizer) and once and not track_gradients

    @staticmethod
    def _plain(optimizer):
        """Whether `optimizer.step()` is `p - lr * p.grad` for each of its parameters, with a rate it accepts."""
        lr = getattr(optimizer, "lr", None)
        plain = _FusedSGD.own(optimizer) and not optimizer.momentum and not optimizer.weight_decay
        return plain and _rate_taken(lr)

    @staticmethod
    def own(optimizer):
        """Whether `optimizer` is an SGD whose step is optim's own (no subclass, no method replaced)."""
        return (
            type(optimizer) is SGD
            and not set(_FusedSGD.OWN) & set(vars(optimizer))
            and all(getattr(SGD, name) is function for name, function in _FusedSGD.OWN.items())
        )

    def step(self, compiled, X, y, batch):
        """The batch's (loss, predictions, numbers) with the optimizer's step done; None: nothing done, step as usual.

        fit's watch has just found unmoved what the model reads, and no code
        of the learner's runs from there to the fused call.

        What `applies` found may have changed since fit began (the learner's code runs between steps: a schedule
        in an accuracy function that sets `lr` to 0, momentum, parameters taken out of `params`): the usual
        step then takes this batch, and `optimizer.step()` does what it does with them (or raises).
        """
        if not self._plain(self.optimizer) or self.optimizer.params != self.params:
            return None
        found = compiled.checked_program(X, y, batch)
        if found is None:
            return None
        program, flat, per_sample = found
        trusted = self.trusted.get(id(program))
        if trusted is None:
            if {id(p) for p in program.written} != self.optimized or len(program.written) != len(self.optimized):
                trusted = self.trusted[id(program)] = False
            else:
                return self._first_step(program, flat, per_sample, compiled, X, y, batch)
        if not trusted:
            return None
        return self._finish(self._fused(program, flat, per_sample, len(batch), watched=True))

    def _fused(self, program, flat, per_sample, size, watched=False):
        """The fused call: ((mean loss, predictions), updated), or None (nothing changed).

        `flat`: a whole batch's arguments, or a list of each sample's where
        one program serves the batch sample by sample (`per_sample`, variant 'batch_sgd'):
        its mean loss is then the engine's mean of the samples' losses, and
        where that is beyond the floats (the engine raises) the step is undone
        and handed over.
        """
        lr = self.optimizer.lr
        if not per_sample:
            return program._sgd_step_watched(flat, lr) if watched else program.sgd_step(flat, lr)
        params = self.optimizer.params
        before = [p.data for p in params]
        call = program._batch_sgd_step_watched if watched else program.batch_sgd_step
        fused = call(flat, lr, 1.0 / size)
        if fused is None:
            return None
        results, updated = fused
        try:
            mean = _sum_of_losses(results) / size  # the batch's loss node, as the engine has it
        except OverflowError:  # the engine's step raises: undone, as zero_grad left it
            for p, data in zip(params, before):
                p.data, p.grad = data, 0.0
            return None
        return (mean, [r[1] for r in results]), updated

    def _finish(self, fused):
        if fused is None:  # handed over: nothing was changed
            return None
        (loss, predictions), updated = fused
        if not updated:  # a new weight would not be finite: the optimizer's own step raises (or updates)
            _optimizer_step(self.optimizer)
        return loss, predictions, True

    def _first_step(self, program, flat, per_sample, compiled, X, y, batch):
        """The program's first fused step, compared with the unfused one from the same state."""
        params = self.optimizer.params
        before = parameter_state(params)
        self.optimizer.zero_grad()
        usual = compiled.step(X, y, batch)
        if usual is None:
            restore_parameters(params, before)
            return None
        try:
            _optimizer_step(self.optimizer)
        except Exception:  # noqa: BLE001 - the usual path will raise it again
            restore_parameters(params, before)
            return None
        want = [(_bits(p.data), _bits(p.grad)) for p in params]
        restore_parameters(params, before)
        fused = self._fused(program, flat, per_sample, len(batch))
        got = [(_bits(p.data), _bits(p.grad)) for p in params]
        same = fused is not None and fused[1] and got == want
        if not (same and _bits(fused[0][0]) == _bits(usual[0]) and _bits(fused[0][1]) == _bits(usual[1])):
            restore_parameters(params, before)
            self.trusted[id(program)] = False
            if fused is not None:
                _notice_unfused()
            return None
        self.trusted[id(program)] = True
        return usual


def _optimizer_step(optimizer, in_c=False):
    """`optimizer.step()`; `in_c`: by runtime.c where it computes the same (`_momentum_in_c`), for a compiled fit."""
    try:
        if not (in_c and _momentum_in_c(optimizer)):
            optimizer.step()
    except OverflowError as error:  # the step would write an infinite weight
        raise _diverged(error) from error


def _momentum_in_c(optimizer):
    """Momentum SGD's step (`SGD(momentum=m)`, no weight decay) by runtime.c's `sgd_momentum`, the same float
    operations as SGD's own in the same order, where a C form of the compiled code is loaded; False where not
    taken (nothing changed: the optimizer steps itself). For a large network most of a compiled step's time
    outside the C code was the optimizer's list comprehensions (digits 64-32-10: 2,410 parameters)."""
    step = native.sgd_momentum()
    if step is None or not _FusedSGD.own(optimizer) or not optimizer.momentum or optimizer.weight_decay:
        return False
    lr = optimizer.lr
    if not _rate_taken(lr):
        return False
    velocity = step(optimizer.params, optimizer.velocity, lr, optimizer.momentum)
    if velocity is NotImplemented:
        return False
    optimizer._commit([velocity])
    return True


def _rate_taken(lr):
    """Whether SGD's own step takes the learning rate `lr` as it is (a float, positive and finite; else it
    raises, in its own words): only then may its step be done elsewhere."""
    return type(lr) is float and 0.0 < lr < math.inf


def _notice_unfused():
    print(
        bilingual(
            "fit: SGD 갱신을 컴파일된 코드에 합치지 않습니다 — 합친 단계가 따로 한 단계와 다릅니다",
            "fit: SGD's update is not fused into the compiled code — the fused step differs from the separate one",
        ),
        file=sys.stderr,
    )


def _notice_validation(why):
    """One line: the validation data is evaluated interpreted, and why."""
    print(
        bilingual("fit: 검증 데이터는 해석 실행으로 평가합니다", "fit: evaluating the validation data interpreted")
        + f" — {why}",
        file=sys.stderr,
    )


class _CompiledForward:
    """The model's forward pass alone as compiled code, for evaluating on validation data every epoch.

    Made on the first call (in eval mode, so dropout is off); a call the code
    cannot follow is handed to the engine by the compiled function itself.
    The first time it predicts for a set of inputs, the model predicts for
    them too, and the compiled predictions are used only if they agree bit
    for bit (`verify`).
    """

    expected_calls: dict[str, int] = {}  # variant -> the predictions fit will ask of it (each epoch's validation)

    def __init__(self, model):
        self.model, self.program = model, None
        self.traced = None  # the model's Python state when the forward pass was traced
        self.kinds = None  # `_number_kinds` of the input it was traced with: an x of others goes to the model
        self._held = None  # (X, each x's flattened numbers, `_snapshot(X)`) for the validation inputs
        self._verified = None  # the X whose compiled predictions equalled the model's own

    def prepare(self, x):
        if self.program is None:
            weights = list(self.model.parameters())  # (read more than once: a generator would be used up)
            try:
                self.program = _traced(
                    self.model,
                    weights,
                    lambda: compile_function(self._forward, x, gradients=False),
                    inputs=[x],
                )
            except Exception:  # noqa: BLE001 - refused, or the trace itself failed (sqrt'(0), a lookup): the model decides
                self.program = False
            else:
                why = _traced_otherwise(self.model, x, None, weights)
                if why is not None:  # it branches on something the trace saw otherwise, or noise the trace froze
                    self.program = False
                    _notice_validation(why)
            if self.program:
                self.program.expected_calls = self.expected_calls
                # compile watched what `_forward` (fit's own code) reads, not the model: the model's state, nn's
                # modules and classes (a method patched between epochs) are looked at before every call
                self.program.learners = LearnersState(self.model, (), modes=True)
            self.traced = ModelState(self.model, [])
            self.kinds = _number_kinds(x)
        elif self.program and self.traced.changed() is not None:
            self.program = False  # a number the model keeps (a running mean) moved since: the trace holds the old one

    def _forward(self, x):
        """The model's output, which must be a Value or a list of them (compile reads a pair as (output, extra))."""
        out = self.model(x)
        if not isinstance(out, (Value, list)):
            raise CompileError(f"the model returns a {type(out).__name__}")
        return out

    def __call__(self, x):
        """The compiled prediction for x, or the model's own where the code would hand x over.

        (The model, not the compiled function's hand-over: that runs the model
        on Values, and fit runs it on the numbers themselves.)
        """
        flat = _flat_or_none(x, self.program._structures[0]) if self._takes(x) else None
        numbers = None if flat is None else self.program.fast_forward(flat)
        if numbers is not None:
            return _as_values(numbers)
        return self.model(x)

    def _takes(self, x):
        """Whether the program may predict for `x`: its lists and numbers are of the types of the traced input's."""
        return bool(self.program) and _number_kinds(x) == self.kinds

    def verify(self, X, numbers, names_matter=False):
        """None once X has passed; else (the first pass over X) the model's own predictions for X, with which
        the compiled `numbers` (None where the code would hand x over) are compared bit for bit: if any differs,
        the compiled code is not used again. So it is if `names_matter` (an accuracy function of the learner's
        judges the predictions) and the model names a prediction (`out.label = ...`): a Value's text shows its
        label, which the compiled predictions (new Values) do not have.

        Done once per X, as fit checks the first batch of each training
        program: it catches what shows in the first validation pass. Fit
        calls the model with raw numbers, the trace saw Values, and Python
        may treat them differently where neither a guard nor the trace looks
        (an x whose lists or numbers are of other types than the traced
        input's goes to the model; `sum(x)`, numpy, `==`, truth tests and,
        for inputs that are not floats, any arithmetic on the inputs alone
        the trace refuses). Such a difference starts in the
        inputs, which are the same every epoch, but whether it reaches the
        output can depend on the weights (a unit that is off hides it): a
        branch taken otherwise shows in the graph's shape, which `prepare`
        compared with the trace's; a difference in numbers alone that shows
        only in a later epoch is not caught.
        """
        if self._verified is X or not self.program:
            return None
        own = [self.model(x) for x in X]  # (once per x, as interpreted: a model with Python state sees each once)
        if not all(
            n is None or _bits(n) == _bits(_numbers(p)) and _kinds(n) == _kinds(p) and _all_new_values(p, ())
            for n, p in zip(numbers, own)
        ):
            why = bilingual(
                "컴파일된 순전파의 예측이 모델의 예측과 다릅니다",
                "the compiled forward pass predicts other numbers than the model",
            )
        elif names_matter and any(v.label for p in own for v in _values_in(p)):
            why = bilingual(
                "모델이 예측에 이름(label)을 붙이고 accuracy 함수가 사용자의 것입니다: 컴파일된 예측에는 이름이 없습니다",
                "the model names its predictions (label) and the accuracy function is the learner's; compiled "
                "predictions have no name",
            )
        else:
            self._verified = X
            return own
        self.program = False
        _notice_validation(why)
        return own

    def numbers(self, X):
        """The compiled predictions' numbers for each x in X; None where `self(x)` must decide.

        One loop of the generated code over the samples (the weights read
        once), on numbers flattened once per fit (again if X changed in
        place), without `__call__`'s checks. From the first x the program
        cannot take (another structure, lists or numbers of
        other types than the traced input's, a Value inside) on, every answer is
        None: `self(x)` then turns to the model for that x and the rest, as
        it always did.
        """
        program = self.program
        if not program:
            return [None] * len(X)
        if type(X) not in (list, tuple):  # a Sequence of the user's may give another x each time
            return [None] * len(X)
        if self._held is None or self._held[0] is not X or not _all_unchanged(X, self._held[2]):
            flats = []
            for x in X:
                flat = _flat_or_none(x, program._structures[0]) if self._takes(x) else None
                if flat is None:
                    break
                flats.append(flat)
            self._held = (X, flats, _snapshot(X))
        flats = self._held[1]
        numbers = program.fast_forward_batch(flats)
        if numbers is None:  # some x hands over: each on its own
            numbers = list(map(program.fast_forward, flats))
        return numbers + [None] * (len(X) - len(numbers))


class _CompiledBatches:
    """Whole batches as compiled programs `(inputs, targets) -> (mean loss, predictions)`, for a built-in loss.

    Inputs and targets are both inputs of the program, so every batch of one
    size runs the same code, shuffled or not: one program, plus one for a
    shorter last batch. It is the batch's own graph, so the gradients are
    backward()'s by construction. A batch larger than `MAX_TERMS` (in a run
    shorter than `LONG_RUN` steps) or than the compiler's limit goes sample by
    sample (`samples`): one program per sample shape, its terms added onto
    the gradients in backward()'s order. So does every batch of a long run
    where a C compiler is at hand: in C a whole batch runs no faster than its
    samples one after another (the cost per line that a whole batch saves
    Python is gone either way), and its C code, as many times longer as the
    batch has samples, takes as many times longer to build (regression
    1-16-16-1, batches of ten: 2.0 s against 0.4 s; a batch of ten digits
    through 64-32-32-32-10 would be 6 MB of C). A plain SGD step is fused
    into the call either way (variant 'sgd' or 'batch_sgd').
    """

    # Past this size (nodes + edges) Python's compile of a whole batch costs more than the
    # per-sample calls save in a short run (digits 64-32-10, batch 32, 8 epochs: 160,000,
    # 16 s to compile); a run of LONG_RUN steps or more earns it back (deep XOR nets, 2,000
    # full-batch steps, write every weight once per step instead of once per sample).
    MAX_TERMS = 30_000
    LONG_RUN = 1_000
    traced_otherwise = False  # fit's check found the model deciding otherwise than traced
    calls_per_size: dict[int, dict[str, int]] = {}  # batch size -> {variant: the calls fit will make of it}

    def __init__(self, model, loss_fn, samples, steps=0):
        self.model, self.loss_fn, self.samples = model, loss_fn, samples
        if steps < self.LONG_RUN:
            self.max_terms = self.MAX_TERMS
        else:  # (0: every batch sample by sample)
            self.max_terms = 0 if native_build.compiler() is not None else None
        self.programs = {}  # batch size -> (program, structures), or None: per sample
        self._unchecked = False

    @property
    def unchecked(self):
        return self._unchecked or self.samples.unchecked

    @unchecked.setter
    def unchecked(self, value):
        self._unchecked = self.samples.unchecked = value

    def ready(self, batch):
        """Whether this batch runs a program already checked (so the step needs no state kept aside)."""
        return type(self.programs.get(len(batch))) is tuple and not self._unchecked

    def step(self, X, y, batch):
        entry = self.programs.get(len(batch), False)
        if entry is False and self.max_terms is not None and self._too_large(X, y, batch):
            entry = self.programs[len(batch)] = None  # known from one sample's program, without tracing the batch
        if entry is False:
            model, loss_fn = self.model, self.loss_fn
            xs, ts = [X[i] for i in batch], [y[i] for i in batch]
            try:
                structures = (_structure(xs), _structure(ts))
                program = _traced(
                    model,
                    self.samples.trained,
                    lambda: compile_function(
                        lambda xs, ts: _mean_loss(model, loss_fn, xs, ts), xs, ts, max_terms=self.max_terms
                    ),
                    (loss_fn,),
                    xs,
                )
                _reads_only(program, self.samples.trained)
            except CompileError as refusal:
                if "too large" not in str(refusal):
                    raise
                entry = None
            except TypeError as error:  # a target or input that is not a number: the engine will say so
                raise CompileError(error) from None
            else:
                entry = (program, structures)
                program.expected_calls = self.calls_per_size.get(len(batch), {})
                self._unchecked = True
            self.programs[len(batch)] = entry
        if entry is None:
            return self.samples.step(X, y, batch)
        program, structures = entry
        flat = self._arguments(X, y, batch, structures)
        result = None if flat is None else program.fast(flat)
        if result is None:  # a number out of range, a guard: the engine decides this batch
            return None
        return result[0], result[1], True

    def _too_large(self, X, y, batch):
        """Whether the whole batch's graph would pass `max_terms`, judged by its first sample's program.

        (The batch's graph is its samples' graphs and a mean over them, so it
        is at least that many times as large.)
        """
        program, _ = self.samples._held(batch[0])
        if program is None:
            program, _ = self.samples._program(X[batch[0]], y[batch[0]])
        return program is not None and program.size * len(batch) > self.max_terms

    def checked_program(self, X, y, batch):
        """(the checked program for this batch, its arguments, False), or None; or, where the batch goes sample
        by sample and one checked program serves every sample of it, (that program, each sample's flat
        arguments, True)."""
        entry = self.programs.get(len(batch), False)
        if entry is None and not self.unchecked:
            program, flats = None, []
            for i in batch:
                held, flat = self.samples._held(i)
                if held is None or program is not None and held is not program:
                    return None
                program = held
                flats.append(flat)
            return program, flats, True
        if not self.ready(batch):
            return None
        program, structures = entry
        flat = self._arguments(X, y, batch, structures)
        return None if flat is None else (program, flat, False)

    def _arguments(self, X, y, batch, structures):
        flat = self.samples.numbers.batch(batch, structures)
        if flat is None:  # a sample that is not plain numbers (a Value in it): read the batch as it is now
            xs, ts = [X[i] for i in batch], [y[i] for i in batch]
            if not all(map(self.samples.numbers.same_kinds, xs)):
                return None
            flat = []
            if not (_flatten(xs, structures[0], flat) and _flatten(ts, structures[1], flat)):
                return None
        return flat


class _SampleNumbers:
    """Each training sample's structure and numbers, read once per fit instead of once per batch (and again
    when the sample no longer holds the objects it held then: see `get`).

    For sample i: the structures of X[i] and y[i] (`_structure`) and the
    floats `_flatten` appends for them. A sample holding a Value (a number
    that may change while training) or a number `_flatten` refuses is not
    held (False): its batches are read from X and y as they are, as before;
    so are all samples of X and y that are not lists or tuples. (A model that
    changes its inputs in place is caught by fit's check, `_compiled_step`.)
    """

    def __init__(self, X, y):
        self.X, self.y = X, y
        # A list or tuple gives the same sample every time; a Sequence of the user's may not (augmentation)
        held = type(X) in (list, tuple) and type(y) in (list, tuple)
        self.samples = [None if held else False] * len(X)
        self.kinds = _NOT_YET  # the types of the first input's numbers (`_number_kinds`)

    def same_kinds(self, x):
        """Whether the numbers of input `x`, and its lists and tuples, are of the types, place by place, of the
        first input read.

        The model gets the numbers themselves when interpreted, Values when
        traced: code of the learner's that tells an int from a float
        (`type(x[0]) is int`) takes one branch for all inputs of the
        same types, which fit's check of a program's first batch sees. A
        batch holding an input of other types runs interpreted.
        """
        kinds = _number_kinds(x)
        if self.kinds is _NOT_YET:
            self.kinds = kinds
        return kinds == self.kinds

    def get(self, i):
        """(input structure, input floats, target structure, target floats, what was read), or False.

        Read again when X[i] or y[i] no longer holds the objects it held when
        read: the learner's code (an accuracy or loss function, an optimizer
        of its own) may change the data in place between steps, and the
        interpreted step reads it as it is then.
        """
        sample = self.samples[i]
        if sample is None or sample and not _all_unchanged((self.X[i], self.y[i]), sample[4]):
            sample = self.samples[i] = self._read(self.X[i], self.y[i])
        return sample

    def _read(self, x, t):
        try:
            structures = (_sample_structure(x), _sample_structure(t))
        except TypeError:  # a Value inside (or something that is no number: the engine will say so)
            return False
        if not self.same_kinds(x):
            return False
        xs, ts = [], []
        if not (_flatten(x, structures[0], xs) and _flatten(t, structures[1], ts)):
            return False
        return structures[0], xs, structures[1], ts, _snapshot((x, t))

    def batch(self, batch, structures):
        """The flat arguments `(inputs, targets)` of a whole-batch program, or None: read the batch the old way.

        What `_flatten` makes of `[X[i] for i in batch]` and `[y[i] for i in
        batch]` against `structures`; None if a sample is not held or has
        another structure than the program's.
        """
        samples = [self.get(i) for i in batch]
        if not all(samples):
            return None
        if tuple([s[0] for s in samples]) != structures[0] or tuple([s[2] for s in samples]) != structures[1]:
            return None
        flat = []
        for sample in samples:
            flat += sample[1]
        for sample in samples:
            flat += sample[3]
        return flat


class _CompiledSamples:
    """Each sample's loss, forward and backward, as compiled code, added up as one backward() would.

    With a built-in loss the program is `(x, t) -> (loss, prediction)`:
    targets and class indices are inputs, so one program serves every sample
    of one shape (shuffled mini-batches compile once). A loss function of the
    user's gets its target as a constant (it may do anything with a number),
    hence one program per target value, up to `MAX_PROGRAMS`. Each sample's
    gradient terms are added onto the parameters' `.grad` one at a time, in
    the order in which the batch's one `backward()` adds them. A new program
    leaves `unchecked` set until `fit` has compared it with the engine.
    """

    MAX_PROGRAMS = 16
    traced_otherwise = False  # fit's check found the model deciding otherwise than traced
    expected_calls: dict[str, int] = {}  # variant -> the samples fit will run through it

    def __init__(self, model, loss, loss_fn, numbers, trained):
        self.model, self.loss_fn, self.numbers = model, loss_fn, numbers
        self.parameters = self.trained = trained
        self.targets_are_inputs = loss_fn in losses.LOSSES.values()
        self.programs = {}
        self.unchecked = False

    def ready(self, batch):
        return False  # a sample may need a new program (a new target): keep the state aside every time

    def step(self, X, y, batch):
        """Mean loss and predictions of the batch, with the gradients added; None: run this batch interpreted.

        Raises CompileError when fit cannot compile this model at all.
        """
        weight = 1.0 / len(batch)  # d(mean)/d(one sample's loss), as backward() computes it
        runs = []  # (program, its samples' flat arguments) for each stretch of samples one program serves, in order
        for i in batch:
            program, flat = self._held(i)
            if program is None:
                program, flat = self._program(X[i], y[i])
            if program is None:
                return None
            if runs and runs[-1][0] is program:
                runs[-1][1].append(flat)
            else:
                runs.append((program, [flat]))
        parameters = self.parameters
        held = [p.grad for p in parameters]
        set_aside = any(held)  # backward() sums the batch from 0.0 and adds what a gradient held at the end
        if set_aside:
            for p, g in zip(parameters, held):
                if g:
                    p.grad = 0.0
        results = []
        for program, flats in runs:
            done = program.fast_batch(flats, weight)
            if done is None:  # a number out of range, a guard: the engine decides this batch
                _restore_gradients(parameters, held)
                return None
            results.extend(done)
        try:
            if set_aside:
                for p, g in zip(parameters, held):
                    if g:
                        p.grad = _finite(p.grad + g)
            mean = _sum_of_losses(results) / len(batch)  # the batch's loss node, as the engine has it
        except OverflowError:  # beyond the floats: the engine raises, in its own words
            _restore_gradients(parameters, held)
            return None
        return mean, [r[1] for r in results], True

    def _held(self, i):
        """`_program(X[i], y[i])` from the numbers read once (`_SampleNumbers`); (None, None): ask `_program`."""
        sample = self.targets_are_inputs and self.numbers.get(i)
        if not sample:
            return None, None
        x_structure, x_numbers, t_structure, t_numbers, _ = sample
        key = (None if x_structure is None else len(x_structure), None if t_structure is None else len(t_structure))
        entry = self.programs.get(key)
        if entry is None or entry[1] != (x_structure, t_structure):
            return None, None
        return entry[0], x_numbers + t_numbers

    def _program(self, x, t):
        """(program, flattened arguments) for one sample; program None: none for this sample.

        Programs are looked up by a cheap key (the lengths); `_flatten` then
        checks the full structure, and a sample that does not fit runs its
        batch interpreted.
        """
        model, loss_fn = self.model, self.loss_fn
        if _holds_value(t):  # a target the engine may differentiate through: this batch runs interpreted
            return None, None
        if not self.numbers.same_kinds(x):
            return None, None
        if self.targets_are_inputs:
            args = (x, t)
            key = tuple(len(a) if isinstance(a, (list, tuple)) else None for a in args)
        else:
            args = (x,)
            key = ("target", _target_key(t))
        try:
            entry = self.programs.get(key)
        except TypeError:  # a target no key can hold (a dict): the loss function of the user's gets it interpreted
            raise CompileError(
                bilingual(
                    f"목표값({type(t).__name__})을 구별할 수 없어 목표값마다 프로그램을 만들 수 없습니다",
                    f"a target ({type(t).__name__}) cannot be told apart from others, so no program per target",
                )
            ) from None
        if entry is None:
            if len(self.programs) >= self.MAX_PROGRAMS:
                raise CompileError(
                    bilingual(
                        f"목표값의 종류가 {self.MAX_PROGRAMS}개를 넘습니다 (사용자 손실 함수)",
                        f"more than {self.MAX_PROGRAMS} distinct targets for a loss function of the user's",
                    )
                )
            try:
                structures = tuple(_structure(a) for a in args)
            except TypeError as error:  # a target that is not a number: the loss itself will say so
                raise CompileError(error) from None
            if self.targets_are_inputs:
                trace = lambda: compile_function(lambda x, t: _with_prediction(model(x), loss_fn, t), *args)  # noqa: E731
            else:
                trace = lambda: compile_function(lambda x: _with_prediction(model(x), loss_fn, t), x)  # noqa: E731
            program = _traced(model, self.trained, trace, (loss_fn,), [x])
            _reads_only(program, self.trained)
            program.expected_calls = self.expected_calls
            entry = self.programs[key] = (program, structures)
            self.unchecked = True
        program, structures = entry
        flat = []
        for a, structure in zip(args, structures):
            if not _flatten(a, structure, flat):
                return None, None
        return program, flat


_NOT_YET = object()


def _number_kinds(x):
    """The exact types of `x`, of the lists and tuples in it (with their lengths) and of its numbers, in order;
    None for a float or a list of floats (the usual input: at once). A model may tell them apart
    (`isinstance(x, tuple)`, `type(x[0]) is int`); the trace saw Values in the containers it was given."""
    if type(x) is float or _list_of_floats(x):
        return None
    kinds: list[Any] = []
    pending = [x]
    while pending:
        item = pending.pop()
        if isinstance(item, (list, tuple)):
            kinds.append((type(item), len(item)))
            pending += reversed(item)
        else:
            kinds.append(type(item))
    return tuple(kinds)


def _all_floats(kinds):
    """Whether the numbers `_number_kinds` found are all floats."""
    return kinds is None or all(k is float for k in kinds if type(k) is not tuple)


def _list_of_floats(x):
    """Whether `x` is a list of floats (the usual input), found at once."""
    return type(x) is list and not [v for v in x if type(v) is not float]


def _sample_structure(x):
    """`_structure(x)`, at once for the usual sample: a float, an int, or a list of floats.

    (`_structure` asks `numbers.Real` about every number, an abstract-class
    check that cost more than the rest of reading a data set.)
    """
    kind = type(x)
    if kind is float or kind is int:
        return None
    if _list_of_floats(x):
        return (None,) * len(x)
    return _structure(x)


def _flat_or_none(x, structure):
    """`x`'s numbers as `_flatten` reads them against `structure`; None if it cannot, or if a Value is inside."""
    try:
        if _sample_structure(x) != structure:
            return None
    except TypeError:
        return None
    flat = []
    return flat if _flatten(x, structure, flat) else None


def _snapshot(value):
    """The objects a list or tuple holds, and theirs in turn (`_all_unchanged` compares them by identity)."""
    if isinstance(value, (list, tuple)):
        return tuple(value), [(k, _snapshot(v)) for k, v in enumerate(value) if isinstance(v, (list, tuple))]
    return None


def _all_unchanged(value, snapshot):
    """Whether `value` (a list or tuple) holds the very objects it held at `_snapshot(value)`, all the way down.

    By identity, not by equality: -0.0 == 0.0, and a number put in place of
    an equal one is another float only when it is a zero of the other sign.
    """
    items, inner = snapshot
    if len(value) != len(items) or not all(map(operator.is_, value, items)):
        return False
    return all(_all_unchanged(value[k], held) for k, held in inner)


def _with_prediction(prediction, loss_fn, target):
    return loss_fn(prediction, target), prediction


def _target_key(t):
    """A target as a key that tells apart what a loss function of the user's may tell apart: 1, 1.0, True, -0.0."""
    if isinstance(t, (list, tuple)):
        return type(t), tuple(map(_target_key, t))
    if isinstance(t, float):
        return type(t), struct.pack("d", t)
    return type(t), t


def _as_values(pred):
    """Compiled predictions (numbers, or nested lists of them) as Values, nested the same way."""
    return [_as_values(p) for p in pred] if isinstance(pred, list) else Value(pred)


def evaluate(model, X, y, loss="mse", accuracy=None):
    """Mean loss and accuracy of `model` on `(X, y)`, in eval mode and without building a graph."""
    check_dataset(X, y)
    _check_accuracy(accuracy)
    loss_fn = losses.get(loss)
    try:
        return _evaluate(model, X, y, loss, accuracy, model)
    except (TypeError, ValueError) as error:  # bad data: say which row (`X[3]: ...`)
        _name_row(error, model, loss_fn, X, y, range(len(X)))
        raise


def _evaluate(model, X, y, loss, accuracy, predict, judge=None):
    """`evaluate` with the predictions made by `predict(x)` (the model, or its compiled forward pass).

    `judge`: fit's default accuracy on numbers (`_numeric_accuracy`), None when `accuracy` is the user's.
    """
    check_dataset(X, y)
    loss_fn = losses.get(loss)
    is_correct = accuracy or _default_accuracy(loss, y)
    was_training = model.training
    model.eval()
    try:
        # (a Sequence of the user's is read once per pass, as interpreted: no extra read to trace, no numbers held)
        compiled = isinstance(predict, _CompiledForward) and type(X) in (list, tuple)
        if compiled:
            predict.prepare(X[0])  # traced outside no_grad, which would freeze every number
        with no_grad():
            if compiled:
                numbers = predict.numbers(X)  # each prediction's numbers, or None: it comes from predict(x)
                own = predict.verify(X, numbers, names_matter=judge is None)
                if own is not None:  # the first pass over X: the model's own predictions, compared with the numbers
                    preds, numbers = own, [None] * len(X)
                else:  # (Values made of a prediction's numbers only where a loss or an accuracy of Values reads them)
                    preds = [predict(x) if n is None else _UNMADE for n, x in zip(numbers, X)]
                loss_of = _loss_of_numbers(loss_fn)
                terms = []
                for k, (n, t) in enumerate(zip(numbers, y)):
                    term = None if n is None or loss_of is None else loss_of(n, t)
                    if term is None:
                        if preds[k] is _UNMADE:
                            preds[k] = _as_values(n)
                        term = loss_fn(preds[k], t).data
                    terms.append(term)
                total = math.fsum(terms)
                if judge is None:
                    preds = [_as_values(n) if p is _UNMADE else p for n, p in zip(numbers, preds)]
            else:
                preds = [predict(x) for x in X]
                total = math.fsum(loss_fn(p, t).data for p, t in zip(preds, y))
            if compiled and judge is not None:
                correct = sum(
                    bool(judge(n, t) if n is not None else is_correct(p, t)) for n, p, t in zip(numbers, preds, y)
                )
            else:
                correct = sum(bool(is_correct(p, t)) for p, t in zip(preds, y))
    finally:
        model.train(was_training)
    return {"loss": total / len(X), "accuracy": correct / len(X)}


_UNMADE = object()  # (a compiled prediction not yet made into Values)

# The built-in losses whose number `_loss_of_numbers` computes from a compiled prediction's numbers: the function
# fit was given, by identity (taken at import: one the learner put in `losses` later is not among them), and its op.
_LOSSES_OF_NUMBERS = {losses.mse: losses.MSE, losses.bce: losses.BCE, losses.cross_entropy: losses.CROSS_ENTROPY}


def _loss_of_numbers(loss_fn):
    """For mse, bce and cross_entropy: `loss_fn(prediction, target).data` for a compiled prediction's numbers
    without making a Value, each: the loss's op's own forward on the numbers the loss function would hand it, after
    the checks it makes. None where anything is otherwise (a target that is no int or float, lengths that differ,
    a number not finite, an error): that prediction becomes Values and the loss function itself decides (or
    raises). Validation computes a loss for every sample in every epoch (moons: 6,000 per fit)."""
    op = _LOSSES_OF_NUMBERS.get(loss_fn)
    if op is None:
        return None

    def loss_of(numbers, target):
        predictions = numbers if type(numbers) is list else [numbers]
        if not all(type(p) is float for p in predictions):
            return None
        try:
            if op is losses.CROSS_ENTROPY:  # (logits and a class index, which the loss function checks first)
                if type(numbers) is not list or type(target) not in (int, float):
                    return None
                targets = [losses._class_index(target, len(predictions), target)]
            else:
                targets = list(target) if type(target) in (list, tuple) else [target]
                if len(targets) != len(predictions) or not all(type(t) in (int, float) for t in targets):
                    return None
            data = [*predictions, *map(float, targets)]
            if not all(map(math.isfinite, data)):
                return None
            return op.forward(data)
        except Exception:  # noqa: BLE001 - the loss function, given Values, raises it itself
            return None

    return loss_of


def _default_accuracy(loss, y):
    """Whether a prediction is right, judged the way the loss reads predictions."""
    judge = _numeric_accuracy(loss, y)

    def is_correct(pred, target):
        return judge([p.data for p in pred] if isinstance(pred, list) else pred.data, target)

    return is_correct


def _numeric_accuracy(loss, y):
    """`_default_accuracy` on a prediction's numbers (a number, or a list of numbers) instead of its Values."""
    try:
        labels = sorted({_number(_unwrap(t)) for t in y if not isinstance(_unwrap(t), (list, tuple))})
    except TypeError:  # a label that is no number among numbers ('b' among 0 and 1): name it
        raise _label_error(y) from None

    def judge(pred, target):
        if isinstance(pred, list):
            predicted = pred.index(max(pred))
            if isinstance(target, (list, tuple)):
                target_scores = [_number(t) for t in target]
                return predicted == target_scores.index(max(target_scores))
            return predicted == _number(target)
        z, t = pred, _number(_unwrap(target))  # one output, its target perhaps written as [t]
        if loss == "bce_with_logits":
            return (z >= 0.0) == (t >= 0.5)
        if loss == "hinge":
            return (z > 0.0) == (t > 0.0)
        return _nearest(labels, z) == t

    return judge


def _label_error(y):
    """The error for the first label of `y` that is not a number (the labels could not be sorted)."""
    for i, t in enumerate(y):
        label = _number(_unwrap(t))
        if not isinstance(label, (list, tuple, numbers.Real)):
            return TypeError(
                f"y[{i}]: "
                + bilingual(
                    f"목표값(레이블)은 숫자여야 합니다 (받은 값 {label!r}, 자료형 {type(label).__name__})",
                    f"a target (label) must be a number, got {label!r} of type {type(label).__name__}",
                )
            )
    return TypeError(bilingual("목표값(레이블)을 서로 비교할 수 없습니다", "the targets (labels) cannot be compared"))


def _nearest(labels, z):
    """`min(labels, key=lambda label: abs(label - z))` for sorted `labels`, by bisection instead of a scan.

    (A regression's targets are all different, so the scan looked at every
    target for every prediction.) Rounded distances grow away from z on each
    side, so the nearest label is next to z's place; `min` keeps the first of
    equal distances, so on the left the walk goes back over equal ones, and
    the left side wins a tie. No labels, or z = nan: the scan itself.
    """
    if not labels or z != z:
        return min(labels, key=lambda label: abs(label - z))
    i = bisect.bisect_left(labels, z)
    best, best_distance = None, None
    if i > 0:
        j, best_distance = i - 1, abs(labels[i - 1] - z)
        while j > 0 and abs(labels[j - 1] - z) == best_distance:
            j -= 1
        best = labels[j]
    if i < len(labels) and (best is None or abs(labels[i] - z) < best_distance):
        best = labels[i]
    return best


def _number(t):
    return t.data if isinstance(t, Value) else t


def _unwrap(t):
    return t[0] if isinstance(t, (list, tuple)) and len(t) == 1 else t


# Options learners bring from other libraries: where each lives here
_ELSEWHERE = {
    "lr": ("학습률은 옵티마이저가 받습니다", "the learning rate belongs to the optimizer"),
    "learning_rate": ("학습률은 옵티마이저가 받습니다", "the learning rate belongs to the optimizer"),
    "momentum": ("모멘텀은 옵티마이저가 받습니다", "momentum belongs to the optimizer"),
    "weight_decay": ("가중치 감쇠는 옵티마이저가 받습니다", "weight decay belongs to the optimizer"),
}


def _unknown_options(unknown: dict[str, Any]) -> str:
    """A bilingual message for keyword arguments fit does not take, with where each belongs or the name meant."""
    known = [p for p in inspect.signature(fit).parameters if p != "unknown"]
    name = next(iter(unknown))
    if name in _ELSEWHERE:
        where_ko, where_en = _ELSEWHERE[name]
        example = f"optimizer=SGD(model.parameters(), {name}={unknown[name]!r})"
        hint_ko, hint_en = f"{where_ko}: {example}", f"{where_en}: {example}"
    elif close := difflib.get_close_matches(name, known, n=1):
        hint_ko, hint_en = f"{close[0]}을(를) 뜻했나요?", f"did you mean {close[0]}?"
    else:
        hint_ko, hint_en = f"받는 인자: {', '.join(known)}", f"it takes: {', '.join(known)}"
    return bilingual(f"fit에는 '{name}' 인자가 없습니다 — {hint_ko}", f"fit() has no argument '{name}' — {hint_en}")


def _check_accuracy(accuracy):
    if accuracy is not None and not callable(accuracy):
        raise TypeError(
            bilingual(
                f"accuracy는 (예측, 목표) -> bool 함수이거나 None이어야 합니다 (받은 것: {accuracy!r})",
                f"accuracy must be a function (prediction, target) -> bool, or None, got {accuracy!r}",
            )
        )


def _check_seed(seed):
    """What `random.Random(seed)` takes (None, an int, a float, a str or bytes); a bool is a slip."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, float, str, bytes, bytearray))):
        raise TypeError(
            bilingual(
                f"seed는 정수, 실수, 문자열 또는 None이어야 합니다 (받은 것: {seed!r})",
                f"seed must be an int, a float, a str or None, got {seed!r}",
            )
        )


def _check_optimizer(optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            bilingual(
                f"optimizer는 optim.Adam(model.parameters(), lr=0.01)처럼 만든 옵티마이저여야 합니다 (받은 것: {optimizer!r})",
                f"optimizer must be an optimizer object such as optim.Adam(model.parameters(), lr=0.01), got {optimizer!r}",
            )
        )
    # lr may have been set after construction, and a fused step does not read it through step()
    _check_step_lr(getattr(optimizer, "lr", None))


def _check_validation_data(validation_data):
    """A pair (X_val, y_val) that `check_dataset` accepts, or its error, naming validation_data."""
    if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
        raise TypeError(
            bilingual(
                f"validation_data는 (X_val, y_val) 두 개짜리 튜플이어야 합니다 (받은 것: {type(validation_data).__name__}"
                + (f", 길이 {len(validation_data)})" if hasattr(validation_data, "__len__") else ")"),
                f"validation_data must be a pair (X_val, y_val), got {type(validation_data).__name__}"
                + (f" of length {len(validation_data)}" if hasattr(validation_data, "__len__") else ""),
            )
        )
    try:
        check_dataset(*validation_data)
    except (TypeError, ValueError) as error:  # its X and y are validation_data's
        error.args = (f"validation_data: {error.args[0]}",)
        raise


def _check_optimizer_holds(optimizer, model):
    """An optimizer built over another model's parameters would train nothing of this one, silently."""
    owned = {id(p) for p in model.parameters()}
    if not any(id(p) in owned for p in optimizer.params):
        raise ValueError(
            bilingual(
                "옵티마이저가 이 모델의 매개변수를 갖고 있지 않습니다: optim.SGD(model.parameters(), ...)처럼 만드세요",
                "the optimizer holds none of this model's parameters: build it with model.parameters()",
            )
        )


def _check_model(model):
    if not (callable(model) and callable(getattr(model, "parameters", None))):
        raise TypeError(
            bilingual(
                f"model은 nn.MLP(...)처럼 parameters()가 있는 모델이어야 합니다 (받은 것: {type(model).__name__})",
                f"model must be a model with parameters(), such as nn.MLP(...), got {type(model).__name__}",
            )
        )


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
        raise TypeError(
            bilingual(
                f"손실 함수는 Value를 돌려줘야 합니다 (받은 것: {type(result).__name__}); 숫자를 돌려주면 기울기가 없어 아무것도 배우지 않습니다",
                f"the loss function must return a Value, got {type(result).__name__}; a plain number has no gradient, so nothing would be learned",
            )
        )


def _diverged(cause):
    # the cause (often a message in both languages itself) goes after, once, not inside each half
    return FloatingPointError(
        bilingual("손실이 발산했습니다: 학습률을 낮춰 보세요", "the loss diverged; try a smaller learning rate")
        + f" [{cause}]"
    )


def _output_width(model):
    """How many numbers the model outputs, read from its last layer (None if it has no `layers`)."""
    layers = getattr(model, "layers", None)
    last = layers[-1] if isinstance(layers, list) and layers else None
    width = getattr(last, "nout", None)
    return width if isinstance(width, int) else None
