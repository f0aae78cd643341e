"""A loss written as a callable object that keeps Python state (a call counter switching the loss): the compiled
path calls the loss only while tracing, so the switch never happens, and nothing says so. The trace's own calls
also advance the counter (CountingLoss: 55 calls vs 53), even when fit then falls back to the engine.
(ModelState watches the model only; the lead's WIP follows a loss *function*'s globals and closures, but a
callable instance is not among the code holders it walks.)

NOT fixed (ModelState's area): SwitchLoss loss 0.15731433330225222 calls=7 vs 0.35824360541333455 calls=53, nothing printed; CountingLoss 0.10544419914738026 calls=55 vs 0.10680628533957243 calls=53 (fit printed 'the losses differ' and fell back, but the traces' calls were not undone).
"""
import io, contextlib
from micrograd_ko import nn, losses
from micrograd_ko.train import fit

class SwitchLoss:
    """mse for the first 30 samples seen, then absolute error (a curriculum)."""
    def __init__(self):
        self.calls = 0
    def __call__(self, p, t):
        self.calls += 1
        return losses.mse(p, t) if self.calls <= 30 else (p - t).abs()

class CountingLoss:
    """A loss scaled down as training goes on."""
    def __init__(self):
        self.calls = 0
    def __call__(self, p, t):
        self.calls += 1
        return losses.mse(p, t) * (1.0 / (1 + self.calls * 0.01))

X = [[(i % 4) / 2 - 0.7, (i % 3) / 2 - 0.4] for i in range(13)]
Y = [1.0 if a * b > 0 else 0.0 for a, b in X]
for make in (SwitchLoss, CountingLoss):
    for c in (True, False):
        loss = make()
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            h = fit(nn.MLP(2, [4, 1], seed=1), X, Y, loss=loss, epochs=4, batch_size=4, seed=0, progress=False, compile=c)
        print(f"{make.__name__} compile={c}: loss={h['loss'][-1]!r} calls={loss.calls} "
              f"stderr={err.getvalue().strip().split(' — ')[-1][:70]!r}")
