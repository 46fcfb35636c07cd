//! Regions, households and persons: bulk writes, key lookups, exports and counts.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use sejahtera_domain::region::Regions;
use sejahtera_domain::registry::{Household, Person};
use sejahtera_domain::{NoKk, RegionCode};

use crate::Result;

/// What a bulk write changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Rows that did not exist before.
    pub inserted: u64,
    /// Existing rows whose values changed.
    pub updated: u64,
    /// Rows identical to what was stored.
    pub unchanged: u64,
}

/// What the import of persons needs to know about stored persons.
#[derive(Debug, Default)]
pub struct PersonKeys {
    /// Stored NIK → its household's `no_kk` (both as integers).
    pub household_of: HashMap<u64, u64>,
    /// Stored household `no_kk` → the NIK of its head (`hubungan = kepala`).
    pub head_of: HashMap<u64, u64>,
}

/// Households and persons of an area.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Households living in its villages.
    pub households: u64,
    /// Persons in those households.
    pub persons: u64,
    /// Women among them.
    pub women: u64,
    /// Persons with a data-quality flag.
    pub flagged: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.households += o.households;
        self.persons += o.persons;
        self.women += o.women;
        self.flagged += o.flagged;
    }
}

/// Households and persons of one district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistrictCount {
    /// District code.
    pub code: RegionCode,
    /// District name.
    pub name: String,
    /// Its counts.
    pub counts: Counts,
}

/// A record of one import run (no personal data).
#[derive(Debug, Clone)]
pub struct ImportRun {
    /// `households` or `persons`.
    pub kind: String,
    /// The input file's name (without directories).
    pub file_name: String,
    /// Accepted rows.
    pub accepted: u64,
    /// Rejected rows.
    pub rejected: u64,
    /// Warnings.
    pub warnings: u64,
}

/// The meta key of the registry generation: a counter bumped by every committed
/// change of households or persons, so that caches of computed indicators know
/// when to recompute.
pub const GENERATION_KEY: &str = "registry_generation";

/// The coded fields of one stored person as text (empty when missing), in the
/// spelling of the registry (`docs/import.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberCodes<'a> {
    /// Birth date, `YYYY-MM-DD`.
    pub birth: &'a str,
    /// `jenis_kelamin`.
    pub sex: &'a str,
    /// `hubungan`.
    pub relation: &'a str,
    /// `pendidikan`.
    pub education: &'a str,
    /// `sektor`.
    pub sector: &'a str,
    /// `disabilitas`.
    pub disability: &'a str,
    /// `status_kawin`.
    pub marital: &'a str,
}

/// What a columnar snapshot needs of one stored household.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HouseholdCodes<'a> {
    /// Village code as stored (`53.71.04.1001`).
    pub village: &'a str,
    /// Reported monthly consumption, Rupiah.
    pub pengeluaran: i64,
    /// Housing codes as stored (empty when missing): lantai, dinding, atap, sumber_air,
    /// sanitasi, listrik, bahan_bakar, status_rumah.
    pub housing: [&'a str; 8],
    /// The stored welfare ranking: (PMT score, decile).
    pub welfare: Option<(f64, u8)>,
}

/// The registry: regions, households and persons.
#[async_trait]
pub trait RegistryStore: Send + Sync {
    /// Stores the region hierarchy (inserting new codes, updating names of known ones).
    async fn save_regions(&self, regions: &Regions) -> Result<()>;

    /// The stored region hierarchy.
    async fn regions(&self) -> Result<Regions>;

    /// Every stored household key (`no_kk` as an integer).
    async fn household_keys(&self) -> Result<HashSet<u64>>;

    /// Stored persons' households and each household's head.
    async fn person_keys(&self) -> Result<PersonKeys>;

    /// Writes a whole synthetic registry (households, persons, true consumption)
    /// and meta facts in one transaction.
    async fn write_demo(
        &self,
        households: &[Household],
        persons: &[Person],
        truth: &[(NoKk, i64)],
        meta: &[(String, String)],
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<()>;

    /// Calls `f` for every stored household in `no_kk` order.
    async fn for_each_household(
        &self,
        f: &mut (dyn FnMut(Household) -> Result<()> + Send),
    ) -> Result<()>;

    /// Calls `f` for every household in `no_kk` order with what a columnar snapshot
    /// needs: village, reported consumption, the housing codes and the stored
    /// welfare ranking (score, decile).
    async fn for_each_household_codes(
        &self,
        f: &mut (dyn for<'a, 'b> FnMut(u64, &'b HouseholdCodes<'a>) -> Result<()> + Send),
    ) -> Result<()>;

    /// Calls `f` for every household with stored persons, in `no_kk` order, with the
    /// coded fields of its members in `nik` order — what a columnar snapshot needs,
    /// without names or NIK.
    async fn for_each_household_members(
        &self,
        f: &mut (dyn for<'a, 'b> FnMut(u64, &'b [MemberCodes<'a>]) -> Result<()> + Send),
    ) -> Result<()>;

    /// Calls `f` for every stored person in (`no_kk`, `nik`) order.
    async fn for_each_person(&self, f: &mut (dyn FnMut(Person) -> Result<()> + Send))
    -> Result<()>;

    /// Every household with at least one stored person: its village code, monthly
    /// consumption and number of stored persons (for per-capita analytics).
    async fn household_consumption(&self) -> Result<Vec<(RegionCode, i64, i64)>>;

    /// The registry generation (see [`GENERATION_KEY`]); 0 before the first change.
    async fn registry_generation(&self) -> Result<u64>;

    /// Keys of stored households whose village is not one of `villages` (every
    /// household when `villages` is empty).
    async fn household_keys_outside(&self, villages: &[String]) -> Result<HashSet<u64>>;

    /// Numbers of stored households and persons.
    async fn totals(&self) -> Result<(u64, u64)>;

    /// Households, persons, women and flagged persons per district, in code order.
    /// Districts without households are listed with zeros.
    async fn counts_by_district(&self) -> Result<Vec<DistrictCount>>;

    /// Starts a bulk write: one transaction in which an import stores its rows.
    async fn begin_bulk(&self) -> Result<Box<dyn BulkWrite + '_>>;
}

/// A bulk write inside one transaction: rows written through it become visible
/// (and durable) only at [`BulkWrite::commit`]; dropping it rolls everything back.
/// It lets an import validate and write at the same time.
#[async_trait]
pub trait BulkWrite: Send {
    /// Inserts or updates households (keys unique within `rows`); returns the rows
    /// inserted or changed so far that the backend can report (see [`BulkWrite::finish`]).
    async fn households(&mut self, rows: &[Household]) -> Result<u64>;

    /// Inserts or updates persons (keys unique within `rows`); as [`BulkWrite::households`].
    async fn persons(&mut self, rows: &[Person]) -> Result<u64>;

    /// Writes whatever the backend still holds back (PostgreSQL stages rows for one
    /// upsert); returns the rows inserted or changed by it. Call it after the last
    /// batch and before [`BulkWrite::record_run`], adding its count to `changed`.
    async fn finish(&mut self) -> Result<u64>;

    /// Records the import run in the same transaction and returns what the write changed:
    /// `rows` written, `inserted` of them new, `changed` reported by the database.
    async fn record_run(
        &mut self,
        run: &ImportRun,
        rows: u64,
        inserted: u64,
        changed: u64,
    ) -> Result<WriteStats>;

    /// The id of the import run recorded by [`BulkWrite::record_run`].
    fn run_id(&self) -> Option<i64>;

    /// Makes everything written durable and visible (and bumps the registry generation).
    async fn commit(self: Box<Self>) -> Result<()>;
}

/// What a bulk write changed, from the rows written, the new ones among them and
/// the rows the database reported as inserted or changed.
pub fn stats_of(rows: u64, inserted: u64, changed: u64) -> WriteStats {
    let updated = changed.saturating_sub(inserted);
    WriteStats {
        inserted,
        updated,
        unchanged: rows.saturating_sub(inserted + updated),
    }
}
