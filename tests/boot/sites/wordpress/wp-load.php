<?php
// Boot harness stand-in for WordPress (tests/boot/sites/README.md). Without
// wp-config.php WordPress redirects every page to its setup (302), as here.
define('ABSPATH', __DIR__ . '/');
if (!is_file(ABSPATH . 'wp-config.php')) {
    header('Location: /wp-admin/setup-config.php', true, 302);
    exit;
}
require ABSPATH . 'wp-config.php';
