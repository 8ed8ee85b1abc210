/**
 * The migration gate: a check that runs during `pulumi up` and refuses to let
 * the update go on (the DNS switch, the task stop, the reverse task) unless
 * the DMS task it watches has caught up and verified what it copied.
 *
 * It is a Pulumi dynamic resource whose provider, on create and on update,
 * reads the task with the AWS SDK (DescribeReplicationTasks,
 * DescribeTableStatistics, the CDCLatencySource/CDCLatencyTarget metrics),
 * asks the pure `cutoverDecision` and throws with every failing condition and
 * its observed value. Nothing depends on the task *resource*: the gate finds
 * the task by its identifier, so the task itself can depend on the gate (it is
 * stopped only after the gate has passed).
 *
 * The SDK packages are loaded when the provider runs, not when the program is
 * evaluated: `@aws-sdk/client-database-migration-service` and
 * `@aws-sdk/client-cloudwatch` must be dependencies of the project.
 */
import * as pulumi from "@pulumi/pulumi";

/** One table as DescribeTableStatistics reports it (the fields the gate reads). */
export interface TableObservation {
    schema: string;
    table: string;
    /** `Table completed`, `Full load`, `Before load`, `Table error`, `Table cancelled`, ... */
    tableState: string;
    /** `Validated`, `Pending records`, `Mismatched records`, `Suspended records`, `No primary key`, `Table error`, `Error`, `Not enabled`, ... */
    validationState: string;
    validationFailedRecords: number;
    validationSuspendedRecords: number;
    validationPendingRecords: number;
}

/** What the gate saw of a task. `undefined` values were not there to be seen. */
export interface GateObservation {
    taskId: string;
    /** Undefined when no task has this identifier. */
    status?: string;
    /** Full-load progress, percent (ReplicationTaskStats.FullLoadProgressPercent). */
    fullLoadProgressPercent?: number;
    tables: TableObservation[];
    /** Latest CDCLatencySource datapoint, seconds. */
    cdcLatencySourceSeconds?: number;
    /** Latest CDCLatencyTarget datapoint, seconds. */
    cdcLatencyTargetSeconds?: number;
    /** The task's LastFailureMessage or StopReason, for the error text. */
    lastMessage?: string;
}

export interface GateBounds {
    /** Highest CDC latency (source and target) that lets the gate pass, seconds. */
    maxCdcLatencySeconds: number;
    /** The task has a full load that must be complete (false for a CDC-only task). */
    requireFullLoad: boolean;
}

/** One failed condition: which, and what was observed. */
export interface GateFailure {
    condition:
        | "task-exists"
        | "task-running"
        | "full-load-complete"
        | "tables-selected"
        | "no-table-errors"
        | "validation-clean"
        | "validation-caught-up"
        | "cdc-latency-source"
        | "cdc-latency-target";
    observed: string;
}

export type GateDecision = { ok: true } | { ok: false; failures: GateFailure[] };

/** Validation states that mean rows differ, could not be compared, or were never compared. */
export const FAILING_VALIDATION_STATES: readonly string[] = [
    "Mismatched records",
    "Suspended records",
    "Failed",
    "Suspended",
    "Error",
    "Table error",
    "No primary key",
    "Not enabled",
];

const qualified = (t: TableObservation) => `${t.schema}.${t.table}`;

function latencyFailure(
    condition: "cdc-latency-source" | "cdc-latency-target",
    seconds: number | undefined,
    bound: number,
): GateFailure[] {
    if (seconds === undefined) {
        return [{ condition, observed: `no datapoint in the last minutes (bound ${bound}s)` }];
    }
    return seconds <= bound ? [] : [{ condition, observed: `${seconds}s, above the bound of ${bound}s` }];
}

/**
 * Whether the task may be cut over: running, full load complete (when it has
 * one), at least one table, no table in error, every table validated with no
 * failed, suspended or pending record, and CDC latency at the source and the
 * target at most the bound. Returns every failure, not the first.
 */
export function cutoverDecision(observed: GateObservation, bounds: GateBounds): GateDecision {
    if (observed.status === undefined) {
        return { ok: false, failures: [{ condition: "task-exists", observed: `no task ${observed.taskId}` }] };
    }
    const failures: GateFailure[] = [];
    if (observed.status !== "running") {
        const why = observed.lastMessage ? ` (${observed.lastMessage})` : "";
        failures.push({ condition: "task-running", observed: `status ${observed.status}${why}` });
    }
    if (bounds.requireFullLoad && observed.fullLoadProgressPercent !== 100) {
        failures.push({
            condition: "full-load-complete",
            observed: `${observed.fullLoadProgressPercent ?? "unknown"}% loaded`,
        });
    }
    if (observed.tables.length === 0) {
        failures.push({ condition: "tables-selected", observed: "the task reports no table" });
    }
    const inError = observed.tables.filter((t) => t.tableState === "Table error");
    if (inError.length > 0) {
        failures.push({ condition: "no-table-errors", observed: inError.map(qualified).join(", ") });
    }
    const invalid = observed.tables.filter(
        (t) =>
            FAILING_VALIDATION_STATES.includes(t.validationState) ||
            t.validationFailedRecords > 0 ||
            t.validationSuspendedRecords > 0,
    );
    if (invalid.length > 0) {
        failures.push({
            condition: "validation-clean",
            observed: invalid
                .map(
                    (t) =>
                        `${qualified(t)}: ${t.validationState} (${t.validationFailedRecords} failed, ${t.validationSuspendedRecords} suspended)`,
                )
                .join("; "),
        });
    }
    const pending = observed.tables.filter((t) => !invalid.includes(t) && t.validationPendingRecords > 0);
    if (pending.length > 0) {
        failures.push({
            condition: "validation-caught-up",
            observed: pending.map((t) => `${qualified(t)}: ${t.validationPendingRecords} pending`).join("; "),
        });
    }
    failures.push(
        ...latencyFailure("cdc-latency-source", observed.cdcLatencySourceSeconds, bounds.maxCdcLatencySeconds),
        ...latencyFailure("cdc-latency-target", observed.cdcLatencyTargetSeconds, bounds.maxCdcLatencySeconds),
    );
    return failures.length === 0 ? { ok: true } : { ok: false, failures };
}

/** The error text of a refusal: one line per failed condition, with what was observed. */
export function refusalMessage(taskId: string, failures: GateFailure[]): string {
    return [
        `migration gate: task ${taskId} is not ready; nothing after the gate was changed`,
        ...failures.map((f) => `  ${f.condition}: ${f.observed}`),
    ].join("\n");
}

/** The calls the gate makes, so that tests and other SDK versions can supply them. */
export interface GateClients {
    /** DescribeReplicationTasks filtered on `replication-task-id`; undefined when there is none. */
    describeTask(taskId: string): Promise<
        | {
              arn: string;
              status: string;
              fullLoadProgressPercent?: number;
              lastMessage?: string;
          }
        | undefined
    >;
    /** Every page of DescribeTableStatistics. */
    tableStatistics(taskArn: string): Promise<TableObservation[]>;
    /** The newest datapoint (Maximum over 60 s) of an AWS/DMS task metric in the last 10 minutes. */
    latestTaskMetric(
        metric: "CDCLatencySource" | "CDCLatencyTarget",
        instanceId: string,
        taskResourceId: string,
    ): Promise<number | undefined>;
}

/** The task metrics' ReplicationTaskIdentifier dimension: the last field of the task ARN. */
export function taskResourceId(taskArn: string): string {
    return taskArn.slice(taskArn.lastIndexOf(":") + 1);
}

/** Reads everything the decision needs. */
export async function observeTask(
    clients: GateClients,
    taskId: string,
    replicationInstanceId: string,
): Promise<GateObservation> {
    const task = await clients.describeTask(taskId);
    if (!task) {
        return { taskId, tables: [] };
    }
    const resourceId = taskResourceId(task.arn);
    const [tables, source, target] = await Promise.all([
        clients.tableStatistics(task.arn),
        clients.latestTaskMetric("CDCLatencySource", replicationInstanceId, resourceId),
        clients.latestTaskMetric("CDCLatencyTarget", replicationInstanceId, resourceId),
    ]);
    return {
        taskId,
        status: task.status,
        fullLoadProgressPercent: task.fullLoadProgressPercent,
        lastMessage: task.lastMessage,
        tables,
        cdcLatencySourceSeconds: source,
        cdcLatencyTargetSeconds: target,
    };
}

/** An SDK v3 client as the gate uses it: `send` a command, get its output. */
interface SdkClient<Out> {
    send(command: object): Promise<Out>;
}

/** A command class of the SDK: constructed from its input. */
type SdkCommand<In> = new (input: In) => object;

/** One task of DescribeReplicationTasks, the fields the gate reads (AWS always returns the ARN and status). */
interface SdkReplicationTask {
    ReplicationTaskArn: string;
    Status: string;
    ReplicationTaskStats?: { FullLoadProgressPercent?: number };
    LastFailureMessage?: string;
    StopReason?: string;
}

/** One table of DescribeTableStatistics, the fields the gate reads (AWS always names the table). */
interface SdkTableStatistics {
    SchemaName: string;
    TableName: string;
    TableState?: string;
    ValidationState?: string;
    ValidationFailedRecords?: number;
    ValidationSuspendedRecords?: number;
    ValidationPendingRecords?: number;
}

/** The outputs of the DMS calls the gate makes, the fields it reads. */
interface SdkDmsOutput {
    ReplicationTasks?: SdkReplicationTask[];
    TableStatistics?: SdkTableStatistics[];
    Marker?: string;
}

/** What the gate uses of `@aws-sdk/client-database-migration-service`. */
interface DmsSdk {
    DatabaseMigrationServiceClient: new (config: { region: string }) => SdkClient<SdkDmsOutput>;
    DescribeReplicationTasksCommand: SdkCommand<{
        Filters: { Name: string; Values: string[] }[];
        WithoutSettings: boolean;
    }>;
    DescribeTableStatisticsCommand: SdkCommand<{ ReplicationTaskArn: string; MaxRecords: number; Marker?: string }>;
}

/** What the gate uses of `@aws-sdk/client-cloudwatch` (GetMetricStatistics always dates its datapoints). */
interface CloudWatchSdk {
    CloudWatchClient: new (config: { region: string }) => SdkClient<{
        Datapoints?: { Timestamp: Date; Maximum?: number }[];
    }>;
    GetMetricStatisticsCommand: SdkCommand<{
        Namespace: string;
        MetricName: string;
        Dimensions: { Name: string; Value: string }[];
        StartTime: Date;
        EndTime: Date;
        Period: number;
        Statistics: string[];
    }>;
}

/**
 * GateClients over the AWS SDK v3. The packages are loaded here, at run time
 * in the provider, by a name TypeScript does not resolve: the program itself
 * never needs them. DmsSdk and CloudWatchSdk declare the part of them it uses.
 */
export async function awsGateClients(region: string): Promise<GateClients> {
    const dmsPackage = "@aws-sdk/client-database-migration-service";
    const cloudWatchPackage = "@aws-sdk/client-cloudwatch";
    const dmsSdk = (await import(dmsPackage)) as DmsSdk;
    const cwSdk = (await import(cloudWatchPackage)) as CloudWatchSdk;
    const dms = new dmsSdk.DatabaseMigrationServiceClient({ region });
    const cloudWatch = new cwSdk.CloudWatchClient({ region });
    const num = (value: unknown) => (typeof value === "number" ? value : 0);
    return {
        async describeTask(taskId) {
            try {
                const out = await dms.send(
                    new dmsSdk.DescribeReplicationTasksCommand({
                        Filters: [{ Name: "replication-task-id", Values: [taskId] }],
                        WithoutSettings: true,
                    }),
                );
                const task = out.ReplicationTasks?.[0];
                return task
                    ? {
                          arn: task.ReplicationTaskArn,
                          status: task.Status,
                          fullLoadProgressPercent: task.ReplicationTaskStats?.FullLoadProgressPercent,
                          lastMessage: task.LastFailureMessage ?? task.StopReason,
                      }
                    : undefined;
            } catch (error) {
                if ((error as { name?: string }).name === "ResourceNotFoundFault") {
                    return undefined;
                }
                throw error;
            }
        },
        async tableStatistics(taskArn) {
            const tables: TableObservation[] = [];
            let marker: string | undefined;
            do {
                const out = await dms.send(
                    new dmsSdk.DescribeTableStatisticsCommand({
                        ReplicationTaskArn: taskArn,
                        MaxRecords: 500,
                        Marker: marker,
                    }),
                );
                for (const t of out.TableStatistics ?? []) {
                    tables.push({
                        schema: t.SchemaName,
                        table: t.TableName,
                        tableState: t.TableState ?? "",
                        validationState: t.ValidationState ?? "",
                        validationFailedRecords: num(t.ValidationFailedRecords),
                        validationSuspendedRecords: num(t.ValidationSuspendedRecords),
                        validationPendingRecords: num(t.ValidationPendingRecords),
                    });
                }
                marker = out.Marker;
            } while (marker);
            return tables;
        },
        async latestTaskMetric(metric, instanceId, resourceId) {
            const end = new Date();
            const out = await cloudWatch.send(
                new cwSdk.GetMetricStatisticsCommand({
                    Namespace: "AWS/DMS",
                    MetricName: metric,
                    Dimensions: [
                        { Name: "ReplicationInstanceIdentifier", Value: instanceId },
                        { Name: "ReplicationTaskIdentifier", Value: resourceId },
                    ],
                    StartTime: new Date(end.getTime() - 10 * 60 * 1000),
                    EndTime: end,
                    Period: 60,
                    Statistics: ["Maximum"],
                }),
            );
            const points = [...(out.Datapoints ?? [])].sort((a, b) => b.Timestamp.getTime() - a.Timestamp.getTime());
            return points[0]?.Maximum;
        },
    };
}

/** The gate's inputs (and, once passed, its outputs). */
export interface GateInputs {
    region: string;
    taskId: string;
    replicationInstanceId: string;
    bounds: GateBounds;
    /** How long the gate keeps looking before it refuses, seconds: latency metrics trail by a minute or two. */
    waitSeconds: number;
}

export interface GateOutputs extends GateInputs {
    /** When the gate passed (ISO 8601, UTC): the reverse task starts its CDC from here. */
    passedAt: string;
}

/**
 * Polls every 30 s until the decision is yes or `waitSeconds` have passed,
 * then throws the last refusal. `sleep` and `now` are injectable for tests.
 */
export async function awaitGate(
    inputs: GateInputs,
    clients: GateClients,
    sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => number = Date.now,
): Promise<string> {
    const deadline = now() + inputs.waitSeconds * 1000;
    for (;;) {
        const observed = await observeTask(clients, inputs.taskId, inputs.replicationInstanceId);
        const decision = cutoverDecision(observed, inputs.bounds);
        if (decision.ok) {
            return new Date(now()).toISOString();
        }
        if (now() >= deadline) {
            throw new Error(refusalMessage(inputs.taskId, decision.failures));
        }
        await sleep(30_000);
    }
}

async function verify(inputs: GateInputs): Promise<GateOutputs> {
    const passedAt = await awaitGate(inputs, await awsGateClients(inputs.region));
    return { ...inputs, passedAt };
}

const gateProvider: pulumi.dynamic.ResourceProvider<GateInputs, GateOutputs> = {
    async create(inputs) {
        return { id: `${inputs.taskId}-gate`, outs: await verify(inputs) };
    },
    async update(_id, _olds, news) {
        return { outs: await verify(news) };
    },
    // Passing a gate changes nothing in AWS, so there is nothing to undo.
    async delete() {},
};

export interface MigrationGateArgs {
    region: string;
    /** Identifier (not ARN) of the DMS task to verify. */
    taskId: pulumi.Input<string>;
    /** Identifier of its replication instance: a dimension of the task metrics. */
    replicationInstanceId: pulumi.Input<string>;
    bounds: GateBounds;
    /** Seconds the gate keeps re-checking before it refuses. Default 300. */
    waitSeconds?: number;
}

/**
 * Exists only once the task passed; its creation fails (and stops the update
 * before anything that depends on it) when the task is not ready.
 */
export class MigrationGate extends pulumi.dynamic.Resource {
    // `declare`: an ES2022 class field would overwrite the output the base constructor set.
    declare public readonly passedAt: pulumi.Output<string>;

    constructor(name: string, args: MigrationGateArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            gateProvider,
            name,
            {
                region: args.region,
                taskId: args.taskId,
                replicationInstanceId: args.replicationInstanceId,
                bounds: args.bounds,
                waitSeconds: args.waitSeconds ?? 300,
                passedAt: undefined,
            },
            opts,
            "migration",
            "Gate",
        );
    }
}
