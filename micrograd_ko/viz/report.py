"""A self-contained HTML report of experiment results: one file, no server, no network.

Figures are inline SVG (matplotlib draws its text as paths, so they need no
font). The page's own Korean text, and the text of computation graphs, use
NanumGothic embedded in the page as a subset holding only the characters
the page uses, so the report reads the same on a machine with no Korean font.
"""

from __future__ import annotations

import html
import platform
from datetime import datetime
from pathlib import Path

from ..checks import check_bool
from ..i18n import get_language, tr
from . import display, fonts

__all__ = ["render_report", "section_html", "small_network_graph", "write_report"]

FONT_FAMILY = "MicrogradKoReport"
REPORT_WIDTH = 1030  # px: the page's 1080 px column less its padding; the graph is drawn to read at this width


def small_network_graph(lang=None, seed=0):
    """SVG of the computation graph of a 2-2-1 sigmoid net on one XOR point, after backward."""
    from ..engine import Value
    from ..losses import bce_with_logits
    from ..nn import MLP
    from .node_view import draw_graph

    model = MLP(2, [2, 1], activation="sigmoid", seed=seed)
    for i, layer in enumerate(model.layers, start=1):
        for j, neuron in enumerate(layer.neurons, start=1):
            for k, w in enumerate(neuron.w, start=1):
                w.label = f"w{i}_{j}{k}"
            neuron.b.label = f"b{i}_{j}"
    x = [Value(1.0, label="x1"), Value(0.0, label="x2")]
    loss = bce_with_logits(model(x), 1.0)
    loss.label = tr("손실", "loss", lang)
    loss.backward()
    return draw_graph(loss, lang=lang).fitted_svg(REPORT_WIDTH)[0]


def write_report(results, out_dir, lang=None, title=None, filename="index.html", graph_svg=None):
    """Write the report of `results` to `out_dir/filename`; returns the path."""
    path = Path(out_dir) / filename
    path.write_text(render_report(results, lang=lang, title=title, graph_svg=graph_svg), encoding="utf-8")
    return path


def render_report(results, lang=None, title=None, graph_svg=None):
    """The report as one HTML string."""
    lang = lang or get_language()
    title = title or tr("micrograd_ko 실험 보고서", "micrograd_ko experiment report", lang)
    sections = [_summary(results, lang)]
    if graph_svg is not None:
        sections.append(_graph_section(graph_svg, lang))
    sections += [section_html(r, lang) for r in results]
    seconds = sum(r.seconds for r in results)
    body = "\n".join(
        [
            f"<header><h1>{_e(title)}</h1>",
            f"<p class='meta'>{_e(_meta(seconds, lang))}</p></header>",
            "<main>",
            *sections,
            "</main>",
            f"<footer>{_e(tr('전체 크기로 다시 재려면: micrograd-ko experiment 이름 (이름 목록: micrograd-ko experiment)', 'To measure at full size: micrograd-ko experiment NAME (list: micrograd-ko experiment)', lang))}</footer>",
        ]
    )
    font_css = _font_face(_visible_text(body))
    return (
        f"<!DOCTYPE html>\n<html lang='{lang}'>\n<head>\n<meta charset='utf-8'>\n"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>\n<title>{_e(title)}</title>\n"
        f"<style>\n{font_css}\n{_CSS}\n</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _e(text):
    return html.escape(str(text), quote=True)


def _meta(seconds, lang):
    when = datetime.now().strftime("%Y-%m-%d %H:%M")
    return tr(
        f"{when} · 실험 시간 {seconds:.0f}초 · Python {platform.python_version()}",
        f"{when} · {seconds:.0f} s of experiments · Python {platform.python_version()}",
        lang,
    )


def _verdict(holds, lang):
    if holds is None:
        return "<span class='badge info'>" + _e(tr("측정", "measured", lang)) + "</span>"
    if holds:
        return "<span class='badge ok'>" + _e(tr("확인됨", "holds", lang)) + "</span>"
    return "<span class='badge fail'>" + _e(tr("아님", "fails", lang)) + "</span>"


def _summary(results, lang):
    head = [
        tr("실험", "experiment", lang),
        tr("주장", "claim", lang),
        tr("측정", "measured", lang),
        tr("기준", "expected", lang),
        tr("결과", "verdict", lang),
    ]
    rows = []
    for r in results:
        for c in r.claims:
            rows.append(
                f"<tr><td><a href='#{_e(r.name)}'>{_e(r.name)}</a></td><td>{_e(c.statement)}</td>"
                f"<td>{_e(c.measured)}</td><td>{_e(c.expected)}</td><td>{_verdict(c.holds, lang)}</td></tr>"
            )
    return (
        f"<section id='summary'><h2>{_e(tr('요약', 'Summary', lang))}</h2>"
        f"<table><thead><tr>{''.join(f'<th>{_e(h)}</th>' for h in head)}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _graph_section(svg, lang):
    note = tr(
        "x1 = 1, x2 = 0, 정답 1인 점 하나에 대한 2-2-1 시그모이드 신경망의 계산 그래프입니다. 역전파 후 각 노드에 "
        "값(data)과 기울기(grad)가, 각 간선에 국소적 미분이 적혀 있고, 기울기가 작을수록 진하게(연한 노랑 → 주황 → 진한 빨강), 정확히 0이면 "
        "(x2 = 0에 곱해지는 가중치) 회색으로 칠해집니다.",
        "The computation graph of a 2-2-1 sigmoid network on one point (x1 = 1, x2 = 0, label 1), after backward: "
        "each node shows its data and grad, each edge its local derivative; the smaller the gradient, the stronger the colour (pale yellow, orange, deep red), "
        "and exactly 0 (the weights multiplied by x2 = 0) is grey.",
        lang,
    )
    return (
        f"<section id='graph'><h2>{_e(tr('작은 신경망의 계산 그래프', 'The computation graph of a small network', lang))}</h2>"
        f"<p>{_e(note)}</p><figure class='graph'>{_inline_svg(svg)}</figure></section>"
    )


def section_html(result, lang=None, figures=True):
    """One experiment as an HTML section: notes, claims with verdicts, table, figures (inline SVG), settings."""
    check_bool("figures", figures)
    lang = lang or result.lang
    parts = [f"<section id='{_e(result.name)}'><h2>{_e(result.title)}</h2>"]
    parts += [f"<p>{_e(note)}</p>" for note in result.notes]
    parts.append(
        "<ul class='claims'>"
        + "".join(
            f"<li>{_verdict(c.holds, lang)} {_e(c.statement)}: <b>{_e(c.measured)}</b> "
            f"<span class='expected'>({_e(tr('기준', 'expected', lang))}: {_e(c.expected)})</span></li>"
            for c in result.claims
        )
        + "</ul>"
    )
    table = result.table
    parts.append(
        "<table><thead><tr>"
        + "".join(f"<th>{_e(c)}</th>" for c in table.columns)
        + "</tr></thead><tbody>"
        + "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>" for row in table.rows)
        + "</tbody></table>"
    )
    if figures:
        parts += [f"<figure>{_inline_svg(result.svg(key))}</figure>" for key in result.figure_names]
    config = ", ".join(f"{k}={_short(v)}" for k, v in result.config.items())
    settings = tr("설정 (실험 함수의 인자)", "settings (the experiment function's arguments)", lang)
    parts.append(
        f"<p class='config'>{_e(settings)}: {_e(config)} · "
        f"{_e(tr(f'{result.seconds:.1f}초', f'{result.seconds:.1f} s', lang))}</p></section>"
    )
    return "\n".join(parts)


def _short(value):
    """Settings for the page: a long run of seeds as 'a..b'."""
    if isinstance(value, (list, range)) and len(value) > 4 and all(isinstance(v, int) for v in value):
        values = list(value)
        if values == list(range(values[0], values[-1] + 1)):
            return f"{values[0]}..{values[-1]}"
    return str(value)


def _inline_svg(svg):
    """SVG text ready to sit inside HTML: no XML prologue or DOCTYPE."""
    return display.inline(svg)


def _visible_text(markup):
    """Every character that text on the page may show (tags and SVG paths included, which is harmless)."""
    return html.unescape(markup)


def _font_face(text):
    """@font-face rules for the page's one font family, subset to the characters of `text`."""
    return fonts.font_face_css(text, FONT_FAMILY)


_CSS = f"""
body {{ font-family: '{FONT_FAMILY}', 'NanumGothic', 'Noto Sans CJK KR', 'Malgun Gothic', 'AppleGothic', sans-serif;
       margin: 0 auto; max-width: 1080px; padding: 1.5rem; color: #222; line-height: 1.6; }}
svg text {{ font-family: '{FONT_FAMILY}', 'NanumGothic', sans-serif; }}
h1 {{ font-size: 1.7rem; margin-bottom: 0.2rem; }}
h2 {{ font-size: 1.3rem; border-bottom: 2px solid #4292c6; padding-bottom: 0.2rem; margin-top: 2.2rem; }}
.meta, .config, footer {{ color: #666; font-size: 0.85rem; }}
table {{ border-collapse: collapse; width: 100%; margin: 0.8rem 0; font-size: 0.9rem; }}
th, td {{ border: 1px solid #ddd; padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }}
th {{ background: #f0f5fa; }}
tbody tr:nth-child(even) {{ background: #fafafa; }}
figure {{ margin: 1rem 0; text-align: center; }}
figure svg {{ max-width: 100%; height: auto; }}
.badge {{ display: inline-block; padding: 0 0.45rem; border-radius: 0.6rem; font-size: 0.8rem; color: white; white-space: nowrap; }}
.badge.ok {{ background: #2e7d32; }}
.badge.fail {{ background: #c62828; }}
.badge.info {{ background: #757575; }}
ul.claims {{ padding-left: 1.2rem; }}
.expected {{ color: #666; }}
a {{ color: #1f5f99; }}
"""
