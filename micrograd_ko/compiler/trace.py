"""Stage 1 of compile, *trace*: run `fn` once on input leaves and record what the engine reports.

The arguments become input leaves (`_structure`, `_wrap`; `_flatten` reads a
call's arguments the same way). While `fn` runs, the engine's `observe` hook
tells a `Tracer` which leaves fn made (constants), which nodes it built,
every `.data` read or write outside the engine and every comparison of
Values (the guards). `trace` refuses what the code could not repeat
faithfully: reads of traced numbers, no_grad() inside fn, random numbers.
"""

from __future__ import annotations

import builtins
import copy
import dis
import functools
import numbers
import random
import sys
import threading
import types
import warnings
from contextlib import contextmanager
from typing import Any

from .. import engine
from ..engine import Value
from ..i18n import bilingual
from ..learners_code import _is_learners, _is_library
from .errors import CompileError

# --------------------------------------------------------------------------
# Arguments: numbers and nested lists of numbers
# --------------------------------------------------------------------------


_DEEPEST = 100  # nesting of the arguments: deeper is refused (not a RecursionError)


def is_number(arg):
    """What an argument item may be: an int or a float (any real number), not a bool, not a Value."""
    return isinstance(arg, numbers.Real) and not isinstance(arg, (bool, Value))


def split_result(result, gradients):
    """What fn returned, as (output, extra): a pair is (output, extra); without gradients a list is all extra."""
    if isinstance(result, tuple) and len(result) == 2:
        return result
    if not gradients and isinstance(result, list):  # forward only: a list of outputs
        return None, result
    return result, None


def _structure(arg, where="args", depth=0):
    """The nesting of `arg`: None for a number, else a tuple of the items' structures."""
    if isinstance(arg, (list, tuple)):
        if depth >= _DEEPEST:
            where = where if len(where) <= 40 else where[:40] + "…"
            raise TypeError(
                bilingual(
                    f"compile: 인자가 {_DEEPEST}겹보다 깊게 중첩되어 있습니다 ({where})",
                    f"compile: the arguments are nested more than {_DEEPEST} deep ({where})",
                )
            )
        return tuple(_structure(a, f"{where}[{i}]", depth + 1) for i, a in enumerate(arg))
    if is_number(arg):
        return None
    array = callable(getattr(arg, "tolist", None))  # a numpy array: its numbers as a list compile
    raise TypeError(
        bilingual(
            f"compile: 인자는 숫자나 숫자의 (중첩) 목록이어야 합니다: {where}는 {type(arg).__name__}입니다"
            + (" (배열이면 .tolist()로 넘기세요)" if array else ""),
            f"compile: arguments must be numbers or (nested) lists of numbers; {where} is a {type(arg).__name__}"
            + (" (for an array, pass .tolist())" if array else ""),
        )
    )


def _flatten(arg, structure, out):
    """Append the numbers of `arg` to `out` as floats; False if `arg` has another structure or a number is odd."""
    if structure is None:
        if type(arg) is float or is_number(arg):
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


def _contents(wrapped):
    """What the wrapped arguments hold (every list, tuple and leaf, by identity), to see whether fn changed them."""
    if isinstance(wrapped, (list, tuple)):
        return id(wrapped), len(wrapped), [_contents(item) for item in wrapped]
    return id(wrapped)


def _wrap(arg, structure, leaves):
    """`arg` with every number replaced by a new leaf (appended to `leaves`).

    In the containers `arg` has: a tuple stays a tuple and a namedtuple the
    same namedtuple (fn may add tuples, `x + (1.0,)`, or read a field,
    `x.age`, as it does with the arguments themselves); any other sequence
    becomes a list.
    """
    if structure is None:
        leaf = Value(arg)
        leaves.append(leaf)
        return leaf
    items = [_wrap(item, s, leaves) for item, s in zip(arg, structure)]
    if type(arg) is tuple:
        return tuple(items)
    if isinstance(arg, tuple) and isinstance(getattr(type(arg), "_fields", None), tuple):  # a namedtuple
        return type(arg)._make(items)  # type: ignore[attr-defined]
    return items


def _describe(structure):
    if structure is None:
        return "number"
    return "[" + ", ".join(_describe(s) for s in structure) + "]"


# --------------------------------------------------------------------------
# Tracing: what fn made, read and compared
# --------------------------------------------------------------------------

# Library code that reads `.data` only to compute what the compiler replays
# itself (`Op.apply`, which the losses use: a node's number from its op's own forward).
_FAITHFUL_READERS = {engine.Op.apply.__code__}

# fit gives the model plain numbers in its interpreted run, Values while it traces (`numbers_given`). Python
# computes the same floats for both where fn's code applies an operator (`x + y`, `-x`); but a call that
# reaches a Value's method from C (numpy's sums, which add in pairs, and its own tanh) may compute a plain
# number otherwise. (abs() and - are exact either way; so is builtin sum() before Python 3.12, which adds
# floats one after another from its start, as it adds Values: from 3.12 `Tracer.summed` refuses it.)
_given = threading.local()
_EXACT = {"__abs__", "__neg__", "__pos__"}  # (a sign cleared or flipped: the same float however it is called)
_VALUE_METHODS = {f.__code__ for k, f in vars(Value).items() if isinstance(f, types.FunctionType) and k not in _EXACT}


@contextmanager
def numbers_given(floats=True):
    """Traces made inside (this thread's) refuse a node computed from the arguments alone by a call from C, and,
    unless the arguments' numbers are all floats (`floats`), one the learner's code computes at all.

    Python computes an int or a Fraction of the inputs' exactly (2**53 + 1 - 2**53 is 1, and a Fraction's
    1/10 + 2/10 is 3/10); the trace, like the compiled code, adds floats (0.0, and 0.30000000000000004).
    """
    _given.numbers, _given.floats = True, floats
    try:
        yield
    finally:
        _given.numbers, _given.floats = False, True


def _called_from_c(frame, sums):
    """(file, line) of the code outside micrograd_ko that made a node through a Value method without applying
    a Python operator there (numpy); None for an operator, or for micrograd_ko's own code; _SUMMED for a step
    of builtin sum() (`start + x0`, then `+ x1` onto the node before, whose id is among `sums`)."""
    frame, called = _outside_engine(frame)
    entry = called.f_code if called is not None else None
    if frame is None or entry not in _VALUE_METHODS or frame.f_globals.get("__name__", "").startswith(_LIBRARY):
        return None
    if _operators(frame.f_code).get(frame.f_lasti, "@") not in ("@", "@="):  # (numpy's @ sums as it likes)
        return None
    if (
        entry.co_name == "__radd__"
        and is_number(called.f_locals["other"])
        or (entry.co_name == "__add__" and id(called.f_locals["self"]) in sums)
    ):
        return _SUMMED
    where = frame
    while where is not None and not _is_learners(where.f_globals.get("__name__")):  # (numpy's own frames)
        where = where.f_back
    where = where or frame
    return where.f_code.co_filename, where.f_lineno


def _outside_engine(frame):
    """(the first frame, from `frame` outward, that is not engine.py's; the engine's frame it called, or None)."""
    called = None
    while frame is not None and frame.f_code.co_filename == engine.__file__:
        called, frame = frame, frame.f_back
    return frame, called


_SUMMED = object()  # (what _called_from_c says of a step of builtin sum())


@functools.lru_cache(maxsize=1024)
def _operators(code):
    """{offset: the operator ('+', '-', '@=')} of the Python operators in `code` that call a Value's methods."""
    return {i.offset: i.argrepr or "-" for i in dis.get_instructions(code) if i.opname in _OPERATOR_OPS}


_OPERATOR_OPS = {"BINARY_OP", "UNARY_NEGATIVE"}
_LIBRARY = __name__.partition(".")[0] + "."


class Tracer:
    """A tracing session: `with Tracer() as t: out = fn(...)` (see `trace`).

    While active, the engine tells it (for this thread only) of every
    `Value(...)` (the constants of fn), every node it builds, every `.data`
    read or write outside the engine, and every comparison of Values.
    """

    def __init__(self, inputs=()):
        self._inputs = {id(leaf) for leaf in inputs}  # the leaves made from fn's arguments (numbers, in fit's own run)
        self._created = {}  # id -> the Value itself, kept alive so no later Value reuses the id
        self._made = []  # the nodes the engine built, in the order fn built them
        self._guards = []
        self._touched = []  # (value, where, wrote, attribute)
        self._raised = None  # where an op raised (fn went on: it caught the error)
        self.unnumbered = None  # where fn asked a Value computed from the arguments alone for its number
        self._unfaithful = (
            None  # (where, Korean, English): a choice made outside the graph (softmax on Values, Dropout)
        )
        self.asks_grad_mode = False  # fn asked is_grad_enabled(): a call inside no_grad() must run interpreted
        self.depends_on_state = {}  # (id(owner), attribute) -> (owner, attribute, value): a call must find them so
        self.numbers_given_to_from_op = {}  # id(node) -> whether its slopes were given too (see given_to_from_op)
        self._in_no_grad = None
        self._watching: Any = None  # the engine.observe(self) context while tracing
        self._callers: list[Any] | None = [] if getattr(_given, "numbers", False) else None  # (see numbers_given)
        self._sums: set[int] = set()  # the nodes builtin sum() made (see _called_from_c)
        # where the learner's code made each node, if the arguments are numbers but not all floats (numbers_given)
        self._makers: list[Any] | None = None if getattr(_given, "floats", True) else []

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
        if self._callers is not None:
            where = _called_from_c(sys._getframe(2), self._sums)
            if where is _SUMMED:
                self._sums.add(id(node))
            self._callers.append(None if where is _SUMMED else where)
        if self._makers is not None:
            self._makers.append(_learners_line(sys._getframe(2)))

    def touched(self, value, frame, wrote, attribute="data"):
        """fn read or wrote a Value's `attribute` ("data", "grad", or "text": its repr) outside the engine."""
        if attribute != "grad":
            if frame.f_code in _FAITHFUL_READERS and not wrote:
                return
            if not wrote and id(value) in self._created and value._a is None:
                return  # a constant fn made itself: its number is frozen anyway
        if not self._touched:  # the first one is enough to refuse
            self._touched.append((value, _where(frame), wrote, attribute))

    def op_raised(self, frame):
        if self._raised is None:
            self._raised = _where(frame)

    def no_number(self, frame, value):
        """float(x), int(x), round(x), a format spec or ^ raised TypeError for `value`: as an op that raised (if fn
        catches it and goes on, refused) where `value` is computed from the arguments alone, which fit's
        interpreted run gives the model as numbers, which do not raise. (A weight raises there too.)"""
        if self._from_arguments_alone(value):
            self.op_raised(frame)
            if self.unnumbered is None:
                self.unnumbered = _where(frame)

    def unfaithful(self, frame, ko, en):
        if self._unfaithful is None:
            self._unfaithful = (_where(frame), ko, en)

    def identity_used(self, frame, ko, en, values):
        """fn asked Values what Python answers by identity (== or != with a number, a truth test).

        Refused, here and now by raising inside fn (a loop on the answer,
        `while n != 0`, would never end), where each of `values` is computed
        from the arguments and constants alone: fit's interpreted run gives
        the model its numbers, so there it would be a number, and Python
        answers by its value. Where a weight is in it, it is a Value in both
        runs, and the answer the same (`if self.bias:`).
        """
        if not all(map(self._from_arguments_alone, values)):
            return
        filename, line = _where(frame)
        raise CompileError(
            bilingual(
                f"compile: fn이 {filename}:{line}에서 {ko}. 파이썬은 Value에 대해 이것을 숫자가 아니라 정체성으로 "
                "답합니다 (다른 것과 같지 않고 언제나 참): 인자로만 계산한 값이므로 fit의 해석 실행에서는 숫자이고, "
                "그 답은 숫자에 따라 달라집니다. 숫자를 보려면 x.data를 쓰고 해석 실행하세요",
                f"compile: fn {en} at {filename}:{line}; Python answers that for a Value by identity (equal to "
                "nothing else, always true), but this one is computed from the arguments alone, so in fit's "
                "interpreted run it is a number and the answer depends on it. To test the number, use x.data and "
                "run interpreted",
            )
        )

    def type_asked(self, frame, value):
        """The learner's code asked a Value its type other than by `type(x)` (`isinstance(x, float)`, which a
        Value answers False): refused where `value` is computed from the arguments (and constants) alone, a
        number in the interpreted call, whose answer differs (`abs(x) if isinstance(x, float) else x`).

        `frame` asked: code of the standard library or of an installed package may ask on the learner's
        behalf (`numbers.Real`'s `__instancecheck__` in abc, `functools.singledispatch`), so the first caller
        that is not decides: the learner's, or micrograd_ko's own (told the truth)."""
        if (where := self._learners_question(frame, value)) is None:
            return
        filename, line = where
        raise CompileError(
            bilingual(
                f"compile: fn이 {filename}:{line}에서 인자로만 계산한 값의 자료형을 묻습니다 (isinstance(x, float) 등). "
                "추적에서는 Value이지만 해석 실행에서는 숫자라서 답이 다릅니다. 자료형에 따라 가르지 말거나 "
                "해석 실행하세요",
                f"compile: fn asks the type of a value computed from its arguments alone at {filename}:{line} "
                "(isinstance(x, float), ...): traced it is a Value, in the interpreted call a number, and the answer "
                "differs. Do not branch on the type, or run interpreted",
            )
        )

    def attribute_missed(self, frame, value, name):
        """The learner's code asked a Value for an attribute a number has and a Value does not (`hasattr(x,
        "is_integer")`, `x.real`): refused where `value` is computed from the arguments alone, a number in the
        interpreted call, which has it (`abs(x) if hasattr(x, "is_integer") else x`)."""
        if (where := self._learners_question(frame, value)) is None:
            return
        filename, line = where
        raise CompileError(
            bilingual(
                f"compile: fn이 {filename}:{line}에서 인자로만 계산한 값에 숫자에는 있고 Value에는 없는 속성 "
                f"{name!r}을(를) 묻습니다 (hasattr, getattr). 해석 실행에서는 숫자라서 답이 다릅니다: 해석 실행하세요",
                f"compile: fn asks a value computed from its arguments alone for {name!r} at {filename}:{line} "
                "(hasattr, getattr), which a number has and a Value does not: in the interpreted call it is a "
                "number, and the answer differs. Run interpreted",
            )
        )

    def _learners_question(self, frame, value):
        """(file, line) where the learner's code asked a question of `value` that a number answers otherwise, if
        `value` is computed from the arguments alone (a number in the interpreted call); None where
        micrograd_ko's own code asked, or where a weight is in it (a Value in the interpreted call too)."""
        frame = _learners_asking(frame)
        if frame is None or not self._from_arguments_alone(value):
            return None
        return _where(frame)

    def _from_arguments_alone(self, value):
        """Whether every leaf `value` depends on is an input or a constant fn made (no weight)."""
        known = self._inputs.union(self._created)
        return all(id(node) in known for node in engine.topological_order(value) if node._a is None)

    def given_to_from_op(self, frame, node, slopes_given):
        """`Value.from_op` made `node` from a number its caller computed (and slopes, if given): unless the
        caller is micrograd_ko's own (the losses compute it with the op's forward), fn made that number
        without reading any traced `.data`, so calls run interpreted get it again: a constant."""
        if frame.f_code not in _FAITHFUL_READERS:
            self.numbers_given_to_from_op[id(node)] = slopes_given

    def summed(self, frame, value):
        """Python's sum() (or math.sumprod) added `value`, its first term: refused on Python 3.12+ where that
        term comes from the arguments alone.

        From Python 3.12, sum() of floats compensates its rounding errors
        (Neumaier), so in fit's interpreted run, where such terms are
        numbers, sum([0.1, 0.2, 0.3]) is 0.6; the trace holds Values added
        one after another, 0.6000000000000001 (math.sumprod, new in 3.12,
        likewise). Where the first term holds a weight (`sum(w * x for ...)`),
        sum() adds Values in both runs, in order.
        """
        if sys.version_info < (3, 12) or not self._from_arguments_alone(value):
            return
        filename, line = _where(frame)
        raise CompileError(
            bilingual(
                f"compile: fn이 {filename}:{line}에서 인자로만 계산한 숫자들을 파이썬의 sum()(또는 math.sumprod())으로 "
                "더합니다. 파이썬 3.12부터 이 함수들은 float의 반올림 오차를 보정하므로 해석 실행(숫자)과 컴파일된 "
                "코드(Value를 차례로 더함)의 결과가 마지막 자리에서 다를 수 있습니다. micrograd_ko.sum(...)을 쓰거나 "
                "+로 차례로 더하세요",
                f"compile: fn adds numbers computed from its arguments alone with Python's sum() (or math.sumprod()) "
                f"at {filename}:{line}; from Python 3.12 these compensate the rounding of floats, so the interpreted "
                "run (numbers) and compiled code (Values added one after another) could differ in the last bits. Use "
                "micrograd_ko.sum(...) or add them one after another with +",
            )
        )

    def depends_on(self, frame, owner, attribute, value):
        self.depends_on_state[(id(owner), attribute)] = (owner, attribute, value)

    def asked_grad_mode(self, frame):
        if frame.f_code.co_filename != __file__:  # the tracer's own question (made) does not count
            self.asks_grad_mode = True

    def compared(self, left, symbol, right, result):
        self._guards.append((left, symbol, right, result, _where(sys._getframe(2))))

    def _refuse_unfaithful(self):
        if self._touched:
            _, (filename, line), wrote, attribute = self._touched[0]
            verb_ko, verb_en = ("바꿉니다", "writes") if wrote else ("읽습니다", "reads")
            if attribute == "grad":
                raise CompileError(
                    bilingual(
                        f"compile: fn이 {filename}:{line}에서 .grad를 {verb_ko} (zero_grad, backward의 결과 등). "
                        "컴파일된 호출은 그 일을 되풀이하지 않으므로 다른 숫자가 나옵니다. 기울기는 fn 밖에서 다루거나 "
                        "컴파일하지 말고 실행하세요",
                        f"compile: fn {verb_en} a .grad at {filename}:{line} (zero_grad, a result of backward, ...); "
                        "compiled calls would not do that again, so they would give other numbers. Handle gradients "
                        "outside fn, or run fn interpreted",
                    )
                )
            if attribute == "text":
                raise CompileError(
                    bilingual(
                        f"compile: fn이 {filename}:{line}에서 추적 중인 노드의 글(repr, str, f-문자열, print)을 만듭니다. "
                        "그 글에는 숫자가 들어 있고 그 글로 한 파이썬 계산은 추적에 남지 않으므로 컴파일하면 다른 숫자가 "
                        "나올 수 있습니다. 숫자는 fn 밖에서 보이거나 컴파일하지 말고 실행하세요",
                        f"compile: fn makes the text of a traced node (repr, str, an f-string, print) at "
                        f"{filename}:{line}; the text holds its number, and what Python computes from it is not in "
                        "the trace, so compiled code could give other numbers. Show numbers outside fn, or run fn "
                        "interpreted",
                    )
                )
            raise CompileError(
                bilingual(
                    f"compile: fn이 {filename}:{line}에서 추적 중인 노드의 .data를 {verb_ko}. 그 숫자로 한 파이썬 계산은 "
                    "추적에 남지 않으므로 컴파일하면 다른 숫자가 나올 수 있습니다. 엔진의 연산(relu, abs, 비교 등)을 쓰거나 "
                    "컴파일하지 말고 실행하세요",
                    f"compile: fn {verb_en} the .data of a traced node at {filename}:{line}; what Python computes from "
                    "that number is not in the trace, so compiled code could give other numbers. Use engine ops "
                    "(relu, abs, comparisons, ...) or run fn interpreted",
                )
            )
        if self._raised is not None:
            filename, line = self._raised
            raise CompileError(
                bilingual(
                    f"compile: {filename}:{line}에서 엔진이 오류를 냈고 fn이 그 오류를 잡아 계속했습니다 (try/except). "
                    "컴파일된 코드는 언제 그 오류가 나는지 모르고 추적할 때의 가지만 되풀이합니다. 조건을 엔진의 연산"
                    "(비교, relu 등)으로 계산하거나 컴파일하지 말고 실행하세요",
                    f"compile: the engine raised an error at {filename}:{line} and fn caught it and went on "
                    "(try/except); compiled code cannot know when that error happens and would replay the branch "
                    "taken while tracing. Compute the condition with engine ops (a comparison, relu, ...) or run fn "
                    "interpreted",
                )
            )
        if self._unfaithful is not None:
            (filename, line), ko, en = self._unfaithful
            raise CompileError(
                bilingual(
                    f"compile: {filename}:{line}에서 {ko}: 그래프 밖에서 정해지는 것이라 컴파일할 수 없습니다",
                    f"compile: {en} at {filename}:{line}; that is decided outside the graph, so it cannot be compiled",
                )
            )
        computed = self._computed_from_inputs_alone()
        if computed is not None and computed[0] == "exact":
            _, filename, line = computed
            raise CompileError(
                bilingual(
                    f"compile: 모델이 {filename}:{line}에서 입력만으로 값을 계산하는데, 입력의 숫자가 float이 아닙니다 "
                    "(int, Fraction 등). fit의 해석 실행에서 파이썬은 그 숫자 그대로 정확히 계산하고 (2**53 + 1 - 2**53은 1) "
                    "컴파일된 코드는 float으로 계산하므로 (0.0) 결과가 다를 수 있습니다. 입력을 float으로 주세요",
                    f"compile: the model computes a number from its inputs alone at {filename}:{line}, and the inputs "
                    "are not all floats (ints, Fractions, ...): in fit's interpreted run Python computes with those "
                    "numbers exactly (2**53 + 1 - 2**53 is 1), compiled code with floats (0.0), so the results could "
                    "differ. Give the inputs as floats",
                )
            )
        if computed is not None:
            _, filename, line = computed
            raise CompileError(
                bilingual(
                    f"compile: 모델이 {filename}:{line}에서 입력만으로 계산하는 값을 파이썬 연산자가 아닌 호출(numpy, "
                    "functools.reduce 등)로 만듭니다. fit의 해석 실행에서는 모델이 보통 숫자를 받는데, 그런 호출은 "
                    "숫자를 다르게 계산할 수 있습니다 (numpy는 float을 짝지어 더하고 tanh도 따로 계산합니다). "
                    "파이썬 연산자(+, *)나 micrograd_ko의 함수로 계산하세요",
                    f"compile: the model computes a number from its inputs alone at {filename}:{line} through a call "
                    "(numpy, functools.reduce, ...), not a Python operator; in fit's interpreted run it gets plain "
                    "numbers, which such a call may compute otherwise (numpy adds floats in pairs and has a tanh of "
                    "its own). Compute it with Python's operators (+, *) or micrograd_ko's functions",
                )
            )
        if self._in_no_grad is not None:
            filename, line = self._in_no_grad
            raise CompileError(
                bilingual(
                    f"compile: fn이 {filename}:{line}에서 no_grad() 안에서 계산합니다: 그 결과는 입력에 따라 바뀌는 상수가 되므로 컴파일할 수 없습니다",
                    f"compile: fn computes inside no_grad() at {filename}:{line}; the result would be a constant that "
                    "depends on the inputs, so it cannot be compiled",
                )
            )

    def _computed_from_inputs_alone(self):
        """("c", file, line) where a node computed from the arguments and constants alone was made by a call from
        C; ("exact", file, line) where the learner's code made one from arguments that are not all floats; or None."""
        makers = self._makers or [None] * len(self._made)
        if not self._callers or not any(self._callers) and not any(makers):
            return None
        alone = self._inputs.union(self._created)
        of_inputs = set(self._inputs)  # (those among them that an input reaches: constants alone are no inputs)
        for node, where, maker in zip(self._made, self._callers, makers):
            parents = node._prev
            if parents and all(id(p) in alone for p in parents):
                alone.add(id(node))
                if where is not None:
                    return ("c", *where)
                if any(id(p) in of_inputs for p in parents):
                    of_inputs.add(id(node))
                    if maker is not None:
                        return ("exact", *maker)
        return None


def _learners_line(frame):
    """(file, line) of the code that asked the engine for a node, or None if that is micrograd_ko's own."""
    frame, _ = _outside_engine(frame)
    if frame is None or frame.f_globals.get("__name__", "").startswith(_LIBRARY):
        return None
    return frame.f_code.co_filename, frame.f_lineno


def _where(frame):
    """(file, line) of the first frame outside this module, the engine, the losses' node builder and `copy`."""
    skip = (__file__, engine.__file__, copy.__file__)  # (copy.deepcopy of a list reaches a Value through copy's frames)
    while frame is not None and (frame.f_code.co_filename in skip or frame.f_code in _FAITHFUL_READERS):
        frame = frame.f_back
    return (frame.f_code.co_filename, frame.f_lineno) if frame is not None else ("?", 0)


@contextmanager
def _prints_kept(printed):
    """While fn is traced, the tracing thread's `print()` calls and writes to `sys.stdout` / `sys.stderr`
    (`sys.stdout.write`, `pprint`, `tqdm.write`) are kept in `printed` (as text) and not shown.

    Compiled calls would not print again, so a fn that prints is refused;
    the text is not shown either: fit then runs the model interpreted,
    which prints it. Other threads print as usual. The console's stream
    objects themselves are watched too, not only the names in `sys`: a
    logging handler, `sys.__stdout__` or an `OUT = sys.stdout` bound before
    write to the object. So are warnings shown (`warnings.warn`, wherever
    they would go: a `catch_warnings(record=True)` list too); Python counts
    a warning shown once as shown, so a kept one is taken out of its
    registry (fit's interpreted run shows it, as it would have).
    """
    original, tracing = builtins.print, threading.get_ident()

    def kept(*args, **kwargs):
        if threading.get_ident() != tracing:
            return original(*args, **kwargs)
        printed.append(" ".join(map(str, args)))
        return None

    streams = sys.stdout, sys.stderr
    consoles = {id(s): s for s in (*streams, sys.__stdout__, sys.__stderr__) if s is not None}.values()
    show = warnings.showwarning

    def kept_warning(message, category, filename, lineno, *args, **kwargs):
        if threading.get_ident() != tracing:
            return show(message, category, filename, lineno, *args, **kwargs)
        printed.append(f"{category.__name__}: {message}")
        _forget_shown(str(message), category, filename, lineno)
        return None

    warnings.showwarning = kept_warning
    builtins.print = kept
    sys.stdout, sys.stderr = (_KeptStream(stream, printed, tracing) for stream in streams)
    watched = [_watch_writes(stream, printed, tracing) for stream in consoles]
    try:
        yield
    finally:
        builtins.print = original
        warnings.showwarning = show
        sys.stdout, sys.stderr = streams
        for put_back in reversed(watched):
            put_back()


def _forget_shown(text, category, filename, lineno):
    """Take a warning the trace kept back out of Python's registries, which count it as shown (`warn` notes it
    before showing it): in the globals of the frame it is shown for, and the registry of the filter "once".
    The keys are `(text, category, lineno)`, and for the filters "once" and "module" `(text, category)` in C
    (`(text, category, 0)` in the module's Python twin)."""
    keys = ((text, category, lineno), (text, category), (text, category, 0))
    frame: types.FrameType | None = sys._getframe(2)
    while frame is not None and not (frame.f_code.co_filename == filename and frame.f_lineno == lineno):
        frame = frame.f_back
    registry = frame.f_globals.get("__warningregistry__") if frame is not None else None
    for held in (registry, getattr(warnings, "onceregistry", None)):  # (a module attribute typeshed leaves out)
        if isinstance(held, dict):
            for key in keys:
                held.pop(key, None)


def _watch_writes(stream, printed, tracing):
    """Make the stream object's own `write` keep the tracing thread's text in `printed`; return what undoes it
    (nothing for a stream whose attributes are fixed: the names in `sys` are watched all the same)."""
    held = vars(stream).get("write", _NOTHING) if hasattr(stream, "__dict__") else _NOTHING
    try:
        stream.write = _kept_writes(stream.write, printed, tracing)
    except (AttributeError, TypeError):
        return lambda: None

    def put_back():
        if held is _NOTHING:
            del stream.write
        else:
            stream.write = held

    return put_back


_NOTHING = object()


def _kept_writes(write, printed, tracing):
    """`write`, except that the tracing thread's text is kept in `printed`, not shown."""

    def kept(text):
        if threading.get_ident() != tracing:
            return write(text)
        printed.append(text)
        return len(text)

    return kept


class _KeptStream:
    """`sys.stdout` or `sys.stderr` while fn is traced: the tracing thread's writes are kept, not shown."""

    def __init__(self, stream, printed, tracing):
        self._stream = stream
        self.write = _kept_writes(stream.write, printed, tracing)

    def __getattr__(self, name):  # flush, encoding, isatty, ...: the stream's own
        return getattr(self._stream, name)


def _learners_asking(frame):
    """The frame of the learner's code on whose behalf `frame` asks (past the standard library's and installed
    packages' frames: `numbers.Real`'s `__instancecheck__`, `functools.singledispatch`); None where
    micrograd_ko's own code asks (it is told the truth)."""
    while frame is not None and not _is_learners(name := frame.f_globals.get("__name__")):
        if _is_library(name):
            return None
        frame = frame.f_back
    return frame


def _unnumbered(filename, line):
    """The refusal of a fn that asks a Value computed from its arguments alone for its number (float(x),
    math.sqrt(x)): the interpreted call gives fn that number, which converts, and fn is right; traced it is a
    Value, which refuses (the engine's TypeError, whose advice is for a Value in the learner's own graph)."""
    return CompileError(
        bilingual(
            f"compile: fn이 {filename}:{line}에서 인자로만 계산한 값을 숫자로 바꿉니다 (float(x), math.sqrt(x) 등). "
            "해석 실행에서는 이미 숫자라서 되지만 추적할 때는 Value입니다: Value의 연산(x.sqrt())으로 쓰거나 해석 "
            "실행하세요",
            f"compile: fn turns a value computed from its arguments alone into a number at {filename}:{line} "
            "(float(x), math.sqrt(x), ...): the interpreted call gives fn that number, which works, but traced it "
            "is a Value. Use the Value's own operations (x.sqrt()), or run interpreted",
        )
    )


def trace_fn(fn, example_args):
    """Run fn on input leaves made from `example_args`: (tracer, result, inputs, structures).

    The random module's state is put back afterwards (tracing must not use up
    the caller's random numbers), and fn that drew any is refused.
    """
    structures = [_structure(a, f"args[{i}]") for i, a in enumerate(example_args)]
    inputs: list[Value] = []
    wrapped = [_wrap(a, s, inputs) for a, s in zip(example_args, structures)]
    contents = _contents(wrapped)
    state = random.getstate()
    printed: list[str] = []
    try:
        with Tracer(inputs) as tracer, _prints_kept(printed):
            try:
                result = fn(*wrapped)
            except TypeError as error:
                if tracer.unnumbered is None:
                    raise
                raise _unnumbered(*tracer.unnumbered) from error
    finally:
        drew = random.getstate() != state
        random.setstate(state)
    if _contents(wrapped) != contents:
        raise CompileError(
            bilingual(
                "compile: fn이 받은 인자(목록)를 바꿉니다: 해석 실행에서는 호출할 때마다 데이터가 바뀌지만 컴파일된 "
                "코드에서는 아닙니다. 목록을 바꾸지 말고 새로 만드세요",
                "compile: fn changes the lists it is given; run interpreted, every call changes the caller's data, "
                "compiled calls would not: build a new list instead",
            )
        )
    if printed:
        raise CompileError(
            bilingual(
                "compile: fn이 글을 출력합니다 (print(), sys.stdout.write 등): 컴파일된 호출은 fn의 파이썬 코드를 다시 "
                "실행하지 않으므로 출력하지 않습니다",
                "compile: fn prints (print(), sys.stdout.write, ...); compiled calls do not run fn's Python again, so "
                "they would not print",
            )
        )
    if drew:
        raise CompileError(
            bilingual(
                "compile: fn이 random 모듈의 난수를 뽑습니다: 컴파일하면 그 난수가 고정되므로 컴파일할 수 없습니다 "
                "(난수를 인자로 넘기거나 컴파일하지 마세요)",
                "compile: fn draws random numbers (the random module); compiled code would freeze them, so it "
                "cannot be compiled (pass them as arguments, or don't compile)",
            )
        )
    tracer._refuse_unfaithful()
    return tracer, result, inputs, structures
