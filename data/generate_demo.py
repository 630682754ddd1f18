#!/usr/bin/env python3
"""Generate the SYNTHETIC Aalborg demo data set used by `byrum`.

Nothing written by this script is real.  Place outlines are rough
hand-digitisations of six public spaces named in Aalborg Municipality's
action plan for socially vulnerable people in public space; services,
routes and all incidents are invented.  The data exist only to exercise the
analysis code (hotspots, time profiles, emerging trends, service and
outreach coverage) on something that looks like a real city.

Usage::

    python3 data/generate_demo.py            # writes data/aalborg/*

Only the Python 3.11 standard library is used.  The output is fully
deterministic: a fixed seed drives separate `random.Random` streams, files
are written with "\\n" line endings in UTF-8, and nothing depends on the
current time, locale or hash seed.  Running it twice gives byte-identical
files.

Output (all WGS84 longitude/latitude, RFC 7946 GeoJSON)
-------------------------------------------------------
``places.geojson``
    Six Polygon features, exterior rings counter-clockwise and closed,
    coordinates rounded to 6 decimals.  Properties: ``id``, ``name``,
    ``kind`` ("square" | "park"), the OSM tag ``place`` = "square" (squares)
    or ``leisure`` = "park" (parks), ``lighting`` ("good" | "poor" | "none"),
    ``benches`` (int), ``planting`` ("none" | "some" | "dense"),
    ``toilets`` (bool).
``services.geojson``
    Point features.  Properties: ``id``, ``name``, ``kind`` (warming_room,
    drop_in_centre, shelter, health_room, greenlandic_house, toilet),
    ``target_groups`` (";"-separated), ``opening_hours`` (OSM syntax),
    ``amenity`` and, where fitting, ``social_facility``,
    ``social_facility:for``, ``healthcare``, ``fee``.
``routes.geojson``
    LineString features.  Properties: ``id``, ``name``, ``kind``
    ("outreach" | "safety_walk"), ``schedule`` (OSM opening_hours syntax).
    The western outreach route deliberately never comes near Karolinelunden.
``incidents.csv``
    ``id,lon,lat,timestamp,category``; ``N_INCIDENTS`` rows sorted by
    instant, less those the new lighting prevented (see *Interventions*);
    RFC 3339 timestamps with minute resolution and the Europe/Copenhagen UTC
    offset valid at that instant.  Ids are numbered before the prevented
    incidents are taken out, so they increase with the rows but have gaps.
``interventions.csv``
    ``place_id,date,kind,description,controls``: one row per intervention
    (``INTERVENTIONS``), dates local ISO ``YYYY-MM-DD``, control place ids
    ";"-separated.

Model
-----
Geometry is built in a local equirectangular metre grid centred on
(57.0445 N, 9.9200 E) and converted to degrees.

*Where.*  ``PLACE_SHARE`` (75 %) of incidents belong to one of the six
places, split by fixed weights (J.F. Kennedys Plads and Karolinelunden
heaviest, Bredgade Torv lightest; exact quotas by largest remainder).  A
place incident is drawn uniformly inside the polygon with probability
``P_INSIDE``; otherwise it "spills over": a uniform interior point plus an
isotropic Gaussian offset (sigma ``SPILL_SIGMA_M`` = 35 m), so it lands in
or just around the place.  The remaining 25 % are background: mostly
uniform over the central bbox (lon 9.90-9.94, lat 57.038-57.052), plus two
minor clusters off the places (the bus terminal south-east of Arkivpladsen
and the Jomfru Ane Gade nightlife strip).  Background and spill-over points
are rejection-sampled so they never fall inside a (different) place polygon
or in the Limfjord (north of ``FJORD_LAT``).  Every point is re-checked
after rounding to 6 decimals.

*When.*  Instants are drawn as whole UTC minutes between 2023-01-01 00:00
and 2025-01-01 00:00 Copenhagen local time and converted with
``zoneinfo`` (so no non-existent or ambiguous local time is ever built).
Each source has an intensity

    lambda(t) = H(hour of day) * S(day of year) * W(weekday, hour) * T(t)

and instants are accepted by rejection sampling against its maximum:

- H: daily cycle, linear between hourly knots, peak 20-22 h local, trough
  05-07 h (nightlife cluster: peak 00-01 h; background: flattened).
- S: 1 + 0.35 cos(2 pi (doy - 196) / 365.25), i.e. +35 % mid-July,
  -35 % mid-January.
- W: Friday/Saturday evenings (18-24 h) and the following small hours
  (00-04 h Saturday/Sunday) x1.25 (x3 for the nightlife cluster).
- T: linear trend over the two years: Karolinelunden grows 0.5 -> 1.5
  (emerging hotspot), Frederikstorv fades 1.5 -> 0.5, others flat.
  The place totals are fixed by the weights; T only moves incidents
  in time.

*What.*  The category is drawn after the instant, from a place-specific
base mix (e.g. rough_sleeping dominant in Kildeparken, drug_use higher in
Karolinelunden and at the station squares, noise/littering at the small
squares) multiplied by time modifiers: rough_sleeping x2.5 at night
(22-07 h) and x0.4 by day, noise x1.6 late evening, intoxication x1.3 in the
evening, littering x1.8 in the morning, conflict x1.4 on Fri/Sat nights,
welfare_concern x1.5 in winter (Nov-Mar).

*Interventions.*  Two interventions are listed in ``interventions.csv``:

- New lighting at Arkivpladsen from 2024-01-01 (``LIGHTING``).  After that
  date, every Arkivpladsen incident drawn strictly inside the square (not
  the spill-over around it) that happens in darkness (sun below civil
  twilight, -6 degrees, at the incident; NOAA solar-position formulas) is
  prevented with probability ``LIGHTING_REDUCTION`` (40 %).  Of the
  prevented ones, ``LIGHTING_DISPLACED`` (25 %) happen instead at the same
  instant in the ring within ``RING_M`` (200 m) of the square, outside every
  place (uniform in that ring); the rest do not happen.  Daylight incidents
  are untouched.  The effect uses its own random stream after all incidents
  are drawn, so every other incident is exactly as without it.
- New benches at Bredgade Torv from 2024-04-01: listed, but with no effect
  in the model (a null result for the evaluation to find).

Each intervention names its control places: comparable places with a flat
trend (Karolinelunden grows and Frederikstorv fades for reasons of their
own, so pooling them in would bias the controlled estimates).
"""

from __future__ import annotations

import csv
import json
import math
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

# --------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------

SEED = 20240917
N_INCIDENTS = 60_000
PLACE_SHARE = 0.75          # share of incidents attributed to the six places
P_INSIDE = 0.85             # place incident drawn uniformly inside polygon
SPILL_SIGMA_M = 35.0        # Gaussian spill-over around a place, metres

TZ = ZoneInfo("Europe/Copenhagen")
START_LOCAL = datetime(2023, 1, 1, 0, 0, tzinfo=TZ)
END_LOCAL = datetime(2025, 1, 1, 0, 0, tzinfo=TZ)     # exclusive

# Central bounding box (lon_min, lat_min, lon_max, lat_max)
BBOX = (9.90, 57.038, 9.94, 57.052)
FJORD_LAT = 57.0502         # everything north of this is (roughly) Limfjord

OUT_DIR = Path(__file__).resolve().parent / "aalborg"

# Interventions (interventions.csv).  Only the lighting has an effect.
# Controls: comparable places with a flat trend (Karolinelunden grows and
# Frederikstorv fades for reasons of their own, J.F. Kennedys Plads is within
# 200 m of Arkivpladsen, Bredgade Torv has its own intervention).
LIGHTING = {"place_id": "arkivpladsen", "date": "2024-01-01", "kind": "lighting",
            "description": "New LED lighting over the whole square",
            "controls": "kildeparken"}
LIGHTING_REDUCTION = 0.40   # share of dark incidents inside the square prevented
LIGHTING_DISPLACED = 0.25   # share of the prevented that move into the ring
RING_M = 200.0              # ring width around the square, metres
CIVIL_TWILIGHT_DEG = -6.0   # darker than this is "dark"
INTERVENTIONS = [
    LIGHTING,
    {"place_id": "bredgade_torv", "date": "2024-04-01", "kind": "benches",
     "description": "Four new benches along the south side",
     "controls": "jf_kennedys_plads;kildeparken"},
]

# Local metric grid
LAT0 = 57.0445
LON0 = 9.9200
M_PER_DEG_LAT = 111_360.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(LAT0))

CATEGORIES = (
    "intoxication",
    "conflict",
    "noise",
    "rough_sleeping",
    "drug_use",
    "welfare_concern",
    "littering",
)


def to_lonlat(x: float, y: float) -> tuple[float, float]:
    return LON0 + x / M_PER_DEG_LON, LAT0 + y / M_PER_DEG_LAT


def to_xy(lon: float, lat: float) -> tuple[float, float]:
    return (lon - LON0) * M_PER_DEG_LON, (lat - LAT0) * M_PER_DEG_LAT


def rnd(v: float) -> float:
    return round(v, 6)


# --------------------------------------------------------------------------
# Places: centre (lat, lon) + outline as metre offsets, counter-clockwise
# (x east, y north).  Approximate digitisations, not survey data.
# --------------------------------------------------------------------------

PLACES = [
    {
        "id": "jf_kennedys_plads",
        "name": "J.F. Kennedys Plads",
        "kind": "square",
        "centre": (57.0430, 9.9170),
        # forecourt of Aalborg station, between the station and Boulevarden
        "ring": [(-62, -36), (58, -40), (64, 30), (20, 40), (-55, 36)],
        "attrs": {"lighting": "good", "benches": 12, "planting": "some", "toilets": True},
        "weight": 0.26,
        "trend": (1.0, 1.0),
        "mix": {"intoxication": 32, "conflict": 18, "noise": 10, "rough_sleeping": 6,
                "drug_use": 16, "welfare_concern": 12, "littering": 6},
    },
    {
        "id": "arkivpladsen",
        "name": "Arkivpladsen",
        "kind": "square",
        "centre": (57.0440, 9.9195),
        "ring": [(-35, -28), (34, -25), (38, 22), (-5, 30), (-36, 26)],
        "attrs": {"lighting": "poor", "benches": 6, "planting": "some", "toilets": False},
        "weight": 0.15,
        "trend": (1.0, 1.0),
        "mix": {"intoxication": 30, "conflict": 14, "noise": 10, "rough_sleeping": 8,
                "drug_use": 18, "welfare_concern": 12, "littering": 8},
    },
    {
        "id": "karolinelunden",
        "name": "Karolinelunden",
        "kind": "park",
        "centre": (57.0468, 9.9300),
        "ring": [(-120, -70), (-20, -88), (95, -75), (125, -10), (110, 70),
                 (20, 85), (-90, 78), (-128, 10)],
        "attrs": {"lighting": "none", "benches": 14, "planting": "dense", "toilets": False},
        "weight": 0.22,
        "trend": (0.5, 1.5),       # emerging hotspot
        "mix": {"intoxication": 22, "conflict": 12, "noise": 12, "rough_sleeping": 14,
                "drug_use": 22, "welfare_concern": 10, "littering": 8},
    },
    {
        "id": "kildeparken",
        "name": "Kildeparken",
        "kind": "park",
        "centre": (57.0415, 9.9125),
        "ring": [(-190, -110), (-60, -135), (120, -125), (185, -60), (175, 60),
                 (110, 125), (-30, 130), (-160, 105), (-200, 10)],
        "attrs": {"lighting": "poor", "benches": 28, "planting": "dense", "toilets": True},
        "weight": 0.17,
        "trend": (1.0, 1.0),
        "mix": {"intoxication": 18, "conflict": 8, "noise": 8, "rough_sleeping": 30,
                "drug_use": 14, "welfare_concern": 12, "littering": 10},
    },
    {
        "id": "frederikstorv",
        "name": "Frederikstorv",
        "kind": "square",
        "centre": (57.0462, 9.9135),
        "ring": [(-30, -24), (28, -26), (32, 20), (0, 27), (-31, 22)],
        "attrs": {"lighting": "good", "benches": 4, "planting": "none", "toilets": False},
        "weight": 0.12,
        "trend": (1.5, 0.5),       # fading hotspot
        "mix": {"intoxication": 30, "conflict": 12, "noise": 18, "rough_sleeping": 5,
                "drug_use": 10, "welfare_concern": 10, "littering": 15},
    },
    {
        "id": "bredgade_torv",
        "name": "Bredgade Torv",
        "kind": "square",
        "centre": (57.0475, 9.9225),
        "ring": [(-28, -20), (26, -23), (29, 19), (-25, 23)],
        "attrs": {"lighting": "good", "benches": 3, "planting": "some", "toilets": False},
        "weight": 0.08,
        "trend": (1.0, 1.0),
        "mix": {"intoxication": 28, "conflict": 15, "noise": 20, "rough_sleeping": 5,
                "drug_use": 8, "welfare_concern": 9, "littering": 15},
    },
]

# Background sources: (id, share of background, spatial model, mix, temporal profile)
BACKGROUND = [
    {
        "id": "background",
        "share": 0.62,
        "spatial": ("uniform",),
        "profile": "flat",
        "weekend": 1.25,
        "mix": {"intoxication": 25, "conflict": 15, "noise": 20, "rough_sleeping": 10,
                "drug_use": 8, "welfare_concern": 12, "littering": 10},
    },
    {
        "id": "bus_terminal",
        "share": 0.20,
        # south-east of Arkivpladsen, around the bus platforms
        "spatial": ("gauss", 57.04280, 9.92050, 35.0, 25.0),
        "profile": "evening",
        "weekend": 1.25,
        "mix": {"intoxication": 30, "conflict": 18, "noise": 10, "rough_sleeping": 8,
                "drug_use": 14, "welfare_concern": 14, "littering": 6},
    },
    {
        "id": "jomfru_ane_gade",
        "share": 0.18,
        # nightlife strip, elongated east-west
        "spatial": ("gauss", 57.04920, 9.91950, 60.0, 15.0),
        "profile": "nightlife",
        "weekend": 3.0,
        "mix": {"intoxication": 40, "conflict": 25, "noise": 22, "rough_sleeping": 2,
                "drug_use": 4, "welfare_concern": 4, "littering": 3},
    },
]

# Hourly knots (value at hh:00, linear in between, wraps at 24 h)
H_EVENING = [0.70, 0.55, 0.45, 0.32, 0.20, 0.14, 0.12, 0.15, 0.22, 0.30, 0.38, 0.45,
             0.52, 0.55, 0.58, 0.62, 0.68, 0.75, 0.84, 0.92, 1.00, 1.00, 0.96, 0.85]
H_NIGHTLIFE = [1.00, 1.00, 0.90, 0.70, 0.40, 0.20, 0.10, 0.08, 0.08, 0.08, 0.09, 0.10,
               0.12, 0.13, 0.15, 0.17, 0.20, 0.25, 0.30, 0.37, 0.45, 0.58, 0.70, 0.85]
H_FLAT = [0.5 + 0.5 * v for v in H_EVENING]
PROFILES = {"evening": H_EVENING, "nightlife": H_NIGHTLIFE, "flat": H_FLAT}
SEASON_AMPLITUDE = 0.35
SEASON_PEAK_DOY = 196      # mid-July

# --------------------------------------------------------------------------
# Services (positions as metre offsets from the grid origin)
# --------------------------------------------------------------------------

SOCIAL = "social_facility"
SERVICES = [
    {"id": "svc_varmestuen_kastanjen", "name": "Varmestuen Kastanjen", "kind": "warming_room",
     "xy": (-80, 60), "target_groups": "homeless;addiction",
     "opening_hours": "Nov-Mar 20:00-08:00",
     "tags": {"amenity": SOCIAL, "social_facility": "shelter", "social_facility:for": "homeless"}},
    {"id": "svc_vaerestedet_ankeret", "name": "Værestedet Ankeret", "kind": "drop_in_centre",
     "xy": (240, 120), "target_groups": "homeless;addiction;mental_health",
     "opening_hours": "Mo-Fr 09:00-15:00; Sa 10:00-14:00; PH off",
     "tags": {"amenity": SOCIAL, "social_facility": "day_care",
              "social_facility:for": "homeless;drug_addicted;mental_health"}},
    {"id": "svc_natcafeen_lanternen", "name": "Natcaféen Lanternen", "kind": "drop_in_centre",
     "xy": (-250, -40), "target_groups": "homeless;addiction",
     "opening_hours": "Mo-Su 18:00-24:00",
     "tags": {"amenity": SOCIAL, "social_facility": "day_care",
              "social_facility:for": "homeless;drug_addicted"}},
    {"id": "svc_dagcentret_havnelyset", "name": "Dagcentret Havnelyset", "kind": "drop_in_centre",
     "xy": (-300, 420), "target_groups": "homeless;mental_health",
     "opening_hours": "Mo-Th 08:30-15:30; Fr 08:30-13:00; Su 11:00-15:00; PH off",
     "tags": {"amenity": SOCIAL, "social_facility": "day_care",
              "social_facility:for": "homeless;mental_health"}},
    {"id": "svc_herberget_soenderbro", "name": "Herberget Sønderbro", "kind": "shelter",
     "xy": (350, -250), "target_groups": "homeless;addiction;mental_health",
     "opening_hours": "24/7",
     "tags": {"amenity": SOCIAL, "social_facility": "shelter", "social_facility:for": "homeless"}},
    {"id": "svc_sundhedsrummet", "name": "Sundhedsrummet ved Banegården", "kind": "health_room",
     "xy": (60, -90), "target_groups": "homeless;addiction",
     "opening_hours": "Mo,We,Fr 10:00-15:00; Tu,Th 10:00-15:00,17:00-20:00; PH off",
     "tags": {"amenity": "clinic", "healthcare": "clinic"}},
    {"id": "svc_groenlandske_hus", "name": "Det Grønlandske Hus", "kind": "greenlandic_house",
     "xy": (420, 40), "target_groups": "greenlandic;homeless",
     "opening_hours": "Mo-Th 09:00-16:00; Fr 09:00-14:00; PH off",
     "tags": {"amenity": SOCIAL, "social_facility": "outreach",
              "social_facility:for": "greenlandic;homeless"}},
    {"id": "svc_toilet_kennedy", "name": "Offentligt toilet J.F. Kennedys Plads", "kind": "toilet",
     "xy": (-142, -152), "target_groups": "general_public",
     "opening_hours": "24/7",
     "tags": {"amenity": "toilets", "fee": "no"}},
    {"id": "svc_toilet_kildeparken", "name": "Offentligt toilet Kildeparken", "kind": "toilet",
     "xy": (-394, -294), "target_groups": "general_public",
     "opening_hours": "Apr-Sep 07:00-23:00; Oct-Mar 08:00-20:00",
     "tags": {"amenity": "toilets", "fee": "no"}},
    {"id": "svc_toilet_nytorv", "name": "Offentligt toilet Nytorv", "kind": "toilet",
     "xy": (60, 300), "target_groups": "general_public",
     "opening_hours": "Mo-Su 06:00-24:00",
     "tags": {"amenity": "toilets", "fee": "no"}},
]

# --------------------------------------------------------------------------
# Routes: waypoints as metre offsets; densified to <= ROUTE_STEP_M segments
# with a few metres of perpendicular jitter (hand-digitised look).
# --------------------------------------------------------------------------

ROUTE_STEP_M = 95.0
ROUTE_JITTER_M = 5.0
ROUTES = [
    {"id": "route_outreach_vest", "name": "Opsøgende rute Vest", "kind": "outreach",
     "schedule": "Mo-Fr 19:00-23:00",
     # Arkivpladsen -> JFK -> Kildeparken -> Frederikstorv -> Bredgade Torv -> back.
     # Never goes east of Bredgade Torv, i.e. misses Karolinelunden.
     "waypoints": [(-30, -56), (-100, -110), (-182, -167), (-260, -230), (-330, -290),
                   (-454, -334), (-560, -300), (-590, -180), (-540, -40), (-470, 80),
                   (-394, 189), (-300, 230), (-180, 270), (-60, 300), (60, 320),
                   (151, 334), (120, 230), (70, 120), (20, 30), (-30, -56)]},
    {"id": "route_outreach_oest", "name": "Opsøgende rute Øst", "kind": "outreach",
     "schedule": "Tu,Th,Sa 20:00-24:00",
     # JFK -> Arkivpladsen -> bus terminal -> Karolinelunden -> Bredgade Torv -> JFK
     "waypoints": [(-182, -167), (-30, -56), (30, -150), (200, -150), (350, -60),
                   (470, 90), (540, 200), (605, 256), (700, 300), (640, 340),
                   (520, 330), (380, 340), (250, 340), (151, 334), (100, 250),
                   (0, 150), (-80, 40), (-140, -60), (-182, -167)]},
    {"id": "route_tryghedsvandring", "name": "Tryghedsvandring Midtby", "kind": "safety_walk",
     "schedule": "Fr,Sa 22:00-02:00",
     # Bredgade Torv -> Jomfru Ane Gade -> Boulevarden -> JFK -> Arkivpladsen -> back
     "waypoints": [(151, 334), (100, 420), (40, 500), (-30, 523), (-120, 520),
                   (-200, 480), (-230, 380), (-220, 250), (-200, 100), (-190, -40),
                   (-182, -167), (-30, -56), (60, 100), (151, 334)]},
]


# --------------------------------------------------------------------------
# Geometry helpers
# --------------------------------------------------------------------------

def point_in_ring(lon: float, lat: float, ring: list[list[float]]) -> bool:
    """Even-odd ray casting; ring is closed [[lon, lat], ...]."""
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
        if (y1 > lat) != (y2 > lat):
            xi = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lon < xi:
                inside = not inside
    return inside


def signed_area(ring: list[list[float]]) -> float:
    return 0.5 * sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:]))


def build_places() -> list[dict]:
    out = []
    for p in PLACES:
        clat, clon = p["centre"]
        cx, cy = to_xy(clon, clat)
        ring = [[rnd(v) for v in to_lonlat(cx + dx, cy + dy)] for dx, dy in p["ring"]]
        ring.append(list(ring[0]))
        assert signed_area(ring) > 0, f"{p['id']}: ring not counter-clockwise"
        xy = [to_xy(lon, lat) for lon, lat in ring]
        xs = [q[0] for q in xy]
        ys = [q[1] for q in xy]
        out.append({**p, "lonlat": ring, "xy": xy,
                    "xy_bbox": (min(xs), min(ys), max(xs), max(ys))})
    return out


def in_place(lon: float, lat: float, place: dict) -> bool:
    return point_in_ring(lon, lat, place["lonlat"])


def in_any_place(lon: float, lat: float, places: list[dict], skip: str | None = None) -> bool:
    return any(p["id"] != skip and in_place(lon, lat, p) for p in places)


def in_bbox_land(lon: float, lat: float) -> bool:
    return BBOX[0] <= lon <= BBOX[2] and BBOX[1] <= lat <= BBOX[3] and lat < FJORD_LAT


def uniform_in_place(rng: random.Random, place: dict) -> tuple[float, float]:
    x0, y0, x1, y1 = place["xy_bbox"]
    while True:
        lon, lat = to_lonlat(rng.uniform(x0, x1), rng.uniform(y0, y1))
        lon, lat = rnd(lon), rnd(lat)
        if in_place(lon, lat, place):
            return lon, lat


def sample_place_point(rng: random.Random, place: dict, places: list[dict]) -> tuple[float, float]:
    if rng.random() < P_INSIDE:
        return uniform_in_place(rng, place)
    while True:
        lon, lat = uniform_in_place(rng, place)
        x, y = to_xy(lon, lat)
        lon, lat = to_lonlat(x + rng.gauss(0, SPILL_SIGMA_M), y + rng.gauss(0, SPILL_SIGMA_M))
        lon, lat = rnd(lon), rnd(lat)
        if in_bbox_land(lon, lat) and not in_any_place(lon, lat, places, skip=place["id"]):
            return lon, lat


def sample_background_point(rng: random.Random, spatial: tuple, places: list[dict]) -> tuple[float, float]:
    while True:
        if spatial[0] == "uniform":
            lon, lat = rng.uniform(BBOX[0], BBOX[2]), rng.uniform(BBOX[1], BBOX[3])
        else:
            _, clat, clon, sx, sy = spatial
            cx, cy = to_xy(clon, clat)
            lon, lat = to_lonlat(cx + rng.gauss(0, sx), cy + rng.gauss(0, sy))
        lon, lat = rnd(lon), rnd(lat)
        if in_bbox_land(lon, lat) and not in_any_place(lon, lat, places):
            return lon, lat


def densify(rng: random.Random, waypoints: list[tuple[float, float]]) -> list[list[float]]:
    pts: list[tuple[float, float]] = [waypoints[0]]
    for (x1, y1), (x2, y2) in zip(waypoints, waypoints[1:]):
        seg = math.hypot(x2 - x1, y2 - y1)
        k = max(1, math.ceil(seg / ROUTE_STEP_M))
        nx, ny = -(y2 - y1) / seg, (x2 - x1) / seg
        for i in range(1, k):
            t = i / k
            j = rng.uniform(-ROUTE_JITTER_M, ROUTE_JITTER_M)
            pts.append((x1 + t * (x2 - x1) + j * nx, y1 + t * (y2 - y1) + j * ny))
        pts.append((x2, y2))
    return [[rnd(v) for v in to_lonlat(x, y)] for x, y in pts]


def line_length_m(coords: list[list[float]]) -> float:
    total = 0.0
    for (lo1, la1), (lo2, la2) in zip(coords, coords[1:]):
        p1, p2 = math.radians(la1), math.radians(la2)
        dp, dl = p2 - p1, math.radians(lo2 - lo1)
        a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        total += 2 * 6_371_008.8 * math.asin(math.sqrt(a))
    return total


def distance_to_ring_m(x: float, y: float, ring_xy: list[tuple[float, float]]) -> float:
    """Distance in metres from (x, y) to the closed ring's boundary."""
    best = math.inf
    for (x1, y1), (x2, y2) in zip(ring_xy, ring_xy[1:]):
        dx, dy = x2 - x1, y2 - y1
        t = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)))
        best = min(best, math.hypot(x - x1 - t * dx, y - y1 - t * dy))
    return best


def sample_ring_point(rng: random.Random, place: dict, places: list[dict]) -> tuple[float, float]:
    """Uniform point within RING_M of the place, outside every place, on land."""
    x0, y0, x1, y1 = place["xy_bbox"]
    while True:
        x = rng.uniform(x0 - RING_M, x1 + RING_M)
        y = rng.uniform(y0 - RING_M, y1 + RING_M)
        lon, lat = (rnd(v) for v in to_lonlat(x, y))
        if not in_bbox_land(lon, lat) or in_any_place(lon, lat, places):
            continue
        if distance_to_ring_m(*to_xy(lon, lat), place["xy"]) <= RING_M:
            return lon, lat


def solar_elevation_deg(utc: datetime, lon: float, lat: float) -> float:
    """Geometric solar elevation (NOAA solar-position formulas, ~1 minute)."""
    jd = utc.timestamp() / 86400.0 + 2440587.5
    jc = (jd - 2451545.0) / 36525.0
    mean_long = (280.46646 + jc * (36000.76983 + jc * 0.0003032)) % 360
    mean_anom = 357.52911 + jc * (35999.05029 - 0.0001537 * jc)
    ecc = 0.016708634 - jc * (0.000042037 + 0.0000001267 * jc)
    m = math.radians(mean_anom)
    centre = (math.sin(m) * (1.914602 - jc * (0.004817 + 0.000014 * jc))
              + math.sin(2 * m) * (0.019993 - 0.000101 * jc) + math.sin(3 * m) * 0.000289)
    omega = math.radians(125.04 - 1934.136 * jc)
    app_long = mean_long + centre - 0.00569 - 0.00478 * math.sin(omega)
    mean_obliq = 23 + (26 + (21.448 - jc * (46.815 + jc * (0.00059 - jc * 0.001813))) / 60) / 60
    obliq = math.radians(mean_obliq + 0.00256 * math.cos(omega))
    decl = math.asin(math.sin(obliq) * math.sin(math.radians(app_long)))
    var_y = math.tan(obliq / 2) ** 2
    l0 = math.radians(mean_long)
    eq_time = 4 * math.degrees(
        var_y * math.sin(2 * l0) - 2 * ecc * math.sin(m)
        + 4 * ecc * var_y * math.sin(m) * math.cos(2 * l0)
        - 0.5 * var_y ** 2 * math.sin(4 * l0) - 1.25 * ecc ** 2 * math.sin(2 * m))
    minutes = utc.hour * 60 + utc.minute + utc.second / 60
    true_solar = (minutes + eq_time + 4 * lon) % 1440
    hour_angle = math.radians(true_solar / 4 - 180)
    phi = math.radians(lat)
    cos_zenith = (math.sin(phi) * math.sin(decl)
                  + math.cos(phi) * math.cos(decl) * math.cos(hour_angle))
    return 90 - math.degrees(math.acos(max(-1.0, min(1.0, cos_zenith))))


# --------------------------------------------------------------------------
# Time model
# --------------------------------------------------------------------------

def hourly(profile: list[float], hour_frac: float) -> float:
    h = int(hour_frac) % 24
    f = hour_frac - int(hour_frac)
    return profile[h] * (1 - f) + profile[(h + 1) % 24] * f


def seasonal(doy: int) -> float:
    return 1 + SEASON_AMPLITUDE * math.cos(2 * math.pi * (doy - SEASON_PEAK_DOY) / 365.25)


def is_weekend_night(local: datetime) -> bool:
    wd, h = local.weekday(), local.hour          # Mo=0 .. Su=6
    return (wd in (4, 5) and h >= 18) or (wd in (5, 6) and h < 4)


class TimeSampler:
    def __init__(self) -> None:
        self.start_utc = START_LOCAL.astimezone(timezone.utc)
        end_utc = END_LOCAL.astimezone(timezone.utc)
        self.n_minutes = int((end_utc - self.start_utc).total_seconds() // 60)

    def sample(self, rng: random.Random, profile: list[float], weekend: float,
               trend: tuple[float, float]) -> tuple[int, datetime]:
        """Return (minutes since start, aware local datetime) by rejection sampling."""
        lam_max = max(profile) * (1 + SEASON_AMPLITUDE) * max(weekend, 1.0) * max(trend)
        while True:
            m = rng.randrange(self.n_minutes)
            local = (self.start_utc + timedelta(minutes=m)).astimezone(TZ)
            frac = m / self.n_minutes
            lam = (hourly(profile, local.hour + local.minute / 60)
                   * seasonal(local.timetuple().tm_yday)
                   * (weekend if is_weekend_night(local) else 1.0)
                   * (trend[0] + (trend[1] - trend[0]) * frac))
            if rng.random() * lam_max < lam:
                return m, local


def category_weights(mix: dict[str, float], local: datetime) -> list[float]:
    h, month = local.hour, local.month
    w = []
    for c in CATEGORIES:
        v = float(mix[c])
        if c == "rough_sleeping":
            v *= 2.5 if (h >= 22 or h < 7) else (0.4 if 9 <= h < 17 else 1.0)
        elif c == "noise":
            v *= 1.6 if (h >= 21 or h < 3) else (0.6 if 7 <= h < 15 else 1.0)
        elif c == "intoxication":
            v *= 1.3 if (h >= 17 or h < 2) else 1.0
        elif c == "littering":
            v *= 1.8 if 6 <= h < 10 else 1.0
        elif c == "conflict":
            v *= 1.4 if is_weekend_night(local) else 1.0
        elif c == "welfare_concern":
            v *= 1.5 if month in (11, 12, 1, 2, 3) else 1.0
        w.append(v)
    return w


# --------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------

def write_feature_collection(path: Path, features: list[dict]) -> None:
    """One feature per line: small, diffable, valid RFC 7946 JSON."""
    lines = [json.dumps(f, ensure_ascii=False) for f in features]
    text = '{"type": "FeatureCollection", "features": [\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text, encoding="utf-8", newline="\n")


def largest_remainder(total: int, weights: list[float]) -> list[int]:
    s = sum(weights)
    raw = [total * w / s for w in weights]
    base = [int(math.floor(r)) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - base[i]), i))
    for i in order[: total - sum(base)]:
        base[i] += 1
    return base


def main() -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    rng_geo = random.Random(SEED)
    rng_inc = random.Random(SEED + 1)
    places = build_places()

    # ---- places.geojson
    feats = []
    for p in places:
        props = {"id": p["id"], "name": p["name"], "kind": p["kind"]}
        if p["kind"] == "square":
            props["place"] = "square"
        else:
            props["leisure"] = "park"
        props.update(p["attrs"])
        feats.append({"type": "Feature", "id": p["id"],
                      "geometry": {"type": "Polygon", "coordinates": [p["lonlat"]]},
                      "properties": props})
    write_feature_collection(OUT_DIR / "places.geojson", feats)

    # ---- services.geojson
    feats = []
    for s in SERVICES:
        lon, lat = (rnd(v) for v in to_lonlat(*s["xy"]))
        assert in_bbox_land(lon, lat), s["id"]
        props = {"id": s["id"], "name": s["name"], "kind": s["kind"],
                 "target_groups": s["target_groups"], "opening_hours": s["opening_hours"]}
        props.update(s["tags"])
        feats.append({"type": "Feature", "id": s["id"],
                      "geometry": {"type": "Point", "coordinates": [lon, lat]},
                      "properties": props})
    write_feature_collection(OUT_DIR / "services.geojson", feats)

    # ---- routes.geojson
    feats = []
    for r in ROUTES:
        coords = densify(rng_geo, r["waypoints"])
        length = line_length_m(coords)
        if r["kind"] == "outreach":
            assert 15 <= len(coords) <= 40, (r["id"], len(coords))
            assert 1500 <= length <= 3000, (r["id"], length)
        feats.append({"type": "Feature", "id": r["id"],
                      "geometry": {"type": "LineString", "coordinates": coords},
                      "properties": {"id": r["id"], "name": r["name"], "kind": r["kind"],
                                     "schedule": r["schedule"]}})
    write_feature_collection(OUT_DIR / "routes.geojson", feats)

    # ---- incidents.csv
    sampler = TimeSampler()
    n_place = round(N_INCIDENTS * PLACE_SHARE)
    place_counts = largest_remainder(n_place, [p["weight"] for p in places])
    bg_counts = largest_remainder(N_INCIDENTS - n_place, [b["share"] for b in BACKGROUND])

    rows: list[tuple[int, float, float, str, str, str]] = []
    for p, n in zip(places, place_counts):
        for _ in range(n):
            m, local = sampler.sample(rng_inc, H_EVENING, 1.25, p["trend"])
            lon, lat = sample_place_point(rng_inc, p, places)
            cat = rng_inc.choices(CATEGORIES, weights=category_weights(p["mix"], local))[0]
            rows.append((m, lon, lat, local.isoformat(timespec="seconds"), cat, p["id"]))
    for b, n in zip(BACKGROUND, bg_counts):
        for _ in range(n):
            m, local = sampler.sample(rng_inc, PROFILES[b["profile"]], b["weekend"], (1.0, 1.0))
            lon, lat = sample_background_point(rng_inc, b["spatial"], places)
            cat = rng_inc.choices(CATEGORIES, weights=category_weights(b["mix"], local))[0]
            rows.append((m, lon, lat, local.isoformat(timespec="seconds"), cat, b["id"]))

    rows.sort(key=lambda r: r[0])      # stable: ties keep generation order
    kept, prevented, displaced = apply_lighting(rows, sampler, places)
    with open(OUT_DIR / "incidents.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["id", "lon", "lat", "timestamp", "category"])
        for i, (_, lon, lat, ts, cat, _) in kept:
            w.writerow([f"a{i:06d}", f"{lon:.6f}", f"{lat:.6f}", ts, cat])

    # ---- interventions.csv
    with open(OUT_DIR / "interventions.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["place_id", "date", "kind", "description", "controls"])
        for iv in INTERVENTIONS:
            for pid in [iv["place_id"], *iv["controls"].split(";")]:
                assert any(p["id"] == pid for p in places), (iv, pid)
            w.writerow([iv["place_id"], iv["date"], iv["kind"], iv["description"],
                        iv["controls"]])

    print(f"wrote {OUT_DIR}: {len(places)} places, {len(SERVICES)} services, "
          f"{len(ROUTES)} routes, {len(kept)} incidents ({prevented} prevented by the "
          f"lighting, {displaced} of them displaced into the ring), "
          f"{len(INTERVENTIONS)} interventions")


def apply_lighting(rows: list[tuple], sampler: TimeSampler,
                   places: list[dict]) -> tuple[list[tuple[int, tuple]], int, int]:
    """The lighting effect: returns the kept rows with their 1-based ids (numbered
    before removal), and how many were prevented and displaced."""
    rng = random.Random(SEED + 2)
    place = next(p for p in places if p["id"] == LIGHTING["place_id"])
    from_date = datetime.fromisoformat(LIGHTING["date"]).replace(tzinfo=TZ)
    kept: list[tuple[int, tuple]] = []
    prevented = displaced = 0
    for i, row in enumerate(rows, start=1):
        m, lon, lat, ts, cat, source = row
        utc = sampler.start_utc + timedelta(minutes=m)
        if (source == place["id"] and utc >= from_date and in_place(lon, lat, place)
                and solar_elevation_deg(utc, lon, lat) < CIVIL_TWILIGHT_DEG
                and rng.random() < LIGHTING_REDUCTION):
            prevented += 1
            if rng.random() < LIGHTING_DISPLACED:
                displaced += 1
                lon, lat = sample_ring_point(rng, place, places)
                kept.append((i, (m, lon, lat, ts, cat, "displaced")))
            continue
        kept.append((i, row))
    return kept, prevented, displaced


if __name__ == "__main__":
    main()
