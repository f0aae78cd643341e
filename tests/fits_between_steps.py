"""A fit whose loss reads `globals()` and whose accuracy function imports a module at every call, so that its
watch looks at every module's names the learner's code mentions: test_fit_python_state.py runs it in the
suite's process, test_native_quick.py in a fresh one after other fits filled this package's own state."""

import sys
import types

from micrograd_ko import nn
from micrograd_ko.train import fit


def loss_reading_globals(p, t):
    return (p - t) ** 2 * globals().get("_LOSS_SCALE", 1.0)  # (code that may read any global of this module)


def fits_importing_between_steps():
    """The histories of the fit with compile=True and with compile=False (the modules it imported removed)."""
    imported = []

    def accuracy(p, t):
        name = f"_imported_between_steps_{len(imported)}"
        sys.modules[name] = imported.append(name) or types.ModuleType(name)
        return (p.data > 0) == (t > 0)

    X = [[(i % 4) / 2 - 0.7, (i % 3) / 2 - 0.4] for i in range(12)]
    Y = [1.0 if a * b > 0 else -1.0 for a, b in X]
    try:
        return [
            fit(nn.MLP(2, [4, 1], seed=1), X, Y, loss=loss_reading_globals, accuracy=accuracy, epochs=2, batch_size=4,
                progress=False, seed=0, compile=c)
            for c in (True, False)
        ]  # fmt: skip
    finally:
        for name in imported:
            del sys.modules[name]
