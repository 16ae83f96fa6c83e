<?php

namespace RedisPersona\Tests\Support;

/** The tests' own connection: one server's Resp, or a cluster's router. */
interface Admin
{
    /** @return mixed */
    public function command(string ...$args);

    public function infoField(string $section, string $field): string;
}
