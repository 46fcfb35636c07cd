//! Programs: definitions, enrollment decisions, training sessions and
//! attendance, mentoring visits, outcomes and the evaluation panel (pages and
//! API).

mod api;
mod pages;

pub(crate) use api::routes as api_routes;
/// The confirmations the program page shows after an action (for the i18n test).
#[cfg(test)]
pub(crate) use pages::DONE;
pub(crate) use pages::routes;
pub(crate) use pages::{ReferralRow, after, date, referral_rows, render};
