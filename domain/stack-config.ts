/**
 * The stack configuration's one schema: every key in the `scale-tiers`
 * namespace with its type, default, limits and checks, and what it means.
 * The types below are inferred from it; stacks/config.ts validates with it;
 * docs/configuration.md and Pulumi.yaml's declarations are generated from it
 * (`npm run docs`, kept current by a test). Rules that span settings are in
 * domain/config-rules.ts.
 */
import { z } from "zod";
import {
    adminCidrProblem,
    backupWindowProblem,
    certificateArnProblem,
    dmsVersionProblem,
    emailProblem,
    healthCheckPathProblem,
    hostedZoneIdProblem,
    maintenanceWindowProblem,
    managedClassProblem,
    memcachedVersionProblem,
    openSearchVersionProblem,
    queueNameProblem,
    subdomainProblem,
    vpcCidrProblem,
    zoneNameProblem,
} from "./config-checks";
import {
    FIELD_DOCS,
    flag,
    integer,
    integerOneOf,
    objectList,
    oneOf,
    section,
    text,
    textList,
    textMap,
} from "./config-fields";
import { MYSQL_ROLES, MYSQL_VERSIONS } from "./database";
import { instanceTypeProblem } from "./instance-types";
import { MIGRATION_PHASES } from "./migration";
import { ESTATE_TAG_KEYS, MAX_STACK_TAGS, RESOURCE_TAG_KEYS, stackTagProblem } from "./tags";

/** How many NAT gateways the VPC gets: one shared (cheaper) or one per AZ (survives an AZ loss). */
export const NAT_GATEWAY_STRATEGIES = ["Single", "OnePerAz"] as const;
export type NatGatewayStrategy = (typeof NAT_GATEWAY_STRATEGIES)[number];

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Snapshot intervals Data Lifecycle Manager accepts, in hours. */
export const SNAPSHOT_INTERVAL_HOURS = [1, 2, 3, 4, 6, 8, 12, 24] as const;

/** Performance Insights retention RDS accepts: 7 days free, or whole months (31 days) up to 731. */
const PERFORMANCE_INSIGHTS_DAYS = [7, ...Array.from({ length: 23 }, (_, i) => 31 * (i + 1)), 731] as [
    number,
    ...number[],
];
const MONITORING_INTERVALS = [1, 5, 10, 15, 30, 60] as const;

export const TOOL_NAMES = ["jira", "wiki", "cms"] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

/** `retired` of a server whose volume holds data: the one way to remove it that keeps the data. */
const RETIRED_DOC =
    "with `enabled: false`: the server goes, its data volume stays (protected, kept on destroy) with a final snapshot; switching the server off any other way is refused, as it would delete the volume";

const EC2_TYPE_FIX = "use a current-generation EC2 instance type such as t3.small, m7i.large or r7g.xlarge";

function ec2Type(doc: string) {
    return text({ doc, fix: EC2_TYPE_FIX }, instanceTypeProblem);
}

function managedClass(doc: string, example: string, shape: { prefix: string; suffix: string }) {
    return text({ doc, fix: `use a current class such as ${example}` }, managedClassProblem(shape));
}

const RDS_CLASS = { prefix: "db.", suffix: "" };
const SEARCH_CLASS = { prefix: "", suffix: ".search" };
const ADMIN_CIDR_FIX = "list admin or VPN CIDR blocks such as 10.8.0.0/16, never 0.0.0.0/0";

const loadBalancer = section("The internet-facing Application Load Balancer.", {
    certificateArn: text(
        {
            doc: "a certificate of your own instead of `domain`: ACM ARN in `aws:region`; HTTPS on 443 with it, HTTP redirects, and you point your DNS at the `loadBalancerDnsName` output",
            fix: "give an ACM certificate ARN from the stack's region, or leave it out (domain issues certificates)",
            defaultText: "unset",
        },
        certificateArnProblem,
    ).optional(),
    deletionProtection: flag(
        "deletion protection of every load balancer (public, tools, Logstash); set `false` before destroying",
        true,
    ),
    accessLogRetentionDays: integer("days access logs are kept in S3", { min: 1, max: 3650, default: 90 }),
    idleTimeoutSeconds: integer("idle connection timeout, seconds", { min: 1, max: 4000, default: 60 }),
});

const autoScaling = section(
    "Run the web tier as an Auto Scaling group instead of fixed instances; switching it on is a config change: the group comes up healthy behind the same load balancer before the fixed instances go.",
    {
        enabled: flag(
            "run the web tier as an Auto Scaling group behind the same load balancer instead of `instanceCount` fixed instances; `instanceCount` must then be left out",
            false,
        ),
        minSize: integer("fewest instances, and at least the number of AZs so that losing one AZ leaves servers", {
            min: 1,
            max: 100,
            default: 2,
        }),
        maxSize: integer("most instances, at least `minSize`", { min: 1, max: 500, default: 10 }),
        targetCpuPercent: integer("average CPU the group scales to hold, percent", { min: 10, max: 90, default: 50 }),
        targetRequestsPerMinute: integer("load balancer requests per instance per minute the group scales to hold", {
            min: 60,
            max: 1000000,
            default: 6000,
        }),
        healthCheckGraceSeconds: integer(
            "seconds after launch before failed load balancer health checks replace an instance",
            { min: 0, max: 7200, default: 300 },
        ),
        instanceWarmupSeconds: integer(
            "seconds before a new instance counts in the scaling metrics and an instance refresh moves on",
            { min: 0, max: 3600, default: 180 },
        ),
        minHealthyPercent: integer("capacity an instance refresh keeps in service, percent", {
            min: 0,
            max: 100,
            default: 90,
        }),
    },
);

const web = section("The web/app servers behind the load balancer.", {
    instanceCount: integer("fixed EC2 instances, spread round-robin over the AZs; unused with `autoScaling`", {
        min: 1,
        max: 20,
        default: 2,
    }),
    instanceType: ec2Type("EC2 instance type (Graviton types get the arm64 AMI)").default("t3.small"),
    rootVolumeGiB: integer("root volume, GiB, gp3, encrypted", { min: 8, max: 1024, default: 20 }),
    healthCheckPath: text(
        {
            doc: "path the load balancer probes; the server answers it with 200",
            fix: "use a path such as /healthz (letters, digits, . _ ~ - /)",
        },
        healthCheckPathProblem,
    ).default("/healthz"),
    autoScaling,
});

const dataVolume = section("The gp3 EBS volume that holds MySQL's data and binary logs.", {
    sizeGiB: integer("size, GiB", { min: 20, max: 16384, default: 100 }),
    iops: integer("provisioned IOPS, at most 500 per GiB", { min: 3000, max: 16000, default: 3000 }),
    throughputMiBps: integer("provisioned throughput, MiB/s, at most IOPS / 4", { min: 125, max: 1000, default: 125 }),
});

const rds = section("Amazon RDS for MySQL, the managed target of the DMS migration.", {
    enabled: flag(
        "Amazon RDS for MySQL in the isolated subnets, the target of the DMS migration; reachable as `mysql-rds.<zone>`",
        false,
    ),
    instanceClass: managedClass("`db.` and a current-generation type", "db.r7g.large", RDS_CLASS).default(
        "db.r7g.large",
    ),
    engineVersion: oneOf(
        {
            doc: "MySQL major version, never older than the self-managed server's",
            defaultText: "`database.mysqlVersion`",
        },
        MYSQL_VERSIONS,
    ).optional(),
    allocatedStorageGiB: integer("storage at creation, GiB, gp3, encrypted", { min: 20, max: 65536, default: 100 }),
    maxAllocatedStorageGiB: integer("ceiling of storage autoscaling, GiB, at least 10% above `allocatedStorageGiB`", {
        min: 22,
        max: 65536,
        default: 1000,
    }),
    multiAz: flag("a synchronous standby in another AZ", true),
    backupRetentionDays: integer("days of automated backups and point-in-time recovery", {
        min: 1,
        max: 35,
        default: 14,
    }),
    backupWindow: text(
        {
            doc: "daily backup window, UTC `hh:mm-hh:mm` (the default is 02:00 in Seoul)",
            fix: "give a UTC window such as 17:00-18:00",
        },
        backupWindowProblem,
    ).default("17:00-18:00"),
    maintenanceWindow: text(
        {
            doc: "weekly maintenance window, UTC `ddd:hh:mm-ddd:hh:mm`",
            fix: "give a UTC window such as sun:18:30-sun:19:30",
        },
        maintenanceWindowProblem,
    ).default("sun:18:30-sun:19:30"),
    readReplicas: integer("read replicas, spread over the AZs", { min: 0, max: 5, default: 0 }),
    replicaInstanceClass: text(
        {
            doc: "instance class of the read replicas",
            fix: "use a current class such as db.r7g.large",
            defaultText: "`instanceClass`",
        },
        managedClassProblem(RDS_CLASS),
    ).optional(),
    performanceInsightsRetentionDays: integerOneOf(
        "Performance Insights retention, days: 7 (free) or a multiple of 31 up to 731",
        PERFORMANCE_INSIGHTS_DAYS,
        7,
    ),
    monitoringIntervalSeconds: integerOneOf("Enhanced Monitoring interval, seconds", MONITORING_INTERVALS, 60),
});

const database = section("Self-managed MySQL on EC2, and Amazon RDS.", {
    instanceType: ec2Type("EC2 instance type of the MySQL server").default("r7i.large"),
    mysqlVersion: oneOf("MySQL Community major version (`8.4` is the LTS)", MYSQL_VERSIONS).default("8.4"),
    dataVolume,
    snapshots: section("Data Lifecycle Manager schedule for the data volume.", {
        intervalHours: integerOneOf("hours between snapshots", SNAPSHOT_INTERVAL_HOURS, 24),
        retainCount: integer("snapshots kept", { min: 1, max: 1000, default: 7 }),
    }),
    binlogRetentionHours: integer("hours binary logs are kept; replicas and AWS DMS need at least 24", {
        min: 24,
        max: 720,
        default: 168,
    }),
    replica: section("A read replica of the self-managed primary, in the second AZ.", {
        enabled: flag("a GTID replica in the second AZ, cloned from the primary, reachable as `db-read.<zone>`", false),
        instanceType: text(
            {
                doc: "EC2 instance type; keep it equal to the primary's so it can take over",
                fix: EC2_TYPE_FIX,
                defaultText: "the primary's",
            },
            instanceTypeProblem,
        ).optional(),
        retired: flag(RETIRED_DOC, false),
    }),
    writer: oneOf(
        "the server `db.<zone>` sends writes to: `replica` only with a replica, after the manual failover of docs/tier150k.md",
        MYSQL_ROLES,
    ).default("primary"),
    selfManaged: flag(
        "the estate has (or had) self-managed MySQL on EC2; `false` only for an estate built at 1M with RDS from the start (no EC2 servers or volumes, `db.<zone>` on RDS, `migration.phase: none`). Never set it on an estate whose servers hold data: their volumes are protected, so the update stops",
        true,
    ),
    rds,
});

const memcached = section("memcached nodes on EC2 for the web tier.", {
    enabled: flag(
        "memcached nodes on EC2; the node list is published to the web servers as SSM parameter `<path>/cache-nodes`",
        false,
    ),
    nodeCount: integer("nodes, round-robin over the AZs", { min: 1, max: 20, default: 2 }),
    instanceType: ec2Type("EC2 instance type of each node").default("r7i.large"),
    memoryMiB: integer(
        "memory memcached may use per node, MiB; at most the instance's memory less 1024 MiB (checked for t, m, c, r families)",
        {
            min: 64,
            max: 1048576,
            default: 12288,
        },
    ),
    maxConnections: integer("simultaneous connections per node", { min: 1024, max: 65536, default: 4096 }),
    draining: flag(
        "keep the nodes while the web tier already uses ElastiCache, so it can switch back; only with `elasticache.enabled`; remove them by `enabled: false`",
        false,
    ),
});

const elasticache = section("Amazon ElastiCache for Memcached, which replaces the memcached nodes at 1M.", {
    enabled: flag(
        "Amazon ElastiCache for Memcached with in-transit encryption; its nodes replace the EC2 nodes in `<path>/cache-nodes`. With `memcached.enabled` only while `memcached.draining`",
        false,
    ),
    nodeType: managedClass("`cache.` and a current-generation type", "cache.r7g.large", {
        prefix: "cache.",
        suffix: "",
    }).default("cache.r7g.large"),
    nodeCount: integer("nodes, spread over the AZs", { min: 2, max: 40, default: 3 }),
    engineVersion: text(
        {
            doc: "Memcached engine version, 1.6.12 or later (in-transit encryption)",
            fix: "use 1.6.12 or later, e.g. 1.6.22",
        },
        memcachedVersionProblem,
    ).default("1.6.22"),
});

const rabbitmq = section("A RabbitMQ cluster on EC2.", {
    enabled: flag("a RabbitMQ cluster on EC2, reachable as `rabbitmq.<zone>`", false),
    nodeCount: integer("nodes; not 2, which cannot keep a quorum when one fails", { min: 1, max: 7, default: 3 }),
    instanceType: ec2Type("EC2 instance type of each node").default("m7i.large"),
    dataVolumeGiB: integer(
        "data volume per node, GiB, gp3, encrypted, protected; at least twice the instance's memory (RabbitMQ blocks publishers when free disk drops below its RAM)",
        { min: 20, max: 16384, default: 100 },
    ),
    managementCidrs: textList(
        {
            doc: "admin/VPN CIDR blocks allowed to the management UI (15672) besides the VPC, each once; /8 or narrower, never `0.0.0.0/0`",
            fix: ADMIN_CIDR_FIX,
        },
        { check: adminCidrProblem, repeats: (cidr) => cidr },
    ).default([]),
    tls: flag("AMQP over TLS on 5671 only (plain 5672 closed), with a private CA made by the program", false),
    draining: flag(
        "keep the cluster (and `amqp-host`) while consumers drain it after producers moved to SQS; only with `sqs.enabled`",
        false,
    ),
    retired: flag(
        "with `enabled: false`, once the cluster has drained: the nodes go, their data volumes stay (protected, kept on destroy) with final snapshots",
        false,
    ),
});

const QUEUE_FIX = "list queues as {name: orders, visibilityTimeoutSeconds: 60}";

const sqs = section("Amazon SQS queues, each with a dead-letter queue, which replace RabbitMQ at 1M.", {
    enabled: flag(
        "Amazon SQS queues, each with a dead-letter queue; with `rabbitmq.enabled` only while `rabbitmq.draining`",
        false,
    ),
    queues: objectList(
        { doc: "the queues: at least one when enabled, names unique", fix: QUEUE_FIX },
        {
            name: text(
                {
                    doc: "1 to 40 letters, digits, `-`, `_`; the queue is `<project>-<stack>-<name>`, its dead-letter queue `...-dlq`",
                    fix: "name the queue, e.g. orders (letters, digits, - and _)",
                },
                queueNameProblem,
            ),
            visibilityTimeoutSeconds: integer("seconds a received message stays hidden from other consumers", {
                min: 0,
                max: 43200,
                default: 60,
            }),
            retentionDays: integer("days a message is kept", { min: 1, max: 14, default: 4 }),
            maxReceiveCount: integer("receives before a message moves to the dead-letter queue", {
                min: 1,
                max: 1000,
                default: 5,
            }),
        },
    ),
});

const monitoring = section("CloudWatch agent, log groups, alarms, alarm topic and dashboard.", {
    enabled: flag(
        "CloudWatch agent configuration, log groups (retention `logRetentionDays`), alarms, alarm topic, dashboard",
        false,
    ),
    alarmEmails: textList(
        {
            doc: "e-mail addresses subscribed to the alarm topic (each confirms), each once; only with monitoring on",
            fix: "list addresses like ops@example.com",
        },
        { check: emailProblem, repeats: (email) => email.toLowerCase() },
    ).default([]),
    alarms: section("Alarm thresholds.", {
        targetResponseSeconds: integer("p95 target response time that raises the alarm, seconds", {
            min: 1,
            max: 60,
            default: 1,
        }),
        replicationLagSeconds: integer("replica lag that raises the alarm, seconds", {
            min: 1,
            max: 86400,
            default: 60,
        }),
        queueDepth: integer("ready messages over all queues that raise the alarm", {
            min: 1,
            max: 100000000,
            default: 10000,
        }),
        cacheEvictions: integer("memcached evictions in 5 minutes, all nodes, that raise the alarm", {
            min: 1,
            max: 100000000,
            default: 1000,
        }),
        oldestMessageSeconds: integer("age of an SQS queue's oldest message that raises the alarm, seconds", {
            min: 60,
            max: 1209600,
            default: 900,
        }),
    }),
});

const logging = section("ELK on AWS: Logstash receives the servers' logs and indexes them into OpenSearch.", {
    enabled: flag(
        "ELK: Amazon OpenSearch Service (with Dashboards) and Logstash, fed by the servers' log shipper (docs/logging.md)",
        false,
    ),
    opensearch: section("The Amazon OpenSearch Service domain (Elasticsearch and Kibana of ELK).", {
        engineVersion: text(
            { doc: "`OpenSearch_<major>.<minor>`", fix: "use an OpenSearch engine version such as OpenSearch_2.19" },
            openSearchVersionProblem,
        ).default("OpenSearch_2.19"),
        instanceType: managedClass(
            "data node type: a current-generation type with `.search`",
            "r7g.large.search",
            SEARCH_CLASS,
        ).default("r7g.large.search"),
        instanceCount: integer("data nodes, a multiple of the zones used (the AZ count, at most 3)", {
            min: 2,
            max: 80,
            default: 3,
        }),
        volumeGiB: integer("gp3 volume per data node, GiB", { min: 10, max: 24576, default: 100 }),
        masterInstanceType: managedClass(
            "type of the three dedicated master nodes",
            "m7g.large.search",
            SEARCH_CLASS,
        ).default("m7g.large.search"),
    }),
    logstash: section("Logstash OSS on an Auto Scaling group, fed by the servers' log shipper.", {
        instanceType: ec2Type("EC2 instance type").default("c7g.large"),
        instanceCount: integer("instances over the AZs, at least 2 so an AZ loss keeps logs flowing", {
            min: 2,
            max: 20,
            default: 2,
        }),
        queueVolumeGiB: integer("gp3 volume per instance for Logstash's persistent queue, GiB", {
            min: 10,
            max: 16384,
            default: 50,
        }),
    }),
});

const migration = section(
    "The move from the self-managed MySQL servers to `database.rds` with AWS DMS, one phase per `pulumi up`.",
    {
        phase: oneOf("the phase to deploy; anything but `none` needs `database.rds.enabled`", MIGRATION_PHASES).default(
            "none",
        ),
        from: oneOf(
            {
                doc: "an assertion of the phase the stack is deployed in now, checked against the deployed state the program reads back; needed only once, on an estate last updated by a version that recorded no state (its phase is then taken from here)",
                defaultText: "unset",
            },
            MIGRATION_PHASES,
        ).optional(),
        replicationInstanceClass: managedClass("`dms.` and a current-generation type", "dms.r6i.large", {
            prefix: "dms.",
            suffix: "",
        }).default("dms.r6i.large"),
        allocatedStorageGiB: integer(
            "replication instance storage, GiB: task logs and changes cached during the full load",
            {
                min: 5,
                max: 6144,
                default: 100,
            },
        ),
        multiAz: flag("a standby replication instance in another AZ", true),
        engineVersion: text(
            {
                doc: "a DMS engine version such as `3.5.4`; empty: the version DMS makes default",
                fix: "give a DMS engine version such as 3.5.4, or leave it out for DMS's default",
                defaultText: "DMS's default",
            },
            dmsVersionProblem,
        ).default(""),
        includeSchemas: textList({
            doc: "schemas (or `%` patterns) to copy; never a system schema",
            fix: 'list schema names, e.g. ["app"]',
        }).default(["app"]),
        excludeSchemas: textList({ doc: "schemas to leave out of those", fix: "list schema names" }).default([]),
        maxCdcLatencySeconds: integer(
            "source and target CDC latency the cutover gate requires, with writes frozen, seconds",
            {
                min: 1,
                max: 600,
                default: 5,
            },
        ),
        gateWaitSeconds: integer("how long the gate re-checks before it refuses the update, seconds", {
            min: 0,
            max: 3600,
            default: 300,
        }),
        alarmCdcLatencySeconds: integer("CDC latency that raises an alarm while replicating, seconds", {
            min: 10,
            max: 86400,
            default: 300,
        }),
        manageServiceRoles: flag(
            "create the account-wide `dms-vpc-role` and `dms-cloudwatch-logs-role`; `false` where another stack of the account already did",
            true,
        ),
    },
);

/** The settings of a server that keeps its data on its own volume: Jenkins and each team tool. */
function toolServer(server: {
    what: string;
    instanceType: string;
    /** What the instance type must have beyond being current, if anything. */
    typeRule?: string;
    dataVolumeGiB: number;
    volumeHolds: string;
}) {
    return {
        enabled: flag(server.what, false),
        instanceType: ec2Type(["EC2 instance type", server.typeRule].filter(Boolean).join(", ")).default(
            server.instanceType,
        ),
        dataVolumeGiB: integer(`gp3 data volume, GiB, encrypted, protected, snapshotted daily: ${server.volumeHolds}`, {
            min: 20,
            max: 16384,
            default: server.dataVolumeGiB,
        }),
        retired: flag(RETIRED_DOC, false),
    };
}

const jenkins = section("The Jenkins controller, the artifact bucket and the deploy path to the web servers.", {
    ...toolServer({
        what: "the Jenkins controller, the artifact bucket and the deploy document; reached at `jenkins.<domain>` through the tools' internal load balancer",
        instanceType: "m7i.large",
        dataVolumeGiB: 100,
        volumeHolds: "JENKINS_HOME",
    }),
    artifactRetentionDays: integer(
        "days a release package is kept in the artifact bucket (every deploy uploads a new one)",
        {
            min: 30,
            max: 3650,
            default: 365,
        },
    ),
    deployBatchPercent: integer("web servers updated at a time, percent; a failed health check stops the rollout", {
        min: 1,
        max: 100,
        default: 25,
    }),
});

const collaboration = section("Jira, MediaWiki and WordPress behind an internal load balancer (Jenkins joins it).", {
    adminCidrs: textList(
        {
            doc: "admin or VPN ranges allowed to the internal load balancer besides the VPC, each once; /8 or narrower, never `0.0.0.0/0`",
            fix: ADMIN_CIDR_FIX,
        },
        { check: adminCidrProblem, repeats: (cidr) => cidr },
    ).default([]),
    certificateArn: text(
        {
            doc: "with `loadBalancer.certificateArn` only: ACM certificate in `aws:region` for `<tool>.<privateZoneName>` on the internal load balancer; refused with `domain`",
            fix: "give an ACM certificate ARN from the stack's region, or leave it out (domain issues certificates)",
            defaultText: "unset",
        },
        certificateArnProblem,
    ).optional(),
    jira: section(
        "Jira Software.",
        toolServer({
            what: "Jira Software at `jira.<domain>`",
            instanceType: "m7i.xlarge",
            typeRule: "with at least 8 GiB of memory",
            dataVolumeGiB: 100,
            volumeHolds: "JIRA_HOME and its PostgreSQL",
        }),
    ),
    wiki: section(
        "MediaWiki.",
        toolServer({
            what: "MediaWiki at `wiki.<domain>`",
            instanceType: "t3.medium",
            dataVolumeGiB: 50,
            volumeHolds: "uploads, settings and its MariaDB",
        }),
    ),
    cms: section(
        "WordPress.",
        toolServer({
            what: "WordPress at `cms.<domain>`",
            instanceType: "t3.medium",
            dataVolumeGiB: 50,
            volumeHolds: "WordPress, uploads and its MariaDB",
        }),
    ),
});

/** A usage assumption: a whole number, 0 (or `min`) up to `max`. */
function usage(doc: string, fallback: number, max: number, min = 0) {
    return integer(doc, { min, max, default: fallback });
}

const usageAssumptions = section(
    "What one client does in a month and what the servers log: `npm run plan` prices the estate's usage from them (load balancer capacity units, data transfer, NAT, log ingestion and storage, queue requests, S3, snapshots and backups), and so does the stack's budget.",
    {
        requestsPerClient: usage("HTTP requests a client makes through the public load balancer", 3000, 100_000_000),
        requestsPerConnection: usage(
            "requests per new connection (keep-alive), for the load balancer's new-connection dimension",
            10,
            1_000_000,
            1,
        ),
        responseMbPerClient: usage(
            "MB sent to a client: load balancer processed bytes and data transfer out",
            50,
            10_000_000,
        ),
        natMbPerClient: usage(
            "MB the private servers exchange with the internet through NAT, per client",
            2,
            10_000_000,
        ),
        interAzMbPerClient: usage(
            "MB crossing AZs in the VPC (load balancer to server, server to database or cache), per client",
            20,
            10_000_000,
        ),
        flowLogMbPerClient: usage("MB of VPC flow logs, per client", 1, 1_000_000),
        webLogMbPerClient: usage("MB of web server logs shipped to CloudWatch Logs, per client", 1, 1_000_000),
        serverLogMbPerDay: usage(
            "MB a day each other log group receives per server of its role (one for a managed service's group)",
            20,
            10_000_000,
        ),
        queueRequestsPerClient: usage(
            "SQS requests (send, receive, delete) per client, when the estate has queues",
            30,
            100_000_000,
        ),
        accessLogBytesPerRequest: usage(
            "compressed bytes of access log a load balancer writes to S3 per request",
            100,
            100_000,
        ),
        artifactGb: usage(
            "GB kept in each bucket that receives no access logs (the Jenkins artifacts)",
            50,
            10_000_000,
        ),
        enhancedMonitoringKbPerSample: usage(
            "KB an RDS instance's Enhanced Monitoring sends per sample (CloudWatch Logs ingestion)",
            5,
            10_000,
        ),
        volumeFillPercent: usage(
            "share of a data volume holding data, percent (snapshots and RDS backups store used blocks only)",
            50,
            100,
        ),
        changePerSnapshotPercent: usage(
            "share of the data changed between two snapshots or daily backups, percent",
            2,
            100,
        ),
    },
);

const budget = section(
    "An AWS Budget (monthly, cost) per stack, its limit the stack's estimated monthly cost (docs/cost.md) plus a margin, with forecast alerts at 80% and 100% of the limit to the alarm topic.",
    {
        enabled: flag("create the budget", true),
        marginPercent: integer("percent added to the estimate for the limit", { min: 0, max: 500, default: 20 }),
    },
);

const costGuard = section(
    "How much a pull request may raise the stack's estimated monthly cost before the cost check fails (docs/delivery.md); read by the plan's `--cost-diff`, not by the program.",
    {
        maxMonthlyIncreaseUsd: integer(
            "largest increase of the monthly estimate a pull request may make without approval, USD",
            { min: 0, max: 10_000_000, default: 250 },
        ),
    },
);

/** WAF's own bounds on a rate-based rule's limit. */
export const WAF_RATE_LIMIT = { min: 10, max: 2_000_000_000 } as const;

/** An optional section: absent unless the stack file gives it. */
const domain = z
    .strictObject({
        zone: text(
            {
                doc: "name of the public Route 53 hosted zone, a lower-case DNS name of two or more labels",
                fix: "give the name of the public Route 53 hosted zone, such as example.com",
            },
            zoneNameProblem,
        ),
        zoneId: text(
            {
                doc: "the zone's id (`Z...`), when the account has several public zones of that name",
                fix: "give the zone's id as Route 53 shows it (Z followed by letters and digits), or leave it out to find the zone by name",
                defaultText: "unset: the zone by name",
            },
            hostedZoneIdProblem,
        ).optional(),
        siteHosts: textList(
            {
                doc: "1 to 10 names inside the zone (one ACM certificate), each once; the first at most 64 characters and the one `siteUrl` gives",
                fix: "list the site's host names inside the zone, e.g. [example.com, www.example.com]",
                defaultText: "`<zone>`, `www.<zone>`",
            },
            { check: zoneNameProblem, repeats: (host) => host },
        ).optional(),
        toolsSubdomain: text(
            {
                doc: "the tools are `<tool>.<toolsSubdomain>.<zone>` (`jira.tools.example.com`), or `<tool>.<zone>` when empty; no site host may be one",
                fix: "give a subdomain such as tools (the tools become jira.tools.<zone>), or leave it out for jira.<zone>",
            },
            subdomainProblem,
        ).default(""),
    })
    .register(FIELD_DOCS, {
        doc: "The public name the estate serves under: the program issues ACM certificates for it, validated through records it writes into the zone, and publishes the site and the team tools there.",
    })
    .optional();

const waf = section("AWS WAF (a regional web ACL) in front of the public load balancer.", {
    enabled: flag(
        "an AWS WAF web ACL on the public load balancer (tier150k and tier1m ship with it); needs `monitoring.enabled` for its alarm",
        false,
    ),
    ratePerIpPer5Minutes: integer(
        "requests one client IP may send in 5 minutes before the rate rule blocks it (WAF's bounds)",
        { ...WAF_RATE_LIMIT, default: 2000 },
    ),
    countOnly: flag("every rule counts instead of blocking: for a rollout, read the log, then switch back", false),
    logRetentionDays: z
        .literal(LOG_RETENTION_DAYS)
        .register(FIELD_DOCS, {
            doc: "days the web ACL's request log is kept (a CloudWatch Logs retention)",
            defaultText: "`logRetentionDays`",
        })
        .optional(),
});

const DECLARED = " (Pulumi.yaml declares its default)";

/** The `scale-tiers` namespace as a stack file writes it. */
export const SCALE_TIERS_SCHEMA = z.strictObject({
    vpcCidr: text(
        {
            doc: "IPv4 block of the VPC, a private range from /16 to /20, not overlapping 172.17.0.0/16. Never changed after the first deployment",
            fix: `give a private IPv4 block from /16 to /20 such as 10.40.0.0/16${DECLARED}`,
            declared: true,
        },
        vpcCidrProblem,
    ).default("10.40.0.0/16"),
    availabilityZones: textList({
        doc: "2 to 4 distinct AZs that `aws:region` has (a table per region in `domain/availability-zones.ts`; a region missing from it is not checked, and the preview says so). On a deployed stack the program refuses any change that moves a subnet or a stateful server: reordering, replacing or removing an AZ always does. Appending one at the end is accepted only where every server keeps its AZ: each AZ's subnets have a fixed slot of the VPC, but RabbitMQ nodes and the team tools go round the list, so with fewer AZs than nodes or tools an appended AZ moves some of them, and is refused",
        fix: `list 2 to 4 AZ names of the region, e.g. ap-northeast-2a, ap-northeast-2b${DECLARED}`,
        declared: true,
    }).default(["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"]),
    natGateways: oneOf(
        {
            doc: "NAT gateways: `Single` is one, cheapest, and egress from the private subnets is lost with its AZ; `OnePerAz` survives an AZ loss",
            declared: true,
        },
        NAT_GATEWAY_STRATEGIES,
    ).default("OnePerAz"),
    privateZoneName: text(
        {
            doc: "Route 53 private hosted zone for internal names such as db.<zone>: a lower-case DNS name of two or more labels",
            fix: "use a private DNS name such as scale-tiers.internal",
            declared: true,
        },
        zoneNameProblem,
    ).default("scale-tiers.internal"),
    logRetentionDays: integerOneOf(
        {
            doc: "retention of the estate's CloudWatch log groups, in days (a value CloudWatch Logs accepts)",
            declared: true,
        },
        LOG_RETENTION_DAYS,
        30,
    ),
    tags: textMap(
        {
            doc: `the stack's own tags, on every resource that takes tags besides the estate's (${[...ESTATE_TAG_KEYS, ...RESOURCE_TAG_KEYS].map((key) => `\`${key}\``).join(", ")}): what the account's tag policies or cost allocation ask for, say \`cost-center\` or \`owner\`. A change updates resources in place; launch templates get a new version, which rolls their Auto Scaling groups (tier1m's web servers, Logstash)`,
            fix: `give a mapping of at most ${MAX_STACK_TAGS} tags, e.g. { cost-center: "cc-42", owner: platform-team }`,
        },
        {
            check: stackTagProblem,
            maxEntries: MAX_STACK_TAGS,
            valueFix: "give the value as a string: quote numbers and true/false",
        },
    ),
    usageAssumptions,
    plainHttpDemo: flag(
        "serve plain HTTP on the load balancer's own name, the team tools on `<tool>.<privateZoneName>` over HTTP: for a throwaway demo only (the policy pack refuses it); refused together with `domain` or a certificate",
        false,
    ),
    clients: z
        .int()
        .min(1)
        .max(1_000_000_000)
        .register(FIELD_DOCS, {
            doc: "the clients the estate serves, which `npm run plan` prices usage for and divides its cost per 1,000 clients by",
            defaultText:
                "by the estate's shape: 1,000,000 with `web.autoScaling` or RDS; 150,000 with a replica, Jenkins or monitoring; else 30,000",
        })
        .optional(),
    domain,
    loadBalancer,
    waf,
    web,
    database,
    memcached,
    elasticache,
    rabbitmq,
    sqs,
    monitoring,
    logging,
    migration,
    jenkins,
    collaboration,
    budget,
    costGuard,
});

type Values = z.output<typeof SCALE_TIERS_SCHEMA>;

/** A frozen tree: what parseStackConfig hands down. */
export type DeepReadonly<T> = T extends readonly (infer E)[]
    ? readonly DeepReadonly<E>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

/** The validated `scale-tiers` values as the program uses them: the VPC settings as one object, derived defaults filled. */
export function resolveStackConfig(values: Values, context: { project: string; stack: string; region: string }) {
    const { vpcCidr, availabilityZones, natGateways, privateZoneName, logRetentionDays, clients, domain, ...sections } =
        values;
    const { database, loadBalancer, collaboration, waf } = sections;
    const resolved = {
        ...context,
        network: { vpcCidr, availabilityZones, natGateways, privateZoneName, logRetentionDays },
        ...sections,
        loadBalancer: withoutEmpty(loadBalancer, "certificateArn"),
        collaboration: withoutEmpty(collaboration, "certificateArn"),
        ...(domain
            ? { domain: { ...domain, siteHosts: domain.siteHosts ?? [domain.zone, `www.${domain.zone}`] } }
            : {}),
        waf: { ...waf, logRetentionDays: waf.logRetentionDays ?? logRetentionDays },
        database: {
            ...database,
            replica: { ...database.replica, instanceType: database.replica.instanceType ?? database.instanceType },
            rds: {
                ...database.rds,
                engineVersion: database.rds.engineVersion ?? database.mysqlVersion,
                replicaInstanceClass: database.rds.replicaInstanceClass ?? database.rds.instanceClass,
            },
        },
    };
    return { ...resolved, clients: clients ?? defaultClients(resolved) };
}

/** `certificateArn: ""` in a stack file means no certificate, as leaving it out does. */
function withoutEmpty<T extends { certificateArn?: string }>(settings: T, field: "certificateArn"): T {
    if (settings[field] !== "") {
        return settings;
    }
    const { [field]: _empty, ...rest } = settings;
    return rest as T;
}

export type StackConfig = DeepReadonly<ReturnType<typeof resolveStackConfig>>;
export type NetworkConfig = StackConfig["network"];
export type OpenSearchConfig = StackConfig["logging"]["opensearch"];
export type LogstashConfig = StackConfig["logging"]["logstash"];
export type UsageAssumptions = StackConfig["usageAssumptions"];

/** The usage assumptions of a stack that sets none: the schema's defaults. */
export const DEFAULT_USAGE_ASSUMPTIONS: UsageAssumptions = usageAssumptions.parse({});

/** What `defaultClients` looks at. */
interface EstateShape {
    readonly web: { readonly autoScaling: { readonly enabled: boolean } };
    readonly database: { readonly rds: { readonly enabled: boolean }; readonly replica: { readonly enabled: boolean } };
    readonly jenkins: { readonly enabled: boolean };
    readonly monitoring: { readonly enabled: boolean };
}

/** The client count an estate of this shape is sized for (docs/sizing.md), when `clients` is not set. */
export function defaultClients(config: EstateShape): number {
    if (config.web.autoScaling.enabled || config.database.rds.enabled) {
        return 1_000_000;
    }
    if (config.database.replica.enabled || config.jenkins.enabled || config.monitoring.enabled) {
        return 150_000;
    }
    return 30_000;
}
