"""The lessons as experiments: each function measures one claim with the engine and returns an `ExperimentResult`."""

from .deep_xor import deep_xor
from .init_compare import init_comparison
from .linear import linear_collapse
from .result import Claim, ExperimentResult, Table
from .vanishing import vanishing_gradient
from .zero_init import zero_init

__all__ = ["Claim", "ExperimentResult", "Table", "vanishing_gradient", "deep_xor", "zero_init", "linear_collapse",
           "init_comparison"]
