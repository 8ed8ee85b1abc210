<?php
// Boot harness stand-in for WordPress (tests/boot/sites/README.md).
$wp_version = '6.7.1';
