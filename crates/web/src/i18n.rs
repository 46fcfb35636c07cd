//! The translation layer: every piece of page text goes through [`Tr::t`]
//! (Indonesian by default, English switchable), plus Indonesian/English
//! formatting of numbers, percentages, Rupiah, dates and times.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Timelike, Utc};
use sejahtera_domain::region::TimeZone;

pub use sejahtera_app::messages::Lang;

/// Every text of the user interface: (key, Indonesian, English).
pub const TEXTS: &[(&str, &str, &str)] = &[
    ("site.name", "Sejahtera", "Sejahtera"),
    (
        "site.tagline",
        "Portal transparansi kesejahteraan daerah",
        "Regional welfare transparency portal",
    ),
    ("nav.home", "Beranda", "Home"),
    ("nav.login", "Masuk", "Sign in"),
    ("nav.logout", "Keluar", "Sign out"),
    ("nav.console", "Konsol petugas", "Staff console"),
    ("nav.switch", "English", "Bahasa Indonesia"),
    ("home.title", "Wilayah", "Regions"),
    (
        "home.intro",
        "Pilih wilayah untuk melihat indikator kesejahteraan: kemiskinan, ketimpangan dan sebarannya per kecamatan dan kelurahan/desa.",
        "Choose a region to see its welfare indicators: poverty, inequality and their spread by district and village.",
    ),
    ("level.province", "Provinsi", "Province"),
    ("level.regency", "Kabupaten/Kota", "Regency/City"),
    ("level.district", "Kecamatan", "District"),
    ("level.village", "Kelurahan/Desa", "Village"),
    ("ind.population", "Penduduk", "Population"),
    ("ind.households", "Rumah tangga", "Households"),
    ("ind.p0", "Tingkat kemiskinan (P0)", "Poverty rate (P0)"),
    ("ind.p1", "Indeks kedalaman (P1)", "Poverty gap (P1)"),
    ("ind.p2", "Indeks keparahan (P2)", "Poverty severity (P2)"),
    ("ind.gini", "Rasio Gini", "Gini ratio"),
    (
        "ind.mean",
        "Rata-rata pengeluaran per kapita per bulan",
        "Mean consumption per capita per month",
    ),
    ("ind.se", "galat baku", "standard error"),
    ("ind.line", "Garis kemiskinan", "Poverty line"),
    (
        "ind.line_unit",
        "per kapita per bulan",
        "per capita per month",
    ),
    ("ind.source", "Sumber", "Source"),
    ("ind.period", "Periode", "Period"),
    (
        "ind.method",
        "Pengeluaran rumah tangga per anggota dari registri, dibandingkan dengan garis kemiskinan resmi; setiap anggota dihitung.",
        "Household consumption per member from the registry, against the official poverty line; every member counts.",
    ),
    (
        "map.title_district",
        "Peta tingkat kemiskinan per kecamatan",
        "Poverty rate by district",
    ),
    (
        "map.title_village",
        "Peta tingkat kemiskinan per kelurahan/desa",
        "Poverty rate by village",
    ),
    ("map.legend", "Tingkat kemiskinan P0", "Poverty rate P0"),
    (
        "map.suppressed",
        "kurang dari 10 rumah tangga",
        "fewer than 10 households",
    ),
    ("chart.lorenz", "Kurva Lorenz", "Lorenz curve"),
    (
        "chart.lorenz_x",
        "Bagian penduduk (termiskin ke terkaya)",
        "Population share (poorest to richest)",
    ),
    ("chart.lorenz_y", "Bagian pengeluaran", "Consumption share"),
    ("chart.equality", "garis kesetaraan", "line of equality"),
    (
        "chart.distribution",
        "Sebaran pengeluaran per kapita",
        "Distribution of consumption per capita",
    ),
    (
        "chart.distribution_x",
        "Kelipatan garis kemiskinan",
        "Multiple of the poverty line",
    ),
    ("chart.distribution_y", "Penduduk", "Persons"),
    ("table.districts", "Per kecamatan", "By district"),
    ("table.villages", "Per kelurahan/desa", "By village"),
    ("table.name", "Nama", "Name"),
    ("table.code", "Kode", "Code"),
    (
        "note.suppression",
        "Angka yang dihitung dari kurang dari 10 rumah tangga ditampilkan sebagai —, untuk melindungi privasi.",
        "Figures computed from fewer than 10 households are shown as —, to protect privacy.",
    ),
    ("note.updated", "Diperbarui", "Updated"),
    (
        "note.privacy",
        "Portal ini hanya menampilkan angka agregat; tidak pernah nama, NIK, nomor KK atau alamat.",
        "This portal shows aggregates only; never a name, NIK, KK number or address.",
    ),
    (
        "note.staff_pii",
        "Halaman konsol memuat data pribadi (UU 27/2022): hanya untuk tugas Anda, jangan dibagikan atau dicetak untuk umum.",
        "Console pages hold personal data (Law 27/2022): for your duties only; do not share or print them for the public.",
    ),
    ("login.title", "Masuk petugas", "Staff sign-in"),
    ("login.username", "Nama pengguna", "Username"),
    ("login.password", "Kata sandi", "Password"),
    ("login.submit", "Masuk", "Sign in"),
    (
        "login.invalid",
        "Nama pengguna atau kata sandi salah.",
        "Wrong username or password.",
    ),
    (
        "login.throttled",
        "Terlalu banyak percobaan gagal. Coba lagi dalam beberapa menit.",
        "Too many failed attempts. Try again in a few minutes.",
    ),
    ("staff.title", "Konsol petugas", "Staff console"),
    ("staff.signed_in_as", "Masuk sebagai", "Signed in as"),
    ("staff.role", "Peran", "Role"),
    ("staff.villages", "Kelurahan/desa Anda", "Your villages"),
    ("staff.all_villages", "semua wilayah", "all regions"),
    ("staff.search", "Cari rumah tangga", "Search households"),
    (
        "staff.search_hint",
        "Nomor KK atau NIK (16 angka), atau sebagian nama anggota",
        "KK number or NIK (16 digits), or part of a member's name",
    ),
    ("staff.search_submit", "Cari", "Search"),
    ("staff.results", "Hasil", "Results"),
    (
        "staff.no_results",
        "Tidak ada rumah tangga yang cocok dalam wilayah Anda.",
        "No matching household in your regions.",
    ),
    ("staff.page", "Halaman", "Page"),
    ("staff.next", "Berikutnya", "Next"),
    ("staff.prev", "Sebelumnya", "Previous"),
    (
        "staff.import",
        "Impor data registri",
        "Import registry data",
    ),
    ("staff.users", "Pengguna", "Users"),
    ("hh.title", "Rumah tangga", "Household"),
    ("hh.no_kk", "Nomor KK", "KK number"),
    ("hh.village", "Kelurahan/desa", "Village"),
    ("hh.address", "Alamat", "Address"),
    (
        "hh.consumption",
        "Pengeluaran per bulan",
        "Monthly consumption",
    ),
    ("hh.housing", "Kondisi rumah", "Housing"),
    ("hh.members", "Anggota", "Members"),
    ("hh.head", "Kepala rumah tangga", "Head of household"),
    ("hh.flags", "Catatan kualitas data", "Data-quality flags"),
    ("hh.none", "tidak ada", "none"),
    ("p.nik", "NIK", "NIK"),
    ("p.name", "Nama", "Name"),
    ("p.sex", "Jenis kelamin", "Sex"),
    ("p.birth", "Tanggal lahir", "Date of birth"),
    ("p.relation", "Hubungan", "Relation"),
    ("p.education", "Pendidikan", "Education"),
    ("p.work", "Pekerjaan", "Occupation"),
    ("imp.kind", "Jenis data", "Data kind"),
    ("imp.households", "Rumah tangga", "Households"),
    ("imp.persons", "Anggota rumah tangga", "Persons"),
    ("imp.file", "Berkas CSV atau XLSX", "CSV or XLSX file"),
    ("imp.submit", "Impor", "Import"),
    ("imp.result", "Hasil impor", "Import result"),
    ("imp.accepted", "Diterima", "Accepted"),
    ("imp.rejected", "Ditolak", "Rejected"),
    ("imp.warnings", "Peringatan", "Warnings"),
    (
        "imp.rejects",
        "Unduh laporan baris yang ditolak (CSV)",
        "Download the rejected rows report (CSV)",
    ),
    (
        "imp.failed",
        "Impor gagal; tidak ada yang disimpan",
        "The import failed; nothing was stored",
    ),
    ("imp.template", "Unduh templat", "Download a template"),
    ("usr.title", "Pengguna", "Users"),
    ("usr.add", "Tambah pengguna", "Add a user"),
    ("usr.username", "Nama pengguna", "Username"),
    ("usr.display", "Nama lengkap", "Full name"),
    ("usr.role", "Peran", "Role"),
    (
        "usr.villages",
        "Kode kelurahan/desa (operator desa), dipisah koma",
        "Village codes (village operators), comma separated",
    ),
    (
        "usr.password",
        "Kata sandi awal (minimal 10 karakter)",
        "Initial password (at least 10 characters)",
    ),
    ("usr.created", "Pengguna dibuat", "User created"),
    (
        "usr.agency",
        "Perangkat daerah (operator OPD), persis seperti nama pada program",
        "Agency (agency operators), exactly as its programs name it",
    ),
    (
        "usr.region",
        "Wilayah kerja operator OPD (kode kabupaten/kota, mis. 53.71)",
        "Region of an agency operator (regency code, e.g. 53.71)",
    ),
    (
        "usr.partner",
        "Nomor mitra (akun mitra)",
        "Partner id (partner accounts)",
    ),
    ("usr.status", "Status", "Status"),
    ("usr.active", "aktif", "active"),
    ("usr.disabled", "nonaktif", "disabled"),
    ("usr.disable", "Nonaktifkan", "Disable"),
    ("usr.enable", "Aktifkan", "Enable"),
    ("tg.title", "Ketepatan sasaran", "Targeting accuracy"),
    (
        "tg.intro",
        "Seberapa baik suatu pilihan rumah tangga (misalnya desil <= 4) menjangkau rumah tangga yang benar-benar miskin, menurut konsumsi sebenarnya (hanya data demo).",
        "How well a selection of households (e.g. desil <= 4) reaches the truly poor, by true consumption (demo data only).",
    ),
    (
        "tg.select",
        "Pilihan (ekspresi kelayakan)",
        "Selection (eligibility expression)",
    ),
    (
        "tg.poor_share",
        "Miskin = bagian termiskin (0–1); kosong = di bawah garis kemiskinan",
        "Poor = poorest share (0–1); empty = below the poverty line",
    ),
    ("tg.submit", "Hitung", "Compute"),
    ("tg.selected", "Terpilih", "Selected"),
    ("tg.poor", "Miskin", "Poor"),
    ("tg.sp", "Terpilih & miskin", "Selected & poor"),
    ("tg.snp", "Terpilih, tidak miskin", "Selected, not poor"),
    ("tg.pns", "Miskin, tidak terpilih", "Poor, not selected"),
    ("tg.nn", "Lainnya", "Neither"),
    ("tg.inclusion", "Galat inklusi", "Inclusion error"),
    ("tg.exclusion", "Galat eksklusi", "Exclusion error"),
    (
        "tg.definitions",
        "Galat inklusi = terpilih tetapi tidak miskin / terpilih. Galat eksklusi = miskin tetapi tidak terpilih / miskin. Satuan: rumah tangga.",
        "Inclusion error = selected but not poor / selected. Exclusion error = poor but not selected / poor. Unit: households.",
    ),
    ("err.title", "Terjadi masalah", "Something went wrong"),
    ("err.back", "Kembali ke beranda", "Back to home"),
    (
        "err.internal",
        "Terjadi kesalahan di server; penyebabnya sudah dicatat.",
        "internal error; the cause has been logged",
    ),
    ("sex.L", "Laki-laki", "Male"),
    ("sex.P", "Perempuan", "Female"),
    ("nav.programs", "Program", "Programs"),
    ("nav.referrals", "Rujukan", "Referrals"),
    ("pg.title", "Program", "Programs"),
    (
        "tg.program",
        "atau peserta program (menggantikan kriteria)",
        "or a program's enrollees (instead of the expression)",
    ),
    (
        "pg.intro",
        "Program pemerintah daerah untuk rumah tangga: pelatihan, pendampingan, akses pasar dan kredit. Hanya angka agregat yang ditampilkan.",
        "Regional government programs for households: training, mentoring, market access and credit. Only aggregate figures are shown.",
    ),
    ("pg.name", "Program", "Program"),
    ("pg.sector", "Sektor", "Sector"),
    ("pg.kind", "Jenis", "Kind"),
    ("pg.agency", "Perangkat daerah (OPD)", "Agency (OPD)"),
    ("pg.period", "Periode", "Period"),
    ("pg.start", "Mulai", "Start"),
    ("pg.end", "Selesai", "End"),
    ("pg.budget", "Anggaran", "Budget"),
    (
        "pg.capacity",
        "Kapasitas (rumah tangga)",
        "Capacity (households)",
    ),
    (
        "pg.quotas",
        "Kuota per kelurahan/desa (KODE=N, dipisah koma)",
        "Quotas per village (CODE=N, comma separated)",
    ),
    ("pg.quota", "Kuota", "Quota"),
    ("pg.eligibility", "Kriteria kelayakan", "Eligibility"),
    ("pg.partners", "Mitra", "Partners"),
    ("pg.partner", "Mitra", "Partner"),
    (
        "pg.exclusive_ids",
        "Tidak boleh bersamaan dengan program nomor (dipisah koma)",
        "Exclusive with program ids (comma separated)",
    ),
    (
        "pg.partner_ids",
        "Nomor mitra (dipisah koma)",
        "Partner ids (comma separated)",
    ),
    ("pg.participants", "Peserta", "Participants"),
    ("pg.participant", "Peserta", "Participant"),
    (
        "pg.participant_nik",
        "NIK peserta (bila bukan kepala keluarga)",
        "Participant's NIK (if not the head)",
    ),
    ("pg.graduation", "Tingkat kelulusan", "Graduation rate"),
    ("pg.businesses", "Usaha dimulai", "Businesses started"),
    (
        "pg.followed",
        "Peserta dipantau hasilnya",
        "Participants followed up",
    ),
    ("pg.sessions", "Sesi pelatihan", "Training sessions"),
    ("pg.attendance", "Kehadiran", "Attendance"),
    ("pg.attendance_rate", "Tingkat kehadiran", "Attendance rate"),
    ("pg.visits", "Kunjungan pendampingan", "Mentoring visits"),
    ("pg.referrals", "Rujukan ke mitra", "Referrals to partners"),
    (
        "pg.referral_amount",
        "Kredit/pesanan diperoleh lewat rujukan",
        "Credit/orders obtained through referrals",
    ),
    ("pg.results", "Hasil", "Results"),
    (
        "pg.by_district",
        "Peserta menurut kecamatan dan jenis kelamin",
        "Participants by district and sex",
    ),
    ("pg.total", "Jumlah", "Total"),
    (
        "pg.suppression",
        "Sel dengan 1–4 peserta tidak ditampilkan (—) untuk melindungi privasi; batas",
        "Cells with 1–4 participants are not shown (—) to protect privacy; threshold",
    ),
    (
        "pg.graduation_def",
        "Tingkat kelulusan = lulus / (lulus + keluar). Peserta = rumah tangga yang pernah terdaftar.",
        "Graduation rate = graduated / (graduated + exited). Participants = households ever enrolled.",
    ),
    (
        "pg.public_note",
        "Data pribadi peserta tidak pernah ditampilkan di halaman publik.",
        "Participants' personal data is never shown on public pages.",
    ),
    ("pg.public_page", "Halaman publik", "Public page"),
    ("pg.new", "Program baru", "New program"),
    ("pg.create", "Buat program", "Create program"),
    (
        "pg.dry_run",
        "Uji coba kriteria (calon per kelurahan/desa)",
        "Dry run (candidates per village)",
    ),
    (
        "pg.dry_run_show",
        "Hitung calon per kelurahan/desa",
        "Count candidates per village",
    ),
    ("pg.decide", "Keputusan kepesertaan", "Enrollment decision"),
    ("pg.action", "Tindakan", "Action"),
    ("pg.why", "Alasan keputusan", "Why"),
    (
        "pg.exit_reason",
        "Alasan keluar (untuk keluar)",
        "Exit reason (for exit)",
    ),
    (
        "pg.correct_to",
        "Koreksi menjadi (untuk koreksi)",
        "Correct to (for correct)",
    ),
    ("pg.record", "Catat", "Record"),
    (
        "pg.enrollees",
        "Calon dan peserta",
        "Candidates and participants",
    ),
    ("pg.status", "Status", "Status"),
    ("pg.attended", "Hadir (sesi)", "Attended (sessions)"),
    ("pg.income", "Pendapatan bulanan", "Monthly income"),
    ("pg.business", "Punya usaha", "Runs a business"),
    ("pg.employed", "Bekerja", "Employed"),
    ("pg.yes", "ya", "yes"),
    ("pg.no", "tidak", "no"),
    (
        "pg.no_pii",
        "Daftar peserta hanya untuk OPD pelaksana, perencana, auditor dan admin.",
        "The participant list is for the implementing agency, planners, auditors and admins.",
    ),
    ("pg.date", "Tanggal", "Date"),
    ("pg.topic", "Topik", "Topic"),
    ("pg.place", "Tempat", "Place"),
    ("pg.present", "Hadir", "Present"),
    ("pg.absent", "Tidak hadir", "Absent"),
    ("pg.save", "Simpan", "Save"),
    ("pg.add_session", "Tambah sesi", "Add session"),
    ("pg.notes", "Catatan", "Notes"),
    ("pg.add_visit", "Catat kunjungan", "Record visit"),
    ("pg.service", "Layanan", "Service"),
    ("pg.refer", "Rujuk", "Refer"),
    ("pg.result", "Hasil", "Result"),
    ("pg.amount", "Nilai (Rp)", "Amount (Rp)"),
    ("pg.referred_on", "Dirujuk", "Referred"),
    ("pg.updated_on", "Diperbarui", "Updated"),
    ("pg.outcomes", "Hasil peserta", "Outcomes"),
    (
        "pg.import_outcomes",
        "Impor hasil (CSV)",
        "Import outcomes (CSV)",
    ),
    ("pg.import", "Impor", "Import"),
    (
        "pg.import_report",
        "Laporan impor hasil",
        "Outcome import report",
    ),
    ("pg.accepted", "diterima", "accepted"),
    ("pg.rejected", "ditolak", "rejected"),
    (
        "pg.more_rejected",
        "baris ditolak lainnya tidak dicantumkan",
        "more rejected rows not listed",
    ),
    ("pg.line", "Baris", "Line"),
    ("pg.column", "Kolom", "Column"),
    ("pg.reason", "Alasan", "Reason"),
    ("pg.done.created", "Program dibuat.", "Program created."),
    (
        "pg.done.decision",
        "Keputusan dicatat.",
        "Decision recorded.",
    ),
    ("pg.done.session", "Sesi ditambahkan.", "Session added."),
    (
        "pg.done.attendance",
        "Kehadiran disimpan.",
        "Attendance saved.",
    ),
    ("pg.done.visit", "Kunjungan dicatat.", "Visit recorded."),
    ("pg.done.referral", "Rujukan dikirim.", "Referral sent."),
    ("pg.done.outcome", "Hasil dicatat.", "Outcome recorded."),
    (
        "pg.done.referral_status",
        "Status rujukan diperbarui.",
        "Referral status updated.",
    ),
    ("code.sector.pertanian", "Pertanian", "Agriculture"),
    ("code.sector.perikanan", "Perikanan", "Fisheries"),
    (
        "code.sector.industri_kreatif",
        "Industri kreatif",
        "Creative industries",
    ),
    ("code.sector.umkm", "UMKM", "Micro & small enterprises"),
    (
        "code.sector.pemberdayaan_perempuan",
        "Pemberdayaan perempuan",
        "Women's empowerment",
    ),
    (
        "code.sector.infrastruktur",
        "Infrastruktur",
        "Infrastructure",
    ),
    ("code.sector.kesehatan", "Kesehatan", "Health"),
    ("code.sector.air_bersih", "Air bersih", "Clean water"),
    ("code.sector.pendidikan", "Pendidikan", "Education"),
    ("code.kind.pelatihan", "Pelatihan", "Training"),
    ("code.kind.pendampingan", "Pendampingan", "Mentoring"),
    ("code.kind.hibah", "Hibah", "Grant"),
    ("code.kind.akses_pasar", "Akses pasar", "Market access"),
    ("code.kind.akses_kredit", "Akses kredit", "Credit access"),
    ("code.kind.layanan", "Layanan", "Service"),
    ("code.status.candidate", "calon", "candidate"),
    ("code.status.enrolled", "terdaftar", "enrolled"),
    ("code.status.active", "aktif", "active"),
    ("code.status.graduated", "lulus", "graduated"),
    ("code.status.exited", "keluar", "exited"),
    ("code.action.propose", "usulkan sebagai calon", "propose"),
    ("code.action.enroll", "daftarkan", "enroll"),
    ("code.action.activate", "aktifkan", "activate"),
    ("code.action.graduate", "luluskan", "graduate"),
    ("code.action.exit", "keluarkan", "exit"),
    ("code.action.correct", "koreksi", "correct"),
    ("code.referral.referred", "dirujuk", "referred"),
    ("code.referral.accepted", "diterima", "accepted"),
    ("code.referral.rejected", "ditolak", "rejected"),
    ("code.referral.completed", "selesai", "completed"),
    ("code.service.kur", "KUR", "KUR credit"),
    ("code.service.kredit", "Kredit", "Credit"),
    ("code.service.tabungan", "Tabungan", "Savings"),
    ("code.service.akses_pasar", "Akses pasar", "Market access"),
    ("code.service.sarana", "Sarana produksi", "Inputs"),
    ("code.service.pelatihan", "Pelatihan", "Training"),
];

/// Indonesian month names.
const MONTHS_ID: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];
/// English month names.
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A value or a reference to one (templates pass references): lets the
/// formatting helpers take either.
pub trait Val<T: Copy> {
    /// The value.
    fn val(&self) -> T;
}
impl<T: Copy> Val<T> for T {
    fn val(&self) -> T {
        *self
    }
}
impl<T: Copy> Val<T> for &T {
    fn val(&self) -> T {
        **self
    }
}
impl<T: Copy> Val<T> for &&T {
    fn val(&self) -> T {
        ***self
    }
}

/// A translator for one language, passed to every template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tr {
    /// The language.
    pub lang: Lang,
}

impl Tr {
    /// A translator.
    pub fn new(lang: Lang) -> Tr {
        Tr { lang }
    }

    /// The text of `key` (the key itself when missing, which a test forbids).
    pub fn t(&self, key: &str) -> &'static str {
        match TEXTS.iter().find(|(k, _, _)| *k == key) {
            Some((_, id, en)) => match self.lang {
                Lang::Id => id,
                Lang::En => en,
            },
            None => "??",
        }
    }

    /// The label of a code (`code.KIND.VALUE`), or the code itself when unknown.
    pub fn code<'a>(&self, kind: &str, value: &'a str) -> std::borrow::Cow<'a, str> {
        let key = format!("code.{kind}.{value}");
        match TEXTS.iter().find(|(k, _, _)| *k == key) {
            Some((_, id, en)) => std::borrow::Cow::Borrowed(match self.lang {
                Lang::Id => id,
                Lang::En => en,
            }),
            None => std::borrow::Cow::Borrowed(value),
        }
    }

    /// The confirmation of a finished action (`pg.done.KEY`).
    pub fn done(&self, key: &str) -> &'static str {
        self.t(&format!("pg.done.{key}"))
    }

    /// A public count: "—" when suppressed.
    pub fn cell(&self, c: &sejahtera_app::delivery::Cell) -> String {
        match c.value {
            Some(v) => self.int(v),
            None => "—".into(),
        }
    }

    /// A whole number with thousands separators (`1.250.000` / `1,250,000`).
    pub fn int(&self, n: impl Val<u64>) -> String {
        let n = n.val();
        let sep = match self.lang {
            Lang::Id => '.',
            Lang::En => ',',
        };
        group(&n.to_string(), sep)
    }

    /// A share as a percentage with `digits` decimals (`8,24 %` / `8.24%`).
    pub fn pct(&self, share: impl Val<f64>, digits: usize) -> String {
        let share = share.val();
        let s = format!("{:.*}", digits, share * 100.0);
        match self.lang {
            Lang::Id => format!("{} %", s.replace('.', ",")),
            Lang::En => format!("{s}%"),
        }
    }

    /// A decimal number (`0,320` / `0.320`).
    pub fn dec(&self, v: impl Val<f64>, digits: usize) -> String {
        let v = v.val();
        let s = format!("{v:.digits$}");
        match self.lang {
            Lang::Id => s.replace('.', ","),
            Lang::En => s,
        }
    }

    /// Rupiah as `Rp 1.250.000` (always the Indonesian form, as the issue requires).
    pub fn rupiah(&self, amount: impl Val<i64>) -> String {
        let amount = amount.val();
        format!("Rp {}", sejahtera_domain::money::group_thousands(amount))
    }

    /// A date as `22 November 2026`.
    pub fn date(&self, d: impl Val<NaiveDate>) -> String {
        let d = d.val();
        let months = match self.lang {
            Lang::Id => &MONTHS_ID,
            Lang::En => &MONTHS_EN,
        };
        format!("{} {} {}", d.day(), months[d.month0() as usize], d.year())
    }

    /// A UTC time shown in a region's zone: `22 November 2026 14.05 WITA`
    /// (`14:05` in English).
    pub fn datetime(&self, t: DateTime<Utc>, zone: TimeZone) -> String {
        let offset = FixedOffset::east_opt(zone.utc_offset_seconds()).expect("valid offset");
        let local = t.with_timezone(&offset);
        let sep = match self.lang {
            Lang::Id => '.',
            Lang::En => ':',
        };
        format!(
            "{} {:02}{sep}{:02} {}",
            self.date(local.date_naive()),
            local.hour(),
            local.minute(),
            zone.abbreviation()
        )
    }

    /// An optional share as a percentage, or `—` when suppressed.
    pub fn opt_pct(&self, v: impl Val<Option<f64>>, digits: usize) -> String {
        let v = v.val();
        v.map(|v| self.pct(v, digits)).unwrap_or_else(|| "—".into())
    }

    /// An optional decimal, or `—`.
    pub fn opt_dec(&self, v: impl Val<Option<f64>>, digits: usize) -> String {
        let v = v.val();
        v.map(|v| self.dec(v, digits)).unwrap_or_else(|| "—".into())
    }

    /// An optional count, or `—`.
    pub fn opt_int(&self, v: impl Val<Option<u64>>) -> String {
        let v = v.val();
        v.map(|v| self.int(v)).unwrap_or_else(|| "—".into())
    }

    /// An optional amount of Rupiah, or `—`.
    pub fn opt_rupiah(&self, v: impl Val<Option<f64>>) -> String {
        let v = v.val();
        v.map(|v| self.rupiah(v.round() as i64))
            .unwrap_or_else(|| "—".into())
    }

    /// The name of a region level.
    pub fn level(&self, level: &str) -> &'static str {
        self.t(&format!("level.{level}"))
    }
}

fn group(digits: &str, sep: char) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indonesian_formats() {
        let t = Tr::new(Lang::Id);
        assert_eq!(t.rupiah(1_250_000), "Rp 1.250.000");
        assert_eq!(t.int(466_632), "466.632");
        assert_eq!(t.pct(0.0824, 2), "8,24 %");
        assert_eq!(t.dec(0.3201, 3), "0,320");
        let d = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        assert_eq!(t.date(d), "22 November 2026");
        let utc = DateTime::parse_from_rfc3339("2026-11-22T06:05:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            t.datetime(utc, TimeZone::Wita),
            "22 November 2026 14.05 WITA"
        );
        assert_eq!(t.datetime(utc, TimeZone::Wib), "22 November 2026 13.05 WIB");
        assert_eq!(t.opt_pct(None::<f64>, 2), "—");
    }

    #[test]
    fn english_formats() {
        let t = Tr::new(Lang::En);
        assert_eq!(t.int(466_632), "466,632");
        assert_eq!(t.pct(0.0824, 2), "8.24%");
        assert_eq!(t.rupiah(1_250_000), "Rp 1.250.000");
        let d = NaiveDate::from_ymd_opt(2026, 8, 17).unwrap();
        assert_eq!(t.date(d), "17 August 2026");
    }

    #[test]
    fn every_key_is_unique_and_translated() {
        let mut seen = std::collections::HashSet::new();
        for (k, id, en) in TEXTS {
            assert!(seen.insert(*k), "duplicate key {k}");
            assert!(!id.is_empty() && !en.is_empty(), "{k} lacks a translation");
        }
    }

    #[test]
    fn every_program_code_has_a_label_in_both_languages() {
        use sejahtera_domain::codes::Code;
        fn all<C: Code>(kind: &str) {
            for (_, v) in C::ALL {
                let key = format!("code.{kind}.{v}");
                assert!(
                    TEXTS.iter().any(|(k, _, _)| *k == key),
                    "{key} is not in TEXTS"
                );
            }
        }
        all::<sejahtera_domain::programs::Sector>("sector");
        all::<sejahtera_domain::programs::ProgramKind>("kind");
        all::<sejahtera_domain::programs::Status>("status");
        all::<sejahtera_domain::delivery::ReferralStatus>("referral");
        all::<sejahtera_domain::delivery::Service>("service");
        for key in super::super::program_pages_done_keys() {
            assert_ne!(Tr::new(Lang::En).done(key), "??", "pg.done.{key}");
        }
    }

    #[test]
    fn every_key_used_in_templates_exists() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut used = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for part in text.split("t.t(\"").skip(1) {
                let key = &part[..part.find('"').unwrap()];
                assert!(
                    TEXTS.iter().any(|(k, _, _)| *k == key),
                    "template text key {key:?} is not in TEXTS"
                );
                used += 1;
            }
        }
        assert!(used > 50, "templates use {used} keys");
    }
}
