import math, copy
import micrograd_ko as ko
from micrograd_ko import Value, losses
from _cmp import check
w = Value(0.7); v = Value(-1.3)
P = [w, v]
check("copy.copy input", lambda x: copy.copy(x) * w, (1.0,), [(2.0,), (3.0,)], P)
check("copy.deepcopy input", lambda x: copy.deepcopy(x) * w, (1.0,), [(2.0,), (3.0,)], P)
check("copy.copy of node", lambda x: copy.copy(x * v) * w, (1.0,), [(2.0,), (3.0,)], P)
check("deepcopy of node", lambda x: copy.deepcopy(x * v) * w, (1.0,), [(2.0,), (3.0,)], P)
check("copy param", lambda x: copy.copy(w) * x, (1.0,), [(2.0,), (3.0,)], P)
import pickle
check("pickle input", lambda x: pickle.loads(pickle.dumps(x)) * w, (1.0,), [(2.0,), (3.0,)], P)
# == on Values
check("x == 0 branch", lambda x: w if x == 0.0 else x * w, (1.0,), [(0.0,), (2.0,)], P)
# list.index / in
check("in list", lambda x: (x * w) if x in [0.0] else x * v, (1.0,), [(0.0,), (2.0,)], P)
# label / repr
check("repr", lambda x: x * float(repr(x).split('=')[1].split(',')[0]), (1.0,), [(2.0,)], P)
check("format", lambda x: x * w * len(f"{x}"), (1.0,), [(2.0,), (12345.678,)], P)
check("local_grads", lambda x: (x * w) * (x * v).local_grads()[0], (1.0,), [(2.0,), (3.0,)], P)
check("grad() numbers", lambda x: w * ko.grad(x * x, x), (1.0,), [(2.0,)], P)
check("_prev data", lambda x: (x * w) * (x * v)._prev[0].__class__.data.__get__((x*v)._prev[0]), (1.0,), [(2.0,)], P)
