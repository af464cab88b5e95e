//! Heap bytes in use, for the broker's `memory_limit`: the `mqtk` binary installs
//! [`Counting`] as its global allocator, and `serve` turns the count on when a limit is set.
//!
//! Off, the allocator costs one relaxed load per call, so clients, benchmarks and brokers
//! without a limit pay nothing measurable. Blocks allocated before the count started and
//! freed after it make the figure run low by their size (the configuration, a few kB);
//! mosquitto's count, through its allocation wrappers, is approximate in the same way.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering::Relaxed};

/// The system allocator, counting the bytes it hands out while [`start`] is in effect.
pub struct Counting;

static INSTALLED: AtomicBool = AtomicBool::new(false);
static COUNTING: AtomicBool = AtomicBool::new(false);
static IN_USE: AtomicIsize = AtomicIsize::new(0);

/// Adds `bytes` (negative: freed) while counting.
fn count(bytes: isize) {
    if COUNTING.load(Relaxed) {
        IN_USE.fetch_add(bytes, Relaxed);
    }
}

// SAFETY: every call is forwarded to `System` unchanged; only a counter is updated besides.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let block = System.alloc(layout);
        if !block.is_null() {
            count(layout.size() as isize);
        }
        block
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let block = System.alloc_zeroed(layout);
        if !block.is_null() {
            count(layout.size() as isize);
        }
        block
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        System.dealloc(block, layout);
        count(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = System.realloc(block, layout, new_size);
        if !moved.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        moved
    }
}

impl Counting {
    /// Marks the allocator as the process's: call from `main` of a binary that installs it.
    pub fn installed() {
        INSTALLED.store(true, Relaxed);
    }
}

/// Starts counting; false when this process does not allocate through [`Counting`] (an
/// embedder's binary), where no figure can be had.
pub fn start() -> bool {
    COUNTING.store(true, Relaxed);
    INSTALLED.load(Relaxed)
}

/// Heap bytes allocated since [`start`] and not yet freed.
pub fn in_use() -> usize {
    IN_USE.load(Relaxed).max(0) as usize
}
