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
        b = P[0].data
        w = P[1].data
        v0 = w * x0
        v1 = v0 + b
        v2 = _tanh(v1)
        # 역전파 (backward): 각 노드의 기울기 = 그 노드를 쓰는 노드들이 보낸 값의 합 (연쇄법칙)
        g_v1 = output_grad * (1.0 - v2 * v2)
        g_b = g_v1
        g_w = g_v1 * x0
        ...

Calling `step(3.0)` returns the output's value (a float) and adds into the
`.grad` of every parameter exactly what `fn(3.0).backward()` adds: the
generated lines apply the same local-derivative rules to the same floats in
the same order as the engine's `backward()`. Each node's gradient is one
line, the sum of what the nodes that use it pass back; a `+` node's parents
simply share its gradient's variable.

Which leaf is what:
- *inputs*: the numbers in `example_args` (numbers or nested lists of them)
  become input leaves; each call replaces them with the new arguments, which
  must have the same structure (same nesting and lengths), else
  `StructureError`. A new structure means a new graph: compile again.
- *parameters*: leaves that existed before tracing (a model's weights). The
  compiled code reads their current `.data` at every call and adds into
  their `.grad`.
- *constants*: leaves created with `Value(...)` while `fn` ran (`x * 2`, a
  target label) are frozen: their numbers are written into the code. (A
  result computed inside `no_grad()` within `fn` is a leaf too; it is frozen
  the same way, though listed among the parameters.)

Python control flow is frozen too. `if h > 0:` inside `fn` took one branch
while tracing, and the code only knows that branch. Comparisons of traced
Values (`<`, `<=`, `>`, `>=`, hence `max`, `min`, `sorted`) are recorded
while tracing and become *guards* in the code: if a call would take the
other branch, it raises `GuardError` before touching any gradient, naming
the line of `fn` that branched. (`float(value)` is an error in the engine
itself.) Reading `.data` directly cannot be seen and is not guarded: use
the engine's ops (`relu`, `abs`, ...) for data-dependent choices, which the
code follows exactly. Random numbers drawn inside `fn` (dropout) are frozen
as well: make them inputs, or don't compile.

The engine reports the `Value(...)` calls and comparisons of the tracing
thread only (`engine.observe`), so other threads may go on computing.
"""

from __future__ import annotations

import keyword
import math
import numbers
import re
import sys

from . import engine
from .engine import Value, topological_order
from .i18n import bilingual

__all__ = ["compile", "CompiledFunction", "CompileError", "StructureError", "GuardError"]


class CompileError(RuntimeError):
    """`fn` cannot be compiled (an op without a forward rule, a bad return value, ...)."""


class StructureError(CompileError, ValueError):
    """The arguments of a call have another structure than the example arguments."""


class GuardError(CompileError):
    """A Python branch inside `fn` would now go the other way than while tracing."""


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
    """Append the numbers of `arg` to `out` as floats; False if `arg` has another structure."""
    if structure is None:
        if isinstance(arg, numbers.Real) and not isinstance(arg, (bool, Value)):
            out.append(float(arg))
            return True
        return False
    if not isinstance(arg, (list, tuple)) or len(arg) != len(structure):
        return False
    if structure.count(None) == len(structure) and all(type(v) is float for v in arg):
        out.extend(arg)  # a list of floats: the common case, in one step
        return True
    return all(_flatten(item, s, out) for item, s in zip(arg, structure))


def _check_finite(flat):
    if not math.isfinite(sum(flat)):  # one cheap test; the sum of huge finite numbers may be inf too
        for x in flat:
            if not math.isfinite(x):
                raise ValueError(bilingual(f"유한한 숫자가 필요합니다: {x}", f"expected a finite number, got {x}"))


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
# Tracing: which leaves existed before, which branches Python took
# --------------------------------------------------------------------------


class _Guard:
    """One recorded Python decision on traced numbers: `left op right` gave `result`."""

    __slots__ = ("left", "op", "right", "result", "where")

    def __init__(self, left, op, right, result, where):
        self.left, self.op, self.right, self.result, self.where = left, op, right, result, where


class Tracer:
    """A tracing session: `with Tracer() as t: out = fn(...)`, then `t.compile(out, inputs)`.

    While active it records every `Value` made with `Value(...)` (the
    constants of `fn`: every other leaf in the graph is a parameter, or an
    input) and every comparison of Values; on exit it stops. `compile` may
    be called several times, e.g. once per output; each program gets the
    guards recorded since the previous `compile`.
    """

    def __init__(self):
        self._created = {}  # id -> the Value itself, kept alive so no later Value reuses the id
        self._guards = []
        self._watching = None

    def __enter__(self):
        self._watching = engine.observe(self)
        self._watching.__enter__()
        return self

    def __exit__(self, *exc):
        self._watching.__exit__(*exc)
        return False

    # called by the engine (engine.observe) for this thread only
    def created(self, value):
        self._created[id(value)] = value

    def compared(self, left, symbol, right, result):
        self._guards.append(_Guard(left, symbol, right, result, _caller()))

    def is_parameter(self, leaf):
        """A leaf not made while tracing: it existed before (a weight), so it is read live."""
        return id(leaf) not in self._created

    def compile(self, output, inputs, structures=(), aux=None, gradients=True):
        """A `CompiledFunction` for `output` (a Value), whose input leaves are `inputs`."""
        guards, self._guards[:] = list(self._guards), []
        return _generate(self, output, inputs, tuple(structures), guards, aux, gradients)


def _caller():
    """'file:line' of the code outside this module and the engine that made the comparison."""
    frame = sys._getframe(2)
    skip = (__file__, engine.__file__)
    while frame is not None and frame.f_code.co_filename in skip:
        frame = frame.f_back
    return f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else "?"


# --------------------------------------------------------------------------
# Code generation: one line per node (forward), one per edge (backward)
# --------------------------------------------------------------------------

# Names the generated code uses besides its variables.
_NAMESPACE = {
    "_exp": math.exp, "_log": math.log, "_sqrt": math.sqrt, "_tanh": math.tanh, "_pow": math.pow,
    "_fsum": math.fsum, "_log1p": math.log1p, "_isfinite": math.isfinite, "_sigmoid": engine.SIGMOID.f,
}

# The hot ops are written out inline, so a step costs no function call per node.
# Each template computes exactly what the op's row in the engine computes
# (the same float operations in the same order): {0}, {1} are the inputs'
# variables, {o} the output's. Every other op calls its row's own functions.
_UNARY_FORWARD = {
    "neg": "-{0}",
    "exp": "_exp({0})",
    "log": "_log({0})",
    "sqrt": "_sqrt({0})",
    "abs": "abs({0})",
    "tanh": "_tanh({0})",
    "sigmoid": "_sigmoid({0})",
    "relu": "max(0.0, {0})",
}
# Local derivatives d out / d input, as the engine's rules compute them.
_UNARY_LOCAL = {
    "neg": "-1.0",
    "exp": "{o}",
    "log": "(1.0 / {0})",
    "sqrt": "(0.5 / {o})",
    "abs": "(({0} > 0) - ({0} < 0))",
    "tanh": "(1.0 - {o} * {o})",
    "sigmoid": "({o} * (1.0 - {o}))",
}
_BINARY_FORWARD = {"+": "{0} + {1}", "-": "{0} - {1}", "*": "{0} * {1}", "/": "{0} / {1}", "**": "_pow({0}, {1})"}
_BINARY_LOCAL = {
    "+": ("1.0", "1.0"),
    "-": ("1.0", "-1.0"),
    "*": ("{1}", "{0}"),
    "/": ("(1.0 / {1})", "(-{o} / {1})"),
}


class _Writer:
    """Names for nodes and the lines of the generated function."""

    def __init__(self):
        self.lines = []
        self.names = {}
        self.namespace = dict(_NAMESPACE)
        self._taken = set(self.namespace) | {"X", "P", "output_grad", "compiled"}
        self._objects = {}
        self._counts = {}

    def name(self, node, prefix="v"):
        name = self.names.get(node)
        if name is None:
            label = getattr(node, "label", "")
            if _usable_label(label) and label not in self._taken:
                name = label
            else:
                count = self._counts.get(prefix, 0)
                self._counts[prefix] = count + 1
                name = f"{prefix}{count}"
                while name in self._taken:
                    name += "_"
            self._taken.add(name)
            self.names[node] = name
        return name

    def constant(self, obj, stem):
        """A name in the generated code's namespace for a Python object (an op's rule)."""
        key = id(obj)
        if key not in self._objects:
            name = f"_{stem}{len(self._objects)}"
            self._objects[key] = name
            self.namespace[name] = obj
        return self._objects[key]

    def emit(self, line):
        self.lines.append("    " + line)


def _usable_label(label):
    return (isinstance(label, str) and re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", label) is not None
            and not keyword.iskeyword(label) and not re.fullmatch(r"[vgxp]\d+_*", label))


def _literal(x):
    text = repr(float(x)) if not isinstance(x, int) else repr(x)
    return f"({text})" if text.startswith("-") else text


def _generate(tracer, output, inputs, structures, guards, aux, gradients=True):
    """The compiled function of `output` (None: forward only, returning the numbers of `aux`)."""
    if not (isinstance(output, Value) or output is None and not gradients) or not _all_values(aux):
        raise CompileError(bilingual(
            f"compile: fn은 Value를 돌려줘야 합니다 ({type(output).__name__}을(를) 돌려줌)",
            f"compile: fn must return a Value (it returned a {type(output).__name__})",
        ))
    order = topological_order(output) if output is not None else []
    seen = set(order)
    extra_roots = [g.left for g in guards] + [g.right for g in guards if isinstance(g.right, Value)]
    aux_nodes = list(_aux_values(aux)) if aux is not None else []
    extra = []
    for root in extra_roots + aux_nodes:
        if root not in seen:
            for node in topological_order(root):
                if node not in seen:
                    seen.add(node)
                    extra.append(node)
    forward_order = extra + order
    input_index = {id(leaf): i for i, leaf in enumerate(inputs)}

    w = _Writer()
    kinds = {}  # node -> "input" | "parameter" | "constant" | "node"
    parameters = []
    for node in forward_order:
        if node._prev:
            kinds[node] = "node"
        elif id(node) in input_index:
            kinds[node] = "input"
        elif tracer.is_parameter(node):
            kinds[node] = "parameter"
            parameters.append(node)
        else:
            kinds[node] = "constant"

    def ref(node):
        if kinds.get(node) == "constant":
            return _literal(node.data)
        return w.name(node)

    w.emit("# 순전파 (forward)")
    if inputs:
        names = [w.name(leaf, "x") for leaf in inputs]
        w.emit(f"{', '.join(names)}, = X")
    for k, p in enumerate(parameters):
        w.emit(f"{w.name(p, 'p')} = P[{k}].data")
    # Each guard is checked as soon as its numbers are known, before a wrong
    # branch could reach an op outside its domain.
    position = {node: i for i, node in enumerate(forward_order)}
    guards_after = {}
    for i, g in enumerate(guards):
        ready = max(position[v] for v in (g.left, g.right) if isinstance(v, Value))
        guards_after.setdefault(forward_order[ready], []).append(i)
    locals_of = {}
    leaf_guards = [i for node in forward_order if kinds[node] != "node" for i in guards_after.get(node, ())]
    for i in sorted(leaf_guards):
        _emit_guard(w, i, guards[i], ref)
    for node in forward_order:
        if kinds[node] == "node":
            locals_of[node] = _emit_forward(w, node, ref)
            for i in guards_after.get(node, ()):
                _emit_guard(w, i, guards[i], ref)

    # Which nodes need a gradient: those that depend on a parameter.
    needs = set(parameters) if gradients else set()
    for node in order:
        if kinds[node] == "node" and any(p in needs for p in node._prev):
            needs.add(node)

    # Backward: walking the nodes in reverse order, each node's gradient is
    # the sum of what its consumers pass it (연쇄법칙). All of them come
    # before it in this walk, so its gradient is written as ONE line, just
    # before it passes gradients on: the terms in the order the engine's
    # backward() adds them, so the floats are the same.
    w.emit("# 역전파 (backward): 각 노드의 기울기 = 그 노드를 쓰는 노드들이 보낸 값의 합 (연쇄법칙)")
    terms = {output: ["output_grad"]} if output in needs else {}
    grads = {}  # node -> its gradient's variable (or another variable holding the same float)
    for node in reversed(order):
        if kinds[node] != "node" or node not in terms:
            continue
        g = grads[node] = _write_gradient(w, node, terms.pop(node))
        for j, parent in enumerate(node._prev):
            if parent in needs:
                terms.setdefault(parent, []).append(locals_of[node](j, g))
    touched = [(k, p) for k, p in enumerate(parameters) if p in terms]
    for _, p in touched:
        grads[p] = _write_gradient(w, p, terms.pop(p), share=False)
    results = [ref(output)] if output is not None else [ref(v) for v in _aux_values(aux)]
    w.emit("# 값과 기울기가 모두 유한할 때만 매개변수의 .grad에 더하기 (add into .grad only if all are finite)")
    w.emit(f"if not _isfinite(sum(({', '.join(results + [grads[p] for _, p in touched])},))):")
    w.emit("    raise OverflowError('inf or nan')")
    for k, p in touched:
        w.emit(f"P[{k}].grad += {grads[p]}")
    if output is None:
        w.emit(f"return {_aux_source(aux, ref)}")
    elif aux is None:
        w.emit(f"return {results[0]}")
    else:
        w.emit(f"return {results[0]}, {_aux_source(aux, ref)}")

    source = "def compiled(X, P, output_grad):\n" + "\n".join(w.lines) + "\n"
    namespace = w.namespace
    exec(_python_compile(source, "<micrograd_ko.compile>", "exec"), namespace)
    # The guards keep only their text: holding the traced nodes would keep the whole traced graph alive.
    guards = [f"{_shown(g.left)} {g.op} {_shown(g.right)}" for g in guards], [g.result for g in guards], \
        [g.where for g in guards]
    return CompiledFunction(namespace["compiled"], source, parameters, structures, guards, aux,
                            nodes=sum(1 for n in forward_order if kinds[n] == "node"))


_python_compile = compile  # the built-in, before this module's `compile` hides it

_TERMS_PER_LINE = 100  # long sums are split (left to right, the same order) so Python's parser never nests too deep


def _write_gradient(w, node, terms, share=True):
    """Emit `g_node = t1 + t2 + ...`; returns the variable that holds it.

    One term that is already a variable needs no line (with `share`): the
    node shares it (the `+` node's parents share its gradient).
    """
    if share and len(terms) == 1 and terms[0].isidentifier():
        return terms[0]
    g = "g_" + w.name(node)
    w.emit(f"{g} = {' + '.join(terms[:_TERMS_PER_LINE])}")
    for start in range(_TERMS_PER_LINE, len(terms), _TERMS_PER_LINE):
        w.emit(f"{g} = {g} + {' + '.join(terms[start:start + _TERMS_PER_LINE])}")
    return g


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


def _aux_source(aux, ref):
    if isinstance(aux, Value):
        return ref(aux)
    return "[" + ", ".join(_aux_source(a, ref) for a in aux) + "]"


def _emit_guard(w, i, g, ref):
    left = ref(g.left)
    right = ref(g.right) if isinstance(g.right, Value) else _literal(g.right) if isinstance(g.right, numbers.Real) else None
    if right is None:
        return
    test = f"{left} {g.op} {right}"
    w.emit(f"if ({test}) is not {g.result}: _guard_failed({i})  # {g.where}")


def _emit_forward(w, node, ref):
    """Emit the node's forward line; returns a function (j, g) -> the gradient term for parent j."""
    op, parents = node._op, node._prev
    out = w.name(node)
    args = [ref(p) for p in parents]
    name = str(op)
    params = getattr(op, "params", {}) or {}

    def times(local):
        return lambda j, g: f"{g} * {local}"

    if len(parents) == 2 and name in _BINARY_FORWARD and not params:
        w.emit(f"{out} = {_BINARY_FORWARD[name].format(*args)}")
        if name in _BINARY_LOCAL:
            templates = [t.format(*args, o=out) for t in _BINARY_LOCAL[name]]
            return lambda j, g: g if templates[j] == "1.0" else f"{g} * {templates[j]}"
        return _rule_locals(w, node, args, out)
    if len(parents) == 1 and not params and name in _UNARY_FORWARD:
        w.emit(f"{out} = {_UNARY_FORWARD[name].format(*args)}")
        if name == "relu":  # g * True is g * 1, g * False is g * 0: the engine's g * 1.0, g * 0.0
            return lambda j, g: f"{g} * ({args[0]} > 0)"
        return times(_UNARY_LOCAL[name].format(*args, o=out))
    if len(parents) == 1 and "exponent" in params:  # x ** c
        c = params["exponent"]
        w.emit(f"{out} = _pow({args[0]}, {_literal(c)})")
        return times(f"({_literal(c)} * {args[0]} ** {_literal(c - 1)})" if c else "0.0")
    if name == "sum":
        w.emit(f"{out} = {_exact_sum(args)}")
        return lambda j, g: g
    if name == "dot":
        n = len(args) // 2
        w.emit(f"{out} = {_exact_sum([f'{args[i]} * {args[n + i]}' for i in range(n)])}")
        return lambda j, g: f"{g} * {args[j + n] if j < n else args[j - n]}"
    if len(parents) == 1 and callable(getattr(op, "f", None)) and callable(getattr(op, "df", None)):
        # A row of the engine's op table: call its own forward and derivative.
        if getattr(op, "check", None) is not None:
            w.emit(f"{w.constant(op.check, 'check')}({args[0]})")
        w.emit(f"{out} = {w.constant(op.f, 'f')}({args[0]})")
        return times(f"{w.constant(op.df, 'df')}({args[0]}, {out})")
    forward = getattr(op, "forward", None)
    if forward is None or getattr(op, "derivative", None) is None:
        raise CompileError(bilingual(
            f"compile: '{name}' 연산은 순전파 규칙(op.forward)이 없어 컴파일할 수 없습니다",
            f"compile: the op '{name}' has no forward rule (op.forward), so it cannot be compiled",
        ))
    w.emit(f"{out} = {w.constant(forward, 'forward')}(({', '.join(args)},))")
    return _rule_locals(w, node, args, out)


def _exact_sum(terms):
    """The exactly rounded sum, as the engine's sum and dot compute it (math.fsum).

    For one or two terms, `+` is already exactly rounded, and much faster.
    """
    if len(terms) <= 2:
        return " + ".join(terms)
    return f"_fsum(({', '.join(terms)},))"


def _rule_locals(w, node, args, out):
    """Local derivatives from the op's own rule, called on floats (as the engine's forward pass does)."""
    d = w.constant(node._op.derivative, "derivative")
    local = "d_" + out
    w.emit(f"{local} = {d}(({', '.join(args)},), {out})")
    return lambda j, g: f"{g} * {local}[{j}]"


# --------------------------------------------------------------------------
# The compiled function
# --------------------------------------------------------------------------


class CompiledFunction:
    """What `compile` returns: call it with arguments shaped like the example arguments.

    - `source`: the generated Python code (forward, guards, backward).
    - `parameters`: the leaves read live at each call (`.data`) whose `.grad` it adds into.
    - `nodes`: how many graph nodes the code computes per call.
    """

    def __init__(self, function, source, parameters, structures, guards, aux, nodes):
        self._function = function
        self.source = source
        self.parameters = parameters
        self._structures = structures
        self._guards = guards
        self._aux = aux
        self.nodes = nodes
        function.__globals__["_guard_failed"] = self._guard_failed

    def __call__(self, *args, output_grad=1.0):
        """The output's value for `args`; adds `output_grad` * d(output)/d(p) into each parameter's `.grad`.

        `output_grad` is what `backward()` starts from at the output: 1.0.
        A mean over n calls (a mini-batch) passes 1.0 / n to each.
        """
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
        _check_finite(flat)
        try:
            return self._function(flat, self.parameters, output_grad)
        except GuardError:
            raise
        except (ArithmeticError, ValueError) as error:
            raise _float_error(error) from error

    def _guard_failed(self, i):
        texts, results, wheres = self._guards
        test, result, where = texts[i], results[i], wheres[i]
        raise GuardError(bilingual(
            f"fn 안의 파이썬 분기({where})가 추적할 때와 다르게 갑니다: 추적할 때 {test}는 {result}였습니다. "
            "컴파일된 코드는 그때의 분기만 압니다. 분기 대신 엔진의 연산(relu, abs 등)을 쓰거나 다시 compile하세요",
            f"a Python branch in fn ({where}) now goes another way than while tracing: {test} was {result} then, "
            "and the compiled code knows only that branch; use engine ops (relu, abs, ...) instead of the branch, "
            "or compile again",
        ))

    def __repr__(self):
        return f"<compiled function: {self.nodes} nodes, {len(self.parameters)} parameters>"


def _shown(x):
    return f"Value({x.data!r})" if isinstance(x, Value) else repr(x)


def _float_error(error):
    if isinstance(error, (OverflowError, ZeroDivisionError)):  # 0.5 / 0 is an infinite slope
        return OverflowError(bilingual(
            f"컴파일된 함수: 값이나 기울기가 float 범위를 넘었습니다 ({error})",
            f"compiled function: a value or gradient left the float range ({error})",
        ))
    return ValueError(bilingual(
        f"컴파일된 함수: 정의역을 벗어난 입력입니다 ({type(error).__name__}: {error}); 해석 실행으로 어느 노드인지 확인하세요",
        f"compiled function: an input outside an op's domain ({type(error).__name__}: {error}); "
        "run fn interpreted to see which node",
    ))


def compile(fn, *example_args, gradients=True):  # noqa: A001 - the public name is micrograd_ko.compile
    """Trace `fn(*example_args)` once and return its forward + backward pass as straight-line code.

    `example_args`: numbers or (nested) lists of numbers; each becomes an input
    leaf. `fn` returns a `Value`, or a pair `(value, extra)` where `extra` is a
    Value or a (nested) list of Values whose numbers the calls also return
    (e.g. the prediction next to the loss). With `gradients=False`, `fn` may
    also return a (nested) list of Values.

    The result, called with arguments of the same structure, returns the
    output's value (or `(value, extra numbers)`) and adds into every
    parameter's `.grad` what `fn(*args).backward()` would; with
    `gradients=False` it only computes the forward pass (evaluation) and
    touches no `.grad`. See the module
    docstring for what is frozen (constants, Python branches) and what is
    read live (parameters).
    """
    if not callable(fn):
        raise TypeError(bilingual("compile: fn은 함수여야 합니다", f"compile: fn must be callable, got {fn!r}"))
    if not engine.is_grad_enabled():  # the trace would be leaves only: every number frozen
        raise CompileError(bilingual("compile는 no_grad() 안에서 쓸 수 없습니다", "compile cannot trace inside no_grad()"))
    structures = [_structure(a, f"args[{i}]") for i, a in enumerate(example_args)]
    inputs = []
    wrapped = [_wrap(a, s, inputs) for a, s in zip(example_args, structures)]
    with Tracer() as tracer:
        result = fn(*wrapped)
    aux = None
    if isinstance(result, tuple) and len(result) == 2:
        result, aux = result
    elif not gradients and isinstance(result, list):  # forward only: a list of outputs
        result, aux = None, result
    return tracer.compile(result, inputs, structures, aux, gradients)
