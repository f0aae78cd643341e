"""What the command line says when something is wrong: argparse's messages in Korean, and the two kinds of error.

argparse passes every text it shows (usage line, headings, errors) through
`gettext`, by its English message id: `_('unrecognized arguments: %s')`.
`argparse_language("ko")` installs `KOREAN` as that translation while the
command line is built and read, so argparse itself words its messages in
Korean; `cli.parse` reads a wrong line in both languages for the
"Korean / English" error. A message id missing here (a later Python's new
wording) is shown as argparse wrote it, in English, as gettext does.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager


class UsageError(Exception):
    """A mistake in what the user typed: reported as one line, exit code 2."""


class CommandFailure(Exception):
    """A command that could not finish, with a message for the user: one line, exit code 1."""


# argparse's message ids (the same text in Python 3.11-3.13), then the command line's own (cli.py's `type=` checks).
KOREAN = {
    "usage: ": "사용법: ",
    "positional arguments": "인자",
    "options": "옵션",
    "show this help message and exit": "이 도움말을 보이고 끝냅니다",
    "argument %(argument_name)s: %(message)s": "%(argument_name)s: %(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": "%(value)r은(는) 고를 수 있는 값이 아닙니다 (가능한 값: %(choices)s)",
    "expected one argument": "값이 하나 필요합니다",
    "the following arguments are required: %s": "꼭 주어야 하는 인자가 빠졌습니다: %s",
    "unrecognized arguments: %s": "알 수 없는 인자: %s",
    "ambiguous option: %(option)s could match %(matches)s": "%(option)s은(는) 여러 옵션과 맞습니다: %(matches)s",
    "ignored explicit argument %r": "값을 받지 않는 옵션에 값 %r이(가) 주어졌습니다",
    "%r is not an integer": "%r은(는) 정수가 아닙니다",
    "expected a positive integer, got %r": "양의 정수가 필요합니다: %r",
}
CATALOGS = {"ko": KOREAN, "en": {}}
_catalog: dict[str, str] = {}


def gettext(message: str) -> str:
    """`message` in the language the command line is being read in (argparse calls this as its `_`)."""
    return _catalog.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return gettext(singular if n == 1 else plural)


@contextmanager
def argparse_language(lang: str) -> Iterator[None]:
    """argparse speaks `lang` ('ko' or 'en') inside the block: its translation hook points at our catalogue."""
    global _catalog
    saved = argparse._, argparse.ngettext, _catalog  # type: ignore[attr-defined]
    _catalog = CATALOGS[lang]
    argparse._, argparse.ngettext = gettext, ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext, _catalog = saved  # type: ignore[attr-defined]
