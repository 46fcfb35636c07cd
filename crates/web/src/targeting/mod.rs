//! Targeting accuracy: how well a selection reaches the poor (page and API).

mod api;
mod pages;

pub(crate) use api::routes as api_routes;
pub(crate) use pages::routes;
