//! Running a program (issue 6): partners, training sessions and attendance,
//! mentoring visits, referrals to partners, and outcomes per participant —
//! the pure rules.
//!
//! Who may be served is decided by the enrollment log
//! ([`crate::programs::Enrollments`]): only a household that has held a place
//! in the program (enrolled or active at some time) attends sessions, is
//! visited or referred. Outcomes may also be recorded for candidates that were
//! never enrolled — the comparison group an impact evaluation needs.
//!
//! ```
//! use sejahtera_domain::delivery::{ReferralStatus, next_referral_status};
//! assert_eq!(
//!     next_referral_status(ReferralStatus::Referred, ReferralStatus::Accepted, None),
//!     Ok(ReferralStatus::Accepted)
//! );
//! assert!(next_referral_status(ReferralStatus::Completed, ReferralStatus::Accepted, None).is_err());
//! ```

use std::collections::BTreeSet;
use std::fmt;

use chrono::NaiveDate;

use crate::codes::{Code, code_enum};
use crate::money::Rupiah;
use crate::programs::{Enrollments, Program};

code_enum!(
    /// What kind of organisation a partner is.
    PartnerKind, "jenis_mitra", {
        /// A bank (e.g. a KUR-distributing bank).
        Bank = "bank",
        /// A cooperative.
        Koperasi = "koperasi",
        /// A business (buyer, off-taker, retailer, supplier).
        Usaha = "usaha",
        /// Another organisation (NGO, university, association).
        Lainnya = "lainnya",
    }
);

code_enum!(
    /// A service a partner offers and participants may be referred to.
    Service, "layanan_mitra", {
        /// Kredit Usaha Rakyat (the government-subsidised micro-credit scheme).
        Kur = "kur",
        /// Other credit or financing.
        Kredit = "kredit",
        /// Savings accounts.
        Tabungan = "tabungan",
        /// Market access: buying or selling participants' products.
        AksesPasar = "akses_pasar",
        /// Inputs and equipment (seed, fertiliser, machines).
        Sarana = "sarana",
        /// Training or mentoring by the partner.
        Pelatihan = "pelatihan",
    }
);

code_enum!(
    /// Where a referral stands.
    ReferralStatus, "status_rujukan", {
        /// Sent to the partner.
        Referred = "referred",
        /// The partner took it up (application accepted, buyer agreed).
        Accepted = "accepted",
        /// The partner declined (with a reason in the result).
        Rejected = "rejected",
        /// Done, with a result (credit disbursed, first sale made).
        Completed = "completed",
    }
);

code_enum!(
    /// How an outcome reached the system.
    OutcomeSource, "sumber_hasil", {
        /// Entered by staff.
        Entered = "entered",
        /// Imported from a file (survey, partner report).
        Imported = "imported",
    }
);

/// A bank, koperasi or business that works with programs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Partner {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: PartnerKind,
    /// Services offered.
    pub services: BTreeSet<Service>,
    /// Contact (office, phone), shown to staff.
    pub contact: String,
}

/// A training session of a program.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Session {
    /// Id.
    pub id: i64,
    /// Program.
    pub program: i64,
    /// Day.
    pub date: NaiveDate,
    /// Topic.
    pub topic: String,
    /// Place.
    pub place: String,
}

/// One household's attendance at a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendance {
    /// Session.
    pub session: i64,
    /// Household (KK).
    pub household: u64,
    /// Present or absent.
    pub present: bool,
}

/// A mentoring visit to a participant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    /// Id.
    pub id: i64,
    /// Program.
    pub program: i64,
    /// Household (KK).
    pub household: u64,
    /// Day of the visit.
    pub date: NaiveDate,
    /// Mentor (user id).
    pub mentor: i64,
    /// What was discussed and agreed.
    pub notes: String,
}

/// A referral of a participant to a partner's service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referral {
    /// Id.
    pub id: i64,
    /// Program.
    pub program: i64,
    /// Household (KK).
    pub household: u64,
    /// Partner.
    pub partner: i64,
    /// Service.
    pub service: Service,
    /// Current status.
    pub status: ReferralStatus,
    /// Result or reason (required to complete or reject).
    pub result: Option<String>,
    /// Amount (credit disbursed, value of the first order), if any.
    pub amount: Option<Rupiah>,
    /// Day referred.
    pub referred_on: NaiveDate,
    /// Day of the last status change.
    pub updated_on: NaiveDate,
}

/// One observation of a participant's (or candidate's) situation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Program.
    pub program: i64,
    /// Household (KK).
    pub household: u64,
    /// Day observed.
    pub date: NaiveDate,
    /// Runs a business.
    pub business: Option<bool>,
    /// Monthly income of the participant (Rupiah).
    pub income: Option<Rupiah>,
    /// Employed (wage work or own business).
    pub employed: Option<bool>,
    /// Entered or imported.
    pub source: OutcomeSource,
}

/// The days a date may fall on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    /// The program's period.
    Period {
        /// First day.
        start: NaiveDate,
        /// Last day.
        end: NaiveDate,
    },
    /// From the program's start up to today.
    Visit {
        /// The program's first day.
        start: NaiveDate,
        /// Today.
        today: NaiveDate,
    },
    /// Up to today.
    UpTo(NaiveDate),
    /// On or after a referral's day.
    OnOrAfter(NaiveDate),
}

impl std::fmt::Display for Allowed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Allowed::Period { start, end } => write!(f, "the program's period {start} – {end}"),
            Allowed::Visit { start, today } => {
                write!(f, "{start} (program start) – {today} (today)")
            }
            Allowed::UpTo(today) => write!(f, "the days up to today ({today})"),
            Allowed::OnOrAfter(d) => write!(f, "on or after the referral ({d})"),
        }
    }
}

/// A refused delivery record, with a reason a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryRefusal {
    /// The household never held a place in the program.
    #[error("household {household:016} has never been enrolled in {program}")]
    NotAParticipant {
        /// Program name.
        program: String,
        /// KK.
        household: u64,
    },
    /// The household has no status at all in the program.
    #[error("household {household:016} is neither a candidate nor a participant of {program}")]
    NotInProgram {
        /// Program name.
        program: String,
        /// KK.
        household: u64,
    },
    /// A date outside what is allowed.
    #[error("{what} {date} is outside {allowed}")]
    Date {
        /// What the date is of.
        what: &'static str,
        /// The date.
        date: NaiveDate,
        /// The allowed range.
        allowed: Allowed,
    },
    /// A required text is empty.
    #[error("{0} cannot be empty")]
    Empty(&'static str),
    /// The partner does not work with the program.
    #[error("{partner} is not a partner of {program} (its partners: {partners})")]
    NotAPartner {
        /// Partner name.
        partner: String,
        /// Program name.
        program: String,
        /// The program's partners.
        partners: String,
    },
    /// The partner does not offer the service.
    #[error("{partner} does not offer {service} (it offers: {offers})")]
    Service {
        /// Partner name.
        partner: String,
        /// Service asked for.
        service: Service,
        /// Services offered.
        offers: String,
    },
    /// Not a valid next status of a referral.
    #[error("a referral that is {from} cannot become {to}")]
    ReferralTransition {
        /// Current.
        from: ReferralStatus,
        /// Asked.
        to: ReferralStatus,
    },
    /// Completing or rejecting a referral needs a result.
    #[error("a referral that becomes {0} needs a result (what happened, or why it was declined)")]
    NoResult(ReferralStatus),
    /// A negative amount or income.
    #[error("{0} cannot be negative")]
    Negative(&'static str),
    /// An amount or income above its limit.
    #[error("{what} may be at most {limit}")]
    TooLarge {
        /// What it is.
        what: &'static str,
        /// The largest accepted amount.
        limit: Rupiah,
    },
    /// An outcome with no measure at all.
    #[error("an outcome needs at least one of business, income, employed")]
    NoMeasure,
    /// Several records refused at once (nothing was recorded).
    #[error("nothing recorded: {}", .0.join("; "))]
    Many(Vec<String>),
}

/// Largest credit or order amount one referral may record (Rp 100 billion,
/// far above any KUR or koperasi loan): public sums of many referrals stay exact.
pub const MAX_REFERRAL_AMOUNT: Rupiah = Rupiah::new(100_000_000_000);

/// Largest monthly income one outcome may record (Rp 10 billion).
pub const MAX_MONTHLY_INCOME: Rupiah = Rupiah::new(10_000_000_000);

/// Checks an amount: 0 or more and at most `limit`.
pub fn check_amount(
    what: &'static str,
    amount: Rupiah,
    limit: Rupiah,
) -> Result<(), DeliveryRefusal> {
    if amount.get() < 0 {
        return Err(DeliveryRefusal::Negative(what));
    }
    if amount > limit {
        return Err(DeliveryRefusal::TooLarge { what, limit });
    }
    Ok(())
}

fn not_participant(program: &Program, household: u64) -> DeliveryRefusal {
    DeliveryRefusal::NotAParticipant {
        program: program.name.clone(),
        household,
    }
}

/// Checks a session: its day lies within the program's period and it has a topic.
pub fn check_session(
    program: &Program,
    date: NaiveDate,
    topic: &str,
) -> Result<(), DeliveryRefusal> {
    if topic.trim().is_empty() {
        return Err(DeliveryRefusal::Empty("the topic"));
    }
    if date < program.start || date > program.end {
        return Err(DeliveryRefusal::Date {
            what: "the session day",
            date,
            allowed: Allowed::Period {
                start: program.start,
                end: program.end,
            },
        });
    }
    Ok(())
}

/// Checks attendance: only households that have held a place in the program.
pub fn check_attendance(
    state: &Enrollments,
    program: &Program,
    household: u64,
) -> Result<(), DeliveryRefusal> {
    if !state.ever_enrolled(program.id, household) {
        return Err(not_participant(program, household));
    }
    Ok(())
}

/// Checks a mentoring visit: a participant, from the program's start up to
/// `today`, with notes.
pub fn check_visit(
    state: &Enrollments,
    program: &Program,
    household: u64,
    date: NaiveDate,
    notes: &str,
    today: NaiveDate,
) -> Result<(), DeliveryRefusal> {
    if !state.ever_enrolled(program.id, household) {
        return Err(not_participant(program, household));
    }
    if notes.trim().is_empty() {
        return Err(DeliveryRefusal::Empty("the notes of a visit"));
    }
    if date < program.start || date > today {
        return Err(DeliveryRefusal::Date {
            what: "the visit day",
            date,
            allowed: Allowed::Visit {
                start: program.start,
                today,
            },
        });
    }
    Ok(())
}

/// Checks a new referral: a participant, to one of the program's partners, for
/// a service the partner offers.
pub fn check_referral(
    state: &Enrollments,
    program: &Program,
    partners: &[Partner],
    household: u64,
    partner: &Partner,
    service: Service,
) -> Result<(), DeliveryRefusal> {
    if !state.ever_enrolled(program.id, household) {
        return Err(not_participant(program, household));
    }
    if !program.partners.contains(&partner.id) {
        let names: Vec<&str> = partners
            .iter()
            .filter(|p| program.partners.contains(&p.id))
            .map(|p| p.name.as_str())
            .collect();
        return Err(DeliveryRefusal::NotAPartner {
            partner: partner.name.clone(),
            program: program.name.clone(),
            partners: if names.is_empty() {
                "none".into()
            } else {
                names.join(", ")
            },
        });
    }
    if !partner.services.contains(&service) {
        return Err(DeliveryRefusal::Service {
            partner: partner.name.clone(),
            service,
            offers: partner
                .services
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(())
}

/// The status a referral moves to: referred → accepted | rejected,
/// accepted → completed | rejected; completing or rejecting needs a result.
pub fn next_referral_status(
    from: ReferralStatus,
    to: ReferralStatus,
    result: Option<&str>,
) -> Result<ReferralStatus, DeliveryRefusal> {
    use ReferralStatus::*;
    let allowed = matches!(
        (from, to),
        (Referred, Accepted) | (Referred, Rejected) | (Accepted, Completed) | (Accepted, Rejected)
    );
    if !allowed {
        return Err(DeliveryRefusal::ReferralTransition { from, to });
    }
    if matches!(to, Completed | Rejected) && result.is_none_or(|r| r.trim().is_empty()) {
        return Err(DeliveryRefusal::NoResult(to));
    }
    Ok(to)
}

/// Checks an outcome: the household is a candidate or participant of the
/// program, the day is not in the future, money is not negative and at least
/// one measure is given.
pub fn check_outcome(
    state: &Enrollments,
    program: &Program,
    outcome: &Outcome,
    today: NaiveDate,
) -> Result<(), DeliveryRefusal> {
    if state.status(program.id, outcome.household).is_none() {
        return Err(DeliveryRefusal::NotInProgram {
            program: program.name.clone(),
            household: outcome.household,
        });
    }
    if outcome.date > today {
        return Err(DeliveryRefusal::Date {
            what: "the observation day",
            date: outcome.date,
            allowed: Allowed::UpTo(today),
        });
    }
    if let Some(income) = outcome.income {
        check_amount("the income", income, MAX_MONTHLY_INCOME)?;
    }
    if outcome.business.is_none() && outcome.income.is_none() && outcome.employed.is_none() {
        return Err(DeliveryRefusal::NoMeasure);
    }
    Ok(())
}

impl fmt::Display for Partner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::programs::{Command, Decision, ProgramKind, Sector, Status, decide};
    use crate::region::RegionCode;
    use chrono::{DateTime, Utc};
    use std::collections::BTreeMap;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn program() -> Program {
        Program {
            id: 1,
            name: "Pelatihan menjahit".into(),
            sector: Sector::PemberdayaanPerempuan,
            agency: "Dinas P3A".into(),
            kind: ProgramKind::Pelatihan,
            start: day("2026-02-01"),
            end: day("2026-06-30"),
            budget: Rupiah::new(100_000_000),
            capacity: 0,
            quotas: BTreeMap::new(),
            eligibility: "desil <= 4".into(),
            exclusive_with: BTreeSet::new(),
            partners: [10].into_iter().collect(),
        }
    }

    fn partner(id: i64, services: &[Service]) -> Partner {
        Partner {
            id,
            name: format!("Mitra {id}"),
            kind: PartnerKind::Bank,
            services: services.iter().copied().collect(),
            contact: String::new(),
        }
    }

    fn state(p: &Program, steps: &[(u64, Command)]) -> Enrollments {
        let mut s = Enrollments::default();
        let v = RegionCode::parse("53.71.04.1001").unwrap();
        for (hh, c) in steps {
            let d = Decision {
                actor: 1,
                at: DateTime::parse_from_rfc3339("2026-02-01T01:00:00Z")
                    .unwrap()
                    .with_timezone(&Utc),
                why: "rapat".into(),
            };
            let e = decide(&s, p, std::slice::from_ref(p), *hh, &v, c, &d).unwrap();
            s.apply(&e);
        }
        s
    }

    #[test]
    fn only_participants_attend_and_exited_ones_keep_their_history() {
        let p = program();
        let s = state(
            &p,
            &[
                (1, Command::Propose),
                (2, Command::Enroll),
                (3, Command::Enroll),
                (
                    3,
                    Command::Exit {
                        reason: "pindah".into(),
                    },
                ),
            ],
        );
        let e = check_attendance(&s, &p, 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "household 0000000000000001 has never been enrolled in Pelatihan menjahit"
        );
        check_attendance(&s, &p, 2).unwrap();
        check_attendance(&s, &p, 3).unwrap();
        assert_eq!(s.status(p.id, 3), Some(Status::Exited));
        assert!(check_attendance(&s, &p, 9).is_err());
    }

    #[test]
    fn sessions_lie_within_the_period() {
        let p = program();
        check_session(&p, day("2026-02-01"), "Pola dasar").unwrap();
        let e = check_session(&p, day("2026-07-01"), "Pola dasar").unwrap_err();
        assert_eq!(
            e.to_string(),
            "the session day 2026-07-01 is outside the program's period 2026-02-01 – 2026-06-30"
        );
        assert_eq!(
            check_session(&p, day("2026-03-01"), " ").unwrap_err(),
            DeliveryRefusal::Empty("the topic")
        );
    }

    #[test]
    fn visits_need_notes_and_a_past_day() {
        let p = program();
        let s = state(&p, &[(2, Command::Enroll)]);
        let today = day("2026-03-10");
        check_visit(&s, &p, 2, day("2026-03-10"), "cek mesin jahit", today).unwrap();
        assert!(check_visit(&s, &p, 2, day("2026-03-11"), "x", today).is_err());
        assert!(check_visit(&s, &p, 2, day("2026-01-31"), "x", today).is_err());
        assert_eq!(
            check_visit(&s, &p, 2, today, "", today).unwrap_err(),
            DeliveryRefusal::Empty("the notes of a visit")
        );
    }

    #[test]
    fn referrals_go_to_the_programs_partners_for_services_they_offer() {
        let p = program();
        let s = state(&p, &[(2, Command::Enroll)]);
        let bank = partner(10, &[Service::Kur, Service::Tabungan]);
        let other = partner(11, &[Service::Kur]);
        let all = [bank.clone(), other.clone()];
        check_referral(&s, &p, &all, 2, &bank, Service::Kur).unwrap();
        assert_eq!(
            check_referral(&s, &p, &all, 2, &other, Service::Kur)
                .unwrap_err()
                .to_string(),
            "Mitra 11 is not a partner of Pelatihan menjahit (its partners: Mitra 10)"
        );
        assert_eq!(
            check_referral(&s, &p, &all, 2, &bank, Service::AksesPasar)
                .unwrap_err()
                .to_string(),
            "Mitra 10 does not offer akses_pasar (it offers: kur, tabungan)"
        );
        assert!(check_referral(&s, &p, &all, 5, &bank, Service::Kur).is_err());
    }

    #[test]
    fn referral_statuses_follow_their_lifecycle() {
        use ReferralStatus::*;
        let all = [Referred, Accepted, Rejected, Completed];
        for from in all {
            for to in all {
                let ok = next_referral_status(from, to, Some("done")).is_ok();
                let expected = matches!(
                    (from, to),
                    (Referred, Accepted)
                        | (Referred, Rejected)
                        | (Accepted, Completed)
                        | (Accepted, Rejected)
                );
                assert_eq!(ok, expected, "{from} -> {to}");
            }
        }
        assert_eq!(
            next_referral_status(Accepted, Completed, Some(" ")).unwrap_err(),
            DeliveryRefusal::NoResult(Completed)
        );
        assert_eq!(next_referral_status(Referred, Accepted, None), Ok(Accepted));
    }

    #[test]
    fn outcomes_are_for_candidates_or_participants_in_the_past() {
        let p = program();
        let s = state(&p, &[(1, Command::Propose), (2, Command::Enroll)]);
        let today = day("2026-08-01");
        let mut o = Outcome {
            program: 1,
            household: 1,
            date: day("2026-07-01"),
            business: Some(true),
            income: Some(Rupiah::new(1_500_000)),
            employed: None,
            source: OutcomeSource::Entered,
        };
        check_outcome(&s, &p, &o, today).unwrap();
        o.household = 3;
        assert!(matches!(
            check_outcome(&s, &p, &o, today),
            Err(DeliveryRefusal::NotInProgram { .. })
        ));
        o.household = 2;
        o.date = day("2026-08-02");
        assert!(matches!(
            check_outcome(&s, &p, &o, today),
            Err(DeliveryRefusal::Date { .. })
        ));
        o.date = today;
        o.income = Some(Rupiah::new(-1));
        assert_eq!(
            check_outcome(&s, &p, &o, today).unwrap_err(),
            DeliveryRefusal::Negative("the income")
        );
        o.income = None;
        o.business = None;
        assert_eq!(
            check_outcome(&s, &p, &o, today).unwrap_err(),
            DeliveryRefusal::NoMeasure
        );
    }
}
