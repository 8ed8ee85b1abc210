/**
 * The stack configuration's reader: its defaults and its validation. The
 * shape it produces is domain/stack-config.ts.
 *
 * Config is read once, every problem is collected into one ConfigError (so a
 * bad stack file fails before any resource is registered, listing all that is
 * wrong), and the result is handed down as a deeply frozen object.
 *
 * Keys live in the `scale-tiers` namespace. The scalar and list keys are
 * declared, with their defaults, in Pulumi.yaml; the per-feature objects
 * (`loadBalancer`, `web`, `database`) cannot be declared there because the
 * project schema has no object type, so their defaults live here. See
 * docs/configuration.md for the reference.
 */
import * as pulumi from "@pulumi/pulumi";
import { AWS_RESERVED_RANGE, PRIVATE_RANGES, contains, overlaps, parseCidr } from "../domain/cidr";
import { instanceTypeProblem, memoryGiB } from "../domain/instance-types";
import { MIGRATION_PHASES, allowedNextPhases, schemaProblems, transitionProblem } from "../domain/migration";
import { MYSQL_ROLES, MYSQL_VERSIONS, MysqlVersion } from "../domain/database";
import {
    AlarmThresholds,
    AutoScalingConfig,
    CollaborationConfig,
    DatabaseConfig,
    DataVolumeConfig,
    ElastiCacheConfig,
    JenkinsConfig,
    LoadBalancerConfig,
    LOG_RETENTION_DAYS,
    LoggingConfig,
    LogstashConfig,
    MemcachedConfig,
    MigrationConfig,
    MonitoringConfig,
    NAT_GATEWAY_STRATEGIES,
    NetworkConfig,
    OpenSearchConfig,
    QueueConfig,
    RabbitmqConfig,
    RdsConfig,
    ReplicaConfig,
    SNAPSHOT_INTERVAL_HOURS,
    SnapshotConfig,
    SqsConfig,
    StackConfig,
    defaultClients,
    ToolName,
    ToolServerConfig,
    WebConfig,
} from "../domain/stack-config";
import { ConfigError, Json, ObjectReader, Problems, nearest } from "./schema";

/** What Pulumi hands the program: every config value as a string, keyed `namespace:key`. */
export interface RawStackConfig {
    readonly project: string;
    readonly stack: string;
    readonly values: { readonly [key: string]: string };
}

const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const HEALTH_CHECK_PATH = /^\/[A-Za-z0-9._~/-]{0,1023}$/;

/**
 * Decodes CLI config strings. Objects, lists, numbers and booleans arrive as
 * JSON text; a value that is not JSON stays a string, so the reader reports
 * it as the wrong type rather than as a parse error.
 */
function decode(text: string): Json {
    try {
        return JSON.parse(text) as Json;
    } catch {
        return text;
    }
}

/** Keys whose value is a plain string even when it happens to look like JSON. */
const STRING_KEYS = new Set(["vpcCidr", "natGateways", "privateZoneName"]);

function namespaceValues(raw: RawStackConfig): { [key: string]: Json } {
    const prefix = `${raw.project}:`;
    const values: { [key: string]: Json } = {};
    for (const [key, text] of Object.entries(raw.values)) {
        if (key.startsWith(prefix)) {
            const field = key.slice(prefix.length);
            values[field] = STRING_KEYS.has(field) ? text : decode(text);
        }
    }
    return values;
}

/**
 * Config namespaces something in this program reads: its own, its providers'
 * (aws, awsx, random, tls) and Pulumi's. A key in any other namespace would be
 * ignored, and an ignored typo can delete what the key was meant to keep
 * (`scale-tier:memcached` on a deployed estate removes its memcached nodes).
 */
const PROVIDER_NAMESPACES = ["aws", "awsx", "random", "tls", "pulumi"] as const;

/** Refuses keys that no reader would see: without a namespace, or in a namespace nothing reads. */
function checkNamespaces(problems: Problems, raw: RawStackConfig): void {
    const namespaces = [raw.project, ...PROVIDER_NAMESPACES];
    for (const key of Object.keys(raw.values)) {
        const colon = key.indexOf(":");
        if (colon <= 0) {
            problems.add(
                key,
                "has no namespace, and the Pulumi CLI refuses a key that is not of the form <namespace>:<name>",
                `write it as ${raw.project}:${key.slice(colon + 1)} if it is this program's setting`,
            );
            continue;
        }
        const namespace = key.slice(0, colon);
        if (!namespaces.includes(namespace)) {
            const meant = nearest(namespace, namespaces);
            problems.add(
                key,
                `is in namespace "${namespace}", which nothing in this program reads, so the setting would be ignored`,
                meant
                    ? `write it as ${meant}:${key.slice(colon + 1)}`
                    : `use one of the namespaces ${namespaces.join(", ")}, or remove it`,
            );
        }
    }
}

function readRegion(problems: Problems, raw: RawStackConfig): string {
    const region = raw.values["aws:region"];
    if (region === undefined || !REGION_PATTERN.test(region)) {
        problems.add(
            "aws:region",
            region === undefined ? "is not set" : `"${region}" is not an AWS region name`,
            "set it to a region such as ap-northeast-2 (Pulumi.yaml sets this default)",
        );
        return "ap-northeast-2";
    }
    return region;
}

function cidrProblem(text: string): string | undefined {
    const cidr = parseCidr(text);
    if (typeof cidr === "string") {
        return cidr;
    }
    if (cidr.prefix < 16 || cidr.prefix > 20) {
        return `/${cidr.prefix} is outside /16 to /20; the subnet layout needs a /20 at least and AWS allows /16 at most`;
    }
    if (!PRIVATE_RANGES.some((range) => contains(range, cidr))) {
        return `"${text}" is not inside a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10)`;
    }
    if (overlaps(cidr, AWS_RESERVED_RANGE)) {
        return `"${text}" overlaps 172.17.0.0/16, which AWS services and Docker use`;
    }
    return undefined;
}

function zoneNameProblem(name: string): string | undefined {
    const labels = name.split(".");
    if (name.length > 253 || labels.length < 2 || !labels.every((label) => DNS_LABEL.test(label))) {
        return `"${name}" is not a lower-case DNS name of two or more labels`;
    }
    return undefined;
}

function readNetwork(top: ObjectReader, region: string): NetworkConfig {
    const fromPulumiYaml = "(Pulumi.yaml declares its default)";
    const vpcCidr = top.string("vpcCidr", {
        check: cidrProblem,
        fix: `give a private IPv4 block from /16 to /20 such as 10.40.0.0/16 ${fromPulumiYaml}`,
    });
    const availabilityZones = top.stringArray(
        "availabilityZones",
        `list 2 to 4 AZ names of ${region}, e.g. ${region}a, ${region}b ${fromPulumiYaml}`,
    );
    const azFix = `list 2 to 4 distinct AZ names of ${region}, such as ${region}a and ${region}b`;
    if (availabilityZones.length > 0 && (availabilityZones.length < 2 || availabilityZones.length > 4)) {
        top.problem("availabilityZones", `has ${availabilityZones.length} AZ(s)`, azFix);
    }
    if (new Set(availabilityZones).size !== availabilityZones.length) {
        top.problem("availabilityZones", "lists an AZ twice", azFix);
    }
    const foreign = availabilityZones.filter((az) => !new RegExp(`^${region}[a-z]$`).test(az));
    if (foreign.length > 0) {
        top.problem("availabilityZones", `${foreign.map((az) => `"${az}"`).join(", ")} not in region ${region}`, azFix);
    }
    return {
        vpcCidr,
        availabilityZones,
        natGateways: top.oneOf("natGateways", NAT_GATEWAY_STRATEGIES),
        privateZoneName: top.string("privateZoneName", {
            check: zoneNameProblem,
            fix: "use a private DNS name such as scale-tiers.internal",
        }),
        logRetentionDays: top.integerOneOf("logRetentionDays", LOG_RETENTION_DAYS, {}),
    };
}

function certificateProblem(region: string) {
    return (arn: string): string | undefined => {
        const match = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate\/[0-9a-f-]{36}$/.exec(arn);
        if (!match) {
            return `"${arn}" is not an ACM certificate ARN`;
        }
        if (match[1] !== region) {
            return `the certificate is in ${match[1]}, but a load balancer can only use a certificate of its own region ${region}`;
        }
        return undefined;
    };
}

function readLoadBalancer(reader: ObjectReader, region: string): LoadBalancerConfig {
    const certificateArn = reader.string("certificateArn", {
        default: "",
        check: (arn) => (arn === "" ? undefined : certificateProblem(region)(arn)),
        fix: `give an ACM certificate ARN from ${region}, or leave it out for HTTP only`,
    });
    const config: LoadBalancerConfig = {
        ...(certificateArn ? { certificateArn } : {}),
        deletionProtection: reader.boolean("deletionProtection", true),
        accessLogRetentionDays: reader.integer("accessLogRetentionDays", { default: 90, min: 1, max: 3650 }),
        idleTimeoutSeconds: reader.integer("idleTimeoutSeconds", { default: 60, min: 1, max: 4000 }),
    };
    reader.rejectUnknown();
    return config;
}

function instanceType(reader: ObjectReader, field: string, fallback: string): string {
    return reader.string(field, {
        default: fallback,
        check: instanceTypeProblem,
        fix: "use a current-generation EC2 instance type such as t3.small, m7i.large or r7g.xlarge",
    });
}

function readAutoScaling(reader: ObjectReader, azCount: number): AutoScalingConfig {
    const config: AutoScalingConfig = {
        enabled: reader.boolean("enabled", false),
        minSize: reader.integer("minSize", { default: 2, min: 1, max: 100 }),
        maxSize: reader.integer("maxSize", { default: 10, min: 1, max: 500 }),
        targetCpuPercent: reader.integer("targetCpuPercent", { default: 50, min: 10, max: 90 }),
        targetRequestsPerMinute: reader.integer("targetRequestsPerMinute", { default: 6000, min: 60, max: 1000000 }),
        healthCheckGraceSeconds: reader.integer("healthCheckGraceSeconds", { default: 300, min: 0, max: 7200 }),
        instanceWarmupSeconds: reader.integer("instanceWarmupSeconds", { default: 180, min: 0, max: 3600 }),
        minHealthyPercent: reader.integer("minHealthyPercent", { default: 90, min: 0, max: 100 }),
    };
    if (config.maxSize < config.minSize) {
        reader.problem(
            "maxSize",
            `${config.maxSize} is below minSize ${config.minSize}`,
            "raise maxSize to minSize or more",
        );
    }
    if (config.enabled && azCount > 0 && config.minSize < azCount) {
        reader.problem(
            "minSize",
            `${config.minSize} instance(s) cannot cover the ${azCount} AZs, so losing one AZ could leave no server`,
            `set minSize to ${azCount} or more`,
        );
    }
    reader.rejectUnknown();
    return config;
}

function readWeb(reader: ObjectReader, azCount: number): WebConfig {
    const autoScaling = readAutoScaling(reader.object("autoScaling"), azCount);
    if (autoScaling.enabled && reader.has("instanceCount")) {
        reader.problem(
            "instanceCount",
            "is set while autoScaling.enabled is true; the group replaces the fixed instances",
            "remove instanceCount, or set autoScaling.enabled: false",
        );
    }
    const config: WebConfig = {
        instanceCount: reader.integer("instanceCount", { default: 2, min: 1, max: 20 }),
        instanceType: instanceType(reader, "instanceType", "t3.small"),
        rootVolumeGiB: reader.integer("rootVolumeGiB", { default: 20, min: 8, max: 1024 }),
        healthCheckPath: reader.string("healthCheckPath", {
            default: "/healthz",
            check: (path) => (HEALTH_CHECK_PATH.test(path) ? undefined : `"${path}" is not an absolute URL path`),
            fix: "use a path such as /healthz (letters, digits, . _ ~ - /)",
        }),
        autoScaling,
    };
    reader.rejectUnknown();
    return config;
}

function readDataVolume(reader: ObjectReader): DataVolumeConfig {
    // gp3 limits that every region accepts; the ratios are AWS's own rules.
    const config: DataVolumeConfig = {
        sizeGiB: reader.integer("sizeGiB", { default: 100, min: 20, max: 16384 }),
        iops: reader.integer("iops", { default: 3000, min: 3000, max: 16000 }),
        throughputMiBps: reader.integer("throughputMiBps", { default: 125, min: 125, max: 1000 }),
    };
    if (config.iops > 500 * config.sizeGiB) {
        reader.problem(
            "iops",
            `${config.iops} IOPS on ${config.sizeGiB} GiB exceeds gp3's 500 IOPS per GiB`,
            "lower iops or grow sizeGiB",
        );
    }
    if (config.throughputMiBps > config.iops / 4) {
        reader.problem(
            "throughputMiBps",
            `${config.throughputMiBps} MiB/s with ${config.iops} IOPS exceeds gp3's 0.25 MiB/s per IOPS`,
            "lower throughputMiBps or raise iops",
        );
    }
    reader.rejectUnknown();
    return config;
}

/** Why `name` is not a managed-service class such as `db.r7g.large`, or undefined when it is one. */
function managedClassProblem(name: string, prefix: string, suffix: string): string | undefined {
    if (!name.startsWith(prefix) || !name.endsWith(suffix)) {
        return `"${name}" is not of the form ${prefix}<family>.<size>${suffix}`;
    }
    return instanceTypeProblem(name.slice(prefix.length, name.length - suffix.length));
}

function managedClass(
    reader: ObjectReader,
    field: string,
    fallback: string,
    shape: { prefix: string; suffix: string },
): string {
    return reader.string(field, {
        default: fallback,
        check: (name) => managedClassProblem(name, shape.prefix, shape.suffix),
        fix: `use a current class such as ${fallback}`,
    });
}

const RDS_CLASS = { prefix: "db.", suffix: "" };
const BACKUP_WINDOW = /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/;
const MAINTENANCE_WINDOW =
    /^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$/;
const PERFORMANCE_INSIGHTS_DAYS = [7, ...Array.from({ length: 23 }, (_, i) => 31 * (i + 1)), 731];
const MONITORING_INTERVALS = [1, 5, 10, 15, 30, 60] as const;

function readRds(reader: ObjectReader, sourceVersion: MysqlVersion, azCount: number): RdsConfig {
    const instanceClass = managedClass(reader, "instanceClass", "db.r7g.large", RDS_CLASS);
    const config: RdsConfig = {
        enabled: reader.boolean("enabled", false),
        instanceClass,
        engineVersion: reader.oneOf("engineVersion", MYSQL_VERSIONS, sourceVersion),
        allocatedStorageGiB: reader.integer("allocatedStorageGiB", { default: 100, min: 20, max: 65536 }),
        maxAllocatedStorageGiB: reader.integer("maxAllocatedStorageGiB", { default: 1000, min: 22, max: 65536 }),
        multiAz: reader.boolean("multiAz", true),
        backupRetentionDays: reader.integer("backupRetentionDays", { default: 14, min: 1, max: 35 }),
        backupWindow: reader.string("backupWindow", {
            default: "17:00-18:00",
            check: (w) => (BACKUP_WINDOW.test(w) ? undefined : `"${w}" is not a UTC window hh:mm-hh:mm`),
            fix: "give a UTC window such as 17:00-18:00",
        }),
        maintenanceWindow: reader.string("maintenanceWindow", {
            default: "sun:18:30-sun:19:30",
            check: (w) => (MAINTENANCE_WINDOW.test(w) ? undefined : `"${w}" is not a UTC window ddd:hh:mm-ddd:hh:mm`),
            fix: "give a UTC window such as sun:18:30-sun:19:30",
        }),
        readReplicas: reader.integer("readReplicas", { default: 0, min: 0, max: 5 }),
        replicaInstanceClass: managedClass(reader, "replicaInstanceClass", instanceClass, RDS_CLASS),
        performanceInsightsRetentionDays: reader.integerOneOf(
            "performanceInsightsRetentionDays",
            PERFORMANCE_INSIGHTS_DAYS,
            { default: 7 },
        ),
        monitoringIntervalSeconds: reader.integerOneOf("monitoringIntervalSeconds", MONITORING_INTERVALS, {
            default: 60,
        }),
    };
    if (config.maxAllocatedStorageGiB < Math.ceil(config.allocatedStorageGiB * 1.1)) {
        reader.problem(
            "maxAllocatedStorageGiB",
            `${config.maxAllocatedStorageGiB} GiB is not at least 10% above allocatedStorageGiB ${config.allocatedStorageGiB}, as storage autoscaling requires`,
            `set it to ${Math.ceil(config.allocatedStorageGiB * 1.1)} or more`,
        );
    }
    if (MYSQL_VERSIONS.indexOf(config.engineVersion) > MYSQL_VERSIONS.indexOf(sourceVersion)) {
        reader.problem(
            "engineVersion",
            `${config.engineVersion} is older than the self-managed server's ${sourceVersion}; DMS would replicate to an older engine and back`,
            `use ${sourceVersion}`,
        );
    }
    if (config.multiAz && azCount === 1) {
        reader.problem("multiAz", "needs two AZs, and the VPC has one", "list two or more availabilityZones");
    }
    reader.rejectUnknown();
    return config;
}

function readDatabase(reader: ObjectReader, azCount: number): DatabaseConfig {
    const dataVolume = readDataVolume(reader.object("dataVolume"));
    const snapshotsReader = reader.object("snapshots");
    const snapshots: SnapshotConfig = {
        intervalHours: snapshotsReader.integer("intervalHours", { default: 24, min: 1, max: 24 }),
        retainCount: snapshotsReader.integer("retainCount", { default: 7, min: 1, max: 1000 }),
    };
    if (!(SNAPSHOT_INTERVAL_HOURS as readonly number[]).includes(snapshots.intervalHours)) {
        snapshotsReader.problem(
            "intervalHours",
            `${snapshots.intervalHours} is not an interval Data Lifecycle Manager accepts`,
            `use one of ${SNAPSHOT_INTERVAL_HOURS.join(", ")}`,
        );
    }
    snapshotsReader.rejectUnknown();
    const primaryType = instanceType(reader, "instanceType", "r7i.large");
    const replicaReader = reader.object("replica");
    const replica: ReplicaConfig = {
        enabled: replicaReader.boolean("enabled", false),
        instanceType: instanceType(replicaReader, "instanceType", primaryType),
    };
    replicaReader.rejectUnknown();
    const mysqlVersion = reader.oneOf("mysqlVersion", MYSQL_VERSIONS, "8.4");
    const config: DatabaseConfig = {
        instanceType: primaryType,
        mysqlVersion,
        dataVolume,
        snapshots,
        binlogRetentionHours: reader.integer("binlogRetentionHours", { default: 168, min: 24, max: 720 }),
        replica,
        writer: reader.oneOf("writer", MYSQL_ROLES, "primary"),
        selfManaged: reader.boolean("selfManaged", true),
        rds: readRds(reader.object("rds"), mysqlVersion, azCount),
    };
    if (!config.selfManaged && !config.rds.enabled) {
        reader.problem(
            "selfManaged",
            "is false, and without RDS the estate has no database",
            "set database.rds.enabled: true, or selfManaged: true",
        );
    }
    if (config.writer === "replica" && !replica.enabled) {
        reader.problem(
            "writer",
            "is replica, but there is no replica to fail over to",
            "set database.replica.enabled: true, or writer: primary",
        );
    }
    reader.rejectUnknown();
    return config;
}

/** Memory a cache node must leave to the operating system and memcached's own overhead. */
const SYSTEM_RESERVE_MIB = 1024;

function readMemcached(reader: ObjectReader): MemcachedConfig {
    const config: MemcachedConfig = {
        enabled: reader.boolean("enabled", false),
        nodeCount: reader.integer("nodeCount", { default: 2, min: 1, max: 20 }),
        instanceType: instanceType(reader, "instanceType", "r7i.large"),
        memoryMiB: reader.integer("memoryMiB", { default: 12288, min: 64, max: 1048576 }),
        maxConnections: reader.integer("maxConnections", { default: 4096, min: 1024, max: 65536 }),
        draining: reader.boolean("draining", false),
    };
    const available = memoryGiB(config.instanceType);
    if (available !== undefined && config.memoryMiB > available * 1024 - SYSTEM_RESERVE_MIB) {
        reader.problem(
            "memoryMiB",
            `${config.memoryMiB} MiB does not fit on ${config.instanceType} (${available} GiB) with ${SYSTEM_RESERVE_MIB} MiB left to the system`,
            `lower memoryMiB to at most ${available * 1024 - SYSTEM_RESERVE_MIB} or pick a larger instance type`,
        );
    }
    reader.rejectUnknown();
    return config;
}

function readRabbitmq(reader: ObjectReader): RabbitmqConfig {
    const nodeCount = reader.integer("nodeCount", { default: 3, min: 1, max: 7 });
    if (nodeCount === 2) {
        reader.problem(
            "nodeCount",
            "2 nodes cannot keep a quorum when one fails, so quorum queues would stop",
            "use 1 (no redundancy) or 3 to 7",
        );
    }
    const managementCidrs = reader.stringArray(
        "managementCidrs",
        "list admin or VPN CIDR blocks, e.g. [10.8.0.0/16]",
        [],
    );
    rejectRepeats(reader, "managementCidrs", managementCidrs);
    managementCidrs.forEach((cidr) => {
        const problem = adminCidrProblem(cidr);
        if (problem) {
            reader.problem(
                "managementCidrs",
                problem,
                "list admin or VPN CIDR blocks such as 10.8.0.0/16, never 0.0.0.0/0",
            );
        }
    });
    const config: RabbitmqConfig = {
        enabled: reader.boolean("enabled", false),
        nodeCount,
        instanceType: instanceType(reader, "instanceType", "m7i.large"),
        dataVolumeGiB: reader.integer("dataVolumeGiB", { default: 100, min: 20, max: 16384 }),
        managementCidrs,
        tls: reader.boolean("tls", false),
        draining: reader.boolean("draining", false),
        retired: reader.boolean("retired", false),
    };
    if (config.retired && config.enabled) {
        reader.problem(
            "retired",
            "is true while the cluster is enabled",
            "set enabled: false to retire it, or retired: false to keep it",
        );
    }
    // The nodes raise RabbitMQ's disk alarm (and stop publishers) when free disk falls below their RAM.
    const memory = memoryGiB(config.instanceType);
    if (memory !== undefined && config.dataVolumeGiB < 2 * memory) {
        reader.problem(
            "dataVolumeGiB",
            `${config.dataVolumeGiB} GiB is less than twice the ${memory} GiB of ${config.instanceType}; RabbitMQ blocks publishers when free disk drops below its RAM`,
            `set it to at least ${2 * memory}`,
        );
    }
    reader.rejectUnknown();
    return config;
}

const MEMCACHED_TLS_MIN_VERSION = [1, 6, 12];

function readElastiCache(reader: ObjectReader): ElastiCacheConfig {
    const config: ElastiCacheConfig = {
        enabled: reader.boolean("enabled", false),
        nodeType: managedClass(reader, "nodeType", "cache.r7g.large", { prefix: "cache.", suffix: "" }),
        nodeCount: reader.integer("nodeCount", { default: 3, min: 2, max: 40 }),
        engineVersion: reader.string("engineVersion", {
            default: "1.6.22",
            check: (version) => {
                const parts = /^(\d+)\.(\d+)\.(\d+)$/.exec(version)?.slice(1).map(Number);
                if (!parts) {
                    return `"${version}" is not a version like 1.6.22`;
                }
                const older = parts.findIndex((part, i) => part !== MEMCACHED_TLS_MIN_VERSION[i]);
                return older >= 0 && parts[older] < MEMCACHED_TLS_MIN_VERSION[older]
                    ? `${version} has no in-transit encryption, which memcached gets from 1.6.12`
                    : undefined;
            },
            fix: "use 1.6.12 or later, e.g. 1.6.22",
        }),
    };
    reader.rejectUnknown();
    return config;
}

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,40}$/;

function readSqs(reader: ObjectReader): SqsConfig {
    const enabled = reader.boolean("enabled", false);
    const fix = "list queues as {name: orders, visibilityTimeoutSeconds: 60}";
    const queues = reader.objectArray("queues", fix).map((queueReader) => {
        const queue: QueueConfig = {
            name: queueReader.string("name", {
                check: (name) =>
                    QUEUE_NAME.test(name) ? undefined : `"${name}" is not 1 to 40 letters, digits, - or _`,
                fix: "name the queue, e.g. orders (letters, digits, - and _)",
            }),
            visibilityTimeoutSeconds: queueReader.integer("visibilityTimeoutSeconds", {
                default: 60,
                min: 0,
                max: 43200,
            }),
            retentionDays: queueReader.integer("retentionDays", { default: 4, min: 1, max: 14 }),
            maxReceiveCount: queueReader.integer("maxReceiveCount", { default: 5, min: 1, max: 1000 }),
        };
        queueReader.rejectUnknown();
        return queue;
    });
    const names = queues.map((q) => q.name);
    const twice = names.filter((name, i) => name !== "" && names.indexOf(name) !== i);
    if (twice.length > 0) {
        reader.problem(
            "queues",
            `names ${[...new Set(twice)].join(", ")} more than once`,
            "give each queue its own name",
        );
    }
    if (enabled && queues.length === 0) {
        reader.problem("queues", "is empty while sqs.enabled is true", fix);
    }
    reader.rejectUnknown();
    return { enabled, queues };
}

/** OpenSearch spreads a domain over at most three AZs. */
export const OPENSEARCH_MAX_ZONES = 3;

function readLogging(reader: ObjectReader, azCount: number): LoggingConfig {
    const searchReader = reader.object("opensearch");
    const opensearch: OpenSearchConfig = {
        engineVersion: searchReader.string("engineVersion", {
            default: "OpenSearch_2.19",
            check: (v) => (/^OpenSearch_\d+\.\d+$/.test(v) ? undefined : `"${v}" is not like OpenSearch_2.19`),
            fix: "use an OpenSearch engine version such as OpenSearch_2.19",
        }),
        instanceType: managedClass(searchReader, "instanceType", "r7g.large.search", { prefix: "", suffix: ".search" }),
        instanceCount: searchReader.integer("instanceCount", { default: 3, min: 2, max: 80 }),
        volumeGiB: searchReader.integer("volumeGiB", { default: 100, min: 10, max: 24576 }),
        masterInstanceType: managedClass(searchReader, "masterInstanceType", "m7g.large.search", {
            prefix: "",
            suffix: ".search",
        }),
    };
    const zones = Math.min(azCount, OPENSEARCH_MAX_ZONES);
    if (zones > 0 && opensearch.instanceCount % zones !== 0) {
        searchReader.problem(
            "instanceCount",
            `${opensearch.instanceCount} data nodes do not divide evenly over ${zones} AZs`,
            `use a multiple of ${zones}`,
        );
    }
    searchReader.rejectUnknown();
    const logstashReader = reader.object("logstash");
    const logstash: LogstashConfig = {
        instanceType: instanceType(logstashReader, "instanceType", "c7g.large"),
        instanceCount: logstashReader.integer("instanceCount", { default: 2, min: 2, max: 20 }),
        queueVolumeGiB: logstashReader.integer("queueVolumeGiB", { default: 50, min: 10, max: 16384 }),
    };
    logstashReader.rejectUnknown();
    const config: LoggingConfig = { enabled: reader.boolean("enabled", false), opensearch, logstash };
    reader.rejectUnknown();
    return config;
}

/**
 * A self-managed service and its managed replacement may run side by side
 * only while the old one drains; draining with nothing to drain to is a mistake too.
 */
function checkReplacement(
    top: ObjectReader,
    old: { key: string; enabled: boolean; draining: boolean },
    managed: { key: string; enabled: boolean },
): void {
    if (old.enabled && managed.enabled && !old.draining) {
        top.problem(
            old.key,
            `is enabled alongside ${managed.key}, and the web tier can use only one`,
            `set ${old.key}.draining: true while it drains, then ${old.key}.enabled: false`,
        );
    }
    if (old.draining && !managed.enabled) {
        top.problem(
            `${old.key}.draining`,
            `is true but ${managed.key} is off, so nothing takes over`,
            `enable ${managed.key}, or set ${old.key}.draining: false`,
        );
    }
}

function readMigration(reader: ObjectReader, database: DatabaseConfig): MigrationConfig {
    const phase = reader.oneOf("phase", MIGRATION_PHASES, "none");
    const from = reader.oneOf("from", MIGRATION_PHASES, "none");
    const config: MigrationConfig = {
        phase,
        from,
        replicationInstanceClass: managedClass(reader, "replicationInstanceClass", "dms.r6i.large", {
            prefix: "dms.",
            suffix: "",
        }),
        allocatedStorageGiB: reader.integer("allocatedStorageGiB", { default: 100, min: 5, max: 6144 }),
        multiAz: reader.boolean("multiAz", true),
        engineVersion: reader.string("engineVersion", {
            default: "",
            check: (v) => (v === "" || /^\d+\.\d+\.\d+$/.test(v) ? undefined : `"${v}" is not a version like 3.5.4`),
            fix: "give a DMS engine version such as 3.5.4, or leave it out for DMS's default",
        }),
        includeSchemas: reader.stringArray("includeSchemas", 'list schema names, e.g. ["app"]', ["app"]),
        excludeSchemas: reader.stringArray("excludeSchemas", "list schema names", []),
        maxCdcLatencySeconds: reader.integer("maxCdcLatencySeconds", { default: 5, min: 1, max: 600 }),
        gateWaitSeconds: reader.integer("gateWaitSeconds", { default: 300, min: 0, max: 3600 }),
        alarmCdcLatencySeconds: reader.integer("alarmCdcLatencySeconds", { default: 300, min: 10, max: 86400 }),
        manageServiceRoles: reader.boolean("manageServiceRoles", true),
    };
    const transition = transitionProblem(from, phase);
    if (transition) {
        reader.problem(
            "phase",
            transition,
            `set migration.phase to one of ${allowedNextPhases(from).join(", ")}, or migration.from to the phase the stack is in`,
        );
    }
    if (phase !== "none" && !database.rds.enabled) {
        reader.problem("phase", `is ${phase}, but there is no RDS to migrate to`, "set database.rds.enabled: true");
    }
    if (phase !== "none" && !database.selfManaged) {
        reader.problem(
            "phase",
            `is ${phase}, but database.selfManaged is false: there is no self-managed MySQL to migrate from`,
            "set migration.phase: none",
        );
    }
    schemaProblems(config.includeSchemas, config.excludeSchemas).forEach((p) =>
        reader.problem(p.field, p.problem, p.fix),
    );
    reader.rejectUnknown();
    return config;
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[a-z]{2,}$/i;

function readMonitoring(reader: ObjectReader): MonitoringConfig {
    const alarmEmails = reader.stringArray("alarmEmails", "list e-mail addresses", []);
    rejectRepeats(reader, "alarmEmails", alarmEmails, (email) => email.toLowerCase());
    alarmEmails
        .filter((email) => !EMAIL.test(email))
        .forEach((email) =>
            reader.problem("alarmEmails", `"${email}" is not an e-mail address`, "list addresses like ops@example.com"),
        );
    const alarmsReader = reader.object("alarms");
    const alarms: AlarmThresholds = {
        targetResponseSeconds: alarmsReader.integer("targetResponseSeconds", { default: 1, min: 1, max: 60 }),
        replicationLagSeconds: alarmsReader.integer("replicationLagSeconds", { default: 60, min: 1, max: 86400 }),
        queueDepth: alarmsReader.integer("queueDepth", { default: 10000, min: 1, max: 100000000 }),
        cacheEvictions: alarmsReader.integer("cacheEvictions", { default: 1000, min: 1, max: 100000000 }),
        oldestMessageSeconds: alarmsReader.integer("oldestMessageSeconds", { default: 900, min: 60, max: 1209600 }),
    };
    alarmsReader.rejectUnknown();
    const config: MonitoringConfig = { enabled: reader.boolean("enabled", false), alarmEmails, alarms };
    if (!config.enabled && alarmEmails.length > 0) {
        reader.problem(
            "alarmEmails",
            "lists subscribers while monitoring is off",
            "set monitoring.enabled: true, or remove alarmEmails",
        );
    }
    reader.rejectUnknown();
    return config;
}

/** Jira's own minimum for a production instance. */
const JIRA_MIN_MEMORY_GIB = 8;

function readToolServer(
    reader: ObjectReader,
    defaults: { instanceType: string; dataVolumeGiB: number },
): ToolServerConfig {
    return {
        enabled: reader.boolean("enabled", false),
        instanceType: instanceType(reader, "instanceType", defaults.instanceType),
        dataVolumeGiB: reader.integer("dataVolumeGiB", { default: defaults.dataVolumeGiB, min: 20, max: 16384 }),
    };
}

function readJenkins(reader: ObjectReader): JenkinsConfig {
    const config: JenkinsConfig = {
        ...readToolServer(reader, { instanceType: "m7i.large", dataVolumeGiB: 100 }),
        artifactRetentionDays: reader.integer("artifactRetentionDays", { default: 365, min: 30, max: 3650 }),
        deployBatchPercent: reader.integer("deployBatchPercent", { default: 25, min: 1, max: 100 }),
    };
    reader.rejectUnknown();
    return config;
}

/**
 * Reports an entry listed twice (compared as `normalize` gives it): each entry
 * names its own resources (a security-group rule per block, a subscription per
 * address), so a repeated one would be a second resource with the same name.
 */
function rejectRepeats(
    reader: ObjectReader,
    field: string,
    values: readonly string[],
    normalize: (value: string) => string = (value) => value,
): void {
    const seen = new Set<string>();
    for (const value of values) {
        const key = normalize(value);
        if (seen.has(key)) {
            reader.problem(field, `lists "${value}" twice`, "list each entry once");
        }
        seen.add(key);
    }
}

function adminCidrProblem(cidr: string): string | undefined {
    const parsed = parseCidr(cidr);
    if (typeof parsed === "string") {
        return parsed;
    }
    return parsed.prefix < 8 ? `"${cidr}" is a /${parsed.prefix}, far beyond an admin network or VPN range` : undefined;
}

function readCollaboration(reader: ObjectReader, region: string): CollaborationConfig {
    const adminCidrs = reader.stringArray("adminCidrs", "list admin or VPN CIDR blocks, e.g. [10.8.0.0/16]", []);
    rejectRepeats(reader, "adminCidrs", adminCidrs);
    adminCidrs.forEach((cidr) => {
        const problem = adminCidrProblem(cidr);
        if (problem) {
            reader.problem("adminCidrs", problem, "list admin or VPN CIDR blocks such as 10.8.0.0/16, never 0.0.0.0/0");
        }
    });
    const certificateArn = reader.string("certificateArn", {
        default: "",
        check: (arn) => (arn === "" ? undefined : certificateProblem(region)(arn)),
        fix: `give an ACM certificate ARN from ${region}, or leave it out for HTTP only`,
    });
    const tool = (name: ToolName, defaults: { instanceType: string; dataVolumeGiB: number }) => {
        const toolReader = reader.object(name);
        const config = readToolServer(toolReader, defaults);
        toolReader.rejectUnknown();
        return { toolReader, config };
    };
    const jira = tool("jira", { instanceType: "m7i.xlarge", dataVolumeGiB: 100 });
    const memory = memoryGiB(jira.config.instanceType);
    if (jira.config.enabled && memory !== undefined && memory < JIRA_MIN_MEMORY_GIB) {
        jira.toolReader.problem(
            "instanceType",
            `${jira.config.instanceType} has ${memory} GiB; Jira needs at least ${JIRA_MIN_MEMORY_GIB} GiB`,
            "pick a type with 8 GiB or more, such as m7i.large",
        );
    }
    const config: CollaborationConfig = {
        adminCidrs,
        ...(certificateArn ? { certificateArn } : {}),
        jira: jira.config,
        wiki: tool("wiki", { instanceType: "t3.medium", dataVolumeGiB: 50 }).config,
        cms: tool("cms", { instanceType: "t3.medium", dataVolumeGiB: 50 }).config,
    };
    reader.rejectUnknown();
    return config;
}

function deepFreeze<T>(value: T): T {
    if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
        Object.values(value).forEach(deepFreeze);
        Object.freeze(value);
    }
    return value;
}

/**
 * Validates raw config and returns it typed, defaulted and frozen.
 * Throws one ConfigError that lists every problem.
 */
export function parseStackConfig(raw: RawStackConfig): StackConfig {
    const problems = new Problems();
    checkNamespaces(problems, raw);
    const region = readRegion(problems, raw);
    const top = new ObjectReader(problems, `${raw.project}:`, namespaceValues(raw));
    const network = readNetwork(top, region);
    const azCount = network.availabilityZones.length;
    const database = readDatabase(top.object("database"), azCount);
    const sections: Omit<StackConfig, "clients"> = {
        project: raw.project,
        stack: raw.stack,
        region,
        network,
        loadBalancer: readLoadBalancer(top.object("loadBalancer"), region),
        web: readWeb(top.object("web"), azCount),
        database,
        memcached: readMemcached(top.object("memcached")),
        rabbitmq: readRabbitmq(top.object("rabbitmq")),
        elasticache: readElastiCache(top.object("elasticache")),
        sqs: readSqs(top.object("sqs")),
        monitoring: readMonitoring(top.object("monitoring")),
        logging: readLogging(top.object("logging"), azCount),
        jenkins: readJenkins(top.object("jenkins")),
        migration: readMigration(top.object("migration"), database),
        collaboration: readCollaboration(top.object("collaboration"), region),
    };
    const config: StackConfig = {
        ...sections,
        clients: top.integer("clients", { default: defaultClients(sections), min: 1, max: 1_000_000_000 }),
    };
    checkReplacement(top, { key: "memcached", ...config.memcached }, { key: "elasticache", ...config.elasticache });
    checkReplacement(top, { key: "rabbitmq", ...config.rabbitmq }, { key: "sqs", ...config.sqs });
    top.rejectUnknown();
    if (problems.all.length > 0) {
        throw new ConfigError(problems.all);
    }
    return deepFreeze(config);
}

/** Reads the running stack's config from the Pulumi runtime. */
export function loadStackConfig(): StackConfig {
    return parseStackConfig({
        project: pulumi.getProject(),
        stack: pulumi.getStack(),
        values: pulumi.runtime.allConfig(),
    });
}
