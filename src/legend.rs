//! Legends for a [`ColourScale`]: a title, a horizontal colour bar with
//! ticks and readable numbers, the unit, and a note that the map is
//! transparent below the scale's lower end.

use image::RgbaImage;

use crate::canvas::{Canvas, TextStyle};
use crate::error::{Error, Result};
use crate::heatmap::{ColourScale, Scaling};

const TITLE_SIZE: f32 = 13.0;
const LABEL_SIZE: f32 = 11.0;
const UNIT_SIZE: f32 = 11.0;
const NOTE_SIZE: f32 = 10.0;
/// Height of the colour bar in pixels (without its 1 px border).
const BAR_HEIGHT: u32 = 14;
const TICK_LENGTH: u32 = 4;
/// The least space between two tick labels, in pixels.
const LABEL_GAP: f32 = 8.0;
/// The most ticks a scale gets (labels that would collide are dropped).
const MAX_TICKS: usize = 6;
/// Ticks closer than this share of the bar to one of its ends give way to
/// the end.
const END_CLEARANCE: f64 = 0.03;
/// Padding of a stand-alone legend image.
const PAD: u32 = 10;
/// The narrowest and widest stand-alone legend image.
const MIN_WIDTH: u32 = 80;
const MAX_WIDTH: u32 = 4096;

const INK: [u8; 4] = [33, 33, 33, 255];
const MUTED: [u8; 4] = [102, 102, 102, 255];
const BAR_BORDER: [u8; 4] = [90, 90, 90, 255];
const TICK: [u8; 4] = [60, 60, 60, 255];
const FRAME: [u8; 4] = [180, 180, 180, 255];
const WHITE: [u8; 4] = [255, 255, 255, 255];

/// A number as a planner reads it: at most `sig` significant digits,
/// thousands grouped with commas ("1,200"), no trailing zeros ("0.5", "2"),
/// scientific notation ("2.5e-4", "1.2e6") only below 0.001 or from a
/// million up.
fn format_value(v: f64, sig: usize) -> String {
    if v == 0.0 {
        return "0".to_owned();
    }
    if !v.is_finite() {
        return v.to_string();
    }
    let sig = sig.clamp(1, 15);
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        let s = format!("{:.*e}", sig - 1, v);
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        return format!("{}e{e}", trim_zeros(m));
    }
    let mag = a.log10().floor() as i32;
    let decimals = (sig as i32 - 1 - mag).max(0) as usize;
    let rounded = if decimals == 0 {
        let q = 10f64.powi(mag + 1 - sig as i32);
        (v / q).round() * q
    } else {
        v
    };
    let s = format!("{rounded:.decimals$}");
    let s = trim_zeros(&s);
    let (sign, digits) = s.strip_prefix('-').map_or(("", s), |d| ("-", d));
    let (int, frac) = digits
        .split_once('.')
        .map_or((digits, None), |(i, f)| (i, Some(f)));
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// "1.500" → "1.5", "2.000" → "2", "120" → "120".
fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Labels for ascending tick values: 3 significant digits, more where
/// neighbours would otherwise read the same.
fn tick_labels(values: &[f64]) -> Vec<String> {
    let mut labels = Vec::new();
    for sig in 3..=8 {
        labels = values.iter().map(|&v| format_value(v, sig)).collect();
        if labels.windows(2).all(|w| w[0] != w[1]) {
            break;
        }
    }
    labels
}

/// 10^e, correctly rounded for negative exponents too (0.1, not
/// 0.10000000000000002).
fn pow10(e: i32) -> f64 {
    if e >= 0 {
        10f64.powi(e)
    } else {
        1.0 / 10f64.powi(-e)
    }
}

/// Multiples of a 1-2-5 step inside [lo, hi], with the smallest step that
/// gives at most `max` of them.
fn nice_linear(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    let span = hi - lo;
    if !(span > 0.0 && span.is_finite()) {
        return Vec::new();
    }
    let eps = span * 1e-9;
    let mut e = (span / 10.0).log10().floor() as i32;
    loop {
        for m in [1.0, 2.0, 5.0] {
            let step = m * pow10(e);
            let k0 = ((lo - eps) / step).ceil();
            let k1 = ((hi + eps) / step).floor();
            if k1 - k0 < max as f64 {
                return (k0 as i64..=k1 as i64)
                    .map(|k| {
                        // Whole multiples of a step of 1 or more stay exact; a
                        // step below 1 divides instead (0.3, not 0.30000000000000004).
                        if e >= 0 {
                            k as f64 * step
                        } else {
                            k as f64 * m / pow10(-e)
                        }
                    })
                    .collect();
            }
        }
        e += 1;
    }
}

/// 1, 2, 5 × powers of ten inside [lo, hi] (lo > 0); only the powers if
/// those are too many, every second or third power if even those are.
/// Empty when fewer than two fit (a narrow domain: use linear ticks).
fn nice_log(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return Vec::new();
    }
    let (e0, e1) = (lo.log10().floor() as i32 - 1, hi.log10().ceil() as i32 + 1);
    let inside = |v: &f64| *v >= lo * (1.0 - 1e-9) && *v <= hi * (1.0 + 1e-9);
    for mantissas in [&[1.0, 2.0, 5.0][..], &[1.0][..]] {
        let v: Vec<f64> = (e0..=e1)
            .flat_map(|e| mantissas.iter().map(move |m| m * pow10(e)))
            .filter(inside)
            .collect();
        if v.len() < 2 {
            return Vec::new();
        }
        if v.len() <= max {
            return v;
        }
    }
    let powers: Vec<i32> = (e0..=e1).filter(|&e| inside(&pow10(e))).collect();
    let stride = powers.len().div_ceil(max);
    powers
        .iter()
        .filter(|&&e| ((e - powers[0]) as usize).is_multiple_of(stride))
        .map(|&e| pow10(e))
        .collect()
}

/// At most `max` of the distinct quantile breaks, evenly spread, the first
/// and last always among them.
fn thin_breaks(breaks: &[f64], max: usize) -> Vec<f64> {
    let mut b = breaks.to_vec();
    b.dedup();
    if b.len() <= max || max < 2 {
        return b;
    }
    let n = b.len() - 1;
    let mut picked: Vec<f64> = (0..max)
        .map(|i| b[(i * n + (max - 1) / 2) / (max - 1)])
        .collect();
    picked.dedup();
    picked
}

/// The ticks of a scale as (value, position on the bar in [0, 1]),
/// ascending: nice values inside the domain and the bar's two ends.
fn ticks(scale: &ColourScale) -> Vec<(f64, f64)> {
    let (lo, hi) = scale.domain();
    let inner = match scale.scaling() {
        Scaling::Linear => nice_linear(lo, hi, MAX_TICKS),
        Scaling::Log => {
            let v = nice_log(lo, hi, MAX_TICKS);
            if v.is_empty() {
                nice_linear(lo, hi, MAX_TICKS)
            } else {
                v
            }
        }
        Scaling::Quantile(b) => thin_breaks(b, MAX_TICKS),
    };
    let ends = match scale.scaling() {
        Scaling::Quantile(_) => [scale.value_at(0.0), scale.value_at(1.0)],
        Scaling::Linear | Scaling::Log => [lo, hi],
    };
    let ends: Vec<(f64, f64)> = ends
        .into_iter()
        .filter_map(|v| scale.position(v).map(|t| (v, t)))
        .collect();
    let mut out: Vec<(f64, f64)> = inner
        .into_iter()
        .filter_map(|v| scale.position(v).map(|t| (v, t)))
        .filter(|&(_, t)| ends.iter().all(|&(_, e)| (t - e).abs() >= END_CLEARANCE))
        .collect();
    out.extend(ends);
    out.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.total_cmp(&b.0)));
    out.dedup_by(|a, b| a.0.total_cmp(&b.0).is_eq());
    out
}

/// Words of `s` in lines no wider than `width` px (a single longer word
/// gets a line of its own).
fn wrap(s: &str, size: f32, bold: bool, width: f32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if line.is_empty() || Canvas::text_size(&candidate, size, bold).0 <= width {
            line = candidate;
        } else {
            lines.push(std::mem::replace(&mut line, word.to_owned()));
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The vertical layout of a legend, in pixels from its top.
struct Plan {
    title: Vec<(String, f32)>,
    /// Top row of the colour bar (inside its border).
    bar: f32,
    labels: f32,
    unit: Vec<(String, f32)>,
    note: Vec<(String, f32)>,
    height: f32,
}

fn line_height(size: f32, bold: bool) -> f32 {
    Canvas::text_size("Åg", size, bold).1.ceil()
}

fn plan(width: f32, scale: &ColourScale, title: &str, unit: &str) -> Plan {
    let mut y = 0.0;
    let lines = |text: &str, size: f32, bold: bool, y: &mut f32| {
        let step = line_height(size, bold);
        wrap(text, size, bold, width)
            .into_iter()
            .map(|l| {
                let at = *y;
                *y += step;
                (l, at)
            })
            .collect::<Vec<_>>()
    };
    let title = lines(title, TITLE_SIZE, true, &mut y);
    if !title.is_empty() {
        y += 4.0;
    }
    let bar = y + 1.0;
    let labels = bar + (BAR_HEIGHT + 1 + TICK_LENGTH + 1) as f32;
    y = labels + line_height(LABEL_SIZE, false) + 3.0;
    let unit = lines(unit, UNIT_SIZE, false, &mut y);
    let note_text = format!("transparent below {}", format_value(scale.domain().0, 3));
    let note = lines(&note_text, NOTE_SIZE, false, &mut y);
    Plan {
        title,
        bar,
        labels,
        unit,
        note,
        height: y.ceil(),
    }
}

/// The height in pixels [`draw_legend`] uses for these arguments.
pub(crate) fn legend_height(width: f32, scale: &ColourScale, title: &str, unit: &str) -> f32 {
    plan(width, scale, title, unit).height
}

/// Draws a horizontal colour-bar legend for `scale` onto `canvas` in the box
/// at (`x`, `y`), `width` px wide: the title (bold, wrapped), the colour bar
/// (pixel column `i` of `n` shows `scale.colour_at(i / (n - 1))`) in a thin
/// border, ticks with labels that do not collide, the unit and a note that
/// the map is transparent below the domain's lower end. Returns the height
/// used, in pixels. The bar's border reaches one pixel outside the box.
pub(crate) fn draw_legend(
    canvas: &mut Canvas,
    x: f32,
    y: f32,
    width: f32,
    scale: &ColourScale,
    title: &str,
    unit: &str,
) -> f32 {
    if !(x.is_finite() && y.is_finite() && width.is_finite() && width >= 2.0) {
        return 0.0;
    }
    let p = plan(width, scale, title, unit);
    let left = |size: f32, bold: bool, colour| {
        let s = TextStyle::new(size, colour);
        if bold { s.bold() } else { s }
    };
    for (l, dy) in &p.title {
        canvas.text(l, x, y + dy, &left(TITLE_SIZE, true, INK));
    }

    // The bar on whole pixels, in a 1 px border.
    let (x0, y0) = (x.round() as i32, (y + p.bar).round() as i32);
    let n = (width.round() as u32).min(crate::canvas::MAX_SIDE);
    let last = f64::from(n - 1);
    for i in 0..n {
        let colour = scale.colour_at(f64::from(i) / last);
        canvas.fill_pixels(x0 + i as i32, y0, 1, BAR_HEIGHT, colour);
    }
    let bh = BAR_HEIGHT as i32;
    canvas.fill_pixels(x0 - 1, y0 - 1, n + 2, 1, BAR_BORDER);
    canvas.fill_pixels(x0 - 1, y0 + bh, n + 2, 1, BAR_BORDER);
    canvas.fill_pixels(x0 - 1, y0, 1, BAR_HEIGHT, BAR_BORDER);
    canvas.fill_pixels(x0 + n as i32, y0, 1, BAR_HEIGHT, BAR_BORDER);

    // Ticks under the bar; labels, the ends first, where they fit.
    let ticks = ticks(scale);
    let values: Vec<f64> = ticks.iter().map(|t| t.0).collect();
    let labels = tick_labels(&values);
    let mut order: Vec<usize> = (0..ticks.len()).collect();
    if ticks.len() > 1 {
        order.sort_by_key(|&i| usize::from(i != 0 && i != ticks.len() - 1));
    }
    let mut taken: Vec<(f32, f32)> = Vec::new();
    let label_style = TextStyle::new(LABEL_SIZE, INK);
    let (box_left, box_right) = (x0 as f32, (x0 + n as i32) as f32);
    for i in order {
        let column = x0 + (ticks[i].1 * last).round() as i32;
        canvas.fill_pixels(column, y0 + bh + 1, 1, TICK_LENGTH, TICK);
        let centre = column as f32 + 0.5;
        let w = Canvas::text_size(&labels[i], LABEL_SIZE, false).0;
        let l = (centre - w / 2.0).min(box_right - w).max(box_left);
        let free = taken
            .iter()
            .all(|&(a, b)| l + w + LABEL_GAP <= a || l >= b + LABEL_GAP);
        if free {
            taken.push((l, l + w));
            canvas.text(&labels[i], l, y + p.labels, &label_style);
        }
    }

    for (l, dy) in &p.unit {
        canvas.text(l, x, y + dy, &left(UNIT_SIZE, false, INK));
    }
    for (l, dy) in &p.note {
        canvas.text(l, x, y + dy, &left(NOTE_SIZE, false, MUTED));
    }
    p.height
}

/// A stand-alone legend for `scale`: `width` px wide, as tall as needed, on
/// white with a thin grey frame. It shows `title` (bold, wrapped), the
/// colour bar with ticks at readable values (1-2-5 steps on a linear scale,
/// 1-2-5 × powers of ten on a log scale, the breaks on a quantile scale),
/// `unit` under it and a note that the map is transparent below the scale's
/// lower end. Empty `title` or `unit` leave their lines out.
///
/// ```
/// use byrum::{ColourScale, Ramp, Scaling, legend_image};
/// let scale = ColourScale::new(Ramp::Viridis, (0.05, 12.0), Scaling::Linear)?;
/// let img = legend_image(&scale, "Incidents, weekday evenings", "per hectare per year", 260)?;
/// assert_eq!(img.width(), 260);
/// assert_eq!(img.get_pixel(0, 0).0[3], 255); // opaque
/// # Ok::<(), byrum::Error>(())
/// ```
///
/// # Errors
/// [`Error::Parameter`] for a width below 80 or above 4096 pixels.
pub fn legend_image(scale: &ColourScale, title: &str, unit: &str, width: u32) -> Result<RgbaImage> {
    if !(MIN_WIDTH..=MAX_WIDTH).contains(&width) {
        return Err(Error::parameter(
            "legend width",
            format!("{width} px: use {MIN_WIDTH} to {MAX_WIDTH}"),
        ));
    }
    let inner = (width - 2 * PAD) as f32;
    let height = plan(inner, scale, title, unit).height as u32 + 2 * PAD;
    let mut canvas = Canvas::new(width, height, WHITE)?;
    canvas.fill_pixels(0, 0, width, 1, FRAME);
    canvas.fill_pixels(0, height as i32 - 1, width, 1, FRAME);
    canvas.fill_pixels(0, 1, 1, height - 2, FRAME);
    canvas.fill_pixels(width as i32 - 1, 1, 1, height - 2, FRAME);
    draw_legend(
        &mut canvas,
        PAD as f32,
        PAD as f32,
        inner,
        scale,
        title,
        unit,
    );
    Ok(canvas.into_image())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heatmap::Ramp;

    fn values(scale: &ColourScale) -> Vec<f64> {
        ticks(scale).into_iter().map(|t| t.0).collect()
    }

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| (x - y).abs() <= 1e-9 * y.abs().max(1.0))
    }

    #[test]
    fn linear_ticks_are_1_2_5_steps_with_the_ends() {
        let s = ColourScale::new(Ramp::Viridis, (0.0, 10.0), Scaling::Linear).unwrap();
        assert_eq!(values(&s), [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(nice_linear(0.0, 1.0, 6), [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(nice_linear(0.0, 0.3, 6), [0.0, 0.1, 0.2, 0.3]);
        assert_eq!(
            tick_labels(&nice_linear(0.0, 0.012, 6)),
            ["0", "0.005", "0.01"]
        );
        // Ends that are not nice values are marked as well; a nice value
        // right at an end gives way to it.
        let s = ColourScale::new(Ramp::Viridis, (0.147, 7.34), Scaling::Linear).unwrap();
        assert!(
            close(&values(&s), &[0.147, 2.0, 4.0, 6.0, 7.34]),
            "{:?}",
            values(&s)
        );
        let s = ColourScale::new(Ramp::Viridis, (0.0, 10.1), Scaling::Linear).unwrap();
        assert!(
            close(&values(&s), &[0.0, 2.0, 4.0, 6.0, 8.0, 10.1]),
            "{:?}",
            values(&s)
        );
        let s = ColourScale::new(Ramp::Viridis, (-5.0, 5.0), Scaling::Linear).unwrap();
        assert_eq!(values(&s), [-5.0, -4.0, -2.0, 0.0, 2.0, 4.0, 5.0]);
        for (lo, hi) in [(0.0, 1e-7), (3.0, 3.001), (1e3, 1e9), (0.02, 0.021)] {
            let s = ColourScale::new(Ramp::Viridis, (lo, hi), Scaling::Linear).unwrap();
            let n = nice_linear(lo, hi, MAX_TICKS).len();
            assert!((2..=MAX_TICKS).contains(&n), "{lo}..{hi}: {n}");
            let v = values(&s);
            assert!(v.len() >= 2 && v.windows(2).all(|w| w[0] < w[1]), "{v:?}");
            let l = tick_labels(&v);
            assert!(l.windows(2).all(|w| w[0] != w[1]), "{l:?}");
        }
    }

    #[test]
    fn log_ticks_are_powers_of_ten() {
        let cases: [((f64, f64), &[f64]); 5] = [
            ((0.1, 100.0), &[0.1, 1.0, 10.0, 100.0]),
            ((1.0, 20.0), &[1.0, 2.0, 5.0, 10.0, 20.0]),
            ((1.0, 1e8), &[1.0, 100.0, 1e4, 1e6, 1e8]),
            ((0.03, 40.0), &[0.03, 0.1, 1.0, 10.0, 40.0]),
            // Too narrow for powers of ten: linear steps.
            ((3.0, 7.0), &[3.0, 4.0, 5.0, 6.0, 7.0]),
        ];
        for (domain, want) in cases {
            let s = ColourScale::new(Ramp::Viridis, domain, Scaling::Log).unwrap();
            assert!(close(&values(&s), want), "{domain:?}: {:?}", values(&s));
        }
    }

    #[test]
    fn quantile_ticks_are_thinned_breaks() {
        let b: Vec<f64> = (0..=20).map(|i| f64::from(i) * 0.5).collect();
        let s = ColourScale::new(Ramp::Viridis, (0.0, 10.0), Scaling::Quantile(b)).unwrap();
        let v = values(&s);
        assert!(v.len() <= MAX_TICKS && v.len() >= 3, "{v:?}");
        assert_eq!((v[0], v[v.len() - 1]), (0.0, 10.0));
        let s = ColourScale::new(
            Ramp::Viridis,
            (0.1, 9.0),
            Scaling::Quantile(vec![0.1, 0.1, 0.4, 2.0, 9.0]),
        )
        .unwrap();
        assert_eq!(values(&s), [0.1, 0.4, 2.0, 9.0]);
    }

    #[test]
    fn numbers_read_well() {
        let f = |v| format_value(v, 3);
        assert_eq!(f(0.05), "0.05");
        assert_eq!(f(0.5), "0.5");
        assert_eq!(f(2.0), "2");
        assert_eq!(f(15.0), "15");
        assert_eq!(f(1200.0), "1,200");
        assert_eq!(f(1234.5), "1,230");
        assert_eq!(f(123_456.0), "123,000");
        assert_eq!(f(999_999.0), "1,000,000");
        assert_eq!(f(0.123_456), "0.123");
        assert_eq!(f(0.001_234), "0.00123");
        assert_eq!(f(0.600_000_000_000_000_1), "0.6");
        assert_eq!(f(-1500.0), "-1,500");
        assert_eq!(f(0.0), "0");
        assert_eq!(f(-0.0), "0");
        assert_eq!(f(0.000_25), "2.5e-4");
        assert_eq!(f(2_500_000.0), "2.5e6");
        assert_eq!(format_value(1002.0, 4), "1,002");
        assert_eq!(
            tick_labels(&[1000.0, 1002.0, 1004.0]),
            ["1,000", "1,002", "1,004"]
        );
    }

    #[test]
    fn wrapping_keeps_words_whole() {
        let lines = wrap("Incidents per hectare, weekday evenings", 13.0, true, 120.0);
        assert!(lines.len() >= 2, "{lines:?}");
        assert_eq!(lines.join(" "), "Incidents per hectare, weekday evenings");
        assert!(wrap("", 13.0, true, 100.0).is_empty());
        assert_eq!(wrap("Supercalifragilistic", 13.0, true, 10.0).len(), 1);
    }

    #[test]
    fn draw_legend_reports_its_height() {
        let s = ColourScale::new(Ramp::Magma, (0.2, 40.0), Scaling::Log).unwrap();
        let mut c = Canvas::new(300, 200, WHITE).unwrap();
        let h = draw_legend(&mut c, 10.0, 10.0, 280.0, &s, "Hændelser", "pr. hektar");
        assert!(h > 40.0 && h < 150.0, "{h}");
        let img = c.into_image();
        let last_ink = img
            .enumerate_pixels()
            .filter(|(_, _, p)| p.0 != WHITE)
            .map(|(_, y, _)| y)
            .max()
            .unwrap();
        assert!(
            f64::from(last_ink) <= 10.0 + f64::from(h) && f64::from(last_ink) >= f64::from(h) - 5.0
        );
    }

    #[test]
    fn bad_widths_are_errors() {
        let s = ColourScale::new(Ramp::Viridis, (0.0, 1.0), Scaling::Linear).unwrap();
        assert!(legend_image(&s, "t", "u", 10).is_err());
        assert!(legend_image(&s, "t", "u", 100_000).is_err());
        assert!(legend_image(&s, "", "", 80).is_ok());
    }
}
