//! Proxy-means test (PMT): the proxies of a household, their encoding as regressors,
//! the weights, the score and the ranking into deciles.
//!
//! The score is the predicted natural log of monthly per-capita consumption:
//! `konstanta + Σ weight × proxy`. Fitting the weights (least squares on a survey
//! sample) lives in the application; everything here is pure. See `docs/pmt.md`.

use std::collections::BTreeMap;

use crate::codes::*;

/// Age from which a member counts as elderly (`lansia`).
pub const ELDERLY_AGE: i32 = 60;
/// Age below which a member counts as a child (`anak`).
pub const CHILD_AGE: i32 = 15;

/// The proxies of one household.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Proxies {
    /// District code (`53.71.01`), for the regional dummies.
    pub district: String,
    /// Floor.
    pub lantai: Option<Lantai>,
    /// Walls.
    pub dinding: Option<Dinding>,
    /// Roof.
    pub atap: Option<Atap>,
    /// Water.
    pub sumber_air: Option<SumberAir>,
    /// Toilet.
    pub sanitasi: Option<Sanitasi>,
    /// Electricity.
    pub listrik: Option<Listrik>,
    /// Cooking fuel.
    pub bahan_bakar: Option<BahanBakar>,
    /// Tenure.
    pub status_rumah: Option<StatusRumah>,
    /// Members.
    pub size: u32,
    /// Members younger than [`CHILD_AGE`].
    pub children: u32,
    /// Members aged [`ELDERLY_AGE`] or more.
    pub elderly: u32,
    /// Whether the head is a woman.
    pub head_female: bool,
    /// The head's education.
    pub head_pendidikan: Option<Pendidikan>,
    /// The head's sector of work.
    pub head_sektor: Option<Sektor>,
}

/// The group of household-composition regressors in the weights file.
pub const COMPOSITION: &str = "rumah_tangga";
/// The group of district dummies in the weights file.
pub const DISTRICT: &str = "kecamatan";
/// Household-composition regressors.
pub const COMPOSITION_KEYS: &[&str] = &[
    "ln_jumlah_anggota",
    "porsi_anak",
    "porsi_lansia",
    "kepala_perempuan",
];

/// The coded groups of regressors, in file order: group name and its values.
/// The first value of each group is the reference category (no dummy).
pub fn coded_groups() -> Vec<(&'static str, Vec<&'static str>)> {
    fn v<C: Code>() -> Vec<&'static str> {
        C::ALL.iter().map(|(_, s)| *s).collect()
    }
    vec![
        ("lantai", v::<Lantai>()),
        ("dinding", v::<Dinding>()),
        ("atap", v::<Atap>()),
        ("sumber_air", v::<SumberAir>()),
        ("sanitasi", v::<Sanitasi>()),
        ("listrik", v::<Listrik>()),
        ("bahan_bakar", v::<BahanBakar>()),
        ("status_rumah", v::<StatusRumah>()),
        ("kepala.pendidikan", v::<Pendidikan>()),
        ("kepala.sektor", v::<Sektor>()),
    ]
}

/// A regressor: its group (a table of the weights file) and key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Feature {
    /// `lantai`, `rumah_tangga`, `kecamatan`, …
    pub group: String,
    /// `keramik`, `porsi_anak`, `53.71.02`, …
    pub key: String,
}

impl Feature {
    /// A feature.
    pub fn new(group: &str, key: &str) -> Feature {
        Feature {
            group: group.to_string(),
            key: key.to_string(),
        }
    }
}

impl std::fmt::Display for Feature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.group, self.key)
    }
}

impl Proxies {
    /// The non-zero regressors of this household (without the constant).
    ///
    /// Coded proxies give a dummy for every value but the group's first (the
    /// reference); a missing value counts as the reference. Districts give a dummy
    /// each; which district is the reference is decided when fitting.
    pub fn features(&self) -> Vec<(Feature, f64)> {
        let mut out = Vec::with_capacity(16);
        let mut code = |group: &str, value: Option<&'static str>, first: &str| {
            if let Some(v) = value
                && v != first
            {
                out.push((Feature::new(group, v), 1.0));
            }
        };
        fn s<C: Code>(c: Option<C>) -> Option<&'static str> {
            c.map(|c| c.as_str())
        }
        fn first<C: Code>() -> &'static str {
            C::ALL[0].1
        }
        code("lantai", s(self.lantai), first::<Lantai>());
        code("dinding", s(self.dinding), first::<Dinding>());
        code("atap", s(self.atap), first::<Atap>());
        code("sumber_air", s(self.sumber_air), first::<SumberAir>());
        code("sanitasi", s(self.sanitasi), first::<Sanitasi>());
        code("listrik", s(self.listrik), first::<Listrik>());
        code("bahan_bakar", s(self.bahan_bakar), first::<BahanBakar>());
        code("status_rumah", s(self.status_rumah), first::<StatusRumah>());
        code(
            "kepala.pendidikan",
            s(self.head_pendidikan),
            first::<Pendidikan>(),
        );
        code("kepala.sektor", s(self.head_sektor), first::<Sektor>());
        let n = f64::from(self.size.max(1));
        out.push((Feature::new(COMPOSITION, "ln_jumlah_anggota"), n.ln()));
        out.push((
            Feature::new(COMPOSITION, "porsi_anak"),
            f64::from(self.children) / n,
        ));
        out.push((
            Feature::new(COMPOSITION, "porsi_lansia"),
            f64::from(self.elderly) / n,
        ));
        if self.head_female {
            out.push((Feature::new(COMPOSITION, "kepala_perempuan"), 1.0));
        }
        if !self.district.is_empty() {
            out.push((Feature::new(DISTRICT, &self.district), 1.0));
        }
        out.retain(|(_, v)| *v != 0.0);
        out
    }
}

/// Fitted PMT weights (the contents of a weights file).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Weights {
    /// The constant.
    pub konstanta: f64,
    /// Weight of each regressor; regressors not listed weigh 0.
    pub weights: BTreeMap<Feature, f64>,
    /// R² of the fit, if known.
    pub r2: Option<f64>,
    /// Sample size of the fit, if known.
    pub n: Option<u64>,
    /// Free-text description of where the weights come from.
    pub source: Option<String>,
}

impl Weights {
    /// The PMT score of a household: predicted log monthly per-capita consumption.
    pub fn score(&self, p: &Proxies) -> f64 {
        self.konstanta
            + p.features()
                .iter()
                .map(|(f, v)| self.weights.get(f).copied().unwrap_or(0.0) * v)
                .sum::<f64>()
    }
}

/// Deciles 1–10 (1 = poorest) of the households of one area.
///
/// Households are ordered by score ascending, ties broken by `key` ascending (the
/// KK number), so the ranking is total and reproducible; the household at 0-based
/// rank `r` of `n` gets decile `floor(10 r / n) + 1`. Each decile therefore holds
/// a tenth of the households (`n / 10`, rounded down or up), and equal scores may
/// fall into adjacent deciles. A `NaN` score ranks as the richest.
///
/// ```
/// use sejahtera_domain::pmt::deciles;
/// let d = deciles(&[3.0, 1.0, 2.0, 1.0], &[1, 2, 3, 4]);
/// assert_eq!(d, vec![8, 1, 6, 3]);
/// ```
pub fn deciles(scores: &[f64], keys: &[u64]) -> Vec<u8> {
    let n = scores.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (scores[a], scores[b]);
        let x = if x.is_nan() { f64::INFINITY } else { x };
        let y = if y.is_nan() { f64::INFINITY } else { y };
        x.total_cmp(&y).then(keys[a].cmp(&keys[b]))
    });
    let mut out = vec![0u8; n];
    for (r, &i) in order.iter().enumerate() {
        out[i] = (r * 10 / n) as u8 + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reference_categories_have_no_dummy() {
        let p = Proxies {
            district: "53.71.02".into(),
            lantai: Some(Lantai::Tanah),
            dinding: Some(Dinding::Tembok),
            size: 4,
            children: 2,
            elderly: 0,
            head_female: true,
            ..Proxies::default()
        };
        let f = p.features();
        let names: Vec<String> = f.iter().map(|(f, _)| f.to_string()).collect();
        assert_eq!(
            names,
            [
                "dinding.tembok",
                "rumah_tangga.ln_jumlah_anggota",
                "rumah_tangga.porsi_anak",
                "rumah_tangga.kepala_perempuan",
                "kecamatan.53.71.02"
            ]
        );
        assert_eq!(f[2].1, 0.5);
        let mut w = Weights {
            konstanta: 13.0,
            ..Weights::default()
        };
        w.weights.insert(Feature::new("dinding", "tembok"), 0.25);
        w.weights
            .insert(Feature::new("rumah_tangga", "porsi_anak"), -0.5);
        assert_eq!(w.score(&p), 13.0);
    }

    proptest! {
        #[test]
        fn deciles_hold_a_tenth_each_and_follow_the_score(
            scores in prop::collection::vec(prop_oneof![(0i32..50).prop_map(f64::from), Just(f64::NAN)], 1..300)
        ) {
            let keys: Vec<u64> = (0..scores.len() as u64).rev().collect();
            let d = deciles(&scores, &keys);
            let n = scores.len();
            for k in 1..=10u8 {
                let c = d.iter().filter(|&&x| x == k).count();
                prop_assert!(c == n / 10 || c == n.div_ceil(10), "decile {} has {} of {}", k, c, n);
            }
            for i in 0..n {
                for j in 0..n {
                    let (a, b) = (scores[i], scores[j]);
                    if !a.is_nan() && (b.is_nan() || a < b) {
                        prop_assert!(d[i] <= d[j]);
                    }
                }
            }
        }
    }
}
