#![allow(clippy::unwrap_used)]
//! Stand-alone legend images: size, the colour bar's ends, PNG round trip.

use byrum::{ColourScale, Ramp, Scaling, legend_image};
use image::{ImageFormat, RgbaImage};

/// The colour bar: the row, first and last column of the longest run that
/// starts with the scale's bottom colour and ends with its top colour.
fn find_bar(img: &RgbaImage, scale: &ColourScale) -> Option<(u32, u32, u32)> {
    let (bottom, top) = (scale.colour_at(0.0), scale.colour_at(1.0));
    let mut best: Option<(u32, u32, u32)> = None;
    for y in 0..img.height() {
        let row: Vec<[u8; 4]> = (0..img.width()).map(|x| img.get_pixel(x, y).0).collect();
        let first = row.iter().position(|&p| p == bottom);
        let last = row.iter().rposition(|&p| p == top);
        if let (Some(a), Some(b)) = (first, last)
            && b > a
            && best.is_none_or(|(_, l, r)| b - a > (r - l) as usize)
        {
            best = Some((y, a as u32, b as u32));
        }
    }
    best
}

fn scales() -> Vec<(ColourScale, &'static str)> {
    vec![
        (
            ColourScale::new(Ramp::Viridis, (0.05, 12.0), Scaling::Linear).unwrap(),
            "linear",
        ),
        (
            ColourScale::new(Ramp::Magma, (0.1, 250.0), Scaling::Log).unwrap(),
            "log",
        ),
        (
            ColourScale::new(
                Ramp::YlOrRd,
                (0.02, 40.0),
                Scaling::Quantile(vec![0.02, 0.1, 0.4, 1.1, 2.5, 6.0, 13.0, 40.0]),
            )
            .unwrap(),
            "quantile",
        ),
    ]
}

#[test]
fn legend_has_the_width_and_the_bar_ends() {
    for width in [120, 260, 500] {
        for (scale, name) in scales() {
            let img = legend_image(
                &scale,
                "Hændelser, hverdagsaftener",
                "pr. hektar pr. 1.000 timer",
                width,
            )
            .unwrap();
            assert_eq!(img.width(), width, "{name}");
            assert!(
                img.height() > 40 && img.height() < 300,
                "{name}: {}",
                img.height()
            );
            let (y, left, right) = find_bar(&img, &scale).expect("a colour bar");
            // The bar spans the legend's inner width (10 px padding).
            assert_eq!(left, 10, "{name} at {width}: left end");
            assert_eq!(right, width - 11, "{name} at {width}: right end");
            assert_eq!(img.get_pixel(left, y).0, scale.colour_at(0.0));
            assert_eq!(img.get_pixel(right, y).0, scale.colour_at(1.0));
            // Every column in between is a colour of the ramp (opaque, not
            // white), the same down the bar.
            for x in left..=right {
                let p = img.get_pixel(x, y).0;
                assert_eq!(p[3], 255);
                assert_eq!(img.get_pixel(x, y + 3).0, p, "{name}: column {x}");
            }
            // A white background inside a frame.
            assert_eq!(img.get_pixel(3, 3).0, [255, 255, 255, 255]);
            assert_ne!(img.get_pixel(0, 0).0, [255, 255, 255, 255]);
        }
    }
}

#[test]
fn legend_round_trips_through_png() {
    for (scale, name) in scales() {
        let img = legend_image(&scale, "Incidents", "per hectare", 240).unwrap();
        let mut png = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png)
            .unwrap();
        let back = image::load_from_memory_with_format(&png, ImageFormat::Png)
            .unwrap()
            .to_rgba8();
        assert_eq!(back.dimensions(), img.dimensions(), "{name}");
        assert_eq!(back, img, "{name}");
    }
}

#[test]
fn legend_is_deterministic_and_checks_its_width() {
    let (scale, _) = scales().remove(1);
    let a = legend_image(&scale, "Å", "", 200).unwrap();
    let b = legend_image(&scale, "Å", "", 200).unwrap();
    assert_eq!(a, b);
    assert!(legend_image(&scale, "t", "u", 0).is_err());
    assert!(legend_image(&scale, "t", "u", 1_000_000).is_err());
}
