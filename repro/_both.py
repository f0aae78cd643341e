"""Harness: run fit both ways on fresh models and print the differences."""
import struct, sys, io, contextlib
from micrograd_ko.train import fit

def bits(x):
    return struct.pack("d", x) if isinstance(x, float) else repr(x)

def run(make_model, X, y, make_opt=None, label="", **kw):
    out = []
    for compile_ in (True, False):
        model = make_model()
        opt = make_opt(model) if make_opt else None
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err):
                kw.setdefault("seed", 0); h = fit(model, X, y, optimizer=opt, progress=False, compile=compile_, **kw)
            res = (h, [p.data for p in model.parameters()])
        except Exception as e:
            res = ("ERROR", type(e).__name__, str(e)[:200])
        out.append((res, err.getvalue().strip()))
    (c, cerr), (i, ierr) = out
    same = repr(c) == repr(i)
    print(f"[{label}] same={same}  compiled-notice={cerr!r}")
    if not same:
        if c[0] == "ERROR" or i[0] == "ERROR":
            print("  compiled:   ", c if c[0]=="ERROR" else "ok")
            print("  interpreted:", i if i[0]=="ERROR" else "ok")
        else:
            for k in c[0]:
                if repr(c[0][k]) != repr(i[0][k]):
                    print(f"  {k}: compiled   {c[0][k][-3:]}")
                    print(f"  {k}: interpreted {i[0][k][-3:]}")
            if repr(c[1]) != repr(i[1]):
                print("  weights compiled   ", c[1][:3])
                print("  weights interpreted", i[1][:3])
    return same
