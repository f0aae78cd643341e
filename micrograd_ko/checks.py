"""Checks of what a learner passes in, and where random numbers come from.

Every check returns the value it accepted (so `n = check_positive_int(n, "n")`
reads as one step) or raises an error that names the problem in Korean and
English. This module sits at the bottom of the package: it imports only the
engine's public names and `i18n`, so every other module may import it.

Random numbers (`make_rng`):
- `None`: Python's global `random` module, exactly as karpathy's micrograd
  draws its weights (`random.uniform(-1, 1)`), so `random.seed(1337)` before
  building a model reproduces micrograd's numbers bit for bit.
- an int: a private `random.Random(seed)`; the global state is neither read
  nor changed, and the same seed always gives the same numbers.
- a `random.Random`: used as it is (one generator shared by the parts of a model).
"""

from __future__ import annotations

import math
import numbers
import random
from typing import Any

from .engine import ACTIVATIONS, Value
from .i18n import bilingual, did_you_mean

__all__ = [
    "Seed",
    "make_rng",
    "check_positive_int",
    "check_activation",
    "check_numbers",
    "check_dataset",
    "check_loss_output",
    "ELEMENTWISE_LOSSES",
]


# The module functions (random.seed, random.uniform, ...) are, as the random
# module documents, bound methods of one hidden random.Random: this one.
_GLOBAL_RANDOM: random.Random = random.random.__self__  # type: ignore[attr-defined]

# What `seed=` takes everywhere in the package (see the module docstring).
Seed = int | random.Random | None


def make_rng(seed: Seed) -> random.Random:
    """The random number source for `seed` (see the module docstring): None, an int or a `random.Random`."""
    if isinstance(seed, random.Random):
        return seed
    if seed is None:
        return _GLOBAL_RANDOM
    if isinstance(seed, int) and not isinstance(seed, bool):
        return random.Random(seed)
    raise TypeError(
        bilingual(
            f"시드는 정수, None 또는 random.Random이어야 합니다: {seed!r}",
            f"a seed must be an int, None or a random.Random, got {seed!r}",
        )
    )


def is_integer(n: object) -> bool:
    """Whether `n` is an integer: an int or another integral type (numpy.int64, ...), but not a bool."""
    return isinstance(n, numbers.Integral) and not isinstance(n, bool)


def check_positive_int(n: object, what: str) -> int:
    """`n` as an int if it is a positive integer (see `is_integer`; bools are not), else a ValueError naming `what`."""
    if not is_integer(n) or n < 1:  # type: ignore[operator]
        raise ValueError(
            bilingual(f"{what}은(는) 양의 정수여야 합니다: {n!r}", f"{what} must be a positive int, got {n!r}")
        )
    return int(n)  # type: ignore[call-overload]


def check_activation(name: object) -> str:
    """`name` if it is one of the engine's `ACTIVATIONS`, else a ValueError listing them."""
    if name == "softmax":
        raise ValueError(
            bilingual(
                "softmax는 뉴런 하나의 활성화 함수가 아니라 층 전체를 확률로 바꾸는 함수이고, 손실에 들어 있습니다: "
                "출력층은 선형(output_activation=None)으로 두고 loss='cross_entropy'를 쓰세요 "
                "(cross_entropy가 softmax를 적용합니다)",
                "softmax is not an activation of one unit: it turns a whole layer into probabilities, and it "
                "belongs to the loss: keep the output layer linear (output_activation=None) and use "
                "loss='cross_entropy' (which applies softmax)",
            )
        )
    if not isinstance(name, str) or name not in ACTIVATIONS:
        names = ", ".join(ACTIVATIONS)
        hint_ko, hint_en = did_you_mean(name, ACTIVATIONS)
        raise ValueError(
            bilingual(
                f"알 수 없는 활성화 함수 {name!r}{hint_ko}: 가능한 이름은 {names}",
                f"unknown activation {name!r}{hint_en}; valid names: {names}",
            )
        )
    return name


def check_numbers(value: Any, shape: tuple[int, ...], name: str) -> Any:
    """`value` as floats of the given shape (() = one number, (3,) = a list of 3, ...), or a clear error."""
    if not shape:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(
                f"{name}: "
                + bilingual(
                    f"숫자가 필요합니다 (받은 것: {type(value).__name__})",
                    f"expected a number, got {type(value).__name__}",
                )
            )
        try:
            number = float(value)
        except OverflowError:  # an int with hundreds of digits
            number = math.inf
        if not math.isfinite(number):
            digits = str(value)
            shown = digits if len(digits) <= 24 else f"{digits[:10]}… ({len(digits)} digits)"
            raise ValueError(
                f"{name}: "
                + bilingual(f"유한한 float가 필요합니다 (받은 값: {shown})", f"expected a finite float, got {shown}")
            )
        return number
    if not isinstance(value, (list, tuple)):
        raise TypeError(
            f"{name}: "
            + bilingual(
                f"길이 {shape[0]}의 목록이 필요합니다 (받은 것: {type(value).__name__})",
                f"expected a list of {shape[0]}, got {type(value).__name__}",
            )
        )
    if len(value) != shape[0]:
        raise ValueError(
            f"{name}: "
            + bilingual(
                f"길이가 {shape[0]}이어야 하는데 {len(value)}입니다", f"expected {shape[0]} entries, got {len(value)}"
            )
        )
    if len(shape) == 1 and all(type(v) is float and math.isfinite(v) for v in value):
        return list(value)  # the common case (floats read from a file), in one pass
    return [check_numbers(v, shape[1:], f"{name}[{i}]") for i, v in enumerate(value)]


def check_dataset(X: Any, y: Any) -> tuple[Any, Any]:
    """`(X, y)` if both are sequences of the same non-zero length, else a clear error.

    A generator is refused, not read: training goes over the data once per
    epoch, and a generator can be read only once (an endless one would hang).
    """
    for name, data in (("X", X), ("y", y)):
        if not (hasattr(data, "__len__") and hasattr(data, "__getitem__")) or isinstance(data, (str, bytes, dict)):
            raise TypeError(
                bilingual(
                    f"{name}는 리스트여야 합니다 (받은 것: {type(data).__name__}); 제너레이터는 한 번만 읽히므로 "
                    f"list({name})로 바꿔 주세요",
                    f"{name} must be a list (got {type(data).__name__}); a generator can be read only once, "
                    f"so pass list({name})",
                )
            )
    if len(X) != len(y) or not len(X):
        raise ValueError(
            bilingual(
                f"X({len(X)}개)와 y({len(y)}개)의 길이가 같고 0이 아니어야 합니다",
                f"X and y must be equally long and non-empty ({len(X)}, {len(y)})",
            )
        )
    return X, y


# Losses that compare output i with target i: a target has as many numbers as the model has outputs.
ELEMENTWISE_LOSSES = ("bce", "bce_with_logits", "hinge", "mse")


def check_loss_output(loss_name: str, output_width: int, target: Any) -> None:
    """Whether a loss can compare a model's output (`output_width` numbers) with a `target`.

    Call it once, with the first sample's target, before training: the error
    names the loss, the output width and what to change, instead of failing
    deep inside the loss. Returns None; unknown names are not judged here.
    """
    output_width = check_positive_int(output_width, "output_width")
    if loss_name == "cross_entropy":
        if output_width < 2:
            raise ValueError(
                bilingual(
                    f"loss='cross_entropy'는 클래스마다 점수 하나가 필요한데 모델의 출력 너비가 {output_width}입니다: "
                    "출력을 클래스 수만큼 두거나 (예: MLP(2, [8, 3])), 두 클래스라면 loss='bce_with_logits'를 쓰세요",
                    f"loss='cross_entropy' needs one score per class but the model's output width is {output_width}: "
                    "give the last layer one unit per class (e.g. MLP(2, [8, 3])), or use loss='bce_with_logits' for two classes",
                )
            )
        label: Any = target.data if isinstance(target, Value) else target  # (a numpy number has a .data too)
        is_number = isinstance(label, numbers.Real) and not isinstance(label, bool)
        is_index = is_number and math.isfinite(label) and label == int(label) and 0 <= label < output_width
        if not is_index:
            raise ValueError(
                bilingual(
                    f"loss='cross_entropy'의 목표는 0 이상 {output_width} 미만의 클래스 번호입니다 (받은 값 {target!r})",
                    f"loss='cross_entropy' takes a class index in [0, {output_width}) as the target, got {target!r}",
                )
            )
        return
    if loss_name not in ELEMENTWISE_LOSSES:
        return
    target_width = len(target) if isinstance(target, (list, tuple)) else 1
    if target_width != output_width:
        hint_ko = hint_en = ""
        if target_width == 1 and loss_name != "mse":
            hint_ko = f"; 클래스 {output_width}개를 가르려면 loss='cross_entropy'를 쓰거나 출력 너비를 1로 두세요"
            hint_en = f"; for {output_width} classes use loss='cross_entropy', or a last layer of width 1"
        raise ValueError(
            bilingual(
                f"loss={loss_name!r}는 출력 하나마다 목표 하나를 비교하는데, 모델의 출력 너비는 {output_width}이고 "
                f"목표는 숫자 {target_width}개입니다{hint_ko}",
                f"loss={loss_name!r} compares each output with one target number, but the model's output width is "
                f"{output_width} and a target has {target_width}{hint_en}",
            )
        )


def check_bool(name: str, value: Any, optional: bool = False) -> Any:
    """A TypeError naming `name` unless `value` is True or False (or None when `optional`): the string 'no' is not False."""
    if isinstance(value, bool) or (optional and value is None):
        return value
    allowed = (
        ("True, False 또는 None이어야", "True, False or None") if optional else ("True 또는 False여야", "True or False")
    )
    raise TypeError(
        bilingual(
            f"{name}는 {allowed[0]} 합니다 (받은 것: {value!r})",
            f"{name} must be {allowed[1]}, got {value!r}",
        )
    )
