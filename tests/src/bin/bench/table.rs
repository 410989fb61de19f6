//! The results table and the arithmetic behind it: medians, p10-p90
//! spreads, ratios, and running two measures alternately.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct Table {
    rows: Vec<[String; 5]>,
}

impl Table {
    /// A measure with Dockyard's samples and the reference's; `unit` and
    /// whether bigger is better decide how the ratio reads.
    pub fn add(
        &mut self,
        measure: &str,
        ours: &[f64],
        theirs: &[f64],
        reference: &str,
        unit: &str,
    ) {
        let (m1, s1) = (median(ours), spread(ours));
        let (m2, s2) = (median(theirs), spread(theirs));
        self.push([
            measure.to_string(),
            format!("{} {unit} ({s1})", fmt(m1)),
            reference.to_string(),
            format!("{} {unit} ({s2})", fmt(m2)),
            format!("{:.2}", m1 / m2),
        ]);
    }

    pub fn note(&mut self, measure: &str, value: String) {
        self.push([
            measure.to_string(),
            value,
            String::new(),
            String::new(),
            String::new(),
        ]);
    }

    /// Rows are printed as they come, so a run cut short keeps its figures.
    fn push(&mut self, r: [String; 5]) {
        if self.rows.is_empty() {
            println!();
            println!(
                "| measure | Dockyard (median, p10–p90) | against | reference (median, p10–p90) | ratio |"
            );
            println!("|---|---|---|---|---|");
        }
        println!("| {} | {} | {} | {} | {} |", r[0], r[1], r[2], r[3], r[4]);
        self.rows.push(r);
    }
}

pub fn fmt(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

pub fn sorted(v: &[f64]) -> Vec<f64> {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    s
}

pub fn pct(v: &[f64], p: f64) -> f64 {
    let s = sorted(v);
    if s.is_empty() {
        return f64::NAN;
    }
    s[((s.len() - 1) as f64 * p).round() as usize]
}

pub fn median(v: &[f64]) -> f64 {
    pct(v, 0.5)
}

pub fn spread(v: &[f64]) -> String {
    format!("{}–{}", fmt(pct(v, 0.1)), fmt(pct(v, 0.9)))
}

/// Runs `a` and `b` alternately, after one warm-up of each.
pub fn alternate(
    rounds: usize,
    mut a: impl FnMut() -> f64,
    mut b: impl FnMut() -> f64,
) -> (Vec<f64>, Vec<f64>) {
    a();
    b();
    let (mut va, mut vb) = (Vec::new(), Vec::new());
    // Which goes first changes each round: neither always runs on a
    // machine the other just warmed (or left busy).
    for round in 0..rounds {
        if round % 2 == 0 {
            va.push(a());
            vb.push(b());
        } else {
            vb.push(b());
            va.push(a());
        }
    }
    (va, vb)
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub fn timed(mut cmd: Command) -> f64 {
    let t = Instant::now();
    let o = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run");
    let d = t.elapsed();
    assert!(
        o.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    ms(d)
}
