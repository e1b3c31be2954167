//! Explaining labels: the provenance note ("`c` is private because it depends on `x` (line 12),
//! which ALICE supplies (line 3)") and the hover text of a value.
//!
//! Labels are computed elsewhere (the lowering, checked by [`super::analyse`]); this module only
//! follows witnesses and operands back to the `Share`/`Load` that started them.

use mpcc_ir::{info_text, Label, Op, Program, ValueId};
use std::collections::{HashMap, HashSet};

/// Byte offset → 1-based line number.
pub struct LineIndex {
    /// Per file: its name (`None` for the root) and where its lines start, in the common
    /// offset space.
    files: Vec<(Option<String>, Vec<usize>)>,
}

/// A line of a file of the compilation: `12`, or `3 of model.mpc` outside the root file.
pub struct Line {
    number: usize,
    file: Option<String>,
}

impl std::fmt::Display for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.file {
            None => write!(f, "{}", self.number),
            Some(name) => write!(f, "{} of `{name}`", self.number),
        }
    }
}

impl LineIndex {
    pub fn new(sources: &crate::Sources) -> LineIndex {
        let files = sources
            .files()
            .iter()
            .enumerate()
            .map(|(k, file)| {
                let mut starts = vec![file.base];
                starts.extend(file.text.match_indices('\n').map(|(i, _)| file.base + i + 1));
                ((k > 0).then(|| file.name.clone()), starts)
            })
            .collect();
        LineIndex { files }
    }
    pub fn line(&self, offset: u32) -> Line {
        let at = offset as usize;
        let in_file = self.files.iter().rev().find(|(_, starts)| starts.first().is_some_and(|&base| base <= at));
        let Some((file, starts)) = in_file else {
            return Line { number: 0, file: None };
        };
        let number = match starts.binary_search(&at) {
            Ok(i) => i + 1,
            Err(i) => i,
        };
        Line { number, file: file.clone() }
    }
}

/// The operands of an op.
pub fn operands(op: &Op) -> Vec<ValueId> {
    op.operands()
}

/// A found origin: the party, the line of its input, and the variables passed on the way.
struct Origin {
    party: String,
    span: mpcc_ir::Span,
    shared: bool,
    vars: Vec<(String, mpcc_ir::Span)>,
}

/// Names given to values by `let` (a value bound directly, without a variable): value → (name, span).
pub type Names = HashMap<ValueId, (String, mpcc_ir::Span)>;

fn search(
    program: &Program,
    names: &Names,
    v: ValueId,
    seen: &mut HashSet<ValueId>,
    vars: &mut Vec<(String, mpcc_ir::Span)>,
    depth: usize,
) -> Option<Origin> {
    if depth > 10_000 || !seen.insert(v) {
        return None;
    }
    let def = program.value(v)?;
    if def.info.label.is_public() {
        return None;
    }
    match &def.op {
        Op::Share { src, .. } => {
            if let Some((n, sp)) = names.get(&v) {
                if vars.last().map(|(m, t)| (m, t)) != Some((n, sp)) {
                    vars.push((n.clone(), *sp));
                }
            }
            return Some(Origin { party: program.party_name(*src), span: def.span, shared: true, vars: vars.clone() });
        }
        Op::Load { at: Some(p), .. } => {
            return Some(Origin { party: program.party_name(*p), span: def.span, shared: false, vars: vars.clone() });
        }
        Op::Var(var) => {
            let vdef = program.var(*var)?;
            let pushed = vars.last().map(|(n, s)| (n.as_str(), *s)) != Some((vdef.name.as_str(), vdef.span));
            if pushed {
                vars.push((vdef.name.clone(), vdef.span));
            }
            if let Some(w) = vdef.witness {
                if let Some(o) = search(program, names, w, seen, vars, depth + 1) {
                    return Some(o);
                }
            }
            if pushed {
                vars.pop();
            }
            return None;
        }
        _ => {}
    }
    let mut ops = operands(&def.op);
    if let Some(w) = def.info.witness {
        ops.retain(|o| *o != w);
        ops.insert(0, w);
    }
    let named = names.get(&v).filter(|(n, sp)| vars.last().map(|(m, t)| (m, t)) != Some((n, sp)));
    if let Some((n, sp)) = named {
        vars.push((n.clone(), *sp));
    }
    let found = ops.into_iter().find_map(|o| search(program, names, o, seen, vars, depth + 1));
    if found.is_none() && named.is_some() {
        vars.pop();
    }
    found
}

/// The provenance of a non-public value: the note, and a secondary label at the input.
pub struct Provenance {
    pub note: String,
    pub source: Option<(mpcc_grammar::Span, String)>,
}

/// The most intermediate variables a provenance note names.
const MAX_HOPS: usize = 6;

/// Explains why `v` is not public; `subject` names it when it is not a variable read
/// (e.g. "the condition").
pub fn provenance(
    program: &Program,
    bound: &Names,
    lines: &LineIndex,
    v: ValueId,
    subject: &str,
) -> Option<Provenance> {
    let label = program.value(v)?.info.label;
    let mut vars = Vec::new();
    let origin = search(program, bound, v, &mut HashSet::new(), &mut vars, 0)?;
    let mut names = origin.vars.clone();
    let is_named = matches!(program.value(v).map(|d| &d.op), Some(Op::Var(_))) || bound.contains_key(&v);
    let subject = match names.first() {
        Some((name, _)) if is_named => {
            let s = format!("`{name}`");
            names.remove(0);
            s
        }
        _ => subject.to_string(),
    };
    let what = match label {
        Label::Local(p) => format!("is known only to {}", program.party_name(p)),
        _ => "is private".to_string(),
    };
    let verb = if origin.shared { "supplies" } else { "loads" };
    let line = lines.line(origin.span.start);
    let mut note = match names.last() {
        Some((name, span)) => format!(
            "{subject} {what} because it depends on `{name}` (line {}), which {} {verb} (line {line}).",
            lines.line(span.start),
            origin.party
        ),
        None => format!("{subject} {what} because {} {verb} it (line {line}).", origin.party),
    };
    // Name the variables in between, so a long chain (through loops, calls, conditions) can be
    // followed back step by step.
    if let [between @ .., _] = names.as_slice() {
        let mut seen = HashSet::new();
        let between: Vec<&(String, mpcc_ir::Span)> = between.iter().filter(|hop| seen.insert(*hop)).collect();
        if !between.is_empty() {
            let mut hops: Vec<String> =
                between.iter().take(MAX_HOPS).map(|(n, sp)| format!("`{n}` (line {})", lines.line(sp.start))).collect();
            if between.len() > MAX_HOPS {
                hops.push(format!("{} more", between.len() - MAX_HOPS));
            }
            note.push_str(&format!(" It gets there through {}.", hops.join(", ")));
        }
    }
    let note = capitalise(&note);
    let span = mpcc_grammar::Span::new(origin.span.start as usize, origin.span.end as usize);
    let msg = if origin.shared {
        format!("{} shares its input here", origin.party)
    } else {
        format!("{} loads its input here", origin.party)
    };
    Some(Provenance { note, source: Some((span, msg)) })
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) if f.is_ascii_lowercase() => f.to_ascii_uppercase().to_string() + c.as_str(),
        _ => s.to_string(),
    }
}

/// Hover text for a value: `private (from ALICE) real [1, ?]`.
pub fn hover_text(program: &Program, names: &Names, v: ValueId) -> Option<String> {
    let info = &program.value(v)?.info;
    let text = info_text(program, info);
    if info.label == Label::Private {
        let origin = search(program, names, v, &mut HashSet::new(), &mut Vec::new(), 0);
        if let Some(o) = origin {
            return Some(text.replacen("private", &format!("private (from {})", o.party), 1));
        }
    }
    Some(text)
}
