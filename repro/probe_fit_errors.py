import math
from micrograd_ko import nn, optim, losses, Value
from _both import run
X = [[(i % 4) / 2 - 0.7, (i % 3) / 2 - 0.4] for i in range(13)]
Y = [1.0 if a * b > 0 else 0.0 for a, b in X]
Ycls = [int((a > 0) + (b > 0)) for a, b in X]
mlp = lambda: nn.MLP(2, [4, 1], seed=1)
mlp3 = lambda: nn.MLP(2, [4, 3], seed=1)
def with_(lst, i, v):
    lst = [list(r) if isinstance(r, list) else r for r in lst]; 
    if isinstance(i, tuple): lst[i[0]][i[1]] = v
    else: lst[i] = v
    return lst
for label, Xb, Yb, kw in [
    ("nan in X[9]", with_(X, (9, 0), math.nan), Y, {}),
    ("inf in X[9]", with_(X, (9, 0), math.inf), Y, {}),
    ("str in X[9]", with_(X, (9, 0), "a"), Y, {}),
    ("10**400 in X[9]", with_(X, (9, 0), 10**400), Y, {}),
    ("bool in X[9]", with_(X, (9, 0), True), Y, {}),
    ("short row X[9]", with_(X, 9, [0.1]), Y, {}),
    ("None in y[9]", X, with_(Y, 9, None), {}),
    ("y[9]=2 bce", X, with_(Y, 9, 2.0), {}),
    ("y[9]=nan", X, with_(Y, 9, math.nan), {}),
    ("1e308 X", with_(X, (9, 0), 1e308), Y, {}),
    ("diverge lr", X, Y, dict(make_opt=lambda m: optim.SGD(m.parameters(), lr=1e300))),
]:
    run(mlp, Xb, Yb, label=label, loss="bce_with_logits", epochs=2, batch_size=4, **kw)
for label, Yb in [("ce label 3", with_(Ycls, 9, 3)), ("ce label 1.5", with_(Ycls, 9, 1.5)), ("ce label -1", with_(Ycls, 9, -1)), ("ce label True", with_(Ycls, 9, True)), ("ce label '1'", with_(Ycls, 9, '1'))]:
    run(mlp3, X, Yb, label=label, loss="cross_entropy", epochs=2, batch_size=4)
for label, Yb in [("hinge t=0", with_([2*t-1 for t in Y], 9, 0.0)), ("hinge t=0.5", with_([2*t-1 for t in Y], 9, 0.5))]:
    run(mlp, X, Yb, label=label, loss="hinge", epochs=2, batch_size=4)
run(mlp, X, with_(Y, 9, math.inf), label="mse y inf", loss="mse", epochs=2, batch_size=4)
run(mlp, X, with_(Y, 9, 1e308), label="mse y 1e308", loss="mse", epochs=2, batch_size=4)
run(mlp, X, with_(Y, 9, 10**400), label="mse y 10**400", loss="mse", epochs=2, batch_size=4)
run(mlp, X, with_(Y, 9, [1.0, 2.0]), label="mse y list len2", loss="mse", epochs=2, batch_size=4)
run(mlp, X, Y, label="val nan", loss="mse", epochs=2, batch_size=4, validation_data=(with_(X, (1, 1), math.nan), Y))
run(mlp, X, Y, label="val str y", loss="mse", epochs=2, batch_size=4, validation_data=(X, with_(Y, 2, "x")))
run(mlp, X, Y, label="val 1e308", loss="mse", epochs=2, batch_size=4, validation_data=(with_(X, (1, 1), 1e308), Y))
