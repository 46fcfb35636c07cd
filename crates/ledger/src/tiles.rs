//! C2SP tlog-tiles coordinates and entry bundles (pure: paths and byte layouts only).
//!
//! * Hash tile: `tile/<L>/<N>[.p/<W>]`, the hashes at tree level `8·L` with indexes
//!   `256·N … 256·N + W − 1`, 32 bytes each, concatenated.
//! * Entry bundle: `tile/entries/<N>[.p/<W>]`, entries `256·N … 256·N + W − 1`, each
//!   as a big-endian `u16` length followed by the entry bytes.
//! * `<N>` is written in groups of three digits, all but the last prefixed by `x`:
//!   `1234067` → `x001/x234/067`. `.p/<W>` marks a partial tile (`W < 256`).

/// Tile height: each tile covers 8 tree levels, i.e. 256 hashes or entries.
pub const TILE_HEIGHT: u32 = 8;
/// Hashes (or entries) in a full tile.
pub const TILE_WIDTH: u64 = 256;
/// Largest entry an entry bundle can hold (its length prefix is a `u16`).
pub const MAX_ENTRY_SIZE: usize = u16::MAX as usize;

/// Which kind of tile a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TileKind {
    /// Hash tile at tile level `L` (tree level `8·L`).
    Hash(u8),
    /// Entry bundle.
    Entries,
}

/// The coordinates of one tile file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileId {
    /// Hash tile level or entry bundle.
    pub kind: TileKind,
    /// Index within the level.
    pub index: u64,
    /// Number of hashes or entries, `1..=256` (256 = full tile).
    pub width: u16,
}

impl TileId {
    /// Whether this is a full tile.
    #[must_use]
    pub fn is_full(&self) -> bool {
        u64::from(self.width) == TILE_WIDTH
    }

    /// The tile's path relative to the log directory.
    ///
    /// ```
    /// use sejahtera_ledger::tiles::{TileId, TileKind};
    /// let t = TileId { kind: TileKind::Hash(0), index: 1_234_067, width: 256 };
    /// assert_eq!(t.path(), "tile/0/x001/x234/067");
    /// let e = TileId { kind: TileKind::Entries, index: 5, width: 7 };
    /// assert_eq!(e.path(), "tile/entries/005.p/7");
    /// ```
    #[must_use]
    pub fn path(&self) -> String {
        let mut s = String::from("tile/");
        match self.kind {
            TileKind::Hash(l) => s.push_str(&l.to_string()),
            TileKind::Entries => s.push_str("entries"),
        }
        s.push('/');
        s.push_str(&encode_index(self.index));
        if !self.is_full() {
            s.push_str(".p/");
            s.push_str(&self.width.to_string());
        }
        s
    }

    /// Parses a path made by [`TileId::path`]; only the canonical spelling is accepted.
    #[must_use]
    pub fn parse(path: &str) -> Option<TileId> {
        let rest = path.strip_prefix("tile/")?;
        let (kind_s, rest) = rest.split_once('/')?;
        let kind = if kind_s == "entries" {
            TileKind::Entries
        } else {
            let l: u8 = kind_s.parse().ok()?;
            if l > 63 {
                return None;
            }
            TileKind::Hash(l)
        };
        let (num, width) = match rest.split_once(".p/") {
            Some((num, w)) => {
                let w: u16 = w.parse().ok()?;
                if w == 0 || u64::from(w) >= TILE_WIDTH {
                    return None;
                }
                (num, w)
            }
            None => (rest, TILE_WIDTH as u16),
        };
        let mut index: u64 = 0;
        let groups: Vec<&str> = num.split('/').collect();
        for (i, g) in groups.iter().enumerate() {
            let digits = if i + 1 < groups.len() {
                g.strip_prefix('x')?
            } else {
                g
            };
            if digits.len() != 3 || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            index = index
                .checked_mul(1000)?
                .checked_add(digits.parse::<u64>().ok()?)?;
        }
        let id = TileId { kind, index, width };
        (id.path() == path).then_some(id)
    }
}

/// Encodes a tile index as C2SP path elements (`x001/x234/067`).
#[must_use]
pub fn encode_index(mut n: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    while n >= 1000 {
        n /= 1000;
        groups.push(format!("x{:03}", n % 1000));
    }
    groups.reverse();
    groups.join("/")
}

/// Tiles of one level that exist for a tree of `count` items at that level: the full
/// tiles `0..count/256` and, if `count % 256 != 0`, one partial tile.
#[must_use]
pub fn level_tiles(kind: TileKind, count: u64) -> (u64, Option<TileId>) {
    let full = count / TILE_WIDTH;
    let rem = count % TILE_WIDTH;
    let partial = (rem > 0).then_some(TileId {
        kind,
        index: full,
        width: rem as u16,
    });
    (full, partial)
}

/// Number of hashes at tile level `l` (tree level `8·l`) in a tree of `size` leaves.
#[must_use]
pub fn hashes_at_level(size: u64, l: u8) -> u64 {
    let shift = u32::from(l) * TILE_HEIGHT;
    if shift >= 64 { 0 } else { size >> shift }
}

/// Appends one entry to an entry bundle buffer.
///
/// # Panics
/// Panics if the entry is longer than [`MAX_ENTRY_SIZE`]; callers check first.
pub fn push_bundle_entry(bundle: &mut Vec<u8>, entry: &[u8]) {
    let len = u16::try_from(entry.len()).expect("entry length checked by caller");
    bundle.extend_from_slice(&len.to_be_bytes());
    bundle.extend_from_slice(entry);
}

/// Splits an entry bundle into its entries.
///
/// # Errors
/// A message with the byte offset when a length prefix runs past the end of the data.
pub fn parse_bundle(data: &[u8]) -> Result<Vec<&[u8]>, String> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos < data.len() {
        if pos + 2 > data.len() {
            return Err(format!("truncated length prefix at byte {pos}"));
        }
        let len = usize::from(u16::from_be_bytes([data[pos], data[pos + 1]]));
        let start = pos + 2;
        let end = start + len;
        if end > data.len() {
            return Err(format!(
                "entry {} at byte {pos} claims {len} bytes but only {} remain",
                out.len(),
                data.len() - start
            ));
        }
        out.push(&data[start..end]);
        pos = end;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_c2sp_examples() {
        let t = |kind, index, width| TileId { kind, index, width }.path();
        assert_eq!(t(TileKind::Hash(0), 0, 256), "tile/0/000");
        assert_eq!(t(TileKind::Hash(1), 999, 256), "tile/1/999");
        assert_eq!(t(TileKind::Hash(1), 1000, 5), "tile/1/x001/000.p/5");
        assert_eq!(t(TileKind::Hash(2), 1_234_067, 256), "tile/2/x001/x234/067");
        assert_eq!(
            t(TileKind::Entries, 1_234_067, 1),
            "tile/entries/x001/x234/067.p/1"
        );
    }

    #[test]
    fn parse_inverts_path_and_rejects_other_spellings() {
        for (kind, index, width) in [
            (TileKind::Hash(0), 0u64, 256u16),
            (TileKind::Hash(3), 1_000_000_000, 17),
            (TileKind::Entries, 42, 255),
            (TileKind::Entries, u64::MAX, 256),
        ] {
            let id = TileId { kind, index, width };
            assert_eq!(TileId::parse(&id.path()), Some(id));
        }
        for bad in [
            "tile/0/1",
            "tile/0/001.p/0",
            "tile/0/001.p/256",
            "tile/0/x000/001",
            "tile/0/001/002",
            "tile/entries/001.p/05",
            "tile/64/001",
            "tiles/0/001",
            "tile/0/001.p/",
        ] {
            assert_eq!(TileId::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn bundle_round_trip_and_truncation() {
        let mut b = Vec::new();
        for e in [&b""[..], b"abc", &[7u8; 300]] {
            push_bundle_entry(&mut b, e);
        }
        let got = parse_bundle(&b).unwrap();
        assert_eq!(got, vec![&b""[..], b"abc", &[7u8; 300]]);
        assert!(parse_bundle(&b[..b.len() - 1]).is_err());
        assert!(parse_bundle(&b[..3]).unwrap_err().contains("byte 2"));
    }

    #[test]
    fn level_tiles_and_counts() {
        assert_eq!(level_tiles(TileKind::Entries, 0), (0, None));
        assert_eq!(level_tiles(TileKind::Entries, 256), (1, None));
        let (f, p) = level_tiles(TileKind::Hash(0), 600);
        assert_eq!(f, 2);
        assert_eq!(p.unwrap().width, 88);
        assert_eq!(hashes_at_level(70_000, 1), 273);
        assert_eq!(hashes_at_level(70_000, 2), 1);
        assert_eq!(hashes_at_level(u64::MAX, 8), 0);
    }
}
