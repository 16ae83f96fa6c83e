//! What `Invalidator` does to the page tier: drop the pages that show the
//! invalidated posts or carry the tag, and stamp them so a render fenced
//! before can no longer be stored; and flush (a generation bump per bucket).
//!
//! A page is indexed in its own bucket, so each bucket gets every post and
//! tag of the invalidation: on a cluster sixteen scripts (one per bucket's
//! slot) in one batch, on one server one script for all sixteen; one round
//! trip per [`CHUNK`] targets. No `SCAN`; the cost is the number of targets
//! and of the pages they list.

use super::scripts::{FLUSH, INVALIDATE};
use crate::batch::Batch;
use crate::client::Client;
use crate::error::Result;
use crate::keys::{Keys, CACHE_BUCKETS};
use crate::policy::keys::MAX_TTL_SECS;
use crate::policy::page::{MAX_RENDER_AGE_SECS, STAMP_MARGIN_SECS};
use crate::pool::Retry;

/// Posts and tags per script (the argument list of one call).
const CHUNK: usize = 1000;

/// How long an invalidation stamp is kept: longer than any render that may
/// still be stored (older fences are refused anyway).
pub(crate) const STAMP_KEEP_MS: u64 = (MAX_RENDER_AGE_SECS + STAMP_MARGIN_SECS) * 1000;

/// Drops the pages that show any of `posts` or carry any of `tags`, in every
/// bucket, and stamps each. Returns how many pages were dropped.
pub(crate) fn drop_pages(
    client: &Client,
    keys: &Keys,
    posts: &[u64],
    tags: &[&str],
) -> Result<u64> {
    let mut targets: Vec<String> = posts.iter().map(u64::to_string).collect();
    targets.extend(tags.iter().map(|t| (*t).to_owned()));
    // A bucket is its own slot: one call each on a cluster, one for all of
    // them on one server.
    let buckets: Vec<(String, String)> = (0..CACHE_BUCKETS)
        .map(|b| (keys.page_state(b), keys.page_base(b)))
        .collect();
    let per_call = client.slots_per_script(buckets.len());
    let mut dropped = 0;
    let mut done = 0;
    for chunk in targets.chunks(CHUNK) {
        // Posts come first in `targets`, and so in each chunk.
        let posts_in_chunk = posts.len().saturating_sub(done).min(chunk.len());
        done += chunk.len();
        let mut batch = Batch::new();
        for group in buckets.chunks(per_call) {
            let Some((slot_key, _)) = group.first() else {
                continue;
            };
            let mut invocation = INVALIDATE.prepare_invoke();
            for (state, _) in group {
                invocation.key(state);
            }
            invocation
                .arg(STAMP_KEEP_MS)
                .arg(STAMP_KEEP_MS * 1000)
                .arg(posts_in_chunk);
            for (_, base) in group {
                invocation.arg(base);
            }
            for target in chunk {
                invocation.arg(target);
            }
            batch.add_script(slot_key, &invocation);
        }
        let counts: Vec<u64> = client.run_batch(Retry::Once, batch, &[&INVALIDATE])?;
        dropped += counts.iter().sum::<u64>();
    }
    Ok(dropped)
}

/// Adds the page tier's flush (one script per bucket) to `batch`.
pub(crate) fn add_flush(keys: &Keys, batch: &mut Batch) {
    for bucket in 0..CACHE_BUCKETS {
        let state = keys.page_state(bucket);
        let mut invocation = FLUSH.prepare_invoke();
        invocation.key(&state).arg(MAX_TTL_SECS * 1000);
        batch.add_script(&state, &invocation);
    }
}

/// Flushes the page tier alone; returns the new generation (the highest).
pub(crate) fn flush(client: &Client, keys: &Keys) -> Result<u64> {
    let mut batch = Batch::new();
    add_flush(keys, &mut batch);
    let generations: Vec<u64> = client.run_batch(Retry::Once, batch, &[&FLUSH])?;
    Ok(generations.into_iter().max().unwrap_or(0))
}

pub(crate) use super::scripts::flush_block;
