/**
 * Losing one AZ: what each real stack keeps serving, read from its recorded
 * resources. tier30k and tier150k name their single points; tier1m has none on
 * the clients' path.
 */
import { expect } from "chai";
import { AzLossFinding, azLossFindings, formatAzLoss } from "../plan/az-loss";
import { RecordedResource, Recording } from "../plan/evaluate";
import { recordStack } from "./harness";

function singlePoints(findings: readonly AzLossFinding[], serving: boolean): string[] {
    return findings.filter((f) => f.singlePoint && f.serving === serving).map((f) => f.what);
}

function instance(name: string, role: string, subnetId: string): RecordedResource {
    return {
        urn: `urn:${name}`,
        type: "aws:ec2/instance:Instance",
        name,
        custom: true,
        inputs: { tags: { role }, subnetId },
        protect: false,
        retainOnDelete: false,
        deleteBeforeReplace: false,
        ignoreChanges: [],
        dependsOn: [],
        aliases: [],
    };
}

function synthetic(...resources: RecordedResource[]): Recording {
    const vpc: RecordedResource = {
        ...instance("vpc", "", ""),
        type: "awsx:ec2:Vpc",
        inputs: {
            natGateways: { strategy: "OnePerAz" },
            subnetSpecs: [{ type: "Private", cidrBlocks: ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"] }],
        },
    };
    return { stack: "s", config: {}, resources: [vpc, ...resources], outputs: {}, warnings: [] };
}

describe("losing one AZ", () => {
    it("tier30k: its one NAT gateway and its one database server are single points", async () => {
        const findings = azLossFindings(await recordStack("tier30k"));
        expect(singlePoints(findings, true)).to.deep.equal([
            "NAT gateway",
            "database (db.<zone> on self-managed MySQL)",
        ]);
        const web = findings.find((f) => f.what.startsWith("web tier"))!;
        expect(web.detail).to.contain("2 server(s) over 2 AZ(s); 1 keep serving");
    });

    it("tier150k: writes wait for the manual failover; the broker keeps its quorum; the tools are internal single points", async () => {
        const findings = azLossFindings(await recordStack("tier150k"));
        expect(singlePoints(findings, true)).to.deep.equal(["database (db.<zone> on self-managed MySQL)"]);
        expect(findings.find((f) => f.what === "database (db.<zone> on self-managed MySQL)")!.detail).to.contain(
            "manual failover",
        );
        expect(findings.find((f) => f.what === "broker (RabbitMQ)")!.detail).to.equal(
            "3 node(s); 2 left after the worst AZ loss, quorum needs 2",
        );
        expect(singlePoints(findings, false)).to.have.members([
            "jenkins (one server)",
            "jira (one server)",
            "wiki (one server)",
            "cms (one server)",
        ]);
    });

    it("tier1m: nothing on the clients' path stops with one AZ", async () => {
        const findings = azLossFindings(await recordStack("tier1m"));
        expect(singlePoints(findings, true)).to.deep.equal([]);
        expect(findings.filter((f) => f.serving).map((f) => f.what)).to.include.members([
            "public load balancer",
            "NAT gateways",
            "web tier (Auto Scaling group)",
            "database (db.<zone> on RDS)",
            "cache (ElastiCache)",
            "queues (SQS)",
        ]);
        expect(findings.filter((f) => !f.serving && !f.singlePoint).map((f) => f.what)).to.include.members([
            "log search (OpenSearch)",
            "log intake (Logstash)",
        ]);
    });

    it("finds a broker quorum lost when two of three nodes share an AZ", () => {
        const findings = azLossFindings(
            synthetic(
                instance("mq-0", "rabbitmq", "subnet-private-0"),
                instance("mq-1", "rabbitmq", "subnet-private-0"),
                instance("mq-2", "rabbitmq", "subnet-private-1"),
            ),
        );
        expect(findings.find((f) => f.what === "broker (RabbitMQ)")).to.include({
            singlePoint: true,
            detail: "3 node(s); 1 left after the worst AZ loss, quorum needs 2",
        });
    });

    it("finds web servers all in one AZ a single point, and a lone cache node", () => {
        const findings = azLossFindings(
            synthetic(
                instance("web-0", "web", "subnet-private-0"),
                instance("web-1", "web", "subnet-private-0"),
                instance("cache-0", "memcached", "subnet-private-2"),
            ),
        );
        expect(singlePoints(findings, true)).to.include.members([
            "web tier (fixed instances)",
            "cache (memcached nodes)",
        ]);
    });

    it("reads as a plan section, clients' path first", () => {
        const text = formatAzLoss([
            { what: "a", serving: true, singlePoint: true, detail: "x" },
            { what: "b", serving: false, singlePoint: false, detail: "y" },
        ]);
        expect(text).to.equal(
            [
                "losing one AZ, on the clients' path:",
                "  SINGLE POINT  a: x",
                "internal (clients do not notice):",
                "  survives      b: y",
            ].join("\n"),
        );
    });
});
