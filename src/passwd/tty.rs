//! Turning terminal echo off while a password is typed.

/// Echo off on standard input until dropped; only exists when standard input is a terminal.
pub struct EchoOff {
    saved: libc::termios,
}

impl EchoOff {
    /// `None` when standard input is not a terminal (a pipe: nothing to hide).
    pub fn new() -> Option<EchoOff> {
        // SAFETY: tcgetattr fills the termios it is given and reports failure by its result,
        // in which case the zeroed value is never used.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut saved) } != 0 {
            return None;
        }
        let mut quiet = saved;
        quiet.c_lflag &= !libc::ECHO;
        // SAFETY: `quiet` is a valid termios obtained from tcgetattr.
        if unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &quiet) } != 0 {
            return None;
        }
        Some(EchoOff { saved })
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `new`.
        unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &self.saved) };
    }
}
