/**
 * What stops if one Availability Zone is lost, read from the resources the
 * program created for a stack under mocks (never from config). Pure functions;
 * subnets are told apart by the ids the mocks give them, in AZ order.
 *
 * A finding is a single point when losing the wrong AZ takes the thing down
 * until someone acts (or the AZ returns). Findings on the clients' path are
 * kept apart from internal ones (CI, team tools), which clients never notice.
 */
import { withRole } from "./capabilities";
import { RecordedResource, Recording } from "./evaluate";
import { mockSubnetIds } from "./mocks";

export interface AzLossFinding {
    /** What is examined, e.g. `database (db.<zone>)`. */
    readonly what: string;
    /** True when clients are served through it. */
    readonly serving: boolean;
    /** True when losing one AZ can stop it until someone acts. */
    readonly singlePoint: boolean;
    /** What happens, in a sentence. */
    readonly detail: string;
}

const TYPES = {
    vpc: "awsx:ec2:Vpc",
    loadBalancer: "aws:lb/loadBalancer:LoadBalancer",
    group: "aws:autoscaling/group:Group",
    record: "aws:route53/record:Record",
    rds: "aws:rds/instance:Instance",
    cacheCluster: "aws:elasticache/cluster:Cluster",
    queue: "aws:sqs/queue:Queue",
    domain: "aws:opensearch/domain:Domain",
} as const;

const WEB_COMPONENT = "scale-tiers:compute:WebTier";
const INTERNAL_ROLES = ["jenkins", "jira", "wiki", "cms"];

/** The AZ index of a subnet id; the subnet lists are in AZ order. */
function azOfSubnet(subnetId: unknown, subnetIds: readonly string[]): number {
    return subnetIds.indexOf(String(subnetId));
}

/** How many of `placements` (AZ indexes) are left when the most crowded AZ goes. */
function leftAfterWorstAz(placements: readonly number[]): number {
    const perAz = new Map<number, number>();
    placements.forEach((az) => perAz.set(az, (perAz.get(az) ?? 0) + 1));
    return placements.length - Math.max(0, ...perAz.values());
}

function natFinding(vpc: RecordedResource): AzLossFinding {
    const strategy = (vpc.inputs.natGateways as { strategy?: string } | undefined)?.strategy;
    return strategy === "Single"
        ? {
              what: "NAT gateway",
              serving: true,
              singlePoint: true,
              detail: "one NAT gateway: with its AZ, every private subnet loses egress (secrets, packages, releases), so no server can boot or take a deploy; running servers keep serving",
          }
        : {
              what: "NAT gateways",
              serving: true,
              singlePoint: false,
              detail: "one NAT gateway per AZ: the other AZs keep their own egress",
          };
}

function webFinding(resources: readonly RecordedResource[], privateSubnets: readonly string[]): AzLossFinding {
    const group = resources.find((r) => r.type === TYPES.group && r.component === WEB_COMPONENT);
    if (group) {
        const zones = (group.inputs.vpcZoneIdentifiers as string[] | undefined) ?? [];
        return {
            what: "web tier (Auto Scaling group)",
            serving: true,
            singlePoint: zones.length < 2,
            detail: `spans ${zones.length} AZs; the group replaces lost instances in the others`,
        };
    }
    const placements = withRole("web")(resources).map((i) => azOfSubnet(i.inputs.subnetId, privateSubnets));
    const left = leftAfterWorstAz(placements);
    return {
        what: "web tier (fixed instances)",
        serving: true,
        singlePoint: left === 0,
        detail: `${placements.length} server(s) over ${new Set(placements).size} AZ(s); ${left} keep serving after the worst AZ loss, with that share of capacity, until servers are added by config`,
    };
}

function databaseFinding(resources: readonly RecordedResource[]): AzLossFinding {
    const record = resources.find((r) => r.type === TYPES.record && r.name === "db-dns");
    if (record?.inputs.type === "CNAME") {
        const primary = resources.find((r) => r.type === TYPES.rds && r.inputs.replicateSourceDb === undefined);
        const multiAz = primary?.inputs.multiAz === true;
        return {
            what: "database (db.<zone> on RDS)",
            serving: true,
            singlePoint: !multiAz,
            detail: multiAz
                ? "RDS Multi-AZ fails over to its standby in another AZ in one to two minutes; the endpoint stays"
                : "single-AZ RDS: restored from backup in another AZ",
        };
    }
    const replica = withRole("mysql-replica")(resources).length > 0;
    return {
        what: "database (db.<zone> on self-managed MySQL)",
        serving: true,
        singlePoint: true,
        detail: replica
            ? "writes stop with the primary's AZ until the manual failover to the replica in another AZ (docs/tier150k.md); reads go on from db-read"
            : "the one server holds all data: the estate stops until the volume is restored from snapshot in another AZ",
    };
}

function cacheFinding(resources: readonly RecordedResource[], privateSubnets: readonly string[]): AzLossFinding[] {
    const cluster = resources.find((r) => r.type === TYPES.cacheCluster);
    if (cluster) {
        const zones = new Set((cluster.inputs.preferredAvailabilityZones as string[] | undefined) ?? []);
        return [
            {
                what: "cache (ElastiCache)",
                serving: true,
                singlePoint: cluster.inputs.azMode !== "cross-az" || zones.size < 2,
                detail: `nodes over ${zones.size} AZs; the keys of the lost nodes miss and refill from the database`,
            },
        ];
    }
    const placements = withRole("memcached")(resources).map((i) => azOfSubnet(i.inputs.subnetId, privateSubnets));
    if (placements.length === 0) {
        return [];
    }
    return [
        {
            what: "cache (memcached nodes)",
            serving: true,
            singlePoint: leftAfterWorstAz(placements) === 0,
            detail: `${placements.length} node(s) over ${new Set(placements).size} AZ(s); the keys of the lost nodes miss and refill from the database`,
        },
    ];
}

function messagingFindings(resources: readonly RecordedResource[], privateSubnets: readonly string[]): AzLossFinding[] {
    const findings: AzLossFinding[] = [];
    const placements = withRole("rabbitmq")(resources).map((i) => azOfSubnet(i.inputs.subnetId, privateSubnets));
    if (placements.length > 0) {
        const quorum = Math.floor(placements.length / 2) + 1;
        const left = leftAfterWorstAz(placements);
        findings.push({
            what: "broker (RabbitMQ)",
            serving: true,
            singlePoint: left < quorum,
            detail: `${placements.length} node(s); ${left} left after the worst AZ loss, quorum needs ${quorum}`,
        });
    }
    if (resources.some((r) => r.type === TYPES.queue)) {
        findings.push({
            what: "queues (SQS)",
            serving: true,
            singlePoint: false,
            detail: "SQS is regional: it stores every message across several AZs",
        });
    }
    return findings;
}

function loggingFindings(resources: readonly RecordedResource[]): AzLossFinding[] {
    const domain = resources.find((r) => r.type === TYPES.domain);
    if (!domain) {
        return [];
    }
    const cluster = (domain.inputs.clusterConfig ?? {}) as {
        zoneAwarenessEnabled?: boolean;
        zoneAwarenessConfig?: { availabilityZoneCount?: number };
    };
    const zones = cluster.zoneAwarenessEnabled ? (cluster.zoneAwarenessConfig?.availabilityZoneCount ?? 2) : 1;
    const logstash = resources.find((r) => r.type === TYPES.group && r.component !== WEB_COMPONENT);
    const logstashZones = ((logstash?.inputs.vpcZoneIdentifiers as string[] | undefined) ?? []).length;
    return [
        {
            what: "log search (OpenSearch)",
            serving: false,
            singlePoint: zones < 2,
            detail: `zone awareness over ${zones} AZ(s): replica shards in another AZ take over`,
        },
        {
            what: "log intake (Logstash)",
            serving: false,
            singlePoint: logstashZones < 2,
            detail: `Auto Scaling group over ${logstashZones} AZ(s) behind an internal load balancer`,
        },
    ];
}

function internalFindings(resources: readonly RecordedResource[]): AzLossFinding[] {
    return INTERNAL_ROLES.flatMap((tool) =>
        withRole(tool)(resources).map(() => ({
            what: `${tool} (one server)`,
            serving: false,
            singlePoint: true,
            detail: "down with its AZ; its data volume is snapshotted and can be restored in another AZ",
        })),
    );
}

/** Every finding for a recorded stack, clients' path first. */
export function azLossFindings(recording: Recording): AzLossFinding[] {
    const resources = recording.resources;
    const vpc = resources.find((r) => r.type === TYPES.vpc);
    const privateSubnets = vpc ? mockSubnetIds(vpc.inputs, "Private") : [];
    const loadBalancer = resources.find((r) => r.type === TYPES.loadBalancer && r.inputs.internal === false);
    const findings: AzLossFinding[] = [
        {
            what: "public load balancer",
            serving: true,
            singlePoint: ((loadBalancer?.inputs.subnets as string[] | undefined) ?? []).length < 2,
            detail: "an ALB node in every public subnet; DNS stops naming the lost AZ's node",
        },
        ...(vpc ? [natFinding(vpc)] : []),
        webFinding(resources, privateSubnets),
        databaseFinding(resources),
        ...cacheFinding(resources, privateSubnets),
        ...messagingFindings(resources, privateSubnets),
        ...loggingFindings(resources),
        ...internalFindings(resources),
    ];
    return [...findings.filter((f) => f.serving), ...findings.filter((f) => !f.serving)];
}

export function formatAzLoss(findings: readonly AzLossFinding[]): string {
    const line = (f: AzLossFinding) => `  ${f.singlePoint ? "SINGLE POINT" : "survives    "}  ${f.what}: ${f.detail}`;
    const serving = findings.filter((f) => f.serving);
    const internal = findings.filter((f) => !f.serving);
    return [
        "losing one AZ, on the clients' path:",
        ...serving.map(line),
        ...(internal.length > 0 ? ["internal (clients do not notice):", ...internal.map(line)] : []),
    ].join("\n");
}
