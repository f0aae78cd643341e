"""A number the model keeps in Python and uses in its forward pass, changed BETWEEN calls by code fit runs
outside the model (here an optimizer subclass: a temperature annealed after each step). The trace freezes the
number as a constant; ModelState only looks for changes made DURING the traced call, and fit checks only the
first batch of each program, so every later compiled step uses the first temperature.

Before c6629ee: loss [0.649637529259738, 0.6260035701038763, 0.6187008070736523] vs [0.6490064814413153, 0.597923297199153, 0.5732507598599578], nothing printed. Since c6629ee: equal, one line printed.
"""
import io, contextlib
from micrograd_ko import nn, optim
from micrograd_ko.module import Module
from micrograd_ko.train import fit

class Tempered(Module):
    def __init__(self):
        self.net = nn.MLP(2, [4, 1], seed=1)
        self.temperature = 1.0
    def __call__(self, x):
        return self.net(x) * (1.0 / self.temperature)

class Annealing(optim.SGD):
    def __init__(self, model, **kw):
        super().__init__(model.parameters(), **kw)
        self.model = model
    def step(self):
        super().step()
        self.model.temperature *= 0.9

X = [[(i % 4) / 2 - 0.7, (i % 3) / 2 - 0.4] for i in range(12)]
Y = [1.0 if a * b > 0 else 0.0 for a, b in X]
for c in (True, False):
    m = Tempered()
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        h = fit(m, X, Y, loss="bce_with_logits", optimizer=Annealing(m, lr=0.3), epochs=3, batch_size=4, seed=0,
                progress=False, compile=c)
    print(f"compile={c}: loss={h['loss']} temperature={m.temperature:.4f} stderr={err.getvalue().strip()[:60]!r}")
