//! The sign-in throttle: counted in the database before the password is
//! checked, per account and per address, with a window that passes.

use std::net::IpAddr;
use std::time::Duration;

use sejahtera_app::DbUrl;
use sejahtera_app::accounts::{LoginThrottle, ThrottlePolicy};
use sejahtera_store::Store;
use sejahtera_testkit::db::TestDb;

async fn store(db: &TestDb) -> Store {
    sejahtera_app::db::open(&DbUrl::parse(&db.url).unwrap())
        .await
        .unwrap()
}

fn policy(per_account: u32, per_address: u32) -> ThrottlePolicy {
    ThrottlePolicy {
        per_account,
        per_address,
        window: Duration::from_secs(60),
    }
}

sejahtera_testkit::on_both_backends! {
async fn an_account_locks_after_the_limit_and_not_before(db) {
    let s = store(&db).await;
    let t = LoginThrottle::new(policy(3, 100));
    let ip: IpAddr = "127.0.0.1".parse().unwrap();
    for _ in 0..3 {
        assert!(t.take(&s, "budi", ip, 1000).await.unwrap().is_none());
    }
    let wait = t.take(&s, "budi", ip, 1010).await.unwrap().unwrap();
    assert_eq!(wait, Duration::from_secs(50), "the rest of the window");
    assert!(t.take(&s, "siti", ip, 1010).await.unwrap().is_none());
    // The window passes: counting starts again.
    assert!(t.take(&s, "budi", ip, 1060).await.unwrap().is_none());
}

async fn an_address_locks_across_accounts_and_a_success_gives_its_place_back(db) {
    let s = store(&db).await;
    let t = LoginThrottle::new(policy(100, 4));
    let ip: IpAddr = "10.0.0.1".parse().unwrap();
    for i in 0..3 {
        assert!(
            t.take(&s, &format!("user{i}"), ip, 1000)
                .await
                .unwrap()
                .is_none()
        );
    }
    // The fourth attempt succeeds: its place goes back to the address.
    assert!(t.take(&s, "budi", ip, 1000).await.unwrap().is_none());
    t.succeeded(&s, "budi", ip).await.unwrap();
    assert!(t.take(&s, "user9", ip, 1000).await.unwrap().is_none());
    assert!(t.take(&s, "someone", ip, 1000).await.unwrap().is_some());
    let other: IpAddr = "10.0.0.2".parse().unwrap();
    assert!(t.take(&s, "someone", other, 1000).await.unwrap().is_none());
    // An IPv4 client seen through an IPv6 socket is the same address.
    let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
    assert!(t.take(&s, "x", mapped, 1000).await.unwrap().is_some());
    // Old counters are swept.
    assert!(t.sweep(&s, 2000).await.unwrap() > 0);
    assert!(t.take(&s, "someone", ip, 2000).await.unwrap().is_none());
}

async fn racing_attempts_through_two_connection_pools_get_at_most_the_limit(db) {
    // Two pools on one database stand for two processes sharing it.
    let a = store(&db).await;
    let b = store(&db).await;
    let t = std::sync::Arc::new(LoginThrottle::new(policy(5, 1000)));
    let ip: IpAddr = "192.0.2.1".parse().unwrap();
    let mut tasks = Vec::new();
    for i in 0..40 {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            t.take(&s, "budi", ip, 1000).await.unwrap().is_none()
        }));
    }
    let mut allowed = 0;
    for task in tasks {
        if task.await.unwrap() {
            allowed += 1;
        }
    }
    assert_eq!(allowed, 5);
}

async fn an_ipv6_network_shares_one_budget_and_a_blocked_address_writes_nothing(db) {
    let s = store(&db).await;
    let t = LoginThrottle::new(policy(100, 3));
    for i in 0..3 {
        let ip: IpAddr = format!("2001:db8:1:2::{i:x}").parse().unwrap();
        assert!(t.take(&s, "budi", ip, 1000).await.unwrap().is_none());
    }
    // Another address of the same /64 is the same client.
    let same: IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
    assert!(t.take(&s, "budi", same, 1000).await.unwrap().is_some());
    let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
    assert!(t.take(&s, "budi", other, 1000).await.unwrap().is_none());
    // Once blocked, further attempts under new usernames add no rows.
    let before = s.login_attempts("account:new0").await.unwrap();
    assert!(before.is_none());
    for i in 0..20 {
        assert!(
            t.take(&s, &format!("new{i}"), same, 1001)
                .await
                .unwrap()
                .is_some()
        );
    }
    assert!(s.login_attempts("account:new0").await.unwrap().is_none());
}

async fn a_username_that_cannot_exist_counts_against_the_address_only(db) {
    use sejahtera_app::accounts::{LoginError, login};
    let s = store(&db).await;
    let t = LoginThrottle::new(policy(100, 3));
    let ip: IpAddr = "198.51.100.7".parse().unwrap();
    let long = "x".repeat(65);
    for name in [long.as_str(), "Budi Besar", "\u{0}"] {
        assert!(matches!(
            login(&s, &t, name, "whatever-password", ip, &sejahtera_app::SystemClock).await,
            Err(LoginError::Invalid)
        ));
    }
    assert!(matches!(
        login(&s, &t, &long, "whatever-password", ip, &sejahtera_app::SystemClock).await,
        Err(LoginError::Throttled(_))
    ));
    assert!(
        s.login_attempts(&format!("account:{long}"))
            .await
            .unwrap()
            .is_none()
    );
}
}
