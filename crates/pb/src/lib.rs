//! Participatory budgeting for Sejahtera: the Pabulib `.pb` format and the rules cities use to
//! turn citizens' ballots into a funded set of projects, with explanations a citizen can read.
//!
//! Rules (same outcomes as pabutools 1.2.3 with lexicographic tie-breaking on project ids):
//! greedy utilitarian welfare, the Method of Equal Shares with Add1 or greedy completion, and
//! sequential Phragmén; satisfaction `Cost_Sat`, `Cardinality_Sat` or `Additive_Cardinal_Sat`.
//! Decisions are exact: see [`mod@mes`] notes in the crate documentation (`docs/pb.md`).
//!
//! ```
//! use sejahtera_pb::{pabulib, solve, explain, Options, Rule, Completion, Satisfaction};
//! let text = "META\nkey;value\nbudget;100\nvote_type;approval\nPROJECTS\nproject_id;cost;name\n\
//!             1;60;Road\n2;50;Well\n3;40;Clinic\nVOTES\nvoter_id;vote\nv1;1\nv2;1,3\nv3;2,3\n";
//! let election = pabulib::parse(text).unwrap();
//! let opts = Options { rule: Rule::Mes, sat: Satisfaction::Cost, completion: Completion::Add1 };
//! let outcome = solve(&election, &opts).unwrap();
//! let funded: Vec<&str> = outcome.selected().iter().map(|&p| election.projects[p].id.as_str()).collect();
//! assert_eq!(funded, ["1", "3"]);
//! let why = explain::explain(&election, &outcome);
//! assert!(why[1].text_en.contains("not funded"));
//! ```

#![warn(missing_docs)]

pub mod error;
pub mod explain;
pub(crate) mod mes;
pub mod number;
pub mod pabulib;
pub(crate) mod profile;
pub mod rules;

#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;

pub use error::PbError;
pub use profile::Satisfaction;
pub use rules::{Completion, Options, Outcome, Rule, solve};
