//! Issue #14: the "at most N" rules of a program hold when separate
//! `sejahtera program decide` processes and concurrent API requests to a running
//! `sejahtera serve` race for the same places, on SQLite and on PostgreSQL.
//!
//! For each rule — a capacity of 5, a village quota of 5, two exclusive programs —
//! 50 households are first proposed as candidates; then 25 `decide --action enroll`
//! processes and 25 `POST /api/v1/programs/{id}/decisions` requests are released
//! by one barrier. Exactly the allowed number are enrolled; every other attempt is
//! refused with the reason (exit 3 and `refused: …` on the command line, 409 with
//! the reason in the API); the stored events, read back through the command line,
//! the API and the tables, say the same.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Barrier, mpsc};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The agency of the programs raced for, and its operator's account.
const AGENCY: &str = "Dinas P3A Kota Kupang";
const OPERATOR: &str = "opd.balapan";
const PASSWORD: &str = "kata-sandi-balapan-123";
/// The actor recorded for decisions of the command line (`commands::program::CLI_ACTOR`).
const CLI_ACTOR: i64 = 0;

fn command(db: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sejahtera"));
    c.env(
        "SEJAHTERA_DATA",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../data"),
    )
    .env_remove("SEJAHTERA_DB")
    .env_remove("SEJAHTERA_LOG");
    // The server's settings from the environment (Secure cookies would not come
    // back over plain HTTP).
    for var in [
        "SEJAHTERA_BIND",
        "SEJAHTERA_SECURE_COOKIES",
        "SEJAHTERA_TRUSTED_PROXIES",
        "SEJAHTERA_METRICS_TOKEN",
    ] {
        c.env_remove(var);
    }
    c.arg("--db").arg(db).arg("--quiet").args(args);
    c
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn cli(db: &str, args: &[&str]) -> String {
    let o = command(db, args).output().unwrap();
    assert!(o.status.success(), "sejahtera {args:?}: {}", text(&o));
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// Creates the staff account that signs in to the API (the command line decides
/// as the console).
fn add_operator(db: &str) {
    let mut c = command(
        db,
        &[
            "user",
            "add",
            "--role",
            "agency_operator",
            "--name",
            OPERATOR,
            "--agency",
            AGENCY,
            "--region",
            "53.71",
        ],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    use std::io::Write;
    c.stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let o = c.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
}

fn add_program(db: &str, name: &str, extra: &[&str]) -> i64 {
    let mut args = vec![
        "program",
        "add",
        "--name",
        name,
        "--sector",
        "pemberdayaan_perempuan",
        "--agency",
        AGENCY,
        "--kind",
        "pelatihan",
        "--start",
        "2026-01-01",
        "--end",
        "2026-12-31",
        "--budget",
        "0",
        "--eligibility",
        "di_wilayah(\"53.71\")",
    ];
    args.extend_from_slice(extra);
    let out = cli(db, &args);
    out.strip_prefix("created program ")
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("{out}"))
}

/// KK numbers and villages of the Kupang households, from the export.
fn kupang_households(db: &str) -> Vec<(String, String)> {
    let csv = cli(db, &["export", "households", "--format", "csv"]);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let kk = header.iter().position(|h| *h == "no_kk").unwrap();
    let village = header.iter().position(|h| *h == "kode_wilayah").unwrap();
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[village].starts_with("53.71."))
        .map(|f| (f[kk].to_string(), f[village].to_string()))
        .collect()
}

/// Current status of each household in a program, as `program enrollments` shows it.
fn statuses_from_cli(db: &str, program: i64) -> BTreeMap<String, String> {
    let csv = cli(
        db,
        &[
            "program",
            "enrollments",
            &program.to_string(),
            "--format",
            "csv",
        ],
    );
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("kk,village,status,participant"), "{csv}");
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[2].to_string())
        })
        .collect()
}

/// A `sejahtera serve` process, killed when dropped (also when a test fails).
struct Server {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Server {
    /// Starts the server on a free port of 127.0.0.1 and waits until it answers
    /// `/healthz`.
    async fn start(db: &str, dir: &Path) -> Server {
        let log = dir.join("serve.log");
        let mut child = command(db, &["serve", "--bind", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut server = Server {
            child,
            base: String::new(),
            log,
        };
        // The first line says where it listens; the rest is drained.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let first = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|e| panic!("serve did not start ({e}): {}", server.log_text()));
        server.base = first
            .strip_prefix("serving on ")
            .and_then(|r| r.split_whitespace().next())
            .map(|u| u.trim_end_matches('/').to_string())
            .unwrap_or_else(|| panic!("unexpected first line of serve: {first}"));
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match client.get(server.url("/healthz")).send().await {
                Ok(r) if r.status() == 200 => break,
                other if Instant::now() > deadline => {
                    panic!("/healthz: {other:?}: {}", server.log_text())
                }
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        server
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn log_text(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        format!("server log {}:\n{log}", self.log.display())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The operator signed in to the API.
struct Api {
    client: reqwest::Client,
    csrf: String,
    /// The operator's user id, recorded as the actor of API decisions.
    user: i64,
}

impl Api {
    async fn sign_in(server: &Server) -> Api {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let r = client
            .post(server.url("/api/v1/session"))
            .json(&json!({"username": OPERATOR, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "sign-in: {}", server.log_text());
        let v: Value = r.json().await.unwrap();
        let csrf = v["csrf_token"].as_str().unwrap().to_string();
        let user = v["user"]["id"].as_i64().unwrap();
        assert_ne!(user, CLI_ACTOR);
        Api { client, csrf, user }
    }

    /// Records a decision; `Ok` with the new status or a refusal's reason,
    /// `Err` for any other answer.
    async fn decide(
        &self,
        server: &Server,
        program: i64,
        kk: &str,
        action: &str,
    ) -> Result<Answer, String> {
        let r = self
            .client
            .post(server.url(&format!("/api/v1/programs/{program}/decisions")))
            .header("x-csrf-token", &self.csrf)
            // The reasons are compared word for word with the CLI's (English).
            .header("accept-language", "en")
            .json(&json!({"no_kk": kk, "action": action, "why": "rapat penetapan"}))
            .send()
            .await
            .map_err(|e| format!("API {action} {kk}: {e}"))?;
        let status = r.status().as_u16();
        let body = r.text().await.map_err(|e| format!("API {kk}: {e}"))?;
        let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        match status {
            201 => Ok(Answer::Done(
                v["status"].as_str().unwrap_or_default().to_string(),
            )),
            409 if v["error"]["code"] == "refused" => Ok(Answer::Refused(
                v["error"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )),
            _ => Err(format!("API {action} {kk}: {status} {body}")),
        }
    }

    /// Current status of each household in a program, as the API lists it.
    async fn statuses(&self, server: &Server, program: i64) -> BTreeMap<String, String> {
        let r = self
            .client
            .get(server.url(&format!("/api/v1/programs/{program}/enrollments")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["no_kk"].as_str().unwrap().to_string(),
                    i["status"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }
}

/// How a decision was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    Cli,
    Api,
}

/// One enrollment attempt of the race.
#[derive(Debug, Clone)]
struct Attempt {
    program: i64,
    kk: String,
    via: Via,
}

/// What an attempt got.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    /// Recorded; the new status.
    Done(String),
    /// Refused; the words of the refusal.
    Refused(String),
}

/// API requests are spread over this long after the barrier, so that they land
/// while the processes, which need some time to start and open the database,
/// make their decisions too (all at once, they would all be answered first).
const API_SPREAD: Duration = Duration::from_millis(400);

/// Releases every attempt at once (one barrier for processes and requests) and
/// returns each one's answer, in order; fails on any answer that is neither a
/// recorded enrollment nor a refusal.
fn race(db: &str, server: &Server, api: &Api, attempts: &[Attempt]) -> Vec<Answer> {
    let runtime = tokio::runtime::Handle::current();
    let barrier = Barrier::new(attempts.len());
    let api_count = attempts.iter().filter(|a| a.via == Via::Api).count().max(1) as u32;
    let answers: Vec<Result<Answer, String>> = tokio::task::block_in_place(|| {
        std::thread::scope(|s| {
            let mut api_index = 0;
            let threads: Vec<_> = attempts
                .iter()
                .map(|a| {
                    let (barrier, runtime) = (&barrier, &runtime);
                    let delay = API_SPREAD * api_index / api_count;
                    if a.via == Via::Api {
                        api_index += 1;
                    }
                    s.spawn(move || match a.via {
                        Via::Cli => {
                            let program = a.program.to_string();
                            let mut c = command(
                                db,
                                &[
                                    "program", "decide", &program, "--kk", &a.kk, "--action",
                                    "enroll", "--why", "rapat",
                                ],
                            );
                            c.stdout(Stdio::piped()).stderr(Stdio::piped());
                            barrier.wait();
                            let o = c.output().map_err(|e| e.to_string())?;
                            match o.status.code() {
                                Some(0) => Ok(Answer::Done("enrolled".into())),
                                Some(3) => Ok(Answer::Refused(
                                    String::from_utf8_lossy(&o.stderr).trim().to_string(),
                                )),
                                other => Err(format!(
                                    "decide {} --kk {} exited {other:?}: {}",
                                    a.program,
                                    a.kk,
                                    text(&o)
                                )),
                            }
                        }
                        Via::Api => {
                            barrier.wait();
                            std::thread::sleep(delay);
                            runtime.block_on(api.decide(server, a.program, &a.kk, "enroll"))
                        }
                    })
                })
                .collect();
            threads
                .into_iter()
                .map(|t| t.join().unwrap_or_else(|_| Err("thread panicked".into())))
                .collect()
        })
    });
    let failed: Vec<&String> = answers.iter().filter_map(|a| a.as_ref().err()).collect();
    assert!(
        failed.is_empty(),
        "{} attempts neither enrolled nor refused:\n{failed:#?}\n{}",
        failed.len(),
        server.log_text()
    );
    answers.into_iter().map(Result::unwrap).collect()
}

/// Proposes every household as a candidate of the program, through the API.
async fn propose(server: &Server, api: &Api, program: i64, households: &[String]) {
    for kk in households {
        let a = api.decide(server, program, kk, "propose").await;
        assert_eq!(a, Ok(Answer::Done("candidate".into())), "{kk}");
    }
}

/// Every other attempt by the command line, the rest through the API.
fn attempts(program: i64, households: &[String], first: Via) -> Vec<Attempt> {
    households
        .iter()
        .enumerate()
        .map(|(i, kk)| Attempt {
            program,
            kk: kk.clone(),
            via: match (i % 2 == 0, first) {
                (true, v) => v,
                (false, Via::Cli) => Via::Api,
                (false, Via::Api) => Via::Cli,
            },
        })
        .collect()
}

/// The attempts that enrolled their household, and the number refused; checks
/// that every refusal gives the `reason` for its attempt, and reports how many of
/// each side got through.
fn tally(
    label: &str,
    attempts: &[Attempt],
    answers: &[Answer],
    reason: impl Fn(&Attempt) -> String,
) -> (Vec<Attempt>, usize) {
    let mut enrolled = Vec::new();
    let mut refused = 0;
    for (a, answer) in attempts.iter().zip(answers) {
        match answer {
            Answer::Done(s) => {
                assert_eq!(s, "enrolled", "{a:?}");
                enrolled.push(a.clone());
            }
            Answer::Refused(m) => {
                let reason = reason(a);
                assert!(
                    m.contains(&reason),
                    "{a:?} refused without the reason ({reason:?}): {m:?}"
                );
                refused += 1;
            }
        }
    }
    let by = |v: Via| enrolled.iter().filter(|a| a.via == v).count();
    eprintln!(
        "{label}: {} enrolled ({} by the command line, {} through the API), {refused} refused",
        enrolled.len(),
        by(Via::Cli),
        by(Via::Api)
    );
    (enrolled, refused)
}

/// The stored events agree with the race's answers: through the command line,
/// the API and the table itself, the `winners` are enrolled in `program` (each by
/// one event, recorded by the side that won) and the other `candidates` are still
/// candidates.
async fn check_stored(
    t: &sejahtera_testkit::db::TestDb,
    server: &Server,
    api: &Api,
    program: i64,
    candidates: &[String],
    winners: &[&Attempt],
) {
    let enrolled: BTreeMap<String, i64> = winners
        .iter()
        .map(|a| {
            let actor = match a.via {
                Via::Cli => CLI_ACTOR,
                Via::Api => api.user,
            };
            (a.kk.clone(), actor)
        })
        .collect();
    assert_eq!(enrolled.len(), winners.len(), "{winners:?}");
    let want: BTreeMap<String, String> = candidates
        .iter()
        .map(|kk| {
            let s = if enrolled.contains_key(kk) {
                "enrolled"
            } else {
                "candidate"
            };
            (kk.clone(), s.to_string())
        })
        .collect();
    assert_eq!(
        statuses_from_cli(&t.url, program),
        want,
        "program enrollments"
    );
    assert_eq!(api.statuses(server, program).await, want, "API enrollments");
    let pool = t.raw().await;
    let candidate_events: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM enrollment_events WHERE program_id = $1 AND status = 'candidate'",
    )
    .bind(program)
    .fetch_one(&pool)
    .await
    .unwrap();
    let enrolled_events: Vec<(String, i64)> = sqlx::query_as(
        "SELECT no_kk, actor FROM enrollment_events WHERE program_id = $1 AND status <> 'candidate'",
    )
    .bind(program)
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    assert_eq!(
        candidate_events,
        candidates.len() as i64,
        "program {program}"
    );
    assert_eq!(enrolled_events.len(), winners.len(), "{enrolled_events:?}");
    assert_eq!(
        enrolled_events.into_iter().collect::<BTreeMap<_, _>>(),
        enrolled,
        "enrollment events of program {program} (KK, actor)"
    );
}

sejahtera_testkit::on_both_backends! {
async fn processes_and_api_requests_race_for_the_same_places(db) {
    let t = db;
    let db = t.url.clone();
    let started = Instant::now();
    cli(&db, &["demo", "--no-serve", "--scale", "0.01", "--seed", "5"]);
    add_operator(&db);
    let households = kupang_households(&db);
    let server = Server::start(&db, t.dir()).await;
    let api = Api::sign_in(&server).await;
    let label = format!("{:?}", t.backend);

    // The village with the most households gets the quota; the others fill the
    // capacity and the exclusive programs.
    let mut by_village: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (kk, village) in &households {
        by_village.entry(village).or_default().push(kk.clone());
    }
    let (village, in_village) = by_village
        .iter()
        .max_by_key(|(_, v)| v.len())
        .unwrap();
    assert!(in_village.len() >= 50, "{village}: {}", in_village.len());
    let others: Vec<String> = households
        .iter()
        .filter(|(_, v)| v != village)
        .map(|(kk, _)| kk.clone())
        .collect();
    assert!(others.len() >= 75, "{}", others.len());

    // Capacity 5: 50 candidates.
    let cap = add_program(&db, "Balapan campuran kapasitas", &["--capacity", "5"]);
    let candidates = &others[..50];
    propose(&server, &api, cap, candidates).await;
    let tries = attempts(cap, candidates, Via::Cli);
    let answers = race(&db, &server, &api, &tries);
    let (enrolled, refused) = tally(
        &format!("{label} capacity"),
        &tries,
        &answers,
        |_| "Balapan campuran kapasitas has reached its capacity of 5 households".into(),
    );
    assert_eq!((enrolled.len(), refused), (5, 45), "enrolled: {enrolled:#?}");
    let winners: Vec<&Attempt> = enrolled.iter().collect();
    check_stored(&t, &server, &api, cap, candidates, &winners).await;

    // A village quota of 5: 50 candidates of that village.
    let quota = add_program(
        &db,
        "Balapan campuran kuota",
        &["--quota", &format!("{village}=5")],
    );
    let candidates = &in_village[..50];
    propose(&server, &api, quota, candidates).await;
    let tries = attempts(quota, candidates, Via::Api);
    let answers = race(&db, &server, &api, &tries);
    let (enrolled, refused) = tally(
        &format!("{label} quota"),
        &tries,
        &answers,
        |_| format!("the quota of 5 households for village {village} in Balapan campuran kuota is used up"),
    );
    assert_eq!((enrolled.len(), refused), (5, 45), "enrolled: {enrolled:#?}");
    let winners: Vec<&Attempt> = enrolled.iter().collect();
    check_stored(&t, &server, &api, quota, candidates, &winners).await;

    // Two exclusive programs: 25 households, each enrolled in both at the same
    // moment, one by the command line and the other through the API.
    let (name_a, name_b) = ("Balapan campuran A", "Balapan campuran B");
    let a = add_program(&db, name_a, &[]);
    let b = add_program(&db, name_b, &["--exclusive-with", &a.to_string()]);
    let rest = &others[50..75];
    propose(&server, &api, a, rest).await;
    propose(&server, &api, b, rest).await;
    let tries: Vec<Attempt> = attempts(a, rest, Via::Cli)
        .into_iter()
        .zip(attempts(b, rest, Via::Api))
        .flat_map(|(x, y)| [x, y])
        .collect();
    let answers = race(&db, &server, &api, &tries);
    let (enrolled, refused) = tally(
        &format!("{label} exclusive"),
        &tries,
        &answers,
        |t| {
            let (this, other) = if t.program == a { (name_a, name_b) } else { (name_b, name_a) };
            format!("the household is already enrolled in {other}, which is exclusive with {this}")
        },
    );
    assert_eq!((enrolled.len(), refused), (25, 25), "enrolled: {enrolled:#?}");
    let mut once = BTreeSet::new();
    for e in &enrolled {
        assert!(once.insert(e.kk.clone()), "{} enrolled in both", e.kk);
    }
    for p in [a, b] {
        let winners: Vec<&Attempt> = enrolled.iter().filter(|e| e.program == p).collect();
        check_stored(&t, &server, &api, p, rest, &winners).await;
    }
    eprintln!("{label}: {:.1} s", started.elapsed().as_secs_f64());
    drop(server);
}
}
