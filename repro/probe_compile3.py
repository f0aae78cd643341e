import micrograd_ko as ko
from micrograd_ko import Value, losses
from _cmp import check
w = Value(0.7); v = Value(-1.3)
P = [w, v]
E = [(0.0,), (-0.0,), (1.5,), (-2.0,), (1e200,), (1e-200,), (5e-324,), (1e308,)]
check("w*w", lambda x: w * w * x, (1.0,), E, P)
check("dot same w", lambda x: ko.dot([w, w, v], [x, x, w]), (1.0,), E, P)
check("sum same", lambda x: ko.sum([w, w, x * v, x * v]), (1.0,), E, P)
check("h*h", lambda x: (lambda h: h * h + h + h)(x * w + v), (1.0,), E, P)
check("softmax dup", lambda x: (lambda h: ko.softmax([h, h, w])[1] * v)(x * w), (1.0,), E, P)
check("ce dup", lambda x, k: (lambda h: losses.cross_entropy([h, h, v], k))(x * w), (1.0, 0), [(a[0], k) for a in E for k in (0, 1, 2)], P)
check("mse dup", lambda x, t: (lambda h: losses.mse([h, h], [t, t]))(x * w), (1.0, 0.0), [(a[0], t) for a in E for t in (0.0, -0.0, 1e308)], P)
check("bce_logits list", lambda x, t: (lambda h: losses.bce_with_logits([h, h * v], [t, 1.0]))(x * w), (1.0, 0.0), [(a[0], t) for a in E for t in (0.0, 1.0, 0.5)], P)
check("input used as weight", lambda x: ko.dot([x, x], [w, v]) * x, (1.0,), E, P)
check("const reuse", lambda x: (lambda c: c * x + c * w)(Value(3.0)), (1.0,), E, P)
check("param only path and input const", lambda x: w * v + x * 0.0, (1.0,), E, P)
check("output is param-only", lambda x: w * v, (1.0,), E, P)
check("aux pred", lambda x: ((x * w).tanh(), [x * v, w * v]), (1.0,), E, P)
