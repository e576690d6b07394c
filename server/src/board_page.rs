//! The leaderboard page's HTML (maud escapes every value) and its chart,
//! an inline SVG of the best score per dataset version.

use maud::{DOCTYPE, Markup, html};

use crate::board::{BoardParams, PageData};

const STYLE: &str = "
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:12px 24px;display:flex;justify-content:space-between;align-items:baseline}
header h1{font-size:18px;margin:0;font-weight:600}header small{opacity:.75}
.wrap{display:flex;gap:24px;padding:20px 24px}
nav{min-width:190px}nav h2,main h2{font-size:13px;text-transform:uppercase;letter-spacing:.06em;color:#5b6475;margin:0 0 8px}
nav ul{list-style:none;padding:0;margin:0 0 16px}nav li{margin:2px 0}
nav a{color:#1d2330;text-decoration:none;padding:2px 6px;border-radius:4px;display:inline-block}
nav a.on{background:#dfe7ff;font-weight:600}nav .v{margin-left:14px;font-size:13px}
main{flex:1;min-width:0}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #e2e5ea;font-variant-numeric:tabular-nums}
th,td{padding:6px 10px;border-bottom:1px solid #eef0f3;text-align:left;white-space:nowrap}
th a{color:#1d2330;text-decoration:none}th.sorted{background:#eef3ff}
td.num{text-align:right}tr:hover td{background:#fafbfc}
form{margin:0 0 14px;display:flex;gap:8px;align-items:center}
input{padding:4px 8px;border:1px solid #cfd4dc;border-radius:4px}
.cards{display:flex;gap:16px;margin:18px 0;flex-wrap:wrap}
.card{background:#fff;border:1px solid #e2e5ea;border-radius:6px;padding:12px 16px;min-width:260px}
.card dl{display:grid;grid-template-columns:auto auto;gap:2px 14px;margin:0}.card dt{color:#5b6475}
.empty{color:#5b6475;padding:16px;background:#fff;border:1px dashed #cfd4dc}
";

pub(crate) fn render(p: &BoardParams, d: &PageData) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Leaderboard · Valence" }
                style { (maud::PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { "Valence leaderboard" }
                    small id="identity" { "store " (d.store) " · valence " (env!("CARGO_PKG_VERSION")) }
                }
                div.wrap {
                    (datasets_nav(p, d))
                    main {
                        (filters(p))
                        (table(p, d))
                        div.cards {
                            (chart(p, d))
                            (card(d))
                        }
                    }
                }
            }
        }
    }
}

fn datasets_nav(p: &BoardParams, d: &PageData) -> Markup {
    html! {
        nav id="datasets" {
            h2 { "Datasets" }
            ul {
                li { a class=[p.dataset.is_none().then_some("on")] href=(p.with(|q| { q.dataset = None; q.version = None; })) { "all datasets" } }
                @for (name, versions) in &d.datasets {
                    @let on = p.dataset.as_deref() == Some(name.as_str());
                    li {
                        a class=[(on && p.version.is_none()).then_some("on")]
                          href=(p.with(|q| { q.dataset = Some(name.clone()); q.version = None; })) { (name) }
                        @for v in versions {
                            br;
                            a.v class=[(on && p.version == Some(*v)).then_some("on")] data-version=(v)
                              href=(p.with(|q| { q.dataset = Some(name.clone()); q.version = Some(*v); })) { "version " (v) }
                        }
                    }
                }
            }
        }
    }
}

fn filters(p: &BoardParams) -> Markup {
    html! {
        form method="get" action="/leaderboard" {
            @if let Some(ds) = &p.dataset { input type="hidden" name="dataset" value=(ds); }
            @if let Some(v) = p.version { input type="hidden" name="version" value=(v); }
            @if let Some(m) = &p.metric { input type="hidden" name="metric" value=(m); }
            @if let Some(o) = &p.order { input type="hidden" name="order" value=(o); }
            label { "model " input name="model" value=[p.model.as_deref()] placeholder="contains"; }
            label { "tag " input name="tag" value=[p.tag.as_deref()] placeholder="key=value"; }
            input type="submit" value="Filter";
        }
    }
}

fn table(p: &BoardParams, d: &PageData) -> Markup {
    let b = &d.board;
    let desc = p.order.as_deref() != Some("asc");
    if b.runs.is_empty() {
        return html! { p.empty id="no-runs" { "No evaluation run matches. Post runs to /v1/evaluations or IMPORT EVALUATIONS." } };
    }
    html! {
        table id="board" data-metric=[b.metric.as_deref()] {
            thead { tr {
                th { "#" } th { "model" }
                @for m in &b.metrics {
                    @let sorted = b.metric.as_deref() == Some(m.as_str());
                    // Clicking the ranking column flips the order; another column ranks by it.
                    @let order = if sorted && desc { "asc" } else { "desc" };
                    th class=[sorted.then_some("sorted")] {
                        a href=(p.with(|q| { q.metric = Some(m.clone()); q.order = Some(order.into()); })) {
                            (m) @if sorted { @if desc { " ▼" } @else { " ▲" } }
                        }
                    }
                }
                th { "split" } th { "tags" } th { "dataset" } th { "created" }
            } }
            tbody {
                @for (i, r) in b.runs.iter().enumerate() {
                    tr data-run=(r.run_id) {
                        td.num { (i + 1) }
                        td.model { (r.model) }
                        @for m in &b.metrics {
                            td.num { @if let Some(v) = r.metrics.get(m) { (valence_dsl::format_float(*v)) } }
                        }
                        td { (r.split.as_deref().unwrap_or("")) }
                        td { (r.tags.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")) }
                        td { (r.dataset) "@" (r.version) }
                        td { (valence_engine::format_utc(r.created)) }
                    }
                }
            }
        }
    }
}

/// Best score per version of the selected dataset, as an inline SVG line.
fn chart(p: &BoardParams, d: &PageData) -> Markup {
    let Some(metric) = d.board.metric.as_deref() else {
        return html! {};
    };
    if p.dataset.is_none() || d.trend.is_empty() {
        return html! {};
    }
    let (w, h, pad) = (360.0_f64, 170.0_f64, 30.0_f64);
    let lo = d.trend.iter().map(|t| t.1).fold(f64::INFINITY, f64::min);
    let hi = d
        .trend
        .iter()
        .map(|t| t.1)
        .fold(f64::NEG_INFINITY, f64::max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let n = d.trend.len().max(2) as f64 - 1.0;
    let pts: Vec<(f64, f64, u32, f64)> = d
        .trend
        .iter()
        .enumerate()
        .map(|(i, (v, y))| {
            let x = pad + (w - 2.0 * pad) * (i as f64 / n);
            let yy = h - pad - (h - 2.0 * pad) * ((y - lo) / span);
            (x, yy, *v, *y)
        })
        .collect();
    let line: Vec<String> = pts
        .iter()
        .map(|(x, y, _, _)| format!("{x:.1},{y:.1}"))
        .collect();
    html! {
        div.card {
            h2 { "Best " (metric) " by version" }
            svg id="best-by-version" width=(w) height=(h) viewBox={"0 0 " (w) " " (h)} role="img"
                aria-label={"best " (metric) " per version"} {
                line x1=(pad) y1=(h - pad) x2=(w - pad) y2=(h - pad) stroke="#cfd4dc" {}
                polyline points=(line.join(" ")) fill="none" stroke="#3a62d8" stroke-width="2" {}
                @for (x, y, v, val) in &pts {
                    circle cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="4" fill="#3a62d8" data-version=(v) {}
                    text x=(format!("{x:.1}")) y=(format!("{:.1}", h - 10.0)) text-anchor="middle" font-size="11" { "v" (v) }
                    text x=(format!("{x:.1}")) y=(format!("{:.1}", y - 8.0)) text-anchor="middle" font-size="11" { (valence_dsl::format_float(*val)) }
                }
            }
        }
    }
}

fn card(d: &PageData) -> Markup {
    let Some(c) = &d.card else {
        return html! {};
    };
    let in_range = if c.report.is_empty() {
        None
    } else {
        Some(
            c.report
                .iter()
                .map(|r| r.in_range_rate * r.count as f64)
                .sum::<f64>()
                / c.report
                    .iter()
                    .map(|r| r.count as f64)
                    .sum::<f64>()
                    .max(1.0),
        )
    };
    html! {
        div.card id="dataset-card" {
            h2 { (c.name) "@" (c.version) }
            dl {
                dt { "rows" } dd { (c.rows) }
                @for (label, n) in &c.label_rows { dt { "label " (label) } dd { (n) } }
                @if let Some(r) = in_range { dt { "in range" } dd { (format!("{:.1}%", r * 100.0)) } }
                @if let Some((g, v)) = &c.graph { dt { "graph" } dd { (g) "@" (v) } }
                @if let Some(s) = c.seed { dt { "seed" } dd { (s) } }
                @for (k, v) in valence_dsl::reports::quality_lines(&c.quality) { dt { (k) } dd { (v) } }
            }
        }
    }
}
