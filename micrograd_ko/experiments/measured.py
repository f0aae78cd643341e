"""Results measured at a size too slow for a notebook, stored with the package so notebooks can quote them.

    python -m micrograd_ko.experiments.measured deep-xor-grid rbm   # measure again (minutes)

Each run writes ``micrograd_ko/data/measured-NAME.json`` with its settings,
its numbers (per-seed lists, no curves) and how long it took. A notebook
loads one with `load(NAME)` and prints what it quotes from it, so its prose
never carries a measured number typed by hand.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from ..i18n import bilingual

DATA = Path(__file__).resolve().parent.parent / "data"


def _deep_xor_grid():
    from .deep_xor import WIDTH_INIT_GRID, deep_xor

    return deep_xor(seeds=10, steps=2000, variants=WIDTH_INIT_GRID, jobs=1)


def _rbm():
    from .rbm_pretraining import rbm_pretraining

    return rbm_pretraining(seeds=10, digits_seeds=2, jobs=1)


RUNS = {"deep-xor-grid": _deep_xor_grid, "rbm": _rbm}


def path(name):
    if name not in RUNS:
        raise ValueError(bilingual(f"저장된 측정 {name!r}이(가) 없습니다; 있는 것: {', '.join(RUNS)}",
                                   f"no stored measurement {name!r}; there are: {', '.join(RUNS)}"))
    return DATA / f"measured-{name}.json"


def load(name):
    """The stored measurement `name`: {"experiment", "config", "numbers", "seconds"}."""
    return json.loads(path(name).read_text(encoding="utf-8"))


def measure(name):
    """Run the measurement `name` again and store it."""
    file = path(name)
    started = time.perf_counter()
    result = RUNS[name]()
    numbers = {key: _without_curves(value) for key, value in result.numbers.items()}
    record = {"experiment": result.name, "config": result.config, "numbers": numbers,
              "seconds": round(time.perf_counter() - started)}
    file.write_text(json.dumps(record, ensure_ascii=False, indent=1, default=list) + "\n", encoding="utf-8")
    return record


def _without_curves(value):
    if isinstance(value, dict):
        return {k: _without_curves(v) for k, v in value.items() if k != "curves"}
    return value


if __name__ == "__main__":
    for name in sys.argv[1:]:
        measure(name)
        print(name, "done", flush=True)
