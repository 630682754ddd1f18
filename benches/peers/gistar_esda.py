#!/usr/bin/env python3
"""Peer of benches/gistar.rs: esda G_Local (Gi*, binary k=1 ring) on the same cells and counts.

Reads ``/tmp/byrum-gistar-100k.csv`` (``cell,count``: the resolution-12 H3 cover of
the Aalborg box with incident counts, zero cells included), written by
``cargo bench --bench gistar``. Builds the libpysal ``W`` from ``h3.grid_disk(c, 1)``
intersected with the cells (self excluded; esda adds the diagonal 1 for
``star=True``) and times ``G_Local(y, w, transform="B", star=True)`` with
``permutations=0`` and ``999`` (``n_jobs=1`` and ``n_jobs=-1``). The first call of
each permutation mode includes numba's JIT (and joblib's worker start); the
warm calls are the ones to compare. One line per task: ``task seconds [# note]``.

    /tmp/byrum-peers-venv/bin/python benches/peers/gistar_esda.py [CSV]
"""

from __future__ import annotations

import os
import sys
import time
import warnings

import h3
import numpy as np
from esda.getisord import G_Local
from libpysal.weights import W

warnings.simplefilter("ignore")


class Timer:
    def __enter__(self):
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.s = time.perf_counter() - self.t0


def emit(task: str, seconds: float, note: str = "") -> None:
    print(f"{task:<34} {seconds:10.3f}" + (f"   # {note}" if note else ""), flush=True)


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else "/tmp/byrum-gistar-100k.csv"
    cells, counts = [], []
    with open(path) as f:
        next(f)
        for line in f:
            c, n = line.rstrip("\n").split(",")
            cells.append(c)
            counts.append(float(n))
    y = np.array(counts)
    print(f"# {len(cells)} cells, {int((y == 0).sum())} zero, {int(y.sum())} incidents, "
          f"{os.cpu_count()} CPUs", flush=True)

    with Timer() as t:
        present = set(cells)
        nb = {c: [d for d in h3.grid_disk(c, 1) if d != c and d in present] for c in cells}
        w = W(nb, id_order=cells, silence_warnings=True)
    emit("weights_k1", t.s, "h3.grid_disk k=1 -> libpysal W")

    with Timer() as t:
        g0 = G_Local(y, w, transform="B", star=True, permutations=0)
    emit("analytic", t.s, "permutations=0")

    nj = os.cpu_count()
    for n_jobs, label in ((1, "n_jobs1"), (-1, f"n_jobs{nj}")):
        with Timer() as t:
            g = G_Local(y, w, transform="B", star=True, permutations=999, n_jobs=n_jobs, seed=42)
        emit(f"perm999_{label}_cold", t.s, "first call: numba JIT (+ joblib workers)")
        with Timer() as t:
            g = G_Local(y, w, transform="B", star=True, permutations=999, n_jobs=n_jobs, seed=42)
        emit(f"perm999_{label}", t.s, "warm")
    assert np.allclose(g0.Zs, g.Zs)
    print(f"# {int((g0.Zs > 1.96).sum())} cells z > 1.96, {int((g.p_sim < 0.05).sum())} p_sim < 0.05",
          flush=True)
    np.savetxt("/tmp/byrum-gistar-100k-esda-z.txt", g0.Zs, fmt="%.17g")


if __name__ == "__main__":
    main()
