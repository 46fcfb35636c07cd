//! The public portal: the home page with the map, the regions' dashboards,
//! the language switch, and the public indicators of the API (`/regions`).

mod api;
mod pages;

pub(crate) use api::routes as api_routes;
pub(crate) use pages::routes;
