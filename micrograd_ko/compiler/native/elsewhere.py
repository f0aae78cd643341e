"""The translator in a process of its own, for the builds made in the background.

Translating a large program takes Python a few tenths of a second (digits'
64-32-10 step: 0.4 s). In a thread of the training's own process it holds
the interpreter's lock all that time, and the training, which needs the lock
too, waits for it. In a process of its own it runs beside the training, on
the other core.

The process is given the generated text and what the translator asks of the
namespace (`summary`: which names are the builtins it knows, floats, rules
of micrograd_ko's losses, other callables), never the objects themselves;
it answers with `translator.c_text`'s answer, which is the one this process
would make (a test translates random programs both ways). Where it cannot
be started, or fails, the caller translates in its own process, as before.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import math
import os
import re
import subprocess
import sys
import threading

from . import translator

# The objects the translator asks about by identity (`namespace.get(name) is math.exp`), by a name for each.
_KNOWN = {
    "math.exp": math.exp,
    "math.log": math.log,
    "math.sqrt": math.sqrt,
    "math.tanh": math.tanh,
    "math.fsum": math.fsum,
    "abs": abs,
    "max": max,
    "map": map,
    "sum": sum,
    "type": type,
    "float": float,
}


def summary(namespace, source):
    """What the translator may ask of each object of `namespace` that `source` names, as JSON: only what the
    translator itself would ask (it looks up no other name, and asks for a rule in C only of a callable replay),
    so that an object of the learner's whose attribute lookup raises is never read here where it is not there."""
    named = set(re.findall(r"[A-Za-z_]\w*", source))
    told = {}
    for name, value in namespace.items():
        if name not in named:
            continue
        known = next((key for key, obj in _KNOWN.items() if value is obj), None)
        if known is not None:
            told[name] = ["known", known]
        elif type(value) is float:
            told[name] = ["float", value]
        elif name.startswith("_replay") and callable(value) and translator._rule_in_c(name, value) is not None:
            told[name] = ["loss"]
        elif callable(value):
            told[name] = ["callable"]
        else:
            told[name] = ["other"]
    return told


class _StandIn:
    """A callable of micrograd_ko's (a rule, a replay) as the translator sees it; `op`: a built-in loss's row."""

    def __init__(self, op=None):
        self.op = op

    def __call__(self, *args):
        raise RuntimeError("a stand-in is never called")


def namespace_of(told):
    """A namespace in which the translator finds what `summary` told (in the translating process)."""
    namespace = {}
    for name, (kind, *value) in told.items():
        if kind == "known":
            namespace[name] = _KNOWN[value[0]]
        elif kind == "float":
            namespace[name] = float(value[0])
        elif kind == "loss":
            row = translator._RULES_IN_C[translator.loss_named(name)][0]
            namespace[name] = _StandIn(row)
        elif kind == "callable":
            namespace[name] = _StandIn()
        else:
            namespace[name] = object()
    return namespace


def serve():
    """The translating process: one JSON request per line on its input, one JSON answer per line on its output."""
    for line in sys.stdin:
        request = json.loads(line)
        made = translator.c_text(request["source"], namespace_of(request["namespace"]))
        print(json.dumps({"made": made}), flush=True)


_process = None  # the translating process (a `_Translating`), once started (False: it could not be, or failed)
_lock = threading.Lock()


def _after_fork():
    """(A child made by fork shares the parent's pipes to the process: it starts one of its own if it needs one.)"""
    global _process, _lock
    _process, _lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def start():
    """Start the translating process now (it takes a tenth of a second to be ready), if it is not running."""
    global _process
    with _lock:
        if _process is None:
            _process = _Translating.started()


def translate(source, namespace):
    """`translator.c_text(source, namespace)` as the translating process makes it; `False` where it cannot."""
    global _process
    with _lock:
        if _process is None:
            _process = _Translating.started()
        made = _process(source, summary(namespace, source)) if _process else False
        if made is False:
            _process = False
    return made


# The package is imported from where this process imported it (not whatever `micrograd_ko` the process would find
# on its own path), and the process checks that its translator is this one's.
_SERVE = """
import sys
sys.path.insert(0, sys.argv[1])
from micrograd_ko.compiler.native import elsewhere
if elsewhere.translator.__file__ != sys.argv[2]:
    sys.exit(3)
print("ready", flush=True)
elsewhere.serve()
"""


class _Translating:
    """The translating process as a function: a text and its namespace's summary in, `c_text`'s answer out.

    (A function, to the watch of the learner's code: what the process's pipes hold is no state of the model's.)"""

    def __init__(self, process):
        self.process, self.ready = process, False

    @classmethod
    def started(cls):
        """The process, started (it says "ready" once it has imported the translator); False if it cannot be."""
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(translator.__file__)))))
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", _SERVE, root, translator.__file__],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
            )
        except (OSError, TypeError):  # (no interpreter to start: sys.executable is None in an embedded Python)
            return False
        made = cls(process)
        atexit.register(made.stop)
        return made

    def __call__(self, source, told):
        """The translation, or False (the process could not import this translator, or failed: it is ended)."""
        try:
            if not self.ready:
                self.ready = self.process.stdout.readline() == "ready\n"
            if self.ready:
                self.process.stdin.write(json.dumps({"source": source, "namespace": told}) + "\n")
                self.process.stdin.flush()
                made = json.loads(self.process.stdout.readline())["made"]
                return None if made is None else (made[0], made[1], tuple(made[2]))
        except (OSError, ValueError, KeyError, TypeError):
            pass
        self.process.kill()
        self.stop()
        return False

    def stop(self):
        """At exit (or failed): the end of its input ends the process."""
        for pipe in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                pipe.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
