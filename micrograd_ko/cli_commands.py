"""What the three commands of `micrograd-ko` do, once `cli` has read the command line into `args`."""

from __future__ import annotations

import argparse
import inspect
import time
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .cli_messages import CommandFailure, UsageError
from .cli_paths import svg_file, writable_dir
from .expression import ExpressionError, build_expression, parse_assignments
from .files import write_file
from .i18n import bilingual, tr

if TYPE_CHECKING:
    from .experiments import ExperimentResult

DEFAULT_REPORT_DIR = "micrograd_ko_report"


def command_graph(args: argparse.Namespace) -> int:
    """An expression (built safely by `micrograd_ko.expression`), drawn as SVG after backward."""
    from . import render_svg
    from .viz import GraphRenderError, GraphTooComplexError

    lang = args.lang
    path = svg_file(args.output)
    try:
        output, leaves = build_expression(args.expression, parse_assignments(args.values))
    except ExpressionError as error:
        raise UsageError(str(error)) from None
    output.label = output.label or tr("출력", "out", lang)
    try:
        output.backward()
    except (ArithmeticError, ValueError) as error:  # the engine refuses a gradient outside the float range
        raise UsageError(str(error)) from None
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


def _drawing_hint(flags: Sequence[str]) -> str:
    """The command line's own way out of a refused drawing (the library's message names Python keywords)."""
    shown = ", ".join(flags)
    ko = f"{shown} 또는 더 짧은 식을 쓰세요" if flags else "더 짧은 식을 쓰세요"
    en = f"{shown}, or a shorter expression" if flags else "a shorter expression"
    return " — " + bilingual(
        f"명령줄에서는 {ko} (group='layer'는 파이썬에서 MLP를 그릴 때 씁니다)",
        f"on the command line: {en} (group='layer' is for an MLP, in Python)",
    )


def command_demo(args: argparse.Namespace) -> int:
    """Experiments 1-4 at demo size, a summary table, and the HTML report."""
    from . import report
    from .experiments import demo_suite

    lang = args.lang
    out_dir = writable_dir(args.out)
    started = time.perf_counter()
    results = demo_suite(seed=args.seed, quick=args.quick, lang=lang, progress=True, jobs=args.jobs)
    print()
    print(format_summary(results, lang))
    title = tr("micrograd_ko 데모 보고서", "micrograd_ko demo report", lang)
    path = report.write_report(results, out_dir, lang=lang, graph_svg=report.small_network_graph(lang), title=title)
    seconds = time.perf_counter() - started
    print()
    print(tr(f"보고서를 저장했습니다 ({seconds:.0f}초): {path}", f"report written ({seconds:.0f} s): {path}", lang))
    return 0


def command_experiment(args: argparse.Namespace) -> int:
    """One experiment at full size and its report page; without a name, the list of experiments."""
    from . import report
    from .experiments import EXPERIMENTS, describe

    lang = args.lang
    if args.name is None:
        print(tr("실험 목록 (micrograd-ko experiment 이름):", "experiments (micrograd-ko experiment NAME):", lang))
        for name in EXPERIMENTS:
            print(f"  {name:<10} {describe(name, lang)}")
        return 0
    out_dir = writable_dir(args.out)
    function = EXPERIMENTS[args.name]
    options: dict[str, Any] = {"lang": lang, "progress": True, "jobs": args.jobs}
    parameters = inspect.signature(function).parameters
    if "seeds" in parameters:
        count = args.seeds if args.seeds is not None else parameters["seeds"].default
        options["seeds"] = range(args.seed, args.seed + count)
    elif args.seeds is not None:
        raise UsageError(
            bilingual(
                f"{args.name} 실험은 시드 하나로 돕니다: --seed를 쓰세요",
                f"the {args.name} experiment runs one seed: use --seed",
            )
        )
    else:
        options["seed"] = args.seed
    result = function(**options)
    print()
    print(format_summary([result], lang))
    title = tr(f"micrograd_ko 실험 보고서: {args.name}", f"micrograd_ko experiment report: {args.name}", lang)
    path = report.write_report([result], out_dir, lang=lang, filename=f"{args.name}.html", title=title)
    print()
    seconds = result.seconds
    print(tr(f"보고서를 저장했습니다 ({seconds:.0f}초): {path}", f"report written ({seconds:.0f} s): {path}", lang))
    return 0


def format_summary(results: Iterable[ExperimentResult], lang: str | None = None) -> str:
    """The claims of every result as a plain-text table (Korean-width aware)."""
    header = [
        tr("실험", "experiment", lang),
        tr("주장", "claim", lang),
        tr("측정", "measured", lang),
        tr("기준", "expected", lang),
        tr("결과", "verdict", lang),
    ]
    rows = []
    for result in results:
        for claim in result.claims:
            if claim.holds is None:
                verdict = tr("측정", "measured", lang)
            else:
                verdict = tr("확인", "holds", lang) if claim.holds else tr("아님", "fails", lang)
            rows.append([result.name, claim.statement, claim.measured, claim.expected, verdict])
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [_row(header, widths), "  ".join("-" * w for w in widths)]
    lines += [_row(row, widths) for row in rows]
    return "\n".join(lines)


def _width(text: object) -> int:
    """Columns taken by `text` in a terminal: Korean characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def _row(cells: Sequence[object], widths: Sequence[int]) -> str:
    return "  ".join(str(cell) + " " * (width - _width(cell)) for cell, width in zip(cells, widths)).rstrip()
