//! Overview images a planner can paste into a report: the density of one
//! time bin over the study area with place outlines and names, routes,
//! services marked open or closed in that bin, a scale bar, a north arrow,
//! a title and the legend; and small multiples (hour buckets × seasons) of
//! the same extent and colour scale.
//!
//! Images are drawn in the data set's metric projection (north up on the
//! grid, true scale everywhere on the image; the north arrow shows true
//! north, which differs from grid north by the meridian convergence).

use geo::{Coord, InteriorPoint, LineString, MultiPolygon, Point};
use image::RgbaImage;
use rayon::prelude::*;

use crate::canvas::{Canvas, HAlign, TextStyle, VAlign};
use crate::error::{Error, Result};
use crate::heatmap::{ColourScale, sample};
use crate::kde::DensitySurface;
use crate::legend::{draw_legend, legend_height};
use crate::model::{Place, Route, Service};
use crate::opening::OpenState;
use crate::projection::Projection;

const BACKGROUND: [u8; 4] = [236, 236, 232, 255];
const LAND: [u8; 4] = [250, 250, 248, 255];
const INK: [u8; 4] = [34, 34, 34, 255];
const GREY: [u8; 4] = [110, 110, 110, 255];
const WHITE: [u8; 4] = [255, 255, 255, 255];
const HALO: [u8; 4] = [255, 255, 255, 230];
const ROUTE: [u8; 4] = [70, 110, 170, 200];
const OPEN: [u8; 4] = [27, 120, 55, 255];
const PARTLY: [u8; 4] = [230, 145, 30, 255];
const HEADER: f32 = 96.0;
const FOOTER: f32 = 34.0;

/// How the pixels of one map frame relate to projected metres.
#[derive(Debug, Clone, Copy)]
struct Frame {
    /// West and north edges of the frame in metres.
    x0: f64,
    y1: f64,
    /// Metres per pixel.
    m: f64,
    /// Top-left corner of the frame on the canvas.
    left: f32,
    top: f32,
    /// Size in pixels.
    w: u32,
    h: u32,
}

impl Frame {
    fn px(&self, x: f64, y: f64) -> (f32, f32) {
        (
            self.left + ((x - self.x0) / self.m) as f32,
            self.top + ((self.y1 - y) / self.m) as f32,
        )
    }
}

/// The layers drawn on every map, in projected metres.
#[derive(Debug, Default)]
struct Layers {
    area: Option<MultiPolygon>,
    places: Vec<(String, MultiPolygon)>,
    routes: Vec<LineString>,
    services: Vec<(String, Point)>,
}

/// Draws overview maps of density surfaces on one colour scale.
///
/// ```
/// use byrum::*;
/// let proj = Projection::for_point(9.92, 57.05)?;
/// let (x, y) = proj.forward(9.9187, 57.0488)?;
/// let grid = MetricGrid::covering((x - 600.0, y - 400.0, x + 600.0, y + 400.0), 10.0)?;
/// let s = Kde::new().bandwidth(Bandwidth::Fixed(120.0)).compute(&grid, &[x], &[y], None)?;
/// let scale = ColourScale::new(Ramp::Viridis, (0.02 * s.max(), s.max()), Scaling::Linear)?;
/// let map = OverviewMap::new(&proj, (grid.x0, grid.y0, x + 600.0, y + 400.0), &scale).width(800);
/// let img = map.render(&s, "Incidents, all hours", "demo", None)?;
/// assert_eq!(img.width(), 800);
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug)]
pub struct OverviewMap<'a> {
    projection: &'a Projection,
    extent: (f64, f64, f64, f64),
    scale: &'a ColourScale,
    width: u32,
    unit: String,
    legend_title: String,
    footer: String,
    area: Option<&'a MultiPolygon>,
    places: &'a [Place],
    routes: &'a [Route],
    services: &'a [Service],
}

impl<'a> OverviewMap<'a> {
    /// A map of `extent` (west, south, east, north in projected metres),
    /// coloured by `scale`; 1600 pixels wide.
    #[must_use]
    pub fn new(
        projection: &'a Projection,
        extent: (f64, f64, f64, f64),
        scale: &'a ColourScale,
    ) -> Self {
        Self {
            projection,
            extent,
            scale,
            width: 1600,
            unit: "incidents per km² per hour".to_owned(),
            legend_title: "Incident density".to_owned(),
            footer: String::new(),
            area: None,
            places: &[],
            routes: &[],
            services: &[],
        }
    }

    /// Image width in pixels (default 1600).
    #[must_use]
    pub fn width(mut self, pixels: u32) -> Self {
        self.width = pixels;
        self
    }

    /// The legend's title and unit.
    #[must_use]
    pub fn legend(mut self, title: impl Into<String>, unit: impl Into<String>) -> Self {
        self.legend_title = title.into();
        self.unit = unit.into();
        self
    }

    /// A line of small print under the map (source, projection, period).
    #[must_use]
    pub fn footer(mut self, text: impl Into<String>) -> Self {
        self.footer = text.into();
        self
    }

    /// The study area's outline (WGS84).
    #[must_use]
    pub fn study_area(mut self, area: &'a MultiPolygon) -> Self {
        self.area = Some(area);
        self
    }

    /// Places drawn as outlines with their names.
    #[must_use]
    pub fn places(mut self, places: &'a [Place]) -> Self {
        self.places = places;
        self
    }

    /// Routes drawn as lines.
    #[must_use]
    pub fn routes(mut self, routes: &'a [Route]) -> Self {
        self.routes = routes;
        self
    }

    /// Services, marked by their [`OpenState`] in [`OverviewMap::render`].
    #[must_use]
    pub fn services(mut self, services: &'a [Service]) -> Self {
        self.services = services;
        self
    }

    fn layers(&self) -> Result<Layers> {
        let p = self.projection;
        Ok(Layers {
            area: self.area.map(|a| p.forward_geometry(a)).transpose()?,
            places: self
                .places
                .iter()
                .map(|pl| Ok((pl.name.clone(), p.forward_geometry(&pl.geometry)?)))
                .collect::<Result<_>>()?,
            routes: self
                .routes
                .iter()
                .map(|r| p.forward_geometry(&r.line))
                .collect::<Result<_>>()?,
            services: self
                .services
                .iter()
                .map(|s| Ok((s.name.clone(), p.forward_geometry(&s.point)?)))
                .collect::<Result<_>>()?,
        })
    }

    /// The extent with a margin, checked.
    fn padded_extent(&self) -> Result<(f64, f64, f64, f64)> {
        let (w, s, e, n) = self.extent;
        if !(w.is_finite() && s.is_finite() && e.is_finite() && n.is_finite() && w < e && s < n) {
            return Err(Error::parameter(
                "map extent",
                format!("({w}, {s}, {e}, {n}) must be finite with west < east and south < north"),
            ));
        }
        let pad = 0.03 * (e - w).max(n - s);
        Ok((w - pad, s - pad, e + pad, n + pad))
    }

    /// One overview image of `surface`: `title` and `subtitle` on top, the
    /// map, the legend. `states` gives each service's [`OpenState`] in this
    /// bin (in the order of [`OverviewMap::services`]); without it services
    /// are drawn plainly.
    ///
    /// # Errors
    /// [`Error::Parameter`] for an empty extent, a width below 400 pixels or
    /// a `states` of the wrong length; [`Error::Projection`] if a layer
    /// cannot be projected.
    pub fn render(
        &self,
        surface: &DensitySurface,
        title: &str,
        subtitle: &str,
        states: Option<&[OpenState]>,
    ) -> Result<RgbaImage> {
        if self.width < 400 {
            return Err(Error::parameter(
                "image width",
                format!(
                    "{} px is too narrow for a map; use at least 400",
                    self.width
                ),
            ));
        }
        if let Some(st) = states
            && st.len() != self.services.len()
        {
            return Err(Error::parameter(
                "service states",
                format!("{} states for {} services", st.len(), self.services.len()),
            ));
        }
        let layers = self.layers()?;
        let (w, s, e, n) = self.padded_extent()?;
        let m = (e - w) / f64::from(self.width);
        let map_h = (((n - s) / m).round() as u32).clamp(200, 2 * self.width);
        // Centre vertically if the height was clamped.
        let y1 = f64::midpoint(s, n) + f64::from(map_h) * m / 2.0;
        let frame = Frame {
            x0: w,
            y1,
            m,
            left: 0.0,
            top: HEADER,
            w: self.width,
            h: map_h,
        };
        let height = (HEADER + FOOTER) as u32 + map_h;
        let mut c = Canvas::new(self.width, height, WHITE)?;
        let mut taken = Vec::new();
        draw_map(
            &mut c, &frame, surface, self.scale, &layers, true, &mut taken,
        );
        if !layers.services.is_empty() {
            draw_services(&mut c, &frame, &layers, states, &mut taken);
        }
        self.draw_north_arrow(&mut c, &frame)?;
        draw_scale_bar(&mut c, &frame, 24.0, frame.top + map_h as f32 - 30.0, 0.2);
        self.draw_legend_panel(
            &mut c,
            &frame,
            states.is_some() && !layers.services.is_empty(),
        );
        draw_header(&mut c, title, subtitle);
        c.text(
            &self.footer,
            24.0,
            height as f32 - FOOTER / 2.0,
            &TextStyle::new(13.0, GREY).align(HAlign::Left, VAlign::Middle),
        );
        Ok(c.into_image())
    }

    /// Small multiples: one panel per surface (row-major, `rows.len()` ×
    /// `cols.len()`), each of the same extent and scale with the study area
    /// and place outlines; rows and columns labelled, one legend and one
    /// scale bar for all.
    ///
    /// # Errors
    /// [`Error::Parameter`] if the number of surfaces is not rows × columns
    /// or the width leaves panels under 80 pixels; as [`OverviewMap::render`].
    pub fn small_multiples(
        &self,
        surfaces: &[&DensitySurface],
        rows: &[String],
        cols: &[String],
        title: &str,
        subtitle: &str,
    ) -> Result<RgbaImage> {
        if surfaces.len() != rows.len() * cols.len() || surfaces.is_empty() {
            return Err(Error::parameter(
                "small multiples",
                format!(
                    "{} surfaces for {} rows × {} columns",
                    surfaces.len(),
                    rows.len(),
                    cols.len()
                ),
            ));
        }
        let label_w = 110.0f32;
        let gap = 8.0f32;
        let ncols = cols.len() as f32;
        let panel_w = ((self.width as f32 - label_w - 16.0 - gap * (ncols - 1.0)) / ncols).floor();
        if panel_w < 80.0 {
            return Err(Error::parameter(
                "image width",
                format!(
                    "{} px leaves panels of {panel_w} px for {} columns",
                    self.width,
                    cols.len()
                ),
            ));
        }
        let layers = self.layers()?;
        let (w, s, e, n) = self.padded_extent()?;
        let m = (e - w) / f64::from(panel_w);
        let panel_h = (((n - s) / m).round() as f32).clamp(60.0, 2.0 * panel_w);
        let y1 = f64::midpoint(s, n) + f64::from(panel_h) * m / 2.0;
        let col_head = 30.0f32;
        let legend_h = 150.0f32;
        let grid_top = HEADER + col_head;
        let height = grid_top + rows.len() as f32 * (panel_h + gap) + legend_h + FOOTER;
        let mut c = Canvas::new(self.width, height.ceil() as u32, WHITE)?;
        draw_header(&mut c, title, subtitle);
        let head = TextStyle::new(16.0, INK)
            .bold()
            .align(HAlign::Centre, VAlign::Bottom);
        for (j, name) in cols.iter().enumerate() {
            let x = label_w + j as f32 * (panel_w + gap) + panel_w / 2.0;
            c.text(name, x, grid_top - 6.0, &head);
        }
        let row_style = TextStyle::new(15.0, INK)
            .bold()
            .align(HAlign::Right, VAlign::Middle);
        for (i, name) in rows.iter().enumerate() {
            let top = grid_top + i as f32 * (panel_h + gap);
            c.text(name, label_w - 12.0, top + panel_h / 2.0, &row_style);
            for j in 0..cols.len() {
                let frame = Frame {
                    x0: w,
                    y1,
                    m,
                    left: label_w + j as f32 * (panel_w + gap),
                    top,
                    w: panel_w as u32,
                    h: panel_h as u32,
                };
                let mut taken = Vec::new();
                draw_map(
                    &mut c,
                    &frame,
                    surfaces[i * cols.len() + j],
                    self.scale,
                    &layers,
                    false,
                    &mut taken,
                );
                c.rect(
                    frame.left + 0.5,
                    top + 0.5,
                    panel_w - 1.0,
                    panel_h - 1.0,
                    None,
                    Some(([180, 180, 180, 255], 1.0)),
                );
            }
        }
        let below = grid_top + rows.len() as f32 * (panel_h + gap) + 12.0;
        let frame = Frame {
            x0: w,
            y1,
            m,
            left: label_w,
            top: below,
            w: panel_w as u32,
            h: 0,
        };
        draw_scale_bar(&mut c, &frame, label_w, below + 40.0, 0.6);
        let lw = 440.0f32
            .min(self.width as f32 - label_w - panel_w - 40.0)
            .max(200.0);
        draw_legend(
            &mut c,
            self.width as f32 - lw - 24.0,
            below,
            lw,
            self.scale,
            &self.legend_title,
            &self.unit,
        );
        c.text(
            &self.footer,
            24.0,
            height - FOOTER / 2.0,
            &TextStyle::new(13.0, GREY).align(HAlign::Left, VAlign::Middle),
        );
        Ok(c.into_image())
    }

    fn draw_north_arrow(&self, c: &mut Canvas, frame: &Frame) -> Result<()> {
        let (cx, cy) = (
            frame.x0 + f64::from(frame.w) * frame.m / 2.0,
            frame.y1 - f64::from(frame.h) * frame.m / 2.0,
        );
        let (lon, lat) = self.projection.inverse(cx, cy)?;
        let (nx, ny) = self.projection.forward(lon, (lat + 0.01).min(89.9))?;
        let (dx, dy) = (nx - cx, ny - cy);
        let len = dx.hypot(dy);
        // Screen direction of true north (y grows downwards).
        let (ux, uy) = ((dx / len) as f32, (-dy / len) as f32);
        let (px, py) = (-uy, ux);
        let (ax, ay) = (frame.left + frame.w as f32 - 48.0, frame.top + 64.0);
        let tip = (ax + ux * 26.0, ay + uy * 26.0);
        let tail = (ax - ux * 18.0, ay - uy * 18.0);
        let left = (tail.0 + px * 11.0, tail.1 + py * 11.0);
        let right = (tail.0 - px * 11.0, tail.1 - py * 11.0);
        let notch = (ax - ux * 8.0, ay - uy * 8.0);
        c.circle(ax, ay, 36.0, Some([255, 255, 255, 200]), None);
        c.polygon_shape(&[tip, left, notch], Some(INK), Some((INK, 1.0)));
        c.polygon_shape(&[tip, notch, right], Some(WHITE), Some((INK, 1.0)));
        c.text(
            "N",
            tip.0 + ux * 9.0,
            tip.1 + uy * 9.0,
            &TextStyle::new(15.0, INK)
                .bold()
                .align(HAlign::Centre, VAlign::Middle),
        );
        Ok(())
    }

    fn draw_legend_panel(&self, c: &mut Canvas, frame: &Frame, with_services: bool) {
        let w = 380.0f32.min(frame.w as f32 * 0.45);
        let used = legend_height(w - 28.0, self.scale, &self.legend_title, &self.unit);
        let extra = if with_services { 80.0 } else { 0.0 };
        let h = 10.0 + used + extra + 10.0;
        let x = frame.left + frame.w as f32 - w - 16.0;
        let y = frame.top + frame.h as f32 - h - 16.0;
        c.rect(
            x,
            y,
            w,
            h,
            Some([255, 255, 255, 225]),
            Some(([160, 160, 160, 255], 1.0)),
        );
        draw_legend(
            c,
            x + 14.0,
            y + 10.0,
            w - 28.0,
            self.scale,
            &self.legend_title,
            &self.unit,
        );
        if with_services {
            let mut ty = y + 10.0 + used + 14.0;
            let style = TextStyle::new(13.0, INK).align(HAlign::Left, VAlign::Middle);
            c.text(
                "Services in this time bin",
                x + 14.0,
                ty,
                &TextStyle::new(13.0, INK)
                    .bold()
                    .align(HAlign::Left, VAlign::Middle),
            );
            ty += 22.0;
            let items = [
                (OpenState::Open, "open all of it"),
                (OpenState::Partly, "open part of it"),
                (OpenState::Closed, "closed"),
            ];
            let mut lx = x + 20.0;
            for (state, label) in items {
                service_marker(c, lx, ty, Some(state));
                let (tw, _) = Canvas::text_size(label, 13.0, false);
                c.text(label, lx + 12.0, ty, &style);
                lx += 12.0 + tw + 22.0;
            }
            ty += 24.0;
            c.stroke_line(&[(x + 12.0, ty), (x + 40.0, ty)], false, ROUTE, 2.5, None);
            c.text("route", x + 48.0, ty, &style);
            c.rect(x + 110.0, ty - 7.0, 22.0, 14.0, None, Some((INK, 1.5)));
            c.text("place", x + 140.0, ty, &style);
        }
    }
}

fn draw_header(c: &mut Canvas, title: &str, subtitle: &str) {
    c.text(title, 24.0, 18.0, &TextStyle::new(30.0, INK).bold());
    c.text(subtitle, 24.0, 60.0, &TextStyle::new(17.0, GREY));
}

/// The map body: background, study area, density, routes, places (with
/// names when `labels`), study-area outline. Clipped to the frame.
fn draw_map(
    c: &mut Canvas,
    frame: &Frame,
    surface: &DensitySurface,
    scale: &ColourScale,
    layers: &Layers,
    labels: bool,
    taken: &mut Vec<(f32, f32, f32, f32)>,
) {
    let mut base = Canvas::new(frame.w, frame.h, BACKGROUND).ok();
    let local = Frame {
        left: 0.0,
        top: 0.0,
        ..*frame
    };
    if let Some(b) = base.as_mut() {
        if let Some(area) = &layers.area {
            for poly in area {
                b.fill_polygon(&rings(&local, poly), LAND);
            }
        } else {
            b.fill_pixels(0, 0, frame.w, frame.h, LAND);
        }
        b.draw_image(0, 0, &heat_raster(&local, surface, scale));
        for r in &layers.routes {
            b.stroke_line(&ring(&local, r), false, ROUTE, 2.5, None);
        }
        for (_, mp) in &layers.places {
            for poly in mp {
                b.fill_polygon(&rings(&local, poly), [255, 255, 255, 40]);
                for ring in rings(&local, poly) {
                    b.stroke_line(&ring, true, INK, if labels { 2.0 } else { 1.2 }, None);
                }
            }
        }
        if let Some(area) = &layers.area {
            for poly in area {
                for ring in rings(&local, poly) {
                    b.stroke_line(&ring, true, GREY, 1.5, Some((6.0, 4.0)));
                }
            }
        }
    }
    if let Some(b) = base {
        c.draw_image(frame.left as i32, frame.top as i32, &b.into_image());
    }
    if labels {
        let style = TextStyle::new(16.0, INK)
            .bold()
            .halo(HALO, 2.5)
            .align(HAlign::Centre, VAlign::Middle);
        for (name, mp) in &layers.places {
            if let Some(p) = mp.interior_point() {
                let (x, y) = frame.px(p.x(), p.y());
                place_label(c, name, x, y, &style, frame, taken);
            }
        }
    }
}

/// Draws a label unless it would overlap one already drawn or leave the frame.
fn place_label(
    c: &mut Canvas,
    text: &str,
    x: f32,
    y: f32,
    style: &TextStyle,
    frame: &Frame,
    taken: &mut Vec<(f32, f32, f32, f32)>,
) -> bool {
    let (w, h) = Canvas::text_size(text, style.size, style.bold);
    let bx = match style.h {
        HAlign::Left => x,
        HAlign::Centre => x - w / 2.0,
        HAlign::Right => x - w,
    };
    let by = match style.v {
        VAlign::Top => y,
        VAlign::Middle => y - h / 2.0,
        VAlign::Baseline | VAlign::Bottom => y - h,
    };
    let b = (bx - 2.0, by - 2.0, w + 4.0, h + 4.0);
    let inside = b.0 >= frame.left
        && b.1 >= frame.top
        && b.0 + b.2 <= frame.left + frame.w as f32
        && b.1 + b.3 <= frame.top + frame.h as f32;
    let free = taken
        .iter()
        .all(|t| b.0 + b.2 <= t.0 || t.0 + t.2 <= b.0 || b.1 + b.3 <= t.1 || t.1 + t.3 <= b.1);
    if inside && free {
        c.text(text, x, y, style);
        taken.push(b);
        true
    } else {
        false
    }
}

fn service_marker(c: &mut Canvas, x: f32, y: f32, state: Option<OpenState>) {
    match state {
        Some(OpenState::Open) => c.circle(x, y, 7.0, Some(OPEN), Some((WHITE, 2.0))),
        Some(OpenState::Partly) => c.circle(x, y, 7.0, Some(PARTLY), Some((WHITE, 2.0))),
        Some(OpenState::Closed) => c.circle(x, y, 6.0, Some(WHITE), Some((INK, 2.0))),
        Some(OpenState::Unknown) => {
            c.circle(x, y, 6.0, Some([190, 190, 190, 255]), Some((GREY, 1.5)));
        }
        None => c.circle(x, y, 6.0, Some(INK), Some((WHITE, 2.0))),
    }
}

fn draw_services(
    c: &mut Canvas,
    frame: &Frame,
    layers: &Layers,
    states: Option<&[OpenState]>,
    taken: &mut Vec<(f32, f32, f32, f32)>,
) {
    let mut at = Vec::new();
    for (k, (_, p)) in layers.services.iter().enumerate() {
        let (x, y) = frame.px(p.x(), p.y());
        if x < frame.left
            || y < frame.top
            || x > frame.left + frame.w as f32
            || y > frame.top + frame.h as f32
        {
            continue;
        }
        service_marker(c, x, y, states.map(|s| s[k]));
        taken.push((x - 8.0, y - 8.0, 16.0, 16.0));
        at.push((k, x, y));
    }
    let style = TextStyle::new(12.5, INK)
        .halo(HALO, 2.0)
        .align(HAlign::Left, VAlign::Middle);
    let left = style.align(HAlign::Right, VAlign::Middle);
    for (k, x, y) in at {
        let name = &layers.services[k].0;
        if !place_label(c, name, x + 11.0, y, &style, frame, taken) {
            place_label(c, name, x - 11.0, y, &left, frame, taken);
        }
    }
}

/// A scale bar at (x, y) on the canvas, about `share` of the frame wide.
fn draw_scale_bar(c: &mut Canvas, frame: &Frame, x: f32, y: f32, share: f64) {
    let target = f64::from(frame.w) * frame.m * share;
    let len = nice_floor(target);
    let px = (len / frame.m) as f32;
    let h = 8.0;
    c.rect(
        x - 8.0,
        y - 22.0,
        px + 60.0,
        40.0,
        Some([255, 255, 255, 200]),
        None,
    );
    for k in 0..4 {
        let seg = px / 4.0;
        let fill = if k % 2 == 0 { INK } else { WHITE };
        c.rect(x + k as f32 * seg, y, seg, h, Some(fill), Some((INK, 1.0)));
    }
    let style = TextStyle::new(12.0, INK).align(HAlign::Centre, VAlign::Bottom);
    c.text("0", x, y - 3.0, &style);
    c.text(&distance_label(len / 2.0), x + px / 2.0, y - 3.0, &style);
    c.text(&distance_label(len), x + px, y - 3.0, &style);
}

/// The largest 1, 2 or 5 × 10^k not above `v`.
fn nice_floor(v: f64) -> f64 {
    let p = 10f64.powf(v.log10().floor());
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|f| f * p)
        .find(|&c| c <= v)
        .unwrap_or(p)
}

fn distance_label(m: f64) -> String {
    if m >= 1000.0 {
        let km = m / 1000.0;
        if (km - km.round()).abs() < 1e-9 {
            format!("{km:.0} km")
        } else {
            format!("{km:.1} km")
        }
    } else {
        format!("{m:.0} m")
    }
}

/// The density of every pixel of the frame, coloured (transparent below the
/// domain), drawn slightly translucent so outlines below stay visible.
fn heat_raster(frame: &Frame, surface: &DensitySurface, scale: &ColourScale) -> RgbaImage {
    let (w, h) = (frame.w, frame.h);
    let mut buf = vec![0u8; (w * h * 4) as usize];
    buf.par_chunks_mut((w * 4) as usize)
        .enumerate()
        .for_each(|(row, out)| {
            let y = frame.y1 - (row as f64 + 0.5) * frame.m;
            for col in 0..w as usize {
                let x = frame.x0 + (col as f64 + 0.5) * frame.m;
                let mut px = scale.colour(sample(surface, x, y));
                px[3] = (f32::from(px[3]) * 0.85) as u8;
                out[col * 4..col * 4 + 4].copy_from_slice(&px);
            }
        });
    RgbaImage::from_raw(w, h, buf).unwrap_or_default()
}

fn ring(frame: &Frame, r: &LineString) -> Vec<(f32, f32)> {
    r.coords().map(|&Coord { x, y }| frame.px(x, y)).collect()
}

fn rings(frame: &Frame, p: &geo::Polygon) -> Vec<Vec<(f32, f32)>> {
    std::iter::once(ring(frame, p.exterior()))
        .chain(p.interiors().iter().map(|r| ring(frame, r)))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::float_cmp)]
    use super::*;

    #[test]
    fn nice_lengths_and_labels() {
        assert_eq!(nice_floor(730.0), 500.0);
        assert_eq!(nice_floor(260.0), 200.0);
        assert_eq!(nice_floor(1999.0), 1000.0);
        assert_eq!(nice_floor(0.7), 0.5);
        assert_eq!(distance_label(250.0), "250 m");
        assert_eq!(distance_label(2000.0), "2 km");
        assert_eq!(distance_label(2500.0), "2.5 km");
    }
}
