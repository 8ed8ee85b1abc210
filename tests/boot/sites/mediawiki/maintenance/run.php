<?php
// Boot harness stand-in for MediaWiki's maintenance runner
// (tests/boot/sites/README.md): `install` with the installer's options,
// passwords from --dbpassfile and --passfile; it creates the wiki's tables as
// the wiki's own account and writes LocalSettings.php into --confpath.
$options = [];
$positional = [];
foreach (array_slice($argv, 1) as $arg) {
    if (preg_match('/^--([a-z]+)(?:=(.*))?$/s', $arg, $m)) {
        $options[$m[1]] = $m[2] ?? true;
    } else {
        $positional[] = $arg;
    }
}

function fail(string $message): void
{
    fwrite(STDERR, "{$message}\n");
    exit(1);
}

if (($positional[0] ?? '') !== 'install' || count($positional) !== 3) {
    fail('usage: run.php install [options] <name> <admin>');
}
[, $sitename, $admin] = $positional;
foreach (['dbname', 'dbuser', 'dbpassfile', 'passfile', 'server', 'confpath'] as $required) {
    isset($options[$required]) || fail("Missing --{$required}");
}
if (is_file("{$options['confpath']}/LocalSettings.php")) {
    fail('A LocalSettings.php file has been detected.');
}
$dbPassword = file_get_contents($options['dbpassfile']);
$adminPassword = file_get_contents($options['passfile']);
($dbPassword !== false && $adminPassword !== false) || fail('Cannot read the password files.');
$server = $options['dbserver'] ?? 'localhost';
mysqli_report(MYSQLI_REPORT_OFF);
$db = @mysqli_connect($server, $options['dbuser'], $dbPassword, $options['dbname']);
$db || fail('Cannot access the database: ' . mysqli_connect_error());
$db->query('CREATE TABLE page (page_title VARBINARY(255) PRIMARY KEY, page_text MEDIUMBLOB NOT NULL)')
    && $db->query('CREATE TABLE user (user_name VARBINARY(255) PRIMARY KEY, user_password TINYBLOB NOT NULL)')
    || fail($db->error);
$page = $db->prepare('INSERT INTO page VALUES (?, ?)');
$title = 'Main_Page';
$text = 'MediaWiki has been installed.';
$page->bind_param('ss', $title, $text);
$user = $db->prepare('INSERT INTO user VALUES (?, ?)');
$hash = password_hash($adminPassword, PASSWORD_DEFAULT);
$user->bind_param('ss', $admin, $hash);
($page->execute() && $user->execute()) || fail($db->error);
$settings = "<?php\n";
foreach (['wgSitename' => $sitename, 'wgServer' => $options['server'], 'wgScriptPath' => $options['scriptpath'] ?? '',
    'wgDBtype' => $options['dbtype'] ?? 'mysql', 'wgDBserver' => $server, 'wgDBname' => $options['dbname'],
    'wgDBuser' => $options['dbuser'], 'wgDBpassword' => $dbPassword, 'wgLanguageCode' => $options['lang'] ?? 'en',
    'wgSecretKey' => bin2hex(random_bytes(32)), 'wgUpgradeKey' => bin2hex(random_bytes(8))] as $name => $value) {
    $settings .= "\${$name} = " . var_export($value, true) . ";\n";
}
file_put_contents("{$options['confpath']}/LocalSettings.php", $settings) !== false || fail('Cannot write LocalSettings.php');
echo "MediaWiki has been successfully installed.\n";
