#!/usr/bin/env python3
"""Peer pipeline: byrum's whole pipeline done with today's Python tools, in one fresh process.

This is the peer side of ``benches/pipeline.rs``. That benchmark runs this script as
a subprocess on the same CSV that byrum reads and times its wall time from outside.
This script runs the stages an analyst would run, in order, with the fastest
reasonable peer tool for each stage (as ``../shared/bench-peers/peer_bench.py``
measured them). Every stage writes its outputs to files under ``--out``. The
imports and the numba JIT warm-up of esda and datashader are timed, because a
user pays for them too.

Usage::

    python pipeline.py --incidents CSV --services CSV --out DIR [--perm 999]

Inputs: incidents CSV ``id,lon,lat,timestamp,category`` (naive local time
``YYYY-MM-DDTHH:MM:SS``, Europe/Copenhagen, sorted by time) and services CSV
``id,lon,lat``. If an input is missing, the script exits with status 2 and a message.

Output contract (parsed by ``benches/pipeline.rs``; keep it exact). There is one line
per stage, ``<stage> <n> <seconds>  # <note>``, where n is the number of incidents.
The stages come in this order:

 1. ``imports``      numpy, pandas, pyproj, scipy, h3, libpysal, esda, datashader, PIL.
                     This line is printed after ``read`` is done, because that is when n
                     is known. It is still the first stage line.
 2. ``read``         ``pd.read_csv`` with dtypes, plus ``pd.to_datetime`` with an explicit
                     format. The timestamps stay naive local time.
 3. ``project``      pyproj EPSG:4326 -> EPSG:25832 (always_xy) on the whole columns.
 4. ``index``        ``scipy.spatial.cKDTree`` over the projected incidents. byrum
                     builds its R-tree over all incidents at this point.
 5. ``h3_bins``      h3 ``basic_int`` ``latlng_to_cell`` at res 9 (a list comprehension),
                     hour bucket = hour // 3, meteorological season = (month % 12) // 3,
                     counts per (cell, hour bucket, season) with ``groupby.size``, and
                     counts per cell over all bins.
 6. ``kde``          1000x1000 raster over the projected data bbox, 150 m Epanechnikov
                     kernel (not normalised): ``np.histogram2d`` + ``signal.fftconvolve``.
                     Writes DIR/kde.npy (row 0 = southernmost row, column 0 = westernmost).
 7. ``gistar_fdr``   Builds the H3 k=1 ring W over the occupied res-9 cells, then runs
                     esda ``G_Local`` (star, binary, PERM permutations, n_jobs=1, seed 42;
                     the first call includes the numba JIT) and Benjamini-Hochberg FDR 0.05
                     on ``p_sim``. Writes DIR/gistar_res9.csv with the columns
                     cell,count,z,p_sim,significant (cell as an H3 hex string,
                     significant as 1/0).
 8. ``nearest_open`` The nearest of the services to each incident: a cKDTree over the
                     projected services, ``query(k=1, workers=-1)``. Opening hours are
                     ignored, because this stack has no OSM opening_hours evaluator.
                     Writes DIR/nearest.csv with the columns
                     service_id,lon,lat,incidents,median_dist_m.
 9. ``tiles``        The bin with hour bucket 6 (18-21 local) and season 2 (JJA). Every
                     XYZ tile at z12..17 that touches lon 9.88-9.97, lat 57.02-57.07 is
                     rendered with datashader (count, log shade) and written to
                     DIR/tiles/z/x/y.png, empty tiles included.

Lines that start with ``#`` are information. The ``# check ...`` lines give numbers to
compare with byrum. The output ends with ``# peak_rss_bytes <int>`` and then
``total <n> <seconds>``. The total runs from the first statement to the moment the
last file is written.
"""

import time

t_start = time.perf_counter()

import argparse  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

LON0, LON1, LAT0, LAT1 = 9.88, 9.97, 57.02, 57.07  # peer box (tiles)
RASTER = 1000
BANDWIDTH_M = 150.0
H3_RES = 9
TILE_HB, TILE_SEASON = 6, 2  # 18:00-21:00 local, summer (JJA)
ZOOMS = range(12, 18)
FDR_ALPHA = 0.05


def emit(task, n, seconds, note=None):
    line = f"{task} {n} {seconds:.4f}"
    if note:
        line += f"  # {note}"
    print(line, flush=True)


def info(msg):
    print(f"# {msg}", flush=True)


def _tile_range(z):
    """XYZ tile index range (inclusive) that touches the peer box at zoom z (as peer_bench)."""

    def lon2x(lon):
        return (lon + 180.0) / 360.0 * 2**z

    def lat2y(lat):
        r = math.radians(lat)
        return (1.0 - math.asinh(math.tan(r)) / math.pi) / 2.0 * 2**z

    x0, x1 = int(math.floor(lon2x(LON0))), int(math.floor(lon2x(LON1)))
    y0, y1 = int(math.floor(lat2y(LAT1))), int(math.floor(lat2y(LAT0)))
    return x0, x1, y0, y1


def _tile_bounds_merc(z, tx, ty):
    """Web-Mercator (EPSG:3857) x and y ranges of tile (z, tx, ty) (as peer_bench)."""
    half = 20037508.342789244
    size = 2 * half / 2**z
    xmin = -half + tx * size
    ymax = half - ty * size
    return (xmin, xmin + size), (ymax - size, ymax)


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--incidents", required=True, help="incidents CSV (id,lon,lat,timestamp,category)")
    ap.add_argument("--services", required=True, help="services CSV (id,lon,lat)")
    ap.add_argument("--out", required=True, help="output folder (created)")
    ap.add_argument("--perm", type=int, default=999, help="Gi* permutations (default 999)")
    a = ap.parse_args()
    for label, p in (("incidents", a.incidents), ("services", a.services)):
        if not os.path.isfile(p):
            print(f"pipeline.py: {label} CSV not found: {p}", file=sys.stderr, flush=True)
            sys.exit(2)
    out = a.out
    os.makedirs(out, exist_ok=True)

    # ---------------------------------------------------------------- imports
    import numpy as np
    import pandas as pd
    from pyproj import Transformer
    from scipy import signal
    from scipy.spatial import cKDTree
    import h3
    from h3.api import basic_int as h3i
    from libpysal.weights import W
    from esda.getisord import G_Local

    try:
        from esda import fdr as esda_fdr
    except ImportError:  # older/newer esda without fdr
        esda_fdr = None
        from scipy.stats import false_discovery_control
    import datashader as ds
    import datashader.transfer_functions as tf
    from datashader.utils import lnglat_to_meters
    import PIL.Image  # noqa: F401  (used by datashader's to_pil)

    t_imports = time.perf_counter() - t_start  # from the first statement

    # ------------------------------------------------------------------- read
    t0 = time.perf_counter()
    df = pd.read_csv(
        a.incidents,
        dtype={"id": np.int64, "lon": np.float64, "lat": np.float64, "category": "category"},
    )
    df["timestamp"] = pd.to_datetime(df["timestamp"], format="%Y-%m-%dT%H:%M:%S")
    t_read = time.perf_counter() - t0
    n = len(df)
    emit("imports", n, t_imports,
         "python startup not included; numpy pandas pyproj scipy h3 libpysal esda datashader PIL")
    emit("read", n, t_read,
         "pd.read_csv (C engine, dtypes given, category as category) + pd.to_datetime(format=...); "
         "naive local time, no tz conversion")
    lon = df["lon"].to_numpy()
    lat = df["lat"].to_numpy()

    # ---------------------------------------------------------------- project
    t0 = time.perf_counter()
    trf = Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True)
    x, y = trf.transform(lon, lat)
    x = np.ascontiguousarray(x)
    y = np.ascontiguousarray(y)
    emit("project", n, time.perf_counter() - t0,
         "pyproj Transformer EPSG:4326->EPSG:25832 always_xy, whole columns")

    # ------------------------------------------------------------------ index
    t0 = time.perf_counter()
    P = np.column_stack([x, y])
    tree = cKDTree(P)
    emit("index", n, time.perf_counter() - t0,
         "scipy cKDTree over projected incidents (defaults, leafsize 16); byrum builds an R-tree")

    # ---------------------------------------------------------------- h3_bins
    t0 = time.perf_counter()
    la = lat.tolist()
    lo = lon.tolist()
    cells = np.array([h3i.latlng_to_cell(p, q, H3_RES) for p, q in zip(la, lo)], dtype=np.uint64)
    del la, lo
    ts = df["timestamp"].dt
    hb = (ts.hour.to_numpy() // 3).astype(np.int8)
    season = ((ts.month.to_numpy() % 12) // 3).astype(np.int8)
    del ts
    groups = pd.DataFrame({"cell": cells, "hb": hb, "season": season}).groupby(
        ["cell", "hb", "season"], sort=False
    ).size()
    cell_counts = groups.groupby(level="cell", sort=False).sum()
    emit("h3_bins", n, time.perf_counter() - t0,
         f"h3 basic_int latlng_to_cell res {H3_RES} list-comp + hour//3, (month%12)//3 + "
         f"groupby.size; per-cell totals from the groups")

    # -------------------------------------------------------------------- kde
    t0 = time.perf_counter()
    xmin, xmax = float(x.min()), float(x.max())
    ymin, ymax = float(y.min()), float(y.max())
    H, _, _ = np.histogram2d(y, x, bins=RASTER, range=[[ymin, ymax], [xmin, xmax]])
    px = (xmax - xmin) / RASTER
    py = (ymax - ymin) / RASTER
    ry = int(math.ceil(BANDWIDTH_M / py))
    rx = int(math.ceil(BANDWIDTH_M / px))
    ky, kx = np.mgrid[-ry : ry + 1, -rx : rx + 1]
    kern = np.clip(1.0 - ((ky * py) ** 2 + (kx * px) ** 2) / BANDWIDTH_M**2, 0.0, None)
    dens = signal.fftconvolve(H, kern, mode="same")
    np.save(os.path.join(out, "kde.npy"), dens)
    emit("kde", n, time.perf_counter() - t0,
         f"np.histogram2d + signal.fftconvolve, {RASTER}x{RASTER} over data bbox, "
         f"{BANDWIDTH_M:.0f} m Epanechnikov {kern.shape[0]}x{kern.shape[1]} taps, np.save")
    del H

    # ------------------------------------------------------------- gistar_fdr
    t0 = time.perf_counter()
    cids = cell_counts.index.tolist()
    present = set(cids)
    neighbors = {c: [d for d in h3i.grid_disk(c, 1) if d != c and d in present] for c in cids}
    w = W(neighbors, id_order=cids, silence_warnings=True)
    yv = cell_counts.to_numpy().astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = G_Local(yv, w, transform="B", star=True, permutations=a.perm, n_jobs=1, seed=42)
    if esda_fdr is not None:
        cutoff = esda_fdr(g.p_sim, FDR_ALPHA)
        sig = g.p_sim < cutoff
        fdr_how = f"esda.fdr (cut-off {cutoff:.3g}, p_sim < cut-off)"
    else:
        sig = false_discovery_control(g.p_sim, method="bh") <= FDR_ALPHA
        fdr_how = "scipy.stats.false_discovery_control bh"
    pd.DataFrame(
        {
            "cell": [h3.int_to_str(c) for c in cids],
            "count": cell_counts.to_numpy(),
            "z": g.Zs,
            "p_sim": g.p_sim,
            "significant": sig.astype(np.int8),
        }
    ).to_csv(os.path.join(out, "gistar_res9.csv"), index=False)
    emit("gistar_fdr", n, time.perf_counter() - t0,
         f"h3 grid_disk k=1 -> libpysal W ({w.n} cells) + esda G_Local star B perm={a.perm} "
         f"n_jobs=1 (faster than -1 on 2 cores) incl. numba JIT + BH {FDR_ALPHA} via {fdr_how}")

    # ----------------------------------------------------------- nearest_open
    t0 = time.perf_counter()
    srv = pd.read_csv(a.services, dtype={"id": np.int64, "lon": np.float64, "lat": np.float64})
    sx, sy = trf.transform(srv["lon"].to_numpy(), srv["lat"].to_numpy())
    stree = cKDTree(np.column_stack([sx, sy]))
    dist, idx = stree.query(P, k=1, workers=-1)
    per = pd.DataFrame({"s": idx, "d": dist}).groupby("s", sort=True)["d"].agg(["size", "median"])
    res_n = pd.DataFrame({"service_id": srv["id"], "lon": srv["lon"], "lat": srv["lat"]})
    res_n["incidents"] = per["size"].reindex(range(len(srv)), fill_value=0).to_numpy()
    res_n["median_dist_m"] = per["median"].reindex(range(len(srv))).to_numpy()
    res_n.to_csv(os.path.join(out, "nearest.csv"), index=False)
    emit("nearest_open", n, time.perf_counter() - t0,
         f"cKDTree over {len(srv)} projected services, query k=1 workers=-1 + per-service "
         f"count/median; opening hours ignored (no OSM opening_hours evaluator in the stack), "
         f"byrum also checks opening hours")

    # ------------------------------------------------------------------ tiles
    t0 = time.perf_counter()
    sel = (hb == TILE_HB) & (season == TILE_SEASON)
    mx, my = lnglat_to_meters(lon[sel], lat[sel])
    pts = pd.DataFrame({"x": np.asarray(mx), "y": np.asarray(my)})
    n_bin = len(pts)
    tiles_per_zoom = {}
    nbytes = 0
    for z in ZOOMS:
        x0, x1, y0, y1 = _tile_range(z)
        tiles_per_zoom[z] = (x1 - x0 + 1) * (y1 - y0 + 1)
        for tx in range(x0, x1 + 1):
            d = os.path.join(out, "tiles", str(z), str(tx))
            os.makedirs(d, exist_ok=True)
            for ty in range(y0, y1 + 1):
                xr, yr = _tile_bounds_merc(z, tx, ty)
                cvs = ds.Canvas(plot_width=256, plot_height=256, x_range=xr, y_range=yr)
                agg = cvs.points(pts, "x", "y", agg=ds.count())
                img = tf.shade(agg, cmap=["lightblue", "darkblue"], how="log")
                f = os.path.join(d, f"{ty}.png")
                img.to_pil().save(f)
                nbytes += os.path.getsize(f)
    n_tiles = sum(tiles_per_zoom.values())
    emit("tiles", n, time.perf_counter() - t0,
         f"hb {TILE_HB} season {TILE_SEASON}: {n_bin} points, {n_tiles} tiles z12-17 "
         f"(datashader count + log shade incl. numba JIT, PIL PNG, {nbytes / 1e6:.1f} MB)")
    t_total = time.perf_counter() - t_start

    # ----------------------------------------------------------------- checks
    info(f"check incidents_read {n}")
    info(f"check h3_res9_cells {len(cell_counts)}")
    info(f"check groups_cell_hb_season {len(groups)}")
    info(f"check tile_bin_points {n_bin}")
    info(f"check tiles_written {n_tiles}  per zoom "
         + " ".join(f"z{z}:{k}" for z, k in tiles_per_zoom.items()))
    info(f"check gistar_z_gt_1.96 {int((g.Zs > 1.96).sum())}")
    info(f"check gistar_z_lt_-1.96 {int((g.Zs < -1.96).sum())}")
    info(f"check gistar_significant_fdr {int(sig.sum())}  of {len(sig)} cells")
    info(f"check nearest_median_dist_m {float(np.median(dist)):.2f}")
    info(f"check kde_sum {float(dens.sum()):.6g}  (kernel sum {float(kern.sum()):.6g}, "
         f"n x kernel sum {n * float(kern.sum()):.6g}; edge loss from mode='same')")
    del tree
    info(f"peak_rss_bytes {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}")
    emit("total", n, t_total)


if __name__ == "__main__":
    main()
