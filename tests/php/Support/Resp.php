<?php

namespace RedisPersona\Tests\Support;

/**
 * A minimal RESP2 client, independent of the code under test, for the tests'
 * own look at the server (INFO, CLIENT LIST, SCAN...).
 */
final class Resp implements Admin
{
    /** @var resource */
    private $socket;

    public function __construct(public int $port, float $timeout = 5.0)
    {
        $socket = @stream_socket_client("tcp://127.0.0.1:$port", $errno, $error, $timeout);
        if ($socket === false) {
            throw new \RuntimeException("cannot connect to 127.0.0.1:$port: $error");
        }
        stream_set_timeout($socket, (int) $timeout, (int) (fmod($timeout, 1.0) * 1_000_000));
        $this->socket = $socket;
    }

    /** @return mixed */
    public function command(string ...$args)
    {
        $out = '*' . count($args) . "\r\n";
        foreach ($args as $arg) {
            $out .= '$' . strlen($arg) . "\r\n" . $arg . "\r\n";
        }
        fwrite($this->socket, $out);
        return $this->read();
    }

    /** @return mixed */
    private function read()
    {
        $line = fgets($this->socket);
        if ($line === false) {
            throw new \RuntimeException('connection closed');
        }
        $type = $line[0];
        $body = substr($line, 1, -2);
        switch ($type) {
            case '+':
                return $body;
            case '-':
                throw new \RuntimeException("Redis error: $body");
            case ':':
                return (int) $body;
            case '$':
                if ((int) $body < 0) {
                    return null;
                }
                $data = '';
                $want = (int) $body + 2;
                while (strlen($data) < $want) {
                    $chunk = fread($this->socket, $want - strlen($data));
                    if ($chunk === false || $chunk === '') {
                        throw new \RuntimeException('short read');
                    }
                    $data .= $chunk;
                }
                return substr($data, 0, -2);
            case '*':
                if ((int) $body < 0) {
                    return null;
                }
                $items = [];
                for ($i = 0; $i < (int) $body; $i++) {
                    $items[] = $this->read();
                }
                return $items;
        }
        throw new \RuntimeException("unexpected reply: $line");
    }

    public function fanOut(): int
    {
        return 1;
    }

    public function infoField(string $section, string $field): string
    {
        $info = (string) $this->command('INFO', $section);
        if (!preg_match('/^' . preg_quote($field, '/') . ':(.*)$/m', $info, $m)) {
            throw new \RuntimeException("INFO $section has no $field");
        }
        return trim($m[1]);
    }

    public function __destruct()
    {
        if (is_resource($this->socket)) {
            fclose($this->socket);
        }
    }
}
