"""compile's exceptions, shared by its three stages (trace, generate, run)."""

from __future__ import annotations


class CompileError(RuntimeError):
    """`fn` cannot be compiled faithfully (a `.data` read, an unknown op, a bad return value, ...)."""


class StructureError(CompileError, ValueError):
    """The arguments of a call have another structure than the example arguments."""


class ArgumentTypeError(StructureError, TypeError):
    """An argument of a call holds an item that is no number (a str, a bool, a Value): a TypeError, as interpreted."""


class GuardError(CompileError):
    """A Python branch inside `fn` would now go the other way than while tracing (with fallback=False)."""


class _Bail(Exception):
    """Raised inside generated code: a number is not finite, so the engine decides (it raises or agrees)."""


class _GuardMiss(Exception):
    """Raised inside generated code: a Python branch of fn would go another way now."""
