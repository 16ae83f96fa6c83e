<?php

namespace RedisPersona;

/**
 * Root of the runtime failures the extension throws (bad arguments throw
 * \ValueError or \TypeError instead). Carries the PHP file, line and trace of
 * the call that failed.
 *
 * @example try { $client->ping(); } catch (\RedisPersona\Exception $e) { error_log($e->getMessage()); }
 */
class Exception extends \RuntimeException
{
}
