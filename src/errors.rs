//! The PHP exception hierarchy and the mapping from core errors onto it.
//!
//! ```text
//! \RuntimeException
//!   └─ RedisPersona\Exception               runtime failures (error replies...)
//!        ├─ RedisPersona\ConnectionException  unreachable, timed out, breaker open
//!        └─ RedisPersona\RateLimitedException too many attempts; getRetryAfter()
//! \ValueError                               a bad argument, named in the message
//! ```
//!
//! Why these classes are built with `ClassBuilder` and not `#[php_class]`: a
//! `#[php_class]` struct installs its own `create_object` handler, which in
//! ext-php-rs 0.16 replaces the engine's exception constructor, so the thrown
//! object loses `getFile()`, `getLine()` and the trace. A class registered
//! without an object override inherits `create_object` from
//! `\RuntimeException`, and the engine fills in the call site as it does for
//! its own exceptions.

use std::ffi::{c_char, CStr};
use std::sync::atomic::{AtomicPtr, Ordering};

use ext_php_rs::builders::{ClassBuilder, ClassProperty, FunctionBuilder};
use ext_php_rs::exception::PhpException;
use ext_php_rs::ffi::{zend_class_entry, zend_object};
use ext_php_rs::flags::{DataType, MethodFlags, PropertyFlags};
use ext_php_rs::types::Zval;
use ext_php_rs::zend::{ce, ClassEntry, ExecuteData};
use persona_core::Error;

pub const EXCEPTION: &str = "RedisPersona\\Exception";
pub const CONNECTION_EXCEPTION: &str = "RedisPersona\\ConnectionException";
pub const RATE_LIMITED_EXCEPTION: &str = "RedisPersona\\RateLimitedException";

const RETRY_AFTER: &CStr = c"retryAfter";

static BASE: AtomicPtr<ClassEntry> = AtomicPtr::new(std::ptr::null_mut());
static CONNECTION: AtomicPtr<ClassEntry> = AtomicPtr::new(std::ptr::null_mut());
static RATE_LIMITED: AtomicPtr<ClassEntry> = AtomicPtr::new(std::ptr::null_mut());

extern "C" {
    /// SPL's `\RuntimeException`, exported by the PHP binary.
    static spl_ce_RuntimeException: *mut zend_class_entry;
    fn zend_update_property_long(
        scope: *mut zend_class_entry,
        object: *mut zend_object,
        name: *const c_char,
        name_length: usize,
        value: i64,
    );
    fn zend_read_property(
        scope: *mut zend_class_entry,
        object: *mut zend_object,
        name: *const c_char,
        name_length: usize,
        silent: bool,
        rv: *mut Zval,
    ) -> *mut Zval;
}

fn loaded(slot: &AtomicPtr<ClassEntry>) -> Option<&'static ClassEntry> {
    // SAFETY: only ever set to class entries the engine registered for the
    // life of the process.
    unsafe { slot.load(Ordering::Acquire).as_ref() }
}

fn runtime_exception() -> &'static ClassEntry {
    // SAFETY: SPL registers its classes before any extension loaded with
    // `extension=`; `register_classes` checks for null before this is called.
    unsafe { &*spl_ce_RuntimeException.cast::<ClassEntry>() }
}

fn base() -> &'static ClassEntry {
    loaded(&BASE).unwrap_or_else(ce::exception)
}

fn connection() -> &'static ClassEntry {
    loaded(&CONNECTION).unwrap_or_else(base)
}

fn rate_limited() -> &'static ClassEntry {
    loaded(&RATE_LIMITED).unwrap_or_else(base)
}

/// Registers the exception classes. Called from module startup (MINIT).
pub fn register_classes() -> ext_php_rs::error::Result<()> {
    // SAFETY: reading an exported pointer-sized global.
    if unsafe { spl_ce_RuntimeException.is_null() } {
        return Err(ext_php_rs::error::Error::InvalidPointer);
    }
    ClassBuilder::new(EXCEPTION)
        .extends((runtime_exception, "RuntimeException"))
        .registration(|ce, tables| {
            std::mem::forget(tables);
            BASE.store(ce, Ordering::Release);
        })
        .register()?;
    ClassBuilder::new(CONNECTION_EXCEPTION)
        .extends((base, EXCEPTION))
        .registration(|ce, tables| {
            std::mem::forget(tables);
            CONNECTION.store(ce, Ordering::Release);
        })
        .register()?;
    let get_retry_after = FunctionBuilder::new("getRetryAfter", get_retry_after_handler)
        .returns(DataType::Long, false, false)
        .docs(&["/** Seconds to wait before the next attempt can succeed. */"]);
    ClassBuilder::new(RATE_LIMITED_EXCEPTION)
        .extends((base, EXCEPTION))
        .property(ClassProperty {
            name: "retryAfter".into(),
            flags: PropertyFlags::Protected,
            default: Some(Box::new(|| {
                let mut zero = Zval::new();
                zero.set_long(0);
                Ok(zero)
            })),
            docs: &[],
            ty: Some(DataType::Long),
            nullable: false,
            readonly: false,
            default_stub: Some("0".into()),
        })
        .method(get_retry_after, MethodFlags::Public)
        .registration(|ce, tables| {
            // The engine keeps pointers into the argument tables for the life
            // of the process.
            std::mem::forget(tables);
            RATE_LIMITED.store(ce, Ordering::Release);
        })
        .register()?;
    Ok(())
}

extern "C" fn get_retry_after_handler(ex: &mut ExecuteData, retval: &mut Zval) {
    let Some(this) = ex.get_self() else {
        retval.set_long(0);
        return;
    };
    let mut rv = Zval::new();
    let class = rate_limited();
    // SAFETY: `this` is a live object of (a subclass of) the class that
    // declares the property; `rv` outlives the call.
    let value = unsafe {
        zend_read_property(
            std::ptr::from_ref(class).cast_mut().cast(),
            std::ptr::from_mut(this).cast(),
            RETRY_AFTER.as_ptr(),
            RETRY_AFTER.to_bytes().len(),
            true,
            &raw mut rv,
        )
        .as_ref()
    };
    retval.set_long(value.and_then(Zval::long).unwrap_or(0));
}

/// A PHP exception for a core error. Bad arguments become `\ValueError`.
pub fn to_php(err: Error) -> PhpException {
    let message = err.to_string();
    match err {
        Error::Connection { .. } => PhpException::new(message, 0, connection()),
        Error::Server(_) => PhpException::new(message, 0, base()),
        Error::InvalidArgument { .. } => PhpException::new(message, 0, ce::value_error()),
        Error::RateLimited { retry_after, .. } => {
            throw_rate_limited(&message, retry_after.as_secs_f64().ceil() as i64);
            // Already pending: `throw()` of this one is a no-op.
            PhpException::new(message, 0, rate_limited())
        }
    }
}

fn throw_rate_limited(message: &str, retry_after: i64) {
    PhpException::new(message.to_owned(), 0, rate_limited()).throw();
    // SAFETY: the executor globals are valid while a PHP call runs, and the
    // pending exception is the object just thrown.
    unsafe {
        let globals = ext_php_rs::ffi::ext_php_rs_executor_globals();
        if let Some(globals) = globals.as_ref() {
            if !globals.exception.is_null() {
                zend_update_property_long(
                    std::ptr::from_ref(rate_limited()).cast_mut().cast(),
                    globals.exception,
                    RETRY_AFTER.as_ptr(),
                    RETRY_AFTER.to_bytes().len(),
                    retry_after,
                );
            }
        }
    }
}

/// Lets `?` turn core errors into PHP exceptions in method bodies.
pub trait OrThrow<T> {
    fn or_throw(self) -> Result<T, PhpException>;
}

impl<T> OrThrow<T> for persona_core::Result<T> {
    fn or_throw(self) -> Result<T, PhpException> {
        self.map_err(to_php)
    }
}
