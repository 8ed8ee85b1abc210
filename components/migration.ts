/**
 * migration: the move of the estate's MySQL from the self-managed EC2 primary
 * to Amazon RDS with AWS DMS, in phases set by stack config:
 *
 *   none -> replicating -> cutover -> decommissioned
 *                             |  ^
 *                             v  |  (only by starting over: rollback -> replicating)
 *                          rollback
 *
 * - replicating: a full-load-and-cdc task copies the EC2 primary to RDS and
 *   validates every row; `db.<zone>` still points at EC2.
 * - cutover: a gate (migration-gate.ts) refuses the update unless the task is
 *   running, loaded, validated and caught up; after it, the forward task
 *   stops, `db.<zone>` points at RDS and a CDC-only reverse task copies every
 *   write made on RDS back to the old primary, so that rollback loses nothing.
 * - rollback: a gate checks the reverse task the same way; after it the
 *   reverse task stops and `db.<zone>` points at EC2 again.
 * - decommissioned: DMS and the self-managed servers go; their volumes keep a
 *   final snapshot and are retained (see docs/migration.md).
 *
 * The program cannot read what it deployed before it registers resources, so
 * the config names both the phase wanted and the phase the stack is in
 * (`from`); `transitionProblem` refuses skips before anything is registered.
 *
 * Pure logic (phases, settings and mappings JSON, identifiers, the SSM
 * document) is in exported functions; tests/migration.test.ts covers them.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { MYSQL_PORT } from "../domain/database";
import {
    accountSetupDocument,
    DMS_SERVICE_ROLES,
    dmsIdentifier,
    dmsTrustPolicy,
    MigrationPhase,
    phaseResources,
    tableMappings,
    taskSettings,
    TaskState,
} from "../domain/migration";
import { MigrationGate, taskResourceId } from "./migration-gate";
import { readSecretsPolicy } from "./shared/ec2";
import { allowClients, allowHttpsOut, createSecurityGroup } from "./shared/rules";
import { generatedSecret } from "./shared/secrets";

/** The sources the document's functions come from: userdata/mysql-dms.sh and userdata/mysql.sh. */
export function accountSetupScripts(): string {
    return ["mysql-dms.sh", "mysql.sh"]
        .map((file) => fs.readFileSync(path.join(__dirname, "userdata", file), "utf8"))
        .join("\n");
}

export interface MigrationArgs {
    region: string;
    /** Phase to deploy (validated against the current one by `transitionProblem` before this runs). */
    phase: MigrationPhase;
    /** Prefix of DMS identifiers, unique per account and region, e.g. `scale-tiers-tier1m`. */
    identifierPrefix: string;
    vpcId: pulumi.Input<string>;
    /** Private subnets in at least two AZs: the replication subnet group. */
    privateSubnetIds: pulumi.Input<string[]>;
    /** DMS replication instance class, e.g. `dms.r6i.xlarge`. */
    replicationInstanceClass: string;
    /** Replication instance storage (task logs, cached changes), GiB. */
    allocatedStorageGiB: number;
    /** A standby replication instance in another AZ. */
    multiAz: boolean;
    /** DMS engine version, e.g. `3.5.4`; absent: the version DMS makes default. */
    engineVersion?: string;
    /** Schemas (or `%` patterns) to copy, and schemas to leave out of them. */
    includeSchemas: readonly string[];
    excludeSchemas: readonly string[];
    /** CDC latency bound the gates require, seconds (with writes frozen, a few seconds). */
    maxCdcLatencySeconds: number;
    /** How long a gate keeps re-checking before it refuses, seconds. Default 300. */
    gateWaitSeconds?: number;
    /** CDC latency above which the alarms fire while replicating, seconds. Default 300. */
    alarmCdcLatencySeconds?: number;
    /**
     * Create `dms-vpc-role` and `dms-cloudwatch-logs-role` (true), or use the ones
     * that already exist in the account (false). One stack per account creates them.
     */
    manageServiceRoles: boolean;
    /** Retention of the DMS task log group, days. */
    logRetentionDays: number;
    /** The self-managed primary; absent once it is retired (phase `decommissioned`). */
    source?: {
        /** `mysql-primary.<zone>`. */
        host: string;
        instanceId: pulumi.Input<string>;
        securityGroupId: pulumi.Input<string>;
        rootSecretArn: pulumi.Input<string>;
        /** The servers' instance role: gets read access to the secrets the account setup uses. */
        roleName: pulumi.Input<string>;
    };
    /** The RDS instance. */
    target: {
        /** `mysql-rds.<zone>` (components/data.ts), a name DMS's secret can hold before RDS exists. */
        host: string;
        port: number;
        masterSecretArn: pulumi.Input<string>;
        securityGroupId: pulumi.Input<string>;
    };
    /** SNS topic for task and instance events and the latency alarms; absent: no notifications. */
    alarmTopicArn?: pulumi.Input<string>;
}

export class Migration extends pulumi.ComponentResource {
    public readonly phase: MigrationPhase;
    /** What `db.<zone>` must point at in this phase. */
    public readonly databaseTarget: "ec2" | "rds";
    /** Whether the self-managed MySQL servers still exist in this phase. */
    public readonly selfManagedServers: boolean;
    /** The gate of this phase: the `db.<zone>` record depends on it. */
    public readonly gate?: MigrationGate;
    public readonly replicationInstanceArn?: pulumi.Output<string>;
    public readonly forwardTaskArn?: pulumi.Output<string>;
    public readonly reverseTaskArn?: pulumi.Output<string>;
    /** The SSM document that (re)creates the DMS accounts; run again after a password rotation. */
    public readonly accountSetupDocumentName?: pulumi.Output<string>;

    constructor(name: string, args: MigrationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scale-tiers:migration:Migration", name, {}, opts);
        const parent = { parent: this };
        const plan = phaseResources(args.phase);
        this.phase = args.phase;
        this.databaseTarget = plan.databaseTarget;
        this.selfManagedServers = plan.selfManagedServers;

        const serviceRoles = args.manageServiceRoles && plan.dms ? this.createServiceRoles(name) : [];
        if (!plan.dms) {
            this.registerOutputs({ phase: this.phase, databaseTarget: this.databaseTarget });
            return;
        }
        if (!args.source) {
            throw new Error(`migration phase ${args.phase} needs the self-managed primary as DMS's source`);
        }
        const primary = args.source;
        const id = (suffix: string) => dmsIdentifier(args.identifierPrefix, suffix);

        const rdsHost = args.target.host;
        // DMS reads host, port and credentials from the secret; RDS's managed master secret has no host.
        const account = (side: "ec2" | "rds", host: string, port: number, description: string) =>
            generatedSecret(
                `${name}-${side}-account`,
                {
                    description,
                    content: (password) => ({ engine: "mysql", host, port, username: "dms", password }),
                },
                this,
            );
        const ec2Account = account(
            "ec2",
            primary.host,
            MYSQL_PORT,
            "AWS DMS account on the self-managed MySQL primary",
        );
        const rdsAccount = account("rds", rdsHost, args.target.port, "AWS DMS account on RDS for MySQL");

        // The primary runs the account setup: it reads the admin and account secrets.
        new aws.iam.RolePolicy(
            `${name}-setup-secrets`,
            {
                role: primary.roleName,
                policy: readSecretsPolicy([args.target.masterSecretArn, ec2Account.arn, rdsAccount.arn]),
            },
            parent,
        );
        const setupDocument = new aws.ssm.Document(
            `${name}-accounts`,
            {
                documentType: "Command",
                documentFormat: "JSON",
                content: pulumi
                    .all([primary.rootSecretArn, args.target.masterSecretArn, ec2Account.arn, rdsAccount.arn])
                    .apply(([rootSecretArn, rdsMasterSecretArn, ec2AccountSecretArn, rdsAccountSecretArn]) =>
                        accountSetupDocument(
                            {
                                region: args.region,
                                rootSecretArn,
                                rdsMasterSecretArn,
                                ec2AccountSecretArn,
                                rdsAccountSecretArn,
                                rdsHost,
                                schemas: args.includeSchemas,
                            },
                            accountSetupScripts(),
                        ),
                    ),
            },
            parent,
        );
        this.accountSetupDocumentName = setupDocument.name;

        const securityGroup = createSecurityGroup(`${name}-dms-sg`, args.vpcId, "AWS DMS replication instance", this);
        // Secrets Manager, which the replication instance calls for the endpoints' credentials.
        allowHttpsOut(`${name}-dms-out-https`, securityGroup.id, this);
        allowClients(
            `${name}-ec2-mysql`,
            primary.securityGroupId,
            [securityGroup.id],
            { from: MYSQL_PORT },
            "MySQL from AWS DMS",
            this,
        );
        // The primary reaches RDS too: it runs the account setup there.
        allowClients(
            `${name}-rds-mysql`,
            args.target.securityGroupId,
            [securityGroup.id, primary.securityGroupId],
            { from: args.target.port },
            "MySQL from AWS DMS and the DMS account setup",
            this,
        );

        // Runs on creation, again whenever the document changes, and fails the update when a server is not ready.
        const setup = new aws.ssm.Association(
            `${name}-accounts`,
            {
                name: setupDocument.name,
                documentVersion: setupDocument.latestVersion,
                targets: [{ key: "InstanceIds", values: [primary.instanceId] }],
                maxConcurrency: "1",
                maxErrors: "0",
                complianceSeverity: "CRITICAL",
                waitForSuccessTimeoutSeconds: 900,
            },
            { parent: this, dependsOn: [ec2Account.version, rdsAccount.version] },
        );

        const replicationInstanceId = id("dms");
        new aws.cloudwatch.LogGroup(
            `${name}-task-logs`,
            { name: `dms-tasks-${replicationInstanceId}`, retentionInDays: args.logRetentionDays },
            parent,
        );
        const subnetGroup = new aws.dms.ReplicationSubnetGroup(
            `${name}-subnets`,
            {
                replicationSubnetGroupId: id("dms-subnets"),
                replicationSubnetGroupDescription: "Private subnets of the DMS replication instance",
                subnetIds: args.privateSubnetIds,
            },
            { parent: this, dependsOn: serviceRoles },
        );
        const instance = new aws.dms.ReplicationInstance(
            `${name}-instance`,
            {
                replicationInstanceId,
                replicationInstanceClass: args.replicationInstanceClass,
                allocatedStorage: args.allocatedStorageGiB,
                multiAz: args.multiAz,
                engineVersion: args.engineVersion,
                autoMinorVersionUpgrade: true,
                allowMajorVersionUpgrade: false,
                publiclyAccessible: false,
                networkType: "IPV4",
                replicationSubnetGroupId: subnetGroup.replicationSubnetGroupId,
                vpcSecurityGroupIds: [securityGroup.id],
                // Storage is encrypted with the account's DMS key unless given another.
                applyImmediately: true,
            },
            { parent: this, dependsOn: serviceRoles },
        );
        this.replicationInstanceArn = instance.replicationInstanceArn;

        const accessRole = new aws.iam.Role(
            `${name}-secrets-role`,
            { assumeRolePolicy: dmsTrustPolicy(args.region) },
            parent,
        );
        const accessPolicy = new aws.iam.RolePolicy(
            `${name}-secrets-policy`,
            { role: accessRole.name, policy: readSecretsPolicy([ec2Account.arn, rdsAccount.arn]) },
            parent,
        );
        const endpoint = (suffix: string, endpointType: "source" | "target", secretArn: pulumi.Input<string>) =>
            new aws.dms.Endpoint(
                `${name}-${suffix}`,
                {
                    endpointId: id(suffix),
                    endpointType,
                    engineName: "mysql",
                    secretsManagerArn: secretArn,
                    secretsManagerAccessRoleArn: accessRole.arn,
                    // Encrypted; neither server's certificate is imported into DMS, so it is not verified.
                    sslMode: "require",
                },
                { parent: this, dependsOn: [accessPolicy, setup] },
            );

        const mappings = tableMappings(args.includeSchemas, args.excludeSchemas);
        const bounds = (requireFullLoad: boolean) => ({
            maxCdcLatencySeconds: args.maxCdcLatencySeconds,
            requireFullLoad,
        });
        const gate = (suffix: string, taskId: string, requireFullLoad: boolean) =>
            new MigrationGate(
                `${name}-${suffix}`,
                {
                    region: args.region,
                    taskId,
                    replicationInstanceId,
                    bounds: bounds(requireFullLoad),
                    waitSeconds: args.gateWaitSeconds,
                },
                { parent: this, dependsOn: [instance] },
            );

        const forwardTaskId = id("forward");
        const reverseTaskId = id("reverse");
        const tasks: { label: string; task: aws.dms.ReplicationTask }[] = [];
        if (plan.gate === "forward") {
            this.gate = gate("cutover-gate", forwardTaskId, true);
        } else if (plan.gate === "reverse") {
            this.gate = gate("rollback-gate", reverseTaskId, false);
        }

        // One task per direction: its own endpoints, this phase's run state, watched while it runs.
        const replicationTask = (
            direction: "forward" | "reverse",
            state: TaskState,
            from: { suffix: string; secretArn: pulumi.Input<string> },
            to: { suffix: string; secretArn: pulumi.Input<string> },
            extra: { migrationType: string; cdcStartTime?: pulumi.Input<string> },
            options: pulumi.CustomResourceOptions,
        ) => {
            const source = endpoint(from.suffix, "source", from.secretArn);
            const target = endpoint(to.suffix, "target", to.secretArn);
            const task = new aws.dms.ReplicationTask(
                `${name}-${direction}`,
                {
                    replicationTaskId: direction === "forward" ? forwardTaskId : reverseTaskId,
                    replicationInstanceArn: instance.replicationInstanceArn,
                    sourceEndpointArn: source.endpointArn,
                    targetEndpointArn: target.endpointArn,
                    tableMappings: mappings,
                    replicationTaskSettings: JSON.stringify(taskSettings(direction)),
                    startReplicationTask: state === "running",
                    ...extra,
                },
                { parent: this, ...options },
            );
            if (state === "running") {
                tasks.push({ label: direction, task });
            }
            return task.replicationTaskArn;
        };
        const ec2 = (suffix: string) => ({ suffix: `ec2-${suffix}`, secretArn: ec2Account.arn });
        const rds = (suffix: string) => ({ suffix: `rds-${suffix}`, secretArn: rdsAccount.arn });

        if (plan.forwardTask !== "absent") {
            this.forwardTaskArn = replicationTask(
                "forward",
                plan.forwardTask,
                ec2("source"),
                rds("target"),
                { migrationType: "full-load-and-cdc" },
                // At cutover it is stopped only once the gate has passed.
                { dependsOn: plan.gate === "forward" ? [this.gate!] : [] },
            );
        }
        if (plan.reverseTask !== "absent") {
            this.reverseTaskArn = replicationTask(
                "reverse",
                plan.reverseTask,
                rds("source"),
                ec2("target"),
                {
                    migrationType: "cdc",
                    // From the moment the cutover gate passed: writes were frozen, so nothing on RDS is missed.
                    cdcStartTime: plan.gate === "forward" ? this.gate!.passedAt : undefined,
                },
                // Started after the cutover gate, stopped after the rollback gate. The start time is
                // set once at cutover; a rollback must not replace the task over it.
                { dependsOn: this.gate ? [this.gate] : [], ignoreChanges: ["cdcStartTime"] },
            );
        }

        if (args.alarmTopicArn) {
            this.createNotifications(name, args, replicationInstanceId, tasks);
        }

        this.registerOutputs({
            phase: this.phase,
            databaseTarget: this.databaseTarget,
            replicationInstanceArn: this.replicationInstanceArn,
            forwardTaskArn: this.forwardTaskArn,
            reverseTaskArn: this.reverseTaskArn,
            accountSetupDocumentName: this.accountSetupDocumentName,
        });
    }

    /**
     * The roles DMS finds by fixed name. Kept when the stack stops managing
     * them or is destroyed: other stacks in the account may use them.
     */
    private createServiceRoles(name: string): pulumi.Resource[] {
        return Object.entries(DMS_SERVICE_ROLES).map(([roleName, policyArn]) => {
            const role = new aws.iam.Role(
                `${name}-${roleName}`,
                {
                    name: roleName,
                    assumeRolePolicy: JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [
                            { Effect: "Allow", Principal: { Service: "dms.amazonaws.com" }, Action: "sts:AssumeRole" },
                        ],
                    }),
                },
                { parent: this, retainOnDelete: true },
            );
            return new aws.iam.RolePolicyAttachment(
                `${name}-${roleName}-policy`,
                { role: role.name, policyArn },
                { parent: this, retainOnDelete: true },
            );
        });
    }

    private createNotifications(
        name: string,
        args: MigrationArgs,
        replicationInstanceId: string,
        tasks: { label: string; task: aws.dms.ReplicationTask }[],
    ): void {
        const topic = args.alarmTopicArn!;
        const parent = { parent: this };
        new aws.dms.EventSubscription(
            `${name}-instance-events`,
            {
                snsTopicArn: topic,
                sourceType: "replication-instance",
                sourceIds: [replicationInstanceId],
                eventCategories: ["failure", "failover", "low storage"],
                enabled: true,
            },
            parent,
        );
        if (tasks.length === 0) {
            return;
        }
        new aws.dms.EventSubscription(
            `${name}-task-events`,
            {
                snsTopicArn: topic,
                sourceType: "replication-task",
                sourceIds: tasks.map(({ task }) => task.replicationTaskId),
                eventCategories: ["failure", "state change"],
                enabled: true,
            },
            parent,
        );
        const threshold = args.alarmCdcLatencySeconds ?? 300;
        for (const { label, task } of tasks) {
            for (const metric of ["CDCLatencySource", "CDCLatencyTarget"] as const) {
                new aws.cloudwatch.MetricAlarm(
                    `${name}-${label}-${metric === "CDCLatencySource" ? "source" : "target"}-latency`,
                    {
                        alarmDescription: `DMS ${label} task: ${metric} above ${threshold}s for 10 minutes`,
                        namespace: "AWS/DMS",
                        metricName: metric,
                        dimensions: {
                            ReplicationInstanceIdentifier: replicationInstanceId,
                            ReplicationTaskIdentifier: task.replicationTaskArn.apply(taskResourceId),
                        },
                        statistic: "Maximum",
                        period: 60,
                        evaluationPeriods: 10,
                        threshold,
                        comparisonOperator: "GreaterThanThreshold",
                        // No CDC datapoints during the full load, nor from a stopped task (the task events report that).
                        treatMissingData: "notBreaching",
                        alarmActions: [topic],
                        okActions: [topic],
                    },
                    parent,
                );
            }
        }
    }
}
