<?php
// Boot harness stand-in for wp-cli (tests/boot/sites/README.md): the commands
// cms.sh runs, with wp-cli's arguments and effects. --prompt=<name> reads
// that value from stdin, as wp-cli does, so no secret is on a command line.
$path = null;
$words = [];
$options = [];
foreach (array_slice($argv, 1) as $arg) {
    if (preg_match('/^--([a-z_-]+)(?:=(.*))?$/s', $arg, $m)) {
        $options[$m[1]] = $m[2] ?? true;
    } else {
        $words[] = $arg;
    }
}
$path = rtrim($options['path'] ?? getcwd(), '/');
if (isset($options['prompt'])) {
    $options[$options['prompt']] = rtrim(fgets(STDIN), "\n");
}

function fail(string $message): void
{
    fwrite(STDERR, "Error: {$message}\n");
    exit(1);
}

function required(array $options, string $name): string
{
    if (!isset($options[$name]) || $options[$name] === true || $options[$name] === '') {
        fail("Parameter errors:\n missing --{$name} parameter");
    }
    return $options[$name];
}

function load_site(string $path): mysqli
{
    if (!is_file("{$path}/wp-config.php")) {
        fail("'wp-config.php' not found.");
    }
    // WordPress' files set these at the top level; here they are loaded from a function.
    global $wpdb, $table_prefix;
    define('WP_INSTALLING', true);
    require "{$path}/wp-load.php";
    return $wpdb;
}

switch (implode(' ', array_slice($words, 0, 2))) {
    case 'core download':
        if (is_file("{$path}/wp-load.php")) {
            fail('WordPress files seem to already be present here.');
        }
        $archive = tempnam(sys_get_temp_dir(), 'wordpress');
        exec('curl -fsSL -o ' . escapeshellarg($archive) . ' https://wordpress.org/latest.tar.gz', $out, $status);
        $status === 0 || fail('Could not download WordPress.');
        exec('tar -xzf ' . escapeshellarg($archive) . ' -C ' . escapeshellarg($path) . ' --strip-components=1', $out, $status);
        unlink($archive);
        $status === 0 || fail('Could not extract WordPress.');
        echo "Success: WordPress downloaded.\n";
        break;

    case 'config create':
        $name = required($options, 'dbname');
        $user = required($options, 'dbuser');
        $password = required($options, 'dbpass');
        $host = $options['dbhost'] ?? 'localhost';
        mysqli_report(MYSQLI_REPORT_OFF);
        @mysqli_connect($host, $user, $password, $name) || fail('Database connection error (' . mysqli_connect_errno() . ')');
        $config = "<?php\n";
        foreach (['DB_NAME' => $name, 'DB_USER' => $user, 'DB_PASSWORD' => $password, 'DB_HOST' => $host,
            'DB_CHARSET' => $options['dbcharset'] ?? 'utf8', 'DB_COLLATE' => ''] as $key => $value) {
            $config .= "define( '{$key}', " . var_export($value, true) . " );\n";
        }
        foreach (['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY'] as $key) {
            $config .= "define( '{$key}', '" . bin2hex(random_bytes(32)) . "' );\n";
        }
        $config .= "\$table_prefix = 'wp_';\n";
        $config .= "if ( ! defined( 'ABSPATH' ) ) {\n\tdefine( 'ABSPATH', __DIR__ . '/' );\n}\n";
        $config .= "require_once ABSPATH . 'wp-settings.php';\n";
        file_put_contents("{$path}/wp-config.php", $config) !== false || fail('Could not write wp-config.php.');
        echo "Success: Generated 'wp-config.php' file.\n";
        break;

    case 'core is-installed':
        load_site($path);
        exit(get_option('siteurl') === null ? 1 : 0);

    case 'core install':
        $db = load_site($path);
        if (get_option('siteurl') !== null) {
            echo "WordPress is already installed.\n";
            break;
        }
        $url = required($options, 'url');
        $password = required($options, 'admin_password');
        global $table_prefix;
        $db->query("CREATE TABLE IF NOT EXISTS {$table_prefix}options (option_name VARCHAR(191) PRIMARY KEY, option_value LONGTEXT NOT NULL)")
            && $db->query("CREATE TABLE IF NOT EXISTS {$table_prefix}users (user_login VARCHAR(60) PRIMARY KEY, user_pass VARCHAR(255) NOT NULL, user_email VARCHAR(100) NOT NULL)")
            || fail($db->error);
        $option = $db->prepare("INSERT INTO {$table_prefix}options VALUES (?, ?)");
        foreach (['siteurl' => $url, 'home' => $url, 'blogname' => required($options, 'title'),
            'admin_email' => required($options, 'admin_email')] as $name => $value) {
            $option->bind_param('ss', $name, $value);
            $option->execute() || fail($db->error);
        }
        $user = $db->prepare("INSERT INTO {$table_prefix}users VALUES (?, ?, ?)");
        $login = required($options, 'admin_user');
        $hash = password_hash($password, PASSWORD_DEFAULT);
        $email = $options['admin_email'];
        $user->bind_param('sss', $login, $hash, $email);
        $user->execute() || fail($db->error);
        echo "Success: WordPress installed successfully.\n";
        break;

    default:
        fail("'" . implode(' ', $words) . "' is not a command this stand-in models.");
}
