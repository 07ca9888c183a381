"""Time the synthetic roster generator and measure its peak memory against a bare loop.

    .venv/bin/python bench/seed_demo.py [--members 1000000] [--seed 1]

In the same run: a baseline loop that builds the same number of small tuples and throws them
away, then the generator (plan + every record). It prints the generator/baseline time ratio and
the tracemalloc peak of the org plan alone and of the plan plus every record: streaming means
the records add a small constant, so memory grows only with the plan (one org per ~25 members).
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.records.synthetic import synthetic_roster  # noqa: E402

TODAY = date(2025, 6, 1)


def baseline(n: int, seed: int) -> int:
    """Produce n throw-away tuples: the cost of merely looping over n items."""
    count = 0
    for i in range(n):
        row = (i, seed, "name", i % 2)
        count += len(row) > 0
    return count


def generate(n: int, seed: int) -> int:
    """Plan a roster of n members and draw every record."""
    count = 0
    for _org, _record in synthetic_roster(n, seed, TODAY).records():
        count += 1
    return count


def plan_only(n: int, seed: int) -> int:
    """Plan a roster of n members without drawing any record."""
    roster = synthetic_roster(n, seed, TODAY)
    return sum(o.size for o in roster.branches())


def timed(fn: Callable[[int, int], int], n: int, seed: int) -> float:
    start = time.perf_counter()
    assert fn(n, seed) == n
    return time.perf_counter() - start


def peak(fn: Callable[[int, int], int], n: int, seed: int) -> int:
    tracemalloc.start()
    fn(n, seed)
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    n, seed = args.members, args.seed
    base = timed(baseline, n, seed)
    gen = timed(generate, n, seed)
    print(f"members {n:,}: bare loop {base:.2f} s, generator {gen:.2f} s "
          f"({gen / n * 1e6:.1f} µs/member), ratio {gen / base:.0f}x")
    plan, full = peak(plan_only, n, seed), peak(generate, n, seed)
    # The plan (orgs, units, names) is proportional to the number of branches; what the records
    # add on top of it must stay a constant, whatever n.
    print(f"peak memory (tracemalloc): org plan alone {plan / 2**20:.1f} MiB, plan + {n:,} "
          f"records {full / 2**20:.1f} MiB (records add {(full - plan) / 2**20:.2f} MiB), "
          f"bare loop {peak(baseline, n, seed) / 2**20:.2f} MiB")


if __name__ == "__main__":
    main()
