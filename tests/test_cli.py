"""The `micrograd-ko` command end to end: real processes, exit codes, files written, bad input."""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from micrograd_ko.cli import main
from micrograd_ko.cli_commands import _width, format_summary
from micrograd_ko.engine import UNARY_OPS
from micrograd_ko.experiments import Claim, ExperimentResult, Table
from micrograd_ko.expression import FUNCTIONS, ExpressionError, build_expression, parse_assignments

SVG_TEXT = "{http://www.w3.org/2000/svg}text"

SCRIPT = Path(sys.executable).parent / "micrograd-ko"


def run(*args, cwd=None):
    """`python -m micrograd_ko ARGS` in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "micrograd_ko", *args], check=False, capture_output=True, text=True, cwd=cwd, timeout=300
    )


def assert_one_line_error(proc, code=2):
    assert proc.returncode == code, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("micrograd-ko: ")
    assert "Traceback" not in proc.stderr
    return lines[0]


# -- help and usage ------------------------------------------------------------------


def test_help_is_korean_by_default_and_english_with_lang_en():
    ko = run("--help")
    assert ko.returncode == 0
    assert "사용법: micrograd-ko" in ko.stdout and "명령" in ko.stdout and "demo" in ko.stdout
    en = run("demo", "--help", "--lang", "en")
    assert en.returncode == 0
    assert en.stdout.startswith("usage: micrograd-ko demo") and "--quick" in en.stdout
    assert not any("\uac00" <= ch <= "\ud7a3" for ch in en.stdout)  # no Hangul left


def test_the_console_script_is_installed_and_runs():
    if not SCRIPT.exists():
        pytest.skip(f"{SCRIPT} is not installed (pip install -e .)")
    proc = subprocess.run([str(SCRIPT), "experiment"], check=False, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    for name in ("vanishing", "deep-xor", "zero-init", "linear", "init", "rbm", "output"):
        assert name in proc.stdout


@pytest.mark.parametrize("args", [["frobnicate"], ["experiment", "nope"], ["demo", "--seed", "abc"], ["graph"]])
def test_usage_mistakes_exit_2_with_one_line(args):
    line = assert_one_line_error(run(*args))
    assert " / " in line  # Korean / English


# -- graph ------------------------------------------------------------------------------


def test_graph_writes_the_svg_of_the_expression_after_backward(tmp_path):
    out = tmp_path / "graph.svg"
    proc = run("graph", "tanh(x*w + b)", "x=1.0", "w=-2", "b=0.5", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "= -0.905148" in proc.stdout
    assert "∂출력/∂x = -0.361413" in proc.stdout and "∂출력/∂w = 0.180707" in proc.stdout
    assert str(out) in proc.stdout
    root = ET.fromstring(out.read_text(encoding="utf-8"))
    # each label is a text element of its own (not just a letter somewhere in "tanh(x*w + b)")
    texts = [(t.text or "").strip("\u200b ") for t in root.iter(SVG_TEXT)]
    for label in ("x", "w", "b", "tanh", "+", "*"):
        assert label in texts, (label, texts)


@pytest.mark.parametrize(
    "expression, values, message",
    [
        ("__import__('os').system('touch pwned')", ["x=1"], "__import__"),
        ("x.data", ["x=1"], "x.data"),
        ("tanh(x", ["x=1"], "tanh(x"),
        ("y * 2", ["x=1"], "'y'"),
        ("(lambda: x)()", ["x=1"], "lambda"),
        ("[x, x]", ["x=1"], "[x, x]"),
        ("x * 2", ["x=1", "z=3"], "z"),
        ("x * 2", ["x=abc"], "abc"),
        ("x * 2", ["x"], "x"),
        ("x * 2", ["tanh=1"], "tanh"),
        ("log(x - 1)", ["x=1"], "log"),
        ("tanh(x, x)", ["x=1"], "tanh"),
        ("x if x else x", ["x=1"], "x if x else x"),
        ("x * 1e400", ["x=1"], "the number 1e400 is beyond the float range"),
        ("x * " + "9" * 400, ["x=1"], "999999999999… (400 digits) is beyond"),
        ("x ** -" + "9" * 400, ["x=1"], "(400 digits) is beyond"),
        ("'a' * x", ["x=1"], "'a'"),
    ],
)
def test_bad_expressions_are_refused_without_evaluating_them(expression, values, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where `touch pwned` would write if the text were ever run
    with pytest.raises(ExpressionError) as error:
        build_expression(expression, parse_assignments(values))
    assert message in str(error.value) and " / " in str(error.value)
    assert not (tmp_path / "pwned").exists()


def test_a_hostile_expression_on_the_command_line_runs_nothing(tmp_path):
    line = assert_one_line_error(run("graph", "__import__('os').system('touch pwned')", "-o", "g.svg", cwd=tmp_path))
    assert "__import__" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no pwned, and no graph either


def test_the_pwned_check_can_fail(tmp_path, monkeypatch):
    # the check above looks where the command would write: running the text as Python creates the file there
    monkeypatch.chdir(tmp_path)
    os.system("touch pwned")  # what the hostile expression would run, were it ever evaluated
    assert (tmp_path / "pwned").exists()


def test_a_bad_expression_exits_2_and_writes_nothing(tmp_path):
    out = tmp_path / "g.svg"
    line = assert_one_line_error(run("graph", "open('x')", "-o", str(out), cwd=tmp_path))
    assert "open" in line
    assert not out.exists()


def test_graph_labels_follow_lang(tmp_path):
    out = tmp_path / "graph.svg"
    proc = run("graph", "x*2", "x=1", "-o", str(out), "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    svg = out.read_text(encoding="utf-8")
    assert "grad" in svg and "기울기" not in svg


def test_graph_into_an_unwritable_place_exits_2(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    line = assert_one_line_error(run("graph", "x*2", "x=1", "-o", str(blocker / "g.svg")))
    assert str(blocker) in line


def test_expressions_build_the_same_values_as_python_arithmetic():
    out, leaves = build_expression("x**2 / y - 3*x + exp(-y) + 2**x", {"x": 1.5, "y": 0.5})
    x, y = 1.5, 0.5
    assert out.data == pytest.approx(x**2 / y - 3 * x + 2.718281828459045**-y + 2**x, rel=1e-12)
    out.backward()
    assert leaves["x"].grad == pytest.approx(2 * x / y - 3 + 2**x * 0.6931471805599453, rel=1e-12)


# -- demo and experiment --------------------------------------------------------------


def test_quick_demo_in_english_writes_the_report_and_says_where(tmp_path):
    out = tmp_path / "report"
    proc = run("demo", "--quick", "--lang", "en", "--seed", "3", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    index = out / "index.html"
    assert index.is_file()
    assert "report written" in proc.stdout and str(index) in proc.stdout
    for name in ("vanishing", "deep-xor", "zero-init", "linear"):
        assert name in proc.stdout  # the summary table
    page = index.read_text(encoding="utf-8")
    assert page.count("<svg") >= 5  # the graph and the figures, inline
    for external in ('src="http', "src='http", 'href="http', "href='http", "url(http", "<link", "<script"):
        assert external not in page  # self-contained: nothing to fetch
    assert "seeds=3..7" in page  # --seed 3: seeds 3, 4, ..., 7


def test_demo_into_an_unwritable_folder_exits_2(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    line = assert_one_line_error(run("demo", "--quick", "--out", str(blocker / "sub")))
    assert "sub" in line


def test_experiment_runs_one_experiment_and_writes_its_page(tmp_path):
    proc = run("experiment", "zero-init", "--out", str(tmp_path), "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "zero-init.html").is_file()
    assert "every gradient is exactly 0.0" in proc.stdout and "holds" in proc.stdout


def test_experiment_with_one_seed_refuses_a_seed_count(tmp_path):
    line = assert_one_line_error(run("experiment", "zero-init", "--seeds", "3", "--out", str(tmp_path)))
    assert "--seed" in line


# -- the summary table ----------------------------------------------------------------------


def test_summary_table_aligns_korean_text_and_marks_each_verdict():
    result = ExperimentResult(
        name="t",
        title="t",
        lang="ko",
        config={},
        numbers={},
        table=Table([], []),
        seconds=0.0,
        claims=[Claim("기울기", "1", "≥ 1", True), Claim("gradient", "0", "≥ 1", False), Claim("값", "2", "–", None)],
    )
    lines = format_summary([result], "ko").splitlines()
    assert lines[1].startswith("----")
    assert [line.split()[-1] for line in lines[2:]] == ["확인", "아님", "측정"]
    # the verdict column starts at the same terminal column in every row (a Hangul syllable takes two)
    starts = {_width(line[: line.rindex(line.split()[-1])]) for line in lines[2:]}
    assert len(starts) == 1


@pytest.mark.parametrize("text, x, expected, slope", [("x**-1", -2.0, -0.5, -0.25), ("x**(-2)", -3.0, 1 / 9, 2 / 27)])
def test_negative_constant_exponents_are_part_of_the_power_op(text, x, expected, slope):
    out, leaves = build_expression(text, {"x": x})
    assert out.data == pytest.approx(expected, rel=1e-12)
    assert len(out._prev) == 1  # no separate node for the exponent
    out.backward()
    assert leaves["x"].grad == pytest.approx(slope, rel=1e-12)


@pytest.mark.parametrize("args", [("--lang", "fr", "demo"), ("demo", "--lang=de")])
def test_an_unknown_language_is_named(args):
    line = assert_one_line_error(run(*args))
    assert "--lang" in line and ("'fr'" in line or "'de'" in line)


def test_jobs_must_be_a_positive_integer_and_the_message_says_so():
    line = assert_one_line_error(run("demo", "--jobs", "0"))
    assert "positive integer" in line and "_positive_int" not in line


def test_every_function_the_help_lists_can_be_drawn(tmp_path):
    assert set(FUNCTIONS) == set(UNARY_OPS) - {"neg"}
    for name in FUNCTIONS:
        out, leaves = build_expression(f"{name}(x)", {"x": 0.5})
        out.backward()
        assert out._op == name and leaves["x"].grad != 0.0
    proc = run("graph", "abs(x)", "x=-1.5", "-o", str(tmp_path / "abs.svg"))
    assert proc.returncode == 0, proc.stderr
    assert "abs(x) = 1.5" in proc.stdout and "= -1" in proc.stdout


@pytest.mark.parametrize("name", ["g.png", "g.PDF", "graph.jpeg"])
def test_another_image_suffix_is_refused_not_filled_with_svg(tmp_path, name):
    line = assert_one_line_error(run("graph", "x*2", "x=1", "-o", str(tmp_path / name)))
    assert ".svg" in line and " / " in line
    assert not (tmp_path / name).exists()


def test_writing_to_a_full_device_is_one_clear_line():
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    line = assert_one_line_error(run("graph", "x*2", "x=1", "-o", "/dev/full"), code=1)
    assert (
        "/dev/full" in line
        and "파일을 쓸 수 없습니다" in line
        and "cannot write the file" in line
        and "Errno" not in line
    )


def test_a_2000_term_expression_builds_without_recursion():
    out, leaves = build_expression("+".join(["x"] * 2000), {"x": 1.0})
    out.backward()
    assert out.data == 2000.0 and leaves["x"].grad == 2000.0
    for text in ["+".join(["x"] * 20000), "-" * 100000 + "x"]:  # deeper than Python's own parser goes
        with pytest.raises(ExpressionError, match="nested too deeply"):
            build_expression(text, {"x": 1.0})


def test_a_2000_term_expression_on_the_command_line_never_prints_a_recursion_error(tmp_path):
    proc = run("graph", "+".join(["x"] * 2000), "x=1", "-o", str(tmp_path / "big.svg"))
    assert "RecursionError" not in proc.stderr and "Traceback" not in proc.stderr
    if proc.returncode != 0:  # the drawing may refuse a graph this size: then in one line
        assert_one_line_error(proc, code=proc.returncode)


# -- what a fresh-eyes review found --------------------------------------------------


def graph_in_process(capsys, *args):
    """`micrograd-ko graph ARGS` in this process (faster than a new one): (exit code, stdout, stderr)."""
    code = main(["graph", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_an_expression_starting_with_minus_is_an_expression_not_an_option(tmp_path):
    out = tmp_path / "neg.svg"
    proc = run("graph", "-x*w", "x=1", "w=2", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "-x*w = -2" in proc.stdout and "∂출력/∂x = -2" in proc.stdout and "∂출력/∂w = -1" in proc.stdout
    assert out.exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--", "-x*w", "x=1", "w=2", "-o", "{out}"],  # '--' does not turn -o into an argument
        ["-o", "{out}", "-x*w", "x=1", "w=2"],
        ["--out={out}", "-x*w", "x=1", "w=2"],  # an abbreviation of --output, as argparse allows
        ["-x*w", "--output", "{out}", "x=1", "w=2", "--lang", "en"],
        ["-(x)*w", "x=1", "w=2", "-o", "{out}", "--rankdir", "TB"],
        ["-(x)*w", "x=1", "w=2", "-o", "{out}", "--rankdir", "tb"],  # any case, as DrawOptions takes it
    ],
)
def test_options_stay_options_around_an_expression_starting_with_minus(tmp_path, capsys, args):
    out = tmp_path / "g.svg"
    code, stdout, stderr = graph_in_process(capsys, *[a.format(out=out) for a in args])
    assert code == 0, stderr
    assert "= -2" in stdout and out.exists()


def test_an_unknown_long_option_is_still_refused_by_name(capsys):
    code, _, stderr = graph_in_process(capsys, "x", "x=1", "--frob")
    assert code == 2 and "알 수 없는 인자: --frob / unrecognized arguments: --frob" in stderr


def test_korean_compatibility_jamo_names_match_as_python_reads_them(tmp_path):
    out = tmp_path / "jamo.svg"
    proc = run("graph", "ㅌ*2 + ｙ", "ㅌ=1", "ｙ=0.5", "-o", str(out))  # Python reads ㅌ as ᄐ and ｙ as y
    assert proc.returncode == 0, proc.stderr
    assert "= 2.5" in proc.stdout and "∂출력/∂ㅌ = 2" in proc.stdout
    texts = [(t.text or "").strip("\u200b ") for t in ET.fromstring(out.read_text(encoding="utf-8")).iter(SVG_TEXT)]
    assert "ㅌ" in texts  # the leaf is labelled as it was typed


def test_assigned_names_are_nfkc_normalised_and_a_repeat_in_another_form_is_caught():
    assert parse_assignments(["ㅌ=1", "ｘ=2"]) == {"ᄐ": 1.0, "x": 2.0}
    with pytest.raises(ExpressionError, match="x is given twice"):
        parse_assignments(["x=1", "ｘ=2"])
    with pytest.raises(ExpressionError, match="'tanh' is a function name"):
        parse_assignments(["ｔａｎｈ=1"])


def test_a_graph_too_complex_to_draw_exits_2_with_the_command_lines_own_option(tmp_path):
    expression = "+".join(["x"] * 80)  # x feeds every step: ~6000 long-edge nodes, refused before layout
    line = assert_one_line_error(run("graph", expression, "x=1", "-o", str(tmp_path / "g.svg")), code=2)
    assert "GraphTooComplexError" not in line and "take minutes" in line
    assert "on the command line: --repeat-shared-leaves" in line and "명령줄에서는 --repeat-shared-leaves" in line
    proc = run("graph", expression, "x=1", "-o", str(tmp_path / "g.svg"), "--repeat-shared-leaves")
    assert proc.returncode == 0, proc.stderr
    assert "= 80" in proc.stdout and (tmp_path / "g.svg").exists()


def test_a_missing_output_folder_is_refused_not_created(tmp_path):
    target = tmp_path / "missing" / "g.svg"
    line = assert_one_line_error(run("graph", "x*2", "x=1", "-o", str(target)))
    assert f"the folder {target.parent} does not exist" in line and "가 없습니다" in line
    assert not target.parent.exists()


def test_an_output_name_without_svg_suffix_is_refused(tmp_path):
    line = assert_one_line_error(run("graph", "x*2", "x=1", "-o", str(tmp_path / "graph")))
    assert "end the -o name with .svg" in line and "has no suffix" in line
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_exists_but_cannot_take_the_file_says_cannot_write():
    if not Path("/proc/self").is_dir():
        pytest.skip("no /proc here")
    line = assert_one_line_error(run("graph", "x*2", "x=1", "-o", "/proc/x.svg"))
    assert "/proc/x.svg: cannot write the file (" in line and "파일을 쓸 수 없습니다" in line
    assert "does not exist" not in line


@pytest.mark.parametrize(
    "args, korean",
    [
        (["experiment", "nope"], "이름: 'nope'은(는) 고를 수 있는 값이 아닙니다"),
        (["demo", "--seed", "abc"], "--seed: 'abc'은(는) 정수가 아닙니다"),
        (["graph"], "꼭 주어야 하는 인자가 빠졌습니다: 식"),
        (["demo", "--frob"], "알 수 없는 인자: --frob"),
        (["graph", "x", "x=1", "-o"], "-o/--output: 값이 하나 필요합니다"),
        (["graph", "x", "x=1", "--r", "TB"], "--r은(는) 여러 옵션과 맞습니다: --rankdir, --repeat-shared-leaves"),
    ],
)
def test_argparse_errors_have_a_korean_half_in_korean(args, korean):
    line = assert_one_line_error(run(*args))
    message = line.split("오류: ", 1)[1]
    korean_half, english_half = message.split(" / ", 1)
    assert korean_half.startswith(korean)
    for english in ("invalid", "required", "unrecognized", "expected", "argument"):
        assert english not in korean_half
    assert english_half.startswith(("argument", "the following", "unrecognized", "ambiguous"))
    assert not any("\uac00" <= ch <= "\ud7a3" for ch in english_half)  # 'EXPRESSION', not the Korean help's '식'


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_each_half_of_a_usage_error_names_the_argument_in_its_own_language(lang):
    line = assert_one_line_error(run("graph", "--lang", lang))
    assert "인자가 빠졌습니다: 식 / " in line and line.endswith("required: EXPRESSION (micrograd-ko --help)")


def test_an_expression_python_warns_about_is_still_one_line():
    """'1if' makes Python's parser print a SyntaxWarning on stderr before the error: a second line, not ours."""
    line = assert_one_line_error(run("graph", "1if1else2", "x=1"))
    assert "SyntaxWarning" not in line


def test_a_drawing_that_fails_to_render_is_one_line_without_the_class_name(capsys, monkeypatch, tmp_path):
    import micrograd_ko
    from micrograd_ko.viz import GraphRenderError

    def timed_out(*args, **kwargs):
        raise GraphRenderError("배치가 끝나지 않았습니다 / the layout did not finish")

    monkeypatch.setattr(micrograd_ko, "render_svg", timed_out)
    code, _, stderr = graph_in_process(capsys, "x*2", "x=1", "-o", str(tmp_path / "g.svg"))
    assert code == 1 and len(stderr.strip().splitlines()) == 1
    assert "GraphRenderError" not in stderr and "the layout did not finish" in stderr
    assert "on the command line: --rankdir TB, --repeat-shared-leaves, or a shorter expression" in stderr
    assert not (tmp_path / "g.svg").exists()


# -- argparse in Korean, words starting with '-', and the system's errors in both languages ----------


def test_an_expression_of_two_minuses_is_an_expression(tmp_path, capsys):
    code, stdout, stderr = graph_in_process(capsys, "--x", "x=2", "-o", str(tmp_path / "g.svg"))
    assert code == 0, stderr
    assert "--x = 2" in stdout and "∂출력/∂x = 1" in stdout


def test_every_korean_message_id_is_one_argparse_still_uses():
    import argparse
    import inspect

    from micrograd_ko import cli_messages, cli_parser

    own = inspect.getsource(cli_parser)  # the command line's own type checks use the same catalogue
    source = inspect.getsource(argparse)
    for message_id in cli_messages.KOREAN:
        assert repr(message_id) in source or f'gettext("{message_id}")' in own, message_id


# argparse's message ids this command line never shows: mistakes in building a parser, and what it does not use
# (FileType, mutually exclusive groups, nargs '+' or N, deprecated=, ArgumentDefaultsHelpFormatter, argparse's own
# exit, which `_Parser.error` replaces, the version help and subcommand title it gives its own words, a type
# function that raises ValueError: its own raise ArgumentTypeError).
NEVER_SHOWN = {
    "%r is not callable",
    "'required' is an invalid argument for positionals",
    ".__call__() not defined",
    "cannot have multiple subparser arguments",
    "cannot merge actions - two groups are named %r",
    "conflicting option string: %s",
    "conflicting option strings: %s",
    "conflicting subparser alias: %s",
    "conflicting subparser: %s",
    "dest= is required for options like %r",
    "invalid conflict_resolution value: %r",
    "invalid option string %(option)r: must start with a character %(prefix_chars)r",
    "mutually exclusive arguments must be optional",
    "not allowed with argument %s",
    "one of the arguments %s is required",
    "unexpected option string: %s",
    "unknown parser %(parser_name)r (choices: %(choices)s)",  # (the choice is refused first: 'invalid choice')
    "can't open '%(filename)s': %(error)s",
    'argument "-" with mode %r',
    "expected at most one argument",
    "expected at least one argument",
    "expected %s argument",
    "expected %s arguments",
    "invalid %(type)s value: %(value)r",
    "%(prog)s: error: %(message)s\n",
    # Python 3.13
    " (default: %(default)s)",
    "%(prog)s: warning: %(message)s\n",
    "argument '%(argument_name)s' is deprecated",
    "command '%(parser_name)s' is deprecated",
    "option '%(option)s' is deprecated",
    "show program's version number and exit",
    "subcommands",
}
SHOWN_AS_IS = {"%(heading)s:"}  # Python 3.13's "옵션:": the heading is the catalogue's, the colon reads in Korean


def test_every_message_id_argparse_can_show_has_a_korean_wording():
    """Each message id in this Python's argparse is translated, or listed above as one this line never shows.

    Python 3.11.7, 3.12.1 and 3.13.0 pass; a later Python's new wording
    (3.14's "invalid choice: ..., maybe you meant ...?") fails here, not in a
    learner's terminal as English in the Korean half.
    """
    import argparse
    import ast
    import inspect

    from micrograd_ko.cli_messages import KOREAN

    ids = set()
    for node in ast.walk(ast.parse(inspect.getsource(argparse))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "ngettext"):
            ids |= {arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)}
    assert len(ids) > 30  # the walk found argparse's messages
    assert ids - KOREAN.keys() - NEVER_SHOWN - SHOWN_AS_IS == set()


def test_korean_help_has_no_english_left_from_argparse():
    for args in (["--help"], ["graph", "--help"], ["demo", "-h"]):
        proc = run(*args)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith("사용법: micrograd-ko")
        for english in ("usage:", "show this help", "positional arguments", "options:"):
            assert english not in proc.stdout, (args, english)


def test_a_flag_given_a_value_is_named_in_both_languages():
    line = assert_one_line_error(run("demo", "--quick=1"))
    assert (
        "--quick: 값을 받지 않는 옵션에 값 '1'이(가) 주어졌습니다" in line and "ignored explicit argument '1'" in line
    )


def test_a_300_character_output_name_is_one_bilingual_line(tmp_path):
    line = assert_one_line_error(run("graph", "x*2", "x=1", "-o", str(tmp_path / ("a" * 300 + ".svg"))))
    assert "파일 이름이 너무 깁니다" in line and "the file name is too long" in line and "Errno" not in line


def test_a_closed_pipe_is_one_bilingual_line(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "micrograd_ko", "graph", "x*2", "x=1", "-o", str(tmp_path / "g.svg")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    proc.stdout.close()  # as `| head -0` does: nobody reads what the command prints
    stderr = proc.stderr.read()
    assert proc.wait(timeout=300) == 1, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert (
        "받는 쪽이 파이프를 닫았습니다" in lines[0]
        and "the reader closed the pipe" in lines[0]
        and "Errno" not in stderr
    )
    assert (tmp_path / "g.svg").exists()  # the drawing was written before the summary lines


def test_a_full_disk_under_standard_output_is_one_bilingual_line(tmp_path):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "micrograd_ko", "experiment"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
            check=False,
        )
    line = assert_one_line_error(proc, code=1)
    assert "디스크에 남은 공간이 없습니다" in line and "no space left on the disk" in line and "Errno" not in line


def test_an_engine_error_in_backward_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    from micrograd_ko import Value

    def refuses(self):
        raise OverflowError("x/y: 기울기가 float 범위를 넘습니다 / the gradient is too large for a float")

    monkeypatch.setattr(Value, "backward", refuses)
    code, _, stderr = graph_in_process(capsys, "x/y", "x=0", "y=1", "-o", str(tmp_path / "g.svg"))
    assert code == 2 and stderr.strip().splitlines() == [
        "micrograd-ko: 오류: x/y: 기울기가 float 범위를 넘습니다 / the gradient is too large for a float"
    ]
    assert not (tmp_path / "g.svg").exists()


def test_an_infinite_derivative_of_a_division_exits_non_zero(tmp_path):
    # issue 15 item 3: d(x/y)/dx = 1/y overflows for y = 1e-320; the engine refuses, the command line says so
    proc = run("graph", "x/y", "x=0", "y=1e-320", "-o", str(tmp_path / "g.svg"))
    assert " / " in assert_one_line_error(proc)  # the engine's message, in both languages
    assert "inf" not in proc.stdout and not (tmp_path / "g.svg").exists()


def test_a_gradient_beyond_the_float_range_in_backward_exits_2_with_the_engines_line(tmp_path, capsys):
    # forward is finite (x*w = 1, then 1e300); d/dx = w*w = 1e600 overflows inside backward
    code, stdout, stderr = graph_in_process(capsys, "x*w*w", "x=1e-300", "w=1e300", "-o", str(tmp_path / "g.svg"))
    assert code == 2 and stdout == ""
    assert len(stderr.strip().splitlines()) == 1 and "backward: the gradient of node 'x'" in stderr
    assert "Traceback" not in stderr and not (tmp_path / "g.svg").exists()


def test_an_argument_error_is_worded_by_the_catalogue():
    # argparse builds "argument X: ..." through gettext, which the CLI points at its own catalogue
    import argparse

    from micrograd_ko.cli_messages import argparse_language

    action = argparse.ArgumentParser().add_argument("--seed")
    with argparse_language("ko"):
        assert str(argparse.ArgumentError(action, "값이 하나 필요합니다")) == "--seed: 값이 하나 필요합니다"
    with argparse_language("en"):
        assert str(argparse.ArgumentError(action, "expected one argument")) == "argument --seed: expected one argument"
    assert str(argparse.ArgumentError(None, "unrecognized arguments: --frob")) == "unrecognized arguments: --frob"


# -- maths signs, parse errors in Korean, --version, output folders ------------------------------


@pytest.mark.parametrize(
    ("typed", "python"),
    [("x·w", "x*w"), ("x × w", "x*w"), ("x⋅w + 1", "x*w + 1"), ("w·(1 − x)", "w*(1 - x)"), ("x ÷ w", "x/w")],
)
def test_maths_signs_are_read_as_pythons_operators(typed, python):
    values = {"x": 0.5, "w": -2.0}
    out, leaves = build_expression(typed, values)
    expected, expected_leaves = build_expression(python, values)
    out.backward()
    expected.backward()
    assert out.data == expected.data and out._op == expected._op
    assert {n: v.grad for n, v in leaves.items()} == {n: v.grad for n, v in expected_leaves.items()}


def test_graph_of_x_middle_dot_w_multiplies(tmp_path, capsys):
    code, stdout, stderr = graph_in_process(capsys, "x·w", "x=3", "w=2", "-o", str(tmp_path / "g.svg"))
    assert code == 0, stderr
    assert "x·w = 6" in stdout and "∂출력/∂x = 2" in stdout and "∂출력/∂w = 3" in stdout


@pytest.mark.parametrize(
    ("text", "korean", "english"),
    [
        ("x ⊗ w", "3번째 글자 '⊗'에서 쓸 수 없는 글자 '⊗' (U+2297)", "at character 3 ('⊗'): invalid character"),
        ("한글 ⊗ w", "4번째 글자 '⊗'에서", "at character 4 ('⊗')"),
        ("tanh(x", "5번째 글자 '('에서 '('이(가) 닫히지 않았습니다", "'(' was never closed"),
        ("x +", "식의 끝에서 문법에 맞지 않습니다", "at the end: invalid syntax"),
        ("x 2", "3번째 글자 '2'에서 문법에 맞지 않습니다", "at character 3 ('2')"),
        ("(x]", "닫는 괄호 ']'이(가) 여는 괄호 '('와(과) 맞지 않습니다", "does not match"),
        ("1a * x", "숫자를 잘못 썼습니다", "invalid decimal literal"),
        ("   ", "식이 비어 있습니다", "the expression is empty"),
    ],
)
def test_a_parse_error_is_described_in_korean_with_its_place(text, korean, english):
    with pytest.raises(ExpressionError) as error:
        build_expression(text, {"x": 1.0, "w": 1.0})
    korean_half, english_half = str(error.value).split(" / ")
    assert korean in korean_half and english in english_half
    assert not any("a" <= ch <= "z" for ch in korean_half.replace(repr(text.strip()), "")), korean_half


def test_version_prints_the_package_version():
    from micrograd_ko import __version__

    proc = run("--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"micrograd-ko {__version__}"
    assert "--version" in run("--help").stdout


def test_demo_refuses_a_missing_parent_folder_as_graph_does(tmp_path, capsys):
    target = tmp_path / "a" / "b" / "c"
    code = main(["demo", "--quick", "--out", str(target)])
    stderr = capsys.readouterr().err
    assert code == 2 and len(stderr.strip().splitlines()) == 1
    assert f"the folder {target.parent} does not exist" in stderr and f"폴더 {target.parent}가 없습니다" in stderr
    assert not (tmp_path / "a").exists()
    code = main(["experiment", "linear", "--out", str(target)])
    assert code == 2 and not (tmp_path / "a").exists()


def test_the_output_folder_itself_is_made_inside_an_existing_one(tmp_path):
    from micrograd_ko.cli_paths import writable_dir

    assert writable_dir(str(tmp_path / "new")) == (tmp_path / "new").resolve()
    assert (tmp_path / "new").is_dir()
    assert writable_dir(str(tmp_path / "new")) == (tmp_path / "new").resolve()  # and an existing one is taken


def _help_columns(text):
    """(line, column where its help starts, width) for each row of the option, argument and command sections."""
    rows, in_section = [], False
    for line in text.splitlines():
        if not line.strip():
            in_section = False
        elif not line.startswith(" ") and line.rstrip().endswith(":"):
            in_section = True
        elif in_section:
            invocation = re.match(r"^( +)(\S.*?)(?: {2,}|$)", line)
            help_start = invocation.end() if invocation.end() < len(line) else None
            if invocation.group(2) and help_start is None and line.startswith(" " * 8):  # a wrapped help line
                help_start = len(line) - len(line.lstrip())
            if help_start is not None:
                rows.append((line, _width(line[:help_start]), _width(line)))
    return rows


@pytest.mark.parametrize("args", [["--help"], ["demo", "--help"], ["graph", "--help"], ["experiment", "--help"]])
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_help_lines_up_its_columns_on_a_terminal_where_korean_is_two_columns_wide(args, lang):
    """argparse pads by characters; a Hangul syllable takes two columns, so '--out 폴더' pushed its help two
    columns right of the others, and Korean help ran past the 80-column terminal it was wrapped for."""
    proc = subprocess.run(
        [sys.executable, "-m", "micrograd_ko", *args, "--lang", lang],
        check=False, capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "80"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = _help_columns(proc.stdout)
    assert len(rows) >= 3, proc.stdout
    assert len({column for _, column, _ in rows}) == 1, "\n".join(f"{column:>3} {line}" for line, column, _ in rows)
    assert all(width <= 80 for _, _, width in rows), "\n".join(line for line, _, width in rows if width > 80)


@pytest.mark.parametrize("text, fixed", [("x^2", "x**2"), ("tanh(x*w + b)^2", "tanh(x*w + b)**2")])
def test_a_caret_for_a_power_is_answered_with_the_power_operator(text, fixed):
    """Many write x^2 for a square (in Python ^ is the bitwise XOR): the error says ** and shows the expression with it."""
    with pytest.raises(ExpressionError) as error:
        build_expression(text, {"x": 3.0, "w": 1.0, "b": 0.5})
    ko, en = str(error.value).split(" / ")
    assert "**" in ko and repr(fixed) in ko and repr(fixed) in en and "power" in en


@pytest.mark.parametrize("args", [["--help"], ["demo", "--help"], ["graph", "--help"], ["experiment", "--help"]])
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_wrapped_usage_line_goes_on_under_its_first_option_within_the_terminal(args, lang):
    """argparse indents a usage's wrapped lines by the characters of 'usage: micrograd-ko ...'; '사용법: ' is 5
    characters and 8 columns, so the Korean lines went on 3 columns left of the options they continue, and
    demo's first line ran to column 81."""
    proc = subprocess.run(
        [sys.executable, "-m", "micrograd_ko", *args, "--lang", lang],
        check=False, capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "80"},
    )  # fmt: skip
    first, *more = proc.stdout.split("\n\n", 1)[0].splitlines()
    assert more, proc.stdout  # (the usage wraps at 80 columns)
    assert {len(line) - len(line.lstrip()) for line in more} == {_width(first[: first.index(" [")]) + 1}
    assert max(map(_width, [first, *more])) <= 80


def test_a_nul_in_an_expression_is_named_where_it_is():
    """Python's parser refuses a NUL without a place ('source code string cannot contain null bytes'): the message
    said "at the end" and gave the Korean half no reason."""
    with pytest.raises(ExpressionError) as error:
        build_expression("x*\x002 + w", {"x": 1.0, "w": 2.0})
    ko, en = str(error.value).split(" / ")
    assert "3번째 글자" in ko and "U+0000" in ko and "character 3" in en and "U+0000" in en


@pytest.mark.parametrize(
    "args, option",
    [
        (["demo", "--quick", "--out", ""], "--out"),
        (["experiment", "linear", "--out", " "], "--out"),
        (["graph", "x", "x=1", "-o", ""], "-o"),
    ],
)
def test_an_empty_output_name_is_refused_not_read_as_the_current_folder(args, option, tmp_path, monkeypatch, capsys):
    """Path("") is '.': `--out ""` (or `--out $DIR` with DIR unset) wrote the report into the current folder,
    and `-o ""` was answered with '. has no suffix'."""
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    error = capsys.readouterr().err
    assert f"{option}에 준 이름이 비어 있습니다" in error and f"{option} is given an empty name" in error
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args, korean, english",
    [
        (
            ["ReLU(x)", "x=1"],
            "모르는 함수 'ReLU' (혹시 'relu'인가요?)",
            "unknown function 'ReLU' (did you mean 'relu'?)",
        ),
        (["tanh(x)", "X=1"], "'x'의 값이 없습니다 (주어진 것은 'X'입니다", "no value for 'x' (the values name 'X'"),
        (["x_1 * 2", "x1=1"], "(주어진 것은 'x1'입니다", "(the values name 'x1'"),
    ],
)
def test_a_function_or_name_spelled_another_way_is_pointed_at(args, korean, english, tmp_path, capsys):
    """ReLU as PyTorch spells it, X=1 for x: the line says which name was meant, not only the list."""
    code, _, stderr = graph_in_process(capsys, *args, "-o", str(tmp_path / "g.svg"))
    assert code == 2 and korean in stderr and english in stderr
    assert not (tmp_path / "g.svg").exists()
