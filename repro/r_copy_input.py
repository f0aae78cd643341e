"""A model that copies its input (a defensive `copy.deepcopy(x)`, or copy.copy of a Value) gets its input frozen:
compile treats the copy as a parameter read live, so every compiled call sees the example's number.
Direct compile: silent wrong value and gradient. fit: the validation predictions (compiled forward) are wrong.

Before 64d261e: compiled 0.7 / w.grad 1.0 vs interpreted 1.4 / 2.0; fit val_loss [1.0006579174551689, 1.000002490097298] vs [0.7255064943593391, 0.6848048987378806]. Since 64d261e: refused, equal histories.
"""
import copy, struct, io, contextlib
import micrograd_ko as ko
from micrograd_ko.compiler import CompileError
from micrograd_ko import Value, nn
from micrograd_ko.module import Module
from micrograd_ko.train import fit

w = Value(0.7)
try:
    f = ko.compile(lambda x: copy.deepcopy(x) * w, 1.0)
    out = f(2.0)
    print("compile: compiled", out, "w.grad", w.grad)
except CompileError as error:
    print("compile: refused:", str(error).split(" / ")[-1][:140])
w.grad = 0.0
x = Value(2.0); o = copy.deepcopy(x) * w; o.backward()
print("compile: interpreted", o.data, "w.grad", w.grad)

class Defensive(Module):
    def __init__(self):
        self.net = nn.MLP(2, [4, 1], seed=1)
    def __call__(self, x):
        x = copy.deepcopy(x)  # "don't touch the caller's list"
        return self.net(x)

X = [[(i % 4) / 2 - 0.7, (i % 3) / 2 - 0.4] for i in range(12)]
Y = [1.0 if a * b > 0 else -1.0 for a, b in X]
runs = []
for c in (True, False):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        h = fit(Defensive(), X, Y, epochs=2, batch_size=4, seed=0, progress=False, compile=c, validation_data=(X, Y))
    print(f"fit compile={c}: val_loss={h['val_loss']} loss={h['loss']}  stderr={err.getvalue().strip()[:100]!r}")
