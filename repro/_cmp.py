"""Harness: compiled call vs interpreted call (fresh Value leaves), value bits, grads bits, error class."""
import struct
import micrograd_ko as ko
from micrograd_ko import Value

def b(x):
    return struct.pack("d", x).hex() if isinstance(x, float) else repr(x)

def leaves(a):
    return [leaves(x) for x in a] if isinstance(a, (list, tuple)) else Value(a)

def interp(fn, args, params):
    held = [p.grad for p in params]
    try:
        out = fn(*[leaves(a) for a in args])
        if isinstance(out, tuple): out = out[0]
        out.backward(); r = out.data
    except Exception as e:
        r = type(e).__name__ + ": " + str(e)[:90]
    g = [p.grad for p in params]
    for p, h in zip(params, held): p.grad = h
    return r, g

def comp(step, args, params):
    held = [p.grad for p in params]
    try:
        r = step(*args)
        if isinstance(r, tuple): r = r[0]
    except Exception as e:
        r = type(e).__name__ + ": " + str(e)[:90]
    g = [p.grad for p in params]
    for p, h in zip(params, held): p.grad = h
    return r, g

def check(label, fn, example, calls, params, **kw):
    try:
        step = ko.compile(fn, *example, **kw)
    except Exception as e:
        print(f"[{label}] compile refused: {type(e).__name__}: {str(e)[:120]}")
        return
    bad = 0
    for args in calls:
        c = comp(step, args, params); i = interp(fn, args, params)
        same_v = (b(c[0]) == b(i[0])) if isinstance(c[0], float) and isinstance(i[0], float) else (str(c[0]).split(':')[0] == str(i[0]).split(':')[0])
        same_g = [b(x) for x in c[1]] == [b(x) for x in i[1]]
        if not (same_v and same_g):
            bad += 1
            print(f"[{label}] args={args!r} DIFFER")
            print(f"    compiled:    {c[0]!r}  grads={c[1]}")
            print(f"    interpreted: {i[0]!r}  grads={i[1]}")
    print(f"[{label}] {len(calls)-bad}/{len(calls)} same, handed_over={step.handed_over}")
    return step
