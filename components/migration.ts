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
import { DatabaseNames, MYSQL_PORT } from "./data";
import { MigrationGate, taskResourceId } from "./migration-gate";
import { readSecretsPolicy } from "./shared/ec2";
import { allowClients, allowHttpsOut, createSecurityGroup } from "./shared/rules";
import { generatedSecret } from "./shared/secrets";
import { Tags, componentTags } from "./shared/tags";

export const MIGRATION_PHASES = ["none", "replicating", "cutover", "rollback", "decommissioned"] as const;
export type MigrationPhase = (typeof MIGRATION_PHASES)[number];

/**
 * The phases reachable from `from` in one `pulumi up`, `from` itself first
 * (re-running an update in the same phase is always allowed).
 *
 * - replicating -> none abandons the migration before cutover: RDS was never
 *   written to by the application.
 * - rollback -> cutover is refused: the forward task stopped at the first
 *   cutover, and resuming it would replay the reverse task's writes into RDS.
 *   Cutting over again starts over with rollback -> replicating, which
 *   creates a new forward task and reloads RDS in full.
 * - decommissioned is final, and only cutover leads there: DMS and the old
 *   servers go only once RDS has served the application.
 */
export function allowedNextPhases(from: MigrationPhase): MigrationPhase[] {
    const next: Record<MigrationPhase, MigrationPhase[]> = {
        none: ["replicating"],
        replicating: ["cutover", "none"],
        cutover: ["rollback", "decommissioned"],
        rollback: ["replicating", "none"],
        decommissioned: [],
    };
    return [from, ...next[from]];
}

/** Why `from -> to` is not allowed (a config error naming the allowed phases), or undefined. */
export function transitionProblem(from: MigrationPhase, to: MigrationPhase): string | undefined {
    const allowed = allowedNextPhases(from);
    if (allowed.includes(to)) {
        return undefined;
    }
    return `migration.phase "${to}" cannot follow "${from}"; from "${from}" the allowed phases are ${allowed.map((p) => `"${p}"`).join(", ")} (see docs/migration.md)`;
}

/** A DMS task in a phase: absent, replicating, or kept stopped for its logs and statistics. */
export type TaskState = "absent" | "running" | "stopped";

export interface PhaseResources {
    /** Replication instance, endpoints, secrets, roles, the account setup and its security-group rules. */
    dms: boolean;
    /** The full-load-and-cdc task EC2 -> RDS. */
    forwardTask: TaskState;
    /** The CDC-only task RDS -> EC2 that keeps the old primary current after cutover. */
    reverseTask: TaskState;
    /** The gate this phase's update must pass, and the task it checks. */
    gate?: "forward" | "reverse";
    /** What `db.<zone>` points at. */
    databaseTarget: "ec2" | "rds";
    /** The self-managed MySQL servers (instances, records, snapshot policy) still exist. */
    selfManagedServers: boolean;
}

export function phaseResources(phase: MigrationPhase): PhaseResources {
    switch (phase) {
        case "none":
            return {
                dms: false,
                forwardTask: "absent",
                reverseTask: "absent",
                databaseTarget: "ec2",
                selfManagedServers: true,
            };
        case "replicating":
            return {
                dms: true,
                forwardTask: "running",
                reverseTask: "absent",
                databaseTarget: "ec2",
                selfManagedServers: true,
            };
        case "cutover":
            return {
                dms: true,
                forwardTask: "stopped",
                reverseTask: "running",
                gate: "forward",
                databaseTarget: "rds",
                selfManagedServers: true,
            };
        case "rollback":
            return {
                dms: true,
                forwardTask: "absent",
                reverseTask: "stopped",
                gate: "reverse",
                databaseTarget: "ec2",
                selfManagedServers: true,
            };
        case "decommissioned":
            return {
                dms: false,
                forwardTask: "absent",
                reverseTask: "absent",
                databaseTarget: "rds",
                selfManagedServers: false,
            };
    }
}

/**
 * The `db.<zone>` record per phase (for components/data.ts). An A record
 * cannot become a CNAME in place, and deleting it first would let resolvers
 * cache the name's absence for the zone's negative TTL. So it becomes a
 * CNAME to `mysql-primary.<zone>` once, in `replicating` (hours before the
 * cutover, at low traffic), with a 5-second TTL; the cutover and a rollback
 * then only change the CNAME's value, which Route 53 does atomically.
 */
export function databaseDnsRecord(phase: MigrationPhase): DatabaseNames {
    const { databaseTarget } = phaseResources(phase);
    if (phase === "none") {
        return { type: "A", ttlSeconds: 60, target: databaseTarget };
    }
    return { type: "CNAME", ttlSeconds: phase === "decommissioned" ? 60 : 5, target: databaseTarget };
}

/** Schemas that are the server's own or DMS's: never copied, whatever the include patterns match. */
export const SYSTEM_SCHEMAS = ["mysql", "sys", "information_schema", "performance_schema", "awsdms_control"] as const;

/** A schema name, or a DMS pattern with `%` (any characters) in it. */
const SCHEMA_PATTERN = /^[A-Za-z0-9_$%]{1,64}$/;

/** A problem of the include/exclude lists: the field of `migration`, what is wrong, and the fix. */
export interface SchemaProblem {
    readonly field: "includeSchemas" | "excludeSchemas";
    readonly problem: string;
    readonly fix: string;
}

/** Problems of the include/exclude lists, for config validation. */
export function schemaProblems(includeSchemas: readonly string[], excludeSchemas: readonly string[]): SchemaProblem[] {
    const problems: SchemaProblem[] = [];
    if (includeSchemas.length === 0) {
        problems.push({ field: "includeSchemas", problem: "is empty", fix: 'name the schemas to copy, e.g. ["app"]' });
    }
    for (const [field, list] of [
        ["includeSchemas", includeSchemas],
        ["excludeSchemas", excludeSchemas],
    ] as const) {
        for (const schema of list) {
            if (!SCHEMA_PATTERN.test(schema)) {
                problems.push({
                    field,
                    problem: `"${schema}" is not a schema name or % pattern`,
                    fix: "use letters, digits, _, $ and %",
                });
            }
            if ((SYSTEM_SCHEMAS as readonly string[]).includes(schema.toLowerCase())) {
                problems.push({ field, problem: `"${schema}" is a system schema, never copied`, fix: "remove it" });
            }
        }
        if (new Set(list).size !== list.length) {
            problems.push({ field, problem: "lists a schema twice", fix: "list each schema once" });
        }
    }
    for (const schema of excludeSchemas.filter((s) => includeSchemas.includes(s))) {
        problems.push({
            field: "excludeSchemas",
            problem: `"${schema}" is also in includeSchemas`,
            fix: "keep it in one of the two lists",
        });
    }
    return problems;
}

/**
 * A selection rule's id, from its action and schema only (FNV-1a): adding or
 * reordering schemas changes no other rule, so DMS sees only the real change.
 */
export function ruleId(action: "include" | "exclude", schema: string): string {
    let hash = 0x811c9dc5;
    for (const char of `${action}:${schema}`) {
        hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
    }
    return String((hash % 999_999_999) + 1);
}

/** The table mappings JSON: every table of the included schemas, minus the excluded and system schemas. */
export function tableMappings(includeSchemas: readonly string[], excludeSchemas: readonly string[]): string {
    const rule = (action: "include" | "exclude", schema: string) => ({
        "rule-type": "selection",
        "rule-id": ruleId(action, schema),
        "rule-name": `${action}-${schema}`,
        "object-locator": { "schema-name": schema, "table-name": "%" },
        "rule-action": action,
    });
    const excluded = [...new Set([...excludeSchemas, ...SYSTEM_SCHEMAS])].sort();
    const rules = [
        ...[...includeSchemas].sort().map((schema) => rule("include", schema)),
        ...excluded.map((schema) => rule("exclude", schema)),
    ];
    if (new Set(rules.map((r) => r["rule-id"])).size !== rules.length) {
        throw new Error("two table-mapping rules hash to the same rule id; rename or reorder nothing, report it");
    }
    return JSON.stringify({ rules });
}

/**
 * DMS task settings. Choices, for both tasks unless said:
 *
 * - Full LOB mode: limited mode silently truncates any TEXT/BLOB/JSON value
 *   above its size limit; full mode is slower on large values and loses none
 *   (values up to InlineLobMaxSize KiB still go inline).
 * - TargetTablePrepMode: the forward task uses TRUNCATE_BEFORE_LOAD. The
 *   target schema is created beforehand with the source's exact DDL (the
 *   runbook's step: DMS would create tables without secondary indexes,
 *   defaults or AUTO_INCREMENT), so DROP_AND_CREATE is out; DO_NOTHING would
 *   append to whatever a failed or earlier load left behind, and a reload
 *   would then fail on duplicate keys or double rows. RDS takes no writes
 *   before cutover, and the forward task exists only before it (a phase that
 *   deletes it never recreates it while RDS is live). The reverse task is
 *   CDC-only and uses DO_NOTHING: nothing may ever truncate the old primary.
 * - The forward task stops after the full load, before it applies the changes
 *   cached meanwhile: the tables are loaded in parallel in no order, so RDS
 *   gets its foreign keys only then (runbook), and CDC applies with them in
 *   place. It must: MySQL does not binlog the rows an ON DELETE/UPDATE
 *   CASCADE changes, the target's own foreign keys must cascade them. The
 *   operator resumes the task; the gate refuses a stopped task meanwhile.
 * - Validation on (row level) for both; the gate reads its results.
 * - BatchApplyPreserveTransaction with transactional apply (BatchApplyEnabled
 *   off): changes reach the target in commit order, as the application
 *   wrote them.
 * - Errors: a row that cannot be written is logged, and the table is
 *   suspended after it (validation then shows it, and the gate refuses); a
 *   table error stops the task; a task with no table fails (a mistyped
 *   schema list must not look like success). Recoverable errors (a
 *   connection lost during an RDS failover) are retried without end, with
 *   backoff up to 30 minutes.
 */
export function taskSettings(direction: "forward" | "reverse"): Record<string, unknown> {
    const forward = direction === "forward";
    const severity = "LOGGER_SEVERITY_DEFAULT";
    return {
        TargetMetadata: {
            TargetSchema: "",
            SupportLobs: true,
            FullLobMode: true,
            LobChunkSize: 64,
            LimitedSizeLobMode: false,
            LobMaxSize: 0,
            InlineLobMaxSize: 64,
            BatchApplyEnabled: false,
        },
        FullLoadSettings: {
            TargetTablePrepMode: forward ? "TRUNCATE_BEFORE_LOAD" : "DO_NOTHING",
            CreatePkAfterFullLoad: false,
            StopTaskCachedChangesApplied: false,
            StopTaskCachedChangesNotApplied: forward,
            MaxFullLoadSubTasks: 8,
            TransactionConsistencyTimeout: 600,
            CommitRate: 10000,
        },
        Logging: {
            EnableLogging: true,
            LogComponents: [
                "SOURCE_UNLOAD",
                "SOURCE_CAPTURE",
                "TARGET_LOAD",
                "TARGET_APPLY",
                "TASK_MANAGER",
                "VALIDATOR_EXT",
            ].map((Id) => ({ Id, Severity: severity })),
        },
        ControlTablesSettings: {
            ControlSchema: "awsdms_control",
            HistoryTimeslotInMinutes: 5,
            HistoryTableEnabled: true,
            SuspendedTablesTableEnabled: true,
            StatusTableEnabled: true,
        },
        ValidationSettings: {
            EnableValidation: true,
            ValidationMode: "ROW_LEVEL",
            ThreadCount: 5,
            FailureMaxCount: 10000,
            TableFailureMaxCount: 1000,
            HandleCollationDiff: false,
            RecordFailureDelayLimitInMinutes: 0,
            SkipLobColumns: false,
            ValidationOnly: false,
        },
        ChangeProcessingTuning: {
            BatchApplyPreserveTransaction: true,
            BatchApplyTimeoutMin: 1,
            BatchApplyTimeoutMax: 30,
            BatchApplyMemoryLimit: 500,
            MinTransactionSize: 1000,
            CommitTimeout: 1,
            MemoryLimitTotal: 1024,
            MemoryKeepTime: 60,
            StatementCacheSize: 50,
        },
        ChangeProcessingDdlHandlingPolicy: {
            HandleSourceTableDropped: true,
            HandleSourceTableTruncated: true,
            HandleSourceTableAltered: true,
        },
        ErrorBehavior: {
            DataErrorPolicy: "LOG_ERROR",
            DataTruncationErrorPolicy: "LOG_ERROR",
            DataErrorEscalationPolicy: "SUSPEND_TABLE",
            DataErrorEscalationCount: 1,
            TableErrorPolicy: "STOP_TASK",
            TableErrorEscalationPolicy: "STOP_TASK",
            TableErrorEscalationCount: 0,
            RecoverableErrorCount: -1,
            RecoverableErrorInterval: 5,
            RecoverableErrorThrottling: true,
            RecoverableErrorThrottlingMax: 1800,
            ApplyErrorDeletePolicy: "IGNORE_RECORD",
            ApplyErrorInsertPolicy: "LOG_ERROR",
            ApplyErrorUpdatePolicy: "LOG_ERROR",
            ApplyErrorEscalationPolicy: "LOG_ERROR",
            ApplyErrorEscalationCount: 0,
            FullLoadIgnoreConflicts: true,
            FailOnNoTablesCaptured: true,
        },
    };
}

/**
 * A DMS identifier: ASCII letters, digits and hyphens, starting with a letter,
 * no double or trailing hyphen, lower case (DMS stores instance ids so).
 */
export function dmsIdentifier(prefix: string, suffix: string): string {
    const id = `${prefix}-${suffix}`.toLowerCase();
    if (!/^[a-z][a-z0-9-]*[a-z0-9]$/.test(id) || id.includes("--") || id.length > 63) {
        throw new Error(`"${id}" is not a DMS identifier (letters, digits, single hyphens, 63 at most)`);
    }
    return id;
}

/** The policy of the role DMS assumes in this region to read the endpoints' secrets. */
export function dmsTrustPolicy(region: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            { Effect: "Allow", Principal: { Service: `dms.${region}.amazonaws.com` }, Action: "sts:AssumeRole" },
        ],
    });
}

/** The account-wide roles DMS looks up by name (it cannot be told another). */
export const DMS_SERVICE_ROLES = {
    "dms-vpc-role": "arn:aws:iam::aws:policy/service-role/AmazonDMSVPCManagementRole",
    "dms-cloudwatch-logs-role": "arn:aws:iam::aws:policy/service-role/AmazonDMSCloudWatchLogsRole",
} as const;

/** The self-managed servers' socket (`socket_path` in userdata/mysql.sh). */
export const MYSQL_SOCKET = "/var/lib/mysql/mysql.sock";

/** Hours of binary log DMS needs kept on both servers. */
export const MIN_BINLOG_HOURS = 24;

/**
 * The source of bash functions `names` in `source` (each `name() {` up to the
 * first line that is a lone `}`), in the given order. Throws on a missing one.
 */
export function shellFunctions(source: string, names: readonly string[]): string {
    return names
        .map((name) => {
            const start = source.indexOf(`\n${name}() {\n`);
            const end = source.indexOf("\n}\n", start + 1);
            if (start < 0 || end < 0) {
                throw new Error(`no function ${name}() in the script`);
            }
            return source.slice(start + 1, end + 2);
        })
        .join("\n");
}

export interface AccountSetupInputs {
    region: string;
    /** Secrets: the EC2 root, the RDS master user, and the two DMS accounts. */
    rootSecretArn: string;
    rdsMasterSecretArn: string;
    ec2AccountSecretArn: string;
    rdsAccountSecretArn: string;
    /** Where the setup reaches RDS from the EC2 primary. */
    rdsHost: string;
    /** Schemas (or patterns) the DMS accounts may write (the reverse task's and the forward task's targets). */
    schemas: readonly string[];
}

const SAFE_ARGUMENT = /^[A-Za-z0-9_.:/@+=,$%!-]+$/;

/**
 * The SSM Command document run on the EC2 primary: checks both servers' binary
 * logs and creates (or re-syncs) the DMS account on each from its secret. It
 * carries `mysql_dms_account` (userdata/mysql-dms.sh) and mysql.sh's
 * `sql_string`, so the primary needs nothing installed beforehand, whenever
 * it was booted; `scripts` is the source holding both.
 */
export function accountSetupDocument(inputs: AccountSetupInputs, scripts: string): string {
    const args = (values: readonly string[]) =>
        values
            .map((value) => {
                if (!SAFE_ARGUMENT.test(value)) {
                    throw new Error(`account setup argument has unsafe characters: ${JSON.stringify(value)}`);
                }
                return `'${value}'`;
            })
            .join(" ");
    const hours = String(MIN_BINLOG_HOURS);
    const script = [
        // SSM runs the commands with sh; the function is bash.
        '[ -n "${BASH_VERSION:-}" ] || exec /bin/bash "$0" "$@"',
        "set -euo pipefail",
        "shopt -s inherit_errexit",
        "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin HOME=/root",
        shellFunctions(scripts, ["mysql_dms_account", "sql_string"]),
        `mysql_dms_account ${args([inputs.region, inputs.rootSecretArn, MYSQL_SOCKET, hours, inputs.ec2AccountSecretArn, ...inputs.schemas])}`,
        `mysql_dms_account ${args([inputs.region, inputs.rdsMasterSecretArn, inputs.rdsHost, hours, inputs.rdsAccountSecretArn, ...inputs.schemas])}`,
    ].join("\n");
    return JSON.stringify({
        schemaVersion: "2.2",
        description:
            "Checks that the EC2 primary and RDS keep ROW binary logs with FULL images long enough for AWS DMS, " +
            "and creates or re-syncs the DMS account on each from its secret.",
        mainSteps: [
            {
                action: "aws:runShellScript",
                name: "dmsAccounts",
                precondition: { StringEquals: ["platformType", "Linux"] },
                inputs: { timeoutSeconds: "300", runCommand: script.split("\n") },
            },
        ],
    });
}

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
    tags: Tags;
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
        const tags = componentTags(args.tags, "migration");
        const parent = { parent: this };
        const plan = phaseResources(args.phase);
        this.phase = args.phase;
        this.databaseTarget = plan.databaseTarget;
        this.selfManagedServers = plan.selfManagedServers;

        const serviceRoles = args.manageServiceRoles && plan.dms ? this.createServiceRoles(name, tags) : [];
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
                    tags,
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
                tags,
            },
            parent,
        );
        this.accountSetupDocumentName = setupDocument.name;

        const securityGroup = createSecurityGroup(
            `${name}-dms-sg`,
            args.vpcId,
            "AWS DMS replication instance",
            tags,
            this,
        );
        // Secrets Manager, which the replication instance calls for the endpoints' credentials.
        allowHttpsOut(`${name}-dms-out-https`, securityGroup.id, tags, this);
        allowClients(
            `${name}-ec2-mysql`,
            primary.securityGroupId,
            [securityGroup.id],
            { from: MYSQL_PORT },
            "MySQL from AWS DMS",
            tags,
            this,
        );
        // The primary reaches RDS too: it runs the account setup there.
        allowClients(
            `${name}-rds-mysql`,
            args.target.securityGroupId,
            [securityGroup.id, primary.securityGroupId],
            { from: args.target.port },
            "MySQL from AWS DMS and the DMS account setup",
            tags,
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
                tags,
            },
            { parent: this, dependsOn: [ec2Account.version, rdsAccount.version] },
        );

        const replicationInstanceId = id("dms");
        new aws.cloudwatch.LogGroup(
            `${name}-task-logs`,
            { name: `dms-tasks-${replicationInstanceId}`, retentionInDays: args.logRetentionDays, tags },
            parent,
        );
        const subnetGroup = new aws.dms.ReplicationSubnetGroup(
            `${name}-subnets`,
            {
                replicationSubnetGroupId: id("dms-subnets"),
                replicationSubnetGroupDescription: "Private subnets of the DMS replication instance",
                subnetIds: args.privateSubnetIds,
                tags,
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
                tags,
            },
            { parent: this, dependsOn: serviceRoles },
        );
        this.replicationInstanceArn = instance.replicationInstanceArn;

        const accessRole = new aws.iam.Role(
            `${name}-secrets-role`,
            { assumeRolePolicy: dmsTrustPolicy(args.region), tags },
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
                    tags,
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
                    tags,
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
            this.createNotifications(name, args, replicationInstanceId, tasks, tags);
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
    private createServiceRoles(name: string, tags: Tags): pulumi.Resource[] {
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
                    tags,
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
        tags: Tags,
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
                tags,
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
                tags,
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
                        tags,
                    },
                    parent,
                );
            }
        }
    }
}
