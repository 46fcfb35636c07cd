//! `sejahtera ledger`: the tamper-evident log of decisions and money movements.
//!
//! `init` creates a log and prints its verifier key; `append` adds JSON events (one per
//! line) with group commit and prints one index per event; `checkpoint` prints the current
//! signed checkpoint; `prove` and `consistency` print proofs as JSON; `verify` recomputes
//! the whole log; `verify-proof` is what an auditor or citizen runs offline.
//!
//! Exit codes: 0 ok, 1 verification failed, 2 usage or I/O error.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;

use anyhow::{Context, bail};
use clap::Subcommand;
use sejahtera_ledger::{
    ConsistencyProof, Event, FileLog, InclusionProof, LogReader, StoreError, hash_b64, leaf_hash,
    verify_checkpoint, verify_log,
};

/// Tamper-evident ledger: append events, sign checkpoints, prove and verify.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Create a new log directory with a fresh Ed25519 key; prints the verifier key.
    Init {
        /// Log directory (must not exist or be empty).
        #[arg(long)]
        log: PathBuf,
        /// Log origin, also the key name, e.g. sejahtera.kupangkota.go.id/ledger.
        #[arg(long)]
        origin: String,
    },
    /// Append JSON events, one per line; prints the index of each event once it is durable.
    Append {
        /// Log directory.
        #[arg(long)]
        log: PathBuf,
        /// File of events, one JSON object per line; `-` or absent for standard input.
        file: Option<PathBuf>,
    },
    /// Print the current signed checkpoint (and keep a copy under checkpoints/).
    Checkpoint {
        /// Log directory.
        #[arg(long)]
        log: PathBuf,
    },
    /// Print an inclusion proof as JSON.
    Prove {
        /// Log directory.
        #[arg(long)]
        log: PathBuf,
        /// Index of the entry.
        #[arg(long)]
        index: u64,
        /// Tree size (default: the current checkpoint).
        #[arg(long)]
        size: Option<u64>,
    },
    /// Print a consistency proof between two tree sizes as JSON.
    Consistency {
        /// Log directory.
        #[arg(long)]
        log: PathBuf,
        /// The older tree size.
        #[arg(long)]
        old: u64,
        /// The newer tree size (default: the current checkpoint).
        #[arg(long)]
        size: Option<u64>,
    },
    /// Recompute every hash and check every stored checkpoint; names the first bad entry or file.
    Verify {
        /// Log directory.
        #[arg(long)]
        log: PathBuf,
        /// Pin the verifier key (text or a file holding it) instead of trusting the log's `vkey` file.
        #[arg(long)]
        vkey: Option<String>,
    },
    /// Verify a proof offline against a signed checkpoint (no access to the log needed).
    VerifyProof {
        /// Verifier key `name+id+base64`, or a file holding it.
        #[arg(long)]
        vkey: String,
        /// Signed checkpoint file.
        #[arg(long)]
        checkpoint: PathBuf,
        /// Proof file: the JSON printed by `ledger prove` or `ledger consistency`.
        #[arg(long)]
        proof: PathBuf,
        /// The entry (a JSON event, or the raw entry bytes) the inclusion proof is about.
        #[arg(long)]
        entry: Option<PathBuf>,
        /// For a consistency proof: the older signed checkpoint, to check `old_root` against.
        #[arg(long)]
        old_checkpoint: Option<PathBuf>,
    },
}

/// Largest group of entries committed with one fsync round.
const MAX_GROUP: usize = 65_536;

/// Runs `sejahtera ledger …`.
pub async fn run(args: Args, _g: &crate::Global) -> anyhow::Result<ExitCode> {
    match args.cmd {
        Cmd::Init { log, origin } => {
            let vkey = FileLog::init(&log, &origin).map_err(store_err)?;
            println!("{vkey}");
            eprintln!(
                "created {}; private key in {} (keep it secret, never publish private/)",
                log.display(),
                log.join("private/signer.key").display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Append { log, file } => append(&log, file.as_deref()),
        Cmd::Checkpoint { log } => {
            let note = match FileLog::open(&log) {
                Ok((l, _)) => l.save_checkpoint().map_err(store_err)?,
                Err(StoreError::Locked(_)) => {
                    eprintln!(
                        "note: a writer holds the log; printing its latest checkpoint without saving a copy"
                    );
                    LogReader::open(&log)
                        .map_err(store_err)?
                        .checkpoint()
                        .to_vec()
                }
                Err(e) if e.is_verification_failure() => return Ok(failed(&e)),
                Err(e) => return Err(store_err(e)),
            };
            std::io::stdout().write_all(&note)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Prove { log, index, size } => {
            let r = match LogReader::open(&log) {
                Ok(r) => r,
                Err(e) if e.is_verification_failure() => return Ok(failed(&e)),
                Err(e) => return Err(store_err(e)),
            };
            let p = r.prove_inclusion(index, size).map_err(store_err)?;
            println!("{}", serde_json::to_string(&p)?);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Consistency { log, old, size } => {
            let r = match LogReader::open(&log) {
                Ok(r) => r,
                Err(e) if e.is_verification_failure() => return Ok(failed(&e)),
                Err(e) => return Err(store_err(e)),
            };
            let p = r.prove_consistency(old, size).map_err(store_err)?;
            println!("{}", serde_json::to_string(&p)?);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Verify { log, vkey } => {
            let vkey = vkey.map(|k| read_key(&k)).transpose()?;
            match verify_log(&log, vkey.as_deref()) {
                Ok(rep) => {
                    for f in &rep.uncommitted {
                        eprintln!(
                            "note: {f} is beyond the checkpoint (an interrupted append; removed by the next writer)"
                        );
                    }
                    println!(
                        "ok: {} entries, root {}, {} checkpoints and {} tile files verified",
                        rep.size,
                        hash_b64(&rep.root),
                        rep.checkpoints,
                        rep.files
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) if e.is_verification_failure() => Ok(failed(&e)),
                Err(e) => Err(store_err(e)),
            }
        }
        Cmd::VerifyProof {
            vkey,
            checkpoint,
            proof,
            entry,
            old_checkpoint,
        } => verify_proof(
            &vkey,
            &checkpoint,
            &proof,
            entry.as_deref(),
            old_checkpoint.as_deref(),
        ),
    }
}

fn store_err(e: StoreError) -> anyhow::Error {
    anyhow::Error::new(e)
}

fn failed(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("verification failed: {e}");
    ExitCode::from(1)
}

/// A verifier key given literally or as a file holding it.
fn read_key(arg: &str) -> anyhow::Result<String> {
    let p = Path::new(arg);
    if p.is_file() {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        Ok(text.trim().to_string())
    } else if arg.contains('+') {
        Ok(arg.trim().to_string())
    } else {
        bail!("--vkey {arg:?} is neither a verifier key (name+id+key) nor a readable file")
    }
}

enum Line {
    Entry(Vec<u8>),
    Bad { line: usize, reason: String },
    Io(std::io::Error),
}

fn append(log: &Path, file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let (mut l, rec) = FileLog::open(log).map_err(store_err)?;
    if !rec.removed_torn.is_empty() {
        eprintln!(
            "note: removed {} tile files of an interrupted append (never acknowledged)",
            rec.removed_torn.len()
        );
    }
    let input: Box<dyn Read + Send> = match file {
        None => Box::new(std::io::stdin()),
        Some(p) if p == Path::new("-") => Box::new(std::io::stdin()),
        Some(p) => {
            Box::new(std::fs::File::open(p).with_context(|| format!("opening {}", p.display()))?)
        }
    };
    let name = file.map_or_else(|| "<stdin>".to_string(), |p| p.display().to_string());
    // A reader thread parses and canonicalizes; this thread commits whatever has arrived
    // (group commit: one fsync round per group, up to MAX_GROUP entries).
    let (tx, rx) = mpsc::sync_channel::<Line>(MAX_GROUP);
    let reader = std::thread::spawn(move || {
        let mut r = BufReader::with_capacity(1 << 20, input);
        let mut buf = String::new();
        let mut n = 0usize;
        loop {
            buf.clear();
            match r.read_line(&mut buf) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) => {
                    let _ = tx.send(Line::Io(e));
                    return;
                }
            }
            n += 1;
            let text = buf.trim();
            if text.is_empty() {
                continue;
            }
            let msg = match Event::parse_json(text) {
                Ok(ev) => Line::Entry(ev.canonical_bytes()),
                Err(e) => Line::Bad {
                    line: n,
                    reason: e.to_string(),
                },
            };
            let stop = matches!(msg, Line::Bad { .. });
            if tx.send(msg).is_err() || stop {
                return;
            }
        }
    });
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut group: Vec<Vec<u8>> = Vec::new();
    let mut problem: Option<Line> = None;
    while problem.is_none() {
        let Ok(first) = rx.recv() else { break };
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Line::Entry(e) => group.push(e),
                other => {
                    problem = Some(other);
                    break;
                }
            }
            if group.len() >= MAX_GROUP {
                break;
            }
            next = rx.try_recv().ok();
        }
        if !group.is_empty() {
            let range = l.append(&group).map_err(store_err)?;
            for i in range {
                writeln!(out, "{i}")?;
            }
            out.flush()?;
            group.clear();
        }
    }
    drop(rx);
    let _ = reader.join();
    match problem {
        None => Ok(ExitCode::SUCCESS),
        Some(Line::Bad { line, reason }) => {
            eprintln!(
                "error: {name}: line {line}: {reason} (events before this line were appended; nothing after it)"
            );
            Ok(ExitCode::from(2))
        }
        Some(Line::Io(e)) => Err(anyhow::Error::new(e).context(format!("reading {name}"))),
        Some(Line::Entry(_)) => Ok(ExitCode::SUCCESS),
    }
}

fn verify_proof(
    vkey: &str,
    checkpoint: &Path,
    proof: &Path,
    entry: Option<&Path>,
    old_checkpoint: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let vkey = read_key(vkey)?;
    let note =
        std::fs::read(checkpoint).with_context(|| format!("reading {}", checkpoint.display()))?;
    let cp = match verify_checkpoint(&vkey, &note) {
        Ok(cp) => cp,
        Err(e) => return Ok(failed(&format!("{}: {e}", checkpoint.display()))),
    };
    let text =
        std::fs::read_to_string(proof).with_context(|| format!("reading {}", proof.display()))?;
    if let Ok(p) = serde_json::from_str::<InclusionProof>(&text) {
        if p.size != cp.size || p.root != cp.root {
            return Ok(failed(&format!(
                "the proof is for size {} with root {}, the checkpoint for size {} with root {}",
                p.size,
                hash_b64(&p.root),
                cp.size,
                hash_b64(&cp.root)
            )));
        }
        if let Some(entry) = entry {
            let raw =
                std::fs::read(entry).with_context(|| format!("reading {}", entry.display()))?;
            let h = entry_leaf_hash(&raw);
            if h != p.leaf_hash {
                return Ok(failed(&format!(
                    "{}: leaf hash {} differs from the proof's leaf_hash {}",
                    entry.display(),
                    hash_b64(&h),
                    hash_b64(&p.leaf_hash)
                )));
            }
        }
        if let Err(e) = p.verify() {
            return Ok(failed(&e));
        }
        println!(
            "ok: entry {} is in the log {} of size {} (root {}){}",
            p.index,
            cp.origin,
            cp.size,
            hash_b64(&cp.root),
            if entry.is_some() {
                ", and the entry matches its leaf hash"
            } else {
                ""
            }
        );
        return Ok(ExitCode::SUCCESS);
    }
    let p: ConsistencyProof = serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: neither an inclusion proof {{index,size,leaf_hash,root,hashes}} nor a consistency proof {{old,size,old_root,root,hashes}}",
            proof.display()
        )
    })?;
    if entry.is_some() {
        bail!("--entry only applies to inclusion proofs");
    }
    if p.size != cp.size || p.root != cp.root {
        return Ok(failed(&format!(
            "the proof is for size {} with root {}, the checkpoint for size {} with root {}",
            p.size,
            hash_b64(&p.root),
            cp.size,
            hash_b64(&cp.root)
        )));
    }
    if let Some(old) = old_checkpoint {
        let note = std::fs::read(old).with_context(|| format!("reading {}", old.display()))?;
        match verify_checkpoint(&vkey, &note) {
            Ok(oc) if oc.size == p.old && oc.root == p.old_root => {}
            Ok(oc) => {
                return Ok(failed(&format!(
                    "{}: size {} root {} differs from the proof's old tree (size {} root {})",
                    old.display(),
                    oc.size,
                    hash_b64(&oc.root),
                    p.old,
                    hash_b64(&p.old_root)
                )));
            }
            Err(e) => return Ok(failed(&format!("{}: {e}", old.display()))),
        }
    }
    if let Err(e) = p.verify() {
        return Ok(failed(&e));
    }
    println!(
        "ok: the log {} of size {} (root {}) extends its tree of size {} (root {})",
        cp.origin,
        cp.size,
        hash_b64(&cp.root),
        p.old,
        hash_b64(&p.old_root)
    );
    Ok(ExitCode::SUCCESS)
}

/// Leaf hash of an entry file: a JSON event is canonicalized first; anything else is
/// hashed as it is (without one trailing newline).
fn entry_leaf_hash(raw: &[u8]) -> sejahtera_ledger::Hash {
    let trimmed = raw.strip_suffix(b"\n").unwrap_or(raw);
    let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
    match std::str::from_utf8(trimmed).ok().map(Event::parse_json) {
        Some(Ok(ev)) => ev.leaf_hash(),
        _ => leaf_hash(trimmed),
    }
}
