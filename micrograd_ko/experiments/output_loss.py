"""Experiment 7: the output layer and its loss function (출력층과 손실 함수).

- Binary: a sigmoid output with binary cross-entropy. Its gradient with
  respect to the logit z is p - y, large when the network is confidently
  wrong; with the mean squared error it is 2 (p - y) p (1 - p), which
  vanishes exactly then. Measured by backward at z = -6, y = 1, and by
  training the same network on moons with each loss.
- Multi-class: softmax + cross-entropy on the 8x8 digits with a 64-32-10 MLP.
- Regression: a linear output with the mean squared error, fitting sin(x).
"""

from __future__ import annotations

import math
import random
import time

from .. import datasets
from ..engine import Value, no_grad
from ..i18n import get_language, tr
from ..losses import bce, mse
from ..nn import MLP
from ..optim import SGD
from ..train import evaluate, fit
from .result import Claim, ExperimentResult, Table
from .tasks import call, run_tasks

NAME = "output"

WRONG_LOGIT = -6.0  # sigmoid(-6) = 0.0025: confidently wrong when y = 1
DIGITS_ACCURACY = 0.90
MOONS_ACCURACY = 0.90
R2 = 0.95
FAST = 0.95  # the test accuracy whose first epoch compares how fast BCE and MSE learn


def first_epoch(accuracies, level=FAST):
    """The first epoch (1-based) whose accuracy reaches `level`, or None."""
    return next((k + 1 for k, a in enumerate(accuracies) if a >= level), None)


def _epoch_text(accuracies, lang):
    k = first_epoch(accuracies)
    return tr("닿지 않음", "never", lang) if k is None else tr(f"{k} 에폭", f"epoch {k}", lang)


def output_gradients(z, target=1.0):
    """(dL/dz with BCE, dL/dz with MSE) for the prediction sigmoid(z), by backward."""
    grads = []
    for loss in (bce, mse):
        logit = Value(z)
        loss(logit.sigmoid(), target).backward()
        grads.append(logit.grad)
    return tuple(grads)


def _moons_task(task):
    loss, seed, epochs, lr = task
    X, y = datasets.moons(300, noise=0.15, seed=seed)
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=100, seed=seed)
    model = MLP(2, [16, 16, 1], activation="tanh", output_activation="sigmoid", init="xavier_uniform", seed=seed)

    def accuracy(p, t):
        return (p.data > 0.5) == (t == 1)

    history = fit(
        model,
        X_train,
        y_train,
        loss=loss,
        optimizer=SGD(model.parameters(), lr=lr),
        epochs=epochs,
        batch_size=10,
        seed=seed,
        progress=False,
        validation_data=(X_test, y_test),
        accuracy=accuracy,
    )
    return history["val_accuracy"]


def _digits_task(task):
    seed, epochs, lr = task
    X, y = datasets.digits()
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.25, seed=seed)
    model = MLP(64, [32, 10], activation="relu", init="he_normal", seed=seed)
    history = fit(
        model,
        X_train,
        y_train,
        loss="cross_entropy",
        optimizer=SGD(model.parameters(), lr=lr, momentum=0.9),
        epochs=epochs,
        batch_size=32,
        seed=seed,
        progress=False,
        validation_data=(X_test, y_test),
    )
    return history["val_accuracy"]


def _regression_task(task):
    seed, epochs, lr = task
    rng = random.Random(seed)
    X = [[rng.uniform(-math.pi, math.pi)] for _ in range(200)]
    y = [math.sin(x[0]) + rng.gauss(0.0, 0.1) for x in X]
    grid = [[-math.pi + 2 * math.pi * k / 100] for k in range(101)]
    model = MLP(1, [16, 16, 1], activation="tanh", init="xavier_uniform", seed=seed)
    fit(
        model,
        X,
        y,
        loss="mse",
        optimizer=SGD(model.parameters(), lr=lr, momentum=0.9),
        epochs=epochs,
        batch_size=10,
        seed=seed,
        progress=False,
    )
    truth = [math.sin(x[0]) for x in grid]
    with no_grad():
        preds = [model(x).data for x in grid]
    mean = sum(truth) / len(truth)
    r2 = 1.0 - sum((p - t) ** 2 for p, t in zip(preds, truth)) / sum((t - mean) ** 2 for t in truth)
    return {
        "r2": r2,
        "grid": [x[0] for x in grid],
        "pred": preds,
        "X": [x[0] for x in X],
        "y": y,
        "test_mse": evaluate(model, grid, truth, loss="mse")["loss"],
    }


def output_and_loss(
    seed=0, digits_epochs=10, moons_epochs=60, regression_epochs=200, lang=None, progress=False, jobs=1
):
    """Output layers and losses: BCE vs MSE on a sigmoid output, softmax + CE on digits, MSE regression."""
    started = time.perf_counter()
    lang = lang or get_language()
    tasks = [
        (_digits_task, (seed, digits_epochs, 0.05)),
        (_moons_task, ("bce", seed, moons_epochs, 0.5)),
        (_moons_task, ("mse", seed, moons_epochs, 0.5)),
        (_regression_task, (seed, regression_epochs, 0.01)),
    ]
    digits_acc, moons_bce, moons_mse, regression = run_tasks(
        call, tasks, jobs, progress, tr("7 출력층과 손실 함수", "7 output layer and loss", lang)
    )
    bce_grad, mse_grad = output_gradients(WRONG_LOGIT)
    numbers = {
        "digits_test_accuracy": digits_acc,
        "moons_test_accuracy": {"bce": moons_bce, "mse": moons_mse},
        "gradient_at_wrong_output": {"z": WRONG_LOGIT, "bce": bce_grad, "mse": mse_grad},
        "regression": regression,
    }
    claims = [
        Claim(
            tr(
                "softmax + 교차 엔트로피, digits, 64-32-10: 시험 정확도",
                "softmax + cross-entropy, digits, 64-32-10: test accuracy",
                lang,
            ),
            tr(f"{digits_acc[-1]:.1%} ({digits_epochs} 에폭)", f"{digits_acc[-1]:.1%} ({digits_epochs} epochs)", lang),
            f"≥ {DIGITS_ACCURACY:.0%}",
            digits_acc[-1] >= DIGITS_ACCURACY,
        ),
        Claim(
            tr(
                f"틀린 확신(z = {WRONG_LOGIT:g}, y = 1)에서 ∂L/∂z: BCE가 MSE보다 훨씬 크다",
                f"∂L/∂z when confidently wrong (z = {WRONG_LOGIT:g}, y = 1): BCE much larger than MSE",
                lang,
            ),
            f"BCE {bce_grad:.4f}, MSE {mse_grad:.4f}",
            tr("100배 이상", "≥ 100×", lang),
            abs(bce_grad) >= 100 * abs(mse_grad),
        ),
        Claim(
            tr("sigmoid + BCE, moons: 시험 정확도", "sigmoid + BCE, moons: test accuracy", lang),
            tr(
                f"{moons_bce[-1]:.1%} (같은 학습에서 MSE: {moons_mse[-1]:.1%})",
                f"{moons_bce[-1]:.1%} (MSE, same training: {moons_mse[-1]:.1%})",
                lang,
            ),
            f"≥ {MOONS_ACCURACY:.0%}",
            moons_bce[-1] >= MOONS_ACCURACY,
        ),
        Claim(
            tr(
                f"moons: 시험 정확도 {FAST:.0%}에 처음 닿은 에폭, BCE 대 MSE",
                f"moons: first epoch at {FAST:.0%} test accuracy, BCE vs MSE",
                lang,
            ),
            f"BCE {_epoch_text(moons_bce, lang)}, MSE {_epoch_text(moons_mse, lang)}",
            tr("측정만", "measured only", lang),
            None,
        ),
        Claim(
            tr("선형 출력 + MSE 회귀, sin(x): 결정계수 R²", "linear output + MSE regression, sin(x): R²", lang),
            f"{regression['r2']:.3f}",
            f"≥ {R2}",
            regression["r2"] >= R2,
        ),
    ]
    columns = [
        tr("문제", "task", lang),
        tr("출력층", "output layer", lang),
        tr("손실 함수", "loss", lang),
        tr("결과", "result", lang),
    ]
    rows = [
        [
            tr("이진 분류 (moons)", "binary (moons)", lang),
            "sigmoid",
            "BCE",
            tr(f"정확도 {moons_bce[-1]:.1%}", f"accuracy {moons_bce[-1]:.1%}", lang),
        ],
        [
            tr("이진 분류 (moons)", "binary (moons)", lang),
            "sigmoid",
            "MSE",
            tr(f"정확도 {moons_mse[-1]:.1%}", f"accuracy {moons_mse[-1]:.1%}", lang),
        ],
        [
            tr("다중 분류 (digits)", "multi-class (digits)", lang),
            "softmax",
            tr("교차 엔트로피", "cross-entropy", lang),
            tr(f"정확도 {digits_acc[-1]:.1%}", f"accuracy {digits_acc[-1]:.1%}", lang),
        ],
        [
            tr("회귀 (sin x)", "regression (sin x)", lang),
            tr("선형", "linear", lang),
            "MSE",
            f"R² = {regression['r2']:.3f}",
        ],
    ]
    result = ExperimentResult(
        name=NAME,
        title=tr("7. 출력층과 손실 함수", "7. Output layer and loss function", lang),
        lang=lang,
        config={
            "seed": seed,
            "digits_epochs": digits_epochs,
            "moons_epochs": moons_epochs,
            "regression_epochs": regression_epochs,
        },
        numbers=numbers,
        claims=claims,
        table=Table(columns, rows),
        seconds=time.perf_counter() - started,
        notes=[
            tr(
                "시그모이드 출력에 BCE를 쓰면 로짓 z에 대한 기울기가 p − y라서, 크게 틀릴수록 크게 고칩니다. MSE를 쓰면 "
                "2(p − y)·p(1 − p)라서 확신하며 틀린 곳(p ≈ 0)에서 기울기가 거의 0입니다. 다중 분류는 소프트맥스 + 교차 엔트로피, "
                "회귀는 선형 출력 + 평균 제곱 오차가 짝입니다.",
                "With a sigmoid output and BCE the gradient with respect to the logit z is p − y: the more wrong, the bigger the "
                "fix. With MSE it is 2(p − y)·p(1 − p), nearly 0 exactly where the network is confidently wrong (p ≈ 0). "
                "Multi-class pairs softmax with cross-entropy; regression pairs a linear output with the mean squared error.",
                lang,
            )
        ],
    )
    result.figure_makers["loss_gradients"] = lambda: _gradient_figure(result)
    result.figure_makers["regression"] = lambda: _regression_figure(result)
    return result


def _gradient_figure(result):
    from .figures import line_figure

    lang = result.lang
    zs = [-8 + 16 * k / 160 for k in range(161)]
    grads = [output_gradients(z) for z in zs]
    return line_figure(
        zs,
        {"BCE": [g[0] for g in grads], "MSE": [g[1] for g in grads]},
        title=tr(
            "y = 1일 때 로짓 z에 대한 기울기 (역전파로 계산)",
            "gradient with respect to the logit z, y = 1 (by backward)",
            lang,
        ),
        xlabel=tr("로짓 z (p = sigmoid(z))", "logit z (p = sigmoid(z))", lang),
        ylabel=r"$\partial L/\partial z$",
    )


def _regression_figure(result):
    from .figures import line_figure

    lang = result.lang
    r = result.numbers["regression"]
    return line_figure(
        r["grid"],
        {
            tr("sin(x) (정답)", "sin(x) (truth)", lang): [math.sin(x) for x in r["grid"]],
            tr("신경망 예측", "network", lang): r["pred"],
        },
        title=tr(f"MSE 회귀 (R² = {r['r2']:.3f})", f"MSE regression (R² = {r['r2']:.3f})", lang),
        xlabel="x",
        ylabel="y",
        points=(r["X"], r["y"]),
    )
