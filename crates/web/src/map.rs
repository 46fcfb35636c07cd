//! Choropleth maps drawn as inline SVG from the shipped GeoJSON boundaries
//! (`data/wilayah/*_{district,village}.geojson`): no tiles, no scripts.
//!
//! Boundaries are projected once at start-up (equirectangular, scaled by the
//! cosine of the map's mean latitude), simplified (Douglas–Peucker at a fraction
//! of a pixel) and kept as SVG path strings per map: one map of the districts
//! and one of the villages of each regency, and one of the villages of each district.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use sejahtera_domain::RegionCode;
use sejahtera_domain::region::Level;
use serde_json::Value;

/// Width of every map's view box.
pub const MAP_WIDTH: f64 = 600.0;

/// Simplification tolerance in view-box units.
const TOLERANCE: f64 = 0.5;

/// One region's outline.
#[derive(Debug, Clone)]
pub struct Shape {
    /// Region code.
    pub code: String,
    /// SVG path data.
    pub d: String,
    /// Label anchor (the region's centroid, projected).
    pub label: (f64, f64),
}

/// A projected map.
#[derive(Debug, Clone)]
pub struct Map {
    /// View box width.
    pub width: f64,
    /// View box height.
    pub height: f64,
    /// The outlines.
    pub shapes: Vec<Shape>,
}

/// Every map, by (parent region code, level of the shapes).
#[derive(Debug, Clone, Default)]
pub struct Maps {
    maps: HashMap<(String, Level), Map>,
}

struct Feature {
    code: RegionCode,
    rings: Vec<Vec<(f64, f64)>>, // lon, lat
    centroid: (f64, f64),
}

impl Maps {
    /// Loads and projects every `*.geojson` file of `<data_dir>/wilayah`.
    /// A missing directory gives no maps (pages then show tables only).
    pub fn load(data_dir: &Path) -> anyhow::Result<Maps> {
        let dir = data_dir.join("wilayah");
        let mut features = Vec::new();
        if let Ok(entries) = std::fs::read_dir(&dir) {
            let mut files: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
            files.sort();
            for f in files {
                if f.extension().and_then(|e| e.to_str()) != Some("geojson") {
                    continue;
                }
                let text = std::fs::read_to_string(&f)
                    .with_context(|| format!("cannot read {}", f.display()))?;
                let v: Value = serde_json::from_str(&text)
                    .with_context(|| format!("{} is not valid GeoJSON", f.display()))?;
                features.extend(parse_features(&v));
            }
        }
        let mut groups: HashMap<(String, Level), Vec<&Feature>> = HashMap::new();
        for f in &features {
            let level = f.code.level();
            match level {
                Level::District => {
                    if let Some(regency) = f.code.at_level(Level::Regency) {
                        groups
                            .entry((regency.to_string(), level))
                            .or_default()
                            .push(f);
                    }
                }
                Level::Village => {
                    for parent in [Level::Regency, Level::District] {
                        if let Some(p) = f.code.at_level(parent) {
                            groups.entry((p.to_string(), level)).or_default().push(f);
                        }
                    }
                }
                _ => {}
            }
        }
        let maps = groups
            .into_iter()
            .map(|(k, mut fs)| {
                fs.sort_by(|a, b| a.code.cmp(&b.code));
                (k, project(&fs))
            })
            .collect();
        Ok(Maps { maps })
    }

    /// The map of the regions at `level` under `parent`.
    pub fn get(&self, parent: &RegionCode, level: Level) -> Option<&Map> {
        self.maps.get(&(parent.to_string(), level))
    }
}

fn parse_features(v: &Value) -> Vec<Feature> {
    let mut out = Vec::new();
    let Some(list) = v.get("features").and_then(Value::as_array) else {
        return out;
    };
    for f in list {
        let props = f.get("properties");
        let Some(code) = props
            .and_then(|p| p.get("code"))
            .and_then(Value::as_str)
            .and_then(|c| RegionCode::parse(c).ok())
        else {
            continue;
        };
        let geom = f.get("geometry");
        let kind = geom.and_then(|g| g.get("type")).and_then(Value::as_str);
        let coords = geom.and_then(|g| g.get("coordinates"));
        let mut rings = Vec::new();
        let ring_of = |r: &Value| -> Option<Vec<(f64, f64)>> {
            r.as_array()?
                .iter()
                .map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
                .collect()
        };
        match (kind, coords.and_then(Value::as_array)) {
            (Some("Polygon"), Some(poly)) => rings.extend(poly.iter().filter_map(ring_of)),
            (Some("MultiPolygon"), Some(polys)) => {
                for poly in polys.iter().filter_map(Value::as_array) {
                    rings.extend(poly.iter().filter_map(ring_of));
                }
            }
            _ => continue,
        }
        if rings.is_empty() {
            continue;
        }
        let c = |k: &str| props.and_then(|p| p.get(k)).and_then(Value::as_f64);
        let centroid = match (c("centroid_lng"), c("centroid_lat")) {
            (Some(x), Some(y)) => (x, y),
            _ => {
                let n = rings[0].len().max(1) as f64;
                (
                    rings[0].iter().map(|p| p.0).sum::<f64>() / n,
                    rings[0].iter().map(|p| p.1).sum::<f64>() / n,
                )
            }
        };
        out.push(Feature {
            code,
            rings,
            centroid,
        });
    }
    out
}

fn project(features: &[&Feature]) -> Map {
    let (mut min_x, mut max_x, mut min_y, mut max_y) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for f in features {
        for r in &f.rings {
            for &(x, y) in r {
                min_x = min_x.min(x);
                max_x = max_x.max(x);
                min_y = min_y.min(y);
                max_y = max_y.max(y);
            }
        }
    }
    let kx = ((min_y + max_y) / 2.0).to_radians().cos();
    let span_x = ((max_x - min_x) * kx).max(1e-9);
    let scale = MAP_WIDTH / span_x;
    let height = ((max_y - min_y) * scale).max(1.0);
    let pt = |(x, y): (f64, f64)| ((x - min_x) * kx * scale, (max_y - y) * scale);
    let shapes = features
        .iter()
        .map(|f| {
            let mut d = String::new();
            for r in &f.rings {
                let projected: Vec<(f64, f64)> = r.iter().copied().map(pt).collect();
                let simple = simplify(&projected, TOLERANCE);
                if simple.len() < 3 {
                    continue;
                }
                for (i, (x, y)) in simple.iter().enumerate() {
                    d.push(if i == 0 { 'M' } else { 'L' });
                    d.push_str(&fmt1(*x));
                    d.push(' ');
                    d.push_str(&fmt1(*y));
                }
                d.push('Z');
            }
            Shape {
                code: f.code.to_string(),
                d,
                label: pt(f.centroid),
            }
        })
        .collect();
    Map {
        width: MAP_WIDTH,
        height: height.ceil(),
        shapes,
    }
}

/// One decimal, without a trailing `.0`.
fn fmt1(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// Douglas–Peucker simplification of a ring (first and last points kept).
pub fn simplify(points: &[(f64, f64)], tolerance: f64) -> Vec<(f64, f64)> {
    if points.len() <= 3 {
        return points.to_vec();
    }
    let mut keep = vec![false; points.len()];
    keep[0] = true;
    keep[points.len() - 1] = true;
    let mut stack = vec![(0usize, points.len() - 1)];
    while let Some((a, b)) = stack.pop() {
        if b <= a + 1 {
            continue;
        }
        let (mut worst, mut at) = (0.0, a);
        for i in a + 1..b {
            let d = distance_to_segment(points[i], points[a], points[b]);
            if d > worst {
                worst = d;
                at = i;
            }
        }
        if worst > tolerance {
            keep[at] = true;
            stack.push((a, at));
            stack.push((at, b));
        }
    }
    // A closed ring whose first and last points coincide keeps its farthest
    // point too, so that it never collapses to a line.
    if points.first() == points.last() && keep.iter().filter(|k| **k).count() < 4 {
        let far = (1..points.len() - 1)
            .max_by(|&i, &j| {
                let di = dist(points[i], points[0]);
                let dj = dist(points[j], points[0]);
                di.total_cmp(&dj)
            })
            .unwrap_or(1);
        keep[far] = true;
        let mid = (1..points.len() - 1)
            .filter(|&i| i != far)
            .max_by(|&i, &j| {
                distance_to_segment(points[i], points[0], points[far])
                    .total_cmp(&distance_to_segment(points[j], points[0], points[far]))
            })
            .unwrap_or(far);
        keep[mid] = true;
    }
    points
        .iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(p, _)| *p)
        .collect()
}

fn dist(a: (f64, f64), b: (f64, f64)) -> f64 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

fn distance_to_segment(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    if len2 == 0.0 {
        return dist(p, a);
    }
    let t = (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0);
    dist(p, (a.0 + t * dx, a.1 + t * dy))
}

/// The fill of a poverty rate class; grey when suppressed.
pub fn fill(p0: Option<f64>) -> &'static str {
    match p0 {
        None => "#d4d4d4",
        Some(v) if v < 0.05 => "#fee5d9",
        Some(v) if v < 0.10 => "#fcae91",
        Some(v) if v < 0.15 => "#fb6a4a",
        Some(v) if v < 0.20 => "#de2d26",
        Some(_) => "#a50f15",
    }
}

/// The legend: (fill, lower bound, upper bound) of each class.
pub const LEGEND: &[(&str, f64, Option<f64>)] = &[
    ("#fee5d9", 0.0, Some(0.05)),
    ("#fcae91", 0.05, Some(0.10)),
    ("#fb6a4a", 0.10, Some(0.15)),
    ("#de2d26", 0.15, Some(0.20)),
    ("#a50f15", 0.20, None),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simplification_keeps_corners_and_drops_collinear_points() {
        let square = [
            (0.0, 0.0),
            (5.0, 0.0),
            (10.0, 0.0),
            (10.0, 10.0),
            (0.0, 10.0),
            (0.0, 0.0),
        ];
        let s = simplify(&square, 0.5);
        assert_eq!(
            s,
            vec![
                (0.0, 0.0),
                (10.0, 0.0),
                (10.0, 10.0),
                (0.0, 10.0),
                (0.0, 0.0)
            ]
        );
    }

    #[test]
    fn shipped_boundaries_load_into_maps() {
        let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
        let maps = Maps::load(&data).unwrap();
        let kupang = RegionCode::parse("53.71").unwrap();
        let d = maps.get(&kupang, Level::District).unwrap();
        assert_eq!(d.shapes.len(), 6);
        assert!(
            d.shapes
                .iter()
                .all(|s| s.d.starts_with('M') && s.d.ends_with('Z'))
        );
        let v = maps.get(&kupang, Level::Village).unwrap();
        assert_eq!(v.shapes.len(), 51);
        let alak = RegionCode::parse("53.71.01").unwrap();
        assert!(maps.get(&alak, Level::Village).unwrap().shapes.len() >= 5);
        let sarolangun = RegionCode::parse("15.03").unwrap();
        assert_eq!(
            maps.get(&sarolangun, Level::District).unwrap().shapes.len(),
            11
        );
    }

    #[test]
    fn classes_cover_the_legend() {
        assert_eq!(fill(Some(0.0824)), "#fcae91");
        assert_eq!(fill(None), "#d4d4d4");
        assert_eq!(fill(Some(0.5)), "#a50f15");
    }
}
