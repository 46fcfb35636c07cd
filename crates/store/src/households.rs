//! The staff console's view of households: search and detail, pseudonymous
//! household references, rejects reports of web imports.

use sejahtera_domain::registry::{Household, Person};
use sejahtera_domain::{NoKk, RegionCode};

use async_trait::async_trait;

use crate::Result;

/// What to search households by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HouseholdFilter {
    /// A 16-digit number: the household's KK number or a member's NIK.
    Number(String),
    /// Part of a member's name (matched case-insensitively).
    Name(String),
}

/// One household found by a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdHit {
    /// KK number.
    pub no_kk: NoKk,
    /// Village.
    pub kode_wilayah: RegionCode,
    /// Name of the head (`hubungan = kepala`), if stored.
    pub head_name: Option<String>,
    /// Number of stored members.
    pub members: u64,
}

/// Household search and detail, pseudonymous references, rejects reports.
#[async_trait]
pub trait HouseholdStore: Send + Sync {
    /// Households matching `filter`, limited to `villages` when given, in KK order,
    /// one page (`limit`, `offset`), with the total number of matches.
    async fn search_households(
        &self,
        filter: &HouseholdFilter,
        villages: Option<&[String]>,
        limit: u32,
        offset: u64,
    ) -> Result<(Vec<HouseholdHit>, u64)>;

    /// A household and its members (by NIK).
    async fn household_detail(&self, no_kk: &NoKk) -> Result<Option<(Household, Vec<Person>)>>;

    /// Records pseudonymous references of households (`ref` → KK number); known ones are kept.
    async fn save_household_refs(&self, refs: &[(String, NoKk)]) -> Result<()>;

    /// The KK number behind a pseudonymous reference.
    async fn household_of_ref(&self, r: &str) -> Result<Option<NoKk>>;

    /// Stores the rejects report of an import run made by `user_id`.
    async fn save_import_rejects(&self, run_id: i64, user_id: i64, content: &[u8]) -> Result<()>;

    /// The rejects report of an import run and the user who made it.
    async fn import_rejects(&self, run_id: i64) -> Result<Option<(Option<i64>, Vec<u8>)>>;
}
