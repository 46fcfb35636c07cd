//! The sign-in limit holds across processes: two `sejahtera serve` processes on
//! one database, 60 wrong passwords for one account sent to both at once, and
//! exactly the limit (5) is checked — the attempt is counted in the database
//! before the password is, never in a process's memory.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn command(db: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sejahtera"));
    c.env(
        "SEJAHTERA_DATA",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../data"),
    )
    .env_remove("SEJAHTERA_DB")
    .env_remove("SEJAHTERA_TRUSTED_PROXIES")
    .arg("--db")
    .arg(db)
    .arg("--quiet");
    c
}

/// A server process and the address it printed.
struct Served {
    child: Child,
    addr: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(db: &str) -> Served {
    let mut child = command(db)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    Served { child, addr }
}

/// Status code of one sign-in attempt (plain HTTP/1.1 over a socket).
fn attempt(addr: &str, user: &str, password: &str) -> u16 {
    let body = format!(r#"{{"username":"{user}","password":"{password}"}}"#);
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(
        s,
        "POST /api/v1/session HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut head = [0u8; 12];
    s.read_exact(&mut head).unwrap();
    std::str::from_utf8(&head[9..12]).unwrap().parse().unwrap()
}

sejahtera_testkit::on_both_backends! {
async fn sign_in_limit_holds_across_two_server_processes(db) {
    let t = db;
    let db = t.url.clone();
    assert!(command(&db).arg("init").status().unwrap().success());
    let mut add = command(&db)
        .args(["user", "add", "--role", "planner", "--name", "budi"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(b"right-password-123\n")
        .unwrap();
    assert!(add.wait().unwrap().success());

    let a = serve(&db);
    let b = serve(&db);
    let mut threads = Vec::new();
    for i in 0..60 {
        let addr = if i % 2 == 0 {
            a.addr.clone()
        } else {
            b.addr.clone()
        };
        threads.push(std::thread::spawn(move || {
            attempt(&addr, "budi", "wrong-password")
        }));
    }
    let statuses: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(
        (checked, refused),
        (5, 55),
        "5 attempts checked, the rest refused: {statuses:?}"
    );
    // Locked on both servers, even with the right password.
    assert_eq!(attempt(&a.addr, "budi", "right-password-123"), 429);
    assert_eq!(attempt(&b.addr, "budi", "right-password-123"), 429);
}
}
