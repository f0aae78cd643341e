"""What an experiment returns: measured numbers, the claims they test, a table, figures.

The same object feeds the command line (a summary table), the HTML report,
the notebooks and the tests, so an experiment is measured once and shown
everywhere in the same words.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Claim:
    """A statement from the lessons, checked against a measurement.

    `statement` says what is claimed, `measured` what this run saw, `expected`
    the threshold it is held to; `holds` is the verdict, or None for a number
    reported without a threshold ("measured only").
    """

    statement: str
    measured: str
    expected: str
    holds: bool | None


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
    `svg(key)` its SVG text. In a notebook the result shows itself as its
    claims and its table.
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
        """The matplotlib Figure named `key`, made now (not stored)."""
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
        buffer = io.StringIO()
        # no metadata block: no date (the same figure gives the same SVG) and no RDF namespaces
        fig.savefig(
            buffer,
            format="svg",
            bbox_inches="tight",
            metadata={"Creator": None, "Date": None, "Format": None, "Type": None},
        )
        return buffer.getvalue()

    @property
    def all_hold(self) -> bool:
        """Whether every claim with a threshold holds."""
        return all(claim.holds for claim in self.claims if claim.holds is not None)

    def _repr_html_(self):
        from ..report import section_html

        return section_html(self, figures=False)
