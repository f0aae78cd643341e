"""A learner's model that uses an input as a loop count with `while n != 0`: interpreted (raw numbers) it loops n
times; traced, n is a Value, `n != 0` is always True (identity), and the trace never ends: fit(compile=True), the
default, hangs on its first batch (memory grows with every node). Run with a timeout.

Before 2c7fd13: compile=True still tracing after 20 s (hang); compile=False loss [0.0264807913504687, 0.02289818741970746]. Since 2c7fd13: refused at the trace, equal histories.
"""
import signal, sys
from micrograd_ko import Value, nn
from micrograd_ko.module import Module
from micrograd_ko.train import fit

class Repeat(Module):
    """x = [feature, repeats]: applies the same layer `repeats` times."""
    def __init__(self):
        self.w, self.b = Value(0.9), Value(0.1)
    def __call__(self, x):
        h, n = x[0], x[1]
        while n != 0:
            h = (self.w * h + self.b).tanh()
            n -= 1
        return h

X = [[0.1 * i, float(i % 3 + 1)] for i in range(9)]
Y = [0.5] * 9
compile_ = sys.argv[1:] != ["interpreted"]
signal.signal(signal.SIGALRM, lambda *a: sys.exit(f"compile={compile_}: still tracing after 20 s (hang)"))
signal.alarm(20)
h = fit(Repeat(), X, Y, epochs=2, batch_size=3, seed=0, progress=False, compile=compile_)
print(f"compile={compile_}: loss={h['loss']}")
