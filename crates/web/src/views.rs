//! View models: what templates and API responses show, built from the
//! indicator tables, maps and sessions. No business rules here.

use askama::Template;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use sejahtera_app::accounts::SessionInfo;
use sejahtera_app::indicators::{
    DISTRIBUTION_BINS, DISTRIBUTION_STEP, IndicatorTables, LineUsed, RegionFigures,
};
use sejahtera_domain::RegionCode;
use sejahtera_domain::region::{Level, Regions, TimeZone};

use crate::error::Failure;
use crate::i18n::{Lang, Tr};
use crate::map::{self, Maps};

/// The navigation bar.
#[derive(Debug, Clone)]
pub struct Nav {
    /// Current language.
    pub lang: Lang,
    /// Signed-in user's display name.
    pub user: Option<String>,
    /// Whether the user may use the console.
    pub staff: bool,
    /// Whether the user manages users.
    pub admin: bool,
    /// Whether the user speaks for a partner (sees referrals addressed to it).
    pub partner: bool,
    /// CSRF token for the sign-out form.
    pub csrf: String,
    /// Path of the current page (for the language switch).
    pub here: String,
}

impl Nav {
    /// Navigation for a visitor.
    pub fn anonymous(lang: Lang) -> Nav {
        Nav {
            lang,
            user: None,
            staff: false,
            admin: false,
            partner: false,
            csrf: String::new(),
            here: "/".into(),
        }
    }

    /// Navigation for a page at `here`.
    pub fn new(lang: Lang, session: Option<&SessionInfo>, here: &str) -> Nav {
        Nav {
            lang,
            user: session.map(|s| s.display_name.clone()),
            staff: session.is_some_and(|s| s.actor.is_staff()),
            admin: session.is_some_and(|s| s.actor.may_manage_users()),
            partner: session.is_some_and(|s| s.actor.partner.is_some()),
            csrf: session.map(|s| s.csrf_token.clone()).unwrap_or_default(),
            here: here.to_string(),
        }
    }

    /// Whether the page is part of the staff console (it holds personal data).
    pub fn staff_page(&self) -> bool {
        self.here.starts_with("/staff")
    }

    /// The language-switch link.
    pub fn switch_href(&self) -> String {
        format!("/lang/{}?next={}", self.lang.other().code(), self.here)
    }
}

/// One shape of a map, coloured.
#[derive(Debug, Clone)]
pub struct MapShape {
    /// Region code.
    pub code: String,
    /// Region name.
    pub name: String,
    /// SVG path.
    pub d: String,
    /// Fill colour.
    pub fill: &'static str,
    /// Tooltip text.
    pub title: String,
}

/// A coloured map.
#[derive(Debug, Clone)]
pub struct MapView {
    /// View box width.
    pub width: f64,
    /// View box height.
    pub height: f64,
    /// Shapes.
    pub shapes: Vec<MapShape>,
}

/// One legend entry.
#[derive(Debug, Clone)]
pub struct LegendItem {
    /// Fill.
    pub fill: &'static str,
    /// Label.
    pub label: String,
}

/// A bar of the distribution chart.
#[derive(Debug, Clone)]
pub struct Bar {
    /// x position.
    pub x: f64,
    /// y position (top).
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
    /// Tooltip.
    pub title: String,
}

/// A region page.
#[derive(Debug, Clone)]
pub struct RegionView {
    /// The region's figures.
    pub fig: RegionFigures,
    /// Ancestors, from the regency down (code, name).
    pub trail: Vec<(String, String)>,
    /// Poverty line used.
    pub line: Option<LineUsed>,
    /// Maps: (title key, map).
    pub maps: Vec<(&'static str, MapView)>,
    /// Legend.
    pub legend: Vec<LegendItem>,
    /// Lorenz curve polyline points (in a 200×200 box) and the Gini text.
    pub lorenz_points: Option<String>,
    /// Distribution bars (in a 320×160 box).
    pub bars: Vec<Bar>,
    /// Tick labels of the distribution's x axis: (x, label).
    pub bar_ticks: Vec<(f64, String)>,
    /// Child table: (title key, rows).
    pub children: Option<(&'static str, Vec<RegionFigures>)>,
    /// "Updated …" text.
    pub updated: String,
}

fn region_title(t: &Tr, f: &RegionFigures) -> String {
    format!("{}: P0 {}", f.name, t.opt_pct(f.p0, 1))
}

fn map_view(t: &Tr, tables: &IndicatorTables, regions: &Regions, m: &map::Map) -> MapView {
    MapView {
        width: m.width,
        height: m.height,
        shapes: m
            .shapes
            .iter()
            .map(|s| {
                let fig = tables.regions.get(&s.code);
                let name = fig
                    .map(|f| f.name.clone())
                    .or_else(|| {
                        RegionCode::parse(&s.code)
                            .ok()
                            .and_then(|c| regions.get(&c).map(|r| r.name.clone()))
                    })
                    .unwrap_or_else(|| s.code.clone());
                let p0 = fig.and_then(|f| f.p0);
                MapShape {
                    code: s.code.clone(),
                    title: match fig {
                        Some(f) if !f.suppressed => region_title(t, f),
                        _ => format!("{name}: — ({})", t.t("map.suppressed")),
                    },
                    name,
                    d: s.d.clone(),
                    fill: map::fill(p0),
                }
            })
            .collect(),
    }
}

/// Builds the view of a region page.
pub fn region_view(
    t: &Tr,
    tables: &IndicatorTables,
    regions: &Regions,
    maps: &Maps,
    code: &RegionCode,
) -> Option<RegionView> {
    let fig = tables.get(code)?.clone();
    let level = code.level();
    let trail = regions
        .ancestors(code)
        .into_iter()
        .filter(|r| r.level != Level::Province)
        .map(|r| (r.code.to_string(), r.name.clone()))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let mut map_list = Vec::new();
    match level {
        Level::Regency => {
            if let Some(m) = maps.get(code, Level::District) {
                map_list.push(("map.title_district", map_view(t, tables, regions, m)));
            }
            if let Some(m) = maps.get(code, Level::Village) {
                map_list.push(("map.title_village", map_view(t, tables, regions, m)));
            }
        }
        Level::District => {
            if let Some(m) = maps.get(code, Level::Village) {
                map_list.push(("map.title_village", map_view(t, tables, regions, m)));
            }
        }
        _ => {}
    }
    let legend = map::LEGEND
        .iter()
        .map(|(fill, lo, hi)| LegendItem {
            fill,
            label: match hi {
                Some(hi) => format!("{} – {}", t.pct(*lo, 0), t.pct(*hi, 0)),
                None => format!("≥ {}", t.pct(*lo, 0)),
            },
        })
        .chain(std::iter::once(LegendItem {
            fill: map::fill(None),
            label: format!("— ({})", t.t("map.suppressed")),
        }))
        .collect();
    let lorenz_points = fig.lorenz.as_ref().map(|pts| {
        pts.iter()
            .map(|(p, l)| format!("{:.1},{:.1}", p * 200.0, 200.0 - l * 200.0))
            .collect::<Vec<_>>()
            .join(" ")
    });
    let mut bars = Vec::new();
    let mut bar_ticks = Vec::new();
    if let Some(dist) = &fig.distribution {
        let max = dist.iter().copied().max().unwrap_or(0).max(1) as f64;
        let w = 320.0 / DISTRIBUTION_BINS as f64;
        for (i, &n) in dist.iter().enumerate() {
            let h = 150.0 * n as f64 / max;
            let lo = i as f64 * DISTRIBUTION_STEP;
            let range = if i + 1 == DISTRIBUTION_BINS {
                format!("≥ {}", t.dec(lo, 2))
            } else {
                format!("{}–{}", t.dec(lo, 2), t.dec(lo + DISTRIBUTION_STEP, 2))
            };
            bars.push(Bar {
                x: i as f64 * w + 1.0,
                y: 160.0 - h,
                w: w - 2.0,
                h,
                title: format!("{range}: {}", t.int(n)),
            });
        }
        for k in 0..=4 {
            bar_ticks.push((k as f64 / DISTRIBUTION_STEP * w, format!("{}×", k)));
        }
    }
    let children = match level {
        Level::Regency => Some(("table.districts", tables.children(regions, code))),
        Level::District => Some(("table.villages", tables.children(regions, code))),
        _ => None,
    }
    .map(|(k, v)| (k, v.into_iter().cloned().collect()));
    let zone = code.timezone().unwrap_or(TimeZone::Wib);
    Some(RegionView {
        line: tables.line_for(code).cloned(),
        updated: t.datetime(tables.computed_at, zone),
        fig,
        trail,
        maps: map_list,
        legend,
        lorenz_points,
        bars,
        bar_ticks,
        children,
    })
}

/// A rendered page.
pub(crate) fn html(t: &impl Template) -> Result<Response, Failure> {
    let body = t
        .render()
        .map_err(|e| Failure::Internal(anyhow::anyhow!("template: {e}")))?;
    Ok(Html(body).into_response())
}

/// A page that no browser or proxy keeps (staff pages hold personal data).
pub(crate) fn private(mut r: Response) -> Response {
    // Staff pages hold personal data: never cached by browsers or proxies.
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
