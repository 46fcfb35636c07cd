//! Programs and the enrollment lifecycle (issue 6): the pure rules.
//!
//! A program (training, mentoring, grants, market access, credit through
//! partners, services) has a capacity, optional per-village quotas and may be
//! exclusive with other programs. A household moves through
//! `candidate → enrolled → active → graduated | exited`. Every decision is an
//! append-only [`Event`] (who, when, why); a correction is a new event, never an
//! edit. [`decide`] checks a command against the current state of all
//! enrollments and either returns the event to append or a [`Refusal`] whose
//! message says why. The store and the use cases (issue 6, second half) append
//! the events and fold them back with [`Enrollments::apply`].

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};

use crate::codes::{Code, code_enum};
use crate::money::Rupiah;
use crate::region::RegionCode;

code_enum!(
    /// The sector a program serves.
    Sector, "sektor_program", {
        /// Agriculture.
        Pertanian = "pertanian",
        /// Fisheries.
        Perikanan = "perikanan",
        /// Creative industries and crafts.
        IndustriKreatif = "industri_kreatif",
        /// Micro, small and medium enterprises.
        Umkm = "umkm",
        /// Women's empowerment.
        PemberdayaanPerempuan = "pemberdayaan_perempuan",
        /// Infrastructure.
        Infrastruktur = "infrastruktur",
        /// Health.
        Kesehatan = "kesehatan",
        /// Clean water.
        AirBersih = "air_bersih",
        /// Education.
        Pendidikan = "pendidikan",
    }
);

code_enum!(
    /// What a program delivers.
    ProgramKind, "jenis_program", {
        /// Training.
        Pelatihan = "pelatihan",
        /// Mentoring.
        Pendampingan = "pendampingan",
        /// Grants.
        Hibah = "hibah",
        /// Market access.
        AksesPasar = "akses_pasar",
        /// Access to credit (e.g. KUR through a partner bank).
        AksesKredit = "akses_kredit",
        /// A public service.
        Layanan = "layanan",
    }
);

/// A program's definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Sector.
    pub sector: Sector,
    /// Implementing agency (OPD).
    pub agency: String,
    /// Kind.
    pub kind: ProgramKind,
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
    /// Budget.
    pub budget: Rupiah,
    /// Most households enrolled or active at once (0: no limit).
    pub capacity: u32,
    /// Most households per village (villages not listed: no limit).
    pub quotas: BTreeMap<RegionCode, u32>,
    /// Eligibility expression (docs/eligibility.md).
    pub eligibility: String,
    /// Programs a household may not be in at the same time as this one.
    pub exclusive_with: BTreeSet<i64>,
    /// Partners (banks, koperasi, businesses) participants may be referred to.
    pub partners: BTreeSet<i64>,
}

/// Why a program definition is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProgramError {
    /// Empty name.
    #[error("a program needs a name")]
    NoName,
    /// End before start.
    #[error("the period ends ({end}) before it starts ({start})")]
    Period {
        /// Start.
        start: NaiveDate,
        /// End.
        end: NaiveDate,
    },
    /// Negative budget.
    #[error("the budget cannot be negative")]
    Budget,
    /// A quota larger than the capacity.
    #[error("the quota of {village} ({quota}) exceeds the program's capacity ({capacity})")]
    Quota {
        /// Village.
        village: RegionCode,
        /// Its quota.
        quota: u32,
        /// Capacity.
        capacity: u32,
    },
    /// Exclusive with itself.
    #[error("a program cannot be exclusive with itself")]
    SelfExclusive,
}

impl Program {
    /// Checks the definition.
    pub fn validate(&self) -> Result<(), ProgramError> {
        if self.name.trim().is_empty() {
            return Err(ProgramError::NoName);
        }
        if self.end < self.start {
            return Err(ProgramError::Period {
                start: self.start,
                end: self.end,
            });
        }
        if self.budget.get() < 0 {
            return Err(ProgramError::Budget);
        }
        if self.capacity > 0
            && let Some((v, q)) = self.quotas.iter().find(|(_, q)| **q > self.capacity)
        {
            return Err(ProgramError::Quota {
                village: v.clone(),
                quota: *q,
                capacity: self.capacity,
            });
        }
        if self.exclusive_with.contains(&self.id) {
            return Err(ProgramError::SelfExclusive);
        }
        Ok(())
    }
}

/// Where a household stands in a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Selected by the eligibility expression, not yet enrolled.
    Candidate,
    /// Enrolled (counts against capacity and quota).
    Enrolled,
    /// Taking part (counts against capacity and quota).
    Active,
    /// Finished the program.
    Graduated,
    /// Left before finishing.
    Exited,
}

impl Status {
    /// Whether the household occupies a place (capacity, quota, exclusivity).
    pub fn holds_a_place(self) -> bool {
        matches!(self, Status::Enrolled | Status::Active)
    }
    /// The canonical spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Candidate => "candidate",
            Status::Enrolled => "enrolled",
            Status::Active => "active",
            Status::Graduated => "graduated",
            Status::Exited => "exited",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What someone asks to do with a household in a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Record a candidate (from a dry run of the expression).
    Propose,
    /// Enroll.
    Enroll,
    /// Start taking part.
    Activate,
    /// Finish.
    Graduate,
    /// Leave, with a reason.
    Exit {
        /// Why.
        reason: String,
    },
    /// Correct the status recorded by mistake (a new event; the old ones stay).
    Correct {
        /// The status it should have been.
        to: Status,
    },
}

impl Command {
    /// The actions a person names: propose, enroll, activate, graduate, exit, correct.
    pub const ACTIONS: [&'static str; 6] = [
        "propose", "enroll", "activate", "graduate", "exit", "correct",
    ];

    /// The command an action names (forms, API bodies, the command line). An exit
    /// takes `reason` (an empty one is refused by [`decide`] with its reason); a
    /// correction needs `to`, the status it should have been.
    pub fn from_action(
        action: &str,
        reason: Option<&str>,
        to: Option<&str>,
    ) -> Result<Command, String> {
        Ok(match action.trim() {
            "propose" => Command::Propose,
            "enroll" => Command::Enroll,
            "activate" => Command::Activate,
            "graduate" => Command::Graduate,
            "exit" => Command::Exit {
                reason: reason.unwrap_or_default().trim().to_string(),
            },
            "correct" => {
                let to = to.map(str::trim).filter(|t| !t.is_empty()).ok_or_else(|| {
                    format!(
                        "a correction needs the status it should have been (to: {})",
                        Status::allowed()
                    )
                })?;
                Command::Correct {
                    to: Status::parse(to).map_err(|e| e.to_string())?,
                }
            }
            other => {
                return Err(format!(
                    "action {other:?}: allowed {}",
                    Command::ACTIONS.join(", ")
                ));
            }
        })
    }
}

/// One append-only decision about a household in a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Program.
    pub program: i64,
    /// Household (KK number as stored).
    pub household: u64,
    /// The household's village (for quotas).
    pub village: RegionCode,
    /// The status after this event.
    pub status: Status,
    /// Exit reason or correction note.
    pub reason: Option<String>,
    /// Who decided (user id).
    pub actor: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Why (free text, required for exits and corrections).
    pub why: String,
    /// The member who takes part (NIK), set when the household enrolls; later
    /// events carry it over.
    pub participant: Option<u64>,
}

/// A refused command, with the reason a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The program is full.
    #[error("{program} has reached its capacity of {capacity} households")]
    Capacity {
        /// Program name.
        program: String,
        /// Capacity.
        capacity: u32,
    },
    /// The village's quota is used up.
    #[error("the quota of {quota} households for village {village} in {program} is used up")]
    Quota {
        /// Program name.
        program: String,
        /// Village.
        village: RegionCode,
        /// Quota.
        quota: u32,
    },
    /// The household is in an exclusive program.
    #[error("the household is already {status} in {other}, which is exclusive with {program}")]
    Exclusive {
        /// This program's name.
        program: String,
        /// The other program's name.
        other: String,
        /// Its status there.
        status: Status,
    },
    /// Not a valid next step.
    #[error("cannot {action} a household that is {from} in {program}")]
    Transition {
        /// Program name.
        program: String,
        /// The attempted action.
        action: &'static str,
        /// The current status (or "not in the program").
        from: String,
    },
    /// A household that is not in the program yet and is not one of its
    /// candidates. Deliberately one answer for "not in the registry" and "does not
    /// meet the eligibility", so that a decision cannot be used to learn whether a
    /// family card exists.
    #[error(
        "household {household:016} is not a candidate of {program}: it is not in the registry or does not meet the program's eligibility"
    )]
    NotCandidate {
        /// Program name.
        program: String,
        /// KK number.
        household: u64,
    },
    /// An exit or correction without a reason.
    #[error("an exit or a correction needs a reason")]
    NoReason,
}

/// The current status of every (program, household), folded from events.
#[derive(Debug, Clone, Default)]
pub struct Enrollments {
    current: HashMap<(i64, u64), (Status, RegionCode)>,
    ever_enrolled: HashSet<(i64, u64)>,
    participants: HashMap<(i64, u64), u64>,
}

impl Enrollments {
    /// Folds events in order.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Enrollments {
        let mut e = Enrollments::default();
        for ev in events {
            e.apply(ev);
        }
        e
    }

    /// Applies one event.
    pub fn apply(&mut self, ev: &Event) {
        let key = (ev.program, ev.household);
        self.current.insert(key, (ev.status, ev.village.clone()));
        if ev.status.holds_a_place() {
            self.ever_enrolled.insert(key);
        }
        if let Some(p) = ev.participant {
            self.participants.insert(key, p);
        }
    }

    /// Whether the household has ever held a place in the program (enrolled or
    /// active at some time, whatever it is now): who may attend sessions, be
    /// visited, referred or followed up as a participant.
    pub fn ever_enrolled(&self, program: i64, household: u64) -> bool {
        self.ever_enrolled.contains(&(program, household))
    }

    /// The member taking part for a household, if recorded.
    pub fn participant(&self, program: i64, household: u64) -> Option<u64> {
        self.participants.get(&(program, household)).copied()
    }

    /// Every household of a program with its current status and village, in KK order.
    pub fn of_program(&self, program: i64) -> Vec<(u64, Status, RegionCode)> {
        let mut out: Vec<_> = self
            .current
            .iter()
            .filter(|((p, _), _)| *p == program)
            .map(|((_, h), (s, v))| (*h, *s, v.clone()))
            .collect();
        out.sort_by_key(|(h, _, _)| *h);
        out
    }

    /// A household's status in a program.
    pub fn status(&self, program: i64, household: u64) -> Option<Status> {
        self.current.get(&(program, household)).map(|(s, _)| *s)
    }

    /// Households holding a place in a program (and, with `village`, in that village).
    pub fn places(&self, program: i64, village: Option<&RegionCode>) -> u32 {
        self.current
            .iter()
            .filter(|((p, _), (s, v))| {
                *p == program && s.holds_a_place() && village.is_none_or(|want| v == want)
            })
            .count() as u32
    }
}

/// Who asks, when and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// User id.
    pub actor: i64,
    /// Time.
    pub at: DateTime<Utc>,
    /// Why.
    pub why: String,
}

/// Checks `command` for `household` (living in `village`) in `program`, given the
/// state of all enrollments and the definitions of the other programs (for
/// exclusivity, which holds in both directions), and returns the event to append.
pub fn decide(
    state: &Enrollments,
    program: &Program,
    programs: &[Program],
    household: u64,
    village: &RegionCode,
    command: &Command,
    decision: &Decision,
) -> Result<Event, Refusal> {
    let now = state.status(program.id, household);
    let transition = |action: &'static str| Refusal::Transition {
        program: program.name.clone(),
        action,
        from: now.map_or("not in the program".into(), |s| s.to_string()),
    };
    let (status, reason) = match command {
        Command::Propose => match now {
            None | Some(Status::Exited) => (Status::Candidate, None),
            _ => return Err(transition("propose")),
        },
        Command::Enroll => match now {
            None | Some(Status::Candidate) | Some(Status::Exited) => (Status::Enrolled, None),
            _ => return Err(transition("enroll")),
        },
        Command::Activate => match now {
            Some(Status::Enrolled) => (Status::Active, None),
            _ => return Err(transition("activate")),
        },
        Command::Graduate => match now {
            Some(Status::Active) => (Status::Graduated, None),
            _ => return Err(transition("graduate")),
        },
        Command::Exit { reason } => {
            if reason.trim().is_empty() {
                return Err(Refusal::NoReason);
            }
            match now {
                Some(Status::Candidate | Status::Enrolled | Status::Active) => {
                    (Status::Exited, Some(reason.clone()))
                }
                _ => return Err(transition("exit")),
            }
        }
        Command::Correct { to } => {
            if decision.why.trim().is_empty() {
                return Err(Refusal::NoReason);
            }
            if now.is_none() || now == Some(*to) {
                return Err(transition("correct"));
            }
            (
                *to,
                Some(format!(
                    "correction from {}",
                    now.map(|s| s.as_str()).unwrap_or("-")
                )),
            )
        }
    };
    // Taking a place: capacity, quota and exclusivity.
    let takes_place = status.holds_a_place() && !now.is_some_and(Status::holds_a_place);
    if takes_place {
        if program.capacity > 0 && state.places(program.id, None) >= program.capacity {
            return Err(Refusal::Capacity {
                program: program.name.clone(),
                capacity: program.capacity,
            });
        }
        if let Some(q) = program.quotas.get(village)
            && state.places(program.id, Some(village)) >= *q
        {
            return Err(Refusal::Quota {
                program: program.name.clone(),
                village: village.clone(),
                quota: *q,
            });
        }
        for other in programs.iter().filter(|o| o.id != program.id) {
            let exclusive = program.exclusive_with.contains(&other.id)
                || other.exclusive_with.contains(&program.id);
            if !exclusive {
                continue;
            }
            if let Some(s) = state.status(other.id, household)
                && s.holds_a_place()
            {
                return Err(Refusal::Exclusive {
                    program: program.name.clone(),
                    other: other.name.clone(),
                    status: s,
                });
            }
        }
    }
    Ok(Event {
        program: program.id,
        household,
        village: village.clone(),
        status,
        reason,
        actor: decision.actor,
        at: decision.at,
        why: decision.why.clone(),
        participant: state.participant(program.id, household),
    })
}

impl Code for Status {
    const COLUMN: &'static str = "status";
    const ALL: &'static [(Self, &'static str)] = &[
        (Status::Candidate, "candidate"),
        (Status::Enrolled, "enrolled"),
        (Status::Active, "active"),
        (Status::Graduated, "graduated"),
        (Status::Exited, "exited"),
    ];
    fn as_str(self) -> &'static str {
        Status::as_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn village(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    fn program(id: i64, capacity: u32) -> Program {
        Program {
            id,
            name: format!("Program {id}"),
            sector: Sector::PemberdayaanPerempuan,
            agency: "Dinas P3A".into(),
            kind: ProgramKind::Pelatihan,
            start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            end: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            budget: Rupiah::new(250_000_000),
            capacity,
            quotas: BTreeMap::new(),
            eligibility: "desil <= 4".into(),
            exclusive_with: BTreeSet::new(),
            partners: BTreeSet::new(),
        }
    }

    fn who() -> Decision {
        Decision {
            actor: 7,
            at: DateTime::parse_from_rfc3339("2026-11-22T02:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            why: "selected at the village meeting".into(),
        }
    }

    fn run(
        state: &mut Enrollments,
        p: &Program,
        all: &[Program],
        hh: u64,
        v: &str,
        c: Command,
    ) -> Result<Event, Refusal> {
        let e = decide(state, p, all, hh, &village(v), &c, &who())?;
        state.apply(&e);
        Ok(e)
    }

    #[test]
    fn the_lifecycle_runs_in_order_and_refuses_skips() {
        let p = program(1, 0);
        let all = [p.clone()];
        let mut s = Enrollments::default();
        let v = "53.71.04.1001";
        assert!(matches!(
            run(&mut s, &p, &all, 1, v, Command::Graduate),
            Err(Refusal::Transition { .. })
        ));
        run(&mut s, &p, &all, 1, v, Command::Propose).unwrap();
        run(&mut s, &p, &all, 1, v, Command::Enroll).unwrap();
        let e = run(&mut s, &p, &all, 1, v, Command::Enroll).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot enroll a household that is enrolled in Program 1"
        );
        run(&mut s, &p, &all, 1, v, Command::Activate).unwrap();
        let g = run(&mut s, &p, &all, 1, v, Command::Graduate).unwrap();
        assert_eq!(g.status, Status::Graduated);
        assert_eq!(g.actor, 7);
        assert_eq!(s.status(1, 1), Some(Status::Graduated));
        assert_eq!(s.places(1, None), 0, "a graduate frees the place");
    }

    #[test]
    fn capacity_and_quotas_are_enforced_with_reasons() {
        let mut p = program(1, 2);
        p.quotas.insert(village("53.71.04.1001"), 1);
        let all = [p.clone()];
        let mut s = Enrollments::default();
        run(&mut s, &p, &all, 1, "53.71.04.1001", Command::Enroll).unwrap();
        let e = run(&mut s, &p, &all, 2, "53.71.04.1001", Command::Enroll).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the quota of 1 households for village 53.71.04.1001 in Program 1 is used up"
        );
        run(&mut s, &p, &all, 3, "53.71.04.1008", Command::Enroll).unwrap();
        let e = run(&mut s, &p, &all, 4, "53.71.04.1008", Command::Enroll).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Program 1 has reached its capacity of 2 households"
        );
        // An exit frees a place.
        run(
            &mut s,
            &p,
            &all,
            3,
            "53.71.04.1008",
            Command::Exit {
                reason: "moved to Kabupaten Kupang".into(),
            },
        )
        .unwrap();
        run(&mut s, &p, &all, 4, "53.71.04.1008", Command::Enroll).unwrap();
    }

    #[test]
    fn exclusivity_holds_both_ways() {
        let mut sewing = program(1, 0);
        sewing.exclusive_with.insert(2);
        let credit = program(2, 0);
        let all = [sewing.clone(), credit.clone()];
        let mut s = Enrollments::default();
        run(&mut s, &credit, &all, 9, "53.71.04.1001", Command::Enroll).unwrap();
        let e = run(&mut s, &sewing, &all, 9, "53.71.04.1001", Command::Enroll).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the household is already enrolled in Program 2, which is exclusive with Program 1"
        );
        // Declared on one side only, refused from the other side too.
        let mut s2 = Enrollments::default();
        run(&mut s2, &sewing, &all, 9, "53.71.04.1001", Command::Enroll).unwrap();
        assert!(matches!(
            run(&mut s2, &credit, &all, 9, "53.71.04.1001", Command::Enroll),
            Err(Refusal::Exclusive { .. })
        ));
    }

    #[test]
    fn exits_need_a_reason_and_corrections_are_new_events() {
        let p = program(1, 0);
        let all = [p.clone()];
        let mut s = Enrollments::default();
        let mut log = Vec::new();
        log.push(run(&mut s, &p, &all, 1, "53.71.04.1001", Command::Enroll).unwrap());
        assert_eq!(
            run(
                &mut s,
                &p,
                &all,
                1,
                "53.71.04.1001",
                Command::Exit { reason: " ".into() }
            ),
            Err(Refusal::NoReason)
        );
        log.push(
            run(
                &mut s,
                &p,
                &all,
                1,
                "53.71.04.1001",
                Command::Exit {
                    reason: "found work".into(),
                },
            )
            .unwrap(),
        );
        log.push(
            run(
                &mut s,
                &p,
                &all,
                1,
                "53.71.04.1001",
                Command::Correct { to: Status::Active },
            )
            .unwrap(),
        );
        assert_eq!(log.len(), 3, "the exit stays in the log");
        assert_eq!(log[2].reason.as_deref(), Some("correction from exited"));
        assert_eq!(
            Enrollments::from_events(&log).status(1, 1),
            Some(Status::Active)
        );
    }

    #[test]
    fn definitions_are_validated() {
        let mut p = program(1, 5);
        p.quotas.insert(village("53.71.04.1001"), 6);
        assert!(matches!(p.validate(), Err(ProgramError::Quota { .. })));
        let mut p = program(1, 0);
        p.end = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        assert!(matches!(p.validate(), Err(ProgramError::Period { .. })));
        let mut p = program(1, 0);
        p.exclusive_with.insert(1);
        assert_eq!(p.validate(), Err(ProgramError::SelfExclusive));
        assert!(program(1, 10).validate().is_ok());
        assert_eq!(Sector::parse("UMKM").unwrap(), Sector::Umkm);
        assert!(
            ProgramKind::parse("kursus")
                .unwrap_err()
                .allowed
                .contains("akses_kredit")
        );
    }
}
