"""Saving and loading parameters as JSON (never pickle: a JSON file cannot run code).

A state dict maps each parameter slot's name to its numbers:
    {"layers.0.neurons.0.w": [0.12, -0.5], "layers.0.neurons.0.b": 0.0, ...}
A saved file adds the architecture, so `MLP.load(path)` can rebuild the model:
    {"format": "micrograd_ko.MLP", "version": 1, "config": {...}, "state_dict": {...}}

Loading checks everything first and only then changes the model, so a bad
file never leaves a model half-loaded.
"""

from __future__ import annotations

import json
import math
import numbers

from .files import write_file

__all__ = ["state_dict", "load_state_dict", "check_numbers", "save", "load", "FORMAT", "VERSION"]

FORMAT = "micrograd_ko.MLP"
VERSION = 1
_CONFIG_KEYS = {"nin", "nouts", "activation", "output_activation", "dropout"}


def state_dict(module):
    return {
        name: [p.data for p in slot] if isinstance(slot, list) else slot.data
        for name, slot in module.parameter_slots()
    }


def load_state_dict(module, state):
    if not isinstance(state, dict):
        raise TypeError(f"state_dict는 dict여야 합니다 / a state dict must be a dict, got {type(state).__name__}")
    slots = dict(module.parameter_slots())
    missing = [k for k in slots if k not in state]
    unexpected = [k for k in state if k not in slots]
    problems = []
    if missing:
        problems.append(f"없는 키 / missing keys: {_names(missing)}")
    if unexpected:
        problems.append(f"모르는 키 / unexpected keys: {_names(unexpected)}")
    checked = {}
    for name, slot in slots.items():
        if name not in state:
            continue
        shape = (len(slot),) if isinstance(slot, list) else ()
        try:
            checked[name] = check_numbers(state[name], shape, name)
        except (TypeError, ValueError) as error:
            problems.append(str(error))
    if problems:
        raise ValueError(
            "state_dict가 모델과 맞지 않아 아무것도 바꾸지 않았습니다 / the state dict does not match the model; "
            "nothing was changed:\n  " + "\n  ".join(problems)
        )
    for name, slot in slots.items():
        if isinstance(slot, list):
            for p, value in zip(slot, checked[name]):
                p.data = value
        else:
            slot.data = checked[name]


def check_numbers(value, shape, name):
    """`value` as floats of the given shape (() = one number), or a clear error."""
    if not shape:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name}: 숫자가 필요합니다 / expected a number, got {type(value).__name__}")
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"{name}: 유한한 숫자가 필요합니다 / expected a finite number, got {value}")
        return value
    if not isinstance(value, (list, tuple)):
        raise TypeError(
            f"{name}: 길이 {shape[0]}의 목록이 필요합니다 / expected a list of {shape[0]}, got {type(value).__name__}"
        )
    if len(value) != shape[0]:
        raise ValueError(f"{name}: 길이가 {shape[0]}이어야 하는데 {len(value)}입니다 / expected {shape[0]} entries, got {len(value)}")
    return [check_numbers(v, shape[1:], f"{name}[{i}]") for i, v in enumerate(value)]


def _names(keys, limit=6):
    shown = ", ".join(keys[:limit])
    return shown + (f", … (+{len(keys) - limit})" if len(keys) > limit else "")


def save(model, path):
    document = {"format": FORMAT, "version": VERSION, "config": model.config, "state_dict": model.state_dict()}
    text = json.dumps(document, allow_nan=False)
    write_file(path, text)


def load(path):
    from .nn import MLP

    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        document = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError; absurd nesting recurses
        raise ValueError(f"{path}: 올바른 JSON이 아닙니다(손상된 파일?) / not valid JSON (corrupt file?): {error}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{path}: micrograd_ko MLP 파일이 아닙니다 / not a micrograd_ko MLP file (format must be {FORMAT!r})")
    if type(document.get("version")) is not int or document["version"] != VERSION:
        raise ValueError(
            f"{path}: 지원하지 않는 버전 {document.get('version')!r} / unsupported version {document.get('version')!r} "
            f"(expected {VERSION})"
        )
    config, state = document.get("config"), document.get("state_dict")
    if not isinstance(config, dict) or not isinstance(state, dict):
        raise ValueError(f"{path}: config 또는 state_dict가 없습니다 / missing 'config' or 'state_dict'")
    unknown = sorted(set(config) - _CONFIG_KEYS)
    if unknown or not {"nin", "nouts"} <= set(config):
        raise ValueError(
            f"{path}: 설정(config)이 올바르지 않습니다 / invalid config: unknown keys {unknown}, "
            f"'nin' and 'nouts' are required (allowed: {sorted(_CONFIG_KEYS)})"
        )
    _check_size_before_building(path, config, state)
    try:
        model = MLP(**config, init="zeros")
        model.load_state_dict(state)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: {error}") from None
    return model


def _check_size_before_building(path, config, state):
    """Compare the parameter count the config implies with the numbers stored, before any model is built.

    A tiny file must not make us build a huge network only to find its weights missing.
    """
    widths = [config["nin"], *config["nouts"]] if isinstance(config["nouts"], list) else None
    if not widths or not all(type(n) is int and n > 0 for n in widths):
        raise ValueError(f"{path}: nin과 nouts는 양의 정수여야 합니다 / nin and nouts must be positive ints")
    expected = sum((n_in + 1) * n_out for n_in, n_out in zip(widths, widths[1:]))
    stored = sum(len(v) if isinstance(v, list) else 1 for v in state.values())
    if stored < expected:  # (too many numbers is caught later, by name, against the built model)
        raise ValueError(
            f"{path}: 설정은 매개변수 {expected}개를 뜻하지만 파일에는 숫자 {stored}개가 있습니다 / "
            f"the config implies {expected} parameters but the file stores {stored} numbers"
        )


def _reject_constant(name):
    raise ValueError(f"{name}: 유한한 숫자만 저장할 수 있습니다 / only finite numbers are allowed")
