"""Results measured at a size too slow for a notebook, stored with the package so notebooks can quote them.

    python -m micrograd_ko.experiments.measured deep-xor-grid rbm digits-init   # measure again (minutes)
    python -m micrograd_ko.experiments.measured vanishing deep-xor zero-init linear init output   # README's table

Each run writes ``micrograd_ko/data/measured-NAME.json`` with its settings,
its numbers (per-seed lists, no curves) and how long it took. A notebook
loads one with `load(NAME)` and prints what it quotes from it, so its prose
never carries a measured number typed by hand; tests/test_experiments.py
checks README's table of measured numbers against them the same way.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ..i18n import bilingual

DATA = Path(__file__).resolve().parent.parent / "data"


def _deep_xor_grid():
    from .deep_xor import WIDTH_INIT_GRID, deep_xor

    result = deep_xor(seeds=10, steps=2000, variants=WIDTH_INIT_GRID, jobs=1)
    return result.name, result.config, result.numbers


def _rbm():
    from .rbm_pretraining import rbm_pretraining

    result = rbm_pretraining(seeds=10, digits_seeds=2, jobs=1)
    return result.name, result.config, result.numbers


def _digits_init():
    from .digits_init import digits_init_curves

    config = {
        "hidden": [16, 16, 16, 16],
        "n_train": 1000,
        "n_test": 300,
        "epochs": 10,
        "batch_size": 10,
        "lr": 0.1,
        "seed": 0,
        "every": 10,
    }
    return "digits-init", config, digits_init_curves(**config, jobs=2)


def _full_size(name):
    """The experiment `name` at its full-size defaults: what `micrograd-ko experiment NAME` runs (one process)."""

    def run():
        from .suite import EXPERIMENTS

        result = EXPERIMENTS[name](jobs=1)
        return result.name, result.config, result.numbers

    return run


RUNS = {
    "deep-xor-grid": _deep_xor_grid,
    "rbm": _rbm,
    "digits-init": _digits_init,
    **{name: _full_size(name) for name in ("vanishing", "deep-xor", "zero-init", "linear", "init", "output")},
}


def path(name):
    if name not in RUNS:
        raise ValueError(
            bilingual(
                f"저장된 측정 {name!r}이(가) 없습니다; 있는 것: {', '.join(RUNS)}",
                f"no stored measurement {name!r}; there are: {', '.join(RUNS)}",
            )
        )
    return DATA / f"measured-{name}.json"


def load(name):
    """The stored measurement `name`: {"experiment", "config", "numbers", "seconds"}."""
    return json.loads(path(name).read_text(encoding="utf-8"))


def measure(name):
    """Run the measurement `name` again and store it."""
    file = path(name)
    started = time.perf_counter()
    experiment, config, numbers = RUNS[name]()
    if name != "digits-init":  # there the curves are the measurement
        numbers = _without_curves(numbers)
    record = {
        "experiment": experiment,
        "config": config,
        "numbers": numbers,
        "seconds": round(time.perf_counter() - started),
    }
    file.write_text(json.dumps(record, ensure_ascii=False, indent=1, default=list) + "\n", encoding="utf-8")
    return record


def _without_curves(value):
    if isinstance(value, dict):
        return {k: _without_curves(v) for k, v in value.items() if k != "curves"}
    return value


def main(argv=None):
    """`python -m micrograd_ko.experiments.measured NAME...`: measure again and store (minutes each)."""
    parser = argparse.ArgumentParser(
        prog="python -m micrograd_ko.experiments.measured",
        description=bilingual(
            f"저장된 측정을 다시 재서 저장합니다 (하나에 몇 분). 이름: {', '.join(RUNS)}",
            f"measure the stored results again and store them (minutes each). Names: {', '.join(RUNS)}",
        ),
    )
    parser.add_argument("names", nargs="*", metavar="NAME")
    names = parser.parse_args(argv).names
    if not names:
        parser.error(bilingual("다시 잴 측정의 이름을 주세요", "give the names of the measurements to run again"))
    for name in names:
        try:
            path(name)  # every name before the first run, which takes minutes
        except ValueError as error:
            parser.error(str(error))
    for name in names:
        measure(name)
        print(name, "done", flush=True)


if __name__ == "__main__":
    main()
