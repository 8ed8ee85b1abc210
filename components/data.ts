/**
 * data: self-managed MySQL on EC2 (a primary and, by config, a GTID replica in
 * another AZ), each server's data on its own protected, encrypted gp3 volume
 * with scheduled snapshots, credentials generated here and kept in Secrets
 * Manager, and the names applications use: `db.<zone>` for the primary and
 * `db-read.<zone>` for the replica.
 *
 * Safety: the data volume is protected and outlives the instance; the instance
 * ignores AMI and user-data drift so that a newer AMI never replaces the
 * database server. The boot script is idempotent and adopts an existing volume.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { instanceRole, putMetricsStatement, readSecretsPolicy } from "./shared/ec2";
import { allowClients, allowHttpsOut, allowPeers } from "./shared/rules";
import { GeneratedSecret, generatedSecret } from "./shared/secrets";
import { DATA_DEVICE_NAME, snapshotPolicy, statefulServer } from "./shared/server";
import { METRIC_NAMESPACES } from "./shared/telemetry";
import { Tags, componentTags } from "./shared/tags";
import { renderUserData } from "./userdata/render";

export const MYSQL_PORT = 3306;

/** The self-managed servers: where each one runs and its unique server_id. */
export const MYSQL_SERVERS = {
    primary: { azIndex: 0, serverId: 1 },
    replica: { azIndex: 1, serverId: 2 },
} as const;

export type MysqlRole = keyof typeof MYSQL_SERVERS;

/** Characters the generated passwords may use: nothing that needs quoting in SQL or option files. */
export const PASSWORD_SPECIALS = "!#%*+-.:=?^_~";

export interface DatabaseArgs {
    region: string;
    /** Private subnets in AZ order; the primary goes into the first. */
    privateSubnetIds: pulumi.Input<string[]>;
    /** AZ names in the same order as the subnets. */
    availabilityZones: readonly string[];
    /** Security group of the MySQL servers. */
    databaseSecurityGroupId: pulumi.Input<string>;
    /** Security groups whose members may connect on 3306 (and get the matching egress rule). */
    clientSecurityGroupIds: pulumi.Input<string>[];
    /** EC2 instance type of the MySQL server. */
    instanceType: string;
    /** MySQL Community major version, `8.4` or `8.0`. */
    mysqlVersion: "8.0" | "8.4";
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

export class Database extends pulumi.ComponentResource {
    /** `db.<zone>`: what applications connect to. */
    public readonly host: string;
    public readonly port = MYSQL_PORT;
    /** Secret with the application user's credentials (JSON: username, password, dbname, host, port). */
    public readonly appSecretArn: pulumi.Output<string>;
    /** Secret with root's credentials, for operators only. */
    public readonly rootSecretArn: pulumi.Output<string>;
    /** Secret of the replication user, which the primary creates from its first boot. */
    public readonly replicationSecretArn: pulumi.Output<string>;
    public readonly primaryInstanceId: pulumi.Output<string>;
    public readonly primaryPrivateIp: pulumi.Output<string>;
    public readonly dataVolumeId: pulumi.Output<string>;
    /** `db-read.<zone>` when there is a replica. */
    public readonly readHost?: string;
    public readonly replicaInstanceId?: pulumi.Output<string>;
    /** Name of the servers' instance role, for monitoring to extend. */
    public readonly roleName: pulumi.Output<string>;

    constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scale-tiers:data:Database", name, {}, opts);
        const tags = componentTags(args.tags, "data");
        const parent = { parent: this };
        this.host = databaseHostName(args.zoneName);

        // Special characters from a set that needs no quoting in SQL or MySQL option files.
        const password = {
            length: 32,
            special: true,
            overrideSpecial: PASSWORD_SPECIALS,
            minLower: 2,
            minUpper: 2,
            minNumeric: 2,
        };
        const secret = (
            secretName: string,
            description: string,
            content: (password: string) => Record<string, string | number>,
        ) => generatedSecret(secretName, { description, password, content, tags }, this);
        const rootSecret = secret(`${name}-root`, "MySQL root on the self-managed servers", (password) => ({
            username: "root",
            password,
        }));
        const appSecret = secret(`${name}-app`, "MySQL application user", (password) => ({
            engine: "mysql",
            username: "app",
            password,
            dbname: "app",
            host: this.host,
            port: MYSQL_PORT,
        }));
        const replicationSecret = secret(`${name}-replication`, "MySQL replication user", (password) => ({
            username: "repl",
            password,
        }));
        this.rootSecretArn = rootSecret.arn;
        this.appSecretArn = appSecret.arn;
        this.replicationSecretArn = replicationSecret.arn;

        const { role, profile } = instanceRole(
            name,
            readSecretsPolicy(
                [rootSecret.arn, appSecret.arn, replicationSecret.arn],
                [putMetricsStatement(METRIC_NAMESPACES.mysql)],
            ),
            tags,
            this,
        );
        this.roleName = role.name;

        const server = (mysqlRole: MysqlRole, instanceType: string) =>
            this.createServer(name, mysqlRole, instanceType, args, tags, profile, {
                rootSecret,
                appSecret,
                replicationSecret,
            });
        const primary = server("primary", args.instanceType);
        this.primaryInstanceId = primary.instance.id;
        this.primaryPrivateIp = primary.instance.privateIp;
        this.dataVolumeId = primary.volume.id;

        const record = (recordName: string, host: string, instance: aws.ec2.Instance) =>
            new aws.route53.Record(
                recordName,
                { zoneId: args.zoneId, name: host, type: "A", ttl: 60, records: [instance.privateIp] },
                parent,
            );
        record(`${name}-primary-dns`, primaryHostName(args.zoneName), primary.instance);

        let writer = primary.instance;
        if (args.replica) {
            const replica = server("replica", args.replica.instanceType);
            this.replicaInstanceId = replica.instance.id;
            this.readHost = readHostName(args.zoneName);
            record(`${name}-read-dns`, this.readHost, replica.instance);
            if (args.writer === "replica") {
                writer = replica.instance;
            }
        }
        record(`${name}-dns`, this.host, writer);

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
        this.createSecurityGroupRules(name, args, tags);

        this.registerOutputs({
            host: this.host,
            readHost: this.readHost,
            appSecretArn: this.appSecretArn,
            primaryInstanceId: this.primaryInstanceId,
            replicaInstanceId: this.replicaInstanceId,
            dataVolumeId: this.dataVolumeId,
        });
    }

    /**
     * One MySQL server: its protected data volume in the server's AZ, the
     * instance, and the attachment. The boot script sets the server up for its
     * role (a replica clones the primary and replicates by GTID).
     */
    private createServer(
        name: string,
        mysqlRole: MysqlRole,
        instanceType: string,
        args: DatabaseArgs,
        tags: Tags,
        profile: aws.iam.InstanceProfile,
        secrets: Record<"rootSecret" | "appSecret" | "replicationSecret", GeneratedSecret>,
    ) {
        const { azIndex, serverId } = MYSQL_SERVERS[mysqlRole];
        return statefulServer(
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
