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
- A Korean particle after text known only at run time (a measured number) is
  chosen by `particle(text, "으로/로")`, which reads the text's end aloud:
  "1.28과", "0.23으로", "0.97로". A particle typed after a `{...}` field is
  right for some numbers only.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
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


def closest(name: object, choices: Iterable[str]) -> str | None:
    """The choice `name` most likely meant, or None if none is close.

    A learner types the names of other libraries and books: 'Sigmoid' or
    'ReLU' (PyTorch's classes), 'MSE', 'crossentropy', 'leaky-relu', or a typo
    ('sigmod'). Case, '_', '-' and spaces are ignored first; then a close
    spelling (difflib) is taken.
    """
    if not isinstance(name, str):
        return None
    choices = list(choices)
    folded = {re.sub(r"[\s_-]", "", choice.lower()): choice for choice in choices}
    match = folded.get(re.sub(r"[\s_-]", "", name.lower()))
    if match is None:
        # 0.9: 'sigmod' is close to 'sigmoid', 'relu6' (another function) is not offered 'relu'
        close = difflib.get_close_matches(name.lower(), choices, n=1, cutoff=0.9)
        match = close[0] if close else None
    return None if match == name else match


def did_you_mean(name: object, choices: Iterable[str]) -> tuple[str, str]:
    """(Korean, English) hint naming `closest(name, choices)`, or ("", ""): for an error message that still
    lists every valid name."""
    match = closest(name, choices)
    if match is None:
        return "", ""
    return f" (혹시 {match!r}인가요?)", f" (did you mean {match!r}?)"


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


# ---- particles (조사) after text known only at run time ---------------------------------------

# pair -> (form after a final consonant, form after a vowel, form when the end cannot be read)
_PARTICLES = {
    "이/가": ("이", "가", "이(가)"),
    "은/는": ("은", "는", "은(는)"),
    "을/를": ("을", "를", "을(를)"),
    "과/와": ("과", "와", "와(과)"),
    "으로/로": ("으로", "로", "(으)로"),
}
_DIGIT_READINGS = dict(zip("0123456789", "영일이삼사오육칠팔구"))
# the unit a whole number ending in zeros is read with: 10 십, 100 백, 1,000 천, 10,000 만, 10^8 억, 10^12 조, 10^16 경
_ZERO_UNITS = "십백천" + "만" * 4 + "억" * 4 + "조" * 4 + "경" * 4
_FRACTION = re.compile(r"([0-9][0-9,.]*)/[0-9][0-9,.]*$")
_WHOLE_NUMBER = re.compile(r"(?<![0-9.eE])(?<![eE][+-])[0-9][0-9,]*$")  # not the digits of a decimal or an exponent
_NOT_READ = ")]}'\"\u201d\u2019 "  # closing brackets and quotes are not read aloud
_HANGUL_FIRST, _HANGUL_LAST, _FINALS = 0xAC00, 0xD7A3, 28
_RIEUL = 8  # index of the final consonant ㄹ


def particle(word: str, pair: str) -> str:
    """`word` followed by the particle of `pair` that fits how `word` ends when read aloud.

    `pair` is one of "이/가", "은/는", "을/를", "과/와", "으로/로": the first form
    follows a final consonant (받침), the second a vowel; "으로/로" takes 로
    after ㄹ too. The end is read as a Korean reader says it
    (`spoken_end`): particle("1.28", "과/와") is "1.28과" (팔),
    particle("0.23", "으로/로") is "0.23으로" (삼), particle("0.97", "으로/로")
    is "0.97로" (칠). A word whose end cannot be read (a Latin letter, a
    symbol, nan) gets both forms, as Korean writing does: "이(가)", "은(는)",
    "을(를)", "와(과)", "(으)로".
    """
    if pair not in _PARTICLES:
        raise ValueError(
            bilingual(
                f"조사 쌍은 {', '.join(map(repr, _PARTICLES))} 가운데 하나여야 합니다 (받은 값: {pair!r})",
                f"the particle pair must be one of {', '.join(map(repr, _PARTICLES))}, got {pair!r}",
            )
        )
    after_consonant, after_vowel, unknown = _PARTICLES[pair]
    syllable = spoken_end(word)
    if syllable is None:
        return word + unknown
    final = (ord(syllable) - _HANGUL_FIRST) % _FINALS
    if final == 0 or (final == _RIEUL and pair == "으로/로"):
        return word + after_vowel
    return word + after_consonant


def spoken_end(text: str) -> str | None:
    """The last Hangul syllable heard when `text` is read aloud, or None if its end is not Korean or a number.

    Read as a Korean reader says it: a Hangul syllable as itself; a digit of a
    decimal or an exponent by its name (0 영, 1 일, 2 이, 3 삼, 4 사, 5 오,
    6 육, 7 칠, 8 팔, 9 구), so "2.1e-02" ends in 이; a whole number ending
    in zeros by its unit (10 십, 300 삼백, 20,000 이만, 10^12 조); '%' as
    퍼센트; a fraction a/b as "b분의 a", so "1/4.8" ends in 일. Closing
    brackets and quotes are not read: "[0, 1]" ends in 일.
    """
    text = text.rstrip(_NOT_READ)
    if not text:
        return None
    last = text[-1]
    if _HANGUL_FIRST <= ord(last) <= _HANGUL_LAST:
        return last
    if last == "%":
        return "트"
    if last not in _DIGIT_READINGS:
        return None
    fraction = _FRACTION.search(text)
    if fraction:
        return spoken_end(fraction.group(1))
    whole = _WHOLE_NUMBER.search(text)
    if whole:
        digits = whole.group().replace(",", "")
        zeros = len(digits) - len(digits.rstrip("0"))
        if 0 < zeros < len(digits):  # "0" and "00" are read 영
            return _ZERO_UNITS[zeros - 1] if zeros <= len(_ZERO_UNITS) else None
    return _DIGIT_READINGS[last]
