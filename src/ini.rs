//! INI settings. Dotted and grouped like phpredis; `0` or empty means the
//! built-in default, so a packaged ini file can list every setting at `0`.
//!
//! Values are read when a `Client` is constructed (not cached at startup), so
//! `ini_set()` and per-pool `php_admin_value` take effect.

use std::ffi::{c_char, c_int, CStr};

use ext_php_rs::flags::IniEntryPermission;
use ext_php_rs::zend::{IniEntryDef, IniEntryDefs};
use persona_core::config::TopologyDefaults;
use persona_core::Defaults;

pub const URL: &CStr = c"redis_persona.url";
pub const PREFIX: &CStr = c"redis_persona.prefix";
pub const CONNECT_TIMEOUT_MS: &CStr = c"redis_persona.connect_timeout_ms";
pub const READ_TIMEOUT_MS: &CStr = c"redis_persona.read_timeout_ms";
pub const POOL_SIZE: &CStr = c"redis_persona.pool_size";
pub const RETRY_INTERVAL_MS: &CStr = c"redis_persona.retry_interval_ms";
pub const LOG_LEVEL: &CStr = c"redis_persona.log_level";
pub const CLUSTER: &CStr = c"redis_persona.cluster";
pub const SENTINEL: &CStr = c"redis_persona.sentinel";
pub const SENTINEL_SERVICE: &CStr = c"redis_persona.sentinel_service";

static ENTRIES: IniEntryDefs<11> = IniEntryDefs::new([
    entry(URL, c""),
    entry(PREFIX, c""),
    entry(CONNECT_TIMEOUT_MS, c"0"),
    entry(READ_TIMEOUT_MS, c"0"),
    entry(POOL_SIZE, c"0"),
    entry(RETRY_INTERVAL_MS, c"0"),
    entry(LOG_LEVEL, c"0"),
    entry(CLUSTER, c""),
    entry(SENTINEL, c""),
    entry(SENTINEL_SERVICE, c""),
    IniEntryDef::end(),
]);

/// A `PHP_INI_ALL` setting with an `on_modify` handler that accepts every
/// value. Values are validated when a `Client` reads them, but the handler
/// must exist: PHP's `ini_restore()` treats an entry without one as a
/// failed restore (`zend_restore_ini_entry_cb` starts from FAILURE), so a
/// value set with `ini_set()` could never be restored within a request.
const fn entry(name: &'static CStr, default: &'static CStr) -> IniEntryDef {
    let mut def = IniEntryDef::new(name, default, IniEntryPermission::All);
    def.on_modify = Some(accept_any_value);
    def
}

unsafe extern "C" fn accept_any_value(
    _entry: *mut ext_php_rs::ffi::zend_ini_entry,
    _new_value: *mut ext_php_rs::ffi::zend_string,
    _mh_arg1: *mut std::ffi::c_void,
    _mh_arg2: *mut std::ffi::c_void,
    _mh_arg3: *mut std::ffi::c_void,
    _stage: c_int,
) -> c_int {
    0 // SUCCESS
}

extern "C" {
    fn zend_ini_string_ex(
        name: *const c_char,
        name_length: usize,
        orig: c_int,
        exists: *mut bool,
    ) -> *mut c_char;
    fn zend_ini_long(name: *const c_char, name_length: usize, orig: c_int) -> i64;
}

/// Registers the settings; called from module startup.
pub fn register(module_number: i32) {
    IniEntryDef::register(ENTRIES.as_slice(), module_number);
}

/// The current value of a string setting ("" when unset).
pub fn string(name: &CStr) -> String {
    let mut exists = false;
    // SAFETY: the engine returns a NUL-terminated string it owns (or null).
    unsafe {
        let value = zend_ini_string_ex(name.as_ptr(), name.to_bytes().len(), 0, &raw mut exists);
        if value.is_null() {
            return String::new();
        }
        CStr::from_ptr(value).to_string_lossy().trim().to_owned()
    }
}

/// The current value of an integer setting (0 when unset or not a number).
pub fn long(name: &CStr) -> i64 {
    // SAFETY: plain lookup in the engine's ini table.
    unsafe { zend_ini_long(name.as_ptr(), name.to_bytes().len(), 0) }
}

/// The process defaults a new `Client` starts from.
pub fn defaults() -> Defaults {
    Defaults {
        url: string(URL),
        prefix: string(PREFIX),
        connect_timeout_ms: long(CONNECT_TIMEOUT_MS),
        read_timeout_ms: long(READ_TIMEOUT_MS),
        pool_size: long(POOL_SIZE),
        retry_interval_ms: long(RETRY_INTERVAL_MS),
        topology: TopologyDefaults {
            cluster: string(CLUSTER),
            sentinel: string(SENTINEL),
            sentinel_service: string(SENTINEL_SERVICE),
        },
    }
}

/// A comma-separated URL list with every password masked.
fn masked_list(text: &str) -> String {
    text.split(',')
        .map(|url| persona_core::config::mask_password(url.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// All settings as name ⇒ shown value, the URL's password masked.
pub fn shown() -> Vec<(&'static str, String)> {
    let url = string(URL);
    let masked = if url.is_empty() {
        format!("(default: {})", persona_core::config::DEFAULT_URL)
    } else {
        persona_core::config::mask_password(&url)
    };
    let or_none = |value: String| {
        if value.is_empty() {
            "(none)".to_owned()
        } else {
            value
        }
    };
    let or_default = |value: String| {
        if value.is_empty() || value == "0" {
            "0 (default)".to_owned()
        } else {
            value
        }
    };
    vec![
        ("redis_persona.url", masked),
        ("redis_persona.prefix", or_default(string(PREFIX))),
        (
            "redis_persona.connect_timeout_ms",
            or_default(string(CONNECT_TIMEOUT_MS)),
        ),
        (
            "redis_persona.read_timeout_ms",
            or_default(string(READ_TIMEOUT_MS)),
        ),
        ("redis_persona.pool_size", or_default(string(POOL_SIZE))),
        (
            "redis_persona.retry_interval_ms",
            or_default(string(RETRY_INTERVAL_MS)),
        ),
        ("redis_persona.log_level", or_default(string(LOG_LEVEL))),
        (
            "redis_persona.cluster",
            or_none(masked_list(&string(CLUSTER))),
        ),
        (
            "redis_persona.sentinel",
            or_none(masked_list(&string(SENTINEL))),
        ),
        (
            "redis_persona.sentinel_service",
            or_none(string(SENTINEL_SERVICE)),
        ),
    ]
}
