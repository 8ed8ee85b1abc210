import { expect } from "chai";
import { randomBytes } from "crypto";
import {
    USER_DATA_LIMIT_BYTES,
    decodeUserData,
    encodeUserData,
    readScript,
    renderScript,
    requiredVariables,
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
        for (const script of ["web", "mysql"] as const) {
            const source = readScript(script);
            expect(source, script).not.to.match(/^# scale-tiers:include/m);
            expect(source, script).to.match(/^log\(\) \{$/m);
            expect(source, script).to.match(/^take_lock\(\) \{$/m);
            expect(source.indexOf("set -euo pipefail"), script).to.be.lessThan(source.indexOf("log() {"));
        }
    });

    it("reads the variables each real script requires", () => {
        expect(requiredVariables(readScript("web"))).to.have.members([
            "AWS_REGION_NAME",
            "APP_PARAMETER_PATH",
            "HEALTH_CHECK_PATH",
            "APP_PORT",
        ]);
        expect(requiredVariables(readScript("mysql"))).to.have.members([
            "AWS_REGION_NAME",
            "DATA_VOLUME_ID",
            "DATA_DEVICE_NAME",
            "MYSQL_MAJOR_VERSION",
            "MYSQL_SERVER_ID",
            "BINLOG_RETENTION_SECONDS",
            "ROOT_SECRET_ARN",
            "APP_SECRET_ARN",
        ]);
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
});
