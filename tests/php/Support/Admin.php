<?php

namespace RedisPersona\Tests\Support;

/** The tests' own connection: one server's Resp, or a cluster's router. */
interface Admin
{
    /** @return mixed */
    public function command(string ...$args);

    public function infoField(string $section, string $field): string;

    /** How many servers a whole-data-set command (INFO, DBSIZE...) reaches. */
    public function fanOut(): int;
}
