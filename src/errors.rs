//! The PHP exception hierarchy and the mapping from core errors onto it.
//!
//! ```text
//! \RuntimeException
//!   └─ RedisPersona\Exception               runtime failures (error replies...)
//!        ├─ RedisPersona\ConnectionException  unreachable, timed out, breaker open
//!        │    └─ RedisPersona\UnavailableException  the server refused to serve
//!        │         (READONLY, OOM, MISCONF, NOPERM, NOAUTH, LOADING, MASTERDOWN,
//!        │          BUSY, TRYAGAIN, CLUSTERDOWN); getServerCode()
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
//! its own exceptions. The extra fields (`retryAfter`, `serverCode`) are
//! declared properties set on the thrown object.
//!
//! `UnavailableException` extends `ConnectionException` so that code written
//! as `catch (ConnectionException $e) { fall back }` degrades on a read-only
//! replica or a full server exactly as it does on an outage.

use std::ffi::{c_char, CStr};
use std::sync::atomic::{AtomicPtr, Ordering};

use ext_php_rs::builders::{ClassBuilder, ClassProperty, FunctionBuilder};
use ext_php_rs::exception::PhpException;
use ext_php_rs::ffi::{zend_class_entry, zend_object};
use ext_php_rs::flags::{DataType, MethodFlags, PropertyFlags};
use ext_php_rs::types::{ZendObject, Zval};
use ext_php_rs::zend::{ce, ClassEntry, ExecuteData};
use persona_core::Error;

pub const EXCEPTION: &str = "RedisPersona\\Exception";
pub const CONNECTION_EXCEPTION: &str = "RedisPersona\\ConnectionException";
pub const RATE_LIMITED_EXCEPTION: &str = "RedisPersona\\RateLimitedException";
pub const UNAVAILABLE_EXCEPTION: &str = "RedisPersona\\UnavailableException";

const RETRY_AFTER: &CStr = c"retryAfter";
const SERVER_CODE: &CStr = c"serverCode";

static BASE: AtomicPtr<ClassEntry> = AtomicPtr::new(std::ptr::null_mut());
static CONNECTION: AtomicPtr<ClassEntry> = AtomicPtr::new(std::ptr::null_mut());
static RATE_LIMITED: AtomicPtr<ClassEntry> = AtomicPtr::new(std::ptr::null_mut());
static UNAVAILABLE: AtomicPtr<ClassEntry> = AtomicPtr::new(std::ptr::null_mut());

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
    fn zend_update_property_stringl(
        scope: *mut zend_class_entry,
        object: *mut zend_object,
        name: *const c_char,
        name_length: usize,
        value: *const c_char,
        value_len: usize,
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

fn unavailable() -> &'static ClassEntry {
    loaded(&UNAVAILABLE).unwrap_or_else(connection)
}

/// Registers the exception classes and the hook that gives argument
/// `TypeError`s PHP's own wording. Called from module startup (MINIT).
pub fn register_classes() -> ext_php_rs::error::Result<()> {
    crate::args::install_type_error_hook();
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
    let get_server_code = FunctionBuilder::new("getServerCode", get_server_code_handler)
        .returns(DataType::String, false, false)
        .docs(&["/** The Redis error code of the refusal: 'READONLY', 'OOM', 'NOAUTH'... */"]);
    ClassBuilder::new(UNAVAILABLE_EXCEPTION)
        .extends((connection, CONNECTION_EXCEPTION))
        .property(ClassProperty {
            name: "serverCode".into(),
            flags: PropertyFlags::Protected,
            default: Some(Box::new(|| {
                let mut empty = Zval::new();
                empty.set_string("", false)?;
                Ok(empty)
            })),
            docs: &[],
            ty: Some(DataType::String),
            nullable: false,
            readonly: false,
            default_stub: Some("''".into()),
        })
        .method(get_server_code, MethodFlags::Public)
        .registration(|ce, tables| {
            std::mem::forget(tables);
            UNAVAILABLE.store(ce, Ordering::Release);
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

/// Reads a declared property of `class` from the object a method runs on.
fn read_own_property(ex: &mut ExecuteData, class: &ClassEntry, name: &CStr) -> Option<Zval> {
    read_property(ex.get_self()?, class, name)
}

/// A property of an object, read as the class that declares it (so a
/// protected property of an exception can be read from Rust).
pub(crate) fn read_property(
    object: &mut ZendObject,
    class: &ClassEntry,
    name: &CStr,
) -> Option<Zval> {
    let mut rv = Zval::new();
    // SAFETY: `object` is a live object of (a subclass of) the class that
    // declares the property; `rv` outlives the call.
    let value = unsafe {
        zend_read_property(
            std::ptr::from_ref(class).cast_mut().cast(),
            std::ptr::from_mut(object).cast(),
            name.as_ptr(),
            name.to_bytes().len(),
            true,
            &raw mut rv,
        )
        .as_ref()
    };
    value.map(Zval::shallow_clone)
}

extern "C" fn get_retry_after_handler(ex: &mut ExecuteData, retval: &mut Zval) {
    let value = read_own_property(ex, rate_limited(), RETRY_AFTER);
    retval.set_long(value.as_ref().and_then(Zval::long).unwrap_or(0));
}

extern "C" fn get_server_code_handler(ex: &mut ExecuteData, retval: &mut Zval) {
    let value = read_own_property(ex, unavailable(), SERVER_CODE);
    let code = value.as_ref().and_then(Zval::string).unwrap_or_default();
    let _ = retval.set_string(&code, false);
}

/// A PHP exception for a core error. Bad arguments become `\ValueError`.
pub fn to_php(err: Error) -> PhpException {
    let message = err.to_string();
    if let Some(code) = err.server_code() {
        throw_with(unavailable(), &message, |class, object| {
            // SAFETY: `object` is the pending exception, an instance of `class`.
            unsafe {
                zend_update_property_stringl(
                    class,
                    object,
                    SERVER_CODE.as_ptr(),
                    SERVER_CODE.to_bytes().len(),
                    code.as_ptr().cast(),
                    code.len(),
                );
            }
        });
        // Already pending: `throw()` of this one is a no-op.
        return PhpException::new(message, 0, unavailable());
    }
    match err {
        Error::Connection { .. } => PhpException::new(message, 0, connection()),
        Error::Server(_) => PhpException::new(message, 0, base()),
        Error::InvalidArgument { .. } => PhpException::new(message, 0, ce::value_error()),
        Error::RateLimited { retry_after, .. } => {
            let seconds = retry_after.as_secs_f64().ceil() as i64;
            throw_with(rate_limited(), &message, |class, object| {
                // SAFETY: `object` is the pending exception, an instance of `class`.
                unsafe {
                    zend_update_property_long(
                        class,
                        object,
                        RETRY_AFTER.as_ptr(),
                        RETRY_AFTER.to_bytes().len(),
                        seconds,
                    );
                }
            });
            PhpException::new(message, 0, rate_limited())
        }
    }
}

/// Throws an engine-created exception of `class` (so it keeps the call
/// site), then lets `fill` set its extra properties.
fn throw_with(
    class: &'static ClassEntry,
    message: &str,
    fill: impl FnOnce(*mut zend_class_entry, *mut zend_object),
) {
    PhpException::new(message.to_owned(), 0, class).throw();
    // SAFETY: the executor globals are valid while a PHP call runs, and the
    // pending exception is the object just thrown.
    unsafe {
        let globals = ext_php_rs::ffi::ext_php_rs_executor_globals();
        if let Some(globals) = globals.as_ref() {
            // Another exception may have been pending (then ours was not
            // thrown): never add properties to an object of another class.
            let pending = globals.exception.cast::<ZendObject>().as_ref();
            if pending.is_some_and(|object| object.instance_of(class)) {
                fill(
                    std::ptr::from_ref(class).cast_mut().cast(),
                    globals.exception,
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
