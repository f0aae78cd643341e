"""Karpathy's makemore habit: each layer keeps its last output (`self.out`) for plotting activation statistics after
training, the attribute made on the first call. ModelState pictures no Value (`_fingerprint` gives None, so an
attribute holding only Values is not listed at all), so a trace that makes `self.out` is not refused, and compiled steps never rebind it again: after fit(compile=True) `layer.out` holds the trace's nodes (the
first batch's sample at the initial weights), after compile=False the last sample of the last epoch. Histories and
weights are equal; what the learner plots is not, and nothing says so.

NOT fixed (ModelState's area): loss 1.6646605017238978 both ways; hidden.out [0.510329, -0.379459, -0.058717,
0.278293] compiled vs [-0.099215, 0.691007, -0.220562, 0.233977] interpreted. (With `self.out = None` set in
__init__ the change is seen and fit falls back: equal.) Also on a second fit of the same model."""
from micrograd_ko import nn
from micrograd_ko.module import Module
from micrograd_ko.train import fit

class Tanh(Module):
    def __init__(self, nin, nout, seed):
        self.layer = nn.Layer(nin, nout, activation="linear", rng=seed)
        # (no self.out here: made on the first call, as in makemore)
    def __call__(self, x):
        self.out = [h.tanh() for h in self.layer(x)]
        return self.out

class Net(Module):
    def __init__(self):
        self.hidden, self.head = Tanh(2, 4, 1), nn.Layer(4, 1, activation="linear", rng=2)
    def __call__(self, x):
        return self.head(self.hidden(x))[0]

X = [[(i % 4) / 2 - 0.7, (i % 3) / 2 - 0.4] for i in range(12)]
Y = [1.0 if a * b > 0 else -1.0 for a, b in X]
for c in (True, False):
    net = Net()
    h = fit(net, X, Y, epochs=5, batch_size=4, seed=0, progress=False, compile=c)
    print(f"compile={c}: loss={h['loss'][-1]!r} hidden.out={[round(v.data, 6) for v in net.hidden.out]}")
