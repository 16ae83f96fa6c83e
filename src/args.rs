//! Argument types that follow PHP's rules for internal functions.
//!
//! ext-php-rs's own `String`/`&str` parameters accept only UTF-8 strings and
//! never coerce. PHP users expect what `strlen()` does: in coercive mode an
//! int, float, bool or `Stringable` is accepted for a `string` parameter;
//! with `declare(strict_types=1)` in the calling file only a string is; and
//! strings are bytes, not UTF-8. These types implement exactly that, and still
//! declare `string`/`int`/`array` to Reflection, so the stubs stay truthful.
//!
//! When a value is refused, the macro-generated wrapper throws a `TypeError`
//! whose message only says ``Invalid value given for argument `key`.``.
//! [`install_type_error_hook`] (in `args/type_errors.rs`) rewrites it into what PHP's own functions say,
//! `RedisPersona\Client::get(): Argument #1 ($key) must be of type string,
//! array given`, for every method of every class (the wrappers are generated,
//! so the message is fixed where it is thrown: in the engine's throw hook).

use ext_php_rs::convert::{FromZval, IntoZval, StubLiteral};
use ext_php_rs::flags::DataType;
use ext_php_rs::types::{ZendHashTable, ZendStr, Zval};

mod type_errors;
use persona_core::OptionValue;
pub use type_errors::install_type_error_hook;

/// `ZEND_ACC_STRICT_TYPES`: set on functions compiled with strict_types=1.
const ZEND_ACC_STRICT_TYPES: u32 = 1 << 31;

/// Whether the PHP code calling the running internal function declared
/// `strict_types=1` (the engine's `ZEND_ARG_USES_STRICT_TYPES()`).
fn caller_uses_strict_types() -> bool {
    // SAFETY: read-only walk of the engine's call frames during a call from
    // PHP; every pointer is checked for null before it is followed.
    unsafe {
        let Some(globals) = ext_php_rs::ffi::ext_php_rs_executor_globals().as_ref() else {
            return false;
        };
        let Some(current) = globals.current_execute_data.as_ref() else {
            return false;
        };
        let Some(caller) = current.prev_execute_data.as_ref() else {
            return false;
        };
        let Some(func) = caller.func.as_ref() else {
            return false;
        };
        func.common.fn_flags & ZEND_ACC_STRICT_TYPES != 0
    }
}

/// The name PHP's own messages use for a value's type (`int`, not `long`).
pub fn php_type_name(value: &Zval) -> &'static str {
    let value = value.dereference();
    if value.is_null() {
        "null"
    } else if value.is_bool() {
        "bool"
    } else if value.is_long() {
        "int"
    } else if value.is_double() {
        "float"
    } else if value.is_string() {
        "string"
    } else if value.is_array() {
        "array"
    } else if value.is_object() {
        "object"
    } else {
        "resource"
    }
}

/// A binary-safe PHP `string` parameter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

impl Bytes {
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl<'a> FromZval<'a> for Bytes {
    const TYPE: DataType = DataType::String;

    fn from_zval(zval: &'a Zval) -> Option<Self> {
        let zval = zval.dereference();
        if let Some(s) = zval.zend_str() {
            return Some(Bytes(s.as_bytes().to_vec()));
        }
        if zval.is_null() || caller_uses_strict_types() {
            // null: `?string` handles it, `string` refuses it.
            return None;
        }
        if let Some(b) = zval.bool() {
            return Some(Bytes(if b { b"1".to_vec() } else { Vec::new() }));
        }
        if zval.is_long() || zval.is_double() {
            return zval.coerce_to_string().map(|s| Bytes(s.into_bytes()));
        }
        if let Some(obj) = zval.object() {
            let has_to_string = obj
                .get_class_entry()
                .instance_of(ext_php_rs::zend::ce::stringable());
            if has_to_string {
                let result = obj.try_call_method("__toString", vec![]).ok()?;
                return result.zend_str().map(|s| Bytes(s.as_bytes().to_vec()));
            }
        }
        None
    }
}

impl IntoZval for Bytes {
    const TYPE: DataType = DataType::String;
    const NULLABLE: bool = false;

    fn set_zval(self, zv: &mut Zval, persistent: bool) -> ext_php_rs::error::Result<()> {
        zv.set_zend_string(ZendStr::new(&self.0, persistent));
        Ok(())
    }
}

impl StubLiteral for Bytes {
    fn stub_literal(&self) -> String {
        format!(
            "'{}'",
            String::from_utf8_lossy(&self.0).replace('\'', "\\'")
        )
    }
}

/// A PHP `int` parameter: in coercive mode integral floats, numeric strings
/// (surrounding whitespace allowed) and bools are accepted as PHP accepts
/// them; strict mode takes only ints. Fractional or non-numeric values are
/// refused rather than truncated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Int(pub i64);

impl From<i64> for Int {
    fn from(n: i64) -> Int {
        Int(n)
    }
}

impl<'a> FromZval<'a> for Int {
    const TYPE: DataType = DataType::Long;

    fn from_zval(zval: &'a Zval) -> Option<Self> {
        let zval = zval.dereference();
        if let Some(n) = zval.long() {
            return Some(Int(n));
        }
        if zval.is_null() || caller_uses_strict_types() {
            return None;
        }
        if let Some(f) = zval.double() {
            return integral(f).map(Int);
        }
        if let Some(b) = zval.bool() {
            return Some(Int(i64::from(b)));
        }
        let text = std::str::from_utf8(zval.zend_str()?.as_bytes()).ok()?;
        let text = text.trim_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
        if let Ok(n) = text.parse::<i64>() {
            return Some(Int(n));
        }
        text.parse::<f64>().ok().and_then(integral).map(Int)
    }
}

fn integral(f: f64) -> Option<i64> {
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e18).then_some(f as i64)
}

impl StubLiteral for Int {
    fn stub_literal(&self) -> String {
        self.0.to_string()
    }
}

/// A PHP `bool` parameter: in coercive mode ints, floats and strings are
/// accepted as PHP converts them (`0`, `0.0`, `""` and `"0"` are false);
/// strict mode takes only bools.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flag(pub bool);

impl<'a> FromZval<'a> for Flag {
    const TYPE: DataType = DataType::Bool;

    fn from_zval(zval: &'a Zval) -> Option<Self> {
        let zval = zval.dereference();
        if let Some(b) = zval.bool() {
            return Some(Flag(b));
        }
        if zval.is_null() || caller_uses_strict_types() {
            return None;
        }
        if let Some(n) = zval.long() {
            return Some(Flag(n != 0));
        }
        if let Some(f) = zval.double() {
            return Some(Flag(f != 0.0));
        }
        let text = zval.zend_str()?;
        Some(Flag(!matches!(text.as_bytes(), b"" | b"0")))
    }
}

impl StubLiteral for Flag {
    fn stub_literal(&self) -> String {
        self.0.to_string()
    }
}

/// An `array $options = []` parameter, detached from the engine as
/// name ⇒ value pairs. Non-string keys are kept as their decimal text so the
/// validation can name them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options(pub Vec<(String, OptionValue)>);

impl<'a> FromZval<'a> for Options {
    const TYPE: DataType = DataType::Array;

    fn from_zval(zval: &'a Zval) -> Option<Self> {
        let table = zval.dereference().array()?;
        let pairs = entries(table)
            .into_iter()
            .map(|(key, value)| (key.text(), option_value(value, 0)))
            .collect();
        Some(Options(pairs))
    }
}

/// A PHP array key as the engine holds it: an index, or a byte string that
/// need not be UTF-8.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    Index(i64),
    Name(Vec<u8>),
}

impl Key {
    /// The key's bytes (an index as its decimal text).
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Key::Index(n) => n.to_string().into_bytes(),
            Key::Name(b) => b.clone(),
        }
    }

    /// The key as it may be printed in a message (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        persona_core::error::printable(&self.bytes())
    }
}

/// Every entry of a PHP array, in order. Not `ZendHashTable::iter()`: it
/// panics (`expect`) on a string key that is not valid UTF-8, and any PHP
/// code can pass one (`["\xff" => 1]`). `next_zval()` hands the raw key back.
pub fn entries(table: &ZendHashTable) -> Vec<(Key, &Zval)> {
    let mut iter = ext_php_rs::types::array::Iter::new(table);
    let mut out = Vec::with_capacity(table.len());
    while let Some((key, value)) = iter.next_zval() {
        let key = match (key.long(), key.zend_str()) {
            (Some(n), _) => Key::Index(n),
            (None, Some(name)) => Key::Name(name.as_bytes().to_vec()),
            (None, None) => Key::Index(out.len() as i64),
        };
        out.push((key, value));
    }
    out
}

impl StubLiteral for Options {
    fn stub_literal(&self) -> String {
        "[]".into()
    }
}

fn option_value(zval: &Zval, depth: usize) -> OptionValue {
    let zval = zval.dereference();
    if zval.is_null() {
        OptionValue::Null
    } else if let Some(b) = zval.bool() {
        OptionValue::Bool(b)
    } else if let Some(n) = zval.long() {
        OptionValue::Int(n)
    } else if let Some(f) = zval.double() {
        OptionValue::Float(f)
    } else if let Some(s) = zval.zend_str() {
        OptionValue::Str(s.as_bytes().to_vec())
    } else if let Some(list) = zval.array() {
        if depth > 4 {
            return OptionValue::Other("array");
        }
        OptionValue::List(
            entries(list)
                .into_iter()
                .map(|(_, v)| option_value(v, depth + 1))
                .collect(),
        )
    } else if zval.is_object() {
        OptionValue::Other("object")
    } else {
        OptionValue::Other("resource")
    }
}

/// Reads PHP arrays passed as arguments into plain Rust values, with errors
/// that name the argument and the offending element.
pub mod read_array {
    use super::{entries, Key};
    use ext_php_rs::types::{ZendHashTable, Zval};
    use persona_core::{Error, PostId, Result};

    fn key_text(key: &Key) -> String {
        key.text()
    }

    fn type_name(value: &Zval) -> &'static str {
        super::php_type_name(value)
    }

    /// A list of post ids: ints, or strings of digits (as WordPress hands
    /// them out of the database).
    pub fn post_ids(argument: &str, table: &ZendHashTable) -> Result<Vec<PostId>> {
        entries(table)
            .into_iter()
            .map(|(key, value)| {
                let element = format!("{argument}[{}]", key_text(&key));
                let value = value.dereference();
                let id = if let Some(n) = value.long() {
                    Some(n)
                } else if let Some(s) = value.zend_str() {
                    std::str::from_utf8(s.as_bytes())
                        .ok()
                        .and_then(|t| t.parse::<i64>().ok())
                } else {
                    None
                };
                match id {
                    Some(n) => PostId::parse(&element, n),
                    None => Err(Error::invalid(
                        element,
                        format!("must be a post id (int), {} given", type_name(value)),
                    )),
                }
            })
            .collect()
    }

    /// A list of strings.
    pub fn strings(argument: &str, table: &ZendHashTable) -> Result<Vec<Vec<u8>>> {
        entries(table)
            .into_iter()
            .map(|(key, value)| match value.dereference().zend_str() {
                Some(s) => Ok(s.as_bytes().to_vec()),
                None => Err(Error::invalid(
                    format!("{argument}[{}]", key_text(&key)),
                    format!("must be a string, {} given", type_name(value)),
                )),
            })
            .collect()
    }

    /// A string-keyed map of strings, as `(key, value)` pairs in order.
    pub fn string_map(argument: &str, table: &ZendHashTable) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        entries(table)
            .into_iter()
            .map(|(key, value)| {
                let element = format!("{argument}[{}]", key_text(&key));
                let name = key.bytes();
                match value.dereference().zend_str() {
                    Some(s) => Ok((name, s.as_bytes().to_vec())),
                    None => Err(Error::invalid(
                        element,
                        format!("must be a string, {} given", type_name(value)),
                    )),
                }
            })
            .collect()
    }
}
