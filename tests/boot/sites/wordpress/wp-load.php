<?php
// Boot harness stand-in for WordPress (tests/boot/sites/README.md).
define('ABSPATH', __DIR__ . '/');
require ABSPATH . 'wp-config.php';
