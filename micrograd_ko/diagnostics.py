"""Gradient-flow diagnostics (기울기 흐름 진단): how large gradients and activations are, layer by layer.

Two questions a learner asks when a deep network does not learn:

- `gradient_flow(model)`: after `loss.backward()`, how large is dL/dW in each
  layer? With stacked sigmoids it shrinks layer by layer towards the input
  (기울기 소실), because every sigmoid multiplies the gradient by at most 1/4.
- `layer_factors(model, loss)`: *why* does it shrink? Between two layers
  the mean |dL/dW| changes by a factor, and that factor is exactly the
  lower layer's mean σ′(z) (its activation's mean local derivative, at most
  1/4 for sigmoid) times the weight gain (가중치가 곱하는 배수) of the layer
  above, defined as factor / mean σ′.
- `activation_stats(model, X)`: what do the layers output? Sigmoid units
  piled up near 0 and 1 (saturated) pass almost no gradient; ReLU units that
  output 0 for every input (dead) pass none at all.

Both return one record per layer (a dataclass that also allows `record["field"]`
and `record.to_dict()`), ready for `micrograd_ko.plots`.

The model only needs the shape of `micrograd_ko.nn.MLP`: `model.layers`, each
layer with `.neurons` (each neuron with a list of weights `.w` and a bias `.b`)
and the name of its activation in `.activation`. An `nn.Sequential` of
`nn.Layer`s (and parameterless parts such as `nn.Dropout`) is read the same
way from `model.parts`; a part with parameters but no neurons (a nested MLP
or Sequential, a lone Neuron) is refused, as it has no one place in the list.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

from .engine import Value, grad_number, no_grad, topological_order
from .i18n import bilingual
from .module import Module
from .nn import Dropout, Sequential

__all__ = [
    "LayerActivations",
    "LayerFactor",
    "LayerGradient",
    "activation_name",
    "activation_stats",
    "gradient_flow",
    "factor_table",
    "layer_factors",
    "layer_parameters",
    "layers_attribute",
    "mean_abs",
    "mean_local_derivatives",
    "neuron_layers",
]


# --------------------------------------------------------------------------
# Reading a model
# --------------------------------------------------------------------------


def layers_attribute(model):
    """The name of the list holding `model`'s layers: 'parts' for an `nn.Sequential`, else 'layers'."""
    return "parts" if isinstance(model, Sequential) else "layers"


_SUPPORTED = (
    "micrograd_ko.nn.MLP 같은 모델(layers 속성), 또는 nn.Layer(와 nn.Dropout)로 만든 nn.Sequential",
    "a model like micrograd_ko.nn.MLP (a `layers` attribute), or an nn.Sequential of nn.Layer (and nn.Dropout) parts",
)


def neuron_layers(model):
    """The (index, layer) pairs of `model.layers` (of `model.parts` for an `nn.Sequential`) that hold neurons.

    Layers without neurons (a dropout, say) have no weights to diagnose; the
    index still counts them, so `index` is always a valid `model.layers[index]`.
    A layer with parameters but no neurons would be left out silently, so it is refused.
    """
    where = layers_attribute(model)
    layers = getattr(model, where, None)
    if not isinstance(layers, (list, tuple)):
        name = type(model).__name__
        raise TypeError(
            bilingual(
                f"모델({name})에서 층 목록을 찾을 수 없습니다: {_SUPPORTED[0]}이 필요합니다",
                f"cannot find the layers of the model ({name}): expected {_SUPPORTED[1]}",
            )
        )
    found = []
    for i, layer in enumerate(layers):
        if getattr(layer, "neurons", None):
            found.append((i, layer))
        elif isinstance(layer, Module) and layer.parameters():
            kind = type(layer).__name__
            raise TypeError(
                bilingual(
                    f"model.{where}[{i}]({kind})에는 매개변수가 있지만 뉴런(neurons)이 없어 층으로 읽을 수 없습니다; "
                    f"{_SUPPORTED[0]}을 쓰세요 (안에 든 MLP나 Sequential은 풀어서 층을 바로 넣으세요)",
                    f"model.{where}[{i}] ({kind}) has parameters but no `neurons`, so it cannot be read as a layer; "
                    f"use {_SUPPORTED[1]} (put the layers of a nested MLP or Sequential in directly)",
                )
            )
    if not found:
        raise ValueError(bilingual("모델에 뉴런이 있는 층이 없습니다", "the model has no layer with neurons"))
    return found


def check_loss_reaches(model, loss, name=None):
    """A ValueError unless the graph of `loss` uses at least one of `model`'s weights or biases.

    A loss from another model (two losses swapped in a dict, say) would
    otherwise give silently empty or wrong numbers for this one.
    """
    params = {p for _, layer in neuron_layers(model) for p in sum(layer_parameters(layer), [])}
    if any(node in params for node in topological_order(loss)):
        return
    which_ko, which_en = (f" '{name}'", f" {name!r}") if name is not None else ("", "")
    raise ValueError(
        bilingual(
            f"손실의 그래프에 모델{which_ko}의 매개변수가 하나도 없습니다: 이 모델의 손실이 맞나요? (손실을 서로 바꿔 주지 않았는지 보세요)",
            f"the loss's graph uses none of the parameters of the model{which_en}: is it this model's loss? "
            "(check that the losses are not swapped)",
        )
    )


def check_grads(grads, what="grads"):
    """`grads` itself if it is a mapping node -> real number (a gradient), else a TypeError naming what is wrong."""
    if grads is None:
        return None
    if not isinstance(grads, Mapping):
        raise TypeError(
            bilingual(
                f"{what}는 노드 → 기울기 사전이어야 합니다 (받은 자료형: {type(grads).__name__})",
                f"{what} must be a dict node -> gradient, got {type(grads).__name__}",
            )
        )
    for node, grad in grads.items():
        if not isinstance(node, Value):
            raise TypeError(
                bilingual(
                    f"{what}의 키는 Value여야 합니다 (받은 것: {type(node).__name__} {node!r})",
                    f"the keys of {what} must be Values, got {type(node).__name__} {node!r}",
                )
            )
        if isinstance(grad, bool) or not isinstance(grad, numbers.Real):
            raise TypeError(
                bilingual(
                    f"{what}[{node!r}]는 실수(기울기)여야 합니다 (받은 것: {grad!r})",
                    f"{what}[{node!r}] must be a real number (a gradient), got {grad!r}",
                )
            )
    return grads


def layer_parameters(layer):
    """The weights and the biases of one layer, as two lists of `Value`s."""
    weights, biases = [], []
    for neuron in layer.neurons:
        weights.extend(neuron.w)
        if getattr(neuron, "b", None) is not None:
            biases.append(neuron.b)
    return weights, biases


def activation_name(layer):
    """The layer's activation as a name ('sigmoid', 'relu', ..., 'linear')."""
    activation = getattr(layer, "activation", None)
    if activation is None:
        return "linear"
    if isinstance(activation, str):
        return activation
    return getattr(activation, "name", None) or getattr(activation, "__name__", None) or str(activation)


# --------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------


class _Record:
    """Attribute access, plus `record["field"]` and `to_dict()` for tables."""

    def __getitem__(self, key):
        if key not in self.keys():
            raise KeyError(key)
        return getattr(self, key)

    def keys(self):
        return [f.name for f in fields(self)]

    def to_dict(self):
        return asdict(self)


@dataclass(frozen=True)
class LayerGradient(_Record):
    """The size of dL/dW and dL/db in one layer (model.layers[layer])."""

    layer: int
    activation: str
    n_weights: int
    mean_abs_grad: float  # mean |dL/dw| over the layer's weights
    max_abs_grad: float  # max |dL/dw|
    grad_norm: float  # ||dL/dW||, the L2 norm over the layer's weights
    bias_grad_norm: float  # ||dL/db||, the L2 norm over the layer's biases (Nielsen ch. 5)


@dataclass(frozen=True)
class LayerActivations(_Record):
    """What one layer outputs over a data set (model.layers[layer]).

    `activations[s][u]` is unit u's output for sample s. The saturation
    fractions count outputs below `low` / above `high` (0.1 / 0.9 by default:
    meaningful for sigmoid, where such units pass almost no gradient).
    `dead_fraction` counts units whose output is exactly 0 for every sample
    (dead ReLUs).
    """

    layer: int
    activation: str
    mean: float
    std: float
    saturated_low: float
    saturated_high: float
    dead_fraction: float
    activations: list

    @property
    def saturated(self):
        """The fraction of outputs in either saturated region."""
        return self.saturated_low + self.saturated_high

    @property
    def values(self):
        """Every output of the layer as one flat list (for histograms)."""
        return [a for row in self.activations for a in row]


# --------------------------------------------------------------------------
# Diagnostics
# --------------------------------------------------------------------------


def mean_abs(values):
    """The mean of |v| over `values` (not empty): fsum / n, or where the sum passes the largest float
    although the mean does not (two gradients of 1e308), the same of values scaled by a power of two (exact but
    for values below 1e-308 times the largest, which underflow and do not change such a mean)."""
    magnitudes = [abs(v) for v in values]
    try:
        return math.fsum(magnitudes) / len(magnitudes)
    except OverflowError:
        exponent = math.frexp(max(magnitudes))[1]
        scaled = math.fsum(math.ldexp(v, -exponent) for v in magnitudes)
        return math.ldexp(scaled / len(magnitudes), exponent)


def _l2(xs):
    """The L2 norm of `xs`; by `math.hypot` where the squares would overflow or underflow (|x| beyond 1e±150)."""
    largest = max((abs(x) for x in xs), default=0.0)
    if largest == 0.0 or 1e-150 <= largest <= 1e150:
        return math.sqrt(math.fsum(x * x for x in xs))
    return math.hypot(*xs)


def _grads(model, index, params):
    """The `.grad` of `params` (of layer `index`) as numbers; a parameter without one (None), or with one
    that is not finite (never left by backward, which refuses to overflow: set by hand), is named."""
    values = [grad_number(p) for p in params]
    where = f"{layers_attribute(model)}[{index}]"
    if None in values:
        raise ValueError(
            bilingual(
                f"{where}의 매개변수에 기울기가 없습니다 (grad가 None): loss.backward()를 먼저 호출하세요",
                f"a parameter of {where} has no gradient (its grad is None): call loss.backward() first",
            )
        )
    bad = next((v for v in values if not math.isfinite(v)), None)
    if bad is not None:
        raise ValueError(
            bilingual(
                f"{where}의 매개변수 기울기가 유한한 수가 아닙니다 ({bad!r}): 손으로 넣은 값이라면 "
                "zero_grad()와 loss.backward()로 다시 계산하세요",
                f"a parameter of {where} has a gradient that is not finite ({bad!r}): if it was set by hand, "
                "compute it again with zero_grad() and loss.backward()",
            )
        )
    return values


def gradient_flow(model):
    """One `LayerGradient` per layer, read from the `.grad` of its parameters.

    Call it after `loss.backward()`; the numbers are exactly the parameters'
    `.grad` fields (a network initialized with zeros has every gradient
    exactly 0, which is a finding, not an error).
    """
    records = []
    for index, layer in neuron_layers(model):
        weights, biases = layer_parameters(layer)
        grads = [abs(g) for g in _grads(model, index, weights)]
        records.append(
            LayerGradient(
                layer=index,
                activation=activation_name(layer),
                n_weights=len(grads),
                mean_abs_grad=mean_abs(grads),
                max_abs_grad=max(grads),
                grad_norm=_l2(grads),
                bias_grad_norm=_l2(_grads(model, index, biases)),
            )
        )
    return records


@dataclass(frozen=True)
class LayerFactor(_Record):
    """One layer's row of the table "mean σ′ × weight gain = factor" (model.layers[layer]).

    - `mean_abs_grad`: mean |dL/dW| over the layer's weights (as `gradient_flow`).
    - `factor`: this layer's mean |dL/dW| divided by the layer above's: what
      the gradient was multiplied by on its way down to this layer. None for
      the output layer (nothing above it) or when the layer above's is 0.
    - `mean_local`: the mean σ′(z) of this layer's activation over its units
      and the samples of the loss (the mean |f′|; 1 for a linear layer; None
      when the loss graph does not show the activations).
    - `gain`: factor / mean_local, the weight gain (가중치가 곱하는 배수) of the
      layer above (`gain_layer`): everything in the factor that is not σ′,
      mostly |W| times how many units add up (with, in dL/dW = δ · a, the
      ratio of the two layers' input sizes). Defined so that
      mean_local × gain == factor (to rounding). None where it is undefined.
    """

    layer: int
    activation: str
    mean_abs_grad: float
    factor: float | None
    mean_local: float | None
    gain: float | None
    gain_layer: int | None


def mean_local_derivatives(model, loss):
    """{layer index: mean |σ′(z)|} over each layer's units and every sample in the graph of `loss`.

    A neuron computes act(w · x + b): the nodes that use its bias (or, without
    one, its weights) are its z, one per sample; the activation node on each
    z holds σ′(z) as its local derivative. A linear layer's is 1. A layer
    whose activation nodes are not in the graph is left out.
    """
    if not isinstance(loss, Value):
        raise TypeError(
            bilingual(
                f"loss는 Value여야 합니다 (받은 자료형: {type(loss).__name__})",
                f"loss must be a Value, got {type(loss).__name__}",
            )
        )
    check_loss_reaches(model, loss)
    children = {}
    for node in topological_order(loss):
        for parent in node._prev:
            children.setdefault(parent, []).append(node)
    means = {}
    for index, layer in neuron_layers(model):
        name = activation_name(layer)
        slopes = []
        for neuron in layer.neurons:
            anchor = getattr(neuron, "b", None)
            anchor = anchor if anchor is not None else neuron.w[0]
            for z in children.get(anchor, ()):
                if name == "linear":
                    slopes.append(1.0)
                    continue
                for out in children.get(z, ()):
                    if out._op == name and len(out._prev) == 1:
                        slopes.append(abs(out.local_grads()[0]))
        if slopes:
            means[index] = math.fsum(slopes) / len(slopes)
    return means


def factor_table(layers):
    """`LayerFactor` rows from `layers`: (index, activation, mean |dL/dW| or None, mean σ′ or None), input side first.

    The one place the factor and the gain are computed: `layer_factors` and
    the layer view both use it, so the table and the picture agree.
    """
    layers = list(layers)
    rows = []
    for position, (index, activation, size, mean_local) in enumerate(layers):
        above = layers[position + 1] if position + 1 < len(layers) else None
        factor = size / above[2] if above is not None and size is not None and above[2] else None
        gain = factor / mean_local if factor is not None and mean_local else None
        rows.append(
            LayerFactor(index, activation, size, factor, mean_local, gain, above[0] if above is not None else None)
        )
    return rows


def layer_factors(model, loss=None, grads=None):
    """One `LayerFactor` per layer, input side first: mean σ′ × weight gain = the factor between layers.

    Call it after `loss.backward()` (or give `grads`, node -> gradient, for
    the weights). Without `loss`, `mean_local` and `gain` are None: σ′(z)
    needs the graph the gradients came through.

        for row in layer_factors(model, loss):
            print(row.layer + 1, row.mean_local, row.gain, row.factor)
    """
    check_grads(grads)
    local = mean_local_derivatives(model, loss) if loss is not None else {}
    entries = []
    for index, layer in neuron_layers(model):
        weights, _ = layer_parameters(layer)
        values = _grads(model, index, weights) if grads is None else [grads.get(w, 0.0) for w in weights]
        entries.append((index, activation_name(layer), mean_abs(values), local.get(index)))
    return factor_table(entries)


def _items(obj):
    """`obj` as a list if it is a sequence of items (a list, a tuple, an array), else None (a number, a str)."""
    if isinstance(obj, (str, bytes)):
        return None
    try:
        return list(obj)
    except TypeError:
        return None


def _samples(X):
    """`X` as rows of floats; a row that is not numbers, or a number that is not finite, named by its place."""
    rows = _items(X)
    if rows is None:
        raise TypeError(
            bilingual(
                f"X는 샘플(숫자 목록)의 목록이어야 합니다 (받은 자료형: {type(X).__name__})",
                f"X must be a list of samples (lists of numbers), got {type(X).__name__}",
            )
        )
    if not rows:
        raise ValueError(bilingual("X가 비어 있습니다", "X is empty"))
    samples = []
    for i, row in enumerate(rows):
        row = _items(row)
        if row is None:
            raise TypeError(
                bilingual(
                    f"X는 샘플(숫자 목록)의 목록이어야 하는데 X[{i}] = {rows[i]!r}입니다",
                    f"X must be a list of samples (lists of numbers), but X[{i}] = {rows[i]!r}",
                )
            )
        sample = []
        for j, v in enumerate(row):
            number = v.data if isinstance(v, Value) else v
            if isinstance(number, bool) or not isinstance(number, numbers.Real):
                raise TypeError(
                    bilingual(f"X[{i}][{j}] = {v!r}: 숫자여야 합니다", f"X[{i}][{j}] = {v!r}: expected a number")
                )
            number = float(number)
            if not math.isfinite(number):
                raise ValueError(
                    bilingual(
                        f"X[{i}][{j}] = {number!r}: 유한한 숫자여야 합니다",
                        f"X[{i}][{j}] = {number!r}: expected a finite number",
                    )
                )
            sample.append(number)
        samples.append(sample)
    return samples


def _check_thresholds(low, high):
    for name, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise TypeError(
                bilingual(
                    f"{name}는 유한한 실수여야 합니다 (받은 것: {value!r})",
                    f"{name} must be a finite real number, got {value!r}",
                )
            )
    if not low < high:
        raise ValueError(
            bilingual(
                f"low는 high보다 작아야 합니다 (low={low!r}, high={high!r})",
                f"low must be below high, got low={low!r}, high={high!r}",
            )
        )


def activation_stats(model, X, low=0.1, high=0.9):
    """One `LayerActivations` per layer: the model's outputs, layer by layer, on the samples `X`.

    The forward pass runs under `no_grad()`: nothing is recorded for backward.
    A Dropout passes everything through, as in evaluation mode (an MLP's
    dropout is not one of its `layers` either).
    """
    _check_thresholds(low, high)
    chosen = dict(neuron_layers(model))
    outputs = {index: [] for index in chosen}
    layers = getattr(model, layers_attribute(model))
    with no_grad():
        for x in _samples(X):
            h = x
            for index, layer in enumerate(layers):
                if isinstance(layer, Dropout):
                    continue
                out = layer(h)
                h = [
                    v.data if isinstance(v, Value) else float(v)
                    for v in (out if isinstance(out, (list, tuple)) else [out])
                ]
                if index in outputs:
                    outputs[index].append(h)
    return [_layer_activations(index, chosen[index], rows, low, high) for index, rows in outputs.items()]


def _mean_std(values):
    """The mean and the standard deviation of finite `values`, without overflow.

    Past 1e150 a square (or a sum) could overflow although the answer is
    finite: the values are then scaled by a power of two (exact) first.
    Below that, the plain formulas, so ordinary numbers are unchanged.
    """
    n = len(values)
    largest = max(abs(a) for a in values)
    exponent = 0 if largest < 1e150 else math.frexp(largest)[1]
    scaled = [math.ldexp(a, -exponent) for a in values] if exponent else values
    mean = math.fsum(scaled) / n
    std = math.sqrt(math.fsum((a - mean) ** 2 for a in scaled) / n)
    return math.ldexp(mean, exponent), math.ldexp(std, exponent)


def _layer_activations(index, layer, rows, low, high):
    flat = [a for row in rows for a in row]
    n = len(flat)
    mean, std = _mean_std(flat)
    n_units = len(rows[0])
    dead = sum(1 for u in range(n_units) if all(row[u] == 0.0 for row in rows))
    return LayerActivations(
        layer=index,
        activation=activation_name(layer),
        mean=mean,
        std=std,
        saturated_low=sum(1 for a in flat if a < low) / n,
        saturated_high=sum(1 for a in flat if a > high) / n,
        dead_fraction=dead / n_units,
        activations=rows,
    )
