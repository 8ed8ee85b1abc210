/**
 * The cost estimate: a small hand-built recording priced with a hand-made
 * table matches a hand computation to the cent, and what the table lacks is
 * reported, never priced at zero.
 */
import { expect } from "chai";
import { DEFAULT_ASSUMPTIONS, estimateCost } from "../plan/cost";
import { RecordedResource, Recording } from "../plan/evaluate";
import { PRICES, PriceTable } from "../plan/prices";

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
        assumptions: { ...DEFAULT_ASSUMPTIONS, responseGbPerClient: 0.05, natGbPerClient: 0.002 },
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
        // 50 GB out: 50 LCU-hours (1 GB/h per LCU dominates) x 0.01, 50 GB x 0.1; NAT 2 GB x 0.06
        expect(usage).to.deep.equal({ "ALB LCUs": 0.5, "data transfer out": 5, "NAT data processed": 0.12 });
        expect(cents(cost.usageUsd)).to.equal(5.62);
        expect(cents(cost.per1000ClientsUsd!)).to.equal(535.07);
    });

    it("reports every resource of an unknown region", () => {
        const elsewhere = estimateCost({ ...small, config: { "aws:region": "mars-1" } }, { prices: TABLE });
        expect(elsewhere.unpriced).to.have.length(small.resources.length);
        expect(elsewhere.fixedUsd).to.equal(0);
    });
});
