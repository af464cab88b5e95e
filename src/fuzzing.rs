//! What the fuzz targets in `fuzz/` reach that is not public API otherwise: the ACL file
//! parser and its checks, and a broker connection over an in-memory pipe. Hidden from the
//! docs; nothing outside `fuzz/` should depend on it.

pub use crate::broker::acl::{Acl, AclClient};
pub use crate::broker::memory::exchange;
