<?php

declare(strict_types=1);

require __DIR__ . '/Support/Http.php';
require __DIR__ . '/Support/Site.php';
require __DIR__ . '/Support/SiteTestCase.php';
