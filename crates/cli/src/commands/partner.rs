//! `sejahtera partner`: banks, koperasi and businesses that programs refer
//! participants to.

use std::collections::BTreeSet;
use std::process::ExitCode;

use sejahtera_app::delivery::create_partner;
use sejahtera_domain::access::Actor;
use sejahtera_domain::codes::Code;
use sejahtera_domain::delivery::{Partner, PartnerKind, Service};

use crate::Global;
use crate::commands::program::{exit_code, parse_code};
use crate::output::{Format, Rows};

/// Partners of programs.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

/// What to do.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Register a partner (prints its id).
    Add {
        /// Name (unique).
        #[arg(long)]
        name: String,
        /// Kind: bank, koperasi, usaha or lainnya.
        #[arg(long, value_parser = parse_code::<PartnerKind>)]
        kind: PartnerKind,
        /// Services offered, comma separated: kur, kredit, tabungan, akses_pasar, sarana, pelatihan.
        #[arg(long, required = true, value_delimiter = ',', value_parser = parse_code::<Service>)]
        services: Vec<Service>,
        /// Contact (office, phone), shown to staff.
        #[arg(long, default_value = "")]
        contact: String,
    },
    /// List partners: id, name, kind, services, contact.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// Runs `partner`.
pub async fn run(args: Args, g: &Global) -> anyhow::Result<ExitCode> {
    let (store, _) =
        sejahtera_app::regions::open(&g.db, &sejahtera_app::regions::default_data_dir()).await?;
    let result = run_with(&store, args).await;
    store.close().await;
    exit_code(result)
}

async fn run_with(store: &sejahtera_app::Store, args: Args) -> anyhow::Result<ExitCode> {
    match args.action {
        Action::Add {
            name,
            kind,
            services,
            contact,
        } => {
            let p = Partner {
                id: 0,
                name: name.trim().to_string(),
                kind,
                services: services.into_iter().collect::<BTreeSet<_>>(),
                contact: contact.trim().to_string(),
            };
            let id = create_partner(store, &Actor::console(), &p).await?;
            println!("created partner {id}: {}", p.name);
        }
        Action::List { format } => {
            let mut rows =
                Rows::new(&["id", "name", "kind", "services", "contact"]).numeric(&["id"]);
            for p in sejahtera_app::delivery::partners(store).await? {
                rows.push(vec![
                    Some(p.id.to_string()),
                    Some(p.name),
                    Some(p.kind.as_str().to_string()),
                    Some(
                        p.services
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(","),
                    ),
                    Some(p.contact),
                ]);
            }
            rows.print(format, &mut std::io::stdout().lock())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
