"""Exercise checks for the notebooks: say what is wrong, in Korean, and let Run All go on.

A check cell in a notebook wraps its asserts in `exercise_check`::

    with exercise_check("02-softsign"):
        assert softsign_derivative(0.5) == ..., "x = 0.5에서 ..."
        print("정답입니다! ...")

If the learner's code is unfinished (`NotImplementedError`), wrong (a failed
`assert`, whose message says what to look at) or raises anything else, the
check prints one report to stderr (JupyterLab shows it on a red background)
and the cell ends normally. Raising instead would stop "Run All" at the first
unfinished exercise, and JupyterLab would then clear the saved output of every
later cell.

The report's first line is machine-readable, so the tests can tell a
diagnosed failure from an accident::

    ✗ 연습 02-softsign: 아직 맞지 않습니다        (an assert or an unfinished stub)
    ✗ 연습 02-softsign: 코드에서 오류가 났습니다   (any other exception)
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

NOT_YET = "아직 맞지 않습니다"
CRASHED = "코드에서 오류가 났습니다"
MARK = "✗ 연습"
UNFINISHED = "아직 빈칸이 있습니다 ({}). 위 연습 셀의 raise NotImplementedError 줄을 지우고 채우세요."


@contextmanager
def exercise_check(name: str) -> Iterator[None]:
    """Run a check's asserts; on failure print a Korean report instead of raising (see the module docstring)."""
    try:
        yield
    except NotImplementedError as missing:
        _report(name, NOT_YET, UNFINISHED.format(missing))
    except AssertionError as wrong:
        _report(name, NOT_YET, str(wrong) or "확인이 실패했습니다 (메시지 없는 assert)")
    except Exception as error:  # the learner's code may raise anything; Run All must go on
        where = traceback.extract_tb(error.__traceback__)[-1]
        _report(name, CRASHED, f"{type(error).__name__}: {error} (줄 {where.lineno}: {where.line})")


def _report(name: str, kind: str, message: str) -> None:
    print(f"{MARK} {name}: {kind}\n{message}", file=sys.stderr, flush=True)
