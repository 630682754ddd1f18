#![allow(clippy::unwrap_used, clippy::float_cmp, clippy::type_complexity)]
//! Overview images: sizes, determinism, services marked by their state in
//! the bin, small multiples of one extent and scale.

use byrum::{
    Attributes, Bandwidth, ColourScale, DensitySurface, Kde, MetricGrid, OpenState, OverviewMap,
    Place, PlaceKind, Projection, Ramp, Scaling, Schedule, Service, ServiceKind,
};

fn setup() -> (Projection, DensitySurface, (f64, f64, f64, f64), (f64, f64)) {
    let p = Projection::etrs89_utm32();
    let (x, y) = p.forward(9.9187, 57.0488).unwrap(); // Arkivpladsen
    let extent = (x - 600.0, y - 400.0, x + 600.0, y + 400.0);
    let grid = MetricGrid::covering(extent, 10.0).unwrap();
    let s = Kde::new()
        .bandwidth(Bandwidth::Fixed(150.0))
        .compute(&grid, &[x + 300.0, x + 310.0], &[y, y + 20.0], None)
        .unwrap();
    (p, s, extent, (x, y))
}

fn service(p: &Projection, x: f64, y: f64, name: &str) -> Service {
    let (lon, lat) = p.inverse(x, y).unwrap();
    Service {
        id: name.into(),
        name: name.into(),
        point: geo::Point::new(lon, lat),
        kind: ServiceKind::parse("warming_room"),
        target_groups: vec![],
        opening_hours: Some(Schedule::parse("24/7", None).unwrap()),
        attributes: Attributes::default(),
    }
}

#[test]
fn overview_has_the_size_asked_and_is_deterministic() {
    let (p, s, extent, _) = setup();
    let scale = ColourScale::new(Ramp::Viridis, (0.02 * s.max(), s.max()), Scaling::Log).unwrap();
    let map = OverviewMap::new(&p, extent, &scale).width(1000);
    let a = map.render(&s, "Title æøå", "subtitle", None).unwrap();
    let b = map.render(&s, "Title æøå", "subtitle", None).unwrap();
    assert_eq!(a.width(), 1000);
    // Header 96 + footer 34 + the padded extent's aspect (1272 × 872 m).
    let map_h = (872.0f64 / (1272.0 / 1000.0)).round() as u32;
    assert_eq!(a.height(), 96 + 34 + map_h);
    assert_eq!(a.as_raw(), b.as_raw());
    // The density shows east of the centre in the ramp's top colour.
    let top = scale.colour(s.max());
    let (cx, cy) = (500 + (300.0 / 1.272) as u32, 96 + map_h / 2);
    let px = a.get_pixel(cx, cy).0;
    for k in 0..3 {
        assert!(px[k].abs_diff(top[k]) < 40, "{px:?} vs {top:?}");
    }
    // PNG round trip.
    let mut bytes = Vec::new();
    a.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Png,
    )
    .unwrap();
    let back = image::load_from_memory(&bytes).unwrap().to_rgba8();
    assert_eq!(back.as_raw(), a.as_raw());
}

#[test]
fn services_are_marked_open_partly_or_closed() {
    let (p, s, extent, (x, y)) = setup();
    let scale = ColourScale::new(Ramp::Viridis, (0.5 * s.max(), s.max()), Scaling::Linear).unwrap();
    // Three services west of the density, where nothing is coloured.
    let services = [
        service(&p, x - 400.0, y + 200.0, "A"),
        service(&p, x - 400.0, y, "B"),
        service(&p, x - 400.0, y - 200.0, "C"),
    ];
    let map = OverviewMap::new(&p, extent, &scale)
        .width(1000)
        .services(&services);
    let img = map
        .render(
            &s,
            "t",
            "s",
            Some(&[OpenState::Open, OpenState::Partly, OpenState::Closed]),
        )
        .unwrap();
    let m = 1272.0 / 1000.0;
    let map_h = img.height() - 96 - 34;
    let at = |dx: f64, dy: f64| {
        let px = (500.0 + dx / m) as u32;
        let py = (f64::from(96 + map_h / 2) - dy / m) as u32;
        img.get_pixel(px, py).0
    };
    assert_eq!(at(-400.0, 200.0), [27, 120, 55, 255]); // open: green
    assert_eq!(at(-400.0, 0.0), [230, 145, 30, 255]); // partly: orange
    assert_eq!(at(-400.0, -200.0), [255, 255, 255, 255]); // closed: white centre
    // A wrong number of states is an error, not a panic.
    assert!(map.render(&s, "t", "s", Some(&[OpenState::Open])).is_err());
}

#[test]
fn places_are_outlined_and_named() {
    let (p, s, extent, (x, y)) = setup();
    let scale = ColourScale::new(Ramp::Viridis, (0.5 * s.max(), s.max()), Scaling::Linear).unwrap();
    let ring: Vec<(f64, f64)> = [
        (-500.0, -300.0),
        (-200.0, -300.0),
        (-200.0, -100.0),
        (-500.0, -100.0),
        (-500.0, -300.0),
    ]
    .iter()
    .map(|(dx, dy)| p.inverse(x + dx, y + dy).unwrap())
    .collect();
    let place = Place {
        id: "p".into(),
        name: "Kildeparken".into(),
        geometry: geo::MultiPolygon(vec![geo::Polygon::new(ring.into(), vec![])]),
        kind: PlaceKind::parse("park"),
        attributes: Attributes::default(),
    };
    let places = [place];
    let plain = OverviewMap::new(&p, extent, &scale).width(1000);
    let with = OverviewMap::new(&p, extent, &scale)
        .width(1000)
        .places(&places);
    let a = plain.render(&s, "t", "s", None).unwrap();
    let b = with.render(&s, "t", "s", None).unwrap();
    // Dark pixels (outline and name) appear only around the place.
    let dark = |img: &image::RgbaImage, x0: u32, x1: u32, y0: u32, y1: u32| {
        (y0..y1)
            .flat_map(|yy| (x0..x1).map(move |xx| (xx, yy)))
            .filter(|&(xx, yy)| img.get_pixel(xx, yy).0[0] < 80)
            .count()
    };
    let map_h = a.height() - 96 - 34;
    let cy = 96 + map_h / 2;
    let (px0, px1) = (
        (500.0 - 510.0 / 1.272) as u32,
        (500.0 - 190.0 / 1.272) as u32,
    );
    let (py0, py1) = (
        (f64::from(cy) + 90.0 / 1.272) as u32,
        (f64::from(cy) + 310.0 / 1.272) as u32,
    );
    assert_eq!(dark(&a, px0, px1, py0, py1), 0);
    assert!(dark(&b, px0, px1, py0, py1) > 500);
}

#[test]
fn small_multiples_share_one_frame() {
    let (p, s, extent, _) = setup();
    let scale = ColourScale::new(Ramp::Magma, (0.02 * s.max(), s.max()), Scaling::Linear).unwrap();
    let map = OverviewMap::new(&p, extent, &scale).width(1200);
    let rows = vec!["00–12 h".to_owned(), "12–24 h".to_owned()];
    let cols = vec![
        "winter".to_owned(),
        "spring".to_owned(),
        "summer".to_owned(),
    ];
    let panels = vec![&s; 6];
    let img = map
        .small_multiples(&panels, &rows, &cols, "t", "s")
        .unwrap();
    assert_eq!(img.width(), 1200);
    assert!(img.height() > 400);
    assert!(
        map.small_multiples(&panels[..5], &rows, &cols, "t", "s")
            .is_err()
    );
    assert!(
        OverviewMap::new(&p, extent, &scale)
            .width(200)
            .render(&s, "t", "s", None)
            .is_err()
    );
    let empty = (extent.0, extent.1, extent.0, extent.3);
    assert!(
        OverviewMap::new(&p, empty, &scale)
            .render(&s, "t", "s", None)
            .is_err()
    );
}
