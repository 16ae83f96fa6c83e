//! `RedisPersona\Policy`: every default and limit of the extension as nested
//! PHP arrays (`persona_core::policy::defaults`), so the WordPress plugin's
//! database fallback reads the same numbers instead of copying them.

use ext_php_rs::boxed::ZBox;
use ext_php_rs::flags::ClassFlags;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, Zval};
use persona_core::policy::{self, Value};

use crate::build_array::Arr;

/// The one policy of redis-persona, for the database fallback.
#[php_class]
#[php(name = "RedisPersona\\Policy", flags = ClassFlags::Final)]
pub struct Policy;

fn to_zval(value: &Value) -> Zval {
    let mut zval = Zval::new();
    match value {
        Value::Int(n) => zval.set_long(*n),
        Value::Float(x) => zval.set_double(*x),
        Value::Text(text) => {
            if let Err(e) = zval.set_string(text, false) {
                log::error!("redis-persona: cannot build policy string: {e}");
            }
        }
        Value::Map(entries) => zval.set_hashtable(to_array(entries)),
    }
    zval
}

fn to_array(entries: &[(&'static str, Value)]) -> ZBox<ZendHashTable> {
    entries
        .iter()
        .fold(Arr::new(), |arr, (name, value)| {
            arr.set(name, to_zval(value))
        })
        .build()
}

#[php_impl]
impl Policy {
    /// Every default and limit, nested by feature. No I/O, never throws.
    pub fn defaults() -> ZBox<ZendHashTable> {
        match policy::defaults() {
            Value::Map(entries) => to_array(&entries),
            _ => Arr::new().build(),
        }
    }
}
