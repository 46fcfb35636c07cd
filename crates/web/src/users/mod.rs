//! Users and sessions: signing in and out (pages and API), the console's home
//! page, and the users an admin manages.

mod api;
mod pages;

pub(crate) use api::routes as api_routes;
pub(crate) use pages::routes;
