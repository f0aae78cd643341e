"""Experiment 3: initializing every weight to zero (0 초깃값).

With all weights and biases 0, every hidden unit computes the same number,
and the output is sigmoid(0) = 0.5 for every input, so the loss is ln 2. On
XOR the labels are balanced (two 0s, two 1s), so the gradient of the output
layer, the mean of (0.5 - y) h, is exactly 0, and every other gradient is a
multiple of the zero output weights: nothing moves at all.

With unbalanced labels the gradients are not 0 and training changes the
weights, but every hidden unit receives exactly the same gradient, so the
units of a layer stay bit-identical copies of each other forever: the
symmetry is never broken and a layer of n units works like one unit.
"""

from __future__ import annotations

import time

from .. import datasets
from ..engine import no_grad
from ..i18n import get_language, tr
from ..nn import MLP
from .common import LN2, mean_bce, train_binary
from .result import Claim, ExperimentResult, Table

NAME = "zero-init"

UNBALANCED_LABELS = [0, 1, 1, 1]  # OR: three 1s, one 0


def zero_network(widths, activation="sigmoid", init="zeros", seed=None):
    return MLP(2, [*widths, 1], activation=activation, init=init, bias_init="zeros", seed=seed)


def distinct_units(layer):
    """How many different units a layer has (bit-identical weights and bias count as one)."""
    return len({(tuple(w.data for w in n.w), n.b.data) for n in layer.neurons})


def zero_init(widths=(4, 4), steps=500, lr=0.5, seed=0, lang=None, progress=False, jobs=1):
    """Gradients at zero initialization on XOR, and hidden units after training with unbalanced labels.

    For contrast the same network is also trained from random weights
    (U(-1, 1), `seed`). `progress` and `jobs` are accepted for a uniform
    interface; this experiment is a few seconds of one process.
    """
    started = time.perf_counter()
    lang = lang or get_language()
    widths = list(widths)
    X, y = datasets.xor()

    model = zero_network(widths)
    loss = mean_bce(model, X, y)
    model.zero_grad()
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    with no_grad():
        outputs = [model(x).sigmoid().data for x in X]
    numbers = {
        "xor_loss": loss.data,
        "xor_grads": grads,
        "xor_nonzero_grads": sum(g != 0.0 for g in grads),
        "xor_outputs": outputs,
    }

    curves, units = {}, {}
    for init in ("zeros", "uniform"):
        trained = zero_network(widths, init=init, seed=seed)
        losses, final = train_binary(trained, X, UNBALANCED_LABELS, steps, lr)
        curves[init] = losses + [final["loss"]]
        units[init] = [distinct_units(layer) for layer in trained.layers[:-1]]
        numbers[f"unbalanced_{init}"] = {
            "final_loss": final["loss"],
            "accuracy": final["accuracy"],
            "distinct_units": units[init],
        }
    numbers["curves"] = curves

    claims = [
        Claim(
            tr("0 초깃값, XOR: 모든 기울기가 정확히 0.0", "zero init, XOR: every gradient is exactly 0.0", lang),
            tr(
                f"0이 아닌 기울기 {numbers['xor_nonzero_grads']}개 / {len(grads)}개",
                f"{numbers['xor_nonzero_grads']} of {len(grads)} gradients non-zero",
                lang,
            ),
            tr("0개", "none", lang),
            numbers["xor_nonzero_grads"] == 0,
        ),
        Claim(
            tr("출력이 모두 0.5, 손실이 ln 2", "outputs all 0.5, loss ln 2", lang),
            tr(
                f"출력 {sorted(set(outputs))}, 손실 {loss.data:.17g}",
                f"outputs {sorted(set(outputs))}, loss {loss.data:.17g}",
                lang,
            ),
            f"0.5, ln 2 = {LN2:.17g}",
            set(outputs) == {0.5} and abs(loss.data - LN2) < 1e-15,
        ),
        Claim(
            tr(
                f"레이블 {UNBALANCED_LABELS}로 {steps}단계 학습 후에도 은닉 뉴런이 모두 같다",
                f"after {steps} steps on labels {UNBALANCED_LABELS}, hidden units are still identical",
                lang,
            ),
            tr(
                f"층마다 서로 다른 뉴런 수: {units['zeros']} (무작위 초깃값: {units['uniform']})",
                f"distinct units per layer: {units['zeros']} (random init: {units['uniform']})",
                lang,
            ),
            tr("층마다 1개", "1 per layer", lang),
            all(u == 1 for u in units["zeros"]) and numbers["unbalanced_zeros"]["final_loss"] < curves["zeros"][0],
        ),
    ]
    columns = [
        tr("초깃값", "initialization", lang),
        tr("처음 손실", "initial loss", lang),
        tr("최종 손실", "final loss", lang),
        tr("정확도", "accuracy", lang),
        tr("층마다 서로 다른 뉴런", "distinct units per layer", lang),
    ]
    rows = [
        [
            tr("0", "zeros", lang) if init == "zeros" else "U(-1,1)",
            f"{curves[init][0]:.4f}",
            f"{numbers[f'unbalanced_{init}']['final_loss']:.4f}",
            f"{numbers[f'unbalanced_{init}']['accuracy']:.0%}",
            " / ".join(map(str, units[init])),
        ]
        for init in ("zeros", "uniform")
    ]
    result = ExperimentResult(
        name=NAME,
        title=tr("3. 가중치를 0으로 초기화하면", "3. Initializing every weight to zero", lang),
        lang=lang,
        config={
            "widths": widths,
            "activation": "sigmoid",
            "steps": steps,
            "lr": lr,
            "seed": seed,
            "unbalanced_labels": UNBALANCED_LABELS,
        },
        numbers=numbers,
        claims=claims,
        table=Table(columns, rows),
        seconds=time.perf_counter() - started,
        notes=[
            tr(
                "모든 가중치와 편향이 0이면 은닉 뉴런은 모두 같은 값을 내고 출력은 sigmoid(0) = 0.5입니다. XOR의 레이블은 0과 1이 "
                "둘씩이라 출력층의 기울기 평균 (0.5 − y)·h가 정확히 0이 되고, 나머지 기울기도 0인 출력 가중치를 곱하므로 0입니다. "
                f"레이블이 {UNBALANCED_LABELS}처럼 치우치면 학습은 되지만 모든 은닉 뉴런이 똑같은 기울기를 받아 끝까지 똑같이 "
                "움직입니다 (대칭이 깨지지 않음). 아래 표에서 손실은 레이블이 치우친 경우입니다.",
                "With every weight and bias 0, all hidden units output the same number and the output is sigmoid(0) = 0.5. "
                "XOR's labels are two 0s and two 1s, so the output layer's gradient, the mean of (0.5 − y)·h, is exactly 0, and "
                "every other gradient is multiplied by the zero output weights. With unbalanced labels such as "
                f"{UNBALANCED_LABELS} training moves the weights, but every hidden unit gets the same gradient and they move "
                "together forever (the symmetry is never broken). The table's losses are for the unbalanced labels.",
                lang,
            )
        ],
    )
    result.figure_makers["loss_curves"] = lambda: _figure(result)
    return result


def _figure(result):
    from .figures import curves_figure

    lang = result.lang
    curves = result.numbers["curves"]
    return curves_figure(
        {tr("0 초깃값", "zero init", lang): [curves["zeros"]], "U(-1,1)": [curves["uniform"]]},
        title=tr(f"레이블 {UNBALANCED_LABELS} 학습 곡선", f"training loss, labels {UNBALANCED_LABELS}", lang),
        xlabel=tr("학습 단계", "step", lang),
        ylabel=tr("손실 (BCE)", "loss (BCE)", lang),
    )
