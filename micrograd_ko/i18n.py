"""Korean first, English on request: one switch for every text the user sees.

Policy (one way to say things):

- Labels, titles, CLI output and report text follow the current language:
  `tr("기울기", "gradient")` picks one. Strings are written in pairs where
  they are used, so a reader sees both languages side by side in the code.
- Error messages carry both languages, Korean first, built by one helper:
  `raise ValueError(bilingual("로그는 양수에서만 정의됩니다", "log needs a positive input"))`
  gives "로그는 양수에서만 정의됩니다 / log needs a positive input". An error
  can be read long after the language was switched (in a log, by a script's
  user, by a helper on a forum), so it does not follow `set_language`.
- One exception, chosen on purpose: a reader who has said which language
  they read, with `set_message_language("ko")` (the Korean notebooks do, in
  their first cell), gets error messages in that language only. A Korean
  notebook that prints every error twice is harder to read, and its reader
  is known. Scripts, the CLI and the library's default keep both languages
  (`set_message_language(None)`).
- A language argument is checked with `check_language(lang)`, which names
  the bad value in both languages.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

LANGUAGES = ("ko", "en")
_language = "ko"
_message_language: str | None = None  # None: error messages in both languages


def bilingual(ko: str, en: str) -> str:
    """An error message in both languages, 'Korean / English', or in the one `set_message_language` chose."""
    if _message_language == "ko":
        return ko
    if _message_language == "en":
        return en
    return f"{ko} / {en}"


def set_message_language(lang: str | None) -> None:
    """Error messages in one language ('ko' or 'en') for a reader who chose it, or in both (None, the default)."""
    global _message_language
    _message_language = None if lang is None else check_language(lang)


def get_message_language() -> str | None:
    return _message_language


def check_language(lang: object) -> str:
    """`lang` itself if it is a known language, else a ValueError naming it."""
    if not isinstance(lang, str) or lang not in LANGUAGES:
        raise ValueError(
            bilingual(
                f"언어는 'ko' 또는 'en'이어야 합니다 (받은 값: {lang!r})",
                f"language must be 'ko' or 'en', got {lang!r}",
            )
        )
    return lang


def set_language(lang: str) -> None:
    """Set the default language of labels, plots and messages ('ko' or 'en')."""
    global _language
    _language = check_language(lang)


def get_language() -> str:
    return _language


@contextmanager
def language(lang: str) -> Iterator[None]:
    """Temporarily use `lang` as the default language."""
    previous = _language
    set_language(lang)
    try:
        yield
    finally:
        set_language(previous)


def tr(ko: str, en: str, lang: str | None = None) -> str:
    """The Korean or the English text, by `lang` or else the default."""
    return en if check_language(lang or _language) == "en" else ko
