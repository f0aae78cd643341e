"""The grammar of `micrograd-ko`: its commands, options and help, as argparse parsers.

Help is written in pairs (`tr(korean, english, lang)`) where it is used; argparse's
own words (usage line, headings, errors) come from `cli_messages`' catalogue.
Two things argparse does not do by itself are asked of it here: a command's
options and arguments may come in any order (`_CommandParser`), and a `graph`
expression may start with '-' ("-x*w", "--x") without being taken for an option.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from typing import Any

from . import __version__, i18n
from .cli_commands import DEFAULT_REPORT_DIR, _width, command_demo, command_experiment, command_graph
from .cli_messages import gettext
from .expression import FUNCTIONS
from .i18n import tr
from .viz.options import RANKDIRS

PROG = "micrograd-ko"


class ReadError(Exception):
    """argparse's message for a command line it cannot read (raised instead of printing usage and exiting)."""


class _Parser(argparse.ArgumentParser):
    """argparse that hands a mistake back (a ReadError, or the ArgumentError naming the argument) instead of exiting."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["exit_on_error"] = False
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> Any:
        raise ReadError(message)


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """argparse's help, its columns counted as a terminal shows them: a Korean character takes two.

    argparse pads and wraps by characters, so '--out 폴더' pushed its help two
    columns right of the others and Korean help ran past the terminal's width.
    """

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        if action.help is not argparse.SUPPRESS:  # the help column must clear the widest invocation as shown
            invocations = [self._format_action_invocation(action)]
            invocations += [self._format_action_invocation(sub) for sub in self._iter_indented_subactions(action)]
            plain = getattr(self, "_decolor", str)  # Python 3.14 colours a terminal's help: count the text only
            widest = max(_width(plain(text)) for text in invocations) + self._current_indent
            self._action_max_length = max(self._action_max_length, widest)

    def _format_usage(self, usage: Any, actions: Any, groups: Any, prefix: Any) -> str:
        if usage is not None:  # given whole: as it was first made (a command's parser keeps that one)
            return super()._format_usage(usage, actions, groups, prefix)
        shown = gettext("usage: ") if prefix is None else prefix
        extra = _width(shown) - len(shown)  # '사용법: ' is 5 characters and 8 columns: wrapped lines move right
        width = self._width
        try:
            while True:  # wrapped narrower while a line runs past the terminal (Korean words count two columns)
                first, *rest = super()._format_usage(usage, actions, groups, prefix).split("\n")
                lines = [first, *(" " * extra + line if line.strip() else line for line in rest)]
                over = max(map(_width, lines)) - width
                if over <= 0 or self._width <= width // 2:
                    return "\n".join(lines)
                self._width -= over
        finally:
            self._width = width

    def _format_action(self, action: argparse.Action) -> str:
        text = super()._format_action(action)
        lead = " " * self._current_indent + self._format_action_invocation(action)
        extra = _width(lead) - len(lead)  # columns argparse did not count
        if not (extra and action.help and text.startswith(lead + "  ")):  # not help on the invocation's line
            return text
        first, _, rest = text.partition("\n")
        help_first = first[len(lead) :].lstrip(" ")
        gap = len(first) - len(lead) - len(help_first)
        if gap - extra >= 2:
            return lead + " " * (gap - extra) + help_first + "\n" + rest
        help_position = min(self._action_max_length + 2, self._max_help_position)  # as argparse places it
        return lead + "\n" + " " * help_position + help_first + "\n" + rest

    def _split_lines(self, text: str, width: int) -> list[str]:
        lines: list[str] = []
        for word in self._whitespace_matcher.sub(" ", text).strip().split(" "):
            if lines and _width(lines[-1]) + 1 + _width(word) <= width:
                lines[-1] += " " + word
            else:
                lines.append(word)
        return lines


class _CommandParser(_Parser):
    """A command's parser: options and arguments in any order (argparse's intermixed parsing).

    argparse hands a sub-command its words through `parse_known_args`, which
    takes the arguments before the first option as all there are; here it
    reads intermixed instead, so `graph "-x*w" -o g.svg x=1 w=2` works. The
    usage line is fixed first: intermixed parsing makes one by cutting the 7
    characters of 'usage: ' off, and ours may start with '사용법: '.
    """

    _intermixing = False

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        if self._intermixing:  # intermixed parsing reads in two passes, each through this method
            return super().parse_known_args(args, namespace)
        self.usage = self.usage or self.format_usage().split(": ", 1)[1].strip().replace("%", "%%")
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(gettext("%r is not an integer") % text) from None


def _positive_integer(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(gettext("expected a positive integer, got %r") % text)
    return value


def _name_value(word: str) -> str:
    """A NAME=VALUE word of `graph`; one starting with '-' is an option graph does not have (no name starts so)."""
    if word.startswith("-"):
        raise argparse.ArgumentError(None, gettext("unrecognized arguments: %s") % word)
    return word


def build_parser(lang: str = "ko") -> argparse.ArgumentParser:
    """The whole command line, its help in `lang`; build it inside `argparse_language(lang)` for argparse's own words."""
    from .experiments import EXPERIMENTS, describe

    formatter = _HelpFormatter
    lang_help = tr("출력 언어 (기본: ko)", "output language (default: ko)", lang)
    folder = tr("폴더", "DIR", lang)
    out_help = tr(
        f"보고서를 쓸 폴더 (기본: {DEFAULT_REPORT_DIR})", f"report folder (default: {DEFAULT_REPORT_DIR})", lang
    )
    jobs_help = tr("동시에 쓸 프로세스 수 (기본: CPU 코어 수)", "worker processes (default: number of cores)", lang)
    main = _Parser(prog=PROG, formatter_class=formatter, description=tr(
        "역전파를 눈으로 보는 스칼라 자동미분 엔진 micrograd_ko.\n처음이라면: micrograd-ko demo",
        "micrograd_ko, a scalar autodiff engine for seeing backpropagation.\nStart with: micrograd-ko demo", lang))  # fmt: skip
    main.add_argument("--lang", choices=i18n.LANGUAGES, default=lang, help=lang_help)
    version_help = tr("버전을 보이고 끝냅니다", "show the version and exit", lang)
    main.add_argument("--version", action="version", version=f"{PROG} {__version__}", help=version_help)
    title = tr("명령", "commands", lang)
    commands = main.add_subparsers(
        title=title, dest="command", metavar="{demo,graph,experiment}", parser_class=_CommandParser
    )

    def command(name: str, summary: str, description: str) -> argparse.ArgumentParser:
        parser = commands.add_parser(name, help=summary, description=description, formatter_class=formatter)
        parser.add_argument("--lang", choices=i18n.LANGUAGES, default=lang, help=lang_help)
        return parser

    demo = command("demo", tr(
        "실험 1-4를 돌리고 HTML 보고서를 만듭니다", "run experiments 1-4 and write an HTML report", lang
    ), tr(
        "기울기 소실, 깊은 시그모이드 신경망과 XOR, 0 초깃값, 선형 활성화 실험을 돌려 요약 표를 보이고,\n"
        f"그림이 든 HTML 보고서를 ./{DEFAULT_REPORT_DIR}/index.html에 씁니다.",
        "Runs the vanishing-gradient, deep sigmoid XOR, zero-initialization and linear-activation\n"
        f"experiments, prints a summary and writes an HTML report to ./{DEFAULT_REPORT_DIR}/index.html.", lang))  # fmt: skip
    demo.add_argument("--out", default=DEFAULT_REPORT_DIR, metavar=folder, help=out_help)
    seed_help = tr(
        "첫 시드; 시드 N, N+1, ... 을 씁니다 (기본: 0)", "first seed; uses seeds N, N+1, ... (default: 0)", lang
    )
    demo.add_argument("--seed", type=_integer, default=0, metavar="N", help=seed_help)
    quick_help = tr(
        "더 작게, 몇 초 만에 (시드와 학습 단계를 줄임)", "smaller, in seconds (fewer seeds and steps)", lang
    )
    demo.add_argument("--quick", action="store_true", help=quick_help)
    demo.add_argument("--jobs", type=_positive_integer, metavar="J", help=jobs_help)
    demo.set_defaults(run=command_demo)

    graph = command("graph", tr(
        "식의 계산 그래프를 역전파 후 SVG로 그립니다", "draw an expression's computation graph after backward, as SVG", lang
    ), tr(
        f'예: {PROG} graph "tanh(x*w + b)" x=1.0 w=-2 b=0.5 -o graph.svg\n'
        f"쓸 수 있는 것: 숫자, 변수, + - * / ** (· ×는 *, ÷는 /, −는 -로 읽음), 함수 {', '.join(FUNCTIONS)}\n"
        f'식은 -로 시작해도 됩니다: {PROG} graph "-x*w" x=1 w=2',
        f'example: {PROG} graph "tanh(x*w + b)" x=1.0 w=-2 b=0.5 -o graph.svg\n'
        f"allowed: numbers, names, + - * / ** (· and × read as *, ÷ as /, − as -), functions {', '.join(FUNCTIONS)}\n"
        f'an expression may start with -: {PROG} graph "-x*w" x=1 w=2', lang))  # fmt: skip
    expression_help = tr('예: "tanh(x*w + b)"', 'e.g. "tanh(x*w + b)"', lang)
    graph.add_argument("expression", metavar=tr("식", "EXPRESSION", lang), help=expression_help)
    values_help = tr("변수의 값, 예: x=1.0 w=-2", "values of the names, e.g. x=1.0 w=-2", lang)
    graph.add_argument("values", nargs="*", default=[], type=_name_value, metavar=tr("이름=값", "NAME=VALUE", lang),
                       help=values_help)  # fmt: skip
    output_help = tr("SVG 파일 (기본: graph.svg)", "SVG file (default: graph.svg)", lang)
    graph.add_argument("-o", "--output", default="graph.svg", metavar=tr("파일", "FILE", lang), help=output_help)
    rankdir_help = tr("방향: LR 왼쪽→오른쪽 (기본), TB 위→아래, RL, BT",
                      "direction: LR left to right (default), TB top to bottom, RL, BT", lang)  # fmt: skip
    graph.add_argument("--rankdir", type=str.upper, choices=RANKDIRS, default="LR", help=rankdir_help)
    repeat_help = tr("여러 번 쓰인 변수를 쓰일 때마다 따로 그립니다 (긴 간선이 없어 배치가 빨라집니다)",
                     "draw a name used many times once per use (no long edges, so the layout is fast)", lang)  # fmt: skip
    graph.add_argument("--repeat-shared-leaves", action="store_true", help=repeat_help)
    # argparse reads a word starting with '-' as an argument when it is no option and looks like a negative
    # number; for graph every such word does ("-x*w", "--x"). Set after the options, which argparse checks against it.
    graph._negative_number_matcher = re.compile("-")
    graph.set_defaults(run=command_graph)

    experiment = command("experiment", tr(
        "실험 하나를 전체 크기로 돌립니다 (이름 없이: 목록)", "run one experiment at full size (no name: list them)", lang
    ), "\n".join(f"  {name:<12} {describe(name, lang)}" for name in EXPERIMENTS))  # fmt: skip
    name_help = tr("실험 이름 (위 목록)", "experiment name (listed above)", lang)
    experiment.add_argument(
        "name", nargs="?", choices=list(EXPERIMENTS), metavar=tr("이름", "NAME", lang), help=name_help
    )
    seeds_help = tr("시드 개수 (기본: 실험마다 전체 크기)", "number of seeds (default: the full size)", lang)
    experiment.add_argument("--seeds", type=_positive_integer, metavar="K", help=seeds_help)
    first_seed_help = tr("첫 시드 (기본: 0)", "first seed (default: 0)", lang)
    experiment.add_argument("--seed", type=_integer, default=0, metavar="N", help=first_seed_help)
    experiment.add_argument("--out", default=DEFAULT_REPORT_DIR, metavar=folder, help=out_help)
    experiment.add_argument("--jobs", type=_positive_integer, metavar="J", help=jobs_help)
    experiment.set_defaults(run=command_experiment)
    return main


def language_of(words: Sequence[str]) -> str:
    """The --lang given anywhere on the line, so that even --help speaks it (a wrong one is reported later)."""
    first = _Parser(add_help=False)
    first.add_argument("--lang", choices=i18n.LANGUAGES, default="ko")
    try:
        return str(first.parse_known_args(words)[0].lang)
    except (ReadError, argparse.ArgumentError):
        return "ko"
