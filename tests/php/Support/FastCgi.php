<?php

namespace RedisPersona\Tests\Support;

/**
 * Just enough of a FastCGI client to send one GET request to php-fpm and
 * read the response body, so the FPM test needs no web server.
 */
final class FastCgi
{
    private const BEGIN_REQUEST = 1;
    private const END_REQUEST = 3;
    private const PARAMS = 4;
    private const STDIN = 5;
    private const STDOUT = 6;
    private const STDERR = 7;

    /**
     * @param array<string, string> $params
     * @return array{headers: string, body: string, stderr: string}
     */
    public static function get(int $port, string $script, string $query = '', array $params = []): array
    {
        $socket = @stream_socket_client("tcp://127.0.0.1:$port", $errno, $error, 5);
        if ($socket === false) {
            throw new \RuntimeException("php-fpm not reachable on $port: $error");
        }
        stream_set_timeout($socket, 30);
        $params += [
            'GATEWAY_INTERFACE' => 'FastCGI/1.0',
            'REQUEST_METHOD' => 'GET',
            'SCRIPT_FILENAME' => $script,
            'SCRIPT_NAME' => '/' . basename($script),
            'QUERY_STRING' => $query,
            'SERVER_PROTOCOL' => 'HTTP/1.1',
            'SERVER_NAME' => 'localhost',
            'REMOTE_ADDR' => '127.0.0.1',
        ];
        $encoded = '';
        foreach ($params as $name => $value) {
            $encoded .= self::length(strlen($name)) . self::length(strlen($value)) . $name . $value;
        }
        fwrite($socket, self::record(self::BEGIN_REQUEST, pack('nCx5', 1, 0)));
        fwrite($socket, self::record(self::PARAMS, $encoded) . self::record(self::PARAMS, ''));
        fwrite($socket, self::record(self::STDIN, ''));

        $stdout = '';
        $stderr = '';
        while (true) {
            $header = self::readExactly($socket, 8);
            $fields = unpack('Cversion/Ctype/nid/nlength/Cpadding', $header);
            $content = self::readExactly($socket, $fields['length']);
            self::readExactly($socket, $fields['padding']);
            if ($fields['type'] === self::STDOUT) {
                $stdout .= $content;
            } elseif ($fields['type'] === self::STDERR) {
                $stderr .= $content;
            } elseif ($fields['type'] === self::END_REQUEST) {
                break;
            }
        }
        fclose($socket);
        $split = strpos($stdout, "\r\n\r\n");
        return [
            'headers' => $split === false ? '' : substr($stdout, 0, $split),
            'body' => $split === false ? $stdout : substr($stdout, $split + 4),
            'stderr' => $stderr,
        ];
    }

    private static function record(int $type, string $content): string
    {
        return pack('CCnnCx', 1, $type, 1, strlen($content), 0) . $content;
    }

    private static function length(int $n): string
    {
        return $n < 128 ? chr($n) : pack('N', $n | 0x80000000);
    }

    /** @param resource $socket */
    private static function readExactly($socket, int $n): string
    {
        $data = '';
        while (strlen($data) < $n) {
            $chunk = fread($socket, $n - strlen($data));
            if ($chunk === false || $chunk === '') {
                throw new \RuntimeException('php-fpm closed the connection early');
            }
            $data .= $chunk;
        }
        return $data;
    }
}
