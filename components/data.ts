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
import * as random from "@pulumi/random";
import {
    METADATA_OPTIONS,
    al2023AmiId,
    instanceRole,
    putMetricsStatement,
    readSecretsPolicy,
    rootVolume,
} from "./shared/ec2";
import { allowClients, allowHttpsOut, allowPeers } from "./shared/rules";
import { METRIC_NAMESPACES } from "./shared/telemetry";
import { Tags, componentTags } from "./shared/tags";
import { renderUserData } from "./userdata/render";

export const MYSQL_PORT = 3306;

/** Device name in the attachment; on Nitro instances the script finds the volume by id instead. */
export const DATA_DEVICE_NAME = "/dev/sdf";

/** The self-managed servers: where each one runs and its unique server_id. */
export const MYSQL_SERVERS = {
    primary: { azIndex: 0, serverId: 1 },
    replica: { azIndex: 1, serverId: 2 },
} as const;

export type MysqlRole = keyof typeof MYSQL_SERVERS;

/** Tag whose value selects the volumes of one stack for the snapshot policy. */
export const SNAPSHOT_TAG = "scale-tiers:snapshots";

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

/** The Data Lifecycle Manager schedule: a name DLM accepts, and the create and retain rules. */
export function snapshotSchedule(
    intervalHours: number,
    retainCount: number,
): aws.types.input.dlm.LifecyclePolicyPolicyDetailsSchedule {
    return {
        name: `every-${intervalHours}h-keep-${retainCount}`,
        // First snapshot of the day at 17:00 UTC, 02:00 in Seoul: the quietest hour for a Korean audience.
        createRule: { interval: intervalHours, intervalUnit: "HOURS", times: "17:00" },
        retainRule: { count: retainCount },
        copyTags: true,
    };
}

interface GeneratedSecret {
    readonly arn: pulumi.Output<string>;
    readonly version: aws.secretsmanager.SecretVersion;
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

        const rootSecret = this.createSecret(
            `${name}-root`,
            "MySQL root on the self-managed servers",
            tags,
            (password) => ({
                username: "root",
                password,
            }),
        );
        const appSecret = this.createSecret(`${name}-app`, "MySQL application user", tags, (password) => ({
            engine: "mysql",
            username: "app",
            password,
            dbname: "app",
            host: this.host,
            port: MYSQL_PORT,
        }));
        const replicationSecret = this.createSecret(
            `${name}-replication`,
            "MySQL replication user",
            tags,
            (password) => ({
                username: "repl",
                password,
            }),
        );
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

        this.createSnapshotPolicy(name, args, tags);
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
        const availabilityZone = args.availabilityZones[azIndex];
        const serverName = `${name}-${mysqlRole}`;
        const volume = new aws.ebs.Volume(
            `${serverName}-data`,
            {
                availabilityZone,
                type: "gp3",
                size: args.dataVolume.sizeGiB,
                iops: args.dataVolume.iops,
                throughput: args.dataVolume.throughputMiBps,
                encrypted: true,
                finalSnapshot: true,
                tags: { ...tags, Name: `${serverName}-data`, [SNAPSHOT_TAG]: args.snapshotSelector },
            },
            // The database lives here: never deleted or replaced by a deployment.
            { parent: this, protect: true },
        );
        const userDataBase64 = pulumi
            .all([volume.id, secrets.rootSecret.arn, secrets.appSecret.arn, secrets.replicationSecret.arn])
            .apply(([volumeId, rootSecretArn, appSecretArn, replicationSecretArn]) =>
                renderUserData("mysql", {
                    AWS_REGION_NAME: args.region,
                    DATA_VOLUME_ID: volumeId,
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
            );
        const instance = new aws.ec2.Instance(
            serverName,
            {
                ami: al2023AmiId(instanceType, { parent: this }),
                instanceType,
                availabilityZone,
                subnetId: pulumi.output(args.privateSubnetIds).apply((ids) => ids[azIndex]),
                vpcSecurityGroupIds: [args.databaseSecurityGroupId],
                iamInstanceProfile: profile.name,
                associatePublicIpAddress: false,
                metadataOptions: METADATA_OPTIONS,
                rootBlockDevice: rootVolume(30, tags),
                monitoring: true,
                userDataBase64,
                tags: { ...tags, Name: serverName, role: `mysql-${mysqlRole}` },
            },
            {
                parent: this,
                // A newer AMI or an edited script must not replace a database server; the
                // script is idempotent and is re-run through Session Manager instead.
                ignoreChanges: ["ami", "userDataBase64"],
                // The script reads the secrets at boot.
                dependsOn: [secrets.rootSecret.version, secrets.appSecret.version, secrets.replicationSecret.version],
            },
        );
        new aws.ec2.VolumeAttachment(
            `${serverName}-data-attachment`,
            {
                instanceId: instance.id,
                volumeId: volume.id,
                deviceName: DATA_DEVICE_NAME,
                // mysqld stops cleanly before the volume moves to a replacement instance.
                stopInstanceBeforeDetaching: true,
            },
            // A volume attaches to one instance at a time: detach from the old server first.
            { parent: this, deleteBeforeReplace: true },
        );
        return { instance, volume };
    }

    /** A generated password stored as a JSON secret; the plain text exists only as a Pulumi secret. */
    private createSecret(
        name: string,
        description: string,
        tags: Tags,
        content: (password: string) => Record<string, string | number>,
    ): GeneratedSecret {
        const parent = { parent: this };
        const password = new random.RandomPassword(
            `${name}-password`,
            { length: 32, special: true, overrideSpecial: PASSWORD_SPECIALS, minLower: 2, minUpper: 2, minNumeric: 2 },
            parent,
        );
        const secret = new aws.secretsmanager.Secret(
            `${name}-secret`,
            { description, recoveryWindowInDays: 30, tags },
            parent,
        );
        const version = new aws.secretsmanager.SecretVersion(
            `${name}-secret-version`,
            {
                secretId: secret.id,
                secretString: pulumi.secret(password.result.apply((value) => JSON.stringify(content(value)))),
            },
            parent,
        );
        return { arn: secret.arn, version };
    }

    private createSnapshotPolicy(name: string, args: DatabaseArgs, tags: Tags): void {
        const parent = { parent: this };
        const role = new aws.iam.Role(
            `${name}-snapshots-role`,
            {
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                        { Effect: "Allow", Principal: { Service: "dlm.amazonaws.com" }, Action: "sts:AssumeRole" },
                    ],
                }),
                tags,
            },
            parent,
        );
        new aws.iam.RolePolicyAttachment(
            `${name}-snapshots-role-policy`,
            { role: role.name, policyArn: "arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole" },
            parent,
        );
        new aws.dlm.LifecyclePolicy(
            `${name}-snapshots`,
            {
                description: "Scheduled snapshots of the self-managed MySQL data volumes",
                executionRoleArn: role.arn,
                state: "ENABLED",
                policyDetails: {
                    policyType: "EBS_SNAPSHOT_MANAGEMENT",
                    resourceTypes: ["VOLUME"],
                    targetTags: { [SNAPSHOT_TAG]: args.snapshotSelector },
                    schedules: [snapshotSchedule(args.snapshots.intervalHours, args.snapshots.retainCount)],
                },
                tags,
            },
            parent,
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
