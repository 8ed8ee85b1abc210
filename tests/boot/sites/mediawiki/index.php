<?php
// Boot harness stand-in for MediaWiki (tests/boot/sites/README.md): the main
// page, read from the database with LocalSettings.php's credentials.
if (!is_readable(__DIR__ . '/LocalSettings.php')) {
    http_response_code(500);
    exit("LocalSettings.php not found or not readable\n");
}
require __DIR__ . '/LocalSettings.php';
mysqli_report(MYSQLI_REPORT_OFF);
$db = @mysqli_connect($wgDBserver, $wgDBuser, $wgDBpassword, $wgDBname);
$row = $db ? $db->query("SELECT page_text FROM page WHERE page_title = 'Main_Page'")?->fetch_row() : null;
if (!$row) {
    http_response_code(500);
    exit("Cannot access the database\n");
}
echo '<title>Main Page - ' . htmlspecialchars($wgSitename) . "</title>\n<p>" . htmlspecialchars($row[0]) . "</p>\n";
