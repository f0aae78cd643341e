"""The checks module (what fit and the models check), and the import line of the package."""

import ast
import random
from pathlib import Path

import pytest

import micrograd_ko
from micrograd_ko.checks import (
    check_activation,
    check_dataset,
    check_loss_output,
    check_numbers,
    check_positive_int,
    make_rng,
)
from micrograd_ko.engine import ACTIVATIONS, Value

PACKAGE = Path(micrograd_ko.__file__).parent


def test_make_rng_none_is_the_global_random_an_int_a_private_one():
    random.seed(11)
    expected = random.random()
    random.seed(11)
    assert make_rng(None).random() == expected
    private = make_rng(11)
    assert private is not make_rng(None) and private.random() == expected
    assert make_rng(private) is private
    with pytest.raises(TypeError, match=" / a seed must be"):
        make_rng(1.5)


def test_check_positive_int_and_check_activation_name_the_problem():
    assert check_positive_int(3, "epochs") == 3
    for bad in (0, -1, True, 2.0, "3"):
        with pytest.raises(ValueError, match="epochs must be a positive int"):
            check_positive_int(bad, "epochs")
    assert all(check_activation(name) == name for name in ACTIVATIONS)
    with pytest.raises(ValueError, match="unknown activation 'relu6'; valid names: linear, "):
        check_activation("relu6")


def test_check_numbers_gives_floats_of_a_shape_or_a_clear_error():
    assert check_numbers([[1, 2.5]], (1, 2), "w") == [[1.0, 2.5]]
    with pytest.raises(ValueError, match=r"w\[0\]: .* / expected 2 entries, got 1"):
        check_numbers([[1]], (1, 2), "w")
    with pytest.raises(ValueError, match=r"b: .* / expected a finite float, got 1000000000… \(400 digits\)"):
        check_numbers(10**399, (), "b")


def test_check_dataset_refuses_a_generator_before_reading_it():
    with pytest.raises(TypeError, match=r"X must be a list \(got generator\); .*pass list\(X\)"):
        check_dataset((x for x in [[0.0]]), [0])
    with pytest.raises(TypeError, match=r"y must be a list"):
        check_dataset([[0.0]], iter([0]))
    with pytest.raises(ValueError, match=r"equally long and non-empty \(2, 1\)"):
        check_dataset([[0.0], [1.0]], [0])
    X, y = [[0.0], [1.0]], (0, 1)
    assert check_dataset(X, y) == (X, y)


@pytest.mark.parametrize(
    "loss, width, target, message",
    [
        ("bce", 2, 1, r"loss='bce' .* output width is 2 and a target has 1; for 2 classes use loss='cross_entropy'"),
        ("bce_with_logits", 3, 0.0, r"output width is 3 and a target has 1"),
        ("hinge", 1, [1, -1], r"output width is 1 and a target has 2"),
        ("mse", 2, [1.0, 2.0, 3.0], r"loss='mse' .* output width is 2 and a target has 3$"),
        ("cross_entropy", 1, 0, r"needs one score per class but the model's output width is 1"),
        ("cross_entropy", 3, 3, r"class index in \[0, 3\) as the target, got 3"),
        ("cross_entropy", 3, 1.5, r"got 1.5"),
    ],
)
def test_check_loss_output_names_the_loss_and_the_output_width(loss, width, target, message):
    with pytest.raises(ValueError, match=message) as error:
        check_loss_output(loss, width, target)
    assert " / " in str(error.value)


@pytest.mark.parametrize(
    "loss, width, target",
    [
        ("bce", 1, 1),
        ("bce", 2, [0, 1]),
        ("mse", 3, [1, 2, 3]),
        ("cross_entropy", 3, 2),
        ("cross_entropy", 2, Value(1.0)),
        ("hinge", 1, -1),
        ("my_own_loss", 5, "anything"),
    ],
)
def test_check_loss_output_accepts_what_the_loss_can_compare(loss, width, target):
    assert check_loss_output(loss, width, target) is None


def _package_imports(path):
    """(top-level, inside-a-function) names of micrograd_ko modules that `path` imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top, nested = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            names = [node.module] if node.module else [alias.name for alias in node.names]
            where = top if node in tree.body else nested
            where.update(name.split(".")[0] for name in names)
    return top, nested


def test_the_model_modules_import_each_other_in_a_line_not_a_circle():
    modules = [
        "checks",
        "torch_bridge",
        "module",
        "serialize",
        "nn",
        "losses",
        "optim",
        "init",
        "datasets",
        "expression",
        "cli",
    ]
    graph = {}
    for name in modules:
        top, nested = _package_imports(PACKAGE / f"{name}.py")
        if name not in ("cli",):  # the command line imports its commands' modules when they run
            assert not nested, f"{name}.py imports {nested} inside a function"
        graph[name] = top
    # walk from each module: it must never reach itself again
    for start in modules:
        seen, stack = set(), list(graph[start])
        while stack:
            name = stack.pop()
            assert name != start, f"{start} imports itself through a circle"
            if name in graph and name not in seen:
                seen.add(name)
                stack.extend(graph[name])
