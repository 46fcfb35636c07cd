//! Messages of the use cases in both languages: every refusal, "not found",
//! "forbidden" and "invalid" answer is a [`Msg`] (a key of [`MESSAGES`] and its
//! arguments) that an adapter renders in the user's language — the web in the
//! request's language, the command line in English.

use std::fmt;

/// A user-interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Bahasa Indonesia (the default).
    #[default]
    Id,
    /// English.
    En,
}

impl Lang {
    /// From a cookie or query value (`id`, `en`).
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "id" => Some(Lang::Id),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
    /// The code (`id`, `en`), also used as the HTML `lang` attribute.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }
    /// The other language (for the switch link).
    pub fn other(self) -> Lang {
        match self {
            Lang::Id => Lang::En,
            Lang::En => Lang::Id,
        }
    }
}

/// An argument of a message: a value shown as is (a name, a number, a date) or
/// a word that is itself translated (a status, a date's role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Shown as is.
    Text(String),
    /// Translated.
    Msg(Msg),
    /// Several translated messages, joined with "; ".
    List(Vec<Msg>),
}

/// A message: a key of [`MESSAGES`] with named arguments (`{name}` in the texts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    key: &'static str,
    args: Vec<(&'static str, Arg)>,
}

impl Msg {
    /// The message `key` (which must be in [`MESSAGES`]; a test checks every use).
    pub fn new(key: &'static str) -> Msg {
        Msg {
            key,
            args: Vec::new(),
        }
    }

    /// Adds an argument shown as is.
    pub fn arg(mut self, name: &'static str, value: impl fmt::Display) -> Msg {
        self.args.push((name, Arg::Text(value.to_string())));
        self
    }

    /// Adds an argument that is itself a translated message.
    pub fn word(mut self, name: &'static str, value: Msg) -> Msg {
        self.args.push((name, Arg::Msg(value)));
        self
    }

    /// Adds an argument that is a list of translated messages.
    pub fn list(mut self, name: &'static str, values: Vec<Msg>) -> Msg {
        self.args.push((name, Arg::List(values)));
        self
    }

    /// The key.
    pub fn key(&self) -> &'static str {
        self.key
    }

    /// The text in `lang`, arguments filled in. An unknown key shows as itself
    /// (never happens: a test renders every key used in the code).
    pub fn render(&self, lang: Lang) -> String {
        let template = text(self.key, lang).unwrap_or(self.key);
        let mut out = String::with_capacity(template.len() + 16);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find('}') {
                Some(close) => {
                    let name = &after[..close];
                    match self.args.iter().find(|(n, _)| *n == name) {
                        Some((_, Arg::Text(v))) => out.push_str(v),
                        Some((_, Arg::Msg(m))) => out.push_str(&m.render(lang)),
                        Some((_, Arg::List(list))) => {
                            for (i, m) in list.iter().enumerate() {
                                if i > 0 {
                                    out.push_str("; ");
                                }
                                out.push_str(&m.render(lang));
                            }
                        }
                        None => {
                            out.push('{');
                            out.push_str(name);
                            out.push('}');
                        }
                    }
                    rest = &after[close + 1..];
                }
                None => {
                    out.push_str(&rest[open..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// English, for logs and the command line.
impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

/// The text of `key` in `lang`.
pub fn text(key: &str, lang: Lang) -> Option<&'static str> {
    MESSAGES
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, id, en)| match lang {
            Lang::Id => *id,
            Lang::En => *en,
        })
}

/// Every message of the use cases: (key, Indonesian, English).
pub const MESSAGES: &[(&str, &str, &str)] = &[
    // Programs.
    (
        "program.not_found",
        "Tidak ada program dengan id {id}.",
        "no program with id {id}",
    ),
    (
        "program.create_forbidden",
        "Program {agency} ditetapkan oleh operator dan administrator dinas tersebut.",
        "programs of {agency} are defined by that agency's operators and administrators",
    ),
    (
        "program.eligibility_invalid",
        "Syarat kelayakan {program} tidak dapat dibaca: {detail}",
        "eligibility of {program}: {detail}",
    ),
    (
        "program.quota_unknown_village",
        "Kuota untuk {village}: bukan kode kelurahan/desa yang dikenal.",
        "quota for {village}: not a known village code",
    ),
    (
        "program.exclusive_unknown",
        "Eksklusif dengan program {id}: program itu tidak ada.",
        "exclusive with program {id}: no such program",
    ),
    (
        "program.partner_unknown",
        "Mitra {id}: mitra itu tidak ada (lihat `sejahtera partner list`).",
        "partner {id}: no such partner (see `sejahtera partner list`)",
    ),
    (
        "program.name_taken",
        "Program bernama \"{name}\" sudah ada; pilih nama lain.",
        "a program named \"{name}\" already exists; choose another name",
    ),
    (
        "program.dry_run_forbidden",
        "Uji coba syarat {program} hanya untuk {agency}, perencana, auditor dan administrator.",
        "the dry run of {program} is for {agency}, planners, auditors and administrators",
    ),
    (
        "program.no_region",
        "Akun Anda belum memiliki wilayah; administrator menetapkannya (`sejahtera user region NAMA KODE`).",
        "your account has no region yet; an administrator sets it (`sejahtera user region NAME CODE`)",
    ),
    (
        "program.decide_forbidden",
        "Keputusan dalam {program} dibuat oleh {agency} dan administrator.",
        "decisions in {program} are made by {agency} and administrators",
    ),
    (
        "program.household_not_registered",
        "Keluarga {kk} tidak ada dalam registri.",
        "household {kk} is not in the registry",
    ),
    (
        "program.participant_enroll_only",
        "Peserta hanya disebutkan saat pendaftaran (enroll).",
        "a participant is named on enrollment only",
    ),
    (
        "program.participant_not_member",
        "Peserta harus anggota keluarga tersebut.",
        "the participant must be a member of the household",
    ),
    (
        "program.readers_forbidden",
        "Peserta {program} dapat dilihat oleh {agency}, perencana, auditor dan administrator.",
        "the participants of {program} are seen by {agency}, planners, auditors and administrators",
    ),
    (
        "program.no_name",
        "Program memerlukan nama.",
        "a program needs a name",
    ),
    (
        "program.bad_period",
        "Periode berakhir ({end}) sebelum dimulai ({start}).",
        "the period ends ({end}) before it starts ({start})",
    ),
    (
        "program.negative_budget",
        "Anggaran tidak boleh negatif.",
        "the budget cannot be negative",
    ),
    (
        "program.quota_over_capacity",
        "Kuota {village} ({quota}) melebihi kapasitas program ({capacity}).",
        "the quota of {village} ({quota}) exceeds the program's capacity ({capacity})",
    ),
    (
        "program.self_exclusive",
        "Program tidak dapat eksklusif dengan dirinya sendiri.",
        "a program cannot be exclusive with itself",
    ),
    // Refusals of enrollment decisions.
    (
        "refusal.capacity",
        "{program} sudah mencapai kapasitasnya, {capacity} keluarga.",
        "{program} has reached its capacity of {capacity} households",
    ),
    (
        "refusal.quota",
        "Kuota {quota} keluarga untuk kelurahan/desa {village} dalam {program} sudah habis.",
        "the quota of {quota} households for village {village} in {program} is used up",
    ),
    (
        "refusal.exclusive",
        "Keluarga ini sudah {status} dalam {other}, yang eksklusif dengan {program}.",
        "the household is already {status} in {other}, which is exclusive with {program}",
    ),
    (
        "refusal.transition",
        "Tidak dapat {action} keluarga yang berstatus {from} dalam {program}.",
        "cannot {action} a household that is {from} in {program}",
    ),
    (
        "refusal.not_candidate",
        "Keluarga {kk} bukan calon peserta {program}: tidak ada dalam registri atau tidak memenuhi syarat kelayakan program.",
        "household {kk} is not a candidate of {program}: it is not in the registry or does not meet the program's eligibility",
    ),
    (
        "refusal.no_reason",
        "Keluar atau koreksi memerlukan alasan.",
        "an exit or a correction needs a reason",
    ),
    ("status.candidate", "calon", "candidate"),
    ("status.enrolled", "terdaftar", "enrolled"),
    ("status.active", "aktif", "active"),
    ("status.graduated", "lulus", "graduated"),
    ("status.exited", "keluar", "exited"),
    (
        "status.none",
        "belum ada dalam program",
        "not in the program",
    ),
    ("action.propose", "mengusulkan", "propose"),
    ("action.enroll", "mendaftarkan", "enroll"),
    ("action.activate", "mengaktifkan", "activate"),
    ("action.graduate", "meluluskan", "graduate"),
    ("action.exit", "mengeluarkan", "exit"),
    ("action.correct", "mengoreksi", "correct"),
    // Delivery: sessions, attendance, visits, referrals, outcomes.
    (
        "delivery.forbidden",
        "{what} dalam {program} adalah untuk {agency} dan administrator.",
        "{what} in {program} is for {agency} and administrators",
    ),
    ("what.adding_sessions", "Menambah sesi", "adding sessions"),
    (
        "what.recording_attendance",
        "Mencatat kehadiran",
        "recording attendance",
    ),
    (
        "what.recording_visits",
        "Mencatat kunjungan",
        "recording visits",
    ),
    (
        "what.referring",
        "Merujuk peserta",
        "referring participants",
    ),
    (
        "what.recording_outcomes",
        "Mencatat hasil",
        "recording outcomes",
    ),
    (
        "what.importing_outcomes",
        "Mengimpor hasil",
        "importing outcomes",
    ),
    (
        "partner.create_forbidden",
        "Mitra didaftarkan oleh administrator.",
        "partners are registered by administrators",
    ),
    (
        "partner.no_name",
        "Mitra memerlukan nama.",
        "a partner needs a name",
    ),
    (
        "partner.no_service",
        "{name} memerlukan paling sedikit satu layanan (pilihan: {allowed}).",
        "{name} needs at least one service (allowed: {allowed})",
    ),
    (
        "partner.name_taken",
        "Mitra bernama {name} sudah ada.",
        "a partner named {name} exists already",
    ),
    (
        "partner.not_found",
        "Tidak ada mitra dengan id {id}.",
        "no partner with id {id}",
    ),
    (
        "session.not_found",
        "Tidak ada sesi dengan id {id}.",
        "no session with id {id}",
    ),
    (
        "referral.not_found",
        "Tidak ada rujukan dengan id {id}.",
        "no referral with id {id}",
    ),
    (
        "referral.update_forbidden",
        "Rujukan diperbarui oleh mitra yang dituju atau oleh dinas pengelola program.",
        "a referral is updated by the partner it is addressed to or by the program's agency",
    ),
    (
        "outcome.wrong_program",
        "Hasil program {given} diberikan untuk program {program}.",
        "an outcome of program {given} given for {program}",
    ),
    (
        "outcome.file_invalid",
        "Berkas hasil tidak dapat dibaca: {detail}",
        "{detail}",
    ),
    (
        "outcome.unknown_column",
        "Baris 1: kolom \"{column}\" tidak dikenal (pilihan: {allowed}).",
        "line 1: unknown column \"{column}\" (allowed: {allowed})",
    ),
    (
        "outcome.duplicate_column",
        "Baris 1: kolom {column} muncul dua kali.",
        "line 1: the column {column} appears twice",
    ),
    (
        "outcome.missing_column",
        "Baris 1: kolom {column} tidak ada.",
        "line 1: the column {column} is missing",
    ),
    (
        "delivery.not_a_participant",
        "Keluarga {kk} belum pernah terdaftar dalam {program}.",
        "household {kk} has never been enrolled in {program}",
    ),
    (
        "delivery.not_in_program",
        "Keluarga {kk} bukan calon maupun peserta {program}.",
        "household {kk} is neither a candidate nor a participant of {program}",
    ),
    (
        "delivery.date",
        "{what} {date} berada di luar {allowed}.",
        "{what} {date} is outside {allowed}",
    ),
    (
        "delivery.empty",
        "{what} tidak boleh kosong.",
        "{what} cannot be empty",
    ),
    (
        "delivery.not_a_partner",
        "{partner} bukan mitra {program} (mitranya: {partners}).",
        "{partner} is not a partner of {program} (its partners: {partners})",
    ),
    (
        "delivery.service",
        "{partner} tidak menyediakan {service} (layanannya: {offers}).",
        "{partner} does not offer {service} (it offers: {offers})",
    ),
    (
        "delivery.referral_transition",
        "Rujukan berstatus {from} tidak dapat menjadi {to}.",
        "a referral that is {from} cannot become {to}",
    ),
    (
        "delivery.no_result",
        "Rujukan yang menjadi {status} memerlukan hasil (apa yang terjadi, atau mengapa ditolak).",
        "a referral that becomes {status} needs a result (what happened, or why it was declined)",
    ),
    (
        "delivery.negative",
        "{what} tidak boleh negatif.",
        "{what} cannot be negative",
    ),
    (
        "delivery.too_large",
        "{what} paling besar {limit}.",
        "{what} may be at most {limit}",
    ),
    (
        "delivery.no_measure",
        "Hasil memerlukan paling sedikit satu dari: usaha, pendapatan, bekerja.",
        "an outcome needs at least one of business, income, employed",
    ),
    (
        "delivery.many",
        "Tidak ada yang dicatat: {list}",
        "nothing recorded: {list}",
    ),
    ("word.topic", "Topik", "the topic"),
    (
        "word.visit_notes",
        "Catatan kunjungan",
        "the notes of a visit",
    ),
    ("word.session_day", "Tanggal sesi", "the session day"),
    ("word.visit_day", "Tanggal kunjungan", "the visit day"),
    (
        "word.observation_day",
        "Tanggal pengamatan",
        "the observation day",
    ),
    (
        "word.change_day",
        "Tanggal perubahan",
        "the day of the change",
    ),
    ("word.amount", "Jumlah", "the amount"),
    ("word.income", "Pendapatan", "the income"),
    (
        "range.period",
        "periode program {start} – {end}",
        "the program's period {start} – {end}",
    ),
    (
        "range.visit",
        "{start} (awal program) – {today} (hari ini)",
        "{start} (program start) – {today} (today)",
    ),
    (
        "range.up_to_today",
        "hari-hari sampai hari ini ({today})",
        "the days up to today ({today})",
    ),
    (
        "range.on_or_after",
        "pada atau setelah rujukan ({date})",
        "on or after the referral ({date})",
    ),
    (
        "eligibility.unknown_region",
        "Wilayah {code} tidak dikenal: tidak ada di antara kode wilayah yang tersimpan.",
        "unknown region {code}: not among the stored region codes",
    ),
    (
        "eligibility.not_ranked",
        "Syarat memakai desil atau skor_pmt, tetapi belum ada keluarga yang diperingkat PMT; jalankan `sejahtera pmt score` lebih dulu.",
        "the expression uses desil or skor_pmt but no household has a PMT ranking yet; run `sejahtera pmt score` first",
    ),
    (
        "targeting.no_line",
        "Belum ada garis kemiskinan tersimpan untuk {code} {name}; gunakan bagian termiskin (--poor-share).",
        "no poverty line is stored for {code} {name}; use --poor-share instead",
    ),
    (
        "targeting.bad_share",
        "Bagian termiskin harus antara 0 dan 1, bukan {share}.",
        "the poor share must be between 0 and 1, got {share}",
    ),
    (
        "targeting.no_truth",
        "Registri ini tidak memiliki konsumsi sebenarnya untuk pembanding (hanya demo yang memiliki household_truth).",
        "this registry has no true consumption to score against (only the demo has household_truth)",
    ),
    // Registry access.
    (
        "access.forbidden",
        "Peran Anda tidak boleh membaca registri keluarga.",
        "your role may not read the household registry",
    ),
    (
        "access.outside_scope",
        "Keluarga ini berada di luar kelurahan/desa Anda.",
        "this household is outside your villages",
    ),
    (
        "access.not_found",
        "Keluarga tidak ditemukan.",
        "no such household",
    ),
    // The store.
    (
        "store.busy",
        "Basis data sedang sibuk dengan perubahan lain; coba lagi.",
        "the database is busy with other changes; try again",
    ),
    ("plain", "{text}", "{text}"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_arguments_in_each_language() {
        let m = Msg::new("refusal.capacity")
            .arg("program", "Pelatihan")
            .arg("capacity", 5);
        assert_eq!(
            m.render(Lang::Id),
            "Pelatihan sudah mencapai kapasitasnya, 5 keluarga."
        );
        assert_eq!(
            m.to_string(),
            "Pelatihan has reached its capacity of 5 households"
        );
        let nested = Msg::new("refusal.exclusive")
            .word("status", Msg::new("status.enrolled"))
            .arg("other", "A")
            .arg("program", "B");
        assert_eq!(
            nested.render(Lang::Id),
            "Keluarga ini sudah terdaftar dalam A, yang eksklusif dengan B."
        );
    }

    #[test]
    fn keys_are_unique_and_placeholders_agree() {
        let mut seen = std::collections::HashSet::new();
        let names = |s: &str| {
            let mut v: Vec<String> = s
                .split('{')
                .skip(1)
                .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_string()))
                .collect();
            v.sort();
            v
        };
        for (k, id, en) in MESSAGES {
            assert!(seen.insert(*k), "duplicate key {k}");
            assert!(!id.is_empty() && !en.is_empty(), "{k} lacks a text");
            assert_eq!(names(id), names(en), "{k}: placeholders differ");
        }
    }

    #[test]
    fn every_key_used_in_the_code_exists() {
        let src = concat!(
            include_str!("programs.rs"),
            include_str!("delivery.rs"),
            include_str!("error.rs"),
            include_str!("households.rs"),
            include_str!("targeting.rs"),
        );
        for (i, _) in src.match_indices("Msg::new(\"") {
            let rest = &src[i + 10..];
            let key = &rest[..rest.find('"').unwrap()];
            assert!(text(key, Lang::Id).is_some(), "unknown message key {key}");
        }
    }
}
