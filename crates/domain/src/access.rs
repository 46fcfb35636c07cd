//! Roles and what each may see and do (DESIGN.md, "Who uses it").
//!
//! The rules live here, not in handlers: the web server and the CLI ask an
//! [`Actor`] whether it may do something and what part of the registry it sees.

use std::collections::BTreeSet;
use std::fmt;

use crate::codes::{Code, UnknownCode};
use crate::programs::Program;
use crate::region::RegionCode;

/// A user's role.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Users, roles, regions, configuration; sees everything.
    Admin,
    /// Bappeda planner: everything in the region, personal data read-only.
    Planner,
    /// Sector agency (OPD) operator: programs; personal data of their programs' participants.
    AgencyOperator,
    /// Village operator: registry of their own villages only.
    VillageOperator,
    /// Inspektorat auditor: everything, read-only.
    Auditor,
    /// Bank, koperasi or business partner: only referrals addressed to them.
    Partner,
    /// Citizen: aggregates only.
    Citizen,
}

impl Code for Role {
    const COLUMN: &'static str = "role";
    const ALL: &'static [(Self, &'static str)] = &[
        (Role::Admin, "admin"),
        (Role::Planner, "planner"),
        (Role::AgencyOperator, "agency_operator"),
        (Role::VillageOperator, "village_operator"),
        (Role::Auditor, "auditor"),
        (Role::Partner, "partner"),
        (Role::Citizen, "citizen"),
    ];
    fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(r, _)| *r == self)
            .map(|(_, s)| *s)
            .unwrap_or("citizen")
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Role, UnknownCode> {
        Role::parse(s)
    }
}

/// Which households' personal data an actor may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryScope {
    /// Every household.
    All,
    /// Households living in these villages.
    Villages(BTreeSet<RegionCode>),
    /// None.
    Nothing,
}

impl RegistryScope {
    /// Whether a household living in `village` is in scope.
    pub fn contains(&self, village: &RegionCode) -> bool {
        match self {
            RegistryScope::All => true,
            RegistryScope::Villages(v) => v.contains(village),
            RegistryScope::Nothing => false,
        }
    }
}

/// A signed-in user, as far as authorization is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The user id.
    pub user_id: i64,
    /// The login name.
    pub username: String,
    /// The role.
    pub role: Role,
    /// The villages assigned to a village operator (empty for other roles).
    pub villages: BTreeSet<RegionCode>,
    /// The agency (OPD) an agency operator works for, as programs name it.
    pub agency: Option<String>,
    /// The region (regency or province) an agency operator works for: only its
    /// households enter the operator's programs.
    pub region: Option<RegionCode>,
    /// The partner organisation a partner account speaks for.
    pub partner: Option<i64>,
}

impl Actor {
    /// The operator at the server's console (the command line): an administrator
    /// with user id 0, recorded as such in every event.
    pub fn console() -> Actor {
        Actor {
            user_id: 0,
            username: "console".into(),
            role: Role::Admin,
            villages: BTreeSet::new(),
            agency: None,
            region: None,
            partner: None,
        }
    }

    /// Whose registry records (names, NIK, KK numbers, addresses) this actor may read.
    ///
    /// Agency operators see only their programs' participants: until programs
    /// exist, that is nobody. Partners and citizens never see the registry.
    pub fn registry_scope(&self) -> RegistryScope {
        match self.role {
            Role::Admin | Role::Planner | Role::Auditor => RegistryScope::All,
            Role::VillageOperator => RegistryScope::Villages(self.villages.clone()),
            Role::AgencyOperator | Role::Partner | Role::Citizen => RegistryScope::Nothing,
        }
    }

    /// Whether the actor may search the registry at all.
    pub fn may_search_registry(&self) -> bool {
        self.registry_scope() != RegistryScope::Nothing
    }

    /// Which villages this actor may write registry rows for (imports), if any.
    /// Planners and auditors read personal data but never change it.
    pub fn registry_write_scope(&self) -> RegistryScope {
        match self.role {
            Role::Admin => RegistryScope::All,
            Role::VillageOperator => RegistryScope::Villages(self.villages.clone()),
            _ => RegistryScope::Nothing,
        }
    }

    /// Whether the actor sees planning analytics over the whole region (targeting
    /// accuracy, later evaluation): admins, planners and auditors.
    pub fn may_plan(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Planner | Role::Auditor)
    }

    /// Whether the actor manages users.
    pub fn may_manage_users(&self) -> bool {
        self.role == Role::Admin
    }

    /// Whether the actor may use the staff console at all (citizens and partners
    /// have accounts for other purposes).
    pub fn is_staff(&self) -> bool {
        !matches!(self.role, Role::Citizen | Role::Partner)
    }

    /// Whether the actor may define programs: admins, and agency operators for
    /// their own agency.
    pub fn may_create_program(&self, agency: &str) -> bool {
        match self.role {
            Role::Admin => true,
            Role::AgencyOperator => self.agency.as_deref() == Some(agency),
            _ => false,
        }
    }

    /// Whether the actor may run a program (enroll, sessions and attendance,
    /// visits, referrals, outcomes): admins, and the operators of the program's
    /// agency. Planners and auditors read; they do not run programs.
    pub fn may_run_program(&self, program: &Program) -> bool {
        self.may_create_program(&program.agency)
    }

    /// Whether a household living in `village` may enter a program this actor
    /// runs: anywhere for administrators, within their region for agency
    /// operators (none without one), never for anyone else.
    pub fn may_take_household_from(&self, village: &RegionCode) -> bool {
        match self.role {
            Role::Admin => true,
            Role::AgencyOperator => self
                .region
                .as_ref()
                .is_some_and(|r| village == r || village.is_under(r)),
            _ => false,
        }
    }

    /// Which of a program's participants the actor may see with their personal
    /// data: everyone for admins, planners, auditors and the program's agency;
    /// their own villages for village operators; nobody for the rest.
    pub fn program_scope(&self, program: &Program) -> RegistryScope {
        match self.role {
            Role::Admin | Role::Planner | Role::Auditor => RegistryScope::All,
            Role::AgencyOperator if self.may_run_program(program) => RegistryScope::All,
            Role::VillageOperator => RegistryScope::Villages(self.villages.clone()),
            _ => RegistryScope::Nothing,
        }
    }

    /// Whether the actor may see and update a referral addressed to `partner`:
    /// the partner's own accounts (and admins).
    pub fn may_handle_referrals_of(&self, partner: i64) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Partner => self.partner == Some(partner),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, villages: &[&str]) -> Actor {
        Actor {
            user_id: 1,
            username: "u".into(),
            role,
            villages: villages
                .iter()
                .map(|v| RegionCode::parse(v).unwrap())
                .collect(),
            agency: None,
            region: None,
            partner: None,
        }
    }

    #[test]
    fn roles_parse_in_their_documented_spelling() {
        for (r, s) in Role::ALL {
            assert_eq!(Role::parse(s).unwrap(), *r);
            assert_eq!(r.as_str(), *s);
        }
        let e = Role::parse("root").unwrap_err();
        assert!(e.allowed.contains("village_operator"));
    }

    #[test]
    fn village_operator_sees_only_their_villages() {
        let a = actor(Role::VillageOperator, &["53.71.01.1001"]);
        let scope = a.registry_scope();
        assert!(scope.contains(&RegionCode::parse("53.71.01.1001").unwrap()));
        assert!(!scope.contains(&RegionCode::parse("53.71.01.1002").unwrap()));
        assert!(a.may_search_registry());
        assert!(!a.may_manage_users());
    }

    #[test]
    fn public_facing_roles_never_see_the_registry() {
        for r in [Role::Citizen, Role::Partner, Role::AgencyOperator] {
            let a = actor(r, &[]);
            assert_eq!(a.registry_scope(), RegistryScope::Nothing);
            assert!(!a.may_search_registry());
        }
        assert!(!actor(Role::Citizen, &[]).is_staff());
    }

    #[test]
    fn readers_cannot_write_the_registry() {
        for r in [Role::Planner, Role::Auditor] {
            assert_eq!(actor(r, &[]).registry_write_scope(), RegistryScope::Nothing);
            assert_eq!(actor(r, &[]).registry_scope(), RegistryScope::All);
        }
        assert_eq!(
            actor(Role::Admin, &[]).registry_write_scope(),
            RegistryScope::All
        );
    }

    #[test]
    fn programs_are_run_by_their_agency_and_read_by_planners() {
        let p = crate::programs::Program {
            id: 1,
            name: "Pelatihan menjahit".into(),
            sector: crate::programs::Sector::PemberdayaanPerempuan,
            agency: "Dinas P3A Kota Kupang".into(),
            kind: crate::programs::ProgramKind::Pelatihan,
            start: "2026-01-01".parse().unwrap(),
            end: "2026-12-31".parse().unwrap(),
            budget: crate::Rupiah::new(0),
            capacity: 0,
            quotas: Default::default(),
            eligibility: "desil <= 4".into(),
            exclusive_with: Default::default(),
            partners: Default::default(),
        };
        let mut own = actor(Role::AgencyOperator, &[]);
        own.agency = Some("Dinas P3A Kota Kupang".into());
        let mut other = actor(Role::AgencyOperator, &[]);
        other.agency = Some("Dinas Pertanian".into());
        assert!(own.may_run_program(&p));
        assert_eq!(own.program_scope(&p), RegistryScope::All);
        assert!(!other.may_run_program(&p));
        assert_eq!(other.program_scope(&p), RegistryScope::Nothing);
        assert!(actor(Role::Admin, &[]).may_run_program(&p));
        for r in [Role::Planner, Role::Auditor] {
            assert!(!actor(r, &[]).may_run_program(&p));
            assert_eq!(actor(r, &[]).program_scope(&p), RegistryScope::All);
        }
        for r in [Role::Citizen, Role::Partner] {
            assert_eq!(actor(r, &[]).program_scope(&p), RegistryScope::Nothing);
        }
        let mut bank = actor(Role::Partner, &[]);
        bank.partner = Some(3);
        assert!(bank.may_handle_referrals_of(3));
        assert!(!bank.may_handle_referrals_of(4));
        assert!(!own.may_handle_referrals_of(3));
    }
}
