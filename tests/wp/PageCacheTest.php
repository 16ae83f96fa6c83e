<?php

declare(strict_types=1);

namespace RedisPersona\WpTests;

use RedisPersona\WpTests\Support\Site;
use RedisPersona\WpTests\Support\SiteTestCase;

/**
 * The full-page tier over HTTP: the drop-in answers persona pages before
 * WordPress loads, shares nothing private, and an edit brings fresh pages
 * for every persona once the preload ran. Without the extension (the
 * fallback run) it steps aside and WordPress renders as usual.
 */
final class PageCacheTest extends SiteTestCase
{
    private const PERSONAS = ['family', 'solo', 'business'];

    protected function setUp(): void
    {
        parent::setUp();
        self::page_tier(true);
    }

    /** @var list<int> posts that must not outlive the test (they would end other tests' warm-all batches) */
    private array $created = [];

    protected function tearDown(): void
    {
        if (Site::mode() === 'redis') {
            Site::start_redis();
            Site::accept_writes();
        }
        foreach ($this->created as $id) {
            Site::rest('DELETE', 'wp/v2/posts/' . $id, ['force' => true], ['auth' => Site::admin()]);
        }
        self::page_tier(false);
    }

    private static function page_tier(bool $on): void
    {
        Site::wp(sprintf(<<<'PHP'
            $settings = get_option(RedisPersona\WordPress\Config::OPTION, []);
            $settings['page_cache'] = %s;
            update_option(RedisPersona\WordPress\Config::OPTION, $settings);
            RedisPersona\WordPress\Plugin::instance()->config()->reset();
            RedisPersona\WordPress\Plugin::instance()->page()->install();
            if (class_exists(RedisPersona\PageCache::class)) {
                RedisPersona\WordPress\Plugin::instance()->backend()->flush_pages();
            }
            PHP, $on ? 'true' : 'false'));
    }

    private static function redis(): bool
    {
        return Site::mode() === 'redis';
    }

    /** @return array{id: int, path: string, link: string} */
    private static function post(string $content, array $extra = []): array
    {
        $created = Site::rest('POST', 'wp/v2/posts', $extra + [
            'title' => 'Page tier ' . bin2hex(random_bytes(4)),
            'status' => 'publish',
            'content' => $content,
        ], ['auth' => Site::admin()]);
        if ($created['status'] !== 201) {
            throw new \RuntimeException('post not created: ' . $created['body']);
        }
        $link = (string) $created['json']['link'];
        return ['id' => (int) $created['json']['id'], 'path' => (string) parse_url($link, PHP_URL_PATH), 'link' => $link];
    }

    private static function edit(int $id, array $fields): void
    {
        $edited = Site::rest('POST', 'wp/v2/posts/' . $id, $fields, ['auth' => Site::admin()]);
        if ($edited['status'] !== 200) {
            throw new \RuntimeException('post not edited: ' . $edited['body']);
        }
    }

    private static function as(string $persona, string $path, array $options = []): array
    {
        $options['cookies'] = ($options['cookies'] ?? []) + ['rp_persona' => $persona];
        return Site::get($path, $options);
    }

    /** The page tier's answer: page-hit, page-stale, miss or bypass. */
    private static function tier(array $page): string
    {
        $served = $page['headers']['x-redis-persona'] ?? '';
        if (preg_match('/; (page-hit|page-stale)$/', $served, $m) === 1) {
            return $m[1];
        }
        return $page['headers']['x-redis-persona-page'] ?? '?';
    }

    /**
     * Fetches until the page is a hit (a miss stores it; right after another
     * test's outage the first requests replay it) and returns the hit.
     */
    private function hit(string $persona, string $path): array
    {
        $deadline = microtime(true) + 5;
        do {
            $page = self::as($persona, $path);
            $this->assertSame(200, $page['status']);
            if (self::tier($page) === 'page-hit') {
                return $page;
            }
            usleep(100000);
        } while (microtime(true) < $deadline);
        $this->fail("$persona $path never became a page hit: " . json_encode($page['headers']));
    }

    private static function questions(): int
    {
        $dir = Site::dir();
        $out = shell_exec(sprintf(
            "mariadb --no-defaults -S %s -uroot -N -e \"SHOW GLOBAL STATUS LIKE 'Questions'\"",
            escapeshellarg($dir . '/mysql/mariadb.sock')
        ));
        return (int) preg_replace('/\D/', '', (string) $out);
    }

    public function testEveryPersonaGetsItsOwnPageAndAHitRunsNoSql(): void
    {
        $path = (string) parse_url(Site::env('WELCOME_URL'), PHP_URL_PATH);
        if (!self::redis()) {
            // No extension: the tier steps aside at once, WordPress renders.
            $page = self::as('family', $path);
            $this->assertSame(200, $page['status']);
            $this->assertSame('bypass', $page['headers']['x-redis-persona-page'] ?? '');
            $this->assertSame('no-extension', $page['headers']['x-redis-persona-page-reason'] ?? '');
            $this->assertStringContainsString('persona-family', $page['body']);
            $this->assertStringNotContainsString('persona-business', $page['body']);
            return;
        }
        foreach (self::PERSONAS as $persona) {
            $miss = self::as($persona, $path);
            $this->assertSame('miss', self::tier($miss));
            $this->assertSame('stored', $miss['headers']['x-redis-persona-page-store'] ?? '', json_encode($miss['headers']));
        }
        foreach (self::PERSONAS as $persona) {
            $page = self::as($persona, $path);
            $this->assertSame("$persona; page-hit", $page['headers']['x-redis-persona']);
            $this->assertStringContainsString("persona-$persona", $page['body']);
            foreach (array_diff(self::PERSONAS, [$persona]) as $other) {
                $this->assertStringNotContainsString("persona-$other\"", $page['body']);
            }
            $this->assertStringContainsString('Cookie', $page['headers']['vary']);
            $this->assertMatchesRegularExpression('/^\d+$/', $page['headers']['age']);
            $this->assertStringContainsString('text/html', $page['headers']['content-type']);
        }
        // An unknown persona value gets the default persona's page, not a key of its own.
        $unknown = self::as('hacker', $path);
        $this->assertSame('solo; page-hit', $unknown['headers']['x-redis-persona']);

        // No SQL on a hit: MariaDB's Questions counter moves only by our own SHOW STATUS.
        $baseline = -self::questions() + self::questions();
        $before = self::questions();
        self::as('family', $path);
        $after = self::questions();
        $this->assertSame($baseline, $after - $before, 'a page hit ran SQL');
        // ... while a render does (the counter is a real witness).
        $before = self::questions();
        self::as('family', $path . '?nocache=' . random_int(1, 1 << 30));
        $this->assertGreaterThan($baseline, self::questions() - $before);
    }

    public function testPrivateAndUnusualRequestsBypass(): void
    {
        $post = self::post('<p class="persona-everyone">shared</p>[rp_whoami]');
        $this->created[] = $post['id'];
        if (!self::redis()) {
            $this->assertSame('bypass', self::as('family', $post['path'])['headers']['x-redis-persona-page']);
            return;
        }
        $this->hit('family', $post['path']);
        $cases = [
            'cookie' => ['cookies' => ['wordpress_logged_in_abc' => 'x']],
            'cookie ' => ['cookies' => ['comment_author_abc' => 'x']],
            'cookie  ' => ['cookies' => ['wp-postpass_abc' => 'x']],
            'cookie   ' => ['cookies' => ['woocommerce_items_in_cart' => '1']],
            'method' => ['method' => 'POST', 'body' => 'a=b', 'headers' => ['Content-Type' => 'application/x-www-form-urlencoded']],
            'query' => ['query' => 'p=' . $post['id']],
        ];
        foreach ($cases as $reason => $options) {
            $path = $post['path'] . (isset($options['query']) ? '?' . $options['query'] : '');
            unset($options['query']);
            $page = self::as('family', $path, $options);
            $this->assertSame('bypass', $page['headers']['x-redis-persona-page'] ?? '', $reason);
            $this->assertSame(trim($reason), $page['headers']['x-redis-persona-page-reason'] ?? '', $reason);
            $this->assertStringNotContainsString('page-hit', $page['headers']['x-redis-persona'] ?? '');
        }
        // Marketing parameters do not make a page of their own.
        $tagged = self::as('family', $post['path'] . '?utm_source=news&gclid=abc&fbclid=x');
        $this->assertSame('family; page-hit', $tagged['headers']['x-redis-persona']);

        // A logged-in subscriber never gets the shared page and never fills one.
        $subscriber = Site::wp(<<<'PHP'
            $user = get_user_by('login', 'rp-page-subscriber');
            $id = $user ? $user->ID : wp_insert_user(
                ['user_login' => 'rp-page-subscriber', 'user_pass' => wp_generate_password(), 'role' => 'subscriber']
            );
            echo LOGGED_IN_COOKIE, '=', wp_generate_auth_cookie((int) $id, time() + 3600, 'logged_in');
            PHP);
        [$name, $value] = explode('=', trim($subscriber), 2);
        $fresh = self::post('[rp_whoami]');
        $this->created[] = $fresh['id'];
        $own = self::as('family', $fresh['path'], ['cookies' => [$name => $value]]);
        $this->assertStringContainsString('user:rp-page-subscriber', $own['body']);
        $anonymous = self::as('family', $fresh['path']);
        $this->assertStringNotContainsString('rp-page-subscriber', $anonymous['body']);
        $this->assertSame('miss', self::tier($anonymous));

        // Logged in without any cookie the drop-in could see: the plugin refuses to store it.
        $other = self::post('[rp_whoami]');
        $this->created[] = $other['id'];
        $private = self::as('family', $other['path'], ['headers' => ['X-RP-Test-As' => 'rp-page-subscriber']]);
        $this->assertStringContainsString('user:rp-page-subscriber', $private['body']);
        $this->assertSame('miss', self::tier($private));
        $this->assertSame('skipped; logged-in', $private['headers']['x-redis-persona-page-store'] ?? '');
        $after = self::as('family', $other['path']);
        $this->assertSame('miss', self::tier($after), 'the private render was not stored');
        $this->assertStringNotContainsString('rp-page-subscriber', $after['body']);
    }

    public function testUnshareableResponsesAreNeverStored(): void
    {
        if (!self::redis()) {
            $this->markTestSkipped('the page tier needs the extension');
        }
        $donot = self::post('<p>no cache here</p>[rp_donotcache]');
        $this->created[] = $donot['id'];
        foreach (range(1, 3) as $ignored) {
            $page = self::as('family', $donot['path']);
            $this->assertSame('miss', self::tier($page));
            $this->assertStringStartsWith('skipped', $page['headers']['x-redis-persona-page-store'] ?? '');
        }
        $cookie = self::post('[rp_setcookie]');
        $this->created[] = $cookie['id'];
        $page = self::as('family', $cookie['path']);
        $this->assertStringContainsString('rp_sandbox_seen', $page['headers']['set-cookie'] ?? '');
        $this->assertSame('skipped; set-cookie', $page['headers']['x-redis-persona-page-store'] ?? '');
        $again = self::as('family', $cookie['path']);
        $this->assertStringNotContainsString('page-hit', $again['headers']['x-redis-persona'] ?? '');
        // A 404 is not stored either.
        $missing = self::as('family', '/no-such-page-' . bin2hex(random_bytes(4)) . '/');
        $this->assertSame(404, $missing['status']);
        $this->assertSame('skipped; status', $missing['headers']['x-redis-persona-page-store'] ?? '');
        // Nor a response marked private.
        $private = self::post('[rp_private]');
        $this->created[] = $private['id'];
        $page = self::as('family', $private['path']);
        $this->assertSame('skipped; cache-control', $page['headers']['x-redis-persona-page-store'] ?? '');
    }

    public function testNotModifiedOnlyForTheVisitorsOwnVariantAndGzipDecodesToThePlainPage(): void
    {
        if (!self::redis()) {
            $this->markTestSkipped('the page tier needs the extension');
        }
        $path = (string) parse_url(Site::env('WELCOME_URL'), PHP_URL_PATH);
        $family = $this->hit('family', $path);
        $solo = $this->hit('solo', $path);
        $this->assertNotSame($family['headers']['etag'], $solo['headers']['etag']);

        $revalidated = self::as('family', $path, ['headers' => ['If-None-Match' => $family['headers']['etag']]]);
        $this->assertSame(304, $revalidated['status']);
        $this->assertSame('', $revalidated['body']);
        $other = self::as('solo', $path, ['headers' => ['If-None-Match' => $family['headers']['etag']]]);
        $this->assertSame(200, $other['status']);
        $this->assertStringContainsString('persona-solo', $other['body']);

        $gzip = self::as('family', $path, ['headers' => ['Accept-Encoding' => 'gzip']]);
        $this->assertSame('gzip', $gzip['headers']['content-encoding'] ?? '');
        $this->assertSame($family['body'], gzdecode($gzip['body']));
        $this->assertSame((string) strlen($gzip['body']), $gzip['headers']['content-length']);
        $plain = self::as('family', $path, ['headers' => ['Accept-Encoding' => 'gzip;q=0, identity']]);
        $this->assertArrayNotHasKey('content-encoding', $plain['headers']);
        $this->assertSame($family['body'], $plain['body']);
        $head = self::as('family', $path, ['method' => 'HEAD']);
        $this->assertSame(200, $head['status']);
        $this->assertSame('family; page-hit', $head['headers']['x-redis-persona']);
    }

    public function testAnEditBringsFreshPagesForEveryPersonaAfterThePreload(): void
    {
        $category = (int) trim(Site::wp("echo wp_insert_term('Page tier " . bin2hex(random_bytes(3)) . "', 'category')['term_id'];"));
        $content = '<p>version one</p>[persona is="family"]<p class="persona-family">kids</p>[/persona]';
        $post = self::post($content, ['categories' => [$category]]);
        $archive = (string) parse_url(trim(Site::wp("echo get_category_link($category);")), PHP_URL_PATH);
        $paths = [$post['path'], '/', $archive];
        if (self::redis()) {
            foreach (self::PERSONAS as $persona) {
                foreach ($paths as $path) {
                    $this->hit($persona, $path);
                }
            }
        }
        $this->created[] = $post['id'];
        $purged_before = self::purges();
        self::edit($post['id'], ['title' => 'Edited title two', 'content' => '<p>version two</p>']);
        // At once, before any preload: no pre-edit page (only one persona
        // asks, so the others' hits below can only come from the preload).
        $page = self::as('family', $post['path']);
        $this->assertStringContainsString('version two', $page['body']);
        $this->assertStringNotContainsString('version one', $page['body']);
        if (self::redis()) {
            $this->assertNotSame('family; page-hit', $page['headers']['x-redis-persona'] ?? '');
            $this->assertSame('miss', self::tier(self::as('solo', '/', ['method' => 'HEAD'])), 'home was dropped');
            // (That HEAD stored home for solo; the preload's answer for it is a hit.)
        }
        if (!self::redis()) {
            return;
        }
        // CDNs are told what to purge: the post's surrogate key and its lists.
        $purges = array_slice(self::purges(), count($purged_before));
        $keys = array_merge(...array_map(static fn (array $p): array => $p['tags'], $purges));
        $this->assertContains('post-' . $post['id'], $keys);
        $this->assertContains('home', $keys);
        $this->assertContains('tax-' . $category, $keys);

        Site::run_cron();
        foreach (self::PERSONAS as $persona) {
            foreach ($paths as $path) {
                $page = self::as($persona, $path);
                $this->assertSame("$persona; page-hit", $page['headers']['x-redis-persona'] ?? '', "$persona $path");
                $this->assertStringContainsString('Edited title two', $page['body'], "$persona $path");
            }
        }
        $page = self::as('family', $post['path']);
        $this->assertStringContainsString('post-' . $post['id'], $page['headers']['surrogate-key'] ?? '');
        $this->assertStringContainsString('post-' . $post['id'], $page['headers']['cache-tag'] ?? '');
    }

    public function testASiteOptionChangeFlushesEveryPage(): void
    {
        if (!self::redis()) {
            $this->markTestSkipped('the page tier needs the extension');
        }
        $this->hit('family', '/');
        Site::wp("update_option('blogdescription', 'Tagline " . bin2hex(random_bytes(3)) . "');");
        $this->assertSame('miss', self::tier(self::as('family', '/')));
    }

    public function testRedisStoppedServesWordPressWithTheRightContent(): void
    {
        if (!self::redis()) {
            $this->markTestSkipped('stops the Redis of the extension run');
        }
        $post = self::post('<p>before the outage</p>');
        $this->created[] = $post['id'];
        $this->hit('family', $post['path']);
        Site::stop_redis();
        $down = self::as('family', $post['path']);
        $this->assertSame(200, $down['status']);
        $this->assertSame('bypass', $down['headers']['x-redis-persona-page'] ?? '');
        $this->assertStringContainsString('before the outage', $down['body']);
        self::edit($post['id'], ['content' => '<p>edited while Redis was stopped</p>']);
        $page = self::as('family', $post['path']);
        $this->assertSame(200, $page['status']);
        $this->assertStringContainsString('edited while Redis was stopped', $page['body']);
    }

    public function testNoPageFromBeforeAnOutageIsServedAfterItWhenRedisKeptItsData(): void
    {
        if (!self::redis()) {
            $this->markTestSkipped('needs the extension run\'s Redis');
        }
        $post = self::post('<p>before the outage</p>');
        $this->created[] = $post['id'];
        $this->hit('family', $post['path']);
        $this->hit('business', $post['path']);
        // Redis refuses writes (a replica of nothing; on a cluster, every
        // master's user without write commands) but keeps its data, the
        // pre-outage pages included: the plugin runs on its fallback.
        Site::redis_masters(Site::refuse_writes_command());
        try {
            self::edit($post['id'], ['content' => '<p>edited during the outage</p>']);
            $during = self::as('family', $post['path']);
            $this->assertSame(200, $during['status']);
            $this->assertStringContainsString('edited during the outage', $during['body']);
            $this->assertFileExists(Site::dir() . '/wordpress/wp-content/cache/redis-persona/outage');
        } finally {
            Site::accept_writes();
        }
        usleep(1200000); // the breaker's retry interval
        foreach (['business', 'family', 'business', 'family'] as $persona) {
            $page = self::as($persona, $post['path']);
            $this->assertSame(200, $page['status']);
            $this->assertStringContainsString('edited during the outage', $page['body'], $persona);
            $this->assertStringNotContainsString('before the outage', $page['body'], $persona);
        }
        $this->assertFileDoesNotExist(Site::dir() . '/wordpress/wp-content/cache/redis-persona/outage');
        $this->assertSame('family; page-hit', self::as('family', $post['path'])['headers']['x-redis-persona'] ?? '');
    }

    public function testTrashTermEditCommentAndWidgetsDropWhatShowedThem(): void
    {
        if (!self::redis()) {
            $this->markTestSkipped('the page tier needs the extension');
        }
        $category = (int) trim(Site::wp("echo wp_insert_term('Lists " . bin2hex(random_bytes(3)) . "', 'category')['term_id'];"));
        $post = self::post('<p>listed</p>', ['categories' => [$category], 'comment_status' => 'open']);
        $this->created[] = $post['id'];
        $title = (string) json_decode(Site::rest('GET', 'wp/v2/posts/' . $post['id'])['body'], true)['title']['rendered'];
        $archive = (string) parse_url(trim(Site::wp("echo get_category_link($category);")), PHP_URL_PATH);

        // A term edit drops its archive.
        $this->hit('family', $archive);
        $renamed = Site::rest('POST', 'wp/v2/categories/' . $category, ['name' => 'Renamed list'], ['auth' => Site::admin()]);
        $this->assertSame(200, $renamed['status'], $renamed['body']);
        $page = self::as('family', $archive);
        $this->assertNotSame('family; page-hit', $page['headers']['x-redis-persona'] ?? '');
        $this->assertStringContainsString('Renamed list', $page['body']);

        // An approved comment drops the post's page.
        $this->hit('family', $post['path']);
        $comment = Site::rest(
            'POST',
            'wp/v2/comments',
            ['post' => $post['id'], 'content' => 'A lovely stay, said the comment.', 'status' => 'approved'],
            ['auth' => Site::admin()]
        );
        $this->assertSame(201, $comment['status'], $comment['body']);
        $page = self::as('family', $post['path']);
        $this->assertStringContainsString('A lovely stay, said the comment.', $page['body']);

        // A widget change drops every page.
        $this->hit('family', '/');
        $widget = bin2hex(random_bytes(3));
        Site::wp("update_option('widget_block', array_merge((array) get_option('widget_block', []), ['rp' => '$widget']));");
        $this->assertSame('miss', self::tier(self::as('family', '/')));

        // Trashing the post drops the home page that listed it.
        $home = $this->hit('family', '/');
        $this->assertStringContainsString($title, $home['body']);
        Site::rest('DELETE', 'wp/v2/posts/' . $post['id'], null, ['auth' => Site::admin()]);
        $page = self::as('family', '/');
        $this->assertNotSame('family; page-hit', $page['headers']['x-redis-persona'] ?? '');
        $this->assertStringNotContainsString($title, $page['body']);
    }

    public function testHostileRequestsCannotPoisonTheCacheOrEscapeThePrefix(): void
    {
        $path = (string) parse_url(Site::env('WELCOME_URL'), PHP_URL_PATH);
        $hostile = [
            ['headers' => ['Host' => 'evil.example']],
            ['headers' => ['Host' => "127.0.0.1\r\nX-Injected: 1"]],
            // (Over ~4 KB, WordPress core's canonical redirect echoes the host into
            // a Location header larger than nginx's FastCGI buffer: a 502 with or
            // without this plugin, so the test stays below that.)
            ['headers' => ['Host' => str_repeat('a', 1000)]],
            ['cookies' => ['rp_persona' => "family\r\nX-Injected: 1"]],
            ['cookies' => ['rp_persona' => str_repeat('f', 10000)]],
            ['cookies' => ['rp_persona' => "\xff\xfe"]],
            ['path' => '/%2e%2e/%2e%2e/wp-config.php'],
            ['path' => '/..%2fwp-config.php'],
            ['path' => '/' . str_repeat('a', 4000) . '/'],
            ['path' => $path . '%0d%0aSet-Cookie:x=1'],
            ['path' => $path . '?' . str_repeat('utm_x=1&', 150)],
        ];
        foreach ($hostile as $i => $request) {
            $page = Site::get($request['path'] ?? $path, $request + ['cookies' => ['rp_persona' => 'family']]);
            $this->assertLessThan(500, $page['status'], "request $i");
            $this->assertArrayNotHasKey('x-injected', $page['headers'], "request $i");
        }
        // The evil host's request was not stored under it, nor under ours.
        $evil = Site::get($path, ['headers' => ['Host' => 'evil.example'], 'cookies' => ['rp_persona' => 'family']]);
        $this->assertNotSame('family; page-hit', $evil['headers']['x-redis-persona'] ?? '');
        $ours = self::as('family', $path);
        $this->assertStringNotContainsString('evil.example', $ours['body']);
        if (!self::redis()) {
            return;
        }
        $foreign = Site::get($path, ['headers' => ['Host' => 'evil.example']]);
        $this->assertSame('host', $foreign['headers']['x-redis-persona-page-reason'] ?? '');
        // Every key in Redis lives under the site's prefix.
        $prefix = trim(Site::wp('echo RedisPersona\WordPress\Plugin::instance()->config()->prefix();'));
        foreach (Site::redis_keys() as $key) {
            $this->assertStringStartsWith($prefix . ':', $key);
        }
    }

    public function testWarmAllPagesOverRestAndTheCliCommandsClass(): void
    {
        $started = Site::rest('POST', 'redis-persona/v1/cache/warm', ['pages' => true], ['auth' => Site::admin()]);
        $this->assertSame(202, $started['status'], $started['body']);
        $this->assertGreaterThan(1, $started['json']['total']);
        for ($i = 0; $i < 50; $i++) {
            $progress = Site::rest('GET', 'redis-persona/v1/cache/warm?pages=1', null, ['auth' => Site::admin()])['json'];
            if (!$progress['running']) {
                break;
            }
            Site::run_cron();
        }
        $this->assertFalse($progress['running']);
        $this->assertSame($progress['total'], $progress['done'] + $progress['failed']);
        if (self::redis()) {
            foreach (self::PERSONAS as $persona) {
                $this->assertSame("$persona; page-hit", self::as($persona, '/')['headers']['x-redis-persona'] ?? '');
            }
        }
        Site::wp('RedisPersona\WordPress\Plugin::instance()->backend()->flush_pages();');
        $result = json_decode(Site::wp(
            'echo wp_json_encode((new RedisPersona\WordPress\Cli(RedisPersona\WordPress\Plugin::instance()))->warm_job(true));'
        ), true);
        $this->assertFalse($result['running']);
        $this->assertSame(0, $result['queued']);
        if (self::redis()) {
            $this->assertSame(0, $result['failed']);
            $this->assertSame('business; page-hit', self::as('business', '/')['headers']['x-redis-persona'] ?? '');
        }
    }

    public function testTheDropInIsInstalledNeverOverwritesAnotherAndSaysWhatIsMissing(): void
    {
        $content = Site::dir() . '/wordpress/wp-content';
        $this->assertStringContainsString('Redis Persona page cache drop-in', (string) file_get_contents("$content/advanced-cache.php"));
        $status = self::drop_in_status();
        $this->assertSame(self::redis() ? 'on' : 'blocked', $status['state'], $status['why']);

        try {
            Site::wp("require_once ABSPATH . 'wp-admin/includes/plugin.php'; deactivate_plugins('redis-persona/redis-persona.php');");
            $this->assertFileDoesNotExist("$content/advanced-cache.php");
            file_put_contents("$content/advanced-cache.php", "<?php\n// another plugin's drop-in\n");
            Site::wp("require_once ABSPATH . 'wp-admin/includes/plugin.php'; activate_plugin('redis-persona/redis-persona.php');");
            $this->assertSame("<?php\n// another plugin's drop-in\n", file_get_contents("$content/advanced-cache.php"));
            $status = self::drop_in_status();
            $this->assertSame('blocked', $status['state']);
            $notice = Site::wp(<<<'PHP'
                require_once ABSPATH . 'wp-admin/includes/class-wp-screen.php';
                require_once ABSPATH . 'wp-admin/includes/screen.php';
                wp_set_current_user(1);
                set_current_screen('dashboard');
                (new RedisPersona\WordPress\Admin(RedisPersona\WordPress\Plugin::instance()))->page_notice();
                PHP);
            $this->assertStringContainsString('rp-page-notice', $notice);
            $this->assertStringContainsString(self::redis() ? 'advanced-cache.php' : 'extension is not loaded', $notice);
            $page = self::as('family', '/');
            $this->assertSame(200, $page['status']);
        } finally {
            @unlink("$content/advanced-cache.php");
            Site::wp(
                "require_once ABSPATH . 'wp-admin/includes/plugin.php'; activate_plugin('redis-persona/redis-persona.php');"
                . ' RedisPersona\WordPress\Plugin::instance()->page()->install();'
            );
        }
        $this->assertStringContainsString('Redis Persona page cache drop-in', (string) file_get_contents("$content/advanced-cache.php"));
    }

    public function testSiteHealthDetectsThePageCache(): void
    {
        if (!self::redis()) {
            $this->markTestSkipped('the page tier needs the extension');
        }
        $this->hit('solo', '/');
        $result = json_decode(Site::wp(<<<'PHP'
            require_once ABSPATH . 'wp-admin/includes/class-wp-site-health.php';
            echo wp_json_encode((new WP_Site_Health())->get_test_page_cache());
            PHP), true);
        $this->assertStringContainsString('<code>x-redis-persona</code>', $result['description']);
        $this->assertStringContainsString('A page cache plugin was detected', $result['description']);
    }

    /** @return array{state: string, code: string, why: string, fix: string} */
    private static function drop_in_status(): array
    {
        return json_decode(Site::wp(
            'echo wp_json_encode(RedisPersona\WordPress\DropIn::status(RedisPersona\WordPress\Plugin::instance()->config()));'
        ), true);
    }

    /** @return list<array{urls: list<string>, tags: list<string>}> */
    private static function purges(): array
    {
        $file = Site::dir() . '/purged.log';
        $lines = is_file($file) ? (file($file, FILE_IGNORE_NEW_LINES) ?: []) : [];
        return array_map(static fn (string $line): array => json_decode($line, true), $lines);
    }
}
