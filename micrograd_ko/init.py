"""Weight initializers (가중치 초기화 / 초깃값): how the first weights are drawn.

An initializer is a callable `draw(rng, fan_in, fan_out) -> float` that
returns ONE number. `fan_in` is the number of inputs of the layer (n_in),
`fan_out` its number of units (n_out); the scaled rules use them to choose
the spread:

    name            draws                              why
    zeros           0                                  (every unit stays identical)
    normal          N(0, std^2), std = 1 by default    Nielsen's biases b ~ N(0, 1)
    uniform         U(a, b), U(-1, 1) by default       karpathy's micrograd
    xavier_uniform  U(-r, r), r = sqrt(6 / (n_in + n_out))   Glorot & Bengio 2010
    xavier_normal   N(0, 2 / (n_in + n_out))           Glorot & Bengio 2010
    he_uniform      U(-r, r), r = sqrt(6 / n_in)       He et al. 2015, for ReLU
    he_normal       N(0, 2 / n_in)                     He et al. 2015, for ReLU
    lecun_normal    N(0, 1 / n_in)                     LeCun 1998; Nielsen's W ~ N(0, 1/n_in)

The random numbers come from the `rng` passed in: the model's private
`random.Random(seed)` when it was given an int seed (the same seed gives
bit-identical weights), or Python's global `random` module when the seed is
None, as in micrograd (see `checks.make_rng`).

Any callable with the same signature works as an initializer too.
"""

from __future__ import annotations

import inspect
import math
import numbers
import random
from collections.abc import Callable, Mapping

from .i18n import bilingual, did_you_mean

__all__ = [
    "Initializer",
    "InitSpec",
    "NAMES",
    "get",
    "zeros",
    "normal",
    "uniform",
    "xavier_uniform",
    "xavier_normal",
    "he_uniform",
    "he_normal",
    "lecun_normal",
]


# draw(rng, fan_in, fan_out) -> one weight; spread(fan_in, fan_out) -> the standard deviation of the draws
Draw = Callable[[random.Random, int, int], float]
Spread = Callable[[int, int], float]
InitSpec = str | Draw  # what `init=` takes: a name from NAMES or a draw function


class Initializer:
    """A named rule for drawing one weight: `init(rng, fan_in, fan_out)`.

    `std(fan_in, fan_out)` is the standard deviation of the numbers the rule
    draws (used by tests and plots to compare with the formula).
    """

    def __init__(self, name: str, draw: Draw, std: Spread, params: Mapping[str, float] | None = None) -> None:
        self.name = name
        self._draw = draw
        self._std = std
        self.params = dict(params or {})

    def __call__(self, rng: random.Random, fan_in: int, fan_out: int) -> float:
        return self._draw(rng, fan_in, fan_out)

    def std(self, fan_in: int, fan_out: int) -> float:
        return self._std(fan_in, fan_out)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.name}({args})"


def zeros() -> Initializer:
    return Initializer("zeros", lambda rng, fan_in, fan_out: 0.0, lambda fan_in, fan_out: 0.0)


def _real(value: object, name: str, positive: bool = False) -> float:
    """`value` as a float if it is a finite real number (and > 0 when `positive`), else an error naming `name`.

    Checked when the initializer is made, so a typo is named at once, not when
    a model is built from it later (where `std='a'` failed inside `random`).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            bilingual(
                f"{name}은(는) 실수여야 합니다 (받은 값: {value!r})",
                f"{name} must be a real number, got {value!r}",
            )
        )
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(
            bilingual(
                f"{name}은(는) 유한한 수여야 합니다 (받은 값: {value!r})", f"{name} must be finite, got {value!r}"
            )
        )
    if positive and number <= 0:
        raise ValueError(
            bilingual(f"{name}은(는) 0보다 커야 합니다 (받은 값: {value!r})", f"{name} must be positive, got {value!r}")
        )
    return number


def normal(std: float = 1.0, mean: float = 0.0) -> Initializer:
    std, mean = _real(std, "std", positive=True), _real(mean, "mean")
    return Initializer(
        "normal",
        lambda rng, fan_in, fan_out: rng.gauss(mean, std),
        lambda fan_in, fan_out: std,
        {"std": std, "mean": mean},
    )


def uniform(a: float = -1.0, b: float = 1.0) -> Initializer:
    a, b = _real(a, "a"), _real(b, "b")
    if not a < b:
        raise ValueError(
            bilingual(
                f"uniform(a, b)는 a < b여야 합니다 (받은 값: a={a!r}, b={b!r})",
                f"uniform(a, b) needs a < b, got a={a!r}, b={b!r}",
            )
        )
    # U(a, b) has standard deviation (b - a) / sqrt(12).
    return Initializer(
        "uniform",
        lambda rng, fan_in, fan_out: rng.uniform(a, b),
        lambda fan_in, fan_out: (b - a) / math.sqrt(12.0),
        {"a": a, "b": b},
    )


def _scaled_uniform(name: str, bound: Spread) -> Initializer:
    # U(-r, r) has standard deviation r / sqrt(3).
    return Initializer(
        name,
        lambda rng, fan_in, fan_out: rng.uniform(-bound(fan_in, fan_out), bound(fan_in, fan_out)),
        lambda fan_in, fan_out: bound(fan_in, fan_out) / math.sqrt(3.0),
    )


def _scaled_normal(name: str, std: Spread) -> Initializer:
    return Initializer(name, lambda rng, fan_in, fan_out: rng.gauss(0.0, std(fan_in, fan_out)), std)


def xavier_uniform(gain: float = 1.0) -> Initializer:
    gain = _real(gain, "gain", positive=True)
    init = _scaled_uniform("xavier_uniform", lambda fan_in, fan_out: gain * math.sqrt(6.0 / (fan_in + fan_out)))
    init.params["gain"] = gain
    return init


def xavier_normal(gain: float = 1.0) -> Initializer:
    gain = _real(gain, "gain", positive=True)
    init = _scaled_normal("xavier_normal", lambda fan_in, fan_out: gain * math.sqrt(2.0 / (fan_in + fan_out)))
    init.params["gain"] = gain
    return init


def he_uniform() -> Initializer:
    return _scaled_uniform("he_uniform", lambda fan_in, fan_out: math.sqrt(6.0 / fan_in))


def he_normal() -> Initializer:
    return _scaled_normal("he_normal", lambda fan_in, fan_out: math.sqrt(2.0 / fan_in))


def lecun_normal() -> Initializer:
    return _scaled_normal("lecun_normal", lambda fan_in, fan_out: math.sqrt(1.0 / fan_in))


_FACTORIES: dict[str, Callable[[], Initializer]] = {
    "zeros": zeros,
    "normal": normal,
    "uniform": uniform,
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "lecun_normal": lecun_normal,
}
NAMES = tuple(_FACTORIES)


def get(spec: InitSpec) -> Draw:
    """The initializer for `spec`: a name from `NAMES`, or a callable as is."""
    if isinstance(spec, str):
        if spec not in _FACTORIES:
            names = ", ".join(NAMES)
            hint_ko, hint_en = did_you_mean(spec, NAMES)
            raise ValueError(
                bilingual(
                    f"알 수 없는 초기화 방법 {spec!r}{hint_ko}: 가능한 이름은 {names}",
                    f"unknown initializer {spec!r}{hint_en}; valid names: {names}",
                )
            )
        return _FACTORIES[spec]()
    if callable(spec):
        _check_signature(spec)
        return spec
    raise TypeError(
        bilingual(
            f"초기화 방법은 이름(str)이나 호출 가능한 객체여야 합니다: {spec!r}",
            f"an initializer must be a name or a callable (rng, fan_in, fan_out) -> float, got {spec!r}",
        )
    )


def _check_signature(draw: Callable[..., object]) -> None:
    """A callable initializer must take (rng, fan_in, fan_out): checked once, before any weight is drawn."""
    try:
        signature = inspect.signature(draw)
    except (TypeError, ValueError):  # some built-in callables have no signature to read: trust them
        return
    try:
        signature.bind(None, 1, 1)
    except TypeError:
        name = getattr(draw, "__name__", type(draw).__name__)
        raise TypeError(
            bilingual(
                f"초기화 함수 {name}{signature}의 인자가 맞지 않습니다: (rng, fan_in, fan_out)을 받아 숫자 하나를 "
                "돌려줘야 합니다, 예: lambda rng, fan_in, fan_out: rng.gauss(0, 1)",
                f"the initializer {name}{signature} has the wrong parameters: an initializer is called as "
                "draw(rng, fan_in, fan_out) -> float, e.g. lambda rng, fan_in, fan_out: rng.gauss(0, 1)",
            )
        ) from None
