/* What a translated function sees of the C side (see translator.py): this header comes first in every module's
   C text; the helpers themselves (runtime.c) are built once, optimized, into an object file that every module
   is linked with (build.py), so a module's build compiles its own function and nothing else. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdarg.h>
#include <structmember.h>

/* Within the module only: two modules loaded into one process never share or exchange a helper. */
#define MK_HELPER __attribute__((visibility("hidden")))

MK_HELPER extern PyObject *s_data, *s_grad; /* the interned names "data" and "grad", set by the module's init */

/* Where a list of parameters keeps `data` and `grad` (mk_slots). */
typedef struct {
    PyTypeObject *type;
    unsigned int version; /* the type's version tag then: any change of the type or its bases changes it */
    Py_ssize_t data, grad;
} mk_layout;

/* Sums and checks of numbers */
MK_HELPER double mk_fsum(const double *terms, Py_ssize_t count);
MK_HELPER double mk_maxabs(const double *terms, Py_ssize_t count);
MK_HELPER int mk_small(const double *v, Py_ssize_t n);
MK_HELPER int mk_finite(const double *v, Py_ssize_t n);

/* Reading and writing the parameters' `.data` and `.grad` */
MK_HELPER int mk_float(PyObject *o, double *out);
MK_HELPER void mk_clear(void);
MK_HELPER void mk_slots(PyObject *P, Py_ssize_t n, mk_layout *layout);
MK_HELPER int mk_data(PyObject *P, Py_ssize_t n, double *out, const mk_layout *layout);
MK_HELPER int mk_grad(PyObject *P, Py_ssize_t k, double *out, const mk_layout *layout);
MK_HELPER int mk_set(PyObject *P, Py_ssize_t k, PyObject *name, const mk_layout *layout, double value);
MK_HELPER int mk_grads(PyObject *P, const Py_ssize_t *index, Py_ssize_t count, double *out, const mk_layout *layout);
MK_HELPER int mk_set_many(PyObject *P, const Py_ssize_t *index, Py_ssize_t count, PyObject *name,
                          const mk_layout *layout, const double *values);

/* The rules of the built-in losses */
MK_HELPER int mk_mse(const double *in, Py_ssize_t m, double *out, double *slopes, double *scratch);
MK_HELPER int mk_bce(const double *in, Py_ssize_t m, double *out, double *slopes, double *scratch, double log_min,
                     double eps);
MK_HELPER int mk_cross_entropy(const double *in, Py_ssize_t m, double *out, double *slopes, double *scratch,
                               double underflow);

/* Results, and calls of Python (a replay of an op's rule) */
MK_HELPER PyObject *mk_new(int tuple, Py_ssize_t n, ...);
MK_HELPER int mk_append(PyObject *list, PyObject *item);
MK_HELPER int mk_floats(PyObject *o, double *out, Py_ssize_t n);
MK_HELPER PyObject *mk_call(PyObject *f, PyObject *args);
MK_HELPER int mk_call_float(PyObject *r, double *out);
MK_HELPER int mk_call_none(PyObject *r, double *unused, Py_ssize_t n);
MK_HELPER int mk_call_floats(PyObject *r, double *out, Py_ssize_t n);

/* optim.SGD's step with momentum, for fit: a method of every module (`sgd_momentum`) */
MK_HELPER PyObject *mk_sgd_momentum(PyObject *module, PyObject *const *args, Py_ssize_t nargs);

/* The checks a line makes before it computes: each hands the call over (`goto unsure`) where Python would raise.
   Each takes the names of the numbers it keeps (the translator's temporaries, `mk_k...`: counted with the
   function's other numbers, and kept where they are; a local of the macro's own would be one more stack slot
   per use at -O0, uncounted). */
#define MK_EXP(t, a) ({ t = exp(a); if (!isfinite(t)) goto unsure; t; })
#define MK_LOG(t, a) ({ t = (a); if (!(t > 0.0 && isfinite(t))) goto unsure; log(t); })
#define MK_SQRT(t, a) ({ t = (a); if (!(t >= 0.0 && isfinite(t))) goto unsure; sqrt(t); })
#define MK_TANH(t, a) ({ t = (a); if (!isfinite(t)) goto unsure; tanh(t); })
#define MK_DIV(n, d, a, b) ({ n = (a); d = (b); if (d == 0.0) goto unsure; n / d; })
