//! What the fuzz targets in `fuzz/` reach that is not public API otherwise: the ACL file
//! parser and its checks, a broker connection over an in-memory pipe, and `sub`'s output
//! formatter. Hidden from the
//! docs; nothing outside `fuzz/` should depend on it.

pub use crate::broker::acl::{Acl, AclClient};
pub use crate::broker::memory::exchange;
pub use crate::format::{Formatter, OutputOptions};
