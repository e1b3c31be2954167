//! `mpcc cost`: compiles a program, asks the runtime's cost model (`mpcc_runtime::cost`) for the
//! communication of a secure run, and prints the totals, the time estimate on the given network
//! and one line per source line that communicates. Runs no protocol and writes no file.

use crate::commands::{compile_file, data_dirs};
use crate::console::{out, outln};
use crate::console::{usage_error, FAIL, OK};
use crate::source::Source;
use crate::CostArgs;
use mpcc_runtime::cost::{estimate, Cost, CostReport, Network};
use mpcc_runtime::exec::mpc::stats::bytes_text;
use mpcc_runtime::exec::RunConfig;
use std::collections::BTreeMap;
use std::path::PathBuf;

pub fn cost(args: &CostArgs) -> u8 {
    use mpcc_runtime::fixed::{MAX_FRAC_BITS, MIN_FRAC_BITS};
    if !(MIN_FRAC_BITS..=MAX_FRAC_BITS).contains(&args.precision) {
        return usage_error(&format!(
            "`--precision {}`: the fixed-point precision must be {MIN_FRAC_BITS} to {MAX_FRAC_BITS} fractional bits",
            args.precision
        ));
    }
    if !(args.rtt >= 0.0 && args.rtt.is_finite() && args.bandwidth > 0.0 && args.bandwidth.is_finite()) {
        return usage_error("`--rtt` must be ≥ 0 milliseconds and `--bandwidth` > 0 Mbit/s");
    }
    let (source, compiled) = match compile_file(&args.file, &args.params.set, args.message_format) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let Some(program) = compiled.program.as_ref() else {
        return FAIL;
    };
    let n = args.parties;
    if n < program.parties.len().max(2) {
        return usage_error(&format!(
            "`--parties {n}`: the program names {} parties ({}); cost at least {}",
            program.parties.len(),
            program.parties.join(", "),
            program.parties.len().max(2)
        ));
    }
    if args.compare == Some(crate::Compare::Fss) && n != 2 {
        return usage_error(&format!(
            "`--compare fss` is a 2-party protocol; this run has {n} parties: use `--compare tree`"
        ));
    }
    // A bare `--data DIR` is every party's folder; `PARTY=DIR` one party's.
    let (everyone, named): (Vec<&String>, Vec<&String>) = args.data.iter().partition(|d| !d.contains('='));
    let named: Vec<String> = named.into_iter().cloned().collect();
    let mut dirs = match data_dirs(program, &args.file, &named, n) {
        Ok(d) => d,
        Err(m) => return usage_error(&m),
    };
    if let Some(dir) = everyone.last() {
        let named_ranks: Vec<usize> = named
            .iter()
            .filter_map(|f| f.split_once('='))
            .filter_map(|(p, _)| program.parties.iter().position(|q| q == p))
            .collect();
        for (rank, slot) in dirs.iter_mut().enumerate() {
            if !named_ranks.contains(&rank) {
                *slot = PathBuf::from(dir);
            }
        }
    }
    let cfg = RunConfig {
        data_dirs: dirs,
        precision: args.precision,
        compare: args.compare.map(crate::Compare::to_runtime),
        merge_rounds: !args.no_merge,
        dealer_folds: args.dealer_folds.map(crate::Toggle::on),
        ..RunConfig::default()
    };
    // Without `--compare`, 2 parties: the protocol `mpcc run` would pick on this network.
    let mut cfg = cfg;
    let mut choice = None;
    let net = Network { rtt_ms: args.rtt, mbit_per_s: args.bandwidth };
    if args.compare.is_none() && n == 2 {
        let link = net;
        match crate::choose::choose(program, &cfg, link) {
            Ok(c) => {
                cfg.compare = Some(c.mode);
                cfg.dealer_folds = Some(c.folds);
                choice = Some((c, link));
            }
            Err(e) => {
                eprintln!("error: {e}");
                return FAIL;
            }
        }
    }
    match estimate(program, n, &cfg) {
        Ok(report) => {
            if args.json {
                outln!("{}", json(&report, &source, net));
            } else {
                out!("{}", render(&report, &source, net));
                if let Some((c, link)) = choice {
                    outln!("  {}", c.describe(link));
                }
                if args.schedule {
                    out!("{}", crate::schedule::render(&report, &source));
                }
            }
            OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(span) = e.span {
                eprintln!("  --> {}", source.position(span.start as usize));
            }
            FAIL
        }
    }
}

fn sent_text(report: &CostReport, cost: &Cost) -> String {
    let sent: Vec<String> =
        report.parties.iter().zip(&cost.bytes_sent).map(|(name, b)| format!("{name} {}", bytes_text(*b))).collect();
    sent.join(", ")
}

/// The cost per source line: `(file index, line)` → (an offset on the line, its cost).
fn by_line(report: &CostReport, source: &Source) -> BTreeMap<(usize, usize), (usize, Cost)> {
    let mut lines: BTreeMap<(usize, usize), (usize, Cost)> = BTreeMap::new();
    for (span, cost) in &report.by_span {
        let offset = span.start as usize;
        let (line, _) = source.line_col(offset);
        let slot =
            lines.entry((source.file_index(offset), line)).or_insert_with(|| (offset, Cost::zero(report.n_parties)));
        slot.1.add(cost);
    }
    lines
}

/// The report for machines.
pub fn json(report: &CostReport, source: &Source, net: Network) -> serde_json::Value {
    let (latency, transfer) = report.seconds(net);
    let lines: Vec<serde_json::Value> = by_line(report, source)
        .into_iter()
        .map(|((_, line), (offset, cost))| {
            serde_json::json!({
                "file": source.name_at(offset),
                "line": line,
                "rounds": cost.rounds,
                "bytes_sent": cost.bytes_sent,
                "dealer_bytes": cost.dealer_bytes,
                "source": source.line_text(offset).trim(),
            })
        })
        .collect();
    serde_json::json!({
        "parties": report.parties,
        "compare": report.compare,
        "precision": report.precision,
        "rounds": report.total.rounds,
        "bytes_sent": report.total.bytes_sent,
        "dealer_bytes": report.total.dealer_bytes,
        "followed_plaintext": report.followed_plaintext,
        "estimate": {
            "rtt_ms": net.rtt_ms,
            "mbit_per_s": net.mbit_per_s,
            "latency_seconds": latency,
            "transfer_seconds": transfer,
            "seconds": latency + transfer,
        },
        "lines": lines,
    })
}

/// The report for people: totals, the estimate, then one row per source line.
pub fn render(report: &CostReport, source: &Source, net: Network) -> String {
    let total = &report.total;
    let mut out = format!(
        "cost of {} with {} parties, --compare {}, {} fractional bits (a static model: no protocol was run)\n",
        source.name, report.n_parties, report.compare, report.precision
    );
    out += &format!(
        "  {} rounds; sent: {}; dealer: {}\n",
        total.rounds,
        sent_text(report, total),
        bytes_text(total.dealer_bytes)
    );
    out += &format!("  correlated randomness: {}\n", report.needs);
    let (latency, transfer) = report.seconds(net);
    out += &format!(
        "  estimate: {:.3} s on {} ms RTT and {} Mbit/s = {} rounds × RTT ({:.3} s) + the busiest party's {} at the bandwidth ({:.3} s)\n",
        latency + transfer,
        net.rtt_ms,
        net.mbit_per_s,
        total.rounds,
        latency,
        bytes_text(total.max_sent()),
        transfer
    );
    out += "  (leaves out local computation, the dealer's link, message framing and TCP/TLS overhead)\n";
    if let Some(why) = &report.followed_plaintext {
        out += &format!(
            "  note: {why}, so the model followed the plaintext computed from the private inputs (read in full)\n"
        );
    }
    // Per source line: files in compilation order, lines in order.
    let lines = by_line(report, source);
    if lines.is_empty() {
        out += "  no line communicates\n";
        return out;
    }
    let head: Vec<String> = report.parties.iter().map(|p| format!("{p:>10}")).collect();
    let place = |offset: usize, line: usize| format!("{}:{line}", source.name_at(offset));
    let width = lines.iter().map(|((_, line), (offset, _))| place(*offset, *line).len()).max().unwrap_or(0).max(4);
    out += &format!("  {:<width$} {:>7} {} {:>10}  source\n", "line", "rounds", head.join(" "), "dealer");
    for ((_, line), (offset, cost)) in lines {
        let place = place(offset, line);
        let sent: Vec<String> = cost.bytes_sent.iter().map(|b| format!("{b:>10}")).collect();
        out += &format!(
            "  {place:<width$} {:>7} {} {:>10}  {}\n",
            cost.rounds,
            sent.join(" "),
            cost.dealer_bytes,
            source.line_text(offset).trim()
        );
    }
    out += "  (bytes; an op's cost is on the line where it starts)\n";
    out
}
