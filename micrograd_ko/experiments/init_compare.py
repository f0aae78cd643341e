"""Experiment 5: weight initialization on deep nets (가중치 초깃값).

Four initializations, N(0, 1), 0.01·N(0, 1), Xavier and He, with sigmoid, tanh
and ReLU, measured three ways:

1. Activation histograms as in 밑바닥부터 시작하는 딥러닝 ch. 6: five layers of
   100 units, no bias, 1,000 inputs from N(0, 1). Sigmoid with N(0, 1) piles
   up at 0 and 1, with 0.01 everything sits at 0.5, Xavier spreads it out;
   for ReLU, He keeps the spread steady and Xavier shrinks it layer by layer.
2. The last/first hidden-layer gradient ratio of a deep XOR net (the
   lecture's ten hidden layers, at width 10, zero biases), and the fraction
   of seeds that solve XOR for chosen pairs. Xavier helps tanh but not
   sigmoid: Glorot's derivation assumes f'(0) = 1, and σ'(0) = 1/4. (At the
   lecture's width 5, tanh + Xavier solved 8 of 10 seeds in our run; at
   width 10 it solves them all.)
3. A 30-layer ReLU net of width 10: the spread of the last layer's
   activations relative to the first, with Xavier and with He (He et al. 2015).
"""

from __future__ import annotations

import random
import time

from .. import datasets, init
from ..diagnostics import activation_stats
from ..i18n import get_language, tr
from ..nn import MLP
from .common import fraction, mean_bce, median, rate_text, sci, seed_list, train_binary
from .deep_xor import HIDDEN_LAYERS
from .result import Claim, ExperimentResult, Table
from .tasks import call, run_tasks
from .vanishing import bias_gradient_norms, last_first_ratio

NAME = "init"

INITS = {
    "normal": init.normal(1.0),
    "small": init.normal(0.01),
    "xavier": "xavier_normal",
    "he": "he_normal",
}
INIT_LABELS = {"normal": "N(0,1)", "small": "0.01·N(0,1)", "xavier": "Xavier", "he": "He"}
ACTIVATIONS = ("sigmoid", "tanh", "relu")
# ReLU + He on this net is experiment 2's "relu_he_wide"; no need to train it twice.
DEFAULT_TRAIN_PAIRS = (("tanh", "xavier"), ("sigmoid", "xavier"), ("tanh", "normal"))
XOR_WIDTH = 10
SATURATED = 0.6  # sigmoid + N(0,1): at least this fraction below 0.1 or above 0.9
NEAR_HALF_STD = 0.05  # sigmoid + 0.01: every layer's activations within this spread of 0.5
HISTOGRAM_BINS = 30
HISTOGRAM_RANGE = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, 3.0)}
# One height for every panel, as the book fixes it (its ReLU figures: 7,000 of 100,000 values per bin).
HISTOGRAM_YLIM = 0.07


def _histogram_task(task):
    activation, init_key, n_samples, depth, width, seed = task
    rng = random.Random(seed)
    X = [[rng.gauss(0.0, 1.0) for _ in range(width)] for _ in range(n_samples)]
    model = MLP(
        width,
        [width] * depth,
        activation=activation,
        output_activation=activation,
        init=INITS[init_key],
        bias_init="zeros",
        seed=seed,
    )
    low, high = HISTOGRAM_RANGE[activation]
    return [
        {"counts": histogram(s.values, low, high), "std": s.std, "saturated": s.saturated, "dead": s.dead_fraction}
        for s in activation_stats(model, X)
    ]


def histogram(values, low, high, bins=HISTOGRAM_BINS):
    """Counts of `values` in `bins` equal bins over [low, high] (values outside go to the end bins)."""
    counts = [0] * bins
    width = (high - low) / bins
    for v in values:
        counts[min(bins - 1, max(0, int((v - low) / width)))] += 1
    return counts


def deep_xor_net(activation, init_key, seed, width=XOR_WIDTH):
    return MLP(
        2, [width] * HIDDEN_LAYERS + [1], activation=activation, init=INITS[init_key], bias_init="zeros", seed=seed
    )


def _gradient_task(task):
    activation, init_key, seed = task
    X, y = datasets.xor()
    model = deep_xor_net(activation, init_key, seed)
    return last_first_ratio(bias_gradient_norms(model, mean_bce(model, X, y)))


def _train_task(task):
    activation, init_key, seed, steps, lr = task
    X, y = datasets.xor()
    _, final = train_binary(deep_xor_net(activation, init_key, seed), X, y, steps, lr)
    return final["accuracy"] == 1.0


def _depth_task(task):
    init_key, seed, depth, width, n_samples = task
    rng = random.Random(seed)
    X = [[rng.gauss(0.0, 1.0) for _ in range(width)] for _ in range(n_samples)]
    model = MLP(
        width,
        [width] * depth,
        activation="relu",
        output_activation="relu",
        init=INITS[init_key],
        bias_init="zeros",
        seed=seed,
    )
    stats = activation_stats(model, X)
    return stats[-1].std / stats[0].std


def init_comparison(
    seeds=20,
    hist_samples=1000,
    hist_depth=5,
    hist_width=100,
    train_seeds=10,
    steps=2000,
    lr=0.1,
    train_pairs=DEFAULT_TRAIN_PAIRS,
    deep_depth=30,
    deep_width=10,
    deep_samples=300,
    lang=None,
    progress=False,
    jobs=1,
):
    """Compare initializations by activation histograms, gradient ratios, XOR solve rates and a 30-layer ReLU net.

    `seeds`: seeds for the gradient ratios and the 30-layer net; `train_seeds`
    for the XOR trainings of `train_pairs` ((activation, init) pairs; empty = none).
    """
    started = time.perf_counter()
    lang = lang or get_language()
    seeds = seed_list(seeds)
    train_pairs = [tuple(p) for p in train_pairs]
    desc = tr("5 가중치 초깃값", "5 weight initialization", lang)
    hist_tasks = [(a, i, hist_samples, hist_depth, hist_width, 0) for a in ACTIVATIONS for i in INITS]
    grad_tasks = [(a, i, s) for a in ACTIVATIONS for i in INITS for s in seeds]
    train_tasks = [(a, i, s, steps, lr) for a, i in train_pairs for s in seed_list(train_seeds)] if train_pairs else []
    depth_tasks = [(i, s, deep_depth, deep_width, deep_samples) for i in ("xavier", "he") for s in seeds]
    # one pool for all four kinds of task, so every core stays busy
    everything = (
        [(_histogram_task, t) for t in hist_tasks]
        + [(_gradient_task, t) for t in grad_tasks]
        + [(_train_task, t) for t in train_tasks]
        + [(_depth_task, t) for t in depth_tasks]
    )
    outputs = run_tasks(call, everything, jobs, progress, desc)
    hist_out = outputs[: len(hist_tasks)]
    grad_out = outputs[len(hist_tasks) : len(hist_tasks) + len(grad_tasks)]
    train_out = outputs[len(hist_tasks) + len(grad_tasks) : len(hist_tasks) + len(grad_tasks) + len(train_tasks)]
    depth_out = outputs[len(outputs) - len(depth_tasks) :]

    histograms = {(t[0], t[1]): layers for t, layers in zip(hist_tasks, hist_out)}
    ratios = {}
    for (a, i, _), r in zip(grad_tasks, grad_out):
        ratios.setdefault((a, i), []).append(r)
    solved = {}
    for (a, i, _, _, _), ok in zip(train_tasks, train_out):
        solved.setdefault((a, i), []).append(ok)
    depth_ratio = {}
    for (i, _, _, _, _), r in zip(depth_tasks, depth_out):
        depth_ratio.setdefault(i, []).append(r)

    numbers = {
        "histograms": {f"{a}/{i}": layers for (a, i), layers in histograms.items()},
        "gradient_ratio_median": {f"{a}/{i}": median(r) for (a, i), r in ratios.items()},
        "gradient_ratios": {f"{a}/{i}": r for (a, i), r in ratios.items()},
        "solved": {f"{a}/{i}": s for (a, i), s in solved.items()},
        "deep_relu_std_ratio": depth_ratio,
        "deep_relu_std_ratio_median": {i: median(r) for i, r in depth_ratio.items()},
    }
    claims = _claims(histograms, numbers, solved, lang, deep_depth)
    columns = [
        tr("활성화 함수", "activation", lang),
        tr("초깃값", "initialization", lang),
        tr("출력의 표준편차 (층 1 → 마지막)", "std of outputs (layer 1 → last)", lang),
        tr("포화 비율 (<0.1 또는 >0.9)", "saturated (<0.1 or >0.9)", lang),
        tr("기울기 비 마지막/첫 (중앙값)", "gradient ratio last/first (median)", lang),
        tr("XOR을 푼 시드", "seeds solving XOR", lang),
    ]
    rows = []
    for a in ACTIVATIONS:
        for i in INITS:
            layers = histograms[(a, i)]
            saturated = f"{fraction_mean(layers, 'saturated'):.0%}" if a == "sigmoid" else "–"
            rows.append(
                [
                    a,
                    INIT_LABELS[i],
                    f"{layers[0]['std']:.3g} → {layers[-1]['std']:.3g}",
                    saturated,
                    sci(numbers["gradient_ratio_median"][f"{a}/{i}"]),
                    rate_text(solved[(a, i)]) if (a, i) in solved else "–",
                ]
            )
    result = ExperimentResult(
        name=NAME,
        title=tr("5. 가중치 초깃값 비교", "5. Comparing weight initializations", lang),
        lang=lang,
        config={
            "seeds": seeds,
            "hist_samples": hist_samples,
            "hist_depth": hist_depth,
            "hist_width": hist_width,
            "train_seeds": train_seeds,
            "steps": steps,
            "lr": lr,
            "train_pairs": train_pairs,
            "deep_depth": deep_depth,
            "deep_width": deep_width,
            "deep_samples": deep_samples,
        },
        numbers=numbers,
        claims=claims,
        table=Table(columns, rows),
        seconds=time.perf_counter() - started,
        notes=[
            tr(
                f"히스토그램: 너비 {hist_width}인 층 {hist_depth}개(편향 없음)에 N(0,1) 입력 {hist_samples}개를 넣은 각 층의 출력 "
                f"(밑바닥부터 시작하는 딥러닝 6장). 기울기 비와 XOR: 은닉층 {HIDDEN_LAYERS}개(모두를 위한 딥러닝 10강의 깊이), 너비 {XOR_WIDTH}, 편향 0. "
                "Xavier 초깃값은 활성화 함수의 기울기가 0 근처에서 1이라고 가정하므로 tanh에는 맞지만, σ'(0) = 1/4인 시그모이드에는 "
                f"맞지 않습니다. 마지막으로 너비 {deep_width}, ReLU 층 {deep_depth}개에서 첫 층 대비 마지막 층 출력의 표준편차를 잽니다.",
                f"Histograms: the outputs of {hist_depth} layers of width {hist_width} (no bias) for {hist_samples} N(0,1) inputs "
                f"(Deep Learning from Scratch, ch. 6). Gradient ratios and XOR: {HIDDEN_LAYERS} hidden layers (the lecture's depth), "
                f"width {XOR_WIDTH}, zero biases. Xavier assumes the activation's slope near 0 is 1: right for tanh, wrong for sigmoid, whose σ'(0) = 1/4. "
                f"Last, {deep_depth} ReLU layers of width {deep_width}: the spread of the last layer's outputs relative to the first.",
                lang,
            )
        ],
    )
    for a in ACTIVATIONS:
        result.figure_makers[f"histograms_{a}"] = lambda a=a: _histogram_figure(result, histograms, a)
    result.figure_makers["gradient_ratios"] = lambda: _ratio_figure(result)
    return result


def fraction_mean(layers, key):
    return sum(layer[key] for layer in layers) / len(layers)


def _claims(histograms, numbers, solved, lang, deep_depth):
    claims = []
    sat = [layer["saturated"] for layer in histograms[("sigmoid", "normal")]]
    claims.append(
        Claim(
            tr("sigmoid + N(0,1): 출력이 0과 1에 몰린다", "sigmoid + N(0,1): outputs pile up at 0 and 1", lang),
            tr(
                f"<0.1 또는 >0.9인 출력 {sum(sat) / len(sat):.0%} (층별 {' / '.join(f'{s:.0%}' for s in sat)})",
                f"{sum(sat) / len(sat):.0%} of outputs <0.1 or >0.9 (per layer {' / '.join(f'{s:.0%}' for s in sat)})",
                lang,
            ),
            tr(f"≥ {SATURATED:.0%} (책: 74–82%)", f"≥ {SATURATED:.0%} (book: 74–82%)", lang),
            sum(sat) / len(sat) >= SATURATED,
        )
    )
    stds = [layer["std"] for layer in histograms[("sigmoid", "small")]]
    claims.append(
        Claim(
            tr("sigmoid + 0.01·N(0,1): 모든 출력이 0.5 근처", "sigmoid + 0.01·N(0,1): every output near 0.5", lang),
            tr(f"층별 표준편차 최대 {max(stds):.3f}", f"largest per-layer std {max(stds):.3f}", lang),
            f"< {NEAR_HALF_STD}",
            max(stds) < NEAR_HALF_STD,
        )
    )
    for init_key, holds, expected in (
        ("he", lambda r: 0.5 <= r <= 2.0, "[0.5, 2]"),
        ("xavier", lambda r: r < 0.5, "< 0.5"),
    ):
        layers = histograms[("relu", init_key)]
        r = layers[-1]["std"] / layers[0]["std"]
        claims.append(
            Claim(
                tr(
                    f"ReLU + {INIT_LABELS[init_key]}: 마지막/첫 층 출력 표준편차",
                    f"ReLU + {INIT_LABELS[init_key]}: std of last/first layer outputs",
                    lang,
                ),
                f"{r:.2f}",
                expected,
                holds(r),
            )
        )
    ratio = numbers["gradient_ratio_median"]
    claims.append(
        Claim(
            tr("tanh + Xavier: 기울기 비가 1 근처", "tanh + Xavier: gradient ratio near 1", lang),
            tr(f"중앙값 {ratio['tanh/xavier']:.2f}", f"median {ratio['tanh/xavier']:.2f}", lang),
            "[0.1, 10]",
            0.1 <= ratio["tanh/xavier"] <= 10,
        )
    )
    claims.append(
        Claim(
            tr(
                "sigmoid + Xavier: 기울기 소실이 오히려 심해진다 (N(0,1)보다)",
                "sigmoid + Xavier: vanishing gets worse (than N(0,1))",
                lang,
            ),
            tr(
                f"중앙값 {ratio['sigmoid/xavier']:.2g} (N(0,1): {ratio['sigmoid/normal']:.2g})",
                f"median {ratio['sigmoid/xavier']:.2g} (N(0,1): {ratio['sigmoid/normal']:.2g})",
                lang,
            ),
            tr("N(0,1)의 비보다 크다", "larger than with N(0,1)", lang),
            ratio["sigmoid/xavier"] > ratio["sigmoid/normal"],
        )
    )
    if ("tanh", "xavier") in solved:
        claims.append(
            Claim(
                tr("tanh + Xavier: XOR을 푸는 시드", "tanh + Xavier: seeds solving XOR", lang),
                rate_text(solved[("tanh", "xavier")]),
                tr("90% 이상", "≥ 90%", lang),
                fraction(solved[("tanh", "xavier")]) >= 0.9,
            )
        )
    deep = numbers["deep_relu_std_ratio_median"]
    claims.append(
        Claim(
            tr(
                f"ReLU {deep_depth}층: Xavier는 신호를 줄이고 He는 지킨다",
                f"ReLU, {deep_depth} layers: Xavier shrinks the signal, He keeps far more",
                lang,
            ),
            tr(
                f"마지막/첫 층 표준편차 중앙값: Xavier {deep['xavier']:.1e}, He {deep['he']:.1e}",
                f"median std last/first: Xavier {deep['xavier']:.1e}, He {deep['he']:.1e}",
                lang,
            ),
            tr("Xavier < 1e-4, He > 100 × Xavier", "Xavier < 1e-4, He > 100 × Xavier", lang),
            deep["xavier"] < 1e-4 and deep["he"] > 100 * deep["xavier"],
        )
    )
    return claims


def _histogram_figure(result, histograms, activation):
    from .figures import histogram_grid

    lang = result.lang
    rows = {INIT_LABELS[i]: [layer["counts"] for layer in histograms[(activation, i)]] for i in INITS}
    values_per_layer = result.config["hist_samples"] * result.config["hist_width"]
    return histogram_grid(
        rows,
        HISTOGRAM_RANGE[activation],
        title=tr(
            f"{activation}: 층별 출력 분포 (열: 층 번호, 세로축 공통)",
            f"{activation}: outputs per layer (columns: layer, shared y axis)",
            lang,
        ),
        xlabel=tr("출력", "output", lang),
        ylim=HISTOGRAM_YLIM * values_per_layer,
        lang=lang,
    )


def _ratio_figure(result):
    from .figures import bar_figure

    lang = result.lang
    keys = [f"{a}/{i}" for a in ACTIVATIONS for i in INITS]
    labels = [f"{a}\n{INIT_LABELS[i]}" for a in ACTIVATIONS for i in INITS]
    return bar_figure(
        labels,
        [result.numbers["gradient_ratio_median"][k] for k in keys],
        title=tr(
            "마지막/첫 은닉층 기울기 비 (1이면 고르게 흐름)",
            "last/first hidden-layer gradient ratio (1 = even flow)",
            lang,
        ),
        ylabel=tr("비 (로그 눈금)", "ratio (log scale)", lang),
        log_y=True,
        reference=1.0,
        zero_label=tr("0 (상쇄: 측정 불가)", "0 (cancelled: not measurable)", lang),
    )
