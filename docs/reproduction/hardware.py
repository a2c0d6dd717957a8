"""What computed a store's runs: how many runs of each method each CPU (or GPU) trained.
A table for docs/reproduction.md. A CPU run repeats bit for bit only on the hardware and thread
count its record names (see "The same runs, twice" there), so this says where each can be repeated.

Rows come in the order their first run was stored; "not recorded" counts the runs stored before
records named their hardware.

    python docs/reproduction/hardware.py results/paper/results.sqlite
"""

import sys
from collections import Counter

from tabulate import tabulate

from grokbench.store import Store


def main(store_path: str) -> None:
    with Store(store_path, read_only=True) as store:
        runs = Counter((run.hardware or "not recorded", run.method) for run in store.results())
    rows = [[hardware, method, count] for (hardware, method), count in runs.items()]
    print(tabulate(rows, headers=["hardware", "method", "runs"], tablefmt="github"))


if __name__ == "__main__":
    main(*sys.argv[1:])
