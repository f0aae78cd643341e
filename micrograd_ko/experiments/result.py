"""What an experiment returns: measured numbers, the claims they test, a table, figures.

The same object feeds the command line (a summary table), the HTML report,
the notebooks and the tests, so an experiment is measured once and shown
everywhere in the same words.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Claim:
    """A statement from the lessons, checked against a measurement.

    `statement` says what is claimed, `measured` what this run saw, `expected`
    the threshold it is held to; `holds` is the verdict.
    """

    statement: str
    measured: str
    expected: str
    holds: bool


@dataclass
class Table:
    columns: list
    rows: list


@dataclass
class ExperimentResult:
    """The outcome of one experiment.

    `numbers` holds the raw measurements (plain Python numbers and lists, as
    JSON would), `config` the settings that produced them. Figures are made
    only when asked for: `figure(key)` returns a matplotlib Figure and
    `svg(key)` its SVG text.
    """

    name: str
    title: str
    lang: str
    config: dict
    numbers: dict
    claims: list
    table: Table
    seconds: float
    notes: list = field(default_factory=list)
    figure_makers: dict = field(default_factory=dict, repr=False)

    @property
    def figure_names(self) -> list:
        return list(self.figure_makers)

    def figure(self, key: str):
        """The figure named `key`, made now: a matplotlib Figure, or SVG text for a graph."""
        try:
            maker: Callable = self.figure_makers[key]
        except KeyError:
            raise KeyError(
                f"그림 {key!r}이(가) 없습니다; 있는 그림: {self.figure_names} / "
                f"no figure {key!r}; available: {self.figure_names}"
            ) from None
        return maker()

    def svg(self, key: str) -> str:
        """The figure `key` as SVG text (text drawn as paths: no font needed to view it)."""
        fig = self.figure(key)
        if isinstance(fig, str):  # already SVG (a computation graph)
            return fig
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", bbox_inches="tight")
        return buffer.getvalue()

    @property
    def all_hold(self) -> bool:
        return all(claim.holds for claim in self.claims)
