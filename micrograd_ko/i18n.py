"""Korean first, English on request: one switch for every label the user sees.

Strings are written in pairs where they are used, `tr("기울기", "gradient")`,
so that a reader sees both languages side by side in the code.
"""

from __future__ import annotations

from contextlib import contextmanager

LANGUAGES = ("ko", "en")
_language = "ko"


def _check(lang):
    if lang not in LANGUAGES:
        raise ValueError(f"언어는 'ko' 또는 'en'이어야 합니다 / language must be 'ko' or 'en', got {lang!r}")
    return lang


def set_language(lang: str) -> None:
    """Set the default language of labels, plots and messages ('ko' or 'en')."""
    global _language
    _language = _check(lang)


def get_language() -> str:
    return _language


@contextmanager
def language(lang: str):
    """Temporarily use `lang` as the default language."""
    previous = _language
    set_language(lang)
    try:
        yield
    finally:
        set_language(previous)


def tr(ko: str, en: str, lang: str | None = None) -> str:
    """The Korean or the English text, by `lang` or else the default."""
    return en if _check(lang or _language) == "en" else ko
