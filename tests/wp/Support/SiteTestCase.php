<?php

declare(strict_types=1);

namespace RedisPersona\WpTests\Support;

use PHPUnit\Framework\TestCase;

/**
 * Base of the end-to-end tests: every test also asserts that the site logged
 * no PHP warning, notice, error or database error while it ran.
 */
abstract class SiteTestCase extends TestCase
{
    private int $log_offset = 0;

    protected function setUp(): void
    {
        $this->log_offset = Site::log_size();
    }

    protected function assertPostConditions(): void
    {
        $this->assertSame([], Site::log_problems($this->log_offset), 'the site logged problems during the test');
    }

    /**
     * For a test that makes the database fail on purpose: what the site
     * logged so far (wpdb's own "WordPress database error" lines) is expected.
     */
    protected function expectLoggedDatabaseErrors(): void
    {
        $this->log_offset = Site::log_size();
    }

    /** A client address of its own for each test, so rate limits do not leak between tests. */
    protected static function ip(): string
    {
        return '10.' . random_int(0, 255) . '.' . random_int(0, 255) . '.' . random_int(1, 254);
    }

    /** A day inside the bookable window (today to +90 days), not today. */
    protected static function day(): string
    {
        return gmdate('Y-m-d', time() + random_int(2, 80) * 86400);
    }

    /** A resource no other test uses, so tests can share days. */
    protected static function room(): string
    {
        return 'room-' . bin2hex(random_bytes(5));
    }

    /** The persona classes present in a page's HTML. */
    protected static function personas_in(string $html): array
    {
        preg_match_all('/class="persona-([a-z-]+)"/', $html, $m);
        $found = array_values(array_unique($m[1]));
        sort($found);
        return $found;
    }
}
