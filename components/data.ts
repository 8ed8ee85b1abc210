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
import { BootScriptBucket } from "./shared/boot";
import { InstanceRole, instanceRole, putMetricsStatement, readSecretsPolicy } from "./shared/ec2";
import { allowClients, allowHttpsOut, allowPeers } from "./shared/rules";
import { GeneratedSecret, MIXED_PASSWORD, generatedSecret } from "./shared/secrets";
import { MYSQL_AZ_INDEX } from "../domain/placement";
import { DATA_DEVICE_NAME, StatefulServerArgs, retiredServer, snapshotPolicy, statefulServer } from "./shared/server";
import { METRIC_NAMESPACES } from "./shared/telemetry";
import { instanceScript } from "./userdata/render";
import { RdsArgs, RdsDatabase, createRds } from "./data-rds";
import { APP_DATABASE, DatabaseNames, MYSQL_PORT, MysqlRole, MysqlVersion } from "../domain/database";

/** The self-managed servers: where each one runs and its unique server_id. */
export const MYSQL_SERVERS: Record<MysqlRole, { azIndex: number; serverId: number }> = {
    primary: { azIndex: MYSQL_AZ_INDEX.primary, serverId: 1 },
    replica: { azIndex: MYSQL_AZ_INDEX.replica, serverId: 2 },
};

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
    /**
     * Run a replica of this type in the second AZ; `retired`: it ran and only
     * its data volume stays, with a final snapshot. Absent: no replica.
     */
    replica?: { instanceType: string; retired: boolean };
    /** The server `db.<zone>` points at: the primary, or the replica after a failover. */
    writer: MysqlRole;
    /** Stack name, the dimension of the replication metrics. */
    stackName: string;
    /** SSM parameter the servers' CloudWatch agent config is pulled from (it may not exist yet). */
    cloudWatchAgentParameter: string;
    /** Where the servers' boot scripts are published. */
    bootScripts: BootScriptBucket;
    /** Amazon RDS for MySQL; absent: none. */
    rds?: RdsArgs;
    /**
     * The self-managed servers: `running`; `retired` once the migration to RDS
     * is decommissioned (the servers go, their data volumes stay, protected,
     * with a final snapshot); `none` for an estate that never had them.
     */
    servers: "running" | "retired" | "none";
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
            },
            this,
        );
        this.appSecretArn = appSecret.arn;
        this.componentName = name;
        this.zone = { id: args.zoneId, name: args.zoneName };

        // An estate built with RDS from the start has no servers, and none of what they need.
        const servers = args.servers === "none" ? undefined : this.createServers(name, args, appSecret);
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
                },
                this,
            );
        }
        this.createSecurityGroupRules(name, args);
        if (args.rds) {
            this.rds = createRds(
                `${name}-rds`,
                args.rds,
                {
                    vpcId: args.vpcId,
                    isolatedSubnetIds: args.isolatedSubnetIds,
                    availabilityZones: args.availabilityZones,
                    clientSecurityGroupIds: args.clientSecurityGroupIds,
                    zoneId: args.zoneId,
                    zoneName: args.zoneName,
                },
                this,
            );
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
    private createServers(name: string, args: DatabaseArgs, appSecret: GeneratedSecret) {
        const secret = (
            secretName: string,
            description: string,
            content: (password: string) => Record<string, string | number>,
        ) => generatedSecret(secretName, { description, password: MIXED_PASSWORD, content }, this);
        const rootSecret = secret(`${name}-root`, "MySQL root on the self-managed servers", (password) => ({
            username: "root",
            password,
        }));
        const replicationSecret = secret(`${name}-replication`, "MySQL replication user", (password) => ({
            username: "repl",
            password,
        }));
        const serverRole = instanceRole(
            name,
            readSecretsPolicy(
                [rootSecret.arn, appSecret.arn, replicationSecret.arn],
                [putMetricsStatement(METRIC_NAMESPACES.mysql)],
            ),
            args.bootScripts,
            this,
        );
        const server = (mysqlRole: MysqlRole, instanceType: string, retired = false) =>
            this.createServer(name, mysqlRole, instanceType, retired, args, serverRole, {
                rootSecret,
                appSecret,
                replicationSecret,
            });
        const primary = server("primary", args.instanceType);
        return {
            primary,
            replica: args.replica ? server("replica", args.replica.instanceType, args.replica.retired) : undefined,
            rootSecretArn: rootSecret.arn,
            replicationSecretArn: replicationSecret.arn,
            roleName: serverRole.role.name,
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
     * servers are retired (or the replica alone) only the volume stays, with a
     * final snapshot.
     */
    private createServer(
        name: string,
        mysqlRole: MysqlRole,
        instanceType: string,
        retired: boolean,
        args: DatabaseArgs,
        serverRole: InstanceRole,
        secrets: Record<"rootSecret" | "appSecret" | "replicationSecret", GeneratedSecret>,
    ): { instance?: aws.ec2.Instance; volume: aws.ebs.Volume } {
        const { azIndex, serverId } = MYSQL_SERVERS[mysqlRole];
        const build =
            args.servers === "running" && !retired
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
                instanceProfile: serverRole.profile.name,
                rootVolumeGiB: 30,
                dataVolume: args.dataVolume,
                snapshotSelector: args.snapshotSelector,
                bootScripts: serverRole.bootScripts,
                bootScript: (volumeId) =>
                    pulumi
                        .all([volumeId, secrets.rootSecret.arn, secrets.appSecret.arn, secrets.replicationSecret.arn])
                        .apply(([dataVolumeId, rootSecretArn, appSecretArn, replicationSecretArn]) =>
                            instanceScript("mysql", {
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
            },
            this,
        );
    }

    private createSecurityGroupRules(name: string, args: DatabaseArgs): void {
        allowClients(
            name,
            args.databaseSecurityGroupId,
            args.clientSecurityGroupIds,
            { from: MYSQL_PORT },
            "MySQL",
            this,
        );
        if (args.replica) {
            // Replication and the replica's initial clone run over the MySQL port between the servers.
            allowPeers(
                `${name}-peers`,
                args.databaseSecurityGroupId,
                { from: MYSQL_PORT },
                "MySQL replication and clone",
                this,
            );
        }
        allowHttpsOut(`${name}-out-https`, args.databaseSecurityGroupId, this);
    }
}
