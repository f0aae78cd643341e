"""From the scalar engine to PyTorch: the same network as a `torch.nn.Sequential`.

For when a learner outgrows one-number-at-a-time: `model.to_torch()` copies
the weights into `torch.nn.Linear` layers (float64, so the numbers are the
same) followed by the same activation modules. PyTorch is imported only here,
only when this is called (it is an optional extra: `micrograd_ko[torch]`).

One small difference: `torch.nn.Softplus` returns x itself for x > 20, where
the engine computes log(1 + e^x) exactly; the two differ there by < 2.1e-9.
"""

from __future__ import annotations

__all__ = ["to_torch"]


def _import_torch():
    try:
        import torch
    except ImportError:
        raise ImportError(
            "to_torch()에는 PyTorch가 필요합니다: pip install 'micrograd_ko[torch]' / "
            "to_torch() needs PyTorch: pip install 'micrograd_ko[torch]'"
        ) from None
    return torch


def _activation(torch, name):
    nn = torch.nn
    return {
        "sigmoid": nn.Sigmoid,
        "tanh": nn.Tanh,
        "relu": nn.ReLU,
        "leaky_relu": lambda: nn.LeakyReLU(0.01),  # the engine's default slope
        "elu": lambda: nn.ELU(1.0),
        "softplus": nn.Softplus,
        "silu": nn.SiLU,
        "gelu": nn.GELU,  # exact erf form, as the engine
        "linear": None,
    }[name]


def _linear(torch, layer):
    linear = torch.nn.Linear(layer.nin, layer.nout, dtype=torch.float64)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64))
        linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
    return linear


def _parts(torch, module):
    """The torch modules that compute what `module` computes."""
    from .nn import MLP, Dropout, Layer, Sequential

    if isinstance(module, Layer):
        make_activation = _activation(torch, module.activation)
        return [_linear(torch, module)] + ([make_activation()] if make_activation else [])
    if isinstance(module, Dropout):
        return [torch.nn.Dropout(module.p)]
    if isinstance(module, MLP):
        parts = []
        for i, layer in enumerate(module.layers):
            parts += _parts(torch, layer)
            if module.dropout is not None and i < len(module.layers) - 1:
                parts += _parts(torch, module.dropout)
        return parts
    if isinstance(module, Sequential):
        return [part for m in module.parts for part in _parts(torch, m)]
    raise TypeError(
        f"to_torch: {type(module).__name__}은(는) 변환할 수 없습니다 / cannot convert {type(module).__name__} "
        "(MLP, Layer, Dropout and Sequential can be converted)"
    )


def to_torch(module):
    torch = _import_torch()
    model = torch.nn.Sequential(*_parts(torch, module))
    model.train(module.training)
    return model
