//! A small 2-D drawing surface for map images: anti-aliased fills and
//! strokes (tiny-skia) and text in the embedded DejaVu Sans fonts
//! (ab_glyph), with an optional halo so labels stay readable on a heatmap.
//!
//! Coordinates are `f32` pixels, origin top-left, y down. Colours are
//! straight-alpha RGBA `[u8; 4]`; the surface itself is premultiplied and
//! [`Canvas::into_image`] returns straight alpha again. Everything is
//! deterministic: the same calls give the same pixels.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, Glyph, PxScale, ScaleFont, point};
use image::RgbaImage;
use tiny_skia::{
    Color, FillRule, LineCap, LineJoin, Paint, Path, PathBuilder, Pixmap, Rect, Stroke, StrokeDash,
    Transform,
};

use crate::error::{Error, Result};

/// The longest side a canvas may have, in pixels.
pub(crate) const MAX_SIDE: u32 = 16_384;
/// The most pixels a canvas may have (256 MiB of RGBA).
pub(crate) const MAX_PIXELS: u64 = 1 << 26;

/// The largest text size drawn, in pixels per em (larger sizes are clamped).
pub(crate) const MAX_TEXT_SIZE: f32 = 1024.0;

/// Horizontal alignment of text at its anchor point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HAlign {
    /// The text starts at the anchor.
    Left,
    /// The text is centred on the anchor.
    Centre,
    /// The text ends at the anchor.
    Right,
}

/// Vertical alignment of text at its anchor point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VAlign {
    /// The anchor is the top of the line (the font's ascent).
    Top,
    /// The anchor is the middle of the line (between ascent and descent).
    Middle,
    /// The anchor is on the baseline.
    #[cfg_attr(
        not(test),
        allow(dead_code, reason = "no map element anchors on a baseline yet")
    )]
    Baseline,
    /// The anchor is the bottom of the line (the font's descent).
    Bottom,
}

/// How a piece of text is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TextStyle {
    /// Font size in pixels per em (as CSS `font-size: 12px`), at most
    /// [`MAX_TEXT_SIZE`].
    pub size: f32,
    /// Text colour (straight alpha).
    pub colour: [u8; 4],
    /// DejaVu Sans Bold instead of Regular.
    pub bold: bool,
    /// A halo drawn under the text: its colour and radius in pixels.
    pub halo: Option<([u8; 4], f32)>,
    /// Horizontal alignment at the anchor.
    pub h: HAlign,
    /// Vertical alignment at the anchor.
    pub v: VAlign,
}

impl TextStyle {
    /// Regular text of `size` px in `colour`, no halo, anchored top-left.
    pub(crate) fn new(size: f32, colour: [u8; 4]) -> Self {
        Self {
            size,
            colour,
            bold: false,
            halo: None,
            h: HAlign::Left,
            v: VAlign::Top,
        }
    }

    /// The same style in bold.
    pub(crate) fn bold(mut self) -> Self {
        self.bold = true;
        self
    }

    /// The same style with a halo of `colour` and `radius` px.
    pub(crate) fn halo(mut self, colour: [u8; 4], radius: f32) -> Self {
        self.halo = Some((colour, radius));
        self
    }

    /// The same style with other alignments.
    pub(crate) fn align(mut self, h: HAlign, v: VAlign) -> Self {
        self.h = h;
        self.v = v;
        self
    }
}

/// The embedded DejaVu Sans Regular or Bold, parsed once; `None` only if the
/// embedded font could not be parsed (text is then not drawn).
fn font(bold: bool) -> Option<&'static FontRef<'static>> {
    static REGULAR: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    static BOLD: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    if bold {
        BOLD.get_or_init(|| FontRef::try_from_slice(dejavu::sans::bold()).ok())
            .as_ref()
    } else {
        REGULAR
            .get_or_init(|| FontRef::try_from_slice(dejavu::sans::regular()).ok())
            .as_ref()
    }
}

/// Glyphs of one line laid out from pen position 0 on baseline 0, with the
/// line's advance width, ascent and descent (negative) in pixels.
struct Line {
    glyphs: Vec<Glyph>,
    width: f32,
    ascent: f32,
    descent: f32,
}

fn layout(font: &FontRef<'static>, s: &str, size: f32) -> Line {
    let size = if size.is_finite() {
        size.clamp(0.0, MAX_TEXT_SIZE)
    } else {
        0.0
    };
    let em = font.units_per_em().unwrap_or(2048.0);
    let scale = PxScale::from(size * font.height_unscaled() / em);
    let scaled = font.as_scaled(scale);
    let mut glyphs = Vec::with_capacity(s.len());
    let mut pen = 0.0_f32;
    let mut previous = None;
    for c in s.chars().filter(|c| !c.is_control()) {
        // A character the font lacks maps to glyph 0 (.notdef, an empty box).
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            pen += scaled.kern(p, id);
        }
        glyphs.push(id.with_scale_and_position(scale, point(pen, 0.0)));
        pen += scaled.h_advance(id);
        previous = Some(id);
    }
    Line {
        glyphs,
        width: pen,
        ascent: scaled.ascent(),
        descent: scaled.descent(),
    }
}

/// A straight-alpha colour as a tiny-skia paint.
fn paint(colour: [u8; 4]) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color_rgba8(colour[0], colour[1], colour[2], colour[3]);
    p.anti_alias = true;
    p
}

fn finite(pts: &[(f32, f32)]) -> bool {
    pts.iter().all(|(x, y)| x.is_finite() && y.is_finite())
}

/// A closed path through `pts` (at least 3 finite points).
fn closed_path(pts: &[(f32, f32)]) -> Option<Path> {
    if pts.len() < 3 || !finite(pts) {
        return None;
    }
    let mut pb = PathBuilder::new();
    pb.move_to(pts[0].0, pts[0].1);
    for &(x, y) in &pts[1..] {
        pb.line_to(x, y);
    }
    pb.close();
    pb.finish()
}

/// A 2-D RGBA drawing surface (premultiplied inside).
pub(crate) struct Canvas {
    pixmap: Pixmap,
}

impl Canvas {
    /// A `width` × `height` canvas filled with `background`.
    ///
    /// # Errors
    /// [`Error::Parameter`] for a zero side, a side above [`MAX_SIDE`] or
    /// more than [`MAX_PIXELS`] pixels.
    pub(crate) fn new(width: u32, height: u32, background: [u8; 4]) -> Result<Self> {
        if width == 0
            || height == 0
            || width > MAX_SIDE
            || height > MAX_SIDE
            || u64::from(width) * u64::from(height) > MAX_PIXELS
        {
            return Err(Error::parameter(
                "image size",
                format!(
                    "{width} × {height} px: each side must lie in 1..={MAX_SIDE} and the image \
                     hold at most {MAX_PIXELS} pixels"
                ),
            ));
        }
        let mut pixmap = Pixmap::new(width, height)
            .ok_or_else(|| Error::parameter("image size", format!("{width} × {height} px")))?;
        let [r, g, b, a] = background;
        pixmap.fill(Color::from_rgba8(r, g, b, a));
        Ok(Self { pixmap })
    }

    /// Width in pixels.
    pub(crate) fn width(&self) -> u32 {
        self.pixmap.width()
    }

    /// Height in pixels.
    pub(crate) fn height(&self) -> u32 {
        self.pixmap.height()
    }

    /// Composites `colour` (straight alpha) with extra opacity `coverage` in
    /// [0, 1] over the pixel at (`x`, `y`), source-over; outside: nothing.
    fn blend(&mut self, x: i64, y: i64, colour: [u8; 4], coverage: f32) {
        let (w, h) = (i64::from(self.width()), i64::from(self.height()));
        if x < 0 || y < 0 || x >= w || y >= h {
            return;
        }
        let sa = coverage.clamp(0.0, 1.0) * f32::from(colour[3]) / 255.0;
        if sa <= 0.0 {
            return;
        }
        let i = ((y * w + x) * 4) as usize;
        let px = &mut self.pixmap.data_mut()[i..i + 4];
        let keep = 1.0 - sa;
        let a = (255.0 * sa + f32::from(px[3]) * keep)
            .round()
            .clamp(0.0, 255.0);
        for k in 0..3 {
            let c = (f32::from(colour[k]) * sa + f32::from(px[k]) * keep).round();
            px[k] = c.clamp(0.0, a) as u8;
        }
        px[3] = a as u8;
    }

    /// Fills the whole pixels `x..x + w`, `y..y + h` with `colour`
    /// (source-over, no anti-aliasing: exact colours, e.g. for a legend's
    /// colour bar); clipped to the canvas.
    pub(crate) fn fill_pixels(&mut self, x: i32, y: i32, w: u32, h: u32, colour: [u8; 4]) {
        let x0 = i64::from(x).max(0);
        let y0 = i64::from(y).max(0);
        let x1 = (i64::from(x) + i64::from(w)).min(i64::from(self.width()));
        let y1 = (i64::from(y) + i64::from(h)).min(i64::from(self.height()));
        for py in y0..y1 {
            for px in x0..x1 {
                self.blend(px, py, colour, 1.0);
            }
        }
    }

    /// Composites a straight-alpha image with its top-left corner at
    /// (`x`, `y`), source-over, clipped to the canvas.
    pub(crate) fn draw_image(&mut self, x: i32, y: i32, img: &RgbaImage) {
        let (w, h) = (i64::from(self.width()), i64::from(self.height()));
        for (ix, iy, p) in img.enumerate_pixels() {
            let (px, py) = (i64::from(x) + i64::from(ix), i64::from(y) + i64::from(iy));
            if px >= 0 && py >= 0 && px < w && py < h {
                self.blend(px, py, p.0, 1.0);
            }
        }
    }

    /// Fills a polygon given as rings (the exterior, then holes) with the
    /// even-odd rule, anti-aliased. Rings of fewer than 3 points or with
    /// non-finite coordinates are left out.
    pub(crate) fn fill_polygon(&mut self, rings: &[Vec<(f32, f32)>], colour: [u8; 4]) {
        let mut pb = PathBuilder::new();
        for ring in rings.iter().filter(|r| r.len() >= 3 && finite(r)) {
            pb.move_to(ring[0].0, ring[0].1);
            for &(x, y) in &ring[1..] {
                pb.line_to(x, y);
            }
            pb.close();
        }
        if let Some(path) = pb.finish() {
            self.pixmap.fill_path(
                &path,
                &paint(colour),
                FillRule::EvenOdd,
                Transform::identity(),
                None,
            );
        }
    }

    fn stroke_path(&mut self, path: &Path, colour: [u8; 4], width: f32, stroke: Stroke) {
        if !(width.is_finite() && width > 0.0) {
            return;
        }
        self.pixmap.stroke_path(
            path,
            &paint(colour),
            &Stroke { width, ..stroke },
            Transform::identity(),
            None,
        );
    }

    /// Strokes a polyline (closed: back to its first point) `width` px wide
    /// with round joins; solid lines get round caps, dashed ones (`(on, off)`
    /// lengths in px) butt caps.
    pub(crate) fn stroke_line(
        &mut self,
        pts: &[(f32, f32)],
        closed: bool,
        colour: [u8; 4],
        width: f32,
        dash: Option<(f32, f32)>,
    ) {
        if pts.len() < 2 || !finite(pts) {
            return;
        }
        let mut pb = PathBuilder::new();
        pb.move_to(pts[0].0, pts[0].1);
        for &(x, y) in &pts[1..] {
            pb.line_to(x, y);
        }
        if closed {
            pb.close();
        }
        let Some(path) = pb.finish() else { return };
        let dash = dash.and_then(|(on, off)| StrokeDash::new(vec![on, off], 0.0));
        let stroke = Stroke {
            line_cap: if dash.is_some() {
                LineCap::Butt
            } else {
                LineCap::Round
            },
            line_join: LineJoin::Round,
            dash,
            ..Stroke::default()
        };
        self.stroke_path(&path, colour, width, stroke);
    }

    fn shape(&mut self, path: &Path, fill: Option<[u8; 4]>, stroke: Option<([u8; 4], f32)>) {
        if let Some(c) = fill {
            self.pixmap.fill_path(
                path,
                &paint(c),
                FillRule::Winding,
                Transform::identity(),
                None,
            );
        }
        if let Some((c, w)) = stroke {
            let s = Stroke {
                line_join: LineJoin::Miter,
                ..Stroke::default()
            };
            self.stroke_path(path, c, w, s);
        }
    }

    /// A circle of radius `r` centred at (`cx`, `cy`), filled and/or
    /// stroked (colour, width).
    pub(crate) fn circle(
        &mut self,
        cx: f32,
        cy: f32,
        r: f32,
        fill: Option<[u8; 4]>,
        stroke: Option<([u8; 4], f32)>,
    ) {
        if !(cx.is_finite() && cy.is_finite() && r.is_finite() && r > 0.0) {
            return;
        }
        if let Some(path) = PathBuilder::from_circle(cx, cy, r) {
            self.shape(&path, fill, stroke);
        }
    }

    /// A rectangle, filled and/or stroked (colour, width; the stroke is
    /// centred on the edges: use half-pixel coordinates for crisp 1 px lines).
    pub(crate) fn rect(
        &mut self,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Option<[u8; 4]>,
        stroke: Option<([u8; 4], f32)>,
    ) {
        if let Some(r) = Rect::from_xywh(x, y, w, h) {
            self.shape(&PathBuilder::from_rect(r), fill, stroke);
        }
    }

    /// A closed polygon (an arrow, a marker), filled with the non-zero rule
    /// and/or stroked with mitred corners.
    pub(crate) fn polygon_shape(
        &mut self,
        pts: &[(f32, f32)],
        fill: Option<[u8; 4]>,
        stroke: Option<([u8; 4], f32)>,
    ) {
        if let Some(path) = closed_path(pts) {
            self.shape(&path, fill, stroke);
        }
    }

    /// The advance width and line height (ascent − descent) of `s` in px at
    /// `size` px per em, for layout and label collision.
    pub(crate) fn text_size(s: &str, size: f32, bold: bool) -> (f32, f32) {
        match font(bold) {
            None => (0.0, 0.0),
            Some(f) => {
                let line = layout(f, s, size);
                (line.width, line.ascent - line.descent)
            }
        }
    }

    /// Draws one line of text anchored at (`x`, `y`) and returns the box it
    /// takes (x, y, width, height): the line box (advance width × ascent to
    /// descent), grown by the halo radius. The baseline and start are
    /// snapped to whole pixels for crisp glyphs. Control characters are
    /// skipped; characters DejaVu lacks draw as its empty box.
    pub(crate) fn text(
        &mut self,
        s: &str,
        x: f32,
        y: f32,
        style: &TextStyle,
    ) -> (f32, f32, f32, f32) {
        let Some(f) = font(style.bold) else {
            return (x, y, 0.0, 0.0);
        };
        if !(x.is_finite() && y.is_finite()) {
            return (x, y, 0.0, 0.0);
        }
        let line = layout(f, s, style.size);
        let left = match style.h {
            HAlign::Left => x,
            HAlign::Centre => x - line.width / 2.0,
            HAlign::Right => x - line.width,
        }
        .round();
        let baseline = match style.v {
            VAlign::Top => y + line.ascent,
            VAlign::Middle => y + line.ascent.midpoint(line.descent),
            VAlign::Baseline => y,
            VAlign::Bottom => y + line.descent,
        }
        .round();
        let halo = style
            .halo
            .filter(|(c, r)| r.is_finite() && *r > 0.0 && c[3] > 0)
            .map(|(c, r)| (c, r.min(64.0)));
        let grow = halo.map_or(0.0, |(_, r)| r);
        let bbox = (
            left - grow,
            baseline - line.ascent - grow,
            line.width + 2.0 * grow,
            line.ascent - line.descent + 2.0 * grow,
        );

        // Outline every glyph and find the pixels they touch.
        let outlines: Vec<_> = line
            .glyphs
            .into_iter()
            .filter_map(|mut g| {
                g.position = point(g.position.x + left, baseline);
                f.outline_glyph(g)
            })
            .collect();
        if outlines.is_empty() {
            return bbox;
        }
        // The pixels the glyphs and halo touch, clipped to the canvas (glyphs
        // wholly outside it are not rasterised).
        let pad = grow.ceil() as i64 + 1;
        let (cw, ch) = (i64::from(self.width()), i64::from(self.height()));
        let outlines: Vec<_> = outlines
            .into_iter()
            .filter(|o| {
                let b = o.px_bounds();
                b.max.x as i64 + pad > 0
                    && b.max.y as i64 + pad > 0
                    && (b.min.x as i64) - pad < cw
                    && (b.min.y as i64) - pad < ch
            })
            .collect();
        let (mut x0, mut y0, mut x1, mut y1) = (i64::MAX, i64::MAX, i64::MIN, i64::MIN);
        for o in &outlines {
            let b = o.px_bounds();
            x0 = x0.min(b.min.x as i64);
            y0 = y0.min(b.min.y as i64);
            x1 = x1.max(b.max.x as i64);
            y1 = y1.max(b.max.y as i64);
        }
        let (x0, y0) = ((x0 - pad).max(-pad), (y0 - pad).max(-pad));
        let (x1, y1) = ((x1 + pad).min(cw + pad), (y1 + pad).min(ch + pad));
        if x1 <= x0 || y1 <= y0 {
            return bbox;
        }
        let (bw, bh) = ((x1 - x0) as usize, (y1 - y0) as usize);

        // Coverage of the text (overlapping glyphs: the larger).
        let mut cover = vec![0.0_f32; bw * bh];
        for o in &outlines {
            let b = o.px_bounds();
            let (ox, oy) = (b.min.x as i64 - x0, b.min.y as i64 - y0);
            o.draw(|gx, gy, c| {
                let (cx, cy) = (ox + i64::from(gx), oy + i64::from(gy));
                if cx >= 0 && cy >= 0 && (cx as usize) < bw && (cy as usize) < bh {
                    let k = cy as usize * bw + cx as usize;
                    cover[k] = cover[k].max(c.clamp(0.0, 1.0));
                }
            });
        }

        // The halo: the coverage dilated by a disc of the radius, with a
        // one-pixel soft edge.
        if let Some((colour, r)) = halo {
            let reach = (r + 0.5).ceil() as i64;
            let mut disc = Vec::new();
            for dy in -reach..=reach {
                for dx in -reach..=reach {
                    let d = ((dx * dx + dy * dy) as f32).sqrt();
                    let w = (r + 0.5 - d).clamp(0.0, 1.0);
                    if w > 0.0 {
                        disc.push((dx, dy, w));
                    }
                }
            }
            for py in 0..bh as i64 {
                for px in 0..bw as i64 {
                    let mut h = 0.0_f32;
                    for &(dx, dy, w) in &disc {
                        let (sx, sy) = (px + dx, py + dy);
                        if sx >= 0 && sy >= 0 && (sx as usize) < bw && (sy as usize) < bh {
                            h = h.max(cover[sy as usize * bw + sx as usize] * w);
                        }
                    }
                    if h > 0.0 {
                        self.blend(x0 + px, y0 + py, colour, h);
                    }
                }
            }
        }
        for py in 0..bh {
            for px in 0..bw {
                let c = cover[py * bw + px];
                if c > 0.0 {
                    self.blend(x0 + px as i64, y0 + py as i64, style.colour, c);
                }
            }
        }
        bbox
    }

    /// The straight-alpha image.
    pub(crate) fn into_image(self) -> RgbaImage {
        let (w, h) = (self.width(), self.height());
        RgbaImage::from_raw(w, h, self.pixmap.take_demultiplied())
            .unwrap_or_else(|| RgbaImage::new(w, h))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WHITE: [u8; 4] = [255, 255, 255, 255];
    const RED: [u8; 4] = [200, 30, 40, 255];

    fn at(img: &RgbaImage, x: u32, y: u32) -> [u8; 4] {
        img.get_pixel(x, y).0
    }

    fn is_bg(p: [u8; 4]) -> bool {
        p == WHITE
    }

    #[test]
    fn bad_sizes_are_errors() {
        assert!(Canvas::new(0, 0, WHITE).is_err());
        assert!(Canvas::new(0, 10, WHITE).is_err());
        assert!(Canvas::new(10, 0, WHITE).is_err());
        assert!(Canvas::new(MAX_SIDE + 1, 10, WHITE).is_err());
        assert!(Canvas::new(MAX_SIDE, MAX_SIDE, WHITE).is_err());
        let c = Canvas::new(3, 2, WHITE).unwrap();
        assert_eq!((c.width(), c.height()), (3, 2));
    }

    #[test]
    fn filled_rect_and_polygon() {
        let mut c = Canvas::new(60, 40, WHITE).unwrap();
        c.rect(5.0, 5.0, 20.0, 10.0, Some(RED), None);
        // A square with a square hole (even-odd).
        let outer = vec![(30.0, 5.0), (55.0, 5.0), (55.0, 35.0), (30.0, 35.0)];
        let hole = vec![(38.0, 15.0), (47.0, 15.0), (47.0, 25.0), (38.0, 25.0)];
        c.fill_polygon(&[outer, hole], RED);
        let img = c.into_image();
        assert_eq!(at(&img, 15, 10), RED);
        assert_eq!(at(&img, 5, 5), RED);
        assert_eq!(at(&img, 24, 14), RED);
        assert!(is_bg(at(&img, 4, 10)));
        assert!(is_bg(at(&img, 25, 10)));
        assert!(is_bg(at(&img, 15, 16)));
        assert_eq!(at(&img, 33, 30), RED);
        assert!(is_bg(at(&img, 42, 20)), "the hole stays empty");
        assert!(is_bg(at(&img, 57, 20)));
    }

    #[test]
    fn strokes_circles_and_shapes_draw() {
        let mut c = Canvas::new(80, 80, WHITE).unwrap();
        c.stroke_line(
            &[(5.0, 10.5), (75.0, 10.5)],
            false,
            RED,
            3.0,
            Some((6.0, 4.0)),
        );
        c.circle(40.0, 40.0, 10.0, Some(RED), Some(([0, 0, 0, 255], 2.0)));
        c.polygon_shape(&[(5.0, 70.0), (15.0, 60.0), (25.0, 70.0)], Some(RED), None);
        // Degenerate input draws nothing and does not panic.
        c.stroke_line(&[(1.0, f32::NAN)], false, RED, 1.0, None);
        c.circle(1.0, 1.0, -3.0, Some(RED), None);
        c.rect(1.0, 1.0, 0.0, 5.0, Some(RED), None);
        c.stroke_line(&[(0.0, 0.0), (5.0, 5.0)], false, RED, 2.0, Some((0.0, 0.0)));
        let img = c.into_image();
        assert_eq!(at(&img, 7, 10), RED, "first dash");
        assert!(is_bg(at(&img, 13, 10)), "first gap");
        assert_eq!(at(&img, 17, 10), RED, "second dash");
        assert_eq!(at(&img, 40, 40), RED);
        assert_eq!(at(&img, 40, 30), [0, 0, 0, 255], "the outline");
        assert!(is_bg(at(&img, 40, 26)));
        assert_eq!(at(&img, 15, 67), RED);
    }

    #[test]
    fn half_transparent_fill_comes_back_straight() {
        let mut c = Canvas::new(10, 10, [0, 0, 0, 0]).unwrap();
        c.rect(0.0, 0.0, 6.0, 10.0, Some([200, 100, 50, 128]), None);
        c.fill_pixels(7, 0, 3, 3, [10, 220, 90, 77]);
        let img = c.into_image();
        let p = at(&img, 5, 5);
        for (got, want) in p.iter().zip([200, 100, 50, 128]) {
            assert!((i32::from(*got) - want).abs() <= 1, "{p:?}");
        }
        let p = at(&img, 8, 1);
        for (got, want) in p.iter().zip([10, 220, 90, 77]) {
            assert!((i32::from(*got) - want).abs() <= 1, "{p:?}");
        }
    }

    #[test]
    fn draw_image_composites_and_clips() {
        let mut c = Canvas::new(10, 10, WHITE).unwrap();
        let mut img = RgbaImage::new(4, 4);
        for p in img.pixels_mut() {
            p.0 = [0, 0, 255, 255];
        }
        img.put_pixel(0, 0, image::Rgba([0, 0, 0, 0]));
        img.put_pixel(1, 0, image::Rgba([0, 0, 0, 128]));
        c.draw_image(-1, -1, &img);
        c.draw_image(8, 8, &img);
        let out = c.into_image();
        assert_eq!(at(&out, 0, 0), [0, 0, 255, 255]);
        assert_eq!(at(&out, 2, 2), [0, 0, 255, 255]);
        assert!(is_bg(at(&out, 3, 3)));
        assert!(is_bg(at(&out, 8, 8)), "transparent source pixel");
        assert_eq!(
            at(&out, 9, 8),
            [127, 127, 127, 255],
            "half-transparent black"
        );
        assert_eq!(at(&out, 9, 9), [0, 0, 255, 255]);
    }

    #[test]
    fn text_draws_inside_its_box() {
        let mut c = Canvas::new(200, 60, WHITE).unwrap();
        let style = TextStyle::new(16.0, [0, 0, 0, 255]);
        let (bx, by, bw, bh) = c.text("Kildeparken", 20.0, 15.0, &style);
        // The start and baseline snap to whole pixels.
        assert!(
            (bx - 20.0).abs() <= 0.5 && (by - 15.0).abs() <= 0.5,
            "{bx} {by}"
        );
        let (w, h) = Canvas::text_size("Kildeparken", 16.0, false);
        assert!((bw - w).abs() < 1e-3 && (bh - h).abs() < 1e-3);
        let img = c.into_image();
        let mut inside = 0;
        for (x, y, p) in img.enumerate_pixels() {
            if is_bg(p.0) {
                continue;
            }
            let (x, y) = (x as f32, y as f32);
            let near = x >= bx - 2.0 && x <= bx + bw + 2.0 && y >= by - 2.0 && y <= by + bh + 2.0;
            assert!(near, "ink at {x},{y} outside {bx},{by},{bw},{bh}");
            if x >= bx && x < bx + bw && y >= by && y < by + bh {
                inside += 1;
            }
        }
        assert!(inside > 100, "{inside} inked pixels");
    }

    #[test]
    fn text_alignment_and_halo() {
        let mut c = Canvas::new(200, 60, [0, 0, 0, 255]).unwrap();
        let style = TextStyle::new(14.0, [255, 255, 255, 255])
            .bold()
            .halo([255, 0, 0, 255], 2.0)
            .align(HAlign::Centre, VAlign::Middle);
        let (bx, by, bw, bh) = c.text("Torv", 100.0, 30.0, &style);
        assert!((bx + bw / 2.0 - 100.0).abs() <= 1.0);
        assert!((by + bh / 2.0 - 30.0).abs() <= 1.5);
        let img = c.into_image();
        assert!(img.pixels().any(|p| p.0 == [255, 0, 0, 255]), "a halo");
        assert!(
            img.pixels().any(|p| p.0 == [255, 255, 255, 255]),
            "the text"
        );
        let right = TextStyle::new(14.0, [255; 4]).align(HAlign::Right, VAlign::Baseline);
        let mut c = Canvas::new(200, 60, [0, 0, 0, 255]).unwrap();
        let (bx, _, bw, _) = c.text("Torv", 150.0, 40.0, &right);
        assert!((bx + bw - 150.0).abs() <= 1.0);
    }

    #[test]
    fn text_size_grows_with_length() {
        let (a, h1) = Canvas::text_size("Torv", 12.0, false);
        let (b, h2) = Canvas::text_size("Bredgade Torv", 12.0, false);
        let (c, _) = Canvas::text_size("Bredgade Torv", 12.0, true);
        let (d, h3) = Canvas::text_size("Bredgade Torv", 24.0, false);
        assert!(a > 0.0 && b > a && c > b && d > b * 1.9);
        assert!((h1 - h2).abs() < 1e-6 && h1 > 12.0 && h3 > h1 * 1.9);
        assert!(Canvas::text_size("", 12.0, false).0.abs() < f32::EPSILON);
    }

    #[test]
    fn danish_letters_and_missing_glyphs_draw() {
        for s in ["æ", "ø", "å", "Æ", "Ø", "Å", "é"] {
            let mut c = Canvas::new(40, 40, WHITE).unwrap();
            c.text(s, 10.0, 8.0, &TextStyle::new(18.0, [0, 0, 0, 255]));
            let img = c.into_image();
            let ink = img.pixels().filter(|p| !is_bg(p.0)).count();
            assert!(ink > 10, "{s}: {ink}");
        }
        // Not in DejaVu Sans, and control characters: no panic.
        let mut c = Canvas::new(80, 40, WHITE).unwrap();
        c.text(
            "\u{1F600}\u{E000}a\nb\t",
            5.0,
            5.0,
            &TextStyle::new(12.0, [0, 0, 0, 255]),
        );
        c.text("x", f32::NAN, 5.0, &TextStyle::new(12.0, [0, 0, 0, 255]));
        c.text(
            "x",
            5.0,
            5.0,
            &TextStyle::new(f32::INFINITY, [0, 0, 0, 255]),
        );
        c.text(
            "far away",
            -5000.0,
            1e9,
            &TextStyle::new(12.0, [0, 0, 0, 255]),
        );
    }

    #[test]
    fn drawing_is_deterministic() {
        let draw = || {
            let mut c = Canvas::new(120, 40, [20, 120, 60, 255]).unwrap();
            let s = TextStyle::new(13.0, [0, 0, 0, 255]).halo([255, 255, 255, 220], 1.5);
            c.text("Åbent/lukket", 4.0, 10.0, &s);
            c.circle(100.0, 20.0, 8.5, Some([0, 0, 255, 128]), None);
            c.into_image()
        };
        assert_eq!(draw(), draw());
    }
}
