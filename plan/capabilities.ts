/**
 * The design's capability table, filled from what the program created for a
 * stack (resource types and the `role` tag of instances), never from
 * config: a capability shows only once code deploys it. Pure functions.
 *
 * Each row names its detection rule; later issues extend a row's detector
 * when they add a way to provide the capability.
 */
import { RecordedResource, Recording, roleOf } from "./evaluate";

export interface CapabilityRow {
    readonly capability: string;
    readonly present: boolean;
    /** What provides it, e.g. `2 x t3.medium`, or "" when absent. */
    readonly detail: string;
    /** How presence is detected. */
    readonly rule: string;
}

interface Detector {
    readonly capability: string;
    readonly rule: string;
    /** The resources that provide the capability (empty: absent). */
    readonly find: (resources: readonly RecordedResource[]) => RecordedResource[];
    readonly describe: (found: RecordedResource[]) => string;
}

const ofType =
    (...types: string[]) =>
    (resources: readonly RecordedResource[]) =>
        resources.filter((r) => types.includes(r.type));

/** Instances (EC2) whose `role` tag matches. */
export const withRole =
    (...roles: string[]) =>
    (resources: readonly RecordedResource[]) =>
        resources.filter((r) => r.type === "aws:ec2/instance:Instance" && roles.includes(roleOf(r)));

const either =
    (...finders: ((resources: readonly RecordedResource[]) => RecordedResource[])[]) =>
    (resources: readonly RecordedResource[]) =>
        finders.flatMap((find) => find(resources));

/** The inputs that size an instance, a database, a cache node or a DMS instance: strings in the providers' schemas. */
interface SizeInputs {
    instanceType?: string;
    instanceClass?: string;
    nodeType?: string;
    replicationInstanceClass?: string;
}

/** `2 x t3.medium` style summary of instances, by instance type (or class, node type). */
function sizes(found: RecordedResource[]): string {
    const counts = new Map<string, number>();
    for (const r of found) {
        const i = r.inputs as SizeInputs;
        const size = i.instanceType ?? i.instanceClass ?? i.nodeType ?? i.replicationInstanceClass ?? r.type;
        counts.set(size, (counts.get(size) ?? 0) + 1);
    }
    return [...counts.entries()].map(([size, n]) => `${n} x ${size}`).join(", ");
}

const count = (noun: string) => (found: RecordedResource[]) => `${found.length} ${noun}`;

const GROUP = "aws:autoscaling/group:Group";
const EC2_RDS = "aws:rds/instance:Instance";
const ELASTICACHE = ["aws:elasticache/cluster:Cluster", "aws:elasticache/replicationGroup:ReplicationGroup"];

/** The rows, in the design's order. */
export const DETECTORS: readonly Detector[] = [
    {
        capability: "VPC",
        rule: "an awsx:ec2:Vpc or aws:ec2/vpc:Vpc",
        find: ofType("awsx:ec2:Vpc", "aws:ec2/vpc:Vpc"),
        describe: (found) =>
            found
                .map((v) => {
                    const azs = (v.inputs.availabilityZoneNames as string[] | undefined)?.length;
                    const nat = (v.inputs.natGateways as { strategy?: string } | undefined)?.strategy;
                    return azs ? `${azs} AZs, NAT ${nat}` : "VPC";
                })
                .join(", "),
    },
    {
        capability: "public LB",
        rule: "an aws:lb/loadBalancer:LoadBalancer with internal not true",
        find: (resources) =>
            ofType("aws:lb/loadBalancer:LoadBalancer")(resources).filter((r) => r.inputs.internal !== true),
        describe: (found) =>
            found.map((r) => `${(r.inputs.loadBalancerType as string | undefined) ?? "application"}`).join(", "),
    },
    {
        capability: "HTTPS",
        rule: "an aws:lb/listener:Listener on 443 with protocol HTTPS",
        find: (resources) =>
            ofType("aws:lb/listener:Listener")(resources).filter(
                (r) => r.inputs.port === 443 && r.inputs.protocol === "HTTPS",
            ),
        describe: (found) => {
            const names = found.length === 1 ? "1 listener" : `${found.length} listeners`;
            return `${names}, TLS policy ${found.map((r) => r.inputs.sslPolicy as string)[0]}`;
        },
    },
    {
        capability: "WAF",
        rule: "an aws:wafv2/webAcl:WebAcl",
        find: ofType("aws:wafv2/webAcl:WebAcl"),
        describe: (found) =>
            found.map((r) => `${(r.inputs.rules as unknown[] | undefined)?.length ?? 0} rules`).join(", "),
    },
    {
        capability: "web tier",
        rule: "EC2 instances with role tag `web`, or the web component's aws:autoscaling/group:Group",
        find: either(withRole("web"), (resources) =>
            ofType(GROUP)(resources).filter((r) => r.component === "scale-tiers:compute:WebTier"),
        ),
        describe: (found) =>
            found[0].type === GROUP
                ? `Auto Scaling group, ${found[0].inputs.minSize as number} to ${found[0].inputs.maxSize as number} instances`
                : `fixed EC2, ${sizes(found)}`,
    },
    {
        capability: "MySQL",
        rule: "an EC2 instance with role tag `mysql-primary` (self-managed), or an RDS instance with a mysql engine",
        find: (resources) => [
            ...withRole("mysql-primary")(resources),
            ...ofType(EC2_RDS)(resources).filter((r) =>
                ((r.inputs.engine as string | undefined) ?? "").includes("mysql"),
            ),
        ],
        describe: (found) =>
            found
                .map((r) =>
                    r.type === EC2_RDS
                        ? `RDS ${(r.inputs as SizeInputs).instanceClass}`
                        : `self-managed on EC2 ${(r.inputs as SizeInputs).instanceType}`,
                )
                .join(", "),
    },
    {
        capability: "replication",
        rule: "an EC2 instance with role tag `mysql-replica`, or an RDS instance with replicateSourceDb",
        find: (resources) => [
            ...withRole("mysql-replica")(resources),
            ...ofType(EC2_RDS)(resources).filter((r) => r.inputs.replicateSourceDb !== undefined),
        ],
        describe: sizes,
    },
    {
        capability: "cache",
        rule: "EC2 instances with role tag `memcached`, or an ElastiCache cluster or replication group",
        find: either(withRole("memcached"), ofType(...ELASTICACHE)),
        describe: sizes,
    },
    {
        capability: "messaging",
        rule: "EC2 instances with role tag `rabbitmq`, or an aws:sqs/queue:Queue",
        find: either(withRole("rabbitmq"), ofType("aws:sqs/queue:Queue")),
        describe: (found) => sizes(found),
    },
    {
        capability: "CloudWatch",
        rule: "an aws:cloudwatch/metricAlarm:MetricAlarm or aws:cloudwatch/dashboard:Dashboard (log groups alone do not count)",
        find: ofType("aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/dashboard:Dashboard"),
        describe: count("alarms/dashboards"),
    },
    {
        capability: "ELK",
        rule: "an aws:opensearch/domain:Domain, or the logging component's aws:autoscaling/group:Group (Logstash)",
        find: either(ofType("aws:opensearch/domain:Domain"), (resources) =>
            ofType(GROUP)(resources).filter((r) => r.component === "scale-tiers:observability:Logging"),
        ),
        describe: sizes,
    },
    {
        capability: "Jenkins",
        rule: "EC2 instances with role tag `jenkins`",
        find: withRole("jenkins"),
        describe: sizes,
    },
    { capability: "Jira", rule: "EC2 instances with role tag `jira`", find: withRole("jira"), describe: sizes },
    { capability: "wiki", rule: "EC2 instances with role tag `wiki`", find: withRole("wiki"), describe: sizes },
    { capability: "CMS", rule: "EC2 instances with role tag `cms`", find: withRole("cms"), describe: sizes },
    {
        capability: "Auto Scaling",
        rule: `an ${GROUP}`,
        find: ofType(GROUP),
        describe: count("groups"),
    },
    {
        capability: "RDS",
        rule: `an ${EC2_RDS} or aws:rds/cluster:Cluster`,
        find: ofType(EC2_RDS, "aws:rds/cluster:Cluster"),
        describe: sizes,
    },
    {
        capability: "DMS",
        rule: "an aws:dms/replicationTask:ReplicationTask",
        find: ofType("aws:dms/replicationTask:ReplicationTask"),
        describe: count("tasks"),
    },
    {
        capability: "SQS",
        rule: "an aws:sqs/queue:Queue",
        find: ofType("aws:sqs/queue:Queue"),
        describe: count("queues"),
    },
    {
        capability: "ElastiCache",
        rule: `an ${ELASTICACHE.join(" or ")}`,
        find: ofType(...ELASTICACHE),
        describe: sizes,
    },
];

/** The capability table of a recording, one row per detector. */
export function capabilities(recording: Recording, detectors: readonly Detector[] = DETECTORS): CapabilityRow[] {
    return detectors.map((d) => {
        const found = d.find(recording.resources);
        return {
            capability: d.capability,
            present: found.length > 0,
            detail: found.length > 0 ? d.describe(found) : "",
            rule: d.rule,
        };
    });
}

export function formatCapabilities(rows: readonly CapabilityRow[]): string {
    const width = Math.max(...rows.map((r) => r.capability.length));
    return [
        "  capabilities (detected from the resources):",
        ...rows.map((r) => `    ${r.capability.padEnd(width)}  ${r.present ? `yes  ${r.detail}` : "-"}`.trimEnd()),
    ].join("\n");
}
