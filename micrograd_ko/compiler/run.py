"""Stage 3 of compile, *run*: the compiled function, called with new arguments.

`CompiledFunction` flattens a call's arguments, runs the generated code and,
where that code cannot vouch for its numbers (a guard fails, a number is not
finite, an op raises), hands the call to the interpreted engine, whose result
or error is then returned: exact either way.
"""

from __future__ import annotations

import math
import sys
import threading
from itertools import repeat
from types import CodeType

from .. import engine
from ..engine import _LARGEST, Value
from ..i18n import bilingual
from . import native
from .errors import ArgumentTypeError, CompileError, GuardError, StructureError, _Bail, _GuardMiss
from .trace import _describe, _flatten, _wrap, is_number, split_result

# The top of a handed-over call's backward for an `output_grad` other than 1.0: a node holding the output's own
# number, with output_grad as its local derivative, so backward starts from output_grad as the compiled code
# does, without the product output * output_grad (which can overflow where every gradient is finite).
_OUTPUT_GRAD = engine.Op("output_grad", None)


def _start_of(output_grad):
    """The float backward() starts from for `output_grad`: a finite float as itself, an int as its float (as
    Python's int * float rounds it); None for anything else (a bool, a Fraction, a numpy number, inf, nan, an
    int beyond the floats), whose call the engine runs: output * output_grad, or its error."""
    if type(output_grad) is int:
        try:
            output_grad = float(output_grad)
        except OverflowError:
            return None
    if type(output_grad) is float and -_LARGEST <= output_grad <= _LARGEST:
        return output_grad
    return None


def _aux_numbers(aux):
    """What fn returned beside its output, as numbers (nested as it was)."""
    if isinstance(aux, Value):
        return aux.data
    if isinstance(aux, (list, tuple)):
        return [_aux_numbers(a) for a in aux]
    return aux  # a plain number on this call's branch


class CompiledFunction:
    """What `compile` returns: call it with arguments shaped like the example arguments.

    - `source`: the generated Python code (forward, checks, backward).
    - `parameters`: the leaves read live at each call (`.data`) whose `.grad` it adds into.
    - `written`: those of them whose `.grad` a call changes (the output depends on them).
    - `nodes`: how many graph nodes the code computes per call; `size`: nodes + edges (what the limits count).
    - `handed_over`: how many calls were handed to the interpreted engine (see the module docstring).
    """

    # fn asked is_grad_enabled() while traced (with gradients on): a call inside no_grad() runs interpreted
    asks_grad_mode = False
    # (owner, attribute, value) the trace chose by (a Dropout's mode): a call that finds another value runs interpreted
    depends_on: tuple = ()

    # what fn's code keeps and reads (globals, closure variables, modules' attributes), as traced; None: not watched
    learners = None

    # How much the caller expects to run each variant, {variant: calls}, counted as native.wanted counts (a batch
    # variant's call over n samples counts n): fit knows its run's length from the start. Past
    # native.CALLS_BEFORE_BUILD the C form is asked for at the first call, not once the calls so far add up.
    expected_calls: dict[str, int] = {}

    def _state_holds(self):
        """Whether what the trace chose by is as it was: else a call runs interpreted."""
        return self._modes_hold() and (self.learners is None or self.learners.moved() is None)

    def _modes_hold(self):
        """Whether the attributes the trace chose by (`depends_on`) hold what they held."""
        return all(getattr(owner, attribute, _GONE) == value for owner, attribute, value in self.depends_on)

    def __init__(
        self, assemble, namespace, parameters, written, structures, guards, fn, gradients, fallback, sizes, sources
    ):
        self._assemble, self._namespace = assemble, namespace
        self._sources = sources  # variants already written (the main one: compile measured its size)
        self._variants = {}
        self._without_c = set()  # variants not yet handed to native.faster
        self.parameters = parameters
        self.written = written
        self._structures = structures
        self._guards = guards
        self._fn = fn
        self._gradients = gradients
        self._fallback = fallback
        self.nodes, self.size = sizes
        self.handed_over = 0

    @property
    def _main(self):
        """(function, source) of the variant `__call__` runs outside no_grad()."""
        return self._variant("full" if self._gradients else "forward")

    @property
    def source(self):
        return self._main[1]

    def _variant(self, name, samples=1):
        """(function, source) of a variant, written and compiled on its first use (for a call over `samples`
        samples: a batch variant's).

        A caller uses one or two of the variants (fit's per-sample programs
        only 'batch'), and Python's compile of a long function is most of what
        `compile` costs, so none is made before it is needed.
        """
        made = self._variants.get(name)
        if made is None:
            source = self._sources.pop(name, None) or self._assemble(name)
            python = []  # (the generated function, once Python has compiled it)

            def python_function(*args):
                if not python:  # (Python's compile below was interrupted: made now, for the C form to hand over to)
                    python.append(self._compiled_python(source))
                return python[0](*args)

            if self._c_wanted(name, source, samples):  # (asked first: its translation starts before Python's compile)
                self._faster(name, source, python_function)
            else:
                self._without_c.add(name)
            python.append(self._compiled_python(source))
            made = (python[0], source)
            self._variants.setdefault(name, made)  # (unless its C form is in place already: built before, or at once)
            return made
        if name in self._without_c and self._c_wanted(name, made[1], samples):
            self._without_c.discard(name)
            self._faster(name, made[1], made[0])
        return made

    def _compiled_python(self, source):
        """The generated function of `source`, compiled by Python."""
        namespace = dict(self._namespace)
        exec(_code_of(source), namespace)  # noqa: S102 - our own code
        return namespace["compiled"]

    def _c_wanted(self, name, source, samples):
        """Whether the variant runs often enough to be worth its C form (native.wanted counts this call)."""
        return native.wanted(source, samples, self.expected_calls.get(name, 0))

    def _faster(self, name, source, python_function):
        """The same lines as C (native/), installed in place of the Python function once built."""
        native.faster(python_function, source, self._namespace, lambda c: self._variants.__setitem__(name, (c, source)))

    def _flat(self, args):
        if len(args) != len(self._structures):
            raise StructureError(
                bilingual(
                    f"컴파일한 함수는 인자 {len(self._structures)}개를 받습니다 ({len(args)}개를 받음)",
                    f"the compiled function takes {len(self._structures)} arguments ({len(args)} given)",
                )
            )
        flat = []
        for i, (arg, structure) in enumerate(zip(args, self._structures)):
            if not _flatten(arg, structure, flat):
                _check_numbers(arg, structure, f"args[{i}]")  # the same nesting, but an item is no plain number
                where, item = _first_difference(arg, structure, f"args[{i}]")
                if callable(getattr(item, "tolist", None)):  # a numpy array (a dataset's row): not another shape
                    raise ArgumentTypeError(
                        bilingual(
                            f"{where}는 {type(item).__name__}입니다: 컴파일한 함수는 숫자의 목록을 받습니다 "
                            "(배열이면 .tolist()로 넘기세요)",
                            f"{where} is a {type(item).__name__}; a compiled function takes lists of numbers "
                            "(for an array, pass .tolist())",
                        )
                    )
                raise StructureError(
                    bilingual(
                        f"args[{i}]의 구조가 추적할 때와 다릅니다 (추적: {_describe(structure)}): "
                        "새 구조로 micrograd_ko.compile을 다시 부르세요",
                        f"args[{i}] has another structure than when traced (traced: {_describe(structure)}); "
                        "call micrograd_ko.compile again for the new structure",
                    )
                )
        return flat

    def __call__(self, *args, output_grad=1.0, **named):
        """The output's value for `args`; adds `output_grad` * d(output)/d(p) into each parameter's `.grad`.

        `output_grad` is what `backward()` starts from at the output: 1.0.
        """
        if named:  # step(x=1.0): compile was given its example arguments by position, and so is each call
            raise ArgumentTypeError(
                bilingual(
                    f"컴파일한 함수는 인자를 위치로만 받습니다 (이름으로 받은 인자: {', '.join(map(str, named))})",
                    f"a compiled function takes its arguments by position only (given by name: "
                    f"{', '.join(map(str, named))})",
                )
            )
        if engine._observed_threads:
            _refuse_inside_a_trace()
        flat = self._flat(args)
        recording = engine.is_grad_enabled()
        start = _start_of(output_grad)  # (the code would carry an int or a Fraction on where backward() has a float)
        if start is None or self.asks_grad_mode and not recording or not self._state_holds():  # or fn would branch
            self.handed_over += 1
            return self._interpreted(args, output_grad, recording)
        if not self._gradients:
            variant = "forward_locals" if recording else "forward"
        else:
            variant = "full" if recording else "forward"
        try:
            if variant == "full" and _holds_negative_zero(self.parameters):
                raise _Bail  # -0.0 + a zero keeps the engine's exact signs of zero only in the engine
            return self._variant(variant)[0](flat, self.parameters, start)
        except _GuardMiss as miss:
            if not self._fallback:
                self._guard_failed(miss.args[0])
        except Exception:  # noqa: BLE001,S110 - any trouble: the engine itself decides, below
            pass
        self.handed_over += 1
        return self._interpreted(args, output_grad, recording)

    def fast(self, flat, output_grad=1.0):
        """The compiled call alone, on already flattened float arguments; None where it would hand over (or a
        gradient is -0.0).

        Nothing is changed when it returns None.
        """
        start = _start_of(output_grad)
        if start is None or _holds_negative_zero(self.parameters) or not self._state_holds():
            return None
        try:
            return self._variant("full")[0](flat, self.parameters, start)
        except Exception:  # noqa: BLE001 - a guard, a non-finite number, an op's error
            return None

    def fast_batch(self, flats, output_grad=1.0):
        """`fast` for each flat in `flats` as one loop (variant 'batch'): a list of results, or None.

        Each term is added onto the parameter's `.grad` one at a time, going on
        from what it holds: from 0.0, with `output_grad` = 1 / batch size,
        that is what backward() of the batch's mean loss adds, the same
        additions in the same order (what fit's compiled mini-batch runs; fit
        sets other held gradients aside and adds them at the end, as
        backward() does). None where any sample would hand over, or a
        gradient is -0.0; nothing is changed then.
        """
        start = _start_of(output_grad)
        if start is None or _holds_negative_zero(self.parameters) or not self._state_holds():
            return None
        try:
            return self._variant("batch", len(flats))[0](flats, self.parameters, start)
        except Exception:  # noqa: BLE001 - a guard, a non-finite number, an op's error
            return None

    def sgd_step(self, flat, lr, output_grad=1.0):
        """zero_grad, `fast(flat, output_grad)` and `optim.SGD(..., lr=lr).step()` as one call (variant 'sgd').

        For a training step whose optimizer is plain SGD over exactly the
        parameters in `written`. Returns (the call's result, updated), or None
        where it would hand over (nothing is changed then). `updated` False:
        the gradients are written but a new number would not be finite, so
        the parameters are not: the optimizer's own step decides (it raises,
        naming the parameter).
        """
        start = _start_of(output_grad)
        if start is None or not self._state_holds():
            return None
        return self._sgd(flat, lr, start)

    def _sgd_step_watched(self, flat, lr):
        """`sgd_step(flat, lr)` for fit, whose own watch has just found unmoved all that `learners` watches.

        fit looks at the model's state just before every fused call, with a
        watch of the model that also covers what this program's traced `fn`
        calls (`train._batch_loss`, `train._mean_loss`); nothing of the
        learner's runs between that look and this call, so a second look
        would only repeat it (about a tenth of a deep XOR net's step).
        """
        return self._sgd(flat, lr, 1.0) if self._modes_hold() else None

    def _sgd(self, flat, lr, start, variant="sgd", samples=1):
        try:
            return self._variant(variant, samples)[0](flat, self.parameters, start, lr)
        except Exception:  # noqa: BLE001 - a guard, a non-finite number, an op's error
            return None

    def batch_sgd_step(self, flats, lr, output_grad):
        """zero_grad, `fast_batch(flats, output_grad)` and `optim.SGD(..., lr=lr).step()` as one call (variant
        'batch_sgd'): (the list of results, updated) as `sgd_step`, or None where it would hand over (nothing
        is changed then). For a mini-batch this program serves sample by sample."""
        start = _start_of(output_grad)
        if start is None or not self._state_holds():
            return None
        return self._sgd(flats, lr, start, "batch_sgd", len(flats))

    def _batch_sgd_step_watched(self, flats, lr, output_grad):
        """`batch_sgd_step` for fit, whose own watch has just looked (see `_sgd_step_watched`)."""
        start = _start_of(output_grad)
        return (
            self._sgd(flats, lr, start, "batch_sgd", len(flats)) if start is not None and self._modes_hold() else None
        )

    def fast_forward(self, flat):
        """The 'forward' variant alone on already flattened float arguments; None where it would hand over.

        What a call inside `no_grad()` computes (the value, and what fn returns
        beside it), without flattening or checking the arguments again: for a
        caller that flattened them once for many calls. Writes nothing.
        """
        if self.asks_grad_mode or not self._state_holds():  # traced with gradients on, asked inside no_grad()
            return None
        try:
            return self._variant("forward")[0](flat, self.parameters, 1.0)
        except Exception:  # noqa: BLE001 - a guard, a non-finite number, an op's error
            return None

    def fast_forward_batch(self, flats):
        """`fast_forward` for each flat in `flats` as one loop (variant 'forward_batch'): a list of results, or
        None where any of them would hand over (then ask `fast_forward` for each: it writes nothing either way).
        """
        if self.asks_grad_mode or not self._state_holds():
            return None
        try:
            return self._variant("forward_batch", len(flats))[0](flats, self.parameters, 1.0)
        except Exception:  # noqa: BLE001 - a guard, a non-finite number, an op's error
            return None

    def _interpreted(self, args, output_grad, recording):
        wrapped = []
        leaves = []
        for a, s in zip(args, self._structures):
            wrapped.append(_wrap(a, s, leaves))
        result = self._fn(*wrapped)
        result, aux = split_result(result, self._gradients)  # what fn returned this time (a branch may differ)
        if result is not None and not isinstance(result, Value):
            raise TypeError(
                bilingual(
                    f"fn이 이번 호출에서 Value가 아닌 {type(result).__name__}을(를) 돌려주었습니다",
                    f"fn returned a {type(result).__name__} on this call, not a Value",
                )
            )
        if result is not None and self._gradients and recording:
            if output_grad == 1.0:
                result.backward()
            elif (start := _start_of(output_grad)) is not None:  # as compiled code starts
                Value.from_op(result.data, _OUTPUT_GRAD, [result], local_grads=[start]).backward()
            else:  # (a Value, a Fraction, inf, nan, an int beyond the floats: output * output_grad, or its error)
                (result * output_grad).backward()
        if result is None:
            return _aux_numbers(aux)
        return result.data if aux is None else (result.data, _aux_numbers(aux))

    def _guard_failed(self, i):
        symbol, result, (filename, line) = self._guards[i]
        raise GuardError(
            bilingual(
                f"fn 안의 파이썬 분기({filename}:{line})가 추적할 때와 다르게 갑니다 (그때 비교 {symbol}의 결과는 {result}). "
                "컴파일된 코드는 그때의 분기만 압니다. 분기 대신 엔진의 연산(relu, abs 등)을 쓰거나 다시 compile하세요",
                f"a Python branch in fn ({filename}:{line}) now goes another way than while tracing (the comparison "
                f"{symbol} was {result} then); the compiled code knows only that branch: use engine ops (relu, abs, ...) "
                "instead of the branch, or compile again",
            )
        )

    def __repr__(self):
        return f"<compiled function: {self.nodes} nodes, {len(self.parameters)} parameters>"

    def __copy__(self):
        twin = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)  # the same code, reading and writing the same parameters
        return twin

    def __reduce_ex__(self, protocol):
        # (pickle and copy.deepcopy: a copy of the parameters would be other Values, not the model's)
        raise TypeError(
            bilingual(
                "컴파일한 함수는 pickle하거나 deepcopy할 수 없습니다: 모델을 저장하고, 불러온 뒤 다시 compile하세요",
                "a compiled function cannot be pickled or deep-copied; save the model, and compile again after "
                "loading it",
            )
        )


# Python's compile of the last source texts compiled: fit and the experiments compile
# the same model shape again and again (one run per seed), and the text depends only
# on the graph's shape and constants (parameters are read live, rules and guards'
# numbers are names in the namespace).
# Bounded by the texts' length (a code object takes about 6 bytes per character).
_CODE_CACHE: dict[str, CodeType] = {}  # source -> code, the one used longest ago first
_CODE_CACHE_CHARS = 4_000_000
_code_cache_lock = threading.Lock()


_GONE = object()


def _refuse_inside_a_trace():
    """A compiled function called by a fn that compile is tracing (this thread's): refused, at fn's line.

    The call adds into the weights' `.grad` and returns a plain number, which
    the outer trace would freeze; compiled code of the outer fn would do neither
    again. Raised at once, so the call changes nothing, and told to the tracer,
    so a fn that catches the error is refused all the same.
    """
    unfaithful = getattr(getattr(engine._thread_state, "observer", None), "unfaithful", None)
    if unfaithful is None:  # (no trace here: fit's own watch of a model's comparisons, say)
        return
    ko = "fn이 컴파일한 함수를 부릅니다 (그 호출은 숫자를 돌려주고 .grad에 더합니다)"
    en = "fn calls a compiled function (which returns a number and adds into .grad)"
    caller = sys._getframe(2)  # fn's frame, which called __call__
    unfaithful(caller, ko, en)
    where = f"{caller.f_code.co_filename}:{caller.f_lineno}"
    raise CompileError(
        bilingual(
            f"compile: {where}에서 {ko}: 안쪽 함수는 컴파일하지 말고 그대로 부르세요",
            f"compile: at {where}, {en}; call the inner function itself, not its compiled form",
        )
    )


def _first_difference(arg, structure, where):
    """(where, item): the first place where `arg` has not the nesting of `structure` (a list where a number
    was, or something else where a list was), or (where, arg) if there is none."""
    while structure is not None and isinstance(arg, (list, tuple)) and len(arg) == len(structure):
        for k, (item, s) in enumerate(zip(arg, structure)):
            if (s is None) == isinstance(item, (list, tuple)) or s is not None and len(item) != len(s):
                arg, structure, where = item, s, f"{where}[{k}]"
                break
        else:
            return where, arg
    return where, arg


def _check_numbers(arg, structure, where):
    """If `arg` has the nesting of `structure`, raise the error for its first item that is no plain number.

    A number beyond the floats (10**400) gets the engine's own error, the
    one the interpreted call raises; anything else that is not an int or a
    float (a bool, a str, a Value) a StructureError naming it: compile
    takes numbers only, so compiling again would not help.
    """
    if structure is None:
        if isinstance(arg, (list, tuple)):
            return  # another nesting: the caller's StructureError says so
        if is_number(arg):
            Value(arg)  # raises for what no float can hold (10**400), as Value(x) in the interpreted call
            return
        raise ArgumentTypeError(
            bilingual(
                f"{where}는 숫자가 아닙니다 ({type(arg).__name__}: {arg!r:.40}): 컴파일한 함수는 int와 float만 받습니다",
                f"{where} is not a number ({type(arg).__name__}: {arg!r:.40}); a compiled function takes ints and "
                "floats only",
            )
        )
    if isinstance(arg, (list, tuple)) and len(arg) == len(structure):
        for k, (item, s) in enumerate(zip(arg, structure)):
            _check_numbers(item, s, f"{where}[{k}]")


def _code_of(source):
    """The code object of `source`, compiled once while the text is among the last ones used."""
    with _code_cache_lock:
        code = _CODE_CACHE.pop(source, None)
    if code is None:
        code = compile(source, "<micrograd_ko.compile>", "exec")
    if len(source) > _CODE_CACHE_CHARS:
        return code
    with _code_cache_lock:
        _CODE_CACHE[source] = code  # (re)inserted last: the one used most recently
        held = sum(map(len, _CODE_CACHE))
        while held > _CODE_CACHE_CHARS:
            oldest = next(iter(_CODE_CACHE))
            held -= len(oldest)
            del _CODE_CACHE[oldest]
    return code


def _holds_negative_zero(parameters):
    """Whether a gradient is -0.0 (or no float), which backward() goes on from and the generated sums may not.

    (The generated code computes an inner node's gradient without backward()'s leading 0.0 +, so its
    zero may have the other sign; that shows only once added onto a held -0.0.) After zero_grad every
    gradient is +0.0: one pass in C says so.
    """
    grads = [p.grad for p in parameters]
    try:
        if min(map(math.copysign, repeat(1.0, len(grads)), grads), default=1.0) > 0.0:
            return False
    except (TypeError, OverflowError):  # None, another kind of number, an int beyond the floats: the engine decides
        return True
    return any(g == 0.0 and math.copysign(1.0, g) < 0.0 for g in grads)
