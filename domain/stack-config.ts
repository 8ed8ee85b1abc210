/**
 * The stack configuration's typed shape: what stacks/config.ts hands down,
 * deeply frozen, once it has read and validated a stack's config, and what the
 * components' args take their settings from. Defaults and limits are stated on
 * each field; docs/configuration.md is the reference by key.
 */
import { MysqlRole, MysqlVersion } from "./database";
import { MigrationPhase } from "./migration";

/** How many NAT gateways the VPC gets: one shared (cheaper) or one per AZ (survives an AZ loss). */
export type NatGatewayStrategy = "Single" | "OnePerAz";
export const NAT_GATEWAY_STRATEGIES: readonly NatGatewayStrategy[] = ["Single", "OnePerAz"];

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Snapshot intervals Data Lifecycle Manager accepts, in hours. */
export const SNAPSHOT_INTERVAL_HOURS = [1, 2, 3, 4, 6, 8, 12, 24] as const;

/**
 * The VPC. Its layout (CIDR, AZs, subnet masks) is the same in every stack and
 * never changes after the first deployment: changing it would replace subnets
 * and everything in them. Only the NAT strategy differs between tiers.
 */
export interface NetworkConfig {
    /** `vpcCidr`: IPv4 block of the VPC, a private range from /16 to /20. Default `10.40.0.0/16`. */
    readonly vpcCidr: string;
    /** `availabilityZones`: 2 to 4 AZ names of the region. Default the first three of ap-northeast-2. */
    readonly availabilityZones: readonly string[];
    /** `natGateways`: `Single` or `OnePerAz`. Default `OnePerAz`. */
    readonly natGateways: NatGatewayStrategy;
    /** `privateZoneName`: Route 53 private hosted zone for internal names. Default `scale-tiers.internal`. */
    readonly privateZoneName: string;
    /** `logRetentionDays`: retention of the estate's CloudWatch log groups, in days. Default 30. */
    readonly logRetentionDays: number;
}

/** `loadBalancer`: the internet-facing Application Load Balancer. */
export interface LoadBalancerConfig {
    /**
     * ACM certificate ARN, in the stack's region. When set, HTTPS is served on
     * 443 and HTTP redirects to it; when unset, HTTP only. Default unset.
     */
    readonly certificateArn?: string;
    /** Refuse deletion of the load balancer (and so keep its DNS name). Default true. */
    readonly deletionProtection: boolean;
    /** Days access logs are kept in S3. Default 90. */
    readonly accessLogRetentionDays: number;
    /** Idle connection timeout, in seconds. Default 60. */
    readonly idleTimeoutSeconds: number;
}

/**
 * `web.autoScaling`: run the web tier as an Auto Scaling group instead of
 * fixed instances. Switching it on is a config change: the group comes up
 * healthy behind the same load balancer before the fixed instances go.
 */
export interface AutoScalingConfig {
    /** Run the group (and no fixed instances). Default false. */
    readonly enabled: boolean;
    /** Fewest instances; at least one per AZ so an AZ loss leaves servers. Default 2. */
    readonly minSize: number;
    /** Most instances. Default 10. */
    readonly maxSize: number;
    /** Average CPU the group scales to hold, percent. Default 50. */
    readonly targetCpuPercent: number;
    /** Load balancer requests per instance per minute the group scales to hold. Default 6000. */
    readonly targetRequestsPerMinute: number;
    /** Seconds after launch before ELB health checks count. Default 300. */
    readonly healthCheckGraceSeconds: number;
    /** Seconds a new instance takes to serve and count in the scaling metrics. Default 180. */
    readonly instanceWarmupSeconds: number;
    /** Share of capacity an instance refresh keeps in service, percent. Default 90. */
    readonly minHealthyPercent: number;
}

/** `web`: the web/app servers behind the load balancer. */
export interface WebConfig {
    /** Number of fixed EC2 instances, spread over the AZs; unused with `autoScaling`. Default 2. */
    readonly instanceCount: number;
    /** EC2 instance type. Default `t3.small`. */
    readonly instanceType: string;
    /** Root volume size, in GiB (gp3, encrypted). Default 20. */
    readonly rootVolumeGiB: number;
    /** Path the load balancer probes; the server answers it with 200. Default `/healthz`. */
    readonly healthCheckPath: string;
    readonly autoScaling: AutoScalingConfig;
}

/** `database.dataVolume`: the gp3 EBS volume that holds MySQL's data and binary logs. */
export interface DataVolumeConfig {
    /** Size in GiB. Default 100. */
    readonly sizeGiB: number;
    /** Provisioned IOPS, 3000 to 16000 and at most 500 per GiB. Default 3000. */
    readonly iops: number;
    /** Provisioned throughput in MiB/s, 125 to 1000 and at most IOPS / 4. Default 125. */
    readonly throughputMiBps: number;
}

/** `database.snapshots`: Data Lifecycle Manager schedule for the data volume. */
export interface SnapshotConfig {
    /** Hours between snapshots: 1, 2, 3, 4, 6, 8, 12 or 24. Default 24. */
    readonly intervalHours: number;
    /** Snapshots kept. Default 7. */
    readonly retainCount: number;
}

/** `database.replica`: a read replica of the self-managed primary, in the second AZ. */
export interface ReplicaConfig {
    /** Run the replica. Default false. */
    readonly enabled: boolean;
    /** EC2 instance type; it should match the primary's so it can take over. Default: the primary's. */
    readonly instanceType: string;
}

/** `database.rds`: Amazon RDS for MySQL, the managed target of the DMS migration. */
export interface RdsConfig {
    /** Create the RDS instance. Default false. */
    readonly enabled: boolean;
    /** DB instance class. Default `db.r7g.large`. */
    readonly instanceClass: string;
    /** MySQL major version, never older than the self-managed server's. Default: `database.mysqlVersion`. */
    readonly engineVersion: MysqlVersion;
    /** Storage at creation, GiB (gp3). Default 100. */
    readonly allocatedStorageGiB: number;
    /** Ceiling of storage autoscaling, GiB; at least 10% above `allocatedStorageGiB`. Default 1000. */
    readonly maxAllocatedStorageGiB: number;
    /** A synchronous standby in another AZ. Default true. */
    readonly multiAz: boolean;
    /** Days automated backups (and so point-in-time recovery) are kept, 1 to 35. Default 14. */
    readonly backupRetentionDays: number;
    /** Daily backup window, UTC `hh:mm-hh:mm`. Default `17:00-18:00` (02:00 in Seoul). */
    readonly backupWindow: string;
    /** Weekly maintenance window, UTC `ddd:hh:mm-ddd:hh:mm`. Default `sun:18:30-sun:19:30`. */
    readonly maintenanceWindow: string;
    /** Read replicas, 0 to 5, spread over the AZs. Default 0. */
    readonly readReplicas: number;
    /** Instance class of the read replicas. Default: `instanceClass`. */
    readonly replicaInstanceClass: string;
    /** Performance Insights retention, days: 7 (free tier) or a multiple of 31 up to 731. Default 7. */
    readonly performanceInsightsRetentionDays: number;
    /** Enhanced Monitoring interval, seconds: 1, 5, 10, 15, 30 or 60. Default 60. */
    readonly monitoringIntervalSeconds: number;
}

/** `database`: self-managed MySQL on EC2. */
export interface DatabaseConfig {
    /** EC2 instance type of the MySQL server. Default `r7i.large`. */
    readonly instanceType: string;
    /** MySQL Community major version: `8.4` (LTS) or `8.0`. Default `8.4`. */
    readonly mysqlVersion: MysqlVersion;
    readonly dataVolume: DataVolumeConfig;
    readonly snapshots: SnapshotConfig;
    /** Hours binary logs are kept; replicas and AWS DMS need at least 24. Default 168. */
    readonly binlogRetentionHours: number;
    readonly replica: ReplicaConfig;
    /**
     * Which server `db.<zone>` sends writes to: `primary`, or `replica` after a
     * manual failover (docs/tier150k.md). Default `primary`.
     */
    readonly writer: MysqlRole;
    /**
     * The estate has (or had) self-managed MySQL servers. False only for an
     * estate built with RDS from the start: no EC2 servers, no volumes,
     * `db.<zone>` on RDS, nothing to migrate. Default true.
     */
    readonly selfManaged: boolean;
    readonly rds: RdsConfig;
}

/** `memcached`: memcached nodes on EC2 for the web tier. */
export interface MemcachedConfig {
    /** Run the nodes. Default false. */
    readonly enabled: boolean;
    /** Nodes, spread round-robin over the AZs. Default 2. */
    readonly nodeCount: number;
    /** EC2 instance type of each node. Default `r7i.large`. */
    readonly instanceType: string;
    /** Memory memcached may use per node, MiB; must leave 1 GiB to the system. Default 12288. */
    readonly memoryMiB: number;
    /** Maximum simultaneous connections per node. Default 4096. */
    readonly maxConnections: number;
    /**
     * Keep the nodes running while the web tier already uses ElastiCache, so
     * they can be switched back to; remove them by `enabled: false`. Default false.
     */
    readonly draining: boolean;
}

/** `elasticache`: Amazon ElastiCache for Memcached, which replaces the memcached nodes at 1M. */
export interface ElastiCacheConfig {
    /** Create the cluster; the web tier then uses it. Default false. */
    readonly enabled: boolean;
    /** Cache node type. Default `cache.r7g.large`. */
    readonly nodeType: string;
    /** Nodes, spread over the AZs, 2 to 40. Default 3. */
    readonly nodeCount: number;
    /** Memcached engine version; 1.6.12 or later for in-transit encryption. Default `1.6.22`. */
    readonly engineVersion: string;
}

/** `rabbitmq`: a RabbitMQ cluster on EC2. */
export interface RabbitmqConfig {
    /** Run the cluster. Default false. */
    readonly enabled: boolean;
    /** Nodes: 1, or 3 to 7 so that quorum queues survive the loss of a node. Default 3. */
    readonly nodeCount: number;
    /** EC2 instance type of each node. Default `m7i.large`. */
    readonly instanceType: string;
    /** gp3 data volume per node, GiB. Default 100. */
    readonly dataVolumeGiB: number;
    /**
     * CIDR blocks allowed to the management UI (15672) besides the VPC itself,
     * e.g. a VPN range. Never 0.0.0.0/0. Default none.
     */
    readonly managementCidrs: readonly string[];
    /** AMQP over TLS on 5671 (plain 5672 closed), with a private CA made by the program. Default false. */
    readonly tls: boolean;
    /**
     * Keep the cluster running while its queues drain after the web tier moved
     * to SQS; remove it by `enabled: false` once they are empty. Default false.
     */
    readonly draining: boolean;
    /**
     * The cluster ran and is removed (with `enabled: false`): its nodes go,
     * their data volumes stay with final snapshots. Default false.
     */
    readonly retired: boolean;
}

/** One entry of `sqs.queues`. */
export interface QueueConfig {
    /** Short name: letters, digits, `-` and `_`; the queue is `<project>-<stack>-<name>`. Required. */
    readonly name: string;
    /** Seconds a received message stays hidden from other consumers, 0 to 43200. Default 60. */
    readonly visibilityTimeoutSeconds: number;
    /** Days a message is kept, 1 to 14. Default 4. */
    readonly retentionDays: number;
    /** Receives before a message moves to the dead-letter queue, 1 to 1000. Default 5. */
    readonly maxReceiveCount: number;
}

/** `sqs`: Amazon SQS queues, each with a dead-letter queue, which replace RabbitMQ at 1M. */
export interface SqsConfig {
    /** Create the queues; the web tier then uses them. Default false. */
    readonly enabled: boolean;
    /** The queues; at least one when enabled. Default none. */
    readonly queues: readonly QueueConfig[];
}

/** `monitoring.alarms`: thresholds. */
export interface AlarmThresholds {
    /** Target response time (p95) that raises the alarm, seconds. Default 1. */
    readonly targetResponseSeconds: number;
    /** Replica lag that raises the alarm, seconds. Default 60. */
    readonly replicationLagSeconds: number;
    /** Ready messages over all queues that raise the alarm. Default 10000. */
    readonly queueDepth: number;
    /** memcached evictions in 5 minutes, over all nodes, that raise the alarm. Default 1000. */
    readonly cacheEvictions: number;
    /** Age of a queue's oldest message that raises the alarm, seconds. Default 900. */
    readonly oldestMessageSeconds: number;
}

/** `monitoring`: CloudWatch agent, log groups, alarms, alarm topic and dashboard. */
export interface MonitoringConfig {
    /** Turn monitoring on. Default false. */
    readonly enabled: boolean;
    /** E-mail addresses subscribed to the alarm topic (each must confirm). Default none. */
    readonly alarmEmails: readonly string[];
    readonly alarms: AlarmThresholds;
}

/** A server that keeps its data on its own volume: Jenkins and each team tool. */
export interface ToolServerConfig {
    /** Run it. Default false. */
    readonly enabled: boolean;
    /** EC2 instance type. */
    readonly instanceType: string;
    /** gp3 data volume, GiB (encrypted, protected, snapshotted). */
    readonly dataVolumeGiB: number;
}

/** `jenkins`: the Jenkins controller, the artifact bucket and the deploy path to the web servers. */
export interface JenkinsConfig extends ToolServerConfig {
    /** Days a release package is kept in the artifact bucket. Default 365. */
    readonly artifactRetentionDays: number;
    /** Web servers updated at a time by a deploy, as a percentage. Default 25. */
    readonly deployBatchPercent: number;
}

export type ToolName = "jira" | "wiki" | "cms";
export const TOOL_NAMES: readonly ToolName[] = ["jira", "wiki", "cms"];

/** `collaboration`: Jira, MediaWiki and WordPress behind an internal load balancer (Jenkins joins it). */
export interface CollaborationConfig {
    /** CIDR blocks (admin network, VPN) allowed to the internal load balancer besides the VPC. Default none. */
    readonly adminCidrs: readonly string[];
    /** ACM certificate for HTTPS on the internal load balancer, in the stack's region. Default unset: HTTP. */
    readonly certificateArn?: string;
    readonly jira: ToolServerConfig;
    readonly wiki: ToolServerConfig;
    readonly cms: ToolServerConfig;
}

/** `logging.opensearch`: the Amazon OpenSearch Service domain (Elasticsearch and Kibana of ELK). */
export interface OpenSearchConfig {
    /** Engine version. Default `OpenSearch_2.19`. */
    readonly engineVersion: string;
    /** Data node instance type. Default `r7g.large.search`. */
    readonly instanceType: string;
    /** Data nodes, a multiple of the AZ count so each AZ holds a full copy. Default 3. */
    readonly instanceCount: number;
    /** gp3 volume per data node, GiB. Default 100. */
    readonly volumeGiB: number;
    /** Dedicated master node type; three of them are run. Default `m7g.large.search`. */
    readonly masterInstanceType: string;
}

/** `logging.logstash`: Logstash OSS on an Auto Scaling group, fed by the servers' log shipper. */
export interface LogstashConfig {
    /** EC2 instance type. Default `c7g.large`. */
    readonly instanceType: string;
    /** Instances, at least 2 so an AZ loss keeps logs flowing. Default 2. */
    readonly instanceCount: number;
    /** gp3 volume per instance for Logstash's persistent queue, GiB. Default 50. */
    readonly queueVolumeGiB: number;
}

/** `logging`: ELK on AWS. Logstash receives the servers' logs and indexes them into OpenSearch. */
export interface LoggingConfig {
    /** Run the pipeline. Default false. */
    readonly enabled: boolean;
    readonly opensearch: OpenSearchConfig;
    readonly logstash: LogstashConfig;
}

/**
 * `migration`: the move of the self-managed MySQL data to RDS with AWS DMS,
 * phase by phase (docs/migration.md).
 */
export interface MigrationConfig {
    /** The phase to deploy: `none`, `replicating`, `cutover`, `rollback` or `decommissioned`. Default `none`. */
    readonly phase: MigrationPhase;
    /**
     * The phase the stack is deployed in now; `phase` must be reachable from it
     * in one step (the program cannot read its own state before it runs). Default `none`.
     */
    readonly from: MigrationPhase;
    /** DMS replication instance class. Default `dms.r6i.large`. */
    readonly replicationInstanceClass: string;
    /** Replication instance storage (task logs, cached changes), GiB. Default 100. */
    readonly allocatedStorageGiB: number;
    /** A standby replication instance in another AZ. Default true. */
    readonly multiAz: boolean;
    /** DMS engine version, e.g. `3.5.4`; empty: the version DMS makes default. Default empty. */
    readonly engineVersion: string;
    /** Schemas (or `%` patterns) to copy. Default `["app"]`. */
    readonly includeSchemas: readonly string[];
    /** Schemas to leave out of those. Default none. */
    readonly excludeSchemas: readonly string[];
    /** CDC latency (source and target) the cutover gate requires, seconds. Default 5. */
    readonly maxCdcLatencySeconds: number;
    /** How long the gate keeps re-checking before it refuses, seconds. Default 300. */
    readonly gateWaitSeconds: number;
    /** CDC latency that raises an alarm while replicating, seconds. Default 300. */
    readonly alarmCdcLatencySeconds: number;
    /** Create the account-wide `dms-vpc-role` and `dms-cloudwatch-logs-role` (false: adopt existing ones). Default true. */
    readonly manageServiceRoles: boolean;
}

export interface StackConfig {
    /** Pulumi project name. */
    readonly project: string;
    /** Pulumi stack name; used for tags and parameter paths, never for stateful logical names. */
    readonly stack: string;
    /** `aws:region`. Default `ap-northeast-2` (Pulumi.yaml). */
    readonly region: string;
    readonly network: NetworkConfig;
    readonly loadBalancer: LoadBalancerConfig;
    readonly web: WebConfig;
    readonly database: DatabaseConfig;
    readonly memcached: MemcachedConfig;
    readonly rabbitmq: RabbitmqConfig;
    readonly elasticache: ElastiCacheConfig;
    readonly sqs: SqsConfig;
    readonly monitoring: MonitoringConfig;
    readonly logging: LoggingConfig;
    readonly migration: MigrationConfig;
    readonly jenkins: JenkinsConfig;
    readonly collaboration: CollaborationConfig;
    /**
     * `clients`: how many clients the estate serves, for the plan's usage costs
     * and its cost per 1,000 clients. Default by the estate's shape
     * (`defaultClients`): 1,000,000 with an Auto Scaling web tier or RDS,
     * 150,000 with a MySQL replica, Jenkins or monitoring, else 30,000.
     */
    readonly clients: number;
}

/** The client count an estate of this shape is sized for (docs/sizing.md), when `clients` is not set. */
export function defaultClients(config: Omit<StackConfig, "clients">): number {
    if (config.web.autoScaling.enabled || config.database.rds.enabled) {
        return 1_000_000;
    }
    if (config.database.replica.enabled || config.jenkins.enabled || config.monitoring.enabled) {
        return 150_000;
    }
    return 30_000;
}
