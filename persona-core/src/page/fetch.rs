//! `fetch`: one round trip on a hit or a stale hit (the fetch script, which
//! judges the page and may take the lease, and a plain `HMGET` of the page,
//! pipelined); on a miss whose render lease someone else holds, polls
//! (without taking the lease) until that render's page arrives or `wait_ms`
//! runs out.

use std::time::{Duration, Instant};

use super::entry::{self, Encoding, Meta};
use super::headers::Headers;
use super::scripts::FETCH;
use super::{Fence, PageCache, PageUrl};
use crate::error::{Error, Result};
use crate::ids::Persona;
use crate::policy::keys::MAX_TTL_SECS;
use crate::policy::page::MAX_MAX_BYTES;
use crate::pool::Retry;
use crate::route::Route;
use crate::scripting::query_with_scripts;

/// How a fetch was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageState {
    Hit,
    Stale,
    Miss,
}

impl PageState {
    pub fn as_str(self) -> &'static str {
        match self {
            PageState::Hit => "hit",
            PageState::Stale => "stale",
            PageState::Miss => "miss",
        }
    }
}

/// A stored page as served to this caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub status: u16,
    pub headers: Headers,
    /// The stored gzip bytes when `encoding` is Gzip, else the plain body.
    pub body: Vec<u8>,
    pub encoding: Encoding,
    /// Quoted strong ETag, different per variant (and per encoding).
    pub etag: String,
    /// Seconds since it was stored.
    pub age_secs: u64,
    pub tags: Vec<String>,
    pub posts: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub state: PageState,
    /// This caller holds the render lease: it must `store` or `abandon`.
    pub render: bool,
    /// What the fetch observed, for `store`/`abandon`.
    pub fence: String,
    /// Present on a hit or a stale hit.
    pub page: Option<Page>,
}

/// The script's reply, decoded.
enum Reply {
    Found {
        fresh: bool,
        fence: Fence,
        page: Option<Page>,
        got: bool,
    },
    Missing {
        fence: Fence,
        got: bool,
        held: bool,
    },
}

const FIRST_PAUSE: Duration = Duration::from_millis(5);
const MAX_PAUSE: Duration = Duration::from_millis(50);

impl PageCache {
    /// The page of `url` for `variant` (see the module doc).
    pub fn fetch(&self, url: &PageUrl, variant: &Persona, accept_gzip: bool) -> Result<Fetched> {
        let token = crate::token::random_hex(16)?;
        let started = Instant::now();
        let mut reply = self.fetch_once(url, variant, &token, true, accept_gzip)?;
        let mut pause = FIRST_PAUSE;
        // Someone else renders it: wait for its page, never past wait_ms.
        while let Reply::Missing {
            got: false,
            held: true,
            ..
        } = reply
        {
            let waited = started.elapsed();
            if waited >= self.config.wait {
                break;
            }
            std::thread::sleep(pause.min(self.config.wait - waited));
            pause = (pause * 2).min(MAX_PAUSE);
            reply = self.fetch_once(url, variant, &token, false, accept_gzip)?;
        }
        Ok(match reply {
            Reply::Found {
                fresh,
                fence,
                page: Some(page),
                got,
            } => Fetched {
                state: if fresh {
                    PageState::Hit
                } else {
                    PageState::Stale
                },
                render: got,
                fence: fence.text(),
                page: Some(page),
            },
            // A page that does not decode is served by nobody: the caller
            // renders without storing, it expires on its own.
            Reply::Found {
                fence,
                page: None,
                got,
                ..
            } => {
                log::warn!(
                    "redis-persona: a stored page of {} does not decode",
                    url.as_str()
                );
                if got {
                    self.release(url, variant, &fence)?;
                }
                Fetched {
                    state: PageState::Miss,
                    render: false,
                    fence: Fence {
                        token: String::new(),
                        ..fence
                    }
                    .text(),
                    page: None,
                }
            }
            Reply::Missing { fence, got, .. } => Fetched {
                state: PageState::Miss,
                render: got,
                fence: fence.text(),
                page: None,
            },
        })
    }

    fn fetch_once(
        &self,
        url: &PageUrl,
        variant: &Persona,
        token: &str,
        take_lease: bool,
        accept_gzip: bool,
    ) -> Result<Reply> {
        let page_key = self.page_key(url, variant);
        let mut invocation = FETCH.prepare_invoke();
        invocation
            .key(self.keys.page_state(url.bucket()))
            .key(&page_key)
            .key(self.lease_key(url, variant))
            .arg(token)
            .arg(self.config.lease.as_millis() as u64)
            .arg(MAX_TTL_SECS * 1000)
            .arg(if take_lease { "1" } else { "0" });
        let mut pipe = redis::pipe();
        pipe.invoke_script(&invocation);
        pipe.cmd("HMGET").arg(&page_key).arg("s").arg("m").arg("b");
        for _ in 0..RACE_RETRIES {
            // Sent again on a fresh connection when a pooled one turns out
            // dead (a restarted Redis): the lease is re-entrant for this
            // token, so a repeat changes nothing, and no PHP-FPM worker turns
            // a visitor away for a connection that was already gone.
            let (verdict, page): (Vec<Vec<u8>>, Vec<Option<Vec<u8>>>) =
                self.client
                    .run(Route::Key(&page_key), Retry::Idempotent, |con| {
                        query_with_scripts(con, &pipe, &[&FETCH])
                    })?;
            match decode_reply(&verdict, &page, token, accept_gzip) {
                Decoded::Reply(reply) => return Ok(reply),
                // A store replaced the page between the script and the read.
                Decoded::Raced(fence) => {
                    if !fence.token.is_empty() {
                        self.release(url, variant, &fence)?;
                    }
                }
            }
        }
        Err(Error::Server(format!(
            "the page of {} kept changing while it was read",
            url.as_str()
        )))
    }
}

/// Reads that met a concurrent store are retried this many times in all.
const RACE_RETRIES: usize = 3;

enum Decoded {
    Reply(Reply),
    /// The page read is not the one the script judged; the fence may hold a
    /// lease the script took.
    Raced(Fence),
}

fn decode_reply(
    verdict: &[Vec<u8>],
    page: &[Option<Vec<u8>>],
    token: &str,
    accept_gzip: bool,
) -> Decoded {
    let text = |i: usize| {
        verdict
            .get(i)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    };
    let flag = |i: usize| verdict.get(i).is_some_and(|b| b.as_slice() == b"1");
    let generation = text(1).unwrap_or_default();
    let seen_us: u64 = text(2).and_then(|t| t.parse().ok()).unwrap_or(0);
    let code = verdict.first().map(Vec::as_slice);
    let got = match code {
        Some(b"2") => flag(4),
        Some(b"3") => flag(3),
        _ => false,
    };
    let fence = Fence {
        generation,
        seen_us,
        token: if got { token.to_owned() } else { String::new() },
    };
    match code {
        Some(b"1") | Some(b"2") => {
            let judged = verdict.get(3).map(Vec::as_slice);
            let (s, m, b) = match page {
                [Some(s), Some(m), Some(b)] if Some(s.as_slice()) == judged => (s, m, b),
                _ => return Decoded::Raced(fence),
            };
            Decoded::Reply(Reply::Found {
                fresh: code == Some(b"1"),
                fence,
                page: decode_page(s, m, b, seen_us / 1000, accept_gzip),
                got,
            })
        }
        _ => Decoded::Reply(Reply::Missing {
            fence,
            got,
            held: flag(4),
        }),
    }
}

fn decode_page(
    state: &[u8],
    meta: &[u8],
    body: &[u8],
    now_ms: u64,
    accept_gzip: bool,
) -> Option<Page> {
    let (_, stored_ms) = entry::parse_state(state)?;
    let meta = Meta::decode(meta)?;
    let (encoding, body) = match meta.encoding {
        Encoding::Gzip if accept_gzip => (Encoding::Gzip, body.to_vec()),
        Encoding::Gzip => (Encoding::Raw, entry::gunzip(body, MAX_MAX_BYTES as usize)?),
        Encoding::Raw => (Encoding::Raw, body.to_vec()),
    };
    Some(Page {
        status: meta.status,
        headers: meta.headers,
        body,
        encoding,
        // A strong validator names one representation: the gzip bytes and
        // the decoded body are two.
        etag: match encoding {
            Encoding::Gzip => format!("\"{}-gzip\"", meta.etag),
            Encoding::Raw => format!("\"{}\"", meta.etag),
        },
        age_secs: now_ms.saturating_sub(stored_ms) / 1000,
        tags: meta.tags,
        posts: meta.posts,
    })
}
