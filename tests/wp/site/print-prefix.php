<?php

// Prints the plugin's Redis key prefix for this site (tests/wp/site.sh gives it to the slot-events relay).
echo RedisPersona\WordPress\Plugin::instance()->config()->prefix();
