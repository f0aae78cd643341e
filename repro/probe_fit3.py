import numpy as np
from micrograd_ko import nn, optim, losses, Value
from _both import run
X = [[(i % 4) / 2 - 0.7, (i % 3) / 2 - 0.4] for i in range(13)]
Y = [1.0 if a * b > 0 else 0.0 for a, b in X]
mlp = lambda: nn.MLP(2, [4, 1], seed=1)
run(mlp, X, Y, make_opt=lambda m: optim.SGD(m.layers[-1].parameters(), lr=0.2), label="frozen first layer SGD", loss="bce_with_logits", epochs=3, batch_size=4)
run(mlp, X, Y, make_opt=lambda m: optim.Adam(m.layers[-1].parameters(), lr=0.05), label="frozen first layer Adam", loss="bce_with_logits", epochs=3, batch_size=4)
class Accum(optim.SGD):
    n = 0
    def zero_grad(self):
        self.n += 1
        if self.n % 3 == 1: super().zero_grad()
run(mlp, X, Y, make_opt=lambda m: Accum(m.parameters(), lr=0.1), label="grad accumulation", loss="bce_with_logits", epochs=3, batch_size=4)
class NoneGrad(optim.SGD):
    def zero_grad(self):
        for p in self.params: p.grad = None
run(mlp, X, Y, make_opt=lambda m: NoneGrad(m.parameters(), lr=0.1), label="zero_grad sets None", loss="bce_with_logits", epochs=3, batch_size=4)
class NegZero(optim.SGD):
    def zero_grad(self):
        for p in self.params: p.grad = -0.0
run(mlp, X, Y, make_opt=lambda m: NegZero(m.parameters(), lr=0.1), label="zero_grad sets -0.0", loss="bce_with_logits", epochs=3, batch_size=4)
class Clip(optim.SGD):
    def step(self):
        for p in self.params: p.grad = max(-0.01, min(0.01, p.grad))
        super().step()
run(mlp, X, Y, make_opt=lambda m: Clip(m.parameters(), lr=0.1), label="clip in step", loss="bce_with_logits", epochs=3, batch_size=4)
run(mlp, X, [np.array([t]) for t in Y], label="user loss, y rows np arrays", loss=lambda p, t: losses.mse(p, t), epochs=2, batch_size=4)
run(mlp, X, Y, label="user loss returning float sometimes?", loss=lambda p, t: (p - t) ** 2 if t else (p * 0.0 + 0.0), epochs=2, batch_size=4)
run(mlp, X, Y, label="user loss returning leaf for t=0", loss=lambda p, t: (p - t) ** 2 if t else Value(0.0), epochs=2, batch_size=4)
run(mlp, X, Y, label="sgd momentum+wd nesterov-less", make_opt=lambda m: optim.SGD(m.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3), loss="mse", epochs=3, batch_size=3)
run(mlp, X, Y, label="batch_size 1", loss="mse", epochs=2, batch_size=1)
run(mlp, X, Y, label="batch_size > n", loss="mse", epochs=2, batch_size=100)
run(mlp, X, Y, label="track_gradients", loss="mse", epochs=2, batch_size=4, track_gradients=True)
