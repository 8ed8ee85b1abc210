/**
 * The data component's Amazon RDS for MySQL: the primary (Multi-AZ by
 * config) and its read replicas in the isolated subnets, with their own
 * security group, parameter group, Enhanced Monitoring role and log groups,
 * and `mysql-rds.<zone>`. Created by components/data.ts, under its Database
 * component (the URNs are the component's children's).
 *
 * Safety: the primary is protected, deletion-protected and leaves a final
 * snapshot; its master password never passes through the program.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { serviceTrustPolicy } from "./shared/iam";
import { allowClients, createSecurityGroup } from "./shared/rules";
import { APP_DATABASE, MYSQL_PORT, MysqlVersion } from "../domain/database";
import {
    RDS_ENHANCED_MONITORING_POLICY,
    RDS_LOG_EXPORTS,
    rdsHostName,
    rdsLogGroupName,
    rdsParameterFamily,
    rdsParameters,
    rdsReplicaIdentifier,
    replicaAvailabilityZones,
} from "../domain/rds";

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

/** Where the RDS instances go and who may connect, from the data component's args. */
export interface RdsPlacement {
    vpcId: pulumi.Input<string>;
    /** Isolated subnets (no route out of the VPC), in AZ order: the subnet group. */
    isolatedSubnetIds: pulumi.Input<string[]>;
    /** AZ names in the same order as the subnets; read replicas are spread over them. */
    availabilityZones: readonly string[];
    /** Security groups whose members may connect on 3306. */
    clientSecurityGroupIds: pulumi.Input<string>[];
    /** Private hosted zone that gets `mysql-rds.<zone>`. */
    zoneId: pulumi.Input<string>;
    zoneName: string;
}

export function createRds(
    name: string,
    rds: RdsArgs,
    args: RdsPlacement,
    component: pulumi.ComponentResource,
): RdsDatabase {
    const parent = { parent: component };
    const subnetGroup = new aws.rds.SubnetGroup(
        `${name}-subnets`,
        {
            description: "Isolated subnets of the RDS for MySQL instances",
            subnetIds: args.isolatedSubnetIds,
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
        component,
    );
    allowClients(name, securityGroup.id, args.clientSecurityGroupIds, { from: MYSQL_PORT }, "MySQL on RDS", component);
    // Autonamed: a new family (major upgrade) makes a new group, created before the old one goes.
    const parameterGroup = new aws.rds.ParameterGroup(
        `${name}-params`,
        {
            family: rdsParameterFamily(rds.engineVersion),
            description: `MySQL ${rds.engineVersion}: utf8mb4, TLS only, row-based binary logs for DMS, slow-query log`,
            parameters: rdsParameters(),
        },
        parent,
    );

    const accountId = aws.getCallerIdentityOutput({}, parent).accountId;
    const monitoringRole = new aws.iam.Role(
        `${name}-monitoring-role`,
        {
            description: "Enhanced Monitoring of the RDS for MySQL instances",
            // Any instance of the account may use it: it can only write OS metrics to `RDSOSMetrics`.
            assumeRolePolicy: accountId.apply((account) => serviceTrustPolicy("monitoring.rds.amazonaws.com", account)),
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
    };
    const logGroups = (instanceName: string, identifier: string) =>
        RDS_LOG_EXPORTS.map(
            (log) =>
                new aws.cloudwatch.LogGroup(
                    `${instanceName}-log-${log}`,
                    { name: rdsLogGroupName(identifier, log), retentionInDays: rds.logRetentionDays },
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
            parent: component,
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
            { parent: component, dependsOn: [...logGroups(`${name}-replica-${index}`, identifier), monitoringPolicy] },
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
