"""The lessons as experiments: each function measures one claim with the engine and returns an `ExperimentResult`.

    from micrograd_ko.experiments import deep_xor
    result = deep_xor(seeds=10, jobs=2)
    result.claims          # what the lessons say, what was measured, and whether it holds
    result.table           # the numbers as a table
    result.figure("loss_curves")   # a matplotlib Figure (result.svg(...) for SVG text)

Every function's defaults are the full size (`micrograd-ko experiment NAME`);
`jobs` runs the independent trainings in that many processes.
"""

from .deep_xor import deep_xor
from .init_compare import init_comparison
from .linear import linear_collapse
from .output_loss import output_and_loss
from .rbm_pretraining import rbm_pretraining
from .result import Claim, ExperimentResult, Table
from .suite import EXPERIMENTS, demo_suite, describe
from .vanishing import vanishing_gradient
from .zero_init import zero_init

__all__ = [
    "EXPERIMENTS",
    "Claim",
    "ExperimentResult",
    "Table",
    "deep_xor",
    "demo_suite",
    "describe",
    "init_comparison",
    "linear_collapse",
    "output_and_loss",
    "rbm_pretraining",
    "vanishing_gradient",
    "zero_init",
]
