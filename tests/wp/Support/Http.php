<?php

declare(strict_types=1);

namespace RedisPersona\WpTests\Support;

/**
 * A small HTTP client over ext-curl: single requests and a batch sent in
 * parallel (curl_multi), with headers parsed. No Composer here, so no Guzzle.
 */
final class Http
{
    /**
     * @param array<string, string> $headers
     * @param array<string, mixed> $options method, body (string|array → JSON), cookies, auth [user, pass]
     * @return array{status: int, headers: array<string, string>, body: string, json: mixed, time: float}
     */
    public static function request(string $url, array $options = []): array
    {
        return self::parallel([[$url, $options]])[0];
    }

    /**
     * @param list<array{0: string, 1?: array<string, mixed>}> $requests
     * @return list<array{status: int, headers: array<string, string>, body: string, json: mixed, time: float}>
     */
    public static function parallel(array $requests): array
    {
        $multi = curl_multi_init();
        $handles = [];
        $headers = [];
        foreach ($requests as $i => $request) {
            $handle = self::handle($request[0], $request[1] ?? [], $headers[$i]);
            $handles[$i] = $handle;
            curl_multi_add_handle($multi, $handle);
        }
        do {
            $status = curl_multi_exec($multi, $running);
            if ($running) {
                curl_multi_select($multi, 1.0);
            }
        } while ($running && $status === CURLM_OK);
        $responses = [];
        foreach ($handles as $i => $handle) {
            $body = (string) curl_multi_getcontent($handle);
            $responses[$i] = [
                'status' => (int) curl_getinfo($handle, CURLINFO_RESPONSE_CODE),
                'headers' => $headers[$i],
                'body' => $body,
                'json' => json_decode($body, true),
                'time' => (float) curl_getinfo($handle, CURLINFO_TOTAL_TIME),
                'error' => curl_error($handle),
            ];
            curl_multi_remove_handle($multi, $handle);
            curl_close($handle);
        }
        curl_multi_close($multi);
        return $responses;
    }

    /**
     * @param array<string, mixed> $options
     * @param array<string, string>|null $headers filled with the response headers
     * @return \CurlHandle
     */
    /**
     * A curl handle for one request; the response headers land in $headers.
     * (The REST fuzz sends its hostile requests through this too.)
     */
    public static function handle(string $url, array $options, ?array &$headers): \CurlHandle
    {
        $headers = [];
        $handle = curl_init($url);
        $send = [];
        foreach ($options['headers'] ?? [] as $name => $value) {
            // curl sends a header with an empty value only as "Name;".
            $send[] = $value === '' ? "$name;" : "$name: $value";
        }
        $method = $options['method'] ?? 'GET';
        if (array_key_exists('body', $options)) {
            $body = $options['body'];
            if (!is_string($body)) {
                $body = (string) json_encode($body);
            }
            if (!isset($options['headers']['Content-Type'])) {
                $send[] = 'Content-Type: application/json';
            }
            curl_setopt($handle, CURLOPT_POSTFIELDS, $body);
        }
        if (isset($options['cookies'])) {
            $pairs = [];
            foreach ($options['cookies'] as $name => $value) {
                $pairs[] = $name . '=' . $value;
            }
            curl_setopt($handle, CURLOPT_COOKIE, implode('; ', $pairs));
        }
        if (isset($options['auth'])) {
            curl_setopt($handle, CURLOPT_USERPWD, $options['auth'][0] . ':' . $options['auth'][1]);
        }
        if ($method === 'HEAD') {
            // A custom HEAD would make curl wait for a body that never comes.
            curl_setopt($handle, CURLOPT_NOBODY, true);
        } else {
            curl_setopt($handle, CURLOPT_CUSTOMREQUEST, $method);
        }
        curl_setopt_array($handle, [
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_TIMEOUT => 30,
            CURLOPT_HTTPHEADER => $send,
            CURLOPT_HEADERFUNCTION => static function ($curl, string $line) use (&$headers): int {
                $parts = explode(':', $line, 2);
                if (count($parts) === 2) {
                    $name = strtolower(trim($parts[0]));
                    $headers[$name] = isset($headers[$name]) ? $headers[$name] . ', ' . trim($parts[1]) : trim($parts[1]);
                }
                return strlen($line);
            },
        ]);
        return $handle;
    }
}
