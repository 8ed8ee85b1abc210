<?php
// Boot harness stand-in for MediaWiki (tests/boot/sites/README.md).
