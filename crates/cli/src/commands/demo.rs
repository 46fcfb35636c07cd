//! `sejahtera demo`: create (or reuse) the synthetic demo registry.

use std::process::ExitCode;

use sejahtera_app::{Clock, SystemClock};
use sejahtera_demo::registry::{DemoOptions, DemoOutcome, TARGETS, seed};

use crate::Global;
use crate::progress::Bar;

/// Create (or reuse) a deterministic synthetic registry of Kota Kupang and Kabupaten Sarolangun.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only create the data; do not start the portal.
    #[arg(long)]
    pub no_serve: bool,
    /// Random seed of the generator.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Population scale: 1 is full size (about 773,000 persons), 0.01 a small registry for tests.
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Server options (when serving).
    #[command(flatten)]
    pub serve: crate::commands::serve::ServeArgs,
}

/// Runs `demo`.
pub async fn run(args: Args, g: &Global) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let (store, regions) =
        sejahtera_app::regions::open(&g.db, &sejahtera_app::regions::default_data_dir()).await?;
    let bar = Bar::new(g.quiet);
    let opts = DemoOptions {
        seed: args.seed,
        scale: args.scale,
    };
    let outcome = seed(&store, &regions, opts, SystemClock.today(), &bar).await?;
    match &outcome {
        DemoOutcome::Created(summaries) => {
            println!(
                "demo registry created in {} ({:.1} s)",
                g.db,
                started.elapsed().as_secs_f64()
            );
            for s in summaries {
                println!(
                    "{} {}: {} households, {} persons ({:.1} % women, {:.2} per household); \
                     P0 {:.2} % (target {:.2} %) below Rp {} per capita per month; Gini {:.3}",
                    s.code,
                    s.name,
                    s.households,
                    s.persons,
                    100.0 * s.women as f64 / s.persons.max(1) as f64,
                    s.persons as f64 / s.households.max(1) as f64,
                    100.0 * s.p0,
                    100.0 * s.p0_target,
                    sejahtera_domain::money::group_thousands(s.poverty_line),
                    s.gini
                );
                println!("    poverty line: {}", s.poverty_line_source);
            }
        }
        DemoOutcome::Reused => {
            let (h, p) = sejahtera_app::summary::totals(&store).await?;
            println!(
                "demo registry already in {}: {h} households, {p} persons",
                g.db
            );
            for t in TARGETS {
                println!(
                    "    {}: poverty line Rp {} ({})",
                    t.code,
                    sejahtera_domain::money::group_thousands(t.poverty_line),
                    t.poverty_line_source
                );
            }
        }
    }
    let seeded = sejahtera_demo::accounts::seed_demo_users(&store, &regions).await?;
    // The programs' decisions are recorded as made by the agencies' demo operators.
    let users = sejahtera_app::accounts::users(&store).await?;
    let actor_of = |agency: &str| {
        users
            .iter()
            .find(|u| u.agency.as_deref() == Some(agency))
            .map_or(0, |u| u.id)
    };
    if let Some(p) = sejahtera_demo::programs::seed_programs(
        &store,
        &regions,
        args.seed,
        SystemClock.today(),
        &actor_of,
        &bar,
    )
    .await?
    {
        println!(
            "demo programs: {} programs, {} participants, {} enrollment events, {} outcome observations",
            p.programs, p.participants, p.events, p.outcomes
        );
    }
    sejahtera_demo::accounts::seed_demo_partner_users(&store, &regions).await?;
    // The demo accounts exist (now or from an earlier run) only in a demo database.
    let demo_accounts = seeded
        || sejahtera_app::accounts::user_by_username(&store, "operator.oebobo")
            .await?
            .is_some();
    store.close().await;
    if !args.no_serve {
        let mut banner = Vec::new();
        if demo_accounts {
            banner.push(format!(
                "demo sign-in at http://{}/login: operator.oebobo (village operator, Oebobo), \
                 opd.p3a.kupang (agency operator), mitra.bankntt (partner), perencana (planner), \
                 auditor, admin; password {:?} (demo database only)",
                args.serve.bind,
                sejahtera_demo::accounts::DEMO_PASSWORD
            ));
        }
        crate::commands::serve::serve(&args.serve, g, &banner).await?;
    } else if seeded {
        println!(
            "demo accounts: admin, perencana, auditor, operator.oebobo, operator.sarolangun, \
             opd.p3a.kupang, opd.koperasi.kupang, opd.pertanian.sarolangun, opd.koperasi.sarolangun, \
             mitra.bankntt, mitra.anyaman; password {:?}",
            sejahtera_demo::accounts::DEMO_PASSWORD
        );
    }
    Ok(ExitCode::SUCCESS)
}
