//! `mpcc cost --schedule`: the rounds of a secure run in the order they happen, one line per op
//! or statement that communicates (its source line and how many rounds it takes), with repeated
//! stretches — the iterations of a loop — folded into `K × { … }`. It is the cost model's view
//! (`CostReport::schedule`), so it needs the inputs' shapes like the rest of `mpcc cost`.

use crate::source::Source;
use mpcc_runtime::cost::CostReport;

/// The longest stretch looked for when folding repeats (ops per loop iteration).
const MAX_PERIOD: usize = 64;

/// One entry: (file index, line, first offset), rounds, and the other lines whose ops ran side
/// by side with it (a wave of the round-merging plan).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    file: usize,
    line: usize,
    offset: usize,
    rounds: u64,
    with: Vec<usize>,
}

/// A folded piece of the schedule.
#[derive(Debug, PartialEq, Eq)]
enum Piece {
    One(Entry),
    Repeat { times: usize, body: Vec<Piece> },
}

fn same(a: &[Entry], b: &[Entry]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| (x.file, x.line, x.rounds, &x.with) == (y.file, y.line, y.rounds, &y.with))
}

/// Folds the longest-covering run of a repeated stretch at each position, inner loops first.
fn fold(entries: &[Entry]) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < entries.len() {
        let rest = entries.get(i..).unwrap_or_default();
        // The period whose repeats cover the most entries (ties: the shortest period).
        let mut best: Option<(usize, usize)> = None;
        for p in 1..=MAX_PERIOD.min(rest.len() / 2) {
            let head = rest.get(..p).unwrap_or_default();
            let mut k = 1;
            while rest.get(k * p..(k + 1) * p).is_some_and(|next| same(head, next)) {
                k += 1;
            }
            if k >= 2 && best.is_none_or(|(bp, bk)| k * p > bp * bk) {
                best = Some((p, k));
            }
        }
        match best {
            Some((p, k)) => {
                out.push(Piece::Repeat { times: k, body: fold(rest.get(..p).unwrap_or_default()) });
                i += p * k;
            }
            None => {
                if let Some(e) = rest.first() {
                    out.push(Piece::One(e.clone()));
                }
                i += 1;
            }
        }
    }
    out
}

fn render_pieces(pieces: &[Piece], source: &Source, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for piece in pieces {
        match piece {
            Piece::One(e) => {
                let place = format!("{}:{}", source.name_at(e.offset), e.line);
                out.push_str(&format!("{pad}{:>6}  {place:<24} {}\n", e.rounds, source.line_text(e.offset).trim()));
                if !e.with.is_empty() {
                    let lines: Vec<String> = e.with.iter().map(|l| format!(":{l}")).collect();
                    out.push_str(&format!("{pad}{:>6}  {:<24} (side by side with {})\n", "", "", lines.join(", ")));
                }
            }
            Piece::Repeat { times, body } => {
                let rounds: u64 = rounds_of(body);
                out.push_str(&format!("{pad}{times} × {{ ({rounds} rounds each)\n"));
                render_pieces(body, source, indent + 4, out);
                out.push_str(&format!("{pad}}}\n"));
            }
        }
    }
}

fn rounds_of(pieces: &[Piece]) -> u64 {
    pieces
        .iter()
        .map(|p| match p {
            Piece::One(e) => e.rounds,
            Piece::Repeat { times, body } => *times as u64 * rounds_of(body),
        })
        .sum()
}

/// The schedule as text: a heading, then one line per op in run order (`rounds  file:line
/// source`), loops folded.
pub fn render(report: &CostReport, source: &Source) -> String {
    let mut entries: Vec<Entry> = Vec::new();
    for (span, rounds) in &report.schedule {
        let offset = span.start as usize;
        let (line, _) = source.line_col(offset);
        let file = source.file_index(offset);
        let mut with: Vec<usize> = report
            .side_by_side
            .iter()
            .filter(|(first, _)| first == span)
            .flat_map(|(_, others)| others.iter().map(|o| source.line_col(o.start as usize).0))
            .filter(|&l| l != line)
            .collect();
        with.sort_unstable();
        with.dedup();
        let e = Entry { file, line, offset, rounds: *rounds, with };
        // Ops of one line in a row are one entry.
        match entries.last_mut() {
            Some(last) if (last.file, last.line) == (e.file, e.line) && e.with.is_empty() => last.rounds += e.rounds,
            _ => entries.push(e),
        }
    }
    let pieces = fold(&entries);
    let mut out = format!(
        "schedule: {} rounds in the order they happen (rounds, line; ops of one line in a row merged, repeats folded)\n",
        rounds_of(&pieces)
    );
    render_pieces(&pieces, source, 2, &mut out);
    out
}

/// `mpcc compile --emit schedule`: each block's private ops that communicate, in the plan's
/// order, a wave (ops that share rounds) on one line with its members joined by `|`.
pub fn render_plan(program: &mpcc_ir::Program, source: &Source) -> String {
    use mpcc_ir::schedule::{communicates, plans, Item};
    let op_text = |i: usize, block: &mpcc_ir::Block| -> Option<String> {
        let mpcc_ir::Stmt::Eval(id) = block.0.get(i)? else { return None };
        let def = program.value(*id)?;
        let (line, _) = source.line_col(def.span.start as usize);
        Some(format!("{id} {} (line {line})", def.op.name()))
    };
    let mut out = String::from(
        "round-merging plan: private ops that communicate, in run order; a wave's chains (`|`) share their rounds, a chain's ops (`→`) run one after the other\n",
    );
    for (n, (block, items)) in plans(program).into_iter().enumerate() {
        let mut lines = Vec::new();
        for item in &items {
            match item {
                Item::Stmt(i) => match block.0.get(*i) {
                    Some(mpcc_ir::Stmt::For { span, .. } | mpcc_ir::Stmt::While { span, .. }) => {
                        lines
                            .push(format!("  loop (line {}): its block below", source.line_col(span.start as usize).0));
                    }
                    Some(mpcc_ir::Stmt::If { span, .. }) => {
                        lines.push(format!("  if (line {}): its blocks below", source.line_col(span.start as usize).0));
                    }
                    Some(s) if communicates(program, s) => lines.extend(op_text(*i, block).map(|t| format!("  {t}"))),
                    _ => {}
                },
                Item::Wave(chains) => {
                    // Chains side by side (`|`), a chain's ops one after the other (`→`).
                    let parts: Vec<String> = chains
                        .iter()
                        .map(|c| c.iter().filter_map(|i| op_text(*i, block)).collect::<Vec<_>>().join(" → "))
                        .collect();
                    lines.push(format!("  wave: {}", parts.join(" | ")));
                }
            }
        }
        if lines.is_empty() {
            continue;
        }
        let heading = match block.0.first().and_then(|s| stmt_line(program, s, source)) {
            Some(line) if n > 0 => format!("block from line {line}:\n"),
            _ if n > 0 => "block:\n".to_string(),
            _ => "top level:\n".to_string(),
        };
        out.push_str(&heading);
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
    }
    out
}

/// The source line of a statement that evaluates a value.
fn stmt_line(program: &mpcc_ir::Program, stmt: &mpcc_ir::Stmt, source: &Source) -> Option<usize> {
    match stmt {
        mpcc_ir::Stmt::Eval(id) => program.value(*id).map(|d| source.line_col(d.span.start as usize).0),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(line: usize, rounds: u64) -> Entry {
        Entry { file: 0, line, offset: 0, rounds, with: Vec::new() }
    }

    #[test]
    fn loops_fold_and_rounds_are_kept() {
        // A prologue, 3 iterations of a 2-line body, an epilogue.
        let entries = vec![e(1, 1), e(5, 4), e(6, 2), e(5, 4), e(6, 2), e(5, 4), e(6, 2), e(9, 1)];
        let pieces = fold(&entries);
        assert_eq!(
            pieces,
            vec![
                Piece::One(e(1, 1)),
                Piece::Repeat { times: 3, body: vec![Piece::One(e(5, 4)), Piece::One(e(6, 2))] },
                Piece::One(e(9, 1)),
            ]
        );
        assert_eq!(rounds_of(&pieces), 1 + 3 * 6 + 1);
    }

    #[test]
    fn nothing_repeated_stays_flat() {
        let entries = vec![e(1, 1), e(2, 1), e(3, 2)];
        assert_eq!(fold(&entries).len(), 3);
    }
}
