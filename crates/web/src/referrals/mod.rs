//! Referrals of participants to partners: the referrals page and the API.

mod api;
mod pages;

pub(crate) use api::routes as api_routes;
pub(crate) use pages::routes;
