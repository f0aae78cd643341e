"""Experiment 4: without an activation function, depth buys nothing (선형 활성화).

Ten stacked linear layers compute W10(...(W1 x + b1)...) + b10, which is one
affine map W x + b with W = W10 ... W1: the network is a single linear
layer in disguise. Such a model cannot separate XOR, and its best BCE on
XOR is ln 2 (at W = 0, b = 0), so no amount of training gets below ln 2.
"""

from __future__ import annotations

import random
import time

from .. import datasets
from ..engine import no_grad
from ..i18n import get_language, tr
from ..nn import MLP
from .common import LN2, median, rate_text, seed_list, seeds_text, train_binary
from .result import Claim, ExperimentResult, Table
from .tasks import run_tasks

NAME = "linear"
TOLERANCE = 1e-12


def linear_network(depth, width, seed):
    return MLP(2, [width] * depth + [1], activation="linear", init="xavier_uniform", bias_init="uniform", seed=seed)


def compose_affine(model):
    """(W, b) of the single affine map the linear network computes: W = W_L ... W_1."""
    W = [[1.0 if i == j else 0.0 for j in range(model.layers[0].nin)] for i in range(model.layers[0].nin)]
    b = [0.0] * model.layers[0].nin
    for layer in model.layers:
        weights = [[w.data for w in n.w] for n in layer.neurons]
        W = [[sum(row[k] * W[k][j] for k in range(len(row))) for j in range(len(W[0]))] for row in weights]
        b = [sum(row[k] * b[k] for k in range(len(row))) + n.b.data for row, n in zip(weights, layer.neurons)]
    return W, b


def _run(task):
    seed, depth, width, n_points, steps, lr = task
    model = linear_network(depth, width, seed)
    W, b = compose_affine(model)
    rng = random.Random(seed)
    points = [[rng.uniform(-3.0, 3.0), rng.uniform(-3.0, 3.0)] for _ in range(n_points)]
    with no_grad():
        network = [model(x).data for x in points]
    affine = [sum(w * xi for w, xi in zip(W[0], x)) + b[0] for x in points]
    difference = max(abs(u - v) for u, v in zip(network, affine))
    X, y = datasets.xor()
    losses, final = train_binary(model, X, y, steps, lr)
    losses.append(final["loss"])
    return {"difference": difference, "min_loss": min(losses), "accuracy": final["accuracy"], "curve": losses}


def linear_collapse(seeds=10, depth=10, width=10, n_points=100, steps=2000, lr=0.02, lang=None, progress=False, jobs=1):
    """Compare a deep linear network with the one affine map made by multiplying its weights, then train it on XOR.

    The learning rate is smaller than the lectures' 0.1: each layer's gradient
    is a product of the other nine weight matrices, and with lr 0.1 some
    seeds blow up to infinity (seed 7 does).
    """
    started = time.perf_counter()
    lang = lang or get_language()
    seeds = seed_list(seeds)
    runs = run_tasks(
        _run,
        [(s, depth, width, n_points, steps, lr) for s in seeds],
        jobs,
        progress,
        tr("4 선형 활성화", "4 linear activations", lang),
    )
    numbers = {
        "difference": [r["difference"] for r in runs],
        "min_loss": [r["min_loss"] for r in runs],
        "accuracy": [r["accuracy"] for r in runs],
        "curves": [r["curve"] for r in runs],
    }
    worst = max(numbers["difference"])
    lowest = min(numbers["min_loss"])
    claims = [
        Claim(
            tr(
                f"선형 층 {depth}개 = 가중치를 곱한 아핀 변환 하나",
                f"{depth} linear layers = one affine map (weights multiplied)",
                lang,
            ),
            tr(
                f"최대 차이 {worst:.1e} (점 {n_points}개 × 시드 {len(seeds)}개)",
                f"largest difference {worst:.1e} ({n_points} points × {seeds_text(len(seeds))})",
                lang,
            ),
            f"< {TOLERANCE:g}",
            worst < TOLERANCE,
        ),
        Claim(
            tr("XOR 손실이 ln 2 아래로 내려가지 않는다", "the XOR loss never goes below ln 2", lang),
            tr(f"학습 중 가장 낮은 손실 {lowest:.10f}", f"lowest loss during training {lowest:.10f}", lang),
            f"≥ ln 2 = {LN2:.10f}",
            lowest >= LN2 - TOLERANCE,
        ),
    ]
    columns = [tr("측정", "measurement", lang), tr("값", "value", lang)]
    rows = [
        [tr("신경망 출력 − 아핀 변환 (최대)", "network − affine map (max)", lang), f"{worst:.1e}"],
        [tr("학습 중 가장 낮은 XOR 손실", "lowest XOR loss in training", lang), f"{lowest:.10f}"],
        [tr("최종 정확도 (중앙값)", "final accuracy (median)", lang), f"{median(numbers['accuracy']):.0%}"],
        [tr("XOR을 푼 시드", "seeds solving XOR", lang), rate_text(a == 1.0 for a in numbers["accuracy"])],
    ]
    result = ExperimentResult(
        name=NAME,
        title=tr(
            "4. 활성화 함수가 없으면 층을 쌓아도 하나의 선형 변환",
            "4. Without activations, depth collapses to one affine map",
            lang,
        ),
        lang=lang,
        config={"seeds": seeds, "depth": depth, "width": width, "points": n_points, "steps": steps, "lr": lr},
        numbers=numbers,
        claims=claims,
        table=Table(columns, rows),
        seconds=time.perf_counter() - started,
        notes=[
            tr(
                f"활성화 함수 없이 너비 {width}인 층 {depth}개를 쌓은 신경망은 W = W{depth}···W1, b를 곱해 만든 아핀 변환 하나와 "
                "같은 값을 냅니다. 직선 하나로는 XOR을 나눌 수 없고, XOR에서 BCE의 최솟값은 W = 0, b = 0일 때의 ln 2입니다.",
                f"A network of {depth} layers of width {width} without activation functions gives the same numbers as the single "
                f"affine map W = W{depth}···W1, b. One line cannot separate XOR, and the smallest BCE on XOR is ln 2, at W = 0, b = 0.",
                lang,
            )
        ],
    )
    result.figure_makers["loss_curves"] = lambda: _figure(result)
    return result


def _figure(result):
    from .figures import curves_figure

    lang = result.lang
    return curves_figure(
        {
            tr(f"선형 층 {result.config['depth']}개", f"{result.config['depth']} linear layers", lang): result.numbers[
                "curves"
            ]
        },
        title=tr("선형 신경망의 XOR 학습 곡선", "XOR training loss of a linear network", lang),
        xlabel=tr("학습 단계", "step", lang),
        ylabel=tr("손실 (BCE)", "loss (BCE)", lang),
        hline=LN2,
        hline_label="ln 2",
    )
