<?php
// Boot harness stand-in for MediaWiki's REST API (tests/boot/sites/README.md):
// GET /rest.php/v1/page/<title>, the page's source read from the database
// with LocalSettings.php's credentials (200), 404 for a page that does not
// exist, 500 when the database cannot be reached. Without LocalSettings.php,
// MediaWiki's "LocalSettings.php not found" page with status 200, as every
// entry point gives it.
if (!is_file(__DIR__ . '/LocalSettings.php')) {
    echo "<title>MediaWiki</title>\n<p>LocalSettings.php not found.</p>\n";
    exit;
}
require __DIR__ . '/LocalSettings.php';
header('Content-Type: application/json');
// Routed from the request's path below rest.php, as MediaWiki's REST router does.
$route = substr(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH), strlen('/rest.php'));
if (!preg_match('#^/v1/page/([^/]+)$#', $route, $match)) {
    http_response_code(404);
    exit('{"httpCode":404,"httpReason":"Not Found"}');
}
$title = rawurldecode($match[1]);
mysqli_report(MYSQLI_REPORT_OFF);
$db = @mysqli_connect($wgDBserver, $wgDBuser, $wgDBpassword, $wgDBname);
$statement = $db ? $db->prepare('SELECT page_text FROM page WHERE page_title = ?') : false;
if (!$statement || !$statement->bind_param('s', $title) || !$statement->execute()) {
    http_response_code(500);
    exit('{"httpCode":500,"httpReason":"Internal Server Error"}');
}
$row = $statement->get_result()->fetch_row();
if (!$row) {
    http_response_code(404);
    exit('{"messageTranslations":{"en":"The specified title does not exist"},"httpCode":404}');
}
echo json_encode(['key' => $title, 'title' => str_replace('_', ' ', $title), 'source' => $row[0],
    'license' => ['title' => $wgSitename]]), "\n";
