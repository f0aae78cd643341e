import random, math
import micrograd_ko as ko
from micrograd_ko import nn, optim, losses, Value
from micrograd_ko.module import Module
from _both import run

X = [[(i % 4) / 2 - 0.7, (i % 3) / 2 - 0.4] for i in range(13)]
Y = [1.0 if a * b > 0 else 0.0 for a, b in X]
Ypm = [1.0 if a * b > 0 else -1.0 for a, b in X]
mlp = lambda: nn.MLP(2, [4, 1], seed=1)

# 1. SGD subclass with lr schedule in step
class DecaySGD(optim.SGD):
    def step(self):
        super().step()
        self.lr *= 0.97
run(mlp, X, Y, make_opt=lambda m: DecaySGD(m.parameters(), lr=0.3), label="SGD subclass decays lr", loss="bce_with_logits", epochs=4, batch_size=4)

# 2. Plain SGD, lr changed by a loss function closure (learner's schedule)
state = {}
def mk_opt(m):
    o = optim.SGD(m.parameters(), lr=0.3); state['o'] = o; state['n'] = 0; return o
def sched_loss(p, t):
    state['n'] += 1
    state['o'].lr = 0.3 / (1 + state['n'] / 20)
    return losses.mse(p, t)
run(mlp, X, Y, make_opt=mk_opt, label="loss fn changes opt.lr", loss=sched_loss, epochs=4, batch_size=4)

# 3. momentum turned on mid training via loss fn
def mk_opt2(m):
    o = optim.SGD(m.parameters(), lr=0.3); state['o'] = o; state['n'] = 0; return o
def mom_loss(p, t):
    state['n'] += 1
    if state['n'] == 10: state['o'].momentum = 0.9
    return losses.mse(p, t)
run(mlp, X, Y, make_opt=mk_opt2, label="loss fn turns on momentum", loss=mom_loss, epochs=4, batch_size=4)

# 4. Callable loss object with a counter used in the math
class CountingLoss:
    def __init__(self): self.n = 0
    def __call__(self, p, t):
        self.n += 1
        return losses.mse(p, t) * (1.0 / (1 + self.n * 0.01))
run(mlp, X, Y, label="counting loss object", loss=CountingLoss(), epochs=3, batch_size=4)
# shared object across both runs would be unfair: make fresh per run
import _both
def run_fresh_loss(make_loss, label, **kw):
    outs=[]
    for c in (True, False):
        L = make_loss()
        import io, contextlib
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            m = mlp(); h = ko.train.fit(m, X, Y, loss=L, progress=False, compile=c, seed=0, **kw)
        outs.append((h, [p.data for p in m.parameters()], err.getvalue().strip(), getattr(L,'n',None)))
    print(f"[{label}] same={repr(outs[0][:2])==repr(outs[1][:2])} notice={outs[0][2]!r} n: {outs[0][3]} vs {outs[1][3]}")
    if repr(outs[0][:2])!=repr(outs[1][:2]):
        print("  loss c", outs[0][0]['loss'][-2:]); print("  loss i", outs[1][0]['loss'][-2:])
run_fresh_loss(CountingLoss, "counting loss object (fresh)", epochs=3, batch_size=4)

class SwitchLoss:
    """mse for the first 30 calls, then abs error."""
    def __init__(self): self.n = 0
    def __call__(self, p, t):
        self.n += 1
        return losses.mse(p, t) if self.n <= 30 else (p - t).abs()
run_fresh_loss(SwitchLoss, "loss switches after 30 calls", epochs=4, batch_size=4)

# 5. user loss with python branch on t
def br_loss(p, t):
    if t > 0.5: return (1 - p).relu()
    return (p).relu()
run(mlp, X, Y, label="user loss branches on t", loss=br_loss, epochs=4, batch_size=5)

# 6. Adam with weight decay changed
run(mlp, X, Y, make_opt=lambda m: optim.Adam(m.parameters(), lr=0.05), label="Adam", loss="bce_with_logits", epochs=4, batch_size=5)
