//! Noninterference by random testing: a generator of random mpcc programs with one private input
//! (ALICE's) and no `reveal`, and the check that what BOB sees does not depend on that input.
//!
//! For a program that `mpcc check` accepts, the plaintext engine runs it twice, with two
//! different private inputs. BOB's view is every `print` line, every loop's trip count, every
//! `output` to a party other than ALICE, and whether and how the run failed; it must be the same
//! in both runs. (`output(…, to=ALICE)` goes to the input's owner, and warnings are the
//! plaintext engine's own diagnostics, not something a party of a secure run sees.)
//!
//! The programs mix what makes label analysis hard: chains of assignments among many variables
//! inside loops, nested loops with counts computed at run time, secret and public `if`s (with and
//! without `else`, with `break`/`continue`), variables declared inside branches, functions with
//! loops and ifs in their bodies, slices and indices by computed counts, `print` and `output`.
//! Used by `tests/it/noninterference.rs` (thousands of programs) and
//! `examples/noninterference.rs` (millions).

use mpcc_compiler::{compile, CompileOptions};
use mpcc_runtime::exec::{run_plain, Event, RunConfig, VecSink};

/// SplitMix64: small, fast, and the same sequence everywhere for a seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// True with probability `percent`%.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a>(&mut self, items: &'a [String]) -> Option<&'a String> {
        items.get(self.below(items.len()))
    }
}

/// The names a block can use.
#[derive(Clone, Default)]
struct Scope {
    /// Real-valued variables (assignable).
    reals: Vec<String>,
    /// Non-negative integer variables (assignable): loop bounds, indices.
    counts: Vec<String>,
    /// Read-only integers: loop variables.
    loop_vars: Vec<String>,
    /// Read-only reals: function parameters.
    params: Vec<String>,
    /// Variables meant to hold secrets (assigned from `s`, read in conditions, rarely printed).
    secrets: Vec<String>,
    /// Inside an `if` whose condition reads a secret: no `print`/`output` (they would be E0401).
    quiet: bool,
    /// Whether ALICE's input `s` and the array `arr` are visible (not inside a function body).
    sees_input: bool,
}

struct Gen {
    rng: Rng,
    out: String,
    fresh: usize,
    /// Statements left to generate.
    budget: usize,
    /// Functions defined so far.
    fns: Vec<String>,
    /// How often (in %) a leaf of the main body reads ALICE's input.
    density: u64,
}

const INDENT: &str = "    ";

impl Gen {
    fn line(&mut self, depth: usize, text: &str) {
        for _ in 0..depth {
            self.out.push_str(INDENT);
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.fresh += 1;
        format!("{prefix}{}", self.fresh)
    }

    fn count_leaf(&mut self, scope: &Scope) -> String {
        let mut pool = scope.counts.clone();
        pool.extend(scope.loop_vars.iter().cloned());
        match self.rng.below(3) {
            0 => format!("{}", self.rng.below(4)),
            _ => self.rng.pick(&pool).cloned().unwrap_or_else(|| "1".into()),
        }
    }

    /// An expression whose value is a small non-negative integer (when its operands are).
    fn count_expr(&mut self, scope: &Scope) -> String {
        match self.rng.below(5) {
            0 => format!("{} + 1", self.count_leaf(scope)),
            1 => {
                let a = self.real_expr(scope, 1);
                let b = self.real_expr(scope, 1);
                format!("({a} > {b})")
            }
            2 => {
                let a = self.real_expr(scope, 1);
                format!("{} + ({a} < 1)", self.count_leaf(scope))
            }
            _ => self.count_leaf(scope),
        }
    }

    /// A loop bound: at most 3 when it is public.
    fn bound(&mut self, scope: &Scope) -> String {
        if self.rng.chance(30) {
            return format!("{}", 1 + self.rng.below(3));
        }
        let n = self.count_expr(scope);
        format!("where({n} > 3, 3, {n})")
    }

    fn real_leaf(&mut self, scope: &Scope) -> String {
        let input = scope.sees_input && self.rng.chance(self.density);
        if input && self.rng.chance(50) {
            if let Some(z) = self.rng.pick(&scope.secrets).cloned() {
                return z;
            }
        }
        if input {
            return match self.rng.below(4) {
                0 => format!("s[{}]", self.rng.below(3)),
                1 => "sum(s)".into(),
                2 => {
                    let c = self.count_leaf(scope);
                    format!("sum(s[where({c} > 2, 2, {c}):3])")
                }
                _ => "s[0] * 0.5".into(),
            };
        }
        match self.rng.below(6) {
            0 => format!("{}", self.rng.below(5) as f64 - 1.0),
            1 if scope.sees_input => {
                let c = self.count_leaf(scope);
                format!("arr[where({c} > 7, 7, {c})]")
            }
            2 => self.count_leaf(scope),
            _ => {
                let mut pool = scope.reals.clone();
                pool.extend(scope.params.iter().cloned());
                self.rng.pick(&pool).cloned().unwrap_or_else(|| "0.5".into())
            }
        }
    }

    fn real_expr(&mut self, scope: &Scope, depth: usize) -> String {
        if depth == 0 || self.rng.chance(35) {
            return self.real_leaf(scope);
        }
        let d = depth - 1;
        match self.rng.below(9) {
            0 => format!("({} + {})", self.real_expr(scope, d), self.real_expr(scope, d)),
            1 => format!("({} - {})", self.real_expr(scope, d), self.real_expr(scope, d)),
            2 => format!("({} * {})", self.real_expr(scope, d), self.real_expr(scope, d)),
            3 => format!("({} > {})", self.real_expr(scope, d), self.real_expr(scope, d)),
            4 => {
                let (a, b) = (self.real_expr(scope, d), self.real_expr(scope, d));
                let (x, y) = (self.real_expr(scope, d), self.real_expr(scope, d));
                format!("where({a} > {b}, {x}, {y})")
            }
            5 => format!("relu({})", self.real_expr(scope, d)),
            6 => format!("abs({})", self.real_expr(scope, d)),
            7 if !self.fns.is_empty() => {
                let f = self.rng.pick(&self.fns.clone()).cloned().unwrap_or_default();
                format!("{f}({}, {})", self.real_expr(scope, d), self.real_expr(scope, d))
            }
            _ => self.real_leaf(scope),
        }
    }

    /// A condition, and whether it reads a secret on purpose.
    fn cond(&mut self, scope: &Scope) -> (String, bool) {
        match self.rng.below(4) {
            0 => (format!("{} > {}", self.count_leaf(scope), self.rng.below(3)), false),
            1 if scope.sees_input => {
                let z = self.rng.pick(&scope.secrets).cloned().unwrap_or_else(|| "s[1]".into());
                (format!("{z} > {}", self.real_expr(scope, 1)), true)
            }
            _ => (format!("{} > {}", self.real_expr(scope, 2), self.real_expr(scope, 1)), false),
        }
    }

    fn block(&mut self, scope: &mut Scope, depth: usize, in_loop: bool, len: usize) {
        let mut scope = scope.clone();
        for _ in 0..len {
            if self.budget == 0 {
                break;
            }
            self.budget -= 1;
            self.stmt(&mut scope, depth, in_loop);
        }
    }

    fn stmt(&mut self, scope: &mut Scope, depth: usize, in_loop: bool) {
        let nested = depth < 4;
        match self.rng.below(17) {
            0..=3 => {
                // Under a secret condition, mostly update the secrets (a public variable
                // assigned there turns private, and its later use is then rejected).
                let pool = if scope.quiet && self.rng.chance(70) { &scope.secrets } else { &scope.reals };
                if let Some(v) = self.rng.pick(pool).cloned() {
                    let e = self.real_expr(scope, 3);
                    self.line(depth, &format!("{v} = {e};"));
                }
            }
            4 | 5 => {
                if let Some(n) = self.rng.pick(&scope.counts).cloned() {
                    let e = self.count_expr(scope);
                    self.line(depth, &format!("{n} = {e};"));
                }
            }
            6 | 7 if nested => {
                let (c, secret) = self.cond(scope);
                self.line(depth, &format!("if {c} {{"));
                let mut inner = scope.clone();
                inner.quiet |= secret;
                let len = 1 + self.rng.below(3);
                self.block(&mut inner, depth + 1, in_loop && !secret, len);
                if self.rng.chance(50) {
                    self.line(depth, "} else {");
                    let len = 1 + self.rng.below(3);
                    self.block(&mut inner, depth + 1, in_loop && !secret, len);
                }
                self.line(depth, "}");
            }
            8 if nested => {
                let i = self.fresh("i");
                let b = self.bound(scope);
                self.line(depth, &format!("for {i} in 0..{b} {{"));
                let mut inner = scope.clone();
                inner.loop_vars.push(i);
                let len = 1 + self.rng.below(4);
                self.block(&mut inner, depth + 1, true, len);
                self.line(depth, "}");
            }
            9 if nested => {
                let (w, l) = (self.fresh("w"), self.fresh("l"));
                let b = self.bound(scope);
                self.line(depth, &format!("let {l} = {b};"));
                self.line(depth, &format!("let {w} = 0;"));
                self.line(depth, &format!("while {w} < {l} {{"));
                self.line(depth + 1, &format!("{w} = {w} + 1;"));
                let len = 1 + self.rng.below(3);
                self.block(scope, depth + 1, true, len);
                self.line(depth, "}");
            }
            10 if in_loop => {
                let (c, _) = self.cond(scope);
                let word = if self.rng.chance(50) { "break" } else { "continue" };
                self.line(depth, &format!("if {c} {{ {word}; }}"));
            }
            11 => {
                let t = self.fresh("t");
                let e = self.real_expr(scope, 2);
                self.line(depth, &format!("let {t} = {e};"));
                let e = self.real_expr(scope, 1);
                self.line(depth, &format!("{t} = {t} + {e};"));
                scope.reals.push(t);
            }
            12 if scope.sees_input => {
                if let Some(z) = self.rng.pick(&scope.secrets).cloned() {
                    let e = self.real_expr(scope, 1);
                    let x = if self.rng.chance(50) { format!("s[{}]", self.rng.below(3)) } else { "sum(s)".into() };
                    self.line(depth, &format!("{z} = {z} * 0.5 + {x} + {e};"));
                }
            }
            13 if !scope.quiet => {
                let e = self.real_expr(scope, 2);
                self.line(depth, &format!("print(\"p{}\", {e});", self.fresh));
            }
            14 if !scope.quiet => {
                let e = self.real_expr(scope, 2);
                self.line(depth, &format!("output({e}, to=A);"));
            }
            15 if depth <= 1 => self.chain_loop(scope, depth),
            _ => {
                if let Some(v) = self.rng.pick(&scope.reals).cloned() {
                    let e = self.real_expr(scope, 2);
                    self.line(depth, &format!("{v} = {v} + {e};"));
                }
            }
        }
    }

    /// A loop long enough for a value to travel a chain of assignments, one step per
    /// iteration (`a = b; b = c; …; z = e;`), mixing real, count and secret variables.
    fn chain_loop(&mut self, scope: &Scope, depth: usize) {
        let mut pool: Vec<String> = scope.reals.clone();
        pool.extend(scope.counts.iter().cloned());
        let mut chain = Vec::new();
        for _ in 0..3 + self.rng.below(6) {
            if let Some(v) = self.rng.pick(&pool).cloned() {
                if !chain.contains(&v) {
                    chain.push(v);
                }
            }
        }
        let trips = chain.len() + self.rng.below(4);
        let i = self.fresh("i");
        self.line(depth, &format!("for {i} in 0..{trips} {{"));
        for pair in chain.windows(2) {
            if let [a, b] = pair {
                // A count stays a count: compare a real before storing it.
                let from = if scope.counts.contains(a) && !scope.counts.contains(b) {
                    format!("({b} > 1)")
                } else {
                    b.clone()
                };
                self.line(depth + 1, &format!("{a} = {from};"));
            }
        }
        if let Some(last) = chain.last().cloned() {
            // Half the chains start at the secret itself.
            let secret = scope.sees_input && self.rng.chance(50);
            let e = match (scope.counts.contains(&last), secret) {
                (true, true) => format!("(s[{}] > 0)", self.rng.below(3)),
                (true, false) => self.count_expr(scope),
                (false, true) => format!("s[{}]", self.rng.below(3)),
                (false, false) => self.real_expr(scope, 2),
            };
            self.line(depth + 1, &format!("{last} = {e};"));
        }
        self.line(depth, "}");
    }

    fn function(&mut self, name: &str) {
        self.line(0, &format!("fn {name}(a, b) {{"));
        self.line(1, "let r = a;");
        let mut scope = Scope { reals: vec!["r".into()], params: vec!["a".into(), "b".into()], ..Scope::default() };
        let saved = self.budget;
        self.budget = 4;
        let len = 1 + self.rng.below(4);
        self.block(&mut scope, 1, false, len);
        self.budget = saved;
        let e = self.real_expr(&scope, 1);
        self.line(1, &format!("return r + {e};"));
        self.line(0, "}");
    }
}

/// A random program; `INPUT` stands where ALICE's private vector goes.
pub fn generate(seed: u64) -> String {
    let mut g = Gen { rng: Rng::new(seed), out: String::new(), fresh: 0, budget: 0, fns: Vec::new(), density: 0 };
    g.density = [2, 4, 8][g.rng.below(3)];
    g.line(0, "parties A, B;");
    for k in 0..g.rng.below(3) {
        let name = format!("f{k}");
        g.function(&name);
        g.fns.push(name);
    }
    g.line(0, "let s = private(src=A, INPUT);");
    g.line(0, "let arr = [0, 1, 2, 3, 4, 5, 6, 7];");
    let reals: Vec<String> = (0..2 + g.rng.below(8)).map(|i| format!("v{i}")).collect();
    let counts: Vec<String> = (0..1 + g.rng.below(4)).map(|i| format!("n{i}")).collect();
    for v in &reals {
        let x = g.rng.below(5);
        g.line(0, &format!("let {v} = {x};"));
    }
    for n in &counts {
        let x = g.rng.below(3);
        g.line(0, &format!("let {n} = {x};"));
    }
    let secrets: Vec<String> = (0..1 + g.rng.below(3)).map(|i| format!("z{i}")).collect();
    for z in &secrets {
        let x = g.rng.below(3);
        g.line(0, &format!("let {z} = s[{x}];"));
    }
    let mut scope = Scope { reals, counts, secrets, sees_input: true, ..Scope::default() };
    g.budget = 10 + g.rng.below(30);
    let len = g.budget;
    g.block(&mut scope, 0, false, len);
    // Print a few variables at the end: the commonest way to leak.
    for _ in 0..1 + g.rng.below(3) {
        let mut all = scope.reals.clone();
        all.extend(scope.counts.iter().cloned());
        if let Some(v) = g.rng.pick(&all).cloned() {
            g.line(0, &format!("print(\"end\", {v});"));
        }
    }
    g.out
}

/// What BOB sees of one run.
#[derive(Debug, PartialEq)]
pub struct View {
    pub events: Vec<String>,
    pub result: Result<(), String>,
}

fn view(program: &mpcc_ir::Program) -> View {
    let cfg = RunConfig { trace_loops: true, ..RunConfig::default() };
    let mut sink = VecSink::default();
    let result = run_plain(program, &cfg, &mut sink).map(|_| ()).map_err(|e| e.to_string());
    let events = sink
        .events
        .into_iter()
        .filter_map(|e| match e {
            Event::Print { text } => Some(format!("print {text}")),
            Event::Output { party, text } if party != "A" => Some(format!("output to {party}: {text}")),
            Event::Loop { span, iterations } => Some(format!("loop at {} ran {iterations}", span.start)),
            Event::Output { .. } | Event::Warning { .. } => None,
        })
        .collect();
    View { events, result }
}

/// How far the secret got in an accepted program.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Reach {
    /// Some variable holds a private value.
    pub private_var: bool,
    /// Some `if` on a private condition was rewritten into selection.
    pub private_if: bool,
}

fn reach(program: &mpcc_ir::Program, source: &str) -> Reach {
    let private_var = program.vars.iter().any(|v| v.label == mpcc_ir::Label::Private);
    let private_if = program.values.iter().any(|d| {
        matches!(d.op, mpcc_ir::Op::Where(..))
            && source.get(d.span.start as usize..).is_some_and(|t| t.starts_with("if "))
    });
    Reach { private_var, private_if }
}

/// The outcome of checking one program.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// `mpcc check` rejected it (for both inputs).
    Rejected,
    /// Accepted, and BOB's view was the same for both inputs.
    Same(Reach),
    /// Accepted, and BOB's view differed: a hole in the compiler's proof.
    Leak { source: String, first: View, second: View },
    /// Accepted for one input and rejected for the other: the check depends on the secret.
    Inconsistent { source: String },
}

fn input(rng: &mut Rng) -> String {
    // Fixed width, so both programs have the same spans (loops are told apart by span).
    let xs: Vec<String> = (0..3).map(|_| format!("{:>4.1}", rng.below(13) as f64 * 0.5 - 3.0)).collect();
    format!("[{}]", xs.join(", "))
}

/// Generates program `seed` and checks it with two random private inputs.
pub fn check_seed(seed: u64) -> Outcome {
    let template = generate(seed);
    let mut rng = Rng::new(seed ^ 0xA11CE);
    let (a, mut b) = (input(&mut rng), input(&mut rng));
    while b == a {
        b = input(&mut rng);
    }
    check_pair(&template.replace("INPUT", &a), &template.replace("INPUT", &b))
}

/// The codes of the errors that reject program `seed` (empty if accepted).
pub fn rejection_codes(seed: u64) -> Vec<&'static str> {
    let source = generate(seed).replace("INPUT", "[1, 2, 3]");
    let compiled = compile(&source, &CompileOptions::default());
    let mut codes: Vec<&'static str> =
        compiled.diagnostics.iter().filter(|d| d.is_error()).map(|d| d.code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}

/// Checks two programs that differ only in ALICE's private input.
pub fn check_pair(first: &str, second: &str) -> Outcome {
    let options = CompileOptions::default();
    let (p, q) = (compile(first, &options).program, compile(second, &options).program);
    match (p, q) {
        (None, None) => Outcome::Rejected,
        (Some(p), Some(q)) => {
            let (x, y) = (view(&p), view(&q));
            if x == y {
                Outcome::Same(reach(&p, first))
            } else {
                Outcome::Leak { source: first.to_string(), first: x, second: y }
            }
        }
        _ => Outcome::Inconsistent { source: first.to_string() },
    }
}

/// Counts over a range of seeds.
#[derive(Debug, Default)]
pub struct Tally {
    pub programs: u64,
    pub accepted: u64,
    /// Accepted programs in which a variable holds a private value.
    pub private_var: u64,
    /// Accepted programs in which a private `if` was rewritten.
    pub private_if: u64,
    /// Each violation: the seed, what went wrong, the program and both views.
    pub violations: Vec<String>,
}

/// Checks every seed in `seeds`, collecting violations.
pub fn run(seeds: std::ops::Range<u64>) -> Tally {
    let mut t = Tally::default();
    for seed in seeds {
        t.programs += 1;
        match check_seed(seed) {
            Outcome::Rejected => {}
            Outcome::Same(r) => {
                t.accepted += 1;
                t.private_var += u64::from(r.private_var);
                t.private_if += u64::from(r.private_if);
            }
            Outcome::Leak { source, first, second } => {
                t.accepted += 1;
                t.violations.push(format!("seed {seed}: BOB's view differs\n{source}\n{first:#?}\n{second:#?}"));
            }
            Outcome::Inconsistent { source } => {
                t.violations.push(format!("seed {seed}: accepted for one input only\n{source}"));
            }
        }
    }
    t
}
