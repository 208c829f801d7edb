//! The plugin's memory allocator: dlmalloc, whose first region is an arena that is part of the
//! module's initial memory.
//!
//! Why: the kernel serves every call with a fresh instance whose memory starts as the module's
//! initial image. The standard library's allocator on `wasm32-unknown-unknown` takes every region
//! with `memory.grow`, so each call grew its memory at its first allocation, and the kernel's
//! instance pool then had to hide the grown pages again before the slot's next call: a pair of
//! `mprotect` system calls per call, the second of which makes every core flush its TLB. With
//! the arena, a call that allocates less than [`ARENA_BYTES`] in all never grows its memory; a
//! call that needs more grows it exactly as before.
//!
//! The arena is a zeroed static, so it costs nothing in the component file (it is `.bss`) and
//! only the pages a call touches become resident. It counts towards the plugin's memory limit
//! (`[limits] memory_mib`) like the rest of the initial memory.
//!
//! A plugin that brings its own `#[global_allocator]` turns this one off by depending on the
//! SDK with `default-features = false`.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr;
use core::sync::atomic::{AtomicBool, Ordering};

use dlmalloc::{Allocator, Dlmalloc};

/// Bytes of the arena: room for what a typical request allocates (parsed input, documents read
/// from the store, the JSON or page context produced) without growing memory.
pub const ARENA_BYTES: usize = 1024 * 1024;

/// WebAssembly's page size, the unit `memory.grow` works in.
const WASM_PAGE: usize = 64 * 1024;

#[repr(C, align(16))]
struct Arena(UnsafeCell<[u8; ARENA_BYTES]>);

// SAFETY: the arena's bytes are only reached through the allocator, which hands each byte out
// once (see `System::alloc`); plugins run on one thread.
unsafe impl Sync for Arena {}

static ARENA: Arena = Arena(UnsafeCell::new([0; ARENA_BYTES]));

/// Whether dlmalloc has been given the arena already.
static ARENA_GIVEN: AtomicBool = AtomicBool::new(false);

/// Where dlmalloc gets its regions: the arena first, then new pages from `memory.grow`.
struct System;

// SAFETY: regions returned are either the arena (given once, never returned) or fresh pages
// from `memory.grow`, which belong to nobody else; neither is ever freed or moved.
unsafe impl Allocator for System {
    fn alloc(&self, size: usize) -> (*mut u8, usize, u32) {
        if size <= ARENA_BYTES && !ARENA_GIVEN.swap(true, Ordering::Relaxed) {
            return (ARENA.0.get().cast::<u8>(), ARENA_BYTES, 0);
        }
        grow(size)
    }

    fn remap(&self, _ptr: *mut u8, _old: usize, _new: usize, _can_move: bool) -> *mut u8 {
        ptr::null_mut()
    }

    fn free_part(&self, _ptr: *mut u8, _old: usize, _new: usize) -> bool {
        false
    }

    fn free(&self, _ptr: *mut u8, _size: usize) -> bool {
        false
    }

    fn can_release_part(&self, _flags: u32) -> bool {
        false
    }

    fn allocates_zeros(&self) -> bool {
        true
    }

    fn page_size(&self) -> usize {
        WASM_PAGE
    }
}

fn grow(size: usize) -> (*mut u8, usize, u32) {
    let pages = size.div_ceil(WASM_PAGE);
    let previous = core::arch::wasm32::memory_grow(0, pages);
    if previous == usize::MAX {
        return (ptr::null_mut(), 0, 0);
    }
    ((previous * WASM_PAGE) as *mut u8, pages * WASM_PAGE, 0)
}

/// The `#[global_allocator]` of every plugin built with the SDK's default features.
pub struct PluginAllocator {
    heap: UnsafeCell<Dlmalloc<System>>,
}

// SAFETY: this module is compiled only for WebAssembly without the `atomics` feature, where a
// plugin instance has exactly one thread, so the heap is never reached from two threads at once.
unsafe impl Sync for PluginAllocator {}

impl PluginAllocator {
    pub const fn new() -> Self {
        Self {
            heap: UnsafeCell::new(Dlmalloc::new_with_allocator(System)),
        }
    }
}

impl Default for PluginAllocator {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: every method forwards to dlmalloc with the layout the caller guarantees.
unsafe impl GlobalAlloc for PluginAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { (*self.heap.get()).malloc(layout.size(), layout.align()) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe { (*self.heap.get()).calloc(layout.size(), layout.align()) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { (*self.heap.get()).free(ptr, layout.size(), layout.align()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        unsafe { (*self.heap.get()).realloc(ptr, layout.size(), layout.align(), new_size) }
    }
}

#[cfg(feature = "allocator")]
#[global_allocator]
static GLOBAL: PluginAllocator = PluginAllocator::new();
