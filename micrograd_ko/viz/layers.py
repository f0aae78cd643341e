"""Which layer of an MLP each node of a computation graph belongs to.

Shared by the node view (one cluster per layer) and the layer-by-layer
stepper (the gradient entering and leaving each layer).
"""

from __future__ import annotations

from ..diagnostics import activation_name, layer_parameters, neuron_layers
from ..i18n import bilingual

__all__ = ["INPUT", "LOSS", "LayerGroups", "assign_layers", "parameter_names"]

INPUT, LOSS = "input", "loss"


class LayerGroups:
    """The result of `assign_layers`: `group[node]` is a layer index, INPUT or LOSS."""

    def __init__(self, group, param_layer, biases, activations, children):
        self.group, self.param_layer, self.biases, self.activations = group, param_layer, biases, activations
        self.children = children

    def exits(self, key):
        """The nodes of group `key` that another group uses: a layer's outputs, or the network's inputs."""
        return [
            n
            for n, g in self.group.items()
            if g == key and n not in self.param_layer and any(self.group[c] != key for c in self.children.get(n, ()))
        ]

    def weights(self, layer):
        return [p for p, k in self.param_layer.items() if k == layer and p not in self.biases]


def parameter_names(model):
    """A short name for every weight and bias of `model`, written as its place in code (counted from 0).

    `w[1][2][0]` is `model.layers[1].neurons[2].w[0]` (layer, neuron, input) and
    `b[1][2]` that neuron's bias (for an `nn.Sequential`, `model.parts[1]...`). `draw_graph(..., model=)` and
    `BackpropStepper(..., model=)` both call the parameters by these names.
    """
    names = {}
    for index, layer in neuron_layers(model):
        for j, neuron in enumerate(layer.neurons):
            for k, weight in enumerate(neuron.w):
                names[weight] = f"w[{index}][{j}][{k}]"
            if getattr(neuron, "b", None) is not None:
                names[neuron.b] = f"b[{index}][{j}]"
    return names


def assign_layers(order, model):
    """Group every node of `order` (parents first) by the layer of `model` it belongs to.

    A parameter belongs to its layer. A computed node belongs to the deepest
    layer among its parents: everything between layer i's parameters and
    layer i+1's. After the last layer, only the neurons' own nodes (up to the
    activation) stay in it; what is computed from the outputs is the loss.
    """
    param_layer, biases, activations = {}, set(), {}
    for index, layer in neuron_layers(model):
        weights, layer_biases = layer_parameters(layer)
        for p in weights + layer_biases:
            param_layer[p] = index
        biases.update(layer_biases)
        activations[index] = activation_name(layer)
    if not any(node in param_layer for node in order):
        raise ValueError(
            bilingual(
                "이 그래프에는 모델의 매개변수가 하나도 없습니다: 이 모델의 그래프(손실)가 맞나요?",
                "the graph contains none of the model's parameters: is it this model's graph (loss)?",
            )
        )

    group = {}
    for node in order:
        if node in param_layer:
            group[node] = param_layer[node]
            continue
        layers = [group[p] for p in node._prev if isinstance(group[p], int)]
        group[node] = max(layers) if layers else None
    last = max(group[n] for n in order if isinstance(group[n], int))
    _split_loss(order, group, param_layer, last, activations[last])

    children = {}
    for node in order:
        for p in node._prev:
            children.setdefault(p, []).append(node)
    for node in order:
        if group[node] is None:  # a leaf that is not a parameter: an input, or a target of the loss
            uses = [group[c] for c in children.get(node, ())]
            group[node] = LOSS if uses and all(u == LOSS for u in uses) else INPUT
    return LayerGroups(group, param_layer, biases, activations, children)


def _split_loss(order, group, param_layer, last, activation):
    """Move the nodes computed after the last layer's outputs into the LOSS group."""
    in_last = [n for n in order if group[n] == last and n not in param_layer]
    consumers = {n for n in in_last if any(param_layer.get(p) == last for p in n._prev)}
    outputs = [n for n in in_last if n._op == activation and any(p in consumers for p in n._prev)]
    if not outputs:  # a linear output: the last node that still uses a parameter
        fed = {p for n in consumers for p in n._prev}
        outputs = [n for n in consumers if n not in fed]
    neuron_nodes = set()
    stack = list(outputs)
    while stack:
        node = stack.pop()
        if node in neuron_nodes:
            continue
        neuron_nodes.add(node)
        stack.extend(p for p in node._prev if group[p] == last and p not in param_layer)
    for node in in_last:
        if node not in neuron_nodes:
            group[node] = LOSS
