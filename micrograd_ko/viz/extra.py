"""The `viz` extra's packages, imported with an error that says how to install them.

Without the extra, `import graphviz` fails with "No module named 'graphviz'",
which does not say that `pip install 'micrograd_ko[viz]'` is the fix (as
`to_torch()` says for PyTorch).
"""

from __future__ import annotations

import importlib

from ..i18n import bilingual

__all__ = ["require"]


def require(module, feature):
    """The module `module`, or an ImportError naming `feature` and the `viz` extra."""
    try:
        return importlib.import_module(module)
    except ImportError:
        package = module.split(".")[0]
        raise ImportError(
            bilingual(
                f"{feature}에는 {package} 패키지가 필요합니다: pip install 'micrograd_ko[viz]'",
                f"{feature} needs the {package} package: pip install 'micrograd_ko[viz]'",
            )
        ) from None
