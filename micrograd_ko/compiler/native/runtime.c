/* The C side's own code, put before every translated function (see translator.py): reading and writing
   `.data` and `.grad`, CPython's fsum, the checks, and the macros that hand a call over (`goto unsure`). */
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

/* P[index[j]].grad as a float into out[index[j]], for j in order; or 0. */
OPTIMIZED static int mk_grads(PyObject *P, const Py_ssize_t *index, Py_ssize_t count, double *out, const mk_layout *layout)
{
    for (Py_ssize_t j = 0; j < count; j++)
        if (!mk_grad(P, index[j], &out[index[j]], layout)) return 0;
    return 1;
}

/* P[index[j]].<name> = values[j], for j in order; -1 with the error set at the first write that raises. */
OPTIMIZED static int mk_set_many(PyObject *P, const Py_ssize_t *index, Py_ssize_t count, PyObject *name,
                                 const mk_layout *layout, const double *values)
{
    for (Py_ssize_t j = 0; j < count; j++)
        if (mk_set(P, index[j], name, layout, values[j]) < 0) return -1;
    return 0;
}

/* Each takes the names of the numbers it keeps (the translator's temporaries, `mk_k...`: counted with the
   function's other numbers, and kept where they are; a local of the macro's own would be one more stack slot
   per use at -O0, uncounted). */
#define MK_EXP(t, a) ({ t = exp(a); if (!isfinite(t)) goto unsure; t; })
#define MK_LOG(t, a) ({ t = (a); if (!(t > 0.0 && isfinite(t))) goto unsure; log(t); })
#define MK_SQRT(t, a) ({ t = (a); if (!(t >= 0.0 && isfinite(t))) goto unsure; sqrt(t); })
#define MK_TANH(t, a) ({ t = (a); if (!isfinite(t)) goto unsure; tanh(t); })
#define MK_DIV(n, d, a, b) ({ n = (a); d = (b); if (d == 0.0) goto unsure; n / d; })

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
