"""`compile(fn, *example_args)`: backpropagation as straight-line Python code.

The interpreted engine builds a graph of `Value` nodes on every call and then
walks it backwards. But when the *shape* of the computation never changes (a
training step: same network, new numbers), the walk is the same every time.
So: run `fn` once on example arguments (tracing), read the graph it built,
and write the forward and backward pass out as one Python function: one
line per node forward, one line per gradient backward, the *Wengert list*:

    >>> w, b = Value(0.5, label="w"), Value(0.1, label="b")
    >>> step = micrograd_ko.compile(lambda x: (w * x + b).tanh(), 2.0)
    >>> print(step.source)
    def compiled(X, P, output_grad):
        # 순전파 (forward)
        x0, = X
        p0 = P[0].data
        p1 = P[1].data
        v0 = p1 * x0
        v1 = v0 + p0
        v2 = _tanh(v1)
        # 모든 값이 유한한지 확인 (all numbers finite? else the engine decides)
        _s = _sum((x0, p0, p1, v1, v2,))
        if _s - _s: raise _Bail
        # 역전파 (backward): ...
        g1 = output_grad * (1.0 - v2 * v2)
        g_0 = g1 * p1
        ...
        P[0].grad = t0
        P[1].grad = t1
        return v2

Names are the generator's own (`x` inputs, `p` parameters, `v` nodes, `g`
gradients, `_` helpers): no label or other text of the user's reaches the source.

Calling `step(3.0)` returns exactly what `out = fn(3.0); out.backward();
out.data` returns, and adds into every parameter's `.grad` exactly what that
`backward()` adds: the generated lines apply the engine's own rules (chosen
by the identity of the op table's rows, never by an op's name) to the same
floats in the same order.

The rule: exact or it refuses
-----------------------------
A compiled call returns what the interpreted call returns: the value, every
gradient, the sign of a zero, the error and its class. Where the compiler
cannot promise that, it refuses, and what it does instead is stated here.

Leaves:
- *inputs*: every number in `example_args` (numbers or nested lists of them;
  inputs, targets, class indices alike) becomes an input leaf; each call
  replaces them with the new arguments, which must have the same structure
  (same nesting and lengths), else `StructureError`.
- *parameters*: leaves that existed before tracing (a model's weights),
  read live (`.data`) at every call; the call adds into their `.grad`.
- *constants*: leaves `fn` made with `Value(...)`; their numbers are frozen.

Refused at compile time (`CompileError`, naming the line of `fn` where known):
- a read or write of a traced node's `.data` inside `fn` (the engine's
  `observe` hook reports it): the Python code that used the number is not in
  the trace. Reading a constant `fn` made itself is fine;
- `fn` drew random numbers from `random` (the state is put back after tracing);
- a `no_grad()` block inside `fn`, a node computed before `fn` ran (its
  number would be stale in the engine and live here), a node made with
  micrograd's constructor `Value(data, children, op)` (whatever `backward()`
  refuses or treats specially), an op that is neither a row of the engine's
  table nor an `Op` with a `forward` (a user `Op` is replayed through its own
  `forward` and `derivative`, as `Value.from_op` does; local derivatives given
  to `from_op` that differ from the rule are frozen, like constants);
- a graph of more than `MAX_NODES` nodes or `MAX_TERMS` nodes + edges, before
  any code is written (Python's own compile of a huge function is the
  cost; the interpreted engine is the fallback).

Python control flow is frozen: a comparison of Values (`<`, `<=`, `>`, `>=`,
hence `max`, `min`, `sorted`) becomes a *guard*. When a call would branch
another way, or when any number along the way is not finite, or an op raises,
the call is handed to the interpreted engine (`fn` is run again with the
call's arguments and backward() is called): the result, or the error, is
then the engine's own. Only gradients are added at the end of a call, after
every check, so a call that hands over has changed nothing. With
`compile(..., fallback=False)` a failing guard raises `GuardError` (naming
the line of `fn`) instead, for learners who want to see what the trace froze.
Inside `no_grad()` a call computes the forward pass only and touches no `.grad`,
as the interpreted call does.

The engine reports node building, `.data` reads and comparisons of the
tracing thread only (`engine.observe`), so other threads may go on computing.
"""

from __future__ import annotations

import math
import numbers
import random
import struct
import sys

from . import engine, losses
from .engine import Value, topological_order
from .i18n import bilingual

__all__ = ["compile", "CompiledFunction", "CompileError", "StructureError", "GuardError"]

# Per program (see the module docstring): karpathy's moons step written one node per op (65,177 nodes,
# 126,954 edges) fits; a graph of 100,000 nodes does not, whatever its edges.
MAX_NODES = 80_000
MAX_TERMS = 200_000  # nodes + edges
_LARGEST = sys.float_info.max


class CompileError(RuntimeError):
    """`fn` cannot be compiled faithfully (a `.data` read, an unknown op, a bad return value, ...)."""


class StructureError(CompileError, ValueError):
    """The arguments of a call have another structure than the example arguments."""


class GuardError(CompileError):
    """A Python branch inside `fn` would now go the other way than while tracing (with fallback=False)."""


# --------------------------------------------------------------------------
# Arguments: numbers and nested lists of numbers
# --------------------------------------------------------------------------


def _structure(arg, where="args"):
    """The nesting of `arg`: None for a number, else a tuple of the items' structures."""
    if isinstance(arg, (list, tuple)):
        return tuple(_structure(a, f"{where}[{i}]") for i, a in enumerate(arg))
    if isinstance(arg, numbers.Real) and not isinstance(arg, bool) and not isinstance(arg, Value):
        return None
    raise TypeError(bilingual(
        f"compile: 인자는 숫자나 숫자의 (중첩) 목록이어야 합니다: {where}는 {type(arg).__name__}입니다",
        f"compile: arguments must be numbers or (nested) lists of numbers; {where} is a {type(arg).__name__}",
    ))


def _flatten(arg, structure, out):
    """Append the numbers of `arg` to `out` as floats; False if `arg` has another structure or a number is odd."""
    if structure is None:
        if type(arg) is float or isinstance(arg, numbers.Real) and not isinstance(arg, (bool, Value)):
            try:
                out.append(float(arg))
            except (OverflowError, TypeError, ValueError):
                return False
            return True
        return False
    if not isinstance(arg, (list, tuple)) or len(arg) != len(structure):
        return False
    if structure.count(None) == len(structure) and all(type(v) is float for v in arg):
        out.extend(arg)  # a list of floats: the common case, in one step
        return True
    return all(_flatten(item, s, out) for item, s in zip(arg, structure))


def _wrap(arg, structure, leaves):
    """`arg` with every number replaced by a new leaf (appended to `leaves`)."""
    if structure is None:
        leaf = Value(arg)
        leaves.append(leaf)
        return leaf
    return [_wrap(item, s, leaves) for item, s in zip(arg, structure)]


def _describe(structure):
    if structure is None:
        return "number"
    return "[" + ", ".join(_describe(s) for s in structure) + "]"


# --------------------------------------------------------------------------
# Tracing: what fn made, read and compared
# --------------------------------------------------------------------------

# Library code that reads `.data` only to compute what the compiler replays
# itself (the losses compute a node's number with its op's own forward).
_FAITHFUL_READERS = {losses._apply.__code__}


class Tracer:
    """A tracing session: `with Tracer() as t: out = fn(...)`, then `t.compile(out, inputs)`.

    While active, the engine tells it (for this thread only) of every
    `Value(...)` (the constants of fn), every node it builds, every `.data`
    read or write outside the engine, and every comparison of Values.
    """

    def __init__(self):
        self._created = {}  # id -> the Value itself, kept alive so no later Value reuses the id
        self._made = []  # the nodes the engine built, in the order fn built them
        self._guards = []
        self._touched = []  # (value, where, wrote)
        self._in_no_grad = None
        self._watching = None

    def __enter__(self):
        self._watching = engine.observe(self)
        self._watching.__enter__()
        return self

    def __exit__(self, *exc):
        self._watching.__exit__(*exc)
        return False

    # -- called by the engine (engine.observe), for this thread only --------
    def created(self, value):
        self._created[id(value)] = value

    def made(self, node):
        self._made.append(node)
        if self._in_no_grad is None and not engine.is_grad_enabled():
            self._in_no_grad = _where(sys._getframe(2))

    def touched(self, value, frame, wrote):
        if frame.f_code in _FAITHFUL_READERS and not wrote:
            return
        if not wrote and id(value) in self._created and value._a is None:
            return  # a constant fn made itself: its number is frozen anyway
        if not self._touched:  # the first one is enough to refuse
            self._touched.append((value, _where(frame), wrote))

    def compared(self, left, symbol, right, result):
        self._guards.append((left, symbol, right, result, _where(sys._getframe(2))))

    # ------------------------------------------------------------------------
    def compile(self, output, inputs, fn, structures=(), aux=None, gradients=True, fallback=True, max_terms=None):
        """A `CompiledFunction` for `output` (a Value), whose input leaves are `inputs`."""
        self._refuse_unfaithful()
        return _generate(self, output, inputs, fn, tuple(structures), aux, gradients, fallback, max_terms)

    def _refuse_unfaithful(self):
        if self._touched:
            value, (filename, line), wrote = self._touched[0]
            verb_ko, verb_en = ("바꿉니다", "writes") if wrote else ("읽습니다", "reads")
            raise CompileError(bilingual(
                f"compile: fn이 {filename}:{line}에서 추적 중인 노드의 .data를 {verb_ko}. 그 숫자로 한 파이썬 계산은 "
                "추적에 남지 않으므로 컴파일하면 다른 숫자가 나올 수 있습니다. 엔진의 연산(relu, abs, 비교 등)을 쓰거나 "
                "컴파일하지 말고 실행하세요",
                f"compile: fn {verb_en} the .data of a traced node at {filename}:{line}; what Python computes from "
                "that number is not in the trace, so compiled code could give other numbers. Use engine ops "
                "(relu, abs, comparisons, ...) or run fn interpreted",
            ))
        if self._in_no_grad is not None:
            filename, line = self._in_no_grad
            raise CompileError(bilingual(
                f"compile: fn이 {filename}:{line}에서 no_grad() 안에서 계산합니다: 그 결과는 입력에 따라 바뀌는 상수가 되므로 컴파일할 수 없습니다",
                f"compile: fn computes inside no_grad() at {filename}:{line}; the result would be a constant that "
                "depends on the inputs, so it cannot be compiled",
            ))


def _where(frame):
    """(file, line) of the first frame outside this module, the engine and the losses' node builder."""
    skip = (__file__, engine.__file__)
    while frame is not None and (frame.f_code.co_filename in skip or frame.f_code in _FAITHFUL_READERS):
        frame = frame.f_back
    return (frame.f_code.co_filename, frame.f_lineno) if frame is not None else ("?", 0)


# --------------------------------------------------------------------------
# Code generation
# --------------------------------------------------------------------------


class _Bail(Exception):
    """Raised inside generated code: a number is not finite, so the engine decides (it raises or agrees)."""


class _GuardMiss(Exception):
    """Raised inside generated code: a Python branch of fn would go another way now."""


def _float_text(x):
    """Source text for a float, made from its bits (never from a user object's repr)."""
    x = struct.unpack("d", struct.pack("d", x))[0]  # a genuine float, whatever x's type was
    text = float.__repr__(x)
    return f"({text})" if text.startswith("-") else text


def _sigmoid_float(x):
    return engine.SIGMOID.f(x)


# The hot rows of the op table written out inline, so a step costs no function
# call per node. Each must compute exactly what its row computes; every entry
# is checked against the row when this module is imported (`_verify_inline`),
# and a row whose check fails is called through its own functions instead.
# {0}, {1}: the inputs' variables, {o}: the output's. Local derivative None:
# the term needs no multiplication ("g", "-g"); "1", "-1" spelled as such.
_INLINE_UNARY = {
    # row: (forward, local derivative, local derivative needs a finiteness check)
    engine.NEG: ("-{0}", "-1.0", False),
    engine.EXP: ("_exp({0})", "{o}", False),
    engine.LOG: ("_log({0})", "(1.0 / {0})", True),
    engine.SQRT: ("_sqrt({0})", "(0.5 / {o})", True),
    engine.ABS: ("_abs({0})", "(({0} > 0) - ({0} < 0))", False),
    engine.TANH: ("_tanh({0})", "(1.0 - {o} * {o})", False),
    engine.SIGMOID: ("_sigmoid({0})", "({o} * (1.0 - {o}))", False),
    engine.RELU: ("({0} if {0} > 0.0 else 0.0)", "({0} > 0)", False),  # max(0.0, x) without a call
}
_INLINE_BINARY = {
    engine.ADD: ("{0} + {1}", ("1.0", "1.0"), False),
    engine.SUB: ("{0} - {1}", ("1.0", "-1.0"), False),
    engine.MUL: ("{0} * {1}", ("{1}", "{0}"), False),
    engine.DIV: ("{0} / {1}", ("(1.0 / {1})", "(-{o} / {1})"), True),
}
_NAMESPACE = {
    "_exp": math.exp, "_log": math.log, "_sqrt": math.sqrt, "_tanh": math.tanh, "_abs": abs, "_max": max,
    "_sigmoid": engine.SIGMOID.f, "_fsum": math.fsum, "_sum": sum, "_Bail": _Bail, "_GuardMiss": _GuardMiss,
}


def _verify_inline():
    """Drop any inline template that does not give the row's own floats (bit for bit) on probe values."""
    probes = [-1e308, -710.0, -3.5, -1.0, -0.5, -1e-300, -5e-324, -0.0, 0.0, 5e-324, 1e-300, 0.5, 1.0, 2.0, 3.5,
              20.0, 700.0, 1e308]
    bits = lambda x: struct.pack("d", x) if isinstance(x, float) else struct.pack("d", float(x))  # noqa: E731

    def same(f, g):
        try:
            a = f()
        except Exception:  # noqa: BLE001 - an inline template may raise where the row raises
            try:
                g()
            except Exception:  # noqa: BLE001
                return True
            return False
        try:
            b = g()
        except Exception:  # noqa: BLE001
            return False
        return bits(a) == bits(b)

    for row, (forward, local, _) in list(_INLINE_UNARY.items()):
        f = eval("lambda x0: " + forward.format("x0"), dict(_NAMESPACE))  # noqa: S307 - our own template
        d = eval("lambda x0, o: 1.0 * " + local.format("x0", o="o"), dict(_NAMESPACE))  # noqa: S307
        ok = True
        for x in probes:
            if not same(lambda: f(x), lambda: row.f(x)):
                ok = False
                break
            try:
                out = row.f(x)
            except Exception:  # noqa: BLE001
                continue
            if not same(lambda: d(x, out), lambda: 1.0 * row.df(x, out)):
                ok = False
                break
        if not ok:
            del _INLINE_UNARY[row]
    for row, (forward, locals_, _) in list(_INLINE_BINARY.items()):
        f = eval("lambda x0, x1: " + forward.format("x0", "x1"), dict(_NAMESPACE))  # noqa: S307
        ds = [eval("lambda x0, x1, o: 1.0 * " + t.format("x0", "x1", o="o"), dict(_NAMESPACE))  # noqa: S307
              for t in locals_]
        ok = True
        for x in probes:
            for y in probes[::3]:
                if not same(lambda: f(x, y), lambda: row.f(x, y)):
                    ok = False
                    continue
                try:
                    out = row.f(x, y)
                    expected = row.df(x, y, out)
                except Exception:  # noqa: BLE001
                    continue
                for j, d in enumerate(ds):
                    if not same(lambda: d(x, y, out), lambda: 1.0 * expected[j]):
                        ok = False
        if not ok:
            del _INLINE_BINARY[row]


_verify_inline()


def _replayer(op, frozen_data, frozen_locals):
    """The node's number and local derivatives from its op's rule, as `Value.from_op` computes them.

    `frozen_data` / `frozen_locals`: what to use instead where the traced node
    did not come from the rule (a number or derivatives given to from_op).
    """
    forward, derivative, name = op.forward, op.derivative, str(op)

    def replay(floats):
        out = frozen_data if frozen_data is not None else forward(floats)
        if type(out) is not float:
            out = engine._check_number(out, name)
        elif not -_LARGEST <= out <= _LARGEST:
            raise _Bail
        if frozen_locals is not None:
            return out, frozen_locals
        local = derivative(floats, out)
        checked = []
        for d in local:
            if type(d) is not float:
                if isinstance(d, bool) or not isinstance(d, numbers.Real) or isinstance(d, Value):
                    raise _Bail
                d = float(d)
            if not -_LARGEST <= d <= _LARGEST:
                raise _Bail
            checked.append(d)
        if len(checked) != len(floats):
            raise _Bail
        return out, checked

    return replay


def _bits(x):
    return struct.pack("d", x)


def _same_floats(a, b):
    return len(a) == len(b) and all(type(x) in (float, int) and _bits(float(x)) == _bits(y) for x, y in zip(a, b))


class _Program:
    """The lines of the generated function, kept apart by kind so that variants can be assembled.

    Kinds: "value" (a node's number), "local" (a local derivative: only when
    gradients are recorded), "guard", plus the lists of variables whose
    finiteness is checked.
    """

    def __init__(self):
        self.forward = []  # (kind, line)
        self.checked_locals = []
        self.namespace = dict(_NAMESPACE)
        self._objects = {}

    def constant(self, obj, stem):
        """A name in the generated code's namespace for a Python object (an op's rule, a guard's number)."""
        key = id(obj)
        if key not in self._objects:
            name = f"_{stem}{len(self._objects)}"
            self._objects[key] = (name, obj)
            self.namespace[name] = obj
        return self._objects[key][0]


def _refuse(ko, en):
    raise CompileError(bilingual("compile: " + ko, "compile: " + en))


def _op_name(op):
    text = str(op)
    return text if len(text) <= 40 else text[:37] + "..."


def _generate(tracer, output, inputs, fn, structures, aux, gradients, fallback, max_terms=None):
    if not (isinstance(output, Value) or output is None and not gradients) or not _all_values(aux):
        _refuse(f"fn은 Value를 돌려줘야 합니다 ({type(output).__name__}을(를) 돌려줌)",
                f"fn must return a Value (it returned a {type(output).__name__})")
    if output is not None and output._a is None:
        _refuse("fn이 잎 노드(연산으로 만들지 않은 Value)를 돌려줍니다: 컴파일할 계산이 없습니다",
                "fn returned a leaf (a Value no operation made): there is no computation to compile")
    input_index = {id(leaf): i for i, leaf in enumerate(inputs)}
    made_ids = {id(n) for n in tracer._made}
    forward_nodes = [n for n in tracer._made if n._a is not None]
    # Every node reachable from what the call returns must have been made by fn.
    roots = ([output] if output is not None else []) + list(_aux_values(aux) if aux is not None else [])
    roots += [g[0] for g in tracer._guards] + [g[2] for g in tracer._guards if isinstance(g[2], Value)]
    leaves = {}
    orders = {}
    for root in roots:
        if id(root) in orders:
            continue
        orders[id(root)] = topological_order(root)
        for node in orders[id(root)]:
            if node._a is None:
                leaves[id(node)] = node
            elif engine.node_kind(node) in ("missing", "closure"):
                _refuse(f"'{_op_name(node._op)}' 노드는 Value(data, children, op)로 만들어졌습니다: 컴파일러는 그 "
                        "국소적 미분 규칙을 읽을 수 없습니다. Op와 Value.from_op로 연산을 만드세요",
                        f"the node '{_op_name(node._op)}' was made with Value(data, children, op); the compiler "
                        "cannot read its local-derivative rule: make the op with Op and Value.from_op")
            elif id(node) not in made_ids:
                _refuse("fn이 fn 밖에서(컴파일 전에) 계산한 노드를 씁니다: 해석 실행에서는 그 숫자가 고정되지만 "
                        "컴파일된 코드에서는 아닙니다. 그 계산을 fn 안으로 옮기세요",
                        "fn uses a node computed outside fn (before compile); its number is fixed when run "
                        "interpreted but not in compiled code: move that computation into fn")
    terms = sum(len(n._prev) for n in forward_nodes)
    limit = MAX_TERMS if max_terms is None else min(max_terms, MAX_TERMS)
    if terms + len(forward_nodes) > limit or len(forward_nodes) > MAX_NODES:
        _refuse(f"그래프가 너무 큽니다 (노드 {len(forward_nodes):,}개, 간선 {terms:,}개; 한도는 노드 {MAX_NODES:,}개, "
                f"노드 + 간선 {limit:,}개): 코드를 만들고 컴파일하는 시간과 메모리가 너무 큽니다. 해석 실행을 쓰세요",
                f"the graph is too large ({len(forward_nodes):,} nodes, {terms:,} edges; the limits are {MAX_NODES:,} "
                f"nodes and {limit:,} nodes + edges): writing and compiling its code would take too long and too "
                "much memory; run it interpreted")

    prog = _Program()
    names = {}  # id(node) -> variable or literal
    parameters = []
    for i, leaf in enumerate(inputs):
        names[id(leaf)] = f"x{i}"
    for node in leaves.values():
        key = id(node)
        if key in names:
            continue
        if key in tracer._created:
            if type(node.data) is not float:
                _refuse("상수의 값이 float가 아닙니다", "a constant does not hold a float")
            names[key] = _float_text(node.data)
        elif key in made_ids:
            _refuse("no_grad() 안에서 만든 노드를 씁니다", "fn uses a node made inside no_grad()")
        else:
            names[key] = f"p{len(parameters)}"
            parameters.append(node)
    for leaf in inputs:
        leaves.setdefault(id(leaf), leaf)

    locals_of = {}  # id(node) -> function (j, g) -> the gradient term for parent j
    for k, node in enumerate(forward_nodes):
        names[id(node)] = f"v{k}"
    for node in forward_nodes:
        for parent in node._prev:
            if id(parent) not in names:  # a leaf of a dead computation (not reachable from the roots)
                key = id(parent)
                if parent._a is not None:
                    _refuse("fn 밖에서 계산한 노드를 씁니다", "fn uses a node computed outside fn")
                if key in tracer._created:
                    names[key] = _float_text(parent.data)
                elif key in made_ids:
                    _refuse("no_grad() 안에서 만든 노드를 씁니다", "fn uses a node made inside no_grad()")
                else:
                    names[key] = f"p{len(parameters)}"
                    parameters.append(parent)
        locals_of[id(node)] = _emit_node(prog, node, names)

    guards = []
    position = {id(n): k for k, n in enumerate(forward_nodes)}
    guard_lines = {}
    for i, (left, symbol, right, result, where) in enumerate(tracer._guards):
        a = names[id(left)]
        b = names[id(right)] if isinstance(right, Value) else prog.constant(right, "k")
        after = max((position.get(id(v), -1) for v in (left, right) if isinstance(v, Value)), default=-1)
        guard_lines.setdefault(after, []).append(f"if ({a} {symbol} {b}) is not {result}: raise _GuardMiss({i})")
        guards.append((symbol, result, where))
    # Place each guard right after the last node it reads.
    placed = [(k, line) for k, line in prog.forward]
    forward = [("guard", line) for line in guard_lines.get(-1, ())]
    node_index = 0
    for kind, line in placed:
        forward.append((kind, line))
        if kind == "end":
            forward.extend(("guard", g) for g in guard_lines.get(node_index, ()))
            node_index += 1
    prog.forward = forward

    backward = []
    param_terms = {}
    leaf_grads = []
    if output is not None and gradients:
        order = orders[id(output)]
        terms_of = {id(output): ["output_grad"]}
        for node in reversed(order):
            terms = terms_of.pop(id(node), None)
            if terms is None:
                continue  # no path from the output reaches it: its gradient is 0 and it passes nothing on
            key = id(node)
            if node._a is None:
                if names[key].startswith("p"):
                    param_terms[key] = terms
                else:  # an input or a constant: its gradient only has to be finite, as in the engine
                    g = f"g_{len(leaf_grads)}"
                    _emit_sum(backward, g, terms)
                    leaf_grads.append(g)
                continue
            if len(terms) == 1 and terms[0].isidentifier():
                g = terms[0]
            else:
                g = f"g{names[key][1:]}"
                _emit_sum(backward, g, terms)
            local = locals_of[key]
            for j, parent in enumerate(node._prev):
                terms_of.setdefault(id(parent), []).append(local(j, g))

    # Which numbers are checked for inf and nan. A non-finite number passes
    # through +, -, *, neg, abs, log, sqrt and the sums to the node it feeds
    # (inf * 0 is nan, still not finite), so only the numbers that leave the
    # code or enter an op that may turn inf into a finite number (tanh, exp,
    # relu, /, comparisons, any other rule) are checked. Backward multiplies
    # every gradient into every parent's without skipping zeros, so a
    # non-finite gradient anywhere reaches a leaf: the leaves' gradients are checked.
    passing = {engine.ADD, engine.SUB, engine.MUL, engine.NEG, engine.ABS, engine.LOG, engine.SQRT, engine.SUM,
               engine.DOT}
    passing = {op for op in passing if op in _INLINE_BINARY or op in _INLINE_UNARY or op in (engine.SUM, engine.DOT)}
    consumed, leave = set(), set()
    for node in forward_nodes:
        through = node._op in passing
        for parent in node._prev:
            consumed.add(id(parent))
            if not through:
                leave.add(id(parent))
    leave.update(id(v) for v in roots)
    leave.update(id(n) for n in forward_nodes if id(n) not in consumed)
    checked_values = [names[id(leaf)] for leaf in inputs] + [f"p{k}" for k in range(len(parameters))]
    checked_values += [f"v{k}" for k, n in enumerate(forward_nodes) if id(n) in leave]
    in_backward = {f"v{k}" for k, n in enumerate(forward_nodes)} if output is None or not gradients else \
        {names[id(n)] for n in orders[id(output)] if n._a is not None}
    unchecked_locals = [d for d in prog.checked_locals if d.split("_")[0].replace("d", "v", 1) not in in_backward]

    index_of = {id(p): k for k, p in enumerate(parameters)}
    touched = [(index_of[key], terms) for key, terms in param_terms.items()]
    touched.sort()
    results = ([names[id(output)]] if output is not None else [])
    aux_source = _aux_source(aux, names) if aux is not None else None

    def assemble(variant):
        """variant: 'full', 'full_acc' (gradients added one term at a time), 'forward', 'forward_locals'."""
        with_locals = variant != "forward"
        lines = ["def compiled(X, P, output_grad):", "    # 순전파 (forward)"]
        if inputs:
            lines.append(f"    {', '.join(names[id(leaf)] for leaf in inputs)}, = X")
        for k in range(len(parameters)):
            lines.append(f"    p{k} = P[{k}].data")
        for kind, line in prog.forward:
            if kind == "local" and not with_locals or kind == "end":
                continue
            lines.append("    " + line)
        checked = checked_values + (prog.checked_locals if variant == "forward_locals" else
                                    unchecked_locals if with_locals else [])
        lines.append("    # 모든 값이 유한한지 확인 (all numbers finite? else the engine decides)")
        _emit_check(lines, checked)
        if variant.startswith("full"):
            lines.append("    # 역전파 (backward): 각 노드의 기울기 = 그 노드를 쓰는 노드들이 보낸 값의 합 (연쇄법칙)")
            lines.extend("    " + line for line in backward)
            totals = []
            for k, terms in touched:
                if variant == "full_acc":  # one term at a time onto the running sum (a batch's one backward)
                    chunks = [f"P[{k}].grad"] + terms
                    lines.append(f"    t{k} = {' + '.join(chunks[:100])}")
                    for start in range(100, len(chunks), 100):
                        lines.append(f"    t{k} = t{k} + {' + '.join(chunks[start:start + 100])}")
                else:  # the engine's backward: this call's sum first, then what the parameter held
                    _emit_sum(lines, f"s{k}", terms, indent="    ")
                    lines.append(f"    t{k} = P[{k}].grad + s{k}")
                totals.append(f"t{k}")
            _emit_check(lines, leaf_grads + totals)
            lines.append("    # 모두 유한하면 매개변수의 .grad에 쓰기 (written only after every check)")
            lines.extend(f"    P[{k}].grad = t{k}" for k, _ in touched)
        if output is None:
            lines.append(f"    return {aux_source}")
        elif aux is None:
            lines.append(f"    return {results[0]}")
        else:
            lines.append(f"    return {results[0]}, {aux_source}")
        return "\n".join(lines) + "\n"

    return CompiledFunction(assemble, prog.namespace, parameters, structures, guards, aux, fn, gradients,
                            fallback, nodes=len(forward_nodes))


def _emit_sum(lines, target, terms, indent=""):
    """`target = t1 + t2 + ...`, left to right, split so Python's parser never nests too deep."""
    lines.append(f"{indent}{target} = {' + '.join(terms[:100])}")
    for start in range(100, len(terms), 100):
        lines.append(f"{indent}{target} = {target} + {' + '.join(terms[start:start + 100])}")


def _emit_check(lines, variables):
    """Raise _Bail if any of `variables` is inf or nan (their sum is; a sum that overflows only bails too)."""
    if not variables:
        return
    for start in range(0, len(variables), 250):
        chunk = ", ".join(variables[start:start + 250])
        lines.append(f"    _s = _sum(({chunk},))" if start == 0 else f"    _s = _s + _sum(({chunk},))")
    lines.append("    if _s - _s: raise _Bail")  # 0.0 for a finite sum, nan otherwise


def _emit_node(prog, node, names):
    """Emit the node's forward lines; returns a function (j, g) -> its gradient term for parent j."""
    op, parents = node._op, node._prev
    out = names[id(node)]
    args = [names[id(p)] for p in parents]
    emit = prog.forward.append

    def times(local):
        if local == "1.0":
            return lambda j, g: g
        if local == "-1.0":
            return lambda j, g: f"-{g}"
        return lambda j, g: f"{g} * {local}"

    if type(node) is not Value:
        _refuse(f"Value의 하위 클래스({type(node).__name__})는 컴파일할 수 없습니다",
                f"a subclass of Value ({type(node).__name__}) cannot be compiled")
    if type(node._a) is not tuple:  # one or two parents: built by a Value method from a row of the table
        if len(parents) == 2 and op in _INLINE_BINARY:
            forward, locals_, check = _INLINE_BINARY[op]
            emit(("value", f"{out} = {forward.format(*args)}"))
            if check:  # d0, d1 as variables: they are checked
                d = [f"d{out[1:]}_{j}" for j in range(2)]
                for j in range(2):
                    emit(("local", f"{d[j]} = {locals_[j].format(*args, o=out)}"))
                prog.checked_locals.extend(d)
                emit(("end", ""))
                return lambda j, g: f"{g} * {d[j]}"
            emit(("end", ""))
            terms = [times(t.format(*args, o=out)) for t in locals_]
            return lambda j, g: terms[j](j, g)
        if len(parents) == 1 and op in _INLINE_UNARY:
            forward, local, check = _INLINE_UNARY[op]
            emit(("value", f"{out} = {forward.format(*args)}"))
            local = local.format(*args, o=out)
            if check:
                d = f"d{out[1:]}"
                emit(("local", f"{d} = {local}"))
                prog.checked_locals.append(d)
                local = d
            emit(("end", ""))
            return times(local)
        if len(parents) == 1 and isinstance(op, engine.Unary):  # the row's own check, forward and derivative
            if op.check is not None:
                emit(("value", f"{prog.constant(op.check, 'check')}({args[0]})"))
            emit(("value", f"{out} = {prog.constant(op.f, 'f')}({args[0]})"))
            d = f"d{out[1:]}"
            emit(("local", f"{d} = {prog.constant(op.df, 'df')}({args[0]}, {out})"))
            prog.checked_locals.append(d)
            emit(("end", ""))
            return lambda j, g: f"{g} * {d}"
        if len(parents) == 2 and isinstance(op, engine.Binary):
            if op is engine.POW:  # x ** y with a Value exponent: the engine asks x > 0 first
                emit(("value", f"if {args[0]} <= 0.0: raise _Bail"))
            emit(("value", f"{out} = {prog.constant(op.f, 'f')}({args[0]}, {args[1]})"))
            d = [f"d{out[1:]}_{j}" for j in range(2)]
            emit(("local", f"{d[0]}, {d[1]} = {prog.constant(op.df, 'df')}({args[0]}, {args[1]}, {out})"))
            prog.checked_locals.extend(d)
            emit(("end", ""))
            return lambda j, g: f"{g} * {d[j]}"
        _refuse(f"'{_op_name(op)}' 노드를 만든 규칙을 모릅니다", f"no known rule made the node '{_op_name(op)}'")
    if type(node._da) is not tuple:  # micrograd's constructor, with or without a _backward closure
        _refuse(f"'{_op_name(op)}' 노드는 Value(data, children, op)로 만들어져 국소적 미분 규칙이 없습니다. "
                "Op와 Value.from_op로 연산을 만드세요",
                f"the node '{_op_name(op)}' was made with Value(data, children, op) and has no local-derivative "
                "rule the compiler can read; make the op with Op and Value.from_op")
    n = len(parents)
    if op is engine.SUM:
        emit(("value", f"{out} = " + (f"0.0 + {' + '.join(args)}" if n <= 2 else f"_fsum(({', '.join(args)},))")))
        emit(("end", ""))
        return lambda j, g: g
    if op is engine.DOT:
        half = n // 2
        products = [f"{args[i]} * {args[half + i]}" for i in range(half)]
        emit(("value", f"{out} = " + (f"0.0 + {' + '.join(products)}" if half <= 2 else f"_fsum(({', '.join(products)},))")))
        emit(("end", ""))
        return lambda j, g: f"{g} * {args[j + half] if j < half else args[j - half]}"
    if not isinstance(op, engine.Op):
        _refuse(f"'{_op_name(op)}' 노드의 연산이 Op가 아닙니다", f"the node '{_op_name(op)}' has an op that is not an Op")
    floats = [p.data for p in parents]
    frozen_data = frozen_locals = None
    if not callable(op.forward):
        frozen_data = node.data
    else:
        try:
            same = _bits(float(op.forward(list(floats)))) == _bits(node.data)
        except Exception:  # noqa: BLE001 - a rule that fails here cannot be replayed
            same = False
        if not same:
            frozen_data = node.data
    out_data = node.data
    stored = list(node._da)
    if not callable(op.derivative):
        frozen_locals = stored
    else:
        try:
            same = _same_floats(list(op.derivative(list(floats), out_data)), stored)
        except Exception:  # noqa: BLE001
            same = False
        if not same:
            frozen_locals = stored
    replay = prog.constant(_replayer(op, frozen_data, frozen_locals), "replay")
    d = f"d{out[1:]}"
    emit(("value", f"{out}, {d} = {replay}([{', '.join(args)}])"))
    emit(("end", ""))
    return lambda j, g: f"{g} * {d}[{j}]"


def _all_values(aux):
    """Whether `aux` is None, a Value or (nested) lists of Values."""
    if aux is None or isinstance(aux, Value):
        return True
    return isinstance(aux, (list, tuple)) and all(_all_values(a) for a in aux) and len(aux) > 0


def _aux_values(aux):
    if isinstance(aux, Value):
        yield aux
    else:
        for a in aux:
            yield from _aux_values(a)


def _aux_source(aux, names):
    if isinstance(aux, Value):
        return names[id(aux)]
    return "[" + ", ".join(_aux_source(a, names) for a in aux) + "]"


def _aux_numbers(aux):
    if isinstance(aux, Value):
        return aux.data
    return [_aux_numbers(a) for a in aux]


_python_compile = compile  # the built-in, before this module's `compile` hides it


# --------------------------------------------------------------------------
# The compiled function
# --------------------------------------------------------------------------


class CompiledFunction:
    """What `compile` returns: call it with arguments shaped like the example arguments.

    - `source`: the generated Python code (forward, checks, backward).
    - `parameters`: the leaves read live at each call (`.data`) whose `.grad` it adds into.
    - `nodes`: how many graph nodes the code computes per call.
    - `handed_over`: how many calls were handed to the interpreted engine (see the module docstring).
    """

    def __init__(self, assemble, namespace, parameters, structures, guards, aux, fn, gradients, fallback, nodes):
        self._assemble, self._namespace = assemble, namespace
        self._variants = {}
        self.parameters = parameters
        self._structures = structures
        self._guards = guards
        self._aux = aux
        self._fn = fn
        self._gradients = gradients
        self._fallback = fallback
        self.nodes = nodes
        self.handed_over = 0
        self._main = self._variant("full" if gradients else "forward")

    @property
    def source(self):
        return self._main[1]

    def _variant(self, name):
        made = self._variants.get(name)
        if made is None:
            source = self._assemble(name)
            namespace = dict(self._namespace)
            exec(_python_compile(source, "<micrograd_ko.compile>", "exec"), namespace)  # noqa: S102 - our own code
            made = self._variants[name] = (namespace["compiled"], source)
        return made

    def _flat(self, args):
        if len(args) != len(self._structures):
            raise StructureError(bilingual(
                f"컴파일한 함수는 인자 {len(self._structures)}개를 받습니다 ({len(args)}개를 받음)",
                f"the compiled function takes {len(self._structures)} arguments ({len(args)} given)",
            ))
        flat = []
        for i, (arg, structure) in enumerate(zip(args, self._structures)):
            if not _flatten(arg, structure, flat):
                raise StructureError(bilingual(
                    f"args[{i}]의 구조가 추적할 때와 다릅니다 (추적: {_describe(structure)}): "
                    "새 구조로 micrograd_ko.compile을 다시 부르세요",
                    f"args[{i}] has another structure than when traced (traced: {_describe(structure)}); "
                    "call micrograd_ko.compile again for the new structure",
                ))
        return flat

    def __call__(self, *args, output_grad=1.0):
        """The output's value for `args`; adds `output_grad` * d(output)/d(p) into each parameter's `.grad`.

        `output_grad` is what `backward()` starts from at the output: 1.0.
        """
        flat = self._flat(args)
        recording = engine.is_grad_enabled()
        if not self._gradients:
            variant = "forward_locals" if recording else "forward"
        else:
            variant = "full" if recording else "forward"
        try:
            if variant == "full" and _holds_negative_zero(self.parameters):
                raise _Bail  # -0.0 + a zero keeps the engine's exact signs of zero only in the engine
            return self._variant(variant)[0](flat, self.parameters, output_grad)
        except _GuardMiss as miss:
            if not self._fallback:
                self._guard_failed(miss.args[0])
        except Exception:  # noqa: BLE001,S110 - any trouble: the engine itself decides, below
            pass
        self.handed_over += 1
        return self._interpreted(args, output_grad, recording)

    def fast(self, flat, output_grad=1.0, accumulate=False):
        """The compiled call alone, on already flattened float arguments; None where it would hand over.

        With `accumulate`, each gradient term is added onto the parameter's
        `.grad` one at a time, as ONE `backward()` over a sum of such calls
        (a mini-batch) adds them. Nothing is changed when it returns None.
        """
        try:
            return self._variant("full_acc" if accumulate else "full")[0](flat, self.parameters, output_grad)
        except Exception:  # noqa: BLE001 - a guard, a non-finite number, an op's error
            return None

    def _interpreted(self, args, output_grad, recording):
        wrapped = []
        leaves = []
        for a, s in zip(args, self._structures):
            wrapped.append(_wrap(a, s, leaves))
        result = self._fn(*wrapped)
        aux = None
        if self._aux is not None:
            if self._gradients or isinstance(result, tuple):
                result, aux = result
            else:
                result, aux = None, result
        if result is not None and self._gradients and recording:
            (result if output_grad == 1.0 else result * output_grad).backward()
        if result is None:
            return _aux_numbers(aux)
        return result.data if aux is None else (result.data, _aux_numbers(aux))

    def _guard_failed(self, i):
        symbol, result, (filename, line) = self._guards[i]
        raise GuardError(bilingual(
            f"fn 안의 파이썬 분기({filename}:{line})가 추적할 때와 다르게 갑니다 (그때 비교 {symbol}의 결과는 {result}). "
            "컴파일된 코드는 그때의 분기만 압니다. 분기 대신 엔진의 연산(relu, abs 등)을 쓰거나 다시 compile하세요",
            f"a Python branch in fn ({filename}:{line}) now goes another way than while tracing (the comparison "
            f"{symbol} was {result} then); the compiled code knows only that branch: use engine ops (relu, abs, ...) "
            "instead of the branch, or compile again",
        ))

    def __repr__(self):
        return f"<compiled function: {self.nodes} nodes, {len(self.parameters)} parameters>"


def _holds_negative_zero(parameters):
    """Whether a gradient was set to -0.0 by hand (backward() keeps it; the generated sums may not)."""
    for p in parameters:
        g = p.grad
        if g == 0.0 and math.copysign(1.0, g) < 0.0:
            return True
    return False


def compile(fn, *example_args, gradients=True, fallback=True, max_terms=None):  # noqa: A001 - the public name is micrograd_ko.compile
    """Trace `fn(*example_args)` once and return its forward + backward pass as straight-line code.

    `example_args`: numbers or (nested) lists of numbers; each becomes an input
    leaf. `fn` returns a `Value`, or a pair `(value, extra)` where `extra` is a
    Value or a (nested) list of Values whose numbers the calls also return
    (e.g. the prediction next to the loss). With `gradients=False`, `fn` may
    also return a (nested) list of Values, and calls compute the forward pass only.

    The result, called with arguments of the same structure, returns what
    `out = fn(*args); out.backward()` gives (`out.data`, the gradients added
    into the parameters), or refuses: see the module docstring for the rule,
    what is refused at compile time and when a call is handed to the engine
    (`fallback=False`: a failing guard raises `GuardError` instead).
    `max_terms`: a lower size limit than `MAX_TERMS` (nodes + edges), for a
    caller that has a cheaper way for large graphs (`fit`: sample by sample).
    """
    if not callable(fn):
        raise TypeError(bilingual("compile: fn은 함수여야 합니다", "compile: fn must be callable"))
    if not engine.is_grad_enabled():  # the trace would be leaves only: every number frozen
        raise CompileError(bilingual("compile는 no_grad() 안에서 쓸 수 없습니다", "compile cannot trace inside no_grad()"))
    structures = [_structure(a, f"args[{i}]") for i, a in enumerate(example_args)]
    inputs = []
    wrapped = [_wrap(a, s, inputs) for a, s in zip(example_args, structures)]
    state = random.getstate()
    try:
        with Tracer() as tracer:
            result = fn(*wrapped)
    finally:
        drew = random.getstate() != state
        random.setstate(state)  # tracing must not use up the caller's random numbers
    if drew:
        raise CompileError(bilingual(
            "compile: fn이 random 모듈의 난수를 뽑습니다: 컴파일하면 그 난수가 고정되므로 컴파일할 수 없습니다 "
            "(난수를 인자로 넘기거나 컴파일하지 마세요)",
            "compile: fn draws random numbers (the random module); compiled code would freeze them, so it "
            "cannot be compiled (pass them as arguments, or don't compile)",
        ))
    aux = None
    if isinstance(result, tuple) and len(result) == 2:
        result, aux = result
    elif not gradients and isinstance(result, list):  # forward only: a list of outputs
        result, aux = None, result
    return tracer.compile(result, inputs, fn, structures, aux, gradients, fallback, max_terms)
