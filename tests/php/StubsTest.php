<?php

namespace RedisPersona\Tests;

use PHPUnit\Framework\TestCase;
use RedisPersona\Tests\Support\PhpProcess;

/** php-stubs/ must describe exactly the API of the loaded extension. */
final class StubsTest extends TestCase
{
    private const STUBS = __DIR__ . '/../../php-stubs';

    public function testStubsMatchTheLoadedExtension(): void
    {
        $tool = __DIR__ . '/tools/api-dump.php';
        $loaded = PhpProcess::run($tool, ['extension']);
        $this->assertSame(0, $loaded['exit'], $loaded['stderr']);
        $stubs = $this->runWithoutExtension($tool, ['stubs', self::STUBS]);
        $this->assertNotSame('[]', trim($loaded['stdout']));
        $this->assertSame(
            json_decode($loaded['stdout'], true),
            json_decode($stubs, true),
            "php-stubs/ and the extension differ:\n--- extension\n{$loaded['stdout']}\n--- stubs\n$stubs"
        );
    }

    public function testEveryStubMethodIsDocumentedWithAnExampleAndItsExceptions(): void
    {
        $files = glob(self::STUBS . '/RedisPersona/*.php') ?: [];
        $this->assertNotEmpty($files);
        foreach ($files as $file) {
            $tokens = token_get_all((string) file_get_contents($file));
            $doc = null;
            $classDocumented = false;
            foreach ($tokens as $i => $token) {
                if (!is_array($token)) {
                    continue;
                }
                if ($token[0] === T_DOC_COMMENT) {
                    $doc = $token[1];
                } elseif ($token[0] === T_CLASS) {
                    $this->assertNotNull($doc, "$file: class without a docblock");
                    $this->assertStringContainsString('@example', (string) $doc, "$file: class docblock lacks @example");
                    $classDocumented = true;
                    $doc = null;
                } elseif ($token[0] === T_FUNCTION) {
                    $name = $tokens[$i + 2][1] ?? '?';
                    $where = basename($file) . "::$name()";
                    $this->assertNotNull($doc, "$where has no docblock");
                    $this->assertStringContainsString('@example', (string) $doc, "$where lacks @example");
                    if (stripos((string) $doc, 'never throws') === false) {
                        $this->assertStringContainsString('@throws', (string) $doc, "$where lacks @throws");
                    }
                    $doc = null;
                }
            }
            $this->assertTrue($classDocumented, "$file declares no class");
        }
    }

    /** @param list<string> $args */
    private function runWithoutExtension(string $script, array $args): string
    {
        $process = proc_open(
            [PHP_BINARY, '-n', $script, ...$args],
            [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']],
            $pipes
        );
        $out = (string) stream_get_contents($pipes[1]);
        $err = (string) stream_get_contents($pipes[2]);
        $this->assertSame(0, proc_close($process), $err);
        return $out;
    }
}
