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
        p0 = P[0].data
        p1 = P[1].data
        x0, = X
        v0 = p1 * x0
        v1 = v0 + p0
        v2 = _tanh(v1)
        # 모든 값이 유한한지 확인 (all numbers finite? else the engine decides)
        _s = _sum((x0, p0, p1, v1, v2,))
        if _s - _s or _type(_s) is not _float: raise _Bail
        # 역전파 (backward): ...
        g1 = output_grad * (1.0 - v2 * v2 if -0.5 < v2 < 0.5 else (_s := 2.0 * (_t := _exp(...)) ...) * _s)
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
floats in the same order. A row whose rule the learner set to one of their
own before compiling (`engine.SIGMOID.f = mine`) is called through that rule,
and while a function the rows call by name is the learner's (`math.exp =
mine`), every row is.

The rule: exact or it refuses
-----------------------------
A compiled call returns what the interpreted call returns: the value, every
gradient, the sign of a zero, the error and its class. Where the compiler
cannot promise that, it refuses, and what it does instead is stated here.

Leaves:
- *inputs*: every number in `example_args` (numbers or nested lists of them;
  inputs, targets, class indices alike) becomes an input leaf; each call
  replaces them with the new arguments, which must have the same structure
  (same nesting and lengths), else `StructureError`; so is an item that is
  no int or float (a bool, a str, a Value), named by its place (a
  StructureError that is also a TypeError, as the interpreted call's error is). A number no
  float can hold (10**400) gets the engine's own error, as interpreted.
  fn gets them in the containers they came in where it may tell: a tuple
  as a tuple, a namedtuple as itself (`x + (1.0,)`, `x.age`); any other
  sequence as a list.
- *parameters*: leaves that existed before tracing (a model's weights),
  read live (`.data`) at every call; the call adds into their `.grad`.
- *constants*: leaves `fn` made with `Value(...)`; their numbers are frozen.

Refused at compile time (`CompileError`, naming the line of `fn` where known):
- a read or write of a traced node's `.data` inside `fn` (the engine's
  `observe` hook reports it), and so its text (`repr`, `str`, an f-string,
  `print`), which holds the number: the Python code that used the number is
  not in the trace. Reading a constant `fn` made itself is fine;
- a read or write of a `.grad` inside `fn` (`zero_grad`), a `backward()`
  inside `fn`, `grad(...)` taken as numbers (without `create_graph`), or a
  call of a compiled function (which returns a number and adds into `.grad`):
  compiled calls would not do it again, and the numbers would be frozen;
- an engine error that `fn` caught (`try: x.log() except ValueError: ...`,
  and the TypeError of `float(x)`, `int(x)`, `round(x)`, `math.floor(x)` or a
  format spec on a Value computed from the arguments alone, whose number
  fit's interpreted run has):
  the trace holds only the branch taken, and nothing says when the op raises;
- such a conversion that fn does not catch (`math.sqrt(x)` of an input):
  the interpreted call converts the number and goes on, so compile refuses
  naming the line instead of raising the engine's TypeError;
- softmax's (or cross-entropy's) rule computed on Values, as
  `grad(..., create_graph=True)` does: it shifts by the max and drops terms
  that underflow, choices made from numbers outside the graph;
- `fn` drew random numbers from `random` (the state is put back after tracing),
  seen by the state it leaves: a fn that seeds before drawing (`random.seed(42)`)
  leaves the state its previous call left, and is not seen (fit's check is);
- `fn` printed (`print()`, or a write to `sys.stdout` / `sys.stderr`:
  `pprint`, `tqdm.write`; in the tracing thread): compiled calls would not
  print again. The text is not shown (fit's interpreted run prints it);
- a question Python answers for a Value by identity, not by its number,
  asked of a Value computed from the arguments (and constants) alone: `==`
  or `!=` (`x == -1.0`, `x in (0, 1)`, `xs.index(...)`), a truth test
  (`if x:`, `while n != 0`) and a hash (`hash(x)`, `x in {0.0, 1.0}`, a dict
  looked up by x). A Value is equal to nothing else and always
  true, but in `fit`'s interpreted run such a value is a plain number, and
  the answer depends on it. Refused at once (it raises inside `fn`): a loop
  on the answer would never end. Where a weight is in it (`if self.bias:`),
  it is a Value in both runs, and compiles;
- the learner's code asking the type of a Value computed from the
  arguments (and constants) alone by `isinstance` (`abs(x) if
  isinstance(x, float) else x`): False for the Value, True for the number
  the interpreted call is given. isinstance asks a Value its `__class__`,
  which tells the tracer (refused at once, whatever class it asks about:
  a number might answer `isinstance(x, (list, tuple))` alike, but the
  tracer does not see the class). micrograd_ko's own checks, and questions
  about weights, compile. Likewise an attribute a number has and a Value
  lacks (`hasattr(x, "is_integer")`, `x.real`): while tracing only, Value
  has a `__getattr__` that tells the tracer;
- on Python 3.12 and later, Python's `sum()` (or `math.sumprod()`) whose
  first term is computed from the arguments alone (`sum(x)` of the inputs):
  there `sum()` of floats compensates its rounding, so fit's interpreted
  run, where those terms are numbers, gets other last bits than the trace's
  Values added one after another (`sum([0.1, 0.2, 0.3])` is 0.6, not
  0.6000000000000001). The engine tells the tracer of a `number + Value`
  asked for by a call rather than by a `+` in Python code. With a weight in
  the first term (`sum(w * x for ...)`, karpathy's Neuron) it compiles;
- in fit's traces only (`trace.numbers_given`), on any Python: a number
  computed from the model's inputs alone through a call that reaches a
  Value's method from C (numpy's `np.tanh(a)`, `a.sum()`, `a @ a`,
  `functools.reduce`; builtin `sum` is the item above) rather than through a
  Python operator (`x * x`, `-x`): fit's interpreted run gives the model plain
  numbers, which such a call may compute otherwise (numpy adds floats in
  pairs and has a tanh of its own); and, when those inputs are not all
  floats, any number the learner's code computes from them alone: Python
  computes ints and Fractions exactly (`2**53 + 1 - 2**53` is 1, the
  trace's floats give 0.0);
- a copy of a Value made inside `fn` (`copy.copy`, `copy.deepcopy`, say of its
  input list): the copy is an object the engine did not build, so compiled
  code would read it like a weight and keep the example's number;
- a `no_grad()` block inside `fn`, a node computed before `fn` ran (its
  number would be stale in the engine and live here), a node made with
  micrograd's constructor `Value(data, children, op)` (whatever `backward()`
  refuses or treats specially), a subclass of Value, a node whose op is
  not an `Op`. A number `fn` hands to `Value.from_op` is fn's own (it read
  no traced `.data` to make it), the same at every call: a constant, even
  where the op's `forward` agreed while tracing; so are local derivatives it
  hands over (a straight-through estimator's 1.0), while those `from_op`
  computes with the op's `derivative` are computed so at every call. An op
  applied with `op.apply(parents)` (the losses' way, open to the learner's
  own ops: the engine reads the numbers) is replayed through its rules;
- a graph of more than `MAX_NODES` nodes or `MAX_TERMS` nodes + edges, before
  any code is written, and code of more than `MAX_SOURCE` characters before
  Python compiles it (Python's own compile of a huge function is the cost:
  100-120 bytes of memory per character; the interpreted engine is the
  fallback).

Python control flow is frozen: a comparison of Values (`<`, `<=`, `>`, `>=`,
hence `max`, `min`, `sorted`) becomes a *guard*. When a call would branch
another way, or when any number along the way is not finite, or an op raises,
the call is handed to the interpreted engine (`fn` is run again with the
call's arguments and backward() is called): the result, or the error, is
then the engine's own. Only gradients are added at the end of a call, after
every check, so a call that hands over has changed nothing. With
`compile(..., fallback=False)` a failing guard raises `GuardError` (naming
the line of `fn`) instead, for learners who want to see what the trace froze
(unless a number it compares is not finite: then the engine raises its own
overflow, as interpreted).
Inside `no_grad()` a call computes the forward pass only and touches no `.grad`,
as the interpreted call does; if `fn` asked `is_grad_enabled()` while traced
(with gradients on), such a call runs interpreted, so `fn` takes the branch
it takes there. Likewise a `Dropout` traced in eval mode (passing everything
through): a call after `train()` runs interpreted, dropping units again; one
traced in training mode is refused (its mask comes from its own generator).

The inputs' gradients: a call's inputs are numbers, so their gradients
leave the call nowhere; backward() computes them only to raise if one
overflows. Where every term of an input's gradient is a dot node's gradient
times a weight (an MLP's first layer), the code checks one bound instead of
summing them all (`generate._LeafBound`), and where the bound cannot prove
them finite the engine decides.

What `fit` runs: a mini-batch too large to compile whole (or any batch of
a long run where the C form below is at hand) goes sample by sample through
one generated loop (`fast_batch`, variant 'batch': the weights read and
their gradients written once per batch), and plain SGD is fused into the
call (`sgd_step`, variant 'sgd', over a whole batch's program: zero_grad,
forward, backward and `p - lr * gradient` in one function; `batch_sgd_step`,
variant 'batch_sgd', over the loop). Each is checked against the engine by
fit before it is trusted (see `train.py`).

The engine reports node building, `.data` reads and comparisons of the
tracing thread only (`engine.observe`), so other threads may go on computing.
Tracing (and fit's check of a new program) puts the `random` module's state
back as it found it: another thread drawing from the `random` module
meanwhile gets some of its numbers again (give it a `random.Random` of its own).

Python state the learner's code keeps (`model_state.LearnersState`): the
globals, closure variables and default arguments that `fn` and the
learner's functions and classes it reaches read, and the attributes of the
learner's modules among them (or of `fn` itself, a Module; the models are
found in containers of any kind, helper objects and default arguments too,
and behind a bound method or a partial; code behind a library's wrapper,
`functools.singledispatch`, and on a metaclass is followed). An attribute
added later counts where code may read it (`net.scale = 3.0` shadowing the
class's, `getattr(self, "t", 1.0)`; names given as strings count as read,
`operator.attrgetter("scale")`). The attributes of micrograd_ko's modules that
such code reads (`losses.mse`, which a learner may replace by their own)
count too. A `fn` whose trace changes any of them (a call counter, a log
list, a mutable default `seen=[]`, a weight made on the first call) is
refused: compiled calls would not change them. A call made after one of them
changed (a global `PENALTY` set to another number, `model.temperature`
annealed) runs interpreted: the trace froze the old number into the code; so
does a call after train() or eval() where the learner's code reads a
`training` flag (`self.training`, `model.training`). State the watch cannot read without
changing it (an iterator, a generator, a stream: a file, an `io.StringIO`, the console a logging
handler holds, whose writes show in no attribute) or at all (an object of the
learner's with `__slots__`, globals that are a dict subclass, whose lookups
may run code of their own) means no trace: compile refuses before calling fn;
so does learner's code too large for the walk to follow (2,000 functions
and objects), whose state would be unknown.
"The learner's code" is code outside micrograd_ko, the standard library and
installed packages. micrograd_ko's own modules and classes are looked at
before every call as well (`library_state.LibraryState`): a call after a
weight was swapped for a new Value, an activation changed, a layer
appended, a method patched onto `nn.Neuron` or a name their methods read
rebound (`nn.dot`, an op row's rule, `math.exp`, which the engine calls)
runs interpreted.

What the trace cannot see, so neither guard nor refusal covers it: numbers
read through the engine's own helpers (`local_grads()`, `grad()`),
random generators other than the `random` module's, state kept where the
watch does not look (an attribute of an installed package's object), a
branch on a Python answer a Value gives otherwise than a number without
asking the Value (`type(x) is float`, `isinstance(x, Value)`, which Python
answers from the type alone). `fit(compile=True)` runs the first
batch of each new program both ways and compares them bit for bit (and asks
the model, and the loss, what they decide for that batch's first input given
as Values and as numbers: the graph's shape, the comparisons of Values; and
whether what a trace keeps, the graph with its numbers, turns on a random
state the model puts back or seeds anew, `random.seed(42)` before a draw), which
catches these where they change that batch, and looks at the model's Python
state around each trace (`model_state.ModelState`: its modules' attributes,
generators of their own, and the globals and closure variables the
learner's code reads): a trace that changes any of it means training
interpreted, and so does a change of what the learner's own code keeps,
seen before each step (an optimizer or accuracy function of the learner's
that anneals a number the model reads). Not caught: a branch on `type()` of
an input that changes only numbers computed from the inputs alone, where the
first batch of a program does not show it (`if type(x[0]) is float: x =
[abs(v) for v in x]`, unshuffled batches whose first holds no negative
input; the same branch on `isinstance` is refused while tracing).

The compiler works in three stages, one module each: `trace` (run fn once,
record what the engine reports), `generate` (write the source) and `run`
(the compiled function, with its hand-over to the engine). A fourth,
`native` (a package: translate, build), is optional: where a C compiler and
Python's headers are at hand (x86-64 or 64-bit ARM), a program text called
3,000 times (a mini-batch's call counts once per sample; fit's steps, an
experiment's seeds), or that fit expects to call that often (it knows its
run's length), is translated line by line from its generated Python to C
and built in a thread of its own. The C code computes the same float
operations in the same order (C doubles are Python's floats; `exp`, `log`,
`tanh` are the C library's, as Python's `math` calls; fsum is CPython's
algorithm; the built-in losses' rules are the float operations of
losses.py) and answers only where it is sure to give the Python function's
answer: anything else (a number not finite, a guard, an argument that is no
float) it hands to the Python function before writing anything that function
reads (a program that could not is not translated). Its first
answer is computed by the Python function too, from the same state, and the
C code is used only if the two agree bit for bit. Built modules are kept on
disk (`~/.cache/micrograd_ko/c`; MICROGRAD_KO_CACHE names another directory,
=0 none) with a record of the text each came from, so the next run of a
program built before loads its C code at the first call, without translating
it again. MICROGRAD_KO_NATIVE=0 turns it off.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import engine
from ..checks import check_bool, check_positive_int
from ..i18n import bilingual
from ..model_state import LearnersState
from ..module import Module
from .errors import CompileError, GuardError, StructureError
from .generate import _INLINE_BINARY as _INLINE_BINARY  # (for tests: the rows written inline)
from .generate import _INLINE_UNARY as _INLINE_UNARY
from .generate import MAX_NODES as MAX_NODES
from .generate import MAX_SOURCE as MAX_SOURCE
from .generate import MAX_TERMS as MAX_TERMS
from .generate import generate_program
from .run import CompiledFunction
from .trace import Tracer as Tracer
from .trace import _flatten as _flatten  # (for fit: its batches are flattened as calls are)
from .trace import _structure as _structure
from .trace import split_result, trace_fn

__all__ = ["compile", "CompiledFunction", "CompileError", "StructureError", "GuardError"]


def cannot_follow(name: str, prefix: str = "") -> CompileError:
    """The refusal of a model (or fn) that keeps an iterator, a generator, a stream or a `__slots__` object: not
    traced."""
    return CompileError(
        bilingual(
            f"{prefix}'{name}'에는 컴파일된 코드가 따라갈 수 없는 상태가 있습니다 (반복자, 제너레이터, 파일 같은 "
            "스트림, __slots__ 객체, dict가 아닌 전역 이름공간)",
            f"{prefix}'{name}' holds state compiled code cannot follow (an iterator, a generator, a stream such "
            "as a file, an object with __slots__, globals that are no dict)",
        )
    )


def compile(
    fn: Callable[..., Any],
    *example_args: Any,
    gradients: bool = True,
    fallback: bool = True,
    max_terms: int | None = None,
) -> CompiledFunction:  # noqa: A001 - the public name is micrograd_ko.compile
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
    if isinstance(fn, CompiledFunction):  # (its calls return numbers: a trace of them would be refused, at our line)
        raise CompileError(
            bilingual(
                "compile: fn이 이미 컴파일한 함수입니다: 그대로 부르세요",
                "compile: fn is already compiled; call it as it is",
            )
        )
    check_bool("compile: fallback", fallback)  # a string such as 'no' would otherwise turn the fallback on
    check_bool("compile: gradients", gradients)
    if max_terms is not None:  # (checked before fn runs: 'a' was a raw TypeError after the trace, -1 a limit)
        max_terms = check_positive_int(max_terms, "compile: max_terms")
    if not engine.is_grad_enabled():  # the trace would be leaves only: every number frozen
        raise CompileError(
            bilingual("compile는 no_grad() 안에서 쓸 수 없습니다", "compile cannot trace inside no_grad()")
        )
    learners = LearnersState(fn, (), modes=True) if isinstance(fn, Module) else LearnersState(None, (fn,), modes=True)
    if learners.opaque is not None:  # not traced: the trace would advance it
        raise cannot_follow(learners.opaque, "compile: ")
    tracer, result, inputs, structures = trace_fn(fn, example_args)
    moved = learners.moved()
    if moved is not None:
        raise CompileError(
            bilingual(
                f"compile: fn이 호출될 때마다 '{moved}'을(를) 바꿉니다: 컴파일된 코드는 그렇게 하지 않습니다",
                f"compile: fn changes '{moved}' when it is called; compiled code would not",
            )
        )
    result, aux = split_result(result, gradients)
    program = generate_program(tracer, result, inputs, fn, tuple(structures), aux, gradients, fallback, max_terms)
    program.asks_grad_mode = tracer.asks_grad_mode
    program.depends_on = tuple(tracer.depends_on_state.values())
    program.learners = learners
    return program
