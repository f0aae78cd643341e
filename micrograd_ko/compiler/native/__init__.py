"""Stage 4 of compile, optional: the generated Python function once more, as C.

The generated code is a list of float operations, one line per node. Python
spends most of a step's time not on the operations but around them: a new
float object for every result, a bytecode dispatch for every name. The same
lines in C cost a few nanoseconds each. So, where a C compiler and Python's
headers are at hand, a program that is called many times (`fit`'s steps) is
translated, line by line, from its generated Python source to C, built in the
background, and used from then on.

Why the numbers are the same, bit for bit:
- a C `double` is the same IEEE 754 binary64 number as a Python float, and
  `+ - * /` round it the same way (built without `-ffast-math` and with
  `-ffp-contract=off`, so no two operations are fused into one);
- `exp`, `log`, `tanh` and `sqrt` are the C library functions Python's `math`
  module calls itself (called when the program runs, also on a constant: gcc
  does not compute them while building); `fsum` rounds the exact sum correctly, so any correct
  implementation agrees: runtime.c's is CPython's algorithm (Shewchuk's partials), after a shorter
  road that answers only where the sum is surely far from a rounding boundary (its proof is there);
- every operation is the generated line's own, in the same order (where
  the order of two operands could change the answer, a `:=` on one side of
  a name the other reads, they are evaluated left to right, as Python does);
- the rules of the built-in losses (mse, bce, cross_entropy) are runtime.c's
  own C functions, the float operations of losses.py in the same order (a
  replay of any other op calls its Python rule).

Where the C code is not *sure* to give what the Python code gives, it does not
guess: an argument or a parameter's number that is not a plain float, a
number that is not finite or so large that a sum of checks might overflow, a
division by zero, a guard, an error of a rule: it returns `NotImplemented`
before it has written anything the Python function reads (the fused SGD step
may have written gradients, which it never reads: the Python function writes
the same numbers again), and the Python function runs the call (and does what
it does: raises, hands the call to the engine). So the C is never a
third opinion, only a faster way to the Python function's answer.

What is not translated (the Python function is used as it is): any line
outside the forms the generator writes, and any call of a function that is
not micrograd_ko's own (a rule of the learner's may print or draw random
numbers; the C code, which may call it and then hand over, would call it twice).

When: a program called often enough (`CALLS_BEFORE_BUILD`, counted per
sample), or one its caller expects to call that often (fit knows its run's
length: a long run's program is built from its first call). Builds are
made one after another in one background thread (`faster`), the first asked
first. A build is kept on disk with a record of the text it came from
(`build.record`): the next run loads it at its first call, without
translating again.

The package: `translator.py` writes a generated function's text as C (after
`runtime.h`, the declarations of the C side's own helpers), `rolling.py`
writes its repeated statements as loops, `build.py` builds and loads it
(linked with `runtime.c`'s helpers, built once), and this module decides
when a program is worth it and makes sure of its first answer
(`c_function`). Every module also offers `sgd_momentum`, momentum SGD's step
in C, which a compiled fit uses (`sgd_momentum`).
"""

from __future__ import annotations

import os
import struct
import threading
import traceback

from . import build, elsewhere, translator
from .build import ENV
from .translator import c_text

# A program's text called this often (all programs of that text together: fit makes one per run, and an
# experiment trains the same network shape once per seed) is built as C. Translating and building cost about
# as much as a thousand or two calls of a large program, and the build runs beside them: a text called fewer
# times than this would rarely pay for it (the output experiment trains each of its networks 2,000 steps).
# A batch variant's call counts once per sample: it runs the per-sample lines that many times. A text's first
# call never starts a build on its own (one prediction over a grid of 10,000 points, made once, would not
# repay it), unless its caller expects many more (`wanted`'s `expected`).
CALLS_BEFORE_BUILD = 3000


def _pure(obj):
    """Whether `obj` is micrograd_ko's own function (a rule of a library op, a replay of one), safe to call twice."""
    code = getattr(obj, "__code__", None)
    module = getattr(obj, "__module__", None) or ""
    if code is None or not module.startswith("micrograd_ko."):
        return False
    if code.co_freevars:  # a closure (a replay): the rules it holds must be the library's too
        for cell in obj.__closure__ or ():
            value = cell.cell_contents
            if callable(value) and not _pure(value):
                return False
    return True


_lock = threading.Lock()


def _after_fork():
    """(A child made by fork while another thread held the lock, or was building: see build._after_fork.)"""
    global _lock, _worker, _waiting
    _lock = threading.Lock()
    _waiting = ()
    _worker = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
_translated: dict[str, object] = {}  # source -> translate(source): programs of one shape share their text
_TRANSLATED_KEPT = 64  # (the ones used longest ago are dropped first)
_MISSING = object()


def translate(source, namespace, in_background=False):
    """(C text of the module, module name, names of the namespace objects the function takes) or None.
    `in_background`: for a build made beside the training, by the translating process (elsewhere.py)."""
    made = _translated.get(source, _MISSING)
    if made is _MISSING:
        made = elsewhere.translate(source, namespace) if in_background else False
        if made is False:  # (no translating process: translated here)
            made = c_text(source, namespace)
        with _lock:
            _translated[source] = made
            while len(_translated) > _TRANSLATED_KEPT:
                del _translated[next(iter(_translated))]
    return made


_calls: dict[str, int] = {}  # source -> calls so far, while under CALLS_BEFORE_BUILD


def wanted(source, samples=1, expected=0):
    """Count a call of a program with this text (`samples` calls: a batch variant's loop over that many);
    whether its C form is wanted now (called often enough, or built already, or `expected` to be called
    often enough: fit knows how long its run is)."""
    if expected >= CALLS_BEFORE_BUILD and build.compiler() is not None:
        with _lock:
            _calls.pop(source, None)
        build.remember(source)
        return True
    with _lock:
        counted = source in _calls
    # (the disk is asked outside the lock, which other threads' calls wait for: once per text, at its first call)
    if not counted and build.compiler() is not None and (built(source) or build.remembered(source)):
        return True  # built before, or called often enough before: by this process, or by an earlier one
    with _lock:  # (fit in one thread, an experiment in another: the oldest text must be forgotten once)
        new = source not in _calls
        calls = _calls.get(source, 0) + samples
        if calls < CALLS_BEFORE_BUILD or new:  # (one call, however many samples, is no sign of more to come)
            _calls[source] = calls
            if new and len(_calls) > _TRANSLATED_KEPT:  # (the texts counted longest ago are forgotten)
                del _calls[next(iter(_calls))]
            return False
        _calls.pop(source, None)
    if build.compiler() is not None:
        build.remember(source)  # (for the next run: built from its first call)
    return True


def expect_builds():
    """A caller that will ask for builds soon (fit, whose run is long enough): what every build needs
    (`build.prepare`: runtime.c's object file) is made, and the translating process of the background builds
    started, now, beside the tracing that comes first."""
    if build.compiler() is not None and os.environ.get(ENV) != "sync":
        build.prepare()
        elsewhere.start()


def sgd_momentum():
    """runtime.c's `sgd_momentum` (momentum SGD's step in C, see train._momentum_in_c), as every translated
    module offers it: the first loaded one's; None before one is (no C compiler, or no build done yet)."""
    return _sgd_momentum


# (Rebound, never changed in place, as all this package's state that fit's code reads: the watch of the
# learner's code takes what a module's functions rebind with `global` for its own state.)
_sgd_momentum = None


def built(source):
    """Whether the C code of this source text is built already (then it is used from the first call)."""
    made = _translated.get(source)
    return made is not None and build.modules.get(made[1]) is not None


def _recorded(source):
    """`build.recorded(source)` where the translator would take the text (a record is only a translation kept)."""
    return build.recorded(source) if len(source) <= translator._LARGEST_SOURCE else None


def c_function(python_function, source, namespace, in_background=False):
    """The C form of `python_function` (whose text is `source`), built now; None where there is none (no
    compiler, a line this translator does not know, a rule that is not micrograd_ko's own, a failed build).
    `in_background`: made beside the training (`faster`), translated in a process of its own.

    It takes the Python function's arguments and returns its answer: the C
    code's where that is sure, else the Python function's own (`answered`
    counts the calls the C code answered)."""
    if build.compiler() is None:
        return None
    # (built by an earlier run, which recorded it: its module, loaded without translating the text again)
    translated = _translated.get(source) or _recorded(source) or translate(source, namespace, in_background)
    if translated is None:
        build.forget(source)  # (the next run need not ask for it from its first call: it would get none)
        return None
    if translated[0] is None and not all(name in namespace for name in translated[2]):  # (a record not of this text)
        translated = translate(source, namespace)
        if translated is None:
            return None
    text, module_name, object_names = translated
    objects = tuple(namespace[name] for name in object_names)
    # Asked of each program, not when the text is translated: programs of one text share the translation, and
    # their rules may differ (erf's math.erf, not micrograd_ko's own, where softplus has _softplus_float).
    if not all(type(o) is float or _pure(o) for o in objects):
        build.forget(source)
        return None
    if not all(translator.rule_holds(name, o) for name, o in namespace.items()):
        return None  # (a built-in loss's rules replaced since: its C rule is not this program's)
    if text is not None:  # (translated now: recorded before the build, which a run ending now leaves to finish)
        build.record(source, text, module_name, object_names)
    module = build.module(text, module_name)
    if module is None:
        build.forget(source)
        return None
    global _sgd_momentum
    if _sgd_momentum is None:
        _sgd_momentum = module.sgd_momentum
    kernel = module.compiled

    def compiled(*args):
        if compiled.trusted:
            result = kernel(objects, *args)
            if result is NotImplemented:
                return python_function(*args)
            compiled.answered += 1
            return result
        if compiled.disagreed:
            return python_function(*args)
        return first_answer(args)

    def first_answer(args):
        """The first call the C code would answer is run by the Python function as well, from the same state:
        only if the two agree bit for bit (the answer, every parameter's .data and .grad) is the C code used
        from then on; else never. The Python function's answer is the one returned, either way."""
        P = args[1]
        before = parameter_state(P)
        expected = python_function(*args)
        after = parameter_state(P)
        restore_parameters(P, before)
        try:
            result = kernel(objects, *args)
        except Exception:  # noqa: BLE001 - an error where the Python function had an answer: they disagree
            result = _FAILED
        if result is not NotImplemented:  # (not sure this time: asked again on the next call)
            agreed = result is not _FAILED and _same(result, expected) and _same(parameter_state(P), after)
            compiled.trusted, compiled.disagreed = agreed, not agreed
        restore_parameters(P, after)
        return expected

    compiled.answered = 0  # calls the C code answered
    compiled.trusted = compiled.disagreed = False
    return compiled


_FAILED = object()


def parameter_state(P):
    """Each parameter's (.data, .grad), to be put back by `restore_parameters` (fit's fused step does so too)."""
    return [(p.data, p.grad) for p in P]


def restore_parameters(P, state):
    for p, (data, grad) in zip(P, state):
        p.data, p.grad = data, grad


def _same(a, b):
    """Whether a and b are the same answer: floats with the same bits, in lists and tuples of the same shape."""
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return struct.pack("d", a) == struct.pack("d", b)
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(map(_same, a, b))
    return a is b or type(a) is bool and a == b


# Builds asked for and not yet begun, made one after another in one background thread (`_work`), in the order
# asked: beside the training, which keeps one core busy, two builds at once would share the other and both end
# late, where one after the other the first (fit asks first for the training step) is in use the sooner.
_waiting: tuple = ()  # (rebound, as `_sgd_momentum`)
_worker = None  # the thread making them, while there are any


def faster(python_function, source, namespace, install):
    """`install(c_function(python_function, source, namespace))`, made in the background after the builds asked
    for before it (at once where it is built already, or with MICROGRAD_KO_NATIVE=sync); nothing where there is
    no C form."""
    global _worker, _waiting
    if build.compiler() is None:
        return

    def make(in_background=True):
        made = c_function(python_function, source, namespace, in_background)
        if made is not None:
            install(made)

    if os.environ.get(ENV) == "sync" or built(source):
        make(in_background=False)
        return
    with _lock:
        _waiting = (*_waiting, make)
        if _worker is None:
            _worker = threading.Thread(target=_work, name="micrograd_ko C build", daemon=True)
            _worker.start()


def _work():
    """Make the waiting builds, in order, until there are none; then end (the next `faster` starts another)."""
    global _worker, _waiting
    while True:
        with _lock:
            if not _waiting:
                _worker = None
                return
            make, *rest = _waiting
            _waiting = tuple(rest)
        try:
            make()
        except Exception:  # noqa: BLE001 - reported, as an error of a thread is; the builds after it are still made
            traceback.print_exc()
