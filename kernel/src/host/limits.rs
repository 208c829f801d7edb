//! Per-call resource limits: a memory cap on the sum of all linear memories of a plugin instance.

use wasmtime::ResourceLimiter;

/// The error a plugin gets (as a trap) when it tries to grow past its memory cap; the kernel
/// recognises it to tell "out of memory" apart from other traps.
#[derive(Debug, thiserror::Error)]
#[error("the plugin tried to use {desired} bytes of memory; its cap is {cap} bytes")]
pub struct MemoryCapExceeded {
    pub cap: usize,
    pub desired: usize,
}

/// Tracks memory across every memory of the component (a component may hold several core
/// instances, each with its own memory) and refuses growth beyond the cap.
#[derive(Debug)]
pub struct CallLimiter {
    cap: usize,
    used: usize,
}

impl CallLimiter {
    pub fn new(cap: usize) -> Self {
        Self { cap, used: 0 }
    }

    /// Bytes of linear memory the instance holds now, its initial memories included.
    #[cfg(test)]
    pub fn used(&self) -> usize {
        self.used
    }
}

/// Upper bound on table elements: generous for real plugins, fatal for runaway ones.
const MAX_TABLE_ELEMENTS: usize = 1_000_000;

impl ResourceLimiter for CallLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self.used - current.min(self.used) + desired;
        if total > self.cap {
            return Err(MemoryCapExceeded {
                cap: self.cap,
                desired: total,
            }
            .into());
        }
        if maximum.is_some_and(|max| desired > max) {
            return Ok(false);
        }
        self.used = total;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS && maximum.is_none_or(|max| desired <= max))
    }
}
