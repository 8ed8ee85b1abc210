/**
 * data: self-managed MySQL on EC2 (a primary and, by config, a GTID replica in
 * another AZ), each server's data on its own protected, encrypted gp3 volume
 * with scheduled snapshots, credentials generated here and kept in Secrets
 * Manager, and the names applications use: `db.<zone>` for the primary and
 * `db-read.<zone>` for the replica. By config, Amazon RDS for MySQL as well
 * (the target of the DMS migration), reachable as `mysql-rds.<zone>`.
 *
 * Safety: the data volume is protected and outlives the instance; the instance
 * ignores AMI and user-data drift so that a newer AMI never replaces the
 * database server. The boot script is idempotent and adopts an existing volume.
 * The RDS primary is protected, deletion-protected and leaves a final snapshot.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { instanceRole, putMetricsStatement, readSecretsPolicy } from "./shared/ec2";
import { serviceTrustPolicy } from "./shared/iam";
import { allowClients, allowHttpsOut, allowPeers, createSecurityGroup } from "./shared/rules";
import { GeneratedSecret, MIXED_PASSWORD, generatedSecret } from "./shared/secrets";
import { DATA_DEVICE_NAME, StatefulServerArgs, retiredServer, snapshotPolicy, statefulServer } from "./shared/server";
import { METRIC_NAMESPACES } from "./shared/telemetry";
import { Tags, componentTags } from "./shared/tags";
import { renderUserData } from "./userdata/render";
import { DatabaseNames, MYSQL_PORT, MysqlRole, MysqlVersion } from "../domain/database";

/** The self-managed servers: where each one runs and its unique server_id. */
export const MYSQL_SERVERS: Record<MysqlRole, { azIndex: number; serverId: number }> = {
    primary: { azIndex: 0, serverId: 1 },
    replica: { azIndex: 1, serverId: 2 },
};

/** The application's database (schema), on the self-managed servers and on RDS. */
export const APP_DATABASE = "app";

/** Amazon RDS for MySQL: the primary, its read replicas and how they are run. */
export interface RdsArgs {
    /**
     * DB instance identifier of the primary (see `rdsIdentifier`); replicas,
     * log groups and the final snapshot are named from it. Never changes for a
     * deployed stack: a new identifier is a new, empty database.
     */
    identifier: string;
    /** MySQL major version; RDS picks and upgrades the minor version. */
    engineVersion: MysqlVersion;
    /** DB instance class of the primary, e.g. `db.r7g.large`. */
    instanceClass: string;
    /** gp3 storage at creation, GiB. */
    allocatedStorageGiB: number;
    /** Ceiling of storage autoscaling, GiB. */
    maxAllocatedStorageGiB: number;
    /** A synchronous standby in another AZ. */
    multiAz: boolean;
    /** Days automated backups (point-in-time recovery) are kept, 1 to 35. */
    backupRetentionDays: number;
    /** Daily backup window, UTC `hh:mm-hh:mm`. */
    backupWindow: string;
    /** Weekly maintenance window, UTC `ddd:hh:mm-ddd:hh:mm`. */
    maintenanceWindow: string;
    /** Read replicas, spread over the AZs (`replicaAvailabilityZones`); 0 for none. */
    readReplicas: number;
    /** DB instance class of the read replicas. */
    replicaInstanceClass: string;
    /** Performance Insights retention, days: 7, a multiple of 31, or 731. */
    performanceInsightsRetentionDays: number;
    /** Enhanced Monitoring interval, seconds: 1, 5, 10, 15, 30 or 60. */
    monitoringIntervalSeconds: number;
    /** Retention of the error and slow-query log groups, days (a CloudWatch Logs value). */
    logRetentionDays: number;
}

/** What alarms, outputs and the migration need of the RDS database. */
export interface RdsDatabase {
    readonly identifier: pulumi.Output<string>;
    readonly arn: pulumi.Output<string>;
    /** The DbiResourceId, which CloudWatch and Performance Insights use. */
    readonly resourceId: pulumi.Output<string>;
    /** DNS name of the primary (RDS moves it to the standby on failover). */
    readonly address: pulumi.Output<string>;
    readonly port: pulumi.Output<number>;
    /** `address:port`. */
    readonly endpoint: pulumi.Output<string>;
    /** `mysql-rds.<zone>`, a CNAME of `address`. */
    readonly hostName: string;
    /** Secret RDS keeps the master user's credentials in (and rotates). */
    readonly masterSecretArn: pulumi.Output<string>;
    /** The instances' own security group; the migration adds DMS's rule to it. */
    readonly securityGroupId: pulumi.Output<string>;
    readonly parameterGroupName: pulumi.Output<string>;
    readonly replicaIdentifiers: pulumi.Output<string>[];
    /** DNS names of the read replicas, in order. */
    readonly replicaAddresses: pulumi.Output<string>[];
}

export interface DatabaseArgs {
    region: string;
    vpcId: pulumi.Input<string>;
    /** Private subnets in AZ order; the primary goes into the first. */
    privateSubnetIds: pulumi.Input<string[]>;
    /** Isolated subnets (no route out of the VPC), in AZ order: RDS's subnet group. */
    isolatedSubnetIds: pulumi.Input<string[]>;
    /** AZ names in the same order as the subnets. */
    availabilityZones: readonly string[];
    /** Security group of the MySQL servers. */
    databaseSecurityGroupId: pulumi.Input<string>;
    /** Security groups whose members may connect on 3306 (and get the matching egress rule). */
    clientSecurityGroupIds: pulumi.Input<string>[];
    /** EC2 instance type of the MySQL server. */
    instanceType: string;
    /** MySQL Community major version, `8.4` or `8.0`. */
    mysqlVersion: MysqlVersion;
    /** gp3 data volume: size (GiB), IOPS, throughput (MiB/s). */
    dataVolume: { sizeGiB: number; iops: number; throughputMiBps: number };
    /** Snapshot schedule: hours between snapshots, and how many are kept. */
    snapshots: { intervalHours: number; retainCount: number };
    /** Binary log retention, hours. */
    binlogRetentionHours: number;
    /** Private hosted zone that gets `db.<zone>`. */
    zoneId: pulumi.Input<string>;
    zoneName: string;
    /** Value of the snapshot-selection tag, unique per stack in an account. */
    snapshotSelector: string;
    /** Run a replica of this type in the second AZ; absent: no replica. */
    replica?: { instanceType: string };
    /** The server `db.<zone>` points at: the primary, or the replica after a failover. */
    writer: MysqlRole;
    /** Stack name, the dimension of the replication metrics. */
    stackName: string;
    /** SSM parameter the servers' CloudWatch agent config is pulled from (it may not exist yet). */
    cloudWatchAgentParameter: string;
    /** Amazon RDS for MySQL; absent: none. */
    rds?: RdsArgs;
    /**
     * The self-managed servers: `running`; `retired` once the migration to RDS
     * is decommissioned (the servers go, their data volumes stay, protected,
     * with a final snapshot); `none` for an estate that never had them.
     */
    servers: "running" | "retired" | "none";
    tags: Tags;
}

/** The DNS name applications use for writes. */
export function databaseHostName(zoneName: string): string {
    return `db.${zoneName}`;
}

/** The DNS name applications use for reads from the replica. */
export function readHostName(zoneName: string): string {
    return `db-read.${zoneName}`;
}

/**
 * The self-managed primary, whatever `db.<zone>` points at: the replica's
 * replication source (and later AWS DMS's source) follow this name.
 */
export function primaryHostName(zoneName: string): string {
    return `mysql-primary.${zoneName}`;
}

/** The self-managed replica's own name; `db-read.<zone>` points at it until the cutover. */
export function replicaHostName(zoneName: string): string {
    return `mysql-replica.${zoneName}`;
}

/** The DNS name operators and the migration use for the RDS primary, whatever `db.<zone>` points at. */
export function rdsHostName(zoneName: string): string {
    return `mysql-rds.${zoneName}`;
}

/** Longest primary identifier that still leaves room for `-replica-<n>`. */
const RDS_IDENTIFIER_MAX = 63 - "-replica-9".length;

/**
 * The RDS primary's identifier, `<project>-<stack>-mysql`: unique per stack in
 * an account and region, as RDS requires. Throws when the project or stack
 * name makes one RDS refuses (letters, digits and single hyphens, starting
 * with a letter; RDS would also lower-case it, and then differ from the
 * program's value on every update).
 */
export function rdsIdentifier(project: string, stack: string): string {
    const identifier = `${project}-${stack}-mysql`;
    if (!/^[a-z](?!.*--)[a-z0-9-]*$/.test(identifier) || identifier.length > RDS_IDENTIFIER_MAX) {
        throw new Error(
            `RDS identifier "${identifier}" (from project and stack name) must be lower-case letters, digits and ` +
                `single hyphens, start with a letter and be at most ${RDS_IDENTIFIER_MAX} characters; rename the stack`,
        );
    }
    return identifier;
}

/** Identifier of read replica `index` (0-based): `<primary>-replica-<index + 1>`. */
export function rdsReplicaIdentifier(primary: string, index: number): string {
    return `${primary}-replica-${index + 1}`;
}

/** The parameter group family of a MySQL major version. */
export function rdsParameterFamily(version: MysqlVersion): string {
    return `mysql${version}`;
}

/** Logs the instances export to CloudWatch Logs. */
export const RDS_LOG_EXPORTS = ["error", "slowquery"] as const;

/** The log group RDS writes an export to: it must exist first, or RDS creates it without retention. */
export function rdsLogGroupName(identifier: string, log: (typeof RDS_LOG_EXPORTS)[number]): string {
    return `/aws/rds/instance/${identifier}/${log}`;
}

export interface RdsParameter {
    readonly name: string;
    readonly value: string;
    /** `immediate` for dynamic parameters; static ones take effect at the next reboot. */
    readonly applyMethod: "immediate" | "pending-reboot";
}

/**
 * The DB parameters, the same for MySQL 8.0 and 8.4 (8.4 deprecates
 * `binlog_format` but still accepts it). Besides character set and slow-query
 * logging as on the self-managed servers, RDS is the source of the reverse DMS
 * task that keeps the old primary current until the cutover is final, so it
 * needs what DMS CDC needs of a MySQL source: row-based binary logs with full
 * row images. `binlog_checksum` stays CRC32 (MySQL's default, as on the
 * self-managed servers): DMS reads checksummed binary logs from engine 3.4.8
 * on, and only older engines required NONE.
 */
export function rdsParameters(): RdsParameter[] {
    const dynamic = (name: string, value: string): RdsParameter => ({ name, value, applyMethod: "immediate" });
    return [
        dynamic("character_set_server", "utf8mb4"),
        dynamic("collation_server", "utf8mb4_0900_ai_ci"),
        dynamic("binlog_format", "ROW"),
        dynamic("binlog_row_image", "full"),
        dynamic("binlog_checksum", "CRC32"),
        // TLS only, as on the self-managed servers.
        dynamic("require_secure_transport", "1"),
        dynamic("slow_query_log", "1"),
        dynamic("long_query_time", "1"),
        // The CloudWatch Logs export reads log files, not tables.
        dynamic("log_output", "FILE"),
        // Performance Insights' per-query detail needs it. Set here rather than left to RDS, which
        // manages it only while the parameter is at its default; static, so it waits for a reboot.
        { name: "performance_schema", value: "1", applyMethod: "pending-reboot" },
    ];
}

/**
 * The AZ of each read replica: round-robin over `availabilityZones`, starting
 * with the second (the first replica in another AZ than the self-managed
 * primary, like the self-managed replica).
 */
export function replicaAvailabilityZones(availabilityZones: readonly string[], count: number): string[] {
    if (availabilityZones.length === 0) {
        throw new Error("read replicas need at least one AZ");
    }
    return Array.from({ length: count }, (_, index) => availabilityZones[(index + 1) % availabilityZones.length]);
}

export const RDS_ENHANCED_MONITORING_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole";

export class Database extends pulumi.ComponentResource {
    /** `db.<zone>`: what applications connect to. */
    public readonly host: string;
    public readonly port = MYSQL_PORT;
    /** Secret with the application user's credentials (JSON: username, password, dbname, host, port). */
    public readonly appSecretArn: pulumi.Output<string>;
    /** Secret with root's credentials, for operators only; unset without self-managed servers. */
    public readonly rootSecretArn?: pulumi.Output<string>;
    /** Secret of the replication user, which the primary creates from its first boot; as root's. */
    public readonly replicationSecretArn?: pulumi.Output<string>;
    /** The self-managed primary, while it runs (see `selfManaged`). */
    public readonly primaryInstanceId?: pulumi.Output<string>;
    /** The primary's data volume, unless the estate never had self-managed servers. */
    public readonly dataVolumeId?: pulumi.Output<string>;
    /** `db-read.<zone>` once published, when there is a replica (self-managed or RDS) or RDS. */
    public readHost?: string;
    public readonly replicaInstanceId?: pulumi.Output<string>;
    /** Name of the servers' instance role, for monitoring to extend; as root's secret. */
    public readonly roleName?: pulumi.Output<string>;
    /** Amazon RDS for MySQL, when configured. */
    public readonly rds?: RdsDatabase;
    private readonly componentName: string;
    private readonly zone: { id: pulumi.Input<string>; name: string };
    /** The self-managed servers' own names, while they run: `db.<zone>` and `db-read.<zone>` point at them. */
    private readonly servers?: {
        writer: { host: string; instance: aws.ec2.Instance };
        replica?: { host: string; instance: aws.ec2.Instance };
    };

    constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scale-tiers:data:Database", name, {}, opts);
        const tags = componentTags(args.tags, "data");
        const parent = { parent: this };
        this.host = databaseHostName(args.zoneName);

        const appSecret = generatedSecret(
            `${name}-app`,
            {
                description: "MySQL application user",
                password: MIXED_PASSWORD,
                content: (password) => ({
                    engine: "mysql",
                    username: "app",
                    password,
                    dbname: APP_DATABASE,
                    host: this.host,
                    port: MYSQL_PORT,
                }),
                tags,
            },
            this,
        );
        this.appSecretArn = appSecret.arn;
        this.componentName = name;
        this.zone = { id: args.zoneId, name: args.zoneName };

        // An estate built with RDS from the start has no servers, and none of what they need.
        const servers = args.servers === "none" ? undefined : this.createServers(name, args, tags, appSecret);
        const primary = servers?.primary;
        const replica = servers?.replica;
        this.rootSecretArn = servers?.rootSecretArn;
        this.replicationSecretArn = servers?.replicationSecretArn;
        this.roleName = servers?.roleName;
        this.dataVolumeId = primary?.volume.id;
        if (primary?.instance) {
            this.primaryInstanceId = primary.instance.id;
            this.replicaInstanceId = replica?.instance?.id;
            const record = (recordName: string, host: string, instance: aws.ec2.Instance) => {
                new aws.route53.Record(
                    recordName,
                    { zoneId: args.zoneId, name: host, type: "A", ttl: 60, records: [instance.privateIp] },
                    parent,
                );
                return { host, instance };
            };
            const primaryName = record(`${name}-primary-dns`, primaryHostName(args.zoneName), primary.instance);
            const replicaName = replica?.instance
                ? record(`${name}-replica-dns`, replicaHostName(args.zoneName), replica.instance)
                : undefined;
            this.servers = {
                writer: args.writer === "replica" && replicaName ? replicaName : primaryName,
                replica: replicaName,
            };
            snapshotPolicy(
                `${name}-snapshots`,
                {
                    description: "Scheduled snapshots of the self-managed MySQL data volumes",
                    selector: args.snapshotSelector,
                    intervalHours: args.snapshots.intervalHours,
                    retainCount: args.snapshots.retainCount,
                    tags,
                },
                this,
            );
        }
        this.createSecurityGroupRules(name, args, tags);
        if (args.rds) {
            this.rds = this.createRds(`${name}-rds`, args.rds, args, tags);
        }

        this.registerOutputs({
            host: this.host,
            appSecretArn: this.appSecretArn,
            primaryInstanceId: this.primaryInstanceId,
            replicaInstanceId: this.replicaInstanceId,
            dataVolumeId: this.dataVolumeId,
            rds: this.rds,
        });
    }

    /** The self-managed servers (running or retired), their secrets and their instance role. */
    private createServers(name: string, args: DatabaseArgs, tags: Tags, appSecret: GeneratedSecret) {
        const secret = (
            secretName: string,
            description: string,
            content: (password: string) => Record<string, string | number>,
        ) => generatedSecret(secretName, { description, password: MIXED_PASSWORD, content, tags }, this);
        const rootSecret = secret(`${name}-root`, "MySQL root on the self-managed servers", (password) => ({
            username: "root",
            password,
        }));
        const replicationSecret = secret(`${name}-replication`, "MySQL replication user", (password) => ({
            username: "repl",
            password,
        }));
        const { role, profile } = instanceRole(
            name,
            readSecretsPolicy(
                [rootSecret.arn, appSecret.arn, replicationSecret.arn],
                [putMetricsStatement(METRIC_NAMESPACES.mysql)],
            ),
            tags,
            this,
        );
        const server = (mysqlRole: MysqlRole, instanceType: string) =>
            this.createServer(name, mysqlRole, instanceType, args, tags, profile, {
                rootSecret,
                appSecret,
                replicationSecret,
            });
        const primary = server("primary", args.instanceType);
        return {
            primary,
            replica: args.replica ? server("replica", args.replica.instanceType) : undefined,
            rootSecretArn: rootSecret.arn,
            replicationSecretArn: replicationSecret.arn,
            roleName: role.name,
        };
    }

    /**
     * Publishes `db.<zone>` (writes) and `db-read.<zone>` (reads) for a
     * migration phase, once the migration exists: at the cutover the records
     * wait for its gate. Both are deleted before they are replaced, because an
     * A record and a CNAME of one name cannot coexist (the A-to-CNAME change
     * happens once, in `replicating`, long before the cutover).
     */
    public publishNames(names: DatabaseNames, gate?: pulumi.Resource): void {
        const options = { parent: this, deleteBeforeReplace: true, dependsOn: gate ? [gate] : [] };
        const publish = (suffix: string, host: string, records: pulumi.Input<string>[]) =>
            new aws.route53.Record(
                `${this.componentName}-${suffix}`,
                { zoneId: this.zone.id, name: host, type: names.type, ttl: names.ttlSeconds, records },
                options,
            );
        const readHost = readHostName(this.zone.name);
        if (names.target === "rds") {
            if (!this.rds) {
                throw new Error("db.<zone> cannot point at RDS: database.rds is not enabled");
            }
            publish("dns", this.host, [this.rds.address]);
            publish("read-dns", readHost, [this.rds.replicaAddresses[0] ?? this.rds.address]);
            this.readHost = readHost;
            return;
        }
        if (!this.servers) {
            throw new Error("db.<zone> cannot point at the self-managed servers: they are retired");
        }
        const target = (server: { host: string; instance: aws.ec2.Instance }) =>
            names.type === "A" ? server.instance.privateIp : server.host;
        publish("dns", this.host, [target(this.servers.writer)]);
        if (this.servers.replica) {
            publish("read-dns", readHost, [target(this.servers.replica)]);
            this.readHost = readHost;
        }
    }

    /**
     * One MySQL server: its protected data volume in the server's AZ, the
     * instance, and the attachment. The boot script sets the server up for its
     * role (a replica clones the primary and replicates by GTID). Once the
     * servers are retired only the volume stays, with a final snapshot.
     */
    private createServer(
        name: string,
        mysqlRole: MysqlRole,
        instanceType: string,
        args: DatabaseArgs,
        tags: Tags,
        profile: aws.iam.InstanceProfile,
        secrets: Record<"rootSecret" | "appSecret" | "replicationSecret", GeneratedSecret>,
    ): { instance?: aws.ec2.Instance; volume: aws.ebs.Volume } {
        const { azIndex, serverId } = MYSQL_SERVERS[mysqlRole];
        const build =
            args.servers === "running"
                ? statefulServer
                : (serverName: string, serverArgs: StatefulServerArgs, parent: pulumi.Resource) => ({
                      volume: retiredServer(serverName, serverArgs, parent),
                  });
        return build(
            `${name}-${mysqlRole}`,
            {
                availabilityZone: args.availabilityZones[azIndex],
                subnetId: pulumi.output(args.privateSubnetIds).apply((ids) => ids[azIndex]),
                instanceType,
                securityGroupIds: [args.databaseSecurityGroupId],
                instanceProfile: profile.name,
                rootVolumeGiB: 30,
                dataVolume: args.dataVolume,
                snapshotSelector: args.snapshotSelector,
                userDataBase64: (volumeId) =>
                    pulumi
                        .all([volumeId, secrets.rootSecret.arn, secrets.appSecret.arn, secrets.replicationSecret.arn])
                        .apply(([dataVolumeId, rootSecretArn, appSecretArn, replicationSecretArn]) =>
                            renderUserData("mysql", {
                                AWS_REGION_NAME: args.region,
                                DATA_VOLUME_ID: dataVolumeId,
                                DATA_DEVICE_NAME,
                                MYSQL_MAJOR_VERSION: args.mysqlVersion,
                                MYSQL_SERVER_ID: serverId,
                                MYSQL_ROLE: mysqlRole,
                                PRIMARY_HOST: primaryHostName(args.zoneName),
                                BINLOG_RETENTION_SECONDS: args.binlogRetentionHours * 3600,
                                ROOT_SECRET_ARN: rootSecretArn,
                                APP_SECRET_ARN: appSecretArn,
                                REPLICATION_SECRET_ARN: replicationSecretArn,
                                CLOUDWATCH_AGENT_PARAMETER: args.cloudWatchAgentParameter,
                                STACK_NAME: args.stackName,
                            }),
                        ),
                role: `mysql-${mysqlRole}`,
                // The script reads the secrets at boot.
                dependsOn: [secrets.rootSecret.version, secrets.appSecret.version, secrets.replicationSecret.version],
                tags,
            },
            this,
        );
    }

    /**
     * RDS for MySQL in the isolated subnets: the primary (Multi-AZ by config)
     * and its read replicas, with their own security group, parameter group,
     * Enhanced Monitoring role and log groups, and `mysql-rds.<zone>`.
     */
    private createRds(name: string, rds: RdsArgs, args: DatabaseArgs, tags: Tags): RdsDatabase {
        const parent = { parent: this };
        const subnetGroup = new aws.rds.SubnetGroup(
            `${name}-subnets`,
            {
                description: "Isolated subnets of the RDS for MySQL instances",
                subnetIds: args.isolatedSubnetIds,
                tags,
            },
            parent,
        );
        // Ingress from the clients only. No egress rule: the instances open no connections into the VPC;
        // replication to the standby and the replicas, backups, log exports and Enhanced Monitoring run
        // over RDS's own network, and security groups let replies to admitted connections out anyway.
        const securityGroup = createSecurityGroup(
            `${name}-sg`,
            args.vpcId,
            "RDS for MySQL: 3306 from its clients",
            tags,
            this,
        );
        allowClients(
            name,
            securityGroup.id,
            args.clientSecurityGroupIds,
            { from: MYSQL_PORT },
            "MySQL on RDS",
            tags,
            this,
        );
        // Autonamed: a new family (major upgrade) makes a new group, created before the old one goes.
        const parameterGroup = new aws.rds.ParameterGroup(
            `${name}-params`,
            {
                family: rdsParameterFamily(rds.engineVersion),
                description: `MySQL ${rds.engineVersion}: utf8mb4, TLS only, row-based binary logs for DMS, slow-query log`,
                parameters: rdsParameters(),
                tags,
            },
            parent,
        );

        const accountId = aws.getCallerIdentityOutput({}, parent).accountId;
        const monitoringRole = new aws.iam.Role(
            `${name}-monitoring-role`,
            {
                description: "Enhanced Monitoring of the RDS for MySQL instances",
                // Any instance of the account may use it: it can only write OS metrics to `RDSOSMetrics`.
                assumeRolePolicy: accountId.apply((account) =>
                    serviceTrustPolicy("monitoring.rds.amazonaws.com", account),
                ),
                tags,
            },
            parent,
        );
        const monitoringPolicy = new aws.iam.RolePolicyAttachment(
            `${name}-monitoring`,
            { role: monitoringRole.name, policyArn: RDS_ENHANCED_MONITORING_POLICY },
            parent,
        );

        // What the primary and the replicas share.
        const common = {
            storageEncrypted: true,
            publiclyAccessible: false,
            port: MYSQL_PORT,
            vpcSecurityGroupIds: [securityGroup.id],
            parameterGroupName: parameterGroup.name,
            caCertIdentifier: "rds-ca-rsa2048-g1",
            autoMinorVersionUpgrade: true,
            // Changes that restart or fail over the instance (class, storage, parameter group) wait
            // for the maintenance window instead of happening mid-day on `pulumi up`.
            applyImmediately: false,
            // Operators and tools may log in with short-lived IAM tokens instead of a password;
            // the application keeps its password account.
            iamDatabaseAuthenticationEnabled: true,
            // Points in time are restorable on every instance, so a promoted replica has them from the start.
            backupRetentionPeriod: rds.backupRetentionDays,
            backupWindow: rds.backupWindow,
            maintenanceWindow: rds.maintenanceWindow,
            copyTagsToSnapshot: true,
            performanceInsightsEnabled: true,
            performanceInsightsRetentionPeriod: rds.performanceInsightsRetentionDays,
            // Advanced mode costs per vCPU and needs 15 months of retention: a decision config does not make.
            databaseInsightsMode: "standard",
            monitoringInterval: rds.monitoringIntervalSeconds,
            monitoringRoleArn: monitoringRole.arn,
            enabledCloudwatchLogsExports: [...RDS_LOG_EXPORTS],
            tags,
        };
        const logGroups = (instanceName: string, identifier: string) =>
            RDS_LOG_EXPORTS.map(
                (log) =>
                    new aws.cloudwatch.LogGroup(
                        `${instanceName}-log-${log}`,
                        { name: rdsLogGroupName(identifier, log), retentionInDays: rds.logRetentionDays, tags },
                        parent,
                    ),
            );

        const primary = new aws.rds.Instance(
            `${name}-primary`,
            {
                ...common,
                identifier: rds.identifier,
                engine: "mysql",
                engineVersion: rds.engineVersion,
                // A new major version is a deliberate config change; it is applied in the maintenance
                // window, and RDS snapshots the instance before upgrading it.
                allowMajorVersionUpgrade: true,
                // At the end of standard support RDS keeps the engine (and charges for extended support)
                // rather than forcing a major upgrade on a schedule that is not ours.
                engineLifecycleSupport: "open-source-rds-extended-support",
                instanceClass: rds.instanceClass,
                storageType: "gp3",
                allocatedStorage: rds.allocatedStorageGiB,
                maxAllocatedStorage: rds.maxAllocatedStorageGiB,
                multiAz: rds.multiAz,
                dbSubnetGroupName: subnetGroup.name,
                dbName: APP_DATABASE,
                username: "admin",
                // RDS generates the password and keeps it in Secrets Manager, encrypted with the
                // account's aws/secretsmanager key: it never passes through this program or its state.
                manageMasterUserPassword: true,
                deletionProtection: true,
                skipFinalSnapshot: false,
                finalSnapshotIdentifier: `${rds.identifier}-final`,
                // Point-in-time recovery stays possible after the instance is deleted, until retention ends.
                deleteAutomatedBackups: false,
            },
            // Storage encrypted with the AWS-managed aws/rds key: no key policy to get wrong, and
            // nothing outside this account needs to read the snapshots.
            {
                parent: this,
                protect: true,
                dependsOn: [...logGroups(`${name}-primary`, rds.identifier), monitoringPolicy],
            },
        );

        // Read replicas hold no data of their own: no deletion protection and no final snapshot (RDS
        // refuses one of a read replica), so lowering `readReplicas` removes the highest-numbered one.
        const replicas = replicaAvailabilityZones(args.availabilityZones, rds.readReplicas).map((zone, index) => {
            const identifier = rdsReplicaIdentifier(rds.identifier, index);
            return new aws.rds.Instance(
                `${name}-replica-${index}`,
                {
                    ...common,
                    identifier,
                    replicateSourceDb: primary.identifier,
                    instanceClass: rds.replicaInstanceClass,
                    availabilityZone: zone,
                    deletionProtection: false,
                    skipFinalSnapshot: true,
                },
                { parent: this, dependsOn: [...logGroups(`${name}-replica-${index}`, identifier), monitoringPolicy] },
            );
        });

        const hostName = rdsHostName(args.zoneName);
        new aws.route53.Record(
            `${name}-dns`,
            { zoneId: args.zoneId, name: hostName, type: "CNAME", ttl: 60, records: [primary.address] },
            parent,
        );

        return {
            identifier: primary.identifier,
            arn: primary.arn,
            resourceId: primary.resourceId,
            address: primary.address,
            port: primary.port,
            endpoint: primary.endpoint,
            hostName,
            masterSecretArn: primary.masterUserSecrets.apply((secrets) => secrets[0].secretArn),
            securityGroupId: securityGroup.id,
            parameterGroupName: parameterGroup.name,
            replicaIdentifiers: replicas.map((replica) => replica.identifier),
            replicaAddresses: replicas.map((replica) => replica.address),
        };
    }

    private createSecurityGroupRules(name: string, args: DatabaseArgs, tags: Tags): void {
        allowClients(
            name,
            args.databaseSecurityGroupId,
            args.clientSecurityGroupIds,
            { from: MYSQL_PORT },
            "MySQL",
            tags,
            this,
        );
        if (args.replica) {
            // Replication and the replica's initial clone run over the MySQL port between the servers.
            allowPeers(
                `${name}-peers`,
                args.databaseSecurityGroupId,
                { from: MYSQL_PORT },
                "MySQL replication and clone",
                tags,
                this,
            );
        }
        allowHttpsOut(`${name}-out-https`, args.databaseSecurityGroupId, tags, this);
    }
}
