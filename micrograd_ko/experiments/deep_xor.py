"""Experiment 2: a deep sigmoid network stuck at 50% on XOR (모두를 위한 딥러닝, lecture 10).

The lecture's network: 2 -> 5, nine hidden 5 -> 5 layers, 5 -> 1, weights
U(-1, 1), zero biases, sigmoid output + BCE, full-batch gradient descent
with learning rate 0.1. With sigmoid hidden layers it stays at accuracy 0.5
and loss ln 2; the lecture says ReLU fixes it. Measured honestly: tanh
solves it, ReLU in that narrow net solves only part of the seeds, and ReLU
with width 10 and He initialization solves almost all. Which of the two
changes does it is measured by the 2 x 2 grid `WIDTH_INIT_GRID` (width 5 or
10 x U(-1, 1) or He).
"""

from __future__ import annotations

import time

from .. import datasets
from ..i18n import bilingual, get_language, tr
from ..nn import MLP
from .common import LN2, fraction, median, rate_text, seed_list, seeds_text, train_binary
from .result import Claim, ExperimentResult, Table
from .tasks import run_tasks

NAME = "deep-xor"

# variant -> (hidden activation, width, weight initialization)
VARIANTS = {
    "sigmoid": ("sigmoid", 5, "uniform"),
    "tanh": ("tanh", 5, "uniform"),
    "relu": ("relu", 5, "uniform"),
    "leaky_relu": ("leaky_relu", 5, "uniform"),
    "relu_he": ("relu", 5, "he_normal"),
    "relu_wide": ("relu", 10, "uniform"),
    "relu_he_wide": ("relu", 10, "he_normal"),
}
# Width and initialization changed one at a time: relu (5, U) -> relu_he (5, He) / relu_wide (10, U) -> relu_he_wide.
WIDTH_INIT_GRID = ("relu", "relu_he", "relu_wide", "relu_he_wide")
DEFAULT_VARIANTS = ("sigmoid", "tanh") + WIDTH_INIT_GRID
HIDDEN_LAYERS = 10  # 2 -> 5, then nine 5 -> 5: ten hidden layers
CURVE_POINTS = 100  # loss-curve samples kept per run (for the figure)
STUCK_TOLERANCE = 1e-3  # |final loss - ln 2| below this: "stuck at ln 2"


def variant_label(variant, lang=None):
    activation, width, init = VARIANTS[variant]
    init_text = {"uniform": "U(-1,1)", "he_normal": "He"}.get(init, init)
    return tr(f"{activation}, 너비 {width}, {init_text}", f"{activation}, width {width}, {init_text}", lang)


def lecture_network(variant, seed):
    activation, width, init = VARIANTS[variant]
    return MLP(2, [width] * HIDDEN_LAYERS + [1], activation=activation, init=init, bias_init="zeros", seed=seed)


def _train(task):
    variant, seed, steps, lr = task
    X, y = datasets.xor()
    model = lecture_network(variant, seed)
    losses, final = train_binary(model, X, y, steps, lr)
    every = max(1, len(losses) // CURVE_POINTS)
    return {"curve": losses[::every], "loss": final["loss"], "accuracy": final["accuracy"]}


def deep_xor(seeds=50, steps=2000, lr=0.1, variants=DEFAULT_VARIANTS, lang=None, progress=False, jobs=1):
    """Train the lecture's 12-layer network on XOR for each variant and seed; count the seeds solved.

    A seed counts as solved when the trained network classifies all four
    points correctly (accuracy 100%).
    """
    started = time.perf_counter()
    lang = lang or get_language()
    seeds = seed_list(seeds)
    variants = list(variants)
    for v in variants:
        if v not in VARIANTS:
            raise ValueError(
                bilingual(
                    f"모르는 변형 {v!r}; 가능한 것: {', '.join(VARIANTS)}",
                    f"unknown variant {v!r}; valid: {', '.join(VARIANTS)}",
                )
            )
    tasks = [(v, seed, steps, lr) for v in variants for seed in seeds]
    runs = run_tasks(_train, tasks, jobs, progress, tr("2 깊은 신경망과 XOR", "2 deep net on XOR", lang))
    per_variant = {v: [] for v in variants}
    for (v, _, _, _), run in zip(tasks, runs):
        per_variant[v].append(run)

    numbers = {}
    for v, rs in per_variant.items():
        numbers[v] = {
            "solved": [r["accuracy"] == 1.0 for r in rs],
            "final_loss": [r["loss"] for r in rs],
            "accuracy": [r["accuracy"] for r in rs],
            "stuck_at_ln2": [abs(r["loss"] - LN2) < STUCK_TOLERANCE for r in rs],
            "curves": [r["curve"] for r in rs],
        }
        numbers[v]["solve_rate"] = fraction(numbers[v]["solved"])

    claims = []
    if "sigmoid" in numbers:
        n = numbers["sigmoid"]
        claims.append(
            Claim(
                tr("시그모이드 은닉층: XOR을 푸는 시드", "sigmoid hidden layers: seeds that solve XOR", lang),
                rate_text(n["solved"]),
                tr("5% 이하", "≤ 5%", lang),
                n["solve_rate"] <= 0.05,
            )
        )
        claims.append(
            Claim(
                tr("시그모이드: 손실이 ln 2 ≈ 0.6931에 머문다", "sigmoid: the loss stays at ln 2 ≈ 0.6931", lang),
                tr(
                    f"최종 손실 중앙값 {median(n['final_loss']):.4f}, ln 2에 멈춘 시드 {rate_text(n['stuck_at_ln2'])}",
                    f"median final loss {median(n['final_loss']):.4f}, stuck at ln 2: {rate_text(n['stuck_at_ln2'])}",
                    lang,
                ),
                tr("중앙값이 ln 2 ± 0.001", "median within ln 2 ± 0.001", lang),
                abs(median(n["final_loss"]) - LN2) < STUCK_TOLERANCE,
            )
        )
    if "tanh" in numbers:
        n = numbers["tanh"]
        claims.append(
            Claim(
                tr("tanh 은닉층: XOR을 푸는 시드", "tanh hidden layers: seeds that solve XOR", lang),
                rate_text(n["solved"]),
                tr("90% 이상", "≥ 90%", lang),
                n["solve_rate"] >= 0.9,
            )
        )
    if "relu" in numbers:
        n = numbers["relu"]
        claims.append(
            Claim(
                tr(
                    "좁은(너비 5) ReLU 신경망은 ReLU만으로는 부족하다",
                    "narrow (width 5) ReLU: ReLU alone is not enough",
                    lang,
                ),
                rate_text(n["solved"]),
                tr("90% 미만 (강의: 1.0)", "< 90% (lecture: 1.0)", lang),
                n["solve_rate"] < 0.9,
            )
        )
    if "relu_he_wide" in numbers:
        n = numbers["relu_he_wide"]
        claims.append(
            Claim(
                tr("ReLU + 너비 10 + He 초깃값", "ReLU + width 10 + He initialization", lang),
                rate_text(n["solved"]),
                tr("90% 이상", "≥ 90%", lang),
                n["solve_rate"] >= 0.9,
            )
        )

    columns = [
        tr("은닉층", "hidden layers", lang),
        tr("XOR을 푼 시드", "seeds solving XOR", lang),
        tr("최종 손실 (중앙값)", "final loss (median)", lang),
        tr("ln 2에 멈춤", "stuck at ln 2", lang),
    ]
    rows = [
        [variant_label(v, lang), rate_text(n["solved"]), f"{median(n['final_loss']):.4f}", rate_text(n["stuck_at_ln2"])]
        for v, n in numbers.items()
    ]
    result = ExperimentResult(
        name=NAME,
        title=tr(
            "2. 깊은 시그모이드 신경망은 XOR에서 50%에 멈춘다", "2. A deep sigmoid network is stuck at 50% on XOR", lang
        ),
        lang=lang,
        config={
            "seeds": seeds,
            "steps": steps,
            "lr": lr,
            "variants": variants,
            "network": f"2 -> [width] x {HIDDEN_LAYERS} -> 1",
            "loss": "BCE",
            "optimizer": tr("전체 배치 경사 하강법", "full-batch GD", lang),
        },
        numbers=numbers,
        claims=claims,
        table=Table(columns, rows),
        seconds=time.perf_counter() - started,
        notes=[
            tr(
                f"모두를 위한 딥러닝 10강의 신경망(은닉층 10개)을 XOR 네 점으로 학습률 {lr}, {steps} 단계 학습합니다 (시드 {len(seeds)}개). "
                "'푼다'는 학습 후 네 점을 모두 맞힌다는 뜻입니다. 강의는 ReLU가 문제를 해결한다고 하지만, 너비 5인 좁은 신경망에서는 "
                "죽은 ReLU 때문에 일부 시드만 풉니다. 너비 10과 He 초깃값을 함께 써야 거의 모든 시드가 풉니다.",
                f"The lecture's network (ten hidden layers) trained on the four XOR points with learning rate {lr} for {steps} steps "
                f"({seeds_text(len(seeds))}). 'Solved' means all four points are classified correctly after training. The lecture says ReLU "
                "fixes it; in the narrow width-5 net dead ReLUs leave only part of the seeds solved. Width 10 with He initialization "
                "solves nearly all.",
                lang,
            )
        ],
    )
    result.figure_makers["loss_curves"] = lambda: _loss_figure(result)
    return result


def _loss_figure(result):
    from .figures import curves_figure

    lang = result.lang
    steps = result.config["steps"]
    groups = {variant_label(v, lang): n["curves"] for v, n in result.numbers.items()}
    fig = curves_figure(
        groups,
        title=tr("XOR 학습 곡선 (굵은 선: 시드 중앙값)", "XOR training loss (bold: median over seeds)", lang),
        xlabel=tr(f"학습 단계 (× {max(1, steps // CURVE_POINTS)})", f"step (× {max(1, steps // CURVE_POINTS)})", lang),
        ylabel=tr("손실 (BCE)", "loss (BCE)", lang),
        hline=LN2,
        hline_label="ln 2",
    )
    return fig
