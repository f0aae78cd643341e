"""The autodiff engine: a `Value` holds one number and remembers how it was made.

Backpropagation in three ideas:

1. Forward (순전파). Every operation creates a new `Value` node and stores,
   right on it, its parents and the *local derivative* of its output with
   respect to each parent (국소적 미분: d out / d parent), computed while the
   inputs are at hand. Each operation is one row of the op table below: its
   name, its forward formula and its local derivative, side by side.
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
- One or two parents live in plain slots, many parents in a tuple (the
  layout is a table in `Value`'s docstring). Nodes with one or two parents
  are by far the most common, so they are built by two small helpers
  (`_apply1`, `_apply2`) that skip the general bookkeeping of `Value.from_op`.
- `backward()` keeps the nodes' earlier gradients aside, computes this
  pass's gradients from zero and then adds the two, so that a node that was
  already holding a gradient does not pass it on to its parents again.
- Each local-derivative rule works on plain floats (the fast path, used in
  forward) and on `Value`s (used by `grad(..., create_graph=True)` to
  differentiate the derivative itself), so first and higher derivatives come
  from one rule.
- The lecture's way of adding an op also works: make the node with
  `out = Value(data, (x,), 'tanh')` and give it `out._backward = closure`.
  Only such nodes hold and run a closure (and pay for its reference
  cycle); every node made by the op table stays closure-free.
  `node_kind(node)` tells the two apart ('op', 'closure', 'missing', 'leaf').
- The last section of this file ("Watching a computation") holds the hooks
  that `micrograd_ko.compile` installs while it traces a function (and `fit`
  while it checks compiled steps), with the counters that switch them on;
  the engine only calls them (`_tell_tracer`, `_compared`), and backprop
  needs none of them.

The numerical policy (one policy for forward, backward and `grad`):
finite and right where the math is finite; one clear bilingual error where
it is not; never inf or nan handed back silently; never a raw Python error
from inside the library. In detail:

- Forward: a value beyond the float range raises OverflowError, an input
  outside an op's domain MathDomainError (ZeroDivisionMathError for x / 0).
  A local derivative is stored only if it is a finite float; where it is
  not (sqrt at 0, 0 / 1e-320), building the node raises OverflowError
  ("d/dx ..."): the value alone can still be had inside `no_grad()`.
- A NaN or ±inf in an input's `.data` (set by hand, or left by a diverged
  manual step `p.data += -lr * p.grad`) is refused by every op, with a
  bilingual ".data set by hand?" message: ValueError for NaN (as
  `Value(nan)`), OverflowError for ±inf (a number beyond the float range).
  Where it is checked keeps the hot path cheap: +, -, * check only their
  result, which a non-finite input always makes non-finite (inf * 0 is
  nan); one-input ops check their input, since tanh, sigmoid, erf, relu
  and abs would turn inf or nan into a finite number; /, **, sum, dot
  (on the slow path of a non-finite total), softmax, `Value.from_op` and
  the losses check what could turn it into one (1 / inf = 0).
- Backward (`backward()`, `grad()`, and compiled code, which must agree):
  (a) a contribution whose local derivative is exactly 0.0 adds exactly
      nothing, whatever the gradient above it (0 times an overflowed
      gradient is 0, not nan);
  (b) every gradient the call hands back is finite; if one is not, the
      call raises GradientOverflowError (an OverflowError) naming the first
      node, in backward order, whose gradient is not finite, and leaves
      every `.grad` as it was before the call.
  `backward()` hands back the gradient of every node of the graph (it
  fills each node's `.grad`), so it raises as soon as any node's gradient,
  inner nodes included, is beyond the floats; then (a) decides nothing.
  Compiled code stands for `backward()` and raises exactly where it does.
  `grad(output, inputs)` hands back only the gradients of `inputs`, so an
  overflow that reaches them only through zero local derivatives gives
  their exact gradient (`x.relu() * 1e300 * 1e300` at x = -1: 0.0).
  Nodes with a `_backward` closure follow (b); (a) is up to the closure.
- `grad(..., create_graph=True)` builds the gradients from Values, so each
  of its steps follows the forward rules; its rules are written so that
  their own intermediate steps do not overflow where the result is finite,
  and it builds only the branches that lead to the requested inputs (a
  `_backward` closure elsewhere, or an unrequested d/dx whose own slope
  overflows, does not stop it).
"""

from __future__ import annotations

import copy
import math
import numbers
import opcode
import operator
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from fractions import Fraction
from functools import lru_cache, partial, wraps
from itertools import filterfalse, islice
from operator import mul
from typing import Any, Literal, NoReturn, cast, overload

from .i18n import bilingual, particle

_builtin_sum = sum

__all__ = ["Value", "Op", "no_grad", "is_grad_enabled", "softmax", "sum", "dot", "grad"]

_LARGEST = 1.7976931348623157e308  # the largest finite float


class MathDomainError(ValueError):
    """An input outside an operation's domain (log(0), sqrt(-1), 0 ** -1, ...)."""


class ZeroDivisionMathError(MathDomainError, ZeroDivisionError):
    """Division by zero: a `ValueError`, and still a `ZeroDivisionError`."""


class GradientOverflowError(OverflowError):
    """A gradient that backward would hand back is beyond the float range (rule (b) of the policy)."""


# The errors an op raises are made by these functions (and the except clauses of _apply1 and _apply2 for
# errors of math itself); each tells a tracer, since fn may catch it (see _tell_tracer).


def _domain_error(op, value, ko, en, kind=MathDomainError):
    _note_op_raised()
    return kind(f"{op}({_shown(value)}): {bilingual(ko, en)}")


def _overflow(op, *inputs):
    """The error for an op whose result is not a float: a NaN or infinite input (set by hand), or too large a result."""
    _note_op_raised()
    shown = ", ".join(map(_shown, inputs))
    if any(x != x for x in inputs):  # NaN can only come from a .data set by hand
        return ValueError(
            f"{op}({shown}): "
            + bilingual("입력이 NaN입니다 (.data를 직접 바꾸었나요?)", "an input is NaN (was .data set by hand?)")
        )
    if any(x in (math.inf, -math.inf) for x in inputs):  # so can inf (or a diverged p.data += -lr * p.grad)
        return OverflowError(
            f"{op}({shown}): "
            + bilingual(
                "입력이 무한대입니다 (.data를 직접 바꾸었나요?)", "an input is infinite (was .data set by hand?)"
            )
        )
    return OverflowError(
        f"{op}({shown}): {bilingual('결과가 float 범위를 넘습니다', 'the result is too large for a float')}"
    )


def _slope_overflow(op, *inputs):
    _note_op_raised()
    shown = ", ".join(map(_shown, inputs))
    return OverflowError(
        f"d/dx {op}({shown}): "
        + bilingual(
            "국소적 미분이 무한대이거나 float 범위를 넘어 역전파할 수 없습니다 (값만 필요하면 no_grad() 안에서 계산하세요)",
            "the local derivative is infinite or too large for a float, so this node cannot be backpropagated "
            "(compute it inside no_grad() if only the value is needed)",
        )
    )


# --------------------------------------------------------------------------
# Recording switch (DeZero's Config.enable_backprop), one per thread
# --------------------------------------------------------------------------
# Each thread has its own switch, as in PyTorch: one thread evaluating a
# model inside no_grad() must not stop another thread's graph. Reading a
# thread-local on every operation would slow every node down, so a global
# counter says whether ANY thread is inside no_grad(); only then is the
# thread's own switch looked up.

_thread_state = threading.local()
_paused_threads = 0  # how many no_grad() blocks are open, over all threads
_pause_lock = threading.Lock()


def is_grad_enabled() -> bool:
    """True unless this thread is inside `no_grad()`."""
    if _observed_threads:  # compile: fn may branch on the answer, so a call inside no_grad() must not replay it
        _tell_tracer("asked_grad_mode")
    return getattr(_thread_state, "enabled", True)


def _recording():
    """`is_grad_enabled()` as the ops ask it, telling no tracer (fn did not ask); each op asks only once some
    thread is inside no_grad() (`if _paused_threads and not _recording()`), so the usual op reads no thread-local."""
    return _paused_threads == 0 or getattr(_thread_state, "enabled", True)


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block this thread's operations compute values but record no graph.

    Useful for evaluation: results are plain leaves, nothing is kept for
    backward and nothing costs memory. Other threads keep recording.
    """
    global _paused_threads
    previous = is_grad_enabled()
    _thread_state.enabled = False
    with _pause_lock:
        _paused_threads += 1
    try:
        yield
    finally:
        _thread_state.enabled = previous
        with _pause_lock:
            _paused_threads -= 1


# --------------------------------------------------------------------------
# Operations: what an op is
# --------------------------------------------------------------------------


class Op(str):
    """The name of an operation, with its forward formula and local-derivative rule.

    `Op` is a `str`, so `node._op == 'tanh'` works as in micrograd and the
    name can be drawn in a graph.

    - `op.forward(inputs)`: the output as a float, from the inputs' floats.
    - `op.derivative(inputs, out)`: d out / d input for each input (a
      sequence as long as `inputs`). It is called with floats during the
      forward pass, and with `Value`s (inputs = parent nodes, out = the node
      itself) when a gradient must itself be differentiable, so a rule must
      only use operations that both support.
    - `op.korean`: the Korean name, for drawings and tables.
    - `op.params`: the constants of the op (an exponent, a slope), for display.

    New ops (a loss, say) are made with `Op(...)` and applied with
    `op.apply(parents)` (the number from `forward`), or with
    `Value.from_op(data, op, parents)` (a number computed otherwise).
    """

    derivative: Callable[..., Any] | None
    forward: Callable[..., float] | None
    korean: str
    params: dict[str, Any]

    def __new__(cls, name, derivative, forward=None, korean="", **params):
        for role, rule in (("derivative", derivative), ("forward", forward)):
            if rule is not None and not callable(rule):
                raise TypeError(
                    bilingual(
                        f"Op({name!r}): {role}은(는) 함수(또는 None)여야 합니다 (받은 자료형: {type(rule).__name__})",
                        f"Op({name!r}): {role} must be a function (or None), got {type(rule).__name__}",
                    )
                )
        if not isinstance(name, str) or not isinstance(korean, str):
            raise TypeError(
                bilingual(f"Op: 이름은 문자열이어야 합니다: {name!r}", f"Op: names must be str, got {name!r}")
            )
        op = super().__new__(cls, name)
        op.derivative = derivative
        op.forward = forward
        op.korean = korean or name
        op.params = params
        return op

    @property
    def name(self):
        return str(self)

    def apply(self, parents: Sequence[Value]) -> Value:
        """The node this op makes from the Values `parents`, its number from the op's own `forward`.

        `Value.from_op(op.forward([p.data for p in parents]), op, parents)`,
        but the `.data` is read here, by the engine: `micrograd_ko.compile`
        then replays the op through its rules at every call (code of the
        learner's that reads `.data` itself is refused there). The losses
        are applied so. A NaN or infinite number (a .data set by hand) is
        refused before `forward` sees it: hinge(nan, 1) would be max(0, nan) = 0.0.
        """
        if self.forward is None:
            raise TypeError(
                bilingual(
                    f"연산 '{self}'에는 forward가 없습니다: Op(..., forward=함수)로 만들거나 "
                    "Value.from_op(숫자, op, 부모)로 숫자를 주세요",
                    f"the op '{self}' has no forward: make it with Op(..., forward=function), or give the number "
                    "with Value.from_op(number, op, parents)",
                )
            )
        parents = _as_list(parents, f"{self}.apply")
        if not all(isinstance(p, Value) for p in parents):
            raise TypeError(
                bilingual(f"{self}.apply: 부모는 모두 Value여야 합니다", f"{self}.apply: every parent must be a Value")
            )
        try:
            data = [p.data for p in parents]
            _check_finite_inputs(self, data)
            return Value.from_op(self.forward(data), self, parents)
        except Exception as error:
            _note_op_raised()  # compile: fn may catch it (see _tell_tracer)
            if isinstance(error, (TypeError, OverflowError)):
                _check_data(parents)  # a .data set by hand to something that is no float: say so
            raise

    # An op is immutable: a copied graph shares its ops. Its rules are
    # functions, which pickle cannot store, so pickling says what to do instead.
    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __reduce_ex__(self, protocol):
        raise TypeError(
            bilingual(
                f"연산 '{self}'(그리고 그것으로 만든 노드)은 pickle할 수 없습니다: 모델은 model.save(경로)로 저장하세요",
                f"the op '{self}' (and nodes made by it) cannot be pickled; save a model with model.save(path)",
            )
        )


class Unary(Op):
    """A one-input op, written as `f(x)` and `df(x, out)` = d out / dx.

    `check(x)` raises a clear error for inputs outside the domain; `Value`
    methods apply a row with `_apply1`. `chain(g, x, out)`, if given, is
    g * df(x, out) written so that it does not overflow where the product is
    finite (log: g / x, where 1 / x would need the slope -1 / x^2);
    `grad(create_graph=True)` uses it.
    """

    f: Callable[[float], float]
    df: Callable[[Any, Any], Any]
    check: Callable[[float], None] | None
    chain: Callable[..., Any] | None

    def __new__(cls, name, korean, f, df, check=None, chain=None, **params):
        op = super().__new__(
            cls, name, lambda inputs, out: (df(inputs[0], out),), lambda inputs: f(inputs[0]), korean, **params
        )
        op.f, op.df, op.check = f, df, check
        op.chain = None if chain is None else (lambda g, inputs, out, wanted: (chain(g, inputs[0], out),))
        return op


class Binary(Op):
    """A two-input op, written as `f(x, y)` and `df(x, y, out)` = (d out/dx, d out/dy).

    `chain(g, x, y, out, wanted)`, if given, is as in `Unary`, with one
    contribution per input, each only if `wanted` says so (else None):
    `grad(create_graph=True)` builds no branch that no requested input needs,
    since that branch's own slope may overflow (d/dx x^y at x = 1e-300,
    y = 0.5, where only d/dy is asked for).
    """

    f: Callable[[float, float], float]
    df: Callable[[Any, Any, Any], Any]
    chain: Callable[..., Any] | None

    def __new__(cls, name, korean, f, df, chain=None, **params):
        op = super().__new__(
            cls,
            name,
            lambda inputs, out: df(inputs[0], inputs[1], out),
            lambda inputs: f(inputs[0], inputs[1]),
            korean,
            **params,
        )
        op.f, op.df = f, df
        op.chain = None if chain is None else (lambda g, inputs, out, wanted: chain(g, *inputs, out, wanted))
        return op


def _is_value(x):
    return isinstance(x, Value)


# Functions that serve floats and Values alike, so one rule does both.
def _exp(x):
    return x.exp() if _is_value(x) else math.exp(x)


def _log(x):
    return x.log() if _is_value(x) else math.log(x)


def _gaussian(x):
    """e^(-x^2) of a float or a Value. For |x| > 27 it is 0; as one op, x * x never overflows on the way."""
    return _apply1(_gaussian_op(), x) if _is_value(x) else math.exp(-x * x)


def sigmoid_of(x):
    """1 / (1 + e^-x) of a float or a Value, never overflowing."""
    return x.sigmoid() if _is_value(x) else _sigmoid_float(x)


def _sigmoid_float(x):
    # Never exponentiate a large positive number: exp(-x) for x >= 0,
    # exp(x) for x < 0. Both branches stay in [0, 1] for any finite x.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _exp_float(x):
    try:
        return math.exp(x)
    except OverflowError:
        raise _overflow("exp", x) from None


def _softplus_float(x):
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow for large x.
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _gelu_float(x):
    # x Phi(x) with Phi(x) = erfc(-x / sqrt 2) / 2: 1 + erf(x / sqrt 2) would round to 0 below x = -8.
    return 0.5 * x * math.erfc(-x * _SQRT1_2)


def _erfc(x):
    """1 - erf(x) of a float or a Value, without the cancellation (erfc(7) = 4e-23, where 1 - erf(7) = 0)."""
    return _apply1(_erfc_op(), x) if _is_value(x) else math.erfc(x)


def _sign(x):
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0  # abs'(0) = 0, as PyTorch


def _positive(op):
    def check(x):
        if x <= 0:
            raise _domain_error(op, x, "양수에서만 정의됩니다", f"{op} needs a positive input")

    return check


def _non_negative(op):
    def check(x):
        if x < 0:
            raise _domain_error(op, x, "음수에서는 실수가 아닙니다", f"{op} needs a non-negative input")

    return check


_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _tanh_derivative(x, out):
    # tanh'(x) = 1 - tanh(x)^2 = sech(x)^2. Once tanh(x) rounds to +-1 (|x| > 19) the first form is 0,
    # so for |tanh(x)| >= 1/2 it is sech(x) = 2t / (1 + t^2) squared, t = e^-|x|: no cancellation.
    if -0.5 < out < 0.5:
        return 1.0 - out * out
    t = _exp(-x) if x > 0 else _exp(x)
    sech = 2.0 * t / (1.0 + t * t)
    return sech * sech


def _sigmoid_derivative(x, out):
    # s'(x) = s(x) (1 - s(x)) = s(x) s(-x). For x > 0, 1 - s(x) loses digits (and is 0 above x = 37),
    # so s(-x) is computed afresh there; for x <= 0, 1 - s(x) is in [1/2, 1] and exact enough.
    if x > 0:
        return out * sigmoid_of(-x)
    return out * (1.0 - out)


def _gelu_derivative(x, out):
    # gelu(x) = x Phi(x), so gelu'(x) = Phi(x) + x phi(x), phi(x) = e^(-x^2/2) / sqrt(2 pi).
    cdf = 0.5 * _erfc(-x * _SQRT1_2)
    pdf = _gaussian(x * _SQRT1_2) * _INV_SQRT_2PI
    return cdf + x * pdf


def _silu_derivative(x, out):
    # silu(x) = x s(x), so silu'(x) = s + x s (1 - s) = s + out (1 - s), with 1 - s = s(-x) computed afresh
    # for x > 0 as in sigmoid' (there 1 - s loses its digits, and silu'' would carry x times that error).
    s = sigmoid_of(x)
    return s + out * (sigmoid_of(-x) if x > 0 else 1.0 - s)


# --------------------------------------------------------------------------
# The op table: one row per operation, read top to bottom
# --------------------------------------------------------------------------
#   name        Korean        forward f(x)      local derivative df(x, out) = d out / dx
# Kinks take PyTorch's choices: relu'(0) = 0, abs'(0) = 0, leaky_relu'(0) = alpha, elu'(0) = alpha.
# (fmt: off keeps the formatter from breaking the rows: one op, one line.)

# fmt: off
NEG = Unary("neg", "부호 반전", operator.neg, lambda x, out: -1.0)
EXP = Unary("exp", "지수 함수", _exp_float, lambda x, out: out)
LOG = Unary("log", "자연로그", math.log, lambda x, out: 1.0 / x, check=_positive("log"), chain=lambda g, x, out: g / x)
SQRT = Unary("sqrt", "제곱근", math.sqrt, lambda x, out: 0.5 / out, check=_non_negative("sqrt"))
ABS = Unary("abs", "절댓값", abs, lambda x, out: _sign(x))
ERF = Unary("erf", "오차 함수", math.erf, lambda x, out: _TWO_OVER_SQRT_PI * _gaussian(x))
TANH = Unary("tanh", "쌍곡탄젠트", math.tanh, _tanh_derivative)  # 1 - out^2, = sech(x)^2 where tanh saturates
SIGMOID = Unary("sigmoid", "시그모이드", _sigmoid_float, _sigmoid_derivative)  # out (1 - out) = s(x) s(-x)
RELU = Unary("relu", "ReLU", partial(max, 0.0), lambda x, out: 1.0 if x > 0 else 0.0)  # forward: max(0, x)
SOFTPLUS = Unary("softplus", "소프트플러스", _softplus_float, lambda x, out: sigmoid_of(x))
SILU = Unary("silu", "SiLU", lambda x: x * _sigmoid_float(x), _silu_derivative)
GELU = Unary("gelu", "GELU", _gelu_float, _gelu_derivative)

#   name  Korean   forward f(x, y)   local derivatives df(x, y, out) = (d out/dx, d out/dy)
ADD = Binary("+", "덧셈", operator.add, lambda x, y, out: (1.0, 1.0))
SUB = Binary("-", "뺄셈", operator.sub, lambda x, y, out: (1.0, -1.0))
MUL = Binary("*", "곱셈", operator.mul, lambda x, y, out: (y, x))
DIV = Binary("/", "나눗셈", operator.truediv, lambda x, y, out: (1.0 / y, -out / y),  # d(x/y)/dy = -x/y² = -out/y
             chain=lambda g, x, y, out, wanted: _div_chain(g, y, out, wanted))
POW = Binary("**", "거듭제곱", math.pow, lambda x, y, out: (_pow_slope(x, y, out), out * _log(x)),  # x^y, both Values (x > 0)
             chain=lambda g, x, y, out, wanted: _pow_chain(g, x, y, out, wanted))
# fmt: on


def _div_chain(g, y, out, wanted):
    # (g / y, -(g / y) out): g * (1 / y) would make the node 1 / y, whose own slope -1 / y^2 may overflow.
    first = g / y
    return first if wanted[0] else None, -(first * out) if wanted[1] else None


def _pow_chain(g, x, y, out, wanted):
    # g times each row's derivative, but only the wanted one: y x^(y-1) has the slope y (y-1) x^(y-2),
    # beyond the floats at x = 1e-300, y = 0.5, where d/dy = x^y ln x and its derivatives are finite.
    return (g * _pow_slope(x, y, out) if wanted[0] else None, g * (out * _log(x)) if wanted[1] else None)


def _pow_slope(x, y, out):
    """d(x^y)/dx = y x^(y-1), also where x^(y-1) is beyond the floats but y x^y / x is not (x = y = 1e-300).

    The quotient is used only then, and only if out = x^y has not underflowed (and lost its digits).
    """
    try:
        return y * x ** (y - 1)
    except OverflowError:
        if abs(_data_or_float(out)) < _SMALLEST_NORMAL:
            raise
        return (y * out) / x


def _data_or_float(x):
    return x.data if _is_value(x) else x


_SMALLEST_NORMAL = 2.2250738585072014e-308
_EXP_UNDERFLOW = -746.0  # e^x is 0.0 in floats below this (e^-745.2 is the smallest subnormal)


@lru_cache(maxsize=1)
def _erfc_op():
    # erfc(x) = 1 - erf(x): a step inside gelu's derivative when it is differentiated again.
    return Unary("erfc", "상보 오차 함수", math.erfc, lambda x, out: -_TWO_OVER_SQRT_PI * _gaussian(x))


@lru_cache(maxsize=1)
def _gaussian_op():
    # e^(-x^2): not a row of the table (no Value method), only a step inside the
    # derivatives of erf and gelu when they are differentiated again. x * out
    # comes first in its slope -2 x e^(-x^2), so no step overflows where it is 0.
    return Unary("gaussian", "가우스 함수", lambda x: math.exp(-x * x), lambda x, out: -2.0 * (x * out))


# Ops with a constant (a slope, an exponent, a base) are one row per constant,
# made on first use and cached.
def _check_constant(op, c):
    if isinstance(c, bool) or not isinstance(c, numbers.Real) or isinstance(c, Value):
        raise TypeError(
            f"{op}: "
            + bilingual(
                f"상수는 숫자여야 합니다 (받은 자료형: {type(c).__name__})",
                f"the constant must be a plain number, got {type(c).__name__}",
            )
        )
    try:
        c = float(c)
    except OverflowError:  # an int with hundreds of digits
        digits = _digits(c)
        raise ValueError(
            f"{op}: "
            + bilingual(
                f"상수가 float 범위를 넘습니다 ({digits}자리)",
                f"the constant is too large for a float ({digits} digits)",
            )
        ) from None
    if not math.isfinite(c):
        raise ValueError(
            f"{op}: " + bilingual(f"상수는 유한한 숫자여야 합니다: {c}", f"the constant must be finite, got {c}")
        )
    return c


def _row_per_slope(make):
    """`make(alpha)`, cached per alpha, -0.0 apart from 0.0: the two are equal (one key to a plain cache) but
    their rows give other signs of zero (alpha * x), and a row must not depend on which was made first."""

    @lru_cache(maxsize=256)
    def cached(alpha, sign):
        return make(alpha)

    @wraps(make)
    def row(alpha):
        return cached(alpha, math.copysign(1.0, alpha))

    return row


@_row_per_slope
def _leaky_relu_op(alpha):
    def forward(x):
        if x > 0:
            return x
        y = alpha * x  # |alpha| > 1 can push -1e308 beyond the floats
        if not -_LARGEST <= y <= _LARGEST:
            raise _overflow(f"leaky_relu(alpha={alpha!r})", x)
        return y

    return Unary("leaky_relu", "Leaky ReLU", forward, lambda x, out: 1.0 if x > 0 else alpha, alpha=alpha)


@_row_per_slope
def _elu_op(alpha):
    # elu(x) = alpha (e^x - 1) for x <= 0, so elu'(x) = alpha e^x. That equals
    # out + alpha, but alpha e^x stays exact where out + alpha would round to 0.
    return Unary(
        "elu",
        "ELU",
        lambda x: x if x > 0 else alpha * math.expm1(x),
        lambda x, out: 1.0 if x > 0 else alpha * _exp(x),
        alpha=alpha,
    )


# Every one-input method of Value, by name (the CLI and the drawings read it);
# negation is the operator -x.
UNARY_OPS = {op.name: op for op in (EXP, LOG, SQRT, ABS, ERF, TANH, SIGMOID, RELU, SOFTPLUS, SILU, GELU)}
UNARY_OPS["leaky_relu"] = _leaky_relu_op(0.01)
UNARY_OPS["elu"] = _elu_op(1.0)

# The activation functions a layer can use: each a Value method with no argument.
ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "silu", "gelu")


# --------------------------------------------------------------------------
# Ops that need more than a row: powers, and ops on many inputs
# --------------------------------------------------------------------------


@lru_cache(maxsize=256, typed=True)  # (typed: x ** 2 is drawn '**2', x ** 2.0 '**2.0')
def _power_op(exponent):
    # x ** c with a constant c (an int or a float): d/dx = c x^(c-1), and 0 for c = 0 (as PyTorch).
    return Unary(
        f"**{exponent}",
        "거듭제곱",
        lambda x: math.pow(x, exponent),
        lambda x, out: exponent * x ** (exponent - 1) if exponent else 0.0,
        exponent=exponent,
    )


@lru_cache(maxsize=256)
def _base_power_op(base):
    # c ** x with a constant c > 0: d/dx = c^x ln c
    log_base = math.log(base)
    return Unary(f"{base}**", "거듭제곱", lambda x: math.pow(base, x), lambda x, out: out * log_base, base=base)


def _checked_pow(op, x, y):
    try:
        return math.pow(x, y)
    except OverflowError:
        raise _overflow(op, x, y) from None


def _dot_derivative(inputs, out):
    # out = sum_i w_i x_i with inputs = (w_1..w_n, x_1..x_n): d/dw_i = x_i, d/dx_i = w_i.
    n = len(inputs) // 2
    return inputs[n:] + inputs[:n]


def _dot_forward(inputs):
    n = len(inputs) // 2
    return _dot_of_floats(inputs[:n], inputs[n:])


def _dot_of_floats(ws, xs):
    """sum_i ws[i] * xs[i], exact: rounded once, like math.fsum."""
    return _exact_sum(
        lambda: map(mul, ws, xs), lambda: map(mul, map(Fraction, ws), map(Fraction, xs)), DOT, ws[:3], ws + xs
    )


def _sum_of_floats(xs):
    """sum_i xs[i], exact: rounded once, like math.fsum."""
    return _exact_sum(lambda: xs, lambda: map(Fraction, xs), SUM, xs[:3], xs)


def _exact_sum(terms, exact_terms, op, shown, inputs):
    """The exactly rounded sum of `terms()`, or a clear OverflowError if it is no float.

    math.fsum rounds once, but its running total can overflow while the sum
    is finite (1e308 + 1e308 - 1e308), and a product can overflow while the
    dot product is finite (1e200*1e200 - 1e200*1e200). Then the sum is done
    again from `exact_terms()` in rational arithmetic (slow, but rare).
    A NaN or infinite number among `inputs` always makes the float sum
    non-finite (inf * 0 is nan), so they are looked for only then.
    """
    try:
        total = math.fsum(terms())
    except (OverflowError, ValueError):  # fsum's "intermediate overflow" / "-inf + inf"
        total = math.inf
    if -_LARGEST <= total <= _LARGEST:
        return total
    bad = [x for x in inputs if not -_LARGEST <= x <= _LARGEST]
    if bad:
        raise _overflow(op, *bad[:3])
    try:
        return _finite(float(_builtin_sum(exact_terms())), op)
    except OverflowError:
        raise _overflow(op, *shown) from None


SUM = Op("sum", lambda inputs, out: (1.0,) * len(inputs), lambda inputs: _sum_of_floats(list(inputs)), "합")
DOT = Op("dot", _dot_derivative, _dot_forward, "내적")


@lru_cache(maxsize=1024)
def _softmax_op(index):
    # s_i = e^{x_i} / sum_j e^{x_j}; d s_i / d x_j = s_i (delta_ij - s_j). For j = i, 1 - s_i is the sum
    # of the other s_j: a confident s_i = 1 - 4e-18 would round 1 - s_i to 0 (softmax([40, 0])).
    def derivative(inputs, out):
        s = softmax_of(inputs)
        others = [s[j] for j in range(len(s)) if j != index]
        rest = _sum_of_terms(others) if others else 0.0
        return tuple(out * rest if j == index else -(out * s[j]) for j in range(len(s)))

    return Op("softmax", derivative, lambda inputs: softmax_of(inputs)[index], "소프트맥스", index=index)


def _sum_of_terms(terms):
    """The sum of floats (exactly rounded) or of Values (a chain of +)."""
    if not any(map(_is_value, terms)):
        return math.fsum(terms)
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def softmax_of(xs):
    """softmax of floats or Values, shifted by the max so exp never overflows.

    A term with x - max < -746 is e^(x - max) = 0 in floats, and so is each of
    its derivatives (e^(x - max) again): it is the constant 0.0, not a node.
    So the Values' version never builds x - max where that subtraction
    overflows ([1e308, -1e308]), and its derivatives stay finite.
    """
    if _observed_threads and any(map(_is_value, xs)):  # compile: the shift and the underflow test read numbers
        _tell_tracer("unfaithful", "softmax의 규칙을 Value로 계산합니다 (grad(..., create_graph=True))",
                     "softmax's rule is computed on Values (grad(..., create_graph=True))")  # fmt: skip
    shift = max(x.data if _is_value(x) else x for x in xs)
    exps = [0.0 if (x.data if _is_value(x) else x) - shift < _EXP_UNDERFLOW else _exp(x - shift) for x in xs]
    total = exps[0]
    for e in exps[1:]:
        total = total + e
    return [e / total for e in exps]


def _check_finite_inputs(op, data):
    """A clear error (ValueError for NaN, OverflowError for inf) if some number of `data` is not finite."""
    for x in data:
        if not -_LARGEST <= x <= _LARGEST:
            raise _overflow(op, x)


def _finite(x, op):
    if not -_LARGEST <= x <= _LARGEST:
        raise OverflowError(
            f"{op}: " + bilingual("결과가 float 범위를 넘습니다", "the result is too large for a float")
        )
    return x


# --------------------------------------------------------------------------
# The node
# --------------------------------------------------------------------------


def _check_data(nodes):
    """Raise a clear TypeError if some node's `.data` (set by hand) is not a float; else return.

    Looked at only once an op has failed or a gradient went wrong, so a
    correct computation pays nothing for it.
    """
    for node in nodes:
        data = node.data
        if type(data) is float:
            continue
        label = f"'{node.label}'" if node.label else "Value"
        if isinstance(data, Value):
            raise TypeError(
                bilingual(
                    f"{label}의 .data에 Value({data.data!r})가 들어 있습니다: p.data = p - lr * p.grad라고 썼나요? "
                    "숫자를 쓰려면 p.data -= lr * p.grad (또는 p.data = p.data - lr * p.grad)",
                    f"the .data of {label} holds a Value ({data.data!r}): did you write p.data = p - lr * p.grad? "
                    "write p.data -= lr * p.grad (or p.data = p.data - lr * p.grad) to keep a number",
                )
            )
        if isinstance(data, numbers.Real) and not isinstance(data, bool):
            try:
                if -_LARGEST <= float(data) <= _LARGEST:
                    continue  # an int or a numpy float: a number all the same
            except OverflowError:  # an int beyond the floats
                pass
        raise TypeError(
            bilingual(
                f"{label}의 .data가 유한한 float가 아닙니다 ({type(data).__name__}: {_shown(data):.60}): "
                ".data에는 숫자만 넣으세요",
                f"the .data of {label} is not a finite float ({type(data).__name__}: {_shown(data):.60}); "
                "set .data to a number",
            )
        )


def _not_a_number_hint(data):
    """What a learner most likely meant, for the two non-numbers met first: a number typed as text ('3',
    read from a file or input()) and None (a function that computes the number but does not return it)."""
    if data is None:
        return (
            " (None: 값을 계산한 함수에 return이 빠지지 않았나요?)",
            " (None: does the function that computes the number lack a return?)",
        )
    if isinstance(data, str):
        try:
            float(data)
        except ValueError:
            return f" ({data[:20]!r})", f" ({data[:20]!r})"
        return (
            f" ({data[:20]!r}: 글자로 쓴 숫자입니다. float({data[:20]!r})처럼 숫자로 바꿔서 넣으세요)",
            f" ({data[:20]!r} is a number written as text: pass float({data[:20]!r}))",
        )
    return "", ""


def _check_number(data, what="Value"):
    if type(data) is float and math.isfinite(data):  # the common case, checked first
        return data
    if isinstance(data, Value):
        raise TypeError(
            f"{what}: "
            + bilingual("Value 안에 Value를 넣을 수 없습니다", "a Value cannot hold another Value; use it directly")
        )
    if not isinstance(data, numbers.Real):
        hint_ko, hint_en = _not_a_number_hint(data)
        raise TypeError(
            f"{what}: "
            + bilingual(
                f"숫자가 필요하지만 받은 값의 자료형은 {type(data).__name__}입니다{hint_ko}",
                f"expected a real number, got {type(data).__name__}{hint_en}",
            )
        )
    try:
        data = float(data)
    except OverflowError:  # an int with hundreds of digits
        raise ValueError(
            f"{what}: "
            + bilingual(
                f"float 범위를 넘는 수입니다 ({_digits(data)}자리)",
                f"the number is too large for a float ({_digits(data)} digits)",
            )
        ) from None
    if not math.isfinite(data):
        raise ValueError(f"{what}({data}): " + bilingual("유한한 숫자가 필요합니다", "expected a finite number"))
    return data


def _shown(x):
    """repr(x), the text errors and Value's repr show; an int set by hand past str()'s 4300 digits (whose repr
    raises ValueError) by its length."""
    try:
        return repr(x)
    except ValueError:
        return f"<int: {_digits(x)} digits>"


def _digits(number):
    """How many digits the integer part of a number too large for a float has (str() refuses past 4300)."""
    return math.floor(math.log10(abs(int(number)))) + 1


def _as_value(x: Value | float) -> Value:
    return x if isinstance(x, Value) else Value(x)


class Value:
    """One number in a computation graph, with its gradient.

    `data`: the number. `grad`: d(output)/d(this), filled by `backward()`.
    `label`: an optional name for drawings. `_op`: the operation that made it
    ('' for a leaf). `_prev`: its parents; `local_grads()`: d self / d parent
    for each of them.

    How a node keeps its parents (the slots behind `_prev` and `local_grads()`):

        state                     _a               _b       _da              _db
        leaf (or in no_grad)      None             None     None             0.0
        one parent: tanh(x)       x                None     d out/dx         0.0
        two parents: x * y        x                y        d out/dx         d out/dy
        many parents: dot, sum    tuple of parents None     tuple of floats  0.0
        micrograd's constructor   tuple of parents None     None, or the     0.0
                                                            `_backward` closure

    Plain slots for one or two parents keep the common nodes small and fast;
    only the many-parent ops pay for tuples. `node_kind(node)` says which row
    a node is in.
    """

    __slots__ = ("data", "grad", "label", "_op", "_a", "_b", "_da", "_db")
    data: float
    grad: float
    label: str
    _op: str
    _a: Any  # the slots behind the table above, in its shapes
    _b: Any
    _da: Any
    _db: Any

    def __init__(self, data: float, _children: Iterable[Value] = (), _op: str = "", label: str = "") -> None:
        self.data = _check_number(data)
        self.grad = 0.0
        if not isinstance(label, str):
            raise TypeError(
                bilingual(f"label은 문자열이어야 합니다: {label!r}", f"label must be a str, got {type(label).__name__}")
            )
        if not isinstance(_op, str):  # (an Op is a str)
            raise TypeError(
                bilingual(
                    f"Value(data, _children, _op): _op은 연산의 이름(문자열)이어야 합니다: {_op!r}",
                    f"Value(data, _children, _op): _op must be the op's name (a str), got {type(_op).__name__}",
                )
            )
        self.label = label
        self._op = _op
        # micrograd's constructor form: parents without a known local
        # derivative, until a `_backward` closure is assigned (the lecture's way).
        self._a = _children_given(_children) or None
        self._da = None
        self._b = None
        self._db = 0.0
        if _observed_threads:
            observer = getattr(_thread_state, "observer", None)
            if observer is not None:
                observer.created(self)

    @staticmethod
    def from_op(data: float, op: Op, parents: Sequence[Value], local_grads: Iterable[float] | None = None) -> Value:
        """A new node made by the `Op` `op` from the `Value`s `parents`, holding `data`.

        The public way to add an operation whose number is computed outside
        the engine (`op.apply(parents)` computes it with the op's own
        `forward`). The local derivatives are `local_grads` (one float per
        parent) if given, else the op's rule applied to the parents' numbers. Inside
        `no_grad()` the node is a leaf, and no derivative is computed (as
        for the built-in ops: nothing will ever ask for it).
        """
        if not isinstance(op, Op):
            raise TypeError(
                bilingual(
                    f"from_op: op은 micrograd_ko.Op여야 합니다 (받은 자료형: {type(op).__name__})",
                    f"from_op: op must be a micrograd_ko.Op, got {type(op).__name__}",
                )
            )
        parents = _as_list(parents, f"from_op({op})")
        if not all(isinstance(p, Value) for p in parents):
            raise TypeError(
                bilingual(
                    f"from_op({op}): 부모는 모두 Value여야 합니다", f"from_op({op}): every parent must be a Value"
                )
            )
        try:
            _check_finite_inputs(op, [p.data for p in parents])
            data = _check_number(data, str(op))
            if _paused_threads and not _recording():
                return _leaf(data)
            given = local_grads is not None
            if not given:
                if op.derivative is None:
                    raise _unknown_derivative(op)
                local_grads = op.derivative([p.data for p in parents], data)
            node = _node_n(data, op, parents, local_grads=_checked_local_grads(op, local_grads, len(parents)))
            if _observed_threads:  # compile: the number (and the slopes, if given) are the caller's
                _tell_tracer("given_to_from_op", node, given)
            return node
        except Exception:
            _note_op_raised()
            raise

    # -- inspecting --------------------------------------------------------

    @property
    def _prev(self) -> tuple[Value, ...]:
        """The parents, in the order of `local_grads()`."""
        if _graph_watch is not None:
            _graph_watch((self,))
        a = self._a
        if a is None:
            return ()
        if type(a) is tuple:
            return a
        return (a,) if self._b is None else (a, self._b)

    def local_grads(self) -> tuple[float, ...]:
        """d self / d parent for each parent in `_prev` (floats); () for a leaf, and for a node
        made with Value(data, children, op), whose rule (if any) is a `_backward` closure."""
        if _graph_watch is not None:
            _graph_watch((self,))
        a = self._a
        if a is None:
            return ()
        if type(a) is tuple:
            return self._da if type(self._da) is tuple else ()
        return (self._da,) if self._b is None else (self._da, self._db)

    @property
    def op(self) -> str:
        """The operation that made this node ('' for a leaf): `_op`, read only (micrograd's name is `_op`)."""
        return self._op

    # isinstance(x, float) asks this of a Value (whose type is not float): a number would answer otherwise, so
    # while compile traces, a tracer hears of it (it refuses where x is computed from fn's arguments alone)
    @property
    def __class__(self) -> type:  # noqa: PLE0202 - a property over object's own, which it answers
        if _observed_threads:
            _tell_tracer("type_asked", self)  # (with the frame of the code that asked)
        return type(self)  # (a subclass's own: pickle and copyreg build the copy from it)

    @__class__.setter
    def __class__(self, cls: type) -> None:  # noqa: PLE0202 - `v.__class__ = Mine` as object allows it
        _OBJECTS_CLASS.__set__(self, cls)

    def __repr__(self) -> str:
        if _watchers:  # compile is tracing: text made of the number (str(x), f"{x}", print(x)) is a read of it
            _text_read(self)
        if _text_watch is not None:
            _text_watch(self)
        # Every digit (Python's shortest repr), as the lecture prints: 0.16578526021381612, not 0.165785.
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={_shown(self.data)}, grad={_shown(self.grad)}{label})"  # grad None: PyTorch's habit of clearing it

    # -- comparing, and refusing to become a plain number ------------------
    # Values compare by their numbers (handy in rules and in user code).
    # __eq__ is left alone on purpose: nodes are hashed by identity.
    def __lt__(self, other: Value | float) -> bool:
        return _compared(self, "<", other, self.data < _number_to_compare(other, "<"))

    def __le__(self, other: Value | float) -> bool:
        return _compared(self, "<=", other, self.data <= _number_to_compare(other, "<="))

    def __gt__(self, other: Value | float) -> bool:
        return _compared(self, ">", other, self.data > _number_to_compare(other, ">"))

    def __ge__(self, other: Value | float) -> bool:
        return _compared(self, ">=", other, self.data >= _number_to_compare(other, ">="))

    def __float__(self) -> NoReturn:
        # math.exp(x) would call this and quietly leave the graph: its gradient would be 0.
        _note_no_number(self)  # (fn may catch it, `try: float(x) except TypeError:`, where fit's run has a number)
        raise TypeError(
            bilingual(
                "Value를 float로 바꾸면 계산 그래프가 끊겨 기울기가 0이 됩니다: math.exp(x) 대신 x.exp()를 쓰고, 숫자만 필요하면 x.data를 쓰세요",
                "turning a Value into a float cuts the computation graph (its gradient would be 0): "
                "use x.exp() instead of math.exp(x), and x.data when you need the number",
            )
        )

    def __int__(self) -> NoReturn:
        _note_no_number(self)
        raise _leaves_the_graph("int")

    def __xor__(self, other: object) -> NoReturn:
        # x ^ 2 for a square: in Python ^ is the bitwise XOR, which a Value does not have
        _note_no_number(self)
        raise TypeError(
            bilingual(
                "^는 거듭제곱이 아닙니다 (파이썬에서는 비트 XOR): 거듭제곱은 x ** 2처럼 **로 쓰세요",
                "^ is not a power (in Python it is the bitwise XOR): write a power with **, as in x ** 2",
            )
        )

    __rxor__ = __xor__

    def __round__(self, ndigits: int | None = None) -> NoReturn:
        _note_no_number(self)
        raise _leaves_the_graph("round")

    def __format__(self, spec: str) -> str:
        # f"{loss:.4f}" in a training loop: the number to show is loss.data (printing with no spec is repr).
        if not spec:
            return str(self)
        _note_no_number(self)
        raise TypeError(
            bilingual(
                f"Value에는 형식 지정(:{spec})을 쓸 수 없습니다: 숫자를 보이려면 f'{{x.data:{spec}}}'처럼 .data를 쓰세요",
                f"a Value takes no format spec (:{spec}); to show its number, format x.data: f'{{x.data:{spec}}}'",
            )
        )

    # -- operations: each applies a row of the op table --------------------

    def __add__(self, other: Value | float) -> Value:
        return _apply2(ADD, self, other)

    def __sub__(self, other: Value | float) -> Value:
        return _apply2(SUB, self, other)

    def __mul__(self, other: Value | float) -> Value:
        return _apply2(MUL, self, other)

    def __truediv__(self, other: Value | float) -> Value:
        if type(other) is not Value:
            other = _as_value(other)
        if other.data == 0.0:
            raise _domain_error("/", other.data, "0으로 나눌 수 없습니다", "division by zero", ZeroDivisionMathError)
        if not -_LARGEST <= other.data <= _LARGEST:  # x / inf is a finite 0.0 (the rest of +-*/ gives inf or nan)
            raise _overflow("/", self.data, other.data)
        out = _apply2(DIV, self, other)
        # x / 1e-300: -out/y is beyond the floats; 0 / 1e-320: 1/y is.
        if out._a is not None and not (-_LARGEST <= out._da <= _LARGEST and -_LARGEST <= out._db <= _LARGEST):
            raise _slope_overflow("/", self.data, other.data)
        return out

    def __radd__(self, other: float) -> Value:
        if _observed_threads:  # compile is tracing: was it sum() that added? (see _note_added_by_a_call)
            _note_added_by_a_call(self)
        return _apply2(ADD, _as_value(other), self)

    def __rsub__(self, other: float) -> Value:
        return _apply2(SUB, _as_value(other), self)

    def __rmul__(self, other: float) -> Value:
        return _apply2(MUL, _as_value(other), self)

    def __rtruediv__(self, other: float) -> Value:
        return _as_value(other) / self

    def __neg__(self) -> Value:
        return _apply1(NEG, self)

    def __abs__(self) -> Value:
        return _apply1(ABS, self)

    def abs(self) -> Value:
        return _apply1(ABS, self)

    def exp(self) -> Value:
        return _apply1(EXP, self)

    def log(self) -> Value:
        return _apply1(LOG, self)

    def sqrt(self) -> Value:
        return _apply1(SQRT, self)

    def erf(self) -> Value:
        return _apply1(ERF, self)

    def tanh(self) -> Value:
        return _apply1(TANH, self)

    def sigmoid(self) -> Value:
        return _apply1(SIGMOID, self)

    def relu(self) -> Value:
        return _apply1(RELU, self)

    def softplus(self) -> Value:
        return _apply1(SOFTPLUS, self)

    def silu(self) -> Value:
        return _apply1(SILU, self)

    def gelu(self) -> Value:
        """GELU in its exact form x * Phi(x) (PyTorch's default)."""
        return _apply1(GELU, self)

    def leaky_relu(self, alpha: float = 0.01) -> Value:
        return _apply1(_leaky_relu_op(_check_constant("leaky_relu(alpha)", alpha)), self)

    def elu(self, alpha: float = 1.0) -> Value:
        return _apply1(_elu_op(_check_constant("elu(alpha)", alpha)), self)

    def linear(self) -> Value:
        """The identity, for a layer without activation (returns self)."""
        return self

    # -- powers: three cases, each with its own domain ----------------------

    def __pow__(self, other: Value | float) -> Value:
        if isinstance(other, Value):  # x ** y: both are nodes
            x = self.data
            if not (-_LARGEST <= x <= _LARGEST and -_LARGEST <= other.data <= _LARGEST):  # 1 ** nan is 1.0
                raise _overflow("**", x, other.data)
            if x <= 0:
                raise _domain_error(
                    "**", x, "지수가 Value이면 밑은 양수여야 합니다", "x ** y with a Value exponent needs x > 0"
                )
            _checked_pow("**", x, other.data)
            try:
                out = _apply2(POW, self, other)
            except (OverflowError, ZeroDivisionError):  # y x^(y-1) beyond the floats
                raise _slope_overflow("**", x, other.data) from None
            if out._a is not None and not (-_LARGEST <= out._da <= _LARGEST and -_LARGEST <= out._db <= _LARGEST):
                raise _slope_overflow("**", x, other.data)  # 2 ** 1023.9: the value fits, x^y ln x does not
            return out
        c = _check_number(other, "**")  # x ** c: the exponent is a constant
        x = self.data
        if not -_LARGEST <= x <= _LARGEST:  # before the domain checks: (-inf) ** 0.5 is about the inf
            raise _overflow(f"**{other}", x)
        name = f"**{other}"
        if x == 0.0 and c < 0:
            raise _domain_error(name, x, "0의 음수 거듭제곱은 정의되지 않습니다", "0 to a negative power is undefined")
        if x < 0 and not c.is_integer():
            raise _domain_error(
                name,
                x,
                "음수의 정수가 아닌 거듭제곱은 실수가 아닙니다",
                "a negative number to a non-integer power is not real",
            )
        _checked_pow(name, x, c)
        # The row computes with an int as it is, any other number as its float: numpy's float32 would compute
        # the slope in float32 (1.5732132 for 1.1 ** 1.5, not 1.5732132722552274), and, being equal to 1.5,
        # leave that row in the cache for every later x ** 1.5.
        return _apply1(_power_op(other if type(other) is int else c), self)

    def __rpow__(self, other: float) -> Value:  # c ** x: the base is a constant
        base = _check_number(other, "**")
        if base <= 0:
            raise _domain_error(
                f"{other}**",
                self.data,
                "지수가 Value이면 밑은 양수여야 합니다",
                "c ** x with a Value exponent needs c > 0",
            )
        _checked_pow(f"{other}**", base, self.data)
        return _apply1(_base_power_op(other), self)

    # -- backpropagation -----------------------------------------------------

    def backward(self) -> None:
        """Add d(self)/d(node) to the `.grad` of every node this one depends on.

        Gradients accumulate (`+=`) as in micrograd and PyTorch: call
        `zero_grad()` (or set `.grad = 0.0`) between training steps. Calling
        backward twice adds the same gradients twice, on leaves and inner
        nodes alike: each pass first computes its own gradients from zero,
        then adds what the nodes held before. The output's own gradient is
        d self / d self = 1.0 after every call, as in micrograd. A `.grad`
        of None (PyTorch's way of clearing it) counts as 0.

        Follows the module's policy: if any gradient is not finite, nothing
        changes and GradientOverflowError names the node where it started.
        """
        if self._op is MADE_IN_NO_GRAD:
            raise _no_graph("backward", self)
        if _observed_threads:  # compile: fn computes gradients itself; a compiled call would not do it again
            _tell_tracer("unfaithful", "fn이 backward()를 부릅니다", "fn calls backward()")
        order = topological_order(self)
        held = [(node, node.grad) for node in order if node.grad]
        try:
            for node, _ in held:
                node.grad = 0.0
            self.grad = 1.0
            try:
                _propagate(order)
            except TypeError:  # a .grad set to None (or to something else) by hand, or a .data
                _check_data(order)
                _clear_gradients(order, self)
                _propagate(order)
            _add_held_gradients(held)
            self.grad = 1.0
        except BaseException:  # leave every gradient as it was
            for node in order:
                node.grad = 0.0
            for node, previous in held:
                node.grad = previous
            raise

    @property
    def _backward(self) -> Callable[[], object]:
        """One step of the chain rule: a function that passes this node's gradient on to its parents.

        This is what karpathy's lecture calls by hand (`o.grad = 1.0;
        o._backward(); n._backward(); ...`) before writing `backward()`,
        which does it for every node in reverse topological order. A node
        made as `out = Value(data, (x,), 'tanh')` is given its step the
        lecture's way, `out._backward = closure`; `backward()` then calls
        that closure for this node (and for no other).
        """
        rule = self._da
        if type(rule) is _Closure:
            return rule.function
        return partial(_chain_step, self)

    @_backward.setter
    def _backward(self, closure: Callable[[], object]) -> None:
        if not callable(closure):
            raise TypeError(
                bilingual(
                    f"_backward에는 함수를 넣어야 합니다 (받은 자료형: {type(closure).__name__})",
                    f"_backward must be a function, got {type(closure).__name__}",
                )
            )
        if type(self._a) is not tuple or not (self._da is None or type(self._da) is _Closure):
            if self._a is None:
                ko, en = (
                    "부모가 없는 노드입니다: Value(data, (부모, ...), '연산')으로 만드세요",
                    "this node has no parents; make it with Value(data, (parent, ...), 'op')",
                )
            else:
                ko, en = (
                    f"이 노드는 연산 '{self._op}'의 규칙으로 이미 역전파됩니다",
                    f"this node is already backpropagated by the rule of its op '{self._op}'",
                )
            raise AttributeError(f"_backward: {bilingual(ko, en)}")
        self._da = _Closure(closure)

    def zero_grad(self) -> None:
        """Set the gradient of this node and every node it depends on to 0."""
        for node in topological_order(self):
            node.grad = 0.0

    # -- copying ------------------------------------------------------------

    def __copy__(self) -> Value:
        # A shallow copy shares the closure, which updates the ORIGINAL node's
        # parents from the ORIGINAL node's .grad: the copy's gradient would be
        # lost. So a node with a closure refuses, as deepcopy does (a copy of
        # a node whose parents have closures is fine: it shares those parents).
        if type(self._da) is _Closure:
            raise _closure_copy_error()
        _note_copied()
        if _text_watch is not None:  # (a copy holds the .grad, as the text shows it)
            _text_watch(self)
        if _graph_watch is not None:  # (and the parents: the graph)
            _graph_watch((self,))
        copied = object.__new__(type(self))
        for slot in Value.__slots__:
            setattr(copied, slot, getattr(self, slot))
        if hasattr(self, "__dict__"):  # a subclass without __slots__
            copied.__dict__.update(self.__dict__)
        return copied

    def __getstate__(self) -> Any:
        if _graph_watch is not None:  # (pickle stores the parents too, as a copy holds them)
            _graph_watch((self,))
        return object.__getstate__(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> Value:
        # copy.deepcopy's own walk recurses once per parent (a RecursionError from ~100 ops deep):
        # the graph is copied here in topological order instead, each node after its parents.
        _note_copied()
        if _text_watch is not None:  # (a copy holds the .grad, as the text shows it)
            _text_watch(self)
        for node in topological_order(self):
            if id(node) in memo:
                continue
            if type(node._da) is _Closure:
                raise _closure_copy_error()
            copied = object.__new__(type(node))
            for slot in Value.__slots__:
                setattr(copied, slot, getattr(node, slot))
            a = node._a
            if type(a) is tuple:
                copied._a = tuple(memo.get(id(p), p) for p in a)
            elif a is not None:
                copied._a = memo.get(id(a), a)
            if node._b is not None:
                copied._b = memo.get(id(node._b), node._b)
            if hasattr(node, "__dict__"):  # a subclass without __slots__
                copied.__dict__.update(copy.deepcopy(node.__dict__, memo))
            memo[id(node)] = copied
        return cast(Value, memo[id(self)])


def _children_given(children):
    """The `_children` of micrograd's constructor `Value(data, _children, _op)` as a tuple of Values, or a clear error."""
    try:
        parents = iter(children)
    except TypeError:  # Value(data, (x), 'tanh'): (x) is x itself, not a tuple
        raise TypeError(
            bilingual(
                f"Value(data, _children, _op): _children은 Value의 튜플이어야 합니다 (받은 자료형: "
                f"{type(children).__name__}): 부모가 하나면 (x)가 아니라 (x,)로 쓰세요",
                f"Value(data, _children, _op): _children must be a tuple of Values, got "
                f"{type(children).__name__}; for one parent write (x,), not (x)",
            )
        ) from None
    parents = tuple(parents)
    for parent in parents:
        if not isinstance(parent, Value):
            raise TypeError(
                bilingual(
                    f"Value(data, _children, _op): 자식은 모두 Value여야 합니다 (받은 자료형: {type(parent).__name__})",
                    f"Value(data, _children, _op): every child must be a Value, got {type(parent).__name__}",
                )
            )
    return parents


def _number_to_compare(x, symbol):
    """The number a Value is compared with: another Value's data, or a plain number."""
    if isinstance(x, Value):
        return x.data
    if isinstance(x, numbers.Real):
        return x
    raise TypeError(
        bilingual(
            f"Value {symbol} {type(x).__name__}: Value는 숫자나 다른 Value하고만 비교할 수 있습니다",
            f"Value {symbol} {type(x).__name__}: a Value compares only with numbers and Values",
        )
    )


# --------------------------------------------------------------------------
# Applying a row: building nodes
# --------------------------------------------------------------------------
# Nodes are made without Value.__init__: their data comes from a float
# computation, so it needs no checks. Every slot is set, so that backward
# can read `_a`, `_b`, `_da`, `_db` on any node.

_new = object.__new__


# The `_op` of a node an op made inside no_grad(): equal to "" (a leaf, drawn and compared as one), but known
# by identity, so that backward() from it can say why no gradient will flow.
class _NoGradMark(Op):
    def __reduce_ex__(self, protocol):  # pickled as the one mark it is (a leaf made in no_grad() pickles)
        return "MADE_IN_NO_GRAD"


MADE_IN_NO_GRAD = _NoGradMark("", None, korean="no_grad 안에서 계산됨")


def _apply1(op, x):
    """The node op(x): forward on the float, then the local derivative."""
    xd = x.data
    try:  # (a try costs nothing until it catches: the errors are looked into only then)
        if not -_LARGEST <= xd <= _LARGEST:  # tanh(inf) = 1.0, relu(nan) = 0.0: the input itself must be checked
            raise _overflow(op, xd)
        if op.check is not None:
            op.check(xd)
        data = op.f(xd)
    except (TypeError, OverflowError, ValueError, ZeroDivisionError):
        _note_op_raised()
        _check_data([x])  # a .data set by hand to something that is no float: say so
        raise
    if _paused_threads and not _recording():
        return _leaf(data)
    try:
        local = op.df(xd, data)
        if not -_LARGEST <= local <= _LARGEST:  # 1 / 5e-324 is a silent inf
            raise _slope_overflow(op, xd)
    except (OverflowError, ZeroDivisionError):  # 1e-300 ** -2, sqrt'(0) = 0.5 / 0
        _note_op_raised()
        raise _slope_overflow(op, xd) from None
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._op = op
    out._a = x
    out._da = local
    out._b = None
    out._db = 0.0
    return out


def _apply2(op, x, y):
    """The node op(x, y) (a number y becomes a leaf first)."""
    if type(y) is not Value:
        y = _as_value(y)
    xd, yd = x.data, y.data
    try:
        data = op.f(xd, yd)
        if not -_LARGEST <= data <= _LARGEST:  # 1e308 * 10 would silently be inf
            raise _overflow(op, xd, yd)
    except (TypeError, OverflowError, ValueError, ZeroDivisionError):
        _note_op_raised()
        _check_data([x, y])
        raise
    if _paused_threads and not _recording():
        return _leaf(data)
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._op = op
    out._a = x
    out._b = y
    out._da, out._db = op.df(xd, yd, data)
    return out


def _leaf(data):
    """The number an op computed inside no_grad(): a leaf that remembers where it came from."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._op = MADE_IN_NO_GRAD
    out._a = out._b = out._da = None
    out._db = 0.0
    return out


def _node_n(data, op, inputs, floats=None, local_grads=None):
    """The node `op(*inputs)` for any number of inputs, parents kept in a tuple.

    `floats` are the inputs' data if the caller already has them at hand.
    """
    if _paused_threads and not _recording():
        return _leaf(data)
    if local_grads is None:
        try:
            local_grads = op.derivative([x.data for x in inputs] if floats is None else floats, data)
        except Exception:
            _note_op_raised()
            raise
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._op = op
    out._a = tuple(inputs)
    out._da = tuple(local_grads)
    out._b = None
    out._db = 0.0
    return out


# --------------------------------------------------------------------------
# Operations on lists of Values: one node with many parents
# --------------------------------------------------------------------------


def _as_list(xs: Iterable[Any], what: str) -> list[Any]:
    """`xs` as a list, or a clear error if it is not a sequence (softmax(5), dot(1, 2))."""
    if type(xs) is list:
        return xs
    if isinstance(xs, (set, frozenset)):
        raise _unordered(what)
    if isinstance(xs, (str, bytes, Value)) or not hasattr(xs, "__iter__"):
        raise TypeError(
            f"{what}: "
            + bilingual(
                f"숫자나 Value의 목록이 필요합니다 (받은 자료형: {type(xs).__name__})",
                f"expected a list of numbers or Values, got {type(xs).__name__}",
            )
        )
    return list(xs)


def _unordered(what):
    """The error for a set given where the order of the numbers matters (which weight meets which input)."""
    return TypeError(
        f"{what}: "
        + bilingual(
            "집합(set)에는 순서가 없어 어느 숫자가 몇 번째인지 정해지지 않습니다: 리스트로 주세요",
            "a set has no order, so which number comes where is undefined: pass a list",
        )
    )


def _checked_local_grads(op, local_grads, n):
    """One finite float per parent, or a clear error naming the op."""
    if isinstance(local_grads, (numbers.Real, Value)):  # `return d` where the rule meant `return (d,)`
        raise TypeError(
            f"from_op({op}): "
            + bilingual(
                f"국소적 미분은 부모마다 하나씩인 튜플이어야 합니다 (숫자 하나 {particle(repr(local_grads), '을/를')} 받음): (d,)처럼 돌려주세요",
                f"the local derivatives must be a tuple with one per parent, got the single number {local_grads!r}; "
                "return (d,)",
            )
        )
    try:
        local_grads = tuple(local_grads)
    except TypeError:
        local_grads = None
    if local_grads is None or len(local_grads) != n:
        got = "?" if local_grads is None else len(local_grads)
        raise ValueError(
            f"from_op({op}): "
            + bilingual(
                f"부모 {n}개에 국소적 미분이 {got}개입니다 (부모마다 하나씩 필요)",
                f"{n} parents but {got} local derivatives (one per parent)",
            )
        )
    checked = []
    for i, d in enumerate(local_grads):
        if isinstance(d, bool) or not isinstance(d, numbers.Real) or isinstance(d, Value):
            raise TypeError(
                f"from_op({op}): "
                + bilingual(
                    f"{i}번째 국소적 미분이 숫자가 아닙니다 ({type(d).__name__})",
                    f"local derivative {i} is not a plain number ({type(d).__name__})",
                )
            )
        try:
            d = float(d)
        except OverflowError:  # an int beyond the floats
            raise _slope_overflow(op, i) from None
        if not -_LARGEST <= d <= _LARGEST:
            raise _slope_overflow(op, i)
        checked.append(d)
    return checked


def _values_and_data(xs: Any, what: str = "sum") -> tuple[list[Value], list[float]]:
    """`xs` as a list of Values (numbers become leaves), and the list of their numbers."""
    if type(xs) is not list:
        xs = _as_list(xs, what)
    data = [x.data for x in xs if type(x) is Value]
    if len(data) < len(xs):  # some are numbers (or subclasses of Value)
        xs = [_as_value(x) for x in xs]
        data = [x.data for x in xs]
    return xs, data


def sum(values: Iterable[Value | float]) -> Value:  # the public name mirrors Python's sum, on purpose
    """The sum of `values` as ONE node (Python's sum would build a chain)."""
    inputs, data = _values_and_data(values)
    try:
        total = _sum_of_floats(data)
    except (TypeError, OverflowError, ValueError):
        _note_op_raised()
        _check_data(inputs)
        raise
    return _node_n(total, SUM, inputs, data)


def dot(ws: Iterable[Value | float], xs: Iterable[Value | float]) -> Value:
    """sum_i ws[i] * xs[i] as ONE node: a neuron is one node, not 2n."""
    ws, w_data = _values_and_data(ws, "dot")
    xs, x_data = _values_and_data(xs, "dot")
    if len(ws) != len(xs):
        raise ValueError(
            "dot: " + bilingual(f"길이가 다릅니다 ({len(ws)} != {len(xs)})", f"lengths differ ({len(ws)} != {len(xs)})")
        )
    try:
        total = _dot_of_floats(w_data, x_data)
    except (TypeError, OverflowError, ValueError):
        _note_op_raised()
        _check_data(ws + xs)
        raise
    return _node_n(total, DOT, ws + xs, w_data + x_data)


def softmax(xs: Iterable[Value | float]) -> list[Value]:
    """Softmax of a list; each output is one node with every input as parent."""
    inputs, data = _values_and_data(xs, "softmax")
    if not inputs:
        raise ValueError("softmax: " + bilingual("빈 목록입니다", "empty list"))
    try:
        _check_finite_inputs("softmax", data)  # softmax([-inf, 1]) would be a finite [0, 1]
    except (OverflowError, ValueError):
        _note_op_raised()
        raise
    return [_node_n(p, _softmax_op(i), inputs, data) for i, p in enumerate(softmax_of(data))]


# --------------------------------------------------------------------------
# Order and propagation
# --------------------------------------------------------------------------


def topological_order(root, done=None):
    """Every node `root` depends on, each after all of its parents.

    Depth-first search with an explicit stack (no recursion, so a chain of a
    million operations is fine). A node with parents, when first popped,
    goes back on the stack with a `None` marker above it and its parents
    above that. When the marker is popped, everything pushed after it (the
    node's parents and their ancestors) is finished, so the node under the
    marker is finished too. A leaf is finished as soon as it is popped.

    `done` is a dict used as an ordered set: it keeps the finished nodes in
    the order they were finished, which is the topological order, and
    answers "already finished?" in one lookup. No node can be reached again
    while it is in progress (that would need a cycle), so finished nodes
    are the only ones to skip.

    `done` may be passed in, holding whole ancestries already ordered (the
    compiler walks its output and every guard's node this way, in one pass
    over the graph): they are skipped, which changes neither which other
    nodes are found nor their order, and only the new ones are returned.
    """
    if done is None:
        done = {}
    start = len(done)
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
    # (the new nodes are the last ones: read from the end, so that walking many roots through one `done`
    # costs what they add, not all of `done` again each time: compile walks every guard's node so, and a fn
    # with 10,000 comparisons took 4.4 s to compile, 0.7 s with this)
    found = list(done) if not start else list(islice(reversed(done), len(done) - start))[::-1]
    if _graph_watch is not None:
        _graph_watch(found)
    return found


def _propagate(order):
    """The chain rule over a topological order, from the output backwards.

    It is the textbook loop

        for node in reversed(order):
            for parent, local in zip(node._prev, node.local_grads()):
                parent.grad += node.grad * local

    written out for each node layout (see `Value`), so that one- and
    two-parent nodes need no tuples. Nodes made with micrograd's constructor
    run their `_backward` closure instead.

    Rule (b) of the policy is checked once per node, not once per multiply:
    when a node is reached its gradient is complete, and a product or sum
    that overflowed (inf), or met another overflow (inf - inf = nan), leaves
    it non-finite; g - g is 0.0 for every finite g and nan for inf and nan.
    The first node found is where the overflow happened.
    """
    for node in reversed(order):
        g = node.grad
        if g - g:  # not finite: GradientOverflowError (policy (b))
            raise _gradient_overflow(node)
        a = node._a
        if a is None:
            continue
        if type(a) is tuple:
            local = node._da
            if type(local) is not tuple:  # micrograd's constructor: the closure, or a clear error
                _run_closure(node)
                continue
            for parent, d in zip(a, local):
                parent.grad += g * d
        else:
            a.grad += g * node._da
            b = node._b
            if b is not None:
                b.grad += g * node._db


def _propagate_skipping_zeros(order):
    """`_propagate` with rule (a) of the policy, and no check: a local derivative of exactly 0.0 adds nothing.

    The same sums as `_propagate` wherever its gradients are finite (adding
    g * 0.0 = ±0.0 changes no sum); it differs only where an overflowed
    gradient meets a zero derivative: inf * 0.0 is nan, a skipped term is
    exact. `grad()` uses it when an inner gradient overflows, to see whether
    the overflow reaches the inputs it hands back.
    """
    for node in reversed(order):
        a = node._a
        if a is None:
            continue
        g = node.grad
        if type(a) is tuple:
            local = node._da
            if type(local) is not tuple:
                _run_closure(node)
                continue
            for parent, d in zip(a, local):
                if d != 0.0:
                    parent.grad += g * d
        else:
            if node._da != 0.0:
                a.grad += g * node._da
            b = node._b
            if b is not None and node._db != 0.0:
                b.grad += g * node._db


def _run_closure(node):
    """Call the `_backward` closure of a node made with Value(data, children, op), as micrograd does."""
    closure = node._da
    if closure is None:
        raise _unknown_derivative(node)
    closure.function()


class _Closure:
    """A `_backward` closure as a node holds it (in its `_da` slot).

    The closure refers to the very nodes it was written for, so a copy of
    the node would update the original's parents: copying refuses, as does
    pickling (a function defined in a function cannot be stored).
    """

    __slots__ = ("function",)

    def __init__(self, function):
        self.function = function

    def __deepcopy__(self, memo):
        raise _closure_copy_error()

    def __reduce_ex__(self, protocol):
        raise TypeError(
            bilingual(
                "_backward 함수가 있는 노드는 pickle할 수 없습니다: 연산은 Op와 Value.from_op로 만드세요",
                "a node with a _backward closure cannot be pickled; define the op with Op and Value.from_op",
            )
        )


def _closure_copy_error():
    return TypeError(
        bilingual(
            "_backward 함수가 있는 노드는 복사할 수 없습니다: 함수가 원래 노드들을 가리킵니다",
            "a node with a _backward closure cannot be copied: the closure refers to the original nodes",
        )
    )


def _chain_step(node):
    """`node._backward()` for a node with a rule: one step of the chain rule, following the policy."""
    if type(node._a) is tuple and node._da is None:
        raise _unknown_derivative(node)
    g = node.grad
    for parent, local in zip(node._prev, node.local_grads()):
        if local != 0.0:
            parent.grad += g * local
            if not -_LARGEST <= parent.grad <= _LARGEST:
                raise _gradient_overflow(parent)


def _add_held_gradients(held):
    """Add to each node's new gradient the one it held before backward() (pairs (node, held gradient)).

    A held .grad set by hand to something that is no number, or a sum beyond the floats, raises.
    """
    for node, previous in held:
        if isinstance(previous, Value):  # always truthy, so the overflow test below would blame the lr
            raise _not_a_number(node, previous)
        try:
            node.grad += previous
        except TypeError:
            raise _not_a_number(node, previous) from None
        except OverflowError:  # an int beyond the floats, set by hand
            raise _gradient_overflow(node) from None
        if node.grad - node.grad:  # the sum with what it held is beyond the floats
            raise _gradient_overflow(node)


def _clear_gradients(order, output):
    """After a pass met a .grad that is not a number: None counts as 0.0, anything else is an error."""
    for node in order:
        grad_number(node)  # the error for a .grad that is neither a number nor None
        node.grad = 0.0
    output.grad = 1.0


def _leaves_the_graph(name):
    """The error of int(x) or round(x) on a Value: like float(x), the number would leave the graph."""
    return TypeError(
        bilingual(
            f"{name}(x)에는 Value를 쓸 수 없습니다 (계산 그래프가 끊깁니다): 숫자가 필요하면 {name}(x.data)처럼 .data를 쓰세요",
            f"{name}(x) does not take a Value (it would cut the computation graph): for the number use x.data, "
            f"as in {name}(x.data)",
        )
    )


def _not_a_number(node, g):
    return TypeError(
        bilingual(
            f"노드 {_describe(node)}의 .grad가 숫자가 아닙니다 ({type(g).__name__}): 0.0이나 None으로 두세요",
            f"the .grad of node {_describe(node)} is not a number ({type(g).__name__}); set it to 0.0 or None",
        )
    )


def grad_number(node):
    """`node.grad` as it may be read: a number, or None (PyTorch's way of clearing it); anything else is the
    bilingual TypeError that backward() gives for it. For code that shows gradients (the drawings)."""
    g = node.grad
    if g is None or (isinstance(g, numbers.Real) and not isinstance(g, bool)):
        return g
    raise _not_a_number(node, g)


def _describe(node):
    name = f"'{node.label}' " if node.label else ""
    op = f"'{node._op}'" if node._op else "leaf" if node._a is None else "?"
    return f"{name}({op}, data={_shown(node.data)})"


def _gradient_overflow(node):
    _note_op_raised()
    _check_data(topological_order(node))  # a Value kept in a .data makes every gradient after it a Value
    what = _describe(node)
    return GradientOverflowError(
        bilingual(
            f"역전파: 노드 {what}의 기울기가 float 범위를 넘었습니다 (기울기 폭발: 학습 중이라면 학습률과 가중치 크기를 확인하세요)",
            f"backward: the gradient of node {what} is beyond the float range "
            f"(exploding gradients: when training, check the learning rate and the size of the weights)",
        )
    )


def node_kind(node):
    """How `node` is backpropagated: 'leaf', 'op' (a row of the op table, an `Op`),
    'closure' (micrograd's constructor plus a `_backward` closure), or 'missing'
    (micrograd's constructor without a closure: backward() refuses it).

    Compiled code can treat 'op' nodes by their `_op`; 'closure' nodes only
    run their closure (on floats), and 'missing' nodes have no rule at all.
    """
    a = node._a
    if a is None:
        return "leaf"
    if type(a) is tuple:
        rule = node._da
        if rule is None:
            return "missing"
        if type(rule) is _Closure:
            return "closure"
    return "op"


def _unknown_derivative(node_or_op):
    op = node_or_op._op if isinstance(node_or_op, Value) else node_or_op
    if isinstance(node_or_op, Value) and node_kind(node_or_op) == "missing":
        return RuntimeError(
            bilingual(
                f"'{op}' 노드에 국소적 미분 규칙이 없습니다: 강의처럼 out._backward = 함수 로 주거나, Op와 Value.from_op로 연산을 만드세요",
                f"the node '{op}' has no local-derivative rule: give it one as the lecture does (out._backward = closure), "
                f"or define the op with Op and Value.from_op",
            )
        )
    return RuntimeError(
        bilingual(
            f"연산 '{op}'에 국소적 미분 규칙(Op의 derivative)이 없어 미분할 수 없습니다",
            f"no local-derivative rule is known for op '{op}' (its Op has no derivative), so it cannot be differentiated",
        )
    )


# --------------------------------------------------------------------------
# Gradients as values, and gradients of gradients
# --------------------------------------------------------------------------


@overload
def grad(output: Value, inputs: Value, create_graph: Literal[False] = False) -> float: ...
@overload
def grad(output: Value, inputs: Value, create_graph: Literal[True]) -> Value: ...
@overload
def grad(output: Value, inputs: Iterable[Value], create_graph: Literal[False] = False) -> list[float]: ...
@overload
def grad(output: Value, inputs: Iterable[Value], create_graph: Literal[True]) -> list[Value]: ...
@overload
def grad(output: Value, inputs: Value | Iterable[Value], create_graph: bool) -> Any: ...
def grad(output: Value, inputs: Any, create_graph: bool = False) -> Any:
    """d output / d x for each x in `inputs`, without touching any `.grad`.

    With `create_graph=False` the result is a list of floats. With
    `create_graph=True` it is a list of `Value`s built from the local
    derivative rules applied to Values, so they can be differentiated again
    (second and higher derivatives). `inputs` may also be a single Value;
    then a single gradient is returned.
    """
    if not isinstance(output, Value):
        raise TypeError(
            "grad: "
            + bilingual(
                f"output은 Value여야 합니다 (받은 자료형: {type(output).__name__})",
                f"output must be a Value, got {type(output).__name__}",
            )
        )
    if not isinstance(create_graph, bool):  # the string "False" is true: it would return Values
        raise TypeError(
            "grad: "
            + bilingual(
                f"create_graph는 True 또는 False여야 합니다 (받은 것: {create_graph!r:.40})",
                f"create_graph must be True or False, got {create_graph!r:.40}",
            )
        )
    single = isinstance(inputs, Value)
    inputs = [inputs] if single else _as_list(inputs, "grad")
    for x in inputs:
        if not isinstance(x, Value):
            raise TypeError(
                "grad: "
                + bilingual(
                    f"inputs에는 Value만 넣을 수 있습니다 (받은 자료형: {type(x).__name__})",
                    f"inputs must be Values, got {type(x).__name__}",
                )
            )
    if output._op is MADE_IN_NO_GRAD:
        raise _no_graph("grad", output)
    if _observed_threads and not create_graph:  # compile: numbers read from the graph, frozen in a trace
        _tell_tracer(
            "unfaithful", "fn이 grad(...)로 기울기를 숫자로 받습니다", "fn takes gradients as numbers with grad(...)"
        )
    order = topological_order(output)
    if create_graph:
        grads = _symbolic_gradients(output, order, inputs)
        result = [grads.get(x, Value(0.0)) for x in inputs]
    else:
        result = _float_gradients(output, order, inputs)
    return result[0] if single else result


def _no_graph(what, node):
    return RuntimeError(
        bilingual(
            f"{what}: 이 값({node.data!r})은 no_grad() 안에서 계산되어 계산 그래프가 없습니다: 기울기가 "
            "흐를 곳이 없으니 no_grad() 밖에서 계산하세요",
            f"{what}: this Value ({node.data!r}) was computed inside no_grad(), so it has no graph and no "
            "gradient can flow from it; compute it outside no_grad()",
        )
    )


def _float_gradients(output, order, inputs):
    """d output / d x for each x in `inputs` as floats, every `.grad` left as it was (policy (a) and (b))."""
    nodes = order + inputs
    before = [node.grad for node in nodes]
    try:
        for node in nodes:
            node.grad = 0.0
        output.grad = 1.0
        try:
            _propagate(order)
            result = [x.grad for x in inputs]
        except GradientOverflowError:
            # An inner gradient overflowed; it reaches the inputs only if not through zero derivatives.
            for node in nodes:
                node.grad = 0.0
            output.grad = 1.0
            _propagate_skipping_zeros(order)
            result = [x.grad for x in inputs]
            for x in inputs:
                if not -_LARGEST <= x.grad <= _LARGEST:
                    raise _gradient_overflow(x) from None
    finally:
        for node, previous in zip(nodes, before):
            node.grad = previous
    return result


def _symbolic_gradients(output, order, inputs):
    """Reverse mode again, but every product is a Value: the gradients form a graph.

    Only what the requested `inputs` need is built: a node is visited only if
    some input lies on a path below it, and it passes contributions only to
    such parents. So a `_backward` closure elsewhere in the graph (which
    cannot be differentiated again) does not matter, and no rule builds a
    branch whose own slope overflows where nobody asked for it. A node with
    no rule at all is refused wherever it is, as `grad()` without
    create_graph and `backward()` refuse it; so is one whose stored slopes
    are not its rule's (given to `from_op`): backward() uses the stored ones.

    A local derivative that is a plain 0.0 (relu at x < 0) adds nothing, as
    in backward; one that is a Value, even of value 0, is kept: its own
    derivative may not be 0. Ops with a `chain` rule give their
    contributions directly (log: g / x, see `Unary`).
    """
    if not is_grad_enabled():
        raise RuntimeError(
            "grad(create_graph=True): "
            + bilingual("no_grad() 안에서 쓸 수 없습니다", "cannot be used inside no_grad()")
        )
    needed = _leading_to(order, inputs)
    grads = {output: Value(1.0)}
    for node in reversed(order):
        if node._a is None:
            continue
        kind = node_kind(node)
        if kind == "missing":
            raise _unknown_derivative(node)
        g = grads.get(node)
        if g is None or node not in needed:
            continue
        if kind == "closure":
            raise RuntimeError(
                "grad(create_graph=True): "
                + bilingual(
                    f"'{node._op}' 노드의 역전파 규칙은 _backward 함수(float 계산)라서 다시 미분할 수 없습니다: "
                    f"두 번 미분하려면 Op와 Value.from_op로 연산을 만드세요",
                    f"the node '{node._op}' is backpropagated by a _backward closure (which works on floats), "
                    f"so its derivative cannot be differentiated again; define the op with Op and Value.from_op instead",
                )
            )
        op = node._op
        if not isinstance(op, Op) or op.derivative is None:
            raise _unknown_derivative(node)
        if type(node._a) is tuple and not _slopes_from_rule(node, op):
            raise RuntimeError(
                "grad(create_graph=True): "
                + bilingual(
                    f"'{node._op}' 노드에 저장된 국소적 미분이 그 연산의 미분 규칙이 지금의 숫자로 주는 값과 다릅니다 "
                    "(from_op에 local_grads로 직접 주었거나, 노드를 만든 뒤 .data를 바꾸었습니다): 규칙을 다시 미분하면 "
                    "backward()와 다른 1계 도함수가 나오므로 미분할 수 없습니다. 그 값을 계산하는 규칙을 Op에 주거나 "
                    "create_graph=False로 쓰세요",
                    f"the local derivatives stored on the node '{node._op}' are not what its op's rule gives for "
                    "its numbers now (they were given to from_op as local_grads=..., or a .data changed since the "
                    "node was made); differentiating the rule would give other first derivatives than backward() "
                    "uses. Give the Op a rule that computes them, or use create_graph=False",
                )
            )
        parents = node._prev
        wanted = [parent in needed for parent in parents]
        chain = getattr(op, "chain", None)
        if chain is not None:
            contributions = chain(g, parents, node, wanted)
        else:
            contributions = [
                g * local if want and not _is_zero(local) else None
                for local, want in zip(op.derivative(parents, node), wanted)
            ]
        for parent, contribution, want in zip(parents, contributions, wanted):
            if contribution is None or not want:
                continue
            previous = grads.get(parent)
            grads[parent] = contribution if previous is None else previous + contribution
    return grads


def _slopes_from_rule(node, op):
    """Whether a node's stored local derivatives are what its op's rule gives for its numbers, as `from_op`
    computes them: not so where they were handed to `from_op` (`local_grads=`, a straight-through
    estimator's 1.0 where the rule says 0), and then the rule stands for other slopes than backward() uses."""
    try:
        ruled = [float(d) for d in op.derivative([p.data for p in node._prev], node.data)]
    except Exception:  # noqa: BLE001 - a rule that fails on these numbers did not make these slopes
        return False
    stored = node._da
    return len(ruled) == len(stored) and all(
        a == b and math.copysign(1.0, a) == math.copysign(1.0, b) for a, b in zip(ruled, stored)
    )


def _leading_to(order, inputs):
    """The nodes of `order` (a topological order) from which some node of `inputs` can be reached, inputs included."""
    needed = set(inputs)
    for node in order:
        if node not in needed and any(parent in needed for parent in node._prev):
            needed.add(node)
    return needed


def _is_zero(local):
    return type(local) is float and local == 0.0


# --------------------------------------------------------------------------
# Watching a computation (what `micrograd_ko.compile` needs while it traces,
# and `fit` while it checks compiled steps; backprop does not need any of it)
# --------------------------------------------------------------------------
# Tracing a function has to know which leaves the function made itself (its
# constants) and which Python decisions it took on Values (`if x > 0`). The
# engine reports both to this thread's observer, if any; like no_grad, other
# threads are not affected, and a global count keeps the common case cheap.

_observed_threads = 0  # how many threads an `observe` block watches (the engine's hooks test it first)
_OBJECTS_CLASS = object.__dict__["__class__"]  # (Value's __class__ is a property: the setter is object's own)
_watchers = 0
_SLOTS: dict[str, Any] = {}  # Value's own `data` and `grad` slots, kept aside while watching properties replace them
# fit, while an accuracy function of the learner's judges a batch's predictions: told of each Value whose text is
# asked for, or which is copied (a compiled step's predictions are new leaves, whose text and copies show another
# .grad)
_text_watch = None
# ... and told of the nodes every walk of a graph reaches (`topological_order`, which drawings, `grad()`,
# `zero_grad()` and `backward()` take, and `_prev`, `local_grads()`): a compiled step's predictions have no graph
_graph_watch = None


@contextmanager
def _recording_anyway() -> Iterator[None]:
    """Inside this block this thread records its graph, even within no_grad() (fit differentiates a compiled
    step's stand-ins when the learner's accuracy function, maybe inside a no_grad() block, asks their text)."""
    previous = getattr(_thread_state, "enabled", True)
    _thread_state.enabled = True
    try:
        yield
    finally:
        _thread_state.enabled = previous


@contextmanager
def observe(observer):
    """Report this thread's `Value(...)` calls and comparisons of Values to `observer`.

    `observer.created(value)` is called for each new `Value(...)`, and
    `observer.compared(left, symbol, right, result)` for each `<`, `<=`, `>`, `>=`.
    An observer that also has `made(node)` and `touched(value, frame, wrote)`
    is told of every node the engine builds (including no_grad leaves) and of
    every read or write of `.data` made outside this module (`frame` is the
    reader's; a Value's text, `repr`, counts as a read): while any such observer is active, `Value.data` is a property
    and node building goes through a recording function (slower, for tracing only).
    """
    global _observed_threads
    if getattr(_thread_state, "observer", None) is not None:
        raise RuntimeError(bilingual("이미 이 스레드를 추적하는 중입니다", "this thread is already being traced"))
    watching = callable(getattr(observer, "made", None)) and callable(getattr(observer, "touched", None))
    _thread_state.observer = observer
    with _pause_lock:
        _observed_threads += 1
        if watching:
            _watch_nodes(+1)
    try:
        yield observer
    finally:
        _thread_state.observer = None
        with _pause_lock:
            _observed_threads -= 1
            if watching:
                _watch_nodes(-1)


def _watch_nodes(change):
    """Install (first watcher) or remove (last one) the hooks that report node building and `.data` / `.grad` access."""
    global _watchers, _new
    _watchers += change
    if _watchers == 1 and change > 0:
        build = object.__new__

        def watched_new(cls):
            node = build(cls)
            observer = getattr(_thread_state, "observer", None)
            if observer is not None:
                observer.made(node)
            return node

        _new = watched_new
        for name in ("data", "grad"):
            _SLOTS[name] = Value.__dict__[name]
            setattr(Value, name, _watching_property(_SLOTS[name], name))
        for name, hook in _IDENTITY_HOOKS.items():
            if name not in Value.__dict__:  # (a learner's own, `Value.__eq__ = mine`, is what runs interpreted: kept)
                setattr(Value, name, hook)
    elif _watchers == 0:
        _new = object.__new__
        for name, slot in _SLOTS.items():
            setattr(Value, name, slot)
        for name, hook in _IDENTITY_HOOKS.items():
            if Value.__dict__.get(name) is hook:
                delattr(Value, name)


def _identity_used(ko, en, *values):
    """fn asked Values what Python answers by identity, not by their numbers: this thread's tracer decides (it
    raises, at once, where they would be numbers in fit's own run: a loop on the answer would never end)."""
    if _observed_threads and sys._getframe(2).f_code.co_filename != __file__:
        _tell_tracer("identity_used", ko, en, values)


def _value_eq(self, other):
    if isinstance(other, (numbers.Number, Value)):
        _identity_used("Value를 ==로 비교합니다", "compares a Value by ==", *(v for v in (self, other) if _is_value(v)))
    return NotImplemented  # (then Python compares by identity, as without this hook)


def _value_ne(self, other):
    if isinstance(other, (numbers.Number, Value)):
        _identity_used("Value를 !=로 비교합니다", "compares a Value by !=", *(v for v in (self, other) if _is_value(v)))
    return NotImplemented


def _value_bool(self):
    _identity_used("Value를 참/거짓으로 씁니다 (if x:, while x:)", "tests a Value for truth (if x:, while x:)", self)
    return True


def _value_hash(self):
    _identity_used(
        "Value의 해시를 씁니다 (hash(x), dict의 키, set의 원소)",
        "hashes a Value (hash(x), a dict key, a set member)",
        self,
    )
    return _identity_hash(self)


_identity_hash = object.__hash__


def _value_getattr(self, name):
    """An attribute a Value lacks: a number may have it (`hasattr(x, "is_integer")`, `x.real`). While tracing
    only: a class's `__getattr__` slows every attribute read of its instances."""
    if hasattr(float, name) or hasattr(int, name):
        _tell_tracer("attribute_missed", self, name)
    raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}", name=name, obj=self)


# While tracing: `==`, `!=`, truth tests and hashes (a dict or set lookup), which Python answers for a Value by
# identity, and attributes a number has that a Value lacks.
_IDENTITY_HOOKS = {
    "__eq__": _value_eq,
    "__ne__": _value_ne,
    "__bool__": _value_bool,
    "__hash__": _value_hash,
    "__getattr__": _value_getattr,
}


_BINARY_OP = opcode.opmap["BINARY_OP"]  # the instruction of every `a + b` and `s += b` in Python code (3.11+)


def _note_added_by_a_call(value):
    """`number + value` asked for by a call, not by a `+` in Python code: Python's sum(xs) starts so (0 + xs[0]).

    This thread's tracer decides: from Python 3.12, sum() adds floats another
    way than one `+` after another, which is how it adds Values.
    """
    frame = sys._getframe(2)  # the code that asked for the addition (when sum() did, the line calling it)
    if frame.f_code.co_code[frame.f_lasti] != _BINARY_OP:
        _tell_tracer("summed", value)


class _WatchingProperty(property):
    """The property that stands for a slot of Value while compile traces (known by its type: `library_state`)."""


def _watching_property(slot, name):
    """A property over the slot `name` that reports reads and writes made outside the engine to this thread's tracer."""
    get, put = slot.__get__, slot.__set__

    def read(value):
        frame = sys._getframe(1)
        if frame.f_code.co_filename != __file__:  # the engine's own reads (most of them) first, cheaply
            observer = getattr(_thread_state, "observer", None)
            if observer is not None:
                observer.touched(value, frame, False, name)
        return get(value)

    def write(value, number):
        observer = getattr(_thread_state, "observer", None)
        if observer is not None:
            frame = sys._getframe(1)
            if frame.f_code.co_filename != __file__:
                observer.touched(value, frame, True, name)
        put(value, number)

    return _WatchingProperty(read, write)


def _text_read(value):
    """A Value's text was asked for (repr, and through it str, f"{x}", print): tell this thread's tracer, as a
    `.data` read by the first caller outside the engine (the text holds the number; Python code may branch on it)."""
    touched = getattr(getattr(_thread_state, "observer", None), "touched", None)
    if touched is None:
        return
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename == __file__:  # (f"{x}" asks __format__, which asks repr)
        frame = frame.f_back
    if frame is not None:
        touched(value, frame, False, "text")


def _compared(left, symbol, right, result):
    if _observed_threads:
        observer = getattr(_thread_state, "observer", None)
        if observer is not None:
            observer.compared(left, symbol, right, result)
    return result


def _note_op_raised():
    """An op is raising: tell a tracer (a no-op when nothing traces). For the ops built outside this module."""
    if _observed_threads:
        _tell_tracer("op_raised")


def _note_no_number(value):
    """`value` refuses to become a number (float(x), int(x), round(x), a format spec, ^): tell a tracer, which
    counts it as an op that raised where `value` is computed from the arguments alone (a number in fit's run)."""
    if _observed_threads:
        _tell_tracer("no_number", value)


def _note_depends_on(owner, attribute, value):
    """Code outside the engine chose by `owner.attribute` being `value` (Dropout by its mode): compile guards it."""
    if _observed_threads:
        _tell_tracer("depends_on", owner, attribute, value)


def _note_unfaithful(ko, en):
    """Code outside the engine chose by something the graph does not hold: tell a tracer (compile refuses)."""
    if _observed_threads:
        _tell_tracer("unfaithful", ko, en)


def _note_copied():
    """A Value is being copied (copy.copy, copy.deepcopy): tell a tracer, which refuses.

    The copy is a new object the engine did not build as a node or a leaf, holding the number the
    original has now: compiled code would read it as a weight and keep that number on every call.
    """
    if _observed_threads:
        _tell_tracer(
            "unfaithful",
            "fn이 Value를 복사합니다 (copy.copy, copy.deepcopy): 복사본의 숫자는 추적에 남지 않습니다",
            "fn copies a Value (copy.copy, copy.deepcopy); the copy's number is not in the trace",
        )


def _tell_tracer(event, *details):
    """Report to this thread's tracer (compile) something fn did that the graph does not show.

    `event` names the tracer's method: "op_raised" (an op raised: if fn
    catches it, the trace holds only the branch it took), "unfaithful" (a
    choice made outside the graph: softmax's rule on Values, a backward()
    inside fn, a Dropout mask; compile refuses), "asked_grad_mode" and
    "depends_on" (Python state the trace chose by; a call that finds it
    otherwise runs interpreted). The tracer finds fn's own line from the
    caller's frames. A no-op when nothing traces this thread.
    """
    observer = getattr(_thread_state, "observer", None)
    method = getattr(observer, event, None)
    if method is not None:
        method(sys._getframe(2), *details)
