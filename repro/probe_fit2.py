import random, math
import micrograd_ko as ko
from micrograd_ko import nn, optim, losses, Value
from micrograd_ko.module import Module
from _both import run

X = [[(i % 4) / 2 - 0.7, (i % 3) / 2 - 0.4] for i in range(13)]
Y = [1.0 if a * b > 0 else 0.0 for a, b in X]
Ypm = [1.0 if a * b > 0 else -1.0 for a, b in X]
Ycls = [int((a > 0) + (b > 0)) for a, b in X]
mlp = lambda: nn.MLP(2, [4, 1], seed=1)

class TupleOut(Module):
    def __init__(self): self.net = nn.MLP(2, [4, 3], seed=1)
    def __call__(self, x): return tuple(self.net(x))
run(TupleOut, X, Ycls, label="tuple output, cross_entropy, default accuracy", loss="cross_entropy", epochs=2, batch_size=4)
run(TupleOut, X, Ycls, label="tuple output, user CE loss, default accuracy", loss=lambda p, t: losses.cross_entropy(list(p), t), epochs=2, batch_size=4)

class DictOut(Module):
    def __init__(self): self.net = nn.MLP(2, [4, 1], seed=1)
    def __call__(self, x): return {"y": self.net(x)}
run(DictOut, X, Y, label="dict output, user loss", loss=lambda p, t: losses.mse(p["y"], t), accuracy=lambda p, t: (p["y"].data > 0.5) == (t > 0.5), epochs=2, batch_size=4)

class Shared(Module):
    """the same layer applied twice (tied weights)"""
    def __init__(self):
        self.l = nn.Layer(2, 2, activation="tanh", rng=1)
        self.out = nn.Layer(2, 1, rng=2)
    def __call__(self, x): return self.out(self.l(self.l(x)))[0]
try:
    run(Shared, X, Y, label="tied layer applied twice", loss="bce_with_logits", epochs=3, batch_size=5)
except Exception as e: print("Shared", type(e), e)

class Listed2(Module):
    """the same parameter listed twice"""
    def __init__(self):
        self.w = Value(0.5); self.ws = [self.w, Value(-0.3)]; self.b = Value(0.1)
    def __call__(self, x): return self.ws[0] * x[0] + self.ws[1] * x[1] + self.w * self.b
run(Listed2, X, Y, label="param listed twice", loss="mse", epochs=3, batch_size=5)

run(mlp, X, Y, label="batch 5 of 13, val diff size", loss="bce_with_logits", epochs=3, batch_size=5, validation_data=(X[:7], Y[:7]))
run(mlp, X, Y, label="val rows ragged", loss="bce_with_logits", epochs=2, batch_size=5, validation_data=([[0.1, 0.2], [0.3, 0.4, 0.5]], [1.0, 0.0]))
run(mlp, X, Y, label="val rows tuples + ints", loss="bce_with_logits", epochs=2, batch_size=5, validation_data=([(1, 0), (0, 1), (-0.0, 0)], [1, 0, 1]))
run(mlp, [[int(a*2), int(b*2)] for a, b in X], [int(t) for t in Y], label="int X int y", loss="bce_with_logits", epochs=3, batch_size=4)
import numpy as np
run(mlp, [[np.float32(a), np.float32(b)] for a, b in X], Y, label="np.float32 scalars", loss="bce_with_logits", epochs=3, batch_size=4)
run(mlp, [np.array(r) for r in X], np.array(Y), label="numpy rows", loss="bce_with_logits", epochs=3, batch_size=4)
run(mlp, [[a, b] for a, b in X], [np.float64(t) for t in Y], label="np.float64 y", loss="mse", epochs=3, batch_size=4)
run(mlp, X, [[t] for t in Y], label="y as [t]", loss="mse", epochs=3, batch_size=4)
run(mlp, X, [True if t else False for t in Y], label="bool y", loss="bce_with_logits", epochs=3, batch_size=4)
run(mlp, X, [-0.0 if not t else 1.0 for t in Y], label="-0.0 targets", loss="mse", epochs=3, batch_size=4)
big = [[a * 1e150, b * 1e150] for a, b in X]
run(mlp, big, Y, label="huge inputs", loss="mse", epochs=2, batch_size=4)
run(lambda: nn.MLP(2, [4, 3], seed=1), X, Ycls, label="ce int labels", loss="cross_entropy", epochs=3, batch_size=4)
run(lambda: nn.MLP(2, [4, 3], seed=1), X, [float(c) for c in Ycls], label="ce float labels", loss="cross_entropy", epochs=3, batch_size=4)
run(lambda: nn.MLP(2, [4, 3], seed=1), X, [[1.0 if j == c else 0.0 for j in range(3)] for c in Ycls], label="mse one-hot", loss="mse", epochs=3, batch_size=4)
run(mlp, X, Ypm, label="hinge", loss="hinge", epochs=3, batch_size=4, make_opt=lambda m: optim.SGD(m.parameters(), lr=0.1, weight_decay=0.01))
run(mlp, X, Ypm, label="hinge no shuffle full batch", loss="hinge", epochs=3, shuffle=False)
run(mlp, X, Y, label="bce on sigmoid output", loss=lambda p, t: losses.bce(p.sigmoid(), t), epochs=3, batch_size=4)
