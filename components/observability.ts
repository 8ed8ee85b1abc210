/**
 * observability: CloudWatch for the estate (tier150k and up). The alarm topic
 * (encrypted with its own KMS key, which CloudWatch may use), one log group
 * and one agent configuration per server role, the agent policy on each role,
 * the alarms an operator needs at this size, and one dashboard.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    AGENT_NAMESPACE,
    METRIC_NAMESPACES,
    ServerRole,
    agentConfig,
    agentParameterName,
    logGroupName,
} from "./shared/telemetry";

export const CLOUDWATCH_AGENT_POLICY = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy";

/** One alarm, before it becomes a MetricAlarm: what is measured and when it fires. */
export interface AlarmSpec<Id = pulumi.Input<string>> {
    /** Suffix of the logical name, unique in the stack. */
    readonly key: string;
    readonly description: string;
    readonly namespace: string;
    readonly metricName: string;
    readonly dimensions: Record<string, Id | string>;
    /** `Sum`, `Average`, `Minimum`, `Maximum`, or a percentile such as `p95`. */
    readonly statistic: string;
    readonly periodSeconds: number;
    readonly evaluationPeriods: number;
    readonly threshold: number;
    readonly comparison: "GreaterThanOrEqualToThreshold" | "GreaterThanThreshold" | "LessThanThreshold";
    /** `breaching` where silence means the thing is down. */
    readonly treatMissingData: "breaching" | "notBreaching" | "missing";
    /** EC2 recovery of the instance on a failed system status check. */
    readonly recover?: boolean;
}

/** A server whose health the alarms watch: status checks, CPU, memory, disks. */
export interface WatchedServer<Id = pulumi.Input<string>> {
    /** Short label for names, e.g. `db-primary`. */
    readonly label: string;
    readonly instanceId: Id;
    /** Data filesystem to watch besides `/`. */
    readonly dataPath?: string;
    /** Recover the instance on AWS-side hardware failure (servers whose identity matters). */
    readonly recover: boolean;
}

/** The managed services of tier1m, each watched when present. */
export interface ManagedServices<Id = pulumi.Input<string>> {
    /** The web tier's Auto Scaling group, and the size it must not stay at or fall below. */
    readonly autoScalingGroup?: { readonly name: Id; readonly minSize: number; readonly maxSize: number };
    /** RDS for MySQL: the primary's identifier, its storage at creation (GiB), and the read replicas'. */
    readonly rds?: { readonly identifier: Id; readonly allocatedStorageGiB: number; readonly replicas: readonly Id[] };
    /** The ElastiCache for Memcached cluster id. */
    readonly elastiCacheCluster?: Id;
    /** SQS queues by short name, each with its dead-letter queue. */
    readonly queues?: readonly { readonly name: string; readonly queue: Id; readonly deadLetterQueue: Id }[];
    /** The OpenSearch domain, the account that owns it (a dimension of its metrics) and its data volume. */
    readonly openSearch?: { readonly domainName: Id; readonly accountId: Id; readonly volumeGiB: number };
}

export interface AlarmInputs<Id = pulumi.Input<string>> {
    readonly loadBalancer: Id;
    readonly targetGroup: Id;
    readonly stack: string;
    readonly statefulServers: readonly WatchedServer<Id>[];
    readonly replica: boolean;
    readonly rabbitmqNodes?: number;
    readonly memcached: boolean;
    readonly thresholds: {
        readonly targetResponseSeconds: number;
        readonly replicationLagSeconds: number;
        readonly queueDepth: number;
        readonly cacheEvictions: number;
        readonly oldestMessageSeconds: number;
    };
    readonly managed?: ManagedServices<Id>;
}

function serverAlarms<Id>(server: WatchedServer<Id>): AlarmSpec<Id>[] {
    const ec2 = { namespace: "AWS/EC2", dimensions: { InstanceId: server.instanceId } };
    const disk = (path: string, suffix: string): AlarmSpec<Id> => ({
        key: `${server.label}-disk-${suffix}`,
        description: `${server.label}: ${path} more than 80% full`,
        namespace: AGENT_NAMESPACE,
        metricName: "disk_used_percent",
        dimensions: { InstanceId: server.instanceId, path, fstype: "xfs" },
        statistic: "Maximum",
        periodSeconds: 300,
        evaluationPeriods: 1,
        threshold: 80,
        comparison: "GreaterThanThreshold",
        treatMissingData: "missing",
    });
    return [
        {
            key: `${server.label}-system-status`,
            description: `${server.label}: AWS-side status check failed${server.recover ? "; recovering the instance" : ""}`,
            ...ec2,
            metricName: "StatusCheckFailed_System",
            statistic: "Maximum",
            periodSeconds: 60,
            evaluationPeriods: 2,
            threshold: 1,
            comparison: "GreaterThanOrEqualToThreshold",
            treatMissingData: "missing",
            recover: server.recover,
        },
        {
            key: `${server.label}-instance-status`,
            description: `${server.label}: instance status check failed (operating system or network)`,
            ...ec2,
            metricName: "StatusCheckFailed_Instance",
            statistic: "Maximum",
            periodSeconds: 60,
            evaluationPeriods: 3,
            threshold: 1,
            comparison: "GreaterThanOrEqualToThreshold",
            treatMissingData: "missing",
        },
        {
            key: `${server.label}-cpu`,
            description: `${server.label}: CPU above 80% for 15 minutes`,
            ...ec2,
            metricName: "CPUUtilization",
            statistic: "Average",
            periodSeconds: 300,
            evaluationPeriods: 3,
            threshold: 80,
            comparison: "GreaterThanThreshold",
            treatMissingData: "missing",
        },
        {
            key: `${server.label}-memory`,
            description: `${server.label}: memory above 90% for 10 minutes`,
            namespace: AGENT_NAMESPACE,
            metricName: "mem_used_percent",
            dimensions: { InstanceId: server.instanceId },
            statistic: "Average",
            periodSeconds: 300,
            evaluationPeriods: 2,
            threshold: 90,
            comparison: "GreaterThanThreshold",
            treatMissingData: "missing",
        },
        disk("/", "root"),
        ...(server.dataPath ? [disk(server.dataPath, "data")] : []),
    ];
}

/** Every alarm of the estate. Pure: the ids may be strings or Outputs. */
export function alarmSpecs<Id>(inputs: AlarmInputs<Id>): AlarmSpec<Id>[] {
    const alb = { namespace: "AWS/ApplicationELB", dimensions: { LoadBalancer: inputs.loadBalancer } };
    const stack = { Stack: inputs.stack };
    const alarms: AlarmSpec<Id>[] = [
        {
            key: "alb-5xx",
            description:
                "Load balancer answered 5xx itself (no healthy target, or overload) more than 10 times in 5 minutes",
            ...alb,
            metricName: "HTTPCode_ELB_5XX_Count",
            statistic: "Sum",
            periodSeconds: 300,
            evaluationPeriods: 1,
            threshold: 10,
            comparison: "GreaterThanThreshold",
            treatMissingData: "notBreaching",
        },
        {
            key: "target-5xx",
            description: "Web servers answered 5xx more than 50 times in 5 minutes",
            ...alb,
            metricName: "HTTPCode_Target_5XX_Count",
            statistic: "Sum",
            periodSeconds: 300,
            evaluationPeriods: 1,
            threshold: 50,
            comparison: "GreaterThanThreshold",
            treatMissingData: "notBreaching",
        },
        {
            key: "unhealthy-hosts",
            description: "A web server failed its health checks for 5 minutes",
            namespace: "AWS/ApplicationELB",
            dimensions: { LoadBalancer: inputs.loadBalancer, TargetGroup: inputs.targetGroup },
            metricName: "UnHealthyHostCount",
            statistic: "Maximum",
            periodSeconds: 60,
            evaluationPeriods: 5,
            threshold: 1,
            comparison: "GreaterThanOrEqualToThreshold",
            treatMissingData: "notBreaching",
        },
        {
            key: "response-time",
            description: `p95 response time above ${inputs.thresholds.targetResponseSeconds} s for 10 minutes`,
            ...alb,
            metricName: "TargetResponseTime",
            statistic: "p95",
            periodSeconds: 300,
            evaluationPeriods: 2,
            threshold: inputs.thresholds.targetResponseSeconds,
            comparison: "GreaterThanThreshold",
            treatMissingData: "notBreaching",
        },
        ...inputs.statefulServers.flatMap(serverAlarms),
    ];
    if (inputs.replica) {
        alarms.push(
            {
                key: "replication-stopped",
                description: "MySQL replication is not running on the replica (or the replica stopped reporting)",
                namespace: METRIC_NAMESPACES.mysql,
                dimensions: { ...stack, Role: "replica" },
                metricName: "ReplicationRunning",
                statistic: "Minimum",
                periodSeconds: 60,
                evaluationPeriods: 3,
                threshold: 1,
                comparison: "LessThanThreshold",
                treatMissingData: "breaching",
            },
            {
                key: "replication-lag",
                description: `MySQL replica more than ${inputs.thresholds.replicationLagSeconds} s behind for 5 minutes`,
                namespace: METRIC_NAMESPACES.mysql,
                dimensions: { ...stack, Role: "replica" },
                metricName: "ReplicationLagSeconds",
                statistic: "Maximum",
                periodSeconds: 60,
                evaluationPeriods: 5,
                threshold: inputs.thresholds.replicationLagSeconds,
                comparison: "GreaterThanThreshold",
                treatMissingData: "notBreaching",
            },
        );
    }
    if (inputs.rabbitmqNodes !== undefined) {
        alarms.push(
            {
                key: "queue-depth",
                description: `More than ${inputs.thresholds.queueDepth} messages waiting in RabbitMQ for 10 minutes`,
                namespace: METRIC_NAMESPACES.rabbitmq,
                dimensions: stack,
                metricName: "MessagesReady",
                statistic: "Maximum",
                periodSeconds: 300,
                evaluationPeriods: 2,
                threshold: inputs.thresholds.queueDepth,
                comparison: "GreaterThanThreshold",
                treatMissingData: "notBreaching",
            },
            {
                key: "rabbitmq-node-down",
                description: `Fewer than ${inputs.rabbitmqNodes} RabbitMQ nodes running (or no node reporting)`,
                namespace: METRIC_NAMESPACES.rabbitmq,
                dimensions: stack,
                metricName: "RunningNodes",
                statistic: "Minimum",
                periodSeconds: 60,
                evaluationPeriods: 3,
                threshold: inputs.rabbitmqNodes,
                comparison: "LessThanThreshold",
                treatMissingData: "breaching",
            },
        );
    }
    if (inputs.managed) {
        alarms.push(...managedServiceAlarms(inputs.managed, inputs.thresholds));
    }
    if (inputs.memcached) {
        alarms.push({
            key: "cache-evictions",
            description: `More than ${inputs.thresholds.cacheEvictions} memcached evictions in 5 minutes: the cache is too small`,
            namespace: METRIC_NAMESPACES.memcached,
            dimensions: stack,
            metricName: "Evictions",
            statistic: "Sum",
            periodSeconds: 300,
            evaluationPeriods: 1,
            threshold: inputs.thresholds.cacheEvictions,
            comparison: "GreaterThanThreshold",
            treatMissingData: "notBreaching",
        });
    }
    return alarms;
}

const GIB = 1024 ** 3;

/** A threshold alarm with the settings most of these share; `overrides` says what differs. */
function alarm<Id>(
    spec: Pick<AlarmSpec<Id>, "key" | "description" | "namespace" | "metricName" | "dimensions" | "threshold">,
    overrides: Partial<AlarmSpec<Id>> = {},
): AlarmSpec<Id> {
    return {
        statistic: "Maximum",
        periodSeconds: 300,
        evaluationPeriods: 1,
        comparison: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
        ...spec,
        ...overrides,
    };
}

/**
 * The managed services' alarms, following AWS's recommended alarms for each
 * service where there is one: a red or write-blocked OpenSearch cluster pages at
 * once, a yellow one after it failed to recover for 15 minutes.
 */
export function managedServiceAlarms<Id>(
    managed: ManagedServices<Id>,
    thresholds: AlarmInputs<Id>["thresholds"],
): AlarmSpec<Id>[] {
    const alarms: AlarmSpec<Id>[] = [];
    const group = managed.autoScalingGroup;
    if (group) {
        const dimensions = { AutoScalingGroupName: group.name };
        alarms.push(
            alarm(
                {
                    key: "web-asg-at-max",
                    description: `Web Auto Scaling group at its maximum of ${group.maxSize} for 30 minutes: raise maxSize or find the load`,
                    namespace: "AWS/AutoScaling",
                    metricName: "GroupInServiceInstances",
                    dimensions,
                    threshold: group.maxSize,
                },
                { statistic: "Minimum", evaluationPeriods: 6, comparison: "GreaterThanOrEqualToThreshold" },
            ),
            alarm(
                {
                    key: "web-asg-below-min",
                    description: `Fewer than ${group.minSize} web instances in service for 15 minutes: launches are failing`,
                    namespace: "AWS/AutoScaling",
                    metricName: "GroupInServiceInstances",
                    dimensions,
                    threshold: group.minSize,
                },
                {
                    statistic: "Maximum",
                    evaluationPeriods: 3,
                    comparison: "LessThanThreshold",
                    treatMissingData: "breaching",
                },
            ),
        );
    }
    const rds = managed.rds;
    if (rds) {
        const dimensions = { DBInstanceIdentifier: rds.identifier };
        alarms.push(
            alarm(
                {
                    key: "rds-cpu",
                    description: "RDS primary CPU above 80% for 15 minutes",
                    namespace: "AWS/RDS",
                    metricName: "CPUUtilization",
                    dimensions,
                    threshold: 80,
                },
                { statistic: "Average", evaluationPeriods: 3 },
            ),
            alarm(
                {
                    key: "rds-free-storage",
                    description: `RDS free storage below 10% of the ${rds.allocatedStorageGiB} GiB allocated: storage autoscaling is at its ceiling or cannot keep up`,
                    namespace: "AWS/RDS",
                    metricName: "FreeStorageSpace",
                    dimensions,
                    threshold: Math.round(rds.allocatedStorageGiB * 0.1 * GIB),
                },
                { statistic: "Minimum", comparison: "LessThanThreshold" },
            ),
            alarm(
                {
                    key: "rds-freeable-memory",
                    description: "RDS freeable memory below 1 GiB for 15 minutes: the buffer pool is squeezed",
                    namespace: "AWS/RDS",
                    metricName: "FreeableMemory",
                    dimensions,
                    threshold: GIB,
                },
                { statistic: "Minimum", evaluationPeriods: 3, comparison: "LessThanThreshold" },
            ),
            ...rds.replicas.map((replica, index) =>
                alarm(
                    {
                        key: `rds-replica-${index}-lag`,
                        description: `RDS read replica ${index} more than ${thresholds.replicationLagSeconds} s behind for 5 minutes`,
                        namespace: "AWS/RDS",
                        metricName: "ReplicaLag",
                        dimensions: { DBInstanceIdentifier: replica },
                        threshold: thresholds.replicationLagSeconds,
                    },
                    { periodSeconds: 60, evaluationPeriods: 5 },
                ),
            ),
        );
    }
    if (managed.elastiCacheCluster !== undefined) {
        const dimensions = { CacheClusterId: managed.elastiCacheCluster };
        alarms.push(
            alarm(
                {
                    key: "elasticache-evictions",
                    description: `More than ${thresholds.cacheEvictions} ElastiCache evictions in 5 minutes: the cache is too small`,
                    namespace: "AWS/ElastiCache",
                    metricName: "Evictions",
                    dimensions,
                    threshold: thresholds.cacheEvictions,
                },
                { statistic: "Sum" },
            ),
            alarm(
                {
                    key: "elasticache-cpu",
                    description: "ElastiCache node CPU above 90% for 15 minutes",
                    namespace: "AWS/ElastiCache",
                    metricName: "CPUUtilization",
                    dimensions,
                    threshold: 90,
                },
                { evaluationPeriods: 3 },
            ),
        );
    }
    for (const queue of managed.queues ?? []) {
        alarms.push(
            alarm({
                key: `sqs-${queue.name}-dead-letters`,
                description: `Messages in the ${queue.name} dead-letter queue: they failed every delivery`,
                namespace: "AWS/SQS",
                metricName: "ApproximateNumberOfMessagesVisible",
                dimensions: { QueueName: queue.deadLetterQueue },
                threshold: 0,
            }),
            alarm(
                {
                    key: `sqs-${queue.name}-oldest-message`,
                    description: `Oldest message in ${queue.name} waiting more than ${thresholds.oldestMessageSeconds} s: consumers are behind or down`,
                    namespace: "AWS/SQS",
                    metricName: "ApproximateAgeOfOldestMessage",
                    dimensions: { QueueName: queue.queue },
                    threshold: thresholds.oldestMessageSeconds,
                },
                { evaluationPeriods: 2 },
            ),
            alarm(
                {
                    key: `sqs-${queue.name}-depth`,
                    description: `More than ${thresholds.queueDepth} messages waiting in ${queue.name} for 10 minutes`,
                    namespace: "AWS/SQS",
                    metricName: "ApproximateNumberOfMessagesVisible",
                    dimensions: { QueueName: queue.queue },
                    threshold: thresholds.queueDepth,
                },
                { evaluationPeriods: 2 },
            ),
        );
    }
    const search = managed.openSearch;
    if (search) {
        const dimensions = { DomainName: search.domainName, ClientId: search.accountId };
        const es = (spec: Omit<Parameters<typeof alarm<Id>>[0], "namespace" | "dimensions">, overrides = {}) =>
            alarm({ ...spec, namespace: "AWS/ES", dimensions }, overrides);
        alarms.push(
            es(
                {
                    key: "opensearch-red",
                    description: "OpenSearch cluster red: a primary shard is unassigned and its data unreachable",
                    metricName: "ClusterStatus.red",
                    threshold: 1,
                },
                { periodSeconds: 60, comparison: "GreaterThanOrEqualToThreshold" },
            ),
            es(
                {
                    key: "opensearch-yellow",
                    description: "OpenSearch cluster yellow for 15 minutes: replica shards unassigned",
                    metricName: "ClusterStatus.yellow",
                    threshold: 1,
                },
                { periodSeconds: 60, evaluationPeriods: 15, comparison: "GreaterThanOrEqualToThreshold" },
            ),
            es(
                {
                    key: "opensearch-writes-blocked",
                    description: "OpenSearch blocks writes (disk or memory pressure): logs are not indexed",
                    metricName: "ClusterIndexWritesBlocked",
                    threshold: 1,
                },
                { comparison: "GreaterThanOrEqualToThreshold" },
            ),
            es(
                {
                    key: "opensearch-free-storage",
                    description: `OpenSearch node with less than 25% of its ${search.volumeGiB} GiB free`,
                    metricName: "FreeStorageSpace",
                    // Reported in MiB, per node.
                    threshold: Math.round(search.volumeGiB * 1024 * 0.25),
                },
                { statistic: "Minimum", periodSeconds: 60, comparison: "LessThanThreshold" },
            ),
            es(
                {
                    key: "opensearch-jvm-pressure",
                    description: "OpenSearch data node JVM memory pressure above 80% for 15 minutes",
                    metricName: "JVMMemoryPressure",
                    threshold: 80,
                },
                { evaluationPeriods: 3 },
            ),
            es(
                {
                    key: "opensearch-master-jvm-pressure",
                    description: "OpenSearch master JVM memory pressure above 80% for 15 minutes",
                    metricName: "MasterJVMMemoryPressure",
                    threshold: 80,
                },
                { evaluationPeriods: 3 },
            ),
        );
    }
    return alarms;
}

const PERCENTILE = /^p\d+(\.\d+)?$/;

/** A dashboard body: one metric widget per alarm, in alarm order, two per row. */
export function dashboardBody(region: string, alarms: readonly AlarmSpec<string>[]): string {
    return JSON.stringify({
        widgets: alarms.map((alarm, index) => ({
            type: "metric",
            x: (index % 2) * 12,
            y: Math.floor(index / 2) * 6,
            width: 12,
            height: 6,
            properties: {
                title: alarm.description,
                region,
                stat: alarm.statistic,
                period: alarm.periodSeconds,
                metrics: [[alarm.namespace, alarm.metricName, ...Object.entries(alarm.dimensions).flat()]],
                annotations: { horizontal: [{ value: alarm.threshold, label: "alarm" }] },
            },
        })),
    });
}

export interface ObservabilityArgs {
    project: string;
    stack: string;
    region: string;
    /** Retention of the roles' log groups, days. */
    logRetentionDays: number;
    /** Addresses subscribed to the alarm topic. */
    alarmEmails: readonly string[];
    /** Server roles that run the agent, with the instance role to grant it to. */
    roles: readonly { role: ServerRole; roleName: pulumi.Input<string> }[];
    /** Load balancer and target group ARN suffixes, the ALB metrics' dimensions. */
    loadBalancerArnSuffix: pulumi.Input<string>;
    targetGroupArnSuffix: pulumi.Input<string>;
    statefulServers: readonly WatchedServer[];
    replica: boolean;
    rabbitmqNodes?: number;
    memcached: boolean;
    thresholds: AlarmInputs["thresholds"];
    /** tier1m's managed services, watched when present. */
    managed?: ManagedServices;
    /**
     * AWS services besides CloudWatch that publish to the alarm topic, such as
     * `dms.amazonaws.com` for migration events or `budgets.amazonaws.com` for
     * the budget's forecasts: the topic's key and its policy let them. Default none.
     */
    publisherServices?: readonly string[];
}

export class Observability extends pulumi.ComponentResource {
    public readonly alarmTopicArn: pulumi.Output<string>;
    public readonly dashboardName: pulumi.Output<string>;

    constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scale-tiers:observability:Observability", name, {}, opts);
        const parent = { parent: this };

        for (const { role, roleName } of args.roles) {
            const logGroup = new aws.cloudwatch.LogGroup(
                `${name}-${role}-logs`,
                { name: logGroupName(args.project, args.stack, role), retentionInDays: args.logRetentionDays },
                parent,
            );
            // The agents pull this; it exists only once the log group does, so no agent creates
            // the group first (without retention, and in Pulumi's way).
            new aws.ssm.Parameter(
                `${name}-${role}-agent-config`,
                {
                    name: agentParameterName(args.project, args.stack, role),
                    type: "String",
                    value: logGroup.name.apply((group) => agentConfig(role, group)),
                },
                { parent: this, dependsOn: [logGroup] },
            );
            new aws.iam.RolePolicyAttachment(
                `${name}-${role}-agent-policy`,
                { role: roleName, policyArn: CLOUDWATCH_AGENT_POLICY },
                parent,
            );
        }

        const topic = this.createAlarmTopic(name, args);
        this.alarmTopicArn = topic.arn;

        const alarms = alarmSpecs<pulumi.Input<string>>({
            loadBalancer: args.loadBalancerArnSuffix,
            targetGroup: args.targetGroupArnSuffix,
            stack: args.stack,
            statefulServers: args.statefulServers,
            replica: args.replica,
            rabbitmqNodes: args.rabbitmqNodes,
            memcached: args.memcached,
            thresholds: args.thresholds,
            managed: args.managed,
        });
        for (const alarm of alarms) {
            const actions: pulumi.Input<string>[] = [topic.arn];
            if (alarm.recover) {
                actions.unshift(`arn:aws:automate:${args.region}:ec2:recover`);
            }
            new aws.cloudwatch.MetricAlarm(
                `${name}-${alarm.key}`,
                {
                    alarmDescription: alarm.description,
                    namespace: alarm.namespace,
                    metricName: alarm.metricName,
                    dimensions: alarm.dimensions,
                    ...(PERCENTILE.test(alarm.statistic)
                        ? { extendedStatistic: alarm.statistic }
                        : { statistic: alarm.statistic }),
                    period: alarm.periodSeconds,
                    evaluationPeriods: alarm.evaluationPeriods,
                    threshold: alarm.threshold,
                    comparisonOperator: alarm.comparison,
                    treatMissingData: alarm.treatMissingData,
                    alarmActions: actions,
                    okActions: [topic.arn],
                },
                parent,
            );
        }
        if (args.alarmEmails.length === 0) {
            // The runtime waits for its log messages itself before the program ends.
            void pulumi.log.warn(
                `${alarms.length} alarms publish to the alarm topic, which has no subscriber: nobody is told. ` +
                    "Set scale-tiers:monitoring.alarmEmails, or subscribe an endpoint to the alarmTopicArn output " +
                    "(docs/configuration.md, monitoring).",
                this,
            );
        }

        const resolved = pulumi.output(
            alarms.map((alarm) => pulumi.output(alarm.dimensions).apply((dimensions) => ({ ...alarm, dimensions }))),
        );
        const dashboard = new aws.cloudwatch.Dashboard(
            `${name}-dashboard`,
            {
                dashboardName: `${args.project}-${args.stack}`,
                dashboardBody: resolved.apply((specs) => dashboardBody(args.region, specs as AlarmSpec<string>[])),
            },
            parent,
        );
        this.dashboardName = dashboard.dashboardName;

        this.registerOutputs({ alarmTopicArn: this.alarmTopicArn, dashboardName: this.dashboardName });
    }

    /**
     * CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS
     * key, whose policy cannot grant it; the topic gets its own key that does.
     */
    private createAlarmTopic(name: string, args: ObservabilityArgs): aws.sns.Topic {
        const parent = { parent: this };
        const account = aws.getCallerIdentityOutput({}, parent).accountId;
        const key = new aws.kms.Key(
            `${name}-alarms-key`,
            {
                description: `Encrypts the ${args.stack} alarm topic`,
                enableKeyRotation: true,
                deletionWindowInDays: 30,
                policy: account.apply((accountId) =>
                    JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [
                            {
                                Sid: "AccountAdministers",
                                Effect: "Allow",
                                Principal: { AWS: `arn:aws:iam::${accountId}:root` },
                                Action: "kms:*",
                                Resource: "*",
                            },
                            {
                                Sid: "CloudWatchPublishes",
                                Effect: "Allow",
                                Principal: {
                                    Service: args.publisherServices?.length
                                        ? ["cloudwatch.amazonaws.com", ...args.publisherServices]
                                        : "cloudwatch.amazonaws.com",
                                },
                                Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                                Resource: "*",
                                Condition: { StringEquals: { "aws:SourceAccount": accountId } },
                            },
                        ],
                    }),
                ),
            },
            parent,
        );
        const topic = new aws.sns.Topic(`${name}-alarms`, { kmsMasterKeyId: key.arn }, parent);
        if (args.publisherServices?.length) {
            // Services other than CloudWatch (AWS Budgets, DMS) publish only where the topic's policy lets them.
            // The policy replaces SNS's default one, so it keeps what that gave: the account administers the
            // topic, CloudWatch publishes its alarms.
            new aws.sns.TopicPolicy(
                `${name}-alarms-policy`,
                {
                    arn: topic.arn,
                    policy: pulumi.all([account, topic.arn]).apply(([accountId, topicArn]) =>
                        JSON.stringify({
                            Version: "2012-10-17",
                            Statement: [
                                {
                                    Sid: "AccountAdministers",
                                    Effect: "Allow",
                                    Principal: { AWS: `arn:aws:iam::${accountId}:root` },
                                    Action: "sns:*",
                                    Resource: topicArn,
                                },
                                {
                                    Sid: "ServicesPublish",
                                    Effect: "Allow",
                                    Principal: { Service: ["cloudwatch.amazonaws.com", ...args.publisherServices!] },
                                    Action: "sns:Publish",
                                    Resource: topicArn,
                                    Condition: { StringEquals: { "aws:SourceAccount": accountId } },
                                },
                            ],
                        }),
                    ),
                },
                parent,
            );
        }
        // Named by address, not list position: removing one address must not make the others
        // subscribe (and confirm by e-mail) again. Named by position until 2026-11, hence the alias.
        args.alarmEmails.forEach(
            (email, position) =>
                new aws.sns.TopicSubscription(
                    `${name}-alarms-email-${email.toLowerCase()}`,
                    { topic: topic.arn, protocol: "email", endpoint: email },
                    { ...parent, aliases: [{ name: `${name}-alarms-email-${position}` }] },
                ),
        );
        return topic;
    }
}
