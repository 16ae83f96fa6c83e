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
//! # How a thrown exception keeps its file, line and trace
//!
//! One mechanism, in [`engine_exception`]: the engine creates the object with
//! the class's `create_object` handler, which every class here inherits
//! unchanged from `\RuntimeException` (or `\Error`). That handler,
//! `zend_default_exception_new`, records `file`, `line` and `trace` from the
//! PHP frame that called us, exactly as for `throw new X` in PHP. We then set
//! `message` and the extra properties (`retryAfter`, `serverCode`) on that
//! object and hand it to ext-php-rs in the returned `PhpException`
//! (`with_object`), which throws it once with `zend_throw_exception_object`.
//! Nothing is thrown before the method returns, so nothing relies on a second
//! throw being ignored.
//!
//! Why not `#[php_class]` with ext-php-rs's own `extends(ce = ...)` route:
//! in ext-php-rs 0.16 (checked on 0.16.4) it still loses the call site. A
//! `#[php_class]` installs its own `create_object`
//! (`ClassBuilder::object_override`), which allocates the object with
//! `zend_object_std_init` + `object_properties_init` and never calls the
//! parent's `zend_default_exception_new`. The reduced reproduction:
//!
//! ```text
//! #[php_class]
//! #[php(name = "Repro\\Oops", extends(ce = ce::exception, stub = "\\Exception"))]
//! #[derive(Default)]
//! pub struct Oops;
//!
//! #[php_function]
//! pub fn repro_throw() -> PhpResult<()> {
//!     Err(PhpException::from_class::<Oops>("oops".into()))
//! }
//! ```
//!
//! ```text
//! try { repro_throw(); } catch (Repro\Oops $e) {
//!     var_dump($e->getFile(), $e->getLine(), count($e->getTrace()));
//! }
//! // Run with ext-php-rs 0.16.4 on PHP 8.2: string(0) "", int(0), int(0).
//! // The object never passed through zend_default_exception_new, so file,
//! // line and trace keep \Exception's property defaults. And without a
//! // #[php(constructor)], `new Repro\Oops('x')` from PHP throws "You cannot
//! // instantiate this class from PHP", which our classes must allow.
//! ```
//!
//! The same class built with `ClassBuilder` and no object override reports
//! the calling file, line and trace (tests/php/ExceptionTest.php checks each
//! class the extension throws).
//!
//! So these classes are built with `ClassBuilder`, without an object override;
//! the extra fields are declared properties, read back by the getters.
//!
//! `UnavailableException` extends `ConnectionException` so that code written
//! as `catch (ConnectionException $e) { fall back }` degrades on a read-only
//! replica or a full server exactly as it does on an outage.

use std::ffi::{c_char, CStr};
use std::sync::atomic::{AtomicPtr, Ordering};

use ext_php_rs::builders::{ClassBuilder, ClassProperty, FunctionBuilder};
use ext_php_rs::convert::IntoZval;
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
const MESSAGE: &CStr = c"message";

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
        return engine_exception(unavailable(), &message, |class, object| {
            // SAFETY: `object` is a fresh instance of `class`, which declares
            // the property.
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
    }
    match err {
        Error::Connection { .. } => engine_exception(connection(), &message, |_, _| {}),
        Error::Server(_) => engine_exception(base(), &message, |_, _| {}),
        Error::InvalidArgument { .. } => engine_exception(ce::value_error(), &message, |_, _| {}),
        Error::RateLimited { retry_after, .. } => {
            let seconds = retry_after.as_secs_f64().ceil() as i64;
            engine_exception(rate_limited(), &message, |class, object| {
                // SAFETY: as above.
                unsafe {
                    zend_update_property_long(
                        class,
                        object,
                        RETRY_AFTER.as_ptr(),
                        RETRY_AFTER.to_bytes().len(),
                        seconds,
                    );
                }
            })
        }
    }
}

/// The one way this extension makes an exception: the engine creates the
/// object (the class's inherited `create_object`, which records file, line
/// and trace), `message` and `fill`'s extra properties are set on it, and the
/// returned `PhpException` carries that object, so ext-php-rs throws it once.
fn engine_exception(
    class: &'static ClassEntry,
    message: &str,
    fill: impl FnOnce(*mut zend_class_entry, *mut zend_object),
) -> PhpException {
    let plain = || PhpException::new(message.to_owned(), 0, class);
    // SAFETY: reading the handler slot of a registered class entry.
    let engine_made = unsafe { class.__bindgen_anon_2.create_object.is_some() };
    if !engine_made {
        // Not a class of ours or the engine's; let ext-php-rs throw it.
        return plain();
    }
    let mut object = ZendObject::new(class);
    // `\Exception` and `\Error` (so `\ValueError`) each declare `message`.
    let declaring = if object.instance_of(ce::exception()) {
        ce::exception()
    } else {
        ce::error()
    };
    let this = std::ptr::from_mut(&mut *object).cast();
    // SAFETY: `this` is a live, fresh object of `class`, a subclass of
    // `declaring`, which declares the protected `message` property.
    unsafe {
        zend_update_property_stringl(
            std::ptr::from_ref(declaring).cast_mut().cast(),
            this,
            MESSAGE.as_ptr(),
            MESSAGE.to_bytes().len(),
            message.as_ptr().cast(),
            message.len(),
        );
    }
    fill(std::ptr::from_ref(class).cast_mut().cast(), this);
    match object.into_zval(false) {
        Ok(zval) => plain().with_object(zval),
        Err(_) => plain(),
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
