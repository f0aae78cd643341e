/* RBM.cd1_step's arithmetic in C (rbm.py keeps the readable version, and the one every answer must equal),
   for finite numbers (rbm.py's loop takes the rest).

   The same float operations in the same order, so the same bits: `sum()` as the running Python adds floats
   (one rounding per term up to 3.11, Neumaier's compensated sum from 3.12), the sigmoid of engine.py, `d ** 2`
   as the C library's pow (what Python's float ** calls). Built with -O0 and without gcc's own exp and pow
   (see compiler/native/build.py). The random draws are made in Python and handed in. Anything that is not a
   list of exact floats: NotImplemented, before anything is written (rbm.py then runs its own loop). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>

#define OPTIMIZED __attribute__((optimize("O2", "fp-contract=off")))  /* (the file is built with -O0) */

typedef struct { double hi, lo; } total;  /* sum()'s running sum (and its compensation, from 3.12) */

OPTIMIZED static void add(total *t, double x)
{
#if PY_VERSION_HEX >= 0x030C0000
    double s = t->hi + x;
    if (fabs(t->hi) >= fabs(x)) t->lo += (t->hi - s) + x; else t->lo += (x - s) + t->hi;
    t->hi = s;
#else
    t->hi += x;
#endif
}

OPTIMIZED static double result(total t)
{
#if PY_VERSION_HEX >= 0x030C0000
    if (t.lo != 0.0 && isfinite(t.lo)) return t.hi + t.lo;
#endif
    return t.hi;  /* (no term: sum() is the int 0, and 0 + b is 0.0 + b) */
}

OPTIMIZED static double sigmoid(double x)
{
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

/* The n floats of list `o` into `out`; 0 if it is not a list of n exact, finite floats. (A nan given in
   would have to come out with the sign and payload Python's order of operations gives it; every nan made in
   here from finite numbers is the machine's one default nan, whichever operand comes first.) */
OPTIMIZED static int get_floats(PyObject *o, double *out, Py_ssize_t n)
{
    if (!PyList_CheckExact(o) || PyList_GET_SIZE(o) != n) return 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *item = PyList_GET_ITEM(o, k);
        if (!PyFloat_CheckExact(item)) return 0;
        out[k] = PyFloat_AS_DOUBLE(item);
        if (!isfinite(out[k])) return 0;
    }
    return 1;
}

/* Replace the n items of list `o` by new floats; -1 on a memory error. */
OPTIMIZED static int put_floats(PyObject *o, const double *values, Py_ssize_t n)
{
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *f = PyFloat_FromDouble(values[k]);
        if (f == NULL) return -1;
        PyList_SetItem(o, k, f);
    }
    return 0;
}

/* cd1(W, b_visible, b_hidden, batch, draws, lr): the step's mean squared reconstruction error, with W and the
   biases updated in place; NotImplemented where rbm.py must decide. */
OPTIMIZED static PyObject *cd1(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6) { PyErr_SetString(PyExc_TypeError, "cd1 takes 6 arguments"); return NULL; }
    PyObject *Wl = args[0], *bvl = args[1], *bhl = args[2], *batch = args[3], *drawsl = args[4];
    if (!PyList_CheckExact(Wl) || !PyList_CheckExact(bvl) || !PyList_CheckExact(bhl) || !PyList_CheckExact(batch)
        || !PyList_CheckExact(drawsl) || !PyFloat_CheckExact(args[5]))
        Py_RETURN_NOTIMPLEMENTED;
    Py_ssize_t nh = PyList_GET_SIZE(bhl), nv = PyList_GET_SIZE(bvl), nb = PyList_GET_SIZE(batch);
    double lr = PyFloat_AS_DOUBLE(args[5]);
    if (PyList_GET_SIZE(Wl) != nh || nb == 0 || PyList_GET_SIZE(drawsl) != nb * nh) Py_RETURN_NOTIMPLEMENTED;
    double *memory = PyMem_Malloc(sizeof(double) * (size_t)(2 * nh * nv + nb * nh + 4 * nv + 5 * nh));
    if (memory == NULL) Py_RETURN_NOTIMPLEMENTED;
    double *W = memory, *dW = W + nh * nv, *draws = dW + nh * nv, *v0 = draws + nb * nh, *v1 = v0 + nv;
    double *db_v = v1 + nv, *bv = db_v + nv, *bh = bv + nv, *db_h = bh + nh, *h0 = db_h + nh, *h0s = h0 + nh;
    double *h1 = h0s + nh;
    PyObject *answer = NULL;
    int ok = get_floats(bvl, bv, nv) && get_floats(bhl, bh, nh) && get_floats(drawsl, draws, nb * nh);
    for (Py_ssize_t j = 0; ok && j < nh; j++) ok = get_floats(PyList_GET_ITEM(Wl, j), W + j * nv, nv);
    for (Py_ssize_t s = 0; ok && s < nb; s++) ok = get_floats(PyList_GET_ITEM(batch, s), v0, nv);  /* (checked) */
    if (!ok) { PyMem_Free(memory); Py_RETURN_NOTIMPLEMENTED; }
    for (Py_ssize_t k = 0; k < nh * nv; k++) dW[k] = 0.0;
    for (Py_ssize_t i = 0; i < nv; i++) db_v[i] = 0.0;
    for (Py_ssize_t j = 0; j < nh; j++) db_h[j] = 0.0;
    double error = 0.0;
    for (Py_ssize_t s = 0; s < nb; s++) {
        get_floats(PyList_GET_ITEM(batch, s), v0, nv);
        for (Py_ssize_t j = 0; j < nh; j++) {  /* h0 = sigmoid(W v0 + b_hidden), sampled */
            total t = {0.0, 0.0};
            for (Py_ssize_t i = 0; i < nv; i++) add(&t, W[j * nv + i] * v0[i]);
            h0[j] = sigmoid(result(t) + bh[j]);
            h0s[j] = draws[s * nh + j] < h0[j] ? 1.0 : 0.0;
        }
        for (Py_ssize_t i = 0; i < nv; i++) {  /* v1 = sigmoid(W^T h0_sample + b_visible): the fired units' weights */
            total t = {0.0, 0.0};
            for (Py_ssize_t j = 0; j < nh; j++) if (h0s[j] != 0.0) add(&t, W[j * nv + i]);
            v1[i] = sigmoid(result(t) + bv[i]);
        }
        for (Py_ssize_t j = 0; j < nh; j++) {  /* h1 = sigmoid(W v1 + b_hidden) */
            total t = {0.0, 0.0};
            for (Py_ssize_t i = 0; i < nv; i++) add(&t, W[j * nv + i] * v1[i]);
            h1[j] = sigmoid(result(t) + bh[j]);
        }
        for (Py_ssize_t j = 0; j < nh; j++) {
            double a = h0[j], b = h1[j];
            for (Py_ssize_t i = 0; i < nv; i++) dW[j * nv + i] += a * v0[i] - b * v1[i];
            db_h[j] += a - b;
        }
        for (Py_ssize_t i = 0; i < nv; i++) {
            double d = v0[i] - v1[i];
            db_v[i] += d;
            if (fabs(d) > 1e150) ok = 0;  /* (d ** 2 might overflow, which Python raises: rbm.py decides) */
            error += isnan(d) ? d : pow(fabs(d), 2.0);  /* as Python's float ** does: a nan as it is, -d for d < 0 */
        }
    }
    if (!ok) { PyMem_Free(memory); Py_RETURN_NOTIMPLEMENTED; }
    double scale = lr / (double)nb;
    for (Py_ssize_t j = 0; j < nh; j++) {
        for (Py_ssize_t i = 0; i < nv; i++) W[j * nv + i] += scale * dW[j * nv + i];
        bh[j] += scale * db_h[j];
    }
    for (Py_ssize_t i = 0; i < nv; i++) bv[i] += scale * db_v[i];
    int failed = put_floats(bvl, bv, nv) < 0 || put_floats(bhl, bh, nh) < 0;
    for (Py_ssize_t j = 0; !failed && j < nh; j++) failed = put_floats(PyList_GET_ITEM(Wl, j), W + j * nv, nv) < 0;
    if (!failed) answer = PyFloat_FromDouble(error / (double)(nb * nv));
    PyMem_Free(memory);
    return answer;
}

static PyMethodDef methods[] = {
    {"cd1", (PyCFunction)(void (*)(void))cd1, METH_FASTCALL, NULL},
    {NULL, NULL, 0, NULL}
};

static struct PyModuleDef definition = {PyModuleDef_HEAD_INIT, MODULE_NAME, NULL, -1, methods};

PyMODINIT_FUNC INIT_FUNCTION(void)
{
    return PyModule_Create(&definition);
}
