<?php

/**
 * The health report that the dashboard, REST (/health) and Site Health
 * show: the backend's mode and why, the extension, settings, the topology
 * the constants configure (one server, cluster or Sentinel; passwords
 * masked; errors that keep it unused), and the extension's own health()
 * when Redis is in use, whose `topology` says which nodes answer.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class Health
{
    private Config $config;
    private Backend $backend;

    public function __construct(Config $config, Backend $backend)
    {
        $this->config = $config;
        $this->backend = $backend;
    }

    /** @return array<string, mixed> */
    public function report(): array
    {
        $backend = $this->backend;
        $mode = $backend->mode();
        $client = $backend->client();
        $redis = null;
        if ($client !== null) {
            try {
                $redis = $client->health();
            } catch (\Throwable $e) {
                $redis = ['status' => 'down', 'error' => $e->getMessage()];
            }
        }
        $outage = $backend->outage();
        return [
            'status' => $mode === 'redis' ? 'ok' : 'degraded',
            'mode' => $mode,
            'reason' => $backend->reason(),
            'extension' => extension_loaded('redis_persona') ? (string) phpversion('redis_persona') : null,
            'url' => $this->config->topology()['mode'] === 'cluster'
                ? implode(', ', Topology::display($this->config->topology())['seeds'])
                : $this->config->display_url(),
            'topology' => Topology::display($this->config->topology()),
            'prefix' => $this->config->prefix(),
            'personas' => $this->config->personas(),
            'default_persona' => $this->config->default_persona(),
            'outage_since' => $outage !== null ? $outage['since'] : null,
            'redis' => $redis,
        ];
    }
}
