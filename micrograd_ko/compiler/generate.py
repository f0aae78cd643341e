"""Stage 2 of compile, *generate*: write the traced graph out as Python source, one line per node.

Forward lines apply each node's rule, chosen by the identity of its op (the
op table's rows; the hot ones inline, each template checked against its row
at import), a user `Op` through its own forward and derivative. Then the
checks for inf and nan, the backward lines (each gradient the sum of its
consumers' terms, in the order `backward()` adds them), and the writes into
the parameters' `.grad`. Graphs over the size limits are refused before any
code is written, and code longer than `MAX_SOURCE` before Python compiles
it. Returns a `run.CompiledFunction`.
"""

from __future__ import annotations

import functools
import gc
import math
import numbers
import operator
import struct

from .. import engine, losses
from ..engine import _LARGEST, Value, topological_order
from ..i18n import bilingual
from .errors import CompileError, _Bail, _GuardMiss
from .run import _GONE, CompiledFunction
from .trace import _DEEPEST

# Per program (see the module docstring): karpathy's moons step written one node per op (65,177 nodes,
# 126,954 edges) fits; a graph of 100,000 nodes does not, whatever its edges.
MAX_NODES = 80_000
MAX_TERMS = 200_000  # nodes + edges
# Characters of the main function's source. Python's compile of it needs 100-120 bytes of memory per
# character (measured: 190 MB for W2's 1.9 million with a node per neuron, 308 MB for a tanh chain's 2.5
# million, 1.9 GB for one dot of 99,000 weights: 16 million): 2.4 million keeps it under 300 MB. W2 written
# one node per op (3.2 million) is over.
MAX_SOURCE = 2_400_000


def _float_text(x):
    """Source text for a float, made from its bits (never from a user object's repr)."""
    x = struct.unpack("d", struct.pack("d", x))[0]  # a genuine float, whatever x's type was
    text = float.__repr__(x)
    return f"({text})" if text.startswith("-") else text


# The hot rows of the op table written out inline, so a step costs no function
# call per node. Each must compute exactly what its row computes; every entry
# is checked against the row when this module is imported (`_verify_inline`),
# and a row whose check fails is called through its own functions instead, as
# is a row whose rules were set to others since (`_CHECKED_RULES`).
# {0}, {1}: the inputs' variables, {o}: the output's. Local derivative None:
# the term needs no multiplication ("g", "-g"); "1", "-1" spelled as such.
_INLINE_UNARY = {
    # row: (forward, local derivative, local derivative needs a finiteness check)
    engine.NEG: ("-{0}", "-1.0", False),
    engine.EXP: ("_exp({0})", "{o}", False),
    engine.LOG: ("_log({0})", "(1.0 / {0})", True),
    engine.SQRT: ("_sqrt({0})", "(0.5 / {o})", True),
    engine.ABS: ("_abs({0})", "(1.0 if {0} > 0.0 else -1.0 if {0} < 0.0 else 0.0)", False),
    # tanh and sigmoid: both branches of the row, the saturated one too (sech(x)^2 with t = e^-|x|; s(x) s(-x))
    engine.TANH: (
        "_tanh({0})",
        "(1.0 - {o} * {o} if -0.5 < {o} < 0.5 else "
        "(_s := 2.0 * (_t := _exp(-{0} if {0} > 0 else {0})) / (1.0 + _t * _t)) * _s)",
        False,
    ),
    engine.SIGMOID: (
        "(1.0 / (1.0 + _exp(-{0})) if {0} >= 0 else (_e := _exp({0})) / (1.0 + _e))",
        "({o} * ((_e := _exp(-{0})) / (1.0 + _e)) if {0} > 0 else {o} * (1.0 - {o}))",
        False,
    ),
    # (the slopes as floats: g * 1.0 is g exactly, and a float times a float skips the conversion of a bool)
    engine.RELU: ("({0} if {0} > 0.0 else 0.0)", "(1.0 if {0} > 0.0 else 0.0)", False),  # max(0.0, x) without a call
}
_INLINE_BINARY = {
    engine.ADD: ("{0} + {1}", ("1.0", "1.0"), False),
    engine.SUB: ("{0} - {1}", ("1.0", "-1.0"), False),
    engine.MUL: ("{0} * {1}", ("{1}", "{0}"), False),
    engine.DIV: ("{0} / {1}", ("(1.0 / {1})", "(-{o} / {1})"), True),
}
_NAMESPACE = {
    "_exp": math.exp,
    "_log": math.log,
    "_sqrt": math.sqrt,
    "_tanh": math.tanh,
    "_abs": abs,
    "_type": type,
    "_float": float,
    "_max": max,
    "_fsum": math.fsum,
    "_sum": sum,
    "_map": map,
    "_Bail": _Bail,
    "_GuardMiss": _GuardMiss,
}


def _rules(row):
    """The functions a row computes with: `f`, `df` and `check` of the table's rows, `forward` and `derivative`."""
    return tuple(getattr(row, name, None) for name in ("f", "df", "check", "forward", "derivative"))


def _outcome(f, *args):
    """The bits of f(*args) as a float, or None where it raises (a template must raise where its row does)."""
    try:
        return struct.pack("d", float(f(*args)))
    except Exception:
        return None


def _local_of(df, j, *args):
    """d out / d input j, as a two-input row computes it."""
    return df(*args)[j]


def _binary_agrees(row, f, ds, x, y):
    out = _outcome(row.f, x, y)
    if _outcome(f, x, y) != out:
        return False
    if out is None:
        return True
    o = struct.unpack("d", out)[0]
    return all(_outcome(d, x, y, o) == _outcome(_local_of, row.df, j, x, y, o) for j, d in enumerate(ds))


def _unary_agrees(row, f, d, x):
    out = _outcome(row.f, x)
    if _outcome(f, x) != out:
        return False
    if out is None:
        return True
    o = struct.unpack("d", out)[0]
    return _outcome(d, x, o) == _outcome(row.df, x, o)


def _verify_inline():
    """Drop any inline template that does not give the row's own floats (bit for bit) on probe values."""
    probes = [-1e308, -710.0, -3.5, -1.0, -0.5, -1e-300, -5e-324, -0.0, 0.0, 5e-324, 1e-300, 0.5, 1.0, 2.0, 3.5,
              20.0, 700.0, 1e308]  # fmt: skip
    for row, (forward, local, _) in list(_INLINE_UNARY.items()):
        f = eval("lambda x0: " + forward.format("x0"), dict(_NAMESPACE))  # our own template, no user text
        d = eval("lambda x0, o: " + local.format("x0", o="o"), dict(_NAMESPACE))
        if not all(_unary_agrees(row, f, d, x) for x in probes):
            del _INLINE_UNARY[row]
    for row, (forward, locals_, _) in list(_INLINE_BINARY.items()):
        f = eval("lambda x0, x1: " + forward.format("x0", "x1"), dict(_NAMESPACE))
        ds = [eval("lambda x0, x1, o: " + t.format("x0", "x1", o="o"), dict(_NAMESPACE)) for t in locals_]
        if not all(_binary_agrees(row, f, ds, x, y) for x in probes for y in probes[::3]):
            del _INLINE_BINARY[row]


_verify_inline()


# The rows whose templates passed that check, by identity, with the rules they were checked against. A learner
# may set a row's rule to one of their own before compiling (`engine.SIGMOID.f = mine`, `engine.MUL.f`):
# the engine computes with it, so that row is then called through its rules, not written out. (A rule is
# compared with `is`: an object of the learner's may say it is equal to any function.)
_CHECKED_RULES = {id(row): (row, _rules(row)) for table in (_INLINE_UNARY, _INLINE_BINARY) for row in table}


# Functions of other modules the rows call by name when they run, as they were when the templates were checked
# against the rows: one set to the learner's own before compiling (`math.exp = mine`) is what the engine calls,
# so then no row is written out. (Set after compiling: the watch of micrograd_ko's own modules sees it.)
_CALLED = tuple(
    (module, name, getattr(module, name, _GONE))
    for module, names in ((math, ("exp", "log", "fsum")), (engine, ("_exp", "_sign", "sigmoid_of", "_sigmoid_float")))
    for name in names
)


def _rows_as_checked():
    """The ids of the rows that may be written out now: the row's rules the ones checked, and the functions they
    call the same."""
    if not all(getattr(module, name, _GONE) is function for module, name, function in _CALLED):
        return set()
    return {key for key, (row, rules) in _CHECKED_RULES.items() if all(map(operator.is_, _rules(row), rules))}


_LOSS_ROWS = {id(losses.MSE): "mse", id(losses.BCE): "bce", id(losses.CROSS_ENTROPY): "cross_entropy"}


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

    replay.op = op if frozen_data is None and frozen_locals is None else None  # (the C form may know its rules)
    return replay


def _bits(x):
    return struct.pack("d", x)


def _same_floats(a, b):
    """Whether a rule's slopes `a` are the stored `b`, as from_op stores them: any real number (a numpy float
    too) as its float."""
    return len(a) == len(b) and all(
        isinstance(x, numbers.Real) and not isinstance(x, (bool, Value)) and _bits(float(x)) == _bits(y)
        for x, y in zip(a, b)
    )


class _Program:
    """The lines of the generated function, kept apart by kind so that variants can be assembled.

    Kinds: "value" (a node's number), "local" (a local derivative: only when
    gradients are recorded), "guard", plus the lists of variables whose
    finiteness is checked.
    """

    def __init__(self):
        self.forward = []  # (kind, line)
        self.checked_locals = []
        self.given_to_from_op = {}  # the tracer's: id(node) -> whether fn gave from_op its slopes too
        self.inline = _rows_as_checked()  # ids of the rows written out in this program
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


def _without_gc_pauses(generate):
    """`generate` with Python's cyclic garbage collector off while it runs (left as it was found).

    Writing a program allocates a few objects per node and term and frees
    almost none, so the collector would only walk the whole traced graph
    again and again: for karpathy's moons step written one node per op
    (65,177 nodes) that was more than half of the time.
    """

    @functools.wraps(generate)
    def run(*args, **kwargs):
        if not gc.isenabled():
            return generate(*args, **kwargs)
        gc.disable()
        try:
            return generate(*args, **kwargs)
        finally:
            gc.enable()

    return run


@_without_gc_pauses
def generate_program(tracer, output, inputs, fn, structures, aux, gradients, fallback, max_terms=None):
    if not (isinstance(output, Value) or output is None and not gradients):
        _refuse(
            f"fn은 Value를 돌려줘야 합니다 ({type(output).__name__}을(를) 돌려줌)",
            f"fn must return a Value (it returned a {type(output).__name__})",
        )
    if _nested_deeper_than(aux, _DEEPEST):  # (before the walks below, which recurse)
        _refuse(
            f"fn이 출력 뒤에 함께 돌려주는 목록이 {_DEEPEST}겹보다 깊게 중첩되어 있습니다 (또는 자기 자신을 담습니다)",
            f"what fn returns beside its output is nested more than {_DEEPEST} deep (or holds itself)",
        )
    if not _all_values(aux):
        kinds = ", ".join(sorted({type(a).__name__ for a in _leaves_of(aux) if not isinstance(a, Value)})) or "[]"
        _refuse(
            f"fn이 출력 뒤에 함께 돌려주는 값은 Value(또는 Value의 목록)여야 합니다 (받은 자료형: {kinds})",
            f"what fn returns beside its output must be Values (or lists of Values), got {kinds}",
        )
    if output is not None and output._a is None:
        _refuse(
            "fn이 잎 노드(연산으로 만들지 않은 Value)를 돌려줍니다: 컴파일할 계산이 없습니다",
            "fn returned a leaf (a Value no operation made): there is no computation to compile",
        )
    made_ids = {id(n) for n in tracer._made}
    forward_nodes = [n for n in tracer._made if n._a is not None]
    # Every node reachable from what the call returns must have been made by fn.
    roots = ([output] if output is not None else []) + list(_aux_values(aux) if aux is not None else [])
    roots += [g[0] for g in tracer._guards] + [g[2] for g in tracer._guards if isinstance(g[2], Value)]
    leaves = {}
    output_order = topological_order(output) if output is not None else []  # backward()'s own order
    reached = dict.fromkeys(output_order)  # every node a root depends on (an ordered set)
    for nodes in [output_order, *(topological_order(root, reached) for root in roots)]:
        for node in nodes:
            if node._a is None:
                leaves[id(node)] = node
            elif engine.node_kind(node) in ("missing", "closure"):
                _refuse(
                    f"'{_op_name(node._op)}' 노드는 Value(data, children, op)로 만들어졌습니다: 컴파일러는 그 "
                    "국소적 미분 규칙을 읽을 수 없습니다. Op와 Value.from_op로 연산을 만드세요",
                    f"the node '{_op_name(node._op)}' was made with Value(data, children, op); the compiler "
                    "cannot read its local-derivative rule: make the op with Op and Value.from_op",
                )
            elif id(node) not in made_ids:
                _refuse(
                    "fn이 fn 밖에서(컴파일 전에) 계산한 노드를 씁니다: 해석 실행에서는 그 숫자가 고정되지만 "
                    "컴파일된 코드에서는 아닙니다. 그 계산을 fn 안으로 옮기세요",
                    "fn uses a node computed outside fn (before compile); its number is fixed when run "
                    "interpreted but not in compiled code: move that computation into fn",
                )
    terms = sum(len(n._prev) for n in forward_nodes)
    limit = MAX_TERMS if max_terms is None else min(max_terms, MAX_TERMS)
    size = terms + len(forward_nodes)
    if len(forward_nodes) > MAX_NODES:  # name the one limit that was passed, not both
        ko_size, en_size = (
            f"노드 {len(forward_nodes):,}개 > 한도 {MAX_NODES:,}개",
            f"{len(forward_nodes):,} nodes > the limit of {MAX_NODES:,}",
        )
    elif size > limit:
        ko_size, en_size = (
            f"노드 + 간선 {size:,}개 > 한도 {limit:,}개",
            f"{size:,} nodes + edges > the limit of {limit:,}",
        )
    else:
        ko_size = en_size = ""
    if ko_size:
        _refuse(
            f"그래프가 너무 큽니다 ({ko_size}): 코드를 만들고 컴파일하는 데 시간과 메모리가 너무 듭니다",
            f"the graph is too large ({en_size}): writing and compiling its code would take too long and too much "
            "memory",
        )

    prog = _Program()
    prog.given_to_from_op = tracer.numbers_given_to_from_op
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
    position = {id(n): k for k, n in enumerate(forward_nodes)} if tracer._guards else {}
    guard_lines = {}
    for i, (left, symbol, right, result, where) in enumerate(tracer._guards):
        a = names[id(left)]
        b = names[id(right)] if isinstance(right, Value) else prog.constant(right, "k")
        after = max((position.get(id(v), -1) for v in (left, right) if isinstance(v, Value)), default=-1)
        # a branch that turns on a number that is not finite (an overflow on the way) is the engine's to decide:
        # it raises that overflow where it happened, before any branch
        miss = "not " if _truth(result) else ""
        guard_lines.setdefault(after, []).append(
            f"if {miss}({a} {symbol} {b}): raise _GuardMiss({i}) if {a} - {a} == 0.0 == {b} - {b} else _Bail"
        )
        guards.append((symbol, result, where))
    if guard_lines:
        prog.forward = _with_guards(prog.forward, guard_lines)

    backward = []
    param_terms = {}
    leaf_grads = []
    bound = _LeafBound()
    if output is not None and gradients:
        terms_of = {id(output): ["output_grad"]}
        factors_of = {}  # id(node) -> per term: (gradient, factor) where the term is gradient * factor of a dot
        for node in reversed(output_order):
            terms = terms_of.pop(id(node), None)
            if terms is None:
                continue  # no path from the output reaches it: its gradient is 0 and it passes nothing on
            key = id(node)
            factors = factors_of.pop(key, None)
            if node._a is None:
                if names[key].startswith("p"):
                    param_terms[key] = terms
                elif not bound.take(factors):  # an input or a constant: its gradient only has to be finite
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
            parents = node._prev
            half = len(parents) // 2 if node._op is engine.DOT else None
            for j, parent in enumerate(parents):
                parent_key = id(parent)
                terms_of.setdefault(parent_key, []).append(local(j, g))
                if parent._a is None and not names[parent_key].startswith("p"):  # an input or constant: bounded?
                    factor = None if half is None else names[id(parents[j + half if j < half else j - half])]
                    factors_of.setdefault(parent_key, []).append((g, factor))

    # Which numbers are checked for inf and nan. A non-finite number passes
    # through +, -, *, neg, abs, log, sqrt and the sums to the node it feeds
    # (inf * 0 is nan, still not finite), so only the numbers that leave the
    # code or enter an op that may turn inf into a finite number (tanh, exp,
    # relu, /, comparisons, any other rule) are checked. Backward multiplies
    # every gradient into every parent's without skipping zeros, so a
    # non-finite gradient anywhere reaches a leaf: the leaves' gradients are checked.
    passing = {
        engine.ADD,
        engine.SUB,
        engine.MUL,
        engine.NEG,
        engine.ABS,
        engine.LOG,
        engine.SQRT,
        engine.SUM,
        engine.DOT,
    }
    # (by identity: an op of the user's may bear the name of a row, and turn inf into a finite number)
    passing_ids = {id(op) for op in passing if id(op) in prog.inline or op in (engine.SUM, engine.DOT)}
    consumed, leave = set(), set()
    for node in forward_nodes:
        through = id(node._op) in passing_ids
        for parent in node._prev:
            consumed.add(id(parent))
            if not through:
                leave.add(id(parent))
    leave.update(id(v) for v in roots)
    leave.update(id(n) for n in forward_nodes if id(n) not in consumed)
    checked_inputs = [names[id(leaf)] for leaf in inputs]
    checked_parameters = [f"p{k}" for k in range(len(parameters))]
    checked_nodes = [f"v{k}" for k, n in enumerate(forward_nodes) if id(n) in leave]
    in_backward = (
        {f"v{k}" for k, n in enumerate(forward_nodes)}
        if output is None or not gradients
        else {names[id(n)] for n in output_order if n._a is not None}
    )
    unchecked_locals = [d for d in prog.checked_locals if d.split("_")[0].replace("d", "v", 1) not in in_backward]

    index_of = {id(p): k for k, p in enumerate(parameters)}
    touched = [(index_of[key], terms) for key, terms in param_terms.items()]
    touched.sort()
    results = [names[id(output)]] if output is not None else []
    aux_source = _aux_source(aux, names) if aux is not None else None

    def assemble(variant):
        """variant: 'full', 'forward', 'forward_locals', 'batch', 'forward_batch', 'sgd' or 'batch_sgd'.

        'batch' runs the samples of a mini-batch as one loop:
        `compiled(XS, P, output_grad)` returns a list with one result per X in
        XS. Each parameter's gradient is a running sum (`a{k}`) that goes on
        from what the parameter holds, sample after sample, one term at a time:
        from zero_grad's 0.0 that is backward() of the batch's mean loss (fit
        runs a batch that needs several programs as consecutive calls). The
        parameters' numbers are read and their gradients written once per
        batch; if any sample raises, nothing is written.

        'forward_batch' is 'forward' for each X in XS as one loop (the
        parameters read and checked once): a list of results. It writes
        nothing, so a sample that raises leaves nothing to undo.

        'sgd' is zero_grad, 'full' and `optim.SGD(lr=lr).step()` in one call,
        `compiled(X, P, output_grad, lr)` -> (result, updated), for a training
        step whose optimizer holds exactly the parameters the output depends
        on: each gradient summed from 0.0, written, then `p - lr * gradient`,
        the update rule of SGD as optim computes it. If a new number would not
        be finite, only the gradients are written (updated False): the
        optimizer's own step then raises (or updates), as in the engine.

        'batch_sgd' is zero_grad, 'batch' and the same SGD step in one call,
        `compiled(XS, P, output_grad, lr)` -> (list of results, updated): a
        mini-batch that one program serves sample by sample, stepped at once.
        """
        batch = variant in ("batch", "batch_sgd")
        loop = variant in ("batch", "batch_sgd", "forward_batch")
        sgd = variant in ("sgd", "batch_sgd")
        with_locals = variant not in ("forward", "forward_batch")
        backward_too = variant in ("full", "batch", "sgd", "batch_sgd")
        indent = "        " if loop else "    "  # a batch's samples are the body of a loop
        signature = f"{'XS' if loop else 'X'}, P, output_grad" + (", lr" if sgd else "")
        lines = [f"def compiled({signature}):", "    # 순전파 (forward)"]
        for k in range(len(parameters)):
            lines.append(f"    p{k} = P[{k}].data")
        if backward_too and bound.gradients:
            lines.append(bound.weights_line("    "))
        if loop:
            # the parameters are the same for every sample: checked once
            _emit_check(lines, checked_parameters)
            if batch:  # (zero_grad's 0.0 where the step is SGD's too)
                lines.extend(f"    a{k} = {'0.0' if sgd else f'P[{k}].grad'}" for k, _ in touched)
            lines += ["    _results = []", "    for X in XS:"]
        if inputs:
            lines.append(f"{indent}{', '.join(names[id(leaf)] for leaf in inputs)}, = X")
        for kind, line in prog.forward:
            if kind == "local" and not with_locals or kind == "end":
                continue
            lines.append(indent + line)
        checked = (checked_inputs if loop else checked_inputs + checked_parameters) + checked_nodes
        checked += prog.checked_locals if variant == "forward_locals" else unchecked_locals if with_locals else []
        if output is None:
            result = aux_source
        elif aux is None:
            result = results[0]
        else:
            result = f"{results[0]}, {aux_source}"
        lines.append(f"{indent}# 모든 값이 유한한지 확인 (all numbers finite? else the engine decides)")
        _emit_check(lines, checked, indent)
        if backward_too:
            lines.append(
                f"{indent}# 역전파 (backward): 각 노드의 기울기 = 그 노드를 쓰는 노드들이 보낸 값의 합 (연쇄법칙)"
            )
            lines.extend(indent + line for line in backward)
            if bound.gradients:
                lines.extend(bound.check_lines(indent))
            totals = []
            for k, terms in touched:
                if batch:  # this sample's terms, one at a time, onto the batch's running sum
                    _emit_sum(lines, f"a{k}", [f"a{k}", *terms], indent)
                else:  # the engine's backward: this call's sum first, then what the parameter held
                    held = "0.0" if sgd else f"P[{k}].grad"
                    if len(terms) <= 100:  # one line: the sum in parentheses is computed first all the same
                        lines.append(f"    t{k} = {held} + ({' + '.join(terms)})")
                    else:
                        _emit_sum(lines, f"s{k}", terms, indent="    ")
                        lines.append(f"    t{k} = {held} + s{k}")
                totals.append(f"t{k}")
            # A batch's running sums are checked once, after its last sample: inf or nan stays inf or nan when
            # more is added, and nothing is written before the check either way.
            _emit_check(lines, leaf_grads if batch else leaf_grads + totals, indent)
            if not batch:
                lines.append("    # 모두 유한하면 매개변수의 .grad에 쓰기 (written only after every check)")
                lines.extend(f"    P[{k}].grad = t{k}" for k, _ in touched)
            if sgd and not batch:
                _emit_sgd(lines, "t", touched, f"({result})")
                result = f"({result}), True"
        if loop:
            lines.append(f"{indent}_results.append(({result}))")
        if batch:
            lines.append(
                "    # 모든 샘플이 유한하면 매개변수의 .grad에 쓰기 (written only after every sample's checks)"
            )
            _emit_check(lines, [f"a{k}" for k, _ in touched])
            lines.extend(f"    P[{k}].grad = a{k}" for k, _ in touched)
            if sgd:
                _emit_sgd(lines, "a", touched, "_results")
                lines.append("    return _results, True")
                return "\n".join(lines) + "\n"
        if loop:
            lines.append("    return _results")
        else:
            lines.append(f"    return {result}")
        return "\n".join(lines) + "\n"

    written = [parameters[k] for k, _ in touched]
    main = "full" if gradients else "forward"
    source = assemble(main)  # (a few % of what Python's compile of it costs)
    if len(source) > MAX_SOURCE:
        megabytes = len(source) * 120 // 1_000_000
        _refuse(
            f"그래프가 너무 큽니다 (코드 {len(source):,}자 > 한도 {MAX_SOURCE:,}자): 파이썬이 그 코드를 컴파일하는 데 "
            f"메모리가 약 {megabytes:,} MB 듭니다. 해석 실행(fn을 그대로)이나 더 작은 묶음을 쓰세요",
            f"the graph is too large ({len(source):,} characters of code > the limit of {MAX_SOURCE:,}): Python's "
            f"compile of it would take about {megabytes:,} MB; run fn interpreted, or on smaller batches",
        )
    return CompiledFunction(
        assemble,
        prog.namespace,
        parameters,
        written,
        structures,
        guards,
        fn,
        gradients,
        fallback,
        (len(forward_nodes), size),
        {main: source},
    )


def _emit_sgd(lines, gradient, touched, result):
    """SGD's step after the gradients are written: `p - lr * gradient` for each, all checked before any is
    written; if one is not finite, `return result, False` (the optimizer's own step then raises or updates)."""
    lines.append("    # 확률적 경사 하강법 (SGD): 매개변수 ← 매개변수 − 학습률 × 기울기")
    lines.extend(f"    n{k} = p{k} - lr * {gradient}{k}" for k, _ in touched)
    _emit_check(lines, [f"n{k}" for k, _ in touched], bail=f"return {result}, False")
    lines.extend(f"    P[{k}].data = n{k}" for k, _ in touched)


def _truth(result):
    """What a traced comparison told fn's `if`: its truth, tested the way `if` tests it.

    The answer is `True` or `False` for floats, numpy's own bool where a
    numpy number was compared (never `True` itself, so `is True` would miss),
    and whatever a number type of the learner's returns: the guard tests its
    truth, and never pastes its text into the source.
    """
    try:
        return bool(result)
    except Exception:  # noqa: BLE001 - an answer with no truth: fn's branch cannot be known
        _refuse(
            f"비교의 결과({type(result).__name__})가 참/거짓이 아닙니다",
            f"a comparison's result ({type(result).__name__}) is neither true nor false",
        )


def _with_guards(forward, guard_lines):
    """The forward lines with each guard placed right after the last node it reads (-1: before every node)."""
    placed = [("guard", line) for line in guard_lines.get(-1, ())]
    node_index = 0
    for kind, line in forward:
        placed.append((kind, line))
        if kind == "end":
            placed.extend(("guard", g) for g in guard_lines.get(node_index, ()))
            node_index += 1
    return placed


class _LeafBound:
    """Input and constant leaves whose gradients are bounded instead of computed.

    A call's inputs are numbers, so their gradients leave the call nowhere:
    the engine computes them only to check that no gradient overflowed (it
    raises if one did). When every term of such a leaf's gradient is
    g * w, a dot node's gradient g times a parameter or constant w (the
    inputs of an MLP's first layer), then

        |leaf gradient| <= m * max|w| * (sum of |g| over those dot nodes)

    where m is the most terms one leaf takes from one g. One such bound per
    call replaces the sums: at most 1e300 proves every one of those gradients
    finite (and every g); anything else (inf, nan, a huge bound) hands the
    call to the engine, which decides.
    """

    def __init__(self):
        self.gradients = {}  # the g's, in order (a dict as an ordered set)
        self.factors = {}  # the w's
        self.most = 0  # m

    def take(self, factors):
        """Whether the leaf whose terms are `factors` ([(g, w), ...]) is covered by the bound (then it is added)."""
        if not factors or any(w is None or w[0] not in "p0123456789(" for _, w in factors):
            return False
        counts = {}
        for g, w in factors:
            self.gradients[g] = self.factors[w] = None
            counts[g] = counts.get(g, 0) + 1
        self.most = max(self.most, *counts.values())
        return True

    def weights_line(self, indent):
        return f"{indent}_wm = {self.most} * _max(_map(_abs, ({', '.join(self.factors)},)))"

    def check_lines(self, indent):
        return [
            f"{indent}_gb = _sum(_map(_abs, ({', '.join(self.gradients)},)))",
            f"{indent}if not _gb * _wm <= 1e300: raise _Bail",
        ]


def _emit_sum(lines, target, terms, indent=""):
    """`target = t1 + t2 + ...`, left to right, split so Python's parser never nests too deep."""
    lines.append(f"{indent}{target} = {' + '.join(terms[:100])}")
    for start in range(100, len(terms), 100):
        lines.append(f"{indent}{target} = {target} + {' + '.join(terms[start : start + 100])}")


def _emit_check(lines, variables, indent="    ", bail="raise _Bail"):
    """Run `bail` if any of `variables` is inf or nan (their sum is; a sum that overflows only bails too), or
    is a number of another type than float: a weight holding a numpy float32, say, whose arithmetic this code
    would carry on where some of the engine's rules (dot, sum) return floats."""
    if not variables:
        return
    for start in range(0, len(variables), 250):
        chunk = ", ".join(variables[start : start + 250])
        lines.append(f"{indent}_s = _sum(({chunk},))" if start == 0 else f"{indent}_s = _s + _sum(({chunk},))")
    lines.append(f"{indent}if _s - _s or _type(_s) is not _float: {bail}")  # (_s - _s: 0.0 finite, else nan)


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
        _refuse(
            f"Value의 하위 클래스({type(node).__name__})는 컴파일할 수 없습니다",
            f"a subclass of Value ({type(node).__name__}) cannot be compiled",
        )
    if type(node._a) is not tuple:  # one or two parents: built by a Value method from a row of the table
        if len(parents) == 2 and id(op) in prog.inline and op in _INLINE_BINARY:
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
        if len(parents) == 1 and id(op) in prog.inline and op in _INLINE_UNARY:
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
        _refuse(
            f"'{_op_name(op)}' 노드는 Value(data, children, op)로 만들어져 국소적 미분 규칙이 없습니다. "
            "Op와 Value.from_op로 연산을 만드세요",
            f"the node '{_op_name(op)}' was made with Value(data, children, op) and has no local-derivative "
            "rule the compiler can read; make the op with Op and Value.from_op",
        )
    n = len(parents)
    if op is engine.SUM:
        emit(("value", f"{out} = " + (f"0.0 + {' + '.join(args)}" if n <= 2 else f"_fsum(({', '.join(args)},))")))
        emit(("end", ""))
        return lambda j, g: g
    if op is engine.DOT:
        half = n // 2
        products = [f"{args[i]} * {args[half + i]}" for i in range(half)]
        emit(
            (
                "value",
                f"{out} = " + (f"0.0 + {' + '.join(products)}" if half <= 2 else f"_fsum(({', '.join(products)},))"),
            )
        )
        emit(("end", ""))
        return lambda j, g: f"{g} * {args[j + half] if j < half else args[j - half]}"
    if not isinstance(op, engine.Op):
        _refuse(
            f"'{_op_name(op)}' 노드의 연산이 Op가 아닙니다", f"the node '{_op_name(op)}' has an op that is not an Op"
        )
    floats = [p.data for p in parents]
    frozen_data = frozen_locals = None
    given = prog.given_to_from_op.get(id(node))
    if given is not None:  # fn's number for from_op (and its slopes, if given): constants, as in the engine
        frozen_data = node.data
        frozen_locals = list(node._da) if given else None
    elif not callable(op.forward):
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
    replayer = _replayer(op, frozen_data, frozen_locals)
    # (a built-in loss's replay is named after it, `_replay_mse3`: programs of one text then replay the same
    # rules, which the C form may compute itself; no other op's name reaches the text)
    replay = prog.constant(replayer, f"replay_{_LOSS_ROWS[id(op)]}_" if id(replayer.op) in _LOSS_ROWS else "replay")
    d = f"d{out[1:]}"
    emit(("value", f"{out}, {d} = {replay}([{', '.join(args)}])"))
    emit(("end", ""))
    return lambda j, g: f"{g} * {d}[{j}]"


def _nested_deeper_than(aux, limit):
    """Whether the lists and tuples in `aux` nest more than `limit` deep, or hold themselves (a cycle is
    deeper than any limit): level by level, each list once per level, without recursion."""
    level = [aux]
    for _ in range(limit + 1):
        level = list({id(x): x for item in level if isinstance(item, (list, tuple)) for x in item}.values())
        if not any(isinstance(x, (list, tuple)) for x in level):
            return False
    return True


def _all_values(aux):
    """Whether `aux` is None (nothing beside the output), or a Value or (nested, non-empty) lists of Values."""
    return aux is None or _values_only(aux)


def _values_only(aux):
    if isinstance(aux, Value):
        return True
    return isinstance(aux, (list, tuple)) and len(aux) > 0 and all(_values_only(a) for a in aux)


def _leaves_of(aux):
    """Everything in `aux` that is not a list or tuple (for naming what is not a Value)."""
    if isinstance(aux, (list, tuple)):
        for a in aux:
            yield from _leaves_of(a)
    else:
        yield aux


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
