"""Property-based tests of derivatives (미분의 속성 기반 테스트): check a rule, draw graphs, shrink failures.

    from micrograd_ko.testing import check_grads, strategies

- `check_grads(fn, args, order=1, against="numeric")`: derivatives up to any
  order against central differences, PyTorch or micrograd; a mismatch raises
  `CheckGradsError` naming the input, both numbers and the op to blame.
- `strategies` (needs hypothesis: pip install 'micrograd_ko[testing]'):
  `values`, `inputs`, `expressions` (random graphs over the op table, the
  losses and your own ops, printed as runnable lambdas), `mlps`, and the
  settings profile `PROFILE` (derandomized, no example database).

`check_grads` itself needs nothing beyond the engine; hypothesis is imported
only when `strategies` is first used.
"""

from importlib import import_module
from typing import Any

from .check import CheckGradsError, check_grads, derivatives
from .graphs import Expression, table_rows

__all__ = ["check_grads", "CheckGradsError", "derivatives", "Expression", "table_rows", "strategies", "PROFILE"]


def __getattr__(name: str) -> Any:
    if name == "strategies":
        return import_module("micrograd_ko.testing.strategies")
    if name == "PROFILE":
        return import_module("micrograd_ko.testing.strategies").PROFILE
    raise AttributeError(f"module 'micrograd_ko.testing' has no attribute {name!r}")
