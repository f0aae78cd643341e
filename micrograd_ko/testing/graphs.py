"""Computation graphs as data: trees of op-table rows, callable on Values, printed as Python.

An `Expression` is a tree whose leaves are the inputs x0, x1, ... (each may
appear many times) and whose inner nodes are *rows*: one way of applying an
operation of the engine (`x0.tanh()`, `x0 * 2.5`, `ko.softmax([x0, x1])[1]`,
`ko.losses.mse(...)`) or a user's own op (`square(x0)`). It is called on
Values and builds the graph; its `repr` is that same graph written as a
`lambda`, so `eval(repr(expr))` (where `micrograd_ko` is imported as `ko`
and the user's ops are in scope) builds the same graph again.

The rows are read from the engine's op table (`engine.UNARY_OPS`, the
module's `Unary` and `Binary` rows, `sum`/`dot`/`softmax`) and from
`losses.LOSSES`, so a row added there is drawn without editing this file.
A row the table gains but nothing here knows how to call (a loss with a
new signature) is listed by `unreachable_rows()`, which a test keeps empty.

This module needs no hypothesis; `strategies` draws the trees.
"""

from __future__ import annotations

import inspect
import keyword
import math
import numbers
import operator
import re
from collections import Counter

from .. import engine, losses
from ..engine import Binary, Unary, Value
from ..i18n import bilingual

__all__ = ["Row", "Node", "Expression", "table_rows", "user_row", "unreachable_rows"]

# The positive-domain guard a.sigmoid() + 0.5 lies in [0.5, 1.5] for every a: inside the
# domain of log, sqrt, 1/x and x ** -0.5, and bounded, so nested guards never overflow.
_GUARD_OFFSET = 0.5


class Row:
    """One way of applying an op: its name, how many subtrees it takes, its constants, its code.

    - `arities`: the numbers of subtrees it can take (one for x0.tanh(), 1 to 3 for ko.sum).
    - `params(k)`: the constants it can be given with k subtrees (an exponent,
      a slope, targets); `(None,)` for none.
    - `apply(children, param)`: the Value it builds from its subtrees' Values.
    - `code(children, param)`: the same, as Python source, from the subtrees' source.
    - `guard`: which subtrees are moved into the op's domain when domains are
      guarded: `positive` (a.sigmoid() + 0.5), `probability` (a.sigmoid()), `squash` (a.tanh()).
    - `constants`: True if one side may be a plain number (x0 * 2.5, 2.5 - x0).
    """

    __slots__ = ("name", "arities", "params", "apply", "code", "guard", "constants")

    def __init__(self, name, arities, apply, code, params=None, guard=None, constants=False):
        self.name = name
        self.arities = tuple(arities)
        self.params = params or (lambda k: (None,))
        self.apply = apply
        self.code = code
        self.guard = guard or (lambda k, param: ())
        self.constants = constants

    def __repr__(self):
        return f"Row({self.name!r})"


class Node:
    """A tree node: an input (`row` is None, `param` its index), a number or a row applied to subtrees."""

    __slots__ = ("row", "children", "param", "constant")

    def __init__(self, row=None, children=(), param=None, constant=None):
        self.row, self.children, self.param, self.constant = row, tuple(children), param, constant

    @classmethod
    def input(cls, i):
        return cls(param=i)

    @classmethod
    def number(cls, c):
        """A constant of the graph: a finite number, so that its repr is Python code (not `inf` or `nan`)."""
        if isinstance(c, bool) or not isinstance(c, numbers.Real) or not math.isfinite(c):
            raise ValueError(
                bilingual(
                    f"그래프의 상수는 유한한 숫자여야 합니다: {c!r}",
                    f"a constant of the graph must be a finite number, got {c!r}",
                )
            )
        return cls(constant=float(c))

    def build(self, inputs):
        if self.row is None:
            return self.constant if self.constant is not None else inputs[self.param]
        return self.row.apply([child.build(inputs) for child in self.children], self.param)

    def source(self):
        if self.row is None:
            return repr(self.constant) if self.constant is not None else f"x{self.param}"
        return self.row.code([child.source() for child in self.children], self.param)

    def calls(self):
        """Every row application in the tree, this node first."""
        stack, found = [self], []
        while stack:
            node = stack.pop()
            if node.row is not None:
                found.append(node)
                stack.extend(reversed(node.children))
        return found


class Expression:
    """A random graph over `n_inputs` inputs: call it on Values, print it as a lambda."""

    __slots__ = ("root", "n_inputs")

    def __init__(self, root, n_inputs):
        self.root, self.n_inputs = root, n_inputs

    def __call__(self, *xs):
        if len(xs) != self.n_inputs:
            raise TypeError(
                bilingual(
                    f"입력이 {self.n_inputs}개 필요합니다 (받은 개수 {len(xs)})",
                    f"expected {self.n_inputs} inputs, got {len(xs)}",
                )
            )
        return self.root.build([x if isinstance(x, Value) else Value(x) for x in xs])

    def __repr__(self):
        names = ", ".join(f"x{i}" for i in range(self.n_inputs))
        return f"lambda {names}: {self.root.source()}"

    def rows(self):
        """How often each row is applied (guards included), as a Counter of row names."""
        return Counter(node.row.name for node in self.root.calls())

    def __len__(self):
        """The number of row applications."""
        return len(self.root.calls())


# --------------------------------------------------------------------------
# The rows, read from the op table
# --------------------------------------------------------------------------

_SYMBOLS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow}
# Constants for the rows that take one. Small, exact, and each exercises a case of the rule.
_EXPONENTS = (2, 3, 0, 1, -1, -2, 0.5, 1.5, -0.5)
_BASES = (2.0, 0.5, math.e)


def _unary_row(op):
    name = op.name
    if name == "neg":
        return Row(name, (1,), lambda c, p: -c[0], lambda c, p: f"(-{c[0]})")
    method = getattr(Value, name, None)
    if not callable(method):
        return None  # a row without a Value method cannot be written as code: unreachable_rows() lists it
    keys = tuple(op.params)

    def params(k):
        if not keys:
            return (None,)
        defaults = tuple(op.params[key] for key in keys)
        return (defaults, *((v,) * len(keys) for v in (0.2, 1.5) if (v,) * len(keys) != defaults))

    def apply(c, p):
        return method(c[0]) if p is None else method(c[0], **dict(zip(keys, p)))

    def code(c, p):
        if p is None:
            return f"{c[0]}.{name}()"
        return f"{c[0]}.{name}(" + ", ".join(f"{k}={v!r}" for k, v in zip(keys, p)) + ")"

    guard = (lambda k, p: ((0, "positive"),)) if op.check is not None else None
    return Row(name, (1,), apply, code, params, guard)


# Which subtrees of a two-input row are moved into its domain: the denominator; the base (and the exponent, squashed).
_BINARY_GUARDS = {"/": ((1, "positive"),), "**": ((0, "positive"), (1, "squash"))}


def _binary_row(op):
    name = op.name
    fn = _SYMBOLS.get(name)
    if fn is None:
        fn = getattr(Value, name, None)
        if not callable(fn):
            return None

    def code(c, p):
        return f"({c[0]} {name} {c[1]})" if name in _SYMBOLS else f"{c[0]}.{name}({c[1]})"

    guards = _BINARY_GUARDS.get(name, ())
    # x ** c and c ** x are rows of their own (other ops); every other binary row takes a number on either side.
    return Row(name, (2,), lambda c, p: fn(c[0], c[1]), code, guard=lambda k, p: guards, constants=name != "**")


def _power_rows():
    def power_guard(k, c):
        return ((0, "positive"),) if c < 0 or not float(c).is_integer() else ()

    power = Row(
        "**c",
        (1,),
        lambda c, p: c[0] ** p,
        lambda c, p: f"({c[0]} ** {p!r})",
        params=lambda k: _EXPONENTS,
        guard=power_guard,
    )
    base = Row(
        "c**",
        (1,),
        lambda c, p: p ** c[0],
        lambda c, p: f"({p!r} ** {c[0]})",
        params=lambda k: _BASES,
        guard=lambda k, p: ((0, "squash"),),
    )
    return [power, base]


def _many_rows():
    def listed(c):
        return "[" + ", ".join(c) + "]"

    total = Row("sum", (1, 2, 3, 4), lambda c, p: engine.sum(c), lambda c, p: f"ko.sum({listed(c)})")
    dot = Row(
        "dot",
        (2, 4, 6),
        lambda c, p: engine.dot(c[: len(c) // 2], c[len(c) // 2 :]),
        lambda c, p: f"ko.dot({listed(c[: len(c) // 2])}, {listed(c[len(c) // 2 :])})",
    )
    soft = Row(
        "softmax",
        (1, 2, 3, 4),
        lambda c, p: engine.softmax(c)[p],
        lambda c, p: f"ko.softmax({listed(c)})[{p}]",
        params=lambda k: tuple(range(k)),
    )
    return [total, dot, soft]


def _targets(choices):
    """All k-tuples of targets drawn from `choices`, for k subtrees (k is 1 or 2 here)."""

    def params(k):
        if k == 1:
            return tuple((t,) for t in choices)
        return tuple((a, b) for a in choices for b in choices)

    return params


def _loss_rows():
    """How to call each loss of `losses.LOSSES`; a loss missing here is listed by `unreachable_rows()`."""

    def listed(c):
        return "[" + ", ".join(c) + "]"

    def elementwise(name, choices, guard=None):
        fn = losses.LOSSES[name]
        return Row(
            name,
            (1, 2),
            lambda c, p: fn(c, list(p)),
            lambda c, p: f"ko.losses.{name}({listed(c)}, {list(p)!r})",
            params=_targets(choices),
            guard=guard,
        )

    rows = {
        "mse": Row(
            "mse",
            (2, 4),
            lambda c, p: losses.mse(c[: len(c) // 2], c[len(c) // 2 :]),
            lambda c, p: f"ko.losses.mse({listed(c[: len(c) // 2])}, {listed(c[len(c) // 2 :])})",
        ),
        "bce": elementwise("bce", (0.0, 0.25, 1.0), guard=lambda k, p: tuple((i, "probability") for i in range(k))),
        "bce_with_logits": elementwise("bce_with_logits", (0.0, 0.25, 1.0)),
        "hinge": elementwise("hinge", (1.0, -1.0)),
        "cross_entropy": Row(
            "cross_entropy",
            (2, 3),
            lambda c, p: losses.cross_entropy(c, p),
            lambda c, p: f"ko.losses.cross_entropy({listed(c)}, {p})",
            params=lambda k: tuple(range(k)),
        ),
    }
    return [rows[name] for name in losses.LOSSES if name in rows]


def _engine_unary_ops():
    """Every one-input row of the engine: the module's `Unary` rows and `UNARY_OPS` (with their constants)."""
    ops = {op.name: op for op in vars(engine).values() if isinstance(op, Unary) and not op.params}
    ops.update(engine.UNARY_OPS)
    return list(ops.values())


def _engine_binary_ops():
    return [op for op in vars(engine).values() if isinstance(op, Binary)]


def table_rows():
    """The rows drawn by default: every op of the engine's table, powers, sum/dot/softmax and every loss."""
    rows = [_unary_row(op) for op in _engine_unary_ops()] + [_binary_row(op) for op in _engine_binary_ops()]
    return [row for row in rows if row is not None] + _power_rows() + _many_rows() + _loss_rows()


def unreachable_rows():
    """Names of the engine's rows a user can call, and of the losses, that `table_rows()` cannot draw (kept empty by a test).

    A one-input row that is neither `-x` nor a `Value` method (the engine's
    `gaussian`, e^(-x^2)) is a helper of other rules (erf's and gelu's
    derivatives): graphs reach it through `grad(..., create_graph=True)`, not
    by calling it, so it is not listed here.
    """
    drawn = {row.name for row in table_rows()}
    callable_unary = [
        op.name for op in _engine_unary_ops() if op.name == "neg" or callable(getattr(Value, op.name, None))
    ]
    names = callable_unary + [op.name for op in _engine_binary_ops()] + list(losses.LOSSES)
    return [name for name in names if name not in drawn]


# Names the printed lambda uses itself: its inputs are x0, x1, ... and the engine is reached as `ko`.
RESERVED_NAMES = frozenset({"ko"})


def user_row(name, fn):
    """A row for a user's op `fn` (a function of Values returning a Value), printed as `name(...)`."""
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(
            bilingual(
                f"연산 이름은 파이썬 키워드가 아닌 식별자여야 합니다: {name!r} (코드로 출력되기 때문입니다)",
                f"an op name must be a Python identifier that is not a keyword, got {name!r} (it is printed as code)",
            )
        )
    if name in RESERVED_NAMES or re.fullmatch(r"x[0-9]+", name):
        raise ValueError(
            bilingual(
                f"연산 이름 {name!r}은(는) 출력되는 코드에서 이미 쓰입니다 (입력 x0, x1, ...과 모듈 ko): 다른 이름을 고르세요",
                f"the op name {name!r} is already used by the printed code (the inputs x0, x1, ... and the module ko); "
                f"choose another name",
            )
        )
    if not callable(fn):
        raise TypeError(
            bilingual(f"ops[{name!r}]는 Value를 받는 함수여야 합니다", f"ops[{name!r}] must be a function of Values")
        )
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        arity = 1
    else:
        arity = (
            sum(
                1 for p in parameters if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            )
            or 1
        )

    def apply(c, p):
        out = fn(*c)
        if not isinstance(out, Value):  # else the op above it fails with a raw AttributeError
            raise TypeError(
                bilingual(
                    f"ops[{name!r}]는 Value를 돌려줘야 합니다 (받은 자료형: {type(out).__name__})",
                    f"ops[{name!r}] must return a Value, got {type(out).__name__}",
                )
            )
        return out

    return Row(name, (arity,), apply, lambda c, p: f"{name}({', '.join(c)})")


# Guards: subtrees rewritten so that the op receives an input inside its domain.
_ADD = _binary_row(engine.ADD)
_SIGMOID = _unary_row(engine.SIGMOID)
_TANH = _unary_row(engine.TANH)


def guarded(node, kind):
    """`node` moved into a domain: positive (sigmoid + 0.5), probability (sigmoid), squash (tanh)."""
    if kind == "positive":
        return Node(_ADD, (Node(_SIGMOID, (node,)), Node.number(_GUARD_OFFSET)))
    if kind == "probability":
        return Node(_SIGMOID, (node,))
    return Node(_TANH, (node,))
