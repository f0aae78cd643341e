"""Python >= 3.12 adds floats in sum() with compensation (Neumaier); Values add one `+` at a time. fit's interpreted
path gives the model raw numbers, the compiled trace gives Value leaves, so a model that centres its input with
sum(x) / len(x) computes other bits compiled. fit's check of the first batch catches it when that batch shows it;
validation (the compiled forward pass) has no check: val_loss differs silently.
Run with Python 3.12+ (the project allows >= 3.10); on 3.11 both sums are the same.

NOT fixed: on 3.12.1, val_loss [..., 0.131260475385025] compiled vs [..., 0.13126047538502497] interpreted (epoch 2; epoch 1 agreed, so 86f78e3's first-pass check passed).
"""
import io, contextlib, sys
from micrograd_ko import nn
from micrograd_ko.module import Module
from micrograd_ko.train import fit

class Centred(Module):
    def __init__(self):
        self.net = nn.MLP(3, [4, 1], seed=1)
    def __call__(self, x):
        m = sum(x) / len(x)  # raw floats interpreted, Values compiled
        return self.net([xi - m for xi in x])

# training inputs on a binary grid (sums exact either way); validation inputs with decimals
X = [[(i % 4) / 4, (i % 3) / 2, (i % 5) / 8] for i in range(16)]
Y = [1.0 if a > b else -1.0 for a, b, _ in X]
Xv = [[0.1, 0.2, 0.3], [0.7, 0.1, 0.1], [0.3, 0.6, 0.9]]
Yv = [0.0, 0.0, 0.0]  # (targets 0: the loss p^2 keeps the last bits of p)
print(sys.version.split()[0], "sum([0.1, 0.2, 0.3]) =", sum([0.1, 0.2, 0.3]))
for c in (True, False):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        h = fit(Centred(), X, Y, epochs=2, batch_size=4, seed=0, progress=False, compile=c, validation_data=(Xv, Yv))
    print(f"compile={c}: loss={h['loss']} val_loss={h['val_loss']} stderr={err.getvalue().strip()[:60]!r}")
