/**
 * data: self-managed MySQL on EC2 (the primary), its data on a separate,
 * protected, encrypted gp3 volume with scheduled snapshots, its credentials
 * generated here and kept in Secrets Manager, and `db.<zone>`, the name
 * applications use, pointing at the primary.
 *
 * Safety: the data volume is protected and outlives the instance; the instance
 * ignores AMI and user-data drift so that a newer AMI never replaces the
 * database server. The boot script is idempotent and adopts an existing volume.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { METADATA_OPTIONS, al2023AmiId, instanceRole, readSecretsPolicy, rootVolume } from "./shared/ec2";
import { Tags, componentTags } from "./shared/tags";
import { renderUserData } from "./userdata/render";

export const MYSQL_PORT = 3306;

/** Device name in the attachment; on Nitro instances the script finds the volume by id instead. */
export const DATA_DEVICE_NAME = "/dev/sdf";

/** server_id of the primary; each server of a replication topology needs its own. */
export const PRIMARY_SERVER_ID = 1;

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
    tags: Tags;
}

/** The DNS name applications use for the primary. */
export function databaseHostName(zoneName: string): string {
    return `db.${zoneName}`;
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

export class Database extends pulumi.ComponentResource {
    /** `db.<zone>`: what applications connect to. */
    public readonly host: string;
    public readonly port = MYSQL_PORT;
    /** Secret with the application user's credentials (JSON: username, password, dbname, host, port). */
    public readonly appSecretArn: pulumi.Output<string>;
    /** Secret with root's credentials, for operators only. */
    public readonly rootSecretArn: pulumi.Output<string>;
    public readonly primaryInstanceId: pulumi.Output<string>;
    public readonly primaryPrivateIp: pulumi.Output<string>;
    public readonly dataVolumeId: pulumi.Output<string>;

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
        this.rootSecretArn = rootSecret.arn;
        this.appSecretArn = appSecret.arn;

        const { profile } = instanceRole(name, readSecretsPolicy([rootSecret.arn, appSecret.arn]), tags, this);

        const availabilityZone = args.availabilityZones[0];
        const primaryName = `${name}-primary`;
        const dataVolume = new aws.ebs.Volume(
            `${primaryName}-data`,
            {
                availabilityZone,
                type: "gp3",
                size: args.dataVolume.sizeGiB,
                iops: args.dataVolume.iops,
                throughput: args.dataVolume.throughputMiBps,
                encrypted: true,
                finalSnapshot: true,
                tags: { ...tags, Name: `${primaryName}-data`, [SNAPSHOT_TAG]: args.snapshotSelector },
            },
            // The database lives here: never deleted or replaced by a deployment.
            { parent: this, protect: true },
        );
        this.dataVolumeId = dataVolume.id;

        const userDataBase64 = pulumi
            .all([dataVolume.id, rootSecret.arn, appSecret.arn])
            .apply(([volumeId, rootSecretArn, appSecretArn]) =>
                renderUserData("mysql", {
                    AWS_REGION_NAME: args.region,
                    DATA_VOLUME_ID: volumeId,
                    DATA_DEVICE_NAME,
                    MYSQL_MAJOR_VERSION: args.mysqlVersion,
                    MYSQL_SERVER_ID: PRIMARY_SERVER_ID,
                    BINLOG_RETENTION_SECONDS: args.binlogRetentionHours * 3600,
                    ROOT_SECRET_ARN: rootSecretArn,
                    APP_SECRET_ARN: appSecretArn,
                }),
            );
        const primary = new aws.ec2.Instance(
            primaryName,
            {
                ami: al2023AmiId(args.instanceType, parent),
                instanceType: args.instanceType,
                availabilityZone,
                subnetId: pulumi.output(args.privateSubnetIds).apply((ids) => ids[0]),
                vpcSecurityGroupIds: [args.databaseSecurityGroupId],
                iamInstanceProfile: profile.name,
                associatePublicIpAddress: false,
                metadataOptions: METADATA_OPTIONS,
                rootBlockDevice: rootVolume(30, tags),
                monitoring: true,
                userDataBase64,
                tags: { ...tags, Name: primaryName, role: "mysql-primary" },
            },
            {
                parent: this,
                // A newer AMI or an edited script must not replace the database server; the
                // script is idempotent and is re-run through Session Manager instead.
                ignoreChanges: ["ami", "userDataBase64"],
                // The script reads both secrets at boot.
                dependsOn: [rootSecret.version, appSecret.version],
            },
        );
        this.primaryInstanceId = primary.id;
        this.primaryPrivateIp = primary.privateIp;

        new aws.ec2.VolumeAttachment(
            `${primaryName}-data-attachment`,
            {
                instanceId: primary.id,
                volumeId: dataVolume.id,
                deviceName: DATA_DEVICE_NAME,
                // mysqld stops cleanly before the volume moves to a replacement instance.
                stopInstanceBeforeDetaching: true,
            },
            // A volume attaches to one instance at a time: detach from the old server first.
            { parent: this, deleteBeforeReplace: true },
        );

        this.createSnapshotPolicy(name, args, tags);
        this.createSecurityGroupRules(name, args, tags);

        new aws.route53.Record(
            `${name}-dns`,
            { zoneId: args.zoneId, name: this.host, type: "A", ttl: 60, records: [primary.privateIp] },
            parent,
        );

        this.registerOutputs({
            host: this.host,
            appSecretArn: this.appSecretArn,
            primaryInstanceId: this.primaryInstanceId,
            dataVolumeId: this.dataVolumeId,
        });
    }

    /** A generated password stored as a JSON secret; the plain text exists only as a Pulumi secret. */
    private createSecret(
        name: string,
        description: string,
        tags: Tags,
        content: (password: string) => Record<string, string | number>,
    ) {
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
        const parent = { parent: this };
        args.clientSecurityGroupIds.forEach((clientSecurityGroupId, index) => {
            new aws.vpc.SecurityGroupIngressRule(
                `${name}-in-client-${index}`,
                {
                    securityGroupId: args.databaseSecurityGroupId,
                    description: "MySQL from an application tier",
                    ipProtocol: "tcp",
                    fromPort: MYSQL_PORT,
                    toPort: MYSQL_PORT,
                    referencedSecurityGroupId: clientSecurityGroupId,
                    tags,
                },
                parent,
            );
            new aws.vpc.SecurityGroupEgressRule(
                `${name}-client-${index}-out`,
                {
                    securityGroupId: clientSecurityGroupId,
                    description: "MySQL to the database servers",
                    ipProtocol: "tcp",
                    fromPort: MYSQL_PORT,
                    toPort: MYSQL_PORT,
                    referencedSecurityGroupId: args.databaseSecurityGroupId,
                    tags,
                },
                parent,
            );
        });
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-out-https`,
            {
                securityGroupId: args.databaseSecurityGroupId,
                description: "AWS APIs and the MySQL package repository over HTTPS",
                ipProtocol: "tcp",
                fromPort: 443,
                toPort: 443,
                cidrIpv4: "0.0.0.0/0",
                tags,
            },
            parent,
        );
    }
}
