//! The slot engine: a pure function over sorted interval lists.
//!
//! Times are whole seconds since the Unix epoch. For each staff member, candidate starts
//! walk each open window from its start in steps of the slot interval; a candidate is
//! offered when the service fits in the window, its buffered range
//! `[start - buffer_before, start + duration + buffer_after)` overlaps no busy range,
//! and it lies within the notice and advance limits. Busy ranges are walked with one
//! pointer, and a conflict jumps straight past the busy range, so the work is linear in
//! windows + busy ranges + offered slots.

use std::collections::HashMap;

use chrono::NaiveDate;
use chrono_tz::Tz;
use shared::time::{Edge, Hours, MinuteOfDay, local_instant};

/// A half-open interval `[start, end)` in epoch seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    pub start: i64,
    pub end: i64,
}

#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub duration: i64,
    pub buffer_before: i64,
    pub buffer_after: i64,
    /// Distance between candidate starts.
    pub step: i64,
    /// No start before this (now + minimum notice).
    pub earliest: i64,
    /// No start after this (now + maximum advance).
    pub latest: i64,
}

/// Sort and merge overlapping or touching busy ranges, so their ends ascend too.
pub fn normalize(busy: &mut Vec<Span>) {
    if !busy.is_sorted_by_key(|s| s.start) {
        sort_by_start(busy);
    }
    // Merge in place: `kept` ranges are final, the rest is still to look at.
    let mut kept = 0;
    for i in 0..busy.len() {
        let span = busy[i];
        if kept > 0 && span.start <= busy[kept - 1].end {
            busy[kept - 1].end = busy[kept - 1].end.max(span.end);
        } else {
            busy[kept] = span;
            kept += 1;
        }
    }
    busy.truncate(kept);
}

/// Order by start (ties in any order: the merge keeps the furthest end). Long lists use
/// an LSD radix sort on the offset from the earliest start, 11 bits a pass: linear, where
/// a comparison sort of 10 000 ranges costs several times more.
fn sort_by_start(busy: &mut Vec<Span>) {
    const BITS: u32 = 11;
    let (Some(min), Some(max)) = (busy.iter().map(|s| s.start).min(), busy.iter().map(|s| s.start).max()) else {
        return;
    };
    let range = max.abs_diff(min);
    if busy.len() < 256 {
        busy.sort_unstable_by_key(|s| s.start);
        return;
    }
    let passes = (u64::BITS - range.leading_zeros()).div_ceil(BITS);
    let mut from = std::mem::take(busy);
    let mut to = vec![Span { start: 0, end: 0 }; from.len()];
    for pass in 0..passes {
        let shift = pass * BITS;
        let digit = |s: &Span| ((s.start.abs_diff(min) >> shift) & ((1 << BITS) - 1)) as usize;
        let mut counts = [0usize; 1 << BITS];
        for s in &from {
            counts[digit(s)] += 1;
        }
        let mut offset = 0;
        for c in counts.iter_mut() {
            let n = *c;
            *c = offset;
            offset += n;
        }
        for s in &from {
            let d = digit(s);
            to[counts[d]] = *s;
            counts[d] += 1;
        }
        std::mem::swap(&mut from, &mut to);
    }
    *busy = from;
}

/// Offered starts for one staff member, ascending, appended to `out`.
/// `busy` must be normalized (see [`normalize`]).
pub fn staff_slots(open: &[Span], busy: &[Span], rules: &Rules, out: &mut Vec<i64>) {
    let step = rules.step.max(1);
    for window in open {
        // The first busy range that can touch this window's first candidate.
        let mut p = busy.partition_point(|b| b.end <= window.start - rules.buffer_before);
        // First lattice point at or after `earliest`.
        let mut t = window.start;
        if t < rules.earliest {
            t = window.start + ceil_div(rules.earliest - window.start, step) * step;
        }
        while t + rules.duration <= window.end && t <= rules.latest {
            let (from, until) = (t - rules.buffer_before, t + rules.duration + rules.buffer_after);
            while p < busy.len() && busy[p].end <= from {
                p += 1;
            }
            match busy.get(p) {
                Some(b) if b.start < until => {
                    // Jump to the first lattice point whose buffered range starts at or
                    // after this busy range ends.
                    let need = b.end + rules.buffer_before;
                    t = window.start + ceil_div(need - window.start, step) * step;
                }
                _ => {
                    out.push(t);
                    t += step;
                }
            }
        }
    }
}

/// One staff member's inputs: hours (local) and busy ranges (normalized).
#[derive(Debug, Clone, Default)]
pub struct StaffInput {
    pub hours: Hours,
    pub busy: Vec<Span>,
}

/// Offered starts on local dates `from..=to` in `tz`, each with the indexes of the staff
/// members free then: one pass per staff member over their windows and busy ranges.
pub fn compute(tz: Tz, from: NaiveDate, to: NaiveDate, staff: &[StaffInput], rules: &Rules) -> Vec<(i64, Vec<usize>)> {
    let mut per_staff = Vec::with_capacity(staff.len());
    let mut open = Vec::new();
    // Staff mostly share hours: resolve each local window on each date once.
    let mut resolved: HashMap<(NaiveDate, MinuteOfDay, MinuteOfDay), Option<Span>> = HashMap::new();
    for input in staff {
        open.clear();
        for date in from.iter_days().take_while(|d| *d <= to) {
            let (_, windows) = input.hours.local_on(date);
            for &(s, e) in windows {
                let span = *resolved.entry((date, s, e)).or_insert_with(|| {
                    let (start, end) = (local_instant(tz, date, s, Edge::Start), local_instant(tz, date, e, Edge::End));
                    (end > start).then(|| Span { start: start.timestamp(), end: end.timestamp() })
                });
                open.extend(span);
            }
        }
        // Windows of one date in start order (they may be stored in any order).
        open.sort_unstable();
        let mut starts = Vec::new();
        staff_slots(&open, &input.busy, rules, &mut starts);
        // Overlapping windows could offer one start twice.
        starts.sort_unstable();
        starts.dedup();
        per_staff.push(starts);
    }
    if per_staff.len() == 1 {
        // One staff member: already sorted, nothing to merge.
        return per_staff.pop().unwrap_or_default().into_iter().map(|t| (t, vec![0])).collect();
    }
    any_staff(&per_staff)
}

/// The union over staff: each start once, with the indexes of the staff free then.
pub fn any_staff(per_staff: &[Vec<i64>]) -> Vec<(i64, Vec<usize>)> {
    let mut all: Vec<(i64, usize)> =
        per_staff.iter().enumerate().flat_map(|(i, starts)| starts.iter().map(move |&t| (t, i))).collect();
    // A stable sort merges the already sorted runs (one per staff member) cheaply.
    all.sort();
    let mut out: Vec<(i64, Vec<usize>)> = Vec::new();
    for (t, i) in all {
        match out.last_mut() {
            Some((last, staff)) if *last == t => staff.push(i),
            _ => out.push((t, vec![i])),
        }
    }
    out
}

fn ceil_div(a: i64, b: i64) -> i64 {
    if a <= 0 { 0 } else { (a + b - 1) / b }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const M: i64 = 60;

    fn rules(duration: i64, bb: i64, ba: i64, step: i64) -> Rules {
        Rules {
            duration: duration * M,
            buffer_before: bb * M,
            buffer_after: ba * M,
            step: step * M,
            earliest: i64::MIN / 4,
            latest: i64::MAX / 4,
        }
    }

    fn span(a: i64, b: i64) -> Span {
        Span { start: a * M, end: b * M }
    }

    fn slots(open: &[Span], busy: &[Span], r: &Rules) -> Vec<i64> {
        let mut busy = busy.to_vec();
        normalize(&mut busy);
        let mut out = Vec::new();
        staff_slots(open, &busy, r, &mut out);
        out.into_iter().map(|t| t / M).collect()
    }

    #[test]
    fn lattice_from_window_start_and_fit() {
        // 09:00-10:00, 30 min service every 15 min: 09:00, 09:15, 09:30.
        assert_eq!(slots(&[span(540, 600)], &[], &rules(30, 0, 0, 15)), vec![540, 555, 570]);
        // The lattice starts at the window start, not at the hour.
        assert_eq!(slots(&[span(545, 600)], &[], &rules(30, 0, 0, 15)), vec![545, 560]);
    }

    #[test]
    fn buffers_on_both_sides_keep_clear_of_bookings() {
        // Busy 10:00-10:30; service 30 min with 10 min buffers on each side.
        let r = rules(30, 10, 10, 15);
        let got = slots(&[span(540, 720)], &[span(600, 630)], &r);
        // 09:15 ends 09:45 +10 = 09:55 ok; 09:30 ends 10:10 → conflict; next start with
        // start-10 >= 10:30 is 10:45 on the 15-minute lattice.
        assert_eq!(got, vec![540, 555, 645, 660, 675, 690]);
    }

    #[test]
    fn notice_and_advance_limits() {
        let mut r = rules(30, 0, 0, 15);
        r.earliest = 560 * M;
        r.latest = 600 * M;
        assert_eq!(slots(&[span(540, 720)], &[], &r), vec![570, 585, 600]);
    }

    #[test]
    fn long_busy_lists_sort_and_merge_like_short_ones() {
        let raw: Vec<Span> =
            (0..5000i64).map(|i| span((i * 7919) % 4001 * 3, (i * 7919) % 4001 * 3 + (i % 5) + 1)).collect();
        let mut fast = raw.clone();
        normalize(&mut fast);
        let mut slow = raw.clone();
        slow.sort();
        let mut merged: Vec<Span> = Vec::new();
        for s in slow {
            match merged.last_mut() {
                Some(l) if s.start <= l.end => l.end = l.end.max(s.end),
                _ => merged.push(s),
            }
        }
        assert_eq!(fast, merged);
    }

    #[test]
    fn union_lists_free_staff() {
        let u = any_staff(&[vec![1, 2, 4], vec![2, 3]]);
        assert_eq!(u, vec![(1, vec![0]), (2, vec![0, 1]), (3, vec![1]), (4, vec![0])]);
    }

    /// The contract, minute by minute, with no cleverness.
    fn reference(open: &[Span], busy: &[Span], r: &Rules) -> Vec<i64> {
        let mut out = Vec::new();
        for w in open {
            let mut t = w.start;
            while t + r.duration <= w.end {
                let (a, b) = (t - r.buffer_before, t + r.duration + r.buffer_after);
                let clash = busy.iter().any(|x| x.start < b && a < x.end);
                if !clash && t >= r.earliest && t <= r.latest {
                    out.push(t / M);
                }
                t += r.step;
            }
        }
        out.sort();
        out.dedup();
        out
    }

    fn windows() -> impl Strategy<Value = Vec<Span>> {
        // Up to four disjoint windows within a day, on a 5-minute grid.
        prop::collection::vec((0i64..288, 1i64..60), 0..4).prop_map(|raw| {
            let mut spans: Vec<Span> = raw.into_iter().map(|(s, len)| span(s * 5, (s + len).min(288) * 5)).collect();
            spans.sort();
            let mut disjoint: Vec<Span> = Vec::new();
            for s in spans {
                if disjoint.last().is_none_or(|l| s.start >= l.end) && s.end > s.start {
                    disjoint.push(s);
                }
            }
            disjoint
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn matches_the_minute_by_minute_reference(
            open in windows(),
            busy in prop::collection::vec((0i64..1440, 1i64..180), 0..8),
            duration in 5i64..120, bb in 0i64..30, ba in 0i64..30, step in prop::sample::select(vec![5i64, 10, 15, 20, 30, 60]),
            earliest in 0i64..1440, advance in 0i64..1440,
        ) {
            let busy: Vec<Span> = busy.into_iter().map(|(s, len)| span(s, s + len)).collect();
            let mut r = rules(duration, bb, ba, step);
            r.earliest = earliest * M;
            r.latest = (earliest + advance) * M;
            prop_assert_eq!(slots(&open, &busy, &r), reference(&open, &busy, &r));
        }
    }

    // ---- The whole pipeline (local hours -> instants -> slots -> union) against a
    // reference that finds every instant by scanning UTC minutes, never asking chrono
    // to resolve a local time.

    use std::collections::BTreeMap;

    use chrono::{Duration, NaiveDateTime, TimeZone};
    use shared::time::MinuteOfDay;

    struct Case {
        tz: Tz,
        from: NaiveDate,
        to: NaiveDate,
        staff: Vec<StaffInput>,
        rules: Rules,
    }

    impl std::fmt::Debug for Case {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Case")
                .field("tz", &self.tz)
                .field("from", &self.from)
                .field("to", &self.to)
                .field("staff", &self.staff)
                .field("rules", &self.rules)
                .finish()
        }
    }

    /// (UTC minute, local wall time) for every minute around the dates.
    fn minute_table(tz: Tz, from: NaiveDate, to: NaiveDate) -> Vec<(i64, NaiveDateTime)> {
        let start = from.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp() - 16 * 3600;
        let end = to.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp() + (24 + 16) * 3600;
        (start / 60..end / 60).map(|m| (m * 60, tz.timestamp_opt(m * 60, 0).unwrap().naive_local())).collect()
    }

    /// The contract's rule, by brute force: the earliest (start) or latest (end) instant
    /// showing this wall time, or the first instant after it if it never shows.
    fn resolve(table: &[(i64, NaiveDateTime)], date: NaiveDate, minute: MinuteOfDay, is_end: bool) -> i64 {
        let wall = date.and_hms_opt(0, 0, 0).unwrap() + Duration::minutes(i64::from(minute));
        let exact: Vec<i64> = table.iter().filter(|(_, l)| *l == wall).map(|(m, _)| *m).collect();
        match (exact.first(), exact.last()) {
            (Some(first), _) if !is_end => *first,
            (_, Some(last)) if is_end => *last,
            _ => table.iter().filter(|(_, l)| *l > wall).map(|(m, _)| *m).min().unwrap(),
        }
    }

    fn reference_compute(c: &Case) -> Vec<(i64, Vec<usize>)> {
        let table = minute_table(c.tz, c.from, c.to);
        let r = &c.rules;
        let mut found: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
        for (i, staff) in c.staff.iter().enumerate() {
            for date in c.from.iter_days().take_while(|d| *d <= c.to) {
                if staff.hours.holidays.contains_key(&date) {
                    continue;
                }
                let windows = match staff.hours.overrides.get(&date) {
                    Some(w) => w.clone(),
                    None => {
                        staff.hours.weekly[chrono::Datelike::weekday(&date).num_days_from_monday() as usize].clone()
                    }
                };
                for (s, e) in windows {
                    let (ws, we) = (resolve(&table, date, s, false), resolve(&table, date, e, true));
                    let mut t = ws;
                    while t + r.duration <= we {
                        let (a, b) = (t - r.buffer_before, t + r.duration + r.buffer_after);
                        let clash = staff.busy.iter().any(|x| x.start < b && a < x.end);
                        if !clash && t >= r.earliest && t <= r.latest {
                            let list = found.entry(t).or_default();
                            if !list.contains(&i) {
                                list.push(i);
                            }
                        }
                        t += r.step;
                    }
                }
            }
        }
        found.into_iter().collect()
    }

    fn day_windows() -> impl Strategy<Value = Vec<(MinuteOfDay, MinuteOfDay)>> {
        // Quarter hours; half of them in 01:00-03:00, where the transitions of these
        // zones put their gaps and repeated hours.
        let start = prop_oneof![0u16..96, 4u16..12];
        let len = prop_oneof![1u16..40, 1u16..5];
        prop::collection::vec((start, len), 0..3).prop_map(|raw| {
            let mut w: Vec<(MinuteOfDay, MinuteOfDay)> =
                raw.into_iter().map(|(s, len)| (s * 15, ((s + len) * 15).min(1440))).collect();
            w.sort();
            let mut out: Vec<(MinuteOfDay, MinuteOfDay)> = Vec::new();
            for x in w {
                if out.last().is_none_or(|l| x.0 >= l.1) && x.1 > x.0 {
                    out.push(x);
                }
            }
            out
        })
    }

    fn case() -> impl Strategy<Value = Case> {
        let zones = vec!["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"];
        // Days around every transition of these zones in 2026, and a plain one.
        let starts =
            vec!["2026-03-28", "2026-10-24", "2026-03-07", "2026-10-31", "2026-04-04", "2026-10-03", "2026-06-01"];
        let staff = (
            prop::collection::vec(day_windows(), 7),
            prop::collection::vec((0i64..4, day_windows()), 0..2),
            prop::collection::vec(0i64..4, 0..2),
            prop::collection::vec((0i64..(4 * 1440), 5i64..180), 0..6),
        );
        (
            prop::sample::select(zones),
            prop::sample::select(starts),
            0i64..3,
            prop::collection::vec(staff, 1..4),
            (5i64..120, 0i64..30, 0i64..30, prop::sample::select(vec![5i64, 10, 15, 20, 30, 60])),
            (0i64..(4 * 1440), 0i64..(4 * 1440)),
        )
            .prop_map(|(zone, start, days, staff, (duration, bb, ba, step), (notice, advance))| {
                let tz: Tz = zone.parse().unwrap();
                let from: NaiveDate = start.parse().unwrap();
                let to = from + Duration::days(days);
                let origin = from.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp() - 12 * 3600;
                let staff = staff
                    .into_iter()
                    .map(|(weekly, overrides, holidays, busy)| {
                        let mut hours = Hours::default();
                        for (i, w) in weekly.into_iter().enumerate() {
                            hours.weekly[i] = w;
                        }
                        for (offset, w) in overrides {
                            hours.overrides.insert(from + Duration::days(offset), w);
                        }
                        for offset in holidays {
                            hours.holidays.insert(from + Duration::days(offset), "holiday".into());
                        }
                        let mut busy: Vec<Span> = busy
                            .into_iter()
                            .map(|(s, len)| Span { start: origin + s * M, end: origin + (s + len) * M })
                            .collect();
                        normalize(&mut busy);
                        StaffInput { hours, busy }
                    })
                    .collect();
                let rules = Rules {
                    duration: duration * M,
                    buffer_before: bb * M,
                    buffer_after: ba * M,
                    step: step * M,
                    earliest: origin + notice * M,
                    latest: origin + (notice + advance) * M,
                };
                Case { tz, from, to, staff, rules }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]
        #[test]
        fn pipeline_matches_the_brute_force_reference(c in case()) {
            prop_assert_eq!(compute(c.tz, c.from, c.to, &c.staff, &c.rules), reference_compute(&c));
        }
    }
}
