import { expect } from "chai";
import { spawnSync } from "child_process";
import { createHash, randomBytes } from "crypto";
import {
    LOADER_SCRIPT,
    USER_DATA_LIMIT_BYTES,
    USER_DATA_SCRIPTS,
    bootScriptDigest,
    bootScriptKey,
    decodeUserData,
    encodeUserData,
    instanceScript,
    loaderLocation,
    loaderUserData,
    readScript,
    renderScript,
    requiredVariables,
    stripComments,
    UserDataScript,
    withoutUnusedDefinitions,
} from "../components/userdata/render";

const SCRIPT = [
    "#!/bin/bash",
    ': "${REGION:?rendered}"',
    ': "${COUNT:?rendered}"',
    "set -euo pipefail",
    'echo "$REGION"',
].join("\n");

describe("user data rendering", () => {
    it("binds variables right after the shebang", () => {
        const rendered = renderScript(SCRIPT, { REGION: "ap-northeast-2", COUNT: 3 });
        expect(rendered.split("\n").slice(0, 3)).to.deep.equal([
            "#!/bin/bash",
            "readonly REGION='ap-northeast-2'",
            "readonly COUNT='3'",
        ]);
        expect(rendered.endsWith('echo "$REGION"')).to.equal(true);
    });

    it("refuses missing, unknown and unsafe values", () => {
        expect(() => renderScript(SCRIPT, { REGION: "x" })).to.throw(/missing \[COUNT\]/);
        expect(() => renderScript(SCRIPT, { REGION: "x", COUNT: 1, EXTRA: "y" })).to.throw(/unknown \[EXTRA\]/);
        expect(() => renderScript(SCRIPT, { REGION: "x'; rm -rf /", COUNT: 1 })).to.throw(/characters outside/);
        expect(() => renderScript(SCRIPT, { REGION: "a\nb", COUNT: 1 })).to.throw(/characters outside/);
        expect(() => renderScript("echo hi", {})).to.throw(/shebang/);
    });

    it("inlines the shared helpers into each real script", () => {
        for (const script of USER_DATA_SCRIPTS) {
            const source = readScript(script);
            expect(source, script).not.to.match(/^# scale-tiers:include/m);
            expect(source, script).to.match(/^log\(\) \{$/m);
            expect(source, script).to.match(/^take_lock\(\) \{$/m);
            expect(source.indexOf("set -euo pipefail"), script).to.be.lessThan(source.indexOf("log() {"));
        }
    });

    it("reads the variables each real script requires", () => {
        const expected: Record<UserDataScript, string[]> = {
            web: [
                "AWS_REGION_NAME",
                "APP_PARAMETER_PATH",
                "HEALTH_CHECK_PATH",
                "APP_PORT",
                "CLOUDWATCH_AGENT_PARAMETER",
            ],
            mysql: [
                "AWS_REGION_NAME",
                "DATA_VOLUME_ID",
                "DATA_DEVICE_NAME",
                "MYSQL_MAJOR_VERSION",
                "MYSQL_SERVER_ID",
                "MYSQL_ROLE",
                "PRIMARY_HOST",
                "BINLOG_RETENTION_SECONDS",
                "ROOT_SECRET_ARN",
                "APP_SECRET_ARN",
                "REPLICATION_SECRET_ARN",
                "CLOUDWATCH_AGENT_PARAMETER",
                "STACK_NAME",
            ],
            memcached: [
                "AWS_REGION_NAME",
                "MEMCACHED_MEMORY_MIB",
                "MEMCACHED_MAX_CONNECTIONS",
                "CLOUDWATCH_AGENT_PARAMETER",
                "STACK_NAME",
            ],
            rabbitmq: [
                "AWS_REGION_NAME",
                "DATA_VOLUME_ID",
                "DATA_DEVICE_NAME",
                "NODE_NAME",
                "CLUSTER_NODES",
                "COOKIE_SECRET_ARN",
                "ADMIN_SECRET_ARN",
                "TLS_ENABLED",
                "TLS_SECRET_ARN",
                "CLOUDWATCH_AGENT_PARAMETER",
                "STACK_NAME",
            ],
            jenkins: [
                "AWS_REGION_NAME",
                "DATA_VOLUME_ID",
                "DATA_DEVICE_NAME",
                "ADMIN_SECRET_ARN",
                "JENKINS_URL",
                "ARTIFACT_BUCKET",
                "DEPLOY_DOCUMENT",
                "DEPLOY_TARGET_TAG",
                "APP_VERSION_PARAMETER",
                "DEPLOY_MAX_CONCURRENCY",
                "CLOUDWATCH_AGENT_PARAMETER",
                "STACK_NAME",
            ],
            jira: [
                "AWS_REGION_NAME",
                "DATA_VOLUME_ID",
                "DATA_DEVICE_NAME",
                "JIRA_VERSION",
                "DB_SECRET_ARN",
                "BASE_URL",
                "CLOUDWATCH_AGENT_PARAMETER",
            ],
            wiki: [
                "AWS_REGION_NAME",
                "DATA_VOLUME_ID",
                "DATA_DEVICE_NAME",
                "MEDIAWIKI_VERSION",
                "DB_SECRET_ARN",
                "ADMIN_SECRET_ARN",
                "BASE_URL",
                "CLOUDWATCH_AGENT_PARAMETER",
                "HEALTH_PATH",
            ],
            cms: [
                "AWS_REGION_NAME",
                "DATA_VOLUME_ID",
                "DATA_DEVICE_NAME",
                "DB_SECRET_ARN",
                "ADMIN_SECRET_ARN",
                "BASE_URL",
                "CLOUDWATCH_AGENT_PARAMETER",
                "HEALTH_PATH",
            ],
            logstash: [
                "AWS_REGION_NAME",
                "DOMAIN_NAME",
                "MASTER_SECRET_ARN",
                "LOGSTASH_SECRET_ARN",
                "QUEUE_DEVICE_NAME",
                "QUEUE_MAX_GB",
                "INDEX_SHARDS",
                "INDEX_REPLICAS",
            ],
        };
        for (const [script, variables] of Object.entries(expected)) {
            expect(requiredVariables(readScript(script as UserDataScript)), script).to.have.members(variables);
        }
    });

    it("packs scripts under EC2's 16 KiB user-data limit, the same way every time", () => {
        const script = readScript("mysql");
        expect(Buffer.byteLength(script)).to.be.greaterThan(USER_DATA_LIMIT_BYTES);
        const encoded = encodeUserData(script);
        expect(Buffer.from(encoded, "base64").length).to.be.lessThan(USER_DATA_LIMIT_BYTES);
        expect(encodeUserData(script)).to.equal(encoded);
        expect(decodeUserData(encoded)).to.equal(script);
        expect(() => encodeUserData(randomBytes(20000).toString("hex"))).to.throw(/EC2 accepts 16384/);
    });

    it("publishes a boot script under its role's prefix and SHA-256, and pins the loader to both", () => {
        const script = "#!/bin/bash\necho boot\n";
        const sha256 = createHash("sha256").update(script).digest("hex");
        expect(bootScriptDigest(script)).to.equal(sha256);
        expect(bootScriptKey("db", script)).to.equal(`boot/db/${sha256}.sh`);
        expect(bootScriptKey("db", `${script}echo changed\n`)).not.to.equal(bootScriptKey("db", script));
        const location = { bucket: "network-boot-scripts-a1b2", key: bootScriptKey("db", script), sha256 };
        const userData = loaderUserData(location);
        expect(loaderLocation(userData)).to.deep.equal(location);
        const loader = decodeUserData(userData);
        expect(loader).to.contain(`readonly BOOT_SHA256='${sha256}'`);
        // Nothing of the script itself is in user data, and the loader checks before it runs.
        expect(loader).not.to.contain("echo boot");
        expect(loader.indexOf("sha256sum")).to.be.lessThan(loader.indexOf("exec /bin/bash"));
        expect(() => loaderLocation(encodeUserData("#!/bin/bash\necho not a loader\n"))).to.throw(
            /not the boot loader/,
        );
    });

    it("strips comments and blank lines, but never a here-document's body or the shebang", () => {
        const script = [
            "#!/bin/bash",
            "# a comment",
            "",
            "set -euo pipefail",
            "  # indented comment",
            'echo "# not a comment"',
            "cat <<CONF",
            "# kept: part of the file",
            "",
            "CONF",
            "cat <<-'EOF'",
            "\t# kept too",
            "\tEOF",
            "echo done # trailing comments stay",
        ].join("\n");
        expect(stripComments(script)).to.equal(
            [
                "#!/bin/bash",
                "set -euo pipefail",
                'echo "# not a comment"',
                "cat <<CONF",
                "# kept: part of the file",
                "",
                "CONF",
                "cat <<-'EOF'",
                "\t# kept too",
                "\tEOF",
                "echo done # trailing comments stay",
                "",
            ].join("\n"),
        );
    });

    it("renders every real script, and the loader, to valid bash, as its instance receives it", () => {
        for (const script of [...USER_DATA_SCRIPTS, LOADER_SCRIPT]) {
            const variables = Object.fromEntries(requiredVariables(readScript(script)).map((name) => [name, "x"]));
            const check = spawnSync("bash", ["-n"], { input: instanceScript(script, variables), encoding: "utf8" });
            expect(check.status, `${script}: ${check.stderr}`).to.equal(0);
        }
    });

    it("leaves out the functions nothing names, keeping those called, named in a string or by a kept function", () => {
        const script = [
            "#!/bin/bash",
            "called() {",
            "  helper",
            "}",
            "helper() {",
            "  cat <<JSON",
            "{",
            "}",
            "JSON",
            "}",
            "baked() {",
            "  true",
            "}",
            "unused() {",
            "  called",
            "}",
            "called",
            'write_tool_script /usr/local/sbin/x "baked"',
            "",
        ].join("\n");
        const kept = withoutUnusedDefinitions(script);
        expect(kept).not.to.contain("unused()");
        expect(kept).to.contain("called() {\n  helper\n}");
        // The here-document's "}" does not end helper(): the whole function stays, and nothing after it moves.
        expect(kept).to.contain("helper() {\n  cat <<JSON\n{\n}\nJSON\n}");
        expect(kept).to.contain("baked() {");
        expect(kept.endsWith('write_tool_script /usr/local/sbin/x "baked"\n')).to.equal(true);
    });

    it("leaves out common.sh's functions a role does not use: the web server gets no data-volume or MariaDB code", () => {
        const variables = Object.fromEntries(requiredVariables(readScript("web")).map((name) => [name, "x"]));
        const web = instanceScript("web", variables);
        expect(web).not.to.match(/^mount_data_volume\(\) \{$/m);
        expect(web).not.to.match(/^setup_local_mariadb\(\) \{$/m);
        expect(web).to.match(/^write_tool_script\(\) \{$/m);
    });

    it("never declares a local variable with the name of a readonly one (bash stops: readonly variable)", () => {
        // jenkins.sh's `readonly dropin` against common.sh's `local -r dropin` stopped every Jenkins first boot.
        for (const script of [...USER_DATA_SCRIPTS, LOADER_SCRIPT]) {
            const source = readScript(script);
            const variables = Object.fromEntries(requiredVariables(source).map((name) => [name, "x"]));
            const rendered = renderScript(source, variables);
            const locals = new Set(localNames(rendered));
            expect(
                readonlyNames(rendered).filter((name) => locals.has(name)),
                script,
            ).to.deep.equal([]);
        }
    });

    it("finds readonly and local names the way bash declares them", () => {
        const sample = [
            "readonly REGION='x'",
            "declare -r limit=3",
            "f() {",
            '  local -r dropin="/etc/a b"',
            "  local staged count=0 path",
            "  local -a items=()",
            "}",
        ].join("\n");
        expect(readonlyNames(sample)).to.deep.equal(["REGION", "limit"]);
        expect(localNames(sample)).to.deep.equal(["dropin", "staged", "count", "path", "items"]);
    });
});

/** Names a script makes readonly: `readonly NAME=...` and `declare -r NAME=...`. */
function readonlyNames(script: string): string[] {
    return [...script.matchAll(/^\s*(?:readonly|declare\s+-r)\s+([A-Za-z_][A-Za-z0-9_]*)/gm)].map((m) => m[1]);
}

/** Names a script declares `local` (with any options), several per line, values skipped. */
function localNames(script: string): string[] {
    return [...script.matchAll(/^\s*local((?:\s+-[a-zA-Z]+)*)\s+(.*)$/gm)].flatMap((m) =>
        [...m[2].matchAll(/([A-Za-z_][A-Za-z0-9_]*)(?:=(?:"[^"]*"|'[^']*'|\([^)]*\)|\S*))?\s*/gy)].map((n) => n[1]),
    );
}
