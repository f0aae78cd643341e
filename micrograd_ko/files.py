"""Writing the files the library makes (graphs, players, models), with errors a learner can read."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from .i18n import bilingual

# The system's reasons a learner meets when writing, in both languages; any other keeps the system's own words.
_REASONS = {
    errno.ENAMETOOLONG: ("파일 이름이 너무 깁니다", "the file name is too long"),
    errno.ENOSPC: ("디스크에 남은 공간이 없습니다", "no space left on the disk"),
    errno.EDQUOT: ("디스크 할당량을 다 썼습니다", "the disk quota is used up"),
    errno.EACCES: ("쓸 권한이 없습니다", "permission denied"),
    errno.EPERM: ("허용되지 않는 작업입니다", "operation not permitted"),
    errno.EROFS: ("읽기 전용 파일 시스템입니다", "read-only file system"),
    errno.EPIPE: ("받는 쪽이 파이프를 닫았습니다", "the reader closed the pipe"),
    errno.EISDIR: ("파일 자리에 폴더가 있습니다", "it is a folder"),
}


def os_error_reason(error: OSError) -> tuple[str, str]:
    """Why `error` happened, as (Korean, English); the system's own words when the reason is not a common one."""
    known = _REASONS.get(error.errno) if error.errno is not None else None
    if known:
        return known
    words = error.strerror or str(error)
    return words, words


def check_file_name(path: object) -> str | os.PathLike[str]:
    """`path` if it is a file name (a str or a Path), else a bilingual TypeError.

    A number is not a name: open(0) would read the terminal (a load that waits
    for input) and open(1) would write to stdout, then close it.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            bilingual(
                f"path는 파일 이름(str 또는 Path)이어야 합니다 (받은 것: {path!r})",
                f"path must be a file name (a str or a Path), got {path!r}",
            )
        )
    return path


def write_file(path: str | os.PathLike[str], content: str | bytes) -> Path:
    """Write `content` (str as UTF-8, or bytes) to `path`.

    A missing folder or a place we may not write is reported in Korean and
    English, naming the path, instead of a bare OSError.
    """
    path = Path(check_file_name(path))
    try:
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    except OSError as error:
        if not os.path.isdir(path.parent):  # never raises, even for a name too long
            raise FileNotFoundError(
                f"{path}: " + bilingual(f"폴더 {path.parent}가 없습니다", f"the folder {path.parent} does not exist")
            ) from None
        ko, en = os_error_reason(error)
        raise OSError(
            f"{path}: " + bilingual(f"파일을 쓸 수 없습니다 ({ko})", f"cannot write the file ({en})")
        ) from None
    return path
