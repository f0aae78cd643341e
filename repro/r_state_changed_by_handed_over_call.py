"""A learner's input normaliser: in training it keeps the largest |x| seen so far (a Python float) and divides by it.
The trace sees no change (the first batch holds no |x| > 1: the comparison is a guard, and it holds), so fit trusts
the program. A later batch with |x| > 1 fails the guard and runs interpreted, which raises `scale` to 2.5; every
compiled step after it still divides by the 1.0 it traced. Nothing is printed. (ModelState is only consulted around
a trace; a hand-over to the engine may change the model's Python state and nothing looks again.)

Before c6629ee: loss [1.0119632479652183, 0.9723622937011414, 0.9519486507435915] vs [1.076568124808801, 1.0256822287048049, 1.0732121296646648], nothing printed. Since c6629ee: equal, one line printed.
"""
import io, contextlib
from micrograd_ko import nn
from micrograd_ko.module import Module
from micrograd_ko.train import fit

class MaxNorm(Module):
    def __init__(self):
        self.net = nn.MLP(2, [4, 1], seed=1)
        self.scale = 1.0
    def __call__(self, x):
        if self.training:
            for xi in x:
                if abs(xi) > self.scale:
                    self.scale = abs(xi)  # raw numbers: a float (interpreted runs only reach here)
        return self.net([xi / self.scale for xi in x])

X = [[(i % 4) / 4 - 0.4, (i % 3) / 3 - 0.3] for i in range(16)]
X[11] = [2.5, 0.5]  # one large input, not in the first batch
Y = [1.0 if a * b > 0 else -1.0 for a, b in X]
for c in (True, False):
    m = MaxNorm()
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        h = fit(m, X, Y, epochs=3, batch_size=4, seed=0, progress=False, compile=c)
    print(f"compile={c}: loss={h['loss']} scale={m.scale} stderr={err.getvalue().strip()[:60]!r}")
