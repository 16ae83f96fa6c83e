<?php

namespace RedisPersona\Tests\Support;

/**
 * Thrown by the fuzz's own callbacks: the extension must let it through
 * unchanged, so it is an allowed outcome of any call.
 */
final class FuzzCallbackException extends \RuntimeException
{
}
