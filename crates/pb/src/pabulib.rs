//! The Pabulib `.pb` format (<https://pabulib.org/format>): reading and writing.
//!
//! A file has three sections, each introduced by a line `META`, `PROJECTS` or `VOTES` followed by
//! a header line; fields are separated by `;` and may be quoted with `"` (a doubled `""` inside a
//! quoted field is a literal quote). Reading follows `pabutools.election.pabulib` (fields are
//! trimmed, values spelled `None` are absent, `,` is accepted as decimal separator in costs and
//! the budget) but rejects what pabutools would crash on, with the line and the reason.

use std::collections::HashMap;

use crate::error::PbError;
use crate::number::{Q, format_decimal, parse_decimal};

/// How voters expressed their preferences (`vote_type` in META).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VoteType {
    /// A set of approved projects.
    Approval,
    /// A single approved project (treated as approval).
    Choose1,
    /// Points distributed over projects (`points` column).
    Cumulative,
    /// A score per project (`points` column).
    Scoring,
    /// A ranking of projects, best first.
    Ordinal,
}

impl VoteType {
    /// Parses the META `vote_type` value.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            "approval" => VoteType::Approval,
            "choose-1" => VoteType::Choose1,
            "cumulative" => VoteType::Cumulative,
            "scoring" => VoteType::Scoring,
            "ordinal" => VoteType::Ordinal,
            _ => return None,
        })
    }

    /// The META spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            VoteType::Approval => "approval",
            VoteType::Choose1 => "choose-1",
            VoteType::Cumulative => "cumulative",
            VoteType::Scoring => "scoring",
            VoteType::Ordinal => "ordinal",
        }
    }

    /// Whether ballots carry points (cumulative and scoring).
    pub fn has_points(self) -> bool {
        matches!(self, VoteType::Cumulative | VoteType::Scoring)
    }
}

/// One project of the PROJECTS section.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    /// `project_id`, the key used in votes and for lexicographic tie-breaking.
    pub id: String,
    /// Exact cost.
    pub cost: Q,
    /// Raw (trimmed) values of every column, in the order of [`Election::project_columns`].
    pub values: Vec<String>,
}

impl Project {
    /// The value of an optional column (`name`, `category`, `target`, `votes` …), if present and not `None`.
    pub fn field<'a>(&'a self, columns: &[String], key: &str) -> Option<&'a str> {
        let i = columns.iter().position(|c| c == key)?;
        let v = self.values.get(i)?;
        (!v.eq_ignore_ascii_case("none") && !v.is_empty()).then_some(v.as_str())
    }
}

/// One ballot of the VOTES section, borrowed from [`Votes`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Vote<'a> {
    /// Project indices (into [`Election::projects`]) in the order written.
    pub projects: &'a [u32],
    /// Points per listed project for cumulative and scoring ballots, parallel to `projects`.
    pub points: Option<&'a [Q]>,
}

/// The ballots of the VOTES section, stored flat: all project indices in one vector (a large
/// file would otherwise cost one allocation per ballot).
///
/// ```
/// use sejahtera_pb::pabulib::Votes;
/// let mut v = Votes::new(false);
/// v.push(&[0, 2], None);
/// v.push(&[], None);
/// assert_eq!(v.len(), 2);
/// assert_eq!(v.get(0).projects, [0, 2]);
/// assert!(v.iter().nth(1).unwrap().projects.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Votes {
    items: Vec<u32>,
    ends: Vec<u32>,
    /// Points parallel to `items` (cumulative and scoring ballots only).
    points: Vec<Q>,
    with_points: bool,
}

impl Votes {
    /// No ballots yet; `with_points` for cumulative and scoring ballots.
    pub fn new(with_points: bool) -> Self {
        Votes {
            with_points,
            ..Votes::default()
        }
    }

    /// Appends a ballot (`points` is ignored unless the ballots carry points; missing points
    /// count as none).
    pub fn push(&mut self, projects: &[u32], points: Option<&[Q]>) {
        self.items.extend_from_slice(projects);
        if self.with_points {
            let pts = points.unwrap_or(&[]);
            assert_eq!(pts.len(), projects.len(), "one point value per project");
            self.points.extend_from_slice(pts);
        }
        self.ends.push(self.items.len() as u32);
    }

    /// Number of ballots.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no ballots.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Ballot `i` (panics when out of range).
    pub fn get(&self, i: usize) -> Vote<'_> {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        let end = self.ends[i] as usize;
        Vote {
            projects: &self.items[start..end],
            points: self.with_points.then(|| &self.points[start..end]),
        }
    }

    /// The ballots in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Vote<'_>> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let (s, e) = (start, end as usize);
            start = e;
            Vote {
                projects: &self.items[s..e],
                points: self.with_points.then(|| &self.points[s..e]),
            }
        })
    }

    /// The projects of all ballots, one after the other.
    pub(crate) fn all_projects(&self) -> &[u32] {
        &self.items
    }
}

/// The raw (trimmed) values of the VOTES section, row by row. A row without quotes is kept as
/// its span in the file text and split on access; a row with quotes is kept unescaped. Two are
/// equal when their rows have the same values.
#[derive(Debug, Clone, Default)]
pub struct VoteRows {
    /// The file text from position `base` on, after `lead` other bytes (a byte-order mark);
    /// the positions below count from the start of the text after the mark.
    text: String,
    base: u32,
    lead: u32,
    ncol: usize,
    /// Start and end of every row's line.
    spans: Vec<(u32, u32)>,
    /// Rows with quotes: (row, its first field in `quoted`), by row.
    quoted_rows: Vec<(u32, u32)>,
    quoted: Fields,
}

impl PartialEq for VoteRows {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && (0..self.len()).all(|i| self.row(i).eq(other.row(i)))
    }
}

impl Eq for VoteRows {}

impl VoteRows {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The trimmed values of row `i` (empty when out of range).
    pub fn row(&self, i: usize) -> impl Iterator<Item = &str> {
        enum Row<'a> {
            Plain(std::str::Split<'a, char>),
            Quoted(&'a Fields, std::ops::Range<usize>),
        }
        impl<'a> Iterator for Row<'a> {
            type Item = &'a str;
            fn next(&mut self) -> Option<&'a str> {
                match self {
                    Row::Plain(it) => it.next().map(str::trim),
                    Row::Quoted(f, r) => r.next().and_then(|k| f.get(k)),
                }
            }
        }
        if i >= self.spans.len() {
            return Row::Quoted(&self.quoted, 0..0);
        }
        match self.quoted_rows.binary_search_by_key(&(i as u32), |q| q.0) {
            Ok(k) => {
                let first = self.quoted_rows[k].1 as usize;
                Row::Quoted(&self.quoted, first..first + self.ncol)
            }
            Err(_) => Row::Plain(self.line(i).split(';')),
        }
    }

    /// The trimmed value of column `col` of row `i`, if present.
    pub fn value(&self, i: usize, col: usize) -> Option<&str> {
        if i < self.spans.len()
            && self
                .quoted_rows
                .binary_search_by_key(&(i as u32), |q| q.0)
                .is_err()
        {
            return nth_field(self.line(i), col);
        }
        self.row(i).nth(col)
    }

    /// The raw line of row `i` (before unquoting).
    fn line(&self, i: usize) -> &str {
        let (s, e) = self.spans[i];
        let at = |pos: u32| (pos - self.base + self.lead) as usize;
        &self.text[at(s)..at(e)]
    }
}

/// The trimmed fields of one row, stored compactly: one string and the end offset of each field
/// (a large VOTES section would otherwise cost one allocation per field).
///
/// ```
/// use sejahtera_pb::pabulib::Fields;
/// let f: Fields = ["v1", "1,2", "None"].into_iter().collect();
/// assert_eq!(f.len(), 3);
/// assert_eq!(f.get(1), Some("1,2"));
/// assert_eq!(f.iter().collect::<Vec<_>>(), ["v1", "1,2", "None"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fields {
    text: String,
    ends: Vec<u32>,
}

impl Fields {
    /// Keeps the first `n` fields.
    pub fn truncate(&mut self, n: usize) {
        self.ends.truncate(n);
        self.text
            .truncate(self.ends.last().map_or(0, |&e| e as usize));
    }

    /// Appends a field.
    pub fn push(&mut self, field: &str) {
        self.text.push_str(field);
        self.ends.push(self.text.len() as u32);
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Field `i`, if present.
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        Some(&self.text[start..end])
    }

    /// The fields in order.
    pub fn iter(&self) -> FieldsIter<'_> {
        FieldsIter {
            fields: self,
            next: 0,
        }
    }
}

impl<S: AsRef<str>> FromIterator<S> for Fields {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut f = Fields::default();
        for s in iter {
            f.push(s.as_ref());
        }
        f
    }
}

impl<'a> IntoIterator for &'a Fields {
    type Item = &'a str;
    type IntoIter = FieldsIter<'a>;
    fn into_iter(self) -> FieldsIter<'a> {
        self.iter()
    }
}

/// Iterator over [`Fields`].
#[derive(Debug, Clone)]
pub struct FieldsIter<'a> {
    fields: &'a Fields,
    next: usize,
}

impl<'a> Iterator for FieldsIter<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        let f = self.fields.get(self.next)?;
        self.next += 1;
        Some(f)
    }
}

/// A participatory-budgeting election: metadata, projects and ballots.
#[derive(Debug, Clone, PartialEq)]
pub struct Election {
    /// META key/value pairs in file order.
    pub meta: Vec<(String, String)>,
    /// The budget limit (`budget` in META).
    pub budget: Q,
    /// The ballot type (`vote_type` in META).
    pub vote_type: VoteType,
    /// Header of the PROJECTS section.
    pub project_columns: Vec<String>,
    /// The projects in file order.
    pub projects: Vec<Project>,
    /// Header of the VOTES section.
    pub vote_columns: Vec<String>,
    /// The ballots in file order.
    pub votes: Votes,
    /// Raw (trimmed) values of every VOTES column of every ballot (empty for an election built
    /// in code). Read them with [`Election::vote_row`] or [`Election::vote_value`].
    pub vote_values: VoteRows,
}

impl Election {
    /// A META value by key.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The raw values of ballot `i` in the order of [`Election::vote_columns`] (empty when the
    /// election was built in code).
    pub fn vote_row(&self, i: usize) -> impl Iterator<Item = &str> {
        self.vote_values.row(i)
    }

    /// The raw value of column `col` of ballot `i`, if recorded.
    pub fn vote_value(&self, i: usize, col: usize) -> Option<&str> {
        self.vote_values.value(i, col)
    }

    /// Index of a project by id.
    pub fn project_index(&self, id: &str) -> Option<usize> {
        self.projects.iter().position(|p| p.id == id)
    }

    /// The display name of project `i` (`name` column, else its id).
    pub fn project_name(&self, i: usize) -> &str {
        let p = &self.projects[i];
        p.field(&self.project_columns, "name").unwrap_or(&p.id)
    }

    /// Ballot constraints declared in META (`min_length`, `max_length`, `min_sum_cost`,
    /// `max_sum_cost`, `min_points`, `max_points`, `min_sum_points`, `max_sum_points`).
    pub fn constraints(&self) -> Vec<(String, Q)> {
        const KEYS: [&str; 8] = [
            "min_length",
            "max_length",
            "min_sum_cost",
            "max_sum_cost",
            "min_points",
            "max_points",
            "min_sum_points",
            "max_sum_points",
        ];
        KEYS.iter()
            .filter_map(|k| Some(((*k).to_owned(), parse_decimal(self.meta(k)?)?)))
            .collect()
    }
}

/// Splits one line into `;`-separated fields with `"` quoting (Python `csv` dialect semantics).
fn split_fields(line: &str, lineno: usize) -> Result<Vec<String>, PbError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut in_quotes = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cur.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' && at_start {
            in_quotes = true;
            at_start = false;
        } else if c == ';' {
            out.push(std::mem::take(&mut cur));
            at_start = true;
        } else {
            cur.push(c);
            at_start = false;
        }
    }
    if in_quotes {
        return Err(PbError::parse(lineno, None, "unterminated quoted field"));
    }
    out.push(cur);
    Ok(out)
}

#[derive(PartialEq, Clone, Copy)]
enum Section {
    None,
    Meta,
    Projects,
    Votes,
}

/// Parses the text of a `.pb` file.
///
/// ```
/// let text = "META\nkey;value\nbudget;100\nvote_type;approval\nPROJECTS\nproject_id;cost;name\n\
///             1;60;Road\n2;50;\"Well; clean water\"\nVOTES\nvoter_id;vote\nv1;1,2\nv2;2\n";
/// let e = sejahtera_pb::pabulib::parse(text).unwrap();
/// assert_eq!(e.projects.len(), 2);
/// assert_eq!(e.project_name(1), "Well; clean water");
/// assert_eq!(e.votes.get(0).projects, [0, 1]);
/// assert_eq!(e.vote_value(1, 0), Some("v2"));
/// ```
pub fn parse(text: &str) -> Result<Election, PbError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (mut e, base) = parse_text(text)?;
    // The raw VOTES rows refer to the text: keep a copy of the VOTES section.
    e.vote_values.text = text[base..].to_owned();
    e.vote_values.base = base as u32;
    Ok(e)
}

/// [`parse`] taking ownership of the text, which then holds the raw VOTES rows (no copy of a
/// large VOTES section).
pub fn parse_owned(text: String) -> Result<Election, PbError> {
    let lead = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let (mut e, _) = parse_text(&text[lead..])?;
    e.vote_values.text = text;
    e.vote_values.base = 0;
    e.vote_values.lead = lead as u32;
    Ok(e)
}

/// The parser proper. Returns the election, whose raw VOTES rows still lack their text, and the
/// position where they start.
fn parse_text(text: &str) -> Result<(Election, usize), PbError> {
    if u32::try_from(text.len()).is_err() {
        // Positions are stored as u32.
        return Err(PbError::Invalid("input larger than 4 GiB".into()));
    }
    let bytes = text.as_bytes();
    let mut section = Section::None;
    let mut header: Vec<String> = Vec::new();
    let mut expect_header = false;
    let mut meta: Vec<(String, String)> = Vec::new();
    let mut project_columns = Vec::new();
    let mut projects: Vec<Project> = Vec::new();
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut vote_columns = Vec::new();
    // The VOTES rows (spans of their lines); ballots are resolved after the last line.
    let mut rows = VoteRows::default();
    // The column of `vote`, and per row where its value is (see below; `u32::MAX` = look it up).
    let mut vote_col = 0;
    let mut vote_at: Vec<u32> = Vec::new();
    let mut pos = 0;
    let mut lineno = 0;
    while pos < bytes.len() {
        lineno += 1;
        let start = pos;
        let end;
        if section == Section::Votes && !expect_header {
            // Fast path for the (large) VOTES section: a line without quotes is only checked
            // (number of fields, not a section keyword) and kept as a span.
            let scan = scan_line(bytes, start, vote_col);
            end = scan.end;
            pos = end + 1;
            // A first field starting with a digit is neither empty nor a section keyword.
            let keyword = !scan.quoted && !bytes.get(start).is_some_and(u8::is_ascii_digit) && {
                let first = text[start..scan.first_end].trim();
                if scan.semis == 0 && first.is_empty() {
                    continue;
                }
                is_section_keyword(first)
            };
            if !scan.quoted && !keyword {
                {
                    let n = scan.semis + 1;
                    if n != header.len() {
                        return Err(PbError::parse(
                            lineno,
                            None,
                            format!("{n} fields but the VOTES header has {}", header.len()),
                        ));
                    }
                    // Where the vote field is, as offset from the line start and length.
                    let (vs, ve) = scan.field;
                    vote_at.push(if end - start < 1 << 16 {
                        ((vs - start) as u32) << 16 | (ve - vs) as u32
                    } else {
                        u32::MAX
                    });
                    rows.spans.push((start as u32, end as u32));
                    continue;
                }
            }
        } else {
            end = find_byte(bytes, pos, b'\n');
            pos = end + 1;
        }
        // As `str::lines` (which strips a `\r` before `\n`), then one more `\r`.
        let mut line = &text[start..end];
        if end < bytes.len() {
            line = line.strip_suffix('\r').unwrap_or(line);
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        let fields = split_fields(line, lineno)?;
        if expect_header {
            header = fields.iter().map(|f| f.trim().to_owned()).collect();
            match section {
                Section::Projects => {
                    if header.first().map(String::as_str) != Some("project_id") {
                        return Err(PbError::parse(
                            lineno,
                            None,
                            "PROJECTS header must start with `project_id`",
                        ));
                    }
                    if !header.iter().any(|h| h == "cost") {
                        return Err(PbError::parse(
                            lineno,
                            None,
                            "PROJECTS header has no `cost` column",
                        ));
                    }
                    project_columns = header.clone();
                }
                Section::Votes => {
                    if !header.iter().any(|h| h == "vote") {
                        return Err(PbError::parse(
                            lineno,
                            None,
                            "VOTES header has no `vote` column",
                        ));
                    }
                    vote_columns = header.clone();
                    rows.ncol = header.len();
                    vote_col = header.iter().position(|h| h == "vote").unwrap_or(0);
                    // One row per line at most (reserving spares the copies of a growing vector).
                    let lines = count_byte(&bytes[pos.min(bytes.len())..], b'\n') + 1;
                    rows.spans.reserve(lines);
                    vote_at.reserve(lines);
                }
                _ => {}
            }
            expect_header = false;
            continue;
        }
        if fields.len() == 1 && fields[0].trim().is_empty() {
            continue;
        }
        let first = fields[0].trim();
        if is_section_keyword(first) {
            let first = first.to_ascii_lowercase();
            let next = match first.as_str() {
                "meta" => Section::Meta,
                "projects" => Section::Projects,
                _ => Section::Votes,
            };
            let seen = match next {
                Section::Meta => !meta.is_empty(),
                Section::Projects => !project_columns.is_empty(),
                _ => !vote_columns.is_empty(),
            };
            if seen {
                return Err(PbError::parse(
                    lineno,
                    None,
                    format!("section {} appears twice", first.to_uppercase()),
                ));
            }
            section = next;
            expect_header = true;
            continue;
        }
        match section {
            Section::None => {
                return Err(PbError::parse(
                    lineno,
                    None,
                    "content before the first section (expected META)",
                ));
            }
            Section::Meta => {
                if fields.len() < 2 {
                    return Err(PbError::parse(lineno, None, "META line needs `key;value`"));
                }
                meta.push((fields[0].trim().to_owned(), fields[1].trim().to_owned()));
            }
            Section::Projects => {
                if fields.len() != header.len() {
                    return Err(PbError::parse(
                        lineno,
                        None,
                        format!(
                            "{} fields but the PROJECTS header has {}",
                            fields.len(),
                            header.len()
                        ),
                    ));
                }
                let values: Vec<String> = fields.iter().map(|f| f.trim().to_owned()).collect();
                let id = values[0].clone();
                if id.is_empty() {
                    return Err(PbError::parse(
                        lineno,
                        Some("project_id"),
                        "empty project id",
                    ));
                }
                let ci = header.iter().position(|h| h == "cost").unwrap_or(1);
                let cost = parse_decimal(&values[ci].replace(',', ".")).ok_or_else(|| {
                    PbError::parse(
                        lineno,
                        Some("cost"),
                        format!("`{}` is not a number", values[ci]),
                    )
                })?;
                if cost < Q::from_integer(0.into()) {
                    return Err(PbError::parse(lineno, Some("cost"), "negative cost"));
                }
                if ids.insert(id.clone(), projects.len()).is_some() {
                    return Err(PbError::parse(
                        lineno,
                        Some("project_id"),
                        format!("duplicate project id `{id}`"),
                    ));
                }
                projects.push(Project { id, cost, values });
            }
            Section::Votes => {
                if fields.len() != header.len() {
                    return Err(PbError::parse(
                        lineno,
                        None,
                        format!(
                            "{} fields but the VOTES header has {}",
                            fields.len(),
                            header.len()
                        ),
                    ));
                }
                rows.quoted_rows
                    .push((rows.spans.len() as u32, rows.quoted.len() as u32));
                vote_at.push(u32::MAX);
                for f in &fields {
                    rows.quoted.push(f.trim());
                }
                rows.spans.push((start as u32, end as u32));
            }
        }
    }
    if expect_header {
        return Err(PbError::parse(
            text.lines().count(),
            None,
            "section header line missing",
        ));
    }
    if meta.is_empty() && project_columns.is_empty() {
        return Err(PbError::Invalid("no META section".into()));
    }
    let get = |k: &str| meta.iter().find(|(mk, _)| mk == k).map(|(_, v)| v.clone());
    let vt_text =
        get("vote_type").ok_or_else(|| PbError::Invalid("META has no `vote_type`".into()))?;
    let vote_type = VoteType::parse(&vt_text)
        .ok_or_else(|| PbError::Invalid(format!("unknown vote_type `{vt_text}`")))?;
    let budget_text =
        get("budget").ok_or_else(|| PbError::Invalid("META has no `budget`".into()))?;
    let budget = parse_decimal(&budget_text.replace(',', "."))
        .ok_or_else(|| PbError::Invalid(format!("budget `{budget_text}` is not a number")))?;
    if budget < Q::from_integer(0.into()) {
        // Found by fuzzing: with a negative budget even the empty outcome is infeasible.
        return Err(PbError::Invalid(format!(
            "budget `{budget_text}` is negative"
        )));
    }
    let vi = vote_columns.iter().position(|h| h == "vote").unwrap_or(0);
    let pi = vote_columns.iter().position(|h| h == "points");
    let index = IdIndex::new(&projects, &ids);
    let present = |s: &str| !s.eq_ignore_ascii_case("none");
    let mut votes = Votes::new(vote_type.has_points());
    // A row of `n` bytes lists at most `(n + 1) / 2` projects.
    let max_items: usize = rows
        .spans
        .iter()
        .map(|(s, e)| (e - s) as usize / 2 + 1)
        .sum();
    votes.items.reserve(max_items);
    votes.ends.reserve(rows.len());
    let mut list: Vec<u32> = Vec::new();
    let mut pts: Vec<Q> = Vec::new();
    for (r, &at) in vote_at.iter().enumerate() {
        let value = |c: usize| row_field(text, &rows, r, c);
        let lineno = || line_number(text, rows.spans[r].0 as usize);
        list.clear();
        let plain = at != u32::MAX && {
            let s = rows.spans[r].0 as usize + (at >> 16) as usize;
            let mut e = s + (at & 0xffff) as usize;
            // A last column keeps the `\r` of a CRLF line end.
            if e > s && bytes[e - 1] == b'\r' {
                e -= 1;
            }
            index.parse_plain_ballot(bytes, s, e, &mut list)
        };
        let vote_text = if plain { "" } else { value(vi).unwrap_or("") };
        if !plain {
            // The general path (`parse_plain_ballot` may have added some ids).
            list.clear();
        }
        if !plain && present(vote_text) {
            for name in vote_text.split(',') {
                // Plain decimal ids (no spaces) need no trimming.
                if let Some(idx) = index.get_plain(name) {
                    list.push(idx);
                    continue;
                }
                let name = name.trim();
                if name.is_empty() {
                    continue;
                }
                let idx = index.get(name).ok_or_else(|| {
                    PbError::parse(lineno(), Some("vote"), format!("unknown project `{name}`"))
                })?;
                list.push(idx as u32);
            }
        }
        if vote_type.has_points() {
            pts.clear();
            match pi.and_then(value).filter(|s| present(s) && !s.is_empty()) {
                Some(text) => {
                    for t in text.split(',') {
                        pts.push(parse_decimal(t).ok_or_else(|| {
                            PbError::parse(
                                lineno(),
                                Some("points"),
                                format!("`{}` is not a number", t.trim()),
                            )
                        })?);
                    }
                    if pts.len() != list.len() {
                        return Err(PbError::parse(
                            lineno(),
                            Some("points"),
                            format!("{} points for {} projects", pts.len(), list.len()),
                        ));
                    }
                }
                // pabutools: without points the ballot is empty.
                None => list.clear(),
            }
        }
        votes.push(&list, Some(&pts));
    }
    let base = rows.spans.first().map_or(text.len(), |s| s.0 as usize);
    Ok((
        Election {
            meta,
            budget,
            vote_type,
            project_columns,
            projects,
            vote_columns,
            votes,
            vote_values: rows,
        },
        base,
    ))
}

/// Field `col` (trimmed) of VOTES row `r`, before the rows hold their text.
fn row_field<'a>(text: &'a str, rows: &'a VoteRows, r: usize, col: usize) -> Option<&'a str> {
    match rows.quoted_rows.binary_search_by_key(&(r as u32), |q| q.0) {
        Ok(k) => rows.quoted.get(rows.quoted_rows[k].1 as usize + col),
        Err(_) => {
            let (s, e) = rows.spans[r];
            nth_field(&text[s as usize..e as usize], col)
        }
    }
}

/// The eight bytes from `i` as a little-endian word, `fill` past the end of `bytes`.
#[inline]
fn load8(bytes: &[u8], i: usize, fill: u8) -> u64 {
    match bytes.get(i..i + 8) {
        Some(b) => u64::from_le_bytes(b.try_into().expect("8 bytes")),
        None => {
            let mut chunk = [fill; 8];
            let avail = bytes.len().saturating_sub(i);
            chunk[..avail].copy_from_slice(&bytes[i..]);
            u64::from_le_bytes(chunk)
        }
    }
}

/// What [`scan_line`] finds in one line.
struct LineScan {
    /// Position of the `\n` ending the line, or the end of the text.
    end: usize,
    /// Number of `;`.
    semis: usize,
    /// Whether the line has a `"`.
    quoted: bool,
    /// End of the first field.
    first_end: usize,
    /// Start and end of the requested field (untrimmed), or `(end, end)` when missing.
    field: (usize, usize),
}

/// Scans a line from `start` for its end, its `;` and a `"`, eight bytes at a time, noting the
/// span of field `col`.
fn scan_line(bytes: &[u8], start: usize, col: usize) -> LineScan {
    const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HI: u64 = 0x8080_8080_8080_8080;
    const ONES: u64 = 0x0101_0101_0101_0101;
    // The high bit of every byte of `w` equal to `b` (exact: no carries between bytes).
    let eq = |w: u64, b: u8| {
        let x = w ^ (ONES * u64::from(b));
        !(((x & LO7) + LO7) | x) & HI
    };
    let (mut semis, mut quoted) = (0, false);
    let mut first_end = None;
    let (mut col_start, mut col_end) = (if col == 0 { Some(start) } else { None }, None);
    let mut i = start;
    let end = loop {
        let w = load8(bytes, i, b'\n');
        let nl = eq(w, b'\n');
        // Bytes before the first `\n` of the word.
        let before = if nl == 0 {
            u64::MAX
        } else {
            (nl & nl.wrapping_neg()) - 1
        };
        quoted |= eq(w, b'"') & before != 0;
        let mut semi = eq(w, b';') & before;
        // Positions matter up to the end of field `col` (and of the first field); later `;`
        // are only counted.
        while semi != 0 && semis <= col {
            let at = i + (semi.trailing_zeros() / 8) as usize;
            if semis == 0 {
                first_end = Some(at);
            }
            if semis + 1 == col {
                col_start = Some(at + 1);
            }
            if semis == col {
                col_end = Some(at);
            }
            semis += 1;
            semi &= semi - 1;
        }
        semis += semi.count_ones() as usize;
        if nl != 0 {
            break i + (nl.trailing_zeros() / 8) as usize;
        }
        i += 8;
    };
    let field = match col_start {
        Some(s) => (s, col_end.unwrap_or(end)),
        None => (end, end),
    };
    LineScan {
        end,
        semis,
        quoted,
        first_end: first_end.unwrap_or(end),
        field,
    }
}

/// Position of the first `b` in `bytes[from..]`, or `bytes.len()`. Reads eight bytes at a time
/// (the usual "has a zero byte" bit trick), as lines are long enough for it to pay.
fn find_byte(bytes: &[u8], from: usize, b: u8) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = LO * u64::from(b);
    let mut i = from;
    while i + 8 <= bytes.len() {
        let word = u64::from_le_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
        let x = word ^ pattern;
        let found = x.wrapping_sub(LO) & !x & HI;
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    bytes[i..]
        .iter()
        .position(|&c| c == b)
        .map_or(bytes.len(), |k| i + k)
}

/// Number of bytes `b` in `bytes` (a loop the compiler vectorises).
fn count_byte(bytes: &[u8], b: u8) -> usize {
    let mut n = 0;
    for chunk in bytes.chunks(255) {
        n += usize::from(chunk.iter().fold(0u8, |k, &c| k + u8::from(c == b)));
    }
    n
}

/// Field `col` (trimmed) of a line without quotes.
fn nth_field(line: &str, col: usize) -> Option<&str> {
    let mut start = 0;
    let mut k = 0;
    for (i, &c) in line.as_bytes().iter().enumerate() {
        if c == b';' {
            if k == col {
                return Some(line[start..i].trim());
            }
            k += 1;
            start = i + 1;
        }
    }
    (k == col).then(|| line[start..].trim())
}

/// The 1-based line number of byte `pos`.
fn line_number(text: &str, pos: usize) -> usize {
    1 + text.as_bytes()[..pos]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

fn is_section_keyword(field: &str) -> bool {
    ["meta", "projects", "votes"]
        .iter()
        .any(|k| field.eq_ignore_ascii_case(k))
}

/// Project id → index. When every id is a canonical decimal below 2^20 (as in Pabulib files),
/// a dense table indexed by the parsed number; otherwise a hash map.
enum IdIndex<'a> {
    Dense(Vec<u32>),
    Map(&'a HashMap<String, usize>),
}

/// The value of the first `len` (1 to 7) bytes of `w`, ASCII digits, the first byte most
/// significant (the usual SWAR conversion: digit pairs, then quads, then the eight).
fn eight_digits(w: u64, len: usize) -> usize {
    let keep = (1u64 << (8 * len)) - 1;
    // Digit values, moved up so that the missing leading digits are zeros.
    let mut v = ((w & keep) - (0x3030_3030_3030_3030 & keep)) << (8 * (8 - len));
    // (Products overflow by design: only the bits kept by the masks and shifts matter.)
    v = v.wrapping_mul(10).wrapping_add(v >> 8);
    v = ((v & 0x0000_00ff_0000_00ff)
        .wrapping_mul(100 + (1_000_000 << 32))
        .wrapping_add(((v >> 16) & 0x0000_00ff_0000_00ff).wrapping_mul(1 + (10_000 << 32))))
        >> 32;
    v as usize
}

/// The value of a canonical decimal (`0` or no leading zero, at most 7 digits).
fn canonical_small(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 7 || (b.len() > 1 && b[0] == b'0') {
        return None;
    }
    let mut n = 0usize;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + (c - b'0') as usize;
    }
    Some(n)
}

impl<'a> IdIndex<'a> {
    fn new(projects: &[Project], ids: &'a HashMap<String, usize>) -> Self {
        let nums: Option<Vec<usize>> = projects.iter().map(|p| canonical_small(&p.id)).collect();
        match nums {
            Some(nums) if nums.iter().all(|&n| n < 1 << 20) => {
                let len = nums.iter().max().map_or(0, |m| m + 1);
                let mut table = vec![u32::MAX; len];
                for (i, n) in nums.into_iter().enumerate() {
                    table[n] = i as u32;
                }
                IdIndex::Dense(table)
            }
            _ => IdIndex::Map(ids),
        }
    }

    /// [`IdIndex::get`] for a canonical decimal without surrounding spaces (the common case);
    /// `None` for anything else.
    fn get_plain(&self, name: &str) -> Option<u32> {
        match self {
            IdIndex::Dense(table) => {
                let &i = table.get(canonical_small(name)?)?;
                (i != u32::MAX).then_some(i)
            }
            IdIndex::Map(_) => None,
        }
    }

    /// Appends the projects of a `vote` field made of canonical decimal ids and commas only,
    /// all known (empty items are skipped, as `1,,2` in pabutools); `false` (and `list` is left
    /// unspecified) for anything else, which the general path then handles or reports.
    ///
    /// The field is `bytes[start..end]`; bytes after it are read (and ignored) where present.
    fn parse_plain_ballot(
        &self,
        bytes: &[u8],
        start: usize,
        end: usize,
        list: &mut Vec<u32>,
    ) -> bool {
        let IdIndex::Dense(table) = self else {
            return false;
        };
        let field = &bytes[start..end];
        // Item by item, eight bytes at a time: an id has at most 7 digits, so the word holds
        // the byte after it, which must be a comma (past the end of the field, read commas).
        let mut i = 0;
        while i < field.len() {
            let mut w = load8(bytes, start + i, b',');
            let rest = field.len() - i;
            if rest < 8 {
                let keep = (1u64 << (8 * rest)) - 1;
                w = (w & keep) | (0x2c2c_2c2c_2c2c_2c2c & !keep);
            }
            // The high bit of every byte that is not an ASCII digit: at least 0x3a, below 0x30,
            // or not ASCII (each sum stays within its byte).
            const HI: u64 = 0x8080_8080_8080_8080;
            let not_digit = ((w & !HI).wrapping_add(0x4646_4646_4646_4646)
                | !((w | HI) - 0x3030_3030_3030_3030)
                | w)
                & HI;
            let len = (not_digit.trailing_zeros() / 8) as usize;
            if len == 8 || (w >> (8 * len)) as u8 != b',' || (len > 1 && w as u8 == b'0') {
                // more than 7 digits, another character, or a leading zero: not canonical
                return false;
            }
            if len > 0 {
                match table.get(eight_digits(w, len)) {
                    Some(&p) if p != u32::MAX => list.push(p),
                    _ => return false,
                }
            }
            i += len + 1;
        }
        true
    }

    fn get(&self, name: &str) -> Option<usize> {
        match self {
            IdIndex::Dense(table) => {
                let &i = table.get(canonical_small(name)?)?;
                (i != u32::MAX).then_some(i as usize)
            }
            IdIndex::Map(ids) => ids.get(name).copied(),
        }
    }
}

fn quote(field: &str) -> String {
    if field.contains([';', '"', '\n', '\r']) || field.starts_with(' ') || field.ends_with(' ') {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// Writes an election as `.pb` text. `parse(&write(e))` gives back `e`.
///
/// The `budget` and `vote_type` META entries and the `cost`/`vote`/`points` columns are written
/// from the typed fields, so an election built in code round-trips as well.
pub fn write(e: &Election) -> String {
    let mut s = String::from("META\nkey;value\n");
    let mut meta = e.meta.clone();
    for (k, v) in [
        ("budget", format_decimal(&e.budget)),
        ("vote_type", e.vote_type.as_str().to_owned()),
    ] {
        match meta.iter_mut().find(|(mk, _)| mk == k) {
            Some(entry) => {
                if parse_decimal(&entry.1.replace(',', ".")).as_ref() != Some(&e.budget)
                    || k == "vote_type"
                {
                    entry.1 = v;
                }
            }
            None => meta.push((k.to_owned(), v)),
        }
    }
    for (k, v) in &meta {
        s.push_str(&format!("{};{}\n", quote(k), quote(v)));
    }
    s.push_str("PROJECTS\n");
    let cols = if e.project_columns.is_empty() {
        vec!["project_id".to_owned(), "cost".to_owned()]
    } else {
        e.project_columns.clone()
    };
    s.push_str(&cols.iter().map(|c| quote(c)).collect::<Vec<_>>().join(";"));
    s.push('\n');
    for p in &e.projects {
        let row: Vec<String> = cols
            .iter()
            .enumerate()
            .map(|(i, c)| match c.as_str() {
                "project_id" => quote(&p.id),
                "cost" => {
                    let raw = p.values.get(i).cloned().unwrap_or_default();
                    if parse_decimal(&raw.replace(',', ".")).as_ref() == Some(&p.cost) {
                        quote(&raw)
                    } else {
                        format_decimal(&p.cost)
                    }
                }
                _ => quote(p.values.get(i).map(String::as_str).unwrap_or("None")),
            })
            .collect();
        s.push_str(&row.join(";"));
        s.push('\n');
    }
    s.push_str("VOTES\n");
    let mut vcols = if e.vote_columns.is_empty() {
        vec!["voter_id".to_owned(), "vote".to_owned()]
    } else {
        e.vote_columns.clone()
    };
    if e.vote_type.has_points() && !vcols.iter().any(|c| c == "points") {
        vcols.push("points".to_owned());
    }
    s.push_str(&vcols.iter().map(|c| quote(c)).collect::<Vec<_>>().join(";"));
    s.push('\n');
    for (n, v) in e.votes.iter().enumerate() {
        let src = |c: &str| {
            e.vote_columns
                .iter()
                .position(|x| x == c)
                .and_then(|i| e.vote_value(n, i))
        };
        let row: Vec<String> = vcols
            .iter()
            .map(|c| match c.as_str() {
                "vote" => quote(
                    &v.projects
                        .iter()
                        .map(|&p| e.projects[p as usize].id.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                ),
                "points" => match &v.points {
                    Some(pts) if !pts.is_empty() => {
                        pts.iter().map(format_decimal).collect::<Vec<_>>().join(",")
                    }
                    _ => "None".to_owned(),
                },
                "voter_id" => quote(src(c).unwrap_or(&n.to_string())),
                _ => quote(src(c).unwrap_or("None")),
            })
            .collect();
        s.push_str(&row.join(";"));
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "META\nkey;value\nbudget;100\nvote_type;cumulative\nmax_sum_points;5\n\
PROJECTS\nproject_id;cost;name;category\n1;60;\"Road; paved\";infrastructure,transport\n2;50,5;Well;None\n\
VOTES\nvoter_id;vote;points\nv1;1,2;3,2\nv2;2;5\nv3;None;None\n";

    #[test]
    fn parses_quotes_points_and_none() {
        let e = parse(SMALL).unwrap();
        assert_eq!(e.vote_type, VoteType::Cumulative);
        assert_eq!(e.project_name(0), "Road; paved");
        assert_eq!(e.projects[1].cost, parse_decimal("50.5").unwrap());
        assert_eq!(e.projects[1].field(&e.project_columns, "category"), None);
        assert_eq!(e.votes.get(0).points.unwrap().len(), 2);
        assert!(e.votes.get(2).projects.is_empty());
        assert_eq!(
            e.constraints(),
            vec![("max_sum_points".to_owned(), crate::number::int(5))]
        );
    }

    #[test]
    fn raw_rows_and_ballots_survive_bom_crlf_quotes_and_blank_lines() {
        let text = "\u{feff}META\r\nkey;value\r\nbudget;100\r\nvote_type;approval\r\n\
PROJECTS\r\nproject_id;cost\r\n1;60\r\n12;50\r\nVOTES\r\nvote;voter_id;extra\r\n\
1,12;v1;x\r\n\r\n\"12\";\"v;2\";\"a \"\"b\"\"\"\r\n 12 , 1 ;v3; y \r\nNone;v4;\r\n,,1,;v5;z";
        assert_eq!(parse(text).unwrap(), parse_owned(text.to_owned()).unwrap());
        for e in [parse(text).unwrap(), parse_owned(text.to_owned()).unwrap()] {
            let ballots: Vec<&[u32]> = e.votes.iter().map(|v| v.projects).collect();
            assert_eq!(ballots, [&[0, 1][..], &[1], &[1, 0], &[], &[0]]);
            assert_eq!(e.vote_row(0).collect::<Vec<_>>(), ["1,12", "v1", "x"]);
            assert_eq!(e.vote_row(1).collect::<Vec<_>>(), ["12", "v;2", "a \"b\""]);
            assert_eq!(e.vote_value(2, 0), Some("12 , 1"));
            assert_eq!(e.vote_value(2, 2), Some("y"));
            assert_eq!(e.vote_value(3, 2), Some(""));
            assert_eq!(e.vote_value(4, 2), Some("z"));
            assert_eq!(e.vote_value(4, 3), None);
            assert_eq!(e.vote_row(5).count(), 0);
        }
        // Ids that are not canonical decimals go through the general path.
        let err = parse(&text.replace("1,12;v1", "01,12;v1")).unwrap_err();
        assert_eq!(
            err,
            PbError::parse(11, Some("vote"), "unknown project `01`")
        );
    }

    #[test]
    fn write_then_parse_round_trips() {
        let e = parse(SMALL).unwrap();
        let again = parse(&write(&e)).unwrap();
        assert_eq!(e.projects, again.projects);
        assert_eq!(
            e.votes.iter().collect::<Vec<_>>(),
            again.votes.iter().collect::<Vec<_>>()
        );
        assert_eq!(e.budget, again.budget);
    }

    #[test]
    fn errors_name_line_and_reason() {
        let bad = SMALL.replace("v2;2;5", "v2;9;5");
        let err = parse(&bad).unwrap_err();
        assert_eq!(err, PbError::parse(13, Some("vote"), "unknown project `9`"));
        let bad = SMALL.replace("2;50,5;Well;None", "2;fifty;Well;None");
        assert!(matches!(
            parse(&bad).unwrap_err(),
            PbError::Parse { line: 9, .. }
        ));
        let bad = SMALL.replace("v1;1,2;3,2", "v1;1,2;3");
        assert!(
            parse(&bad)
                .unwrap_err()
                .to_string()
                .contains("1 points for 2 projects")
        );
        assert!(parse("META\nkey;value\nbudget;1\n").is_err());
        // Regression (cargo fuzz, crash-4a42d01c…): a negative budget was accepted, and every
        // rule then returned an outcome costing more than the budget.
        let fuzz = b"\xef\xbb\xbfMETA\r\nkevalu%\r\nbudget;-034\r\nvote_type;scoring\r\nPROJECTS\n\
project_id;cost\r\na;1\r\nVOTES\r\nvoter_id;vot_id;vote;po";
        let err = parse(std::str::from_utf8(fuzz).unwrap()).unwrap_err();
        assert!(err.to_string().contains("negative"), "{err}");
        assert!(parse("hello").is_err());
        assert!(parse("META\nkey;value\n\"unterminated;x\n").is_err());
    }
}
