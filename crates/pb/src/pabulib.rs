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

/// One ballot of the VOTES section.
#[derive(Debug, Clone, PartialEq)]
pub struct Vote {
    /// Project indices (into [`Election::projects`]) in the order written.
    pub projects: Vec<usize>,
    /// Points per listed project for cumulative and scoring ballots, parallel to `projects`.
    pub points: Option<Vec<Q>>,
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
    pub votes: Vec<Vote>,
    /// Raw (trimmed) values of every VOTES column of every ballot, row after row
    /// (`vote_columns.len()` fields per ballot; empty for an election built in code). Read them
    /// with [`Election::vote_row`] or [`Election::vote_value`].
    pub vote_values: Fields,
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
        let n = self.vote_columns.len();
        (i * n..(i + 1) * n).map_while(|k| self.vote_values.get(k))
    }

    /// The raw value of column `col` of ballot `i`, if recorded.
    pub fn vote_value(&self, i: usize, col: usize) -> Option<&str> {
        let n = self.vote_columns.len();
        if col >= n {
            return None;
        }
        self.vote_values.get(i * n + col)
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
/// assert_eq!(e.votes[0].projects, vec![0, 1]);
/// ```
pub fn parse(text: &str) -> Result<Election, PbError> {
    if u32::try_from(text.len()).is_err() {
        // Field offsets are stored as u32.
        return Err(PbError::Invalid("input larger than 4 GiB".into()));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut section = Section::None;
    let mut header: Vec<String> = Vec::new();
    let mut expect_header = false;
    let mut meta: Vec<(String, String)> = Vec::new();
    let mut project_columns = Vec::new();
    let mut projects: Vec<Project> = Vec::new();
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut vote_columns = Vec::new();
    // Every ballot's fields in one arena, and each ballot's line number.
    let mut rows = Fields::default();
    let mut row_lines: Vec<usize> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let lineno = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        // Fast path for the (large) VOTES section: a line without quotes splits on `;`.
        if section == Section::Votes && !expect_header {
            let start = rows.len();
            if split_plain_into(line, &mut rows) {
                let n = rows.len() - start;
                let first = rows.get(start).unwrap_or("");
                if n == 1 && first.is_empty() {
                    rows.truncate(start);
                    continue;
                }
                if !is_section_keyword(first) {
                    if n != header.len() {
                        return Err(PbError::parse(
                            lineno,
                            None,
                            format!("{n} fields but the VOTES header has {}", header.len()),
                        ));
                    }
                    row_lines.push(lineno);
                    continue;
                }
                rows.truncate(start);
            }
        }
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
                for f in &fields {
                    rows.push(f.trim());
                }
                row_lines.push(lineno);
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
    let ncol = vote_columns.len();
    let mut votes = Vec::with_capacity(row_lines.len());
    for (r, &lineno) in row_lines.iter().enumerate() {
        let value = |c: usize| rows.get(r * ncol + c);
        let vote_text = value(vi).unwrap_or("");
        let mut list = Vec::with_capacity(vote_text.len() / 2 + 1);
        if present(vote_text) {
            for name in vote_text.split(',') {
                let name = name.trim();
                if name.is_empty() {
                    continue;
                }
                let idx = index.get(name).ok_or_else(|| {
                    PbError::parse(lineno, Some("vote"), format!("unknown project `{name}`"))
                })?;
                list.push(idx);
            }
        }
        let points = if vote_type.has_points() {
            match pi.and_then(value).filter(|s| present(s) && !s.is_empty()) {
                Some(text) => {
                    let pts: Vec<Q> = text
                        .split(',')
                        .map(|t| {
                            parse_decimal(t).ok_or_else(|| {
                                PbError::parse(
                                    lineno,
                                    Some("points"),
                                    format!("`{}` is not a number", t.trim()),
                                )
                            })
                        })
                        .collect::<Result<_, _>>()?;
                    if pts.len() != list.len() {
                        return Err(PbError::parse(
                            lineno,
                            Some("points"),
                            format!("{} points for {} projects", pts.len(), list.len()),
                        ));
                    }
                    Some(pts)
                }
                None => {
                    // pabutools: without points the ballot is empty.
                    list.clear();
                    Some(Vec::new())
                }
            }
        } else {
            None
        };
        votes.push(Vote {
            projects: list,
            points,
        });
    }
    Ok(Election {
        meta,
        budget,
        vote_type,
        project_columns,
        projects,
        vote_columns,
        votes,
        vote_values: rows,
    })
}

/// Appends the trimmed `;`-separated fields of a line without quotes to `out`; returns `false`
/// (and appends nothing) when the line has a quote.
fn split_plain_into(line: &str, out: &mut Fields) -> bool {
    if line.as_bytes().contains(&b'"') {
        return false;
    }
    let mut start = 0;
    for (i, &c) in line.as_bytes().iter().enumerate() {
        if c == b';' {
            out.push(line[start..i].trim());
            start = i + 1;
        }
    }
    out.push(line[start..].trim());
    true
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
                        .map(|&p| e.projects[p].id.as_str())
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
        assert_eq!(e.votes[0].points.as_ref().unwrap().len(), 2);
        assert!(e.votes[2].projects.is_empty());
        assert_eq!(
            e.constraints(),
            vec![("max_sum_points".to_owned(), crate::number::int(5))]
        );
    }

    #[test]
    fn write_then_parse_round_trips() {
        let e = parse(SMALL).unwrap();
        let again = parse(&write(&e)).unwrap();
        assert_eq!(e.projects, again.projects);
        assert_eq!(
            e.votes
                .iter()
                .map(|v| (&v.projects, &v.points))
                .collect::<Vec<_>>(),
            again
                .votes
                .iter()
                .map(|v| (&v.projects, &v.points))
                .collect::<Vec<_>>()
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
