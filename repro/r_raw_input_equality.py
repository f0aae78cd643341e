"""fit gives a learner's model raw numbers when interpreted but Value leaves when compiled. A model that tests an
input with `==` (a missing-value code) or truthiness takes another branch on a Value (identity equality, always
truthy), and nothing guards it. fit's bit-for-bit check looks at the first batch only; validation has no check.

Before e472797/2c7fd13: loss [0.8358744834874469, 0.555032871010145, 0.4429280683539818] vs [0.8211987895979337, 0.5471573547366879, 0.41651862658833333], val_loss [1.006925155436115, 0.9091544100690102, 0.6738123630472975] vs [0.5887953827127289, 0.619078935073243, 0.5195393037521719], nothing printed. Since 2c7fd13: refused at the trace (== with a number), equal histories.
"""
import io, contextlib
from micrograd_ko import Value, nn
from micrograd_ko.module import Module
from micrograd_ko.train import fit

MISSING = -1.0

class Imputing(Module):
    """x[1] == -1.0 means 'not measured': use a learned default instead."""
    def __init__(self):
        self.net = nn.MLP(2, [4, 1], seed=1)
        self.default = Value(0.0)
    def __call__(self, x):
        second = self.default if x[1] == MISSING else x[1]
        return self.net([x[0], second])

X = [[(i % 5) / 2 - 1.0, (i % 3) / 2 - 0.4] for i in range(24)]
X[20][1] = MISSING  # one sample not measured (not in the first batch with seed 0)
X[22][1] = MISSING
Y = [1.0 if a > 0 else -1.0 for a, _ in X]
Xv = [[0.5, MISSING], [-0.5, MISSING], [0.3, 0.1]]
Yv = [1.0, -1.0, 1.0]
for c in (True, False):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        h = fit(Imputing(), X, Y, epochs=3, batch_size=4, seed=0, progress=False, compile=c, validation_data=(Xv, Yv))
    print(f"compile={c}: loss={h['loss']}\n   val_loss={h['val_loss']}  stderr={err.getvalue().strip()[:80]!r}")
