//! Export of the registry as CSV (re-importable: the same columns as the import)
//! or Parquet (typed columns for analytics). Exports hold personal data: they are
//! staff exports, never public ones.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use arrow::array::{ArrayRef, Date32Builder, Int64Builder, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use sejahtera_domain::codes::Code;
use sejahtera_domain::registry::{Household, Person};
use sejahtera_store::{Store, StoreError};

use crate::import::Kind;

fn c<C: Code>(v: Option<C>) -> Option<String> {
    v.map(|x| x.as_str().to_string())
}

/// A household as text cells in `HOUSEHOLD_COLUMNS` order.
pub fn household_cells(h: &Household) -> Vec<Option<String>> {
    vec![
        Some(h.no_kk.to_string()),
        Some(h.kode_wilayah.to_string()),
        h.rt.clone(),
        h.rw.clone(),
        h.alamat.clone(),
        Some(h.pengeluaran_bulanan.get().to_string()),
        c(h.lantai),
        c(h.dinding),
        c(h.atap),
        c(h.sumber_air),
        c(h.sanitasi),
        c(h.listrik),
        c(h.bahan_bakar),
        c(h.status_rumah),
    ]
}

/// A person as text cells in `PERSON_COLUMNS` order.
pub fn person_cells(p: &Person) -> Vec<Option<String>> {
    vec![
        Some(p.nik.to_string()),
        Some(p.no_kk.to_string()),
        Some(p.nama.clone()),
        Some(p.jenis_kelamin.as_str().to_string()),
        Some(p.tanggal_lahir.format("%Y-%m-%d").to_string()),
        c(p.hubungan),
        c(p.pendidikan),
        p.pekerjaan.clone(),
        c(p.sektor),
        c(p.disabilitas),
        c(p.status_kawin),
    ]
}

fn io_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("write failed: {e}"))
}

/// Writes a kind as CSV with the import's header. Returns the number of rows.
pub async fn export_csv(
    store: &Store,
    kind: Kind,
    out: impl Write + Send,
) -> crate::error::Result<u64> {
    // A failed write or read is ours (the disk, the database), not the user's.
    Ok(write_csv(store, kind, out).await?)
}

async fn write_csv(store: &Store, kind: Kind, out: impl Write + Send) -> anyhow::Result<u64> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(kind.columns())?;
    let mut n = 0u64;
    let mut write = |cells: Vec<Option<String>>| -> Result<(), StoreError> {
        n += 1;
        w.write_record(cells.iter().map(|c| c.as_deref().unwrap_or("")))
            .map_err(io_err)
    };
    match kind {
        Kind::Households => {
            store
                .for_each_household(&mut |h| write(household_cells(&h)))
                .await?
        }
        Kind::Persons => {
            store
                .for_each_person(&mut |p| write(person_cells(&p)))
                .await?
        }
    }
    w.flush()?;
    Ok(n)
}

const BATCH: usize = 65_536;

/// Writes a kind as a Parquet file: text columns as UTF-8, `pengeluaran_bulanan`
/// as Int64 Rupiah, `tanggal_lahir` as Date32. Returns the number of rows.
pub async fn export_parquet(store: &Store, kind: Kind, path: &Path) -> crate::error::Result<u64> {
    Ok(write_parquet(store, kind, path).await?)
}

async fn write_parquet(store: &Store, kind: Kind, path: &Path) -> anyhow::Result<u64> {
    let fields: Vec<Field> = kind
        .columns()
        .iter()
        .map(|name| {
            let t = match *name {
                "pengeluaran_bulanan" => DataType::Int64,
                "tanggal_lahir" => DataType::Date32,
                _ => DataType::Utf8,
            };
            let required = kind.required().contains(name);
            Field::new(*name, t, !required)
        })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut writer = ArrowWriter::try_new(file, schema.clone(), None)?;
    let mut pending: Vec<Vec<Option<String>>> = Vec::with_capacity(BATCH);
    let mut n = 0u64;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let flush = |rows: &mut Vec<Vec<Option<String>>>,
                 writer: &mut ArrowWriter<std::fs::File>|
     -> anyhow::Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut arrays: Vec<ArrayRef> = Vec::new();
        for (i, f) in schema.fields().iter().enumerate() {
            let col = rows.iter().map(|r| r[i].as_deref());
            let a: ArrayRef = match f.data_type() {
                DataType::Int64 => {
                    let mut b = Int64Builder::with_capacity(rows.len());
                    for v in col {
                        b.append_option(v.and_then(|s| s.parse::<i64>().ok()));
                    }
                    Arc::new(b.finish())
                }
                DataType::Date32 => {
                    let mut b = Date32Builder::with_capacity(rows.len());
                    for v in col {
                        b.append_option(
                            v.and_then(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
                                .map(|d| (d - epoch).num_days() as i32),
                        );
                    }
                    Arc::new(b.finish())
                }
                _ => {
                    let mut b = StringBuilder::with_capacity(rows.len(), rows.len() * 16);
                    for v in col {
                        b.append_option(v);
                    }
                    Arc::new(b.finish())
                }
            };
            arrays.push(a);
        }
        writer.write(&RecordBatch::try_new(schema.clone(), arrays)?)?;
        rows.clear();
        Ok(())
    };
    let mut failure: Option<anyhow::Error> = None;
    let mut push = |cells: Vec<Option<String>>| -> Result<(), StoreError> {
        n += 1;
        pending.push(cells);
        if pending.len() >= BATCH
            && let Err(e) = flush(&mut pending, &mut writer)
        {
            failure = Some(e);
            return Err(io_err("parquet batch"));
        }
        Ok(())
    };
    let r = match kind {
        Kind::Households => {
            store
                .for_each_household(&mut |h| push(household_cells(&h)))
                .await
        }
        Kind::Persons => store.for_each_person(&mut |p| push(person_cells(&p))).await,
    };
    if let Some(e) = failure {
        return Err(e);
    }
    r?;
    flush(&mut pending, &mut writer)?;
    writer.close()?;
    Ok(n)
}
