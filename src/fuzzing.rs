//! What the fuzz targets in `fuzz/` reach that is not public API otherwise: the ACL file
//! parser and its checks, a broker connection over an in-memory pipe, `sub`'s output
//! formatter, the `-L` URL parser and `pub --replay`'s record reader. Hidden from the docs;
//! nothing outside `fuzz/` should depend on it.

pub use crate::broker::acl::{Acl, AclClient};
pub use crate::broker::memory::exchange;
pub use crate::broker_url::parse as parse_url;
pub use crate::format::{Formatter, OutputOptions};
pub use crate::publish::replay::parse as parse_replay_record;
