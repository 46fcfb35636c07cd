//! The demo accounts: an admin, a planner, an auditor, two village operators and
//! four agency operators (those of the demo's programs), then one account for each
//! of two demo partners, all with the published password [`DEMO_PASSWORD`]. They
//! are created through the same use case as any account
//! ([`sejahtera_app::accounts::create_user`]), and only in a database that had no
//! user before the demo, so a real registry never gets accounts with a published
//! password.

use sejahtera_app::Store;
use sejahtera_app::accounts::{AccountError, CreateUser, create_user, user_by_username};
use sejahtera_domain::RegionCode;
use sejahtera_domain::access::Role;
use sejahtera_domain::region::Regions;

/// The password of the demo accounts (demo databases only; printed by `sejahtera demo`).
pub const DEMO_PASSWORD: &str = "sejahtera-demo";

/// A demo account: (username, display name, role, villages, agency).
pub type DemoUser = (
    &'static str,
    &'static str,
    Role,
    &'static [&'static str],
    Option<&'static str>,
);

/// The demo accounts.
pub const DEMO_USERS: &[DemoUser] = &[
    ("admin", "Admin Demo", Role::Admin, &[], None),
    (
        "perencana",
        "Perencana Bappeda (demo)",
        Role::Planner,
        &[],
        None,
    ),
    (
        "auditor",
        "Auditor Inspektorat (demo)",
        Role::Auditor,
        &[],
        None,
    ),
    (
        "operator.oebobo",
        "Operator Kelurahan Oebobo (demo)",
        Role::VillageOperator,
        &["53.71.04.1001", "53.71.04.1008"],
        None,
    ),
    (
        "operator.sarolangun",
        "Operator Desa Sarolangun (demo)",
        Role::VillageOperator,
        &["15.03.03.1001"],
        None,
    ),
    (
        "opd.p3a.kupang",
        "Operator DP3A Kota Kupang (demo)",
        Role::AgencyOperator,
        &[],
        Some(crate::programs::AGENCY_P3A_KUPANG),
    ),
    (
        "opd.koperasi.kupang",
        "Operator Dinas Koperasi & UKM Kota Kupang (demo)",
        Role::AgencyOperator,
        &[],
        Some(crate::programs::AGENCY_KOPERASI_KUPANG),
    ),
    (
        "opd.pertanian.sarolangun",
        "Operator Dinas Pertanian Sarolangun (demo)",
        Role::AgencyOperator,
        &[],
        Some(crate::programs::AGENCY_PERTANIAN_SAROLANGUN),
    ),
    (
        "opd.koperasi.sarolangun",
        "Operator Dinas Koperasi, UKM & Perdagangan Sarolangun (demo)",
        Role::AgencyOperator,
        &[],
        Some(crate::programs::AGENCY_KOPERASI_SAROLANGUN),
    ),
];

/// Demo partner accounts: (username, display name, partner name).
pub const DEMO_PARTNER_USERS: &[(&str, &str, &str)] = &[
    (
        "mitra.bankntt",
        "Petugas KUR Bank NTT (demo)",
        "Bank NTT Cabang Kupang (demo)",
    ),
    (
        "mitra.anyaman",
        "CV Anyaman Serat Jambi (demo)",
        "CV Anyaman Serat Jambi (demo)",
    ),
];

/// Creates the demo accounts when the database has no user yet (so a real
/// registry never gets accounts with a published password). Returns whether it did.
pub async fn seed_demo_users(store: &Store, regions: &Regions) -> Result<bool, AccountError> {
    if store.user_count().await? > 0 {
        return Ok(false);
    }
    for (username, display, role, villages, agency) in DEMO_USERS {
        let villages: Vec<String> = villages
            .iter()
            .filter(|v| {
                RegionCode::parse(v)
                    .ok()
                    .is_some_and(|c| regions.get(&c).is_some())
            })
            .map(|v| v.to_string())
            .collect();
        if *role == Role::VillageOperator && villages.is_empty() {
            continue;
        }
        create_user(
            store,
            regions,
            &CreateUser {
                username: username.to_string(),
                display_name: display.to_string(),
                role: *role,
                villages,
                password: DEMO_PASSWORD.to_string(),
                agency: agency.map(String::from),
                region: agency
                    .and_then(crate::programs::agency_region)
                    .map(String::from),
                partner: None,
            },
        )
        .await?;
    }
    Ok(true)
}

/// Creates the demo's partner accounts once the demo's partners exist, in a
/// database whose demo accounts exist (see [`seed_demo_users`]). Returns whether it did.
pub async fn seed_demo_partner_users(
    store: &Store,
    regions: &Regions,
) -> Result<bool, AccountError> {
    if user_by_username(store, "operator.oebobo").await?.is_none()
        && user_by_username(store, "operator.sarolangun")
            .await?
            .is_none()
    {
        return Ok(false);
    }
    let partners = sejahtera_app::delivery::partners(store).await?;
    let mut created = false;
    for (username, display, partner) in DEMO_PARTNER_USERS {
        let Some(p) = partners.iter().find(|p| p.name == *partner) else {
            continue;
        };
        if store.username_exists(username).await? {
            continue;
        }
        create_user(
            store,
            regions,
            &CreateUser {
                username: username.to_string(),
                display_name: display.to_string(),
                role: Role::Partner,
                villages: Vec::new(),
                password: DEMO_PASSWORD.to_string(),
                agency: None,
                region: None,
                partner: Some(p.id),
            },
        )
        .await?;
        created = true;
    }
    Ok(created)
}
