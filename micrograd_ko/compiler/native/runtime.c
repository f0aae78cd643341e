/* The C side's own helpers (runtime.h declares them): reading and writing `.data` and `.grad`, CPython's fsum,
   the checks, the rules of the built-in losses. Built once, optimized (-O2; no multiply and add contracted into
   one rounding either), into the object file every translated module is linked with (build.py); the one long
   function of a module, the program itself, is built with -O0, which is quick to build. */

PyObject *s_data, *s_grad;

/* The correctly rounded sum by a shorter road, where it is sure to be that sum; 0 where it is not sure (then
   mk_fsum takes Shewchuk's partials). A dot product's fsum is most of a translated step's time, and most sums
   are far from a rounding boundary.

   Each addition t = s + x is followed by its exact error e (Knuth's TwoSum: t + e == s + x exactly, with no
   overflow), so the exact sum is S = s + (e_1 + ... + e_n). The errors are summed plainly into c, which is off
   from their exact sum by at most gamma(n-1) * sum |e_i| (Higham, recursive summation; true with gradual
   underflow, as every addition's is), and their magnitudes into a, which is at least (1 - gamma(n-1)) times
   the exact sum |e_i|: so |S - (s + c)| <= delta = 2 n u a (u = 2^-53, n <= 2^20; computed with room for its
   own rounding, a >= 2^-960 so that it does not underflow). r = s + c is rounded, with its exact error f
   (TwoSum again, -down/2 <= f <= up/2, the gaps from r to its neighbours): S - r = f + (at most delta). Where
   f + delta < up/2 and f - delta > -down/2 (asked with room for the subtractions' rounding), S is strictly
   within r's rounding interval, no tie: r is the correctly rounded S, which is what fsum returns. Terms of
   magnitude 2^996 or more, a sum whose rounding is zero or tiny (its sign of zero, the subnormals), and longer
   sums are left to the partials; so is every term that is not finite. */
static int mk_fsum_near(const double *terms, Py_ssize_t count, double *sum)
{
    if (count > ((Py_ssize_t)1 << 20))
        return 0;
    double s = 0.0, c = 0.0, a = 0.0;
    for (Py_ssize_t k = 0; k < count; k++) {
        double x = terms[k];
        if (!(fabs(x) < 0x1p996))
            return 0;
        double t = s + x, z = t - s;
        double e = (s - (t - z)) + (x - z);
        s = t;
        c += e;
        a += fabs(e);
    }
    double r = s + c, z = r - s;
    double f = (s - (r - z)) + (c - z);
    if (!(fabs(r) >= 0x1p-900) || !(a == 0.0 || a >= 0x1p-960))
        return 0;
    double delta = a * ((double)count * 0x1p-52);
    double up = nextafter(r, INFINITY) - r, down = r - nextafter(r, -INFINITY);
    if (!(2.0 * delta < up * 0.5 - f && 2.0 * delta < down * 0.5 + f))
        return 0;
    *sum = r;
    return 1;
}

/* CPython's math.fsum for finite terms (Shewchuk's partials, then the half-even correction);
   nan where CPython would raise or the sum is not finite (the caller hands over). */
double mk_fsum(const double *terms, Py_ssize_t count)
{
    double near;
    if (mk_fsum_near(terms, count, &near))
        return near;
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
double mk_maxabs(const double *terms, Py_ssize_t count)
{
    double m = fabs(terms[0]);
    for (Py_ssize_t k = 1; k < count; k++) {
        double a = fabs(terms[k]);
        if (a > m) m = a;
    }
    return m;
}

/* A float's number, or 0 if `o` is no float (an int, a numpy number: the Python code decides). */
int mk_float(PyObject *o, double *out)
{
    if (o == NULL || !PyFloat_CheckExact(o)) return 0;
    *out = PyFloat_AS_DOUBLE(o);
    return 1;
}

/* An error raised by a read or a call the C code made: cleared if it is an Exception (the Python code, which
   the call is then handed to, makes the same read or call and raises it itself); kept if it is not (a
   KeyboardInterrupt: the Python code would not catch it, and run again it would not meet it again). An error
   still set where the code hands over is raised instead (see `unsure:`). */
void mk_clear(void)
{
    if (PyErr_ExceptionMatches(PyExc_Exception)) PyErr_Clear();
}

/* P[k] as Python's `P[k]` finds it now; NULL, with Python's IndexError, past the end. (Code the C function
   runs, a finalizer of an old `.grad` it replaces or a property it reads, may have changed the list.) */
static PyObject *mk_item(PyObject *P, Py_ssize_t k)
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
void mk_slots(PyObject *P, Py_ssize_t n, mk_layout *layout)
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
static PyObject **mk_slot(PyObject *p, const mk_layout *layout, PyObject *name)
{
    Py_ssize_t offset = name == s_data ? layout->data : layout->grad;
    if (offset < 0 || Py_TYPE(p) != layout->type || layout->type->tp_version_tag != layout->version) return NULL;
    return (PyObject **)((char *)p + offset);
}

/* p.<name> as a float into *out, or 0 (an error, a number that is no float). */
static int mk_read(PyObject *p, const mk_layout *layout, PyObject *name, double *out)
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
int mk_data(PyObject *P, Py_ssize_t n, double *out, const mk_layout *layout)
{
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *p = mk_item(P, k);
        if (p == NULL) { mk_clear(); return 0; }
        if (!mk_read(p, layout, s_data, &out[k])) return 0;
    }
    return 1;
}

/* P[k].grad as a float, or 0. */
int mk_grad(PyObject *P, Py_ssize_t k, double *out, const mk_layout *layout)
{
    PyObject *p = mk_item(P, k);
    if (p == NULL) { mk_clear(); return 0; }
    return mk_read(p, layout, s_grad, out);
}

/* P[k].<name> = value; -1 with the error set if that raises (as Python's `P[k].<name> = value` would). */
int mk_set(PyObject *P, Py_ssize_t k, PyObject *name, const mk_layout *layout, double value)
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
int mk_grads(PyObject *P, const Py_ssize_t *index, Py_ssize_t count, double *out, const mk_layout *layout)
{
    for (Py_ssize_t j = 0; j < count; j++)
        if (!mk_grad(P, index[j], &out[index[j]], layout)) return 0;
    return 1;
}

/* P[index[j]].<name> = values[j], for j in order; -1 with the error set at the first write that raises. */
int mk_set_many(PyObject *P, const Py_ssize_t *index, Py_ssize_t count, PyObject *name,
                const mk_layout *layout, const double *values)
{
    for (Py_ssize_t j = 0; j < count; j++)
        if (mk_set(P, index[j], name, layout, values[j]) < 0) return -1;
    return 0;
}

/* The rules of the built-in losses (losses.py), the same float operations in the same order: a loss node's
   number into *out and its local derivatives into slopes[0..m-1], from its m parents' numbers; 0 where the
   Python rule would raise or give a number that is not finite (the Python code then decides). */

/* Python's max(xs): the first item, replaced by every later one greater. */
static double mk_max(const double *xs, Py_ssize_t n)
{
    double m = xs[0];
    for (Py_ssize_t j = 1; j < n; j++)
        if (xs[j] > m) m = xs[j];
    return m;
}

/* math.log1p(x) for x > -1 (CPython keeps the sign of a zero itself). */
static double mk_log1p(double x)
{
    return x == 0.0 ? x : log1p(x);
}

/* losses._mean(terms, square): the terms scaled by a power of two, summed (fsum), scaled back. */
static int mk_mean(double *terms, Py_ssize_t n, int square, double *out)
{
    double biggest = fabs(terms[0]);
    for (Py_ssize_t j = 1; j < n; j++)
        if (fabs(terms[j]) > biggest) biggest = fabs(terms[j]);
    if (!isfinite(biggest)) return 0;
    if (biggest == 0.0) { *out = 0.0; return 1; }
    int exponent;
    frexp(biggest, &exponent);
    for (Py_ssize_t j = 0; j < n; j++) {
        terms[j] = ldexp(terms[j], -exponent);
        if (square) terms[j] = terms[j] * terms[j];
    }
    if (square) exponent *= 2;
    double total = mk_fsum(terms, n);
    if (isnan(total)) return 0;
    *out = ldexp(total / (double)n, exponent);
    return isfinite(*out);
}

/* MSE: mean of (p_i - t_i)^2; slopes 2 (p_i - t_i) / n and their negatives. */
int mk_mse(const double *in, Py_ssize_t m, double *out, double *slopes, double *scratch)
{
    Py_ssize_t n = m / 2;
    if (n < 1 || m != 2 * n) return 0;
    for (Py_ssize_t i = 0; i < n; i++) scratch[i] = in[i] - in[n + i];
    if (!mk_mean(scratch, n, 1, out)) return 0;
    double two_over_n = 2.0 / (double)n;
    for (Py_ssize_t i = 0; i < n; i++) {
        double d = (in[i] - in[n + i]) * two_over_n;
        slopes[i] = d;
        slopes[n + i] = -d;
    }
    return 1;
}

/* BCE: mean of (t - 1) log(1 - p) - t log p, each log at least log_min; slopes (p - t) / max(p (1 - p), eps) / n. */
int mk_bce(const double *in, Py_ssize_t m, double *out, double *slopes, double *scratch,
           double log_min, double eps)
{
    Py_ssize_t n = m / 2;
    if (n < 1 || m != 2 * n) return 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        double p = in[i], t = in[n + i];
        if (!(0.0 <= t && t <= 1.0 && 0.0 <= p && p <= 1.0)) return 0; /* (the rule's ValueError) */
        double log_p = log_min, log_q = log_min;
        if (p > 0.0) { double l = log(p); log_p = log_min > l ? log_min : l; }
        if (p < 1.0) { double l = mk_log1p(-p); log_q = log_min > l ? log_min : l; }
        scratch[i] = (t - 1.0) * log_q - t * log_p;
    }
    if (!mk_mean(scratch, n, 0, out)) return 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        double p = in[i], t = in[n + i];
        double q = p * (1.0 - p);
        slopes[i] = (p - t) / (q > eps ? q : eps) / (double)n;
        slopes[n + i] = 0.0;
    }
    for (Py_ssize_t j = 0; j < m; j++)
        if (!isfinite(slopes[j])) return 0;
    return 1;
}

/* losses._exp_of_difference: e^(x - shift) with the rounding of the subtraction undone. */
static double mk_exp_of_difference(double x, double shift, double underflow)
{
    double d = x - shift;
    if (d < underflow) return 0.0;
    double back = d + shift;
    double error = (x - back) - (shift - (back - d));
    double e = exp(d);
    return e + e * error;
}

/* Cross-entropy of logits in[0..n-1] and the class index in[n]: (max - x_k) + log1p(the other e^(x - max));
   slopes softmax(x)_j, and minus the sum of the others at k, then 0 for the index. */
int mk_cross_entropy(const double *in, Py_ssize_t m, double *out, double *slopes, double *scratch,
                     double underflow)
{
    Py_ssize_t n = m - 1;
    if (n < 1) return 0;
    for (Py_ssize_t j = 0; j < m; j++)
        if (!isfinite(in[j])) return 0;
    double index = in[n];
    if (!(index >= 0.0 && index < (double)n && index == floor(index))) return 0; /* (the rule's ValueError) */
    Py_ssize_t k = (Py_ssize_t)index;
    double shift = mk_max(in, n);
    double gap = shift - in[k];
    if (!isfinite(gap)) return 0;
    Py_ssize_t top = k;
    if (gap != 0.0)
        for (top = 0; in[top] != shift; top++) {}
    Py_ssize_t count = 0;
    for (Py_ssize_t j = 0; j < n; j++)
        if (j != top) scratch[count++] = mk_exp_of_difference(in[j], shift, underflow);
    double rest = count ? mk_fsum(scratch, count) : 0.0;
    if (isnan(rest)) return 0;
    *out = gap + mk_log1p(rest);
    if (!isfinite(*out)) return 0;
    /* softmax_of: e^(x - max) (0 below the underflow), their sum left to right, each divided by it */
    double total = 0.0;
    for (Py_ssize_t j = 0; j < n; j++) {
        double d = in[j] - shift;
        slopes[j] = d < underflow ? 0.0 : exp(in[j] - shift);
        total = j == 0 ? slopes[0] : total + slopes[j];
    }
    for (Py_ssize_t j = 0; j < n; j++) slopes[j] = slopes[j] / total;
    if (n == 1) {
        slopes[0] = 0.0;
    } else {
        count = 0;
        for (Py_ssize_t j = 0; j < n; j++)
            if (j != k) scratch[count++] = slopes[j];
        double others = mk_fsum(scratch, count);
        if (isnan(others)) return 0;
        slopes[k] = -others;
    }
    slopes[n] = 0.0;
    for (Py_ssize_t j = 0; j < m; j++)
        if (!isfinite(slopes[j])) return 0;
    return 1;
}

/* A new tuple (tuple 1) or list (tuple 0) of the n new references given (stolen); NULL if any of them is NULL
   (a memory error). */
PyObject *mk_new(int tuple, Py_ssize_t n, ...)
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

int mk_append(PyObject *list, PyObject *item)
{
    if (item == NULL) return -1;
    int r = PyList_Append(list, item);
    Py_DECREF(item);
    return r;
}

/* The slopes a replay returned (a list or tuple of floats) into `out`. */
int mk_floats(PyObject *o, double *out, Py_ssize_t n)
{
    if (!(PyList_CheckExact(o) || PyTuple_CheckExact(o)) || PySequence_Fast_GET_SIZE(o) != n) return 0;
    PyObject **items = PySequence_Fast_ITEMS(o);
    for (Py_ssize_t k = 0; k < n; k++) if (!mk_float(items[k], &out[k])) return 0;
    return 1;
}

/* f(*args) (args a new tuple, stolen); NULL where it raised (the caller hands over; see mk_clear). */
PyObject *mk_call(PyObject *f, PyObject *args)
{
    if (args == NULL) { mk_clear(); return NULL; }
    PyObject *r = PyObject_Call(f, args, NULL);
    Py_DECREF(args);
    if (r == NULL) mk_clear();
    return r;
}

int mk_call_float(PyObject *r, double *out)
{
    int ok = mk_float(r, out);
    Py_XDECREF(r);
    return ok;
}

int mk_call_none(PyObject *r, double *unused, Py_ssize_t n)
{
    (void)unused; (void)n;
    Py_XDECREF(r);
    return r != NULL;
}

int mk_call_floats(PyObject *r, double *out, Py_ssize_t n)
{
    int ok = r != NULL && mk_floats(r, out, n);
    Py_XDECREF(r);
    return ok;
}

/* A check the Python code passes for sure: every number finite and below 1e300 in size. */
int mk_small(const double *v, Py_ssize_t n)
{
    for (Py_ssize_t k = 0; k < n; k++) if (!(fabs(v[k]) < 1e300)) return 0;
    return 1;
}

/* 1: the check passes for sure; 0: it fails for sure (a number not finite); 2: not sure (a huge number). */
int mk_finite(const double *v, Py_ssize_t n)
{
    int answer = 1;
    for (Py_ssize_t k = 0; k < n; k++) {
        if (!isfinite(v[k])) return 0;
        if (!(fabs(v[k]) < 1e300)) answer = 2;
    }
    return answer;
}

/* optim.SGD's step with momentum and no weight decay, over the parameters P: v = momentum * v + p.grad, then
   p.data = p.data - lr * v, for every p at once; returns the new velocity list (the optimizer keeps it). The same
   float operations in the same order as SGD._compute's, called by fit (`sgd_momentum(P, velocity, lr, momentum)`)
   in place of the optimizer's list comprehensions. NotImplemented, having read nothing through Python code and
   written nothing, wherever Python's step could do anything else: parameters whose `data` and `grad` are not
   plain slots (a property runs code), a number that is no float (the first step's velocity None), a gradient or
   a new number that is not finite (the optimizer raises, naming the parameter). */
PyObject *mk_sgd_momentum(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    double lr, momentum;
    if (nargs != 4 || !PyList_CheckExact(args[0]) || !PyList_CheckExact(args[1]) || !mk_float(args[2], &lr) ||
        !mk_float(args[3], &momentum))
        Py_RETURN_NOTIMPLEMENTED;
    PyObject *P = args[0], *V = args[1];
    Py_ssize_t n = PyList_GET_SIZE(P);
    mk_layout layout;
    mk_slots(P, n, &layout);
    if (n == 0 || PyList_GET_SIZE(V) != n || layout.data < 0) Py_RETURN_NOTIMPLEMENTED;
    double *numbers = PyMem_Malloc(2 * n * sizeof(double));
    if (numbers == NULL) return PyErr_NoMemory();
    double *velocity = numbers, *updated = numbers + n;
    PyObject *result = NULL;
    for (Py_ssize_t k = 0; k < n; k++) { /* the gradients, as the optimizer reads them first */
        PyObject **grad = mk_slot(PyList_GET_ITEM(P, k), &layout, s_grad);
        if (grad == NULL || !mk_float(*grad, &updated[k]) || !isfinite(updated[k])) goto done;
    }
    for (Py_ssize_t k = 0; k < n; k++) { /* v = momentum * v + g */
        if (!mk_float(PyList_GET_ITEM(V, k), &velocity[k])) goto done;
        velocity[k] = momentum * velocity[k] + updated[k];
        if (!isfinite(velocity[k])) goto done;
    }
    for (Py_ssize_t k = 0; k < n; k++) { /* p - lr * v */
        PyObject **data = mk_slot(PyList_GET_ITEM(P, k), &layout, s_data);
        if (data == NULL || !mk_float(*data, &updated[k])) goto done;
        updated[k] = updated[k] - lr * velocity[k];
        if (!isfinite(updated[k])) goto done;
    }
    result = PyList_New(n);
    for (Py_ssize_t k = 0; result != NULL && k < n; k++) {
        PyObject *v = PyFloat_FromDouble(velocity[k]);
        if (v == NULL) Py_CLEAR(result); else PyList_SET_ITEM(result, k, v);
    }
    for (Py_ssize_t k = 0; result != NULL && k < n; k++) /* every new number written, in order */
        if (mk_set(P, k, s_data, &layout, updated[k]) < 0) Py_CLEAR(result);
    PyMem_Free(numbers);
    return result;
done:
    PyMem_Free(numbers);
    Py_RETURN_NOTIMPLEMENTED;
}
