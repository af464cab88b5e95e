//! Sequence tracking for one publisher's stream at one receiver: which sequence numbers
//! arrived, which arrived twice and which arrived after a later one.
//!
//! A bitmap with one bit per sequence number keeps loss and duplicate counts exact however
//! late a message arrives, and lets the members of a shared subscription be merged at the end
//! (a message delivered to two members of a group is a duplicate). One bit per message is
//! 1.8 MB for a minute at 240,000 msg/s.

use std::ops::Range;

/// Widest span of sequence numbers one stream may cover (32 MiB of bits), so a forged or
/// corrupt header cannot make a subscriber allocate without bound.
const MAX_SPAN: u64 = 1 << 28;

/// How one message fits its stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// First time seen, after everything seen before.
    InOrder,
    /// First time seen, but a higher sequence number arrived earlier.
    OutOfOrder,
    /// Seen before.
    Duplicate,
    /// Too far from the rest of the stream to track; not counted.
    Refused,
}

/// The sequence numbers received from one publisher.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeqSet {
    /// Sequence number of bit 0 of `words[0]`; a multiple of 64.
    base: u64,
    words: Vec<u64>,
    lowest: u64,
    highest: Option<u64>,
    distinct: u64,
    duplicates: u64,
    out_of_order: u64,
}

impl SeqSet {
    /// Records one arrival.
    pub fn record(&mut self, seq: u64) -> Arrival {
        if self.highest.is_none() {
            self.base = seq & !63;
            self.lowest = seq;
        }
        if !self.make_room(seq) {
            return Arrival::Refused;
        }
        let (word, bit) = self.position(seq);
        if self.words[word] & bit != 0 {
            self.duplicates += 1;
            return Arrival::Duplicate;
        }
        self.words[word] |= bit;
        self.distinct += 1;
        self.lowest = self.lowest.min(seq);
        match self.highest {
            Some(h) if seq < h => {
                self.out_of_order += 1;
                Arrival::OutOfOrder
            }
            _ => {
                self.highest = Some(seq);
                Arrival::InOrder
            }
        }
    }

    /// Adds another receiver's arrivals (a member of the same shared subscription): sequence
    /// numbers both received count as duplicates.
    pub fn merge(&mut self, other: &SeqSet) {
        let Some(other_highest) = other.highest else {
            return;
        };
        if self.highest.is_none() {
            *self = other.clone();
            return;
        }
        for (i, &bits) in other.words.iter().enumerate().filter(|(_, &w)| w != 0) {
            let first = other.base + 64 * i as u64;
            if !self.make_room(first) || !self.make_room(first + 63) {
                continue;
            }
            let (word, _) = self.position(first);
            let overlap = u64::from((self.words[word] & bits).count_ones());
            self.duplicates += overlap;
            self.distinct += u64::from(bits.count_ones()) - overlap;
            self.words[word] |= bits;
        }
        self.duplicates += other.duplicates;
        self.out_of_order += other.out_of_order;
        self.lowest = self.lowest.min(other.lowest);
        self.highest = self.highest.max(Some(other_highest));
    }

    /// Sequence numbers in `range` that never arrived.
    pub fn missing(&self, range: Range<u64>) -> u64 {
        let mut got = 0;
        for (i, &bits) in self.words.iter().enumerate() {
            let start = self.base + 64 * i as u64;
            let (lo, hi) = (range.start.max(start), range.end.min(start + 64));
            if lo < hi {
                got += u64::from((bits & mask(lo - start, hi - lo)).count_ones());
            }
        }
        range.end.saturating_sub(range.start) - got
    }

    /// From the lowest to one past the highest sequence number received; `None` if none was.
    pub fn span(&self) -> Option<Range<u64>> {
        self.highest.map(|h| self.lowest..h + 1)
    }

    /// Distinct sequence numbers received.
    #[cfg(test)]
    pub fn distinct(&self) -> u64 {
        self.distinct
    }

    /// Arrivals of a sequence number already received.
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// First arrivals that came after a higher sequence number.
    pub fn out_of_order(&self) -> u64 {
        self.out_of_order
    }

    /// Grows the bitmap to cover `seq`, at either end; false when that would exceed MAX_SPAN.
    fn make_room(&mut self, seq: u64) -> bool {
        if seq < self.base {
            let new_base = seq & !63;
            let top = self.base + 64 * self.words.len() as u64;
            if top - new_base > MAX_SPAN {
                return false;
            }
            let shift = ((self.base - new_base) / 64) as usize;
            self.words.splice(0..0, std::iter::repeat_n(0, shift));
            self.base = new_base;
        }
        let offset = seq - self.base;
        if offset >= MAX_SPAN {
            return false;
        }
        let word = (offset / 64) as usize;
        if word >= self.words.len() {
            self.words.resize(word + 1, 0);
        }
        true
    }

    fn position(&self, seq: u64) -> (usize, u64) {
        let offset = seq - self.base;
        ((offset / 64) as usize, 1 << (offset % 64))
    }
}

/// `len` bits from bit `from`.
fn mask(from: u64, len: u64) -> u64 {
    if len >= 64 {
        u64::MAX
    } else {
        ((1u64 << len) - 1) << from
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(seqs: &[u64]) -> SeqSet {
        let mut s = SeqSet::default();
        for &q in seqs {
            s.record(q);
        }
        s
    }

    #[test]
    fn in_order_stream_has_no_anomalies() {
        let s = feed(&(0..1000).collect::<Vec<_>>());
        assert_eq!(s.distinct(), 1000);
        assert_eq!((s.duplicates(), s.out_of_order()), (0, 0));
        assert_eq!(s.missing(0..1000), 0);
        assert_eq!(s.span(), Some(0..1000));
    }

    #[test]
    fn gaps_are_lost_and_tail_loss_needs_the_expected_range() {
        let s = feed(&[0, 1, 2, 5, 6, 9]);
        assert_eq!(s.missing(0..10), 4); // 3, 4, 7, 8
        assert_eq!(s.missing(0..12), 6); // and the unseen tail 10, 11
        assert_eq!(s.missing(5..7), 0);
    }

    #[test]
    fn duplicates_and_reordering_are_told_apart() {
        let mut s = SeqSet::default();
        let arrivals: Vec<Arrival> = [0, 2, 1, 2, 3, 1, 70, 64]
            .iter()
            .map(|&q| s.record(q))
            .collect();
        use Arrival::*;
        assert_eq!(
            arrivals,
            [InOrder, InOrder, OutOfOrder, Duplicate, InOrder, Duplicate, InOrder, OutOfOrder]
        );
        assert_eq!((s.duplicates(), s.out_of_order()), (2, 2));
        assert_eq!(s.missing(0..71), 71 - 6);
    }

    #[test]
    fn streams_may_start_anywhere_and_grow_downwards() {
        let s = feed(&[1000, 1001, 900, 999]);
        assert_eq!(s.span(), Some(900..1002));
        assert_eq!(s.missing(900..1002), 102 - 4);
        assert_eq!(s.out_of_order(), 2);
    }

    #[test]
    fn forged_far_sequence_numbers_are_refused() {
        let mut s = feed(&[5]);
        assert_eq!(s.record(u64::MAX), Arrival::Refused);
        assert_eq!(s.record(MAX_SPAN * 2), Arrival::Refused);
        assert_eq!(s.distinct(), 1);
    }

    #[test]
    fn merging_shared_subscribers_unions_and_counts_overlap() {
        let mut a = feed(&[0, 2, 4, 6, 130]);
        let b = feed(&[1, 3, 5, 6, 7]);
        a.merge(&b);
        assert_eq!(a.distinct(), 9);
        assert_eq!(a.duplicates(), 1); // 6 went to both members
        assert_eq!(a.missing(0..131), 131 - 9);
        let mut empty = SeqSet::default();
        empty.merge(&a);
        assert_eq!(empty, a);
    }
}
