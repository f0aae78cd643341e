"""Writing the files the library makes (graphs, players, models), with errors a learner can read."""

from __future__ import annotations

from pathlib import Path

from .i18n import bilingual


def write_file(path, content) -> Path:
    """Write `content` (str as UTF-8, or bytes) to `path`.

    A missing folder or a place we may not write is reported in Korean and
    English, naming the path, instead of a bare OSError.
    """
    path = Path(path)
    try:
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    except OSError as error:
        if not path.parent.is_dir():
            raise FileNotFoundError(f"{path}: " + bilingual(
                f"폴더 {path.parent}가 없습니다", f"the folder {path.parent} does not exist")) from None
        raise OSError(f"{path}: " + bilingual(
            f"파일을 쓸 수 없습니다 ({error.strerror or error})", f"cannot write the file ({error.strerror or error})")) from None
    return path
