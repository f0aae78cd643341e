"""Stage 4b: a module's C text built with the machine's C compiler, and loaded.

Each module is built once per process (`module`) and kept on disk, so the
next run of the same program (a notebook run again, the next seed's
process) loads it at once instead of building it: in
`$XDG_CACHE_HOME/micrograd_ko/c` (`~/.cache/micrograd_ko/c`), or the
directory named by MICROGRAD_KO_CACHE; MICROGRAD_KO_CACHE=0 keeps nothing
(a temporary directory, removed when Python exits). A file's name holds a
hash of everything that made it (the C text, the compiler and its flags,
Python's version and headers), so a file is only ever loaded for the text it
was built from; the ones used longest ago are removed beyond `KEPT_ON_DISK`.
A file ends with the sha256 of the rest and is loaded only if it holds: one
cut short (power lost, a full disk) would be a bus error that ends the process,
and is built again instead. Without a home directory there is no cache.
Beside the modules, a small file per generated text (`source-<hash>`) notes
that it was worth building and, once translated, which module is its C form
(`record`, `recorded`), for the micrograd_ko, Python and compiler that made it.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import importlib.machinery
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from importlib import resources

ENV = "MICROGRAD_KO_NATIVE"  # "0": never build C code; "sync": build at once, in the calling thread (tests)
CACHE_ENV = "MICROGRAD_KO_CACHE"  # the directory of built modules; "0": none (a temporary one per process)
KEPT_ON_DISK = 200  # built modules kept (about 0.1-1 MB each)


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
# -fno-builtin-exp, -log, -tanh, -pow: exp(276.8225237417075) of a constant is computed by the C library when the
# program runs, as Python's math.exp computes it, not by gcc while building (correctly rounded, with MPFR: the
# last bit differs from the C library's for some numbers, e.g. this one, and a quarter of tanh's).
_EXACT = ["-fPIC", "-fwrapv", "-fno-strict-aliasing", "-ffp-contract=off", "-fno-fast-math", "-w",
          "-fno-builtin-exp", "-fno-builtin-log", "-fno-builtin-tanh", "-fno-builtin-pow"]  # fmt: skip
_FLAGS = ["-O0", "-shared", *_EXACT]
# runtime.c, the helpers every translated module calls: built once per machine (and version) into an object file,
# optimized, which each module's build links; compiling them with every module took a small program's build from
# 0.2 s to 0.55 s.
_RUNTIME_FLAGS = ["-O2", "-c", *_EXACT]
modules: dict[str, object] = {}  # module name -> module (None: the build failed)
_building: dict[str, threading.Event] = {}  # module name -> set when its build is done
_lock = threading.Lock()
_temporary: list[str] = []  # this process's own directory, where there is no cache (removed at exit)


_runtime_lock = threading.Lock()  # held while runtime.c's object file is looked for, and built if it is not there


def _after_fork():
    """In a child made by fork (an experiment's workers): the threads of the parent are not there, so a build
    one of them was making never ends, and a lock one of them held is never released. The child starts with
    no build under way (it builds what it needs itself) and locks of its own."""
    global _lock, _runtime_lock
    _lock = threading.Lock()
    _runtime_lock = threading.Lock()
    _building.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def directory():
    """Where built modules are written: the cache directory, or (none, or not usable) a temporary one.

    A relative MICROGRAD_KO_CACHE is taken from the working directory where it is first used (a later
    os.chdir does not move it), and a `~` at its start is the home directory. Without HOME, or with a home
    directory Python cannot find (a container's user that has none), there is no cache: `~` is not made a
    directory of the working directory. Nor is a directory every user may write into used
    (MICROGRAD_KO_CACHE=/tmp on a shared machine): a module one of them put there under the right name would
    be loaded, and run, by this process. (One the user's group may write into is used: with a group of one's
    own, usual on Debian and Ubuntu, `mkdir` makes it so.)"""
    chosen = _resolved(os.environ.get(CACHE_ENV))
    if chosen is not None:
        try:
            os.makedirs(chosen, mode=0o700, exist_ok=True)
            if os.access(chosen, os.R_OK | os.W_OK | os.X_OK) and not os.stat(chosen).st_mode & 0o002:
                return chosen
        except OSError:
            pass
    with _lock:
        if not _temporary:
            _temporary.append(tempfile.mkdtemp(prefix="micrograd_ko_c_"))
            atexit.register(shutil.rmtree, _temporary[0], True)
        return _temporary[0]


_absolute: dict[str, str] = {}  # MICROGRAD_KO_CACHE as set -> the absolute directory it named when first used


def _resolved(chosen):
    """The absolute cache directory, or None (turned off, or no home directory to put it in)."""
    if chosen == "0":
        return None
    if chosen:
        expanded = os.path.expanduser(chosen)  # (`~/mk`, set from Python or a .env file, where no shell expands it)
        if expanded.startswith("~"):
            return None
        with _lock:
            return _absolute.setdefault(chosen, os.path.abspath(expanded))
    home = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(home):  # (unset, or relative: ignored, as the XDG rules say)
        home = os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(home):  # (expanduser found no home directory and left the `~` as it was)
        return None
    return os.path.join(home, "micrograd_ko", "c")


def _file_name(found, text, module_name):
    """The built module's file name: the module's name and a hash of everything that made it."""
    parts = [text, *found, *_FLAGS, sys.version, platform.machine(), _suffix()]
    if links_runtime(text):
        parts += [runtime_source(), *_RUNTIME_FLAGS]
    made_of = "\0".join(parts)
    return f"{module_name}-{hashlib.sha256(made_of.encode()).hexdigest()[:16]}{_suffix()}"


def _package_text(name):
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def runtime_header():
    """runtime.h: the start of every translated module's C text (what its function calls of runtime.c)."""
    return _package_text("runtime.h")


@functools.lru_cache(maxsize=1)
def runtime_source():
    """runtime.h and runtime.c, the text of the helpers' object file (the header first: the compiler checks that
    every helper is as the modules were told)."""
    return runtime_header() + _package_text("runtime.c")


def links_runtime(text):
    """Whether a module's C text calls runtime.c's helpers (a translated function's does): its build links them."""
    return text.startswith(runtime_header())


def _runtime_object(found):
    """Where runtime.c's object file for this compiler and Python is (built by the first build that needs it)."""
    made_of = "\0".join([runtime_source(), *found, *_RUNTIME_FLAGS, sys.version, platform.machine()])
    return os.path.join(directory(), f"_mk_runtime-{hashlib.sha256(made_of.encode()).hexdigest()[:16]}.o")


def _suffix():
    return sysconfig.get_config_var("EXT_SUFFIX") or ".so"


def module(text, module_name):
    """The module built from `text` (once per process and name, loaded from disk where it was built before), or
    None if the build fails."""
    with _lock:
        if module_name in modules:
            return modules[module_name]
        waiting = _building.get(module_name)
        if waiting is None:
            _building[module_name] = threading.Event()
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
    try:
        folder = directory()
        path = os.path.join(folder, _file_name(found, text, module_name))
        if _whole(path):
            try:
                os.utime(path)  # (used now: kept longer)
                return _load(module_name, path)
            except (OSError, ImportError):
                if os.path.exists(path):  # (whole, but not loadable here: building it again would not help)
                    return None
            # (another process removed it just now: built again)
        if not _compile(cc, include, text, path):
            return None
        loaded = _load(module_name, path)
        _forget_the_oldest(folder)  # (after the load: never the file this process is about to load)
        return loaded
    except (OSError, subprocess.SubprocessError, ImportError):
        return None


# A built file ends with the sha256 of all that comes before it (the system's loader reads only what the
# file's headers point to, and ignores it). A file cut short (a machine that lost power before the file's
# last pages reached the disk, a full disk, a copy stopped midway) is loaded by no one: the system maps a
# shared object's pages without reading them, and a page past the end of the file is a bus error, which
# ends the process (SIGBUS), no exception.
_SEAL = 32


def _whole(path):
    """Whether the built file at `path` is there, and whole (sealed); a damaged one is removed (built again)."""
    try:
        with open(path, "rb") as file:
            content = file.read()
    except OSError:  # (not there)
        return False
    if len(content) > _SEAL and hashlib.sha256(content[:-_SEAL]).digest() == content[-_SEAL:]:
        return True
    with contextlib.suppress(OSError):
        os.remove(path)
    return False


def remember(source):
    """Note on disk that a program of the text `source` was called often enough to be built (see `remembered`)."""
    try:
        with open(_mark(source), "a"):  # (kept as it is if it holds a `record` already)
            pass
    except OSError:
        pass


def record(source, text, module_name, object_names):
    """Write into the mark of `source` which built module is its C form (`text`, built and loaded just now), so
    that the next run loads it from the mark (`recorded`) without translating the source again (a large
    program's translation takes a quarter of a second, in a thread beside the training)."""
    found = compiler()
    if found is None or _resolved(os.environ.get(CACHE_ENV)) is None:  # (no cache: nothing is kept)
        return
    entry = {"made_by": _made_by(), "file": _file_name(found, text, module_name), "objects": list(object_names)}
    mark = _mark(source)
    try:
        handle, written = tempfile.mkstemp(prefix="building-", dir=os.path.dirname(mark))
        with os.fdopen(handle, "w") as file:
            json.dump(entry, file)
        os.replace(written, mark)
    except OSError:
        with contextlib.suppress(OSError, UnboundLocalError):
            os.remove(written)


_NOT_LOADED = object()


def recorded(source):
    """(None, module name, object names) of the C form `record` wrote for `source`, loaded now; or None (none
    recorded, recorded by another Python, compiler or version of micrograd_ko, or its file gone or damaged)."""
    try:
        with open(_mark(source)) as file:
            entry = json.load(file)
        name, objects = entry["file"], entry["objects"]
        if entry["made_by"] != _made_by() or os.sep in name or not name.startswith("_mk_native_"):
            return None
        module_name = name.split("-")[0]
        if not (module_name.isidentifier() and isinstance(objects, list) and all(isinstance(o, str) for o in objects)):
            return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    from .translator import made_for

    made = made_for(source, objects)  # (the module says which text and objects it is the C form of)
    with _lock:
        loaded = modules.get(module_name, _NOT_LOADED)
    if loaded is _NOT_LOADED:
        path = os.path.join(directory(), name)
        if not _whole(path):
            return None
        try:
            loaded = _load(module_name, path)
        except (OSError, ImportError):
            return None
        with _lock:
            loaded = modules.setdefault(module_name, loaded)
    if getattr(loaded, "made_for", None) != made:  # (another text's module, or a failed build: not this text's)
        return None
    return None, module_name, tuple(objects)


@functools.lru_cache(maxsize=1)
def _made_by():
    """A hash of what makes a source's C form: the compiler, its flags, Python, the translator (and its loops) and its runtime."""
    package = os.path.dirname(__file__)
    parts = [*(compiler() or ()), *_FLAGS, *_RUNTIME_FLAGS, sys.version, platform.machine(), _suffix()]
    for name in ("translator.py", "rolling.py", "runtime.h", "runtime.c"):  # (rolling.py: the loops of the text)
        with open(os.path.join(package, name), "rb") as file:
            parts.append(hashlib.sha256(file.read()).hexdigest())
    # and the numbers the translator writes into the C text from other modules (the losses' constants, which
    # losses.py and engine.py may change while translator.py and runtime.c stay as they are)
    from .translator import _RULES_IN_C

    parts.extend(float.hex(float(c)) for *_, constants in _RULES_IN_C.values() for c in constants)
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def remembered(source):
    """Whether a program of this text was called often enough to be built, by this process or an earlier one:
    then the next program of the text is built (or found built on disk) from its first call."""
    try:
        os.utime(_mark(source))
        return True
    except OSError:
        return False


def forget(source):
    """Undo `remember`: the text got no C form (a rule of the learner's, a failed build), and a later run would
    translate or build it again at its first call for nothing."""
    with contextlib.suppress(OSError):
        os.remove(_mark(source))


def _mark(source):
    return os.path.join(directory(), "source-" + hashlib.sha256(source.encode()).hexdigest()[:32])


# The build, as one process of its own (Python, started bare), from the C texts handed to it on its input to the
# sealed files in place: a build still running when Python exits (a short run, which asked for it near its end)
# finishes all the same, for the next run to load, and leaves nothing else behind. Its input is a list of jobs, made
# in order (runtime.c's object file, where it is not built yet, then the module that links it); each writes its
# text to a file itself (one written by this process before the builder started would stay behind if this process
# ended in between), and only an input whose sha256 is the one it was given (this process may end while handing it
# over). The seal `_whole` looks for is appended, and the file is on the disk (fsync) before it takes its name.
_BUILDER = """
import hashlib, json, os, subprocess, sys, tempfile
content = sys.stdin.buffer.read()
if hashlib.sha256(content).hexdigest() != sys.argv[1]:
    sys.exit(3)
status = 0
for job in json.loads(content):
    final = job["final"]
    handle, source = tempfile.mkstemp(suffix=".c", prefix="building-", dir=os.path.dirname(final))
    output = source[:-2] + job["suffix"]
    status = 1
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(job["text"].encode())
        command = [source if part == "MK_SOURCE" else output if part == "MK_OUTPUT" else part for part in job["command"]]
        status = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600).returncode
        if status == 0:
            with open(output, "r+b") as file:
                file.write(hashlib.sha256(file.read()).digest())
                file.flush()
                os.fsync(file.fileno())
            os.replace(output, final)
    finally:
        for leftover in (source, output):
            try:
                os.remove(leftover)
            except OSError:
                pass
    if status != 0:
        break
sys.exit(status)
"""


def _compile(cc, include, text, path):
    """Build the module `text` into `path`, whole or not at all: written beside it under another name, sealed,
    then renamed (another process may be loading or building the same file), by a process of its own
    (`_BUILDER`). A translated module is linked with runtime.c's object file, built first where it is not yet
    (by the same process: a run that ends meanwhile leaves both built)."""
    module = {"final": path, "suffix": _suffix(), "text": text}
    command = [cc, *_FLAGS, f"-I{include}", "MK_SOURCE"]
    if not links_runtime(text):
        return _build([{**module, "command": [*command, "-o", "MK_OUTPUT", "-lm"]}])
    helpers = _runtime_object((cc, include))
    module["command"] = [*command, helpers, "-o", "MK_OUTPUT", "-lm"]
    with _runtime_lock:  # (two threads that need the object at once: one builds it, the other waits for it)
        if not _whole(helpers):
            return _build([_runtime_job((cc, include), helpers), module])
        with contextlib.suppress(OSError):
            os.utime(helpers)  # (used now: kept)
    return _build([module])


def _runtime_job(found, helpers):
    cc, include = found
    command = [cc, *_RUNTIME_FLAGS, f"-I{include}", "MK_SOURCE", "-o", "MK_OUTPUT"]
    return {"final": helpers, "suffix": ".o", "text": runtime_source(), "command": command}


def prepare():
    """Make now, in a thread of its own, what the first build will need: the hashes that name builds and
    records (their first computation reads the package's C files) and runtime.c's object file, if it is not
    on disk. A caller that will ask for builds soon (fit, before it traces) calls it; the first module's
    build then waits for the object file, if at all, instead of building it first (output's first run: 5.1 s
    -> 4.6 s, medians of 14 runs). Returns the thread, or None (no C compiler)."""
    found = compiler()
    if found is None:
        return None
    thread = threading.Thread(target=_prepared, args=(found,), daemon=True, name="micrograd_ko prepare")
    thread.start()
    return thread


def _prepared(found):
    try:
        _made_by()
        helpers = _runtime_object(found)
        with _runtime_lock:
            if not _whole(helpers):
                _build([_runtime_job(found, helpers)])
    except (OSError, subprocess.SubprocessError):
        pass  # (the first module's build builds the object file, or fails, as it would have)


def _build(jobs):
    """Run `_BUILDER` on `jobs`; whether every file was made."""
    content = json.dumps(jobs).encode()
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _BUILDER, hashlib.sha256(content).hexdigest()],
        input=content,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=660,
        check=False,
    )
    return done.returncode == 0 and all(os.path.exists(job["final"]) for job in jobs)


def _forget_the_oldest(folder):
    """Remove the built modules used longest ago beyond KEPT_ON_DISK (a loaded one stays loaded: the system keeps
    a removed file's pages), and what a build killed midway left an hour ago or more. Other processes may be
    removing the same files at once: one already gone is passed over."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    ages = {}
    for entry in entries:
        if entry.name.startswith(("building-", "_mk_native_", "source-", "_mk_runtime-")):
            with contextlib.suppress(OSError):  # (gone already)
                ages[entry.name] = entry.stat().st_mtime
    now = time.time()
    stale = [name for name, mtime in ages.items() if name.startswith("building-") and now - mtime > 3600]
    for kind, kept_on_disk in (("_mk_native_", KEPT_ON_DISK), ("source-", KEPT_ON_DISK), ("_mk_runtime-", 4)):
        kept = sorted((name for name in ages if name.startswith(kind)), key=ages.__getitem__)
        stale += kept[: max(0, len(kept) - kept_on_disk)]
    for name in stale:
        with contextlib.suppress(OSError):
            os.remove(os.path.join(folder, name))


def _load(module_name, path):
    loader = importlib.machinery.ExtensionFileLoader(module_name, path)
    spec = importlib.util.spec_from_file_location(module_name, path, loader=loader)
    if spec is None:
        return None
    loaded = importlib.util.module_from_spec(spec)
    loader.exec_module(loaded)
    return loaded
