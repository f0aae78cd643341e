"""micrograd_ko: a scalar autodiff engine for learning how neural networks learn.

역전파를 한 노드씩 눈으로 보며 배우는 스칼라 자동미분 엔진.

The engine (`Value`, `grad`, `no_grad`, ...) needs no other package. Drawing
and plotting need the `viz` extra; they are imported on first use, so that
`import micrograd_ko` stays fast and dependency-free.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .engine import Op, Value, dot, grad, is_grad_enabled, no_grad, softmax
from .engine import sum as sum  # the redundant alias marks a re-export (kept out of __all__, see below)
from .gradcheck import GradcheckError, gradcheck
from .i18n import get_language, set_language

__version__ = "0.1.0"

if TYPE_CHECKING:  # the lazy names below, for editors and mypy (at run time each loads on first use)
    from . import datasets as datasets
    from . import diagnostics as diagnostics
    from . import experiments as experiments
    from . import graph as graph
    from . import init as init
    from . import losses as losses
    from . import nn as nn
    from . import optim as optim
    from . import plots as plots
    from . import rbm as rbm
    from . import report as report
    from . import stepper as stepper
    from . import testing as testing
    from . import train as train
    from . import viz as viz
    from .compiler import compile as compile
    from .viz.layer_view import compare_gradient_flow as compare_gradient_flow
    from .viz.node_view import draw_graph as draw_graph
    from .viz.node_view import render_svg as render_svg
    from .viz.node_view import save_graph as save_graph
    from .viz.stepper import BackpropStepper as BackpropStepper

# public name -> module that defines it, imported lazily (relative: a copy of the package under another
# name, as benchmarks/bench_engine_revisions.py imports an old revision, loads its own modules)
_LAZY = {
    "draw_graph": ".viz.node_view",
    "render_svg": ".viz.node_view",
    "save_graph": ".viz.node_view",
    "BackpropStepper": ".viz.stepper",
    "compare_gradient_flow": ".viz.layer_view",
    "compile": ".compiler",
}
_SUBMODULES = {
    "nn",
    "init",
    "losses",
    "optim",
    "datasets",
    "train",
    "diagnostics",
    "plots",
    "experiments",
    "graph",
    "stepper",
    "rbm",
    "report",
    "viz",
    "testing",
}

# `sum` and `compile` are left out of __all__ so that `from micrograd_ko import *`
# never hides Python's own sum (lecture code calls sum(generator, start)) or
# compile; use micrograd_ko.sum and micrograd_ko.compile.
__all__ = [
    "Op",
    "Value",
    "dot",
    "grad",
    "is_grad_enabled",
    "no_grad",
    "softmax",
    "gradcheck",
    "GradcheckError",
    "get_language",
    "set_language",
    *(name for name in _LAZY if name != "compile"),
    *sorted(_SUBMODULES),
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    if name in _SUBMODULES:
        return import_module(f".{name}", __name__)
    raise AttributeError(f"module 'micrograd_ko' has no attribute {name!r}")
