//! `remember`: the HTML of a variant, rendered on a miss once across every
//! process and server (a short Redis lock per variant), stale-while-
//! revalidate, and early refresh of hot variants (XFetch).
//!
//! Failure model. When Redis cannot serve (unreachable, breaker open, out of
//! memory…) the render runs without the cache and its HTML is returned
//! (`bypass`); the error is kept for `last_error`, never thrown. A render
//! that calls `remember` for the variant it is rendering (re-entry) is
//! detected per thread and renders at once, without waiting for its own
//! lock and without storing; the outer call stores.

use std::time::{Duration, Instant};

use super::fences::{Fence, Rendering};
use super::scripts::RELEASE;
use super::{PersonaCache, Stored};
use crate::clock::now_ms;
use crate::counters::{self, Event};
use crate::entry::Freshness;
use crate::error::{ConnectionKind, Error, Result};
use crate::ids::{Persona, PostId};
use crate::pool::Retry;
use crate::route::Route;

/// How `remember` answered, for counters and response headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    Hit,
    /// Past its fresh TTL; someone else is refreshing it.
    Stale,
    /// Rendered by this caller.
    Rendered,
    /// Rendered by this caller without the cache (not stored): Redis was
    /// unavailable, or the call was nested in its own render.
    Bypass,
}

impl Served {
    pub fn as_str(self) -> &'static str {
        match self {
            Served::Hit => "hit",
            Served::Stale => "stale",
            Served::Rendered => "miss",
            Served::Bypass => "bypass",
        }
    }
}

/// Why `remember` failed: the render itself, or an argument.
#[derive(Debug)]
pub enum RememberError<E> {
    Render(E),
    Cache(Error),
}

type Rendered<E> = std::result::Result<(Vec<u8>, Served), RememberError<E>>;

impl PersonaCache {
    /// The HTML of a variant, rendering it with `render` on a miss: once
    /// across all processes and servers (single flight), serving the stale
    /// value to everyone but the one refresher, and refreshing hot keys
    /// early (XFetch). When Redis is unavailable the render runs directly.
    pub fn remember<E>(
        &self,
        post: PostId,
        persona: &Persona,
        ttl_secs: u64,
        mut render: impl FnMut() -> std::result::Result<Vec<u8>, E>,
    ) -> Rendered<E> {
        self.clear_error();
        let (post, persona) = (post.get(), persona.as_str());
        let Some(_rendering) = Rendering::enter(&self.namespace, post, persona) else {
            log::debug!(
                "redis-persona: post {post} ({persona}) requested inside its own render; \
                 rendering it without the cache"
            );
            let html = render().map_err(RememberError::Render)?;
            return Ok((html, Served::Bypass));
        };
        let started = Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            let mut slot = match self.read(post, Some(persona), true) {
                Ok(slot) => slot,
                Err(e) => return self.bypass(e, &mut render),
            };
            let now = now_ms();
            let current = self.usable(&mut slot, now);
            let wants_refresh = match &current {
                Some((meta, Freshness::Fresh, _)) => {
                    meta.refresh_early(now, self.config.beta, 1.0 - fastrand::f64())
                }
                Some(_) => true,
                None => true,
            };
            if !wants_refresh {
                counters::record(&self.client, Event::Hit);
                return Ok((current.map(|c| c.2).unwrap_or_default(), Served::Hit));
            }
            // Someone must render. Only one caller gets the lock; with a
            // usable value in hand the others serve it without waiting.
            let token = if slot.lock_held {
                None
            } else {
                match self.try_lock(post, persona) {
                    Ok(token) => token,
                    Err(e) => return self.bypass(e, &mut render),
                }
            };
            match (token, current) {
                (Some(token), _) => {
                    return self.render_and_store(
                        post,
                        persona,
                        ttl_secs,
                        slot.fence,
                        Some(&token),
                        &mut render,
                    );
                }
                (None, Some((_, freshness, html))) => {
                    counters::record(&self.client, Event::Hit);
                    let served = if freshness == Freshness::Fresh {
                        Served::Hit
                    } else {
                        Served::Stale
                    };
                    return Ok((html, served));
                }
                (None, None) => {
                    if started.elapsed() >= self.config.lock_wait {
                        log::warn!(
                            "redis-persona: waited {} ms for another render of post {post} ({persona}); rendering here",
                            started.elapsed().as_millis()
                        );
                        return self.render_and_store(
                            post,
                            persona,
                            ttl_secs,
                            slot.fence,
                            None,
                            &mut render,
                        );
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(25));
                }
            }
        }
    }

    fn try_lock(&self, post: u64, persona: &str) -> Result<Option<String>> {
        let token = crate::token::random_hex(16)?;
        let key = self.keys.cache_lock(post, persona);
        let ms = self.config.lock_ttl.as_millis() as u64;
        let acquired: Option<String> = self.client.run(Route::Key(&key), Retry::Once, |con| {
            redis::cmd("SET")
                .arg(&key)
                .arg(&token)
                .arg("NX")
                .arg("PX")
                .arg(ms)
                .query(con)
        })?;
        Ok(acquired.map(|_| token))
    }

    fn release(&self, post: u64, persona: &str, token: &str) {
        let key = self.keys.cache_lock(post, persona);
        let released = self.client.run(Route::Key(&key), Retry::Once, |con| {
            RELEASE.key(&key).arg(token).invoke::<i64>(con)
        });
        if let Err(e) = released {
            log::info!("redis-persona: render lock {key} not released (it expires): {e}");
            self.swallow(e);
        }
    }

    fn render_timed<E>(
        render: &mut impl FnMut() -> std::result::Result<Vec<u8>, E>,
    ) -> std::result::Result<(Vec<u8>, u32), E> {
        let start = Instant::now();
        let html = render()?;
        Ok((
            html,
            start.elapsed().as_millis().min(u128::from(u32::MAX)) as u32,
        ))
    }

    /// Renders and stores under `fence`; with `token`, as the lock's holder
    /// (the store releases it), without, after waiting in vain for another
    /// holder.
    fn render_and_store<E>(
        &self,
        post: u64,
        persona: &str,
        ttl_secs: u64,
        fence: Fence,
        token: Option<&str>,
        render: &mut impl FnMut() -> std::result::Result<Vec<u8>, E>,
    ) -> Rendered<E> {
        let (html, render_ms) = match Self::render_timed(render) {
            Ok(done) => done,
            Err(e) => {
                if let Some(token) = token {
                    self.release(post, persona, token);
                }
                return Err(RememberError::Render(e));
            }
        };
        counters::record(&self.client, Event::Miss);
        if let Err(e) = self.check_size("render result", &html) {
            log::warn!("redis-persona: post {post} ({persona}) not cached: {e}");
            if let Some(token) = token {
                self.release(post, persona, token);
            }
            return Ok((html, Served::Rendered));
        }
        let stored = self.store(
            post,
            &[(persona, &html)],
            ttl_secs,
            render_ms,
            Some(fence),
            token,
        );
        match stored {
            Ok(Stored::Yes) => {}
            Ok(other) => {
                log::debug!("redis-persona: post {post} ({persona}) not stored: {other:?}")
            }
            Err(e) => {
                log::info!("redis-persona: post {post} ({persona}) not stored: {e}");
                // The script did not run: the lock is still ours.
                if let Some(token) = token {
                    self.release(post, persona, token);
                }
                self.swallow(e);
            }
        }
        Ok((html, Served::Rendered))
    }

    /// Redis cannot serve: render without the cache. Only argument errors
    /// (which cannot happen here) would be worth throwing.
    fn bypass<E>(
        &self,
        error: Error,
        render: &mut impl FnMut() -> std::result::Result<Vec<u8>, E>,
    ) -> Rendered<E> {
        if matches!(error, Error::InvalidArgument { .. }) {
            return Err(RememberError::Cache(error));
        }
        if error.connection_kind() == Some(ConnectionKind::BreakerOpen) {
            log::debug!("redis-persona: cache bypassed: {error}");
        } else {
            log::warn!("redis-persona: cache bypassed: {error}");
        }
        self.swallow(error);
        let html = render().map_err(RememberError::Render)?;
        Ok((html, Served::Bypass))
    }
}
