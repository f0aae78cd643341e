"""Stage 4b: a module's C text built with the machine's C compiler, and loaded.

Each module is built once per process (`module`), into a temporary
directory removed when Python exits.
"""

from __future__ import annotations

import atexit
import functools
import importlib.machinery
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading

ENV = "MICROGRAD_KO_NATIVE"  # "0": never build C code; "sync": build at once, in the calling thread (tests)


def compiler():
    """The C compiler and Python's include directory, or None (no compiler, no headers, turned off, or a machine
    whose C doubles might be computed otherwise than Python's: only x86-64, with SSE2, and 64-bit ARM)."""
    if os.environ.get(ENV) == "0" or sys.platform == "win32":
        return None
    if platform.machine().lower() not in ("x86_64", "amd64", "aarch64", "arm64"):
        return None
    return _found_compiler()


@functools.lru_cache(maxsize=1)
def _found_compiler():
    include = sysconfig.get_paths().get("include")
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    cc = shutil.which(cc) or shutil.which("cc") or shutil.which("gcc")
    if cc is None or not include or not os.path.exists(os.path.join(include, "Python.h")):
        return None
    return cc, include


# -O0: a large program's C builds in about a second (-O1 takes ten times as long, for a program that runs
# about 1.5x as fast); -ffp-contract=off: no multiply-add fused into one rounding, as no Python float op is;
# -fno-builtin-exp, -log, -tanh: exp(276.8225237417075) of a constant is computed by the C library when the
# program runs, as Python's math.exp computes it, not by gcc while building (correctly rounded, with MPFR: the
# last bit differs from the C library's for some numbers, e.g. this one, and a quarter of tanh's).
_FLAGS = ["-O0", "-shared", "-fPIC", "-fwrapv", "-fno-strict-aliasing", "-ffp-contract=off", "-fno-fast-math", "-w",
          "-fno-builtin-exp", "-fno-builtin-log", "-fno-builtin-tanh"]  # fmt: skip
modules: dict[str, object] = {}  # module name -> module (None: the build failed)
_building: dict[str, threading.Event] = {}  # module name -> set when its build is done
_lock = threading.Lock()
_directory: list[str] = []  # where this process's builds are written (removed at exit)


def module(text, module_name):
    """The module built from `text` (once per process and name), or None if the build fails."""
    with _lock:
        if module_name in modules:
            return modules[module_name]
        waiting = _building.get(module_name)
        if waiting is None:
            _building[module_name] = threading.Event()
        if not _directory:
            _directory.append(tempfile.mkdtemp(prefix="micrograd_ko_c_"))
            atexit.register(shutil.rmtree, _directory[0], True)
    if waiting is not None:  # another thread is building it
        waiting.wait()
        return modules.get(module_name)
    made = None
    found = compiler()
    try:
        if found is not None:
            made = _compile_and_load(found, text, module_name)
    finally:
        with _lock:
            modules[module_name] = made
            _building.pop(module_name).set()
    return made


def _compile_and_load(found, text, module_name):
    cc, include = found
    base = os.path.join(_directory[0], module_name)
    path = base + (sysconfig.get_config_var("EXT_SUFFIX") or ".so")
    with open(base + ".c", "w") as file:
        file.write(text)
    try:
        done = subprocess.run(
            [cc, *_FLAGS, f"-I{include}", base + ".c", "-o", path, "-lm"], capture_output=True, timeout=600, check=False
        )
        if done.returncode != 0:
            return None
        loader = importlib.machinery.ExtensionFileLoader(module_name, path)
        spec = importlib.util.spec_from_file_location(module_name, path, loader=loader)
        if spec is None:
            return None
        loaded = importlib.util.module_from_spec(spec)
        loader.exec_module(loaded)
        return loaded
    except (OSError, subprocess.SubprocessError, ImportError):
        return None
