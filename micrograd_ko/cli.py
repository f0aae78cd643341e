"""The `micrograd-ko` command (also `python -m micrograd_ko`).

    micrograd-ko demo                      experiments 1-4, a summary table, an HTML report
    micrograd-ko graph "tanh(x*w + b)" x=1.0 w=-2 b=0.5 -o graph.svg
    micrograd-ko graph "-x*w" x=1 w=2      (an expression may start with '-')
    micrograd-ko experiment NAME           one experiment at full size

Help and messages are Korean; `--lang en` switches to English. Every error
is one line on stderr and a non-zero exit code (2 for a usage mistake, 1 for
a failure), never a traceback; MICROGRAD_KO_DEBUG=1 shows the traceback of a failure.
"""

from __future__ import annotations

import argparse
import inspect
import os
import re
import stat
import sys
import time
import unicodedata
from pathlib import Path

from . import i18n
from .expression import FUNCTIONS, ExpressionError, build_expression, parse_assignments
from .files import write_file
from .i18n import bilingual, tr
from .viz.options import RANKDIRS

PROG = "micrograd-ko"
DEFAULT_REPORT_DIR = "micrograd_ko_report"


class UsageError(Exception):
    """A mistake in what the user typed: reported as one line, exit code 2."""


class CommandFailure(Exception):
    """A command that could not finish, with a message for the user: one line, exit code 1."""


# --------------------------------------------------------------------------
# `graph`: an expression (built safely by `micrograd_ko.expression`), drawn after backward
# --------------------------------------------------------------------------


def command_graph(args):
    from . import render_svg
    from .viz import GraphRenderError, GraphTooComplexError

    lang = args.lang
    path = _svg_file(args.output)
    try:
        output, leaves = build_expression(args.expression, parse_assignments(args.values))
    except ExpressionError as error:
        raise UsageError(str(error)) from None
    output.label = output.label or tr("출력", "out", lang)
    output.backward()
    try:
        svg = render_svg(output, lang=lang, rankdir=args.rankdir, repeat_shared_leaves=args.repeat_shared_leaves)
    except GraphTooComplexError as error:  # the input cannot be drawn: a usage matter, exit 2
        repeat = [] if args.repeat_shared_leaves else ["--repeat-shared-leaves"]
        raise UsageError(f"{error}{_drawing_hint(repeat)}") from None
    except GraphRenderError as error:  # e.g. the layout ran out of time: a failure, exit 1
        flags = [] if args.rankdir == "TB" else ["--rankdir TB"]
        flags += [] if args.repeat_shared_leaves else ["--repeat-shared-leaves"]
        raise CommandFailure(f"{error}{_drawing_hint(flags)}") from None
    write_file(path, svg)
    print(f"{args.expression.strip()} = {output.data:.6g}")
    for leaf in leaves.values():
        print(f"  ∂{tr('출력', 'out', lang)}/∂{leaf.label} = {leaf.grad:.6g}")
    print(tr(f"계산 그래프를 저장했습니다: {path}", f"computation graph written to {path}", lang))
    return 0


def _drawing_hint(flags):
    """The command line's own way out of a refused drawing (the library's message names Python keywords)."""
    shown = ", ".join(flags)
    ko = f"{shown} 또는 더 짧은 식을 쓰세요" if flags else "더 짧은 식을 쓰세요"
    en = f"{shown}, or a shorter expression" if flags else "a shorter expression"
    return " — " + bilingual(f"명령줄에서는 {ko} (group='layer'는 파이썬에서 MLP를 그릴 때 씁니다)",
                             f"on the command line: {en} (group='layer' is for an MLP, in Python)")


def _svg_file(path):
    """`path` if it can take the SVG we write, checked before any work.

    The name must end in .svg: .png or .pdf would get SVG inside, and a name
    without a suffix is refused the same way (`save_graph` needs the suffix
    too). A device or pipe that exists, such as /dev/stdout, is taken as is.
    """
    path = Path(path).expanduser()
    suffix = path.suffix
    if suffix.lower() != ".svg" and not _is_device(path):
        found_ko = f"{path}의 확장자는 {suffix}" if suffix else f"{path}에는 확장자가 없습니다"
        found_en = f"{path} ends with {suffix}" if suffix else f"{path} has no suffix"
        raise UsageError(bilingual(
            f"graph는 SVG만 씁니다: -o 이름을 .svg로 끝내세요 ({found_ko}). "
            "SVG는 브라우저나 Inkscape로 열 수 있고, PNG가 필요하면 Inkscape에서 내보내기 하세요",
            f"graph writes SVG only: end the -o name with .svg ({found_en}); "
            "an SVG opens in any browser or Inkscape; for a PNG, export it from Inkscape"))
    return _writable_file(path)


def _is_device(path):
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def _writable_file(path):
    """`path` if a file can be written there, else a UsageError saying why.

    A missing folder is refused, not created (as `save_graph` refuses it), and
    a folder that exists but cannot take the file is reported with the
    system's reason, found by opening the file for appending (nothing is
    written; a file made by the probe is removed).
    """
    path = Path(path).resolve()
    if path.parent.exists() and not path.parent.is_dir():
        raise UsageError(bilingual(f"{path}: {path.parent}는 폴더가 아니라 파일입니다",
                                   f"{path}: {path.parent} is a file, not a folder"))
    if not path.parent.is_dir():
        raise UsageError(bilingual(f"{path}: 폴더 {path.parent}가 없습니다", f"{path}: the folder {path.parent} does not exist"))
    if path.is_dir():
        raise UsageError(bilingual(f"출력 파일 자리에 폴더가 있습니다: {path}", f"the output file is a folder: {path}"))
    existed = path.exists()
    try:
        with open(path, "ab"):
            pass
    except OSError as error:
        reason = error.strerror or str(error)
        raise UsageError(bilingual(f"{path}: 파일을 쓸 수 없습니다 ({reason})", f"{path}: cannot write the file ({reason})")) from None
    if not existed:
        path.unlink()
    return path


# --------------------------------------------------------------------------
# `demo` and `experiment`
# --------------------------------------------------------------------------


def command_demo(args):
    from . import report
    from .experiments import demo_suite

    lang = args.lang
    out_dir = _writable_dir(args.out)
    started = time.perf_counter()
    results = demo_suite(seed=args.seed, quick=args.quick, lang=lang, progress=True, jobs=args.jobs)
    print()
    print(format_summary(results, lang))
    path = report.write_report(results, out_dir, lang=lang, graph_svg=report.small_network_graph(lang),
                               title=tr("micrograd_ko 데모 보고서", "micrograd_ko demo report", lang))
    seconds = time.perf_counter() - started
    print()
    print(tr(f"보고서를 저장했습니다 ({seconds:.0f}초): {path}", f"report written ({seconds:.0f} s): {path}", lang))
    return 0


def command_experiment(args):
    from . import report
    from .experiments import EXPERIMENTS, describe

    lang = args.lang
    if args.name is None:
        print(tr("실험 목록 (micrograd-ko experiment 이름):", "experiments (micrograd-ko experiment NAME):", lang))
        for name in EXPERIMENTS:
            print(f"  {name:<10} {describe(name, lang)}")
        return 0
    out_dir = _writable_dir(args.out)
    function = EXPERIMENTS[args.name]
    options = {"lang": lang, "progress": True, "jobs": args.jobs}
    parameters = inspect.signature(function).parameters
    if "seeds" in parameters:
        count = args.seeds if args.seeds is not None else parameters["seeds"].default
        options["seeds"] = range(args.seed, args.seed + count)
    elif args.seeds is not None:
        raise UsageError(bilingual(f"{args.name} 실험은 시드 하나로 돕니다: --seed를 쓰세요",
                               f"the {args.name} experiment runs one seed: use --seed"))
    else:
        options["seed"] = args.seed
    result = function(**options)
    print()
    print(format_summary([result], lang))
    path = report.write_report([result], out_dir, lang=lang, filename=f"{args.name}.html",
                               title=tr(f"micrograd_ko 실험 보고서: {args.name}", f"micrograd_ko experiment report: {args.name}", lang))
    print()
    print(tr(f"보고서를 저장했습니다 ({result.seconds:.0f}초): {path}",
             f"report written ({result.seconds:.0f} s): {path}", lang))
    return 0


def format_summary(results, lang=None):
    """The claims of every result as a plain-text table (Korean-width aware)."""
    header = [tr("실험", "experiment", lang), tr("주장", "claim", lang), tr("측정", "measured", lang),
              tr("기준", "expected", lang), tr("결과", "verdict", lang)]
    rows = []
    for result in results:
        for claim in result.claims:
            verdict = (tr("측정", "measured", lang) if claim.holds is None
                       else tr("확인", "holds", lang) if claim.holds else tr("아님", "fails", lang))
            rows.append([result.name, claim.statement, claim.measured, claim.expected, verdict])
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [_row(header, widths), "  ".join("-" * w for w in widths)]
    lines += [_row(row, widths) for row in rows]
    return "\n".join(lines)


def _width(text):
    """Columns taken by `text` in a terminal: Korean characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def _row(cells, widths):
    return "  ".join(str(cell) + " " * (width - _width(cell)) for cell, width in zip(cells, widths)).rstrip()


def _writable_dir(path):
    path = Path(path).expanduser().resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(bilingual(f"출력 폴더를 만들 수 없습니다: {path} ({error.strerror})",
                            f"cannot create the output folder {path} ({error.strerror})")) from None
    if not os.access(path, os.W_OK):
        raise UsageError(bilingual(f"출력 폴더에 쓸 수 없습니다: {path}", f"the output folder is not writable: {path}"))
    return path


# --------------------------------------------------------------------------
# Argument parsing, in the user's language
# --------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage mistake as one line, in both languages, instead of usage + message.

    It also remembers which of its options take a value (`takes_value`), so
    that `positionals_last` can tell an option from an argument that merely
    starts with '-' (an expression such as "-x*w").
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.takes_value = {}

    def add_argument(self, *args, **kwargs):
        action = super().add_argument(*args, **kwargs)
        for option in action.option_strings:
            self.takes_value[option] = action.nargs != 0
        return action

    def error(self, message):
        raise UsageError(_argparse_message(message) + f" ({PROG} --help)")

    def positionals_last(self, args):
        """`args` with the options first, then '--', then every other argument in its order.

        argparse takes any argument starting with '-' for an option, so the
        expression "-x*w" would be refused. Here only this parser's own options
        are options: a long one ('--output', or a unique abbreviation, with '='
        or a following value), or exactly '-h' or '-o' (followed by its value).
        Anything else is an argument, even after a '--' typed by the user
        (which is dropped, so `-o` after it still names the output file).
        """
        options, positionals = [], []
        i = 0
        while i < len(args):
            arg = args[i]
            option = self._own_option(arg)
            if arg == "--":
                pass
            elif option is None:
                positionals.append(arg)
            else:
                options.append(arg)
                if self.takes_value.get(option) and "=" not in arg and i + 1 < len(args):
                    options.append(args[i + 1])
                    i += 1
            i += 1
        return options + ["--"] + positionals

    def _own_option(self, arg):
        """The option `arg` names ('--out=g.svg' -> '--output'), or None if it is an argument.

        Any '--name' is an option (argparse reports an unknown one); a single
        '-' starts an option only as exactly '-h' or '-o'.
        """
        if arg in self.takes_value:
            return arg
        if not arg.startswith("--") or arg == "--":
            return None
        name = arg.split("=", 1)[0]
        matches = [option for option in self.takes_value if option.startswith("--") and option.startswith(name)]
        return matches[0] if len(matches) == 1 else name


# argparse's own messages as Python words them, each with its Korean, so that the Korean half of an
# error is Korean; a message worded otherwise (another Python version) gets a general Korean line.
_ARGPARSE_MESSAGES = [
    (r"argument (?P<arg>[^:]+): invalid choice: (?P<value>'.*?') \(choose from (?P<choices>.*)\)",
     "{arg}: {value}은(는) 고를 수 있는 값이 아닙니다 (가능한 값: {choices})"),
    (r"argument (?P<arg>[^:]+): invalid (?P<type>int|float) value: (?P<value>'.*')",
     "{arg}: {value}은(는) {type_ko}가 아닙니다"),
    (r"argument (?P<arg>[^:]+): expected one argument", "{arg}: 값이 하나 필요합니다"),
    (r"the following arguments are required: (?P<args>.*)", "꼭 주어야 하는 인자가 빠졌습니다: {args}"),
    (r"unrecognized arguments: (?P<args>.*)", "알 수 없는 인자: {args}"),
    (r"ambiguous option: (?P<option>\S+) could match (?P<matches>.*)", "{option}은(는) 여러 옵션과 맞습니다: {matches}"),
]
_TYPE_NAMES_KO = {"int": "정수", "float": "실수"}


def _argparse_message(message):
    """argparse's English `message` as 'Korean / English' (an unknown message keeps a general Korean line)."""
    already = re.fullmatch(r"argument (?P<arg>[^:]+): (?P<text>.* / .*)", message)
    if already:  # our own type checks (e.g. --jobs) are bilingual already
        return f"{already['arg']}: {already['text']}"
    for pattern, korean in _ARGPARSE_MESSAGES:
        match = re.fullmatch(pattern, message)
        if match:
            fields = match.groupdict()
            fields["type_ko"] = _TYPE_NAMES_KO.get(fields.get("type"), "")
            return bilingual(korean.format(**fields), message)
    return bilingual("명령줄을 이해할 수 없습니다", f"bad command line: {message}")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    lang = None

    def add_usage(self, usage, actions, groups, prefix=None):
        if prefix is None:  # argparse passes '' when it builds a sub-command's name
            prefix = tr("사용법: ", "usage: ", self.lang)
        return super().add_usage(usage, actions, groups, prefix)


def build_parser(lang=None):
    from .experiments import EXPERIMENTS, describe

    formatter = type("Formatter", (_Formatter,), {"lang": lang})

    def parser(**kwargs):
        return dict(formatter_class=formatter, add_help=False, **kwargs)

    def add_common(p):
        p.add_argument("-h", "--help", action="help", help=tr("이 도움말을 보이고 끝냅니다", "show this help and exit", lang))
        p.add_argument("--lang", choices=i18n.LANGUAGES, default=lang or "ko",
                       help=tr("출력 언어 (기본: ko)", "output language (default: ko)", lang))

    main = _Parser(prog=PROG, **parser(description=tr(
        "역전파를 눈으로 보는 스칼라 자동미분 엔진 micrograd_ko.\n처음이라면: micrograd-ko demo",
        "micrograd_ko, a scalar autodiff engine for seeing backpropagation.\nStart with: micrograd-ko demo", lang)))
    main._positionals.title = tr("명령", "commands", lang)
    main._optionals.title = tr("옵션", "options", lang)
    add_common(main)
    commands = main.add_subparsers(dest="command", metavar="{demo,graph,experiment}", parser_class=_Parser)

    demo = commands.add_parser("demo", **parser(
        help=tr("실험 1-4를 돌리고 HTML 보고서를 만듭니다 (약 1분)", "run experiments 1-4 and write an HTML report (about a minute)", lang),
        description=tr(
            "기울기 소실, 깊은 시그모이드 신경망과 XOR, 0 초깃값, 선형 활성화 실험을 돌려 요약 표를 보이고,\n"
            f"그림이 든 HTML 보고서를 ./{DEFAULT_REPORT_DIR}/index.html에 씁니다.",
            "Runs the vanishing-gradient, deep sigmoid XOR, zero-initialization and linear-activation\n"
            f"experiments, prints a summary and writes an HTML report to ./{DEFAULT_REPORT_DIR}/index.html.", lang)))
    demo._optionals.title = tr("옵션", "options", lang)
    add_common(demo)
    demo.add_argument("--out", default=DEFAULT_REPORT_DIR, metavar=tr("폴더", "DIR", lang),
                      help=tr(f"보고서를 쓸 폴더 (기본: {DEFAULT_REPORT_DIR})", f"report folder (default: {DEFAULT_REPORT_DIR})", lang))
    demo.add_argument("--seed", type=int, default=0, metavar="N",
                      help=tr("첫 시드; 시드 N, N+1, ... 을 씁니다 (기본: 0)", "first seed; uses seeds N, N+1, ... (default: 0)", lang))
    demo.add_argument("--quick", action="store_true",
                      help=tr("더 작게, 몇 초 만에 (시드와 학습 단계를 줄임)", "smaller, in seconds (fewer seeds and steps)", lang))
    add_jobs(demo, lang)
    demo.set_defaults(run=command_demo)

    graph = commands.add_parser("graph", **parser(
        help=tr("식의 계산 그래프를 역전파 후 SVG로 그립니다", "draw an expression's computation graph after backward, as SVG", lang),
        description=tr(
            f'예: {PROG} graph "tanh(x*w + b)" x=1.0 w=-2 b=0.5 -o graph.svg\n'
            f"쓸 수 있는 것: 숫자, 변수, + - * / **, 함수 {', '.join(FUNCTIONS)}\n"
            f'식은 -로 시작해도 됩니다: {PROG} graph "-x*w" x=1 w=2',
            f'example: {PROG} graph "tanh(x*w + b)" x=1.0 w=-2 b=0.5 -o graph.svg\n'
            f"allowed: numbers, names, + - * / **, functions {', '.join(FUNCTIONS)}\n"
            f'an expression may start with -: {PROG} graph "-x*w" x=1 w=2', lang)))
    graph._positionals.title = tr("인자", "arguments", lang)
    graph._optionals.title = tr("옵션", "options", lang)
    add_common(graph)
    graph.add_argument("expression", metavar=tr("식", "EXPRESSION", lang), help=tr("예: \"tanh(x*w + b)\"", 'e.g. "tanh(x*w + b)"', lang))
    graph.add_argument("values", nargs="*", metavar=tr("이름=값", "NAME=VALUE", lang),
                       help=tr("변수의 값, 예: x=1.0 w=-2", "values of the names, e.g. x=1.0 w=-2", lang))
    graph.add_argument("-o", "--output", default="graph.svg", metavar=tr("파일", "FILE", lang),
                       help=tr("SVG 파일 (기본: graph.svg)", "SVG file (default: graph.svg)", lang))
    graph.add_argument("--rankdir", choices=RANKDIRS, default="LR",
                       help=tr("방향: LR 왼쪽→오른쪽 (기본), TB 위→아래, RL, BT",
                               "direction: LR left to right (default), TB top to bottom, RL, BT", lang))
    graph.add_argument("--repeat-shared-leaves", action="store_true",
                       help=tr("여러 번 쓰인 변수를 쓰일 때마다 따로 그립니다 (긴 간선이 없어 배치가 빨라집니다)",
                               "draw a name used many times once per use (no long edges, so the layout is fast)", lang))
    graph.set_defaults(run=command_graph)
    main.commands = {"graph": graph}  # for `positionals_last` (an expression may start with '-')

    experiment = commands.add_parser("experiment", **parser(
        help=tr("실험 하나를 전체 크기로 돌립니다 (이름 없이: 목록)", "run one experiment at full size (no name: list them)", lang),
        description="\n".join(f"  {name:<12} {describe(name, lang)}" for name in EXPERIMENTS)))
    experiment._positionals.title = tr("인자", "arguments", lang)
    experiment._optionals.title = tr("옵션", "options", lang)
    add_common(experiment)
    experiment.add_argument("name", nargs="?", choices=list(EXPERIMENTS), metavar=tr("이름", "NAME", lang),
                            help=tr("실험 이름 (위 목록)", "experiment name (listed above)", lang))
    experiment.add_argument("--seeds", type=int, metavar="K",
                            help=tr("시드 개수 (기본: 실험마다 전체 크기)", "number of seeds (default: the full size)", lang))
    experiment.add_argument("--seed", type=int, default=0, metavar="N", help=tr("첫 시드 (기본: 0)", "first seed (default: 0)", lang))
    experiment.add_argument("--out", default=DEFAULT_REPORT_DIR, metavar=tr("폴더", "DIR", lang),
                            help=tr(f"보고서를 쓸 폴더 (기본: {DEFAULT_REPORT_DIR})", f"report folder (default: {DEFAULT_REPORT_DIR})", lang))
    add_jobs(experiment, lang)
    experiment.set_defaults(run=command_experiment)
    return main


def add_jobs(parser, lang):
    parser.add_argument("--jobs", type=_positive_int, default=None, metavar="J",
                        help=tr("동시에 쓸 프로세스 수 (기본: CPU 코어 수)", "worker processes (default: number of cores)", lang))


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(bilingual(f"양의 정수가 필요합니다: {text!r}", f"expected a positive integer, got {text!r}"))
    return value


def _language_from(argv):
    """The --lang given anywhere on the line, so that even --help speaks it."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1] if argv[i + 1] in i18n.LANGUAGES else None
        if arg.startswith("--lang="):
            value = arg.split("=", 1)[1]
            return value if value in i18n.LANGUAGES else None
    return None


COMMANDS = ("demo", "graph", "experiment")


def main(argv=None):
    """Run the command line; returns the exit code (0 ok, 2 usage error, 1 failure)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    lang = _language_from(argv) or "ko"
    try:
        words = [a for i, a in enumerate(argv) if not a.startswith("-") and (i == 0 or argv[i - 1] != "--lang")]
        given = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--lang"]
        given += [a.split("=", 1)[1] for a in argv if a.startswith("--lang=")]
        for value in given:
            try:
                i18n.check_language(value)
            except ValueError as error:
                raise UsageError(f"--lang: {error}") from None
        command = words[0] if words else None
        if command is not None and command not in COMMANDS:
            raise UsageError(bilingual(f"모르는 명령 {command!r}: {', '.join(COMMANDS)} 중 하나를 쓰세요",
                                   f"unknown command {command!r}: use one of {', '.join(COMMANDS)}"))
        parser = build_parser(lang)
        if command == "graph":
            at = argv.index("graph")
            argv = argv[:at + 1] + parser.commands["graph"].positionals_last(argv[at + 1:])
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        with i18n.language(args.lang):
            return args.run(args)
    except UsageError as error:
        print(f"{PROG}: {tr('오류', 'error', lang)}: {error}", file=sys.stderr)
        return 2
    except CommandFailure as error:
        print(f"{PROG}: {tr('오류', 'error', lang)}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: {tr('중단했습니다', 'interrupted', lang)}", file=sys.stderr)
        return 130
    except OSError as error:  # a file we could not write: `write_file`'s message names it in both languages
        if os.environ.get("MICROGRAD_KO_DEBUG"):
            raise
        print(f"{PROG}: {tr('오류', 'error', lang)}: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # one clear line, not a traceback; MICROGRAD_KO_DEBUG=1 shows it
        if os.environ.get("MICROGRAD_KO_DEBUG"):
            raise
        first_line = (str(error).strip().splitlines() or [""])[0]
        print(f"{PROG}: {tr('오류', 'error', lang)}: {type(error).__name__}: {first_line}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
