/**
 * The MySQL-only statements of the replica's bootstrap, checked against MySQL
 * 8.4's grammar without a server: the boot harness runs MariaDB, which has no
 * CLONE and no CHANGE REPLICATION SOURCE TO, and translates both (see
 * tests/boot/README.md), so the text the script sends MySQL is checked here.
 * The grammar is the MySQL 8.4 Reference Manual's: 15.7.5 "CLONE Statement",
 * 15.4.2.2 "CHANGE REPLICATION SOURCE TO Statement", 7.6.7.3 "Cloning Remote
 * Data" (clone_valid_donor_list, BACKUP_ADMIN on the donor) and 29.12.19.1
 * "The clone_status Table"; the removals are the 8.4 release's.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { readScript, renderScript, requiredVariables } from "../components/userdata/render";

const PRIMARY_HOST = "mysql-primary.scale-tiers.internal";
const PASSWORD = "Repl-it's-\\-pw";

/** The replica's script with its functions defined and main left out; `body` runs after, with stubs. */
function runReplicaFunctions(body: string): { status: number; output: string; sql: string } {
    const source = readScript("mysql");
    const values: Record<string, string> = Object.fromEntries(
        requiredVariables(source).map((name) => [name, "placeholder"]),
    );
    const rendered = renderScript(source, { ...values, PRIMARY_HOST, MYSQL_ROLE: "replica" }).replace(
        /^main "\$@"\n?$/m,
        "",
    );
    const dir = fs.mkdtempSync("/tmp/mysql-statements-");
    const log = path.join(dir, "sql");
    const program = `${rendered}
set +e +o errtrace
trap - ERR
set -e
log() { :; }
sleep() { :; }
wait_for_mysqld() { :; }
mysql_with() { cat >>'${log}'; }
${body}`;
    const result = spawnSync("bash", ["-c", program], { encoding: "utf8", timeout: 20_000 });
    const sql = fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "";
    fs.rmSync(dir, { recursive: true, force: true });
    return { status: result.status ?? -1, output: result.stdout + result.stderr, sql };
}

/** MySQL 8.4's CHANGE REPLICATION SOURCE TO options, by the kind of value each takes. */
const SOURCE_OPTIONS: Record<string, "string" | "flag" | "integer" | "other"> = {
    SOURCE_BIND: "string",
    SOURCE_HOST: "string",
    SOURCE_USER: "string",
    SOURCE_PASSWORD: "string",
    SOURCE_PORT: "integer",
    PRIVILEGE_CHECKS_USER: "other",
    REQUIRE_ROW_FORMAT: "flag",
    REQUIRE_TABLE_PRIMARY_KEY_CHECK: "other",
    ASSIGN_GTIDS_TO_ANONYMOUS_TRANSACTIONS: "other",
    SOURCE_LOG_FILE: "string",
    SOURCE_LOG_POS: "integer",
    SOURCE_AUTO_POSITION: "flag",
    RELAY_LOG_FILE: "string",
    RELAY_LOG_POS: "integer",
    SOURCE_HEARTBEAT_PERIOD: "other",
    SOURCE_CONNECT_RETRY: "integer",
    SOURCE_RETRY_COUNT: "integer",
    SOURCE_CONNECTION_AUTO_FAILOVER: "flag",
    SOURCE_DELAY: "integer",
    SOURCE_COMPRESSION_ALGORITHMS: "string",
    SOURCE_ZSTD_COMPRESSION_LEVEL: "integer",
    SOURCE_SSL: "flag",
    SOURCE_SSL_CA: "string",
    SOURCE_SSL_CAPATH: "string",
    SOURCE_SSL_CERT: "string",
    SOURCE_SSL_CRL: "string",
    SOURCE_SSL_CRLPATH: "string",
    SOURCE_SSL_KEY: "string",
    SOURCE_SSL_CIPHER: "string",
    SOURCE_SSL_VERIFY_SERVER_CERT: "flag",
    SOURCE_TLS_VERSION: "string",
    SOURCE_TLS_CIPHERSUITES: "other",
    SOURCE_PUBLIC_KEY_PATH: "string",
    GET_SOURCE_PUBLIC_KEY: "flag",
    NETWORK_NAMESPACE: "string",
    IGNORE_SERVER_IDS: "other",
    GTID_ONLY: "flag",
};

/** An SQL string literal (quotes doubled or backslash-escaped), its value unescaped. */
const STRING_LITERAL = /^'((?:[^'\\]|''|\\.)*)'$/;
function unquote(literal: string): string {
    const match = STRING_LITERAL.exec(literal);
    if (!match) {
        throw new Error(`not a string literal: ${literal}`);
    }
    return match[1].replace(/''/g, "'").replace(/\\(.)/g, "$1");
}

/** Splits "A='x, y', B=1" at the commas outside string literals. */
function splitOptions(text: string): string[] {
    const parts: string[] = [];
    let current = "";
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (quoted && c === "\\") {
            current += c + text[++i];
            continue;
        }
        if (c === "'") {
            quoted = !quoted;
        }
        if (c === "," && !quoted) {
            parts.push(current.trim());
            current = "";
        } else {
            current += c;
        }
    }
    parts.push(current.trim());
    return parts;
}

describe("MySQL 8.4 statements of the replica's bootstrap (the boot harness translates them for MariaDB)", () => {
    it("CHANGE REPLICATION SOURCE TO uses only 8.4 options, each once and well typed, with GTID auto-positioning over TLS", () => {
        const { status, output, sql } = runReplicaFunctions(
            `start_replication root.cnf repl '${PASSWORD.replace(/'/g, "'\\''")}'`,
        );
        expect(status, output).to.equal(0);
        const statements = sql.trim().split("\n");
        expect(statements).to.have.length(2);
        expect(statements[1]).to.equal("START REPLICA;");
        const match = /^CHANGE REPLICATION SOURCE TO (.*);$/.exec(statements[0]);
        expect(match, statements[0]).not.to.equal(null);
        const options = new Map<string, string>();
        for (const option of splitOptions(match![1])) {
            const [, name, value] = /^([A-Z_]+)\s*=\s*(.*)$/.exec(option) ?? [];
            expect(
                SOURCE_OPTIONS,
                `${option}: not a CHANGE REPLICATION SOURCE TO option in MySQL 8.4`,
            ).to.have.property(name);
            expect(options.has(name), `${name} given twice`).to.equal(false);
            const kind = SOURCE_OPTIONS[name];
            if (kind === "string") {
                expect(value, name).to.match(STRING_LITERAL);
            } else if (kind === "flag") {
                expect(value, name).to.match(/^[01]$/);
            } else if (kind === "integer") {
                expect(value, name).to.match(/^[0-9]+$/);
            }
            options.set(name, value);
        }
        expect(unquote(options.get("SOURCE_HOST")!)).to.equal(PRIMARY_HOST);
        expect(options.get("SOURCE_PORT")).to.equal("3306");
        expect(unquote(options.get("SOURCE_USER")!)).to.equal("repl");
        expect(unquote(options.get("SOURCE_PASSWORD")!)).to.equal(PASSWORD);
        expect(options.get("SOURCE_AUTO_POSITION")).to.equal("1");
        expect(options.get("SOURCE_SSL")).to.equal("1");
        // Auto-positioning excludes file positions (the manual: SOURCE_AUTO_POSITION = 1 cannot be
        // combined with SOURCE_LOG_FILE, SOURCE_LOG_POS, RELAY_LOG_FILE or RELAY_LOG_POS).
        for (const name of ["SOURCE_LOG_FILE", "SOURCE_LOG_POS", "RELAY_LOG_FILE", "RELAY_LOG_POS"]) {
            expect(options.has(name), name).to.equal(false);
        }
    });

    it("CLONE INSTANCE FROM follows 8.4's syntax, replaces the data directory, requires TLS, and names the donor it allows", () => {
        const { status, output, sql } = runReplicaFunctions(`
            clone_status() { printf 'Completed\\t${PRIMARY_HOST}:3306\\t0\\t\\n'; }
            clone_from_primary root.cnf repl '${PASSWORD.replace(/'/g, "'\\''")}'`);
        expect(status, output).to.equal(0);
        const statements = sql.trim().split("\n");
        expect(statements).to.have.length(3);
        // clone_valid_donor_list: the donors this recipient may clone from, as 'HOST:PORT'.
        expect(statements[0]).to.equal(`SET GLOBAL clone_valid_donor_list = '${PRIMARY_HOST}:3306';`);
        // CLONE blocks on super_read_only (it drops this server's schemas); the restart after it puts it back.
        expect(statements[1]).to.equal("SET GLOBAL super_read_only = OFF;");
        // CLONE INSTANCE FROM 'user'@'host':port IDENTIFIED BY 'password' [DATA DIRECTORY [=] 'dir'] [REQUIRE [NO] SSL]
        const clone =
            /^CLONE INSTANCE FROM '([^']+)'@'([^']+)':([0-9]+) IDENTIFIED BY ('(?:[^'\\]|''|\\.)*')( DATA DIRECTORY ?=? ?'[^']*')?( REQUIRE (?:NO )?SSL)?;$/.exec(
                statements[2],
            );
        expect(clone, statements[2]).not.to.equal(null);
        const [, user, host, port, password, dataDirectory, requireSsl] = clone!;
        expect([user, host, port]).to.deep.equal(["repl", PRIMARY_HOST, "3306"]);
        expect(unquote(password)).to.equal(PASSWORD);
        // Without DATA DIRECTORY the clone replaces this server's data and restarts it, which the script waits for.
        expect(dataDirectory).to.equal(undefined);
        expect(requireSsl).to.equal(" REQUIRE SSL");
        expect(output).not.to.contain(PASSWORD);
    });

    it("the clone's donor and recipient have what 8.4 requires: BACKUP_ADMIN on the donor account, the plugin on both", () => {
        const source = readScript("mysql");
        expect(source).to.match(
            /^GRANT REPLICATION SLAVE, REPLICATION CLIENT, BACKUP_ADMIN ON \*\.\* TO '\$\{user\}'@'%';$/m,
        );
        expect(source).to.match(/^plugin_load_add=mysql_clone\.so$/m);
        // The plugin line is outside the replica-only settings, so the primary (the donor) loads it too.
        expect(/replica_settings="[^"]*mysql_clone/.test(source)).to.equal(false);
        // clone_status's columns, as the 8.4 manual names them; SOURCE is 'HOST:PORT'.
        expect(source).to.include("SELECT STATE, SOURCE, ERROR_NO, ERROR_MESSAGE FROM performance_schema.clone_status");
        expect(source).to.include('[[ $state == Completed && $source == "${PRIMARY_HOST}:3306" ]]');
    });

    it("nothing that MySQL 8.4 removed: no CHANGE MASTER, START/STOP SLAVE, SHOW SLAVE or MASTER STATUS, RESET MASTER", () => {
        for (const file of ["mysql.sh", "mysql-dms.sh"]) {
            const source = fs.readFileSync(path.join(__dirname, "..", "components", "userdata", file), "utf8");
            expect(source, file).not.to.match(
                /\b(CHANGE MASTER|START SLAVE|STOP SLAVE|SHOW SLAVE STATUS|SHOW MASTER STATUS|RESET MASTER|RESET SLAVE|Slave_IO_Running|Seconds_Behind_Master)\b/,
            );
        }
    });
});
