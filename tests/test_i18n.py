"""micrograd_ko/i18n.py: errors in both languages unless a reader chose one, and the particle after a run-time number."""

import re
from pathlib import Path

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


# ---- particles after text known only at run time ---------------------------------------------


@pytest.mark.parametrize(
    ("digit", "reading", "subject", "with_ro"),
    [
        ("0", "영", "이", "으로"),
        ("1", "일", "이", "로"),
        ("2", "이", "가", "로"),
        ("3", "삼", "이", "으로"),
        ("4", "사", "가", "로"),
        ("5", "오", "가", "로"),
        ("6", "육", "이", "으로"),
        ("7", "칠", "이", "로"),
        ("8", "팔", "이", "로"),
        ("9", "구", "가", "로"),
    ],
)
def test_a_final_digit_is_read_by_its_korean_name(digit, reading, subject, with_ro):
    word = f"0.1{digit}"
    assert i18n.spoken_end(word) == reading
    assert i18n.particle(word, "이/가") == word + subject
    assert i18n.particle(word, "으로/로") == word + with_ro


def test_the_sentences_the_notebooks_got_wrong():
    assert i18n.particle("1.28", "과/와") == "1.28과"  # 팔
    assert i18n.particle("0.23", "으로/로") == "0.23으로"  # 삼
    assert i18n.particle("0.97", "으로/로") == "0.97로"  # 칠: ㄹ takes 로
    assert i18n.particle("-12.0", "은/는") == "-12.0은"  # 영
    assert i18n.particle("0.378", "은/는") == "0.378은"  # 팔
    assert i18n.particle("0.19–0.23", "으로/로") == "0.19–0.23으로"  # a range ends in its second number


def test_rieul_takes_ro_but_counts_as_a_consonant_for_the_other_pairs():
    for word in ("0.1", "0.7", "0.8", "서울"):
        assert i18n.particle(word, "으로/로") == word + "로"
        assert i18n.particle(word, "을/를") == word + "을"
        assert i18n.particle(word, "과/와") == word + "과"


def test_hangul_with_and_without_a_final_consonant():
    assert i18n.particle("0.75배", "으로/로") == "0.75배로"
    assert i18n.particle("사과", "을/를") == "사과를"
    assert i18n.particle("사과", "과/와") == "사과와"
    assert i18n.particle("수박", "은/는") == "수박은"
    assert i18n.particle("수박", "으로/로") == "수박으로"
    assert i18n.particle("수박", "이/가") == "수박이"


def test_e_notation_ends_in_its_exponents_last_digit():
    assert i18n.particle("2.1e-02", "으로/로") == "2.1e-02로"  # 이
    assert i18n.particle("4e-05", "으로/로") == "4e-05로"  # 오
    assert i18n.particle("1.7e-03", "과/와") == "1.7e-03과"  # 삼
    assert i18n.particle("1e+100", "과/와") == "1e+100과"  # 영: the exponent is not a whole number read 백


def test_a_percent_is_read_percent():
    assert i18n.particle("83%", "이/가") == "83%가"
    assert i18n.particle("8%", "으로/로") == "8%로"


def test_whole_numbers_ending_in_zeros_are_read_by_their_unit():
    assert i18n.spoken_end("10") == "십" and i18n.particle("10", "으로/로") == "10으로"
    assert i18n.spoken_end("2,000") == "천" and i18n.particle("2,000", "과/와") == "2,000과"
    assert i18n.spoken_end("-300") == "백"
    assert i18n.particle("1000000000000", "이/가") == "1000000000000가"  # 일조: no final consonant
    assert i18n.particle("0", "은/는") == "0은" and i18n.particle("2.0", "은/는") == "2.0은"


def test_a_fraction_is_read_denominator_first():
    """1/4.8 is read "4.8분의 1": the particle follows 일."""
    assert i18n.particle("1/4.8", "으로/로") == "1/4.8로"
    assert i18n.particle("1/2,449", "으로/로") == "1/2,449로"
    assert i18n.particle("3/4", "으로/로") == "3/4으로"


def test_closing_brackets_and_quotes_are_not_read():
    assert i18n.particle("[0, 1, 1, 1]", "으로/로") == "[0, 1, 1, 1]로"
    assert i18n.particle("(3)", "을/를") == "(3)을"


def test_an_end_that_cannot_be_read_gets_both_forms():
    assert i18n.particle("Value", "이/가") == "Value이(가)"
    assert i18n.particle("nan", "으로/로") == "nan(으)로"
    assert i18n.particle("x²", "은/는") == "x²은(는)"
    assert i18n.particle("", "을/를") == "을(를)"
    assert i18n.particle("f(x)", "과/와") == "f(x)와(과)"


def test_an_unknown_particle_pair_is_named():
    with pytest.raises(ValueError, match="'을/를/이'"):
        i18n.particle("3", "을/를/이")


# A number formatted by the library (`{x:.2f}`, `{n:g}`, `{len(xs)}`) followed by a typed particle fits some values
# only: the messages choose it with particle(format(x, '.2f'), '으로/로'). Fields that name code ({name}은(는)) are
# left alone: their particle depends on a name, not on a measured value.
NUMBER_THEN_PARTICLE = re.compile(
    r"\{(?:[^{}:]*:[^{}]*[defgn%]|len\([^{}]*\))\}(?:와|과|로|으로|는|은|가|이|를|을)(?![가-힣])"
)
PACKAGE = Path(i18n.__file__).parent


def test_number_then_particle_check_catches_a_typed_particle():
    source = "f\"배율 {x:.2f}로 {n:g}과 {len(xs)}이(가) {name}은(는) {k:d}개 {y:.1e}입니다 {particle(format(x, 'g'), '과/와')}\""
    assert [m.group(0) for m in NUMBER_THEN_PARTICLE.finditer(source)] == ["{x:.2f}로", "{n:g}과", "{len(xs)}이"]


def test_library_messages_choose_the_particle_after_a_number():
    found = [
        f"{path.relative_to(PACKAGE)}: {m.group(0)}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for m in NUMBER_THEN_PARTICLE.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not found, found


@pytest.mark.parametrize(
    "make, meant",
    [
        (lambda: __import__("micrograd_ko").nn.MLP(2, [3, 1], activation="ReLU"), "relu"),
        (lambda: __import__("micrograd_ko").nn.MLP(2, [3, 1], activation="sigmod"), "sigmoid"),
        (lambda: __import__("micrograd_ko").nn.MLP(2, [3, 1], activation="leaky-relu"), "leaky_relu"),
        (lambda: __import__("micrograd_ko").losses.get("crossentropy"), "cross_entropy"),
        (lambda: __import__("micrograd_ko").losses.get("MSE"), "mse"),
        (lambda: __import__("micrograd_ko").init.get("He_Normal"), "he_normal"),
    ],
)
def test_a_name_from_another_library_or_a_typo_gets_the_name_it_meant(make, meant):
    """PyTorch's class names (ReLU, MSE), a missing '_' and a typo are what a learner types first."""
    with pytest.raises(ValueError) as info:
        make()
    ko, en = str(info.value).split(" / ")
    assert f"혹시 {meant!r}인가요?" in ko and f"did you mean {meant!r}?" in en


def test_no_hint_where_no_name_is_close():
    from micrograd_ko.i18n import did_you_mean

    assert did_you_mean("relu6", ["relu", "sigmoid"]) == ("", "")  # another function, not a typo
    assert did_you_mean("xavier", ["xavier_uniform", "xavier_normal"]) == ("", "")  # two fit: the list says
    assert did_you_mean(3, ["relu"]) == ("", "")
