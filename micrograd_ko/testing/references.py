"""The same graph, replayed in PyTorch (float64) or in karpathy's micrograd, for their derivatives.

`check_grads(..., against="torch")` does not ask the user for a PyTorch
version of their function: it builds the graph once with Values, then walks
it in topological order and applies, node by node, the library's operation
that the node's op names. The replay follows the branch the function took at
this point (an `if x > 0` is decided by the Values), which is the branch whose
derivatives are being checked.

Each op is replayed with the *mathematical* function, not PyTorch's
approximation of it: softplus as logaddexp(x, 0) (torch's softplus returns x
itself above 20, so its second derivative there is 0, not e^-x), x ** y as
exp(y log x) (see below), hinge as relu(1 - t s) (the engine's and PyTorch's
relu'(0) = 0).
"""

from __future__ import annotations

import warnings
from importlib import import_module

from ..engine import Value, topological_order
from ..i18n import bilingual

__all__ = ["torch_derivatives", "micrograd_derivatives"]


def _import(name, extra):
    try:
        return import_module(name)
    except ImportError:
        raise ImportError(
            bilingual(
                f"against={name.split('.')[0]!r}에는 {name}이(가) 필요합니다: pip install 'micrograd_ko[{extra}]'",
                f"against={name.split('.')[0]!r} needs {name}: pip install 'micrograd_ko[{extra}]'",
            )
        ) from None


class UnknownOpError(NotImplementedError):
    """No counterpart of an op in the reference library."""


def _unknown(library, op, node=None, error=None):
    inputs = "" if node is None else f" ({len(node._prev)} inputs)"
    why = "" if error is None else f" ({type(error).__name__}: {error})"
    return UnknownOpError(
        bilingual(
            f"{library}에서 연산 '{op}'{inputs}에 해당하는 것을 모릅니다{why}: against='numeric'으로 확인하세요",
            f"no {library} counterpart is known for the op '{op}'{inputs}{why}; check it with against='numeric'",
        )
    )


def _replay(out, leaves, inputs, constant, apply, library, is_number):
    """Tensors (or micrograd Values) for every node of `out`'s graph, inputs first.

    A node is replayed by its op's name. A name the library has but with another
    meaning (a user's op called "pow" with one input, "softmax" without an index)
    or a number the library cannot represent is reported here, bilingually, with
    the node: never as a raw error from inside the library.
    """
    made = dict(zip(leaves, inputs))
    for node in topological_order(out):
        if node in made:
            continue
        if node._a is None:  # a constant made inside the function
            made[node] = constant(node.data)
            continue
        try:
            made[node] = apply(node, [made[p] for p in node._prev])
        except UnknownOpError:
            raise
        except (ArithmeticError, ValueError) as error:
            raise _failed(library, node, error) from None
        except (TypeError, KeyError, IndexError, AttributeError, RuntimeError) as error:
            raise _unknown(library, str(node._op), node, error) from None
        if not is_number(made[node]):
            raise _unknown(library, str(node._op), node)
    return made[out]


def _failed(library, node, error):
    """The library's own error (OverflowError, ZeroDivisionError, ValueError), with the op and a bilingual message."""
    message = bilingual(
        f"{library}가 이 점에서 연산 '{node._op}'를 계산하지 못했습니다 ({type(error).__name__}: {error}): "
        f"against='numeric'으로 확인하세요",
        f"{library} could not compute the op '{node._op}' at this point ({type(error).__name__}: {error}); "
        f"check it with against='numeric'",
    )
    try:
        return type(error)(message)
    except TypeError:  # an error class that takes other arguments
        return ValueError(message)


# --------------------------------------------------------------------------
# PyTorch
# --------------------------------------------------------------------------


# torch functions of one tensor that are not elementwise functions of a number
_NOT_ELEMENTWISE = {"sum", "mean", "prod", "max", "min", "softmax", "std", "var", "norm", "cumsum", "argmax", "argmin"}


# ops of many inputs: predictions then as many targets; cross_entropy: logits then the class index
_PAIRED = {"dot", "mse", "bce", "bce_with_logits", "hinge"}


def _arity_fits(name, op, n):
    """Do n inputs fit the engine's op of this name? (A user's op may share the name, not the shape.)"""
    if name in _PAIRED:
        return n >= 2 and n % 2 == 0
    if name == "cross_entropy":
        return n >= 2
    if name == "softmax":
        index = getattr(op, "params", {}).get("index")
        return isinstance(index, int) and 0 <= index < n
    return n >= 1


def _torch_apply(torch):
    F = torch.nn.functional

    unary = {
        "neg": torch.neg,
        "exp": torch.exp,
        "log": torch.log,
        "sqrt": torch.sqrt,
        "abs": torch.abs,
        "erf": torch.erf,
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "relu": torch.relu,
        "softplus": lambda t: torch.logaddexp(t, torch.zeros_like(t)),
        "silu": F.silu,
        "gelu": F.gelu,
    }
    # x ** y as exp(y log x) (the engine allows only x > 0): torch.pow masks its derivative by the
    # exponent to 0 where the exponent is exactly 0, so its mixed second derivative there is 0, not 1/x.
    binary = {
        "+": torch.add,
        "-": torch.sub,
        "*": torch.mul,
        "/": torch.div,
        "**": lambda x, y: torch.exp(y * torch.log(x)),
    }

    def many(node, name, op, args):
        # Losses: the parents are the predictions, then the targets (constants of the graph: only
        # mse differentiates with respect to them) or, for cross_entropy, the class index.
        if not _arity_fits(name, op, len(args)):
            raise _unknown("PyTorch", name, node)
        stack = torch.stack(args)
        n = len(args) // 2
        predictions, targets = stack[:n], stack[n:].detach()
        if name == "sum":
            return stack.sum()
        if name == "dot":
            return (stack[:n] * stack[n:]).sum()
        if name == "softmax":
            return torch.softmax(stack, 0)[op.params["index"]]
        if name == "mse":
            return F.mse_loss(stack[:n], stack[n:])
        if name == "bce":
            return F.binary_cross_entropy(predictions, targets)
        if name == "bce_with_logits":
            return F.binary_cross_entropy_with_logits(predictions, targets)
        if name == "cross_entropy":
            return F.cross_entropy(stack[None, :-1], torch.tensor([int(args[-1].item())]))
        if name == "hinge":
            return torch.relu(1.0 - targets * predictions).mean()
        raise _unknown("PyTorch", name)

    def apply(node, args):
        # By the op's name, so a learner's own Op("sin", ...) is replayed with torch.sin.
        op = node._op
        name = str(op)
        params = getattr(op, "params", {})
        if len(args) == 1:
            if "exponent" in params:
                return args[0] ** params["exponent"]
            if "base" in params:
                return params["base"] ** args[0]
            if name == "leaky_relu":
                return F.leaky_relu(args[0], params["alpha"])
            if name == "elu":
                return F.elu(args[0], params["alpha"])
            if name in unary:
                return unary[name](args[0])
            if name.isidentifier() and callable(getattr(torch, name, None)) and name not in _NOT_ELEMENTWISE:
                with warnings.catch_warnings():  # torch.tensor(x) warns before we say it is no function of x
                    warnings.simplefilter("ignore")
                    result = getattr(torch, name)(args[0])  # sin, cos, atan, ...
                if not (isinstance(result, torch.Tensor) and result.requires_grad == args[0].requires_grad):
                    raise _unknown("PyTorch", name, node)  # torch.tensor(x), torch.rand(...): no function of x
                return result
        if len(args) == 2 and name in binary:
            return binary[name](args[0], args[1])
        return many(node, name, op, args)

    return apply


def torch_derivatives(fn, point, order):
    """[value, {(i,): d/dx_i}, {(i, j): d2/dx_i dx_j}, ...] of the replayed graph, from PyTorch float64."""
    torch = _import("torch", "torch")
    leaves = [Value(x) for x in point]
    out = fn(*leaves)
    inputs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in point]
    result = _replay(
        out,
        leaves,
        inputs,
        lambda c: torch.tensor(c, dtype=torch.float64),
        _torch_apply(torch),
        "PyTorch",
        lambda t: isinstance(t, torch.Tensor) and t.dim() == 0 and t.dtype == torch.float64,
    )
    levels = [{(): result.item()}]
    current = {(): result}
    for k in range(1, order + 1):
        following = {}
        for index, t in current.items():
            if t.requires_grad:
                try:
                    grads = torch.autograd.grad(t, inputs, create_graph=k < order, retain_graph=True, allow_unused=True)
                except RuntimeError as error:  # a replayed function torch cannot differentiate this often
                    raise _failed("PyTorch", out, error) from None
            else:
                grads = [None] * len(inputs)
            for i, g in enumerate(grads):
                following[index + (i,)] = torch.zeros((), dtype=torch.float64) if g is None else g
        levels.append({index: t.item() for index, t in following.items()})
        current = following
    return levels


# --------------------------------------------------------------------------
# karpathy's micrograd (0.1.0): + - * / neg, x ** constant, relu
# --------------------------------------------------------------------------


def _micrograd_apply(node, args):
    op = node._op
    name = str(op)
    params = getattr(op, "params", {})
    if len(args) == 1 and "exponent" in params:
        return args[0] ** params["exponent"]
    if name == "neg":
        return -args[0]
    if name == "relu":
        return args[0].relu()
    if name in ("+", "-", "*", "/"):
        a, b = args
        return {"+": a + b, "-": a - b, "*": a * b, "/": a / b}[name]
    if name in ("sum", "dot"):
        n = len(args) // 2
        terms = args if name == "sum" else [w * x for w, x in zip(args[:n], args[n:])]
        total = terms[0]
        for t in terms[1:]:
            total = total + t
        return total
    raise _unknown("micrograd", name)


def micrograd_derivatives(fn, point, order):
    """[value, {(i,): d/dx_i}] from karpathy's micrograd (first derivatives only)."""
    if order != 1:
        raise ValueError(
            bilingual(
                "micrograd는 1차 미분만 계산합니다: order=1로 쓰거나 against='torch'를 쓰세요",
                "micrograd computes first derivatives only: use order=1, or against='torch'",
            )
        )
    engine = _import("micrograd.engine", "test")
    leaves = [Value(x) for x in point]
    out = fn(*leaves)
    inputs = [engine.Value(x) for x in point]
    result = _replay(
        out, leaves, inputs, engine.Value, _micrograd_apply, "micrograd", lambda v: isinstance(v, engine.Value)
    )
    try:
        result.backward()
    except ArithmeticError as error:  # its float arithmetic raises OverflowError where the engine's stays finite
        raise _failed("micrograd", out, error) from None
    return [{(): float(result.data)}, {(i,): float(x.grad) for i, x in enumerate(inputs)}]
