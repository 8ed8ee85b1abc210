<?php
// Boot harness stand-in for WordPress (tests/boot/sites/README.md): what
// WordPress' bootstrap needs before a page renders, its database connection
// and the site's options. wp-cli's stand-in sets WP_INSTALLING to look at a
// site that is not installed yet.
require_once ABSPATH . 'wp-includes/version.php';
mysqli_report(MYSQLI_REPORT_OFF);
$wpdb = @mysqli_connect(DB_HOST, DB_USER, DB_PASSWORD, DB_NAME);
if (!$wpdb) {
    http_response_code(500);
    exit("Error establishing a database connection\n");
}
function get_option(string $name): ?string
{
    global $wpdb, $table_prefix;
    $statement = mysqli_prepare($wpdb, "SELECT option_value FROM {$table_prefix}options WHERE option_name = ?");
    if (!$statement) {
        return null;
    }
    mysqli_stmt_bind_param($statement, 's', $name);
    mysqli_stmt_execute($statement);
    $row = mysqli_fetch_row(mysqli_stmt_get_result($statement));
    return $row ? $row[0] : null;
}
// A site that is not installed redirects every page to its installer (302),
// as WordPress' wp_not_installed() does: its pages answer, but not with 200.
if (!defined('WP_INSTALLING') && get_option('siteurl') === null) {
    header('Location: /wp-admin/install.php', true, 302);
    exit;
}
