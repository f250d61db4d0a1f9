//! A self-contained SVG timeline of a trace: the seed's story at a glance.
//!
//! One row per CPU. Each task's run slices are rectangles in the task's
//! colour, named when wide enough; idle time is left as a pale gap, so
//! sleeps show. Above a row, a small triangle marks each wake-up of a task
//! onto that CPU. Below it, labelled markers show forks (with a dashed line
//! to the child's first run), exits, signals and lost events. A time axis in
//! seconds and a legend of tasks close the picture.
//!
//! Slices are at least `MIN_SLICE` wide: a task that runs for microseconds
//! in a trace of seconds would otherwise vanish. A widened slice pushes the
//! next one on its CPU to the right rather than hiding it. Every number is formatted
//! with fixed precision and everything is laid out in trace order, so the
//! same trace always gives the same bytes.

use alloc::{
    format,
    string::{String, ToString},
    vec::Vec,
};

use alloc::collections::BTreeMap;
use core::fmt::Write as _;

use super::timeline::{Timeline, Wake};
use crate::uapi::signal_name;

const WIDTH: f64 = 1200.0;
const LEFT: f64 = 90.0;
const RIGHT: f64 = 30.0;
const PLOT: f64 = WIDTH - LEFT - RIGHT;
const BAR: f64 = 22.0;
/// Room above a bar for the wake-up triangles.
const WAKE_ROOM: f64 = 9.0;
const LABEL_LINE: f64 = 12.0;
const ROW_GAP: f64 = 10.0;
const MIN_SLICE: f64 = 2.0;
/// Width of one character at the 10 px monospace font used for labels.
const CHAR_W: f64 = 6.1;

const FORK: &str = "#2a7d2a";
const EXIT: &str = "#b22222";
const SIGNAL: &str = "#7b3fa0";
const LOST: &str = "#d00000";

/// Escapes text for XML content and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Ten colours that tell apart well (Tableau 10), for the first tasks.
const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

/// The colour of the `index`-th task (in pid order): the palette first,
/// then hues spread by the golden ratio, so neighbours always differ.
pub fn task_colour(index: usize) -> String {
    if let Some(colour) = PALETTE.get(index) {
        return colour.to_string();
    }
    let hue = fract(index as f64 * 0.618_033_988_749_895);
    let (r, g, b) = hsl_to_rgb(hue, 0.60, 0.48);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// `x.fract()` (what is left after truncating toward zero), which `core`
/// lacks without a libm.
fn fract(x: f64) -> f64 {
    x - (x as i64) as f64
}

fn hsl_to_rgb(h: f64, s: f64, l: f64) -> (u8, u8, u8) {
    let q = if l < 0.5 {
        l * (1.0 + s)
    } else {
        l + s - l * s
    };
    let p = 2.0 * l - q;
    let channel = |t: f64| {
        let t = fract(t + 1.0);
        let v = if t < 1.0 / 6.0 {
            p + (q - p) * 6.0 * t
        } else if t < 0.5 {
            q
        } else if t < 2.0 / 3.0 {
            p + (q - p) * (2.0 / 3.0 - t) * 6.0
        } else {
            p
        };
        // Rounds half away from zero as f64::round does; no libm here.
        ((v * 255.0).clamp(0.0, 255.0) + 0.5) as u8
    };
    (channel(h + 1.0 / 3.0), channel(h), channel(h - 1.0 / 3.0))
}

/// Black or white, whichever reads better on `colour` (`#rrggbb`).
fn text_on(colour: &str) -> &'static str {
    let c = |i: usize| u32::from_str_radix(&colour[i..i + 2], 16).unwrap_or(0);
    let luma = 299 * c(1) + 587 * c(3) + 114 * c(5);
    if luma > 150_000 {
        "#000"
    } else {
        "#fff"
    }
}

/// A labelled marker under a CPU row.
struct Label {
    x: f64,
    text: String,
    colour: &'static str,
    /// Extra SVG drawn at the bar (the marker itself).
    glyph: Glyph,
    tooltip: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Glyph {
    Line,
    Cross,
}

/// Stacks labels in lines under the bar so none overlaps its neighbour;
/// returns each label's line and the number of lines.
fn stack_labels(labels: &[Label]) -> (Vec<usize>, usize) {
    let mut line_ends: Vec<f64> = Vec::new();
    let mut lines = Vec::with_capacity(labels.len());
    for label in labels {
        let (start, end) = label_span(label);
        let line = match line_ends.iter().position(|&e| e + 6.0 <= start) {
            Some(line) => line,
            None => {
                line_ends.push(f64::NEG_INFINITY);
                line_ends.len() - 1
            }
        };
        line_ends[line] = end;
        lines.push(line);
    }
    (lines, line_ends.len())
}

/// Where a label's text goes: starting at its marker, pulled left if it
/// would run off the plot.
fn label_span(label: &Label) -> (f64, f64) {
    let width = label.text.chars().count() as f64 * CHAR_W;
    let start = label.x.min(LEFT + PLOT - width).max(0.0);
    (start, start + width)
}

/// Seconds for the axis, with as many decimals as the tick step needs.
fn axis_label(us: u64, step: u64) -> String {
    let mut decimals = 6;
    let mut s = step;
    while decimals > 0 && s.is_multiple_of(10) {
        s /= 10;
        decimals -= 1;
    }
    let secs = us / 1_000_000;
    let frac = format!("{:06}", us % 1_000_000);
    if decimals == 0 {
        secs.to_string()
    } else {
        format!("{secs}.{}", &frac[..decimals])
    }
}

/// A 1/2/5 step giving at most 10 ticks over `span` microseconds.
fn tick_step(span: u64) -> u64 {
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            if span / (step * m) <= 10 {
                return step * m;
            }
        }
        step *= 10;
    }
}

/// The SVG document for `t`.
pub fn to_svg(t: &Timeline) -> String {
    let t0 = t.start.0;
    let span = (t.end.0 - t0).max(1);
    let colours: BTreeMap<u32, String> = t
        .running_pids()
        .into_iter()
        .enumerate()
        .map(|(i, pid)| (pid, task_colour(i)))
        .collect();
    let colour_of = |pid: u32| {
        colours
            .get(&pid)
            .cloned()
            .unwrap_or_else(|| "#888888".to_string())
    };
    let x = |us: u64| LEFT + (us.saturating_sub(t0)) as f64 / span as f64 * PLOT;

    // Labels per CPU row, in time order.
    let mut labels: BTreeMap<u32, Vec<Label>> = BTreeMap::new();
    let mut add = |cpu: u32, label: Label| labels.entry(cpu).or_default().push(label);
    for fork in &t.forks {
        add(
            fork.cpu,
            Label {
                x: x(fork.ts.0),
                text: format!("fork → {}", t.label(fork.child)),
                colour: FORK,
                glyph: Glyph::Line,
                tooltip: format!(
                    "{} forks {} at {} s",
                    t.label(fork.parent),
                    t.label(fork.child),
                    fork.ts.plain()
                ),
            },
        );
    }
    for exit in &t.exits {
        add(
            exit.cpu,
            Label {
                x: x(exit.ts.0),
                text: format!("exit {}", t.label(exit.pid)),
                colour: EXIT,
                glyph: Glyph::Cross,
                tooltip: format!("{} exits at {} s", t.label(exit.pid), exit.ts.plain()),
            },
        );
    }
    for signal in &t.signals {
        let name = u32::try_from(signal.sig)
            .ok()
            .and_then(signal_name)
            .map_or_else(|| format!("signal {}", signal.sig), str::to_string);
        add(
            signal.cpu,
            Label {
                x: x(signal.ts.0),
                text: format!("{name} → {} ({})", signal.receiver_comm, signal.receiver),
                colour: SIGNAL,
                glyph: Glyph::Line,
                tooltip: format!(
                    "{} sends {name} to {} ({}) at {} s",
                    t.label(signal.sender),
                    signal.receiver_comm,
                    signal.receiver,
                    signal.ts.plain()
                ),
            },
        );
    }
    for lost in &t.lost {
        add(
            lost.cpu,
            Label {
                x: x(lost.ts.0),
                text: format!("LOST {} events", lost.count),
                colour: LOST,
                glyph: Glyph::Line,
                tooltip: format!(
                    "CPU {} lost {} events near {} s",
                    lost.cpu,
                    lost.count,
                    lost.ts.plain()
                ),
            },
        );
    }
    for list in labels.values_mut() {
        // Stable: same-time markers keep fork, exit, signal order.
        list.sort_by(|a, b| a.x.total_cmp(&b.x));
    }

    // Row geometry: each row is wake room, bar, label lines, gap.
    let mut rows = Vec::new();
    let mut y = 58.0;
    for cpu in 0..t.cpus {
        let (lines, count) = labels
            .get(&cpu)
            .map_or((Vec::new(), 0), |l| stack_labels(l));
        let bar_top = y + WAKE_ROOM;
        rows.push((bar_top, lines));
        y = bar_top + BAR + 4.0 + count as f64 * LABEL_LINE + ROW_GAP;
    }
    let bar_top = |cpu: u32| rows[cpu as usize].0;

    let mut body = String::new();
    let _ = writeln!(
        body,
        r#"<text x="{LEFT:.1}" y="22" class="title">pikern trace: {} tracer, {} CPUs, {} s to {} s</text>"#,
        escape(&t.tracer),
        t.cpus,
        t.start.plain(),
        t.end.plain()
    );
    let _ = writeln!(
        body,
        r#"<text x="{LEFT:.1}" y="40">Run slices by task (gaps: the CPU is idle). ▼ wake-up onto the CPU; markers below each row: fork, exit, signal.</text>"#
    );

    // Axis grid behind everything.
    let step = tick_step(span);
    let first_tick = t0.div_ceil(step) * step;
    let axis_y = y + 4.0;
    let mut ticks = Vec::new();
    let mut tick = first_tick;
    while tick <= t.end.0 {
        ticks.push(tick);
        tick += step;
    }
    for &tick in &ticks {
        let _ = writeln!(
            body,
            r##"<line x1="{0:.1}" y1="50" x2="{0:.1}" y2="{axis_y:.1}" stroke="#e4e4e4"/>"##,
            x(tick)
        );
    }

    for cpu in 0..t.cpus {
        let top = bar_top(cpu);
        let _ = writeln!(
            body,
            r##"<text x="10" y="{:.1}" class="row">CPU {cpu}</text>"##,
            top + BAR / 2.0 + 4.0
        );
        let _ = writeln!(
            body,
            r##"<rect x="{LEFT:.1}" y="{top:.1}" width="{PLOT:.1}" height="{BAR:.1}" fill="#f4f4f4"/>"##
        );
    }

    // Widened slices would hide each other; each starts after the last one
    // drawn on its CPU instead (slices of a CPU come in time order).
    let mut drawn_to: BTreeMap<u32, f64> = BTreeMap::new();
    for slice in t.slices.iter().filter(|s| s.pid != 0) {
        let top = bar_top(slice.cpu);
        let right = drawn_to.entry(slice.cpu).or_insert(0.0);
        let x0 = x(slice.start.0).max(*right);
        let w = (x(slice.end.0) - x0).max(MIN_SLICE);
        *right = x0 + w;
        let colour = colour_of(slice.pid);
        let state = slice
            .end_state
            .as_ref()
            .map_or_else(|| "still running".to_string(), |s| format!("then {s}"));
        let _ = writeln!(
            body,
            r#"<rect x="{x0:.1}" y="{top:.1}" width="{w:.1}" height="{BAR:.1}" fill="{colour}"><title>{} on CPU {}: {} s to {} s ({} us), {}</title></rect>"#,
            escape(&slice.comm),
            slice.cpu,
            slice.start.plain(),
            slice.end.plain(),
            slice.duration(),
            escape(&state)
        );
        let name = &slice.comm;
        if w >= name.chars().count() as f64 * CHAR_W + 6.0 {
            let _ = writeln!(
                body,
                r#"<text x="{:.1}" y="{:.1}" fill="{}">{}</text>"#,
                x0 + 3.0,
                top + BAR / 2.0 + 3.5,
                text_on(&colour),
                escape(name)
            );
        }
    }

    // Forks: a dashed line from the fork to the child's first run.
    for fork in &t.forks {
        let first_run = t
            .slices
            .iter()
            .filter(|s| s.pid == fork.child && s.start >= fork.ts)
            .min_by_key(|s| s.start);
        if let Some(run) = first_run {
            let _ = writeln!(
                body,
                r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{FORK}" stroke-width="1.2" stroke-dasharray="4 3"/>"#,
                x(fork.ts.0),
                bar_top(fork.cpu) + BAR / 2.0,
                x(run.start.0),
                bar_top(run.cpu) + BAR / 2.0
            );
        }
    }

    let wakes: Vec<&Wake> = t.drawn_wakes();
    for wake in wakes.iter().filter(|w| w.pid != 0 && w.target_cpu < t.cpus) {
        let wx = x(wake.ts.0);
        let top = bar_top(wake.target_cpu);
        let _ = writeln!(
            body,
            r#"<polygon points="{:.1},{:.1} {:.1},{:.1} {wx:.1},{:.1}" fill="{}"><title>{} {} onto CPU {} at {} s, by {}</title></polygon>"#,
            wx - 3.5,
            top - 8.0,
            wx + 3.5,
            top - 8.0,
            top - 1.0,
            colour_of(wake.pid),
            wake.kind.event_name(),
            escape(&t.label(wake.pid)),
            wake.target_cpu,
            wake.ts.plain(),
            escape(&t.label(wake.by_pid))
        );
    }

    for (&cpu, list) in &labels {
        let top = bar_top(cpu);
        let lines = &rows[cpu as usize].1;
        for (label, &line) in list.iter().zip(lines) {
            let text_y = top + BAR + 4.0 + (line as f64 + 1.0) * LABEL_LINE - 2.0;
            let _ = writeln!(body, r#"<g><title>{}</title>"#, escape(&label.tooltip));
            match label.glyph {
                Glyph::Line => {
                    let _ = writeln!(
                        body,
                        r#"<line x1="{0:.1}" y1="{1:.1}" x2="{0:.1}" y2="{2:.1}" stroke="{3}" stroke-width="1.5"/>"#,
                        label.x,
                        top - 2.0,
                        text_y - 8.0,
                        label.colour
                    );
                }
                Glyph::Cross => {
                    let (cx, cy) = (label.x, top + BAR / 2.0);
                    let _ = writeln!(
                        body,
                        r#"<path d="M{:.1},{:.1} L{:.1},{:.1} M{:.1},{:.1} L{:.1},{:.1}" stroke="{}" stroke-width="2"/>"#,
                        cx - 4.0,
                        cy - 4.0,
                        cx + 4.0,
                        cy + 4.0,
                        cx - 4.0,
                        cy + 4.0,
                        cx + 4.0,
                        cy - 4.0,
                        label.colour
                    );
                    let _ = writeln!(
                        body,
                        r#"<line x1="{0:.1}" y1="{1:.1}" x2="{0:.1}" y2="{2:.1}" stroke="{3}" stroke-width="1"/>"#,
                        label.x,
                        top + BAR,
                        text_y - 8.0,
                        label.colour
                    );
                }
            }
            let (start, _) = label_span(label);
            let _ = writeln!(
                body,
                r#"<text x="{start:.1}" y="{text_y:.1}" fill="{}">{}</text></g>"#,
                label.colour,
                escape(&label.text)
            );
        }
    }

    // Time axis.
    let _ = writeln!(
        body,
        r##"<line x1="{LEFT:.1}" y1="{axis_y:.1}" x2="{:.1}" y2="{axis_y:.1}" stroke="#333"/>"##,
        LEFT + PLOT
    );
    for &tick in &ticks {
        let tx = x(tick);
        let _ = writeln!(
            body,
            r##"<line x1="{tx:.1}" y1="{axis_y:.1}" x2="{tx:.1}" y2="{:.1}" stroke="#333"/><text x="{tx:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            axis_y + 5.0,
            axis_y + 17.0,
            axis_label(tick, step)
        );
    }
    let _ = writeln!(
        body,
        r#"<text x="10" y="{:.1}">time (s)</text>"#,
        axis_y + 17.0
    );

    // Legend of tasks, flowing over as many lines as needed.
    let mut ly = axis_y + 40.0;
    let _ = writeln!(
        body,
        r#"<text x="10" y="{:.1}" class="row">Tasks</text>"#,
        ly + 9.0
    );
    let mut lx = LEFT;
    for pid in t.running_pids() {
        let text = t.label(pid);
        let w = 16.0 + text.chars().count() as f64 * CHAR_W + 18.0;
        if lx + w > LEFT + PLOT && lx > LEFT {
            lx = LEFT;
            ly += 18.0;
        }
        let _ = writeln!(
            body,
            r#"<rect x="{lx:.1}" y="{ly:.1}" width="12" height="12" fill="{}"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            colour_of(pid),
            lx + 16.0,
            ly + 10.0,
            escape(&text)
        );
        lx += w;
    }
    let height = ly + 30.0;

    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {WIDTH:.0} {height:.0}\">\n\
         <style>text {{ font-family: monospace; font-size: 10px; }} .title {{ font-size: 14px; font-weight: bold; }} .row {{ font-size: 12px; font-weight: bold; }}</style>\n\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n\
         {body}</svg>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::export::{parse_trace, SEED_TRACE};

    fn seed_svg() -> String {
        to_svg(&Timeline::build(&parse_trace(SEED_TRACE).unwrap()))
    }

    #[test]
    fn colours_differ_between_neighbours() {
        let colours: Vec<String> = (0..40).map(task_colour).collect();
        assert!(colours.windows(2).all(|w| w[0] != w[1]));
        assert!(colours.iter().all(|c| c.len() == 7 && c.starts_with('#')));
        assert_eq!(text_on("#4e79a7"), "#fff");
        assert_eq!(text_on("#edc948"), "#000");
    }

    #[test]
    fn ticks_use_round_steps_and_enough_decimals() {
        assert_eq!(tick_step(6_031_100), 1_000_000);
        assert_eq!(tick_step(600), 100);
        assert_eq!(axis_label(1_320_000_000, 1_000_000), "1320");
        assert_eq!(axis_label(1_320_500_000, 500_000), "1320.5");
        assert_eq!(axis_label(1_320_000_020, 20), "1320.00002");
    }

    #[test]
    fn labels_that_would_overlap_go_to_the_next_line() {
        let label = |x: f64| Label {
            x,
            text: "exit raspbian_fork (17120)".into(),
            colour: EXIT,
            glyph: Glyph::Cross,
            tooltip: String::new(),
        };
        let (lines, count) = stack_labels(&[label(100.0), label(101.0), label(400.0)]);
        assert_eq!((lines, count), (vec![0, 1, 0], 2));
    }

    #[test]
    fn the_seed_story_is_drawn() {
        let svg = seed_svg();
        assert!(svg.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\""
        ));
        assert!(svg.ends_with("</svg>\n"));
        for cpu in 0..4 {
            assert!(svg.contains(&format!(">CPU {cpu}</text>")));
        }
        // Run slices of the parent on CPU 3 and of the child on CPU 2.
        assert_eq!(svg.matches("<title>raspbian_fork on CPU 3:").count(), 4);
        assert_eq!(svg.matches("<title>raspbian_fork on CPU 2:").count(), 4);
        assert!(svg.contains("fork → raspbian_fork (17121)"));
        assert!(svg.contains("exit raspbian_fork (17120)"));
        assert!(svg.contains("exit raspbian_fork (17121)"));
        assert!(svg.contains("SIGCHLD → bash (895)"));
        assert!(svg.contains("SIGCHLD → init (1)"));
        assert!(svg.contains("sched_wakeup_new raspbian_fork (17121) onto CPU 2"));
        assert!(svg.contains("stroke-dasharray"));
        // Legend and axis.
        assert!(svg.contains(">kworker/u8:0 (17108)</text>"));
        assert!(svg.contains(">1320</text>"));
        // Names are escaped.
        assert!(!svg.contains("<idle>"));
        assert_eq!(seed_svg(), svg, "output is deterministic");
    }
}
