"""The autodiff engine: a `Value` holds one number and remembers how it was made.

Backpropagation in three ideas:

1. Forward. Every operation creates a new `Value` node and stores, right on
   it, its parents and the *local derivative* of its output with respect to
   each parent (국소적 미분: d out / d parent), computed while the inputs are
   at hand. The local-derivative rule of each operation is written once, in
   an `Op`, right beside its forward formula.
2. Order. `backward()` lists every node reachable from the output so that
   each node comes after all of its parents (a topological order), with an
   explicit stack instead of recursion, so graphs of any depth work.
3. Chain rule (연쇄법칙). Walking that list in reverse, each node passes its
   gradient to its parents: parent.grad += node.grad * local_derivative.
   When a node is reached its gradient is complete, because every node that
   uses it came later in the order and has already been visited.

Design notes (why the code looks the way it does):
- No closures on the nodes. micrograd stores a `_backward` closure per node,
  which makes every node part of a reference cycle, and Python's cyclic
  garbage collector then dominates the run time. Here a node refers only to
  its parents, so memory is freed by reference counting alone.
- One or two parents live in plain slots (`_a`, `_b` with local derivatives
  `_da`, `_db`); an operation with many inputs (`dot`, `sum`, `softmax`)
  keeps a tuple of parents in `_a` and a tuple of local derivatives in `_da`.
  Nodes with one or two parents are by far the most common, so they are
  built by two small helpers (`_unary`, `_binary`) that skip the general
  list-and-tuple bookkeeping of `Value._make`.
- `backward()` keeps the nodes' earlier gradients aside, computes this
  pass's gradients from zero and then adds the two, so that a node that was
  already holding a gradient does not pass it on to its parents again.
- Each `Op` rule works on plain floats (the fast path, used in forward) and
  on `Value`s (used by `grad(..., create_graph=True)` to differentiate the
  derivative itself), so first and higher derivatives come from one rule.
"""

from __future__ import annotations

import math
import numbers
from contextlib import contextmanager
from functools import lru_cache
from itertools import filterfalse
from operator import mul

__all__ = ["Value", "Op", "no_grad", "is_grad_enabled", "softmax", "sum", "dot", "grad"]

_builtin_sum = sum


class MathDomainError(ValueError):
    """An input outside an operation's domain (log(0), sqrt(-1), 0 ** -1, ...)."""


class ZeroDivisionMathError(MathDomainError, ZeroDivisionError):
    """Division by zero: a `ValueError`, and still a `ZeroDivisionError`."""


def _domain_error(op, value, ko, en, kind=MathDomainError):
    return kind(f"{op}({value!r}): {ko} / {en}")


# --------------------------------------------------------------------------
# Recording switch (DeZero's Config.enable_backprop)
# --------------------------------------------------------------------------

_recording = True


@contextmanager
def no_grad():
    """Inside this block operations compute values but record no graph.

    Useful for evaluation: results are plain leaves, nothing is kept for
    backward and nothing costs memory.
    """
    global _recording
    previous, _recording = _recording, False
    try:
        yield
    finally:
        _recording = previous


def is_grad_enabled() -> bool:
    return _recording


# --------------------------------------------------------------------------
# Operations and their local derivatives
# --------------------------------------------------------------------------


class Op(str):
    """The name of an operation, together with its local-derivative rule.

    `Op` is a `str`, so `node._op == 'tanh'` works as in micrograd and the
    name can be drawn in a graph. `op.derivative(inputs, out)` returns
    d out / d input for each input (a sequence as long as `inputs`). It is
    called with floats during the forward pass, and with `Value`s (inputs =
    parent nodes, out = the node itself) when a gradient must itself be
    differentiable, so a rule must only use operations that both support.
    `params` keeps the constants of the op (an exponent, a slope) for display.
    """

    def __new__(cls, name, derivative, **params):
        op = super().__new__(cls, name)
        op.derivative = derivative
        op.params = params
        return op


def _is_value(x):
    return isinstance(x, Value)


# Helpers that let one rule serve floats and Values alike.
def _exp(x):
    return x.exp() if _is_value(x) else math.exp(x)


def _log(x):
    return x.log() if _is_value(x) else math.log(x)


def _sigmoid(x):
    return x.sigmoid() if _is_value(x) else _sigmoid_float(x)


def _erf(x):
    return x.erf() if _is_value(x) else math.erf(x)


def _sigmoid_float(x):
    # Never exponentiate a large positive number: exp(-x) for x >= 0,
    # exp(x) for x < 0. Both branches stay in [0, 1] for any finite x.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _gelu_derivative(inputs, out):
    (x,) = inputs
    cdf = 0.5 * (1.0 + _erf(x * _SQRT1_2))
    pdf = _exp(-0.5 * x * x) * _INV_SQRT_2PI
    return (cdf + x * pdf,)


# Each rule receives (inputs, out) and returns one local derivative per input.
ADD = Op("+", lambda inputs, out: (1.0, 1.0))
MUL = Op("*", lambda inputs, out: (inputs[1], inputs[0]))
SUB = Op("-", lambda inputs, out: (1.0, -1.0))
DIV = Op("/", lambda inputs, out: (1.0 / inputs[1], -out / inputs[1]))
NEG = Op("neg", lambda inputs, out: (-1.0,))
# x ** y with a Value exponent: d/dx = y x^(y-1), d/dy = x^y ln x.
POW = Op("**", lambda inputs, out: (inputs[1] * inputs[0] ** (inputs[1] - 1), out * _log(inputs[0])))
EXP = Op("exp", lambda inputs, out: (out,))
LOG = Op("log", lambda inputs, out: (1.0 / inputs[0],))
SQRT = Op("sqrt", lambda inputs, out: (0.5 / out,))
ABS = Op("abs", lambda inputs, out: (1.0 if inputs[0] > 0 else -1.0 if inputs[0] < 0 else 0.0,))
TANH = Op("tanh", lambda inputs, out: (1.0 - out * out,))
SIGMOID = Op("sigmoid", lambda inputs, out: (out * (1.0 - out),))
# PyTorch's choices at the kinks: relu'(0) = 0, abs'(0) = 0.
RELU = Op("relu", lambda inputs, out: (1.0 if inputs[0] > 0 else 0.0,))
SOFTPLUS = Op("softplus", lambda inputs, out: (_sigmoid(inputs[0]),))


def _silu_derivative(inputs, out):
    # silu(x) = x s(x), so silu'(x) = s + x s (1 - s) = s + out (1 - s).
    s = _sigmoid(inputs[0])
    return (s + out * (1.0 - s),)


SILU = Op("silu", _silu_derivative)
GELU = Op("gelu", _gelu_derivative)
ERF = Op("erf", lambda inputs, out: (_TWO_OVER_SQRT_PI * _exp(-inputs[0] * inputs[0]),))


# Ops with a constant (an exponent, a slope) are made once per constant.
@lru_cache(maxsize=256)
def _power_op(exponent):
    # x ** c with a constant c: d/dx = c x^(c-1), and 0 for c = 0 (as PyTorch,
    # also at x = 0 where x^(c-1) would divide by zero).
    def derivative(inputs, out):
        return (exponent * inputs[0] ** (exponent - 1) if exponent else 0.0,)

    return Op(f"**{exponent}", derivative, exponent=exponent)


@lru_cache(maxsize=256)
def _base_power_op(base):
    # c ** x with a constant c > 0: d/dx = c^x ln c
    log_base = math.log(base)
    return Op(f"{base}**", lambda inputs, out: (out * log_base,), base=base)


@lru_cache(maxsize=256)
def _leaky_relu_op(alpha):
    # PyTorch's choice at the kink: the slope for x <= 0 is alpha.
    return Op("leaky_relu", lambda inputs, out: (1.0 if inputs[0] > 0 else alpha,), alpha=alpha)


@lru_cache(maxsize=256)
def _elu_op(alpha):
    # elu(x) = alpha (e^x - 1) for x <= 0, so elu'(x) = alpha e^x (PyTorch's
    # choice at the kink: elu'(0) = alpha). alpha e^x equals out + alpha, but
    # stays exact where out + alpha would round to 0 (x far below 0).
    return Op("elu", lambda inputs, out: (1.0 if inputs[0] > 0 else alpha * _exp(inputs[0]),), alpha=alpha)


def _dot_derivative(inputs, out):
    # out = sum_i w_i x_i with inputs = (w_1..w_n, x_1..x_n): d/dw_i = x_i, d/dx_i = w_i.
    n = len(inputs) // 2
    return inputs[n:] + inputs[:n]


SUM = Op("sum", lambda inputs, out: (1.0,) * len(inputs))
DOT = Op("dot", _dot_derivative)


@lru_cache(maxsize=1024)
def _softmax_op(index):
    # s_i = e^{x_i} / sum_j e^{x_j}; d s_i / d x_j = s_i (delta_ij - s_j).
    def derivative(inputs, out):
        s = _softmax_of(inputs)
        return tuple(out * ((1.0 if j == index else 0.0) - s[j]) for j in range(len(inputs)))

    return Op("softmax", derivative, index=index)


def _softmax_of(xs):
    """softmax of floats or Values, shifted by the max so exp never overflows."""
    shift = max(x.data if _is_value(x) else x for x in xs)
    exps = [_exp(x - shift) for x in xs]
    total = exps[0]
    for e in exps[1:]:
        total = total + e
    return [e / total for e in exps]


# --------------------------------------------------------------------------
# The node
# --------------------------------------------------------------------------


def _check_number(data, what="Value"):
    if type(data) is float and math.isfinite(data):  # the common case, checked first
        return data
    if isinstance(data, Value):
        raise TypeError(f"{what}: Value 안에 Value를 넣을 수 없습니다 / a Value cannot hold another Value; use it directly")
    if not isinstance(data, numbers.Real):
        raise TypeError(
            f"{what}: 숫자가 필요하지만 받은 값의 자료형은 {type(data).__name__}입니다 / "
            f"expected a real number, got {type(data).__name__}"
        )
    data = float(data)
    if not math.isfinite(data):
        raise ValueError(f"{what}({data}): 유한한 숫자가 필요합니다 / expected a finite number")
    return data


def _as_value(x):
    return x if isinstance(x, Value) else Value(x)


class Value:
    """One number in a computation graph, with its gradient.

    `data`: the number. `grad`: d(output)/d(this), filled by `backward()`.
    `label`: an optional name for drawings. `_op`: the operation that made it
    ('' for a leaf). `_prev`: its parents.
    """

    __slots__ = ("data", "grad", "label", "_op", "_a", "_b", "_da", "_db")

    def __init__(self, data, _children=(), _op="", label=""):
        self.data = _check_number(data)
        self.grad = 0.0
        self.label = label
        self._op = _op
        # micrograd's constructor form: parents without a known local
        # derivative. backward() refuses such nodes with a clear message.
        children = tuple(_children)
        if children:
            self._a, self._da = children, None
        else:
            self._a = self._da = None
        self._b = None
        self._db = 0.0

    # -- building nodes ----------------------------------------------------

    @staticmethod
    def _make(data, op, inputs, locals_=None):
        """A new node made by `op` from the `Value`s `inputs`.

        The local derivatives are computed now, from floats, by the op's
        rule (`locals_` overrides them where the rule cannot be evaluated,
        e.g. an infinite slope). Inside `no_grad()` the node is a leaf.
        """
        if len(inputs) == 1:
            return _unary(data, op, inputs[0], None if locals_ is None else locals_[0])
        if len(inputs) == 2 and locals_ is None:
            return _binary(data, op, inputs[0], inputs[1])
        return _nary(data, op, inputs, locals_=locals_)

    # -- inspecting --------------------------------------------------------

    @property
    def _prev(self):
        """The parents, in the order of `local_grads()`."""
        a = self._a
        if a is None:
            return ()
        if type(a) is tuple:
            return a
        return (a,) if self._b is None else (a, self._b)

    def local_grads(self):
        """d self / d parent for each parent in `_prev` (floats)."""
        a = self._a
        if a is None:
            return ()
        if type(a) is tuple:
            return self._da if self._da is not None else ()
        return (self._da,) if self._b is None else (self._da, self._db)

    @property
    def op(self):
        return self._op

    def __repr__(self):
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{label})"

    # Values compare by their numbers (handy in rules and in user code).
    # __eq__ is left alone on purpose: nodes are hashed by identity.
    def __lt__(self, other):
        return self.data < _data_of(other)

    def __le__(self, other):
        return self.data <= _data_of(other)

    def __gt__(self, other):
        return self.data > _data_of(other)

    def __ge__(self, other):
        return self.data >= _data_of(other)

    def __float__(self):
        return self.data

    # -- arithmetic ----------------------------------------------------------
    # `type(other) is Value` is a quick test for the common case; anything
    # else (a number, a subclass of Value) goes through _as_value.

    def __add__(self, other):
        if type(other) is not Value:
            other = _as_value(other)
        return _binary(self.data + other.data, ADD, self, other)

    def __mul__(self, other):
        if type(other) is not Value:
            other = _as_value(other)
        return _binary(self.data * other.data, MUL, self, other)

    def __sub__(self, other):
        if type(other) is not Value:
            other = _as_value(other)
        return _binary(self.data - other.data, SUB, self, other)

    def __truediv__(self, other):
        if type(other) is not Value:
            other = _as_value(other)
        if other.data == 0.0:
            raise _domain_error("/", other.data, "0으로 나눌 수 없습니다", "division by zero", ZeroDivisionMathError)
        return _binary(self.data / other.data, DIV, self, other)

    def __neg__(self):
        return _unary(-self.data, NEG, self)

    def __radd__(self, other):
        return _as_value(other) + self

    def __rmul__(self, other):
        return _as_value(other) * self

    def __rsub__(self, other):
        return _as_value(other) - self

    def __rtruediv__(self, other):
        return _as_value(other) / self

    def __pow__(self, other):
        if isinstance(other, Value):
            x, y = self.data, other.data
            if x <= 0:
                raise _domain_error(
                    "**", x, "지수가 Value이면 밑은 양수여야 합니다", "x ** y with a Value exponent needs x > 0"
                )
            return _binary(_checked_pow(x, y), POW, self, other)
        c = _check_number(other, "**")
        x = self.data
        if x == 0.0 and c < 0:
            raise _domain_error(
                f"**{other}", x, "0의 음수 거듭제곱은 정의되지 않습니다", "0 to a negative power is undefined"
            )
        if x < 0 and not c.is_integer():
            raise _domain_error(
                f"**{other}", x, "음수의 정수가 아닌 거듭제곱은 실수가 아닙니다", "a negative number to a non-integer power is not real"
            )
        if x == 0.0 and 0 < c < 1:
            # The derivative c x^(c-1) is +inf at 0, as in PyTorch.
            return _unary(0.0, _power_op(other), self, math.inf)
        data = _checked_pow(x, c)
        try:
            return _unary(data, _power_op(other), self)
        except OverflowError:  # e.g. 1e-300 ** -1 is fine, its slope -1e600 is not
            raise _overflow(f"d/dx **{other}", x) from None

    def __rpow__(self, other):
        base = _check_number(other, "**")
        if base <= 0:
            raise _domain_error(
                f"{other}**", self.data, "지수가 Value이면 밑은 양수여야 합니다", "c ** x with a Value exponent needs c > 0"
            )
        return _unary(_checked_pow(base, self.data), _base_power_op(other), self)

    def __abs__(self):
        return _unary(abs(self.data), ABS, self)

    # -- functions -----------------------------------------------------------

    def exp(self):
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise OverflowError(
                f"exp({self.data!r}): 결과가 float 범위를 넘습니다 / result too large for a float"
            ) from None
        return _unary(out, EXP, self)

    def log(self):
        if self.data <= 0:
            raise _domain_error("log", self.data, "로그는 양수에서만 정의됩니다", "log needs a positive input")
        return _unary(math.log(self.data), LOG, self)

    def sqrt(self):
        if self.data < 0:
            raise _domain_error("sqrt", self.data, "음수의 제곱근은 실수가 아닙니다", "sqrt needs a non-negative input")
        if self.data == 0.0:
            return _unary(0.0, SQRT, self, math.inf)  # d sqrt/dx = +inf at 0, as in PyTorch
        return _unary(math.sqrt(self.data), SQRT, self)

    def tanh(self):
        return _unary(math.tanh(self.data), TANH, self)

    def sigmoid(self):
        return _unary(_sigmoid_float(self.data), SIGMOID, self)

    def relu(self):
        x = self.data
        return _unary(x if x > 0 else 0.0, RELU, self)

    def leaky_relu(self, alpha=0.01):
        x = self.data
        return _unary(x if x > 0 else alpha * x, _leaky_relu_op(alpha), self)

    def elu(self, alpha=1.0):
        x = self.data
        return _unary(x if x > 0 else alpha * math.expm1(x), _elu_op(alpha), self)

    def softplus(self):
        # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow for large x.
        x = self.data
        return _unary(max(x, 0.0) + math.log1p(math.exp(-abs(x))), SOFTPLUS, self)

    def silu(self):
        return _unary(self.data * _sigmoid_float(self.data), SILU, self)

    def gelu(self):
        """GELU in its exact form x * Phi(x) (PyTorch's default)."""
        x = self.data
        return _unary(0.5 * x * (1.0 + math.erf(x * _SQRT1_2)), GELU, self)

    def erf(self):
        return _unary(math.erf(self.data), ERF, self)

    def linear(self):
        """The identity, for a layer without activation (returns self)."""
        return self

    # -- backpropagation -----------------------------------------------------

    def backward(self):
        """Add d(self)/d(node) to the `.grad` of every node this one depends on.

        Gradients accumulate (`+=`) as in micrograd and PyTorch: call
        `zero_grad()` (or set `.grad = 0.0`) between training steps. Calling
        backward twice adds the same gradients twice, on leaves and inner
        nodes alike: each pass first computes its own gradients from zero,
        then adds what the nodes held before.
        """
        order = topological_order(self)
        held = [(node, node.grad) for node in order if node.grad]
        for node, _ in held:
            node.grad = 0.0
        self.grad = 1.0
        _propagate(order)
        for node, previous in held:
            node.grad += previous

    def zero_grad(self):
        """Set the gradient of this node and every node it depends on to 0."""
        for node in topological_order(self):
            node.grad = 0.0


def _data_of(x):
    return x.data if isinstance(x, Value) else x


def _checked_pow(x, y):
    try:
        return math.pow(x, y)
    except OverflowError:
        raise OverflowError(f"pow({x!r}, {y!r}): 결과가 float 범위를 넘습니다 / result too large for a float") from None


# Node construction without Value.__init__: the data comes from a float
# computation, so it needs no checks. Every slot is set, so that backward
# can read `_a`, `_b`, `_da`, `_db` on any node.
_new = object.__new__


def _leaf(data):
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._op = ""
    out._a = out._b = out._da = None
    out._db = 0.0
    return out


def _unary(data, op, x, local=None):
    """The node `op(x)`; its local derivative comes from the op's rule unless given."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._b = None
    out._db = 0.0
    if _recording:
        out._op = op
        out._a = x
        out._da = op.derivative((x.data,), data)[0] if local is None else local
    else:
        out._op = ""
        out._a = out._da = None
    return out


_LARGEST = 1.7976931348623157e308


def _overflow(op, *inputs):
    shown = ", ".join(f"{x!r}" for x in inputs)
    return OverflowError(f"{op}({shown}): 결과가 float 범위를 넘습니다 / the result is too large for a float")


def _binary(data, op, x, y):
    """The node `op(x, y)`, with both local derivatives from the op's rule."""
    if not -_LARGEST <= data <= _LARGEST:  # 1e308 * 10 would silently be inf
        raise _overflow(op, x.data, y.data)
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if _recording:
        out._op = op
        out._a = x
        out._b = y
        out._da, out._db = op.derivative((x.data, y.data), data)
    else:
        out._op = ""
        out._a = out._b = out._da = None
        out._db = 0.0
    return out


def _nary(data, op, inputs, floats=None, locals_=None):
    """The node `op(*inputs)` for any number of inputs, parents kept in a tuple.

    `floats` are the inputs' data if the caller already has them at hand.
    """
    if not _recording:
        return _leaf(data)
    if locals_ is None:
        locals_ = op.derivative([x.data for x in inputs] if floats is None else floats, data)
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._op = op
    out._a = tuple(inputs)
    out._da = tuple(locals_)
    out._b = None
    out._db = 0.0
    return out


# --------------------------------------------------------------------------
# Operations on lists of Values: one node with many parents
# --------------------------------------------------------------------------


def _values_and_data(xs):
    """`xs` as a list of Values (numbers become leaves), and the list of their numbers."""
    if type(xs) is not list:
        xs = list(xs)
    data = [x.data for x in xs if type(x) is Value]
    if len(data) < len(xs):  # some are numbers (or subclasses of Value)
        xs = [_as_value(x) for x in xs]
        data = [x.data for x in xs]
    return xs, data


def sum(values):  # the public name mirrors Python's sum, on purpose
    """The sum of `values` as ONE node (Python's sum would build a chain)."""
    inputs, data = _values_and_data(values)
    return _nary(_finite_fsum(data, SUM), SUM, inputs, data)


def dot(ws, xs):
    """sum_i ws[i] * xs[i] as ONE node: a neuron is one node, not 2n."""
    ws, w_data = _values_and_data(ws)
    xs, x_data = _values_and_data(xs)
    if len(ws) != len(xs):
        raise ValueError(f"dot: 길이가 다릅니다 ({len(ws)} != {len(xs)}) / lengths differ ({len(ws)} != {len(xs)})")
    return _nary(_finite_fsum(map(mul, w_data, x_data), DOT), DOT, ws + xs, w_data + x_data)


def _finite_fsum(numbers, op):
    """math.fsum, with a clear OverflowError where a term or the total leaves the float range."""
    try:
        total = math.fsum(numbers)
    except (OverflowError, ValueError):  # fsum's own "intermediate overflow" / "-inf + inf"
        total = math.inf
    if not -_LARGEST <= total <= _LARGEST:
        raise OverflowError(f"{op}: 결과가 float 범위를 넘습니다 / result too large for a float") from None
    return total


def softmax(xs):
    """Softmax of a list; each output is one node with every input as parent."""
    inputs, data = _values_and_data(xs)
    if not inputs:
        raise ValueError("softmax: 빈 목록입니다 / empty list")
    return [_nary(p, _softmax_op(i), inputs, data) for i, p in enumerate(_softmax_of(data))]


# --------------------------------------------------------------------------
# Order and propagation
# --------------------------------------------------------------------------


def topological_order(root):
    """Every node `root` depends on, each after all of its parents.

    Depth-first search with an explicit stack (no recursion, so a chain of a
    million operations is fine). A node is pushed, then later a `None`
    marker on top of it; when the marker is popped again, everything pushed
    after it (the node's parents and their ancestors) is finished, so the
    node itself is finished too. A leaf is finished as soon as it is popped.

    `done` is a dict used as an ordered set: it keeps the finished nodes in
    the order they were finished, which is the topological order, and
    answers "already finished?" in one lookup. No node can be reached again
    while it is in progress (that would need a cycle), so finished nodes
    are the only ones to skip.
    """
    done = {}
    stack = [root]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        if node is None:
            done[pop()] = None
        elif node not in done:
            a = node._a
            if a is None:
                done[node] = None
                continue
            push(node)
            push(None)
            if type(a) is tuple:
                stack.extend(filterfalse(done.__contains__, a))
            else:
                push(a)
                if node._b is not None:
                    push(node._b)
    return list(done)


def _propagate(order):
    """The chain rule over a topological order, from the output backwards."""
    for node in reversed(order):
        a = node._a
        if a is None:
            continue
        g = node.grad
        if type(a) is tuple:
            local = node._da
            if local is None:
                raise _unknown_derivative(node)
            for parent, d in zip(a, local):
                parent.grad += g * d
        else:
            a.grad += g * node._da
            b = node._b
            if b is not None:
                b.grad += g * node._db


def _unknown_derivative(node):
    return RuntimeError(
        f"'{node._op}' 노드의 국소적 미분을 모릅니다: Value(data, _children, _op)로 만든 노드는 역전파할 수 없습니다 / "
        f"no local derivative is known for op '{node._op}' built with Value(data, _children, _op)"
    )


# --------------------------------------------------------------------------
# Gradients as values, and gradients of gradients
# --------------------------------------------------------------------------


def grad(output, inputs, create_graph=False):
    """d output / d x for each x in `inputs`, without touching any `.grad`.

    With `create_graph=False` the result is a list of floats. With
    `create_graph=True` it is a list of `Value`s built from the local
    derivative rules applied to Values, so they can be differentiated again
    (second and higher derivatives). `inputs` may also be a single Value;
    then a single gradient is returned.
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output은 Value여야 합니다 / output must be a Value, got {type(output).__name__}")
    single = isinstance(inputs, Value)
    inputs = [inputs] if single else list(inputs)
    for x in inputs:
        if not isinstance(x, Value):
            raise TypeError(f"grad: inputs에는 Value만 / inputs must be Values, got {type(x).__name__}")
    order = topological_order(output)
    if create_graph:
        grads = _symbolic_gradients(output, order)
        result = [grads.get(x, Value(0.0)) for x in inputs]
    else:
        nodes = order + inputs
        before = [node.grad for node in nodes]
        for node in nodes:
            node.grad = 0.0
        output.grad = 1.0
        _propagate(order)
        result = [x.grad for x in inputs]
        for node, previous in zip(nodes, before):
            node.grad = previous
    return result[0] if single else result


def _symbolic_gradients(output, order):
    """Reverse mode again, but every product is a Value: the gradients form a graph."""
    if not _recording:
        raise RuntimeError("grad(create_graph=True)는 no_grad() 안에서 쓸 수 없습니다 / cannot be used inside no_grad()")
    grads = {output: Value(1.0)}
    for node in reversed(order):
        g = grads.get(node)
        if g is None or node._a is None:
            continue
        if node._da is None or not isinstance(node._op, Op):
            raise _unknown_derivative(node)
        parents = node._prev
        for parent, local in zip(parents, node._op.derivative(parents, node)):
            contribution = g * local
            previous = grads.get(parent)
            grads[parent] = contribution if previous is None else previous + contribution
    return grads
