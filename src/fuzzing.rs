//! What the fuzz targets in `fuzz/` reach that is not public API otherwise: the ACL file
//! parser and its checks, a broker connection over an in-memory pipe, `sub`'s output
//! formatter, the `-L` URL parser, `pub --replay`'s record reader and `bench merge`'s summary
//! reader. Hidden from the docs; nothing outside `fuzz/` should depend on it.

pub use crate::broker::acl::{Acl, AclClient};
pub use crate::broker::memory::exchange;
pub use crate::broker_url::parse as parse_url;
pub use crate::format::{Formatter, OutputOptions};
pub use crate::publish::replay::parse as parse_replay_record;

/// Reads `text` as `bench merge` reads a summary file; true when it is one.
pub fn bench_summary(text: &str) -> bool {
    crate::bench::summary(text).is_ok()
}
