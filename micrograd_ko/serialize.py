"""The model file format: JSON, never pickle (a JSON file cannot run code).

    {"format": "micrograd_ko.MLP", "version": 1, "config": {...}, "state_dict": {...}}

`config` holds the architecture (keyword arguments of the model's class),
`state_dict` the parameters (see `Module.state_dict`). This module only
writes and reads that document; the model checks what the config and the
numbers mean (`MLP.load`).

A file is refused before it is read if it is larger than `MAX_FILE_BYTES`,
so that a huge or endless file (a folder, /dev/zero) cannot fill the memory.
"""

from __future__ import annotations

import json
import os
from typing import Any

from .files import check_file_name, write_file
from .i18n import bilingual

__all__ = ["write", "read", "FORMAT", "VERSION", "MAX_FILE_BYTES"]

FORMAT = "micrograd_ko.MLP"
VERSION = 1
MAX_FILE_BYTES = 100_000_000  # a model of 2 million parameters (nn.MAX_PARAMETERS) takes about 42 MB


def write(path: str | os.PathLike[str], config: dict[str, Any], state: dict[str, Any]) -> None:
    """Write `config` and `state` (a state dict) to `path` as one JSON document."""
    document = {"format": FORMAT, "version": VERSION, "config": config, "state_dict": state}
    write_file(path, json.dumps(document, allow_nan=False))


def read(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(config, state) from a file written by `write`; a clear ValueError or OSError naming `path` otherwise."""
    document = _parse(path)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(
            f"{path}: "
            + bilingual(
                f"micrograd_ko MLP 파일이 아닙니다 (format은 {FORMAT!r}이어야 합니다)",
                f"not a micrograd_ko MLP file (format must be {FORMAT!r})",
            )
        )
    version = document.get("version")
    if type(version) is not int or version != VERSION:
        shown = repr(version) if len(repr(version)) < 30 else repr(version)[:20] + "…"
        raise ValueError(
            f"{path}: "
            + bilingual(
                f"지원하지 않는 버전 {shown} (지원: {VERSION})", f"unsupported version {shown} (expected {VERSION})"
            )
        )
    config, state = document.get("config"), document.get("state_dict")
    if not isinstance(config, dict) or not isinstance(state, dict):
        raise ValueError(
            f"{path}: " + bilingual("config 또는 state_dict가 없습니다", "missing 'config' or 'state_dict'")
        )
    return config, state


def _parse(path: str | os.PathLike[str]) -> Any:
    text = _read_text(path)
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:  # absurd nesting recurses
        raise ValueError(
            f"{path}: "
            + bilingual(f"올바른 JSON이 아닙니다 (손상된 파일?): {error}", f"not valid JSON (corrupt file?): {error}")
        ) from None


def _read_text(path: str | os.PathLike[str]) -> str:
    check_file_name(path)
    try:
        size = os.stat(path).st_size
        if os.path.isdir(path):
            raise IsADirectoryError
        if size > MAX_FILE_BYTES:
            raise ValueError(
                f"{path}: "
                + bilingual(
                    f"파일이 너무 큽니다 ({size:,} 바이트, 최대 {MAX_FILE_BYTES:,})",
                    f"the file is too large ({size:,} bytes, at most {MAX_FILE_BYTES:,})",
                )
            )
        with open(path, encoding="utf-8") as f:
            text = f.read(MAX_FILE_BYTES + 1)  # a device or pipe has no size to stat
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: " + bilingual("파일이 없습니다", "no such file")) from None
    except IsADirectoryError:
        raise IsADirectoryError(
            f"{path}: " + bilingual("파일이 아니라 폴더입니다", "is a folder, not a file")
        ) from None
    except UnicodeDecodeError:
        raise ValueError(
            f"{path}: " + bilingual("올바른 JSON이 아닙니다 (UTF-8이 아님)", "not valid JSON (not UTF-8 text)")
        ) from None
    except OSError as error:
        raise OSError(
            f"{path}: "
            + bilingual(
                f"파일을 읽을 수 없습니다 ({error.strerror or error})",
                f"cannot read the file ({error.strerror or error})",
            )
        ) from None
    if len(text) > MAX_FILE_BYTES:
        raise ValueError(
            f"{path}: "
            + bilingual(
                f"파일이 너무 큽니다 (최대 {MAX_FILE_BYTES:,} 바이트)",
                f"the file is too large (at most {MAX_FILE_BYTES:,} bytes)",
            )
        )
    return text


def _reject_constant(name: str) -> Any:
    raise ValueError(bilingual(f"{name}: 유한한 숫자만 저장할 수 있습니다", f"{name}: only finite numbers are allowed"))
