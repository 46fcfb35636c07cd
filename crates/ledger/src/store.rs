//! The file store: a log directory laid out per C2SP tlog-tiles, with group commit,
//! crash recovery and full verification. This is the only module of the crate that
//! performs I/O.
//!
//! Layout of a log directory:
//!
//! ```text
//! checkpoint              latest signed checkpoint (C2SP tlog-checkpoint in a signed note)
//! checkpoints/<size>      every checkpoint saved with `FileLog::save_checkpoint`
//! vkey                    verifier key, one line
//! tile/<L>/<N>[.p/<W>]    hash tiles
//! tile/entries/<N>[.p/<W>] entry bundles
//! private/signer.key      private key (mode 0600, directory 0700) — never publish
//! private/lock            writer lock
//! ```
//!
//! Everything except `private/` can be served as static files.
//!
//! **Commit protocol.** [`FileLog::append`] writes the new entry bundles and hash tiles
//! (full tiles and the new right-edge partial tiles; files are new names, never
//! overwritten), `fsync`s them and their directories in parallel, then writes a new signed
//! `checkpoint` (temporary file, `fsync`, rename, directory `fsync`). The append is
//! acknowledged only after that rename is durable. The checkpoint is the commit record:
//! on open, every tile beyond its size (a torn tail of an interrupted commit) is removed,
//! and the right edge is re-checked against the signed root. Superseded partial tiles are
//! deleted once the full tile is durable (clients holding an older checkpoint read the
//! prefix of the full tile); nothing a checkpoint covers is ever rewritten.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use tlog_tiles::HashReader;

use crate::checkpoint::{
    CheckpointError, check_origin, generate_key, sign_checkpoint, verifier_for_private,
    verifier_name, verify_checkpoint,
};
use crate::hash::{EMPTY_ROOT, HASH_SIZE, Hash, hash_at, hash_b64, leaf_hash, subtree_root};
use crate::proof::{ConsistencyProof, InclusionProof};
use crate::tiles::{
    MAX_ENTRY_SIZE, TILE_WIDTH, TileId, TileKind, hashes_at_level, parse_bundle, push_bundle_entry,
};

const CHECKPOINT: &str = "checkpoint";
const CHECKPOINT_TMP: &str = "checkpoint.tmp";
const CHECKPOINTS: &str = "checkpoints";
const VKEY: &str = "vkey";
const PRIVATE: &str = "private";
const KEY_FILE: &str = "private/signer.key";
const LOCK_FILE: &str = "private/lock";
const TILE_BYTES: usize = TILE_WIDTH as usize * HASH_SIZE;
/// Files are `fsync`ed by this many threads at once so the file system can merge journal commits.
const SYNC_THREADS: usize = 16;

/// Errors of the file store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An operating-system error on a file.
    #[error("{}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A request outside what the log holds (index beyond the size, entry too large, …).
    #[error("{0}")]
    Usage(String),
    /// Another process holds the writer lock.
    #[error("{}: the log is locked by another writer", .0.display())]
    Locked(PathBuf),
    /// The log does not verify: the file (or entry) and the reason.
    #[error("{location}: {reason}")]
    Corrupt {
        /// The first bad file, relative to the log directory (and the entry, if known).
        location: String,
        /// What is wrong.
        reason: String,
    },
    /// A key or checkpoint problem outside verification (e.g. a bad origin at init).
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
}

impl StoreError {
    /// Whether this error means the log (or a proof) failed verification, as opposed to a
    /// usage or I/O problem. The CLI maps this to exit code 1.
    #[must_use]
    pub fn is_verification_failure(&self) -> bool {
        matches!(self, StoreError::Corrupt { .. })
    }
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn corrupt(location: impl Into<String>, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        location: location.into(),
        reason: reason.into(),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, StoreError> {
    fs::read(path).map_err(io_at(path))
}

fn fsync_dir(path: &Path) -> Result<(), StoreError> {
    let path = if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    };
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io_at(path))
}

/// Runs `f` over `items` on up to [`SYNC_THREADS`] threads and returns the first error.
fn parallel<T: Sync>(
    items: &[T],
    f: impl Fn(&T) -> Result<(), StoreError> + Sync,
) -> Result<(), StoreError> {
    if items.is_empty() {
        return Ok(());
    }
    let per = items.len().div_ceil(SYNC_THREADS);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(per)
            .map(|chunk| s.spawn(|| chunk.iter().try_for_each(&f)))
            .collect();
        let mut first = Ok(());
        for h in handles {
            let r = h
                .join()
                .unwrap_or_else(|_| Err(StoreError::Usage("sync thread panicked".into())));
            if first.is_ok() {
                first = r;
            }
        }
        first
    })
}

/// Creates `dir` and its missing parents, recording every directory whose entries changed.
fn ensure_dir(dir: &Path, changed: &mut BTreeSet<PathBuf>) -> Result<(), StoreError> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        ensure_dir(parent, changed)?;
        changed.insert(parent.to_path_buf());
    }
    match fs::create_dir(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io_at(dir)(e)),
    }
}

/// Writes `data` to `path` durably via a temporary file and rename.
fn write_atomic(dir: &Path, name: &str, tmp: &str, data: &[u8]) -> Result<(), StoreError> {
    let tmp_path = dir.join(tmp);
    let path = dir.join(name);
    {
        let mut f = File::create(&tmp_path).map_err(io_at(&tmp_path))?;
        f.write_all(data).map_err(io_at(&tmp_path))?;
        f.sync_all().map_err(io_at(&tmp_path))?;
    }
    fs::rename(&tmp_path, &path).map_err(io_at(&path))?;
    let parent = path.parent().unwrap_or(dir);
    fsync_dir(parent)
}

fn read_line_file(dir: &Path, name: &str) -> Result<String, StoreError> {
    let path = dir.join(name);
    let bytes = read(&path)?;
    let text = String::from_utf8(bytes).map_err(|_| corrupt(name, "not UTF-8"))?;
    match text.strip_suffix('\n') {
        Some(line) if !line.contains('\n') && !line.is_empty() => Ok(line.to_string()),
        _ => Err(corrupt(
            name,
            "expected exactly one line ending in a newline",
        )),
    }
}

/// Width of tile `index` at a level holding `count` items (0 if the tile does not exist).
fn tile_width(count: u64, index: u64) -> u16 {
    let start = index.saturating_mul(TILE_WIDTH);
    if start >= count {
        0
    } else {
        (count - start).min(TILE_WIDTH) as u16
    }
}

fn level_count(kind: TileKind, size: u64) -> u64 {
    match kind {
        TileKind::Entries => size,
        TileKind::Hash(l) => hashes_at_level(size, l),
    }
}

/// Reads tile `(kind, index)` holding at least `need` items, for a log of `size` leaves.
/// Falls back to the full tile or a wider partial tile when the exact file is gone
/// (superseded partial tiles are deleted after their full tile is durable).
fn read_tile(
    dir: &Path,
    kind: TileKind,
    index: u64,
    need: u16,
    size: u64,
) -> Result<Vec<u8>, StoreError> {
    let width = tile_width(level_count(kind, size), index);
    let id = TileId { kind, index, width };
    if width < need || width == 0 {
        return Err(StoreError::Usage(format!(
            "{} is beyond the tree",
            id.path()
        )));
    }
    let path = dir.join(id.path());
    match fs::read(&path) {
        Ok(d) => return Ok(d),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_at(&path)(e)),
    }
    // The log grew since `size` was read: try the full tile, then any wider partial.
    let full = dir.join(
        TileId {
            kind,
            index,
            width: TILE_WIDTH as u16,
        }
        .path(),
    );
    if let Ok(d) = fs::read(&full) {
        return Ok(d);
    }
    let base = TileId {
        kind,
        index,
        width: TILE_WIDTH as u16,
    }
    .path();
    let pdir = dir.join(format!("{base}.p"));
    if let Ok(rd) = fs::read_dir(&pdir) {
        let mut widths: Vec<u16> = rd
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .filter(|w| *w >= width)
            .collect();
        widths.sort_unstable();
        if let Some(w) = widths.first() {
            let p = pdir.join(w.to_string());
            return read(&p);
        }
    }
    Err(corrupt(id.path(), "missing"))
}

/// Source of hash-tile data for the stored-hash reader.
trait TileSource {
    fn tile(&self, level: u8, index: u64, need: u16) -> Result<Rc<Vec<u8>>, StoreError>;
}

/// Serves `tlog_tiles` stored-hash indexes from hash tiles: the hash at tree level
/// `8·L + k` is the root of `2^k` consecutive hashes of a tile at level `L`.
struct TileHashes<'a, S: TileSource> {
    src: &'a S,
    err: RefCell<Option<StoreError>>,
    /// Memo of hashes computed from tiles of level >= 1 (shared by all proofs of a reader).
    memo: Option<&'a RefCell<HashMap<u64, Hash>>>,
}

impl<'a, S: TileSource> TileHashes<'a, S> {
    fn new(src: &'a S) -> Self {
        Self {
            src,
            err: RefCell::new(None),
            memo: None,
        }
    }
    fn take_err(&self, e: tlog_tiles::Error) -> StoreError {
        self.err
            .borrow_mut()
            .take()
            .unwrap_or_else(|| StoreError::Usage(format!("tree computation failed: {e}")))
    }
    fn hash(&self, index: u64) -> Result<Hash, StoreError> {
        let Some(memo) = self.memo else {
            return self.compute(index);
        };
        if let Some(h) = memo.borrow().get(&index) {
            return Ok(*h);
        }
        let h = self.compute(index)?;
        if tlog_tiles::split_stored_hash_index(index).0 >= 8 {
            memo.borrow_mut().insert(index, h);
        }
        Ok(h)
    }

    fn compute(&self, index: u64) -> Result<Hash, StoreError> {
        let (level, n) = tlog_tiles::split_stored_hash_index(index);
        let tl = level / 8;
        let k = u32::from(level % 8);
        let pos = n << k;
        let m = pos / TILE_WIDTH;
        let j = (pos % TILE_WIDTH) as usize;
        let cnt = 1usize << k;
        let data = self.src.tile(tl, m, (j + cnt) as u16)?;
        if data.len() < (j + cnt) * HASH_SIZE {
            return Err(corrupt(
                TileId {
                    kind: TileKind::Hash(tl),
                    index: m,
                    width: (j + cnt) as u16,
                }
                .path(),
                "tile too short",
            ));
        }
        subtree_root(&data[j * HASH_SIZE..(j + cnt) * HASH_SIZE])
            .ok_or_else(|| StoreError::Usage("bad subtree".into()))
    }
}

impl<S: TileSource> HashReader for TileHashes<'_, S> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        let mut out = Vec::with_capacity(indexes.len());
        for &i in indexes {
            match self.hash(i) {
                Ok(h) => out.push(h),
                Err(e) => {
                    *self.err.borrow_mut() = Some(e);
                    return Err(tlog_tiles::Error::InvalidTile);
                }
            }
        }
        Ok(out)
    }
}

/// Tiles read during one operation, by (level, index).
type TileCache = HashMap<(u8, u64), Rc<Vec<u8>>>;

struct FileTiles<'a> {
    dir: &'a Path,
    size: u64,
    cache: RefCell<TileCache>,
}

impl TileSource for FileTiles<'_> {
    fn tile(&self, level: u8, index: u64, need: u16) -> Result<Rc<Vec<u8>>, StoreError> {
        if let Some(d) = self.cache.borrow().get(&(level, index)) {
            return Ok(Rc::clone(d));
        }
        let d = Rc::new(read_tile(
            self.dir,
            TileKind::Hash(level),
            index,
            need,
            self.size,
        )?);
        self.cache
            .borrow_mut()
            .insert((level, index), Rc::clone(&d));
        Ok(d)
    }
}

/// The writer's right-edge partial tiles.
struct TailTiles<'a> {
    tails: &'a [Vec<u8>],
    counts: &'a [u64],
}

impl TileSource for TailTiles<'_> {
    fn tile(&self, level: u8, index: u64, _need: u16) -> Result<Rc<Vec<u8>>, StoreError> {
        let l = usize::from(level);
        match (self.tails.get(l), self.counts.get(l)) {
            (Some(t), Some(c)) if c / TILE_WIDTH == index => Ok(Rc::new(t.clone())),
            _ => Err(StoreError::Usage(format!(
                "internal: tile {level}/{index} is not on the right edge"
            ))),
        }
    }
}

fn root_from<S: TileSource>(src: &S, size: u64) -> Result<Hash, StoreError> {
    if size == 0 {
        return Ok(EMPTY_ROOT);
    }
    let r = TileHashes::new(src);
    tlog_tiles::tree_hash(size, &r).map_err(|e| r.take_err(e))
}

fn checkpoint_name(size: u64) -> String {
    format!("{CHECKPOINTS}/{size:020}")
}

/// Read-only view of a log at its latest checkpoint: proofs, roots and entries.
/// Needs no lock; safe to use while a writer appends.
#[derive(Debug, Clone)]
pub struct LogReader {
    dir: PathBuf,
    vkey: String,
    size: u64,
    root: Hash,
    checkpoint: Vec<u8>,
    /// Hashes computed from the upper tiles (level >= 1), reused across proofs.
    memo: RefCell<HashMap<u64, Hash>>,
}

impl LogReader {
    /// Opens the log at `dir`, verifying the latest checkpoint's signature with the log's
    /// own verifier key (`vkey` file).
    ///
    /// # Errors
    /// I/O errors, or [`StoreError::Corrupt`] when the key or checkpoint do not verify.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let vkey = read_line_file(dir, VKEY)?;
        let checkpoint = read(&dir.join(CHECKPOINT))?;
        let cp = verify_checkpoint(&vkey, &checkpoint)
            .map_err(|e| corrupt(CHECKPOINT, e.to_string()))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            vkey,
            size: cp.size,
            root: cp.root,
            checkpoint,
            memo: RefCell::new(HashMap::new()),
        })
    }

    /// Number of entries covered by the latest checkpoint.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Root hash at the latest checkpoint.
    #[must_use]
    pub fn root(&self) -> Hash {
        self.root
    }

    /// The latest signed checkpoint note.
    #[must_use]
    pub fn checkpoint(&self) -> &[u8] {
        &self.checkpoint
    }

    /// The log's verifier key.
    #[must_use]
    pub fn vkey(&self) -> &str {
        &self.vkey
    }

    fn tiles(&self) -> FileTiles<'_> {
        FileTiles {
            dir: &self.dir,
            size: self.size,
            cache: RefCell::new(HashMap::new()),
        }
    }

    fn check_size(&self, size: u64) -> Result<(), StoreError> {
        if size > self.size {
            return Err(StoreError::Usage(format!(
                "size {size} is beyond the log's checkpoint size {}",
                self.size
            )));
        }
        Ok(())
    }

    /// Root of the tree of the first `size` entries, computed from the tiles.
    ///
    /// # Errors
    /// [`StoreError::Usage`] if `size` exceeds the checkpoint; I/O errors.
    pub fn root_at(&self, size: u64) -> Result<Hash, StoreError> {
        self.check_size(size)?;
        root_from(&self.tiles(), size)
    }

    /// The stored bytes of entry `index`.
    ///
    /// # Errors
    /// [`StoreError::Usage`] if `index` is not below the size; I/O or corruption errors.
    pub fn entry(&self, index: u64) -> Result<Vec<u8>, StoreError> {
        if index >= self.size {
            return Err(StoreError::Usage(format!(
                "index {index} is not below the size {}",
                self.size
            )));
        }
        let m = index / TILE_WIDTH;
        let j = (index % TILE_WIDTH) as usize;
        let data = read_tile(&self.dir, TileKind::Entries, m, j as u16 + 1, self.size)?;
        let entries = parse_bundle(&data).map_err(|r| corrupt(format!("bundle {m}"), r))?;
        entries
            .get(j)
            .map(|e| e.to_vec())
            .ok_or_else(|| corrupt(format!("bundle {m}"), "too few entries"))
    }

    /// Inclusion proof for entry `index` in the tree of `size` entries (default: the checkpoint size).
    ///
    /// # Errors
    /// [`StoreError::Usage`] unless `index < size <= checkpoint size`; I/O errors.
    pub fn prove_inclusion(
        &self,
        index: u64,
        size: Option<u64>,
    ) -> Result<InclusionProof, StoreError> {
        let size = size.unwrap_or(self.size);
        self.check_size(size)?;
        if index >= size {
            return Err(StoreError::Usage(format!(
                "index {index} is not below the size {size}"
            )));
        }
        let tiles = self.tiles();
        let mut r = TileHashes::new(&tiles);
        r.memo = Some(&self.memo);
        let hashes = tlog_tiles::prove_record(size, index, &r).map_err(|e| r.take_err(e))?;
        let leaf = r.hash(tlog_tiles::stored_hash_index(0, index))?;
        let root = if size == self.size {
            self.root
        } else {
            root_from(&tiles, size)?
        };
        Ok(InclusionProof {
            index,
            size,
            leaf_hash: leaf,
            root,
            hashes,
        })
    }

    /// Consistency proof between the trees of `old` and `size` entries (default: the checkpoint size).
    ///
    /// # Errors
    /// [`StoreError::Usage`] unless `1 <= old <= size <= checkpoint size`; I/O errors.
    pub fn prove_consistency(
        &self,
        old: u64,
        size: Option<u64>,
    ) -> Result<ConsistencyProof, StoreError> {
        let size = size.unwrap_or(self.size);
        self.check_size(size)?;
        if old == 0 || old > size {
            return Err(StoreError::Usage(format!(
                "need 1 <= old <= size, got old {old}, size {size}"
            )));
        }
        let tiles = self.tiles();
        let mut r = TileHashes::new(&tiles);
        r.memo = Some(&self.memo);
        let hashes = tlog_tiles::prove_tree(size, old, &r).map_err(|e| r.take_err(e))?;
        Ok(ConsistencyProof {
            old,
            size,
            old_root: root_from(&tiles, old)?,
            root: if size == self.size {
                self.root
            } else {
                root_from(&tiles, size)?
            },
            hashes,
        })
    }
}

/// What [`FileLog::open`] had to clean up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Tiles beyond the checkpoint (an interrupted commit) that were removed.
    pub removed_torn: Vec<String>,
    /// Superseded partial tiles (their full tile exists) that were removed.
    pub removed_superseded: Vec<String>,
}

/// The single writer of a log directory.
#[derive(Debug)]
pub struct FileLog {
    dir: PathBuf,
    origin: String,
    private_key: String,
    size: u64,
    root: Hash,
    checkpoint: Vec<u8>,
    /// Data of the right-edge partial hash tile at each tile level.
    tails: Vec<Vec<u8>>,
    /// Hashes stored at each tile level.
    counts: Vec<u64>,
    /// The right-edge partial entry bundle.
    bundle: Vec<u8>,
    _lock: File,
}

fn lock(dir: &Path) -> Result<File, StoreError> {
    let path = dir.join(LOCK_FILE);
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io_at(&path))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(fs::TryLockError::WouldBlock) => Err(StoreError::Locked(dir.to_path_buf())),
        Err(fs::TryLockError::Error(e)) => Err(io_at(&path)(e)),
    }
}

/// Lists every file under `dir/tile`, as paths relative to `dir` with `/` separators.
fn list_tiles(dir: &Path) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.join("tile")];
    while let Some(d) = stack.pop() {
        let rd = match fs::read_dir(&d) {
            Ok(rd) => rd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_at(&d)(e)),
        };
        for e in rd {
            let e = e.map_err(io_at(&d))?;
            let p = e.path();
            let ft = e.file_type().map_err(io_at(&p))?;
            if ft.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap_or(&p);
                let parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push(parts.join("/"));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// How a tile file relates to a log of a given size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    /// Part of the current tile set.
    Current,
    /// A narrower partial tile, or a partial tile whose full tile exists.
    Superseded,
    /// Beyond the size (written by an unacknowledged commit).
    Beyond,
}

fn classify(id: &TileId, size: u64) -> Status {
    let count = level_count(id.kind, size);
    let w = tile_width(count, id.index);
    if w == 0 || id.width > w {
        Status::Beyond
    } else if id.width == w {
        Status::Current
    } else {
        Status::Superseded
    }
}

impl FileLog {
    /// Creates a new, empty log in `dir` (which must not exist or be empty) with a fresh
    /// Ed25519 key named `origin`, and returns the verifier key.
    ///
    /// # Errors
    /// [`StoreError::Usage`] if `dir` is not empty, [`StoreError::Checkpoint`] for a bad
    /// origin, I/O errors.
    pub fn init(dir: &Path, origin: &str) -> Result<String, StoreError> {
        check_origin(origin)?;
        if dir.exists() {
            let mut rd = fs::read_dir(dir).map_err(io_at(dir))?;
            if rd.next().is_some() {
                return Err(StoreError::Usage(format!(
                    "{} is not empty; refusing to create a log there",
                    dir.display()
                )));
            }
        }
        let kp = generate_key(origin)?;
        let mut changed = BTreeSet::new();
        ensure_dir(&dir.join("tile"), &mut changed)?;
        ensure_dir(&dir.join(CHECKPOINTS), &mut changed)?;
        let private = dir.join(PRIVATE);
        {
            use std::os::unix::fs::DirBuilderExt;
            fs::DirBuilder::new()
                .mode(0o700)
                .create(&private)
                .map_err(io_at(&private))?;
        }
        let key_path = dir.join(KEY_FILE);
        {
            use std::os::unix::fs::OpenOptionsExt;
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&key_path)
                .map_err(io_at(&key_path))?;
            f.write_all(format!("{}\n", kp.private).as_bytes())
                .map_err(io_at(&key_path))?;
            f.sync_all().map_err(io_at(&key_path))?;
        }
        fsync_dir(&private)?;
        write_atomic(
            dir,
            VKEY,
            "vkey.tmp",
            format!("{}\n", kp.verifier).as_bytes(),
        )?;
        let note = sign_checkpoint(&kp.private, origin, 0, &EMPTY_ROOT)?;
        write_atomic(dir, &checkpoint_name(0), "checkpoints/tmp", &note)?;
        write_atomic(dir, CHECKPOINT, CHECKPOINT_TMP, &note)?;
        for d in &changed {
            fsync_dir(d)?;
        }
        Ok(kp.verifier)
    }

    /// Opens the log for appending: takes the writer lock, verifies the latest checkpoint,
    /// removes any torn tail left by an interrupted commit and re-checks the right edge of
    /// the tree against the signed root.
    ///
    /// # Errors
    /// [`StoreError::Locked`] if another writer is active; [`StoreError::Corrupt`] when the
    /// keys, checkpoint or right edge do not verify; I/O errors.
    pub fn open(dir: &Path) -> Result<(Self, Recovery), StoreError> {
        if !dir.join(CHECKPOINT).exists() {
            return Err(StoreError::Usage(format!(
                "{} is not a ledger (no checkpoint); create one with `ledger init`",
                dir.display()
            )));
        }
        let lock = lock(dir)?;
        let private_key = read_line_file(dir, KEY_FILE)?;
        let reader = LogReader::open(dir)?;
        let vkey = reader.vkey.clone();
        let derived =
            verifier_for_private(&private_key).map_err(|e| corrupt(KEY_FILE, e.to_string()))?;
        if derived != vkey {
            return Err(corrupt(
                KEY_FILE,
                "private key does not belong to the verifier key in `vkey`",
            ));
        }
        let origin = verifier_name(&vkey).map_err(|e| corrupt(VKEY, e.to_string()))?;
        let size = reader.size;

        // Cut the torn tail and superseded partial tiles.
        let mut rec = Recovery::default();
        let mut changed = BTreeSet::new();
        for rel in list_tiles(dir)? {
            let Some(id) = TileId::parse(&rel) else {
                continue;
            };
            let status = classify(&id, size);
            let superseded_by_full = status == Status::Superseded
                && tile_width(level_count(id.kind, size), id.index) == TILE_WIDTH as u16;
            if status == Status::Beyond || superseded_by_full {
                let p = dir.join(&rel);
                fs::remove_file(&p).map_err(io_at(&p))?;
                if let Some(parent) = p.parent() {
                    changed.insert(parent.to_path_buf());
                    let _ = fs::remove_dir(parent); // only succeeds when empty
                }
                if status == Status::Beyond {
                    rec.removed_torn.push(rel);
                } else {
                    rec.removed_superseded.push(rel);
                }
            }
        }
        let _ = fs::remove_file(dir.join(CHECKPOINT_TMP));
        for d in &changed {
            if d.exists() {
                fsync_dir(d)?;
            }
        }

        // Load the right edge.
        let mut tails = Vec::new();
        let mut counts = Vec::new();
        let mut l = 0u8;
        loop {
            let count = hashes_at_level(size, l);
            if count == 0 {
                break;
            }
            let w = tile_width(count, count / TILE_WIDTH);
            let data = if w == 0 {
                Vec::new()
            } else {
                let id = TileId {
                    kind: TileKind::Hash(l),
                    index: count / TILE_WIDTH,
                    width: w,
                };
                let d = read_tile(dir, id.kind, id.index, w, size)?;
                if d.len() != usize::from(w) * HASH_SIZE {
                    return Err(corrupt(
                        id.path(),
                        format!(
                            "expected {} bytes, found {}",
                            usize::from(w) * HASH_SIZE,
                            d.len()
                        ),
                    ));
                }
                d
            };
            tails.push(data);
            counts.push(count);
            l += 1;
        }
        let rem = tile_width(size, size / TILE_WIDTH);
        let bundle = if rem == 0 {
            Vec::new()
        } else {
            let id = TileId {
                kind: TileKind::Entries,
                index: size / TILE_WIDTH,
                width: rem,
            };
            let d = read_tile(dir, id.kind, id.index, rem, size)?;
            let entries = parse_bundle(&d).map_err(|r| corrupt(id.path(), r))?;
            if entries.len() != usize::from(rem) {
                return Err(corrupt(
                    id.path(),
                    format!("expected {rem} entries, found {}", entries.len()),
                ));
            }
            let mut hashes = Vec::with_capacity(entries.len() * HASH_SIZE);
            for e in &entries {
                hashes.extend_from_slice(&leaf_hash(e).0);
            }
            if tails.first() != Some(&hashes) {
                return Err(corrupt(
                    id.path(),
                    "entries do not match the hashes in the level-0 tile",
                ));
            }
            d
        };
        let root = root_from(
            &TailTiles {
                tails: &tails,
                counts: &counts,
            },
            size,
        )?;
        if root != reader.root {
            return Err(corrupt(
                CHECKPOINT,
                "root does not match the tiles on the right edge of the tree",
            ));
        }
        Ok((
            Self {
                dir: dir.to_path_buf(),
                origin,
                private_key,
                size,
                root,
                checkpoint: reader.checkpoint,
                tails,
                counts,
                bundle,
                _lock: lock,
            },
            rec,
        ))
    }

    /// Number of durable entries.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Current root hash.
    #[must_use]
    pub fn root(&self) -> Hash {
        self.root
    }

    /// The log origin (key name).
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The latest signed checkpoint note (covers every acknowledged entry).
    #[must_use]
    pub fn checkpoint(&self) -> &[u8] {
        &self.checkpoint
    }

    /// A read-only view at the current checkpoint.
    ///
    /// # Errors
    /// As [`LogReader::open`].
    pub fn reader(&self) -> Result<LogReader, StoreError> {
        LogReader::open(&self.dir)
    }

    /// Saves the current checkpoint under `checkpoints/` (kept forever and checked by
    /// [`verify_log`]) and returns it.
    ///
    /// # Errors
    /// I/O errors.
    pub fn save_checkpoint(&self) -> Result<Vec<u8>, StoreError> {
        let name = checkpoint_name(self.size);
        let path = self.dir.join(&name);
        if !path.exists() {
            write_atomic(&self.dir, &name, "checkpoints/tmp", &self.checkpoint)?;
        }
        Ok(self.checkpoint.clone())
    }

    fn add_hash(
        &mut self,
        level: usize,
        h: Hash,
        files: &mut Vec<(TileId, Vec<u8>)>,
        dirty: &mut Vec<bool>,
    ) {
        let mut level = level;
        let mut h = h;
        loop {
            if self.tails.len() <= level {
                self.tails.push(Vec::with_capacity(TILE_BYTES));
                self.counts.push(0);
            }
            if dirty.len() <= level {
                dirty.resize(level + 1, false);
            }
            dirty[level] = true;
            self.tails[level].extend_from_slice(&h.0);
            self.counts[level] += 1;
            if self.tails[level].len() < TILE_BYTES {
                return;
            }
            let data = std::mem::take(&mut self.tails[level]);
            let root = subtree_root(&data).unwrap_or_default();
            files.push((
                TileId {
                    kind: TileKind::Hash(level as u8),
                    index: self.counts[level] / TILE_WIDTH - 1,
                    width: TILE_WIDTH as u16,
                },
                data,
            ));
            self.tails[level] = Vec::with_capacity(TILE_BYTES);
            level += 1;
            h = root;
        }
    }

    /// Appends a group of entries as one commit and returns their index range once they
    /// are durable (the new checkpoint is on disk). On error nothing is acknowledged and
    /// the in-memory state is rolled back; the next [`FileLog::open`] cuts any partial
    /// writes.
    ///
    /// # Errors
    /// [`StoreError::Usage`] for an entry over 65,535 bytes; I/O errors.
    pub fn append<B: AsRef<[u8]> + Sync>(
        &mut self,
        entries: &[B],
    ) -> Result<Range<u64>, StoreError> {
        let old = self.size;
        if entries.is_empty() {
            return Ok(old..old);
        }
        if let Some((i, e)) = entries
            .iter()
            .enumerate()
            .find(|(_, e)| e.as_ref().len() > MAX_ENTRY_SIZE)
        {
            return Err(StoreError::Usage(format!(
                "entry {i} of the batch is {} bytes; the maximum is {MAX_ENTRY_SIZE}",
                e.as_ref().len()
            )));
        }
        let saved = (self.tails.clone(), self.counts.clone(), self.bundle.clone());
        match self.commit(entries) {
            Ok(r) => Ok(r),
            Err(e) => {
                (self.tails, self.counts, self.bundle) = saved;
                Err(e)
            }
        }
    }

    fn commit<B: AsRef<[u8]> + Sync>(&mut self, entries: &[B]) -> Result<Range<u64>, StoreError> {
        let old = self.size;
        let new = old + entries.len() as u64;
        let mut files: Vec<(TileId, Vec<u8>)> = Vec::new();

        // Entry bundles.
        let mut idx = old / TILE_WIDTH;
        let mut in_bundle = old % TILE_WIDTH;
        for e in entries {
            push_bundle_entry(&mut self.bundle, e.as_ref());
            in_bundle += 1;
            if in_bundle == TILE_WIDTH {
                files.push((
                    TileId {
                        kind: TileKind::Entries,
                        index: idx,
                        width: TILE_WIDTH as u16,
                    },
                    std::mem::take(&mut self.bundle),
                ));
                idx += 1;
                in_bundle = 0;
            }
        }
        if in_bundle > 0 {
            files.push((
                TileId {
                    kind: TileKind::Entries,
                    index: idx,
                    width: in_bundle as u16,
                },
                self.bundle.clone(),
            ));
        }

        // Leaf hashes (on two threads for large groups), then hash tiles.
        let leaves = leaf_hashes(entries);
        let mut dirty = Vec::new();
        for h in leaves {
            self.add_hash(0, h, &mut files, &mut dirty);
        }
        for (l, d) in dirty.iter().enumerate() {
            let w = (self.counts[l] % TILE_WIDTH) as u16;
            if *d && w > 0 {
                files.push((
                    TileId {
                        kind: TileKind::Hash(l as u8),
                        index: self.counts[l] / TILE_WIDTH,
                        width: w,
                    },
                    self.tails[l].clone(),
                ));
            }
        }

        // Write and fsync every new file and every directory that gained an entry.
        let mut changed = BTreeSet::new();
        for (id, _) in &files {
            let p = self.dir.join(id.path());
            if let Some(parent) = p.parent() {
                ensure_dir(parent, &mut changed)?;
                changed.insert(parent.to_path_buf());
            }
        }
        let dir = &self.dir;
        parallel(&files, |(id, data)| {
            let p = dir.join(id.path());
            let mut f = File::create(&p).map_err(io_at(&p))?;
            f.write_all(data).map_err(io_at(&p))?;
            f.sync_data().map_err(io_at(&p))
        })?;
        let changed: Vec<PathBuf> = changed.into_iter().collect();
        parallel(&changed, |d| fsync_dir(d))?;

        // Commit record: the new signed checkpoint.
        let root = root_from(
            &TailTiles {
                tails: &self.tails,
                counts: &self.counts,
            },
            new,
        )?;
        let note = sign_checkpoint(&self.private_key, &self.origin, new, &root)?;
        write_atomic(&self.dir, CHECKPOINT, CHECKPOINT_TMP, &note)?;
        self.size = new;
        self.root = root;
        self.checkpoint = note;

        // Durable: drop partial tiles superseded by the full tiles of this commit.
        for (id, _) in files.iter().filter(|(id, _)| id.is_full()) {
            let pdir = self.dir.join(format!("{}.p", id.path()));
            let _ = fs::remove_dir_all(pdir);
        }
        Ok(old..new)
    }
}

fn leaf_hashes<B: AsRef<[u8]> + Sync>(entries: &[B]) -> Vec<Hash> {
    if entries.len() < 4096 {
        return entries.iter().map(|e| leaf_hash(e.as_ref())).collect();
    }
    let half = entries.len() / 2;
    let (a, b) = entries.split_at(half);
    std::thread::scope(|s| {
        let hb = s.spawn(|| b.iter().map(|e| leaf_hash(e.as_ref())).collect::<Vec<_>>());
        let mut ha: Vec<Hash> = a.iter().map(|e| leaf_hash(e.as_ref())).collect();
        ha.extend(hb.join().unwrap_or_default());
        ha
    })
}

/// Result of a successful [`verify_log`].
#[derive(Debug, Clone, PartialEq)]
pub struct VerifyReport {
    /// Entries checked.
    pub size: u64,
    /// Root at the latest checkpoint.
    pub root: Hash,
    /// Stored checkpoints checked (including the latest).
    pub checkpoints: usize,
    /// Tile files checked.
    pub files: usize,
    /// Files beyond the checkpoint from an interrupted commit (not part of the log; removed
    /// by the next writer).
    pub uncommitted: Vec<String>,
}

/// Verifies a whole log directory without modifying it: recomputes every leaf hash from the
/// entry bundles and every hash tile from the level below, checks the latest and every
/// stored checkpoint (signature, origin, root at its size), the key files, and that every
/// superseded partial tile is a prefix of the current data. Uses all cores.
///
/// `vkey` pins the verifier key; by default the log's own `vkey` file is used.
///
/// # Errors
/// [`StoreError::Corrupt`] naming the first bad file or entry; I/O errors.
pub fn verify_log(dir: &Path, vkey: Option<&str>) -> Result<VerifyReport, StoreError> {
    let file_vkey = read_line_file(dir, VKEY)?;
    verifier_name(&file_vkey).map_err(|e| corrupt(VKEY, e.to_string()))?;
    let vkey = match vkey {
        Some(k) if k != file_vkey => {
            return Err(corrupt(VKEY, "differs from the given verifier key"));
        }
        Some(k) => k.to_string(),
        None => file_vkey,
    };
    let key_path = dir.join(KEY_FILE);
    if key_path.exists() {
        let private = read_line_file(dir, KEY_FILE)?;
        let derived =
            verifier_for_private(&private).map_err(|e| corrupt(KEY_FILE, e.to_string()))?;
        if derived != vkey {
            return Err(corrupt(
                KEY_FILE,
                "private key does not belong to the verifier key",
            ));
        }
    }
    let note = read(&dir.join(CHECKPOINT))?;
    let cp = verify_checkpoint(&vkey, &note).map_err(|e| corrupt(CHECKPOINT, e.to_string()))?;
    let size = cp.size;

    // Level 0: entry bundles against level-0 hash tiles, in parallel.
    let bundles = size.div_ceil(TILE_WIDTH);
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(16) as u64;
    let per = bundles.div_ceil(threads.max(1)).max(1);
    let first_bad = AtomicU64::new(u64::MAX);
    let results: Vec<Result<Vec<Hash>, (u64, StoreError)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..bundles)
            .step_by(per as usize)
            .map(|start| {
                let end = (start + per).min(bundles);
                let first_bad = &first_bad;
                s.spawn(move || verify_level0(dir, size, start..end, first_bad))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err((0, StoreError::Usage("verify thread panicked".into())))
                })
            })
            .collect()
    });
    let mut roots = Vec::new();
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(v) => roots.extend(v),
            Err(e) => errors.push(e),
        }
    }
    if let Some((_, e)) = errors.into_iter().min_by_key(|(m, _)| *m) {
        return Err(e);
    }
    let mut files = (2 * bundles) as usize;

    // Higher levels: each tile must hold the roots of the full tiles below it.
    let mut l = 1u8;
    while hashes_at_level(size, l) > 0 {
        let count = hashes_at_level(size, l);
        debug_assert_eq!(count as usize, roots.len());
        let mut next = Vec::new();
        for m in 0..count.div_ceil(TILE_WIDTH) {
            let w = tile_width(count, m);
            let id = TileId {
                kind: TileKind::Hash(l),
                index: m,
                width: w,
            };
            let data = read_tile_exact(dir, &id)?;
            if data.len() != usize::from(w) * HASH_SIZE {
                return Err(corrupt(
                    id.path(),
                    format!(
                        "expected {} bytes, found {}",
                        usize::from(w) * HASH_SIZE,
                        data.len()
                    ),
                ));
            }
            let start = (m * TILE_WIDTH) as usize;
            for i in 0..usize::from(w) {
                if hash_at(&data, i) != roots[start + i] {
                    return Err(corrupt(
                        id.path(),
                        format!("hash {i} differs from the root of the tile below"),
                    ));
                }
            }
            if w as u64 == TILE_WIDTH {
                next.push(subtree_root(&data).unwrap_or_default());
            }
            files += 1;
        }
        roots = next;
        l += 1;
    }

    // Root at the checkpoint, then every stored checkpoint.
    let tiles = FileTiles {
        dir,
        size,
        cache: RefCell::new(HashMap::new()),
    };
    let root = root_from(&tiles, size)?;
    if root != cp.root {
        return Err(corrupt(
            CHECKPOINT,
            format!(
                "signed root {} differs from the tree's root {}",
                hash_b64(&cp.root),
                hash_b64(&root)
            ),
        ));
    }
    let mut checkpoints = 1;
    let cdir = dir.join(CHECKPOINTS);
    let mut names: Vec<String> = match fs::read_dir(&cdir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io_at(&cdir)(e)),
    };
    names.sort();
    for name in names {
        let rel = format!("{CHECKPOINTS}/{name}");
        if name == "tmp" {
            continue;
        }
        let note = read(&dir.join(&rel))?;
        let c = verify_checkpoint(&vkey, &note).map_err(|e| corrupt(&rel, e.to_string()))?;
        if checkpoint_name(c.size) != rel {
            return Err(corrupt(
                &rel,
                format!("holds the checkpoint for size {}", c.size),
            ));
        }
        if c.size > size {
            return Err(corrupt(
                &rel,
                format!("size {} is beyond the log size {size}", c.size),
            ));
        }
        if root_from(&tiles, c.size)? != c.root {
            return Err(corrupt(
                &rel,
                format!("root differs from the log's tree at size {}", c.size),
            ));
        }
        checkpoints += 1;
    }

    // Every other tile file: superseded partial tiles must be prefixes of the current data.
    let mut uncommitted = Vec::new();
    for rel in list_tiles(dir)? {
        let Some(id) = TileId::parse(&rel) else {
            return Err(corrupt(&rel, "unexpected file in tile/"));
        };
        match classify(&id, size) {
            Status::Current => {}
            Status::Beyond => uncommitted.push(rel),
            Status::Superseded => {
                let stale = read(&dir.join(&rel))?;
                let cur_id = TileId {
                    width: tile_width(level_count(id.kind, size), id.index),
                    ..id
                };
                let cur = read_tile_exact(dir, &cur_id)?;
                let ok = match id.kind {
                    TileKind::Hash(_) => {
                        cur.get(..stale.len()) == Some(&stale[..])
                            && stale.len() == usize::from(id.width) * HASH_SIZE
                    }
                    TileKind::Entries => match (parse_bundle(&stale), parse_bundle(&cur)) {
                        (Ok(s), Ok(c)) => {
                            s.len() == usize::from(id.width)
                                && c.len() >= s.len()
                                && s[..] == c[..s.len()]
                        }
                        _ => false,
                    },
                };
                if !ok {
                    return Err(corrupt(
                        &rel,
                        format!("partial tile is not a prefix of {}", cur_id.path()),
                    ));
                }
                files += 1;
            }
        }
    }
    Ok(VerifyReport {
        size,
        root,
        checkpoints,
        files,
        uncommitted,
    })
}

fn read_tile_exact(dir: &Path, id: &TileId) -> Result<Vec<u8>, StoreError> {
    let p = dir.join(id.path());
    match fs::read(&p) {
        Ok(d) => Ok(d),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(corrupt(id.path(), "missing")),
        Err(e) => Err(io_at(&p)(e)),
    }
}

fn verify_level0(
    dir: &Path,
    size: u64,
    range: Range<u64>,
    first_bad: &AtomicU64,
) -> Result<Vec<Hash>, (u64, StoreError)> {
    let mut roots = Vec::new();
    let mut hashes = Vec::with_capacity(TILE_BYTES);
    for m in range {
        if m > first_bad.load(Ordering::Relaxed) {
            break;
        }
        let fail = |e: StoreError| {
            first_bad.fetch_min(m, Ordering::Relaxed);
            (m, e)
        };
        let w = tile_width(size, m);
        let bid = TileId {
            kind: TileKind::Entries,
            index: m,
            width: w,
        };
        let bundle = read_tile_exact(dir, &bid).map_err(fail)?;
        let entries = parse_bundle(&bundle).map_err(|r| fail(corrupt(bid.path(), r)))?;
        if entries.len() != usize::from(w) {
            return Err(fail(corrupt(
                bid.path(),
                format!("expected {w} entries, found {}", entries.len()),
            )));
        }
        hashes.clear();
        for e in &entries {
            hashes.extend_from_slice(&leaf_hash(e).0);
        }
        let tid = TileId {
            kind: TileKind::Hash(0),
            index: m,
            width: w,
        };
        let tile = read_tile_exact(dir, &tid).map_err(fail)?;
        if tile.len() != hashes.len() {
            return Err(fail(corrupt(
                tid.path(),
                format!("expected {} bytes, found {}", hashes.len(), tile.len()),
            )));
        }
        if tile != hashes {
            let i = (0..usize::from(w))
                .find(|&i| hash_at(&tile, i) != hash_at(&hashes, i))
                .unwrap_or(0);
            return Err(fail(corrupt(
                format!("entry {} ({})", m * TILE_WIDTH + i as u64, bid.path()),
                format!("leaf hash differs from {}", tid.path()),
            )));
        }
        if u64::from(w) == TILE_WIDTH {
            roots.push(subtree_root(&hashes).unwrap_or_default());
        }
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: `ledger init --log L` (a relative path with an empty parent) failed
    /// because the empty parent path was created and fsynced.
    #[test]
    fn empty_parent_of_a_relative_path_is_the_current_directory() {
        let mut changed = BTreeSet::new();
        ensure_dir(Path::new(""), &mut changed).unwrap();
        assert!(changed.is_empty());
        fsync_dir(Path::new("")).unwrap();
    }

    #[test]
    fn classify_relative_to_the_size() {
        let t = |kind, index, width| TileId { kind, index, width };
        // 300 entries: entry bundle 0 full, bundle 1 partial with 44.
        assert_eq!(
            classify(&t(TileKind::Entries, 0, 256), 300),
            Status::Current
        );
        assert_eq!(classify(&t(TileKind::Entries, 1, 44), 300), Status::Current);
        assert_eq!(
            classify(&t(TileKind::Entries, 1, 4), 300),
            Status::Superseded
        );
        assert_eq!(
            classify(&t(TileKind::Entries, 0, 200), 300),
            Status::Superseded
        );
        assert_eq!(classify(&t(TileKind::Entries, 1, 45), 300), Status::Beyond);
        assert_eq!(classify(&t(TileKind::Entries, 1, 256), 300), Status::Beyond);
        assert_eq!(classify(&t(TileKind::Hash(1), 0, 1), 300), Status::Current);
        assert_eq!(classify(&t(TileKind::Hash(1), 0, 2), 300), Status::Beyond);
        assert_eq!(classify(&t(TileKind::Hash(2), 0, 1), 300), Status::Beyond);
    }
}
