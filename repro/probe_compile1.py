import math, copy
import micrograd_ko as ko
from micrograd_ko import Value, losses
from _cmp import check
w = Value(0.7); v = Value(-1.3)
P = [w, v]
edge = [0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 1e308, -1e308, 5e-324, -5e-324, 1e-320, 1e200, 3, -2, 0]

check("max builtin", lambda x, y: max(x * w, y * v), (1.0, 1.0), [(a, c) for a in edge[:8] for c in (0.0, -0.0, 1.0, -3.0)], P)
check("min with float 0", lambda x: min(x * w, 0.0) * v + x, (1.0,), [(a,) for a in edge], P)
check("abs", lambda x: abs(x * w - v), (1.0,), [(a,) for a in edge], P)
check("relu", lambda x: (x * w).relu() * v, (1.0,), [(a,) for a in edge], P)
check("pow int exp neg base", lambda x: (x * w + v) ** 3, (1.0,), [(a,) for a in edge], P)
check("pow -1", lambda x: (x * w + v) ** -1, (1.0,), [(a,) for a in edge], P)
check("pow -2", lambda x: (x * w) ** -2, (1.0,), [(a,) for a in edge], P)
check("pow 0.5", lambda x: (x * w) ** 0.5, (1.0,), [(a,) for a in edge], P)
check("pow 0", lambda x: (x * w) ** 0, (1.0,), [(a,) for a in edge], P)
check("pow Value exp", lambda x, n: (x * w) ** n, (1.0, 2.0), [(a, n) for a in edge[:6] for n in (2, 0.5, -1, 0)], P)
check("rpow", lambda x: 2 ** (x * w), (1.0,), [(a,) for a in edge], P)
check("div", lambda x: w / x + v / (x + 1), (2.0,), [(a,) for a in edge], P)
check("sqrt", lambda x: (x * w).sqrt(), (2.0,), [(a,) for a in edge], P)
check("log", lambda x: (x * w).log() * v, (2.0,), [(a,) for a in edge], P)
check("exp", lambda x: (x * w).exp() * v, (2.0,), [(a,) for a in edge + [710.0, 709.0, -800.0]], P)
check("tanh sigmoid", lambda x: (x * w).tanh() + (x * v).sigmoid(), (2.0,), [(a,) for a in edge + [20.0, -40.0, 0.3]], P)
check("leaky/elu/gelu/silu/softplus", lambda x: (x*w).leaky_relu(0.1) + (x*v).elu() + (x*w).gelu() + (x*v).silu() + (x*w).softplus(), (2.0,), [(a,) for a in edge], P)
check("sum dot", lambda x, y: ko.sum([x * w, y * v, x]) + ko.dot([w, v], [x, y]), (1.0, 2.0), [(a, c) for a in edge[:8] for c in (0.0, -0.0, 1e308)], P)
check("softmax", lambda x, y: ko.softmax([x * w, y * v, w])[0] * v, (1.0, 2.0), [(a, c) for a in edge[:8] for c in (0.0, -0.0, 1e308, -1e308)], P)
check("int input", lambda x: x * w, (1,), [(3,), (10**17 + 1,), (2**63,), (10**400,), (True,), (1.5,)], P)
check("ce int target", lambda a, b2, k: losses.cross_entropy([a * w, b2 * v], k), (1.0, 2.0, 0), [(1.0, 2.0, 1), (1.0, 2.0, 1.0), (1.0, 2.0, 2), (1.0, 2.0, 0.5), (1.0, 2.0, -1), (3.0, -1.0, -0.0)], P)
check("bce target", lambda z, t: losses.bce_with_logits(z * w, t), (1.0, 1.0), [(1.0, 0.0), (1.0, 0.5), (1.0, 1.5), (1.0, -0.0), (1e308, 1.0), (-1e308, 0.0)], P)
check("mse list", lambda a, t: losses.mse([a[0]*w, a[1]*v], t), ([1.0, 2.0], [0.0, 1.0]), [([1.0, 2.0], [1e308, -1e308]), ([1e154, 1e154], [0, 0]), ([-0.0, 0.0], [0.0, -0.0])], P)
check("hinge", lambda z, t: losses.hinge(z * w, t), (1.0, 1.0), [(1.0, -1.0), (1.0, 0.0), (1.0, 2.0), (2.0, 1.0), (-0.0, 1.0)], P)
