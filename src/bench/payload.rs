//! The header at the front of every bench payload: whose message it is, its place in that
//! publisher's stream, and when it was sent. With it a subscriber measures latency and finds
//! loss, duplicates and reordering without any side channel to the publisher.
//!
//! Layout (big-endian, 28 bytes): `b"mqtk"`, run id (u32), publisher index (u32), sequence
//! (u64, from 0 per publisher), send time (u64 ns, see [`super::clock`]); zero padding to `-s`.

use bytes::{BufMut, BytesMut};

/// Bytes taken by the header; the smallest `--size`.
pub const HEADER_LEN: usize = 28;

/// Marks bench payloads so that other traffic on the same topics is counted, not misread.
const MAGIC: [u8; 4] = *b"mqtk";

/// What a bench payload says about itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Random per process: tells apart publishers of different bench processes.
    pub run: u32,
    /// The publisher's index in its process.
    pub publisher: u32,
    /// Position in the publisher's stream, from 0.
    pub seq: u64,
    /// Send time, in [`super::clock::Clock`] nanoseconds.
    pub sent_ns: u64,
}

impl Header {
    /// Appends the header and zero padding up to `size` bytes in all.
    pub fn append(&self, buf: &mut BytesMut, size: usize) {
        buf.reserve(size.max(HEADER_LEN));
        buf.put_slice(&MAGIC);
        buf.put_u32(self.run);
        buf.put_u32(self.publisher);
        buf.put_u64(self.seq);
        buf.put_u64(self.sent_ns);
        buf.put_bytes(0, size.saturating_sub(HEADER_LEN));
    }

    /// The header of a bench payload; `None` for anything else.
    pub fn parse(payload: &[u8]) -> Option<Header> {
        let rest = payload.strip_prefix(&MAGIC)?;
        let (run, rest) = rest.split_first_chunk::<4>()?;
        let (publisher, rest) = rest.split_first_chunk::<4>()?;
        let (seq, rest) = rest.split_first_chunk::<8>()?;
        let (sent_ns, _) = rest.split_first_chunk::<8>()?;
        Some(Header {
            run: u32::from_be_bytes(*run),
            publisher: u32::from_be_bytes(*publisher),
            seq: u64::from_be_bytes(*seq),
            sent_ns: u64::from_be_bytes(*sent_ns),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_pads() {
        let h = Header {
            run: 0xdead_beef,
            publisher: 3,
            seq: 1 << 40,
            sent_ns: 123_456_789,
        };
        let mut buf = BytesMut::new();
        h.append(&mut buf, 64);
        assert_eq!(buf.len(), 64);
        assert_eq!(Header::parse(&buf), Some(h));
        let mut exact = BytesMut::new();
        h.append(&mut exact, HEADER_LEN);
        assert_eq!(exact.len(), HEADER_LEN);
    }

    #[test]
    fn foreign_payloads_are_not_headers() {
        assert_eq!(Header::parse(b"hello"), None);
        assert_eq!(Header::parse(&[b'm', b'q', b't', b'k', 0, 0]), None);
        assert_eq!(Header::parse(&[0; 64]), None);
    }
}
