/**
 * ElastiCache for Memcached: the pure helpers, tier1m's cluster under mocks,
 * and the draining switch that runs it beside the EC2 nodes (and the same
 * switch's refusal for RabbitMQ beside SQS).
 */
import { expect } from "chai";
import {
    ELASTICACHE_MAINTENANCE_WINDOW,
    MEMCACHED_PORT,
    cacheNodeList,
    memcachedNodeList,
    spreadOverZones,
} from "../components/cache";
import { mockPrivateIp } from "../plan/mocks";
import {
    byRole,
    configPatched,
    evaluate,
    input,
    named,
    ofType,
    PROMOTED_TO_1M,
    Recording,
    recordStack,
    refusal,
    stackConfig,
    reached,
} from "./harness";

const AZS = ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"];
const CLUSTER = "aws:elasticache/cluster:Cluster";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";

function cacheNodesParameter(recording: Recording) {
    return ofType(recording, "aws:ssm/parameter:Parameter").find(
        (p) => input(p, "name") === `/scale-tiers/${recording.stack}/app/cache-nodes`,
    );
}

describe("cache helpers", () => {
    it("lists nodes as host:port, comma-separated, in node order", () => {
        expect(
            cacheNodeList([
                { address: "c.abc.0001.apne2.cache.amazonaws.com", port: 11211 },
                { address: "c.abc.0002.apne2.cache.amazonaws.com", port: 11211 },
            ]),
        ).to.equal("c.abc.0001.apne2.cache.amazonaws.com:11211,c.abc.0002.apne2.cache.amazonaws.com:11211");
        expect(memcachedNodeList(["10.40.1.5", "10.40.2.6"])).to.equal("10.40.1.5:11211,10.40.2.6:11211");
        expect(cacheNodeList([])).to.equal("");
    });

    it("spreads nodes round-robin over the AZs", () => {
        expect(spreadOverZones(AZS, 2)).to.deep.equal(["ap-northeast-2a", "ap-northeast-2b"]);
        expect(spreadOverZones(AZS, 5)).to.deep.equal([...AZS, "ap-northeast-2a", "ap-northeast-2b"]);
        expect(spreadOverZones(["x", "y"], 4)).to.deep.equal(["x", "y", "x", "y"]);
        expect(() => spreadOverZones([], 2)).to.throw(/at least one availability zone/);
    });

    it("only appends AZs when the cluster grows, so existing nodes are never asked to move", () => {
        for (let count = 1; count < 40; count++) {
            expect(spreadOverZones(AZS, count + 1).slice(0, count)).to.deep.equal(spreadOverZones(AZS, count));
        }
    });
});

describe("tier1m: ElastiCache for Memcached (mocks)", () => {
    let recording: Recording;
    before(async () => {
        recording = await recordStack("tier1m");
    });

    it("runs memcached over three AZs, TLS only, sized from config", () => {
        const config = JSON.parse(stackConfig("tier1m")["scale-tiers:elasticache"]) as {
            nodeType: string;
            nodeCount: number;
        };
        const cluster = named(recording, CLUSTER, "cache-cluster");
        expect(cluster.inputs).to.deep.include({
            engine: "memcached",
            engineVersion: "1.6.22",
            nodeType: config.nodeType,
            numCacheNodes: config.nodeCount,
            port: MEMCACHED_PORT,
            azMode: "cross-az",
            preferredAvailabilityZones: AZS,
            transitEncryptionEnabled: true,
            maintenanceWindow: ELASTICACHE_MAINTENANCE_WINDOW,
            applyImmediately: true,
            securityGroupIds: ["cache-cluster-sg-id"],
        });
        expect(input(cluster, "tags")).to.include({ stack: "tier1m", component: "cache", Name: "cache-cluster" });
        expect(cluster.parent).to.match(/scale-tiers:cache:Cache::cache$/);
        expect(ofType(recording, CLUSTER)).to.have.length(1);
    });

    it("puts the cluster in the private subnets", () => {
        const subnetGroup = named(recording, "aws:elasticache/subnetGroup:SubnetGroup", "cache-cluster-subnets");
        expect(input(subnetGroup, "subnetIds")).to.deep.equal([
            "subnet-private-0",
            "subnet-private-1",
            "subnet-private-2",
        ]);
        expect(input(subnetGroup, "tags")).to.include({ stack: "tier1m", component: "cache" });
    });

    it("opens 11211 to the web servers only, and the cluster has no egress", () => {
        const group = named(recording, "aws:ec2/securityGroup:SecurityGroup", "cache-cluster-sg");
        expect(input(group, "vpcId")).to.match(/^vpc-/);
        const ingress = ofType(recording, INGRESS).filter((r) => input(r, "securityGroupId") === "cache-cluster-sg-id");
        expect(ingress.map((r) => r.inputs)).to.deep.equal([
            {
                securityGroupId: "cache-cluster-sg-id",
                referencedSecurityGroupId: "network-web-sg-id",
                ipProtocol: "tcp",
                fromPort: MEMCACHED_PORT,
                toPort: MEMCACHED_PORT,
                description: "ElastiCache memcached from clients",
                tags: { project: "scale-tiers", stack: "tier1m", "managed-by": "pulumi", component: "cache" },
            },
        ]);
        const egress = ofType(recording, EGRESS);
        expect(egress.filter((r) => input(r, "securityGroupId") === "cache-cluster-sg-id")).to.deep.equal([]);
        const webOut = egress.find((r) => input(r, "referencedSecurityGroupId") === "cache-cluster-sg-id")!;
        expect(webOut.inputs).to.include({ securityGroupId: "network-web-sg-id", fromPort: MEMCACHED_PORT });
    });

    it("runs no memcached nodes, and so no memcached role, agent config or EC2 evictions alarm", () => {
        expect(byRole(recording, "memcached")).to.deep.equal([]);
        expect(recording.resources.filter((r) => /^cache-(sg|role|\d+)$/.test(r.name))).to.deep.equal([]);
        const names = recording.resources.map((r) => r.name);
        expect(names).not.to.include("monitoring-memcached-logs");
        expect(names).not.to.include("monitoring-cache-evictions");
    });

    it("publishes the cluster's nodes to the web servers, and that they speak TLS", () => {
        const tls = ofType(recording, "aws:ssm/parameter:Parameter").find(
            (p) => input(p, "name") === "/scale-tiers/tier1m/app/cache-tls",
        );
        expect(input(tls!, "value")).to.equal("true");
        const entries = input<string>(cacheNodesParameter(recording)!, "value").split(",");
        expect(entries).to.deep.equal(
            ["0001", "0002", "0003"].map((node) => `cache-cluster-mock.${node}.mock.cache.amazonaws.com:11211`),
        );
    });
});

describe("a managed service beside the self-managed one it replaces", () => {
    const cases: [old: string, patch: Record<string, unknown>, managed: string][] = [
        ["memcached", { enabled: true }, "elasticache"],
        ["rabbitmq", { draining: false }, "sqs"],
    ];
    for (const [old, patch, managed] of cases) {
        it(`refuses ${old} beside ${managed} unless it drains`, () => {
            expect(refusal(configPatched(PROMOTED_TO_1M, `scale-tiers:${old}`, patch), "tier1m")).to.contain(
                `scale-tiers:${old}: is enabled alongside ${managed}, and the web tier can use only one`,
            );
        });
    }
});

describe("moving from the memcached nodes to ElastiCache (mocks)", () => {
    it("keeps the nodes while they drain, and points the web tier at ElastiCache", async () => {
        const recording = await evaluate(
            "tier1m",
            reached(configPatched(PROMOTED_TO_1M, "scale-tiers:memcached", { enabled: true, draining: true })),
        );
        const nodes = byRole(recording, "memcached");
        expect(nodes.map((n) => n.name)).to.deep.equal(["cache-0", "cache-1"]);
        nodes.forEach((node) => expect(input(node, "vpcSecurityGroupIds")).to.deep.equal(["cache-sg-id"]));
        expect(ofType(recording, CLUSTER).map((c) => c.name)).to.deep.equal(["cache-cluster"]);
        // Both groups admit the web tier, so switching back is a config change only.
        const ingress = ofType(recording, INGRESS).filter((r) => input(r, "fromPort") === MEMCACHED_PORT);
        expect(
            ingress.map(
                (r) => `${input<string>(r, "securityGroupId")}<${input<string>(r, "referencedSecurityGroupId")}`,
            ),
        ).to.have.members(["cache-sg-id<network-web-sg-id", "cache-cluster-sg-id<network-web-sg-id"]);
        // The web tier uses the cluster; the draining nodes are only kept.
        const published = input<string>(cacheNodesParameter(recording)!, "value");
        expect(published).to.match(/^cache-cluster-mock\.0001\./);
        expect(published).not.to.contain(mockPrivateIp(nodes[0].name));
    });
});
