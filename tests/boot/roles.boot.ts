/**
 * Boots each server role's rendered user data, as the stacks render it, in a
 * simulated instance (tests/boot/README.md) and checks what a person would on
 * the host. Needs root and Debian's packages (tests/boot/install-packages.sh);
 * `npm run test:boot` runs all of it, `.ci/run` the scenarios tagged @quick.
 * Each scenario's boot time is printed, as "(boot Ns)".
 */
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { bootScriptOf } from "../../plan/boot-scripts";
import { evaluateStack, PROJECT_ROOT, RecordedResource, Recording } from "../../plan/evaluate";
import { configPatched, tier1mAt } from "../harness";
import { BootResult, Fixtures, Instance, networkLeftovers, Volume, WORK_ROOT, withVariable } from "./instance";

/** Node.js as an instance sees it: the project is mounted at /harness-project, as the instance's /tmp is its own. */
const NODE = "/harness-project/node_modules/.bin/node";

// Volume images and release packages go with the run.
after(() => {
    if (!process.env.BOOT_KEEP) {
        fs.rmSync(WORK_ROOT, { recursive: true, force: true });
    }
});
const recordings = new Map<string, Promise<Recording>>();

function recordingOf(stack: string): Promise<Recording> {
    let recording = recordings.get(stack);
    if (!recording) {
        recording = evaluateStack(stack);
        recordings.set(stack, recording);
    }
    return recording;
}

/** The boot script a stack's server or launch template runs: what its loader fetches from S3 (digest checked). */
async function userData(stack: string, name: string): Promise<string> {
    const recording = await recordingOf(stack);
    const resource = recording.resources.find(
        (r: RecordedResource) => r.name === name && (r.inputs.userDataBase64 ?? r.inputs.userData),
    );
    if (!resource) {
        throw new Error(`${stack} has no server ${name}`);
    }
    return bootScriptOf(recording.resources, resource);
}

function variable(script: string, name: string): string {
    const match = new RegExp(`^readonly ${name}='([^']*)'$`, "m").exec(script);
    if (!match) {
        throw new Error(`the script does not bind ${name}`);
    }
    return match[1];
}

function expectBooted(result: BootResult, what: string): void {
    process.stdout.write(`      (boot ${result.seconds.toFixed(0)}s)\n`);
    expect(result.status, `${what} failed at ${result.firstFailure}\n${result.output.slice(-3000)}`).to.equal(0);
}

function expectFailed(result: BootResult, message: RegExp): void {
    process.stdout.write(`      (boot ${result.seconds.toFixed(0)}s)\n`);
    expect(result.status, result.output.slice(-2000)).not.to.equal(0);
    expect(result.firstFailure ?? "", result.output.slice(-2000)).to.match(message);
}

/**
 * No password in any log, command line or process environment; `serviceUser`'s processes may hold them in
 * theirs when a service reads its credentials from the environment by design (Logstash's ${VAR}).
 */
function expectNoSecretRecorded(instance: Instance, secrets: Record<string, string>, serviceUser?: string): void {
    const recorded = instance
        .everythingRecorded()
        .split("\n")
        .filter((line) => !(serviceUser && line.startsWith("environ ") && line.includes(` USER=${serviceUser} `)))
        .join("\n");
    expect(recorded.length).to.be.greaterThan(1000);
    for (const document of Object.values(secrets)) {
        const password = (JSON.parse(document) as { password: string }).password;
        expect(recorded.includes(password), `a password appears in ${instance.name}'s logs or process list`).to.equal(
            false,
        );
    }
}

/** A release package as Jenkins uploads it: bin/start runs the application on $PORT. */
function releasePackage(version: string, healthy: boolean): string {
    const dir = path.join(WORK_ROOT, "packages", version);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(path.join(dir, "tree", "bin"), { recursive: true });
    const start = healthy
        ? `#!/bin/bash\nexec ${NODE} -e "require('http').createServer((q, s) => s.end('app ${version}')).listen(process.env.PORT, '127.0.0.1')"\n`
        : `#!/bin/bash\necho 'cannot connect to the database' >&2\nexit 1\n`;
    fs.writeFileSync(path.join(dir, "tree", "bin", "start"), start, { mode: 0o755 });
    const archive = path.join(dir, "app.tar.gz");
    execFileSync("tar", ["-czf", archive, "-C", path.join(dir, "tree"), "."]);
    return archive;
}

const SHAPES: { stack: string; server: string; quick: boolean }[] = [
    { stack: "tier30k", server: "web-0", quick: true },
    { stack: "tier150k", server: "web-0", quick: false },
    { stack: "tier1m", server: "web-launch-template", quick: false },
];

for (const shape of SHAPES) {
    describe(`boot: web server (${shape.stack} ${shape.server})`, function () {
        this.timeout(600_000);
        const tag = shape.quick ? " @quick" : "";
        let script: string;
        let prefix: string;
        let fixtures: Fixtures;
        const instances: Instance[] = [];
        let web: Instance;

        before(async () => {
            script = await userData(shape.stack, shape.server);
            prefix = variable(script, "APP_PARAMETER_PATH");
            fixtures = {
                ssm: {
                    [`${prefix}/db-host`]: "db.scale-tiers.internal",
                    [`${prefix}/db-secret-arn`]:
                        "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:db-app-secret-AbCdEf",
                },
            };
            web = new Instance(`web-${shape.stack}`, "10.0.10.10");
            instances.push(web);
            web.setFixtures(fixtures);
            web.start();
        });
        after(() => instances.forEach((instance) => instance.dispose()));

        it(`first boot serves the placeholder and answers the health check${tag}`, () => {
            expectBooted(web.boot(script), "first boot");
            expect(web.exec("curl -fsS http://127.0.0.1/healthz")).to.equal("ok");
            expect(web.exec("curl -fsS http://127.0.0.1/")).to.contain("has not been deployed");
            expect(web.exec("systemctl is-enabled nginx").trim()).to.equal("enabled");
            expect(web.mode("/etc/scale-tiers/app.env")).to.equal("640 root:nginx");
            expect(web.exec("cat /etc/scale-tiers/app.env")).to.contain("DB_HOST=db.scale-tiers.internal");
        });

        it(`a second run changes nothing and restarts nothing${tag}`, () => {
            const before = web.exec("md5sum /etc/nginx/nginx.conf /etc/nginx/conf.d/*.conf /etc/scale-tiers/app.env");
            expectBooted(web.boot(script), "second run");
            expect(web.exec("md5sum /etc/nginx/nginx.conf /etc/nginx/conf.d/*.conf /etc/scale-tiers/app.env")).to.equal(
                before,
            );
            expect(web.starts("nginx")).to.equal(1);
        });

        it("deploys a release package, and a broken release rolls back to it", () => {
            web.setFixtures({
                ssm: { ...fixtures.ssm, [`${prefix}/artifact-bucket`]: "scale-tiers-artifacts" },
                s3: {
                    "s3://scale-tiers-artifacts/releases/v1/app.tar.gz": releasePackage("v1", true),
                    "s3://scale-tiers-artifacts/releases/v2/app.tar.gz": releasePackage("v2", false),
                },
            });
            web.exec("/usr/local/sbin/scale-tiers-deploy v1");
            expect(web.exec("curl -fsS http://127.0.0.1/healthz")).to.equal("app v1");
            const broken = web.execStatus("/usr/local/sbin/scale-tiers-deploy v2");
            expect(broken.status).not.to.equal(0);
            expect(broken.output).to.contain("rolled back to v1");
            expect(web.exec("curl -fsS http://127.0.0.1/healthz")).to.equal("app v1");
            // A re-run of the bootstrap keeps the application, never the placeholder.
            expectBooted(web.boot(script), "re-run with a release live");
            expect(web.exec("curl -fsS http://127.0.0.1/")).to.equal("app v1");
        });

        it("a new server whose recorded release is broken fails its boot and its health check, after a reboot too", () => {
            const replacement = new Instance(`web-${shape.stack}-new`, "10.0.10.11");
            instances.push(replacement);
            replacement.setFixtures({
                ssm: {
                    ...fixtures.ssm,
                    [`${prefix}/artifact-bucket`]: "scale-tiers-artifacts",
                    [`${prefix}/app-version`]: "v2",
                },
                s3: { "s3://scale-tiers-artifacts/releases/v2/app.tar.gz": releasePackage("v2", false) },
            });
            replacement.start();
            expectFailed(replacement.boot(script), /scale-tiers-deploy v2 failed/);
            expect(replacement.execStatus("curl -fsS --max-time 5 http://127.0.0.1/healthz").status).not.to.equal(0);
            replacement.reboot();
            expect(
                replacement.execStatus("curl -fsS --max-time 5 http://127.0.0.1/healthz").status,
                "after a reboot the server must not pass its health check with the placeholder",
            ).not.to.equal(0);
        });

        it("a missing required parameter fails the boot clearly", () => {
            const broken = new Instance(`web-${shape.stack}-noparam`, "10.0.10.12");
            instances.push(broken);
            broken.setFixtures({ ssm: { [`${prefix}/db-host`]: "db.scale-tiers.internal" } });
            broken.start();
            const result = broken.boot(script);
            expectFailed(result, /cannot write app.env/);
            expect(result.output).to.contain(`required SSM parameters not found: ${prefix}/db-secret-arn`);
        });
    });
}

describe("boot: memcached (tier150k cache-0)", function () {
    this.timeout(300_000);
    let cache: Instance;
    let script: string;
    before(async () => {
        script = await userData("tier150k", "cache-0");
        cache = new Instance("cache", "10.0.20.10");
        cache.setFixtures({});
        cache.start();
    });
    after(() => cache.dispose());

    it("first boot: memcached stores and returns a value on the private address @quick", () => {
        expectBooted(cache.boot(script), "first boot");
        const reply = cache.exec(
            `printf 'set k 0 0 5\\r\\nhello\\r\\nget k\\r\\nquit\\r\\n' | timeout 5 bash -c 'exec 3<>/dev/tcp/10.0.20.10/11211; cat >&3; cat <&3'`,
        );
        expect(reply).to.contain("STORED").and.to.contain("hello");
        expect(cache.execStatus("timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/11211'").status).not.to.equal(0);
    });

    it("a second run restarts nothing, and a reboot starts memcached again @quick", () => {
        expectBooted(cache.boot(script), "second run");
        expect(cache.starts("memcached")).to.equal(1);
        cache.reboot();
        expect(cache.exec("systemctl is-active memcached").trim()).to.equal("active");
    });
});

describe("boot: MySQL primary on MariaDB (tier30k db-primary)", function () {
    this.timeout(600_000);
    const volume = new Volume("vol-0a1b2c3d4e5f60001", path.join(WORK_ROOT, "volumes", "mysql-primary.img"));
    const instances: Instance[] = [];
    let script: string;
    let secrets: Record<string, string>;

    /** A new instance on the volume; the one before it is stopped first, as EBS attaches a volume to one instance. */
    function mysqlInstance(name: string, fixtures: Fixtures = { secrets }): Instance {
        instances.forEach((previous) => previous.stop());
        const instance = new Instance(name, "10.0.30.10", volume);
        instances.push(instance);
        instance.setFixtures(fixtures);
        instance.start();
        return instance;
    }

    before(async () => {
        script = withVariable(await userData("tier30k", "db-primary"), "DATA_VOLUME_ID", volume.id);
        secrets = {
            [variable(script, "ROOT_SECRET_ARN")]: '{"username":"root","password":"R00t-Xy7-boot"}',
            [variable(script, "APP_SECRET_ARN")]: '{"username":"app","password":"App-Qw3-boot","dbname":"scale_tiers"}',
            [variable(script, "REPLICATION_SECRET_ARN")]: '{"username":"repl","password":"Repl-Zz9-boot"}',
        };
    });
    after(() => instances.forEach((instance) => instance.dispose()));

    // Root's password reaches the instance as a file, never on a command line the recorder would see.
    const sql = (instance: Instance, query: string) => {
        fs.writeFileSync(
            path.join(instance.dir, "fixtures", "root.cnf"),
            "[client]\nuser=root\npassword=R00t-Xy7-boot\nsocket=/var/lib/mysql/mysql.sock\n",
        );
        return instance.exec(`mariadb --defaults-file=/harness/root.cnf -N -e "${query}"`);
    };

    it("first boot: a new file system on the volume, a data directory on it, accounts from the secrets @quick", () => {
        const primary = mysqlInstance("mysql-1");
        const result = primary.boot(script);
        expectBooted(result, "first boot");
        expect(result.output).to.contain("is blank; creating XFS labelled mysql-data");
        expect(primary.exec("findmnt -nro FSTYPE,TARGET /data/mysql").trim()).to.equal("xfs /data/mysql");
        expect(primary.exec("grep /data/mysql /etc/fstab")).to.match(
            /^UUID=\S+ \/data\/mysql xfs defaults,noatime,nofail/,
        );
        expect(sql(primary, "SELECT @@datadir, @@log_bin, @@binlog_format").trim()).to.equal(
            "/data/mysql/data/\t1\tROW",
        );
        expect(sql(primary, "SHOW GRANTS FOR 'app'@'%'")).to.match(/GRANT ALL PRIVILEGES ON `scale\\+_tiers`\.\*/);
        expect(primary.mode("/data/mysql/data")).to.equal("750 mysql:mysql");
        expect(primary.exec("ls -A /tmp")).not.to.match(/root\.cnf/);
        sql(
            primary,
            "CREATE TABLE scale_tiers.marker (id INT PRIMARY KEY); INSERT INTO scale_tiers.marker VALUES (42)",
        );
        expectNoSecretRecorded(primary, secrets);
    });

    it("a second run keeps the file system and the data directory and restarts nothing @quick", () => {
        const primary = instances[0];
        const result = primary.boot(script);
        expectBooted(result, "second run");
        expect(result.output).to.contain("already has a filesystem (xfs); keeping it");
        expect(result.output).to.contain("is already initialised; keeping it");
        expect(primary.starts("mysqld")).to.equal(1);
        expectNoSecretRecorded(primary, secrets);
        primary.stop();
    });

    it("a replacement instance on the same volume keeps the data @quick", () => {
        const replacement = mysqlInstance("mysql-2");
        const result = replacement.boot(script);
        expectBooted(result, "replacement");
        expect(result.output).to.contain("is already initialised; keeping it");
        expect(sql(replacement, "SELECT id FROM scale_tiers.marker").trim()).to.equal("42");
        replacement.stop();
    });

    it("an unreadable root secret stops the boot before anything is initialised, and destroys nothing", () => {
        const rootArn = variable(script, "ROOT_SECRET_ARN");
        const denied = mysqlInstance("mysql-3", { secrets, denied: [rootArn] });
        const result = denied.boot(script);
        expectFailed(result, /fetch_secret|secretsmanager|root_secret/);
        expect(result.output).to.contain("AccessDeniedException");
        expect(denied.exec("systemctl is-active mysqld || true").trim()).to.equal("inactive");
        denied.stop();
        const after = mysqlInstance("mysql-4");
        expectBooted(after.boot(script), "boot with the secret readable again");
        expect(sql(after, "SELECT id FROM scale_tiers.marker").trim()).to.equal("42");
    });
});

const SITES = path.join(PROJECT_ROOT, "tests", "boot", "sites");

/** A folder of tests/boot/sites as a release archive whose one top-level folder is `top`. */
function siteArchive(folder: string, top: string): string {
    const dir = path.join(WORK_ROOT, "internet", top);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    fs.cpSync(path.join(SITES, folder), path.join(dir, top), { recursive: true });
    const archive = path.join(WORK_ROOT, "internet", `${top}.tar.gz`);
    execFileSync("tar", ["-czf", archive, "--owner=0", "--group=0", "-C", dir, top]);
    return archive;
}

/** wp-cli's release as GitHub serves it: the phar (here its stand-in) and its SHA-512 beside it. */
function wpCliRelease(script: string): Record<string, string> {
    const version = /^readonly wp_cli_version=(\S+)$/m.exec(script)?.[1];
    if (!version) {
        throw new Error("the CMS script pins no wp-cli version");
    }
    const base = `https://github.com/wp-cli/wp-cli/releases/download/v${version}/wp-cli-${version}.phar`;
    const phar = path.join(SITES, "wp-cli.php");
    const sum = path.join(WORK_ROOT, "internet", "wp-cli.phar.sha512");
    fs.mkdirSync(path.dirname(sum), { recursive: true });
    fs.writeFileSync(sum, `${execFileSync("sha512sum", [phar], { encoding: "utf8" }).split(" ")[0]}\n`);
    return { [base]: phar, [`${base}.sha512`]: sum };
}

/** The path the tools' load balancer checks a tool's server on. */
async function healthPathOf(stack: string, tool: string): Promise<string> {
    const recording = await recordingOf(stack);
    const group = recording.resources.find((r: RecordedResource) => r.name === `tools-${tool}-tg`);
    const check = group?.inputs.healthCheck as { path?: string } | undefined;
    if (!check?.path) {
        throw new Error(`${stack} has no health check for ${tool}`);
    }
    return check.path;
}

/** The codes the tools' load balancer accepts from a tool's health path ("200", "200-399", "200,302"). */
async function healthMatcherOf(stack: string, tool: string): Promise<(code: string) => boolean> {
    const recording = await recordingOf(stack);
    const group = recording.resources.find((r: RecordedResource) => r.name === `tools-${tool}-tg`);
    const matcher = (group?.inputs.healthCheck as { matcher?: string } | undefined)?.matcher ?? "200";
    return (code) =>
        matcher.split(",").some((range) => {
            const [low, high = low] = range.split("-").map(Number);
            return Number(code) >= low && Number(code) <= high;
        });
}

const PHP_SITES: {
    tool: string;
    mount: string;
    /** Takes the installed site back to files and a database without a site, and back again. */
    uninstall: string;
    reinstall: string;
    /** What a person sees on the health path once the site works (read from its database). */
    page: RegExp;
    /** Files and modes as the script sets them. */
    modes: Record<string, string>;
    /** Bootstrap log lines of a run that finds everything in place. */
    kept: string[];
    internet: (script: string) => Record<string, string>;
}[] = [
    {
        tool: "cms",
        mount: "/data/cms",
        // WordPress is installed when its options table holds a siteurl.
        uninstall:
            "mysql --no-defaults -S /var/lib/mysql/mysql.sock -u root -e 'RENAME TABLE cms.wp_options TO cms.away'",
        reinstall:
            "mysql --no-defaults -S /var/lib/mysql/mysql.sock -u root -e 'RENAME TABLE cms.away TO cms.wp_options'",
        page: /<title>Log In &lsaquo; scale-tiers<\/title>/,
        modes: {
            "/data/cms/wordpress": "750 apache:nginx",
            "/data/cms/wordpress/wp-config.php": "640 apache:apache",
            "/data/cms/wordpress/wp-login.php": "644 apache:apache",
            "/data/cms/mysql": "750 mysql:mysql",
            "/usr/local/bin/wp": "755 root:root",
        },
        kept: [
            "WordPress core is already in /data/cms/wordpress",
            "/data/cms/wordpress/wp-config.php exists; keeping it",
            "WordPress is installed",
        ],
        internet: (script) => ({
            "https://wordpress.org/latest.tar.gz": siteArchive("wordpress", "wordpress"),
            ...wpCliRelease(script),
        }),
    },
    {
        tool: "wiki",
        mount: "/data/wiki",
        // MediaWiki is installed when LocalSettings.php exists.
        uninstall: "mv /data/wiki/LocalSettings.php /data/wiki/LocalSettings.php.away",
        reinstall: "mv /data/wiki/LocalSettings.php.away /data/wiki/LocalSettings.php",
        page: /"title":"Main Page","source":"MediaWiki has been installed\."/,
        modes: {
            "/data/wiki/LocalSettings.php": "640 root:apache",
            "/data/wiki/images": "755 apache:apache",
            "/data/wiki/mysql": "750 mysql:mysql",
            "/var/www/mediawiki/index.php": "644 root:root",
        },
        kept: ["MediaWiki 1.43.1 is already in /var/www/mediawiki-1.43.1", "/data/wiki/LocalSettings.php exists"],
        internet: (script) => {
            const version = variable(script, "MEDIAWIKI_VERSION");
            const series = version.replace(/\.\d+$/, "");
            return {
                [`https://releases.wikimedia.org/mediawiki/${series}/mediawiki-${version}.tar.gz`]: siteArchive(
                    "mediawiki",
                    `mediawiki-${version}`,
                ),
            };
        },
    },
];

for (const site of PHP_SITES) {
    describe(`boot: ${site.tool} on nginx, PHP-FPM and MariaDB (tier150k tools-${site.tool})`, function () {
        this.timeout(600_000);
        const volume = new Volume(
            `vol-0a1b2c3d4e5f6${site.tool === "cms" ? "0101" : "0102"}`,
            path.join(WORK_ROOT, "volumes", `${site.tool}.img`),
        );
        const instances: Instance[] = [];
        let script: string;
        let healthPath: string;
        let fixtures: Fixtures;
        let secrets: Record<string, string>;
        const configFiles = `/etc/nginx/nginx.conf /etc/nginx/conf.d/scale-tiers.conf /etc/my.cnf.d/zz-scale-tiers.cnf ${site.mount}/*/wp-config.php ${site.mount}/LocalSettings.php`;

        function siteInstance(name: string, instanceFixtures: Fixtures = fixtures): Instance {
            instances.forEach((previous) => previous.stop());
            const instance = new Instance(name, "10.0.40.10", volume);
            instances.push(instance);
            instance.setFixtures(instanceFixtures);
            instance.start();
            return instance;
        }
        const get = (instance: Instance, url: string) =>
            instance.exec(`curl -sS --max-time 10 -o /dev/null -w '%{http_code}' ${url}`).trim();

        before(async () => {
            script = withVariable(await userData("tier150k", `tools-${site.tool}`), "DATA_VOLUME_ID", volume.id);
            healthPath = await healthPathOf("tier150k", site.tool);
            secrets = {
                [variable(script, "DB_SECRET_ARN")]:
                    `{"username":"${site.tool}","password":"Db-Pw4-${site.tool}-boot","dbname":"${site.tool}"}`,
                [variable(script, "ADMIN_SECRET_ARN")]:
                    `{"username":"admin","password":"Adm-Kq8-${site.tool}-boot","email":"admin@scale-tiers.example"}`,
            };
            fixtures = { secrets, internet: site.internet(script) };
        });
        after(() => instances.forEach((instance) => instance.dispose()));

        it(`first boot: the site answers its load balancer's health path through nginx, PHP and MariaDB on the volume @quick`, () => {
            const server = siteInstance(`${site.tool}-1`);
            expectBooted(server.boot(script), "first boot");
            expect(server.exec(`curl -fsS 'http://127.0.0.1${healthPath}'`)).to.match(site.page);
            expect(server.exec(`findmnt -nro FSTYPE,TARGET ${site.mount}`).trim()).to.equal(`xfs ${site.mount}`);
            expect(
                server
                    .exec(
                        `mysql --no-defaults -S /var/lib/mysql/mysql.sock -u root -N -e 'SELECT @@datadir, @@bind_address'`,
                    )
                    .trim(),
            ).to.equal(`${site.mount}/mysql/\t127.0.0.1`);
            for (const [file, mode] of Object.entries(site.modes)) {
                expect(server.mode(file), file).to.equal(mode);
            }
            if (site.tool === "cms") {
                expect(get(server, "http://127.0.0.1/wp-includes/css/buttons.css"), "a static file").to.equal("200");
                expect(get(server, "http://127.0.0.1/wp-config.php")).to.equal("403");
            } else {
                expect(get(server, "http://127.0.0.1/maintenance/run.php")).to.equal("403");
            }
            expectNoSecretRecorded(server, secrets);
        });

        it("a second run re-initialises nothing and restarts nothing", () => {
            const server = instances[0];
            const before = server.exec(`md5sum ${configFiles} 2>/dev/null || true`);
            const result = server.boot(script);
            expectBooted(result, "second run");
            expect(result.output).to.contain("already has a filesystem (xfs); keeping it");
            expect(result.output).to.contain(`${site.mount}/mysql is already initialised; keeping it`);
            for (const line of site.kept) {
                expect(result.output).to.contain(line);
            }
            expect(server.exec(`md5sum ${configFiles} 2>/dev/null || true`)).to.equal(before);
            for (const unit of ["nginx", "php-fpm", "mariadb"]) {
                expect(server.starts(unit), unit).to.equal(1);
            }
            expectNoSecretRecorded(server, secrets);
        });

        it("a site that is not installed fails its health check as the load balancer applies it", async () => {
            const server = instances[0];
            const accepts = await healthMatcherOf("tier150k", site.tool);
            server.exec(site.uninstall);
            try {
                const code = get(server, `'http://127.0.0.1${healthPath}'`);
                expect(accepts(code), `${healthPath} answered ${code} with ${site.tool} not installed`).to.equal(false);
            } finally {
                server.exec(site.reinstall);
            }
            const code = get(server, `'http://127.0.0.1${healthPath}'`);
            expect(accepts(code), `${healthPath} answered ${code} with ${site.tool} installed`).to.equal(true);
        });

        it("the load balancer's health check fails while the database is down", () => {
            const server = instances[0];
            server.exec("systemctl stop mariadb");
            try {
                expect(get(server, `'http://127.0.0.1${healthPath}'`), `${healthPath} with MariaDB stopped`).to.match(
                    /^5\d\d$/,
                );
            } finally {
                server.exec("systemctl start mariadb");
            }
            server.stop();
        });

        it("a replacement instance on the same volume keeps the site", () => {
            const replacement = siteInstance(`${site.tool}-2`);
            const result = replacement.boot(script);
            expectBooted(result, "replacement");
            expect(result.output).to.contain(`${site.mount}/mysql is already initialised; keeping it`);
            expect(replacement.exec(`curl -fsS 'http://127.0.0.1${healthPath}'`)).to.match(site.page);
            replacement.stop();
        });

        it("an unreadable database secret fails the boot clearly and destroys nothing", () => {
            const volumeFiles = `ls -d ${site.mount}/mysql/mysql; md5sum ${site.mount}/*/wp-config.php ${site.mount}/LocalSettings.php 2>/dev/null || true`;
            const denied = siteInstance(`${site.tool}-3`, {
                ...fixtures,
                denied: [variable(script, "DB_SECRET_ARN")],
            });
            const result = denied.boot(script);
            expectFailed(result, /secretsmanager|read_secret/);
            expect(result.output).to.contain("AccessDeniedException");
            expect(result.output).not.to.contain("initialising");
            expect(denied.exec("systemctl is-active mariadb nginx || true").trim()).to.equal("inactive\ninactive");
            const kept = denied.exec(volumeFiles);
            expect(kept)
                .to.contain(`${site.mount}/mysql/mysql`)
                .and.to.match(/^[0-9a-f]{32} /m);
            denied.stop();
            const after = siteInstance(`${site.tool}-4`);
            const again = after.boot(script);
            expectBooted(again, "boot with the secret readable again");
            expect(again.output).to.contain(`${site.mount}/mysql is already initialised; keeping it`);
            expect(after.exec(volumeFiles)).to.equal(kept);
            expect(after.exec(`curl -fsS 'http://127.0.0.1${healthPath}'`)).to.match(site.page);
            after.stop();
        });
    });
}

describe("boot: Jira on PostgreSQL (tier150k tools-jira; Jira itself a stand-in)", function () {
    this.timeout(600_000);
    const volume = new Volume("vol-0a1b2c3d4e5f60103", path.join(WORK_ROOT, "volumes", "jira.img"));
    let jira: Instance;
    let script: string;
    let secrets: Record<string, string>;
    let fixtures: Fixtures;
    const replacements: Instance[] = [];

    before(async () => {
        script = withVariable(await userData("tier150k", "tools-jira"), "DATA_VOLUME_ID", volume.id);
        const version = variable(script, "JIRA_VERSION");
        secrets = {
            // ':' and '\\' are field separator and escape in the stand-in's password file (.pgpass rules).
            [variable(script, "DB_SECRET_ARN")]: '{"username":"jira","password":"Jr4-Pg&<:b\\\\oot>","dbname":"jira"}',
        };
        fixtures = {
            secrets,
            internet: {
                [`https://www.atlassian.com/software/jira/downloads/binary/atlassian-jira-software-${version}.tar.gz`]:
                    siteArchive("jira", `atlassian-jira-software-${version}-standalone`),
            },
        };
        jira = new Instance("jira-1", "10.0.40.20", volume);
        jira.setFixtures(fixtures);
        jira.start();
    });
    after(() => jira.dispose());
    after(() => replacements.forEach((instance) => instance.dispose()));

    /** A new instance on the volume, with the one before it stopped. */
    function jiraInstance(name: string, instanceFixtures: Fixtures = fixtures): Instance {
        [jira, ...replacements].forEach((previous) => previous.stop());
        const instance = new Instance(name, "10.0.40.20", volume);
        replacements.push(instance);
        instance.setFixtures(instanceFixtures);
        instance.start();
        return instance;
    }
    const psql = (instance: Instance, query: string) =>
        instance.exec(`runuser -u postgres -- psql -d jira -Atc "${query}"`).trim();

    it("first boot: PostgreSQL on the volume holds Jira's database, and the account dbconfig.xml names logs in @quick", () => {
        const result = jira.boot(script);
        expectBooted(result, "first boot");
        expect(result.output).to.contain("initialising /data/jira/pgsql/data");
        expect(jira.exec("curl -fsS http://127.0.0.1:8080/status")).to.equal('{"state":"RUNNING"}');
        expect(jira.exec("cat /var/log/harness-journal/jira.service.log")).to.contain(
            "logged in to jdbc:postgresql://127.0.0.1:5432/jira",
        );
        expect(
            jira
                .exec(
                    `runuser -u postgres -- psql -Atc "SELECT current_setting('data_directory'), pg_catalog.pg_get_userbyid(datdba), datcollate FROM pg_database WHERE datname = 'jira'"`,
                )
                .trim(),
        ).to.equal("/data/jira/pgsql/data|jira|C");
        expect(jira.mode("/data/jira/home/dbconfig.xml")).to.equal("600 jira:jira");
        expect(jira.mode("/data/jira/pgsql/data")).to.equal("700 postgres:postgres");
        const serverXml = jira.exec("cat /opt/atlassian/jira-current/conf/server.xml");
        expect(
            serverXml.match(/proxyName="jira\.scale-tiers\.example" proxyPort="443" scheme="https" secure="true"/g),
        ).to.have.length(1);
        expectNoSecretRecorded(jira, secrets);
    });

    it("a second run keeps the cluster and restarts neither PostgreSQL nor Jira", () => {
        const result = jira.boot(script);
        expectBooted(result, "second run");
        expect(result.output).to.contain("holds a PostgreSQL 15 cluster; keeping it");
        expect(jira.starts("postgresql")).to.equal(1);
        expect(jira.starts("jira")).to.equal(1);
        expectNoSecretRecorded(jira, secrets);
        psql(jira, "CREATE TABLE marker (id int); INSERT INTO marker VALUES (42)");
    });

    it("a replacement instance on the same volume keeps Jira's database and JIRA_HOME", () => {
        const dbconfig = jira.exec("md5sum /data/jira/home/dbconfig.xml");
        const replacement = jiraInstance("jira-2");
        const result = replacement.boot(script);
        expectBooted(result, "replacement");
        expect(result.output).to.contain("already has a filesystem (xfs); keeping it");
        expect(result.output).to.contain("holds a PostgreSQL 15 cluster; keeping it");
        expect(result.output).not.to.contain("initialising /data/jira/pgsql/data");
        expect(psql(replacement, "SELECT id FROM marker")).to.equal("42");
        expect(replacement.exec("md5sum /data/jira/home/dbconfig.xml")).to.equal(dbconfig);
        expect(replacement.exec("curl -fsS http://127.0.0.1:8080/status")).to.equal('{"state":"RUNNING"}');
        expectNoSecretRecorded(replacement, secrets);
    });

    it("an unreadable database secret fails the boot clearly and destroys nothing", () => {
        const dbconfig = replacements[0].exec("md5sum /data/jira/home/dbconfig.xml");
        const denied = jiraInstance("jira-3", { ...fixtures, denied: [variable(script, "DB_SECRET_ARN")] });
        const result = denied.boot(script);
        expectFailed(result, /secretsmanager|read_secret/);
        expect(result.output).to.contain("AccessDeniedException");
        expect(denied.exec("systemctl is-active postgresql jira || true").trim()).to.equal("inactive\ninactive");
        expect(denied.exec("md5sum /data/jira/home/dbconfig.xml")).to.equal(dbconfig);
        expect(denied.exec("cat /data/jira/pgsql/data/PG_VERSION").trim()).to.equal("15");
        denied.stop();
        const after = jiraInstance("jira-4");
        expectBooted(after.boot(script), "boot with the secret readable again");
        expect(psql(after, "SELECT id FROM marker")).to.equal("42");
    });
});

describe("boot: the loader in user data (tier150k cache-0's boot script)", function () {
    this.timeout(300_000);
    let node: Instance;
    let script: string;
    before(async () => {
        script = await userData("tier150k", "cache-0");
        node = new Instance("loader", "10.0.20.20");
        node.setFixtures({});
        node.start();
    });
    after(() => node.dispose());

    it("a boot script whose SHA-256 is not the pinned one stops the boot before any of it runs @quick", () => {
        const tampered = script.replace("\n", "\ntouch /tampered\n");
        const result = node.boot(script, tampered);
        expectFailed(result, /has SHA-256 [0-9a-f]{64}, not [0-9a-f]{64} as this server's user data pins/);
        expect(node.execStatus("test -e /tampered").status, "the tampered script ran").not.to.equal(0);
        expect(node.execStatus("test -e /var/log/scale-tiers-bootstrap.log").status).not.to.equal(0);
        // Only the fetch ran (besides the sandbox's own start): no package, no secret, nothing of the script.
        const commands = node
            .exec("cat /var/log/harness-commands.log")
            .split("\n")
            .filter((line) => line !== "" && line !== "systemctl harness-boot");
        expect(commands).to.have.length(1);
        expect(commands[0]).to.match(
            /^aws s3 cp --only-show-errors --region ap-northeast-2 s3:\/\/network-boot-scripts-mock\/boot\/harness\/[0-9a-f]{64}\.sh \/run\/scale-tiers-boot\.\w+\/boot\.sh$/,
        );
    });

    it("a boot script missing from S3 stops the boot at once, with S3's answer", () => {
        const result = node.boot(script, null);
        expectFailed(
            result,
            /cannot fetch s3:\/\/network-boot-scripts-mock\/boot\/harness\/[0-9a-f]{64}\.sh \(attempt 1\)/,
        );
        expect(result.output).to.contain("(404)");
        expect(result.seconds, "a missing key is final: no retries").to.be.lessThan(20);
    });

    it("the genuine script then boots on the same instance: fetched, checked, run", () => {
        const result = node.boot(script);
        expectBooted(result, "boot through the loader");
        expect(result.output).to.match(
            /running s3:\/\/network-boot-scripts-mock\/boot\/harness\/[0-9a-f]{64}\.sh \(SHA-256 verified\)/,
        );
        expect(node.exec("systemctl is-active memcached").trim()).to.equal("active");
    });
});

/** A curl config file on the instance (/harness/<name>) that signs in as user:password, off the command line. */
function curlCredentials(instance: Instance, name: string, user: string, password: string): string {
    fs.writeFileSync(path.join(instance.dir, "fixtures", name), `user = "${user}:${password}"\n`);
    return `/harness/${name}`;
}

describe("boot: Jenkins (tier150k ci-jenkins; Jenkins itself a stand-in)", function () {
    this.timeout(600_000);
    const volume = new Volume("vol-0a1b2c3d4e5f60201", path.join(WORK_ROOT, "volumes", "jenkins.img"));
    const instances: Instance[] = [];
    let script: string;
    let secrets: Record<string, string>;
    let fixtures: Fixtures;
    // ':' is legal in a Jenkins password, and curl's user = "name:password" splits at the first one only.
    const adminPassword = "Jk5-Adm:in-boot";
    const home = "/data/jenkins/home";
    const configured = `${home}/casc.yaml /etc/systemd/system/jenkins.service.d/*.conf /etc/scale-tiers/jenkins/*`;

    function jenkinsInstance(name: string, instanceFixtures: Fixtures = fixtures): Instance {
        instances.forEach((previous) => previous.stop());
        const instance = new Instance(name, "10.0.50.10", volume);
        instances.push(instance);
        instance.setFixtures(instanceFixtures);
        instance.start();
        return instance;
    }
    const status = (instance: Instance, options: string) =>
        instance.exec(`curl -sS --max-time 10 -o /dev/null -w '%{http_code}' ${options}`).trim();

    before(async () => {
        script = withVariable(await userData("tier150k", "ci-jenkins"), "DATA_VOLUME_ID", volume.id);
        const pluginManager = /^readonly plugin_manager_version=(\S+)$/m.exec(script)?.[1];
        if (!pluginManager) {
            throw new Error("the Jenkins script pins no plugin manager version");
        }
        const repo = path.join(WORK_ROOT, "internet", "jenkins.repo");
        fs.mkdirSync(path.dirname(repo), { recursive: true });
        fs.writeFileSync(
            repo,
            "[jenkins]\nname=Jenkins-stable\nbaseurl=http://pkg.jenkins.io/redhat-stable\ngpgcheck=1\n",
        );
        secrets = { [variable(script, "ADMIN_SECRET_ARN")]: `{"username":"admin","password":"${adminPassword}"}` };
        fixtures = {
            secrets,
            internet: {
                "https://pkg.jenkins.io/redhat-stable/jenkins.repo": repo,
                [`https://github.com/jenkinsci/plugin-installation-manager-tool/releases/download/${pluginManager}/jenkins-plugin-manager-${pluginManager}.jar`]:
                    path.join(SITES, "jenkins-plugin-manager.py"),
            },
        };
    });
    after(() => instances.forEach((instance) => instance.dispose()));

    let secretKey: string;

    it("first boot: JENKINS_HOME on the volume, configured as code, the admin from the secret signs in @quick", () => {
        const jenkins = jenkinsInstance("jenkins-1");
        const result = jenkins.boot(script);
        expectBooted(result, "first boot");
        expect(result.output).to.contain("is blank; creating XFS labelled jenkins-home");
        expect(jenkins.exec("findmnt -nro FSTYPE,TARGET /data/jenkins").trim()).to.equal("xfs /data/jenkins");
        // Both drop-ins: the script's own (casc.conf) and common.sh's RequiresMountsFor, whose
        // `local -r dropin` once collided with a script-wide `readonly dropin`.
        expect(jenkins.exec("cat /etc/systemd/system/jenkins.service.d/scale-tiers.conf")).to.contain(
            "RequiresMountsFor=/data/jenkins",
        );
        expect(jenkins.exec("cat /etc/systemd/system/jenkins.service.d/casc.conf")).to.contain(
            `Environment="JENKINS_HOME=${home}"`,
        );
        const journal = jenkins.exec("cat /var/log/harness-journal/jenkins.service.log");
        expect(journal).to.contain(`Jenkins home directory: ${home}`);
        expect(journal).to.contain(`configuration-as-code applied from ${home}/casc.yaml: 1 user(s)`);
        expect(journal).to.contain("plugins: configuration-as-code git timestamper workflow-aggregator");
        expect(status(jenkins, "http://127.0.0.1:8080/login")).to.equal("200");
        expect(status(jenkins, "http://127.0.0.1:8080/whoAmI/api/json"), "anonymous").to.equal("403");
        const admin = curlCredentials(jenkins, "admin.curl", "admin", adminPassword);
        expect(jenkins.exec(`curl -fsS -K ${admin} http://127.0.0.1:8080/whoAmI/api/json`)).to.equal(
            '{"name": "admin", "authenticated": true}',
        );
        expect(jenkins.mode(home)).to.equal("750 jenkins:jenkins");
        expect(jenkins.mode(`${home}/casc.yaml`)).to.equal("644 root:jenkins");
        expect(jenkins.mode("/etc/scale-tiers/jenkins")).to.equal("700 root:root");
        expect(jenkins.mode("/etc/scale-tiers/jenkins/admin-password")).to.equal("600 root:root");
        expect(jenkins.mode("/run/credentials/jenkins.service/JENKINS_ADMIN_PASSWORD")).to.equal("400 jenkins:root");
        secretKey = jenkins.exec(`cat ${home}/secret.key`);
        expectNoSecretRecorded(jenkins, secrets);
    });

    it("a second run rewrites nothing and restarts nothing @quick", () => {
        const jenkins = instances[0];
        const before = jenkins.exec(`md5sum ${configured}`);
        const result = jenkins.boot(script);
        expectBooted(result, "second run");
        expect(result.output).to.contain("already has a filesystem (xfs); keeping it");
        expect(result.output).to.contain("plugins already installed");
        expect(jenkins.exec(`md5sum ${configured}`)).to.equal(before);
        expect(jenkins.starts("jenkins")).to.equal(1);
        expectNoSecretRecorded(jenkins, secrets);
        jenkins.stop();
    });

    it("a replacement instance on the same volume keeps JENKINS_HOME", () => {
        const jenkins = jenkinsInstance("jenkins-2");
        const result = jenkins.boot(script);
        expectBooted(result, "replacement");
        expect(result.output).to.contain("already has a filesystem (xfs); keeping it");
        expect(result.output).to.contain("plugins already installed");
        expect(jenkins.exec(`cat ${home}/secret.key`)).to.equal(secretKey);
        const admin = curlCredentials(jenkins, "admin.curl", "admin", adminPassword);
        expect(status(jenkins, `-K ${admin} http://127.0.0.1:8080/whoAmI/api/json`)).to.equal("200");
        jenkins.stop();
    });

    it("an unreadable admin secret fails the boot clearly and destroys nothing", () => {
        const arn = variable(script, "ADMIN_SECRET_ARN");
        const jenkins = jenkinsInstance("jenkins-3", { ...fixtures, denied: [arn] });
        const result = jenkins.boot(script);
        expectFailed(result, /secretsmanager|read_secret/);
        expect(result.output).to.contain("AccessDeniedException");
        expect(jenkins.exec("systemctl is-active jenkins || true").trim()).to.equal("inactive");
        expect(jenkins.exec(`cat ${home}/secret.key`)).to.equal(secretKey);
        expect(jenkins.exec(`ls ${home}/plugins ${home}/users`)).to.contain("configuration-as-code.jpi");
        jenkins.stop();
    });
});

describe("boot: Logstash (tier1m logs-logstash; Logstash and the OpenSearch domain stand-ins)", function () {
    this.timeout(600_000);
    let logstash: Instance;
    let script: string;
    let secrets: Record<string, string>;
    let fixtures: Fixtures;
    let endpoint: string;
    const configured =
        "/etc/logstash/logstash.yml /etc/logstash/conf.d/*.conf /etc/scale-tiers/logstash.env " +
        "/etc/systemd/system/logstash.service.d/*.conf";

    before(async () => {
        script = await userData("tier1m", "logs-logstash");
        const domain = variable(script, "DOMAIN_NAME");
        endpoint = `vpc-${domain}-q1w2e3r4t5y6u7i8o9p0.ap-northeast-2.es.amazonaws.com`;
        const volume = new Volume(
            "vol-0a1b2c3d4e5f60301",
            path.join(WORK_ROOT, "volumes", "logstash-queue.img"),
            variable(script, "QUEUE_DEVICE_NAME"),
        );
        secrets = {
            [variable(script, "MASTER_SECRET_ARN")]: '{"username":"master","password":"Ms7-Os:master-boot"}',
            [variable(script, "LOGSTASH_SECRET_ARN")]: '{"username":"logstash","password":"Ls3-Beats:boot"}',
        };
        fixtures = {
            secrets,
            opensearch: { [domain]: endpoint },
            apis: {
                [endpoint]: {
                    handler: "/harness-project/tests/boot/sites/opensearch/api",
                    settings: '{"master": "master:Ms7-Os:master-boot"}',
                },
            },
        };
        logstash = new Instance("logstash-1", "10.0.60.10", volume);
        logstash.setFixtures(fixtures);
        logstash.start();
    });
    after(() => logstash.dispose());

    it("first boot: the queue on its volume, the pipeline parsed, Beats on 5044, OpenSearch as the logstash user @quick", () => {
        const result = logstash.boot(script);
        expectBooted(result, "first boot");
        expect(result.output).to.contain("is blank; creating XFS labelled lsqueue");
        expect(logstash.exec("findmnt -nro FSTYPE,TARGET /var/lib/logstash").trim()).to.equal("xfs /var/lib/logstash");
        const journal = logstash.exec("cat /var/log/harness-journal/logstash.service.log");
        expect(journal).to.contain("persisted queue in /var/lib/logstash/queue/main");
        expect(journal).to.match(
            new RegExp(
                `Connected to OpenSearch at https://${endpoint.replace(/\./g, "\\.")}:443 as logstash; may write logs-\\d{4}\\.\\d\\d\\.\\d\\d`,
            ),
        );
        expect(journal).not.to.contain("ERROR");
        expect(logstash.exec("ss -Hltn 'sport = :5044'")).to.match(/0\.0\.0\.0:5044/);
        expect(logstash.execStatus("timeout 5 bash -c 'exec 3<>/dev/tcp/10.0.60.10/5044'").status).to.equal(0);
        expect(logstash.mode("/etc/scale-tiers/logstash.env")).to.equal("600 root:root");
        expect(logstash.mode("/etc/logstash/conf.d/beats-to-opensearch.conf")).to.equal("644 root:logstash");
        expect(logstash.mode("/var/lib/logstash/queue")).to.equal("750 logstash:logstash");
        const template = JSON.parse(
            logstash.exec(`cat /var/lib/harness-opensearch/${endpoint}/index_template/logs`),
        ) as {
            index_patterns: string[];
            template: { settings: { number_of_shards: number; number_of_replicas: number } };
        };
        expect(template.index_patterns).to.deep.equal(["logs-*"]);
        expect(template.template.settings).to.deep.equal({
            number_of_shards: Number(variable(script, "INDEX_SHARDS")),
            number_of_replicas: Number(variable(script, "INDEX_REPLICAS")),
        });
        expectNoSecretRecorded(logstash, secrets, "logstash");
    });

    it("a second run rewrites nothing and restarts nothing @quick", () => {
        const before = logstash.exec(`md5sum ${configured}`);
        const result = logstash.boot(script);
        expectBooted(result, "second run");
        expect(result.output).to.contain("already has a filesystem (xfs); keeping it");
        expect(result.output).not.to.contain("installing logstash");
        expect(logstash.exec(`md5sum ${configured}`)).to.equal(before);
        expect(logstash.starts("logstash")).to.equal(1);
        expectNoSecretRecorded(logstash, secrets, "logstash");
    });

    it("a re-run with the logstash secret unreadable fails clearly and leaves the running pipeline alone", () => {
        const user = `/var/lib/harness-opensearch/${endpoint}/internalusers/logstash`;
        const before = logstash.exec(`md5sum ${configured} ${user}`);
        logstash.setFixtures({ ...fixtures, denied: [variable(script, "LOGSTASH_SECRET_ARN")] });
        try {
            const result = logstash.boot(script);
            expectFailed(result, /secretsmanager|read_secret/);
            expect(result.output).to.contain("AccessDeniedException");
            expect(logstash.exec(`md5sum ${configured} ${user}`)).to.equal(before);
            expect(logstash.exec("systemctl is-active logstash").trim()).to.equal("active");
            expect(logstash.starts("logstash")).to.equal(1);
        } finally {
            logstash.setFixtures(fixtures);
        }
    });
});

describe("boot: the instances' shared network", function () {
    this.timeout(120_000);
    const instances: Instance[] = [];
    after(() => instances.forEach((instance) => instance.dispose()));

    it("instances reach each other's private addresses across namespaces, and stopping them leaves nothing on the host @quick", () => {
        const a = new Instance("net-a", "10.0.50.10", undefined, "10.0.50.11 peer.scale-tiers.internal");
        const b = new Instance("net-b", "10.0.50.11");
        instances.push(a, b);
        for (const instance of [a, b]) {
            instance.setFixtures({});
            instance.start();
        }
        expect(a.exec("ip -o -4 addr show dev eth0")).to.contain("inet 10.0.50.10/16");
        expect(a.exec("readlink /proc/self/ns/net")).not.to.equal(b.exec("readlink /proc/self/ns/net"));
        // A listener on b's private address only; a connects by name, as the servers do.
        b.exec(
            `setsid ${NODE} -e "require('net').createServer((s) => s.end('from b')).listen(7000, '10.0.50.11')" >/dev/null 2>&1 < /dev/null &`,
        );
        expect(
            a.exec(
                "for _ in $(seq 50); do timeout 2 bash -c 'exec 3<>/dev/tcp/peer.scale-tiers.internal/7000; cat <&3' 2>/dev/null && break; sleep 0.1; done",
            ),
        ).to.equal("from b");
        expect(b.execStatus("timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/7000'").status).not.to.equal(0);
        // The metadata service still answers on each.
        expect(
            a.exec(
                "curl -fsS -H \"X-aws-ec2-metadata-token: $(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token)\" http://169.254.169.254/latest/meta-data/local-ipv4",
            ),
        ).to.equal("10.0.50.10");
        expect(networkLeftovers()).to.match(/left on the host: st/);
        a.stop();
        b.stop();
        expect(networkLeftovers()).to.equal("");
    });
});

/** Runs SQL as root over the socket; the password reaches the instance as a file, never on a command line. */
function mysqlAsRoot(instance: Instance, password: string, query: string): string {
    fs.writeFileSync(
        path.join(instance.dir, "fixtures", "root.cnf"),
        `[client]\nuser=root\npassword=${password}\nsocket=/var/lib/mysql/mysql.sock\n`,
    );
    return instance.exec(`mariadb --defaults-file=/harness/root.cnf -N -e "${query}"`);
}

/** Waits until `check` returns true, polling every half second; fails with `what` after `seconds`. */
function eventually(what: string, seconds: number, check: () => boolean): void {
    const deadline = Date.now() + seconds * 1000;
    while (!check()) {
        if (Date.now() > deadline) {
            throw new Error(`${what} did not happen within ${seconds}s`);
        }
        execFileSync("sleep", ["0.5"]);
    }
}

describe("boot: MySQL primary and replica on MariaDB, replicating over the network (tier150k db-primary, db-replica)", function () {
    this.timeout(600_000);
    const primaryVolume = new Volume(
        "vol-0a1b2c3d4e5f60201",
        path.join(WORK_ROOT, "volumes", "mysql-150k-primary.img"),
    );
    const replicaVolume = new Volume(
        "vol-0a1b2c3d4e5f60202",
        path.join(WORK_ROOT, "volumes", "mysql-150k-replica.img"),
    );
    const PRIMARY_ADDRESS = "10.0.30.10";
    const REPLICA_ADDRESS = "10.0.31.10";
    const ROOT_PASSWORD = "R00t-Rp1-boot";
    const instances: Instance[] = [];
    let primaryScript: string;
    let replicaScript: string;
    let secrets: Record<string, string>;
    let primary: Instance;
    let replica: Instance;

    /** A replica instance on the replica volume (the one before it stopped first); the primary is found by name. */
    function replicaInstance(name: string, fixtures: Fixtures = { secrets }): Instance {
        instances.filter((i) => i !== primary).forEach((previous) => previous.stop());
        const instance = new Instance(
            name,
            REPLICA_ADDRESS,
            replicaVolume,
            `${PRIMARY_ADDRESS} ${variable(replicaScript, "PRIMARY_HOST")}`,
        );
        instances.push(instance);
        instance.setFixtures(fixtures);
        instance.start();
        return instance;
    }
    const onPrimary = (query: string) => mysqlAsRoot(primary, ROOT_PASSWORD, query);
    const onReplica = (instance: Instance, query: string) => mysqlAsRoot(instance, ROOT_PASSWORD, query);
    /** SHOW REPLICA STATUS's fields, as MariaDB names them. */
    const replicaStatus = (instance: Instance): Record<string, string> => {
        const out = instance.exec(
            `mariadb --defaults-file=/harness/root.cnf --vertical -e 'SHOW REPLICA STATUS' | sed -n 's/^ *\\([A-Za-z_]*\\): /\\1\\t/p'`,
        );
        return Object.fromEntries(out.split("\n").map((line) => line.split("\t") as [string, string]));
    };

    before(async () => {
        primaryScript = withVariable(await userData("tier150k", "db-primary"), "DATA_VOLUME_ID", primaryVolume.id);
        replicaScript = withVariable(await userData("tier150k", "db-replica"), "DATA_VOLUME_ID", replicaVolume.id);
        secrets = {
            [variable(primaryScript, "ROOT_SECRET_ARN")]: `{"username":"root","password":"${ROOT_PASSWORD}"}`,
            [variable(primaryScript, "APP_SECRET_ARN")]:
                '{"username":"app","password":"App-Rp2-boot","dbname":"scale_tiers"}',
            [variable(primaryScript, "REPLICATION_SECRET_ARN")]: '{"username":"repl","password":"Repl-Rp3-boot"}',
        };
        primary = new Instance("mysql-150k-primary", PRIMARY_ADDRESS, primaryVolume);
        instances.push(primary);
        primary.setFixtures({ secrets });
        primary.start();
    });
    after(() => instances.forEach((instance) => instance.dispose()));

    it("first boot: the replica clones the primary over TLS and replicates a row written on it", () => {
        expectBooted(primary.boot(primaryScript), "the primary's first boot");
        onPrimary("CREATE TABLE scale_tiers.marker (id INT PRIMARY KEY); INSERT INTO scale_tiers.marker VALUES (1)");
        replica = replicaInstance("mysql-150k-replica-1");
        const result = replica.boot(replicaScript);
        expectBooted(result, "the replica's first boot");
        expect(result.output).to.contain("cloning the primary mysql-primary.scale-tiers.internal");
        expect(result.output).to.match(/replication is running: \d+s behind/);
        // The clone brought what the primary held before the replica existed, and its accounts.
        expect(onReplica(replica, "SELECT id FROM scale_tiers.marker").trim()).to.equal("1");
        expect(onReplica(replica, "SELECT COUNT(*) FROM mysql.user WHERE user = 'app'").trim()).to.equal("1");
        const status = replicaStatus(replica);
        expect(status.Master_Host).to.equal("mysql-primary.scale-tiers.internal");
        expect(status.Using_Gtid).to.equal("Slave_Pos");
        expect(status.Master_SSL_Allowed).to.equal("Yes");
        expect([status.Slave_IO_Running, status.Slave_SQL_Running]).to.deep.equal(["Yes", "Yes"]);
        expect(onReplica(replica, "SELECT @@read_only, @@server_id").trim()).to.equal("1\t2");
        // The primary sees the replica's connection from its private address, over TLS.
        expect(
            onPrimary("SELECT host FROM information_schema.processlist WHERE command = 'Binlog Dump'").trim(),
        ).to.match(new RegExp(`^${REPLICA_ADDRESS.replace(/\./g, "\\.")}:\\d+$`));
        onPrimary("INSERT INTO scale_tiers.marker VALUES (2)");
        eventually(
            "the row written on the primary reaching the replica",
            30,
            () => onReplica(replica, "SELECT COUNT(*) FROM scale_tiers.marker WHERE id = 2").trim() === "1",
        );
        expectNoSecretRecorded(replica, secrets);
        expectNoSecretRecorded(primary, secrets);
        // The client stand-in's copies of option files (passwords) go when it exits.
        expect(replica.exec("ls -d /run/harness-mysql-* 2>/dev/null || true").trim()).to.equal("");
    });

    it("a second run on the replica clones nothing, configures nothing again and restarts nothing", () => {
        const startsBefore = replica.starts("mysqld");
        const cloned = replica.exec("stat -c %Y '/data/mysql/data/#harness-clone-status'");
        const result = replica.boot(replicaScript);
        expectBooted(result, "the replica's second run");
        expect(result.output).to.contain("is already initialised; keeping it");
        expect(result.output).to.contain("replication is already configured; verifying it");
        expect(result.output).not.to.contain("cloning the primary");
        expect(replica.starts("mysqld")).to.equal(startsBefore);
        expect(replica.exec("stat -c %Y '/data/mysql/data/#harness-clone-status'")).to.equal(cloned);
        onPrimary("INSERT INTO scale_tiers.marker VALUES (3)");
        eventually(
            "replication after the second run",
            30,
            () => onReplica(replica, "SELECT COUNT(*) FROM scale_tiers.marker WHERE id = 3").trim() === "1",
        );
    });

    it("a replacement replica on the same volume resumes replication without cloning again", () => {
        replica.stop();
        onPrimary("INSERT INTO scale_tiers.marker VALUES (4)");
        replica = replicaInstance("mysql-150k-replica-2");
        const result = replica.boot(replicaScript);
        expectBooted(result, "the replacement replica");
        expect(result.output).to.contain("already has a filesystem (xfs); keeping it");
        expect(result.output).to.contain("replication is already configured; verifying it");
        expect(result.output).not.to.contain("cloning the primary");
        // Written while no replica ran: fetched from the primary's binary log from the replica's GTID position.
        eventually(
            "the row written while the replica was down",
            30,
            () => onReplica(replica, "SELECT COUNT(*) FROM scale_tiers.marker WHERE id = 4").trim() === "1",
        );
        expect(replicaStatus(replica).Using_Gtid).to.equal("Slave_Pos");
    });

    it("a replacement replica without its replication secret fails before starting MySQL, and destroys nothing", () => {
        const replicationArn = variable(replicaScript, "REPLICATION_SECRET_ARN");
        const { [replicationArn]: _missing, ...withoutReplication } = secrets;
        const broken = replicaInstance("mysql-150k-replica-3", { secrets: withoutReplication });
        const result = broken.boot(replicaScript);
        expectFailed(result, /fetch_secret|secretsmanager|repl_secret/);
        expect(result.output).to.contain("ResourceNotFoundException");
        expect(broken.exec("systemctl is-active mysqld || true").trim()).to.equal("inactive");
        const denied = replicaInstance("mysql-150k-replica-4", { secrets, denied: [replicationArn] });
        const deniedResult = denied.boot(replicaScript);
        expectFailed(deniedResult, /fetch_secret|secretsmanager|repl_secret/);
        expect(deniedResult.output).to.contain("AccessDeniedException");
        replica = replicaInstance("mysql-150k-replica-5");
        expectBooted(replica.boot(replicaScript), "the replica with its secret readable again");
        expect(onReplica(replica, "SELECT GROUP_CONCAT(id ORDER BY id) FROM scale_tiers.marker").trim()).to.equal(
            "1,2,3,4",
        );
    });
});

describe("boot: the DMS account document on the MySQL primary (tier1m on its way from tier150k, migration replicating)", function () {
    this.timeout(600_000);
    const volume = new Volume("vol-0a1b2c3d4e5f60301", path.join(WORK_ROOT, "volumes", "mysql-dms.img"));
    const ADDRESS = "10.0.30.20";
    const ROOT_PASSWORD = "R00t-Dm1-boot";
    let primary: Instance;
    let script: string;
    let document: string;
    let rdsLine: string;
    let secrets: Record<string, string>;
    let accountArn: string;

    before(async () => {
        const recording = await evaluateStack("tier1m", { config: tier1mAt("replicating") });
        const server = recording.resources.find(
            (r: RecordedResource) => r.name === "db-primary" && (r.inputs.userDataBase64 ?? r.inputs.userData),
        );
        script = withVariable(bootScriptOf(recording.resources, server!), "DATA_VOLUME_ID", volume.id);
        const setup = recording.resources.find((r: RecordedResource) => r.name === "migration-accounts");
        const content = JSON.parse(String(setup?.inputs.content)) as {
            mainSteps: { inputs: { runCommand: string[] } }[];
        };
        const lines = content.mainSteps[0].inputs.runCommand;
        // The second call sets up RDS's account, and there is no RDS here
        // (tests/migration.test.ts runs that branch against stubs).
        const calls = lines.filter((line) => line.startsWith("mysql_dms_account '"));
        expect(calls).to.have.length(2);
        rdsLine = calls[1];
        expect(rdsLine).to.contain("'mysql-rds.");
        document = lines.filter((line) => line !== rdsLine).join("\n");
        accountArn = /'(arn:[^']*migration-ec2-account[^']*)'/.exec(calls[0])?.[1] ?? "";
        expect(accountArn).not.to.equal("");
        secrets = {
            [variable(script, "ROOT_SECRET_ARN")]: `{"username":"root","password":"${ROOT_PASSWORD}"}`,
            [variable(script, "APP_SECRET_ARN")]: '{"username":"app","password":"App-Dm2-boot","dbname":"app"}',
            [variable(script, "REPLICATION_SECRET_ARN")]: '{"username":"repl","password":"Repl-Dm3-boot"}',
            [accountArn]: '{"username":"dms","password":"Dms-Dm4-boot"}',
        };
        primary = new Instance("mysql-dms", ADDRESS, volume);
        primary.setFixtures({ secrets });
        fs.writeFileSync(path.join(primary.dir, "fixtures", "dms-accounts.sh"), `${document}\n`);
        fs.writeFileSync(
            path.join(primary.dir, "fixtures", "dms.cnf"),
            `[client]\nuser=dms\npassword=Dms-Dm4-boot\nhost=${ADDRESS}\nport=3306\nssl\n`,
        );
        primary.start();
        expectBooted(primary.boot(script), "the primary's first boot");
    });
    after(() => primary?.dispose());

    const asRoot = (query: string) => mysqlAsRoot(primary, ROOT_PASSWORD, query);
    /** As SSM Run Command runs a Command document's script: with sh, as root, in a bare environment. */
    const runDocument = () => primary.execStatus("env -i sh /harness/dms-accounts.sh");
    const grants = () =>
        asRoot("SHOW GRANTS FOR 'dms'@'%'")
            .trim()
            .split("\n")
            .map((line) => line.replace(/ IDENTIFIED BY PASSWORD '[^']*'/, ""))
            .sort();
    // MariaDB prints REPLICATION CLIENT under its 10.5 name, BINLOG MONITOR.
    const DMS_GRANTS = [
        "GRANT ALL PRIVILEGES ON `awsdms_control`.* TO `dms`@`%`",
        "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, ALTER ON `app`.* TO `dms`@`%`",
        "GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `dms`@`%` REQUIRE SSL",
    ];

    it("creates the DMS account with exactly the grants for full load and CDC, over TLS only @quick", () => {
        const run = runDocument();
        expect(run.status, run.output).to.equal(0);
        expect(run.output).to.contain(
            "/var/lib/mysql/mysql.sock: binary log ready for AWS DMS (ROW, FULL, 604800s / 24h kept)",
        );
        expect(run.output).to.contain("account 'dms'@'%' (TLS required) ready for AWS DMS on app");
        expect(grants()).to.deep.equal(DMS_GRANTS);
        expect(
            asRoot("SELECT @@log_bin, @@binlog_format, @@binlog_row_image, @@binlog_expire_logs_seconds").trim(),
        ).to.equal("1\tROW\tFULL\t604800");
        // Full load: DMS reads the tables as this account, across the network, over TLS.
        asRoot(
            "CREATE TABLE app.orders (id INT PRIMARY KEY, item VARCHAR(20)); INSERT INTO app.orders VALUES (1, 'first')",
        );
        expect(
            primary.exec("mariadb --defaults-file=/harness/dms.cnf -N -e 'SELECT item FROM app.orders'").trim(),
        ).to.equal("first");
        expect(
            primary.execStatus("mariadb --defaults-file=/harness/dms.cnf --skip-ssl -N -e 'SELECT 1'").status,
            "a login without TLS",
        ).not.to.equal(0);
        // CDC: DMS reads the binary log as a replica would, with row images.
        asRoot("UPDATE app.orders SET item = 'changed' WHERE id = 1");
        const binlog = asRoot("SHOW MASTER STATUS").split("\t")[0];
        const events = primary.exec(
            `mariadb-binlog --defaults-file=/harness/dms.cnf --read-from-remote-server --base64-output=decode-rows -v ${binlog}`,
        );
        expect(events).to.match(
            /### UPDATE `app`\.`orders`\n### WHERE\n### {3}@1=1\n### {3}@2='first'\n### SET\n### {3}@1=1\n### {3}@2='changed'/,
        );
        // The reverse task's writes land in the migrated schema only.
        expect(
            primary.execStatus("mariadb --defaults-file=/harness/dms.cnf -e 'CREATE TABLE mysql.dms_probe (id INT)'")
                .status,
        ).not.to.equal(0);
        expectNoSecretRecorded(primary, secrets);
    });

    it("a second run changes nothing, and re-syncs a rotated password", () => {
        const run = runDocument();
        expect(run.status, run.output).to.equal(0);
        expect(grants()).to.deep.equal(DMS_GRANTS);
        primary.setFixtures({
            secrets: { ...secrets, [accountArn]: '{"username":"dms","password":"Dms-Dm5-rotated"}' },
        });
        fs.writeFileSync(path.join(primary.dir, "fixtures", "dms-accounts.sh"), `${document}\n`);
        const rotated = runDocument();
        expect(rotated.status, rotated.output).to.equal(0);
        expect(primary.execStatus("mariadb --defaults-file=/harness/dms.cnf -N -e 'SELECT 1'").status).not.to.equal(0);
        fs.writeFileSync(
            path.join(primary.dir, "fixtures", "dms-rotated.cnf"),
            `[client]\nuser=dms\npassword=Dms-Dm5-rotated\nhost=${ADDRESS}\nport=3306\nssl\n`,
        );
        expect(primary.exec("mariadb --defaults-file=/harness/dms-rotated.cnf -N -e 'SELECT 1'").trim()).to.equal("1");
        expect(grants()).to.deep.equal(DMS_GRANTS);
        expectNoSecretRecorded(primary, { ...secrets, rotated: '{"password":"Dms-Dm5-rotated"}' });
    });

    it("refuses a binary log DMS cannot read, naming every setting, and creates nothing", () => {
        asRoot("SET GLOBAL binlog_format = 'STATEMENT'; SET GLOBAL binlog_row_image = 'MINIMAL'");
        try {
            const run = runDocument();
            expect(run.status).not.to.equal(0);
            expect(run.output).to.contain("/var/lib/mysql/mysql.sock is not ready for AWS DMS:");
            expect(run.output).to.contain("binlog_format is STATEMENT, DMS needs ROW");
            expect(run.output).to.contain("binlog_row_image is MINIMAL, DMS needs FULL");
        } finally {
            asRoot("SET GLOBAL binlog_format = 'ROW'; SET GLOBAL binlog_row_image = 'FULL'");
        }
    });
});

describe("boot: a RabbitMQ cluster of separate instances on Debian's RabbitMQ 3.10 (tier150k mq-0, mq-1, mq-2)", function () {
    this.timeout(900_000);
    const ADMIN_PASSWORD = "Adm-Mq7-boot";
    const instances: Instance[] = [];
    let secrets: Record<string, string>;
    let cookieArn: string;
    let adminArn: string;
    const nodes: {
        name: string;
        host: string;
        address: string;
        volume: Volume;
        script: string;
        instance?: Instance;
    }[] = [];

    /** A new instance for node `index` on its volume, the one before it stopped first. */
    function nodeInstance(index: number, label: string, fixtures: Fixtures = { secrets }): Instance {
        const node = nodes[index];
        node.instance?.stop();
        const hosts = nodes.map((n) => `${n.address} ${n.host}`).join("\\n");
        const instance = new Instance(`mq-${index}-${label}`, node.address, node.volume, hosts);
        instances.push(instance);
        instance.setFixtures(fixtures);
        // The management API's credentials, as curl reads them from a file (never a command line).
        fs.writeFileSync(path.join(instance.dir, "fixtures", "admin.curl"), `user = "admin:${ADMIN_PASSWORD}"\n`);
        instance.start();
        node.instance = instance;
        return instance;
    }
    /** The running nodes a node sees, from `rabbitmqctl cluster_status`. */
    const runningNodes = (instance: Instance): string[] =>
        (
            JSON.parse(instance.exec("rabbitmqctl -q cluster_status --formatter json")) as { running_nodes: string[] }
        ).running_nodes.sort();
    const allNodes = () => nodes.map((n) => n.name).sort();

    before(async () => {
        const memTotalKiB = Number(/MemTotal:\s+(\d+)/.exec(fs.readFileSync("/proc/meminfo", "utf8"))?.[1]);
        for (const index of [0, 1, 2]) {
            const volume = new Volume(
                `vol-0a1b2c3d4e5f6040${index}`,
                path.join(WORK_ROOT, "volumes", `mq-${index}.img`),
                undefined,
                // RabbitMQ's free-disk floor (disk_free_limit.relative = 1.0) is one RAM's worth.
                Math.ceil(memTotalKiB / 1024 / 1024) + 2,
            );
            const script = withVariable(await userData("tier150k", `mq-${index}`), "DATA_VOLUME_ID", volume.id);
            const name = variable(script, "NODE_NAME");
            nodes.push({ name, host: name.replace(/^rabbit@/, ""), address: `10.0.60.${10 + index}`, volume, script });
        }
        expect(variable(nodes[0].script, "CLUSTER_NODES").split(",").sort()).to.deep.equal(allNodes());
        cookieArn = variable(nodes[0].script, "COOKIE_SECRET_ARN");
        adminArn = variable(nodes[0].script, "ADMIN_SECRET_ARN");
        secrets = {
            [cookieArn]: '{"cookie":"Ck-Mq6-boot-0123456789abcdef"}',
            [adminArn]: `{"username":"admin","password":"${ADMIN_PASSWORD}"}`,
        };
    });
    after(() => instances.forEach((instance) => instance.dispose()));

    it("first boot: three instances form one cluster, each node sees all three running", () => {
        for (const index of [0, 1, 2]) {
            const instance = nodeInstance(index, "1");
            expectBooted(instance.boot(nodes[index].script), `${nodes[index].name}'s first boot`);
        }
        for (const node of nodes) {
            expect(runningNodes(node.instance!), node.name).to.deep.equal(allNodes());
        }
        const mq0 = nodes[0].instance!;
        // AMQP on 5672 (TLS off in tier150k: no 5671), management on 15672, Erlang distribution on 25672.
        const listening = mq0.exec("ss -ltnH | awk '{ print $4 }'");
        for (const port of [5672, 15672, 25672]) {
            expect(listening, `port ${port}`).to.match(new RegExp(`:${port}$`, "m"));
        }
        expect(listening).not.to.match(/:5671$/m);
        // Across the network: another node's AMQP port answers with the protocol header's reply, and its
        // management API lists the cluster for the administrator from the secret.
        const mq1 = nodes[1].instance!;
        expect(
            mq1.exec(
                `timeout 5 bash -c 'exec 3<>/dev/tcp/${nodes[0].host}/5672; printf "AMQP\\0\\0\\x09\\x01" >&3; head -c 60 <&3' | tr -c '[:print:]' .`,
            ),
        ).to.contain("capabilities");
        const api = JSON.parse(
            mq1.exec(`curl -fsS -K /harness/admin.curl http://${nodes[0].host}:15672/api/nodes`),
        ) as {
            name: string;
            running: boolean;
        }[];
        expect(
            api
                .filter((n) => n.running)
                .map((n) => n.name)
                .sort(),
        ).to.deep.equal(allNodes());
        const users = JSON.parse(mq0.exec("rabbitmqctl -q list_users --formatter json")) as {
            user: string;
            tags: string[];
        }[];
        expect(users.map((u) => u.user)).to.deep.equal(["admin"]);
        expect(mq0.mode("/var/lib/rabbitmq/.erlang.cookie")).to.equal("400 rabbitmq:rabbitmq");
        expect(mq0.exec("findmnt -nro FSTYPE,TARGET /data/rabbitmq").trim()).to.equal("xfs /data/rabbitmq");
        expect(mq0.exec("ls /data/rabbitmq/mnesia")).to.contain(nodes[0].name);
        for (const node of nodes) {
            expectNoSecretRecorded(node.instance!, { [adminArn]: secrets[adminArn] });
            expect(node.instance!.everythingRecorded().includes("Ck-Mq6-boot-0123456789abcdef"), "the cookie").to.equal(
                false,
            );
        }
    });

    it("a second run on every node restarts nothing", () => {
        for (const node of nodes) {
            const result = node.instance!.boot(node.script);
            expectBooted(result, `${node.name}'s second run`);
            expect(result.output).not.to.contain("restarting rabbitmq-server");
            expect(node.instance!.starts("rabbitmq-server"), node.name).to.equal(1);
        }
        expect(runningNodes(nodes[2].instance!)).to.deep.equal(allNodes());
    });

    it("a replacement node on its volume rejoins the cluster as the same node", () => {
        const replacement = nodeInstance(1, "2");
        expect(runningNodes(nodes[0].instance!)).to.deep.equal([nodes[0].name, nodes[2].name]);
        expectBooted(replacement.boot(nodes[1].script), "the replacement's boot");
        for (const node of nodes) {
            expect(runningNodes(node.instance!), node.name).to.deep.equal(allNodes());
        }
    });

    it("a missing Erlang cookie or an unreadable admin password stops the boot before the node starts, and destroys nothing", () => {
        const noCookie = nodeInstance(2, "2", { secrets: { [adminArn]: secrets[adminArn] } });
        const missing = noCookie.boot(nodes[2].script);
        expectFailed(missing, /fetch_secret|secretsmanager|cookie_secret/);
        expect(missing.output).to.contain("ResourceNotFoundException");
        expect(noCookie.exec("systemctl is-active rabbitmq-server || true").trim()).to.equal("inactive");
        expect(
            noCookie.exec("test -e /var/lib/rabbitmq/.erlang.cookie && echo present || echo absent").trim(),
        ).to.equal("absent");
        const noAdmin = nodeInstance(2, "3", { secrets, denied: [adminArn] });
        const denied = noAdmin.boot(nodes[2].script);
        expectFailed(denied, /fetch_secret|secretsmanager|admin_secret/);
        expect(denied.output).to.contain("AccessDeniedException");
        expect(noAdmin.exec("systemctl is-active rabbitmq-server || true").trim()).to.equal("inactive");
        const restored = nodeInstance(2, "4");
        expectBooted(restored.boot(nodes[2].script), "the node with its secrets readable again");
        expect(runningNodes(restored)).to.deep.equal(allNodes());
    });
});

describe("boot: a RabbitMQ node with TLS on (tier150k mq-0 with rabbitmq.tls)", function () {
    this.timeout(600_000);
    const ADDRESS = "10.0.61.10";
    const HOST = "rabbitmq-0.scale-tiers.internal";
    const instances: Instance[] = [];
    let node: Instance;
    let client: Instance;
    let secrets: Record<string, string>;
    let script: string;

    /** A private CA and a server certificate for the node's name, as the stack's private CA issues one. */
    function certificates(dir: string): { certificate: string; privateKey: string; caCertificate: string } {
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir, { recursive: true });
        const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
        openssl(
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "30",
            "-subj",
            "/CN=scale-tiers boot CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        );
        openssl(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            `/CN=${HOST}`,
            "-keyout",
            "key.pem",
            "-out",
            "req.pem",
        );
        fs.writeFileSync(path.join(dir, "ext"), `subjectAltName=DNS:${HOST}\n`);
        openssl(
            "x509",
            "-req",
            "-in",
            "req.pem",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "30",
            "-extfile",
            "ext",
            "-out",
            "cert.pem",
        );
        const read = (file: string) => fs.readFileSync(path.join(dir, file), "utf8").trim();
        return { certificate: read("cert.pem"), privateKey: read("key.pem"), caCertificate: read("ca.pem") };
    }

    before(async () => {
        const recording = await evaluateStack("tier150k", {
            config: configPatched("tier150k", "scale-tiers:rabbitmq", { tls: true }),
        });
        const server = recording.resources.find(
            (r: RecordedResource) => r.name === "mq-0" && (r.inputs.userDataBase64 ?? r.inputs.userData),
        );
        const volume = new Volume(
            "vol-0a1b2c3d4e5f60410",
            path.join(WORK_ROOT, "volumes", "mq-tls.img"),
            undefined,
            Math.ceil(Number(/MemTotal:\s+(\d+)/.exec(fs.readFileSync("/proc/meminfo", "utf8"))?.[1]) / 1024 / 1024) +
                2,
        );
        script = withVariable(bootScriptOf(recording.resources, server!), "DATA_VOLUME_ID", volume.id);
        expect(variable(script, "TLS_ENABLED")).to.equal("true");
        const pem = certificates(path.join(WORK_ROOT, "mq-tls-certificates"));
        secrets = {
            [variable(script, "COOKIE_SECRET_ARN")]: '{"cookie":"Ck-Tls6-boot-0123456789abcdef"}',
            [variable(script, "ADMIN_SECRET_ARN")]: '{"username":"admin","password":"Adm-Tls7-boot"}',
            [variable(script, "TLS_SECRET_ARN")]: JSON.stringify(pem),
        };
        node = new Instance("mq-tls", ADDRESS, volume, `${ADDRESS} ${HOST}`);
        client = new Instance("mq-tls-client", "10.0.61.20", undefined, `${ADDRESS} ${HOST}`);
        instances.push(node, client);
        node.setFixtures({ secrets });
        client.setFixtures({});
        fs.copyFileSync(
            path.join(WORK_ROOT, "mq-tls-certificates", "ca.pem"),
            path.join(client.dir, "fixtures", "ca.pem"),
        );
        node.start();
        client.start();
    });
    after(() => instances.forEach((instance) => instance.dispose()));

    it("serves AMQP over TLS 1.2 and 1.3 on 5671 with the secret's certificate, and nothing on 5672", () => {
        expectBooted(node.boot(script), "first boot with TLS");
        const listening = node.exec("ss -ltnH | awk '{ print $4 }'");
        expect(listening).to.match(/:5671$/m);
        expect(listening).not.to.match(/:5672$/m);
        const handshake = client.exec(
            `openssl s_client -connect ${HOST}:5671 -servername ${HOST} -CAfile /harness/ca.pem -verify_hostname ${HOST} </dev/null 2>&1 || true`,
        );
        expect(handshake).to.contain("Verify return code: 0 (ok)");
        expect(handshake).to.match(/New, TLSv1\.3/);
        expect(
            client.exec(
                `openssl s_client -connect ${HOST}:5671 -tls1_2 -CAfile /harness/ca.pem </dev/null 2>&1 || true`,
            ),
        ).to.contain("Verify return code: 0 (ok)");
        // A client that offers TLS 1.1 only (allowed on its side at security level 0) gets no session.
        const tls11 = client.exec(
            `openssl s_client -connect ${HOST}:5671 -tls1_1 -cipher DEFAULT@SECLEVEL=0 </dev/null 2>&1 || true`,
        );
        expect(tls11, "TLS 1.1").to.match(/alert protocol version|unsupported protocol/);
        expect(tls11, "TLS 1.1").not.to.match(/New, TLSv1(\.1)?,/);
        expect(client.execStatus(`timeout 5 bash -c 'exec 3<>/dev/tcp/${HOST}/5672'`).status).not.to.equal(0);
        expect(node.mode("/etc/rabbitmq/tls")).to.equal("750 root:rabbitmq");
        expect(node.mode("/etc/rabbitmq/tls/key.pem")).to.equal("400 rabbitmq:rabbitmq");
        const recorded = node.everythingRecorded();
        expect(recorded.includes("Adm-Tls7-boot"), "the admin password").to.equal(false);
        const { privateKey } = JSON.parse(secrets[variable(script, "TLS_SECRET_ARN")]) as { privateKey: string };
        const keyLine = privateKey.split("\n")[1];
        expect(recorded.includes(keyLine), "the private key").to.equal(false);
    });
});
