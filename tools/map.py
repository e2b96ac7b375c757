"""Maps of the places the cards name: one SVG per place, that place marked.

Every map is the same drawing: an overview from Moscow to the Pacific, and below it an
enlarged Manchuria with the Chinese Changchun Railway and the ports. The place of the
card is drawn in the accent colour; every other place is drawn quietly, for orientation.

Two steps, so that only the first needs geographic software:

    python3 tools/map.py extract   # needs geopandas 0.14 (pip install -e '.[maps]'):
                                   # Natural Earth 1:110m -> tools/map_geometry.json
    python3 tools/map.py           # plain Python: map_geometry.json -> media/map-*.svg

tests/test_pictures.py renders every map from the committed JSON and compares it with
media/, and checks that each card showing a map names its place.
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
GEOMETRY = Path(__file__).with_name("map_geometry.json")


@dataclass(frozen=True)
class Place:
    key: str  # media/map-<key>.svg
    title: str  # the map's heading when this place is marked
    label: str  # the label on the map
    names: tuple[str, ...]  # how card text names it (a card showing the map must)
    kind: str  # "point", "region" or "line"
    lonlat: tuple[float, float] | None = None  # points, and where a region's label goes
    panels: tuple[str, ...] = ("inset",)  # where it is drawn
    label_at: tuple[float, float, str] = (7, 4, "start")  # dx, dy, text-anchor, in the inset
    overview_label_at: tuple[float, float, str] | None = None  # None: no label there
    excluding: tuple[str, ...] = ()  # longer names that are not this place


# The railway, approximated through the cities on its line (lon, lat). The main line runs
# from the Soviet border at Manzhouli through Harbin to Suifenhe; the southern branch from
# Harbin through Changchun and Shenyang (Mukden) to Dalian and Port Arthur.
RAILWAY = (
    ((117.43, 49.60), (119.70, 49.21), (121.0, 48.3), (123.92, 47.35), (126.63, 45.75),
     (128.0, 45.0), (129.60, 44.58), (131.15, 44.40)),
    ((126.63, 45.75), (125.32, 43.82), (124.35, 43.17), (123.43, 41.80), (122.99, 41.11),
     (122.2, 40.2), (121.61, 38.91), (121.26, 38.81)),
)
# Soviet lines it joined (drawn thin and dashed): towards Chita, and on to Vladivostok.
LINKS = (
    ((117.43, 49.60), (115.5, 50.45), (113.50, 52.03)),
    ((131.15, 44.40), (131.95, 43.80), (131.89, 43.12)),
)

PLACES: tuple[Place, ...] = (
    Place("moscow", "Moscow", "Moscow", ("Moscow",), "point", (37.62, 55.75),
          panels=("overview",), overview_label_at=(0, -9, "middle")),
    # Beijing sits just inside the overview's frame of the enlarged view: it is labelled on the
    # overview only where there is no enlarged view (the Moscow and Xinjiang maps).
    Place("beijing", "Beijing", "Beijing", ("Beijing", "Peking"), "point", (116.40, 39.90),
          panels=("overview", "inset"), label_at=(7, 4, "start"),
          overview_label_at=(7, 4, "start")),
    Place("manchuria", "Manchuria", "MANCHURIA", ("Manchuria", "Manchurian"), "region",
          (122.3, 45.6), panels=("overview", "inset")),
    Place("changchun-railway", "The Chinese Changchun Railway", "Changchun Railway",
          ("Changchun Railway", "Chinese Eastern Railway"), "line", (117.2, 48.25)),
    Place("harbin", "Harbin", "Harbin", ("Harbin",), "point", (126.63, 45.75),
          label_at=(8, 4, "start")),
    Place("changchun", "Changchun", "Changchun", ("Changchun",), "point", (125.32, 43.82),
          label_at=(-8, 4, "end"), excluding=("Changchun Railway",)),
    Place("port-arthur", "Port Arthur (Lüshun)", "Port Arthur", ("Port Arthur", "Lüshun", "Lushun"),
          "point", (121.26, 38.81), label_at=(-8, 8, "end")),
    Place("dalian", "Dalian (Dairen, Dalny)", "Dalian", ("Dalian", "Dairen", "Dalny"),
          "point", (121.61, 38.91), label_at=(8, 2, "start")),
    Place("xinjiang", "Xinjiang", "XINJIANG", ("Xinjiang", "Sinkiang"), "region",
          (85.0, 41.6), panels=("overview",), overview_label_at=(0, 0, "middle")),
    Place("mongolia", "Mongolia", "MONGOLIA", ("Mongolia", "Mongolian"), "region", (103.5, 46.6),
          panels=("overview", "inset"), excluding=("Inner Mongolia",),
          overview_label_at=(-12, 0, "middle")),
    Place("korea", "Korea", "KOREA", ("Korea", "Korean War"), "region", (127.3, 39.9),
          panels=("overview", "inset")),
    Place("zhenbao-island", "Zhenbao (Damansky) Island",
          "Zhenbao Island", ("Zhenbao", "Damansky"), "point", (133.85, 46.49),
          label_at=(-7, 4, "end")),
    Place("vladivostok", "Vladivostok", "Vladivostok", ("Vladivostok",), "point",
          (131.89, 43.12), label_at=(-6, 13, "end")),
)
BY_KEY = {place.key: place for place in PLACES}
# Cities shown for orientation in the enlarged view, not places of their own: (label, lon,
# lat, label dx, dy, anchor). Khabarovsk: Zhenbao Island lies south of it (a card asks).
CITIES = (("Khabarovsk", 135.07, 48.48, -7, 4, "end"),)

# Country labels for orientation, (label, lon, lat, panel). Mongolia and Korea are places.
COUNTRIES = (
    ("USSR", 75.0, 57.5, "overview"),
    ("CHINA", 103.0, 33.5, "overview"),
    ("USSR", 128.5, 51.0, "inset"),
    ("CHINA", 118.2, 42.6, "inset"),
)

# The extract step: which Natural Earth countries make each land shape.
SOVIET_REPUBLICS = (
    "Russia", "Ukraine", "Belarus", "Estonia", "Latvia", "Lithuania", "Moldova", "Georgia",
    "Armenia", "Azerbaijan", "Kazakhstan", "Uzbekistan", "Turkmenistan", "Kyrgyzstan",
    "Tajikistan",
)
DATA_BOX = (20.0, 8.0, 160.0, 72.0)  # lon/lat kept from Natural Earth
# Regions without a border in Natural Earth's country file, cut out of China by hand
# along their provincial borders (approximate, for orientation only).
XINJIANG_CUT = ((73.0, 37.5), (79.5, 35.2), (81.5, 35.4), (86.0, 35.9), (90.5, 36.0),
                (92.5, 37.0), (93.6, 38.2), (94.9, 39.5), (95.8, 41.2), (96.4, 42.7),
                (96.4, 46.0), (87.0, 50.0), (73.0, 50.0))
MANCHURIA_CUT = ((119.75, 39.6), (118.8, 40.7), (118.4, 41.8), (119.4, 42.9),
                 (120.1, 44.3), (119.2, 45.6), (117.2, 46.3), (115.4, 46.8),
                 (115.4, 48.4), (116.8, 50.0), (125.0, 54.0), (136.0, 49.0),
                 (132.0, 41.0), (122.5, 37.5), (120.0, 38.6))


def extract() -> dict:
    """Natural Earth 1:110m countries (inside geopandas 0.14) -> a small JSON of lon/lat rings."""
    import warnings

    import geopandas
    from shapely.geometry import MultiPolygon, Polygon, box

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the bundled datasets are deprecated in 0.14
        world = geopandas.read_file(geopandas.datasets.get_path("naturalearth_lowres"))
    clip = box(*DATA_BOX)

    def country(*names: str):
        shapes = world[world["name"].isin(names)].geometry
        return shapes.union_all() if hasattr(shapes, "union_all") else shapes.unary_union

    def rings(shape, tolerance: float = 0.04) -> list:
        shape = shape.intersection(clip).simplify(tolerance, preserve_topology=True)
        polygons = shape.geoms if isinstance(shape, MultiPolygon) else [shape]
        out = []
        for polygon in polygons:
            if not isinstance(polygon, Polygon) or polygon.area < 0.05:
                continue
            ring = [[round(x, 2), round(y, 2)] for x, y in polygon.exterior.coords[:-1]]
            out.append(ring)
        return sorted(out, key=lambda r: (-len(r), r))

    china = country("China")
    ussr = country(*SOVIET_REPUBLICS)
    special = {"China", "Mongolia", "North Korea", "South Korea", "Taiwan", *SOVIET_REPUBLICS}
    others = world[~world["name"].isin(special)].geometry
    other = others.union_all() if hasattr(others, "union_all") else others.unary_union
    return {
        "source": "Natural Earth 1:110m Cultural Vectors, Admin 0 - Countries "
                  "(naturalearth_lowres in geopandas 0.14); public domain",
        "land": {
            "other": rings(other),
            "ussr": rings(ussr),
            "china": rings(china),
            "taiwan": rings(country("Taiwan")),
        },
        "regions": {
            "mongolia": rings(country("Mongolia")),
            "korea": rings(country("North Korea", "South Korea")),
            "korea-border": rings(country("North Korea")),
            "xinjiang": rings(china.intersection(Polygon(XINJIANG_CUT))),
            "manchuria": rings(china.intersection(Polygon(MANCHURIA_CUT))),
        },
    }


def write_geometry(path: Path = GEOMETRY) -> None:
    data = extract()
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # One ring per line: small, and readable in a diff.
    text = text.replace("],[[", "],\n[[")
    path.write_text(text + "\n", "utf-8", newline="\n")


# Drawing. A Lambert conformal conic projection per panel (spherical), so that Moscow and
# Vladivostok both fit one overview without the far north swelling.


@dataclass(frozen=True)
class Panel:
    name: str
    lon0: float  # central meridian
    parallels: tuple[float, float]
    bounds: tuple[float, float, float, float]  # lon/lat window the panel must show
    top: float  # y of the panel's top edge in the SVG
    width: float  # panel width in SVG units (the height follows)


WIDTH = 360
MARGIN = 6
SCALE = 1.25  # the SVG's natural size (desktop); Anki shrinks it to the card's width
PANELS = (
    Panel("overview", 88.0, (35.0, 60.0), (33.0, 21.0, 146.0, 63.0), 38, WIDTH - 2 * MARGIN),
    Panel("inset", 125.0, (40.0, 50.0), (114.2, 36.9, 135.8, 53.0), 0, WIDTH - 2 * MARGIN),
)
GAP = 30  # between the panels (room for the inset's caption)

INK = "#1d1d1f"
MUTED = "#6b6b66"
ACCENT = "#a31f1f"
ACCENT_FILL = "#e6a596"
LAND = "#ebe7dc"
LAND_OTHER = "#f3f1ea"
CHINA_LAND = "#e3ddcd"
BORDER = "#ffffff"
FRAME = "#c9c6bb"
QUIET = "#8e8c84"
FONT = "'Noto Sans', 'DejaVu Sans', Arial, sans-serif"


class Projection:
    def __init__(self, panel: Panel):
        phi1, phi2 = (math.radians(p) for p in panel.parallels)
        self.n = math.log(math.cos(phi1) / math.cos(phi2)) / math.log(
            math.tan(math.pi / 4 + phi2 / 2) / math.tan(math.pi / 4 + phi1 / 2))
        self.f = math.cos(phi1) * math.tan(math.pi / 4 + phi1 / 2) ** self.n / self.n
        self.lon0 = panel.lon0
        west, south, east, north = panel.bounds
        edge = [(west + (east - west) * i / 20, lat) for i in range(21) for lat in (south, north)]
        edge += [(lon, south + (north - south) * i / 20) for i in range(21) for lon in (west, east)]
        xs, ys = zip(*(self._raw(lon, lat) for lon, lat in edge), strict=True)
        self.x0, self.y0 = min(xs), min(ys)
        self.scale = panel.width / (max(xs) - min(xs))
        self.left, self.top = MARGIN, panel.top
        self.width = panel.width
        self.height = round((max(ys) - min(ys)) * self.scale)

    def _raw(self, lon: float, lat: float) -> tuple[float, float]:
        rho = self.f / math.tan(math.pi / 4 + math.radians(lat) / 2) ** self.n
        theta = self.n * math.radians(lon - self.lon0)
        return rho * math.sin(theta), rho * math.cos(theta)  # y grows southwards, as in SVG

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        x, y = self._raw(lon, lat)
        return (round(self.left + (x - self.x0) * self.scale, 1),
                round(self.top + (y - self.y0) * self.scale, 1))


def _num(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _clip(points: list, box: tuple[float, float, float, float]) -> list:
    """Sutherland-Hodgman: the part of a polygon inside a rectangle (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = box
    edges = ((0, x0, 1), (0, x1, -1), (1, y0, 1), (1, y1, -1))
    for axis, limit, side in edges:
        if not points:
            break
        inside = [(p[axis] - limit) * side >= 0 for p in points]
        out = []
        for i, point in enumerate(points):
            prev, prev_in = points[i - 1], inside[i - 1]
            if inside[i] != prev_in:
                t = (limit - prev[axis]) / (point[axis] - prev[axis])
                cut = (round(prev[0] + t * (point[0] - prev[0]), 1),
                       round(prev[1] + t * (point[1] - prev[1]), 1))
                out.append(cut)
            if inside[i]:
                out.append(point)
        points = out
    return points


def _path(rings: list, project: Projection, closed: bool = True, min_step: float = 0.8) -> str:
    """SVG path data in relative steps of 0.1 units, cut to the panel (plus a margin)."""
    box = (project.left - 4, project.top - 4, project.left + project.width + 4,
           project.top + project.height + 4)
    parts = []
    for ring in rings:
        points = [project(lon, lat) for lon, lat in ring]
        if closed:
            points = _clip(points, box)
        kept: list[tuple[int, int]] = []
        for x, y in points:
            point = (round(x * 10), round(y * 10))
            if kept and math.dist(point, kept[-1]) < min_step * 10:
                continue
            kept.append(point)
        if len(kept) < (3 if closed else 2):
            continue
        tokens = [_num(v / 10) for (ax, ay), (bx, by) in zip(kept, kept[1:], strict=False)
                  for v in (bx - ax, by - ay)]
        data = tokens[0] + "".join(t if t[0] == "-" else " " + t for t in tokens[1:])
        start = f"M{_num(kept[0][0] / 10)} {_num(kept[0][1] / 10)}"
        parts.append(f"{start}l{data}" + ("z" if closed else ""))
    return "".join(parts)


def _text(x: float, y: float, content: str, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<text x="{_num(x)}" y="{_num(y)}"{extra}>{escape(content)}</text>'


def _halo(x: float, y: float, content: str, **attrs: str) -> str:
    """A label with a pale outline, readable over land, borders and lines."""
    return _text(x, y, content, stroke="#ffffff", stroke_width="3", stroke_linejoin="round",
                 paint_order="stroke", **attrs)


def _panel(panel: Panel, project: Projection, geometry: dict, marked: Place) -> list[str]:
    clip = f"clip-{panel.name}"
    x, y, w, h = project.left, project.top, project.width, project.height
    step = 0.8 if panel.name == "overview" else 0.5
    land = geometry["land"]
    regions = geometry["regions"]
    out = [f'<clipPath id="{clip}"><rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" '
           f'height="{h}" rx="6"/></clipPath>', f'<g clip-path="url(#{clip})">']

    def shape(rings: list, fill: str, stroke: str = BORDER, width: float = 0.8,
              extra: str = "") -> None:
        d = _path(rings, project, min_step=step)
        if d:
            out.append(f'<path d="{d}" fill="{fill}" stroke="{stroke}" '
                       f'stroke-width="{_num(width)}" stroke-linejoin="round"{extra}/>')

    shape(land["other"], LAND_OTHER)
    shape(land["ussr"], LAND)
    shape(land["china"], CHINA_LAND)
    shape(land["taiwan"], LAND_OTHER)
    shape(regions["mongolia"], LAND)
    shape(regions["korea"], LAND)
    for place in PLACES:
        if place.kind != "region" or panel.name not in place.panels:
            continue
        if place is marked:
            shape(regions[place.key], ACCENT_FILL, ACCENT, 1.5)
        elif place.key in ("manchuria", "xinjiang"):
            shape(regions[place.key], "none", QUIET, 1, ' stroke-dasharray="3 2.5"')
    if marked.key == "korea" or panel.name == "inset":
        # the 1945 division line, as a thin border inside Korea
        shape(regions["korea-border"], "none", BORDER if marked.key != "korea" else ACCENT,
              0.8)

    # Lines: the railway (inset only), and the Soviet lines it joined.
    if panel.name == "inset":
        railway_marked = marked.key == "changchun-railway"
        for link in LINKS:
            out.append(f'<path d="{_path([link], project, closed=False)}" fill="none" '
                       f'stroke="{QUIET}" stroke-width="1.3" stroke-dasharray="4 3"/>')
        colour, width = (ACCENT, 3.5) if railway_marked else (INK, 1.8)
        for line in RAILWAY:
            out.append(f'<path d="{_path([line], project, closed=False)}" fill="none" '
                       f'stroke="{colour}" stroke-width="{width}" stroke-linejoin="round" '
                       'stroke-linecap="round"/>')
    elif "inset" in marked.panels:
        # where the enlarged view below sits
        inset = next(p for p in PANELS if p.name == "inset")
        west, south, east, north = inset.bounds
        box = [(west, south), (east, south), (east, north), (west, north)]
        box = [(lon, lat) for a, b in zip(box, box[1:] + box[:1], strict=True)
               for lon, lat in (a, ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2))]
        out.append(f'<path d="{_path([box], project)}" fill="none" stroke="{MUTED}" '
                   'stroke-width="1"/>')
    out.append("</g>")
    out.append(f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{h}" rx="6" '
               f'fill="none" stroke="{FRAME}" stroke-width="1"/>')

    # Labels last, above everything.
    for label, lon, lat, where in COUNTRIES:
        if where == panel.name:
            lx, ly = project(lon, lat)
            out.append(_text(lx, ly, label, font_size="12.5", fill=QUIET, letter_spacing="1.5",
                             text_anchor="middle"))
    if panel.name == "inset":
        for label, lon, lat, dx, dy, anchor in CITIES:
            px, py = project(lon, lat)
            out.append(f'<circle cx="{_num(px)}" cy="{_num(py)}" r="3" fill="{INK}" '
                       'stroke="#ffffff" stroke-width="1"/>')
            out.append(_halo(px + dx, py + dy, label, font_size="12.5", fill=INK,
                             text_anchor=anchor))
    for place in PLACES:
        if panel.name not in place.panels or place.lonlat is None:
            continue
        px, py = project(*place.lonlat)
        if not (x <= px <= x + w and y <= py <= y + h):
            continue  # outside this panel (Mongolia, seen from the enlarged view): no label
        at = place.label_at if panel.name == "inset" else place.overview_label_at
        if panel.name == "overview" and place.kind == "point" and "inset" in place.panels \
                and "inset" in marked.panels:
            at = None  # labelled in the enlarged view below
        is_marked = place is marked
        px, py = project(*place.lonlat)
        weight = "bold" if is_marked else "normal"
        colour = ACCENT if is_marked else INK
        if place.kind == "point":
            if is_marked:
                out.append(f'<circle cx="{_num(px)}" cy="{_num(py)}" r="5.5" fill="{ACCENT}" '
                           'stroke="#ffffff" stroke-width="2"/>')
            else:
                out.append(f'<circle cx="{_num(px)}" cy="{_num(py)}" r="3" fill="{INK}" '
                           'stroke="#ffffff" stroke-width="1"/>')
            if at is None:
                continue
            shift_x, shift_y, anchor = at
            out.append(_halo(px + shift_x, py + shift_y, place.label, font_size="13.5" if is_marked
                             else "12.5", font_weight=weight, fill=colour, text_anchor=anchor))
        elif place.kind == "region":
            if at is None:
                continue
            out.append(_halo(px + at[0], py + at[1], place.label, font_size="12.5",
                             font_weight=weight, fill=colour if is_marked else MUTED,
                             letter_spacing="1.5",
                             text_anchor="middle"))
        else:
            out.append(_halo(px, py, place.label, font_size="13.5" if is_marked else "12.5",
                             font_weight=weight, fill=colour, text_anchor="start"))
    return out


def render_svg(key: str, geometry: dict) -> str:
    """The map with place ``key`` marked, as a standalone SVG document."""
    marked = BY_KEY[key]
    body: list[str] = []
    top = PANELS[0].top
    bottom = top
    # A place drawn only on the overview (Moscow, Xinjiang) gets no enlarged view of Manchuria.
    panels = PANELS if "inset" in marked.panels else PANELS[:1]
    for panel in panels:
        panel = Panel(panel.name, panel.lon0, panel.parallels, panel.bounds, bottom + (
            GAP if panel is not PANELS[0] else 0), panel.width)
        project = Projection(panel)
        if panel.name == "inset":
            body.append(_text(MARGIN, panel.top - 8, "Manchuria, enlarged", font_size="12.5",
                              font_weight="bold", fill=MUTED))
        body.extend(_panel(panel, project, geometry, marked))
        bottom = panel.top + project.height
    height = round(bottom + MARGIN)
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{round(WIDTH * SCALE)}" height="{round(height * SCALE)}" '
        f'font-family="{FONT}">',
        f"<title>Map: {escape(marked.title)}</title>",
        "<desc>Borders of today from Natural Earth (public domain); the USSR drawn as its "
        "former republics; Manchuria, Xinjiang and the railway approximate.</desc>",
        _text(MARGIN, 24, marked.title, font_size="16", font_weight="bold", fill=ACCENT),
    ]
    return "\n".join([*head, *body, "</svg>"]) + "\n"


def image_name(key: str) -> str:
    return f"map-{key}.svg"


def load_geometry(path: Path = GEOMETRY) -> dict:
    return json.loads(path.read_text("utf-8"))


def write_all(media: Path, geometry: dict) -> list[Path]:
    """Write one map per place into ``media``; remove map images no place has."""
    wanted = {image_name(p.key): render_svg(p.key, geometry) for p in PLACES}
    for stale in sorted(media.glob("map-*.svg")):
        if stale.name not in wanted:
            stale.unlink()
    written = []
    for name, svg in wanted.items():
        path = media / name
        if not path.exists() or path.read_text("utf-8") != svg:
            path.write_text(svg, "utf-8", newline="\n")
        written.append(path)
    return written


def names_place(text: str, place: Place) -> int | None:
    """Where ``text`` first names ``place`` (by any of its names), or None."""
    for longer in place.excluding:
        text = text.replace(longer, " " * len(longer))
    found = [m.start() for name in place.names
             for m in [re.search(rf"\b{re.escape(name)}\b", text)] if m]
    return min(found) if found else None


if __name__ == "__main__":
    if sys.argv[1:2] == ["extract"]:
        write_geometry()
        print(f"wrote {GEOMETRY.relative_to(ROOT)}")
    else:
        out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "media"
        paths = write_all(out, load_geometry())
        print(f"{len(paths)} maps in {out}")
