//! Process limits and memory: bench may need more file descriptors than the default soft
//! limit, and reports its own memory per connection.

/// Raises the soft limit on open files to the hard limit (10,000 connections need 10,000
/// descriptors; many systems default to 1,024). Returns the new soft limit.
#[cfg(unix)]
pub fn raise_nofile() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read or write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    #[allow(clippy::unnecessary_cast)] // rlim_t is not u64 on every unix
    Some(limit.rlim_cur as u64)
}

/// Not needed where there is no rlimit.
#[cfg(not(unix))]
pub fn raise_nofile() -> Option<u64> {
    None
}

/// Resident memory of this process in bytes (Linux), from `/proc/self/statm`.
pub fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * page_size())
}

#[cfg(unix)]
fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(size).unwrap_or(4096)
}

#[cfg(not(unix))]
fn page_size() -> u64 {
    4096
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn memory_and_limits_are_readable() {
        assert!(rss_bytes().is_some_and(|b| b > 0));
        assert!(raise_nofile().is_some_and(|n| n > 0));
    }
}
