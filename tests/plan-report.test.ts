/**
 * The plan of each real stack: its capabilities and nothing of a higher tier,
 * every resource priced, a critical path, and the committed diagram up to date.
 */
import { expect } from "chai";
import * as fs from "fs";
import { capabilities } from "../plan/capabilities";
import { diagramMarkdown } from "../plan/diagram";
import { RecordedResource, Recording } from "../plan/evaluate";
import { diagramPath, formatStackReport, stackReport } from "../plan/main";
import { STACKS, recordStack } from "./harness";

/** What the design gives each tier (README's capability table); the rest belongs to a higher tier. */
const BASE = ["VPC", "public LB", "HTTPS", "web tier", "MySQL"];
const TIER150K = [...BASE, "WAF", "replication", "cache", "messaging", "CloudWatch", "Jenkins", "Jira", "wiki", "CMS"];
const DESIGN: Record<string, string[]> = {
    tier30k: BASE,
    tier150k: TIER150K,
    tier1m: [...TIER150K, "ELK", "Auto Scaling", "RDS", "DMS", "SQS", "ElastiCache"],
};

function resource(name: string, type: string, inputs: Record<string, unknown> = {}): RecordedResource {
    return {
        urn: `urn:${name}`,
        type,
        name,
        custom: true,
        inputs,
        protect: false,
        retainOnDelete: false,
        deleteBeforeReplace: false,
        ignoreChanges: [],
        dependsOn: [],
        aliases: [],
    };
}

describe("capability detectors", () => {
    it("find later tiers' resources by type and role tag", () => {
        const recording: Recording = {
            stack: "s",
            config: {},
            outputs: {},
            warnings: [],
            resources: [
                resource("replica", "aws:ec2/instance:Instance", {
                    instanceType: "r7i.xlarge",
                    tags: { role: "mysql-replica" },
                }),
                resource("mc", "aws:ec2/instance:Instance", { instanceType: "r7i.large", tags: { role: "memcached" } }),
                resource("jenkins", "aws:ec2/instance:Instance", { tags: { role: "jenkins" } }),
                resource("rds", "aws:rds/instance:Instance", { engine: "mysql", instanceClass: "db.r6g.large" }),
                resource("q", "aws:sqs/queue:Queue"),
                resource("alarm", "aws:cloudwatch/metricAlarm:MetricAlarm"),
                resource("logs", "aws:cloudwatch/logGroup:LogGroup"),
            ],
        };
        const present = capabilities(recording).filter((r) => r.present);
        expect(present.map((r) => r.capability)).to.deep.equal([
            "MySQL",
            "replication",
            "cache",
            "messaging",
            "CloudWatch",
            "Jenkins",
            "RDS",
            "SQS",
        ]);
        expect(present.find((r) => r.capability === "MySQL")!.detail).to.equal("RDS db.r6g.large");
    });
});

for (const stack of STACKS) {
    describe(`plan of ${stack} (mocks)`, () => {
        let recording: Recording;
        before(async () => {
            recording = await recordStack(stack);
        });

        it("shows the capabilities built so far and nothing of a higher tier", () => {
            const report = stackReport(recording);
            const present = report.capabilities.filter((r) => r.present).map((r) => r.capability);
            expect(present).to.include.members(BASE);
            expect(DESIGN[stack]).to.include.members(present);
            const text = formatStackReport(report);
            for (const row of report.capabilities) {
                expect(text).to.match(new RegExp(`${row.capability}\\s+${row.present ? "yes" : "-"}`));
            }
        });

        it("prices resources or reports them unpriced, and estimates a first deployment", () => {
            const report = stackReport(recording);
            const unpriced = new Set(report.cost.unpriced.map((u) => u.name));
            const instances = recording.resources.filter((r) => r.type === "aws:ec2/instance:Instance");
            // An instance left unpriced has only its root volume priced, never a zero-cost compute line.
            for (const instance of instances.filter((r) => unpriced.has(r.name))) {
                const lines = report.cost.fixed.filter((l) => l.name === instance.name);
                expect(lines.map((l) => l.basis).join()).not.to.include(String(instance.inputs.instanceType));
            }
            if (unpriced.size > 0) {
                expect(formatStackReport(report)).to.include("UNPRICED");
            }
            expect(report.cost.fixedUsd).to.be.greaterThan(0);
            expect(report.cost.per1000ClientsUsd).to.be.greaterThan(0);
            expect(report.firstDeploy.totalSeconds).to.be.greaterThan(0);
            expect(report.firstDeploy.path[0].type).to.equal("awsx:ec2:Vpc");
        });

        it("has its diagram up to date (npm run plan -- --write-diagrams)", () => {
            const committed = fs.existsSync(diagramPath(stack)) ? fs.readFileSync(diagramPath(stack), "utf8") : "";
            expect(committed, `docs/diagrams/${stack}.md`).to.equal(diagramMarkdown(recording));
        });
    });
}
