<?php

/**
 * Picks the store for this request and switches when Redis fails.
 *
 * Process model: PHP-FPM runs one request at a time per worker. The
 * extension keeps a connection pool per worker and a circuit breaker shared
 * by all of them, so `Client::isAvailable()` costs no I/O when Redis
 * answered within the last retry interval or the breaker is open, and one
 * PING otherwise. When Redis goes down, only the calls already in flight
 * pay for it (a refused connection on loopback pays nothing; a frozen server
 * costs them about twice the extension's probe timeout, 200 ms, not the read
 * timeout); every other request goes straight to the fallback, apart from
 * the one short probe per retry interval on the machine.
 *
 * Mode changes are recorded in the autoloaded option `redis_persona_outage`:
 * - entering the fallback bumps the fallback's content generation, so HTML
 *   cached during an earlier outage is never served;
 * - invalidations made during the outage are recorded there, and the first
 *   request that finds Redis again replays them (or flushes, when too many
 *   were recorded), so HTML cached in Redis before the outage is not served
 *   stale afterwards.
 * Slot locks need no replay: both stores share the database lock rows.
 *
 * What counts as "Redis failed": any \RedisPersona\Exception, the runtime
 * failures of the extension: unreachable, timed out, breaker open, and the
 * replies that mean the server cannot serve (READONLY, OOM, MISCONF, NOPERM,
 * NOAUTH, LOADING…). Bad arguments (\ValueError, \TypeError) are not
 * failures of Redis and propagate. An error that `remember()` survived by
 * rendering uncached counts too: the rest of the request uses the fallback
 * from the first failure on.
 *
 * Invalidations go through invalidate_post(), invalidate_tag() and flush()
 * here, which record them for replay whenever they ran on the fallback. The
 * Store that run() hands out has no invalidation methods at all (Backend
 * alone holds the InvalidationStore adapters), so no caller can skip that.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

use RedisPersona\Client;

if (!defined('ABSPATH')) {
    exit;
}

final class Backend
{
    public const OUTAGE_OPTION = 'redis_persona_outage';

    private Config $config;
    private StateTable $table;
    private ?Store $store = null;
    private ?FallbackStore $fallback = null;
    private ?Client $client = null;
    /** @var array<string, InvalidationStore> by mode: only Backend can invalidate */
    private array $invalidations = [];
    private string $reason = '';

    public function __construct(Config $config, StateTable $table)
    {
        $this->config = $config;
        $this->table = $table;
    }

    /**
     * Decides the store for this request, once (then only on failure): not
     * a getter. The first call may PING Redis and, when Redis is back after
     * an outage, replay the invalidations recorded during it (reconcile()).
     */
    private function decide(): Store
    {
        if ($this->store !== null) {
            return $this->store;
        }
        $client = $this->client();
        if ($client === null) {
            return $this->use_fallback();
        }
        if (!$client->isAvailable()) {
            $this->reason = __('Redis is unavailable', 'redis-persona');
            return $this->use_fallback();
        }
        $this->store = new RedisStore($client, $this->table);
        $this->reconcile();
        return $this->store;
    }

    public function mode(): string
    {
        return $this->decide()->mode();
    }

    /** Why the fallback is in use ('' in Redis mode). */
    public function reason(): string
    {
        $this->decide();
        return $this->reason;
    }

    /** The extension's client, or null when it cannot be used at all. */
    public function client(): ?Client
    {
        if ($this->client !== null) {
            return $this->client;
        }
        if ($this->config->disabled()) {
            $this->reason = __('Disabled by configuration', 'redis-persona');
            return null;
        }
        if (!extension_loaded('redis_persona')) {
            $this->reason = __('The redis_persona extension is not loaded', 'redis-persona');
            return null;
        }
        try {
            [$url, $options] = $this->config->client_arguments();
            $this->client = new Client($url, $options);
        } catch (\Throwable $e) {
            $this->reason = __('Invalid Redis settings', 'redis-persona') . ': ' . $e->getMessage();
            $this->report($e);
            return null;
        }
        return $this->client;
    }

    /**
     * Runs an operation on the current store; when Redis fails during it,
     * the rest of the request uses the fallback and the operation runs there.
     *
     * @template T
     * @param callable(Store): T $operation
     * @return T
     */
    public function run(callable $operation)
    {
        $store = $this->decide();
        try {
            $result = $operation($store);
        } catch (\RedisPersona\Exception $e) {
            $this->fail($e);
            return $operation($this->use_fallback());
        }
        $swallowed = $store instanceof RedisStore ? $store->take_swallowed() : null;
        if ($swallowed !== null) {
            // The operation degraded on its own (rendered uncached); what
            // follows in this request goes to the fallback at once.
            $this->fail($swallowed);
            $this->use_fallback();
        }
        return $result;
    }

    /** Invalidates a post (and its dependents) wherever the store is, recorded for replay. */
    public function invalidate_post(int $post_id): array
    {
        $ids = $this->invalidate(fn (InvalidationStore $store) => $store->invalidate_post($post_id));
        $this->record_for_replay('post', (string) $post_id);
        return $ids;
    }

    /** @return list<int> */
    public function invalidate_tag(string $tag): array
    {
        $ids = $this->invalidate(fn (InvalidationStore $store) => $store->invalidate_tag($tag));
        $this->record_for_replay('tag', $tag);
        return $ids;
    }

    public function flush(): void
    {
        $this->invalidate(fn (InvalidationStore $store) => $store->flush());
        $this->record_for_replay('flush', '');
        // The fallback never keeps copies across a Redis-mode flush.
        FallbackStore::bump_generation();
    }

    /**
     * Drops every cached page (the page tier only; O(1)). On the fallback
     * there is no page tier, so it is recorded and replayed (as a flush) when
     * Redis returns.
     */
    public function flush_pages(): void
    {
        $this->invalidate(fn (InvalidationStore $store) => $store->flush_pages());
        $this->record_for_replay('flush', '');
    }

    /**
     * Runs an invalidation on the current mode's adapter, like run(): on a
     * Redis failure the rest of the request, this included, uses the fallback.
     *
     * @template T
     * @param callable(InvalidationStore): T $operation
     * @return T
     */
    private function invalidate(callable $operation)
    {
        try {
            return $operation($this->invalidations($this->decide()));
        } catch (\RedisPersona\Exception $e) {
            $this->fail($e);
            return $operation($this->invalidations($this->use_fallback()));
        }
    }

    /** The invalidation adapter that goes with a store (Backend's own; Store does not offer it). */
    private function invalidations(Store $store): InvalidationStore
    {
        if ($store instanceof RedisStore) {
            return $this->invalidations['redis'] ??= new RedisRelations($store->client());
        }
        return $this->invalidations['fallback'] ??= new DatabaseRelations();
    }

    private function fail(\Throwable $error): void
    {
        $this->report($error);
        $this->reason = __('Redis failed during the request', 'redis-persona') . ': ' . $error->getMessage();
    }

    /** Records a fallback-mode invalidation for replay when Redis returns. */
    private function record_for_replay(string $kind, string $target): void
    {
        if ($this->decide()->mode() !== 'fallback') {
            return;
        }
        $outage = $this->outage() ?? ['since' => time(), 'posts' => [], 'tags' => [], 'flush' => false];
        if ($kind === 'flush' || count($outage['posts']) + count($outage['tags']) >= Policy::MAX_REPLAY) {
            $outage['flush'] = true;
            $outage['posts'] = [];
            $outage['tags'] = [];
        } elseif ($outage['flush']) {
            // A flush is already recorded: it covers this too.
        } elseif ($kind === 'post') {
            $outage['posts'][(int) $target] = true;
        } else {
            $outage['tags'][$target] = true;
        }
        update_option(self::OUTAGE_OPTION, $outage, true);
        PageSettings::raise_outage();
    }

    /** @return array{since: int, posts: array<int, true>, tags: array<string, true>, flush: bool}|null */
    public function outage(): ?array
    {
        $outage = get_option(self::OUTAGE_OPTION);
        if (!is_array($outage) || !isset($outage['since'])) {
            return null;
        }
        return [
            'since' => (int) $outage['since'],
            'posts' => is_array($outage['posts'] ?? null) ? $outage['posts'] : [],
            'tags' => is_array($outage['tags'] ?? null) ? $outage['tags'] : [],
            'flush' => !empty($outage['flush']),
        ];
    }

    private function use_fallback(): Store
    {
        $this->fallback ??= new FallbackStore($this->table, $this->config);
        if ($this->outage() === null) {
            // A new outage: nothing the fallback cached before may be served.
            FallbackStore::bump_generation();
            update_option(self::OUTAGE_OPTION, ['since' => time(), 'posts' => [], 'tags' => [], 'flush' => false], true);
            // The drop-in cannot read options: this file tells it to serve nothing until the replay.
            PageSettings::raise_outage();
            /** Fires when the plugin switches to its database fallback. */
            do_action('redis_persona_fallback', $this->reason);
        }
        $this->store = $this->fallback;
        return $this->store;
    }

    /** Replays what changed while Redis was unreachable, once. */
    private function reconcile(): void
    {
        $outage = $this->outage();
        if ($outage === null || $this->store === null) {
            return;
        }
        // Delete first: concurrent requests may replay too, which is harmless,
        // but none should keep replaying.
        delete_option(self::OUTAGE_OPTION);
        try {
            $redis = $this->invalidations($this->store);
            if ($outage['flush']) {
                $redis->flush();
            } else {
                foreach (array_keys($outage['posts']) as $post_id) {
                    $redis->invalidate_post((int) $post_id);
                }
                foreach (array_keys($outage['tags']) as $tag) {
                    $redis->invalidate_tag((string) $tag);
                }
            }
            $this->clear_outage_flag();
            $keys = $outage['flush'] ? [] : array_merge(
                array_map(static fn ($id): string => 'post-' . (int) $id, array_keys($outage['posts'])),
                array_map('strval', array_keys($outage['tags']))
            );
            /** This action is documented in page/class-page-tier.php (empty tags: everything). */
            do_action('redis_persona_purged', [], $keys);
            /** Fires after Redis came back and the outage's changes were replayed. */
            do_action('redis_persona_reconciled', $outage);
        } catch (\Throwable $e) {
            update_option(self::OUTAGE_OPTION, $outage, true);
            $this->report($e);
            $this->store = null;
            $this->reason = __('Redis failed during reconciliation', 'redis-persona');
            $this->use_fallback();
        }
    }

    /**
     * Lets the page tier's drop-in serve from Redis again, unless another
     * request recorded a new outage meanwhile (read fresh from the database,
     * not this request's option cache): then the flag stays.
     */
    public function clear_outage_flag(): void
    {
        PageSettings::clear_outage();
        wp_cache_delete(self::OUTAGE_OPTION, 'options');
        wp_cache_delete('alloptions', 'options');
        if ($this->outage() !== null) {
            PageSettings::raise_outage();
        }
    }

    /** Logs once per request and fires `redis_persona_error` for monitoring. */
    public function report(\Throwable $error): void
    {
        static $reported = [];
        $key = get_class($error) . $error->getMessage();
        if (isset($reported[$key])) {
            return;
        }
        $reported[$key] = true;
        /** Fires when the extension reports an error (the plugin then uses its fallback). */
        do_action('redis_persona_error', $error);
    }
}
