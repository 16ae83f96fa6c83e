<?php

declare(strict_types=1);

namespace RedisPersona\WpTests\Support;

/**
 * Sends many requests with a fixed number in flight (curl_multi, a rolling
 * window), so the REST fuzz keeps every php-fpm worker busy without queueing
 * thousands of connections. Handles what Http does not need to: HEAD and
 * arbitrary methods, raw bodies, credentials containing odd bytes.
 */
final class FuzzSender
{
    /**
     * @param iterable<array{0: string, 1: array<string, mixed>, 2: string}> $requests
     * @param callable(int $status, string $body, string $error, string $description): void $onResponse
     */
    public static function send(iterable $requests, int $inFlight, callable $onResponse): void
    {
        $multi = curl_multi_init();
        $active = [];
        $iterator = (static fn () => yield from $requests)();
        $add = static function () use ($iterator, $multi, &$active): bool {
            if (!$iterator->valid()) {
                return false;
            }
            [$url, $options, $description] = $iterator->current();
            $iterator->next();
            $handle = Http::handle($url, $options, $ignored);
            curl_multi_add_handle($multi, $handle);
            $active[spl_object_id($handle)] = $description;
            return true;
        };
        for ($i = 0; $i < $inFlight && $add(); $i++) {
        }
        while ($active !== []) {
            curl_multi_exec($multi, $running);
            while (($info = curl_multi_info_read($multi)) !== false) {
                $handle = $info['handle'];
                $description = $active[spl_object_id($handle)];
                unset($active[spl_object_id($handle)]);
                $onResponse(
                    (int) curl_getinfo($handle, CURLINFO_RESPONSE_CODE),
                    (string) curl_multi_getcontent($handle),
                    curl_error($handle),
                    $description
                );
                curl_multi_remove_handle($multi, $handle);
                curl_close($handle);
                $add();
            }
            if ($active !== []) {
                curl_multi_select($multi, 0.5);
            }
        }
        curl_multi_close($multi);
    }
}
