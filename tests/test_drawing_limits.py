"""A drawing finishes in seconds or stops with a one-line reason; it never hangs and never leaves a process behind.

Layout time follows edges that cross the picture (a weight reused at every
step of a recurrence), not the number of nodes: such graphs are refused before
Graphviz starts. Whatever still runs long is stopped by the time limit: the
WebAssembly build by wasmtime's epoch interruption, the system `dot` by
killing its process (which also dies with its parent).
"""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import micrograd_ko as mg
from micrograd_ko.viz import render
from micrograd_ko.viz.node_view import GraphTooComplexError

ROOT = Path(__file__).resolve().parent.parent

RECURRENCE = """
import micrograd_ko as mg
w, u, c, h = mg.Value(0.5, label="w"), mg.Value(0.3, label="u"), mg.Value(1.0, label="c"), mg.Value(0.0, label="h0")
for _ in range({steps}):
    h = (w * h + u * c).tanh()
root = h
"""
REPEATED_SUM = """
import micrograd_ko as mg
x = mg.Value(1.0, label="x")
root = x
for _ in range({terms} - 1):
    root = root + x
"""


def processes_in_session(sid):
    """Pids of live processes in session `sid` (a child started with start_new_session has sid == its pid)."""
    found = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(int(stat_file.parent.name))
    return found


def draw_in_subprocess(build, **options):
    """Build a graph and draw it in a fresh Python; (seconds, return code, stderr's last line, pids left behind)."""
    code = textwrap.dedent(build) + textwrap.dedent(f"""
        import sys
        from micrograd_ko.viz.node_view import GraphTooComplexError
        root.backward()
        try:
            mg.render_svg(root, **{options!r})
        except GraphTooComplexError as error:
            sys.exit(str(error))
        print("drawn")
    """)
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    out, err = proc.communicate(timeout=60)
    seconds = time.monotonic() - start
    return seconds, proc.returncode, out.strip(), err.strip().splitlines(), processes_in_session(proc.pid)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc to see leftover processes")
@pytest.mark.parametrize(
    "build", [RECURRENCE.format(steps=50), REPEATED_SUM.format(terms=100)], ids=["recurrence-50", "x+x-100"]
)
def test_slow_layouts_are_refused_at_once_in_one_line(build):
    seconds, code, out, err, left = draw_in_subprocess(build)
    assert left == []  # communicate(timeout=60) is the watchdog: a hang fails, no speed is asserted
    assert code == 1 and len(err) == 1  # one line, not a traceback
    assert "repeat_shared_leaves=True" in err[0] and " / " in err[0]  # what to do instead, in Korean and English
    # The alternative offered works: each shared leaf drawn once per use, in seconds.
    seconds, code, out, err, left = draw_in_subprocess(build, repeat_shared_leaves=True)
    assert (code, out) == (0, "drawn") and left == []


def test_what_is_refused_and_what_is_drawn():
    x = mg.Value(1.0, label="x")
    y = x
    for _ in range(39):
        y = y + x
    mg.draw_graph(y)  # 40 terms: ~1 s of layout, drawn
    for _ in range(60):
        y = y + x
    with pytest.raises(GraphTooComplexError, match=r"x \(100x\)"):
        mg.draw_graph(y)  # 100 terms: minutes, refused, naming the reused node


DENSE = """
import micrograd_ko as mg
xs = [mg.Value(0.01 * i, label=f"x{{i}}") for i in range({n})]
kind = {kind!r}
if kind == "softmax":
    root = mg.sum(mg.softmax(xs))
elif kind == "softmax-builtin-sum":
    root = sum(mg.softmax(xs))
elif kind == "softmax-twice":
    root = mg.sum(mg.softmax(mg.softmax(xs)))
else:  # two all-to-all layers: each of n nodes reads all n of the layer before
    h = xs
    for _ in range(2):
        h = [mg.sum(h) * (j + 1) for j in range(len(h))]
    root = mg.sum(h)
"""
DENSE_FAMILY = (
    [("softmax", n) for n in (20, 40, 60, 90, 300)]
    + [("softmax-builtin-sum", n) for n in (30, 60)]
    + [("softmax-twice", n) for n in (20, 40, 60)]
    + [("all-to-all", n) for n in (20, 30, 50)]
)


@pytest.mark.parametrize("kind, n", DENSE_FAMILY, ids=[f"{k}-{n}" for k, n in DENSE_FAMILY])
def test_dense_graphs_are_drawn_or_refused_with_the_reason(kind, n):
    # Every output of softmax reads every input: few nodes, but thousands of edges between two
    # ranks. Each graph is either drawn or refused before any layout, in one bilingual line saying
    # why; never a trap or the 20 s time limit (which would print a traceback: one line is asserted).
    seconds, code, out, err, left = draw_in_subprocess(DENSE.format(kind=kind, n=n), renderer="wasm", max_nodes=2000)
    assert left == []  # communicate(timeout=60) is the watchdog: a hang fails, no speed is asserted
    if code == 0:
        assert out == "drawn"
    else:
        assert code == 1 and len(err) == 1, err  # one line, not a traceback
        # Why, in Korean and English: too dense, or (the builtin sum's chain) edges across the picture.
        assert ("too dense to lay out in seconds" in err[0] and "조밀" in err[0]) or (
            "cross the whole picture" in err[0] and "가로지릅니다" in err[0]
        )


def test_the_dense_refusal_comes_before_the_digraph_is_built(monkeypatch):
    from micrograd_ko.viz import node_view

    def no_digraph(*args, **kwargs):
        pytest.fail("built a Digraph of a refused graph")

    monkeypatch.setattr(node_view, "ComputationGraph", no_digraph)
    xs = [mg.Value(float(i)) for i in range(999)]
    with pytest.raises(GraphTooComplexError, match=r"999000 edges > 10000"):
        mg.draw_graph(mg.sum(mg.softmax(xs)))  # 2,000 values, 999,000 edges: not even sketched
    with pytest.raises(GraphTooComplexError, match=r"8100 edges between two neighbouring ranks"):
        mg.draw_graph(mg.sum(mg.softmax(xs[:90])))  # sketched (ids only), estimated, refused


def heavy_source(steps=50):
    """DOT source that takes the WebAssembly Graphviz minutes (a recurrence drawn without the cost check)."""
    w, u, c, h = mg.Value(0.5), mg.Value(0.3), mg.Value(1.0), mg.Value(0.0)
    for _ in range(steps):
        h = (w * h + u * c).tanh()
    lines = []
    for node in mg.engine.topological_order(h):
        lines += [f"n{id(p)} -> n{id(node)}" for p in node._prev]
    return "digraph { " + "; ".join(lines) + " }"


def test_wasm_render_is_stopped_at_the_time_limit_and_the_next_one_works():
    with pytest.raises(render.GraphRenderError, match="did not finish within 1 s") as stopped:
        render.render(
            heavy_source(), renderer="wasm", time_limit=1
        )  # minutes without the limit: the error is the proof
    assert "\n" not in str(stopped.value)
    assert "<svg" in mg.render_svg(mg.Value(1.0, label="a") * 2, renderer="wasm")


SLOW_DOT = """#!{python}
# Stands in for a Graphviz `dot` stuck in a layout: records its pid, then sleeps.
import os, time
open({pidfile!r}, "w").write(str(os.getpid()))
time.sleep(120)
"""


@pytest.fixture
def slow_dot(tmp_path, fake_dot):
    pidfile = tmp_path / "dot.pid"
    fake_dot(SLOW_DOT.format(python=sys.executable, pidfile=str(pidfile)))
    return pidfile


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(predicate, seconds=10.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="checks processes through /proc")
def test_system_dot_is_killed_at_the_time_limit(slow_dot):
    with pytest.raises(render.GraphRenderError, match="did not finish within 1 s"):
        render.render(
            "digraph { a -> b }", renderer="dot", time_limit=1
        )  # the fake dot sleeps 120 s: the error is the proof
    pid = int(slow_dot.read_text())
    assert not alive(pid)


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="checks processes through /proc; PR_SET_PDEATHSIG is Linux"
)
def test_system_dot_dies_with_a_killed_python(slow_dot):
    code = "from micrograd_ko.viz import render; render.render('digraph { a -> b }', renderer='dot', time_limit=100)"
    parent = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert wait_for(slow_dot.exists)
        pid = int(slow_dot.read_text())
        assert alive(pid)
        parent.send_signal(signal.SIGKILL)  # as when a notebook kernel is killed
        parent.wait()
        assert wait_for(lambda: not alive(pid)), "dot outlived the Python that started it"
    finally:
        parent.kill()


def test_a_wasm_trap_names_its_cause_in_one_line():
    # A 20,000-node chain exhausts the WebAssembly Graphviz's call stack at once. wasmtime's message
    # starts "error while executing at wasm backtrace:" and ends with the cause: the cause is shown.
    chain = "digraph { " + " ".join(f"a{i} -> a{i + 1};" for i in range(20000)) + " }"
    with pytest.raises(render.GraphRenderError) as trapped:
        render.render(chain, renderer="wasm")
    message = str(trapped.value)
    assert "call stack exhausted" in message and "호출 스택" in message
    assert "\n" not in message and "backtrace" not in message
    assert "<svg" in mg.render_svg(mg.Value(1.0, label="a") * 2, renderer="wasm")  # the next drawing works


def test_numbers_that_would_make_the_layout_slow_are_left_out_and_the_caption_says_so():
    # Edge labels make dot double every rank: a 15-step recurrence took ~10x longer with them.
    ns = {}
    exec(RECURRENCE.format(steps=15), ns)
    root = ns["root"]
    root.backward()
    g = mg.draw_graph(root, lang="en")
    assert "label=1" not in g.source and "local derivatives left out" in g.source
    small = mg.Value(2.0, label="a") * mg.Value(3.0, label="b")  # a small graph keeps them
    assert "label=3" in mg.draw_graph(small).source
    with pytest.raises(GraphTooComplexError, match="show_local=False"):
        mg.draw_graph(root, show_local=True)  # asked for: refused with what to do instead
    assert "local derivatives" not in mg.draw_graph(root, show_local=False, lang="en").source


def test_numbers_that_exhaust_the_webassembly_stack_are_left_out_and_the_caption_says_so():
    # A chain of 400 ops passes the layout-cost check with its numbers, but their label ranks exhaust
    # the WebAssembly Graphviz's call stack (without them it is drawn in a fraction of a second).
    x = mg.Value(0.5, label="x")
    y = x
    for i in range(400):
        y = (y * 0.999).tanh() if i % 2 else y + 0.001
    y.backward()
    numbered = mg.draw_graph(y, lang="en")
    assert "label=1" in numbered.source  # the estimate keeps the numbers...
    with pytest.raises(render.GraphRenderError, match="call stack"):
        render.render(numbered.source, renderer="wasm")  # ...and this Graphviz cannot lay them out
    svg = mg.render_svg(y, renderer="wasm", lang="en")
    assert "local derivatives left out" in svg and "<svg" in svg
    with pytest.raises(render.GraphRenderError, match="call stack"):
        mg.render_svg(y, renderer="wasm", show_local=True)  # asked for: the error, not a picture without them


def test_a_long_chain_over_the_edge_limit_is_refused_as_large_not_dense():
    # With max_nodes raised, a chain of 6,000 sums has 12,000 edges: too many, though no node reads more than 2.
    y = mg.Value(0.5, label="x")
    for _ in range(6000):
        y = y + 0.001
    with pytest.raises(GraphTooComplexError, match=r"12000 edges > 10000") as refused:
        mg.draw_graph(y, max_nodes=10**6)
    message = str(refused.value)
    assert "too large" in message and "너무 큽니다" in message
    assert "many inputs" not in message and "입력이 많습니다" not in message
