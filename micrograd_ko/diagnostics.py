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
and the name of its activation in `.activation`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from .engine import Value, no_grad, topological_order
from .i18n import bilingual

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
    "mean_local_derivatives",
    "neuron_layers",
]


# --------------------------------------------------------------------------
# Reading a model
# --------------------------------------------------------------------------


def neuron_layers(model):
    """The (index, layer) pairs of `model.layers` that hold neurons.

    Layers without neurons (a dropout, say) have no weights to diagnose; the
    index still counts them, so `index` is always a valid `model.layers[index]`.
    """
    layers = getattr(model, "layers", None)
    if layers is None:
        raise TypeError(
            bilingual(
                f"모델에 layers 속성이 없습니다 ({type(model).__name__}); micrograd_ko.nn.MLP 같은 모델이 필요합니다",
                f"the model has no `layers` attribute ({type(model).__name__}); expected a model like micrograd_ko.nn.MLP",
            )
        )
    found = [(i, layer) for i, layer in enumerate(layers) if getattr(layer, "neurons", None)]
    if not found:
        raise ValueError(bilingual("모델에 뉴런이 있는 층이 없습니다", "the model has no layer with neurons"))
    return found


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


def _l2(xs):
    return math.sqrt(math.fsum(x * x for x in xs))


def gradient_flow(model):
    """One `LayerGradient` per layer, read from the `.grad` of its parameters.

    Call it after `loss.backward()`; the numbers are exactly the parameters'
    `.grad` fields (a network initialized with zeros has every gradient
    exactly 0, which is a finding, not an error).
    """
    records = []
    for index, layer in neuron_layers(model):
        weights, biases = layer_parameters(layer)
        grads = [abs(w.grad) for w in weights]
        records.append(
            LayerGradient(
                layer=index,
                activation=activation_name(layer),
                n_weights=len(grads),
                mean_abs_grad=math.fsum(grads) / len(grads),
                max_abs_grad=max(grads),
                grad_norm=_l2(grads),
                bias_grad_norm=_l2([b.grad for b in biases]),
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
        raise TypeError(bilingual("loss는 Value여야 합니다", f"loss must be a Value, got {type(loss).__name__}"))
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
    local = mean_local_derivatives(model, loss) if loss is not None else {}
    entries = []
    for index, layer in neuron_layers(model):
        weights, _ = layer_parameters(layer)
        values = [w.grad if grads is None else grads.get(w, 0.0) for w in weights]
        entries.append(
            (index, activation_name(layer), math.fsum(abs(v) for v in values) / len(values), local.get(index))
        )
    return factor_table(entries)


def _samples(X):
    try:
        rows = [[float(v.data if isinstance(v, Value) else v) for v in x] for x in X]
    except TypeError as error:
        raise TypeError(
            bilingual(
                "X는 샘플(숫자 목록)의 목록이어야 합니다", f"X must be a list of samples (lists of numbers): {error}"
            )
        ) from None
    if not rows:
        raise ValueError(bilingual("X가 비어 있습니다", "X is empty"))
    return rows


def activation_stats(model, X, low=0.1, high=0.9):
    """One `LayerActivations` per layer: the model's outputs, layer by layer, on the samples `X`.

    The forward pass runs under `no_grad()`: nothing is recorded for backward.
    """
    chosen = dict(neuron_layers(model))
    outputs = {index: [] for index in chosen}
    with no_grad():
        for x in _samples(X):
            h = x
            for index, layer in enumerate(model.layers):
                out = layer(h)
                h = [
                    v.data if isinstance(v, Value) else float(v)
                    for v in (out if isinstance(out, (list, tuple)) else [out])
                ]
                if index in outputs:
                    outputs[index].append(h)
    return [_layer_activations(index, chosen[index], rows, low, high) for index, rows in outputs.items()]


def _layer_activations(index, layer, rows, low, high):
    flat = [a for row in rows for a in row]
    n = len(flat)
    mean = math.fsum(flat) / n
    n_units = len(rows[0])
    dead = sum(1 for u in range(n_units) if all(row[u] == 0.0 for row in rows))
    return LayerActivations(
        layer=index,
        activation=activation_name(layer),
        mean=mean,
        std=math.sqrt(math.fsum((a - mean) ** 2 for a in flat) / n),
        saturated_low=sum(1 for a in flat if a < low) / n,
        saturated_high=sum(1 for a in flat if a > high) / n,
        dead_fraction=dead / n_units,
        activations=rows,
    )
