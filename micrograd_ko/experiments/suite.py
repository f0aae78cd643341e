"""The experiments by name, and the demo: experiments 1-4 at a size that runs in about a minute."""

from __future__ import annotations

from collections.abc import Callable

from ..i18n import tr
from .deep_xor import deep_xor
from .init_compare import init_comparison
from .linear import linear_collapse
from .output_loss import output_and_loss
from .rbm_pretraining import rbm_pretraining
from .result import ExperimentResult
from .vanishing import vanishing_gradient
from .zero_init import zero_init

# name -> (function, Korean description, English description); the defaults are the full size.
_REGISTRY: dict[str, tuple[Callable[..., ExperimentResult], str, str]] = {
    "vanishing": (
        vanishing_gradient,
        "1. 시그모이드를 쌓으면 기울기가 사라진다 (층별 기울기, Nielsen 5장)",
        "1. vanishing gradient through stacked sigmoids (per-layer gradients, Nielsen ch. 5)",
    ),
    "deep-xor": (
        deep_xor,
        "2. 깊은 시그모이드 신경망과 XOR (모두를 위한 딥러닝 10강, 시드 50개)",
        "2. a deep sigmoid network on XOR (lecture 10 of 모두를 위한 딥러닝, 50 seeds)",
    ),
    "zero-init": (
        zero_init,
        "3. 가중치를 0으로 초기화하면 (대칭이 깨지지 않음)",
        "3. zero initialization (the symmetry never breaks)",
    ),
    "linear": (
        linear_collapse,
        "4. 활성화 함수 없이 쌓은 층은 아핀 변환 하나",
        "4. linear layers collapse to one affine map",
    ),
    "init": (
        init_comparison,
        "5. 가중치 초깃값 비교 (N(0,1), 0.01, Xavier, He)",
        "5. weight initialization (N(0,1), 0.01, Xavier, He)",
    ),
    "rbm": (rbm_pretraining, "6. RBM 사전학습 (CD-1)", "6. RBM pretraining (CD-1)"),
    "output": (
        output_and_loss,
        "7. 출력층과 손실 함수 (BCE, 소프트맥스 + CE, MSE)",
        "7. output layer and loss (BCE, softmax + CE, MSE)",
    ),
}
EXPERIMENTS = {name: entry[0] for name, entry in _REGISTRY.items()}


def describe(name, lang=None):
    _, ko, en = _REGISTRY[name]
    return tr(ko, en, lang)


# Sizes for the demo: about a minute on 2 cores. `quick`: a few seconds, for a first look and for tests.
DEMO_SIZES = {
    "vanishing": {"seeds": 20, "digits_seeds": 1, "digits_samples": 300},
    "deep-xor": {
        "seeds": 3,
        "variants": ("sigmoid", "tanh", "relu", "relu_he_wide"),
    },  # the 2 x 2 grid is the full size
    "zero-init": {},
    "linear": {"seeds": 2, "steps": 300},
}
QUICK_SIZES = {
    "vanishing": {"seeds": 5, "digits_seeds": 0},
    "deep-xor": {"seeds": 1, "steps": 1000, "variants": ("sigmoid", "tanh")},
    "zero-init": {"steps": 200},
    "linear": {"seeds": 1, "depth": 5, "width": 5, "steps": 100},
}


def demo_suite(seed=0, quick=False, lang=None, progress=False, jobs=None):
    """Experiments 1-4 at the demo size (or the quick size), seeds starting at `seed`."""
    results = []
    for name, sizes in (QUICK_SIZES if quick else DEMO_SIZES).items():
        options = dict(sizes)
        if "seeds" in options:
            options["seeds"] = range(seed, seed + options["seeds"])
        elif name == "zero-init":
            options["seed"] = seed
        results.append(EXPERIMENTS[name](lang=lang, progress=progress, jobs=jobs, **options))
    return results
