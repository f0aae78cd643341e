"""The command line's output places, checked before any work: the SVG file of `graph`, the report folder of the others."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .cli_messages import UsageError
from .files import os_error_reason
from .i18n import bilingual


def svg_file(name: str) -> Path:
    """The path of `name` if it can take the SVG we write.

    The name must end in .svg: .png or .pdf would get SVG inside, and a name
    without a suffix is refused the same way (`save_graph` needs the suffix
    too). A device or pipe that exists, such as /dev/stdout, is taken as is.
    """
    _not_empty(name, "-o", "graph.svg")
    path = Path(name).expanduser()
    suffix = path.suffix
    if suffix.lower() != ".svg" and not _is_device(path):
        found_ko = f"{path}의 확장자는 {suffix}" if suffix else f"{path}에는 확장자가 없습니다"
        found_en = f"{path} ends with {suffix}" if suffix else f"{path} has no suffix"
        raise UsageError(
            bilingual(
                f"graph는 SVG만 씁니다: -o 이름을 .svg로 끝내세요 ({found_ko}). "
                "SVG는 브라우저나 Inkscape로 열 수 있고, PNG가 필요하면 Inkscape에서 내보내기 하세요",
                f"graph writes SVG only: end the -o name with .svg ({found_en}); "
                "an SVG opens in any browser or Inkscape; for a PNG, export it from Inkscape",
            )
        )
    return writable_file(path)


def _not_empty(name: str, option: str, example: str) -> None:
    """An empty name (`-o ""`, or `--out $DIR` with DIR unset) is the current folder to Path: refused, not used."""
    if not name.strip():
        raise UsageError(
            bilingual(
                f"{option}에 준 이름이 비어 있습니다 (예: {option} {example})",
                f"{option} is given an empty name (e.g. {option} {example})",
            )
        )


def _is_device(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def writable_file(path: Path) -> Path:
    """`path` if a file can be written there, else a UsageError saying why.

    A missing folder is refused, not created (as `save_graph` refuses it), and
    a folder that exists but cannot take the file is reported with the
    system's reason, found by opening the file for appending (nothing is
    written; a file made by the probe is removed).
    """
    path = path.resolve()
    folder = path.parent
    if not os.path.isdir(folder):
        if os.path.exists(folder):
            raise UsageError(
                bilingual(f"{path}: {folder}는 폴더가 아니라 파일입니다", f"{path}: {folder} is a file, not a folder")
            )
        raise UsageError(bilingual(f"{path}: 폴더 {folder}가 없습니다", f"{path}: the folder {folder} does not exist"))
    if os.path.isdir(path):
        raise UsageError(bilingual(f"출력 파일 자리에 폴더가 있습니다: {path}", f"the output file is a folder: {path}"))
    existed = os.path.exists(path)
    try:
        with open(path, "ab"):
            pass
        if not existed:
            path.unlink()
    except OSError as error:
        ko, en = os_error_reason(error)
        raise UsageError(
            bilingual(f"{path}: 파일을 쓸 수 없습니다 ({ko})", f"{path}: cannot write the file ({en})")
        ) from None
    return path


def writable_dir(name: str) -> Path:
    """The folder `name`, made if missing, if files can be written in it; else a UsageError saying why.

    Only the folder itself is made, in a folder that exists: a missing parent
    is refused, not created, as `graph -o` refuses a file in a missing folder
    (`--out reprot/run1` with a typo would otherwise make a tree of folders).
    """
    _not_empty(name, "--out", "report")
    path = Path(name).expanduser().resolve()
    if not os.path.isdir(path.parent):
        if os.path.exists(path.parent):
            raise UsageError(
                bilingual(
                    f"{path}: {path.parent}는 폴더가 아니라 파일입니다",
                    f"{path}: {path.parent} is a file, not a folder",
                )
            )
        raise UsageError(
            bilingual(
                f"{path}: 폴더 {path.parent}가 없습니다 (출력 폴더는 있는 폴더 안에만 만듭니다)",
                f"{path}: the folder {path.parent} does not exist (the output folder is made only inside an "
                "existing one)",
            )
        )
    try:
        path.mkdir(exist_ok=True)
    except OSError as error:
        ko, en = os_error_reason(error)
        raise UsageError(
            bilingual(f"출력 폴더를 만들 수 없습니다: {path} ({ko})", f"cannot create the output folder {path} ({en})")
        ) from None
    if not os.access(path, os.W_OK):
        raise UsageError(bilingual(f"출력 폴더에 쓸 수 없습니다: {path}", f"the output folder is not writable: {path}"))
    return path
