"""Which node's local derivative is wrong: the first, in topological order, to disagree.

First derivatives. The function is built again at x ± h along each input,
which gives every node's value at the shifted points, so every node's
derivative with respect to the inputs can be taken numerically and compared
with `grad(node, inputs)`. Walking the nodes in topological order (parents
first), the first node that disagrees while all its parents agree has the
wrong local derivative (국소적 미분), or sits on a kink (its left and right
slopes differ). No op needs a `forward` for this: a `sin` made with
`Value.from_op` is found by its name.

Second derivatives. Each op's derivative rule, applied to Values (what
`grad(..., create_graph=True)` uses), is differentiated by the engine and
compared with central differences of the same rule on floats; this needs
the op's `forward` to recompute the output at the shifted inputs.
"""

from __future__ import annotations

from ..engine import Value, grad, topological_order
from ..gradcheck import shifted_values
from ..i18n import bilingual, particle
from .differences import Ladder

__all__ = ["Culprit", "first_wrong_node", "local_derivatives_note"]


class _Reshaped(Exception):
    """The function built a different graph at a shifted point (it branches on values)."""


class Culprit:
    """The node blamed: its op, where it is, and the two numbers that disagree."""

    def __init__(
        self, node, position, total, parent_or_input, backward, numeric, left=None, right=None, kink=False, order=1
    ):
        self.node, self.position, self.total = node, position, total
        self.index, self.backward, self.numeric = parent_or_input, backward, numeric
        self.left, self.right, self.kink, self.order = left, right, kink, order

    @property
    def op(self):
        return str(self.node._op)

    def _shown(self):
        parents = ", ".join(repr(p.data) for p in self.node._prev)
        return f"{self.op}({parents}) = {self.node.data!r}"

    def describe(self):
        """Two lines: which node, then the two numbers that disagree."""
        n, of, shown = self.position + 1, self.total, self._shown()
        if self.order == 1:
            head = bilingual(
                f"처음으로 어긋난 노드: '{self.op}' (연산 노드 {of}개 중 {n}번째, {shown})",
                f"first node to disagree: '{self.op}' (op node {n} of {of}, {shown})",
            )
            i = self.index
            numbers = bilingual(
                f"input[{i}]에 대한 이 노드의 미분: 역전파 {self.backward!r}, 수치 미분 {self.numeric!r}",
                f"this node's derivative by input[{i}]: backward {self.backward!r}, numerical {self.numeric!r}",
            )
            kink_ko, kink_en = "꺾이거나 끊긴 점", "a kink or a jump"
        else:
            a, b = self.index
            head = bilingual(
                f"처음으로 어긋난 미분 규칙: '{self.op}' (연산 노드 {of}개 중 {n}번째, {shown})",
                f"first derivative rule to disagree: '{self.op}' (op node {n} of {of}, {shown})",
            )
            numbers = bilingual(
                f"국소적 미분 {particle(str(a), '을/를')} 부모 {particle(str(b), '으로/로')} 미분한 값: create_graph {self.backward!r}, 수치 미분 {self.numeric!r}",
                f"local derivative {a} differentiated by parent {b}: create_graph {self.backward!r}, "
                f"numerical {self.numeric!r}",
            )
            kink_ko, kink_en = "미분이 꺾인 점", "a kink of the derivative"  # elu' at 0 with alpha != 1
        if self.kink:
            numbers += "; " + bilingual(
                f"{kink_ko}: 왼쪽 기울기 {self.left!r}, 오른쪽 기울기 {self.right!r}",
                f"{kink_en}: left slope {self.left!r}, right slope {self.right!r}",
            )
        return f"{head}\n    {numbers}"


def _close(a, b, rtol, atol):
    return abs(a - b) <= atol + rtol * abs(b)


def _graph(fn, point):
    leaves = [Value(x) for x in point]
    out = fn(*leaves)
    inner = [node for node in topological_order(out) if node._a is not None] if isinstance(out, Value) else []
    return leaves, inner


def first_wrong_node(fn, point, order, rtol, atol, eps):
    """The `Culprit` for a disagreement in derivatives of `order`, or None if no node can be singled out."""
    try:
        if order == 1:
            return _first_wrong_first_derivative(fn, point, rtol, atol, eps)
        return _first_wrong_rule_derivative(fn, point, rtol, atol, eps)
    except (_Reshaped, ArithmeticError, ValueError, RuntimeError):
        return None  # the graph changes shape, leaves a domain, or has a node without a rule


def _first_wrong_first_derivative(fn, point, rtol, atol, eps):
    leaves, inner = _graph(fn, point)
    shape = [str(node._op) for node in inner]

    def node_values(floats):
        _, nodes = _graph(fn, floats)
        if [str(node._op) for node in nodes] != shape:
            raise _Reshaped
        return [node.data for node in nodes]

    centre = [node.data for node in inner]
    ladders = [Ladder(node_values, point, j, eps, centre) for j in range(len(point))]
    for m, node in enumerate(inner):
        analytic = grad(node, leaves)
        for j, ladder in enumerate(ladders):
            seen = _judge(ladder, m, analytic[j], rtol, atol)
            if seen is not None:
                return Culprit(node, m, len(inner), j, **seen)
    return None


def _judge(ladder, key, backward, rtol, atol):
    """What a `Culprit` shows if `backward` is wrong (or on a kink) by the differences of `ladder`;
    None if it agrees, or if the differences do not settle (they cannot blame anyone)."""
    verdict = ladder.verdict(key, backward, rtol, atol)
    if verdict in ("agrees", "unsure"):
        return None
    left, right = ladder.slopes(key)
    return {
        "backward": backward,
        "numeric": ladder.central(key),
        "left": left,
        "right": right,
        "kink": verdict == "bends",
    }


def _first_wrong_rule_derivative(fn, point, rtol, atol, eps):
    _, inner = _graph(fn, point)
    for m, node in enumerate(inner):
        op = node._op
        forward, derivative = getattr(op, "forward", None), getattr(op, "derivative", None)
        if forward is None or derivative is None:
            continue  # without a forward the rule cannot be evaluated at shifted inputs
        parents = [p.data for p in node._prev]

        def rule(floats, forward=forward, derivative=derivative):
            return [float(d) for d in derivative(floats, forward(floats))]

        try:
            culprit = _check_rule(node, m, len(inner), rule, derivative, parents, rtol, atol, eps)
        except (ArithmeticError, ValueError, TypeError):
            continue  # this rule cannot be evaluated near here: look at the next node
        if culprit is not None:
            return culprit
    return None


def _check_rule(node, position, total, rule, derivative, parents, rtol, atol, eps):
    leaves = [Value(p) for p in parents]
    made = Value.from_op(node._op.forward(parents), node._op, leaves)
    centre = rule(parents)
    ladders = [Ladder(rule, parents, b, eps, centre) for b in range(len(leaves))]
    for a, local in enumerate(derivative(leaves, made)):
        row = grad(local, leaves) if isinstance(local, Value) else [0.0] * len(leaves)
        for b, ladder in enumerate(ladders):
            seen = _judge(ladder, a, row[b], rtol, atol)
            if seen is not None:
                return Culprit(node, position, total, (a, b), order=2, **seen)
    return None


def local_derivatives_note(culprit, eps):
    """The blamed node's stored local derivatives beside central differences of its op's forward, if it has one."""
    node = culprit.node
    forward = getattr(node._op, "forward", None)
    if culprit.order != 1 or forward is None:
        return None
    parents = [p.data for p in node._prev]
    try:
        numeric = []
        for j in range(len(parents)):
            down, up, h = shifted_values(forward, parents, j, eps)
            numeric.append((up - down) / (2 * h))
    except (ArithmeticError, ValueError):
        return None
    stored = list(node.local_grads())
    return bilingual(
        f"저장된 국소적 미분 {stored!r}, 순전파의 중앙 차분 {numeric!r}",
        f"stored local derivatives {stored!r}, central differences of the forward {numeric!r}",
    )
