"""Typed expressions such as "tanh(x*w + b)" built as a graph of `Value`s, safely.

The text is parsed with `ast` and only numbers, the given names, + - * / **,
unary minus and the engine's one-input functions (`engine.UNARY_OPS`:
tanh, exp, log, abs, ...) are allowed; anything else is refused with a
message naming it. The text is never evaluated as Python, so an expression
cannot import, call, read or write anything.

The operator signs of maths texts (and of this project's README) are read
as Python's: the middle dot · (U+00B7) and the dot operator ⋅ and × as *,
÷ as /, the minus sign − (U+2212) as -. Each is one character for one, so
positions in messages stay those of the text as typed. (Python itself would
read "x·w" as one name, the middle dot being a letter of names, and refuse ×.)

The tree is walked with an explicit stack, not recursion, so an expression
of thousands of terms builds like a short one.
"""

from __future__ import annotations

import ast
import math
import re
import unicodedata
import warnings

from .engine import UNARY_OPS, Value
from .i18n import bilingual, closest, did_you_mean, particle

__all__ = ["FUNCTIONS", "ExpressionError", "parse_assignments", "build_expression"]

# The functions an expression may call: the engine's one-input ops that are Value methods.
FUNCTIONS = tuple(name for name in UNARY_OPS if callable(getattr(Value, name, None)))
_BINARY = {ast.Add: "__add__", ast.Sub: "__sub__", ast.Mult: "__mul__", ast.Div: "__truediv__", ast.Pow: "__pow__"}
# maths signs read as Python's operators (see the module docstring)
_SIGNS = str.maketrans({"·": "*", "⋅": "*", "×": "*", "÷": "/", "−": "-"})

# Python's parse errors (3.11-3.13 wording) in Korean; any other reads as "문법에 맞지 않습니다" (invalid syntax).
_KOREAN_REASONS = (
    (r"invalid character '(.+)' \((U\+[0-9A-F]+)\)", "쓸 수 없는 글자 '{0}' ({1})"),
    (r"invalid non-printable character (U\+[0-9A-F]+)", "보이지 않는 글자 {0}"),
    (r"'(.)' was never closed", "'{0}'이(가) 닫히지 않았습니다"),
    (r"unmatched '(.)'", "'{0}'의 짝이 되는 여는 괄호가 없습니다"),
    (
        r"closing parenthesis '(.)' does not match opening parenthesis '(.)'",
        "닫는 괄호 '{0}'이(가) 여는 괄호 '{1}'와(과) 맞지 않습니다",
    ),
    (r"unterminated (?:triple-quoted )?string literal", "문자열이 닫히지 않았습니다"),
    (r"invalid \w*\s?(?:decimal|hexadecimal|octal|binary|digit)", "숫자를 잘못 썼습니다"),
    (r"leading zeros in decimal integer literals", "0으로 시작하는 정수는 쓸 수 없습니다"),
    (r"unexpected indent", "들여쓰기가 있습니다"),
)


class ExpressionError(ValueError):
    """An expression or a value that cannot be used, with a message in both languages."""


def parse_assignments(items):
    """['x=1.0', 'w=-2'] -> {'x': 1.0, 'w': -2.0}, with a clear error for anything else.

    Names are NFKC-normalised, as Python's parser does to the names in the
    expression: a Korean compatibility jamo (ㅌ, U+314C) typed in both places
    becomes the same name (ᄐ, U+1110), and so does a full-width ｘ and x.
    """
    values = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = unicodedata.normalize("NFKC", name.strip())
        if not sep or not name.isidentifier():
            raise ExpressionError(
                bilingual(
                    f"값은 이름=숫자 꼴로 주세요 (예: x=1.0): {item!r}",
                    f"give values as name=number (e.g. x=1.0): {item!r}",
                )
            )
        if name in FUNCTIONS:
            raise ExpressionError(
                bilingual(
                    f"{name!r}은(는) 함수 이름이라 변수로 쓸 수 없습니다",
                    f"{name!r} is a function name, not a variable",
                )
            )
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise ExpressionError(
                bilingual(
                    f"{name}의 값이 유한한 숫자가 아닙니다: {text!r}",
                    f"the value of {name} is not a finite number: {text!r}",
                )
            )
        if name in values:
            raise ExpressionError(bilingual(f"{name}의 값이 두 번 주어졌습니다", f"{name} is given twice"))
        values[name] = number
    return values


def _literal(node, text):
    """The number literal `node` as a float; 1e400 or a 400-digit integer is a clear error."""
    try:
        number = float(node.value)
    except OverflowError:  # an int too large for a float
        number = math.inf
    if not math.isfinite(number):
        written = ast.get_source_segment(text, node) or str(node.value)
        shown = written if len(written) <= 24 else f"{written[:12]}… ({len(written)} digits)"
        raise ExpressionError(
            bilingual(
                f"숫자 {particle(shown, '은/는')} float 범위를 넘습니다",
                f"the number {shown} is beyond the float range",
            )
        )
    return number


def _signed_number(node, text):
    """The number written by `node` if it is a literal like 2, -1 or +0.5, else None."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return sign * _literal(node, text)
    return None


def _korean_reason(message):
    """Python's parse error `message` in Korean (its values kept), or a general "not grammatical"."""
    for pattern, korean in _KOREAN_REASONS:
        found = re.match(pattern, message)
        if found:
            return korean.format(*found.groups())
    return "문법에 맞지 않습니다"


def _where(error, text):
    """Where a SyntaxError points, as (Korean, English): "3번째 글자 '⊗'" / "character 3 ('⊗')", or the end."""
    lines = text.split("\n")
    line = error.lineno or 1
    index = sum(len(previous) + 1 for previous in lines[: line - 1]) + (error.offset or 0)
    if not 1 <= index <= len(text):
        return "식의 끝", "the end"
    return f"{index}번째 글자 {text[index - 1]!r}", f"character {index} ({text[index - 1]!r})"


def _parse(text, written):
    """The tree of `text` (`written` with the maths signs replaced); a parse error names its place in `written`."""
    if not text:
        raise ExpressionError(bilingual("식이 비어 있습니다", "the expression is empty"))
    if "\0" in text:  # Python's parser refuses a NUL without saying where
        at = text.index("\0") + 1
        raise ExpressionError(
            bilingual(
                f"식을 읽을 수 없습니다: {at}번째 글자 '\\x00'에서 보이지 않는 글자 U+0000: {written[:80]!r}",
                f"cannot parse the expression at character {at} ('\\x00'): invalid non-printable character U+0000: "
                f"{written[:80]!r}",
            )
        )
    try:
        with warnings.catch_warnings():  # '1if' is a SyntaxWarning printed on stderr: the error below says it all
            warnings.simplefilter("ignore", SyntaxWarning)
            return ast.parse(text, mode="eval").body
    except SyntaxError as error:
        where_ko, where_en = _where(error, written)
        raise ExpressionError(
            bilingual(
                f"식을 읽을 수 없습니다: {where_ko}에서 {_korean_reason(error.msg)}: {written[:80]!r}",
                f"cannot parse the expression at {where_en}: {error.msg}: {written[:80]!r}",
            )
        ) from None
    except (RecursionError, MemoryError):  # Python's own parser recurses on very deep nesting
        raise ExpressionError(
            bilingual("식이 너무 깊게 중첩되어 있어 읽을 수 없습니다", "the expression is nested too deeply to parse")
        ) from None


def _operands(node, text):
    """The sub-expressions `node` needs built first; refuses anything not allowed."""
    if isinstance(node, ast.Name) or (isinstance(node, ast.Constant) and type(node.value) in (int, float)):
        return []
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        # a constant exponent (x ** 2, x ** -1) is part of the power op, not a Value of its own
        constant_exponent = isinstance(node.op, ast.Pow) and _signed_number(node.right, text) is not None
        return [node.left] if constant_exponent else [node.left, node.right]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return [node.operand]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        name = node.func.id
        if name not in FUNCTIONS:
            hint_ko, hint_en = did_you_mean(name, FUNCTIONS)  # ReLU, Sigmoid, leaky-relu as other libraries spell them
            raise ExpressionError(
                bilingual(
                    f"모르는 함수 {name!r}{hint_ko}; 쓸 수 있는 함수: {', '.join(FUNCTIONS)}",
                    f"unknown function {name!r}{hint_en}; available: {', '.join(FUNCTIONS)}",
                )
            )
        if len(node.args) != 1:
            raise ExpressionError(bilingual(f"{name}()는 인자 하나를 받습니다", f"{name}() takes exactly one argument"))
        return [node.args[0]]
    snippet = ast.get_source_segment(text, node) or type(node).__name__
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitXor):  # x^2 for a square: ^ is XOR in Python
        fixed = snippet.replace("^", "**")
        raise ExpressionError(
            bilingual(
                f"^는 거듭제곱이 아닙니다 (파이썬에서는 비트 XOR): 거듭제곱은 **로 쓰세요, {snippet!r} 대신 {fixed!r}",
                f"^ is not a power (in Python it is the bitwise XOR): write ** for a power, {fixed!r} for {snippet!r}",
            )
        )
    raise ExpressionError(
        bilingual(
            f"식에 쓸 수 없는 부분: {snippet[:80]!r} (숫자, 변수, + - * / **, 함수 {', '.join(FUNCTIONS)}만 됩니다)",
            f"not allowed in an expression: {snippet[:80]!r} (numbers, names, + - * / ** and "
            f"the functions {', '.join(FUNCTIONS)} only)",
        )
    )


def _combine(node, operands, leaves, text):
    """The Value of `node` from the Values of its operands."""
    if isinstance(node, ast.Constant):
        return Value(_literal(node, text))
    if isinstance(node, ast.Name):
        if node.id not in leaves:
            given = closest(node.id, leaves)  # X=1 given for x
            hint_ko, hint_en = (
                (f" (주어진 것은 {given!r}입니다: 식의 이름과 글자 그대로 같아야 합니다)",
                 f" (the values name {given!r}: a name must match the expression exactly)")
                if given else ("", "")
            )  # fmt: skip
            raise ExpressionError(
                bilingual(
                    f"{node.id!r}의 값이 없습니다{hint_ko}: {node.id}=1.0 처럼 주세요",
                    f"no value for {node.id!r}{hint_en}: give it like {node.id}=1.0",
                )
            )
        return leaves[node.id]
    if isinstance(node, ast.BinOp):
        right = operands[1] if len(operands) == 2 else _signed_number(node.right, text)
        return getattr(operands[0], _BINARY[type(node.op)])(right)
    if isinstance(node, ast.UnaryOp):
        return -operands[0] if isinstance(node.op, ast.USub) else operands[0]
    return getattr(operands[0], node.func.id)()  # an allowed function (checked by _operands)


def _spellings(root, text):
    """Each name as first typed in the expression: Python keeps only the NFKC form (ᄐ for a typed ㅌ)."""
    spellings = {}
    for node in ast.walk(root):
        if isinstance(node, ast.Name) and node.id not in spellings:
            spellings[node.id] = ast.get_source_segment(text, node) or node.id
    return spellings


def build_expression(text, values):
    """Build `text` (e.g. "tanh(x*w + b)") as a graph of `Value`s; returns (output, {name: leaf}).

    Names are matched as Python reads them (NFKC-normalised, the keys of the
    returned dict); each leaf is labelled as its name was typed.

    Post-order with an explicit stack: a node is pushed twice, first to push
    its operands, then (once they are built) to combine them.
    """
    written = text.strip()
    text = written.translate(_SIGNS)
    root = _parse(text, written)
    values = {unicodedata.normalize("NFKC", name): number for name, number in values.items()}
    spellings = _spellings(root, text)
    leaves = {name: Value(number, label=spellings.get(name, name)) for name, number in values.items()}
    built: dict[ast.AST, Value] = {}
    stack = [(root, False)]
    try:
        while stack:
            node, operands_ready = stack.pop()
            operands = _operands(node, text)
            if operands_ready:
                built[node] = _combine(node, [built.pop(child) for child in operands], leaves, text)
            else:
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(operands))
    except ExpressionError:
        raise
    except (ValueError, OverflowError) as error:  # the engine's domain errors, e.g. log(-1)
        raise ExpressionError(str(error)) from None
    output = built[root]
    unused = sorted(set(leaves) - {n.id for n in ast.walk(root) if isinstance(n, ast.Name)})
    if unused:
        raise ExpressionError(
            bilingual(
                f"식에 없는 변수에 값이 주어졌습니다: {', '.join(unused)}",
                f"values given for names not in the expression: {', '.join(unused)}",
            )
        )
    return output, leaves
