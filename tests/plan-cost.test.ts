/**
 * The cost estimate: small hand-built recordings priced with a hand-made
 * table match a hand computation to the cent, and what the table lacks is
 * reported, never priced at zero, and turns the totals into a lower bound.
 * Every shipped stack is priced completely in each region of the table, from
 * sourced figures, within the band docs/cost.md documents.
 */
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { DEFAULT_ASSUMPTIONS, estimateCost, formatCost } from "../plan/cost";
import { PROJECT_ROOT, RecordedResource, Recording } from "../plan/evaluate";
import { PRICES, PriceTable, pricePaths, sourceOf } from "../plan/prices";
import { STACKS, recordStack } from "./harness";

function resource(name: string, type: string, inputs: Record<string, unknown>, component = "c:m:A"): RecordedResource {
    return {
        urn: `urn:${type}::${name}`,
        type,
        name,
        component,
        custom: type !== "awsx:ec2:Vpc",
        inputs,
        protect: false,
        retainOnDelete: false,
        deleteBeforeReplace: false,
        ignoreChanges: [],
        dependsOn: [],
        aliases: [],
    };
}

const TABLE: PriceTable = {
    ...PRICES,
    regions: {
        "test-1": {
            ...PRICES.regions["us-east-1"],
            ec2Hourly: { "t3.medium": 0.05, "c7i.large": 0.1 },
            gp3: { gbMonth: 0.1, iopsMonth: 0.006, throughputMonth: 0.05 },
            natGatewayHourly: 0.06,
            natGatewayPerGb: 0.06,
            publicIpv4Hourly: 0.005,
            albHourly: 0.02,
            albLcuHourly: 0.01,
            interfaceEndpointHourly: 0.01,
            route53HostedZoneMonthly: 0.5,
            secretMonthly: 0.4,
            dataTransferOutPerGb: 0.1,
        },
    },
};

const subnets = ["s-0", "s-1", "s-2"];
const small: Recording = {
    stack: "small",
    config: { "aws:region": "test-1" },
    outputs: {},
    warnings: [],
    resources: [
        // 0.05 x 730 = 36.50, root 20 GB x 0.1 = 2.00
        resource("web-0", "aws:ec2/instance:Instance", {
            instanceType: "t3.medium",
            rootBlockDevice: { volumeSize: 20, volumeType: "gp3" },
        }),
        // 500 x 0.1 + 3000 extra IOPS x 0.006 + 125 extra MiB/s x 0.05 = 50 + 18 + 6.25
        resource("data", "aws:ebs/volume:Volume", { type: "gp3", size: 500, iops: 6000, throughput: 250 }, "c:m:B"),
        // 3 NAT x 0.06 x 730 = 131.40, 3 public IPv4 x 0.005 x 730 = 10.95
        resource("vpc", "awsx:ec2:Vpc", {
            availabilityZoneNames: ["a", "b", "c"],
            natGateways: { strategy: "OnePerAz" },
        }),
        // 0.02 x 730 = 14.60, 3 public IPv4 = 10.95
        resource("alb", "aws:lb/loadBalancer:LoadBalancer", { loadBalancerType: "application", subnets }),
        // 0.01 x 730 x 3 AZs = 21.90
        resource("ssm", "aws:ec2/vpcEndpoint:VpcEndpoint", { vpcEndpointType: "Interface", subnetIds: subnets }),
        resource("zone", "aws:route53/zone:Zone", {}),
        resource("secret", "aws:secretsmanager/secret:Secret", {}),
        resource("role", "aws:iam/role:Role", {}),
        resource("big", "aws:ec2/instance:Instance", {
            instanceType: "x9.huge",
            rootBlockDevice: { volumeSize: 10, volumeType: "gp3" },
        }),
        resource("stream", "aws:kinesis/stream:Stream", {}),
        resource("web-lt", "aws:ec2/launchTemplate:LaunchTemplate", {
            instanceType: "c7i.large",
            blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: 20, volumeType: "gp3" } }],
        }),
        // 3 x (0.1 x 730 + 20 GB x 0.1) = 225.00, priced at its minimum
        resource("web-asg", "aws:autoscaling/group:Group", {
            minSize: 3,
            maxSize: 12,
            launchTemplate: { id: "web-lt-id", version: "1" },
        }),
    ],
};

const cents = (usd: number) => Math.round(usd * 100) / 100;

describe("estimateCost", () => {
    const cost = estimateCost(small, {
        prices: TABLE,
        clients: 1000,
        assumptions: { ...DEFAULT_ASSUMPTIONS, responseMbPerClient: 50, natMbPerClient: 2 },
    });

    it("prices fixed costs exactly", () => {
        // 38.50 + 74.25 + 142.35 + 25.55 + 21.90 + 0.50 + 0.40, plus the unknown instance's root volume 1.00,
        // plus the group at its minimum, 225.00
        expect(cents(cost.fixedUsd)).to.equal(529.45);
        expect(
            cents(cost.fixed.filter((l) => l.name === "web-asg").reduce((sum, l) => sum + l.monthlyUsd, 0)),
        ).to.equal(225);
        expect(cents(cost.byComponent["c:m:B"].fixedUsd)).to.equal(74.25);
    });

    it("reports what the table lacks instead of pricing it at zero", () => {
        expect(cost.unpriced.map((u) => [u.name, u.missing])).to.deep.equal([
            ["big", 'ec2Hourly["x9.huge"] in test-1'],
            ["stream", "no price for type aws:kinesis/stream:Stream"],
        ]);
        expect(cost.fixed.filter((l) => l.name === "stream")).to.deep.equal([]);
    });

    it("computes usage from the stated assumptions, apart from fixed costs", () => {
        const usage = Object.fromEntries(cost.usage.map((u) => [u.item.split(" (")[0], cents(u.monthlyUsd)]));
        // 50 GB out: 50 LCU-hours (1 GB/h per LCU dominates) x 0.01, 50 GB x 0.1; NAT 2 GB x 0.06;
        // 20 MB per client across AZs, billed on both sides: 40 GB x 0.01
        expect(usage).to.deep.equal({
            "ALB LCUs": 0.5,
            "data transfer out": 5,
            "NAT data processed": 0.12,
            "inter-AZ transfer": 0.4,
        });
        expect(cents(cost.usageUsd)).to.equal(6.02);
        expect(cents(cost.per1000ClientsUsd!)).to.equal(535.47);
    });

    it("reports every resource of an unknown region", () => {
        const elsewhere = estimateCost({ ...small, config: { "aws:region": "mars-1" } }, { prices: TABLE });
        expect(elsewhere.unpriced).to.have.length(small.resources.length);
        expect(elsewhere.fixedUsd).to.equal(0);
    });
});

describe("estimateCost of managed services", () => {
    const table: PriceTable = {
        ...TABLE,
        regions: {
            "test-1": {
                ...TABLE.regions["test-1"],
                rdsMysqlHourly: { "db.r7g.2xlarge": 1 },
                rdsGp3: { gbMonth: 0.1, iopsMonth: 0.02, throughputMonth: 0.08 },
                rdsPerformanceInsightsVcpuMonth: 2,
                opensearchHourly: { "r7g.xlarge.search": 0.5, "m7g.large.search": 0.2 },
                opensearchGp3GbMonth: 0.1,
                elasticacheNodeHourly: { "cache.r7g.xlarge": 0.4 },
                nlbHourly: 0.03,
                highResolutionAlarmMonthly: 0.3,
                metricMonthly: 0.3,
            },
        },
    };
    const agentConfig = {
        metrics: {
            metrics_collected: {
                mem: { measurement: ["mem_used_percent"] },
                disk: { measurement: ["used_percent"], resources: ["/", "/data/mysql"] },
            },
        },
    };
    const managed: Recording = {
        ...small,
        resources: [
            // 2 x 1 x 730 = 1460; storage 2 x (1000 GB x 0.1 + 3000 IOPS above the 12,000 included x 0.02) = 320;
            // Performance Insights 31 days: 2 x 8 vCPU x 2 = 32
            resource("primary", "aws:rds/instance:Instance", {
                identifier: "app-db",
                instanceClass: "db.r7g.2xlarge",
                multiAz: true,
                allocatedStorage: 1000,
                storageType: "gp3",
                iops: 15000,
                performanceInsightsEnabled: true,
                performanceInsightsRetentionPeriod: 31,
            }),
            // Single-AZ with its source's storage: 730 + 160 + 8 x 2
            resource("replica", "aws:rds/instance:Instance", {
                instanceClass: "db.r7g.2xlarge",
                replicateSourceDb: "app-db",
                performanceInsightsEnabled: true,
                performanceInsightsRetentionPeriod: 31,
            }),
            // 3 x 0.5 x 730 + 3 masters x 0.2 x 730 + 3 x 500 GB x 0.1 = 1095 + 438 + 150
            resource("search", "aws:opensearch/domain:Domain", {
                clusterConfig: {
                    instanceType: "r7g.xlarge.search",
                    instanceCount: 3,
                    dedicatedMasterEnabled: true,
                    dedicatedMasterType: "m7g.large.search",
                    dedicatedMasterCount: 3,
                    multiAzWithStandbyEnabled: true,
                },
                ebsOptions: { ebsEnabled: true, volumeSize: 500, volumeType: "gp3" },
            }),
            // 3 x 0.4 x 730 = 876
            resource("cache", "aws:elasticache/cluster:Cluster", { nodeType: "cache.r7g.xlarge", numCacheNodes: 3 }),
            // internal: 0.03 x 730 = 21.90 and no public address
            resource("intake", "aws:lb/loadBalancer:LoadBalancer", {
                loadBalancerType: "network",
                internal: true,
                subnets,
            }),
            // a 10-second period: 0.30
            resource("fast", "aws:cloudwatch/metricAlarm:MetricAlarm", { period: 10 }),
            // 0.05 x 730 + 20 GB x 0.1 + (7 detailed monitoring + 3 agent metrics) x 0.3 = 36.5 + 2 + 3
            resource("db-0", "aws:ec2/instance:Instance", {
                instanceType: "t3.medium",
                monitoring: true,
                rootBlockDevice: { volumeSize: 20, volumeType: "gp3" },
                tags: { role: "mysql-primary" },
            }),
            resource("agent", "aws:ssm/parameter:Parameter", {
                name: "AmazonCloudWatch-scale-tiers-test-mysql",
                value: JSON.stringify(agentConfig),
            }),
        ],
    };
    const cost = estimateCost(managed, { prices: table, clients: 1000 });
    const fixedOf = (name: string) =>
        cents(cost.fixed.filter((l) => l.name === name).reduce((total, l) => total + l.monthlyUsd, 0));

    it("prices Multi-AZ RDS twice, a replica with its source's storage, IOPS above gp3's and Performance Insights", () => {
        expect(fixedOf("primary")).to.equal(1812);
        expect(fixedOf("replica")).to.equal(906);
    });

    it("prices OpenSearch's data nodes, dedicated masters and storage, ElastiCache's nodes", () => {
        expect(fixedOf("search")).to.equal(1683);
        expect(fixedOf("cache")).to.equal(876);
    });

    it("prices an NLB, a high-resolution alarm and a server's CloudWatch metrics", () => {
        expect(fixedOf("intake")).to.equal(21.9);
        expect(fixedOf("fast")).to.equal(0.3);
        expect(fixedOf("db-0")).to.equal(41.5);
        expect(cost.unpriced).to.deep.equal([]);
        expect(cents(cost.fixedUsd)).to.equal(5340.7);
    });
});

describe("formatCost", () => {
    it("prints totals with anything unpriced as a lower bound, loudly", () => {
        const text = formatCost(estimateCost(small, { prices: TABLE, clients: 1000 }));
        expect(text).to.match(/= AT LEAST \$535\.47 \(LOWER BOUND: 2 item\(s\) UNPRICED/);
        expect(text).to.match(/UNPRICED, NOT IN THE TOTALS ABOVE, WHICH ARE A LOWER BOUND/);
    });

    it("prints a plain total when everything is priced", () => {
        const priced = { ...small, resources: small.resources.filter((r) => !["big", "stream"].includes(r.name)) };
        const text = formatCost(estimateCost(priced, { prices: TABLE, clients: 1000 }));
        expect(text).to.match(/= \$\d+\.\d\d; \$\d+\.\d\d per 1,000 clients/);
        expect(text).not.to.match(/AT LEAST|UNPRICED/);
    });
});

describe("the price table", () => {
    const regions = ["ap-northeast-2", "us-east-1", "eu-west-1"];

    it("has every region the stacks may use", () => {
        expect(Object.keys(PRICES.regions)).to.include.members(regions);
    });

    for (const region of Object.keys(PRICES.regions)) {
        it(`names a dated source for every figure of ${region}`, () => {
            const unsourced = Object.keys(pricePaths(PRICES.regions[region])).filter((p) => {
                const source = sourceOf(PRICES, region, p);
                return source === undefined || !/^\d{4}-\d{2}/.test(source.date);
            });
            expect(unsourced).to.deep.equal([]);
            const ids = Object.values(PRICES.provenance[region]);
            expect(ids.filter((id) => PRICES.sources[id] === undefined)).to.deep.equal([]);
        });
    }
});

describe("the shipped stacks' cost", () => {
    /** The bands docs/cost.md documents, by stack. */
    function documentedBands(): Map<string, [number, number]> {
        const text = fs.readFileSync(path.join(PROJECT_ROOT, "docs", "cost.md"), "utf8");
        const rows = [...text.matchAll(/^\| (\S+)\s+\| (\d+)\s+\| (\d+)\s+\|$/gm)];
        return new Map(rows.map((row) => [row[1], [Number(row[2]), Number(row[3])]]));
    }

    for (const stack of STACKS) {
        it(`prices everything of ${stack} in ap-northeast-2, us-east-1 and eu-west-1`, async () => {
            const recording = await recordStack(stack);
            for (const region of ["ap-northeast-2", "us-east-1", "eu-west-1"]) {
                const cost = estimateCost(recording, { region });
                expect(cost.unpriced, region).to.deep.equal([]);
                expect(cost.complete).to.equal(true);
                expect(cost.usageUsd, region).to.be.greaterThan(0);
            }
        });

        it(`keeps ${stack}'s monthly cost in the band docs/cost.md gives`, async () => {
            const band = documentedBands().get(stack);
            expect(band, `docs/cost.md has no band for ${stack}`).not.to.equal(undefined);
            const total = estimateCost(await recordStack(stack)).totalUsd;
            expect(total).to.be.within(band![0], band![1]);
        });
    }
});

describe("estimateCost of what a migration leaves", () => {
    it("prices a retired server's final snapshot at its volume's size, and DMS's endpoints and tasks as free", () => {
        const recording: Recording = {
            ...small,
            resources: [
                resource("data", "aws:ebs/volume:Volume", { type: "gp3", size: 500 }),
                // 500 GB x 0.05
                resource("data-final", "aws:ebs/snapshot:Snapshot", { volumeId: "data-id" }),
                resource("source", "aws:dms/endpoint:Endpoint", {}),
                resource("forward", "aws:dms/replicationTask:ReplicationTask", {}),
            ],
        };
        const cost = estimateCost(recording, { prices: TABLE });
        expect(cost.unpriced).to.deep.equal([]);
        expect(cost.fixed.filter((l) => l.name === "data-final").map((l) => cents(l.monthlyUsd))).to.deep.equal([25]);
    });
});

describe("estimateCost's reading of its sources and of a deployed group", () => {
    it("counts what rests on figures whose source is not checked", () => {
        const table: PriceTable = {
            ...TABLE,
            provenance: { "test-1": { "*": "aws-pages-2024-06", natGatewayHourly: "recalled" } },
        };
        const vpcOnly = { ...small, resources: small.resources.filter((r) => r.name === "vpc") };
        const cost = estimateCost(vpcOnly, { prices: table });
        // 3 NAT gateways x 0.06 x 730 rest on the recalled figure; their addresses do not.
        expect(cents(cost.uncheckedUsd)).to.equal(131.4);
        expect(cents(cost.fixedUsd)).to.equal(142.35);
    });

    it("prices a group by the one launch template beside it when ids are real ones", () => {
        const deployed = {
            ...small,
            resources: small.resources
                .filter((r) => r.name === "web-lt" || r.name === "web-asg")
                .map((r) =>
                    r.name === "web-asg"
                        ? {
                              ...r,
                              inputs: { ...r.inputs, launchTemplate: { id: "lt-0123456789abcdef0", version: "1" } },
                          }
                        : r,
                ),
        };
        const cost = estimateCost(deployed, { prices: TABLE });
        expect(cost.unpriced).to.deep.equal([]);
        expect(cents(cost.fixedUsd)).to.equal(225);
    });
});
