<?php

namespace RedisPersona\Tests\Support;

/** An enum case as an argument: an object that is neither Stringable nor cloneable. */
enum FuzzEnum: string
{
    case Default = 'default';
}
