"""The slow experiments of this checkout against those of a git revision, each run in a fresh process.

    python benchmarks/bench_experiments.py                        # against f849488, reduced sizes, 2 rounds
    python benchmarks/bench_experiments.py --full                 # the sizes measured.py runs (many times longer)
    python benchmarks/bench_experiments.py HEAD~5 --only output --rounds 1
    python benchmarks/bench_experiments.py --in-code              # and the time spent in the generated code
    python benchmarks/bench_experiments.py --warm                 # C builds kept from a run before (a second run)

Issue 14 asks the `deep-xor-grid`, `rbm` and `output` experiments to run at least 3x
faster than at f849488, the commit before the compile work. The old package is taken out
of git (`git archive REV micrograd_ko`) and every run is a new `python -c` process with
PYTHONPATH set to that tree or to this checkout, so neither version warms the other's
caches; each run of this checkout starts with an empty directory of C builds (MICROGRAD_KO_CACHE), as a
first run does, unless --warm. The runs alternate: old then new in odd rounds, new then old in even ones, so the
machine's load drifts over both alike. A run's time is `time.perf_counter` around the
experiment's call only (imports left out).

A speed-up counts only if both versions did the same work: each run also prints a sha1
of the `repr` of every top-level entry of its result's `.numbers` (rbm's "xor" apart from
its "digits", for example; `.numbers` holds no timings, the result keeps its time in
`.seconds`), and the table says which entries are equal in the two versions.

Reduced sizes (the default; the full ones take many times longer): deep-xor-grid with
1 seed instead of 10, rbm with 1 XOR seed, 20 RBM epochs, 1 digits seed, 300 training
and 100 test digits; output at full size either way.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))

from bench_engine_revisions import ROOT, extract_revision  # noqa: E402  (the git archive helper)

# name: (module in micrograd_ko.experiments, reduced call, full call as measured.py makes it)
EXPERIMENTS = {
    "deep-xor-grid": (
        "deep_xor",
        "deep_xor(seeds=1, steps=2000, variants=WIDTH_INIT_GRID, jobs=1)",
        "deep_xor(seeds=10, steps=2000, variants=WIDTH_INIT_GRID, jobs=1)",
    ),
    "rbm": (
        "rbm_pretraining",
        "rbm_pretraining(seeds=1, steps=2000, rbm_epochs=20, digits_seeds=1, digits_train=300, digits_test=100, jobs=1)",
        "rbm_pretraining(seeds=10, digits_seeds=2, jobs=1)",
    ),
    "output": ("output_loss", "output_and_loss(jobs=1)", "output_and_loss(jobs=1)"),
}

# Run in the child: `python -c CHILD MODULE CALL`; the call is evaluated in the module's namespace.
CHILD = """
import hashlib, json, sys, time
import importlib
module = importlib.import_module("micrograd_ko.experiments." + sys.argv[1])
start = time.perf_counter()
result = eval(sys.argv[2], vars(module))
seconds = time.perf_counter() - start
hashes = {key: hashlib.sha1(repr(value).encode()).hexdigest() for key, value in result.numbers.items()}
print(json.dumps({"seconds": seconds, "file": module.__file__, "hashes": hashes}))
"""

# With --in-code, one more run of this checkout with every generated function timed: "in_code" is the time
# spent inside the code compile wrote (what is left if fit, the watches, the optimizers' own steps and the
# evaluations took no time at all). The wrapper adds one perf_counter pair per call.
IN_CODE = """
import time
from micrograd_ko.compiler import run as _run
_spent = [0.0]
_variant = _run.CompiledFunction._variant
def _timed_variant(self, name, samples=1):
    function, source = _variant(self, name, samples)
    def timed(*args):
        start = time.perf_counter()
        try:
            return function(*args)
        finally:
            _spent[0] += time.perf_counter() - start
    return timed, source
_run.CompiledFunction._variant = _timed_variant
"""
CHILD_IN_CODE = IN_CODE + CHILD.replace('"hashes": hashes', '"hashes": hashes, "in_code": _spent[0]')


def run(tree, module, call, workdir, child=CHILD, cache=None):
    """One experiment in a new process importing micrograd_ko from `tree`: {"seconds", "file", "hashes"}.

    `cache`: the directory the C form's builds are kept in (MICROGRAD_KO_CACHE); None: an empty one of this run's
    own, so the run builds what it uses, as on a first run.
    """
    with tempfile.TemporaryDirectory() as empty:
        env = {**os.environ, "PYTHONPATH": str(tree), "MICROGRAD_KO_CACHE": cache or empty}
        return _run(tree, module, call, workdir, child, env)


def _run(tree, module, call, workdir, child, env):
    # cwd is an empty folder: `python -c` puts the working directory first on sys.path
    done = subprocess.run(
        [sys.executable, "-c", child, module, call], cwd=workdir, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"{call} failed with the package in {tree}:\n{done.stderr[-3000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    if not Path(out["file"]).is_relative_to(tree):
        raise RuntimeError(f"the run imported {out['file']}, not the package in {tree}")
    return out


def _wait_for_builds(folder, limit=120):
    """Wait until the builds a run left going in the background (`building-*` files) are done: the timed runs of
    --warm should find them whole on disk, as a run some time after the one before would."""
    deadline = time.monotonic() + limit
    while any(name.startswith("building-") for name in os.listdir(folder)) and time.monotonic() < deadline:
        time.sleep(0.5)


def compare(old_hashes, new_hashes):
    """'yes' if every entry of `.numbers` is equal, else which entries differ and which are equal."""
    keys = list(dict.fromkeys([*old_hashes, *new_hashes]))
    differ = [k for k in keys if old_hashes.get(k) != new_hashes.get(k)]
    if not differ:
        return "yes"
    equal = [k for k in keys if k not in differ]
    return f"NO: {', '.join(differ)} differ" + (f" ({', '.join(equal)} equal)" if equal else "")


def git(*args):
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()


def measure(name, call, module, trees, rounds, workdir, old_label, in_code=False, warm=None):
    """Time `name` in `rounds` alternating rounds; print its table and return (old median, new median, equal).

    `in_code`: then one more run of this checkout, timing what is spent inside the generated code.
    `warm`: a directory of C builds this checkout's runs share, filled by one run first (not timed).
    """
    runs = {"old": [], "new": []}
    if warm is not None:
        run(trees["new"], module, call, workdir, cache=warm)
        _wait_for_builds(warm)
    for r in range(rounds):
        for version in ("old", "new") if r % 2 == 0 else ("new", "old"):
            runs[version].append(run(trees[version], module, call, workdir, cache=warm if version == "new" else None))
            print(
                f"  {name} round {r + 1} {version}: {runs[version][-1]['seconds']:.2f} s", file=sys.stderr, flush=True
            )
    print(f"\n## {name}: `{call}`\n")
    print(f"| round | {old_label} | this checkout | numbers equal |\n|---|---:|---:|---|")
    for r, (old, new) in enumerate(zip(runs["old"], runs["new"])):
        print(
            f"| {r + 1} | {old['seconds']:.2f} s | {new['seconds']:.2f} s | {compare(old['hashes'], new['hashes'])} |"
        )
    medians = [statistics.median(out["seconds"] for out in runs[version]) for version in ("old", "new")]
    print(
        f"| median | {medians[0]:.2f} s | {medians[1]:.2f} s | old ÷ new = **{medians[0] / medians[1]:.2f}x** |",
        flush=True,
    )
    for version in ("old", "new"):
        if any(out["hashes"] != runs[version][0]["hashes"] for out in runs[version]):
            print(f"\n{version}: the numbers differ from round to round (not deterministic).")
    verdict = compare(runs["old"][0]["hashes"], runs["new"][0]["hashes"])
    if in_code:
        timed = run(trees["new"], module, call, workdir, CHILD_IN_CODE, warm)
        print(
            f"\nOne more run of this checkout with the generated code timed: {timed['seconds']:.2f} s, of which "
            f"{timed['in_code']:.2f} s ({timed['in_code'] / timed['seconds']:.0%}) inside the generated code. "
            f"Were everything else free: old ÷ generated code alone = {medians[0] / timed['in_code']:.2f}x.",
            flush=True,
        )
    return medians, verdict


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "rev", nargs="?", default="f849488", help="the git revision to compare against (default f849488)"
    )
    parser.add_argument("--rounds", type=int, default=2, help="runs per experiment and version (default 2)")
    parser.add_argument("--full", action="store_true", help="the full sizes of measured.py (many times longer)")
    parser.add_argument(
        "--in-code",
        action="store_true",
        help="one more run of this checkout timing the generated code alone (the most a cut of overhead gives)",
    )
    parser.add_argument(
        "--warm",
        action="store_true",
        help="this checkout's runs load the C builds of one run before (kept on disk, as a second run finds them); "
        "default: each run starts with no builds",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=list(EXPERIMENTS),
        default=list(EXPERIMENTS),
        metavar="NAME",
        help="experiments to run (default all: " + ", ".join(EXPERIMENTS) + ")",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    try:
        old_label = git("rev-parse", "--short", "--verify", args.rev + "^{commit}")
    except subprocess.CalledProcessError:
        parser.error(f"{args.rev!r} is no commit of this repository")
    start_load = os.getloadavg()
    print(
        f"old = {args.rev} ({old_label}), new = this checkout ({git('describe', '--always', '--dirty')}); "
        f"Python {platform.python_version()}, {os.cpu_count()} cores; {args.rounds} rounds, "
        f"{'full' if args.full else 'reduced'} sizes, C builds {'kept from a run before' if args.warm else 'made anew'}; "
        f"load average at start {start_load[0]:.2f} "
        f"(1 min), {start_load[1]:.2f} (5 min)"
    )
    summary = []
    with tempfile.TemporaryDirectory() as old_tree, tempfile.TemporaryDirectory() as workdir:
        extract_revision(args.rev, old_tree)
        trees = {"old": Path(old_tree), "new": ROOT}
        for name in args.only:
            module, reduced, full = EXPERIMENTS[name]
            call = full if args.full else reduced
            with tempfile.TemporaryDirectory() as warm:
                medians, verdict = measure(
                    name,
                    call,
                    module,
                    trees,
                    args.rounds,
                    workdir,
                    old_label,
                    args.in_code,
                    warm if args.warm else None,
                )
            summary.append((name, *medians, verdict))
    end_load = os.getloadavg()
    print(f"\n## Summary (medians of {args.rounds})\n")
    print(
        f"| experiment | {old_label} | this checkout | old ÷ new (target ≥ 3x) | numbers equal |\n|---|---:|---:|---:|---|"
    )
    for name, old, new, verdict in summary:
        print(f"| {name} | {old:.2f} s | {new:.2f} s | {old / new:.2f}x | {verdict} |")
    print(f"\nLoad average at end {end_load[0]:.2f} (1 min), {end_load[1]:.2f} (5 min).")
    if any(verdict != "yes" for *_, verdict in summary):
        print(
            "Entries that differ were computed differently by the two versions: to find why, run the experiment's "
            f"tasks at the commits in between (`git log {args.rev}..HEAD -- micrograd_ko`); benchmarks/README.md "
            "names the causes found against f849488."
        )


if __name__ == "__main__":
    main()
