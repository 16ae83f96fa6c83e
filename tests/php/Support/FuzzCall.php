<?php

namespace RedisPersona\Tests\Support;

/**
 * One fuzzed call and the judgement of its outcome: which throwables are
 * documented, whether a refusal names the argument, whether the result has
 * the declared type. Also the short, printable description of an input that
 * a failure report (or a crash) shows.
 */
final class FuzzCall
{
    /** @param list<mixed> $args */
    public function __construct(public \ReflectionMethod $method, public ?object $receiver, public array $args)
    {
    }

    public function describe(): string
    {
        $args = array_map(fn ($a) => self::show($a, 0), $this->args);
        $on = $this->receiver === null ? '' : (' on ' . self::show($this->receiver, 0));
        return $this->method->class . '::' . $this->method->getName() . '(' . implode(', ', $args) . ')' . $on;
    }

    /** @return mixed */
    public function invoke()
    {
        if ($this->method->isConstructor()) {
            return $this->method->getDeclaringClass()->newInstanceArgs($this->args);
        }
        return $this->method->invokeArgs($this->method->isStatic() ? null : $this->receiver, $this->args);
    }

    /** Null when the throwable is an allowed outcome, else why it is not. */
    public function judgeThrowable(\Throwable $e): ?string
    {
        if ($e instanceof FuzzCallbackException) {
            return null;
        }
        $documented = $e instanceof \TypeError || $e instanceof \ValueError || $e instanceof \InvalidArgumentException
            || $e instanceof \RedisPersona\Exception;
        if (!$documented) {
            return 'undocumented ' . get_class($e) . ': ' . $e->getMessage();
        }
        if ($e->getMessage() === '') {
            return get_class($e) . ' with an empty message';
        }
        $named = $e instanceof \ValueError || $e instanceof \InvalidArgumentException
            || ($e instanceof \TypeError && !$e instanceof \ArgumentCountError && !$this->passesCallable());
        if ($named && !$this->namesAnArgument($e->getMessage())) {
            return get_class($e) . ' does not name the argument: ' . $e->getMessage();
        }
        return null;
    }

    /** Null when the value has the method's declared return type. */
    public function judgeResult($result): ?string
    {
        if ($this->method->isConstructor()) {
            return null;
        }
        $type = $this->method->getReturnType();
        if ($type === null) {
            return null;
        }
        $name = ltrim((string) $type, '?');
        if ($result === null) {
            return $type->allowsNull() || $name === 'void' ? null : "returned null, declared $type";
        }
        $ok = match ($name) {
            'int' => is_int($result),
            'float' => is_float($result),
            'string' => is_string($result),
            'bool' => is_bool($result),
            'array' => is_array($result),
            'void' => false,
            default => $result instanceof $name,
        };
        return $ok ? null : 'returned ' . get_debug_type($result) . ", declared $type";
    }

    private function passesCallable(): bool
    {
        foreach ($this->args as $arg) {
            if (is_callable($arg) || $arg instanceof FuzzStringable) {
                return true;
            }
        }
        return false;
    }

    private function namesAnArgument(string $message): bool
    {
        $names = ['options', $this->method->getName()];
        foreach ($this->method->getParameters() as $parameter) {
            $names[] = $parameter->getName();
        }
        foreach ($names as $name) {
            if (str_contains($message, $name)) {
                return true;
            }
        }
        return false;
    }

    public static function show($value, int $depth): string
    {
        if (is_string($value)) {
            $shown = strlen($value) > 60 ? substr($value, 0, 40) . '…' : $value;
            $escaped = addcslashes($shown, "\0..\37\"\\\177..\377");
            return strlen($value) > 60 ? sprintf('string(%d) "%s"', strlen($value), $escaped) : '"' . $escaped . '"';
        }
        if (is_int($value) || is_bool($value) || $value === null) {
            return var_export($value, true);
        }
        if (is_float($value)) {
            return is_finite($value) ? var_export($value, true) : (string) $value;
        }
        if (is_array($value)) {
            if ($depth >= 2 || count($value) > 8) {
                return 'array(' . count($value) . ')[…]';
            }
            $items = [];
            foreach ($value as $k => $v) {
                $items[] = self::show($k, 3) . ' => ' . ($k === 'self' ? '&recursion' : self::show($v, $depth + 1));
            }
            return '[' . implode(', ', $items) . ']';
        }
        if ($value instanceof \Closure) {
            $function = new \ReflectionFunction($value);
            return 'Closure@' . basename((string) $function->getFileName()) . ':' . $function->getStartLine();
        }
        if (is_object($value)) {
            return get_class($value) . ($value instanceof FuzzStringable ? '(' . self::stringableText($value) . ')' : '');
        }
        return get_debug_type($value);
    }

    private static function stringableText(FuzzStringable $value): string
    {
        try {
            return self::show((string) $value, 3);
        } catch (\Throwable $e) {
            return 'throws';
        }
    }
}
