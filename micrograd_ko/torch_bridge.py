"""From the scalar engine to PyTorch: the same network as a `torch.nn.Sequential`.

For when a learner outgrows one-number-at-a-time: `model.to_torch()` copies
the weights into `torch.nn.Linear` layers (float64, so the numbers are the
same) followed by the same activation modules. PyTorch is imported only here,
only when this is called (it is an optional extra: `micrograd_ko[torch]`).

One small difference: `torch.nn.Softplus` returns x itself for x > 20, where
the engine computes log(1 + e^x) exactly; the two differ there by < 2.1e-9.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from .i18n import bilingual

if TYPE_CHECKING:
    import torch

__all__ = ["to_torch"]


class _Layered(Protocol):
    """What `to_torch` reads of a `Module` (named structurally: module.py imports this file)."""

    training: bool

    def as_layers(self) -> list[tuple[Any, ...]]: ...


def _import_torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(
            bilingual(
                "to_torch()에는 PyTorch가 필요합니다: pip install 'micrograd_ko[torch]'",
                "to_torch() needs PyTorch: pip install 'micrograd_ko[torch]'",
            )
        ) from None
    return torch


def _activation(torch: Any, name: str) -> Any:
    nn = torch.nn
    modules = {
        "sigmoid": nn.Sigmoid,
        "tanh": nn.Tanh,
        "relu": nn.ReLU,
        "leaky_relu": lambda: nn.LeakyReLU(0.01),  # the engine's default slope
        "elu": lambda: nn.ELU(1.0),
        "softplus": nn.Softplus,
        "silu": nn.SiLU,
        "gelu": nn.GELU,  # exact erf form, as the engine
    }
    if name not in modules:
        raise NotImplementedError(
            bilingual(
                f"to_torch: 활성화 함수 {name!r}에 맞는 torch 모듈이 없습니다",
                f"to_torch: no torch module for the activation {name!r}",
            )
        )
    return modules[name]()


def _linear(torch: Any, weights: list[list[float]], biases: list[float]) -> Any:
    linear = torch.nn.Linear(len(weights[0]), len(weights), dtype=torch.float64)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(weights, dtype=torch.float64))
        linear.bias.copy_(torch.tensor(biases, dtype=torch.float64))
    return linear


def to_torch(module: _Layered) -> torch.nn.Sequential:
    """`module.as_layers()` (standard layers described with plain numbers) as torch modules."""
    torch = _import_torch()
    parts = []
    for kind, *args in module.as_layers():
        if kind == "linear":
            parts.append(_linear(torch, *args))
        elif kind == "activation":
            parts.append(_activation(torch, *args))
        else:  # "dropout"
            parts.append(torch.nn.Dropout(*args))
    model = torch.nn.Sequential(*parts)
    model.train(module.training)
    return model
