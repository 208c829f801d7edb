//! Structured logging into the kernel's log, where every line is tagged with the instance and
//! the plugin (plugins have no stdout of their own).

use crate::bindings::trama::plugin::types::LogLevel;
use crate::host::log::write;

pub fn trace(message: impl AsRef<str>) {
    write(LogLevel::Trace, message.as_ref());
}

pub fn debug(message: impl AsRef<str>) {
    write(LogLevel::Debug, message.as_ref());
}

pub fn info(message: impl AsRef<str>) {
    write(LogLevel::Info, message.as_ref());
}

pub fn warn(message: impl AsRef<str>) {
    write(LogLevel::Warn, message.as_ref());
}

pub fn error(message: impl AsRef<str>) {
    write(LogLevel::Error, message.as_ref());
}
