//! A set of UIDs kept as sorted, merged inclusive ranges: VANISHED and COPYUID answers can
//! name a hundred thousand UIDs in a few bytes, so we never expand them up front.

use std::fmt;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UidSet {
    ranges: Vec<(u32, u32)>,
}

impl UidSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sorts, then merges: a server's set of millions of ranges in any order costs
    /// n log n, never n² insertions.
    pub fn from_ranges(ranges: impl IntoIterator<Item = (u32, u32)>) -> Self {
        let mut sorted: Vec<(u32, u32)> = ranges
            .into_iter()
            .map(|(a, b)| (a.min(b), a.max(b)))
            .collect();
        sorted.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(sorted.len());
        for (lo, hi) in sorted {
            match merged.last_mut() {
                Some((_, end)) if lo <= end.saturating_add(1) => *end = (*end).max(hi),
                _ => merged.push((lo, hi)),
            }
        }
        Self { ranges: merged }
    }

    pub fn insert(&mut self, uid: u32) {
        self.insert_range(uid, uid);
    }

    pub fn insert_range(&mut self, lo: u32, hi: u32) {
        let at = self
            .ranges
            .partition_point(|&(_, end)| end.saturating_add(1) < lo);
        let mut lo = lo;
        let mut hi = hi;
        let mut until = at;
        while until < self.ranges.len() && self.ranges[until].0 <= hi.saturating_add(1) {
            lo = lo.min(self.ranges[until].0);
            hi = hi.max(self.ranges[until].1);
            until += 1;
        }
        self.ranges.splice(at..until, [(lo, hi)]);
    }

    pub fn contains(&self, uid: u32) -> bool {
        let at = self.ranges.partition_point(|&(_, end)| end < uid);
        self.ranges.get(at).is_some_and(|&(start, _)| start <= uid)
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Number of UIDs in the set.
    pub fn len(&self) -> u64 {
        self.ranges.iter().map(|&(a, b)| u64::from(b - a) + 1).sum()
    }

    pub fn ranges(&self) -> &[(u32, u32)] {
        &self.ranges
    }

    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.ranges.iter().flat_map(|&(a, b)| a..=b)
    }

    /// Whether every UID of `self` is in `other`, range by range (never expanded).
    pub fn is_subset_of(&self, other: &UidSet) -> bool {
        self.ranges.iter().all(|&(lo, hi)| {
            let at = other.ranges.partition_point(|&(_, end)| end < lo);
            other
                .ranges
                .get(at)
                .is_some_and(|&(start, end)| start <= lo && hi <= end)
        })
    }

    /// The UIDs in both sets, range by range.
    pub fn intersection(&self, other: &UidSet) -> UidSet {
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while let (Some(&(a, b)), Some(&(c, d))) = (self.ranges.get(i), other.ranges.get(j)) {
            let (lo, hi) = (a.max(c), b.min(d));
            if lo <= hi {
                out.push((lo, hi));
            }
            if b < d {
                i += 1;
            } else {
                j += 1;
            }
        }
        UidSet { ranges: out }
    }

    /// The largest UID, if any.
    pub fn max(&self) -> Option<u32> {
        self.ranges.last().map(|&(_, b)| b)
    }
}

impl FromIterator<u32> for UidSet {
    fn from_iter<I: IntoIterator<Item = u32>>(iter: I) -> Self {
        let mut uids: Vec<u32> = iter.into_iter().collect();
        uids.sort_unstable();
        uids.dedup();
        let mut ranges: Vec<(u32, u32)> = Vec::new();
        for uid in uids {
            match ranges.last_mut() {
                Some((_, end)) if end.checked_add(1) == Some(uid) => *end = uid,
                _ => ranges.push((uid, uid)),
            }
        }
        Self { ranges }
    }
}

/// IMAP sequence-set syntax: `1:5,7,9:12`.
impl fmt::Display for UidSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &(a, b)) in self.ranges.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if a == b {
                write!(f, "{a}")?;
            } else {
                write!(f, "{a}:{b}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_runs_into_ranges() {
        let set: UidSet = [9, 1, 2, 3, 5, 10, 11, 2].into_iter().collect();
        assert_eq!(set.to_string(), "1:3,5,9:11");
        assert_eq!(set.len(), 7);
        assert!(set.contains(10));
        assert!(!set.contains(4));
        assert_eq!(set.max(), Some(11));
    }

    #[test]
    fn insert_range_merges_neighbours() {
        let mut set = UidSet::from_ranges([(1, 3), (7, 9)]);
        set.insert_range(4, 6);
        assert_eq!(set.ranges(), &[(1, 9)]);
        set.insert(20);
        set.insert_range(15, 30);
        assert_eq!(set.to_string(), "1:9,15:30");
        set.insert(u32::MAX);
        assert_eq!(set.iter().last(), Some(u32::MAX));
    }

    #[test]
    fn many_ranges_in_any_order_are_merged_quickly() {
        let descending = (0..2_000_000u32).rev().map(|i| (i * 2, i * 2));
        let set = UidSet::from_ranges(descending);
        assert_eq!(set.ranges().len(), 2_000_000);
        assert_eq!(set.ranges()[0], (0, 0));
        let overlapping = UidSet::from_ranges([(5, 9), (1, 3), (4, 4), (8, 12), (20, 20)]);
        assert_eq!(overlapping.to_string(), "1:12,20");
        assert_eq!(UidSet::from_ranges([(7, 2)]).to_string(), "2:7");
    }

    #[test]
    fn subsets_and_intersections_work_on_ranges() {
        let sent = UidSet::from_ranges([(1, 10), (20, 30)]);
        assert!(UidSet::from_ranges([(2, 5), (20, 20)]).is_subset_of(&sent));
        assert!(UidSet::new().is_subset_of(&sent));
        assert!(!UidSet::from_ranges([(8, 12)]).is_subset_of(&sent));
        assert!(!UidSet::from_ranges([(1, u32::MAX)]).is_subset_of(&sent));
        let huge = UidSet::from_ranges([(1, u32::MAX)]);
        assert_eq!(huge.intersection(&sent), sent);
        let some = UidSet::from_ranges([(5, 22), (29, 40)]);
        assert_eq!(some.intersection(&sent).to_string(), "5:10,20:22,29:30");
        assert!(sent.intersection(&UidSet::new()).is_empty());
    }
}
