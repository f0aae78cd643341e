"""Stage 4 of compile, optional: the generated Python function once more, as C.

The generated code is a list of float operations, one line per node. Python
spends most of a step's time not on the operations but around them: a new
float object for every result, a bytecode dispatch for every name. The same
lines in C cost a few nanoseconds each. So, where a C compiler and Python's
headers are at hand, a program that is called many times (`fit`'s steps) is
translated, line by line, from its generated Python source to C, built in the
background, and used from then on.

Why the numbers are the same, bit for bit:
- a C `double` is the same IEEE 754 binary64 number as a Python float, and
  `+ - * /` round it the same way (built without `-ffast-math` and with
  `-ffp-contract=off`, so no two operations are fused into one);
- `exp`, `log`, `tanh` and `sqrt` are the C library functions Python's `math`
  module calls itself (called when the program runs, also on a constant: gcc
  does not compute them while building); `fsum` is CPython's algorithm (Shewchuk's partials),
  which rounds the exact sum correctly, so any correct implementation agrees;
- every operation is the generated line's own, in the same order (operands
  are evaluated left to right, as Python does).

Where the C code is not *sure* to give what the Python code gives, it does not
guess: an argument or a parameter's number that is not a plain float, a
number that is not finite or so large that a sum of checks might overflow, a
division by zero, a guard, an error of a rule: it returns `NotImplemented`
before it has written anything the Python function reads (the fused SGD step
may have written gradients, which it never reads: the Python function writes
the same numbers again), and the Python function runs the call (and does what
it does: raises, hands the call to the engine). So the C is never a
third opinion, only a faster way to the Python function's answer.

What is not translated (the Python function is used as it is): any line
outside the forms the generator writes, and any call of a function that is
not micrograd_ko's own (a rule of the learner's may print or draw random
numbers; the C code, which may call it and then hand over, would call it twice).
"""

from __future__ import annotations

import ast
import atexit
import functools
import hashlib
import importlib.machinery
import importlib.util
import math
import os
import platform
import re
import shutil
import struct
import subprocess
import sys
import sysconfig
import tempfile
import threading

# A program's text called this often (all programs of that text together: fit makes one per run, and an
# experiment trains the same network shape once per seed) is built as C. Translating and building cost about
# as much as a thousand or two calls of a large program, and the build runs beside them: a text called fewer
# times than this would rarely pay for it (the output experiment trains each of its networks 2,000 steps).
CALLS_BEFORE_BUILD = 3000
_LARGEST_FRAME = 256 * 1024  # bytes of the C function's locals (an upper bound): what a thread's stack surely holds
_LIMIT = 1e300  # numbers below this in size cannot make a check's sum overflow (fewer than 1e8 of them)
_ENV = "MICROGRAD_KO_NATIVE"  # "0": never build C code; "sync": build at once, in the calling thread (tests)


class _Untranslatable(Exception):
    """A line outside the forms this translator knows: the program stays Python."""


def _hex(x):
    """A C literal for the float x, exact (hexadecimal)."""
    if not math.isfinite(x):
        raise _Untranslatable("non-finite literal")
    return float.hex(float(x))


def _is_int(node):
    return isinstance(node, ast.Constant) and type(node.value) is int


def _pure(obj):
    """Whether `obj` is micrograd_ko's own function (a rule of a library op, a replay of one), safe to call twice."""
    code = getattr(obj, "__code__", None)
    module = getattr(obj, "__module__", None) or ""
    if code is None or not module.startswith("micrograd_ko."):
        return False
    if code.co_freevars:  # a closure (a replay): the rules it holds must be the library's too
        for cell in obj.__closure__ or ():
            value = cell.cell_contents
            if callable(value) and not _pure(value):
                return False
    return True


_PRELUDE = r"""
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdarg.h>
#include <structmember.h>

static PyObject *s_data, *s_grad;

/* The helpers are few and short: built optimized (the one long function, the program itself, is built with
   -O0, which is quick to build); no contraction of a multiply and an add into one rounding there either. */
#define OPTIMIZED __attribute__((optimize("O2", "fp-contract=off")))

/* CPython's math.fsum for finite terms (Shewchuk's partials, then the half-even correction);
   nan where CPython would raise or the sum is not finite (the caller hands over). */
OPTIMIZED static double mk_fsum(const double *terms, Py_ssize_t count)
{
    double partials[64], *p = partials;
    Py_ssize_t n = 0, limit = 64;
    double x, y, t, hi, yr, lo = 0.0;
    int ok = 1;
    for (Py_ssize_t k = 0; k < count; k++) {
        x = terms[k];
        if (!isfinite(x)) { ok = 0; break; }
        Py_ssize_t i = 0;
        for (Py_ssize_t j = 0; j < n; j++) {
            y = p[j];
            if (fabs(x) < fabs(y)) { t = x; x = y; y = t; }
            hi = x + y;
            yr = hi - x;
            lo = y - yr;
            if (lo != 0.0) p[i++] = lo;
            x = hi;
        }
        n = i;
        if (x != 0.0) {
            if (!isfinite(x)) { ok = 0; break; }
            if (n >= limit) {
                double *q = PyMem_Malloc(2 * limit * sizeof(double));
                if (q == NULL) { ok = 0; break; }
                memcpy(q, p, n * sizeof(double));
                if (p != partials) PyMem_Free(p);
                p = q;
                limit *= 2;
            }
            p[n++] = x;
        }
    }
    if (ok) {
        hi = 0.0;
        if (n > 0) {
            hi = p[--n];
            while (n > 0) {
                x = hi;
                y = p[--n];
                hi = x + y;
                yr = hi - x;
                lo = y - yr;
                if (lo != 0.0) break;
            }
            if (n > 0 && ((lo < 0.0 && p[n - 1] < 0.0) || (lo > 0.0 && p[n - 1] > 0.0))) {
                y = lo * 2.0;
                x = hi + y;
                yr = x - hi;
                if (y == yr) hi = x;
            }
        }
    }
    if (p != partials) PyMem_Free(p);
    return ok ? hi : NAN;
}

/* max(map(abs, terms)) as Python's max() finds it: the first item, replaced by every later one greater. */
OPTIMIZED static double mk_maxabs(const double *terms, Py_ssize_t count)
{
    double m = fabs(terms[0]);
    for (Py_ssize_t k = 1; k < count; k++) {
        double a = fabs(terms[k]);
        if (a > m) m = a;
    }
    return m;
}

/* A float's number, or 0 if `o` is no float (an int, a numpy number: the Python code decides). */
OPTIMIZED static int mk_float(PyObject *o, double *out)
{
    if (o == NULL || !PyFloat_CheckExact(o)) return 0;
    *out = PyFloat_AS_DOUBLE(o);
    return 1;
}

/* An error raised by a read or a call the C code made: cleared if it is an Exception (the Python code, which
   the call is then handed to, makes the same read or call and raises it itself); kept if it is not (a
   KeyboardInterrupt: the Python code would not catch it, and run again it would not meet it again). An error
   still set where the code hands over is raised instead (see `unsure:`). */
OPTIMIZED static void mk_clear(void)
{
    if (PyErr_ExceptionMatches(PyExc_Exception)) PyErr_Clear();
}

/* P[k] as Python's `P[k]` finds it now; NULL, with Python's IndexError, past the end. (Code the C function
   runs, a finalizer of an old `.grad` it replaces or a property it reads, may have changed the list.) */
OPTIMIZED static PyObject *mk_item(PyObject *P, Py_ssize_t k)
{
    if (k < PyList_GET_SIZE(P)) return PyList_GET_ITEM(P, k);
    PyErr_SetString(PyExc_IndexError, "list index out of range");
    return NULL;
}

/* Where P's Values keep `data` and `grad`, if Python would read and write them there directly: every
   parameter of one type, with Python's own attribute lookup, and `data` and `grad` plain slots of it
   (member descriptors of objects, not read-only, no audit). Then *slot is what `p.data` reads and
   `p.data = x` writes, and reading it costs a load, not a lookup. Else the offsets are -1 and every
   read and write goes through PyObject_GetAttr / PyObject_SetAttr, as Python's would. */
typedef struct {
    PyTypeObject *type;
    unsigned int version; /* the type's version tag then: any change of the type or its bases changes it */
    Py_ssize_t data, grad;
} mk_layout;

OPTIMIZED static void mk_slots(PyObject *P, Py_ssize_t n, mk_layout *layout)
{
    layout->type = NULL;
    layout->data = layout->grad = -1;
    if (n == 0) return;
    PyTypeObject *type = Py_TYPE(PyList_GET_ITEM(P, 0));
    if (type->tp_getattro != PyObject_GenericGetAttr || type->tp_setattro != PyObject_GenericSetAttr) return;
    for (Py_ssize_t k = 1; k < n; k++) if (Py_TYPE(PyList_GET_ITEM(P, k)) != type) return;
    Py_ssize_t offsets[2];
    PyObject *names[2] = {s_data, s_grad};
    for (int i = 0; i < 2; i++) {
        PyObject *descr = _PyType_Lookup(type, names[i]);
        if (descr == NULL || !Py_IS_TYPE(descr, &PyMemberDescr_Type)) return;
        PyMemberDef *member = ((PyMemberDescrObject *)descr)->d_member;
        if (member->type != 16 /* T_OBJECT_EX */ || member->flags != 0) return;
        offsets[i] = member->offset;
    }
    if (type->tp_version_tag == 0) return; /* (no version to watch the type by) */
    layout->type = type;
    layout->version = type->tp_version_tag;
    layout->data = offsets[0];
    layout->grad = offsets[1];
}

/* The slot `name` of p, if mk_slots found one and p is still of that type, unchanged since (code run in
   between may have given the class a __setattr__ or a property); else NULL: go through the attribute. */
OPTIMIZED static PyObject **mk_slot(PyObject *p, const mk_layout *layout, PyObject *name)
{
    Py_ssize_t offset = name == s_data ? layout->data : layout->grad;
    if (offset < 0 || Py_TYPE(p) != layout->type || layout->type->tp_version_tag != layout->version) return NULL;
    return (PyObject **)((char *)p + offset);
}

/* p.<name> as a float into *out, or 0 (an error, a number that is no float). */
OPTIMIZED static int mk_read(PyObject *p, const mk_layout *layout, PyObject *name, double *out)
{
    PyObject **slot = mk_slot(p, layout, name);
    if (slot != NULL) return mk_float(*slot, out);
    Py_INCREF(p); /* (a property run by the read may drop the list's reference to p) */
    PyObject *o = PyObject_GetAttr(p, name);
    Py_DECREF(p);
    if (o == NULL) { mk_clear(); return 0; }
    int ok = mk_float(o, out);
    Py_DECREF(o);
    return ok;
}

/* P[0..n-1].data as floats into `out`, or 0. */
OPTIMIZED static int mk_data(PyObject *P, Py_ssize_t n, double *out, const mk_layout *layout)
{
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *p = mk_item(P, k);
        if (p == NULL) { mk_clear(); return 0; }
        if (!mk_read(p, layout, s_data, &out[k])) return 0;
    }
    return 1;
}

/* P[k].grad as a float, or 0. */
OPTIMIZED static int mk_grad(PyObject *P, Py_ssize_t k, double *out, const mk_layout *layout)
{
    PyObject *p = mk_item(P, k);
    if (p == NULL) { mk_clear(); return 0; }
    return mk_read(p, layout, s_grad, out);
}

/* P[k].<name> = value; -1 with the error set if that raises (as Python's `P[k].<name> = value` would). */
OPTIMIZED static int mk_set(PyObject *P, Py_ssize_t k, PyObject *name, const mk_layout *layout, double value)
{
    PyObject *p = mk_item(P, k);
    if (p == NULL) return -1;
    PyObject *f = PyFloat_FromDouble(value);
    if (f == NULL) return -1;
    PyObject **slot = mk_slot(p, layout, name);
    if (slot != NULL) {
        PyObject *old = *slot;
        *slot = f;
        Py_XDECREF(old); /* (last: its finalizer, if it runs, finds the new number in place) */
        return 0;
    }
    Py_INCREF(p); /* (the write may drop the list's last reference to p) */
    int r = PyObject_SetAttr(p, name, f);
    Py_DECREF(f);
    Py_DECREF(p);
    return r;
}

#define MK_EXP(a) ({ double mk_v = exp(a); if (!isfinite(mk_v)) goto unsure; mk_v; })
#define MK_LOG(a) ({ double mk_v = (a); if (!(mk_v > 0.0 && isfinite(mk_v))) goto unsure; log(mk_v); })
#define MK_SQRT(a) ({ double mk_v = (a); if (!(mk_v >= 0.0 && isfinite(mk_v))) goto unsure; sqrt(mk_v); })
#define MK_TANH(a) ({ double mk_v = (a); if (!isfinite(mk_v)) goto unsure; tanh(mk_v); })
#define MK_DIV(a, b) ({ double mk_n = (a); double mk_d = (b); if (mk_d == 0.0) goto unsure; mk_n / mk_d; })
"""


class _Translator:
    """The C text of one generated function (a variant), or `_Untranslatable`."""

    def __init__(self, source, namespace):
        self.namespace = namespace
        self.doubles = {}  # C double locals (an ordered set)
        self.arrays = {}  # name -> size: the slopes a replay or a two-input rule returns
        self.objects = []  # namespace names handed to the C function (callables), in order
        self.lines = []
        self.pending = []  # the variables of the check being summed (`_s = _sum(...)`)
        # A call handed over after a write runs the Python function from the start: it must not read what the C
        # code wrote (it would add onto a gradient already added to). What is written so far, what is written
        # before a place that may hand over, and what is read ("data", "grad"):
        self.written, self.written_before_hand_over, self.read = set(), set(), set()
        self.temp = 0
        self.inputs = 0
        self.ordered = True  # the line being translated holds a `:=`: its parts are evaluated in Python's order
        # (the generator writes every statement on a line of its own, a loop's body on the lines below it)
        self.walrus_lines = {n for n, line in enumerate(source.splitlines(), 1) if ":=" in line}
        if "mk_" in source:  # (the C side's own names all start so: the generated code's must not)
            raise _Untranslatable("a name of the C side's")
        self.highest = -1  # the largest k of the P[k] read or written
        self.scratch = 0  # the most numbers a sum or a check writes into the scratch array `_t`
        tree = ast.parse(source)
        (self.function,) = tree.body
        if not isinstance(self.function, ast.FunctionDef):
            raise _Untranslatable("not a function")
        self.params = [a.arg for a in self.function.args.args]
        if self.params[:3] not in (["X", "P", "output_grad"], ["XS", "P", "output_grad"]) or self.params[3:] not in (
            [],
            ["lr"],
        ):
            raise _Untranslatable("signature")
        self.loop = self.params[0] == "XS"

    # -- expressions ------------------------------------------------------------------------------------------
    def fresh(self):
        self.temp += 1
        return f"mk_k{self.temp}"

    def var(self, name):
        if name in ("output_grad", "lr") or name in self.doubles:
            return name
        value = self.namespace.get(name) if name.startswith("_") else None
        if type(value) is float:  # a guard's number: handed in with the call (another program may hold another)
            if name not in self.objects:
                self.objects.append(name)
            return f"mk_K{self.objects.index(name)}"
        raise _Untranslatable(f"name {name}")

    def expr(self, node, beside_float=False):
        """C for a float-valued expression (a double).

        An int constant is taken only `beside_float`: one side of an operation whose other side is a float,
        which Python turns it into, exactly (up to 2**53). Alone it stays an int (`return 2 - 2` returns 0,
        `-0 * x` is +0.0 where C's -0.0 * x is -0.0)."""
        if isinstance(node, ast.Constant):
            if type(node.value) is float or beside_float and type(node.value) is int and abs(node.value) <= 2**53:
                return _hex(float(node.value))
            raise _Untranslatable("constant")
        if isinstance(node, ast.Name):
            return self.var(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return f"(-{self.expr(node.operand)})"
        if isinstance(node, ast.BinOp):
            left = self.expr(node.left, beside_float=not _is_int(node.right))
            right = self.expr(node.right, beside_float=not _is_int(node.left))
            if isinstance(node.op, ast.Div):
                return f"MK_DIV({left}, {right})"
            symbol = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}.get(type(node.op))
            if symbol is None:
                raise _Untranslatable("operator")
            if not self.ordered:  # C may evaluate the two sides in either order: the same, with no `:=` in the line
                return f"({left} {symbol} {right})"
            a, b = self.fresh(), self.fresh()  # left before right, as Python evaluates
            return f"({{ double {a} = {left}; double {b} = {right}; {a} {symbol} {b}; }})"
        if isinstance(node, ast.IfExp):
            return f"(({self.test(node.test)}) ? ({self.expr(node.body)}) : ({self.expr(node.orelse)}))"
        if isinstance(node, ast.NamedExpr):
            self.doubles[node.target.id] = None
            return f"({node.target.id} = {self.expr(node.value)})"
        if isinstance(node, ast.Subscript):
            if not (isinstance(node.value, ast.Name) and node.value.id in self.arrays):
                raise _Untranslatable("subscript")
            index = node.slice
            if not (isinstance(index, ast.Constant) and type(index.value) is int):
                raise _Untranslatable("index")
            if not 0 <= index.value < self.arrays[node.value.id]:
                raise _Untranslatable("index range")
            return f"{node.value.id}[{index.value}]"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return self.call(node)
        if isinstance(node, ast.Attribute) and node.attr == "grad" and self._is_parameter(node.value):
            self.read.add("grad")
            t = self.fresh()
            return f"({{ double {t}; if (!mk_grad(P, {node.value.slice.value}, &{t}, &mk_L)) goto unsure; {t}; }})"
        raise _Untranslatable(type(node).__name__)

    def terms(self, node):
        """C for a literal tuple of floats, and its length."""
        if not isinstance(node, ast.Tuple) or not node.elts:
            raise _Untranslatable("terms")
        if any(isinstance(n, (ast.Call, ast.NamedExpr)) for e in node.elts for n in ast.walk(e)):
            raise _Untranslatable("a call among the terms")  # (it might want the scratch array too)
        return self.scratch_array([self.expr(e) for e in node.elts]), len(node.elts)

    def scratch_array(self, items):
        """C that writes `items` into the one scratch array `_t`, left to right, and is `_t`.

        (One array for every sum and check, not an array each: at -O0 each would keep a stack slot of its
        own for the whole call, hundreds of kilobytes for a large program, more than a thread may have.)
        """
        self.scratch = max(self.scratch, len(items))
        writes = " ".join(f"mk_scratch[{k}] = {item};" for k, item in enumerate(items))
        return f"({{ {writes} mk_scratch; }})"

    def call(self, node):
        name = node.func.id
        args = node.args
        simple = {"_exp": "MK_EXP", "_log": "MK_LOG", "_sqrt": "MK_SQRT", "_tanh": "MK_TANH", "_abs": "fabs"}
        if name in simple and len(args) == 1 and self.namespace.get(name) is _BUILTINS.get(name):
            return f"{simple[name]}({self.expr(args[0])})"
        if name == "_fsum" and len(args) == 1 and self.namespace.get(name) is math.fsum:
            array, n = self.terms(args[0])
            t = self.fresh()
            return f"({{ double {t} = mk_fsum({array}, {n}); if (isnan({t})) goto unsure; {t}; }})"
        if re.fullmatch(r"_(f|df)\d+", name):  # a row's own rule, called: its answer must be a float
            return self.rule_call(node, "mk_call_float")
        if name == "_max" and self.namespace.get("_max") is max and len(args) == 1:
            array, n = self.terms(self._abs_terms(args[0]))
            return f"mk_maxabs({array}, {n})"
        raise _Untranslatable(f"call {name}")

    def rule_call(self, node, getter, size=1, into="NULL"):
        """A call of micrograd_ko's own rule (a row's f, df or check) with floats: C for its answer."""
        function = self.namespace.get(node.func.id)
        if not callable(function) or node.keywords:  # (whether it is micrograd_ko's own: c_function asks)
            raise _Untranslatable(f"call {node.func.id}")
        if node.func.id not in self.objects:
            self.objects.append(node.func.id)
        k = self.objects.index(node.func.id)
        arguments = self.obj(ast.Tuple(elts=list(node.args), ctx=ast.Load()))
        call = f"mk_call(PyTuple_GET_ITEM(K, {k}), {arguments})"
        if getter == "mk_call_float":
            t = self.fresh()
            return f"({{ double {t}; if (!mk_call_float({call}, &{t})) goto unsure; {t}; }})"
        return f"if (!{getter}({call}, {into}, {size})) goto unsure;"

    def _abs_terms(self, node):
        """The tuple of `_map(_abs, (...))`."""
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "_map"
            and self.namespace.get("_map") is map
            and len(node.args) == 2
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id == "_abs"
            and self.namespace.get("_abs") is abs
        ):
            raise _Untranslatable("map")
        return node.args[1]

    def test(self, node):
        """C for a condition (an int)."""
        if isinstance(node, ast.Compare):
            symbols = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
            # (an int constant compared with a float: Python compares the numbers exactly, as C does up to 2**53)
            operands = [self.expr(x, beside_float=True) for x in [node.left, *node.comparators]]
            if len(node.ops) == 1 and type(node.ops[0]) in symbols and not self.ordered:
                return f"({operands[0]} {symbols[type(node.ops[0])]} {operands[1]})"
            names = [self.fresh() for _ in operands]
            # a < b < c: b once, c only if a < b holds (as Python evaluates a chain)
            code = f"double {names[0]} = {operands[0]}; double {names[1]} = {operands[1]}; "
            result = f"({names[0]} {symbols[type(node.ops[0])]} {names[1]})"
            for k in range(1, len(node.ops)):
                if type(node.ops[k]) not in symbols:
                    raise _Untranslatable("comparison")
                code += f"int mk_c{k} = {result}; "
                result = (
                    f"(mk_c{k} && ({{ double {names[k + 1]} = {operands[k + 1]}; "
                    f"{names[k]} {symbols[type(node.ops[k])]} {names[k + 1]}; }}))"
                )
            if type(node.ops[0]) not in symbols:
                raise _Untranslatable("comparison")
            return f"({{ {code}{result}; }})"
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return f"(!{self.test(node.operand)})"
        return f"(({self.expr(node)}) != 0.0)"  # a float's truth

    # -- objects (what a call returns) --------------------------------------------------------------------------
    def obj(self, node):
        """C for a new reference to the Python object of `node` (NULL on a memory error).

        Its numbers are computed first, in Python's order, and only then are objects made: a number that hands
        over (`1.0 / x0` with x0 zero) must not leave the objects made before it behind (one float per call)."""
        numbers = []
        made = self._made(node, numbers)
        if not numbers:
            return made
        return f"({{ {' '.join(f'double {t} = {code};' for t, code in numbers)} {made}; }})"

    def _made(self, node, numbers):
        if isinstance(node, (ast.Tuple, ast.List)):
            items = [self._made(e, numbers) for e in node.elts]
            tuple_ = int(isinstance(node, ast.Tuple))
            return f"mk_new({tuple_}, {len(items)}{''.join(', ' + item for item in items)})"
        if isinstance(node, ast.Constant) and type(node.value) is bool:
            return "Py_NewRef(Py_True)" if node.value else "Py_NewRef(Py_False)"
        t = self.fresh()
        numbers.append((t, self.expr(node)))
        return f"PyFloat_FromDouble({t})"

    # -- statements ---------------------------------------------------------------------------------------------
    def emit(self, line, depth):
        if "goto unsure" in line or "MK_" in line:  # a place that may hand over (the MK_ macros' `goto unsure`)
            self.written_before_hand_over |= self.written
        self.lines.append("    " * depth + line)

    def body(self, statements, depth):
        for statement in statements:
            self.statement(statement, depth)

    def statement(self, node, depth):
        self.ordered = node.lineno in self.walrus_lines
        if not isinstance(node, (ast.For, ast.If)) and node.end_lineno != node.lineno:
            raise _Untranslatable("a statement over several lines")
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            return self.assign(node.targets[0], node.value, depth)
        if isinstance(node, ast.If) and not node.orelse:
            return self.branch(node, depth)
        if isinstance(node, ast.For):
            if not (
                self.loop
                and isinstance(node.target, ast.Name)
                and node.target.id == "X"
                and isinstance(node.iter, ast.Name)
                and node.iter.id == "XS"
                and not node.orelse
            ):
                raise _Untranslatable("loop")
            self.emit("for (Py_ssize_t mk_i = 0; mk_i < PyList_GET_SIZE(XS); mk_i++) {", depth)
            self.emit("PyObject *X = PyList_GET_ITEM(XS, mk_i);", depth + 1)
            self.body(node.body, depth + 1)
            self.emit("}", depth)
            return None
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            call = node.value
            if isinstance(call.func, ast.Name) and re.fullmatch(r"_check\d+", call.func.id):
                self.emit(self.rule_call(call, "mk_call_none"), depth)
                return None
            if (
                isinstance(call.func, ast.Attribute)
                and isinstance(call.func.value, ast.Name)
                and call.func.value.id == "_results"
                and call.func.attr == "append"
                and len(call.args) == 1
            ):
                self.emit(f"if (mk_append(_results, {self.obj(call.args[0])}) < 0) goto error;", depth)
                return None
        if isinstance(node, ast.Return) and node.value is not None:
            if isinstance(node.value, ast.Name) and node.value.id == "_results":
                self.emit("result = Py_NewRef(_results); goto done;", depth)
            else:
                self.emit(f"result = {self.obj(node.value)}; if (result == NULL) goto error; goto done;", depth)
            return None
        raise _Untranslatable(type(node).__name__)

    def assign(self, target, value, depth):
        if isinstance(target, ast.Name):
            name = target.id
            if name == "_results" and isinstance(value, ast.List) and not value.elts:
                self.emit("Py_XDECREF(_results); _results = PyList_New(0); if (_results == NULL) goto error;", depth)
                return
            if name == "_s" and self._is_sum(value):  # a check's sum: its variables are checked at the `if`
                self.pending = [self.expr(e) for e in value.args[0].elts]
                return
            if (
                name == "_s"
                and isinstance(value, ast.BinOp)
                and isinstance(value.left, ast.Name)
                and value.left.id == "_s"
                and self._is_sum(value.right)
            ):
                self.pending += [self.expr(e) for e in value.right.args[0].elts]
                return
            if name == "_gb" and self._is_sum_call(value):  # the leaf bound's sum (checked with a margin)
                array, n = self.terms(self._abs_terms(value.args[0]))
                self.doubles["_gb"] = None
                self.emit(f"_gb = 0.0; for (int mk_j = 0; mk_j < {n}; mk_j++) _gb += fabs({array}[mk_j]);", depth)
                return
            if self._is_data_read(value):  # (all of them come first: read in one pass, into `mk_pd`)
                self.read.add("data")
                self.doubles[name] = None
                self.emit(f"{name} = mk_pd[{value.value.slice.value}];", depth)
                return
            code = self.expr(value)  # (before the name is known: `g = g + ...` reads the old one)
            self.doubles[name] = None
            self.emit(f"{name} = {code};", depth)
            return
        if isinstance(target, ast.Attribute) and self._is_parameter(target.value) and target.attr in ("grad", "data"):
            k = target.value.slice.value
            self.written.add(target.attr)
            self.emit(f"if (mk_set(P, {k}, s_{target.attr}, &mk_L, {self.expr(value)}) < 0) goto error;", depth)
            return
        if isinstance(target, ast.Tuple) and all(isinstance(e, ast.Name) for e in target.elts):
            names = [e.id for e in target.elts]
            if isinstance(value, ast.Name) and value.id == "X":
                return self.unpack_inputs(names, depth)
            if (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Name)
                and re.fullmatch(r"_df\d+", value.func.id)
            ):
                array = self.fresh()
                self.emit(f"{{ double {array}[{len(names)}];", depth)
                self.emit("  " + self.rule_call(value, "mk_call_floats", len(names), array), depth)
                for k, name in enumerate(names):
                    self.doubles[name] = None
                    self.emit(f"  {name} = {array}[{k}];", depth)
                self.emit("}", depth)
                return None
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
                return self.callback(names, value, depth)
        raise _Untranslatable("assignment")

    def unpack_inputs(self, names, depth):
        n = len(names)
        self.emit(
            f"if (!(PyList_CheckExact(X) || PyTuple_CheckExact(X)) || PySequence_Fast_GET_SIZE(X) != {n}) goto unsure;",
            depth,
        )
        self.emit(f"if (!mk_floats(X, mk_xd, {n})) goto unsure;", depth)
        self.inputs = n
        for k, name in enumerate(names):
            self.doubles[name] = None
            self.emit(f"{name} = mk_xd[{k}];", depth)

    def callback(self, names, call, depth):
        """`v, d = _replay([...])`: micrograd_ko's own rule, called with the floats; its slopes kept in an array."""
        function = self.namespace.get(call.func.id)
        if not (call.func.id.startswith("_replay") and callable(function)) or call.keywords or len(call.args) != 1:
            raise _Untranslatable(f"callback {call.func.id}")
        if len(names) != 2 or not isinstance(call.args[0], ast.List):
            raise _Untranslatable("callback form")
        value, slopes = names
        self.objects.append(call.func.id)
        k = len(self.objects) - 1
        size = len(call.args[0].elts)
        self.doubles[value] = None
        self.arrays[slopes] = size
        self.emit("{", depth)
        self.emit(f"  PyObject *mk_a = {self.obj(call.args[0])}; if (mk_a == NULL) goto error;", depth)
        self.emit(f"  PyObject *mk_r = PyObject_CallOneArg(PyTuple_GET_ITEM(K, {k}), mk_a); Py_DECREF(mk_a);", depth)
        self.emit("  if (mk_r == NULL) { mk_clear(); goto unsure; }", depth)
        self.emit(
            f"  int mk_ok = PyTuple_CheckExact(mk_r) && PyTuple_GET_SIZE(mk_r) == 2"
            f" && mk_float(PyTuple_GET_ITEM(mk_r, 0), &{value}) && mk_floats(PyTuple_GET_ITEM(mk_r, 1), {slopes}, {size});",
            depth,
        )
        self.emit("  Py_DECREF(mk_r); if (!mk_ok) goto unsure;", depth)
        self.emit("}", depth)

    def branch(self, node, depth):
        (action,) = node.body
        test = node.test
        if self._is_check(test):  # `if _s - _s or _type(_s) is not _float:` over the pending variables
            names, self.pending = self.pending, []
            if not names:
                raise _Untranslatable("empty check")
            array = self.scratch_array(names)
            if isinstance(action, ast.Raise):
                self.emit(f"if (!mk_small({array}, {len(names)})) goto unsure;", depth)
                return
            if isinstance(action, ast.Return):  # the SGD step's: a new number not finite keeps the old ones
                self.emit(f"switch (mk_finite({array}, {len(names)})) {{", depth)
                self.emit("case 0: {", depth)
                self.statement(action, depth + 1)
                self.emit("}", depth)
                self.emit("case 1: break;", depth)
                self.emit("default: goto unsure;", depth)
                self.emit("}", depth)
                return
        if isinstance(action, ast.Raise):  # a guard, the leaf bound: hand over where it would raise
            if self._is_bound(test):
                self.emit(f"if (!(_gb * _wm <= {_hex(_LIMIT / 10)})) goto unsure;", depth)
                return
            self.emit(f"if ({self.test(test)}) goto unsure;", depth)
            return
        raise _Untranslatable("if")

    # -- the generator's own patterns ---------------------------------------------------------------------------
    def _is_sum(self, node):
        return self._is_sum_call(node) and isinstance(node.args[0], ast.Tuple)

    def _is_sum_call(self, node):
        return (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "_sum"
            and self.namespace.get("_sum") is sum
            and len(node.args) == 1
        )

    def _is_check(self, node):
        return (
            ast.dump(node) == _CHECK_TEST
            and self.namespace.get("_type") is type
            and self.namespace.get("_float") is float
        )

    def _is_bound(self, node):
        return ast.dump(node) == _BOUND_TEST and "_gb" in self.doubles and "_wm" in self.doubles

    def _is_parameter(self, node):
        """Whether `node` is `P[k]` (then k is counted among the parameters the function reads or writes)."""
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id == "P"
            and isinstance(node.slice, ast.Constant)
            and type(node.slice.value) is int
        ):
            self.highest = max(self.highest, node.slice.value)
            return True
        return False

    def _is_data_read(self, node):
        return isinstance(node, ast.Attribute) and node.attr == "data" and self._is_parameter(node.value)

    # -- the whole function -------------------------------------------------------------------------------------
    def c_function(self):
        self.body(self.function.body, 1)
        if not isinstance(self.function.body[-1], ast.Return):  # (falling off the end hands over too)
            self.written_before_hand_over |= self.written
        if self.written_before_hand_over & self.read:
            raise _Untranslatable("a hand-over after a write of what the function reads")
        highest = self.highest
        head = [
            "static PyObject *compiled(PyObject *module, PyObject *const *args, Py_ssize_t nargs)",
            "{",
            f'    if (nargs != {len(self.params) + 1}) {{ PyErr_SetString(PyExc_TypeError, "arguments"); return NULL; }}',
            f"    PyObject *K = args[0], *{self.params[0]} = args[1], *P = args[2];",
            "    PyObject *result = NULL, *_results = NULL;",
            "    double output_grad, lr = 0.0;",
            "    (void)K; (void)lr;",
            "    if (!mk_float(args[3], &output_grad)) goto unsure;",
        ]
        if "lr" in self.params:
            head.append("    if (!mk_float(args[4], &lr)) goto unsure;")
        head.append(f"    if (!PyList_CheckExact(P) || PyList_GET_SIZE(P) <= {highest}) goto unsure;")
        if self.loop:
            head.append("    if (!PyList_CheckExact(XS)) goto unsure;")
        head.append(f"    if (!PyTuple_CheckExact(K) || PyTuple_GET_SIZE(K) != {len(self.objects)}) goto unsure;")
        for k, name in enumerate(self.objects):
            if type(self.namespace.get(name)) is float:
                head.append(f"    double mk_K{k}; if (!mk_float(PyTuple_GET_ITEM(K, {k}), &mk_K{k})) goto unsure;")
        head.append(f"    mk_layout mk_L; mk_slots(P, {highest + 1}, &mk_L);")
        if highest >= 0:
            head.append(f"    double mk_pd[{highest + 1}]; if (!mk_data(P, {highest + 1}, mk_pd, &mk_L)) goto unsure;")
        if self.inputs:
            head.append(f"    double mk_xd[{self.inputs}];")
        declared = [n for n in self.doubles if n not in ("output_grad", "lr")]
        for start in range(0, len(declared), 50):
            head.append(f"    double {', '.join(declared[start : start + 50])};")
        for name, size in self.arrays.items():
            head.append(f"    double {name}[{size}];")
        head.append(f"    double mk_scratch[{max(self.scratch, 1)}];")
        numbers = len(declared) + sum(self.arrays.values()) + self.scratch + 2 * self.temp + highest + 1 + self.inputs
        if 8 * numbers > _LARGEST_FRAME:
            raise _Untranslatable("a frame larger than a thread's stack may hold")
        tail = [
            "    goto unsure;",  # (a function that falls off its end: the Python code decides)
            "done:",
            "    Py_XDECREF(_results);",
            "    return result;",
            "unsure:",
            "    Py_XDECREF(_results);",
            "    if (PyErr_Occurred()) return NULL;  /* (an error mk_clear kept: raised, as by the Python code) */",
            "    Py_RETURN_NOTIMPLEMENTED;",
            "error:",
            "    Py_XDECREF(_results);",
            "    return NULL;",
            "}",
        ]
        return "\n".join(head + self.lines + tail) + "\n"


_BUILTINS = {"_exp": math.exp, "_log": math.log, "_sqrt": math.sqrt, "_tanh": math.tanh, "_abs": abs}
_CHECK_TEST = ast.dump(ast.parse("_s - _s or _type(_s) is not _float", mode="eval").body)
_BOUND_TEST = ast.dump(ast.parse("not _gb * _wm <= 1e300", mode="eval").body)

_HELPERS = r"""
/* A new tuple (tuple 1) or list (tuple 0) of the n new references given (stolen); NULL if any of them is NULL
   (a memory error). */
OPTIMIZED static PyObject *mk_new(int tuple, Py_ssize_t n, ...)
{
    PyObject *made = tuple ? PyTuple_New(n) : PyList_New(n);
    int failed = made == NULL;
    va_list items;
    va_start(items, n);
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *item = va_arg(items, PyObject *);
        if (item == NULL) failed = 1;
        if (failed) { Py_XDECREF(item); continue; }
        if (tuple) PyTuple_SET_ITEM(made, k, item); else PyList_SET_ITEM(made, k, item);
    }
    va_end(items);
    if (failed) { Py_XDECREF(made); return NULL; }
    return made;
}

OPTIMIZED static int mk_append(PyObject *list, PyObject *item)
{
    if (item == NULL) return -1;
    int r = PyList_Append(list, item);
    Py_DECREF(item);
    return r;
}

/* The slopes a replay returned (a list or tuple of floats) into `out`. */
OPTIMIZED static int mk_floats(PyObject *o, double *out, Py_ssize_t n)
{
    if (!(PyList_CheckExact(o) || PyTuple_CheckExact(o)) || PySequence_Fast_GET_SIZE(o) != n) return 0;
    PyObject **items = PySequence_Fast_ITEMS(o);
    for (Py_ssize_t k = 0; k < n; k++) if (!mk_float(items[k], &out[k])) return 0;
    return 1;
}

/* f(*args) (args a new tuple, stolen); NULL where it raised (the caller hands over; see mk_clear). */
OPTIMIZED static PyObject *mk_call(PyObject *f, PyObject *args)
{
    if (args == NULL) { mk_clear(); return NULL; }
    PyObject *r = PyObject_Call(f, args, NULL);
    Py_DECREF(args);
    if (r == NULL) mk_clear();
    return r;
}

OPTIMIZED static int mk_call_float(PyObject *r, double *out)
{
    int ok = mk_float(r, out);
    Py_XDECREF(r);
    return ok;
}

OPTIMIZED static int mk_call_none(PyObject *r, double *unused, Py_ssize_t n)
{
    (void)unused; (void)n;
    Py_XDECREF(r);
    return r != NULL;
}

OPTIMIZED static int mk_call_floats(PyObject *r, double *out, Py_ssize_t n)
{
    int ok = r != NULL && mk_floats(r, out, n);
    Py_XDECREF(r);
    return ok;
}

/* A check the Python code passes for sure: every number finite and below 1e300 in size. */
OPTIMIZED static int mk_small(const double *v, Py_ssize_t n)
{
    for (Py_ssize_t k = 0; k < n; k++) if (!(fabs(v[k]) < 1e300)) return 0;
    return 1;
}

/* 1: the check passes for sure; 0: it fails for sure (a number not finite); 2: not sure (a huge number). */
OPTIMIZED static int mk_finite(const double *v, Py_ssize_t n)
{
    int answer = 1;
    for (Py_ssize_t k = 0; k < n; k++) {
        if (!isfinite(v[k])) return 0;
        if (!(fabs(v[k]) < 1e300)) answer = 2;
    }
    return answer;
}
"""


def _module_text(module_name, function):
    """The whole C file: the prelude, the helpers, the function `compiled`, and the module's table."""
    return (
        _PRELUDE
        + _HELPERS
        + function
        + f"""
static PyMethodDef methods[] = {{
    {{"compiled", (PyCFunction)(void (*)(void))compiled, METH_FASTCALL, NULL}},
    {{NULL, NULL, 0, NULL}}
}};

static struct PyModuleDef definition = {{PyModuleDef_HEAD_INIT, "{module_name}", NULL, -1, methods}};

PyMODINIT_FUNC PyInit_{module_name}(void)
{{
    s_data = PyUnicode_InternFromString("data");
    s_grad = PyUnicode_InternFromString("grad");
    if (s_data == NULL || s_grad == NULL) return NULL;
    return PyModule_Create(&definition);
}}
"""
    )


_translated: dict[str, object] = {}  # source -> translate(source): programs of one shape share their text
_TRANSLATED_KEPT = 64  # (the ones used longest ago are dropped first)
_MISSING = object()


def translate(source, namespace):
    """(C text of the module, module name, names of the namespace objects the function takes) or None."""
    made = _translated.get(source, _MISSING)
    if made is _MISSING:
        made = _translate(source, namespace)
        with _lock:
            _translated[source] = made
            while len(_translated) > _TRANSLATED_KEPT:
                del _translated[next(iter(_translated))]
    return made


_calls: dict[str, int] = {}  # source -> calls so far, while under CALLS_BEFORE_BUILD


def wanted(source):
    """Count a call of a program with this text; whether its C form is wanted now (called often enough, or
    built already)."""
    with _lock:  # (fit in one thread, an experiment in another: the oldest text must be forgotten once)
        calls = _calls.get(source, 0) + 1
        if calls < CALLS_BEFORE_BUILD and not built(source):
            _calls[source] = calls
            if calls == 1 and len(_calls) > _TRANSLATED_KEPT:  # (the texts counted longest ago are forgotten)
                del _calls[next(iter(_calls))]
            return False
        _calls.pop(source, None)
        return True


def built(source):
    """Whether the C code of this source text is built already (then it is used from the first call)."""
    made = _translated.get(source)
    return made is not None and _built.get(made[1]) is not None


def _translate(source, namespace):
    try:
        translator = _Translator(source, namespace)
        function = translator.c_function()
    except (_Untranslatable, ValueError, TypeError, AttributeError, KeyError):
        return None
    module_name = "_mk_native_" + hashlib.sha1(function.encode()).hexdigest()[:20]
    return _module_text(module_name, function), module_name, tuple(translator.objects)


# -- building -------------------------------------------------------------------------------------------------------


def _compiler():
    """The C compiler and Python's include directory, or None (no compiler, no headers, turned off, or a machine
    whose C doubles might be computed otherwise than Python's: only x86-64, with SSE2, and 64-bit ARM)."""
    if os.environ.get(_ENV) == "0" or sys.platform == "win32":
        return None
    if platform.machine().lower() not in ("x86_64", "amd64", "aarch64", "arm64"):
        return None
    return _found_compiler()


@functools.lru_cache(maxsize=1)
def _found_compiler():
    include = sysconfig.get_paths().get("include")
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    cc = shutil.which(cc) or shutil.which("cc") or shutil.which("gcc")
    if cc is None or not include or not os.path.exists(os.path.join(include, "Python.h")):
        return None
    return cc, include


# -O0: a large program's C builds in about a second (-O1 takes ten times as long, for a program that runs
# about 1.5x as fast); -ffp-contract=off: no multiply-add fused into one rounding, as no Python float op is;
# -fno-builtin-exp, -log, -tanh: exp(276.8225237417075) of a constant is computed by the C library when the
# program runs, as Python's math.exp computes it, not by gcc while building (correctly rounded, with MPFR: the
# last bit differs from the C library's for some numbers, e.g. this one, and a quarter of tanh's).
_FLAGS = ["-O0", "-shared", "-fPIC", "-fwrapv", "-fno-strict-aliasing", "-ffp-contract=off", "-fno-fast-math", "-w",
          "-fno-builtin-exp", "-fno-builtin-log", "-fno-builtin-tanh"]  # fmt: skip
_built: dict[str, object] = {}  # module name -> module (None: the build failed)
_building: dict[str, threading.Event] = {}  # module name -> set when its build is done
_lock = threading.Lock()
_directory: list[str] = []  # where this process's builds are written (removed at exit)


def _build(text, module_name):
    """The module built from `text` (once per process and name), or None if the build fails."""
    with _lock:
        if module_name in _built:
            return _built[module_name]
        waiting = _building.get(module_name)
        if waiting is None:
            _building[module_name] = threading.Event()
        if not _directory:
            _directory.append(tempfile.mkdtemp(prefix="micrograd_ko_c_"))
            atexit.register(shutil.rmtree, _directory[0], True)
    if waiting is not None:  # another thread is building it
        waiting.wait()
        return _built.get(module_name)
    module = None
    found = _compiler()
    try:
        if found is not None:
            module = _compile_and_load(found, text, module_name)
    finally:
        with _lock:
            _built[module_name] = module
            _building.pop(module_name).set()
    return module


def _compile_and_load(found, text, module_name):
    cc, include = found
    base = os.path.join(_directory[0], module_name)
    path = base + (sysconfig.get_config_var("EXT_SUFFIX") or ".so")
    with open(base + ".c", "w") as file:
        file.write(text)
    try:
        done = subprocess.run(
            [cc, *_FLAGS, f"-I{include}", base + ".c", "-o", path, "-lm"], capture_output=True, timeout=600, check=False
        )
        if done.returncode != 0:
            return None
        loader = importlib.machinery.ExtensionFileLoader(module_name, path)
        spec = importlib.util.spec_from_file_location(module_name, path, loader=loader)
        if spec is None:
            return None
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
        return module
    except (OSError, subprocess.SubprocessError, ImportError):
        return None


def c_function(python_function, source, namespace):
    """The C form of `python_function` (whose text is `source`), built now; None where there is none (no
    compiler, a line this translator does not know, a rule that is not micrograd_ko's own, a failed build).

    It takes the Python function's arguments and returns its answer: the C
    code's where that is sure, else the Python function's own (`answered`
    counts the calls the C code answered)."""
    if _compiler() is None:
        return None
    translated = translate(source, namespace)
    if translated is None:
        return None
    text, module_name, object_names = translated
    objects = tuple(namespace[name] for name in object_names)
    # Asked of each program, not when the text is translated: programs of one text share the translation, and
    # their rules may differ (erf's math.erf, not micrograd_ko's own, where softplus has _softplus_float).
    if not all(type(o) is float or _pure(o) for o in objects):
        return None
    module = _build(text, module_name)
    if module is None:
        return None
    kernel = module.compiled

    def compiled(*args):
        if compiled.trusted:
            result = kernel(objects, *args)
            if result is NotImplemented:
                return python_function(*args)
            compiled.answered += 1
            return result
        if compiled.disagreed:
            return python_function(*args)
        return first_answer(args)

    def first_answer(args):
        """The first call the C code would answer is run by the Python function as well, from the same state:
        only if the two agree bit for bit (the answer, every parameter's .data and .grad) is the C code used
        from then on; else never. The Python function's answer is the one returned, either way."""
        P = args[1]
        before = parameter_state(P)
        expected = python_function(*args)
        after = parameter_state(P)
        restore_parameters(P, before)
        try:
            result = kernel(objects, *args)
        except Exception:  # noqa: BLE001 - an error where the Python function had an answer: they disagree
            result = _FAILED
        if result is not NotImplemented:  # (not sure this time: asked again on the next call)
            agreed = result is not _FAILED and _same(result, expected) and _same(parameter_state(P), after)
            compiled.trusted, compiled.disagreed = agreed, not agreed
        restore_parameters(P, after)
        return expected

    compiled.answered = 0  # calls the C code answered
    compiled.trusted = compiled.disagreed = False
    return compiled


_FAILED = object()


def parameter_state(P):
    """Each parameter's (.data, .grad), to be put back by `restore_parameters` (fit's fused step does so too)."""
    return [(p.data, p.grad) for p in P]


def restore_parameters(P, state):
    for p, (data, grad) in zip(P, state):
        p.data, p.grad = data, grad


def _same(a, b):
    """Whether a and b are the same answer: floats with the same bits, in lists and tuples of the same shape."""
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return struct.pack("d", a) == struct.pack("d", b)
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(map(_same, a, b))
    return a is b or type(a) is bool and a == b


def faster(python_function, source, namespace, install):
    """`install(c_function(python_function, source, namespace))`, made in a thread of its own (at once where it
    is built already, or with MICROGRAD_KO_NATIVE=sync); nothing where there is no C form."""
    if _compiler() is None:
        return

    def make():
        made = c_function(python_function, source, namespace)
        if made is not None:
            install(made)

    if os.environ.get(_ENV) == "sync" or built(source):
        make()
    else:
        threading.Thread(target=make, name="micrograd_ko C build", daemon=True).start()
