//! What this process remembers between cache calls: the fences of recent
//! observations, and which variants the current thread is rendering.
//!
//! Fences. A render must be stored under the generation and post version
//! seen *before* it started, or an edit that happened during the render
//! would be overwritten by pre-edit HTML. `get()` misses and `observe()`
//! record what they saw so that a later `set()` (per variant) or `warm()`
//! (per post) can be fenced without the caller carrying a token; explicit
//! tokens ([`Fence::token`]) do the same across requests. Entries count for
//! [`FENCE_WINDOW`] and the table is bounded.
//!
//! Re-entry. A `remember()` whose render calls `remember()` for the same
//! variant would wait for its own render lock until the wait expires. The
//! variants being rendered are kept per thread (a PHP request runs on one
//! thread; concurrent Rust threads are separate callers), so the inner call
//! sees the outer one and renders without waiting. A fatal PHP error in a
//! render unwinds past the marker's destructor (the engine longjmps), so the
//! extension also clears the markers at request shutdown
//! ([`forget_renders`]).
//!
//! Process model: both tables belong to one pid and are dropped in a child
//! after `fork()`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Instant;

use parking_lot::Mutex;

use super::FENCE_WINDOW;
use crate::error::{Error, Result};

/// Bound of each fence table; when full, expired entries go, then all.
const MAX_FENCES: usize = 1024;

/// What a pending render saw before it started; its store must match.
/// Zero means the key was missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fence {
    pub generation: u64,
    pub version: u64,
}

impl Fence {
    /// The opaque text `observe()` hands out: `post:generation:version`.
    pub fn token(&self, post: u64) -> String {
        format!("{post}:{}:{}", self.generation, self.version)
    }

    /// Reads a token made by [`Fence::token`] for `post`.
    pub fn parse(argument: &str, post: u64, text: &[u8]) -> Result<Fence> {
        let malformed = || {
            Error::invalid(
                argument,
                format!(
                    "must be a fence returned by observe(), got '{}'",
                    crate::error::printable(text)
                ),
            )
        };
        let text = std::str::from_utf8(text).map_err(|_| malformed())?;
        let numbers: Vec<u64> = text
            .split(':')
            .map(|part| {
                let digits = !part.is_empty() && part.len() <= 20;
                if digits && part.bytes().all(|b| b.is_ascii_digit()) {
                    part.parse().map_err(|_| malformed())
                } else {
                    Err(malformed())
                }
            })
            .collect::<Result<_>>()?;
        match numbers[..] {
            [p, generation, version] if p == post => Ok(Fence {
                generation,
                version,
            }),
            [p, _, _] => Err(Error::invalid(
                argument,
                format!("was observed for post {p}, not for post {post}"),
            )),
            _ => Err(malformed()),
        }
    }
}

type VariantKey = (String, u64, String);
type PostKey = (String, u64);

#[derive(Default)]
struct Tables {
    pid: u32,
    variants: HashMap<VariantKey, (Fence, Instant)>,
    posts: HashMap<PostKey, (Fence, Instant)>,
}

static TABLES: LazyLock<Mutex<Tables>> = LazyLock::new(|| Mutex::new(Tables::default()));

fn with_tables<T>(f: impl FnOnce(&mut Tables) -> T) -> T {
    let mut tables = TABLES.lock();
    let pid = crate::process::pid();
    if tables.pid != pid {
        *tables = Tables {
            pid,
            ..Tables::default()
        };
    }
    f(&mut tables)
}

fn make_room<K>(table: &mut HashMap<K, (Fence, Instant)>) {
    if table.len() >= MAX_FENCES {
        table.retain(|_, (_, at)| at.elapsed() < FENCE_WINDOW);
        if table.len() >= MAX_FENCES {
            table.clear();
        }
    }
}

fn live(entry: Option<(Fence, Instant)>) -> Option<Fence> {
    entry.and_then(|(fence, at)| (at.elapsed() < FENCE_WINDOW).then_some(fence))
}

/// A `get()` miss of one variant: fences the next `set()` of it.
pub fn record_variant(namespace: &str, post: u64, persona: &str, fence: Fence) {
    with_tables(|t| {
        make_room(&mut t.variants);
        let key = (namespace.to_owned(), post, persona.to_owned());
        t.variants.insert(key, (fence, Instant::now()));
    });
}

pub fn take_variant(namespace: &str, post: u64, persona: &str) -> Option<Fence> {
    let key = (namespace.to_owned(), post, persona.to_owned());
    live(with_tables(|t| t.variants.remove(&key)))
}

/// Records what was seen of a post for the next `warm()`. `observe()`
/// replaces an older entry (it starts a new render); a `get()` miss keeps a
/// live older one, the more cautious fence.
pub fn record_post(namespace: &str, post: u64, fence: Fence, replace: bool) {
    with_tables(|t| {
        let key = (namespace.to_owned(), post);
        if !replace && live(t.posts.get(&key).copied()).is_some() {
            return;
        }
        make_room(&mut t.posts);
        t.posts.insert(key, (fence, Instant::now()));
    });
}

pub fn take_post(namespace: &str, post: u64) -> Option<Fence> {
    let key = (namespace.to_owned(), post);
    live(with_tables(|t| t.posts.remove(&key)))
}

thread_local! {
    static RENDERING: RefCell<(u32, Vec<VariantKey>)> = const { RefCell::new((0, Vec::new())) };
}

/// Marks a variant as being rendered by this thread until dropped.
pub struct Rendering {
    key: VariantKey,
}

impl Rendering {
    /// None when this thread is already rendering the variant (re-entry).
    pub fn enter(namespace: &str, post: u64, persona: &str) -> Option<Rendering> {
        let key = (namespace.to_owned(), post, persona.to_owned());
        let pid = crate::process::pid();
        RENDERING.with(|cell| {
            let Ok(mut state) = cell.try_borrow_mut() else {
                return Some(Rendering { key: key.clone() });
            };
            if state.0 != pid {
                *state = (pid, Vec::new());
            }
            if state.1.contains(&key) {
                return None;
            }
            state.1.push(key.clone());
            Some(Rendering { key })
        })
    }
}

/// Forgets every render marker of this thread (request shutdown: a render
/// the engine aborted with a fatal error never dropped its marker).
pub fn forget_renders() {
    RENDERING.with(|cell| {
        if let Ok(mut state) = cell.try_borrow_mut() {
            state.1.clear();
        }
    });
}

impl Drop for Rendering {
    fn drop(&mut self) {
        RENDERING.with(|cell| {
            if let Ok(mut state) = cell.try_borrow_mut() {
                if let Some(at) = state.1.iter().rposition(|k| *k == self.key) {
                    state.1.swap_remove(at);
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_bad_ones_name_the_argument() {
        let fence = Fence {
            generation: 1_795_980_863_830_636,
            version: 0,
        };
        let token = fence.token(42);
        assert_eq!(Fence::parse("fence", 42, token.as_bytes()).unwrap(), fence);
        for bad in [
            &b""[..],
            b"42",
            b"42:1",
            b"42:1:2:3",
            b"42:-1:2",
            b"42:x:2",
            b"42::2",
            b"42:1:99999999999999999999999",
            b"\xff",
        ] {
            let err = Fence::parse("fence", 42, bad).unwrap_err();
            assert!(err.to_string().starts_with("fence: "), "{err}");
        }
        let other = Fence::parse("fence", 7, token.as_bytes()).unwrap_err();
        assert!(other.to_string().contains("post 42"), "{other}");
    }

    #[test]
    fn rendering_marks_nest_per_variant() {
        let outer = Rendering::enter("ns", 5, "family");
        assert!(outer.is_some());
        assert!(Rendering::enter("ns", 5, "family").is_none());
        assert!(Rendering::enter("ns", 5, "solo").is_some());
        assert!(Rendering::enter("other", 5, "family").is_some());
        drop(outer);
        assert!(Rendering::enter("ns", 5, "family").is_some());
        // A marker that was never dropped (a PHP fatal error) is forgotten at
        // request shutdown.
        std::mem::forget(Rendering::enter("ns", 6, "family"));
        assert!(Rendering::enter("ns", 6, "family").is_none());
        forget_renders();
        assert!(Rendering::enter("ns", 6, "family").is_some());
    }
}
