<?php
// Boot harness stand-in for WordPress (tests/boot/sites/README.md): the
// login page, which reads the site's name from the database.
require __DIR__ . '/wp-load.php';
echo '<title>Log In &lsaquo; ' . htmlspecialchars(get_option('blogname')) . "</title>\n";
echo '<form name="loginform" id="loginform" action="' . htmlspecialchars(get_option('siteurl')) . "/wp-login.php\" method=\"post\"></form>\n";
