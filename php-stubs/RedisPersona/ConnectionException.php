<?php

namespace RedisPersona;

/**
 * Redis could not be used: connection refused, timed out, dropped, the
 * handshake (AUTH/SELECT) failed, the circuit breaker is open (then no I/O
 * was attempted; the breaker's state is shared by the user's PHP processes
 * on the machine), or the server refused to serve (UnavailableException,
 * with the Redis error code). The message says which.
 *
 * @example try { $client->ping(); } catch (\RedisPersona\ConnectionException $e) { use_fallback(); }
 */
class ConnectionException extends Exception
{
}
