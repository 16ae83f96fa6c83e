<?php

namespace RedisPersona\Tests\Support;

/**
 * What one fuzz process knows: the extension's classes (found by
 * reflection), receivers built on a live and on an unreachable Redis, and
 * values that earlier calls returned (tokens, codes) so later calls can use
 * them and reach deeper code.
 */
final class FuzzContext
{
    /** @var list<class-string> */
    public array $classes = [];
    /** @var array<string, list<object>> receivers by class: [live, down] */
    private array $receivers = [];
    /** @var array<string, mixed> */
    private array $memory = [];
    private int $reentry = 0;

    public function __construct(public string $url, public string $downUrl)
    {
        foreach ((new \ReflectionExtension('redis_persona'))->getClasses() as $class) {
            if (!self::isStaticOnly($class->getName())) {
                $this->classes[] = $class->getName();
            }
        }
    }

    /**
     * A class of static methods only (RedisPersona\Policy): it has no
     * instances to pass around, and its constructor is ext-php-rs's "cannot
     * instantiate", as its stub says.
     */
    public static function isStaticOnly(string $class): bool
    {
        foreach ((new \ReflectionClass($class))->getMethods(\ReflectionMethod::IS_PUBLIC) as $method) {
            if (!$method->isStatic() && !$method->isConstructor() && $method->getExtensionName() === 'redis_persona') {
                return false;
            }
        }
        return !is_subclass_of($class, \Throwable::class);
    }

    /**
     * The public methods the extension itself declares (inherited
     * \Exception methods are PHP's, not ours), constructor included.
     *
     * @return list<\ReflectionMethod>
     */
    public static function methodsOf(string $class): array
    {
        $methods = [];
        foreach ((new \ReflectionClass($class))->getMethods(\ReflectionMethod::IS_PUBLIC) as $method) {
            if ($method->getExtensionName() === 'redis_persona' && !($method->isConstructor() && self::isStaticOnly($class))) {
                $methods[] = $method;
            }
        }
        usort($methods, fn ($a, $b) => strcmp($a->getName(), $b->getName()));
        return $methods;
    }

    /** A working instance (or, with $down, one whose Redis is unreachable). */
    public function instanceOf(string $class, bool $down = false): object
    {
        $slot = $down ? 1 : 0;
        if (!isset($this->receivers[$class][$slot])) {
            $this->receivers[$class][$slot] = $this->build($class, $down);
        }
        return $this->receivers[$class][$slot];
    }

    private function build(string $class, bool $down): object
    {
        if ($class === \RedisPersona\Client::class) {
            $options = ['prefix' => 'fz'];
            if ($down) {
                $options += ['connect_timeout_ms' => 50, 'read_timeout_ms' => 50];
            }
            return new \RedisPersona\Client($down ? $this->downUrl : $this->url, $options);
        }
        $reflection = new \ReflectionClass($class);
        if ($reflection->isSubclassOf(\Throwable::class)) {
            // One the extension threw, and one made with `new` in PHP.
            return ($down ? null : $this->thrown($class)) ?? $reflection->newInstance('made by the fuzz');
        }
        // Any other class: its constructor's required parameters, by type
        // and name, so classes added later are fuzzed without a recipe.
        $args = [];
        foreach ($reflection->getConstructor()?->getParameters() ?? [] as $parameter) {
            if ($parameter->isOptional()) {
                break;
            }
            $type = (string) $parameter->getType();
            $args[] = class_exists(ltrim($type, '?'))
                ? $this->instanceOf(ltrim($type, '?'), $down)
                : $this->safeDefault($parameter->getName(), $type);
        }
        if ($class === \RedisPersona\PageCache::class) {
            // A miss whose lease another call holds waits wait_ms: keep the
            // fuzz fast (the waiting itself is tested in PageCacheTest).
            $args[] = ['wait_ms' => 1, 'lease_ms' => 100];
        }
        return $reflection->newInstanceArgs($args);
    }

    private function safeDefault(string $name, string $type)
    {
        return match (strtolower($name)) {
            'secret' => str_repeat('s', 32),
            'name' => 'fuzz',
            'limit' => 5,
            'windowseconds' => 60,
            default => match (ltrim($type, '?')) {
                'int' => 60,
                'array' => [],
                'bool' => false,
                'float' => 1.0,
                default => 'fuzz',
            },
        };
    }

    /** An exception the extension really threw, when one is easy to provoke. */
    private function thrown(string $class): ?\Throwable
    {
        try {
            if ($class === \RedisPersona\RateLimitedException::class) {
                $limiter = new \RedisPersona\RateLimiter($this->instanceOf(\RedisPersona\Client::class), 'fuzz-thrown', 1, 60);
                $limiter->attempt('k');
                $otp = new \RedisPersona\Otp($this->instanceOf(\RedisPersona\Client::class), str_repeat('s', 32), ['issue_limit' => 1]);
                $otp->issue('thrown@example.test');
                $otp->issue('thrown@example.test');
            } elseif ($class === \RedisPersona\ConnectionException::class) {
                $this->instanceOf(\RedisPersona\Client::class, true)->ping();
            }
        } catch (\Throwable $e) {
            return $e instanceof $class ? $e : null;
        }
        return null;
    }

    public function remember(string $name, $value): void
    {
        if (is_scalar($value) && (!is_string($value) || strlen($value) <= 256)) {
            $this->memory[strtolower($name)] = $value;
        }
    }

    public function remembered(string $name)
    {
        return $this->memory[strtolower($name)] ?? null;
    }

    /**
     * A render callback that calls back into the extension (another method
     * of another object) before it returns: re-entrancy must be safe.
     */
    public function reentrant(): \Closure
    {
        $class = FuzzValues::pick($this->classes);
        $methods = array_values(array_filter(self::methodsOf($class), fn ($m) => !$m->isConstructor()));
        return function () use ($class, $methods) {
            if ($methods === [] || $this->reentry > 0) {
                return 'no re-entry';
            }
            $method = FuzzValues::pick($methods);
            $args = [];
            foreach ($method->getParameters() as $parameter) {
                $args[] = FuzzValues::plausible($parameter->getName(), (string) $parameter->getType(), $this);
            }
            $this->reentry++;
            try {
                $method->invokeArgs($method->isStatic() ? null : $this->instanceOf($class), $args);
            } finally {
                $this->reentry--;
            }
            return 're-entered ' . $method->getName();
        };
    }
}
