//! Explanations a citizen can read: for every project, funded or not and why, as data and as
//! Indonesian and English text.

use num_traits::Signed;

use crate::number::to_f64;
use crate::pabulib::Election;
use crate::rules::{Outcome, Stage};

/// Why a project was or was not funded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Bought by MES: its supporters paid for it from their equal shares.
    MesPaid,
    /// Picked by greedy (as the rule or as completion of MES).
    Greedy,
    /// Picked by sequential Phragmén.
    Phragmen,
    /// Costs nothing and has supporters (added before MES starts).
    Free,
    /// Nobody supported it.
    NoSupport,
    /// It costs more than the whole budget.
    OverBudget,
    /// MES: its supporters did not have enough money left.
    NotAffordable,
    /// Greedy: it did not fit in the budget left when its turn came.
    DidNotFit,
    /// Phragmén stopped before reaching it.
    RuleStopped,
}

/// The explanation of one project.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Explanation {
    /// Project id.
    pub project: String,
    /// Project name (or id).
    pub name: String,
    /// Cost.
    pub cost: f64,
    /// Whether it is funded.
    pub selected: bool,
    /// 1-based position in the selection order, when funded.
    pub position: Option<usize>,
    /// Voters who support it (positive satisfaction).
    pub supporters: u64,
    /// Why.
    pub reason: Reason,
    /// How it was funded (payments for MES), when funded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub funding: Option<Stage>,
    /// MES: money its supporters had left at the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_at_end: Option<f64>,
    /// Greedy/Phragmén: budget left when it was considered (or when the rule stopped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining_budget: Option<f64>,
    /// How much cheaper it would have had to be: for MES and greedy a sufficient condition
    /// (with that cost, and everything else equal, the rule funds it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cheaper_by: Option<f64>,
    /// MES: estimated additional supporters needed, each bringing one full per-voter budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub more_supporters: Option<u64>,
    /// Bahasa Indonesia.
    pub text_id: String,
    /// English.
    pub text_en: String,
}

/// Formats money with a thousands separator: `Id` → `1.250.000,5`, `En` → `1,250,000.5`.
fn money(x: f64, id: bool) -> String {
    let neg = x < 0.0;
    let x = x.abs();
    let cents = (x * 100.0).round();
    let int = (cents / 100.0).trunc() as u128;
    let frac = (cents - int as f64 * 100.0) as u32;
    let digits = int.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(if id { '.' } else { ',' });
        }
        grouped.push(c);
    }
    let mut s = format!("{}{}", if neg { "-" } else { "" }, grouped);
    if frac != 0 {
        s.push(if id { ',' } else { '.' });
        s.push_str(&format!("{frac:02}"));
    }
    s
}

fn count(n: u64, id: bool) -> String {
    money(n as f64, id)
}

/// Explains every project of the election (in file order).
pub fn explain(e: &Election, out: &Outcome) -> Vec<Explanation> {
    let cur = e.meta("currency").unwrap_or("").trim().to_owned();
    let m = |x: f64, id: bool| {
        if cur.is_empty() {
            money(x, id)
        } else {
            format!("{} {}", money(x, id), cur)
        }
    };
    let voter_budget = out.mes_voter_budget.as_ref().map(to_f64);
    (0..e.projects.len())
        .map(|p| {
            let proj = &e.projects[p];
            let cost = to_f64(&proj.cost);
            let name = e.project_name(p).to_owned();
            let label_en = if name == proj.id { format!("Project {}", proj.id) } else { format!("Project {} ({})", proj.id, name) };
            let label_id = if name == proj.id { format!("Proyek {}", proj.id) } else { format!("Proyek {} ({})", proj.id, name) };
            let supporters = out.supporters[p];
            let pos = out.steps.iter().position(|s| s.project == p);
            let mut x = Explanation {
                project: proj.id.clone(),
                name: name.clone(),
                cost,
                selected: pos.is_some(),
                position: pos.map(|i| i + 1),
                supporters,
                reason: Reason::NoSupport,
                funding: None,
                available_at_end: None,
                remaining_budget: None,
                cheaper_by: None,
                more_supporters: None,
                text_id: String::new(),
                text_en: String::new(),
            };
            if let Some(i) = pos {
                let step = &out.steps[i];
                let k = i + 1;
                x.funding = Some(step.stage.clone());
                match &step.stage {
                    Stage::Mes(pay) => {
                        x.reason = Reason::MesPaid;
                        let shared = pay.payers - pay.full_budget_payers;
                        let (share_en, share_id) = match pay.share_per_voter {
                            Some(s) if shared > 0 => (
                                format!("{} paid an equal share of {} each", count(shared, false), m(s, false)),
                                format!("{} membayar bagian yang sama sebesar {} per orang", count(shared, true), m(s, true)),
                            ),
                            _ => (
                                format!("{} paid in proportion to their points", count(shared, false)),
                                format!("{} membayar sebanding dengan poin mereka", count(shared, true)),
                            ),
                        };
                        let (full_en, full_id) = if pay.full_budget_payers > 0 {
                            (
                                format!(", {} paid all they had left", count(pay.full_budget_payers, false)),
                                format!(", {} membayar seluruh sisa anggarannya", count(pay.full_budget_payers, true)),
                            )
                        } else {
                            (String::new(), String::new())
                        };
                        x.text_en = format!(
                            "{label_en} is funded (step {k}). {} of its {} supporters paid for it: {share_en}{full_en}; in total {}.",
                            count(pay.payers, false), count(supporters, false), m(cost, false)
                        );
                        x.text_id = format!(
                            "{label_id} didanai (langkah {k}). {} dari {} pendukungnya membiayainya: {share_id}{full_id}; total {}.",
                            count(pay.payers, true), count(supporters, true), m(cost, true)
                        );
                    }
                    Stage::Greedy { remaining_before, .. } => {
                        x.reason = Reason::Greedy;
                        x.remaining_budget = Some(*remaining_before);
                        x.text_en = format!(
                            "{label_en} is funded (step {k}): projects are taken in order of satisfaction per unit of cost, and it fit in the {} still available.",
                            m(*remaining_before, false)
                        );
                        x.text_id = format!(
                            "{label_id} didanai (langkah {k}): proyek diambil menurut kepuasan per satuan biaya, dan biayanya muat dalam sisa anggaran {}.",
                            m(*remaining_before, true)
                        );
                    }
                    Stage::Phragmen { load } => {
                        x.reason = Reason::Phragmen;
                        let l = load.map(|l| m(l, false)).unwrap_or_else(|| "unchanged".into());
                        let li = load.map(|l| m(l, true)).unwrap_or_else(|| "tidak berubah".into());
                        x.text_en = format!(
                            "{label_en} is funded (step {k}): it kept the largest load any supporter carries lowest, at {l}."
                        );
                        x.text_id = format!(
                            "{label_id} didanai (langkah {k}): proyek ini menjaga beban terbesar pendukungnya tetap paling rendah, yaitu {li}."
                        );
                    }
                    Stage::FreeProject => {
                        x.reason = Reason::Free;
                        x.text_en = format!("{label_en} is funded: it costs nothing and has supporters.");
                        x.text_id = format!("{label_id} didanai: biayanya nol dan ada pendukungnya.");
                    }
                }
                return x;
            }
            let skipped = out.greedy_skipped.iter().find(|(q, _)| *q == p).map(|(_, r)| *r);
            if proj.cost > e.budget {
                x.reason = Reason::OverBudget;
                x.text_en = format!("{label_en} is not funded: its cost {} exceeds the whole budget {}.", m(cost, false), m(to_f64(&e.budget), false));
                x.text_id = format!("{label_id} tidak didanai: biayanya {} melebihi seluruh anggaran {}.", m(cost, true), m(to_f64(&e.budget), true));
            } else if supporters == 0 && !(out.options.rule == crate::Rule::Greedy || skipped.is_some()) {
                x.reason = Reason::NoSupport;
                x.text_en = format!("{label_en} is not funded: nobody supported it.");
                x.text_id = format!("{label_id} tidak didanai: tidak ada yang mendukungnya.");
            } else if let Some(rem) = skipped {
                x.reason = Reason::DidNotFit;
                x.remaining_budget = Some(rem);
                x.cheaper_by = Some((cost - rem).max(0.0));
                x.text_en = format!(
                    "{label_en} is not funded: when its turn came only {} of the budget was left, less than its cost {}. It would have been funded had it been {} cheaper.",
                    m(rem, false), m(cost, false), m(cost - rem, false)
                );
                x.text_id = format!(
                    "{label_id} tidak didanai: saat gilirannya tiba, sisa anggaran hanya {}, kurang dari biayanya {}. Proyek ini akan didanai jika biayanya {} lebih murah.",
                    m(rem, true), m(cost, true), m(cost - rem, true)
                );
            } else if let Some(&avail) = out.mes_available_at_end.get(p) {
                x.reason = Reason::NotAffordable;
                x.available_at_end = Some(avail);
                let short = (cost - avail).max(0.0);
                x.cheaper_by = Some(short);
                let more = voter_budget.filter(|b| *b > 0.0).map(|b| (short / b).ceil() as u64);
                x.more_supporters = more;
                let (more_en, more_id) = match more {
                    Some(n) => (
                        format!(", or with about {} more supporters", count(n, false)),
                        format!(", atau dengan sekitar {} pendukung tambahan", count(n, true)),
                    ),
                    None => (String::new(), String::new()),
                };
                x.text_en = format!(
                    "{label_en} is not funded: its {} supporters had only {} left, less than its cost {}. It would have been funded had it cost at most {} ({} cheaper){more_en}.",
                    count(supporters, false), m(avail, false), m(cost, false), m(avail, false), m(short, false)
                );
                x.text_id = format!(
                    "{label_id} tidak didanai: {} pendukungnya hanya memiliki sisa {}, kurang dari biayanya {}. Proyek ini akan didanai jika biayanya paling banyak {} ({} lebih murah){more_id}.",
                    count(supporters, true), m(avail, true), m(cost, true), m(avail, true), m(short, true)
                );
            } else if let Some((stop, rem)) = out.phragmen_stop {
                x.reason = Reason::RuleStopped;
                x.remaining_budget = Some(rem);
                if cost > rem {
                    x.cheaper_by = Some(cost - rem);
                }
                let sid = &e.projects[stop].id;
                x.text_en = format!(
                    "{label_en} is not funded: the rule stopped when project {sid} no longer fit the {} left.",
                    m(rem, false)
                );
                x.text_id = format!(
                    "{label_id} tidak didanai: aturan berhenti ketika proyek {sid} tidak lagi muat dalam sisa anggaran {}.",
                    m(rem, true)
                );
            } else {
                x.reason = Reason::NoSupport;
                x.text_en = format!("{label_en} is not funded: nobody supported it.");
                x.text_id = format!("{label_id} tidak didanai: tidak ada yang mendukungnya.");
            }
            let _ = proj.cost.is_positive();
            x
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::money;

    #[test]
    fn money_uses_local_separators() {
        assert_eq!(money(1_250_000.0, true), "1.250.000");
        assert_eq!(money(1_250_000.5, false), "1,250,000.50");
        assert_eq!(money(339.8, true), "339,80");
        assert_eq!(money(0.0, false), "0");
    }
}
