"""The notebooks (notebooks/NN_*.ipynb) run from top to bottom and still show what they say.

Each notebook is executed ONCE (a module-scoped fixture), in memory with
nbclient, in a kernel started from this very Python, in a temporary working
directory, with the reference solutions of notebooks/solutions/ filled into
its exercise cells (notebooks/run_notebook.py does the filling, as when the
notebooks are saved). Every check below reads that one run:

- it ran without an error, and every check cell passed with the solutions;
- every code cell prints what the committed file shows (the prose quotes it), fit's notices included;
- every exercise stub, run with its check cell, is reported by the check
  (in Korean, saying what to do) without raising, so Run All goes on;
- no ordinary cell after an exercise uses a name only the exercise or its
  check defines (an unfinished exercise must not break the rest);
- every number typed in a markdown cell is in the notebook's outputs, in its
  code (a setting such as 500 steps), or on a short list of constants.

No test here times anything: how long the notebooks take is measured by
benchmarks/bench_notebooks.py, and notebooks/README.md quotes its figures with
the machine and load they come from.

After changing a notebook or the library, save it again:
    python notebooks/run_notebook.py notebooks/NN_name.ipynb
"""

import ast
import importlib.util
import math
import re
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest

from micrograd_ko.exercises import NOT_YET

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
MAX_BYTES = 1_000_000
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")

_spec = importlib.util.spec_from_file_location("run_notebook", NOTEBOOK_DIR / "run_notebook.py")
runner = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(runner)


def code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def printed_text(cell):
    """What a cell printed (stdout) or showed as text or Markdown, and fit's one-line notices (stderr); figures,
    HTML and other stderr (warnings of other libraries) are left out."""
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream" and output.name == "stdout":
            parts.append(output.text)
        elif output.output_type == "stream" and output.name == "stderr":
            parts += [line for line in output.text.splitlines(keepends=True) if line.startswith("fit:")]
        elif output.output_type in ("execute_result", "display_data"):
            if "text/markdown" in output.data:
                parts.append(output.data["text/markdown"] + "\n")
            elif set(output.data) == {"text/plain"}:
                parts.append(output.data["text/plain"] + "\n")
    return "".join(parts)


def same_text(committed, fresh):
    """Equal words and numbers equal to 4 significant digits (last-digit float noise aside)."""
    if NUMBER.sub("#", committed) != NUMBER.sub("#", fresh):
        return False
    return all(
        math.isclose(float(a), float(b), rel_tol=1e-4, abs_tol=1e-12)
        for a, b in zip(NUMBER.findall(committed), NUMBER.findall(fresh))
    )


# ---- numbers in prose -------------------------------------------------------------------------

SUPERSCRIPT = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
POWER = r"10(?P<exp>⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)"
# A number as prose writes it: 1,797 / 0.6931 / 7.5e+05 / 4.5 × 10⁻⁵ / 10⁻²² / 50% (the sign is left to the words).
PROSE_NUMBER = re.compile(
    r"(?<![\w.])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?![\d⁰¹²³⁴⁵⁶⁷⁸⁹⁻])"
    r"(?:\s*[×x]\s*" + POWER + r")?(?P<pct>\s?%)?"
)
BARE_POWER = re.compile(r"(?<![\w.])" + POWER)
# Constants a sentence may use without measuring them: small counts (layers, sections, lectures, chapters),
# σ'(0) = 1/4 and friends, ln 2, the Leaky ReLU slope, the publication years of the sources.
CONSTANTS = {0.25, 0.5, 0.6931, 0.693, 0.01, 2.0, 1969, 1986, 2006, 2010, 2015}
SMALL_COUNT = 12


def prose_numbers(markdown):
    """(text, value, tolerance, is_percent) for each number typed in a markdown cell (code spans, links, math left out)."""
    text = re.sub(r"<[^>]*>|`[^`]*`|\]\([^)]*\)|https?://\S+|\$[^$]*\$", " ", markdown)
    text = re.sub(r"^#+ \d+\.", " ", text, flags=re.MULTILINE)  # section numbers
    text = re.sub(r"[A-Za-z_]+\d+|[₀-₉]+", " ", text)  # names such as x1, W₁
    found = []
    for m in PROSE_NUMBER.finditer(text):
        raw = m.group("num").replace(",", "")
        value = float(raw)
        mantissa, _, exp = raw.lower().partition("e")
        decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        tolerance = 0.5 * 10.0 ** (int(exp or 0) - decimals) if (decimals or exp) else 0.0
        if m.group("exp"):
            scale = 10.0 ** int(m.group("exp").translate(SUPERSCRIPT))
            value, tolerance = value * scale, (tolerance or 0.5) * scale
        found.append((m.group(0).strip(), value, tolerance, bool(m.group("pct"))))
    for m in BARE_POWER.finditer(PROSE_NUMBER.sub(" ", text)):
        exponent = int(m.group("exp").translate(SUPERSCRIPT))
        found.append((m.group(0), 10.0**exponent, 0.9 * 10.0**exponent, False))  # an order of magnitude
    return found


def output_numbers(nb):
    numbers = []
    for cell in code_cells(nb):
        text = printed_text(cell)
        for output in cell.get("outputs", []):
            if output.output_type in ("execute_result", "display_data") and "text/html" in output.data:
                text += re.sub(r"<[^>]+>", " ", output.data["text/html"])
        numbers += [
            float(n.replace(",", ""))
            for n in re.findall(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.?\d*(?:[eE][-+]?\d+)?", text)
        ]
    return numbers


def code_numbers(nb):
    return {float(n) for cell in code_cells(nb) for n in re.findall(r"(?<![\w.])\d+\.?\d*(?:e[-+]?\d+)?", cell.source)}


def unsupported_prose_numbers(nb):
    """Numbers typed in markdown that no output, code setting or constant backs."""
    measured = output_numbers(nb)
    settings = code_numbers(nb)
    bad = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for text, value, tolerance, percent in prose_numbers(cell.source):
            candidates = [value] + ([value / 100] if percent else [])
            if value == int(value) and value <= SMALL_COUNT or any(c in CONSTANTS or c in settings for c in candidates):
                continue
            if any(
                abs(abs(m) - c) <= tolerance * (0.01 if c is not value else 1) + 1e-12
                for m in measured
                for c in candidates
            ):
                continue
            bad.append(text)
    return bad


def test_prose_number_check_catches_a_typed_number():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(0.1234, '33/200', '1.28e+19')")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="0.1234 33/200 1.28e+19\n")]
    nb.cells = [cell, nbformat.v4.new_markdown_cell("측정: 0.123, 33/200, 1.28e+19, 50% 그리고 **0.124**, 34개, 10⁻²²")]
    assert unsupported_prose_numbers(nb) == ["0.124", "34", "10⁻²²"]


# ---- one run per notebook ---------------------------------------------------------------------


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=lambda p: p.stem)
def run(request, tmp_path_factory):
    path = request.param
    committed = nbformat.read(path, as_version=4)
    nb = runner.with_solutions(committed, runner.solutions_for(path))
    nb.cells.append(nbformat.v4.new_code_cell("import sys\nprint(sys.executable)"))
    stubs = {committed.cells[i].id: committed.cells[i].source for i, _ in runner.exercises(committed)}
    cwd = tmp_path_factory.mktemp(path.stem)
    result = runner.execute(nb, cwd, check_stubs=stubs)
    *cells, probe = code_cells(nb)
    left = [p.name for p in cwd.iterdir() if p.name != ".hypothesis"]  # hypothesis's own cache is git-ignored
    return {"path": path, "committed": committed, "fresh": cells, "probe": probe, "left": left, **result}


def listed_notebooks():
    """The notebook files linked from the rows of notebooks/README.md's table."""
    text = (NOTEBOOK_DIR / "README.md").read_text(encoding="utf-8")
    return {m.group(1) for m in re.finditer(r"^\|[^\n]*\]\((\d\d_\w+\.ipynb)\)", text, re.MULTILINE)}


def test_the_lessons_are_there():
    assert [p.name[:3] for p in NOTEBOOKS] == [f"{i:02d}_" for i in range(len(NOTEBOOKS))]
    assert all(p.name.isascii() and " " not in p.name for p in NOTEBOOKS)  # file names that work on every OS
    assert listed_notebooks() == {p.name for p in NOTEBOOKS}, "notebooks/README.md lists each notebook"


def test_no_test_asserts_a_wall_clock_time():
    """Machines are noisy: times are measured by benchmarks, never asserted (the README's time column included)."""
    offenders = []
    for test_file in sorted(Path(__file__).parent.glob("test_*.py")):
        for number, line in enumerate(test_file.read_text(encoding="utf-8").splitlines(), 1):
            timed = r"\b(seconds|elapsed)\s*[<>]|[<>]=?\s*(seconds|elapsed)\b|perf_counter\(|monotonic\(|time\.time\("
            if re.search(r"^\s*assert\b.*(" + timed + ")", line) or "README says" in line:
                offenders.append(f"{test_file.name}:{number}: {line.strip()}")
    assert not [o for o in offenders if not o.startswith(Path(__file__).name)], offenders


# ---- Run All never stops ----------------------------------------------------------------------


def _bound_names(tree):
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
    return names


def _loaded_names(tree):
    """Names the cell reads when it runs (a function body reads its names only when called, so it is skipped)."""
    names, todo = set(), [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            names.add(node.id)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.Lambda)):
                todo += (
                    child.args.defaults
                    + [d for d in child.args.kw_defaults if d]
                    + getattr(child, "decorator_list", [])
                )
            else:
                todo.append(child)
    return names


def _python(source):
    return ast.parse("\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))))


def names_used_after_an_exercise(nb):
    """Names that an ordinary cell loads but only an exercise or check cell (before it) binds: [(cell index, name)]."""
    tags = [set(cell.metadata.get("tags", [])) for cell in nb.cells]
    ordinary, exercise_only, used = set(), set(), []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tree = _python(cell.source)
        if tags[i] & {runner.EXERCISE_TAG, runner.CHECK_TAG}:
            exercise_only |= _bound_names(tree) - ordinary
            continue
        used += [(i, name) for name in sorted((_loaded_names(tree) & exercise_only) - _bound_names(tree))]
        ordinary |= _bound_names(tree)
        exercise_only -= _bound_names(tree)
    return used


def test_the_use_after_an_exercise_check_catches_a_later_use():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("def f(x):\n    raise NotImplementedError", metadata={"tags": ["exercise"]}),
        nbformat.v4.new_code_cell(
            "with exercise_check('f'):\n    assert f(1) == 2\n    table = [f(2)]", metadata={"tags": ["exercise-check"]}
        ),
        nbformat.v4.new_code_cell("print(table)\ndef g(x):\n    return f(x)"),
        nbformat.v4.new_code_cell("f = len\nprint(f([1]))"),
    ]
    assert names_used_after_an_exercise(nb) == [(2, "table")]  # g calls f only when called


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_an_unfinished_exercise_does_not_break_the_cells_after_it(path):
    used = names_used_after_an_exercise(nbformat.read(path, as_version=4))
    assert not used, f"{path.name}: ordinary cells use names that only an exercise or its check defines: {used}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_korean_notebooks_ask_for_korean_only_messages(path):
    first_code = code_cells(nbformat.read(path, as_version=4))[0].source
    assert 'set_message_language("ko")' in first_code, (
        f"{path.name}: the first code cell sets Korean-only error messages"
    )


# A particle typed after a replacement field fits some values only ("1.28와", "0.23로"): a number's particle is
# chosen by micrograd_ko.i18n.particle, which reads the number aloud. The fields left here are not numbers, and the
# particle typed fits every value they take.
PARTICLE_AFTER_FIELD = re.compile(r"\{(?:[^{}]|\{[^{}]*\})*\}(?:와|과|로|으로|는|은|가|이|를|을)(?![가-힣])")
NOT_NUMBERS = {
    "03_linear_activation_and_xor": ["{', '.join(sorted(kinds))}가"],  # type names: Value가, int가 (밸류, 인트)
}


def particles_after_fields(nb):
    """Every replacement field of a code cell followed directly by a particle: ['{x:.2f}로', ...]."""
    return [m.group(0) for cell in code_cells(nb) for m in PARTICLE_AFTER_FIELD.finditer(cell.source)]


def test_the_particle_check_catches_a_typed_particle():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "print(f\"배율은 {x:.2f}로 1에 가깝고, {a:.2f}와 {b['c']:.1f}는 측정값, {n}개, {y:.1f}이고 {z}의\")\n"
            "print(f\"{particle(format(x, '.2f'), '으로/로')} 그리고 {w}을(를)\")"
        )
    ]
    assert particles_after_fields(nb) == ["{x:.2f}로", "{a:.2f}와", "{b['c']:.1f}는", "{w}을"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_particle_after_a_number_is_chosen_by_how_it_is_read(path):
    found = particles_after_fields(nbformat.read(path, as_version=4))
    assert found == NOT_NUMBERS.get(path.stem, []), (
        f"{path.name}: a particle typed after a replacement field fits some numbers only; "
        f"write {{particle(format(x, '.2f'), '으로/로')}} (micrograd_ko.i18n.particle): {found}"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_sentences_a_cell_writes_show_no_python_list(path):
    """A list put into a Markdown sentence reads as code: "시드 [2]는" (and its particle fits one number only)."""
    nb = nbformat.read(path, as_version=4)
    sentences = [
        o.data["text/markdown"] for cell in code_cells(nb) for o in cell.outputs if "text/markdown" in o.get("data", {})
    ]
    found = [m.group(0) for text in sentences for m in re.finditer(r"\S*\[\d+(?:, \d+)*\][가-힣]+", text)]
    assert not found, f"{path.name}: {found}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_with_outputs_and_exercises(path):
    assert path.stat().st_size < MAX_BYTES
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    cells = code_cells(nb)
    assert [cell.execution_count for cell in cells] == list(range(1, len(cells) + 1)), "executed top to bottom, once"
    assert not [o for cell in cells for o in cell.outputs if o.output_type == "error"]
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith(f"# {path.name[:2]}.")
    pairs = runner.exercises(nb)
    assert pairs, f"{path.name}: no cell tagged {runner.EXERCISE_TAG!r}"
    for exercise, check in pairs:
        stub = nb.cells[exercise].source
        assert re.search(r"raise NotImplementedError|= \.\.\.", stub), f"{nb.cells[exercise].id}: not a stub:\n{stub}"
        assert re.search(r"^\s*(assert\b|raise AssertionError)", nb.cells[check].source, re.MULTILINE)
        assert "exercise_check(" in nb.cells[check].source, (
            f"{nb.cells[check].id}: a check reports, it does not stop Run All"
        )
    assert set(runner.solutions_for(path)) == {nb.cells[i].id for i, _ in pairs}, "one reference solution per exercise"


def test_runs_with_the_solutions_in_this_python(run):
    assert run["probe"].outputs[0].text.strip() == sys.executable, "the kernel must be the test run's own Python"
    assert not run["left"], f"{run['path'].name} left files behind: {run['left']}"
    reported = [(i, runner.check_report(cell)) for i, cell in enumerate(run["fresh"], 1) if runner.check_report(cell)]
    assert not reported, f"{run['path'].name}: checks fail with the reference solutions: {reported}"


def test_prints_what_is_committed(run):
    path = run["path"]
    committed = [printed_text(cell) for cell in code_cells(run["committed"])]
    stale = [
        (i, before, printed_text(cell))
        for i, (cell, before) in enumerate(zip(run["fresh"], committed), 1)
        if not same_text(before, printed_text(cell))
    ]
    assert not stale, (
        f"{path.name}: code cells {[i for i, _, _ in stale]} now print something else than the committed outputs "
        f"(which the prose quotes); save it again (python notebooks/run_notebook.py {path.relative_to(NOTEBOOK_DIR.parent)}) "
        f"and check its text. First difference, code cell {stale[0][0]}:\n"
        f"--- committed:\n{stale[0][1][:1000]}\n--- now:\n{stale[0][2][:1000]}"
    )


def test_each_stub_is_reported_by_its_check_with_a_helpful_message(run):
    assert run["stub_failures"]
    for key, failure in run["stub_failures"].items():
        assert failure is not None, f"{key}: the check cell passes with the stub"
        kind, message = failure
        assert kind != "raised", f"{key}: the check raised ({message}); Run All would stop there"
        assert kind == NOT_YET, f"{key}: the stub crashes the check ({message}), not a message to the learner"
        assert re.search(r"[가-힣]", message) and len(message) > 15, f"{key}: say in Korean what to do, not {message!r}"


def test_numbers_in_prose_come_from_the_outputs(run):
    assert not unsupported_prose_numbers(run["committed"]), (
        f"{run['path'].name}: numbers typed in markdown that no output shows: {unsupported_prose_numbers(run['committed'])}"
    )


# ---- what a reader sees -----------------------------------------------------------------------

OUTPUT_WIDTH = 850  # px: a notebook's output area in a 1280 px JupyterLab window


def png_widths(nb):
    import base64
    import struct

    for cell in code_cells(nb):
        for output in cell.get("outputs", []):
            if output.output_type in ("display_data", "execute_result") and "image/png" in output.data:
                yield cell.id, struct.unpack(">I", base64.b64decode(output.data["image/png"])[16:20])[0]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_matplotlib_figures_fit_the_output_width(path):
    """A wider PNG is shrunk to fit, and its 8-point legends (11 px at 100 dpi) fall under 10 px."""
    wide = [(cell, width) for cell, width in png_widths(nbformat.read(path, as_version=4)) if width > OUTPUT_WIDTH + 10]
    assert not wide, f"{path.name}: figures wider than {OUTPUT_WIDTH} px (figsize width ≤ 8.5 in at 100 dpi): {wide}"


def strikethrough_risks(markdown):
    """Paragraphs with two or more '~' touching text: GitHub's Markdown reads such a pair as strikethrough."""
    risky = []
    for paragraph in re.split(r"\n\s*\n", re.sub(r"`[^`]*`", "", markdown)):
        if (
            len(re.findall(r"\S~|~\S", paragraph)) >= 2
            and len(re.findall(r"(?<=\S)~(?=\S)|(?<=\S)~|~(?=\S)", paragraph)) >= 2
        ):
            risky.append(paragraph.strip()[:80])
    return risky


def test_strikethrough_check_catches_a_tilde_pair():
    assert strikethrough_risks("층마다 72%~83% (책: 74~82%)")
    assert not strikethrough_risks("W ~ N(0, 1)이고 b ~ N(0, 1)")
    assert not strikethrough_risks("0~9\n\n1~2")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_tilde_pair_renders_as_strikethrough(path):
    nb = nbformat.read(path, as_version=4)
    texts = [cell.source for cell in nb.cells if cell.cell_type == "markdown"]
    texts += [
        o.data["text/markdown"]
        for cell in code_cells(nb)
        for o in cell.get("outputs", [])
        if o.output_type in ("display_data", "execute_result") and "text/markdown" in o.data
    ]
    risky = [r for text in texts for r in strikethrough_risks(text)]
    assert not risky, f"{path.name}: use '에서 … 사이' or '–' instead of a second '~': {risky}"


# ---- sentences about the code next to them ----------------------------------------------------

KOREAN_COUNTS = {"한": 1, "두": 2, "세": 3, "네": 4}


def asserts_of(cell):
    """The assert statements of a code cell, in order, as their source text (magics like %matplotlib left out)."""
    source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
    return [
        ast.get_source_segment(source, node) for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Assert)
    ]


def assert_claims(nb):
    """(claim, asserts of the code cell above) for each markdown '(위 셀의 첫 assert가 확인합니다)' or
    '(위의 두 assert가 …)': the first names the sentence it follows, the second a count."""
    found, above = [], None
    for cell in nb.cells:
        if cell.cell_type == "code":
            above = cell
            continue
        for m in re.finditer(r"\*\*: ([^(\n]*?) \(위 셀의 첫 assert가 확인합니다\)", cell.source):
            found.append(("first", m.group(1), asserts_of(above)))
        for m in re.finditer(r"위의 (한|두|세|네) assert", cell.source):
            found.append(("count", KOREAN_COUNTS[m.group(1)], asserts_of(above)))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_sentence_that_names_the_assert_checking_it_is_checked_by_that_assert(path):
    """06 said '(위의 두 assert가 확인합니다)' of a cell with three asserts, one per bullet: the tanh + Xavier
    sentence is checked by the first, whose message is that sentence."""
    for kind, claim, asserts in assert_claims(nbformat.read(path, as_version=4)):
        if kind == "first":
            assert asserts and claim.rstrip(".") in asserts[0], f"{path.name}: {claim!r} is not the first assert above"
        else:
            assert len(asserts) == claim, (
                f"{path.name}: the prose counts {claim} asserts, the cell above has {len(asserts)}"
            )


def test_notebook_02_says_whose_maximum_is_a_quarter():
    """σ'(x), not the sigmoid, peaks at 1/4 (the sigmoid itself goes up to 1): the sentence must name the derivative."""
    nb = nbformat.read(NOTEBOOK_DIR / "02_activations_and_local_derivatives.ipynb", as_version=4)
    sentences = [s for cell in nb.cells if cell.cell_type == "markdown" for s in re.split(r"(?<=다\.)\s", cell.source)]
    quarter = [s for s in sentences if "최댓값" in s and "0.25" in s]
    assert quarter and all("σ'" in s or "미분" in s for s in quarter), quarter


def test_notebook_04_says_why_the_variance_prediction_misses_for_tanh_and_relu():
    """04 said only that σ′ × √(n·Var(W)) 'fits sometimes, and misses as here' for tanh + Xavier and ReLU + He,
    leaving a 'weight multiplier' of 1.36 for Xavier weights that multiply by about 1. The reasons are measured:
    the factor of mean |∂L/∂W| carries the layers' input sizes (δ alone fits the prediction), and ReLU's zeros
    make it √(p · n·Var(W)); the cell's asserts check both numbers when the notebook runs."""
    nb = nbformat.read(NOTEBOOK_DIR / "04_vanishing_gradient.ipynb", as_version=4)
    cell = next(cell for cell in nb.cells if cell.get("id") == "04-factor-words")
    shown = "".join(
        o.data.get("text/markdown", "") for o in cell.outputs if o.output_type in ("display_data", "execute_result")
    )
    assert "편향의 기울기(δ만)로 재면 tanh의 배율은" in shown and "√(p · n·Var(W))" in shown
    assert (
        "assert math.isclose(tanh_delta_factor" in cell.source
        and "assert math.isclose(relu_delta_factor" in cell.source
    )


def test_notebook_03_states_every_learning_rate_its_xor_training_uses():
    """03 said 'every training: full batch, learning rate 0.5', then trained the deep linear net at 0.05."""
    nb = nbformat.read(NOTEBOOK_DIR / "03_linear_activation_and_xor.ipynb", as_version=4)
    code = "\n".join(cell.source for cell in code_cells(nb))
    rates = set(re.findall(r"def fit_xor\([^)]*lr=([\d.]+)", code)) | set(
        re.findall(r"fit_xor\([^)]*lr=([\d.]+)\)", code)
    )
    intro = next(cell.source for cell in nb.cells if cell.get("id") == "03-02")
    assert len(rates) > 1 and all(rate in intro for rate in rates), (sorted(rates), intro)


def test_notebook_08_states_how_many_inputs_hypothesis_tries():
    """08 said hypothesis tries 'hundreds of inputs' while its cells print '100개의 입력에서' (the profile's count)."""
    hypothesis = pytest.importorskip("hypothesis")
    from micrograd_ko.testing import PROFILE

    examples = hypothesis.settings.get_profile(PROFILE).max_examples
    nb = nbformat.read(NOTEBOOK_DIR / "08_testing_derivatives.ipynb", as_version=4)
    prose = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    assert "수백 개의 입력" not in prose and prose.count(f"{examples}개") >= 2


def test_notebook_06_says_how_each_relu_curve_starts_from_its_own_numbers():
    """06 said 'both curves first stay on the flat stretch near ln 10' of ReLU + Xavier and ReLU + He, but He's
    curve starts above ln 10 (2.46 over its first mini-batches) and falls with no flat stretch. Each curve's
    start is now described from its opening loss, which the sentence shows: flat means within 0.1 of ln 10."""
    nb = nbformat.read(NOTEBOOK_DIR / "06_weight_initialization.ipynb", as_version=4)
    cell = next(cell for cell in nb.cells if cell.get("id") == "06-digits-text")
    shown = "".join(
        o.data.get("text/markdown", "") for o in cell.outputs if o.output_type in ("display_data", "execute_result")
    )
    starts = re.findall(r"처음 미니배치 \d+개의 평균 손실이 ([\d.]+)(?:으로|로) ln 10 ?(근처|보다 위|보다 아래)", shown)
    assert len(starts) == 2, shown
    for opening, where in starts:
        gap = float(opening) - math.log(10)
        assert where == ("근처" if abs(gap) < 0.1 else "보다 위" if gap > 0 else "보다 아래"), (opening, where)


# ---- one install line -------------------------------------------------------------------------

# The distribution that provides each top-level module a notebook may import (the standard library aside).
PROVIDED_BY = {
    "micrograd_ko": "micrograd_ko",
    "matplotlib": "matplotlib",
    "hypothesis": "hypothesis",
    "IPython": "jupyterlab",
}


def notebook_extra():
    """The requirement names of pyproject's [notebooks] extra, with micrograd_ko[...] extras resolved."""
    extras = tomllib.loads((NOTEBOOK_DIR.parent / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    names, todo = {"micrograd_ko"}, list(extras["notebooks"])
    while todo:
        requirement = todo.pop()
        name = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0)
        inner = re.search(r"\[(.*)\]", requirement)
        if name == "micrograd_ko" and inner:
            todo += [r for part in inner.group(1).split(",") for r in extras[part.strip()]]
        names.add(name)
    return names


def test_the_notebooks_extra_installs_everything_the_notebooks_import():
    imported = set()
    for path in NOTEBOOKS:
        for cell in code_cells(nbformat.read(path, as_version=4)):
            for node in ast.walk(_python(cell.source)):
                if isinstance(node, ast.Import):
                    imported |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names)
    assert third_party <= set(PROVIDED_BY), (
        f"the notebooks import {sorted(third_party - set(PROVIDED_BY))}: add them to [notebooks]"
    )
    assert {PROVIDED_BY[m] for m in third_party} <= notebook_extra()
    for readme in (NOTEBOOK_DIR / "README.md", NOTEBOOK_DIR.parent / "README.md"):
        assert 'pip install ".[notebooks]"' in readme.read_text(encoding="utf-8"), (
            f"{readme} documents the install line"
        )


def test_the_saving_script_has_help_and_names_a_missing_notebook_without_a_traceback(tmp_path):
    """notebooks/README.md tells a reader to run it; `--help` was taken for a file name (a traceback)."""
    import subprocess

    script = [sys.executable, str(NOTEBOOK_DIR / "run_notebook.py")]
    helped = subprocess.run([*script, "--help"], capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and "NN_" in helped.stdout and "저장" in helped.stdout, helped.stderr
    missing = subprocess.run([*script, str(tmp_path / "99_nope.ipynb")], capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert "99_nope.ipynb" in missing.stderr and "없습니다" in missing.stderr and "no such notebook" in missing.stderr
