"""Every bilingual message of the training modules names in its Korean half each value its English half names.

Readers of the Korean notebooks call `set_message_language("ko")` and see
only the Korean half: a value interpolated only into the English half (the
bad argument, its type, the parameter's index) would be hidden from them.
The check reads the source: for each `bilingual(ko, en)` call, the
expressions inside the English f-string(s) must appear in the Korean ones
(a pair of variables `x_ko`, `x_en` counts as one value).
"""

import ast
import pathlib

import pytest

import micrograd_ko

PACKAGE = pathlib.Path(micrograd_ko.__file__).parent
FILES = ["rbm.py", "gradcheck.py", "train.py", "optim.py"]


def interpolated(node):
    """The expressions formatted into a string expression (f-strings, their sums, a conditional between two)."""
    if isinstance(node, ast.JoinedStr):
        return set().union(*(_named(v.value) for v in node.values if isinstance(v, ast.FormattedValue)))
    if isinstance(node, ast.BinOp):
        return interpolated(node.left) | interpolated(node.right)
    if isinstance(node, ast.IfExp):
        return interpolated(node.body) | interpolated(node.orelse)
    if isinstance(node, ast.Constant):
        return set()
    return {_same(ast.unparse(node))}


def _named(expression):
    """What one replacement field names: `particle(f"{lr!r}", "으로/로")` (the Korean particle after a number) names
    what its word names."""
    if isinstance(expression, ast.Call) and getattr(expression.func, "id", None) == "particle" and expression.args:
        word = expression.args[0]
        while isinstance(word, ast.Call) and getattr(word.func, "id", None) in ("repr", "str", "format") and word.args:
            word = word.args[0]  # particle(repr(h), ...) names h, as f"{h!r}" does
        return interpolated(word)
    return {_same(ast.unparse(expression))}


def _same(expression):
    for suffix in ("_ko", "_en"):
        expression = expression.replace(suffix, "")
    return expression


def hidden_from_korean(source):
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "bilingual" and len(node.args) == 2:
            korean, english = map(interpolated, node.args)
            if english - korean:
                found.append((node.lineno, sorted(english - korean)))
    return found


@pytest.mark.parametrize("name", FILES)
def test_the_korean_half_names_every_value_the_english_half_names(name):
    assert hidden_from_korean((PACKAGE / name).read_text(encoding="utf-8")) == []


def test_the_check_finds_a_value_named_only_in_english():
    source = 'bilingual("매개변수는 Value여야 합니다", f"parameters must be Values, got {type(p).__name__}")'
    assert hidden_from_korean(source) == [(1, ["type(p).__name__"])]
    both = 'bilingual(f"lr={lr!r}: 범위", f"lr={lr!r} out of range")'
    assert hidden_from_korean(both) == []


def test_a_particle_call_names_what_its_word_names():
    both = "bilingual(f\"학습률 {particle(f'{lr!r}', '으로/로')} 범위\", f\"lr={lr!r} out of range\")"
    assert hidden_from_korean(both) == []
    through_repr = 'bilingual(f"± {particle(repr(h), \'은/는\')} 무한대", f"shifted by ± {h!r}")'
    assert hidden_from_korean(through_repr) == []
    hidden = "bilingual(f\"{particle('값', '이/가')} 범위\", f\"lr={lr!r} out of range\")"
    assert hidden_from_korean(hidden) == [(1, ["lr"])]
