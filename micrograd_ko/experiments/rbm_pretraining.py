"""Experiment 6: RBM pretraining, the historical fix for deep sigmoid nets.

Before ReLU and Xavier/He, deep sigmoid networks were initialized by
layer-wise RBM pretraining with contrastive divergence (Hinton's deep belief
nets, the fix the lectures mention). Here it is one more initialization
option for the same networks, compared with U(-1, 1) and Xavier:

- deep XOR: the lecture's sigmoid network (ten hidden layers of width 5):
  gradient ratio at initialization and the fraction of seeds solved;
- digits: a 64-32-32-32-10 sigmoid network trained for a few epochs:
  test accuracy.

The experiment reports what it measures; the only fixed expectation is that
CD-1 lowers each RBM's reconstruction error.
"""

from __future__ import annotations

import time

from .. import datasets
from ..engine import sum as value_sum
from ..i18n import get_language, tr
from ..losses import cross_entropy
from ..nn import MLP
from ..optim import SGD
from ..rbm import pretrain
from ..train import fit
from .common import mean_bce, median, rate_text, sci, seed_list, train_binary
from .deep_xor import HIDDEN_LAYERS
from .result import Claim, ExperimentResult, Table
from .tasks import call, run_tasks
from .vanishing import bias_gradient_norms, last_first_ratio

NAME = "rbm"

INITS = ("uniform", "xavier", "rbm")
DIGITS_HIDDEN = (32, 32, 32)


def init_label(key, lang):
    return (
        tr("RBM 사전학습", "RBM pretraining", lang) if key == "rbm" else {"uniform": "U(-1,1)", "xavier": "Xavier"}[key]
    )


def sigmoid_net(nin, widths, init_key, seed, X=None, rbm_epochs=0, rbm_lr=0.1, rbm_batch=10):
    """A sigmoid MLP initialized by `init_key`; with 'rbm' its hidden layers are pretrained on `X`.

    Returns (model, per-layer reconstruction errors or None).
    """
    init_name = "xavier_uniform" if init_key == "xavier" else "uniform"
    model = MLP(nin, list(widths), activation="sigmoid", init=init_name, bias_init="zeros", seed=seed)
    errors = None
    if init_key == "rbm":
        errors = pretrain(model, X, epochs=rbm_epochs, lr=rbm_lr, batch_size=rbm_batch, seed=seed)
    return model, errors


def _xor_task(task):
    init_key, seed, steps, lr, rbm_epochs = task
    X, y = datasets.xor()
    model, errors = sigmoid_net(2, [5] * HIDDEN_LAYERS + [1], init_key, seed, X, rbm_epochs, rbm_batch=4)
    norms = bias_gradient_norms(model, mean_bce(model, X, y))
    _, final = train_binary(model, X, y, steps, lr)
    return {
        "ratio": last_first_ratio(norms),
        "solved": final["accuracy"] == 1.0,
        "loss": final["loss"],
        "rbm_errors": errors,
    }


def _digits_task(task):
    init_key, seed, n_train, n_test, epochs, lr, rbm_epochs = task
    X, y = datasets.digits()
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=n_test, seed=0)
    X_train, y_train = X_train[:n_train], y_train[:n_train]
    model, errors = sigmoid_net(64, [*DIGITS_HIDDEN, 10], init_key, seed, X_train, rbm_epochs)
    norms = bias_gradient_norms(
        model, value_sum(cross_entropy(model(x), t) for x, t in zip(X_train[:100], y_train[:100]))
    )
    history = fit(
        model,
        X_train,
        y_train,
        loss="cross_entropy",
        optimizer=SGD(model.parameters(), lr=lr),
        epochs=epochs,
        batch_size=10,
        seed=seed,
        progress=False,
        validation_data=(X_test, y_test),
    )
    return {"ratio": last_first_ratio(norms), "test_accuracy": history["val_accuracy"], "rbm_errors": errors}


def rbm_pretraining(
    seeds=10,
    steps=2000,
    lr=0.1,
    rbm_epochs=100,
    digits_seeds=2,
    digits_train=1000,
    digits_test=300,
    digits_epochs=10,
    digits_lr=0.5,
    digits_rbm_epochs=20,
    lang=None,
    progress=False,
    jobs=1,
):
    """Compare U(-1,1), Xavier and RBM pretraining as the initialization of deep sigmoid nets, on XOR and digits."""
    started = time.perf_counter()
    lang = lang or get_language()
    seeds = seed_list(seeds)
    xor_tasks = [(i, s, steps, lr, rbm_epochs) for i in INITS for s in seeds]
    digit_tasks = (
        [
            (i, s, digits_train, digits_test, digits_epochs, digits_lr, digits_rbm_epochs)
            for i in INITS
            for s in seed_list(digits_seeds)
        ]
        if digits_seeds
        else []
    )
    outputs = run_tasks(
        call,
        [(_xor_task, t) for t in xor_tasks] + [(_digits_task, t) for t in digit_tasks],
        jobs,
        progress,
        tr("6 RBM 사전학습", "6 RBM pretraining", lang),
    )
    xor_runs, digit_runs = {i: [] for i in INITS}, {i: [] for i in INITS}
    for task, out in zip(xor_tasks, outputs[: len(xor_tasks)]):
        xor_runs[task[0]].append(out)
    for task, out in zip(digit_tasks, outputs[len(xor_tasks) :]):
        digit_runs[task[0]].append(out)

    numbers = {"xor": {}, "digits": {}}
    for i, runs in xor_runs.items():
        numbers["xor"][i] = {
            "ratio": [r["ratio"] for r in runs],
            "solved": [r["solved"] for r in runs],
            "loss": [r["loss"] for r in runs],
        }
    for i, runs in digit_runs.items():
        if runs:
            numbers["digits"][i] = {
                "ratio": [r["ratio"] for r in runs],
                "test_accuracy": [r["test_accuracy"] for r in runs],
            }
    rbm_errors = [r["rbm_errors"] for r in digit_runs["rbm"] or xor_runs["rbm"]]
    numbers["rbm_reconstruction_errors"] = rbm_errors

    claims = []
    decreasing = all(layer[-1] < layer[0] for errors in rbm_errors for layer in errors)
    first_layer = [errors[0] for errors in rbm_errors]
    claims.append(
        Claim(
            tr("CD-1이 층마다 RBM의 재구성 오차를 줄인다", "CD-1 lowers every layer's RBM reconstruction error", lang),
            tr(
                f"첫 층: {median([e[0] for e in first_layer]):.4f} → {median([e[-1] for e in first_layer]):.4f} (중앙값)",
                f"first layer: {median([e[0] for e in first_layer]):.4f} → {median([e[-1] for e in first_layer]):.4f} (median)",
                lang,
            ),
            tr("모든 층에서 감소", "lower in every layer", lang),
            decreasing,
        )
    )
    for i in INITS:
        n = numbers["xor"][i]
        claims.append(
            Claim(
                tr(f"깊은 XOR, {init_label(i, lang)}: 푼 시드", f"deep XOR, {init_label(i, lang)}: seeds solved", lang),
                tr(
                    f"{rate_text(n['solved'])}, 기울기 비 중앙값 {sci(median(n['ratio']))}",
                    f"{rate_text(n['solved'])}, median gradient ratio {sci(median(n['ratio']))}",
                    lang,
                ),
                tr("측정만", "measured only", lang),
                None,
            )
        )
    for i, n in numbers["digits"].items():
        final = [acc[-1] for acc in n["test_accuracy"]]
        claims.append(
            Claim(
                tr(
                    f"digits, {init_label(i, lang)}: 시험 정확도", f"digits, {init_label(i, lang)}: test accuracy", lang
                ),
                tr(
                    f"{median(final):.1%} (중앙값, {digits_epochs} 에폭)",
                    f"{median(final):.1%} (median, {digits_epochs} epochs)",
                    lang,
                ),
                tr("측정만", "measured only", lang),
                None,
            )
        )

    columns = [
        tr("초깃값", "initialization", lang),
        tr("XOR: 푼 시드", "XOR: seeds solved", lang),
        tr("XOR: 기울기 비 (중앙값)", "XOR: gradient ratio (median)", lang),
        tr("digits: 기울기 비 (중앙값)", "digits: gradient ratio (median)", lang),
        tr("digits: 시험 정확도 (중앙값)", "digits: test accuracy (median)", lang),
    ]
    rows = []
    for i in INITS:
        x = numbers["xor"][i]
        d = numbers["digits"].get(i)
        rows.append(
            [
                init_label(i, lang),
                rate_text(x["solved"]),
                sci(median(x["ratio"])),
                sci(median(d["ratio"])) if d else "–",
                f"{median([a[-1] for a in d['test_accuracy']]):.1%}" if d else "–",
            ]
        )
    result = ExperimentResult(
        name=NAME,
        title=tr("6. RBM 사전학습 (심층 신뢰 신경망의 방법)", "6. RBM pretraining (the deep-belief-net way)", lang),
        lang=lang,
        config={
            "seeds": seeds,
            "steps": steps,
            "lr": lr,
            "rbm_epochs": rbm_epochs,
            "digits_seeds": digits_seeds,
            "digits_train": digits_train,
            "digits_test": digits_test,
            "digits_epochs": digits_epochs,
            "digits_lr": digits_lr,
            "digits_rbm_epochs": digits_rbm_epochs,
            "digits_hidden": list(DIGITS_HIDDEN),
        },
        numbers=numbers,
        claims=claims,
        table=Table(columns, rows),
        seconds=time.perf_counter() - started,
        notes=[
            tr(
                "은닉층을 하나씩 제한 볼츠만 머신(RBM)으로 보고 대조 발산(CD-1)으로 학습한 뒤, 그 가중치와 편향을 초깃값으로 "
                "삼아 역전파로 미세 조정합니다 (Hinton 2006). XOR: 모두를 위한 딥러닝 10강의 시그모이드 신경망. digits: "
                f"64-{'-'.join(map(str, DIGITS_HIDDEN))}-10 시그모이드 신경망, 학습 {digits_train}장, 시험 {digits_test}장, "
                f"{digits_epochs} 에폭. 여기의 숫자는 측정한 그대로입니다.",
                "Each hidden layer is trained in turn as a restricted Boltzmann machine with contrastive divergence (CD-1); "
                "its weights and biases become the initial values, then backpropagation fine-tunes (Hinton 2006). XOR: the "
                f"lecture's sigmoid network. digits: a 64-{'-'.join(map(str, DIGITS_HIDDEN))}-10 sigmoid network, {digits_train} "
                f"training and {digits_test} test images, {digits_epochs} epochs. The numbers are as measured.",
                lang,
            )
        ],
    )
    if numbers["digits"]:
        result.figure_makers["digits_accuracy"] = lambda: _figure(result)
    return result


def _figure(result):
    from .figures import curves_figure

    lang = result.lang
    groups = {init_label(i, lang): n["test_accuracy"] for i, n in result.numbers["digits"].items()}
    return curves_figure(
        groups,
        title=tr("digits 시험 정확도", "digits test accuracy", lang),
        xlabel=tr("에폭", "epoch", lang),
        ylabel=tr("정확도", "accuracy", lang),
        first_x=1,
    )
