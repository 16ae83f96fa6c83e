<?php

namespace RedisPersona\Tests\Support;

/**
 * The Redis Cluster hash slot of a key, computed here (not asked of a node)
 * so the tests' admin connection routes each command the way the cluster
 * spec says, independently of the extension under test: CRC16 (XMODEM:
 * polynomial 0x1021, initial value 0) of the key's hash tag - the part
 * between the first '{' and the next '}' when that part is non-empty - or of
 * the whole key, modulo 16384.
 */
final class HashSlot
{
    public const COUNT = 16384;

    /** @var list<int>|null */
    private static ?array $table = null;

    public static function of(string $key): int
    {
        return self::crc16(self::hashedPart($key)) % self::COUNT;
    }

    public static function hashedPart(string $key): string
    {
        $open = strpos($key, '{');
        if ($open !== false) {
            $close = strpos($key, '}', $open + 1);
            if ($close !== false && $close > $open + 1) {
                return substr($key, $open + 1, $close - $open - 1);
            }
        }
        return $key;
    }

    public static function crc16(string $data): int
    {
        $table = self::$table ??= self::table();
        $crc = 0;
        $length = strlen($data);
        for ($i = 0; $i < $length; $i++) {
            $crc = (($crc << 8) & 0xFFFF) ^ $table[(($crc >> 8) ^ ord($data[$i])) & 0xFF];
        }
        return $crc;
    }

    /** @return list<int> the CRC of each byte value, shifted through the polynomial */
    private static function table(): array
    {
        $table = [];
        for ($byte = 0; $byte < 256; $byte++) {
            $crc = $byte << 8;
            for ($bit = 0; $bit < 8; $bit++) {
                $crc = ($crc & 0x8000) !== 0 ? (($crc << 1) ^ 0x1021) & 0xFFFF : ($crc << 1) & 0xFFFF;
            }
            $table[] = $crc;
        }
        return $table;
    }
}
