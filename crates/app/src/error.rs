//! The error of a use case, by what the user can do about it: a rule refused
//! the request, something was not found, the actor may not do it, the input is
//! invalid — each with a [`Msg`] in both languages — or something unexpected
//! happened (the store failed; the cause is for the log, not for the user).

use sejahtera_domain::codes::Code;
use sejahtera_domain::delivery::DeliveryRefusal;
use sejahtera_domain::programs::{ProgramError, Refusal, Status};
use sejahtera_store::StoreError;

use crate::messages::Msg;

/// Why a use case did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A rule refused it (capacity, quota, exclusivity, lifecycle, a name taken).
    #[error("{0}")]
    Refused(Msg),
    /// No such program, session, partner, referral or household.
    #[error("{0}")]
    NotFound(Msg),
    /// The actor may not do this.
    #[error("{0}")]
    Forbidden(Msg),
    /// Malformed or inconsistent input.
    #[error("{0}")]
    Invalid(Msg),
    /// Not the user's doing: the store or a task failed.
    #[error("{0:#}")]
    Unexpected(anyhow::Error),
}

/// The result of a use case.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The message for the user (None for [`Error::Unexpected`], whose cause is logged instead).
    pub fn message(&self) -> Option<&Msg> {
        match self {
            Error::Refused(m) | Error::NotFound(m) | Error::Forbidden(m) | Error::Invalid(m) => {
                Some(m)
            }
            Error::Unexpected(_) => None,
        }
    }

    /// Ours, described in words (for the log).
    pub fn unexpected(text: impl std::fmt::Display) -> Error {
        Error::Unexpected(anyhow::anyhow!("{text}"))
    }

    /// Invalid input described by a plain (technical) text, e.g. a parser's
    /// "line 3, column 7: …" that names the place in the user's own input.
    pub fn invalid_text(text: impl std::fmt::Display) -> Error {
        Error::Invalid(Msg::new("plain").arg("text", text))
    }
}

/// Anything untyped that reaches a use case's boundary is ours, not the user's.
impl From<anyhow::Error> for Error {
    fn from(e: anyhow::Error) -> Error {
        Error::Unexpected(e)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Error {
        match e {
            // A serialization failure that outlived its retries: the rule was not
            // broken, the database was busy; the user may simply try again.
            StoreError::Conflict(_) => Error::Refused(Msg::new("store.busy")),
            other => Error::Unexpected(other.into()),
        }
    }
}

impl From<tokio::task::JoinError> for Error {
    fn from(e: tokio::task::JoinError) -> Error {
        Error::Unexpected(e.into())
    }
}

/// The word for a status in a message.
pub fn status_word(s: Status) -> Msg {
    Msg::new(match s {
        Status::Candidate => "status.candidate",
        Status::Enrolled => "status.enrolled",
        Status::Active => "status.active",
        Status::Graduated => "status.graduated",
        Status::Exited => "status.exited",
    })
}

fn kk(h: u64) -> String {
    format!("{h:016}")
}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Error {
        Error::Refused(refusal_msg(&r))
    }
}

/// The message of an enrollment rule's refusal.
pub fn refusal_msg(r: &Refusal) -> Msg {
    match r {
        Refusal::Capacity { program, capacity } => Msg::new("refusal.capacity")
            .arg("program", program)
            .arg("capacity", capacity),
        Refusal::Quota {
            program,
            village,
            quota,
        } => Msg::new("refusal.quota")
            .arg("program", program)
            .arg("village", village)
            .arg("quota", quota),
        Refusal::Exclusive {
            program,
            other,
            status,
        } => Msg::new("refusal.exclusive")
            .arg("program", program)
            .arg("other", other)
            .word("status", status_word(*status)),
        Refusal::Transition {
            program,
            action,
            from,
        } => {
            let action = match *action {
                "propose" => Msg::new("action.propose"),
                "enroll" => Msg::new("action.enroll"),
                "activate" => Msg::new("action.activate"),
                "graduate" => Msg::new("action.graduate"),
                "exit" => Msg::new("action.exit"),
                "correct" => Msg::new("action.correct"),
                other => Msg::new("plain").arg("text", other),
            };
            let from = match Status::parse(from) {
                Ok(s) => status_word(s),
                Err(_) if from == "not in the program" => Msg::new("status.none"),
                Err(_) => Msg::new("plain").arg("text", from),
            };
            Msg::new("refusal.transition")
                .arg("program", program)
                .word("action", action)
                .word("from", from)
        }
        Refusal::NotCandidate { program, household } => Msg::new("refusal.not_candidate")
            .arg("program", program)
            .arg("kk", kk(*household)),
        Refusal::NoReason => Msg::new("refusal.no_reason"),
    }
}

impl From<DeliveryRefusal> for Error {
    fn from(r: DeliveryRefusal) -> Error {
        Error::Refused(delivery_msg(&r))
    }
}

fn word(phrase: &'static str) -> Msg {
    match phrase {
        "the topic" => Msg::new("word.topic"),
        "the notes of a visit" => Msg::new("word.visit_notes"),
        "the session day" => Msg::new("word.session_day"),
        "the visit day" => Msg::new("word.visit_day"),
        "the observation day" => Msg::new("word.observation_day"),
        "the day of the change" => Msg::new("word.change_day"),
        "the amount" => Msg::new("word.amount"),
        "the income" => Msg::new("word.income"),
        other => Msg::new("plain").arg("text", other),
    }
}

/// The message of a delivery rule's refusal.
pub fn delivery_msg(r: &DeliveryRefusal) -> Msg {
    use sejahtera_domain::delivery::Allowed;
    match r {
        DeliveryRefusal::NotAParticipant { program, household } => {
            Msg::new("delivery.not_a_participant")
                .arg("program", program)
                .arg("kk", kk(*household))
        }
        DeliveryRefusal::NotInProgram { program, household } => Msg::new("delivery.not_in_program")
            .arg("program", program)
            .arg("kk", kk(*household)),
        DeliveryRefusal::Date {
            what,
            date,
            allowed,
        } => {
            let allowed = match allowed {
                Allowed::Period { start, end } => {
                    Msg::new("range.period").arg("start", start).arg("end", end)
                }
                Allowed::Visit { start, today } => Msg::new("range.visit")
                    .arg("start", start)
                    .arg("today", today),
                Allowed::UpTo(today) => Msg::new("range.up_to_today").arg("today", today),
                Allowed::OnOrAfter(d) => Msg::new("range.on_or_after").arg("date", d),
            };
            Msg::new("delivery.date")
                .word("what", word(what))
                .arg("date", date)
                .word("allowed", allowed)
        }
        DeliveryRefusal::Empty(what) => Msg::new("delivery.empty").word("what", word(what)),
        DeliveryRefusal::NotAPartner {
            partner,
            program,
            partners,
        } => Msg::new("delivery.not_a_partner")
            .arg("partner", partner)
            .arg("program", program)
            .arg("partners", partners),
        DeliveryRefusal::Service {
            partner,
            service,
            offers,
        } => Msg::new("delivery.service")
            .arg("partner", partner)
            .arg("service", service)
            .arg("offers", offers),
        DeliveryRefusal::ReferralTransition { from, to } => {
            Msg::new("delivery.referral_transition")
                .arg("from", from)
                .arg("to", to)
        }
        DeliveryRefusal::NoResult(s) => Msg::new("delivery.no_result").arg("status", s),
        DeliveryRefusal::Negative(what) => Msg::new("delivery.negative").word("what", word(what)),
        DeliveryRefusal::TooLarge { what, limit } => Msg::new("delivery.too_large")
            .word("what", word(what))
            .arg("limit", limit),
        DeliveryRefusal::NoMeasure => Msg::new("delivery.no_measure"),
        DeliveryRefusal::Many(list) => Msg::new("delivery.many").arg("list", list.join("; ")),
    }
}

impl From<ProgramError> for Error {
    fn from(e: ProgramError) -> Error {
        Error::Invalid(match e {
            ProgramError::NoName => Msg::new("program.no_name"),
            ProgramError::Period { start, end } => Msg::new("program.bad_period")
                .arg("start", start)
                .arg("end", end),
            ProgramError::Budget => Msg::new("program.negative_budget"),
            ProgramError::Quota {
                village,
                quota,
                capacity,
            } => Msg::new("program.quota_over_capacity")
                .arg("village", village)
                .arg("quota", quota)
                .arg("capacity", capacity),
            ProgramError::SelfExclusive => Msg::new("program.self_exclusive"),
        })
    }
}

impl From<crate::households::AccessError> for Error {
    fn from(e: crate::households::AccessError) -> Error {
        use crate::households::AccessError;
        match e {
            AccessError::Forbidden => Error::Forbidden(Msg::new("access.forbidden")),
            AccessError::OutsideScope => Error::Forbidden(Msg::new("access.outside_scope")),
            AccessError::NotFound => Error::NotFound(Msg::new("access.not_found")),
            AccessError::BadQuery(m) => Error::invalid_text(m),
            AccessError::Store(s) => s.into(),
        }
    }
}

/// Marks a failure as the user's input — a file they gave, a value they typed —
/// with what and where (`or_invalid(|| format!("{}:{line}: amount", path))`),
/// as opposed to `anyhow::Context`, whose errors are ours ([`Error::Unexpected`]).
pub trait OrInvalid<T> {
    /// [`Error::Invalid`] saying `what: cause`.
    fn or_invalid<D: std::fmt::Display>(self, what: impl FnOnce() -> D) -> Result<T>;
}

impl<T, E: std::fmt::Display> OrInvalid<T> for std::result::Result<T, E> {
    fn or_invalid<D: std::fmt::Display>(self, what: impl FnOnce() -> D) -> Result<T> {
        self.map_err(|e| Error::invalid_text(format!("{}: {e:#}", what())))
    }
}

impl<T> OrInvalid<T> for Option<T> {
    fn or_invalid<D: std::fmt::Display>(self, what: impl FnOnce() -> D) -> Result<T> {
        self.ok_or_else(|| Error::invalid_text(what()))
    }
}

/// Returns [`Error::Invalid`] with a formatted plain text (the user's input is wrong).
#[macro_export]
macro_rules! invalid {
    ($($t:tt)*) => {
        return Err($crate::error::Error::invalid_text(format!($($t)*)))
    };
}
