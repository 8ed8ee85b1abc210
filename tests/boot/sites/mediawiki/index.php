<?php
// Boot harness stand-in for MediaWiki (tests/boot/sites/README.md): a page
// read from the database with LocalSettings.php's credentials, and the
// answers MediaWiki gives before that:
// - without LocalSettings.php, its "LocalSettings.php not found" page with
//   status 200 (includes/NoLocalSettings.php sets none);
// - for index.php without a title or any other parameter, the canonical
//   redirect (301) to the main page's URL on $wgServer (under PHP-FPM,
//   MediaWiki's default article path is index.php?title=$1);
// - 500 when the database cannot be reached, 404 for a page that does not exist.
if (!is_file(__DIR__ . '/LocalSettings.php')) {
    echo "<title>MediaWiki</title>\n<p>LocalSettings.php not found.</p>\n";
    exit;
}
require __DIR__ . '/LocalSettings.php';
if (count($_GET) === 0) {
    header("Location: {$wgServer}/index.php?title=Main_Page", true, 301);
    exit;
}
$title = $_GET['title'] ?? 'Main_Page';
mysqli_report(MYSQLI_REPORT_OFF);
$db = @mysqli_connect($wgDBserver, $wgDBuser, $wgDBpassword, $wgDBname);
$statement = $db ? $db->prepare('SELECT page_text FROM page WHERE page_title = ?') : false;
if (!$statement || !$statement->bind_param('s', $title) || !$statement->execute()) {
    http_response_code(500);
    exit("Cannot access the database\n");
}
$row = $statement->get_result()->fetch_row();
if (!$row) {
    http_response_code(404);
    exit("There is currently no text in this page.\n");
}
echo '<title>' . htmlspecialchars(str_replace('_', ' ', $title)) . ' - ' . htmlspecialchars($wgSitename) .
    "</title>\n<p>" . htmlspecialchars($row[0]) . "</p>\n";
