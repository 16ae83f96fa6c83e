<?php

namespace RedisPersona\Tests\Support;

/** A Stringable argument for the fuzz; with null, __toString() throws. */
final class FuzzStringable
{
    public function __construct(private ?string $text)
    {
    }

    public function __toString(): string
    {
        if ($this->text === null) {
            throw new FuzzCallbackException('thrown by __toString');
        }
        return $this->text;
    }
}
