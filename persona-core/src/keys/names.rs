//! Key names: every key of a prefix, built inside the crate from validated
//! values (see the parent module for the schema and the validators).

use super::CACHE_BUCKETS;

/// Builds the keys of one prefix.
#[derive(Debug, Clone)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    pub fn new(prefix: &str) -> Keys {
        Keys {
            prefix: prefix.to_owned(),
        }
    }

    pub fn kv(&self, key: &str) -> String {
        format!("{}:kv:{key}", self.prefix)
    }

    pub fn bucket(post: u64) -> u64 {
        post % CACHE_BUCKETS
    }

    fn cache(&self, post: u64, kind: &str) -> String {
        format!(
            "{}:c:{{b{:02}}}:{kind}:{post}",
            self.prefix,
            Keys::bucket(post)
        )
    }

    pub fn cache_generation(&self, bucket: u64) -> String {
        format!("{}:c:{{b{bucket:02}}}:gen", self.prefix)
    }

    /// On every lookup: one `format!`, not a prefix built and then copied.
    pub fn cache_variant(&self, post: u64, persona: &str) -> String {
        format!(
            "{}:c:{{b{:02}}}:p:{post}:{persona}",
            self.prefix,
            Keys::bucket(post)
        )
    }

    /// What every variant key of the post starts with (for the
    /// invalidation script, which appends the personas from the index).
    pub fn cache_variant_prefix(&self, post: u64) -> String {
        format!("{}:", self.cache(post, "p"))
    }

    pub fn cache_index(&self, post: u64) -> String {
        self.cache(post, "i")
    }

    pub fn cache_version(&self, post: u64) -> String {
        self.cache(post, "v")
    }

    pub fn cache_dependents(&self, post: u64) -> String {
        self.cache(post, "d")
    }

    pub fn cache_lock(&self, post: u64, persona: &str) -> String {
        format!("{}:{persona}", self.cache(post, "l"))
    }

    pub fn cache_tag(&self, tag: &str) -> String {
        format!("{}:c:t:{{{tag}}}", self.prefix)
    }

    /// What every page-tier key of bucket `bucket` starts with; the page
    /// scripts append the rest (`u:…`, `p:…`, `t:…`) for keys they derive.
    pub fn page_base(&self, bucket: u64) -> String {
        format!("{}:pg:{{b{bucket:02}}}:", self.prefix)
    }

    /// Generation and invalidation stamps of a page bucket (one hash).
    pub fn page_state(&self, bucket: u64) -> String {
        format!("{}s", self.page_base(bucket))
    }

    /// A stored page: `url_hash` is the hex hash of the URL, never the URL.
    pub fn page(&self, bucket: u64, url_hash: &str, variant: &str) -> String {
        format!("{}u:{url_hash}:{variant}", self.page_base(bucket))
    }

    pub fn page_lease(&self, bucket: u64, url_hash: &str, variant: &str) -> String {
        format!("{}l:{url_hash}:{variant}", self.page_base(bucket))
    }

    /// The variants stored of one URL.
    pub fn page_variants(&self, bucket: u64, url_hash: &str) -> String {
        format!("{}v:{url_hash}", self.page_base(bucket))
    }

    /// The pages of a bucket that show `post`.
    pub fn page_post_index(&self, bucket: u64, post: u64) -> String {
        format!("{}p:{post}", self.page_base(bucket))
    }

    /// The pages of a bucket tagged `tag`.
    pub fn page_tag_index(&self, bucket: u64, tag: &str) -> String {
        format!("{}t:{tag}", self.page_base(bucket))
    }

    fn slot_day(&self, date: &str, resource: &str) -> String {
        format!("{}:lk:{{{date}:{resource}}}", self.prefix)
    }

    pub fn slot_lock(&self, date: &str, resource: &str, time: &str) -> String {
        format!("{}:l:{time}", self.slot_day(date, resource))
    }

    pub fn slot_fence(&self, date: &str, resource: &str, time: &str) -> String {
        format!("{}:f:{time}", self.slot_day(date, resource))
    }

    /// What the lock keys of a day start with (the index lists the times).
    pub fn slot_lock_prefix(&self, date: &str, resource: &str) -> String {
        format!("{}:l:", self.slot_day(date, resource))
    }

    pub fn slot_index(&self, date: &str, resource: &str) -> String {
        format!("{}:idx", self.slot_day(date, resource))
    }

    pub fn slot_channel(&self, date: &str, resource: &str) -> String {
        format!("{}:events", self.slot_day(date, resource))
    }

    pub fn otp_code(&self, identity_hash: &str) -> String {
        format!("{}:otp:{{{identity_hash}}}:c", self.prefix)
    }

    pub fn otp_issued(&self, identity_hash: &str) -> String {
        format!("{}:otp:{{{identity_hash}}}:n", self.prefix)
    }

    pub fn rate_limit(&self, name: &str, key_hash: &str) -> String {
        format!("{}:rl:{name}:{key_hash}", self.prefix)
    }

    pub fn stats_day(&self, iso_date: &str) -> String {
        format!("{}:st:d:{iso_date}", self.prefix)
    }

    pub fn stats_views(&self) -> String {
        format!("{}:st:views", self.prefix)
    }

    pub fn invalidation_log(&self) -> String {
        format!("{}:st:inv", self.prefix)
    }
}
