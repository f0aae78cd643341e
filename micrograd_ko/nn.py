"""Small neural networks built from `Value`s: Neuron, Layer, MLP, Dropout, Sequential.

A neuron computes act(w · x + b): ONE `dot` node for w · x (not 2n nodes
of multiplications and additions), one `+` node for the bias and one node
for the activation function (활성화 함수; none for 'linear', the identity).
A layer is a list of neurons that read the same inputs; an MLP is a list of
layers.

    model = MLP(2, [16, 16, 1])            # karpathy's micrograd network
    model = MLP(2, [8, 1], activation='tanh', init='xavier_uniform', seed=0)
    y = model([0.5, -1.0])                 # a Value (the last layer has 1 unit)

Every parameter is a `Value`: `model.layers[i].neurons[j].w` (a list, the
가중치) and `.b` (the 편향). `model.parameters()` lists them all.
"""

from __future__ import annotations

import numbers
import os
import random
import reprlib
from collections.abc import Sequence
from typing import Any

from . import init, serialize
from .checks import Seed, check_activation, check_numbers, check_positive_int, make_rng
from .engine import ACTIVATIONS, Value, _note_depends_on, _note_unfaithful, _unordered, dot
from .i18n import bilingual
from .init import InitSpec
from .module import Module

__all__ = [
    "ACTIVATIONS",
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "Dropout",
    "Sequential",
    "init",
    "check_activation",
    "check_positive_int",
]

# Activation name -> the engine's method that applies it to one Value ('linear' is the identity).
_ACTIVATION_FUNCTIONS = {name: getattr(Value, name) for name in ACTIVATIONS}


class Neuron(Module):
    """act(w · x + b) with `nin` weights `w` and a bias `b`.

    `init` draws each weight (default U(-1, 1) as in micrograd), `bias_init`
    the bias (default 0). `fan_out` is the width of the neuron's layer (the
    Xavier rules use it). `rng`: None (Python's global `random`, as
    micrograd), an int seed or a `random.Random` (see `checks.make_rng`).
    """

    def __init__(
        self,
        nin: int,
        activation: str = "relu",
        init: InitSpec = "uniform",
        bias_init: InitSpec = "zeros",
        fan_out: int = 1,
        rng: Seed = None,
    ) -> None:
        nin = check_positive_int(nin, "nin")
        _check_size([nin, 1])
        self.activation = check_activation(activation)
        draw_w, draw_b = _initializer(init), _initializer(bias_init)
        rng = make_rng(rng)
        self.w = [Value(_draw(draw_w, rng, nin, fan_out, "init")) for _ in range(nin)]
        self.b = Value(_draw(draw_b, rng, nin, fan_out, "bias_init"))

    def __call__(self, x: Sequence[float | Value]) -> Value:
        return self.forward(_as_inputs(x, len(self.w)))

    def forward(self, x):
        """act(w · x + b) for `x`, a list of `nin` Values (unchecked: callers check once)."""
        return _ACTIVATION_FUNCTIONS[self.activation](dot(self.w, x) + self.b)

    def __repr__(self):
        return f"Neuron(nin={len(self.w)}, activation={self.activation!r})"


class Layer(Module):
    """`nout` neurons reading the same `nin` inputs. Calling it returns a list."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        init: InitSpec = "uniform",
        bias_init: InitSpec = "zeros",
        rng: Seed = None,
    ) -> None:
        nin, nout = check_positive_int(nin, "nin"), check_positive_int(nout, "nout")
        _check_size([nin, nout])
        rng = make_rng(rng)
        init, bias_init = _initializer(init), _initializer(bias_init)  # resolve names once per layer
        self.neurons = [Neuron(nin, activation, init, bias_init, fan_out=nout, rng=rng) for _ in range(nout)]

    @property
    def nin(self):
        return len(self.neurons[0].w)

    @property
    def nout(self):
        return len(self.neurons)

    @property
    def activation(self):
        """The activation function's name; setting it changes every neuron."""
        return self.neurons[0].activation

    @activation.setter
    def activation(self, name):
        check_activation(name)
        for neuron in self.neurons:
            neuron.activation = name

    def __call__(self, x: Sequence[float | Value]) -> list[Value]:
        return self.forward(_as_inputs(x, self.nin))

    def forward(self, x):
        """The outputs for `x`, a list of `nin` Values (unchecked: callers check once)."""
        return [neuron.forward(x) for neuron in self.neurons]

    def set_weights(self, weights: Sequence[Sequence[float]], biases: Sequence[float] | None = None) -> None:
        """Set the weights from a `nout` x `nin` matrix (and the biases from a list).

        For weights that come from elsewhere (say, RBM pretraining). The shapes
        are checked before anything changes.
        """
        rows = check_numbers(weights, (self.nout, self.nin), "weights")
        bias = None if biases is None else check_numbers(biases, (self.nout,), "biases")
        for j, neuron in enumerate(self.neurons):
            for w, value in zip(neuron.w, rows[j]):
                w.data = value
            if bias is not None:
                neuron.b.data = bias[j]

    def as_layers(self):
        weights = [[w.data for w in neuron.w] for neuron in self.neurons]
        biases = [neuron.b.data for neuron in self.neurons]
        activation = [] if self.activation == "linear" else [("activation", self.activation)]
        return [("linear", weights, biases)] + activation

    def __repr__(self):
        return f"Layer({self.nin} → {self.nout}, activation={self.activation!r})"


class Dropout(Module):
    """Drop each input with probability `p` during training (드롭아웃).

    Kept inputs are scaled by 1 / (1 - p) ("inverted dropout", as in PyTorch),
    so nothing needs rescaling in evaluation mode, where inputs pass through.
    """

    p: float
    _rng: random.Random

    def __init__(self, p: float = 0.5, rng: Seed = None) -> None:
        if not isinstance(p, numbers.Real) or not 0.0 <= p < 1.0:
            raise ValueError(
                bilingual(
                    f"드롭아웃 확률 p는 0 이상 1 미만이어야 합니다: {p!r}", f"dropout p must be in [0, 1), got {p!r}"
                )
            )
        self.p = float(p)
        self._rng = make_rng(rng)

    def __call__(self, x: Any) -> Any:  # a Value or a list of them, as given
        _check_dropout_input(x)
        if self.p == 0.0:
            _note_depends_on(self, "p", 0.0)  # compile: a call after p is raised (a dropout warm-up) must drop units
            return x
        if not self.training:
            _note_depends_on(self, "training", False)  # compile: a call after train() must drop units again
            return x
        _note_unfaithful(  # compile: the mask comes from this module's own generator, which no trace replays
            "Dropout이 자기 난수로 마스크를 고릅니다 (model.eval()로 끄거나 컴파일하지 마세요)",
            "Dropout draws its mask from its own random generator (switch it off with model.eval(), or don't compile)",
        )
        scale = 1.0 / (1.0 - self.p)
        if isinstance(x, Value):
            return x * (0.0 if self._rng.random() < self.p else scale)
        return [v * (0.0 if self._rng.random() < self.p else scale) for v in x]

    def as_layers(self) -> list[tuple[Any, ...]]:
        return [("dropout", self.p)]

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


def _check_dropout_input(x: Any) -> None:
    """A TypeError unless `x` is a Value or a list (tuple) of Values and numbers: "ab" is not two inputs."""
    if isinstance(x, Value):
        return
    if isinstance(x, (list, tuple)) and all(
        isinstance(v, Value) or (isinstance(v, numbers.Real) and not isinstance(v, bool)) for v in x
    ):
        return
    raise TypeError(
        bilingual(
            f"Dropout의 입력은 Value, 또는 Value(나 숫자)의 목록이어야 합니다 (받은 것: {reprlib.repr(x)})",
            f"Dropout takes a Value, or a list of Values (or numbers), got {reprlib.repr(x)}",
        )
    )


class Sequential(Module):
    """Modules applied one after the other: `Sequential(Layer(2, 8), Dropout(0.2), Layer(8, 1, 'linear'))`."""

    def __init__(self, *modules: Module) -> None:
        for m in modules:
            if not isinstance(m, Module) or not callable(m):
                raise TypeError(
                    bilingual(
                        f"Sequential에는 Module만 넣을 수 있습니다: {m!r}", f"Sequential takes Modules, got {m!r}"
                    )
                )
        self.parts: list[Any] = list(modules)  # Modules, each callable (checked above)

    def __call__(self, x: Any) -> Any:
        for module in self.parts:
            x = module(x)
        return x

    def as_layers(self):
        return [layer for module in self.parts for layer in module.as_layers()]

    def __repr__(self):
        inner = "".join(f"\n  ({i}): {m!r}" for i, m in enumerate(self.parts))
        return f"Sequential({self._count()}{inner}\n)"


class MLP(Module):
    """A multilayer perceptron: `nin` inputs, then layers of widths `nouts`.

    - `activation`: for every hidden layer (은닉층), a name or a list with one
      name per hidden layer. `output_activation=None` means a linear output.
      With the defaults, `MLP(nin, nouts)` is karpathy's micrograd MLP
      (ReLU hidden layers, U(-1, 1) weights, zero biases, linear output).
    - `init`, `bias_init`: a name from `micrograd_ko.init.NAMES`, a callable
      `(rng, fan_in, fan_out) -> float`, or a list with one of those per layer.
    - `dropout`: probability of Dropout after each hidden layer (0 = none).
    - `seed`: where the random numbers (weights, dropout) come from.
      `None` (the default): Python's global `random` module, drawn in
      micrograd's order (for each layer, each neuron: its weights one by
      one; a zero bias draws nothing), so `random.seed(1337); MLP(2, [16,
      16, 1])` has micrograd 0.1.0's weights bit for bit, and every
      initializer draws from the global state too. An int: a private
      `random.Random(seed)` that leaves the global state alone; the same
      seed gives bit-identical weights on every run.

    Calling the model on a list of `nin` numbers or Values returns a `Value`
    when the last layer has one unit, else a list of Values.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str | Sequence[str] = "relu",
        output_activation: str | None = None,
        init: InitSpec | Sequence[InitSpec] = "uniform",
        bias_init: InitSpec | Sequence[InitSpec] = "zeros",
        dropout: float = 0.0,
        seed: Seed = None,
    ) -> None:
        nin = check_positive_int(nin, "nin")
        if not isinstance(nouts, Sequence) or isinstance(nouts, str):
            raise TypeError(
                bilingual(
                    f"nouts는 층 너비의 목록입니다 (예: [16, 1]), 받은 것: {nouts!r}",
                    f"nouts is a list of layer widths (e.g. [16, 1]), got {nouts!r}",
                )
            )
        nouts = [check_positive_int(n, f"nouts[{i}]") for i, n in enumerate(nouts)]
        if not nouts:
            raise ValueError(
                bilingual(
                    "nouts가 비어 있습니다: 출력 너비라도 주세요", "nouts is empty: give at least the output width"
                )
            )
        _check_size([nin] + nouts)  # before a single weight is drawn: a typo must not hang the kernel
        hidden = len(nouts) - 1
        if isinstance(activation, str):
            check_activation(activation)  # even when there is no hidden layer to use it
        activations = _per_layer(activation, hidden, "activation", str, ("은닉층마다", "per hidden layer"))
        activations = [check_activation(a) for a in activations] + [check_activation(output_activation or "linear")]
        every_layer = ("층마다(은닉층과 출력층)", "per layer (hidden and output)")
        inits = _per_layer(init, len(nouts), "init", (str, type(None)), every_layer, callable_ok=True)
        bias_inits = _per_layer(bias_init, len(nouts), "bias_init", (str, type(None)), every_layer, callable_ok=True)
        self._rng = make_rng(seed)
        sizes = [nin] + nouts
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activations[i], inits[i], bias_inits[i], rng=self._rng)
            for i in range(len(nouts))
        ]
        self.dropout = Dropout(dropout, rng=self._rng) if dropout else None
        self._config: dict[str, Any] = {
            "nin": nin,
            "nouts": nouts,
            "activation": activations[:-1],
            "output_activation": activations[-1],
            "dropout": float(dropout),
        }

    @property
    def config(self) -> dict[str, Any]:
        """The architecture, as keyword arguments for `MLP(**config)`."""
        return dict(self._config, nouts=list(self._config["nouts"]), activation=list(self._config["activation"]))

    def __call__(self, x: Sequence[float | Value]) -> Any:
        """A `Value` when the last layer has one unit, else a list of Values (typed Any: `model(x).backward()`)."""
        x = _as_inputs(x, self.layers[0].nin)
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            x = layer.forward(x)
            if self.dropout is not None and i < last:
                x = self.dropout(x)
        return x[0] if len(x) == 1 else x

    def as_layers(self):
        layers = []
        for i, layer in enumerate(self.layers):
            layers += layer.as_layers()
            if self.dropout is not None and i < len(self.layers) - 1:
                layers += self.dropout.as_layers()
        return layers

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the architecture and the weights to a JSON file (see `micrograd_ko.serialize`).

        A model beyond `MAX_LAYERS` or `MAX_PARAMETERS` is refused, as `load` would refuse its file.
        """
        _check_size([self.layers[0].nin] + [layer.nout for layer in self.layers], path)
        serialize.write(path, self.config, self.state_dict())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> MLP:
        """An MLP read from a file written by `save` (JSON, never pickle).

        Everything is checked before the model is built, and a model larger
        than `MAX_LAYERS` layers or `MAX_PARAMETERS` parameters is refused.
        """
        config, state = serialize.read(path)
        _check_config(path, config, state)
        try:
            model = cls(**config, init="zeros")
            model.load_state_dict(state)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{path}: {error}") from None
        return model

    def __repr__(self):
        widths = " → ".join(str(n) for n in [self.layers[0].nin] + [layer.nout for layer in self.layers])
        inner = "".join(f"\n  (layers.{i}): {layer!r}" for i, layer in enumerate(self.layers))
        if self.dropout is not None:
            inner += f"\n  (dropout): {self.dropout!r}"
        return f"MLP({widths}, {self._count()}{inner}\n)"


# Networks beyond these sizes are refused before anything is built: every parameter is a
# Python object, so a typo such as MLP(2, [10**9]) would otherwise fill the memory for
# minutes. The same caps keep a small file from making us build a huge network (files
# beyond them are never written either).
MAX_LAYERS = 1_000
MAX_PARAMETERS = 2_000_000
_CONFIG_KEYS = {"nin", "nouts", "activation", "output_activation", "dropout"}


def _check_config(path, config, state):
    """The config names known keys, sane widths and a size within the caps, matching the numbers stored."""
    unknown = sorted(map(str, set(config) - _CONFIG_KEYS))
    if unknown or not {"nin", "nouts"} <= set(config):
        raise ValueError(
            f"{path}: "
            + bilingual(
                f"설정(config)이 올바르지 않습니다: 모르는 키 {unknown}, 'nin'과 'nouts'는 꼭 있어야 합니다 "
                f"(쓸 수 있는 키: {sorted(_CONFIG_KEYS)})",
                f"invalid config: unknown keys {unknown}, 'nin' and 'nouts' are required "
                f"(allowed: {sorted(_CONFIG_KEYS)})",
            )
        )
    widths = [config["nin"], *config["nouts"]] if isinstance(config["nouts"], list) else None
    if not widths or not all(type(n) is int and 0 < n <= MAX_PARAMETERS for n in widths):
        raise ValueError(
            f"{path}: "
            + bilingual(
                f"nin과 nouts는 {MAX_PARAMETERS:,} 이하의 양의 정수여야 합니다",
                f"nin and nouts must be positive ints up to {MAX_PARAMETERS:,}",
            )
        )
    expected = _check_size(widths, path)
    stored = sum(len(v) if isinstance(v, list) else 1 for v in state.values())
    if stored < expected:  # (too many numbers is caught later, by name, against the built model)
        raise ValueError(
            f"{path}: "
            + bilingual(
                f"설정은 매개변수 {expected}개를 뜻하지만 파일에는 숫자 {stored}개가 있습니다",
                f"the config implies {expected} parameters but the file stores {stored} numbers",
            )
        )


def _check_size(widths, path=None):
    """The parameter count of layers of these widths (counted, not built), or a ValueError beyond the caps.

    With a `path`, the model is being saved or loaded and the message names the file.
    """
    layers = len(widths) - 1
    count = sum((n_in + 1) * n_out for n_in, n_out in zip(widths, widths[1:]))
    if layers <= MAX_LAYERS and count <= MAX_PARAMETERS:
        return count
    caps_ko = f"최대 층 {MAX_LAYERS:,}개, 매개변수 {MAX_PARAMETERS:,}개"
    caps_en = f"at most {MAX_LAYERS:,} layers and {MAX_PARAMETERS:,} parameters"
    if path is not None:
        raise ValueError(
            f"{path}: "
            + bilingual(
                f"층 {layers}개, 매개변수 {count:,}개는 파일로 다루기에 너무 큽니다 ({caps_ko})",
                f"{layers} layers and {count:,} parameters is too large for a model file ({caps_en})",
            )
        )
    shape = " → ".join(f"{n:,}" for n in widths)
    raise ValueError(
        bilingual(
            f"너비 {shape}: 층 {layers}개, 매개변수 {count:,}개는 만들기에 너무 큽니다 ({caps_ko}; 모델 파일과 같은 "
            "한도). 매개변수 하나하나가 파이썬 객체라서 몇 분 동안 메모리를 채우게 됩니다: 너비를 확인하세요",
            f"widths {shape}: {layers} layer{'s' * (layers != 1)} and {count:,} parameters is too large to build ({caps_en}, the caps "
            "of a model file); every parameter is a Python object, so this would fill the memory for minutes: "
            "check the widths",
        )
    )


def _draw(initializer, rng, fan_in, fan_out, what):
    """One number from `initializer`, checked: a custom callable returning None or nan is named."""
    return check_numbers(initializer(rng, fan_in, fan_out), (), what)


def _initializer(spec):
    return init.get("zeros" if spec is None else spec)


def _per_layer(spec, count, what, single_types, layers, callable_ok=False):
    """`spec` repeated `count` times, or `spec` itself if it is a list of `count`.

    `layers` says in both languages which layers the list is for ("per hidden layer").
    """
    if isinstance(spec, (list, tuple)):
        if len(spec) != count:
            raise ValueError(
                bilingual(
                    f"{what} 목록은 {layers[0]} 하나씩, {count}개여야 하는데 {len(spec)}개입니다",
                    f"{what} takes one entry {layers[1]}: {count} expected, got {len(spec)}",
                )
            )
        return list(spec)
    if isinstance(spec, single_types) or (callable_ok and callable(spec)):
        return [spec] * count
    raise TypeError(
        bilingual(
            f"{what}: 이름 또는 목록이 필요합니다 (받은 값: {spec!r})",
            f"{what}: expected a name or a list, got {spec!r}",
        )
    )


def _is_row(v):
    """A list, tuple or array of numbers: what one input is, found where one number should be."""
    return not isinstance(v, (Value, numbers.Real, str, bytes, dict)) and hasattr(v, "__iter__")


def _as_inputs(x, nin):
    """`x` as a list of `nin` Values (numbers are wrapped once, here)."""
    if isinstance(x, (Value, numbers.Real)):
        x = [x]
    if isinstance(x, (set, frozenset)):
        raise _unordered("input")
    if isinstance(x, (str, bytes, dict)) or not hasattr(x, "__iter__"):
        raise TypeError(
            bilingual(
                f"입력은 숫자 {nin}개의 목록이어야 합니다: {x!r}",
                f"the input must be a list of {nin} numbers, got {x!r}",
            )
        )
    x = list(x)
    if x and all(_is_row(v) for v in x):  # model(X) on a data set, or an 8×8 image as rows
        raise TypeError(
            bilingual(
                f"입력은 숫자 {nin}개의 목록인데 목록 {len(x)}개의 목록을 받았습니다: 데이터 전체라면 입력마다 "
                "부르고 ([model(x) for x in X]), 한 입력이 여러 줄(예: 8×8 이미지)이라면 한 줄로 펴세요 "
                "([v for row in x for v in row])",
                f"an input is a list of {nin} numbers, got a list of {len(x)} lists: for a whole data set call "
                "the model on each input ([model(x) for x in X]); for an input in rows (an 8×8 image) flatten it "
                "([v for row in x for v in row])",
            )
        )
    if len(x) != nin:
        raise ValueError(
            bilingual(
                f"입력의 길이와 nin이 다릅니다 ({len(x)} ≠ nin={nin})",
                f"the input has {len(x)} number{'s' * (len(x) != 1)}, expected nin={nin}",
            )
        )
    for i, v in enumerate(x):
        if not isinstance(v, (Value, numbers.Real)):
            raise TypeError(
                bilingual(f"입력 [{i}]이(가) 숫자가 아닙니다: {v!r}", f"input [{i}] is not a number: {v!r}")
            )
    return [v if isinstance(v, Value) else Value(v) for v in x]
