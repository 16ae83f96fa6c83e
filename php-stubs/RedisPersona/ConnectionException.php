<?php

namespace RedisPersona;

/**
 * Redis could not be used: connection refused, timed out, dropped, the
 * handshake (AUTH/SELECT) failed, or the circuit breaker is open (then no
 * I/O was attempted). The message says which.
 *
 * @example try { $client->ping(); } catch (\RedisPersona\ConnectionException $e) { use_fallback(); }
 */
class ConnectionException extends Exception
{
}
