//! Household search and detail for staff, within what each actor may see.
//!
//! Households are addressed by a pseudonymous reference (a keyed hash of the KK
//! number, DESIGN.md conventions), so that no KK number appears in a URL or a log.

use hmac::{Hmac, Mac};
use sejahtera_domain::access::{Actor, RegistryScope};
use sejahtera_domain::registry::{Household, Person};
use sejahtera_domain::{NoKk, RegionCode};
use sejahtera_store::{HouseholdFilter, HouseholdHit, Store};
use sha2::Sha256;

/// The meta key of the secret that keys household references.
const REF_KEY: &str = "household_ref_key";

/// Why a search or a detail request was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The actor may not read the registry.
    #[error("your role may not read the household registry")]
    Forbidden,
    /// The household exists but is outside the actor's villages.
    #[error("this household is outside your villages")]
    OutsideScope,
    /// No such household.
    #[error("no such household")]
    NotFound,
    /// The query cannot be used.
    #[error("{0}")]
    BadQuery(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] sejahtera_store::StoreError),
}

/// A household in search results.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HouseholdSummary {
    /// Pseudonymous reference (for URLs).
    #[serde(rename = "ref")]
    pub reference: String,
    /// KK number.
    pub no_kk: String,
    /// Village code.
    pub village: String,
    /// Village name.
    pub village_name: String,
    /// Head's name.
    pub head_name: Option<String>,
    /// Stored members.
    pub members: u64,
}

/// One page of search results.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SearchPage {
    /// The households on this page.
    pub items: Vec<HouseholdSummary>,
    /// 1-based page number.
    pub page: u64,
    /// Page size.
    pub per_page: u32,
    /// Matches in all.
    pub total: u64,
}

/// Interprets a search text: 16 digits = a KK number or NIK; otherwise a name
/// (at least 3 letters).
pub fn parse_query(q: &str) -> Result<HouseholdFilter, AccessError> {
    let t = q.trim();
    let digits: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        if digits.len() == 16 {
            return Ok(HouseholdFilter::Number(digits));
        }
        return Err(AccessError::BadQuery(format!(
            "a KK number or NIK has 16 digits, this has {}",
            digits.len()
        )));
    }
    if t.chars().filter(|c| c.is_alphabetic()).count() < 3 {
        return Err(AccessError::BadQuery(
            "type a 16-digit KK number or NIK, or at least 3 letters of a name".into(),
        ));
    }
    Ok(HouseholdFilter::Name(t.to_string()))
}

async fn ref_key(store: &Store) -> Result<Vec<u8>, AccessError> {
    if let Some(k) = store.meta(REF_KEY).await? {
        return Ok(k.into_bytes());
    }
    // First use: a random key. Two racing first uses: the later write wins and
    // the earlier refs stay valid because refs are stored, not recomputed.
    let k = crate::accounts::random_token();
    store.set_meta(REF_KEY, &k).await?;
    Ok(store.meta(REF_KEY).await?.unwrap_or(k).into_bytes())
}

/// The pseudonymous references of households (stored, so that links resolve).
pub async fn references(store: &Store, kks: &[NoKk]) -> Result<Vec<String>, AccessError> {
    let key = ref_key(store).await?;
    let refs: Vec<(String, NoKk)> = kks.iter().map(|k| (reference(&key, k), *k)).collect();
    store.save_household_refs(&refs).await?;
    Ok(refs.into_iter().map(|(r, _)| r).collect())
}

fn reference(key: &[u8], kk: &NoKk) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(kk.as_str().as_bytes());
    let out = mac.finalize().into_bytes();
    crate::accounts::hex(&out[..12])
}

fn scope_villages(scope: &RegistryScope) -> Option<Vec<String>> {
    match scope {
        RegistryScope::All => None,
        RegistryScope::Villages(v) => Some(v.iter().map(|c| c.to_string()).collect()),
        RegistryScope::Nothing => Some(Vec::new()),
    }
}

/// Searches households by KK number, NIK or name, within the actor's villages.
pub async fn search(
    store: &Store,
    regions: &sejahtera_domain::Regions,
    actor: &Actor,
    q: &str,
    page: u64,
    per_page: u32,
) -> Result<SearchPage, AccessError> {
    let scope = actor.registry_scope();
    if scope == RegistryScope::Nothing {
        return Err(AccessError::Forbidden);
    }
    let filter = parse_query(q)?;
    let page = page.max(1);
    let per_page = per_page.clamp(1, 200);
    // A page past any registry is empty, never an overflow.
    let offset = (page - 1)
        .checked_mul(u64::from(per_page))
        .filter(|o| *o <= i64::MAX as u64)
        .ok_or_else(|| AccessError::BadQuery(format!("page {page} is out of range")))?;
    let villages = scope_villages(&scope);
    let (hits, total) = store
        .search_households(&filter, villages.as_deref(), per_page, offset)
        .await?;
    let key = ref_key(store).await?;
    let refs: Vec<(String, NoKk)> = hits
        .iter()
        .map(|h| (reference(&key, &h.no_kk), h.no_kk))
        .collect();
    store.save_household_refs(&refs).await?;
    let items = hits
        .into_iter()
        .zip(refs)
        .map(|(h, (r, _))| summary(regions, h, r))
        .collect();
    Ok(SearchPage {
        items,
        page,
        per_page,
        total,
    })
}

fn summary(regions: &sejahtera_domain::Regions, h: HouseholdHit, r: String) -> HouseholdSummary {
    HouseholdSummary {
        reference: r,
        no_kk: h.no_kk.to_string(),
        village_name: region_name(regions, &h.kode_wilayah),
        village: h.kode_wilayah.to_string(),
        head_name: h.head_name,
        members: h.members,
    }
}

fn region_name(regions: &sejahtera_domain::Regions, c: &RegionCode) -> String {
    regions.get(c).map(|r| r.name.clone()).unwrap_or_default()
}

/// A household with its members, for staff.
#[derive(Debug, Clone)]
pub struct HouseholdDetail {
    /// Pseudonymous reference.
    pub reference: String,
    /// The household.
    pub household: Household,
    /// Village name.
    pub village_name: String,
    /// Members.
    pub members: Vec<Person>,
}

/// A household by its reference, if the actor may see it.
pub async fn detail(
    store: &Store,
    regions: &sejahtera_domain::Regions,
    actor: &Actor,
    reference: &str,
) -> Result<HouseholdDetail, AccessError> {
    let scope = actor.registry_scope();
    if scope == RegistryScope::Nothing {
        return Err(AccessError::Forbidden);
    }
    if reference.len() != 24 || !reference.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AccessError::NotFound);
    }
    let Some(kk) = store.household_of_ref(reference).await? else {
        return Err(AccessError::NotFound);
    };
    let Some((household, members)) = store.household_detail(&kk).await? else {
        return Err(AccessError::NotFound);
    };
    if !scope.contains(&household.kode_wilayah) {
        return Err(AccessError::OutsideScope);
    }
    Ok(HouseholdDetail {
        reference: reference.to_string(),
        village_name: region_name(regions, &household.kode_wilayah),
        household,
        members,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_classified() {
        assert_eq!(
            parse_query(" 5371010101010001 ").unwrap(),
            HouseholdFilter::Number("5371010101010001".into())
        );
        assert!(matches!(
            parse_query("53710101"),
            Err(AccessError::BadQuery(_))
        ));
        assert!(matches!(parse_query("ab"), Err(AccessError::BadQuery(_))));
        assert_eq!(
            parse_query("Maria").unwrap(),
            HouseholdFilter::Name("Maria".into())
        );
    }

    #[test]
    fn references_are_keyed_and_stable() {
        let kk = NoKk::parse("5371010101010001").unwrap();
        let a = reference(b"k1", &kk);
        assert_eq!(a, reference(b"k1", &kk));
        assert_ne!(a, reference(b"k2", &kk));
        assert_eq!(a.len(), 24);
        assert!(!a.contains("5371010101010001"));
    }
}
