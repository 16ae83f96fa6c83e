//! Building PHP arrays from Rust values without panics: an insert that cannot
//! fail in practice (string keys, scalar values) is still handled, by logging.

use ext_php_rs::boxed::ZBox;
use ext_php_rs::convert::IntoZval;
use ext_php_rs::types::ZendHashTable;

/// A string-keyed PHP array under construction.
pub struct Arr(ZBox<ZendHashTable>);

impl Arr {
    pub fn new() -> Arr {
        Arr(ZendHashTable::new())
    }

    pub fn set(mut self, key: &str, value: impl IntoZval) -> Arr {
        if let Err(e) = self.0.insert(key, value) {
            log::error!("redis-persona: cannot build array key {key}: {e}");
        }
        self
    }

    pub fn build(self) -> ZBox<ZendHashTable> {
        self.0
    }
}

impl Default for Arr {
    fn default() -> Self {
        Arr::new()
    }
}

/// A PHP list (0-based, packed) under construction.
pub struct List(ZBox<ZendHashTable>);

impl List {
    pub fn new() -> List {
        List(ZendHashTable::new())
    }

    pub fn push(mut self, value: impl IntoZval) -> List {
        if let Err(e) = self.0.push(value) {
            log::error!("redis-persona: cannot build list: {e}");
        }
        self
    }

    pub fn build(self) -> ZBox<ZendHashTable> {
        self.0
    }
}

impl Default for List {
    fn default() -> Self {
        List::new()
    }
}

impl<T: IntoZval> FromIterator<T> for List {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> List {
        iter.into_iter().fold(List::new(), List::push)
    }
}
