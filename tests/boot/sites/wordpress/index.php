<?php
// Boot harness stand-in for WordPress (tests/boot/sites/README.md).
require __DIR__ . '/wp-load.php';
echo '<h1>' . htmlspecialchars(get_option('blogname')) . "</h1>\n";
