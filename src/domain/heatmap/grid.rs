//! The grid the web app draws: every day from the Monday of `desde`'s week to
//! the Sunday of `hasta`'s week, with the day's check-ins and check-outs
//! (counted for the padding days too, when a spreadsheet has them) and the
//! day's level against the company's thresholds.

use chrono::{Datelike, Days, NaiveDate};
use serde_json::Value;

use crate::domain::heatmap::range::DateRange;

/// `configuracion.heatmap.umbrales`: loads above each level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub level1: i64,
    pub level2: i64,
    pub level3: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            level1: 10,
            level2: 20,
            level3: 30,
        }
    }
}

impl Thresholds {
    /// The stored object; a missing or non-integer level keeps its default.
    pub fn from_setting(value: Option<&Value>) -> Thresholds {
        let default = Thresholds::default();
        let level = |name: &str, fallback: i64| {
            value
                .and_then(|v| v.get(name))
                .and_then(Value::as_i64)
                .unwrap_or(fallback)
        };
        Thresholds {
            level1: level("nivel1", default.level1),
            level2: level("nivel2", default.level2),
            level3: level("nivel3", default.level3),
        }
    }

    /// How many thresholds `load` exceeds (0-3): the web app colours a day
    /// at or under `nivel1` with its lowest non-zero band.
    pub fn level(&self, load: u64) -> u8 {
        let load = i64::try_from(load).unwrap_or(i64::MAX);
        [self.level1, self.level2, self.level3]
            .iter()
            .filter(|&&t| load > t)
            .count() as u8
    }
}

/// Per-day counters over whole weeks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid {
    range: DateRange,
    start: NaiveDate,
    check_ins: Vec<u32>,
    check_outs: Vec<u32>,
}

/// One day as the response shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridDay {
    pub date: NaiveDate,
    pub check_ins: u32,
    pub check_outs: u32,
    /// Outside `[desde, hasta]` (week padding).
    pub adjacent: bool,
    pub level: u8,
}

impl Grid {
    pub fn new(range: DateRange) -> Grid {
        let back = u64::from(range.from.weekday().num_days_from_monday());
        let forward = u64::from(6 - range.to.weekday().num_days_from_monday());
        let start = range.from - Days::new(back);
        let end = range.to + Days::new(forward);
        let len = usize::try_from((end - start).num_days() + 1).unwrap_or(0);
        Grid {
            range,
            start,
            check_ins: vec![0; len],
            check_outs: vec![0; len],
        }
    }

    fn slot(&self, date: NaiveDate) -> Option<usize> {
        let offset = usize::try_from((date - self.start).num_days()).ok()?;
        (offset < self.check_ins.len()).then_some(offset)
    }

    /// Counts a check-in on `date`; dates outside the grid are ignored.
    pub fn check_in(&mut self, date: NaiveDate) {
        if let Some(i) = self.slot(date) {
            self.check_ins[i] = self.check_ins[i].saturating_add(1);
        }
    }

    pub fn check_out(&mut self, date: NaiveDate) {
        if let Some(i) = self.slot(date) {
            self.check_outs[i] = self.check_outs[i].saturating_add(1);
        }
    }

    /// Adds another grid's counts (same range), e.g. one filled concurrently.
    pub fn absorb(&mut self, other: &Grid) {
        for (a, b) in self.check_ins.iter_mut().zip(&other.check_ins) {
            *a = a.saturating_add(*b);
        }
        for (a, b) in self.check_outs.iter_mut().zip(&other.check_outs) {
            *a = a.saturating_add(*b);
        }
    }

    /// The days in order; their count is a multiple of 7.
    pub fn days(&self, thresholds: &Thresholds) -> Vec<GridDay> {
        let mut date = self.start;
        let mut out = Vec::with_capacity(self.check_ins.len());
        for (&check_ins, &check_outs) in self.check_ins.iter().zip(&self.check_outs) {
            out.push(GridDay {
                date,
                check_ins,
                check_outs,
                adjacent: date < self.range.from || date > self.range.to,
                level: thresholds.level(u64::from(check_ins) + u64::from(check_outs)),
            });
            date = date.succ_opt().unwrap_or(date);
        }
        out
    }

    /// Days with any check-in or check-out (the audit log's `num_registros`).
    pub fn busy_days(&self) -> usize {
        self.check_ins
            .iter()
            .zip(&self.check_outs)
            .filter(|(i, o)| **i > 0 || **o > 0)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn range(from: &str, to: &str) -> DateRange {
        DateRange {
            from: d(from),
            to: d(to),
        }
    }

    #[test]
    fn june_2026_is_five_whole_weeks() {
        let days = Grid::new(range("2026-06-01", "2026-06-30")).days(&Thresholds::default());
        assert_eq!(days.len(), 35);
        assert_eq!(days[0].date, d("2026-06-01"));
        assert_eq!(days[34].date, d("2026-07-05"));
        assert!(!days[0].adjacent && !days[29].adjacent);
        assert!(days[30..].iter().all(|day| day.adjacent));
    }

    #[test]
    fn weeks_run_monday_to_sunday_around_the_range() {
        // Wednesday to the next Tuesday: two whole weeks.
        let days = Grid::new(range("2026-06-03", "2026-06-09")).days(&Thresholds::default());
        assert_eq!(days.len(), 14);
        assert_eq!(days[0].date, d("2026-06-01"));
        assert_eq!(days[13].date, d("2026-06-14"));
        let adjacent: Vec<bool> = days.iter().map(|day| day.adjacent).collect();
        assert_eq!(&adjacent[..3], &[true, true, false]);
        assert_eq!(&adjacent[8..10], &[false, true]);
        // A Monday-to-Sunday range is its own grid; one day is one week.
        assert_eq!(
            Grid::new(range("2026-06-01", "2026-06-07"))
                .days(&Thresholds::default())
                .len(),
            7
        );
        assert_eq!(
            Grid::new(range("2026-06-07", "2026-06-07"))
                .days(&Thresholds::default())
                .len(),
            7
        );
    }

    #[test]
    fn adjacent_days_carry_their_counts_and_outside_dates_are_ignored() {
        let mut grid = Grid::new(range("2026-06-03", "2026-06-04"));
        grid.check_in(d("2026-06-01"));
        grid.check_out(d("2026-06-07"));
        grid.check_in(d("2026-06-08"));
        grid.check_in(d("1970-01-01"));
        let days = grid.days(&Thresholds::default());
        assert_eq!((days[0].check_ins, days[0].adjacent), (1, true));
        assert_eq!((days[6].check_outs, days[6].adjacent), (1, true));
        assert_eq!(days.iter().map(|d| d.check_ins).sum::<u32>(), 1);
        assert_eq!(grid.busy_days(), 2);
    }

    #[test]
    fn level_counts_the_thresholds_the_load_exceeds() {
        let t = Thresholds::default();
        let levels: Vec<u8> = [0, 1, 10, 11, 20, 21, 30, 31, 10_000]
            .iter()
            .map(|&load| t.level(load))
            .collect();
        assert_eq!(levels, vec![0, 0, 0, 1, 1, 2, 2, 3, 3]);
        let mut grid = Grid::new(range("2026-06-01", "2026-06-01"));
        for _ in 0..2 {
            grid.check_in(d("2026-06-01"));
        }
        grid.check_out(d("2026-06-01"));
        let custom =
            Thresholds::from_setting(Some(&json!({"nivel1": 1, "nivel2": 2, "nivel3": 5})));
        assert_eq!(grid.days(&custom)[0].level, 2, "load 3 exceeds 1 and 2");
    }

    #[test]
    fn stored_thresholds_fall_back_per_level() {
        assert_eq!(Thresholds::from_setting(None), Thresholds::default());
        assert_eq!(
            Thresholds::from_setting(Some(&json!({"nivel1": 5, "nivel2": "x"}))),
            Thresholds {
                level1: 5,
                level2: 20,
                level3: 30
            }
        );
    }

    #[test]
    fn grids_filled_apart_add_up() {
        let r = range("2026-06-01", "2026-06-02");
        let (mut a, mut b) = (Grid::new(r), Grid::new(r));
        a.check_in(d("2026-06-01"));
        b.check_out(d("2026-06-01"));
        a.absorb(&b);
        let day = &a.days(&Thresholds::default())[0];
        assert_eq!((day.check_ins, day.check_outs), (1, 1));
    }
}
