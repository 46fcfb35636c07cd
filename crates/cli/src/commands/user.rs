//! `sejahtera user`: create and list accounts of the web console.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::{Context, bail};
use sejahtera_app::accounts::{CreateUser, create_user};
use sejahtera_domain::access::Role;

use crate::Global;
use crate::output::{Format, Rows};

/// Create and list user accounts.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

/// What to do.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Create a user. The password is read from a prompt on a terminal, otherwise
    /// from the first line of standard input; never from an argument.
    Add(AddArgs),
    /// Set the region (regency or province code) an agency operator works for.
    Region {
        /// The agency operator's login name.
        name: String,
        /// Regency or province code, e.g. 53.71.
        region: String,
    },
    /// List users (no password hashes).
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// `user add`.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// Role: admin, planner, agency_operator, village_operator, auditor, partner or citizen.
    #[arg(long)]
    pub role: Role,
    /// Login name (3–40 characters of a-z, 0-9, '.', '_', '-').
    #[arg(long)]
    pub name: String,
    /// Full name shown in the console (default: the login name).
    #[arg(long, default_value = "")]
    pub display_name: String,
    /// Villages of a village operator, comma separated (e.g. 53.71.01.1001,53.71.01.1002).
    #[arg(long, value_delimiter = ',')]
    pub villages: Vec<String>,
    /// Agency (OPD) of an agency operator, exactly as its programs name it.
    #[arg(long)]
    pub agency: Option<String>,
    /// Region (regency or province code, e.g. 53.71) an agency operator works for:
    /// only its households enter the operator's programs.
    #[arg(long)]
    pub region: Option<String>,
    /// Partner id of a partner account (see `sejahtera partner list`).
    #[arg(long)]
    pub partner: Option<i64>,
}

fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let p = rpassword::prompt_password("password: ").context("reading the password")?;
        let again =
            rpassword::prompt_password("repeat password: ").context("reading the password")?;
        if p != again {
            bail!("the passwords differ");
        }
        Ok(p)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}

/// Runs `user`.
pub async fn run(args: Args, g: &Global) -> anyhow::Result<ExitCode> {
    let (store, regions) =
        sejahtera_app::regions::open(&g.db, &sejahtera_app::regions::default_data_dir()).await?;
    match args.action {
        Action::Add(a) => {
            let password = read_password()?;
            let req = CreateUser {
                username: a.name.clone(),
                display_name: a.display_name.clone(),
                role: a.role,
                villages: a.villages.clone(),
                password,
                agency: a.agency.clone(),
                region: a.region.clone(),
                partner: a.partner,
            };
            let id = create_user(&store, &regions, &req).await?;
            println!("created user {} (id {id}, role {})", a.name, a.role);
        }
        Action::Region { name, region } => {
            sejahtera_app::accounts::set_region(&store, &regions, &name, &region).await?;
            println!("{name} works for region {region}");
        }
        Action::List { format } => {
            let mut rows = Rows::new(&[
                "id",
                "username",
                "display_name",
                "role",
                "villages",
                "disabled",
            ])
            .numeric(&["id"]);
            for u in sejahtera_app::accounts::users(&store).await? {
                rows.push(vec![
                    Some(u.id.to_string()),
                    Some(u.username),
                    Some(u.display_name),
                    Some(u.role.to_string()),
                    Some(
                        u.villages
                            .iter()
                            .map(|v| v.to_string())
                            .collect::<Vec<_>>()
                            .join(","),
                    ),
                    Some(u.disabled.to_string()),
                ]);
            }
            rows.print(format, &mut std::io::stdout().lock())?;
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
