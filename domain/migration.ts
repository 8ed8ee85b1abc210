/**
 * The move of the estate's MySQL from the self-managed EC2 primary to Amazon
 * RDS with AWS DMS, as pure logic: its phases and which transitions are
 * allowed, what each phase deploys, the schemas a task may copy, the DMS task
 * settings and table mappings, identifiers, and the SSM document that creates
 * the DMS account. The component that deploys it is components/migration.ts.
 *
 *   none -> replicating -> cutover -> decommissioned
 *                             |  ^
 *                             v  |  (only by starting over: rollback -> replicating)
 *                          rollback
 */
import { DatabaseNames } from "./database";

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
