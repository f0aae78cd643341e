"""Experiment 1: the gradient vanishes through stacked sigmoids (기울기 소실).

Nielsen (*Neural Networks and Deep Learning*, ch. 5) measured ‖∂C/∂b‖ of each
hidden layer of a [784,30,30,30,30,10] sigmoid net at initialization on MNIST:
0.003, 0.017, 0.070, 0.285 from the first to the last hidden layer. Every
sigmoid multiplies the gradient by σ'(z) ≤ 1/4, so the layers near the input
get the least.

Here the same measurement runs on XOR with [2,30,30,30,30,1] and Nielsen's
initialization (W ~ N(0, 1/n_in), b ~ N(0, 1)), against tanh with Xavier and
ReLU with He initialization (zero biases), and on the digits set with
Nielsen's own architecture shape ([64,30,30,30,30,10], sigmoid outputs,
cross-entropy summed over the outputs).
"""

from __future__ import annotations

import time

from .. import datasets
from ..diagnostics import gradient_flow
from ..engine import sum as value_sum
from ..i18n import get_language, tr
from ..losses import bce_with_logits
from ..nn import MLP
from .common import fraction, mean_bce, median, rate_text, sci, seed_list, seeds_text
from .result import Claim, ExperimentResult, Table
from .tasks import run_tasks

NAME = "vanishing"

# Nielsen ch. 5, [784,30,30,30,30,10]: ‖∂C/∂b‖ per hidden layer, first -> last.
NIELSEN_MNIST = (0.003, 0.017, 0.070, 0.285)

# activation -> the initialization it is paired with
SETUPS = {
    "sigmoid": {"activation": "sigmoid", "init": "lecun_normal", "bias_init": "normal"},  # Nielsen's
    "tanh": {"activation": "tanh", "init": "xavier_uniform", "bias_init": "zeros"},
    "relu": {"activation": "relu", "init": "he_normal", "bias_init": "zeros"},
}
SETUP_LABELS = {
    "sigmoid": "sigmoid, W~N(0,1/n), b~N(0,1)",
    "tanh": "tanh, Xavier, b=0",
    "relu": "ReLU, He, b=0",
}
SIGMOID_RATIO = 20.0  # last/first hidden-layer ratio that counts as "vanished"
STABLE_RANGE = (0.1, 10.0)
RATE = 0.95


def bias_gradient_norms(model, loss):
    """‖∂L/∂b‖ of each hidden layer, first to last, after `loss.backward()`."""
    model.zero_grad()
    loss.backward()
    return [record.bias_grad_norm for record in gradient_flow(model)[:-1]]


def last_first_ratio(norms):
    """Last over first hidden layer's gradient norm: 1 means the gradient flows evenly (inf if the first is 0)."""
    return norms[-1] / norms[0] if norms[0] else float("inf")


def _xor_norms(task):
    setup, seed, widths = task
    X, y = datasets.xor()
    model = MLP(2, [*widths, 1], seed=seed, **SETUPS[setup])
    return bias_gradient_norms(model, mean_bce(model, X, y))


def _digits_norms(task):
    seed, n_samples = task
    X, y = datasets.digits()
    X, y = X[:n_samples], y[:n_samples]
    model = MLP(64, [30, 30, 30, 30, 10], seed=seed, **SETUPS["sigmoid"])
    # Nielsen's cost: sigmoid outputs, cross-entropy summed over the 10 outputs.
    per_sample = [
        value_sum(bce_with_logits(z, 1.0 if k == t else 0.0) for k, z in enumerate(model(x))) for x, t in zip(X, y)
    ]
    return bias_gradient_norms(model, value_sum(per_sample) * (1.0 / len(X)))


def vanishing_gradient(
    seeds=50, widths=(30, 30, 30, 30), digits_seeds=3, digits_samples=1000, lang=None, progress=False, jobs=1
):
    """Per-hidden-layer ‖∂L/∂b‖ at initialization, for sigmoid, tanh and ReLU nets.

    `seeds`: an int n (seeds 0..n-1) or a list of seeds for the XOR nets;
    `digits_seeds` nets (0 = none) measure Nielsen's setting on `digits_samples` digits.
    """
    started = time.perf_counter()
    lang = lang or get_language()
    seeds = seed_list(seeds)
    widths = list(widths)
    tasks = [(setup, seed, widths) for setup in SETUPS for seed in seeds]
    norms = run_tasks(_xor_norms, tasks, jobs, progress, tr("1 기울기 소실", "1 vanishing gradient", lang))
    per_setup = {setup: [] for setup in SETUPS}
    for (setup, _, _), layer_norms in zip(tasks, norms):
        per_setup[setup].append(layer_norms)
    digits_norms = []
    if digits_seeds:
        digits_norms = run_tasks(_digits_norms, [(s, digits_samples) for s in seed_list(digits_seeds)], jobs)

    numbers = {"per_layer": per_setup, "digits_per_layer": digits_norms, "nielsen_mnist": list(NIELSEN_MNIST)}
    numbers["ratios"] = {setup: [last_first_ratio(n) for n in rows] for setup, rows in per_setup.items()}
    numbers["median_per_layer"] = {setup: _median_layers(rows) for setup, rows in per_setup.items()}
    numbers["median_ratio"] = {setup: median(r) for setup, r in numbers["ratios"].items()}

    ratios = numbers["ratios"]
    low, high = STABLE_RANGE
    claims = [
        Claim(
            tr(
                f"시그모이드: 마지막/첫 은닉층 기울기 비 ≥ {SIGMOID_RATIO:g}",
                f"sigmoid: last/first hidden-layer gradient ratio ≥ {SIGMOID_RATIO:g}",
                lang,
            ),
            tr(
                f"{rate_text(r >= SIGMOID_RATIO for r in ratios['sigmoid'])}, 중앙값 {median(ratios['sigmoid']):.0f}",
                f"{rate_text(r >= SIGMOID_RATIO for r in ratios['sigmoid'])}, median {median(ratios['sigmoid']):.0f}",
                lang,
            ),
            tr(f"시드의 {RATE:.0%} 이상", f"on ≥ {RATE:.0%} of seeds", lang),
            fraction(r >= SIGMOID_RATIO for r in ratios["sigmoid"]) >= RATE,
        )
    ]
    for setup in ("tanh", "relu"):
        inside = [low <= r <= high for r in ratios[setup]]
        claims.append(
            Claim(
                tr(
                    f"{SETUP_LABELS[setup]}: 비가 [{low:g}, {high:g}] 안",
                    f"{SETUP_LABELS[setup]}: ratio within [{low:g}, {high:g}]",
                    lang,
                ),
                tr(
                    f"{rate_text(inside)}, 중앙값 {median(ratios[setup]):.2f}",
                    f"{rate_text(inside)}, median {median(ratios[setup]):.2f}",
                    lang,
                ),
                tr(f"시드의 {RATE:.0%} 이상", f"on ≥ {RATE:.0%} of seeds", lang),
                fraction(inside) >= RATE,
            )
        )

    n_hidden = len(widths)
    # Every row's ratio is the median over seeds of each seed's own last/first ratio (not the ratio of the
    # per-layer medians shown beside it, which can differ); Nielsen's row is his single measurement.
    columns = [tr("신경망", "network", lang)] + [
        tr(f"은닉층 {k + 1} (중앙값)", f"hidden {k + 1} (median)", lang) for k in range(n_hidden)
    ]
    columns.append(tr("마지막/첫 비 (시드마다 구한 비의 중앙값)", "last/first (median of per-seed ratios)", lang))
    rows = [
        [SETUP_LABELS[s]] + [sci(v) for v in numbers["median_per_layer"][s]] + [sci(numbers["median_ratio"][s])]
        for s in SETUPS
    ]
    if digits_norms:
        layers = _median_layers(digits_norms)
        rows.append(
            [tr("digits [64,30,30,30,30,10] sigmoid (우리 측정)", "digits [64,30,30,30,30,10] sigmoid (ours)", lang)]
            + [sci(v) for v in layers]
            + [sci(median([last_first_ratio(norms) for norms in digits_norms]))]
        )
    if n_hidden == len(NIELSEN_MNIST):
        rows.append(
            [tr("Nielsen 5장, MNIST [784,30,30,30,30,10]", "Nielsen ch. 5, MNIST [784,30,30,30,30,10]", lang)]
            + [sci(v) for v in NIELSEN_MNIST]
            + [sci(last_first_ratio(NIELSEN_MNIST))]
        )

    title = tr("1. 시그모이드를 쌓으면 기울기가 사라진다", "1. The gradient vanishes through stacked sigmoids", lang)
    result = ExperimentResult(
        name=NAME,
        title=title,
        lang=lang,
        config={
            "seeds": seeds,
            "widths": widths,
            "data": "XOR",
            "loss": "BCE",
            "digits_seeds": digits_seeds,
            "digits_samples": digits_samples,
        },
        numbers=numbers,
        claims=claims,
        table=Table(columns, rows),
        seconds=time.perf_counter() - started,
        notes=[
            tr(
                f"XOR에서 [2,{','.join(map(str, widths))},1] 신경망을 초기화한 직후 한 번 역전파하여 각 은닉층 편향의 기울기 크기 ‖∂L/∂b‖를 잽니다 "
                f"(시드 {len(seeds)}개의 중앙값). 시그모이드의 국소적 미분은 σ'(z) ≤ 1/4 이므로 입력 쪽 층으로 갈수록 기울기가 작아집니다.",
                f"Right after initialization, one backward pass on XOR through [2,{','.join(map(str, widths))},1] gives each hidden "
                f"layer's bias gradient ‖∂L/∂b‖ (median of {seeds_text(len(seeds))}). Sigmoid's local derivative is σ'(z) ≤ 1/4, "
                "so the gradient shrinks towards the input.",
                lang,
            )
        ],
    )
    result.figure_makers["gradient_per_layer"] = lambda: _figure(result)
    return result


def _median_layers(rows):
    return [median(col) for col in zip(*rows)]


def _figure(result):
    from .figures import per_layer_figure

    lang = result.lang
    series = {SETUP_LABELS[s]: v for s, v in result.numbers["median_per_layer"].items()}
    if result.numbers["digits_per_layer"]:
        series[tr("digits, sigmoid (우리 측정)", "digits, sigmoid (ours)", lang)] = _median_layers(
            result.numbers["digits_per_layer"]
        )
    if len(result.config["widths"]) == len(NIELSEN_MNIST):
        series[tr("Nielsen, MNIST", "Nielsen, MNIST", lang)] = list(NIELSEN_MNIST)
    return per_layer_figure(
        series,
        title=tr(
            r"은닉층별 편향 기울기 크기 $\|\partial L/\partial b\|$ (초기화 직후)",
            r"Bias gradient $\|\partial L/\partial b\|$ per hidden layer (at initialization)",
            lang,
        ),
        xlabel=tr("은닉층 (1 = 입력 쪽)", "hidden layer (1 = next to the input)", lang),
        ylabel=r"$\|\partial L/\partial b\|$",
    )
