//! The fuzz target's checks, one copy for two callers: the fuzz target
//! (`fuzz_targets/parse.rs`) and the corpus replay of `cargo test`
//! (`crates/pb/tests/fuzz_corpus.rs`), which include this file with `#[path]`.
//! The parser must never panic; whatever it accepts must survive a write/parse round trip,
//! and small accepted elections must run through every rule.

use sejahtera_pb::{Completion, Options, Rule, Satisfaction, pabulib, solve};

/// Runs the checks on one input; panics if one fails.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = pabulib::parse(text);
    // Parsing an owned copy (what the CLI does) gives the same election or the same error.
    assert_eq!(
        parsed.as_ref().map_err(|e| e.to_string()),
        pabulib::parse_owned(text.to_string())
            .as_ref()
            .map_err(|e| e.to_string())
    );
    let Ok(e) = parsed else { return };
    let again = pabulib::parse(&pabulib::write(&e)).expect("written election parses");
    assert_eq!(again.projects.len(), e.projects.len());
    assert_eq!(again.votes.len(), e.votes.len());
    if e.projects.len() <= 8 && e.votes.len() <= 16 && e.budget.numer().bits() < 40 {
        let sat = Satisfaction::default_for(e.vote_type);
        for rule in [Rule::Greedy, Rule::Mes, Rule::Phragmen] {
            for completion in [Completion::None, Completion::Greedy] {
                if let Ok(out) = solve(
                    &e,
                    &Options {
                        rule,
                        sat,
                        completion,
                    },
                ) {
                    assert!(
                        out.total_cost <= e.budget
                            || e.projects.iter().any(|p| p.cost.numer().bits() > 60)
                    );
                }
            }
        }
    }
}
