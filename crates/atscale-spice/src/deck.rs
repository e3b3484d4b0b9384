//! A netlist as ngspice would read it: the named file and every file it
//! includes, expanded in place into one list of lines, each with its origin.
//!
//! [`Deck::load`] reads a netlist file and follows `.include` and
//! `.lib file section` (relative to the including file, with cycle and depth
//! checks), so the parser and ngspice see exactly the same lines and ngspice
//! never opens a file of the user's itself: the deck it runs is
//! self-contained. Every file is opened through
//! [`atscale_files::read_input`]: regular files only (pipes for the file
//! named on the command line), no pseudo files, a byte limit over the whole
//! expanded deck, text only. An included file must look like a netlist (its
//! first card is a comment, a dot card or an element card) or it is refused
//! without its contents being shown.
//!
//! The deck records every route by which ngspice would run commands
//! ([`ControlRoute`]): `.control` blocks, `*#` comment lines (which ngspice
//! executes as commands, also in included files) and a first line starting
//! with `*ng_script` (which makes the whole file a script). Only
//! [`Deck::ngspice_text`] with `allow_control` lets them through; a `*#`
//! line that holds no command (a rule of `#` characters) is rewritten as a
//! plain comment. The native parser ignores them all.
//!
//! ngspice behaviours kept: `.lib name` ... `.endl` blocks define sections
//! and are not part of the circuit unless called; `.end` ends the file it
//! is in. Refused with an error rather than guessed: `~` paths, the
//! compatibility includes `.incpslt`, and `@` lines (ngspice stops reading
//! a file there).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use atscale_files::{read_input, InputRules, DEFAULT_MAX_INPUT_BYTES};

use crate::control_vars::ControlVars;
use crate::error::{Error, Result};
use crate::number::format_number;
use crate::parse::source::{self, Logical};
use atscale_circuit::analysis::Tran;

/// The longest title given to ngspice, bytes (before a `title: ` prefix):
/// ngspice 39 aborts on a title of 511 bytes.
pub const MAX_TITLE_BYTES: usize = 400;

/// How deeply `.include`/`.lib` may nest.
pub const MAX_INCLUDE_DEPTH: usize = 16;

/// Limits of reading a deck.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeckLimits {
    /// Largest number of bytes read over the whole expanded deck (a file
    /// included twice counts twice). Default
    /// [`atscale_files::DEFAULT_MAX_INPUT_BYTES`].
    pub max_bytes: u64,
    /// Largest number of cards (lines other than comments and continuations)
    /// over the whole expanded deck: the parser holds each, so this bounds
    /// its memory before the circuit's own element limit is checked.
    /// Default 1,000,000.
    pub max_cards: usize,
}

impl Default for DeckLimits {
    fn default() -> Self {
        DeckLimits { max_bytes: DEFAULT_MAX_INPUT_BYTES, max_cards: 1_000_000 }
    }
}

/// A way a deck would make ngspice run commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteKind {
    /// A `.control` ... `.endc` block.
    ControlBlock,
    /// A comment line starting with `*#`, which ngspice runs as a command.
    StarHash,
    /// A first line starting with `*ng_script`: the file is a command script.
    NgScript,
    /// A line whose second character is `#` (`b#shell ...`): ngspice
    /// comments out some cards by overwriting their first character with
    /// `*` (B sources and E/G `value=` sources it rewrites, lines in unused
    /// subcircuits or false `.if` branches, `;` comments), which turns such
    /// a line into a `*#` command line after atscale has read the deck.
    HashSecond,
}

impl RouteKind {
    /// The route as a phrase.
    pub fn describe(self) -> &'static str {
        match self {
            RouteKind::ControlBlock => "a .control block",
            RouteKind::StarHash => "a `*#` line, which ngspice runs as a command",
            RouteKind::NgScript => "a first line `*ng_script`, which makes ngspice run the file as commands",
            RouteKind::HashSecond => {
                "a line whose second character is `#`, which ngspice runs as a command once it comments \
                 the line out (it overwrites the first character with `*`)"
            }
        }
    }
}

/// Where a deck would make ngspice run commands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ControlRoute {
    /// What it is.
    pub kind: RouteKind,
    /// The file it is in.
    pub file: String,
    /// Its line, from 1.
    pub line: usize,
    /// The line as written (at most 200 characters).
    pub text: String,
}

impl std::fmt::Display for ControlRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {} (`{}`)", self.file, self.line, self.kind.describe(), self.text.trim())
    }
}

#[derive(Debug, Clone)]
struct DeckLine {
    text: Box<str>,
    file: u32,
    line: u32,
}

/// A netlist and everything it includes, as one list of lines.
#[derive(Debug, Clone)]
pub struct Deck {
    files: Vec<Arc<str>>,
    /// Per file: whether its lines may be shown in messages.
    shown: Vec<bool>,
    lines: Vec<DeckLine>,
    routes: Vec<ControlRoute>,
    notes: Vec<String>,
}

impl Deck {
    /// Reads the netlist `path` and everything it includes.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] when the file may not or cannot be read;
    /// [`Error::Parse`] at the `.include` or `.lib` line whose file is
    /// missing, refused, too large, a cycle or nested too deeply.
    pub fn load(path: &Path, limits: &DeckLimits) -> Result<Deck> {
        let input = read_input(path, "the netlist", &InputRules::named(limits.max_bytes))
            .map_err(|source| Error::Input(Box::new(source)))?;
        let name = path.display().to_string();
        let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        let dir = canonical.parent().map(Path::to_path_buf);
        let mut r = Reader::new(limits, dir.is_some());
        if let Some(at) = input.latin1 {
            r.notes.push(latin1_note(&name, at));
        }
        r.total = input.text.len() as u64;
        r.stack.push((canonical, None));
        r.file(&input.text, &name, dir.as_deref(), None, true, true)?;
        Ok(r.finish())
    }

    /// Reads a netlist held in memory, named `name` in messages. `.include`
    /// and `.lib` resolve relative to `dir`; without one they are errors.
    ///
    /// # Errors
    ///
    /// As [`Deck::load`].
    pub fn from_text(text: &str, name: &str, dir: Option<&Path>, limits: &DeckLimits) -> Result<Deck> {
        let mut r = Reader::new(limits, dir.is_some());
        r.total = text.len() as u64;
        if r.total > limits.max_bytes {
            return Err(Error::Input(Box::new(atscale_files::Error::TooLarge {
                path: PathBuf::from(name),
                what: "the netlist".into(),
                limit_bytes: limits.max_bytes,
            })));
        }
        r.file(text, name, dir, None, true, true)?;
        Ok(r.finish())
    }

    /// The lines: file name, line number (from 1), text, and whether the
    /// line may be shown in messages (its file is the netlist named, or looks
    /// like a netlist), the title first.
    pub fn lines(&self) -> impl Iterator<Item = (&Arc<str>, usize, &str, bool)> + '_ {
        self.lines
            .iter()
            .map(|l| (&self.files[l.file as usize], l.line as usize, &*l.text, self.shown[l.file as usize]))
    }

    /// Whether every line of the deck may be shown in messages; when not,
    /// what ngspice prints about the deck is not shown either.
    pub fn all_shown(&self) -> bool {
        self.shown.iter().all(|&s| s)
    }

    /// Number of lines.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether the deck has no line at all (not even a title).
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The title (the first line of the named file).
    pub fn title(&self) -> &str {
        self.lines.first().map_or("", |l| &l.text)
    }

    /// File and line of line `n` (from 1) of the text [`Deck::ngspice_text`] writes.
    pub fn origin(&self, n: usize) -> Option<(&str, usize)> {
        let l = self.lines.get(n.checked_sub(1)?)?;
        Some((&self.files[l.file as usize], l.line as usize))
    }

    /// The text of line `n` (from 1), at most 200 characters; `None` for a
    /// line of a file whose lines are not shown.
    pub fn line_text(&self, n: usize) -> Option<String> {
        let l = self.lines.get(n.checked_sub(1)?)?;
        self.shown[l.file as usize].then(|| clip(&l.text, 200))
    }

    fn title_file(&self) -> String {
        self.files.first().map_or_else(String::new, |f| f.to_string())
    }

    /// Every route by which ngspice would run commands.
    pub fn control_routes(&self) -> &[ControlRoute] {
        &self.routes
    }

    /// Refuses a deck with a control route unless `allow_control`.
    ///
    /// # Errors
    ///
    /// [`Error::ControlRefused`] naming every route.
    pub fn check_control(&self, allow_control: bool) -> Result<()> {
        if !allow_control && !self.routes.is_empty() {
            return Err(Error::ControlRefused { routes: self.routes.clone() });
        }
        Ok(())
    }

    /// Remarks about reading (a file read as Latin-1), each with its place.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The `.tran` card, if any (continuation lines joined; `.control`
    /// blocks skipped), with the deck indices of its first line and its
    /// continuation lines.
    ///
    /// # Errors
    ///
    /// [`Error::Parse`] for a malformed or second `.tran`.
    pub fn tran(&self) -> Result<Option<Tran>> {
        match self.tran_lines()? {
            Some((logical, _)) => crate::parse::tran_card(&logical).map(Some),
            None => Ok(None),
        }
    }

    /// The `.tran` card outside `.control` blocks and the physical lines it
    /// spans; an error for a second one.
    fn tran_lines(&self) -> Result<Option<(Logical, Vec<usize>)>> {
        let mut found: Option<(Logical, Vec<usize>)> = None;
        let mut in_control = false;
        let mut k = 1;
        while k < self.lines.len() {
            let word = first_word(&self.lines[k].text);
            if in_control {
                in_control = !word.starts_with(".endc");
                k += 1;
                continue;
            }
            if word.starts_with(".control") {
                in_control = true;
                k += 1;
                continue;
            }
            if word != ".tran" {
                k += 1;
                continue;
            }
            let mut idx = vec![k];
            while let Some(next) = self.lines.get(idx[idx.len() - 1] + 1) {
                if !next.text.trim_start().starts_with('+') {
                    break;
                }
                idx.push(idx[idx.len() - 1] + 1);
            }
            let logical = self.logical(&idx)?;
            if found.is_some() {
                return Err(logical.diag(0, "a second `.tran`", Some("one transient analysis per netlist")));
            }
            k = idx[idx.len() - 1] + 1;
            found = Some((logical, idx));
        }
        Ok(found)
    }

    fn logical(&self, idx: &[usize]) -> Result<Logical> {
        let read = source::read(
            idx.iter().map(|&i| {
                let l = &self.lines[i];
                (self.files[l.file as usize].clone(), l.line as usize, &*l.text, self.shown[l.file as usize])
            }),
            false,
        )?;
        let first = &self.lines[idx[0]];
        Ok(read.lines.into_iter().next().unwrap_or_else(|| {
            Logical::single(
                self.files[first.file as usize].clone(),
                first.line as usize,
                &first.text,
                self.shown[first.file as usize],
            )
        }))
    }

    /// Sets the deck's `.control` blocks aside, so that none of their
    /// commands reaches ngspice: every line of a block becomes a comment,
    /// except the first `tran` command when the deck has no `.tran` card,
    /// which becomes one (rebuilt from its numbers; placed at the `.end`
    /// card when the block follows it, since ngspice reads no card after
    /// `.end`). Returns a remark naming what was set aside, or `None` when
    /// the deck has no block. Other command routes (`*#` lines, ...) stay.
    pub fn skip_control_blocks(&mut self) -> Option<String> {
        let first = self.routes.iter().find(|r| r.kind == RouteKind::ControlBlock)?.clone();
        let wants_tran = matches!(self.tran_lines(), Ok(None));
        let mut tran: Option<(usize, String)> = None;
        let mut skipped: Vec<String> = Vec::new();
        let mut end_at: Option<usize> = None;
        let mut in_control = false;
        let mut vars = ControlVars::default();
        for k in 1..self.lines.len() {
            let word = first_word(&self.lines[k].text);
            if !in_control && word == ".end" && end_at.is_none() {
                end_at = Some(k);
            }
            if !in_control && word == ".csparam" {
                vars.csparam(&self.lines[k].text);
            }
            if !in_control && !word.starts_with(".control") {
                continue;
            }
            in_control = !word.starts_with(".endc");
            if word == "let" {
                vars.let_command(&self.lines[k].text);
            }
            if wants_tran && tran.is_none() && word == "tran" {
                tran = self.control_tran(k, &vars).map(|t| (k, t));
            } else if in_control
                && !word.starts_with(".control")
                && !word.starts_with('*')
                && !word.is_empty()
                && !skipped.contains(&word)
            {
                skipped.push(word);
            }
            self.lines[k].text = "* (a line of a control block, set aside by atscale)".into();
        }
        if let Some((k, text)) = &tran {
            let at = end_at.filter(|&e| e < *k).unwrap_or(*k);
            self.lines[at].text = text.as_str().into();
        }
        self.routes.retain(|r| r.kind != RouteKind::ControlBlock);
        let mut note = format!(
            "{}:{}: the .control block is set aside: none of its commands runs",
            first.file, first.line
        );
        if let Some((_, t)) = &tran {
            note.push_str(&format!("; its `tran` command is the transient analysis (`{t}`)"));
        }
        if !skipped.is_empty() {
            skipped.truncate(12);
            note.push_str(&format!("; not run: {}", skipped.join(", ")));
        }
        Some(note)
    }

    /// The `.tran` card a `tran` command of a `.control` block (deck line
    /// `k`) stands for, rebuilt from its numbers, or with its `$&name`
    /// arguments as parameter expressions ([`ControlVars`]); `None` if it
    /// does not read.
    fn control_tran(&mut self, k: usize, vars: &ControlVars) -> Option<String> {
        if let Some(line) = vars.tran_line(&self.lines[k].text) {
            return Some(format!(".{}", line.trim_start()));
        }
        let saved = self.lines[k].text.clone();
        self.lines[k].text = format!(".{}", saved.trim_start()).into();
        let read = self.logical(&[k]).and_then(|l| crate::parse::tran_card(&l)).and_then(|t| tran_text(&t));
        self.lines[k].text = saved;
        read.ok()
    }

    /// The deck as ngspice runs it, one line per line of this deck (so
    /// [`Deck::origin`] maps ngspice's line numbers back), with the `.tran`
    /// card replaced by `tran` when given.
    ///
    /// # Errors
    ///
    /// [`Error::ControlRefused`] when the deck holds a control route and
    /// `allow_control` is false; [`Error::Parse`] for a malformed `.tran`;
    /// [`Error::NonFinite`] for a `tran` value no netlist can hold.
    pub fn ngspice_text(&self, allow_control: bool, tran: Option<&Tran>) -> Result<String> {
        self.check_control(allow_control)?;
        let mut replace: HashMap<usize, String> = HashMap::new();
        if let Some(t) = tran {
            if let Some((_, idx)) = self.tran_lines()? {
                replace.insert(idx[0], tran_text(t)?);
                for &i in &idx[1..] {
                    replace.insert(i, "* (continuation of the .tran card above, joined by atscale)".into());
                }
            } else {
                return Err(Error::NoTran { file: self.title_file() });
            }
        }
        let mut out = String::with_capacity(self.lines.iter().map(|l| l.text.len() + 1).sum());
        for (k, l) in self.lines.iter().enumerate() {
            match replace.get(&k) {
                Some(r) => out.push_str(r),
                None if k == 0 => out.push_str(&safe_title(&l.text)),
                None => out.push_str(&l.text),
            }
            out.push('\n');
        }
        Ok(out)
    }
}

/// `.tran tstep tstop tstart tmax [uic]` with exactly round-tripping numbers.
fn tran_text(t: &Tran) -> Result<String> {
    let num = |x: f64, what: &str| {
        format_number(x).ok_or_else(|| Error::NonFinite { context: format!("the .tran {what}"), value: x })
    };
    let mut s = format!(
        ".tran {} {} {}",
        num(t.tstep_s, "step")?,
        num(t.tstop_s, "stop time")?,
        num(t.tstart_s, "start time")?
    );
    if let Some(h) = t.tmax_s {
        s.push(' ');
        s.push_str(&num(h, "maximum step")?);
    }
    if t.uic {
        s.push_str(" uic");
    }
    Ok(s)
}

/// The text of a `.title` card.
fn title_text(card: &str) -> &str {
    card.trim_start().get(".title".len()..).unwrap_or("").trim()
}

/// The first line as ngspice may read it. ngspice reads the first line with
/// `fgets` into 5000 bytes (a longer line goes on as a second line) and acts
/// on `.include`/`.lib` even there; and ngspice 39 aborts on a title of
/// 511 bytes or more (a fortified buffer overflow). So the title is cut to
/// [`MAX_TITLE_BYTES`], control characters become blanks, and a title that
/// would read as a card or a comment (`.`, `*`, `+`, `@`, `;`, `$`, a second
/// character `#`) or is empty gets `title: ` in front.
fn safe_title(title: &str) -> String {
    let mut clean = String::new();
    for c in title.chars().map(|c| if c.is_control() { ' ' } else { c }) {
        if clean.len() + c.len_utf8() > MAX_TITLE_BYTES {
            break;
        }
        clean.push(c);
    }
    let t = trim_line_start(&clean);
    if t.is_empty() || t.starts_with(['.', '*', '+', '@', ';', '$']) || second_is_hash(t) {
        format!("title: {clean}")
    } else {
        clean
    }
}

/// Whether the second character of `s` is `#`.
fn second_is_hash(s: &str) -> bool {
    s.chars().nth(1) == Some('#')
}

/// `s` without leading blanks, counting a byte order mark as one (ngspice
/// removes one at the start of any line).
fn trim_line_start(s: &str) -> &str {
    s.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
}

fn first_word(s: &str) -> String {
    s.split_whitespace().next().unwrap_or("").to_ascii_lowercase()
}

/// `text`, a deck as [`Deck::ngspice_text`] writes it, with `.options
/// num_threads=N` before its `.end` card (at its end when it has none),
/// unless the deck sets `num_threads` itself (an `.option(s)` card or its
/// continuation lines, or a `set` command): the user's choice stands.
/// ngspice built with OpenMP (Debian's, Homebrew's) evaluates BSIM3/BSIM4
/// devices on `num_threads` threads, 2 unless set, whatever
/// `OMP_NUM_THREADS` says, and its threads spin at every time step: two
/// runs at once on two cores (a sweep's jobs, shards side by side, tests)
/// then take 3.4 to 3.8 times as long as one (measured on the sky130-hv
/// spiker's realisation: 98.7 s for two at once against 26 to 29 s for
/// one; with one thread each, 43.6 s and 36 s). The lines before `.end`
/// keep their numbers, so ngspice's line numbers still map back to the
/// user's files.
pub fn with_threads(text: &str, threads: u32) -> String {
    let mut in_options = false;
    let sets_its_own = text.lines().skip(1).any(|l| {
        let word = first_word(trim_line_start(l));
        in_options = word.starts_with(".opt") || (in_options && word.starts_with('+'));
        let names = in_options || word == "set";
        names && l.to_ascii_lowercase().contains("num_threads")
    });
    if sets_its_own {
        return text.to_string();
    }
    let card = format!(".options num_threads={threads}\n");
    let mut out = String::with_capacity(text.len() + card.len());
    let mut placed = false;
    for (k, line) in text.split_inclusive('\n').enumerate() {
        if !placed && k > 0 && first_word(trim_line_start(line)) == ".end" {
            out.push_str(&card);
            placed = true;
        }
        out.push_str(line);
    }
    if !placed {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&card);
    }
    out
}

/// At most `n` characters of `s`, with `…` when cut.
pub fn clip(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        None => s.to_string(),
        Some((i, _)) => format!("{}…", &s[..i]),
    }
}

/// Where the reader is in a file with `.lib` sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Reading the file's cards.
    Read,
    /// In a `.lib name` ... `.endl` definition that was not asked for.
    Definition,
    /// Looking for the section asked for.
    Outside,
    /// In the section asked for.
    Section,
}

/// Whether `t` is `.lib section`.
fn is_definition_of(t: &str, section: &str) -> bool {
    let mut w = t.split_whitespace();
    matches!((w.next(), w.next(), w.next()), (Some(a), Some(b), None)
        if a.eq_ignore_ascii_case(".lib") && b.eq_ignore_ascii_case(section))
}

struct Reader {
    shown: Vec<bool>,
    max_bytes: u64,
    max_cards: usize,
    cards: usize,
    total: u64,
    files: Vec<Arc<str>>,
    lines: Vec<DeckLine>,
    routes: Vec<ControlRoute>,
    notes: Vec<String>,
    stack: Vec<(PathBuf, Option<String>)>,
    cache: HashMap<PathBuf, (Arc<str>, Option<usize>)>,
    has_fs: bool,
    /// Still in the comment block right after the title of the named file.
    leading: bool,
}

impl Reader {
    fn new(limits: &DeckLimits, has_fs: bool) -> Reader {
        Reader {
            shown: Vec::new(),
            max_bytes: limits.max_bytes,
            max_cards: limits.max_cards,
            cards: 0,
            total: 0,
            files: Vec::new(),
            lines: Vec::new(),
            routes: Vec::new(),
            notes: Vec::new(),
            stack: Vec::new(),
            cache: HashMap::new(),
            has_fs,
            leading: true,
        }
    }

    fn finish(self) -> Deck {
        Deck {
            files: self.files,
            shown: self.shown,
            lines: self.lines,
            routes: self.routes,
            notes: self.notes,
        }
    }

    fn route(&mut self, kind: RouteKind, file: &Arc<str>, line: usize, text: &str) {
        self.routes.push(ControlRoute { kind, file: file.to_string(), line, text: clip(text, 200) });
    }

    /// Appends the lines of one file, or of one of its `.lib` sections.
    fn file(
        &mut self,
        text: &str,
        name: &str,
        dir: Option<&Path>,
        section: Option<&str>,
        top: bool,
        shown: bool,
    ) -> Result<()> {
        let fid = self.files.len() as u32;
        let file: Arc<str> = Arc::from(name);
        self.files.push(file.clone());
        self.shown.push(shown);
        let mut in_control = false;
        let mut state = if section.is_some() { Part::Outside } else { Part::Read };
        // After `.end` of the named file ngspice reads no card, but it still
        // runs `.control` blocks and `*#` lines: keep those (and only those).
        let mut ended = false;
        for (k, raw) in text.split('\n').enumerate() {
            // ngspice drops every carriage return of a line, not only a last
            // one (`*\r#` is `*#` to it): so does the deck.
            let owned;
            let raw = if raw.contains('\r') {
                owned = raw.replace('\r', "");
                owned.as_str()
            } else {
                raw
            };
            let n = k + 1;
            if top && k == 0 {
                if raw.trim_start().to_ascii_lowercase().starts_with("*ng_script") {
                    self.route(RouteKind::NgScript, &file, n, raw);
                }
                self.push(fid, n, raw);
                continue;
            }
            let t = trim_line_start(raw);
            let word = first_word(t);
            // `.title` replaces the first line after ngspice has read the
            // file, and then a title `*ng_script` makes the deck a script.
            if word == ".title" && title_text(t).to_ascii_lowercase().starts_with("*ng_script") {
                self.route(RouteKind::NgScript, &file, n, raw);
            }
            if ended && !in_control && !word.starts_with(".control") && !t.starts_with("*#") {
                continue;
            }
            if in_control {
                in_control = !word.starts_with(".endc");
                self.push(fid, n, raw);
                continue;
            }
            match (state, word.as_str()) {
                (Part::Section, ".endl") => return Ok(()),
                (Part::Definition, ".endl") => {
                    state = Part::Read;
                    continue;
                }
                (Part::Outside | Part::Definition, _) => {
                    if word == ".lib" && section.is_some_and(|s| is_definition_of(t, s)) {
                        state = Part::Section;
                    }
                    continue;
                }
                (Part::Read | Part::Section, ".lib") if t.split_whitespace().count() == 2 => {
                    if state == Part::Section {
                        return Err(self.diag(
                            fid,
                            n,
                            raw,
                            "a `.lib` section starts inside another",
                            Some("`.endl`"),
                        ));
                    }
                    state = Part::Definition;
                    continue;
                }
                _ => {}
            }
            if t.is_empty() {
                continue;
            }
            if t.starts_with('*') {
                self.comment(fid, &file, n, raw, t, top);
                continue;
            }
            if second_is_hash(raw) || second_is_hash(t) {
                self.route(RouteKind::HashSecond, &file, n, raw);
            }
            self.leading = false;
            if word.starts_with(".control") {
                in_control = true;
                self.route(RouteKind::ControlBlock, &file, n, raw);
                self.push(fid, n, raw);
            } else if t.starts_with('@') {
                return Err(self.diag(
                    fid,
                    n,
                    raw,
                    "a line starting with `@` ends the file for ngspice",
                    Some("a card"),
                ));
            } else if word == ".end" {
                // ngspice ignores `.end` in an included file and reads on.
                if top {
                    self.push(fid, n, raw);
                    ended = true;
                }
            } else if word.starts_with(".inc") || word.starts_with(".lib") {
                self.include(fid, n, raw, &word, dir)?;
            } else {
                if !t.starts_with('+') {
                    self.cards += 1;
                    if self.cards > self.max_cards {
                        let message = format!(
                            "the netlist with its includes has more than {} cards; raise the limit with \
                             --max-elements",
                            self.max_cards
                        );
                        return Err(self.diag(fid, n, raw, &message, None));
                    }
                }
                self.push(fid, n, raw);
            }
        }
        Ok(())
    }

    fn comment(&mut self, fid: u32, file: &Arc<str>, n: usize, raw: &str, t: &str, top: bool) {
        if let Some(rest) = t.strip_prefix("*#") {
            if rest.chars().any(char::is_alphanumeric) {
                self.route(RouteKind::StarHash, file, n, raw);
                self.push(fid, n, raw);
            } else {
                // A rule of `#`s: a comment in both languages; never let it reach ngspice as `*#`.
                self.push(fid, n, &format!("* {}", &t[1..]));
            }
            return;
        }
        // Comments matter to the parser only as the header after the title
        // and as `*@atscale` annotations; others are dropped, so a file of
        // comments costs no memory.
        if (top && self.leading) || t.starts_with(crate::write::ANNOTATION_PREFIX) {
            self.push(fid, n, raw);
        }
    }

    fn push(&mut self, fid: u32, n: usize, raw: &str) {
        self.lines.push(DeckLine { text: raw.into(), file: fid, line: n as u32 });
    }

    fn line(&self, fid: u32, n: usize, raw: &str) -> Logical {
        Logical::single(self.files[fid as usize].clone(), n, raw, self.shown[fid as usize])
    }

    fn diag(&self, fid: u32, n: usize, raw: &str, message: &str, expected: Option<&str>) -> Error {
        self.line(fid, n, raw).diag(raw.len() - raw.trim_start().len(), message, expected)
    }

    /// Expands `.include path`, `.inc path` and `.lib path section`.
    fn include(&mut self, fid: u32, n: usize, raw: &str, word: &str, dir: Option<&Path>) -> Result<()> {
        let line = self.line(fid, n, raw);
        let toks = source::tokenize(&line)?;
        let at = |k: usize| toks.get(k).map_or(line.text.len(), |t| t.start);
        let lib = word.starts_with(".lib");
        if (lib && word != ".lib") || word.starts_with(".incpslt") {
            return Err(line.diag(
                at(0),
                format!("`{}` is not supported by atscale", toks[0].text),
                Some("`.include file` or `.lib file section`"),
            ));
        }
        let Some(path_tok) = toks.get(1) else {
            return Err(line.diag(line.text.len(), "missing file name", Some("a path")));
        };
        let section = match (lib, toks.get(2)) {
            (false, _) => None,
            (true, Some(t)) => Some(t.text.to_ascii_lowercase()),
            (true, None) => {
                return Err(line.diag(path_tok.end, "missing section name", Some("`.lib file section`")))
            }
        };
        let path_text = path_tok.inner();
        if path_text.starts_with('~') {
            return Err(line.diag(
                path_tok.start,
                "`~` is not expanded in include paths",
                Some("an absolute path or one relative to the including file"),
            ));
        }
        let Some(dir) = dir.filter(|_| self.has_fs) else {
            return Err(line.diag(
                at(0),
                format!("`{}` needs the file system; read the netlist from a file", toks[0].text),
                None,
            ));
        };
        let path = dir.join(path_text);
        let canonical = path.canonicalize().unwrap_or_else(|_| path.clone());
        let key = (canonical.clone(), section.clone());
        if self.stack.contains(&key) {
            return Err(line.diag(
                path_tok.start,
                format!("`{path_text}` includes itself (an include cycle)"),
                None,
            ));
        }
        if self.stack.len() > MAX_INCLUDE_DEPTH {
            return Err(line.diag(
                path_tok.start,
                format!("includes nest deeper than {MAX_INCLUDE_DEPTH} files"),
                None,
            ));
        }
        let (text, latin1) = match self.cache.get(&canonical) {
            Some(c) => c.clone(),
            None => {
                let remaining = self.max_bytes.saturating_sub(self.total);
                let input = read_input(&path, "the included file", &InputRules::included(remaining))
                    .map_err(|e| {
                        line.diag(path_tok.start, include_refusal(&e, path_text, self.max_bytes), None)
                    })?;
                if !looks_like_netlist(&input.text) || !(shows_as_netlist(&input.text) || netlist_name(&path))
                {
                    return Err(line.diag(
                        path_tok.start,
                        format!(
                            "`{path_text}` does not read as a netlist: it needs a netlist card (.model, \
                             .subckt, .param, ...) or a netlist name (.cir, .sp, .spice, .inc, .lib, ...); \
                             atscale includes only netlists and never shows other files"
                        ),
                        None,
                    ));
                }
                let entry = (Arc::<str>::from(input.text), input.latin1);
                self.cache.insert(canonical.clone(), entry.clone());
                entry
            }
        };
        self.total += text.len() as u64;
        if self.total > self.max_bytes {
            return Err(line.diag(
                path_tok.start,
                format!(
                    "the netlist with its includes exceeds {} bytes; raise the limit with --max-input-bytes",
                    self.max_bytes
                ),
                None,
            ));
        }
        let name = path.display().to_string();
        if let Some(at) = latin1 {
            self.notes.push(latin1_note(&name, at));
        }
        if let Some(s) = &section {
            if !has_section(&text, s) {
                return Err(line.diag(
                    at(2),
                    format!("library `{}` has no section `{s}`", path.display()),
                    Some("a section name the file defines with `.lib name`"),
                ));
            }
        }
        let sub_dir = canonical.parent().map(Path::to_path_buf);
        self.stack.push(key);
        let shown = shows_as_netlist(&text);
        let res = self.file(&text, &name, sub_dir.as_deref(), section.as_deref(), false, shown);
        self.stack.pop();
        res
    }
}

/// The message for a file [`read_input`] refused, without its contents.
fn include_refusal(e: &atscale_files::Error, path_text: &str, max_bytes: u64) -> String {
    use atscale_files::Error as F;
    match e {
        F::TooLarge { .. } => format!(
            "cannot include `{path_text}`: the netlist with its includes would exceed {max_bytes} bytes; \
             raise the limit with --max-input-bytes"
        ),
        F::Io { source, .. } => format!("cannot read `{path_text}`: {source}"),
        F::NotRegular { kind, .. } => {
            format!("cannot include `{path_text}`: it is {kind}; atscale includes only regular files")
        }
        F::PseudoFile { fs, .. } => {
            format!("cannot include `{path_text}`: it is on a pseudo file system ({fs}); atscale includes only stored files")
        }
        F::Binary { detail, .. } => {
            format!(
                "cannot include `{path_text}`: it is not a text file ({detail}); its contents are not shown"
            )
        }
        other => format!("cannot include `{path_text}`: {other}"),
    }
}

fn has_section(text: &str, section: &str) -> bool {
    text.lines().any(|l| is_definition_of(l, section))
}

/// The extensions of netlist files: a file without a card only netlists
/// hold (a list of elements) is included only under such a name.
pub const NETLIST_EXTENSIONS: [&str; 12] =
    ["cir", "sp", "spi", "spice", "ngspice", "net", "ckt", "inc", "lib", "mod", "model", "sub"];

/// Whether `path` has a netlist extension ([`NETLIST_EXTENSIONS`]).
fn netlist_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| NETLIST_EXTENSIONS.iter().any(|n| n.eq_ignore_ascii_case(e)))
}

/// Whether an included file's lines may be shown in messages: it must hold a
/// card only a netlist holds (`.model`, `.subckt`, `.param`, `.lib`, ...).
/// A file that passes [`looks_like_netlist`] by its first line alone is
/// still read, but where it goes wrong only its file and line are named.
fn shows_as_netlist(text: &str) -> bool {
    const CARDS: [&str; 12] = [
        ".model", ".subckt", ".ends", ".param", ".func", ".lib", ".endl", ".include", ".inc", ".option",
        ".options", ".global",
    ];
    text.lines().any(|l| {
        let w = first_word(l.trim_start());
        CARDS.contains(&w.as_str())
    })
}

/// The remark on a file read as Latin-1: where its first non-UTF-8 byte is.
fn latin1_note(name: &str, line: usize) -> String {
    format!(
        "{name}:{line}: not UTF-8 (first at this line); read as Latin-1, so non-ASCII characters may differ \
         from what an editor shows: save the file as UTF-8"
    )
}

/// Whether the first non-blank line of `text` is a comment, a dot card, a
/// continuation or an element card (a name of letters, digits and `_.#$-[]<>`
/// starting with a letter, then at least two more fields). An empty file
/// counts as a netlist.
fn looks_like_netlist(text: &str) -> bool {
    let Some(first) = text.lines().map(str::trim).find(|l| !l.is_empty()) else {
        return true;
    };
    if first.starts_with(['*', '.', '+', ';']) {
        return true;
    }
    let mut fields = first.split_whitespace();
    let name = fields.next().unwrap_or("");
    let name_ok = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "_.#$-[]<>".contains(c));
    name_ok && fields.count() >= 2
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn the_threads_card_goes_before_end_and_leaves_the_users_own() {
        let net = "t\nR1 a 0 1k\n.tran 1m 10m\n.end\n* after\n";
        let text = with_threads(net, 1);
        assert_eq!(text, "t\nR1 a 0 1k\n.tran 1m 10m\n.options num_threads=1\n.end\n* after\n");
        // Every line before `.end` keeps its number.
        assert!(net.lines().take(3).eq(text.lines().take(3)));
        assert_eq!(with_threads("t\nR1 a 0 1k\n.END", 3), "t\nR1 a 0 1k\n.options num_threads=3\n.END");
        assert_eq!(
            with_threads("t\nR1 a 0 1k\n .end ; done\n", 1),
            "t\nR1 a 0 1k\n.options num_threads=1\n .end ; done\n"
        );
        assert_eq!(with_threads("t\nR1 a 0 1k", 2), "t\nR1 a 0 1k\n.options num_threads=2\n");
        // `.ends` and `.endc` are not the deck's end.
        let sub = "t\n.subckt x a\nR1 a 0 1\n.ends\n";
        assert_eq!(with_threads(sub, 1), format!("{sub}.options num_threads=1\n"));
        let own = "t\nR1 a 0 1k\n.OPTIONS NUM_THREADS=8\n.end\n";
        assert_eq!(with_threads(own, 1), own);
        // A comment naming it is not a setting.
        let comment = "t\n* num_threads=8\n.end\n";
        assert_eq!(with_threads(comment, 1), "t\n* num_threads=8\n.options num_threads=1\n.end\n");
    }

    #[test]
    fn only_option_cards_and_set_commands_name_the_threads() {
        // The title, a parameter and a comment naming it are not settings.
        for deck in [
            "num_threads test\nR1 a 0 1k\n.end\n",
            "t\n.param num_threads_x=2\n.end\n",
            "t\n* num_threads=8\n.end\n",
        ] {
            let (head, end) = deck.split_at(deck.rfind(".end").unwrap_or(0));
            assert_eq!(with_threads(deck, 1), format!("{head}.options num_threads=1\n{end}"), "{deck}");
        }
        let continued = "t\n.options reltol=1e-4\n+ num_threads=4\n.end\n";
        assert_eq!(with_threads(continued, 1), continued);
        let set = "t\nR1 a 0 1k\n.control\nset num_threads=4\n.endc\n.end\n";
        assert_eq!(with_threads(set, 1), set);
    }

    fn deck(text: &str) -> Deck {
        Deck::from_text(text, "t.cir", None, &DeckLimits::default()).unwrap()
    }

    #[test]
    fn control_blocks_set_aside_keep_only_their_tran_as_a_card() {
        // Before and after `.end`: ngspice reads no card after `.end`, so the
        // `.tran` lands on the `.end` line in the second deck.
        for (text, tran_line) in [
            ("t\nR1 a 0 1\n.control\nshell touch x\ntran 1u 10m\n.endc\n.end\n", 5),
            ("t\nR1 a 0 1\n.end\n.control\nset x=1\ntran 1u 10m uic\nplot v(a)\n.endc\n", 3),
        ] {
            let mut d = deck(text);
            let note = d.skip_control_blocks().unwrap();
            assert!(d.control_routes().is_empty(), "{note}");
            assert!(d.check_control(false).is_ok());
            let out = d.ngspice_text(false, None).unwrap();
            let tran: Vec<(usize, &str)> = out
                .lines()
                .enumerate()
                .filter(|(_, l)| l.starts_with(".tran"))
                .map(|(k, l)| (k + 1, l))
                .collect();
            let uic = if text.contains("uic") { " uic" } else { "" };
            assert_eq!(tran, [(tran_line, format!(".tran 1e-6 0.01 0{uic}").as_str())], "{out}");
            // Nothing of the block reaches ngspice but the rebuilt card.
            assert!(!out.contains("shell") && !out.contains("set x") && !out.contains("plot"), "{out}");
            assert!(!out.contains(".control") && !out.contains(".endc"), "{out}");
            assert!(note.contains("t.cir:") && note.contains("tran"), "{note}");
        }
        // A deck with its own `.tran` keeps it; the block's `tran` is dropped.
        let mut d = deck("t\nR1 a 0 1\n.tran 1n 1u\n.control\ntran 1u 10m\n.endc\n");
        d.skip_control_blocks().unwrap();
        assert_eq!(d.tran().unwrap().unwrap().tstop_s, 1e-6);
        // A `tran` whose numbers do not read is not rebuilt; other routes stay.
        let mut d = deck("t\nR1 a 0 1\n*# shell x\n.control\ntran 1u {x}\n.endc\n");
        let note = d.skip_control_blocks().unwrap();
        assert!(d.tran().unwrap().is_none(), "{note}");
        assert_eq!(d.control_routes().len(), 1);
        assert!(deck("t\nR1 a 0 1\n").skip_control_blocks().is_none());
    }

    #[test]
    fn a_second_hash_is_a_route_wherever_the_line_is() {
        let d = deck("t\nb#shell x y i={0}\n  e#a b c value={1}\n;#shell ls\n+# continued\nR#1 a 0 1\nR1# a 0 1\n.end\n");
        let lines: Vec<_> =
            d.control_routes().iter().filter(|r| r.kind == RouteKind::HashSecond).map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5, 6]);
        assert!(d.check_control(false).is_err());
        assert!(d.check_control(true).is_ok());
    }

    #[test]
    fn finds_every_control_route() {
        let d = deck("*ng_script\nR1 a 0 1\n*# shell touch x\n .CONTROL\nrun\n.endc\n*####\n*# \n.end\n");
        let kinds: Vec<_> = d.control_routes().iter().map(|r| (r.kind, r.line)).collect();
        assert_eq!(
            kinds,
            vec![(RouteKind::NgScript, 1), (RouteKind::StarHash, 3), (RouteKind::ControlBlock, 4)]
        );
        assert!(matches!(d.ngspice_text(false, None), Err(Error::ControlRefused { .. })));
        let text = d.ngspice_text(true, None).unwrap();
        assert!(text.contains("\n*# shell touch x\n"));
        assert!(text.contains("\n* ####\n"), "a rule of #s is neutralised: {text}");
        assert!(!text.contains("\n*# \n"));
    }

    #[test]
    fn titles_carriage_returns_and_title_cards_cannot_smuggle_commands() {
        // ngspice drops every CR: `*\r#` is a `*#` line.
        let d = deck("t\nR1 a 0 1\n*\r# shell x\n.end\n");
        assert_eq!(d.control_routes().iter().map(|r| r.kind).collect::<Vec<_>>(), vec![RouteKind::StarHash]);
        // `.title *ng_script` turns the deck into a script in ngspice.
        let d = deck("t\nR1 a 0 1\n.title *NG_SCRIPT\n.end\n");
        assert_eq!(d.control_routes().iter().map(|r| r.kind).collect::<Vec<_>>(), vec![RouteKind::NgScript]);
        // A first line ngspice would act on is written as a plain title.
        for (title, shown) in [
            (".include /etc/passwd", "title: .include /etc/passwd"),
            (".lib x.lib tt", "title: .lib x.lib tt"),
            ("", "title: "),
            ("*# shell x", "title: *# shell x"),
            ("RC circuit", "RC circuit"),
        ] {
            let text = deck(&format!("{title}\nR1 a 0 1\n.end\n")).ngspice_text(false, None).unwrap();
            assert_eq!(text.lines().next(), Some(shown), "{title:?}");
        }
        // A title longer than ngspice's first-line buffer is cut, never split.
        let long = format!("{}*# shell x", "T".repeat(4999));
        let text = deck(&format!("{long}\nR1 a 0 1\n.end\n")).ngspice_text(false, None).unwrap();
        assert_eq!(text.lines().next().map(str::len), Some(MAX_TITLE_BYTES));
        assert!(!text.contains("shell"));
        // Cut on a character boundary.
        let text = deck(&format!("{}\nR1 a 0 1\n.end\n", "é".repeat(300))).ngspice_text(false, None).unwrap();
        assert_eq!(text.lines().next(), Some("é".repeat(MAX_TITLE_BYTES / 2).as_str()));
    }

    #[test]
    fn a_rule_of_hashes_is_not_a_route() {
        let d = deck("t\n*#####################\n*# ---- *# ----\nR1 a 0 1\n.end\n");
        assert!(d.control_routes().is_empty());
        let text = d.ngspice_text(false, None).unwrap();
        assert!(!text.lines().any(|l| l.trim_start().starts_with("*#")), "{text}");
    }

    #[test]
    fn tran_is_read_and_replaced_line_for_line() {
        let d = deck("t\nR1 a 0 1\n.tran 1m\n+ 10m uic ; comment\n.end\n");
        let t = d.tran().unwrap().unwrap();
        assert_eq!((t.tstep_s, t.tstop_s, t.uic), (1e-3, 10e-3, true));
        let new = Tran { tmax_s: Some(2.5e-6), ..t };
        let text = d.ngspice_text(false, Some(&new)).unwrap();
        assert_eq!(text.lines().count(), d.len());
        assert!(text.contains("\n.tran 0.001 0.01 0 2.5e-6 uic\n"), "{text}");
        let again =
            Deck::from_text(&text, "x", None, &DeckLimits::default()).unwrap().tran().unwrap().unwrap();
        assert_eq!(again, new);
    }

    #[test]
    fn sections_not_called_are_skipped_and_end_stops_the_cards() {
        let d = deck("t\n.lib fast\nR9 a 0 1\n.endl\nR1 a 0 1\n.end\nR2 a 0 1\n");
        let texts: Vec<&str> = d.lines().map(|l| l.2).collect();
        assert_eq!(texts, vec!["t", "R1 a 0 1", ".end"]);
    }

    #[test]
    fn routes_after_end_and_behind_a_byte_order_mark_are_found() {
        // ngspice 39.3 runs both blocks after `.end` (measured); ngspice 47
        // strips a byte order mark at the start of any line.
        let d =
            deck("t\nR1 a 0 1\n.end\nR2 a 0 1\n*# shell x\n.control\nshell y\n.endc\n\u{feff}*# shell z\n");
        let lines: Vec<usize> = d.control_routes().iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![5, 6, 9]);
        let text = d.ngspice_text(true, None).unwrap();
        assert!(!text.contains("R2"), "{text}");
    }

    #[test]
    fn netlist_likeness() {
        for yes in ["* models\n", ".model d D\n", "R1 a b 1k\n", "\n\nXamp in out amp\n", ""] {
            assert!(looks_like_netlist(yes), "{yes:?}");
        }
        for no in [
            "root:x:0:0:root:/root:/bin/bash\n",
            "127.0.0.1 localhost\n",
            "[user]\n",
            "KEY=value\n",
            "-----BEGIN KEY-----\n",
        ] {
            assert!(!looks_like_netlist(no), "{no:?}");
        }
    }
}
