//! Conversions between stored rows and domain records.

use chrono::NaiveDate;
use sejahtera_domain::codes::Code;
use sejahtera_domain::registry::{Household, Person, QualityFlag};
use sejahtera_domain::{Nik, NoKk, RegionCode, Rupiah};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::{Result, StoreError};

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn code<C: Code>(v: Option<String>) -> Result<Option<C>> {
    v.map(|s| C::parse(&s).map_err(corrupt)).transpose()
}

pub(crate) const HOUSEHOLD_SELECT: &str = "SELECT no_kk, kode_wilayah, rt, rw, alamat, pengeluaran_bulanan, lantai, dinding, atap, \
     sumber_air, sanitasi, listrik, bahan_bakar, status_rumah FROM households";

pub(crate) const PERSON_SELECT: &str = "SELECT nik, no_kk, nama, jenis_kelamin, tanggal_lahir, hubungan, pendidikan, pekerjaan, \
     sektor, disabilitas, status_kawin, flags FROM persons";

pub(crate) fn household_from_row(r: &SqliteRow) -> Result<Household> {
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

pub(crate) fn person_from_row(r: &SqliteRow) -> Result<Person> {
    let date: &str = r.try_get(4)?;
    let flags: &str = r.try_get(11)?;
    Ok(Person {
        nik: Nik::parse(r.try_get::<&str, _>(0)?)
            .map_err(|_| corrupt("stored NIK is not valid"))?,
        no_kk: NoKk::parse(r.try_get::<&str, _>(1)?).map_err(corrupt)?,
        nama: r.try_get(2)?,
        jenis_kelamin: code(Some(r.try_get(3)?))?.ok_or_else(|| corrupt("jenis_kelamin"))?,
        tanggal_lahir: NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(corrupt)?,
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

pub(crate) fn opt_code<C: Code>(c: Option<C>) -> Option<&'static str> {
    c.map(Code::as_str)
}
