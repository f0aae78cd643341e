"""Running an experiment's independent trainings: in order, on several cores, with a progress bar.

Every training (one seed, one configuration) is a call `fn(task)` of a
module-level function, so it can run in a worker process. The results come
back in the order of the tasks, whatever the number of processes, so a result
never depends on `jobs`.
"""

from __future__ import annotations

import multiprocessing
import os

from tqdm import tqdm

from ..i18n import bilingual, tr


def default_jobs() -> int:
    """The number of worker processes to use when the caller says `jobs=None`: every core."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def run_tasks(fn, tasks, jobs: int = 1, progress: bool = False, desc: str = ""):
    """[fn(task) for task in tasks], maybe in `jobs` processes, with a tqdm bar if `progress`."""
    tasks = list(tasks)
    if jobs is None:
        jobs = default_jobs()
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(
            bilingual(f"jobs는 1 이상의 정수여야 합니다: {jobs!r}", f"jobs must be a positive integer, got {jobs!r}")
        )
    jobs = min(jobs, len(tasks))
    with tqdm(total=len(tasks), desc=desc, unit=tr("회", "run"), disable=not progress, leave=True) as bar:
        if jobs <= 1:
            results = []
            for task in tasks:
                results.append(fn(task))
                bar.update(1)
            return results
        # fork keeps start-up cheap and needs no importable __main__ (notebooks).
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
        with multiprocessing.get_context(method).Pool(jobs) as pool:
            results = []
            for result in pool.imap(fn, tasks):
                results.append(result)
                bar.update(1)
        return results


def call(item):
    """(fn, task) -> fn(task): lets one pool run tasks of different kinds."""
    fn, task = item
    return fn(task)
