//! The human summary as data: titled sections of (metric, value) rows, already formatted.
//!
//! The terminal table and the Markdown table render these same rows, so the two never disagree
//! about what a run's summary contains or how a number reads.

use super::human::{count, fixed, fraction, ms, percent, seconds, NONE};
use super::timeline::describe;
use crate::metrics::{
    Dropped, Failed, FailedReads, JobsLost, LostByCause, Messages, ObjectiveResult, Refused,
    Report, Slo, Undelivered,
};

/// More instances than this and the per-instance counts are abbreviated (with min and max added),
/// so a 100-instance fleet does not produce a 1,000-character cell.
pub(crate) const MAX_LISTED_INSTANCES: usize = 8;

/// One titled group of rows.
pub(crate) struct Section {
    pub(crate) title: &'static str,
    pub(crate) rows: Vec<(String, String)>,
}

impl Section {
    fn new(title: &'static str) -> Self {
        Self {
            title,
            rows: Vec::new(),
        }
    }

    fn row(mut self, metric: impl Into<String>, value: impl Into<String>) -> Self {
        self.rows.push((metric.into(), value.into()));
        self
    }
}

/// What identifies the run: the first rows in Markdown (the terminal table prints it as a title).
pub(crate) fn identity(report: &Report) -> Vec<(&'static str, String)> {
    vec![
        ("scenario", report.scenario.clone()),
        ("description", report.description.clone()),
        ("seed", report.seed.to_string()),
        ("simulated", seconds(report.simulated_seconds)),
        ("warm-up", seconds(report.warmup_seconds)),
        ("session store", report.session_store.clone()),
    ]
}

/// Succeeded over attempts that finished: those still in flight at the end have no outcome yet.
pub(crate) fn success_rate(report: &Report) -> String {
    let r = &report.requests;
    percent(r.succeeded, r.succeeded + r.failed.total())
}

/// Distinct sessions logged out, as a share of the sessions that started.
pub(crate) fn lost_share(report: &Report) -> String {
    percent(report.sessions.lost, report.sessions.started)
}

/// Reads one failure cause's count.
pub(crate) type CauseCount = fn(&Failed) -> u64;

/// Request failure causes in a fixed order, labelled as people say them.
pub(crate) const FAILURE_CAUSES: [(&str, CauseCount); 8] = [
    ("instance down", |f| f.instance_down),
    ("queue full", |f| f.queue_full),
    ("timeout", |f| f.timeout),
    ("store unavailable", |f| f.store_unavailable),
    ("session lost", |f| f.session_lost),
    ("killed", |f| f.killed),
    ("rate limited", |f| f.rejected_by_rate_limit),
    ("balancer down", |f| f.balancer_down),
];

/// Reads one lost-session cause's count.
pub(crate) type LostCount = fn(&LostByCause) -> u64;

/// Lost-session causes in a fixed order, labelled as people say them.
pub(crate) const LOST_CAUSES: [(&str, LostCount); 6] = [
    ("crash", |c| c.crash),
    ("scale-in", |c| c.scale_in),
    ("deploy", |c| c.deploy),
    ("re-routing", |c| c.rerouting),
    ("store failure", |c| c.store_failure),
    ("expired", |c| c.expired),
];

/// The non-zero lost-session causes, `crash 3,000 · re-routing 217`, or `None` if none is.
pub(crate) fn lost_by_cause(causes: &LostByCause) -> Option<String> {
    let parts: Vec<String> = LOST_CAUSES
        .iter()
        .filter(|(_, n)| n(causes) > 0)
        .map(|(cause, n)| format!("{cause} {}", count(n(causes))))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// A cause as people say it, and how to read its count from `T`.
type Cause<T> = (&'static str, fn(&T) -> u64);

/// Refused handshakes by cause, in a fixed order, labelled as people say them.
const REFUSAL_CAUSES: [Cause<Refused>; 7] = [
    ("balancer down", |r| r.balancer_down),
    ("instance down", |r| r.instance_down),
    ("queue full", |r| r.queue_full),
    ("over the per-instance limit", |r| r.over_limit),
    ("Redis down", |r| r.redis_down),
    ("timeout", |r| r.timeout),
    ("abandoned", |r| r.abandoned),
];

/// Connections dropped by the server side, by cause.
const DROP_CAUSES: [Cause<Dropped>; 5] = [
    ("crash", |d| d.crash),
    ("scale-in", |d| d.scale_in),
    ("deploy", |d| d.deploy),
    ("max age", |d| d.max_age),
    ("balancer down", |d| d.balancer_down),
];

/// Recipients who never got their message, by cause.
const UNDELIVERY_CAUSES: [Cause<Undelivered>; 4] = [
    ("not local", |u| u.not_local),
    ("instance down", |u| u.instance_down),
    ("Redis down", |u| u.redis_down),
    ("receiver gone", |u| u.receiver_gone),
];

/// The non-zero causes of `causes`, `crash 1,150 · max age 50`, or `None` if none is.
fn non_zero<T>(causes: &[Cause<T>], of: &T) -> Option<String> {
    let parts: Vec<String> = causes
        .iter()
        .filter(|(_, n)| n(of) > 0)
        .map(|(cause, n)| format!("{cause} {}", count(n(of))))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// Whether the run had connections and no HTTP traffic: its request figures mean nothing.
pub(crate) fn connections_only(report: &Report) -> bool {
    report.connections.is_some() && report.requests.sent == 0
}

/// Undelivered recipients as a share of all recipients: `2,242 (0.93 %)`.
fn undelivered(m: &Messages) -> String {
    let n = m.undelivered.total();
    format!("{} ({})", count(n), percent(n, m.recipients))
}

/// The connections and messages sections, when the run has connections.
fn connection_sections(report: &Report) -> Option<[Section; 2]> {
    let c = report.connections.as_ref()?;
    let mut connections = Section::new("connections")
        .row("users", count(c.users))
        .row("attempts", count(c.attempts))
        .row("opened", count(c.opened))
        .row("refused", count(c.refused.total()));
    if let Some(causes) = non_zero(&REFUSAL_CAUSES, &c.refused) {
        connections = connections.row("  by cause", causes);
    }
    connections = connections
        .row("handshaking at end", count(c.in_flight_at_end))
        .row("dropped", count(c.dropped.total()));
    if let Some(causes) = non_zero(&DROP_CAUSES, &c.dropped) {
        connections = connections.row("  by cause", causes);
    }
    let connections = connections
        .row("closed by users", count(c.closed_by_client))
        .row("reconnects", count(c.reconnects))
        .row("peak reconnects / s", count(c.peak_reconnects_per_s))
        .row("open at end", count(c.open_at_end))
        .row("peak open", count(c.peak_open))
        .row(
            "imbalance at end (max / mean)",
            fixed(c.imbalance_at_end, 3),
        )
        .row(
            "handshake p50 / p99 (ms)",
            format!("{} / {}", ms(c.handshake_ms.p50), ms(c.handshake_ms.p99)),
        );

    let m = report.messages.clone().unwrap_or_default();
    let mut messages = Section::new("messages")
        .row("sent", count(m.sent))
        .row("recipients", count(m.recipients))
        .row(
            "delivered",
            format!(
                "{} ({})",
                count(m.delivered),
                percent(m.delivered, m.recipients)
            ),
        )
        .row("undelivered", undelivered(&m));
    if let Some(causes) = non_zero(&UNDELIVERY_CAUSES, &m.undelivered) {
        messages = messages.row("  by cause", causes);
    }
    let l = &m.latency_ms;
    let messages = messages
        .row("in flight at end", count(m.in_flight_at_end))
        .row(
            "delivery p50 / p99 / p99.9 (ms)",
            format!("{} / {} / {}", ms(l.p50), ms(l.p99), ms(l.p999)),
        )
        .row("Redis pub/sub ops", count(m.redis_ops))
        .row("instance deliveries", count(m.instance_deliveries));
    Some([connections, messages])
}

/// Lost jobs by cause.
const JOB_LOSS_CAUSES: [Cause<JobsLost>; 4] = [
    ("crash", |l| l.crash),
    ("scale-in", |l| l.scale_in),
    ("deploy", |l| l.deploy),
    ("Redis data loss", |l| l.redis_data_loss),
];

/// Failed file reads by cause.
const READ_FAILURES: [Cause<FailedReads>; 2] = [
    ("elsewhere", |f| f.elsewhere),
    ("instance gone", |f| f.instance_gone),
];

/// The jobs and files sections, each when the run has it.
fn work_sections(report: &Report) -> Vec<Section> {
    let mut out = Vec::new();
    if let Some(j) = &report.jobs {
        let mut jobs = Section::new("jobs")
            .row("queue", j.queue.clone())
            .row("enqueued", count(j.enqueued))
            .row(
                "completed",
                format!(
                    "{} ({})",
                    count(j.completed),
                    percent(j.completed, j.enqueued)
                ),
            )
            .row("lost", count(j.lost.total()));
        if let Some(causes) = non_zero(&JOB_LOSS_CAUSES, &j.lost) {
            jobs = jobs.row("  by cause", causes);
        }
        let l = &j.latency_ms;
        out.push(
            jobs.row("redelivered (ran again)", count(j.redelivered))
                .row("waiting at end", count(j.waiting_at_end))
                .row("running at end", count(j.running_at_end))
                .row("enqueue failed (Redis down)", count(j.enqueue_failed))
                .row("Redis ops", count(j.redis_ops))
                .row(
                    "enqueue to done p50 / p99 / p99.9 (ms)",
                    format!("{} / {} / {}", ms(l.p50), ms(l.p99), ms(l.p999)),
                ),
        );
    }
    if let Some(f) = &report.files {
        let failed = f.failed_reads.total();
        let mut files = Section::new("files")
            .row("store", f.store.clone())
            .row("uploaded", count(f.uploaded))
            .row("reads", count(f.reads))
            .row(
                "failed reads",
                format!("{} ({})", count(failed), percent(failed, f.reads)),
            );
        if let Some(causes) = non_zero(&READ_FAILURES, &f.failed_reads) {
            files = files.row("  by cause", causes);
        }
        out.push(files);
    }
    out
}

/// Scale actions with their reversals in brackets: `12 (3)`.
pub(crate) fn scale_actions(report: &Report) -> String {
    let f = &report.fleet;
    format!("{} ({})", count(f.scale_actions), count(f.reversals))
}

/// An elasticity accuracy and its time share, `27.31 % · 54.63 % of time`: how much of the
/// demand was missing (or in surplus) on average, and for how much of the time.
pub(crate) fn provisioning(accuracy: f64, timeshare: f64) -> String {
    format!("{} · {} of time", fraction(accuracy), fraction(timeshare))
}

/// The p99 objective and how often the windows broke it: `250 ms · exceeded in 3 of 108 windows`.
pub(crate) fn objective(slo: &Slo) -> String {
    let windows = match slo.windows {
        1 => "window",
        _ => "windows",
    };
    format!(
        "{} ms · exceeded in {} of {} {windows}",
        ms(slo.p99_ms),
        count(slo.windows_over),
        count(slo.windows)
    )
}

/// A value of an objective's metric for people: `231 ms`, `99.93 %`, `3 sessions`.
pub(crate) fn objective_value(unit: &str, v: f64) -> String {
    match unit {
        "ms" => format!("{} ms", ms(v)),
        "%" => {
            // Rounded down to 4 decimals: a success share is never shown above what it was,
            // so 99.89996 % under `>= 99.9%` does not read as 99.9 %.
            let text = format!("{:.4}", (v * 1e4).floor() / 1e4);
            format!("{} %", text.trim_end_matches('0').trim_end_matches('.'))
        }
        _ => format!("{} {unit}", fixed(v, if v.fract() == 0.0 { 0 } else { 1 })),
    }
}

/// How a run fared against one objective: `met · worst window 231 ms (at 300 s) · over in 0 of
/// 54 windows`, or for a whole-run objective `not met · 3 sessions`.
pub(crate) fn objective_outcome(r: &ObjectiveResult) -> String {
    let verdict = if r.met { "met" } else { "NOT met" };
    let value = objective_value(r.unit, r.worst);
    match (r.windows, r.windows_over) {
        (Some(windows), Some(over)) => {
            let worst = match r.worst_window_t_s {
                Some(t) => format!("worst window {value} (at {})", seconds(t)),
                None => "no window to judge".to_owned(),
            };
            let plural = if windows == 1 { "window" } else { "windows" };
            format!(
                "{verdict} · {worst} · over in {} of {} {plural}",
                count(over),
                count(windows)
            )
        }
        _ => format!("{verdict} · {value}"),
    }
}

/// The objectives section, when the run has objectives.
fn objectives_section(report: &Report) -> Option<Section> {
    let results = report.objectives.as_ref()?;
    let met = results.iter().filter(|r| r.met).count();
    let mut section = Section::new("objectives").row(
        "met",
        format!("{} of {}", count(met as u64), count(results.len() as u64)),
    );
    for r in results {
        section = section.row(r.objective.clone(), objective_outcome(r));
    }
    Some(section)
}

/// The rows measured in wall-clock time: the only ones that differ between two runs of one
/// scenario and seed (left out where output must be reproducible).
pub(crate) const WALL_CLOCK_ROWS: [&str; 2] = ["wall time", "events / s"];

/// The summary's numbers, section by section, in the order people read them: what was asked and
/// what failed, who was logged out, what became of the connections and their messages (when the
/// run has any), how fast it was, what it cost, how even it was, how long the simulation itself
/// took.
///
/// A run with connections and no HTTP traffic opens with its connections and messages, and its
/// requests say so in one row in place of sections of zeros: it has no sessions, request latency
/// or requests per instance to show.
pub(crate) fn sections(report: &Report) -> Vec<Section> {
    let connections = connection_sections(report);
    let objectives = objectives_section(report);
    if connections_only(report) {
        let [connections, messages] = connections.expect("connections-only runs have them");
        let [_, _, _, fleet, _, engine] = http_sections(report);
        let requests = Section::new("requests").row("sent", "none: connections only");
        let mut out: Vec<Section> = objectives.into_iter().collect();
        out.extend([connections, messages, requests, fleet]);
        out.extend(group_section(report));
        out.push(engine);
        return out;
    }
    let [requests, sessions, latency, fleet, balance, engine] = http_sections(report);
    let mut out: Vec<Section> = objectives.into_iter().collect();
    out.extend([requests, sessions]);
    out.extend(connections.into_iter().flatten());
    out.extend(work_sections(report));
    out.extend([latency, fleet]);
    out.extend(group_section(report));
    out.extend([balance, engine]);
    out
}

/// `2` as `2`, `1.5` as `1.5`: a group's speed as written.
fn speed(v: f64) -> String {
    let text = format!("{v:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The instance groups, when the scenario declares them: each group's size, how busy its
/// workers were, what it served and refused, its latency and its cost; then the fleet's cost.
fn group_section(report: &Report) -> Option<Section> {
    let groups = report.groups.as_ref()?;
    let mut section = Section::new("groups");
    for g in groups {
        section = section
            .row(
                g.name.clone(),
                format!(
                    "{} launched · {} workers · speed {} · weight {}",
                    count(g.launched),
                    count(u64::from(g.workers)),
                    speed(g.speed),
                    count(u64::from(g.weight))
                ),
            )
            .row("  utilization per worker", fraction(g.utilization))
            .row(
                "  requests (queue full)",
                format!("{} ({})", count(g.requests), count(g.queue_full)),
            )
            .row(
                "  p50 / p99 (ms)",
                format!("{} / {}", ms(g.latency_ms.p50), ms(g.latency_ms.p99)),
            )
            .row(
                "  instance-seconds (cost)",
                format!("{} ({})", fixed(g.instance_seconds, 1), fixed(g.cost, 2)),
            );
    }
    let total: f64 = groups.iter().map(|g| g.cost).sum();
    Some(section.row("cost", fixed(total, 2)))
}

/// The sections every run has.
fn http_sections(report: &Report) -> [Section; 6] {
    let r = &report.requests;
    let mut requests = Section::new("requests")
        .row("sent", count(r.sent))
        .row("succeeded", count(r.succeeded))
        .row("failed", count(r.failed.total()));
    for (cause, failed) in FAILURE_CAUSES {
        requests = requests.row(format!("  {cause}"), count(failed(&r.failed)));
    }
    if report.files.is_some() {
        requests = requests.row("  file not found", count(r.failed.file_not_found));
    }
    let mut requests = requests
        .row("in flight at end", count(r.in_flight_at_end))
        .row("retries", count(r.retries))
        .row("success rate", success_rate(report));
    if let Some(cache) = &report.cache {
        let lookups = cache.hits + cache.misses;
        requests = requests.row(
            "cache hit ratio",
            format!("{} of {}", percent(cache.hits, lookups), count(lookups)),
        );
    }
    if let Some(limit) = &report.rate_limit {
        requests = requests.row(
            "admitted over user limit",
            count(limit.admitted_over_user_limit),
        );
    }

    let s = &report.sessions;
    let mut sessions = Section::new("sessions")
        .row("started", count(s.started))
        .row("completed", count(s.completed))
        .row(
            "lost",
            format!("{} ({} of started)", count(s.lost), lost_share(report)),
        );
    if let Some(causes) = lost_by_cause(&s.lost_by_cause) {
        sessions = sessions.row("  by cause", causes);
    }
    sessions = sessions.row("relogins", count(s.relogins));
    let v = &report.revocation;
    if v.revoked > 0 {
        sessions = sessions
            .row("revoked", count(v.revoked))
            .row(
                "  usable after revoke (max / mean)",
                format!(
                    "{} / {}",
                    seconds(v.exposure_seconds),
                    seconds(v.mean_exposure_seconds)
                ),
            )
            .row("  requests after revoke", count(v.requests_after_revoke));
    }

    let l = &report.latency_ms;
    let mut latency = Section::new("latency (ms)")
        .row("mean", ms(l.mean))
        .row("p50", ms(l.p50))
        .row("p90", ms(l.p90))
        .row("p95", ms(l.p95))
        .row("p99", ms(l.p99))
        .row("p99.9", ms(l.p999))
        .row("max", ms(l.max));
    if let Some(slo) = &report.slo {
        latency = latency.row("p99 objective", objective(slo));
    }

    let f = &report.fleet;
    let e = &f.elasticity;
    let fleet = Section::new("fleet")
        .row("instance-seconds", fixed(f.instance_seconds, 1))
        .row("launched", count(f.launched))
        .row("terminated", count(f.terminated))
        .row("crashed", count(f.crashed))
        .row("peak", count(f.peak))
        .row("mean", fixed(f.mean, 2))
        .row("final", count(f.r#final))
        .row("scale actions (reversals)", scale_actions(report))
        .row(
            "under-provisioned",
            provisioning(e.under_accuracy, e.under_timeshare),
        )
        .row(
            "over-provisioned",
            provisioning(e.over_accuracy, e.over_timeshare),
        )
        .row("instability", fraction(e.instability));

    let b = &report.balance;
    let mut balance = Section::new("balance")
        .row("imbalance (max / mean)", fixed(b.imbalance, 3))
        .row(
            "requests per instance",
            per_instance(&b.requests_per_instance),
        );
    if b.requests_per_instance.len() > MAX_LISTED_INSTANCES {
        let min = b.requests_per_instance.iter().min().copied().unwrap_or(0);
        let max = b.requests_per_instance.iter().max().copied().unwrap_or(0);
        balance = balance.row("  min / max", format!("{} / {}", count(min), count(max)));
    }

    let e = &report.engine;
    let engine = Section::new("engine")
        .row("events", count(e.events))
        .row(WALL_CLOCK_ROWS[0], seconds(e.wall_seconds))
        .row(WALL_CLOCK_ROWS[1], fixed(e.events_per_second, 0));

    [requests, sessions, latency, fleet, balance, engine]
}

/// The scenario's events as (when, what) rows, or `None` when nothing happened. Kept apart from
/// [`sections`] because its rows are sentences, not numbers: the terminal prints them as lines
/// under the table rather than widening the value column.
pub(crate) fn timeline(report: &Report) -> Option<Section> {
    if report.timeline.is_empty() {
        return None;
    }
    let section = report
        .timeline
        .iter()
        .fold(Section::new("timeline"), |section, entry| {
            // Operations that touch no session (a scale-up, a failover) read as plain events.
            let what = describe(&entry.event);
            let what = match entry.sessions_affected {
                0 => what,
                n => format!("{what}: {} sessions affected", count(n)),
            };
            section.row(seconds(entry.t_s), what)
        });
    Some(section)
}

/// `a · b · c` for a few instances; the first [`MAX_LISTED_INSTANCES`] and how many more for many.
pub(crate) fn per_instance(counts: &[u64]) -> String {
    if counts.is_empty() {
        return NONE.to_owned();
    }
    let listed: Vec<String> = counts
        .iter()
        .take(MAX_LISTED_INSTANCES)
        .map(|&n| count(n))
        .collect();
    let mut text = listed.join(" · ");
    if counts.len() > MAX_LISTED_INSTANCES {
        text.push_str(&format!(
            " · … (+{} more)",
            counts.len() - MAX_LISTED_INSTANCES
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn a_few_instances_are_all_listed() {
        assert_eq!(per_instance(&[1_000, 2, 30_000]), "1,000 · 2 · 30,000");
        assert_eq!(per_instance(&[]), NONE);
    }

    #[test]
    fn many_instances_are_abbreviated_with_min_and_max() {
        let mut report = fixtures::crash_sticky();
        report.balance.requests_per_instance = (1..=20).map(|i| i * 1_000).collect();
        // 20 instances: the first 8 listed, 12 more elided.
        assert_eq!(
            per_instance(&report.balance.requests_per_instance),
            "1,000 · 2,000 · 3,000 · 4,000 · 5,000 · 6,000 · 7,000 · 8,000 · … (+12 more)"
        );
        let balance = sections(&report)
            .into_iter()
            .find(|s| s.title == "balance")
            .expect("a balance section");
        assert!(balance
            .rows
            .contains(&("  min / max".to_owned(), "1,000 / 20,000".to_owned())));
    }

    #[test]
    fn success_rate_ignores_requests_still_in_flight() {
        let mut report = fixtures::crash_sticky();
        report.requests.sent = 110;
        report.requests.succeeded = 90;
        report.requests.failed = Default::default();
        report.requests.failed.timeout = 10;
        report.requests.in_flight_at_end = 10;
        // 90 succeeded of 100 finished; the 10 in flight have no outcome yet.
        assert_eq!(success_rate(&report), "90.00 %");
    }

    fn section(report: &Report, title: &str) -> Vec<(String, String)> {
        sections(report)
            .into_iter()
            .find(|s| s.title == title)
            .unwrap_or_else(|| panic!("a {title} section"))
            .rows
    }

    fn has_metric(rows: &[(String, String)], metric: &str) -> bool {
        rows.iter().any(|(m, _)| m == metric)
    }

    #[test]
    fn lost_sessions_are_split_by_their_non_zero_causes_only() {
        let mut report = fixtures::crash_sticky();
        report.sessions.lost_by_cause.crash = 3_000;
        report.sessions.lost_by_cause.rerouting = 217;
        let rows = section(&report, "sessions");
        assert!(rows.contains(&(
            "  by cause".to_owned(),
            "crash 3,000 · re-routing 217".to_owned()
        )));
        // Nobody lost: no row at all.
        let rows = section(&fixtures::crash_redis(), "sessions");
        assert!(!has_metric(&rows, "  by cause"));
    }

    #[test]
    fn revocation_is_shown_only_when_something_was_revoked() {
        let mut report = fixtures::crash_sticky();
        assert!(!has_metric(&section(&report, "sessions"), "revoked"));
        report.revocation.revoked = 40;
        report.revocation.exposure_seconds = 900.0;
        report.revocation.mean_exposure_seconds = 437.5;
        report.revocation.requests_after_revoke = 1_234;
        let rows = section(&report, "sessions");
        assert!(rows.contains(&("revoked".to_owned(), "40".to_owned())));
        assert!(rows.contains(&(
            "  usable after revoke (max / mean)".to_owned(),
            "900 s / 437.5 s".to_owned()
        )));
        assert!(rows.contains(&("  requests after revoke".to_owned(), "1,234".to_owned())));
    }

    #[test]
    fn cache_and_rate_limit_rows_appear_when_the_run_has_them() {
        let mut report = fixtures::crash_sticky();
        let rows = section(&report, "requests");
        assert!(!has_metric(&rows, "cache hit ratio"));
        assert!(!has_metric(&rows, "admitted over user limit"));
        report.cache = Some(crate::metrics::Cache {
            hits: 750,
            misses: 250,
            hit_ratio: 0.75,
        });
        report.rate_limit = Some(crate::metrics::RateLimit {
            rejected: 0,
            admitted_over_user_limit: 12,
        });
        let rows = section(&report, "requests");
        assert!(rows.contains(&("cache hit ratio".to_owned(), "75.00 % of 1,000".to_owned())));
        assert!(rows.contains(&("admitted over user limit".to_owned(), "12".to_owned())));
    }

    #[test]
    fn the_p99_objective_row_says_how_many_windows_exceeded_it() {
        let mut report = fixtures::crash_sticky();
        assert!(!has_metric(
            &section(&report, "latency (ms)"),
            "p99 objective"
        ));
        // 18 min measured in 10 s windows: 108 windows, 3 of them over 250 ms.
        report.slo = Some(Slo {
            p99_ms: 250.0,
            windows: 108,
            windows_over: 3,
        });
        let rows = section(&report, "latency (ms)");
        assert_eq!(
            rows.last(),
            Some(&(
                "p99 objective".to_owned(),
                "250 ms · exceeded in 3 of 108 windows".to_owned()
            ))
        );
        report.slo = Some(Slo {
            p99_ms: 1_500.0,
            windows: 1,
            windows_over: 0,
        });
        assert_eq!(
            objective(report.slo.as_ref().unwrap()),
            "1,500 ms · exceeded in 0 of 1 window"
        );
    }

    #[test]
    fn the_fleet_shows_scale_actions_and_elasticity() {
        let mut report = fixtures::crash_sticky();
        report.fleet.scale_actions = 7;
        report.fleet.reversals = 1;
        let rows = section(&report, "fleet");
        let expected = [
            ("final", "1"),
            ("scale actions (reversals)", "7 (1)"),
            // 295 / 1,080 of demand missing, 590 s of 1,080 s under.
            ("under-provisioned", "27.31 % · 54.63 % of time"),
            ("over-provisioned", "0.00 % · 0.00 % of time"),
            // 1 of 107 window pairs.
            ("instability", "0.93 %"),
        ];
        for (metric, value) in expected {
            assert!(
                rows.contains(&(metric.to_owned(), value.to_owned())),
                "{metric}: {rows:?}"
            );
        }
    }

    fn titles(report: &Report) -> Vec<&'static str> {
        sections(report).iter().map(|s| s.title).collect()
    }

    #[test]
    fn connections_and_messages_follow_sessions_only_when_the_run_has_them() {
        let plain = [
            "requests",
            "sessions",
            "latency (ms)",
            "fleet",
            "balance",
            "engine",
        ];
        assert_eq!(titles(&fixtures::crash_sticky()), plain);
        assert_eq!(
            titles(&fixtures::crash_sticky_with_connections()),
            [
                "requests",
                "sessions",
                "connections",
                "messages",
                "latency (ms)",
                "fleet",
                "balance",
                "engine"
            ]
        );
    }

    #[test]
    fn the_connections_section_accounts_for_every_attempt() {
        let rows = section(&fixtures::crash_sticky_with_connections(), "connections");
        let expected = [
            ("users", "4,000"),
            ("attempts", "5,262"),
            ("opened", "5,150"),
            ("refused", "110"),
            ("  by cause", "instance down 95 · timeout 12 · abandoned 3"),
            ("handshaking at end", "2"),
            ("dropped", "1,200"),
            ("  by cause", "crash 1,150 · max age 50"),
            ("closed by users", "2,310"),
            ("reconnects", "1,262"),
            ("peak reconnects / s", "412"),
            ("open at end", "1,640"),
            ("peak open", "2,050"),
            ("imbalance at end (max / mean)", "1.000"),
            ("handshake p50 / p99 (ms)", "2.41 / 18.7"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|&(m, v)| (m.to_owned(), v.to_owned()))
            .collect();
        assert_eq!(rows, expected);
    }

    #[test]
    fn the_messages_section_shows_delivery_and_its_cost() {
        let rows = section(&fixtures::crash_sticky_with_connections(), "messages");
        let expected = [
            ("sent", "48,000"),
            ("recipients", "240,000"),
            // 237,741 / 240,000 = 99.059 %.
            ("delivered", "237,741 (99.06 %)"),
            ("undelivered", "2,242 (0.93 %)"),
            ("  by cause", "instance down 1,830 · receiver gone 412"),
            ("in flight at end", "17"),
            ("delivery p50 / p99 / p99.9 (ms)", "1.20 / 9.87 / 45.6"),
            ("Redis pub/sub ops", "47,950"),
            ("instance deliveries", "95,900"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|&(m, v)| (m.to_owned(), v.to_owned()))
            .collect();
        assert_eq!(rows, expected);
    }

    #[test]
    fn causes_that_never_happened_are_left_out() {
        let mut report = fixtures::crash_sticky_with_connections();
        let c = report.connections.as_mut().unwrap();
        c.refused = Default::default();
        c.dropped = Default::default();
        report.messages.as_mut().unwrap().undelivered = Default::default();
        for title in ["connections", "messages"] {
            let rows = section(&report, title);
            assert!(!has_metric(&rows, "  by cause"), "{title}");
        }
    }

    #[test]
    fn a_run_with_connections_only_leads_with_them_and_shows_no_request_zeros() {
        let report = fixtures::chat_only();
        assert_eq!(
            titles(&report),
            ["connections", "messages", "requests", "fleet", "engine"]
        );
        assert_eq!(
            section(&report, "requests"),
            [("sent".to_owned(), "none: connections only".to_owned())]
        );
    }

    #[test]
    fn the_timeline_appears_only_when_something_happened() {
        let mut report = fixtures::crash_sticky();
        let events = timeline(&report).expect("the crash").rows;
        assert_eq!(
            events,
            [(
                "600 s".to_owned(),
                "crash instance 1: 3,305 sessions affected".to_owned()
            )]
        );
        report.timeline[0].sessions_affected = 0;
        assert_eq!(timeline(&report).unwrap().rows[0].1, "crash instance 1");
        report.timeline.clear();
        assert!(timeline(&report).is_none());
    }
}
