<?php

/**
 * Thrown out of a cache render whose page defined DONOTCACHEPAGE: the store
 * never keeps that HTML, and the request still shows it.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class DoNotCache extends \RuntimeException
{
    private string $html;

    public function __construct(string $html)
    {
        parent::__construct('DONOTCACHEPAGE: not cached');
        $this->html = $html;
    }

    public function html(): string
    {
        return $this->html;
    }
}
