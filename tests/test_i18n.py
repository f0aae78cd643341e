"""The message-language policy of micrograd_ko/i18n.py: errors in both languages unless a reader chose one."""

import pytest

from micrograd_ko import Value, i18n


@pytest.fixture(autouse=True)
def _restore():
    yield
    i18n.set_message_language(None)


def _log_error():
    with pytest.raises(ValueError) as error:
        Value(-1.0).log()
    return str(error.value)


def test_errors_carry_both_languages_by_default_and_do_not_follow_set_language():
    both = _log_error()
    assert " / " in both
    with i18n.language("en"):
        assert _log_error() == both


def test_a_reader_who_chose_korean_gets_korean_only():
    both = _log_error()
    i18n.set_message_language("ko")
    korean = _log_error()
    assert korean == both.split(" / ")[0] == "log(-1.0): 양수에서만 정의됩니다"
    i18n.set_message_language("en")
    assert _log_error() == "log(-1.0): log needs a positive input"
    i18n.set_message_language(None)
    assert _log_error() == both


def test_an_unknown_message_language_is_named():
    with pytest.raises(ValueError, match="'fr'"):
        i18n.set_message_language("fr")
    assert i18n.get_message_language() is None
