//! Conversions between stored rows and domain records, shared by every
//! backend: both store keys, codes and days as text and decode them here, so
//! a row reads the same whatever database it came from.

use chrono::NaiveDate;
use sejahtera_domain::codes::Code;
use sejahtera_domain::delivery::Session;
use sejahtera_domain::registry::{Household, Person, QualityFlag};
use sejahtera_domain::{Nik, NoKk, RegionCode, Rupiah};
use sqlx::{ColumnIndex, Decode, Row, Type};

use crate::{Result, StoreError};

/// A stored value that does not decode: the database holds something no
/// version of Sejahtera wrote.
pub fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

/// A stored 16-digit key (`no_kk`, `nik`) as an integer.
pub fn key_u64(s: &str) -> Result<u64> {
    s.parse::<u64>()
        .map_err(|_| StoreError::Corrupt(format!("stored key {s:?} is not numeric")))
}

/// A 16-digit key as stored: zero-padded text.
pub fn key_text(n: u64) -> String {
    format!("{n:016}")
}

/// A day as stored (`YYYY-MM-DD`).
pub fn day(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(corrupt)
}

/// A day as it is stored (`YYYY-MM-DD`).
pub fn day_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A stored code (`None` stays `None`).
pub fn code<C: Code>(v: Option<String>) -> Result<Option<C>> {
    v.map(|s| C::parse(&s).map_err(corrupt)).transpose()
}

/// A code as stored.
pub fn opt_code<C: Code>(c: Option<C>) -> Option<&'static str> {
    c.map(Code::as_str)
}

/// The columns of a household, in the order [`household_from_row`] reads them.
pub const HOUSEHOLD_SELECT: &str = "SELECT no_kk, kode_wilayah, rt, rw, alamat, pengeluaran_bulanan, lantai, dinding, atap, \
     sumber_air, sanitasi, listrik, bahan_bakar, status_rumah FROM households";

/// The columns of a person, in the order [`person_from_row`] reads them.
pub const PERSON_SELECT: &str = "SELECT nik, no_kk, nama, jenis_kelamin, tanggal_lahir, hubungan, pendidikan, pekerjaan, \
     sektor, disabilitas, status_kawin, flags FROM persons";

/// The columns of a training session, in the order [`session_from_row`] reads them.
pub const SESSION_SELECT: &str = "SELECT id, program_id, day, topic, place FROM program_sessions";

/// A household from a row of [`HOUSEHOLD_SELECT`].
pub fn household_from_row<'r, R>(r: &'r R) -> Result<Household>
where
    R: Row,
    usize: ColumnIndex<R>,
    &'r str: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(Household {
        no_kk: NoKk::parse(r.try_get::<&str, _>(0)?).map_err(corrupt)?,
        kode_wilayah: RegionCode::parse(r.try_get::<&str, _>(1)?).map_err(corrupt)?,
        rt: r.try_get(2)?,
        rw: r.try_get(3)?,
        alamat: r.try_get(4)?,
        pengeluaran_bulanan: Rupiah::new(r.try_get(5)?),
        lantai: code(r.try_get(6)?)?,
        dinding: code(r.try_get(7)?)?,
        atap: code(r.try_get(8)?)?,
        sumber_air: code(r.try_get(9)?)?,
        sanitasi: code(r.try_get(10)?)?,
        listrik: code(r.try_get(11)?)?,
        bahan_bakar: code(r.try_get(12)?)?,
        status_rumah: code(r.try_get(13)?)?,
    })
}

/// A person from a row of [`PERSON_SELECT`].
pub fn person_from_row<'r, R>(r: &'r R) -> Result<Person>
where
    R: Row,
    usize: ColumnIndex<R>,
    &'r str: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
{
    let date: &str = r.try_get(4)?;
    let flags: &str = r.try_get(11)?;
    Ok(Person {
        nik: Nik::parse(r.try_get::<&str, _>(0)?)
            .map_err(|_| corrupt("stored NIK is not valid"))?,
        no_kk: NoKk::parse(r.try_get::<&str, _>(1)?).map_err(corrupt)?,
        nama: r.try_get(2)?,
        jenis_kelamin: code(Some(r.try_get(3)?))?.ok_or_else(|| corrupt("jenis_kelamin"))?,
        tanggal_lahir: day(date)?,
        hubungan: code(r.try_get(5)?)?,
        pendidikan: code(r.try_get(6)?)?,
        pekerjaan: r.try_get(7)?,
        sektor: code(r.try_get(8)?)?,
        disabilitas: code(r.try_get(9)?)?,
        status_kawin: code(r.try_get(10)?)?,
        flags: flags
            .split(',')
            .filter(|s| !s.is_empty())
            .filter_map(QualityFlag::parse)
            .collect(),
    })
}

/// A training session from a row of [`SESSION_SELECT`].
pub fn session_from_row<'r, R>(r: &'r R) -> Result<Session>
where
    R: Row,
    usize: ColumnIndex<R>,
    &'r str: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(Session {
        id: r.try_get(0)?,
        program: r.try_get(1)?,
        date: day(r.try_get(2)?)?,
        topic: r.try_get(3)?,
        place: r.try_get(4)?,
    })
}
