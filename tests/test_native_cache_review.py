"""compile's C form as a hostile or a careful user meets it: the disk cache of built modules (native/build.py),
the numbers of a large program kept in memory of their own (translator.py's heap frame), and the tests' own
use of the cache. Each test holds a case a review found (it failed before the fix beside it) or a property the
review checked (a leak, threads, random graphs)."""

import ast
import json
import os
import pathlib
import re
import subprocess
import sys
import threading
import time
import tracemalloc

import pytest
from hypothesis import given, settings
from test_native import FUZZ, agree, both, cases, random_graph_agrees  # (random graphs; bit-for-bit comparison)

import micrograd_ko as ko
from micrograd_ko import Value
from micrograd_ko.compiler import native
from micrograd_ko.compiler.native import build, translator

pytestmark = pytest.mark.usefixtures("c_code_on")  # (conftest: the C form built at once; the suite runs without)


def text_of(k):
    """(C text, module name, objects) of a small program of its own for each k: x0 * (k + 0.5)."""
    return native.translate(f"def compiled(X, P, output_grad):\n    x0, = X\n    return x0 * {k}.5\n", {})


# A process of its own (a bus error in it must not end the test run): loads or builds the programs 0..n-1.
LOADS = """
import json, sys
from micrograd_ko.compiler import native
answers = []
for k in range(int(sys.argv[1])):
    text, name, _ = native.translate(f"def compiled(X, P, output_grad):\\n    x0, = X\\n    return x0 * {k}.5\\n", {})
    module = native.build.module(text, name)
    answers.append(module and module.compiled((), [2.0], [], 1.0))
print(json.dumps(answers))
"""


def run_loads(cache, n):
    env = {**os.environ, "MICROGRAD_KO_CACHE": str(cache), native.ENV: "sync"}
    return subprocess.Popen([sys.executable, "-c", LOADS, str(n)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


DAMAGES = {
    "cut in half": lambda content: content[: len(content) // 2],
    "cut before its end": lambda content: content[:-1],
    "empty": lambda content: b"",
}


def test_a_damaged_module_in_the_cache_is_built_again_not_loaded(tmp_path):
    """A built file cut short in the cache (power lost before its last pages reached the disk, a full disk, a
    copy of ~/.cache stopped midway) was loaded as it was: the system maps a shared object's pages and a page
    past the end of the file is a bus error (SIGBUS): the process ended with no exception. An empty file of
    the right name left its text without a C form for good. Each is now built again."""
    found = build.compiler()
    paths, sizes = [], []
    for k, damage in enumerate(DAMAGES.values()):
        text, name, _ = text_of(k)
        path = tmp_path / build._file_name(found, text, name)
        assert build._compile(*found, text, str(path))  # (built, not loaded here)
        content = path.read_bytes()
        damaged = tmp_path / "damaged"
        damaged.write_bytes(damage(content))
        os.replace(damaged, path)
        paths.append(path)
        sizes.append(len(content))
    child = run_loads(tmp_path, len(DAMAGES))
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0, err[-2000:]  # (-7: the bus error)
    assert json.loads(out) == [2.0 * k + 1.0 for k in range(len(DAMAGES))]
    assert [path.stat().st_size for path in paths] == sizes  # built again, whole


def test_a_module_removed_by_another_process_just_before_it_is_loaded_is_built_again(monkeypatch, tmp_path):
    """Another process's pruning may remove the file between the look at it and its load: that was no C form
    for this process (an OSError taken for a failed build); now it is built again."""
    monkeypatch.setenv("MICROGRAD_KO_CACHE", str(tmp_path))
    monkeypatch.setattr(build, "modules", {})
    text, name, _ = text_of(11)
    path = tmp_path / build._file_name(build.compiler(), text, name)
    assert build._compile(*build.compiler(), text, str(path))
    real_utime = os.utime

    def removed_first(target, *args, **kwargs):
        if os.fspath(target) == str(path) and path.exists():
            path.unlink()  # (the other process)
        return real_utime(target, *args, **kwargs)

    monkeypatch.setattr(build.os, "utime", removed_first)
    module = build.module(text, name)
    assert module is not None and module.compiled((), [2.0], [], 1.0) == 23.0
    assert path.exists()


def test_processes_building_one_text_at_once_in_one_cache_all_answer(tmp_path):
    """Two processes build the same two texts at once into one cache directory: each gets its C form, the
    directory ends with one whole file per text, and one of runtime.c's helpers, and nothing half-made."""
    children = [run_loads(tmp_path, 2) for _ in range(2)]
    for child in children:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err[-2000:]
        assert json.loads(out) == [1.0, 3.0]
    names = sorted(os.listdir(tmp_path))
    assert [name.startswith("_mk_runtime-") for name in names] == [False, False, True], names
    assert all(name.startswith(("_mk_native_", "_mk_runtime-")) for name in names), names
    assert all(build._whole(str(tmp_path / name)) for name in names)


def test_pruning_goes_on_past_a_file_another_process_removed(monkeypatch, tmp_path):
    """Many processes prune one directory at once: a file one of them removed between the listing and the look
    at its age stopped the others' pruning altogether (the directory grew past KEPT_ON_DISK)."""
    monkeypatch.setattr(build, "KEPT_ON_DISK", 1)
    for k in range(4):
        path = tmp_path / f"_mk_native_{k}"
        path.write_text("")
        os.utime(path, (10_000 * k, 10_000 * k))
    real_scandir = os.scandir

    def listed_then_one_removed(folder):
        entries = list(real_scandir(folder))
        (tmp_path / "_mk_native_0").unlink()  # (another process, just after this one listed the directory)
        return iter(entries)

    monkeypatch.setattr(build.os, "scandir", listed_then_one_removed)
    build._forget_the_oldest(str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == ["_mk_native_3"]


# -- where the cache is --


def test_without_a_home_directory_no_directory_named_tilde_is_made(monkeypatch, tmp_path):
    """HOME unset and a user with no entry in the password database (a container run with `-u 1234`): Python's
    expanduser leaves `~` as it is, and the cache was made at ./~/.cache/micrograd_ko/c in the working
    directory (a directory named `~`, which `rm -rf ~` would not remove). Now there is no cache there."""
    import pwd

    def no_entry(uid):
        raise KeyError(uid)

    for name in ("HOME", "XDG_CACHE_HOME", build.CACHE_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    monkeypatch.chdir(tmp_path)
    chosen = build.directory()
    assert os.listdir(tmp_path) == []
    assert os.path.isabs(chosen) and os.path.isdir(chosen)


def test_a_relative_cache_directory_stays_where_it_was_first_used(monkeypatch, tmp_path):
    """MICROGRAD_KO_CACHE=cache: the directory was looked up from each call's working directory, so a program
    that changed directory kept its markers in one place and its modules in another; now it is the one below
    the working directory where it was first used. `~/mk-cache` (os.environ set in a notebook) made a
    directory named ~ in the working directory; now it is in the home directory. A relative XDG_CACHE_HOME
    is ignored (the XDG rules)."""
    monkeypatch.setattr(build, "_absolute", {}, raising=False)
    for where in ("a", "b"):
        (tmp_path / where).mkdir()
    monkeypatch.setenv(build.CACHE_ENV, "relative-cache")
    monkeypatch.chdir(tmp_path / "a")
    assert build.directory() == str(tmp_path / "a" / "relative-cache")
    monkeypatch.chdir(tmp_path / "b")
    assert build.directory() == str(tmp_path / "a" / "relative-cache")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(build.CACHE_ENV, "~/mk-cache")  # (set from Python: no shell expanded the ~)
    assert build.directory() == str(tmp_path / "home" / "mk-cache")
    assert os.listdir(tmp_path / "b") == []  # (no directory named ~ in the working directory)
    monkeypatch.delenv(build.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", "relative-xdg")
    assert build.directory() == str(tmp_path / "home" / ".cache" / "micrograd_ko" / "c")


@pytest.mark.parametrize("where", ["a file", "below a file"])
def test_a_cache_path_that_is_no_directory_builds_in_a_temporary_one(monkeypatch, tmp_path, where):
    (tmp_path / "file").write_text("not a directory")
    chosen = tmp_path / "file" if where == "a file" else tmp_path / "file" / "c"
    monkeypatch.setenv(build.CACHE_ENV, str(chosen))
    assert not build.directory().startswith(str(tmp_path))
    monkeypatch.setattr(build, "modules", {})
    text, name, _ = text_of(12)
    assert build.module(text, name).compiled((), [2.0], [], 1.0) == 25.0
    assert (tmp_path / "file").read_text() == "not a directory"


@pytest.mark.parametrize("mode", [0o777, 0o1777, 0o707])
def test_a_cache_directory_every_user_may_write_into_is_not_used(monkeypatch, tmp_path, mode):
    """MICROGRAD_KO_CACHE=/tmp/mk on a shared machine: another user could put a module of the right name there
    (the name is a hash of things all users share), and this process would load and run it."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(mode)
    monkeypatch.setenv(build.CACHE_ENV, str(shared))
    assert not build.directory().startswith(str(shared))
    shared.chmod(0o770)  # (the user's group: with a group of one's own, usual on Debian and Ubuntu)
    assert build.directory() == str(shared)


def test_the_tests_child_processes_use_the_tests_cache():
    """A test that starts Python with an environment of its own must hand it the tests' cache directory (or all
    of os.environ): test_native_review.py's child, given only MICROGRAD_KO_NATIVE and PATH, built its module in
    the user's ~/.cache/micrograd_ko/c."""
    missing = []
    for path in sorted(pathlib.Path(__file__).parent.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            envs = []
            if isinstance(node, ast.Call):
                envs = [k.value for k in node.keywords if k.arg == "env"]
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and "env" in t.id for t in node.targets):
                envs = [node.value]
            for env in envs:
                if not isinstance(env, ast.Dict):
                    continue
                keys = [k.value if isinstance(k, ast.Constant) else k for k in env.keys]
                if None not in keys and build.CACHE_ENV not in keys:  # (None: a **mapping)
                    missing.append(f"{path.name}:{env.lineno}")
    assert missing == []


# -- a large program's numbers in memory of its own (translator.py) --


def many_calls_source(n):
    """A program of n exps, n divisions (each a hand-over point of the C code), n guards' numbers (`_k`) and n
    chained comparisons (tanh's derivative has one)."""
    lines = ["def compiled(X, P, output_grad):", "    x0, = X", "    v0 = x0"]
    for k in range(n):
        lines += [
            f"    e{k} = _exp(v{k})",
            f"    d{k} = _k{k} / e{k}",
            f"    v{k + 1} = d{k} if -0.5 < d{k} < 0.5 else e{k}",
        ]
    lines.append(f"    return v{n}")
    return "\n".join(lines) + "\n"


def stack_bytes(text, folder):
    """The stack frame gcc gives the C function `compiled` (-fstack-usage), in bytes; None where it cannot say."""
    cc, include = build.compiler()
    source = folder / "frame.c"
    source.write_text(text)
    done = subprocess.run([cc, *build._FLAGS, f"-I{include}", "-fstack-usage", "-c", str(source), "-o",
                           str(folder / "frame.o")], cwd=folder, capture_output=True, text=True)  # fmt: skip
    usages = list(folder.glob("*.su"))
    if done.returncode != 0 or not usages:
        return None
    for line in usages[0].read_text().splitlines():
        if ":compiled\t" in line:
            return int(line.split("\t")[1])
    return None


def test_the_numbers_counted_for_the_frame_are_all_the_numbers_on_the_stack(monkeypatch, tmp_path):
    """The choice of the heap counts the function's numbers; the macros of exp, log, tanh, sqrt and division
    each kept one or two more of their own, uncounted, on the stack (gcc -O0 gives every one its own slot):
    a program counted below 256 KB took up to a quarter more (sigmoid's XOR step: 45,600 bytes for 36,056
    counted), and a program on the heap still took 8-16 bytes of stack per exp or division (9.5 KB for that
    step). They are now the translator's temporaries: counted, and on the heap with the rest. So are the
    guards' numbers (`_k0`), each a number of the C function's; a chained comparison (`-0.5 < v < 0.5`) no
    longer keeps an int of its own."""
    from math import exp

    source = many_calls_source(300)
    namespace = {"_exp": exp, **{f"_k{k}": 1.0 + k for k in range(300)}}
    used, stack_text = {}, None
    for frame, on_heap in ((10**9, False), (8, True)):
        monkeypatch.setattr(translator, "_LARGEST_FRAME", frame)
        monkeypatch.setattr(native, "_translated", {})
        text, _, _ = native.translate(source, namespace)
        assert ("PyMem_Free(mk_F)" in text) == on_heap
        (tmp_path / str(frame)).mkdir()
        used[on_heap] = stack_bytes(text, tmp_path / str(frame))
        if used[on_heap] is None:
            pytest.skip("this compiler does not report stack usage")
        stack_text = stack_text if on_heap else text
    assert used[False] <= declared_bytes(stack_text) + 1024
    assert used[True] <= 1024


def declared_bytes(text):
    """The bytes of the numbers the C function declares at its start (what the choice of the heap counts)."""
    body = text[text.index("static PyObject *compiled(") :]
    total = 0
    for line in body.splitlines():
        if re.fullmatch(r"    double [A-Za-z0-9_\[\], ]+;", line):
            for member in line[len("    double ") : -1].split(", "):
                total += 8 * (int(member[member.index("[") + 1 : -1]) if "[" in member else 1)
    return total


@pytest.fixture
def all_on_the_heap(monkeypatch):
    monkeypatch.setattr(translator, "_LARGEST_FRAME", 8)  # (every program's numbers are kept on the heap)
    monkeypatch.setattr(native, "_translated", {})


@settings(FUZZ, max_examples=5)
@given(cases())
def test_random_graphs_with_their_numbers_on_the_heap_answer_what_python_answers(case):
    """test_native.py's random graphs, every program's numbers kept on the heap (the temporaries of `:=` lines,
    which keep Python's order of evaluation, among them)."""

    def on_the_heap(text):
        assert "PyMem_Free(mk_F)" in text

    saved = translator._LARGEST_FRAME, native._translated
    translator._LARGEST_FRAME, native._translated = 8, {}  # (hypothesis's examples share no fixture)
    try:
        random_graph_agrees(case, (("full", ()), ("sgd", (0.25,))), on_the_heap)
    finally:
        translator._LARGEST_FRAME, native._translated = saved


class Slots:
    __slots__ = ("data", "grad")

    def __init__(self, data):
        self.data, self.grad = data, 0.0


class RefusesGradients:
    __slots__ = ("data",)

    def __init__(self, data):
        self.data = data

    @property
    def grad(self):
        return 0.0

    @grad.setter
    def grad(self, value):
        raise ValueError("no")


HEAP_SOURCE = """def compiled(X, P, output_grad):
    x0, x1 = X
    v0 = P[0].data
    v1 = v0 * x0
    v2 = _f0(v1)
    v3 = v2 / x1
    P[0].grad = v3 + v1
    return v3 * output_grad
"""


def heap_kernel(rule):
    namespace = {"_f0": rule}
    text, name, names = native.translate(HEAP_SOURCE, namespace)
    assert "PyMem_Free(mk_F)" in text
    exec(HEAP_SOURCE, namespace)  # noqa: S102
    return build.module(text, name).compiled, tuple(namespace[n] for n in names), namespace["compiled"]


@pytest.mark.usefixtures("all_on_the_heap")
def test_the_heap_frame_is_given_back_at_every_exit():
    """20,000 calls through each way out (an answer, a hand-over at a division by zero, an error of a `.grad`
    write): the memory traced by tracemalloc (PyMem_Malloc's too) does not grow."""
    kernel, objects, _ = heap_kernel(lambda a: a * 3.0)
    P, refusing = [Slots(0.5)], [RefusesGradients(0.5)]

    def answer():
        assert kernel(objects, [2.0, 4.0], P, 1.0) == 0.75

    def hand_over():
        assert kernel(objects, [2.0, 0.0], P, 1.0) is NotImplemented

    def error():
        with pytest.raises(ValueError):
            kernel(objects, [2.0, 4.0], refusing, 1.0)

    for way_out in (answer, hand_over, error):
        for _ in range(100):
            way_out()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for _ in range(20_000):
                way_out()
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert grown < 100_000, way_out.__name__  # (a frame kept per call: 20,000 x 80 bytes and more)


@pytest.mark.usefixtures("all_on_the_heap")
def test_six_threads_on_one_program_with_its_numbers_on_the_heap_answer_as_python():
    """Its rule lets other threads run in the middle of each call (time.sleep(0)): each call's numbers are its
    own, so every thread gets the Python function's answers and gradients."""

    def rule(a):
        time.sleep(0)
        return a * 3.0

    kernel, objects, python_function = heap_kernel(rule)
    failures, answered = [], []

    def work(k):
        try:
            mine, theirs = [Slots(0.25 * k + 0.1)], [Slots(0.25 * k + 0.1)]
            count = 0
            for i in range(300):
                xs = [1.0 + i % 7, (i % 3 - 1) * 0.5]
                result = kernel(objects, xs, mine, 1.0)
                expected = python_function(xs, theirs, 1.0) if xs[1] else NotImplemented
                assert result == expected and mine[0].grad == theirs[0].grad
                count += result is not NotImplemented
            answered.append(count)
        except Exception as error:  # noqa: BLE001 - reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert answered == [200] * 6


# A process of its own that forks (multiprocessing's "fork", as experiments' run_tasks uses) while another thread
# is building a module and holds the build's lock: the child, where that thread does not exist, builds both texts.
FORKS = """
import json, os, sys, threading
from micrograd_ko.compiler import native
from micrograd_ko.compiler.native import build

def text(k):
    return native.translate(f"def compiled(X, P, output_grad):\\n    x0, = X\\n    return x0 * {k}.5\\n", {})

started, release = threading.Event(), threading.Event()
real = build._compile_and_load

def slow(*args):
    started.set()
    release.wait()
    return real(*args)

build._compile_and_load = slow
threading.Thread(target=build.module, args=text(20)[:2], daemon=True).start()  # (a build under way)
started.wait()
locked = threading.Event()

def holds_the_lock():
    with build._lock, native._lock:
        locked.set()
        release.wait()

threading.Thread(target=holds_the_lock, daemon=True).start()
locked.wait()
pid = os.fork()
if pid == 0:
    build._compile_and_load = real
    answers = []
    def work():
        for k in (20, 21):
            answers.append(build.module(*text(k)[:2]).compiled((), [2.0], [], 1.0))
    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(10)
    print(json.dumps(answers if not worker.is_alive() else "waits forever"), flush=True)
    os._exit(0)
release.set()
os.waitpid(pid, 0)
"""


def test_a_process_forked_while_a_build_is_under_way_builds_for_itself(tmp_path):
    """fit in a notebook starts a build in a thread; an experiment run with jobs=2 forks its workers while that
    build runs. A worker waited forever for the build (the thread making it is not in the child), and one
    forked while another thread held the build's lock or native's waited forever for the lock (its first C
    form, or its first compiled call). The child now starts with no build under way and free locks."""
    env = {**os.environ, "MICROGRAD_KO_CACHE": str(tmp_path), native.ENV: "sync"}
    done = subprocess.run([sys.executable, "-c", FORKS], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == [41.0, 43.0]


@pytest.mark.usefixtures("all_on_the_heap")
def test_a_guards_number_kept_on_the_heap_is_the_programs_own():
    """`if` on a Value against a float in fn: the guard's number is handed in with the call (another program of
    the same text may hold another), now kept with the other numbers; the same answers on both sides of it,
    for two programs of one text with different numbers."""
    answered = 0
    for threshold in (0.5, 1.5):
        w = Value(0.75)

        def fn(xs, threshold=threshold):
            y = w * xs[0]
            return y.tanh() if y > threshold else y * 3.0

        step = ko.compile(fn, [1.0])
        python_function, c = both(step, "full")
        assert "_k" in step._variant("full")[1] and c is not None
        for x in (0.5, 1.0, 1.9, 2.5, -4.0):
            answered += agree(python_function, c, ([x], step.parameters, 1.0), step.parameters, [(0.75, 0.0)])
    assert answered >= 4  # (the other side of a guard hands over)


# A process of its own that ends (os._exit, as a killed notebook kernel) while its build runs in the background.
ENDS_MIDWAY = """
import os
from micrograd_ko.compiler import native
from micrograd_ko.compiler.native import build

native.CALLS_BEFORE_BUILD = 0
text, name, _ = native.translate("def compiled(X, P, output_grad):\\n    x0, = X\\n    return _exp(x0)\\n",
                                 {"_exp": __import__("math").exp})
import threading
threading.Thread(target=build.module, args=(text, name), daemon=True).start()
while not any(n.endswith(".c") for n in os.listdir(build.directory())):
    pass
os._exit(0)
"""


def test_a_build_left_running_at_exit_is_sealed_and_leaves_nothing_else(tmp_path):
    """The build goes on in a process of its own after Python exits (for the next run): what it leaves is the
    sealed module (and runtime.c's helpers, built first by the same process), and not its source or its output
    under a temporary name."""
    env = {**os.environ, "MICROGRAD_KO_CACHE": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", ENDS_MIDWAY], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    for _ in range(600):
        names = os.listdir(tmp_path)
        if not any(name.startswith("building-") for name in names):
            break
        time.sleep(0.1)
    names = sorted(names)
    assert [name.startswith("_mk_runtime-") for name in names] == [False, True], names
    assert names[0].startswith("_mk_native_"), names
    assert all(build._whole(str(tmp_path / name)) for name in names)


@pytest.mark.parametrize("why", ["a learner's own rule", "a failed build"])
def test_a_text_that_gets_no_c_form_is_not_remembered_for_the_next_run(monkeypatch, tmp_path, why):
    """A text called often enough is remembered on disk, so that the next run asks for its C form from its
    first call. One that then gets none (a rule of the learner's; a build that fails) was remembered all the
    same: every later run translated it again at its first call (1.2 s of a thread holding the GIL for a
    17,000-line program), or ran the compiler again, for nothing. It is now forgotten."""
    from micrograd_ko.engine import Op

    monkeypatch.setenv(build.CACHE_ENV, str(tmp_path))
    w = Value(0.5)
    if why == "a failed build":
        monkeypatch.setattr(build, "_compile", lambda *args: False)
        monkeypatch.setattr(build, "modules", {})
        monkeypatch.setattr(native, "_translated", {})
        step = ko.compile(lambda x: (w * x).exp() * 7.25, 1.0)
    else:
        twice = Op("twice", lambda xs, out: (2.0,), forward=lambda xs: 2.0 * xs[0])
        step = ko.compile(lambda x: twice.apply([w * x]), 1.0)
    step(0.25)  # (CALLS_BEFORE_BUILD is 0: called often enough, and its C form asked for at once)
    source = step._variant("full")[1]
    assert not hasattr(step._variant("full")[0], "answered")  # (the Python function: no C form)
    assert not build.remembered(source)
