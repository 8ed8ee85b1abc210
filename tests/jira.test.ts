/**
 * jira.sh's server.xml rewrite, run by bash on a file shaped like Jira's stock
 * conf/server.xml: one active connector on 8080, and commented-out proxy
 * examples on 8080 that already name a proxyName.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { shellFunctions } from "../domain/migration";
import { readScript } from "../components/userdata/render";

const ACTIVE = `<Connector port="8080" relaxedPathChars="[]|" maxThreads="150" protocol="HTTP/1.1" bindOnInit="false"/>`;

const STOCK = `<?xml version="1.0" encoding="utf-8"?>
<Server port="8005" shutdown="SHUTDOWN">
    <Service name="Catalina">
        <!--
         DEFAULT - Direct connector with no proxy, for unproxied access to Jira.
        -->
        <!-- Relaxing "illegal" characters for backward compatibility -->
        ${ACTIVE}

        <!--
         HTTP - Proxying Jira over HTTP: uncomment the connector below and comment out the others.
        -->
        <!--
        <Connector port="8080" relaxedPathChars="[]|" protocol="HTTP/1.1" scheme="http"
                   proxyName="<subdomain>.<domain>.com" proxyPort="80"/>
        -->
        <!--
        <Connector port="8080" relaxedPathChars="[]|" protocol="HTTP/1.1" secure="true" scheme="https"
                   proxyName="<subdomain>.<domain>.com" proxyPort="443"/>
        -->
        <Engine name="Catalina" defaultHost="localhost"/>
    </Service>
</Server>
`;

function rewrite(serverXml: string): { status: number | null; output: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jira-"));
    const file = path.join(dir, "server.xml");
    fs.writeFileSync(file, serverXml);
    const script = `${shellFunctions(readScript("jira"), ["proxied_server_xml"])}\nproxied_server_xml "$1" jira.example.internal 443 https true`;
    const run = spawnSync("bash", ["-c", script, "bash", file], { encoding: "utf8" });
    fs.rmSync(dir, { recursive: true, force: true });
    return { status: run.status, output: run.stdout };
}

describe("jira.sh server.xml", () => {
    it("puts the proxy on the one active connector and leaves the commented examples alone", () => {
        const { status, output } = rewrite(STOCK);
        expect(status).to.equal(0);
        expect(output).to.contain(
            `<Connector port="8080" proxyName="jira.example.internal" proxyPort="443" scheme="https" secure="true" relaxedPathChars=`,
        );
        expect(output.match(/proxyName="jira\.example\.internal"/g)).to.have.length(1);
        expect(output.split("\n").filter((line) => !line.includes("jira.example.internal"))).to.deep.equal(
            STOCK.split("\n").filter((line) => !line.includes(ACTIVE)),
        );
    });

    it("fails on a file whose connector on 8080 is commented out, or that has two", () => {
        expect(rewrite(STOCK.replace(ACTIVE, `<!-- ${ACTIVE} -->`)).status).to.equal(3);
        expect(rewrite(STOCK.replace(ACTIVE, `${ACTIVE}\n        ${ACTIVE}`)).status).to.equal(3);
    });
});
