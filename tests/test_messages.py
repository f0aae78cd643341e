"""Both halves of an error message name the same values.

A reader who chose Korean messages (`set_message_language("ko")`, as the
Korean notebooks do) sees only the Korean half, so a value the English half
shows (the bad argument, a name, a count) must be shown in the Korean half too.

The check reads the package's source with `ast`: for every call of
`bilingual(ko, en)` (and of the package's own helpers that take `ko` and `en`
and pass them to `bilingual`), each `{placeholder}` of the English f-string
must be matched in the Korean f-string. A Korean placeholder matches when it
is the same expression, or when it uses the same variables (`{x!r}` shows
what `{type(x).__name__}` shows, and more; `{n}` covers the English plural
`{'s' * (n != 1)}`). Language pairs match by name: `{en}`/`{ko}`,
`{hint_en}`/`{hint_ko}`, `{en_ref}`/`{ko_ref}`, or by being assigned together
(`verb_ko, verb_en = ...`). A helper's other arguments count as shown when the
helper puts them in the message itself (`_domain_error(op, x, ko, en)` starts
with `op(x):`).
"""

from __future__ import annotations

import ast
import builtins
import re
from pathlib import Path

import pytest

import micrograd_ko

PACKAGE = Path(micrograd_ko.__file__).parent
BUILTINS = frozenset(dir(builtins))


def _language_twin(name: str) -> str:
    """The Korean variable that goes with an English one: en -> ko, hint_en -> hint_ko, en_ref -> ko_ref."""
    return re.sub(r"(^en$|^en_|_en$)", lambda m: m.group(0).replace("en", "ko"), name)


def _is_korean_name(name: str) -> bool:
    return bool(re.search(r"(^ko$|^ko_|_ko$)", name))


def _placeholders(node: ast.AST) -> list[ast.expr]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.FormattedValue)]


def _variables(expr: ast.AST) -> set[str]:
    """The variables an expression reads (names and dotted attributes like self.style), without builtins."""
    found = set()
    for n in ast.walk(expr):
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name):
            found.add(ast.unparse(n))
        elif isinstance(n, ast.Name) and n.id not in BUILTINS:
            found.add(n.id)
    # `self` alone says nothing once `self.style` is there
    return {v for v in found if not any(w.startswith(v + ".") for w in found)}


def _assigned_together(tree: ast.Module) -> dict[str, set[str]]:
    """For each name, the names assigned in the same statement (`a_ko, a_en = ...`, `h_ko = h_en = ""`)."""
    together: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            names = {n.id for target in node.targets for n in ast.walk(target) if isinstance(n, ast.Name)}
            for name in names:
                together.setdefault(name, set()).update(names - {name})
    return together


def _matched(en_expr: ast.expr, ko_exprs: list[ast.expr], shown: set[str], together: dict[str, set[str]]) -> bool:
    if ast.unparse(en_expr) in {ast.unparse(e) for e in ko_exprs}:
        return True
    ko_vars = shown.union(*(_variables(e) for e in ko_exprs))
    for name in _variables(en_expr):
        twins = {_language_twin(name)} | {t for t in together.get(name, ()) if _is_korean_name(t)}
        if not twins & ko_vars:
            return False
    return True  # also a constant, e.g. {'s' * 1}: nothing the reader passed


def _message_makers(trees: dict[str, ast.Module]) -> dict[str, tuple[int, int, set[int]]]:
    """Functions that pass Korean and English text to bilingual: name -> (ko index, en index, indices of
    the other arguments the function puts in the message itself)."""
    makers: dict[str, tuple[int, int, set[int]]] = {"bilingual": (0, 1, set())}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name != "bilingual":
                names = [a.arg for a in node.args.args]
                calls_bilingual = any(
                    isinstance(n, ast.Call) and getattr(n.func, "id", None) == "bilingual" for n in ast.walk(node)
                )
                if "ko" in names and "en" in names and calls_bilingual:
                    used = set().union(*(_variables(e) for e in _placeholders(node)))
                    shows = {i for i, name in enumerate(names) if name in used and name not in ("ko", "en")}
                    makers[node.name] = (names.index("ko"), names.index("en"), shows)
    return makers


def _argument(call: ast.Call, name: str, index: int) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return call.args[index] if index < len(call.args) else None


def message_gaps(package: Path = PACKAGE) -> tuple[set[tuple[str, str]], int]:
    """Every message whose English half shows a value the Korean half does not, and how many calls were read."""
    trees = {p.relative_to(package).as_posix(): ast.parse(p.read_text(encoding="utf-8")) for p in package.rglob("*.py")}
    makers = _message_makers(trees)
    gaps = set()
    checked = 0
    for path, tree in trees.items():
        together = _assigned_together(tree)
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            name = getattr(call.func, "id", None) or getattr(call.func, "attr", None)
            if name not in makers:
                continue
            ko_index, en_index, shows = makers[name]
            ko, en = _argument(call, "ko", ko_index), _argument(call, "en", en_index)
            if ko is None or en is None:
                continue
            checked += 1
            shown = set().union(*(_variables(call.args[i]) for i in shows if i < len(call.args)))
            ko_exprs = _placeholders(ko)
            if not all(_matched(e, ko_exprs, shown, together) for e in _placeholders(en)):
                text = ast.unparse(en)
                gaps.add((path, text[2:-1] if isinstance(en, ast.JoinedStr) else text))  # f'...' -> ...
    return gaps, checked


def test_every_message_names_its_values_in_both_languages():
    gaps, checked = message_gaps()
    assert checked > 200  # the scan found the package's messages
    new = sorted(gaps)
    assert not new, "Korean half leaves out a value the English half shows:\n" + "\n".join(map(str, new))


@pytest.mark.parametrize(
    ("ko", "en", "ok"),
    [
        ('f"값이 잘못되었습니다"', 'f"bad value {x!r}"', False),
        ('f"값이 잘못되었습니다: {x!r}"', 'f"bad value {x!r}"', True),
        ('f"{x!r}는 안 됩니다"', 'f"got {type(x).__name__}"', True),
        ('f"{n}개"', "f\"{n} item{'s' * (n != 1)}\"", True),
        ('f"{hint_ko}"', 'f"{hint_en}"', True),
        ('f"{ko}"', 'f"{en}"', True),
        ('f"{self.rankdir}"', 'f"{self.style!r}"', False),
        ('f"{STYLES} 중 하나"', 'f"one of {STYLES}, got {style!r}"', False),
    ],
)
def test_the_check_itself(tmp_path, ko, en, ok):
    (tmp_path / "m.py").write_text(f"from .i18n import bilingual\nbilingual({ko}, {en})\n", encoding="utf-8")
    gaps, checked = message_gaps(tmp_path)
    assert checked == 1
    assert (not gaps) == ok


def test_a_helper_that_passes_ko_and_en_to_bilingual_is_checked(tmp_path):
    source = (
        "def _refuse(ko, en):\n    raise ValueError(bilingual(ko, en))\n"
        "def f(x):\n    _refuse('틀렸습니다', f'wrong: {x!r}')\n"
    )
    (tmp_path / "m.py").write_text(source, encoding="utf-8")
    gaps, checked = message_gaps(tmp_path)
    assert checked == 2 and len(gaps) == 1


# -- the messages fixed with this check, seen as a Korean reader sees them --


@pytest.fixture
def korean_messages():
    micrograd_ko.i18n.set_message_language("ko")
    yield
    micrograd_ko.i18n.set_message_language(None)


def _korean_error(call, *args, **kwargs):
    with pytest.raises((TypeError, ValueError)) as error:
        call(*args, **kwargs)
    return str(error.value)


def test_korean_messages_name_what_was_passed(korean_messages):
    from micrograd_ko import checks, i18n, nn

    assert "'fr'" in _korean_error(i18n.set_language, "fr")
    assert "str" in _korean_error(checks.check_numbers, "a", (), "x")
    assert "nan" in _korean_error(checks.check_numbers, float("nan"), (), "x")
    assert "dict" in _korean_error(checks.check_numbers, {}, (2,), "x")
    assert "42" in _korean_error(nn.MLP, 2, [3, 1], activation=42)


# -- the words: notebooks/README.md's term table --

# words the term table replaces: 뉴런 ("유닛" 대신 "뉴런"), 층 (layer), 미니배치 크기 (mini-batch size)
NOT_THE_TERMS = {r"유닛": "뉴런", r"계층": "층", r"(?<!미니)배치 크기": "미니배치 크기"}


def test_korean_text_uses_the_words_of_the_term_table():
    """The term table (notebooks/README.md) says which Korean word the output and README use for each term."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found += [
                    f"{path.relative_to(PACKAGE)}:{node.lineno}: {word} → {term}: {node.value.strip()[:60]}"
                    for word, term in NOT_THE_TERMS.items()
                    if re.search(word, node.value)
                ]
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    found += [
        f"README.md: {word} → {term}: {line.strip()[:60]}"
        for line in readme.splitlines()
        for word, term in NOT_THE_TERMS.items()
        if re.search(word, line)
    ]
    assert not found, "\n".join(found)
