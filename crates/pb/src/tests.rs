//! Property tests against the naive references, invariants and hand-computed regressions.

use num_traits::{Signed, Zero};
use proptest::prelude::*;

use crate::mes::Engine;
use crate::number::{Q, int};
use crate::pabulib::{self, Election};
use crate::profile::{Grouping, Prepared, Satisfaction};
use crate::reference::{naive_greedy, naive_mes, naive_phragmen};
use crate::rules::{Completion, Options, Rule, Stage, solve};

/// Builds a `.pb` text from costs, ballots (project indices, optional points) and a budget.
fn election(costs: &[i64], ballots: &[Vec<(usize, i64)>], budget: i64, points: bool) -> Election {
    let mut s = format!(
        "META\nkey;value\nbudget;{budget}\nvote_type;{}\nPROJECTS\nproject_id;cost\n",
        if points { "cumulative" } else { "approval" }
    );
    for (i, c) in costs.iter().enumerate() {
        s.push_str(&format!("p{i};{c}\n"));
    }
    s.push_str(if points {
        "VOTES\nvoter_id;vote;points\n"
    } else {
        "VOTES\nvoter_id;vote\n"
    });
    for (v, b) in ballots.iter().enumerate() {
        let ids: Vec<String> = b.iter().map(|(p, _)| format!("p{p}")).collect();
        if points {
            let pts: Vec<String> = b.iter().map(|(_, x)| x.to_string()).collect();
            s.push_str(&format!("{v};{};{}\n", ids.join(","), pts.join(",")));
        } else {
            s.push_str(&format!("{v};{}\n", ids.join(",")));
        }
    }
    pabulib::parse(&s).expect("generated election parses")
}

fn ids(e: &Election, sel: &[usize]) -> Vec<String> {
    sel.iter().map(|&p| e.projects[p].id.clone()).collect()
}

fn arb_election(points: bool) -> impl Strategy<Value = Election> {
    (1usize..6, 1usize..10, 0usize..3).prop_flat_map(move |(np, nv, cost_style)| {
        // cost_style 0: few distinct costs (many exact ties), otherwise spread out.
        let cost = if cost_style == 0 {
            prop::sample::select(vec![10i64, 20, 30]).boxed()
        } else {
            (1i64..60).boxed()
        };
        let ballot = prop::collection::vec((0..np, 1i64..4), 0..=np);
        (
            prop::collection::vec(cost, np),
            prop::collection::vec(ballot, nv),
            10i64..120,
        )
            .prop_map(move |(costs, mut ballots, budget)| {
                for b in &mut ballots {
                    b.sort_by_key(|x| x.0);
                    b.dedup_by_key(|x| x.0);
                }
                election(&costs, &ballots, budget, points)
            })
    })
}

fn sats(points: bool) -> Vec<Satisfaction> {
    if points {
        vec![Satisfaction::Points, Satisfaction::Cost]
    } else {
        vec![Satisfaction::Cost, Satisfaction::Cardinality]
    }
}

fn b0(e: &Election) -> Q {
    &e.budget / Q::from_integer((e.votes.len() as i64).into())
}

fn opts(rule: Rule, sat: Satisfaction, completion: Completion) -> Options {
    Options {
        rule,
        sat,
        completion,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn mes_matches_naive_reference(e in arb_election(false), pe in arb_election(true)) {
        for (e, points) in [(&e, false), (&pe, true)] {
            for sat in sats(points) {
                let out = solve(e, &opts(Rule::Mes, sat, Completion::None)).unwrap();
                prop_assert_eq!(ids(e, &out.selected()), ids(e, &naive_mes(e, sat, &b0(e))), "sat {:?}", sat);
            }
        }
    }

    #[test]
    fn fast_path_equals_exact_path_at_every_add1_budget(e in arb_election(false), k in 0i64..30) {
        for (sat, grouping) in sats(false).into_iter().flat_map(|s| [(s, Grouping::Always), (s, Grouping::Never)]) {
            let prep = Prepared::new(&e, sat, grouping).unwrap();
            let costs: Vec<Q> = e.projects.iter().map(|p| p.cost.clone()).collect();
            let names: Vec<&str> = e.projects.iter().map(|p| p.id.as_str()).collect();
            let cands: Vec<usize> = (0..costs.len()).filter(|&p| prep.positive_sat(p).0.is_positive() && costs[p].is_positive()).collect();
            let engine = Engine::new(&prep, &costs, &names, &cands);
            let b = b0(&e) + int(k);
            let exact = engine.run_exact(&b);
            prop_assert_eq!(engine.run(&b).selected, exact.selected.clone());
            // MES budget accounting in exact arithmetic: nobody ends with a negative budget.
            prop_assert!(exact.final_budgets().all(|x| x >= 0.0), "negative budget");
            prop_assert!(engine.run(&b).final_budgets().all(|x| x >= 0.0), "negative budget (fast path)");
        }
    }

    #[test]
    fn add1_ends_exhaustive_or_because_the_next_increment_overspends(e in arb_election(false), pe in arb_election(true)) {
        for (e, points) in [(&e, false), (&pe, true)] {
            for sat in sats(points) {
                let out = solve(e, &opts(Rule::Mes, sat, Completion::Add1)).unwrap();
                let sel = out.selected();
                let Some(b) = out.mes_voter_budget.clone() else { continue };
                let prep = Prepared::new(e, sat, Grouping::Always).unwrap();
                // Exhaustive over the projects someone supports (as pabutools checks it).
                let exhaustive = (0..e.projects.len()).all(|p| {
                    !prep.positive_sat(p).0.is_positive()
                        || sel.contains(&p)
                        || &out.total_cost + &e.projects[p].cost > e.budget
                });
                if exhaustive {
                    continue;
                }
                // Not exhaustive: pabutools' Add1 stops only when one more increment overspends.
                let costs: Vec<Q> = e.projects.iter().map(|p| p.cost.clone()).collect();
                let names: Vec<&str> = e.projects.iter().map(|p| p.id.as_str()).collect();
                let cands: Vec<usize> = (0..costs.len()).filter(|&p| prep.positive_sat(p).0.is_positive() && costs[p].is_positive()).collect();
                let free: Q = (0..costs.len()).filter(|&p| prep.positive_sat(p).0.is_positive() && !costs[p].is_positive()).map(|p| costs[p].clone()).sum();
                let engine = Engine::new(&prep, &costs, &names, &cands);
                let overspends = |b: &Q| {
                    let r = engine.run_exact(b);
                    &free + r.selected.iter().map(|&p| costs[p].clone()).sum::<Q>() > e.budget
                };
                prop_assert!(overspends(&b) || overspends(&(&b + int(1))), "Add1 stopped early {:?}\n{}", sat, crate::pabulib::write(e));
            }
        }
    }

    #[test]
    fn greedy_matches_naive_reference(e in arb_election(false), pe in arb_election(true)) {
        for (e, points) in [(&e, false), (&pe, true)] {
            for sat in sats(points) {
                let out = solve(e, &opts(Rule::Greedy, sat, Completion::None)).unwrap();
                prop_assert_eq!(ids(e, &out.selected()), ids(e, &naive_greedy(e, sat, &[])));
            }
        }
    }

    #[test]
    fn phragmen_matches_naive_reference(e in arb_election(false)) {
        let out = solve(&e, &opts(Rule::Phragmen, Satisfaction::Cost, Completion::None)).unwrap();
        prop_assert_eq!(ids(&e, &out.selected()), ids(&e, &naive_phragmen(&e)));
    }

    #[test]
    fn outcomes_are_feasible_and_mes_accounting_is_sound(e in arb_election(false), pe in arb_election(true)) {
        for (e, points) in [(&e, false), (&pe, true)] {
            for sat in sats(points) {
                for rule in [Rule::Greedy, Rule::Mes] {
                    for completion in [Completion::None, Completion::Add1, Completion::Greedy] {
                        let out = solve(e, &opts(rule, sat, completion)).unwrap();
                        let total: Q = out.selected().iter().map(|&p| e.projects[p].cost.clone()).sum();
                        prop_assert_eq!(&total, &out.total_cost);
                        prop_assert!(total <= e.budget, "infeasible {:?} {:?}", rule, completion);
                        let mut seen = out.selected();
                        seen.sort_unstable();
                        seen.dedup();
                        prop_assert_eq!(seen.len(), out.steps.len(), "a project selected twice");
                        for s in &out.steps {
                            if let Stage::Mes(pay) = &s.stage {
                                let cost = crate::number::to_f64(&e.projects[s.project].cost);
                                prop_assert!(pay.paid_total >= 0.0 && (pay.paid_total - cost).abs() <= 1e-6 * cost.max(1.0));
                                prop_assert!(pay.full_budget_payers <= pay.payers);
                            }
                        }
                        prop_assert!(out.mes_available_at_end.iter().all(|a| *a >= 0.0), "negative MES budget");
                        if rule == Rule::Greedy || completion == Completion::Greedy {
                            // exhaustive: nothing else fits
                            let sel = out.selected();
                            for p in 0..e.projects.len() {
                                prop_assert!(sel.contains(&p) || &total + &e.projects[p].cost > e.budget, "not exhaustive");
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn mes_hand_computed_two_groups() {
    // 3 voters, budget 90 → 30 each. Voters 1,2 like a (cost 60), voter 3 likes b (cost 30) and c (cost 40).
    // a: ρ = 60/(2·60) = 1/2 (each pays 30); b: 30/30 = 1 (voter 3 pays 30); c unaffordable (30 < 40).
    let e = election(
        &[60, 30, 40],
        &[vec![(0, 1)], vec![(0, 1)], vec![(1, 1), (2, 1)]],
        90,
        false,
    );
    let out = solve(&e, &opts(Rule::Mes, Satisfaction::Cost, Completion::None)).unwrap();
    assert_eq!(ids(&e, &out.selected()), ["p0", "p1"]);
    let Stage::Mes(pay) = &out.steps[0].stage else {
        panic!("MES stage expected")
    };
    assert_eq!(pay.payers, 2);
    assert_eq!(pay.share_per_voter, Some(30.0));
}

#[test]
fn ties_break_on_lexicographic_ids_not_numeric() {
    // Projects "10" and "9" identical: pabutools compares names as strings, so "10" < "9".
    let text = "META\nkey;value\nbudget;10\nvote_type;approval\nPROJECTS\nproject_id;cost\n9;10\n10;10\nVOTES\nvoter_id;vote\n1;9,10\n";
    let e = pabulib::parse(text).unwrap();
    for rule in [Rule::Greedy, Rule::Mes, Rule::Phragmen] {
        let out = solve(&e, &opts(rule, Satisfaction::Cost, Completion::None)).unwrap();
        assert_eq!(ids(&e, &out.selected()), ["10"], "{rule:?}");
    }
}

#[test]
fn phragmen_stops_at_first_unaffordable_minimum() {
    // a (cost 80, 3 votes) is the best choice but the second pick b (cost 30) no longer fits:
    // Phragmén stops instead of skipping b, so the cheap c is never considered.
    let e = election(
        &[80, 30, 10],
        &[
            vec![(0, 1), (1, 1)],
            vec![(0, 1), (1, 1)],
            vec![(0, 1)],
            vec![(2, 1)],
        ],
        100,
        false,
    );
    let out = solve(
        &e,
        &opts(Rule::Phragmen, Satisfaction::Cost, Completion::None),
    )
    .unwrap();
    assert_eq!(ids(&e, &out.selected()), ids(&e, &naive_phragmen(&e)));
    assert!(out.phragmen_stop.is_some());
}

#[test]
fn add1_returns_previous_outcome_when_increment_overspends() {
    // With equal shares a's supporters (2 of 3 voters) hold 2/3·budget < cost: MES funds nothing
    // until budgets grow; Add1 must never return an outcome over the budget.
    let e = election(
        &[70, 40],
        &[vec![(0, 1)], vec![(0, 1)], vec![(1, 1)]],
        100,
        false,
    );
    let out = solve(&e, &opts(Rule::Mes, Satisfaction::Cost, Completion::Add1)).unwrap();
    assert!(out.total_cost <= e.budget);
    assert!(out.mes_iterations > 1);
    assert_eq!(ids(&e, &out.selected()), ["p0"]);
}

#[test]
fn points_satisfaction_rejected_for_approval_ballots() {
    let e = election(&[10], &[vec![(0, 1)]], 10, false);
    assert!(solve(&e, &opts(Rule::Mes, Satisfaction::Points, Completion::None)).is_err());
}

#[test]
fn zero_cost_supported_projects_are_funded_first_by_mes() {
    let e = election(&[0, 10], &[vec![(0, 1), (1, 1)]], 10, false);
    let out = solve(
        &e,
        &opts(Rule::Mes, Satisfaction::Cardinality, Completion::None),
    )
    .unwrap();
    assert_eq!(ids(&e, &out.selected()), ["p0", "p1"]);
    assert!(matches!(out.steps[0].stage, Stage::FreeProject));
    assert!(out.total_cost == int(10) && !out.total_cost.is_zero());
}

const SEED: &str = "META\nkey;value\nbudget;100\nvote_type;cumulative\nPROJECTS\nproject_id;cost;name\n1;60;\"Road; x\"\n2;50;Well\nVOTES\nvoter_id;vote;points\nv1;1,2;3,2\nv2;2;5\n";

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, .. ProptestConfig::default() })]

    #[test]
    fn parser_never_panics_on_arbitrary_text(s in "(?s).{0,300}") {
        let _ = pabulib::parse(&s);
    }

    #[test]
    fn parser_never_panics_on_mutated_files(pos in 0usize..200, len in 0usize..20, ins in "[;,\"\n0-9a-zA-Z.-]{0,8}") {
        let mut s = SEED.to_owned();
        let start = pos.min(s.len());
        let end = (start + len).min(s.len());
        if s.is_char_boundary(start) && s.is_char_boundary(end) {
            s.replace_range(start..end, &ins);
        }
        if let Ok(e) = pabulib::parse(&s) {
            // whatever is accepted round-trips
            let again = pabulib::parse(&pabulib::write(&e)).expect("written election parses");
            prop_assert_eq!(again.projects, e.projects.clone());
            prop_assert_eq!(again.votes.len(), e.votes.len());
        }
    }
}
