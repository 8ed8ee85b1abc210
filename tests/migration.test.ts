import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { accountSetupScripts } from "../components/migration";
import {
    MIGRATION_PHASES,
    MYSQL_SOCKET,
    MigrationPhase,
    SYSTEM_SCHEMAS,
    accountSetupDocument,
    allowedNextPhases,
    databaseDnsRecord,
    dmsIdentifier,
    dmsTrustPolicy,
    phaseResources,
    ruleId,
    schemaProblems,
    shellFunctions,
    tableMappings,
    taskSettings,
    transitionProblem,
} from "../domain/migration";
import {
    FAILING_VALIDATION_STATES,
    GateBounds,
    GateClients,
    GateFailure,
    GateObservation,
    TableObservation,
    awaitGate,
    cutoverDecision,
    observeTask,
    refusalMessage,
    taskResourceId,
} from "../components/migration-gate";
import { readScript } from "../components/userdata/render";
import type { CommandDocument, PolicyDocument } from "./harness";

const ALLOWED: Record<MigrationPhase, MigrationPhase[]> = {
    none: ["none", "replicating"],
    replicating: ["replicating", "cutover", "none"],
    cutover: ["cutover", "rollback", "decommissioned"],
    rollback: ["rollback", "replicating", "none"],
    decommissioned: ["decommissioned"],
};

describe("migration phases", () => {
    it("allows staying, and only the documented steps", () => {
        for (const from of MIGRATION_PHASES) {
            expect(allowedNextPhases(from), from).to.deep.equal(ALLOWED[from]);
        }
    });

    it("refuses every other transition with a message naming the allowed phases", () => {
        for (const from of MIGRATION_PHASES) {
            for (const to of MIGRATION_PHASES) {
                const problem = transitionProblem(from, to);
                if (ALLOWED[from].includes(to)) {
                    expect(problem, `${from} -> ${to}`).to.equal(undefined);
                } else {
                    expect(problem, `${from} -> ${to}`).to.include(`"${to}" cannot follow "${from}"`);
                    for (const allowed of ALLOWED[from]) {
                        expect(problem).to.include(`"${allowed}"`);
                    }
                }
            }
        }
        expect(transitionProblem("none", "cutover")).to.equal(
            'migration.phase "cutover" cannot follow "none"; from "none" the allowed phases are "none", "replicating" (see docs/migration.md)',
        );
    });

    it("reaches decommissioned from cutover only", () => {
        const from = MIGRATION_PHASES.filter((p) => transitionProblem(p, "decommissioned") === undefined);
        expect(from).to.deep.equal(["cutover", "decommissioned"]);
    });

    it("creates, per phase, the DMS resources, tasks, gate and DNS target", () => {
        expect(phaseResources("none")).to.deep.equal({
            dms: false,
            forwardTask: "absent",
            reverseTask: "absent",
            databaseTarget: "ec2",
            selfManagedServers: true,
        });
        expect(phaseResources("replicating")).to.deep.equal({
            dms: true,
            forwardTask: "running",
            reverseTask: "absent",
            databaseTarget: "ec2",
            selfManagedServers: true,
        });
        expect(phaseResources("cutover")).to.deep.equal({
            dms: true,
            forwardTask: "stopped",
            reverseTask: "running",
            gate: "forward",
            databaseTarget: "rds",
            selfManagedServers: true,
        });
        expect(phaseResources("rollback")).to.deep.equal({
            dms: true,
            forwardTask: "absent",
            reverseTask: "stopped",
            gate: "reverse",
            databaseTarget: "ec2",
            selfManagedServers: true,
        });
        expect(phaseResources("decommissioned")).to.deep.equal({
            dms: false,
            forwardTask: "absent",
            reverseTask: "absent",
            databaseTarget: "rds",
            selfManagedServers: false,
        });
    });

    it("never has RDS serving while a forward task that truncates it could start", () => {
        for (const phase of MIGRATION_PHASES) {
            const plan = phaseResources(phase);
            if (plan.databaseTarget === "rds") {
                expect(plan.forwardTask, phase).not.to.equal("running");
            }
        }
        // Every phase with a gate also switches what the gate guards.
        expect(phaseResources("cutover").gate).to.equal("forward");
        expect(phaseResources("rollback").gate).to.equal("reverse");
    });

    it("makes db.<zone> a short-TTL CNAME before the cutover, so switching it is one atomic change", () => {
        expect(databaseDnsRecord("none")).to.deep.equal({ type: "A", ttlSeconds: 60, target: "ec2" });
        expect(databaseDnsRecord("replicating")).to.deep.equal({ type: "CNAME", ttlSeconds: 5, target: "ec2" });
        expect(databaseDnsRecord("cutover")).to.deep.equal({ type: "CNAME", ttlSeconds: 5, target: "rds" });
        expect(databaseDnsRecord("rollback")).to.deep.equal({ type: "CNAME", ttlSeconds: 5, target: "ec2" });
        expect(databaseDnsRecord("decommissioned")).to.deep.equal({ type: "CNAME", ttlSeconds: 60, target: "rds" });
    });
});

const table = (name: string, overrides: Partial<TableObservation> = {}): TableObservation => ({
    schema: "app",
    table: name,
    tableState: "Table completed",
    validationState: "Validated",
    validationFailedRecords: 0,
    validationSuspendedRecords: 0,
    validationPendingRecords: 0,
    ...overrides,
});

const HEALTHY: GateObservation = {
    taskId: "st-forward",
    status: "running",
    fullLoadProgressPercent: 100,
    tables: [table("users"), table("orders")],
    cdcLatencySourceSeconds: 1,
    cdcLatencyTargetSeconds: 2,
};
const BOUNDS: GateBounds = { maxCdcLatencySeconds: 5, requireFullLoad: true };

function failures(observed: Partial<GateObservation>, bounds: GateBounds = BOUNDS): GateFailure[] {
    const decision = cutoverDecision({ ...HEALTHY, ...observed }, bounds);
    return decision.ok ? [] : decision.failures;
}

describe("migration gate decision", () => {
    it("passes a running, loaded, validated task within the latency bound", () => {
        expect(cutoverDecision(HEALTHY, BOUNDS)).to.deep.equal({ ok: true });
        expect(failures({ cdcLatencySourceSeconds: 5, cdcLatencyTargetSeconds: 5 })).to.deep.equal([]);
    });

    it("refuses a task that does not exist, and says nothing else", () => {
        expect(failures({ status: undefined })).to.deep.equal([
            { condition: "task-exists", observed: "no task st-forward" },
        ]);
    });

    it("refuses a task that is not running, with its status and last message", () => {
        expect(failures({ status: "stopped", lastMessage: "Stop Reason FATAL_ERROR" })).to.deep.equal([
            { condition: "task-running", observed: "status stopped (Stop Reason FATAL_ERROR)" },
        ]);
        expect(failures({ status: "starting" })).to.deep.equal([
            { condition: "task-running", observed: "status starting" },
        ]);
    });

    it("refuses an incomplete full load, unless the task has none", () => {
        expect(failures({ fullLoadProgressPercent: 99 })).to.deep.equal([
            { condition: "full-load-complete", observed: "99% loaded" },
        ]);
        expect(failures({ fullLoadProgressPercent: undefined })).to.deep.equal([
            { condition: "full-load-complete", observed: "unknown% loaded" },
        ]);
        expect(failures({ fullLoadProgressPercent: undefined }, { ...BOUNDS, requireFullLoad: false })).to.deep.equal(
            [],
        );
    });

    it("refuses a task that selected no table", () => {
        expect(failures({ tables: [] })).to.deep.equal([
            { condition: "tables-selected", observed: "the task reports no table" },
        ]);
    });

    it("lists the tables in error", () => {
        const tables = [table("users", { tableState: "Table error" }), table("orders"), table("items")];
        tables[2].tableState = "Table error";
        expect(failures({ tables })).to.deep.equal([
            { condition: "no-table-errors", observed: "app.users, app.items" },
        ]);
    });

    it("refuses every failing validation state, naming the tables", () => {
        for (const state of FAILING_VALIDATION_STATES) {
            expect(
                failures({ tables: [table("users", { validationState: state }), table("orders")] }),
                state,
            ).to.deep.equal([
                { condition: "validation-clean", observed: `app.users: ${state} (0 failed, 0 suspended)` },
            ]);
        }
        for (const state of ["Mismatched records", "Failed", "Suspended records", "Error"]) {
            expect(FAILING_VALIDATION_STATES).to.include(state);
        }
    });

    it("refuses failed or suspended records even when the state looks fine", () => {
        expect(
            failures({
                tables: [
                    table("users", { validationFailedRecords: 3 }),
                    table("orders", { validationSuspendedRecords: 2 }),
                ],
            }),
        ).to.deep.equal([
            {
                condition: "validation-clean",
                observed: "app.users: Validated (3 failed, 0 suspended); app.orders: Validated (0 failed, 2 suspended)",
            },
        ]);
    });

    it("waits for validation to catch up", () => {
        expect(
            failures({ tables: [table("users", { validationState: "Pending records", validationPendingRecords: 7 })] }),
        ).to.deep.equal([{ condition: "validation-caught-up", observed: "app.users: 7 pending" }]);
        expect(failures({ tables: [table("users", { validationState: "Pending records" })] })).to.deep.equal([]);
    });

    it("refuses CDC latency above the bound at the source and at the target, or unknown", () => {
        expect(failures({ cdcLatencySourceSeconds: 6 })).to.deep.equal([
            { condition: "cdc-latency-source", observed: "6s, above the bound of 5s" },
        ]);
        expect(failures({ cdcLatencyTargetSeconds: 40 })).to.deep.equal([
            { condition: "cdc-latency-target", observed: "40s, above the bound of 5s" },
        ]);
        expect(failures({ cdcLatencySourceSeconds: undefined, cdcLatencyTargetSeconds: undefined })).to.deep.equal([
            { condition: "cdc-latency-source", observed: "no datapoint in the last minutes (bound 5s)" },
            { condition: "cdc-latency-target", observed: "no datapoint in the last minutes (bound 5s)" },
        ]);
    });

    it("reports every failed condition at once, one line each", () => {
        const found = failures({
            status: "stopped",
            fullLoadProgressPercent: 40,
            tables: [table("users", { tableState: "Table error", validationState: "Mismatched records" })],
            cdcLatencySourceSeconds: 100,
            cdcLatencyTargetSeconds: 200,
        });
        expect(found.map((f) => f.condition)).to.deep.equal([
            "task-running",
            "full-load-complete",
            "no-table-errors",
            "validation-clean",
            "cdc-latency-source",
            "cdc-latency-target",
        ]);
        const message = refusalMessage("st-forward", found);
        expect(message.split("\n")).to.have.length(7);
        expect(message).to.include("task st-forward is not ready");
        expect(message).to.include("  cdc-latency-target: 200s, above the bound of 5s");
    });
});

function fakeClients(observed: GateObservation[], calls: string[] = []): GateClients {
    let round = 0;
    const current = () => observed[Math.min(round, observed.length - 1)];
    return {
        describeTask(taskId) {
            calls.push(`describe ${taskId}`);
            const o = current();
            return Promise.resolve(
                o.status === undefined
                    ? undefined
                    : {
                          arn: "arn:aws:dms:ap-northeast-2:123456789012:task:ABCDEF123",
                          status: o.status,
                          fullLoadProgressPercent: o.fullLoadProgressPercent,
                          lastMessage: o.lastMessage,
                      },
            );
        },
        tableStatistics(arn) {
            calls.push(`tables ${arn}`);
            return Promise.resolve(current().tables);
        },
        latestTaskMetric(metric, instanceId, resourceId) {
            calls.push(`${metric} ${instanceId} ${resourceId}`);
            const o = current();
            if (metric === "CDCLatencyTarget") {
                round += 1;
            }
            return Promise.resolve(
                metric === "CDCLatencySource" ? o.cdcLatencySourceSeconds : o.cdcLatencyTargetSeconds,
            );
        },
    };
}

describe("migration gate run", () => {
    const inputs = {
        region: "ap-northeast-2",
        taskId: "st-forward",
        replicationInstanceId: "st-dms",
        bounds: BOUNDS,
        waitSeconds: 120,
    };

    it("reads the metrics by instance id and the task ARN's resource id", async () => {
        const calls: string[] = [];
        const observed = await observeTask(fakeClients([HEALTHY], calls), "st-forward", "st-dms");
        expect(observed).to.deep.equal({ ...HEALTHY, lastMessage: undefined });
        expect(calls).to.include("CDCLatencySource st-dms ABCDEF123");
        expect(calls).to.include("CDCLatencyTarget st-dms ABCDEF123");
        expect(taskResourceId("arn:aws:dms:ap-northeast-2:123456789012:task:XYZ")).to.equal("XYZ");
    });

    it("looks again until the task has caught up", async () => {
        let clock = 0;
        const slept: number[] = [];
        const lagging = { ...HEALTHY, cdcLatencySourceSeconds: 30 };
        const passedAt = await awaitGate(
            inputs,
            fakeClients([lagging, lagging, HEALTHY]),
            (ms) => {
                slept.push(ms);
                clock += ms;
                return Promise.resolve();
            },
            () => clock,
        );
        expect(slept).to.deep.equal([30_000, 30_000]);
        expect(passedAt).to.equal(new Date(60_000).toISOString());
    });

    it("refuses with the last observation once the wait is over", async () => {
        let clock = 0;
        const lagging = { ...HEALTHY, cdcLatencyTargetSeconds: 30 };
        let error: Error | undefined;
        try {
            await awaitGate(
                inputs,
                fakeClients([lagging]),
                (ms) => {
                    clock += ms;
                    return Promise.resolve();
                },
                () => clock,
            );
        } catch (caught) {
            error = caught as Error;
        }
        expect(error?.message).to.include("cdc-latency-target: 30s, above the bound of 5s");
        expect(clock).to.equal(120_000);
    });
});

/** One rule of DMS table mappings. */
interface MappingRule {
    "rule-type": string;
    "rule-id": string;
    "rule-name": string;
    "object-locator": { "schema-name": string; "table-name": string };
    "rule-action": string;
}

/** DMS table mappings from their JSON text. */
const parseMappings = (text: string) => JSON.parse(text) as { rules: MappingRule[] };

describe("DMS settings and mappings", () => {
    it("selects the included schemas and excludes the listed and the system ones", () => {
        const { rules } = parseMappings(tableMappings(["app", "shop%"], ["shop_archive"]));
        const byName = Object.fromEntries(rules.map((r) => [r["rule-name"], r]));
        expect(byName["include-app"]).to.deep.equal({
            "rule-type": "selection",
            "rule-id": ruleId("include", "app"),
            "rule-name": "include-app",
            "object-locator": { "schema-name": "app", "table-name": "%" },
            "rule-action": "include",
        });
        expect(byName["include-shop%"]["rule-action"]).to.equal("include");
        expect(byName["exclude-shop_archive"]["rule-action"]).to.equal("exclude");
        for (const schema of SYSTEM_SCHEMAS) {
            expect(byName[`exclude-${schema}`]["object-locator"]["schema-name"], schema).to.equal(schema);
        }
        const ids = rules.map((r) => r["rule-id"]);
        expect(new Set(ids).size).to.equal(ids.length);
        ids.forEach((id) => expect(id).to.match(/^[1-9][0-9]*$/));
    });

    it("keeps rule ids when schemas are added or reordered", () => {
        const before = parseMappings(tableMappings(["app"], []));
        const after = parseMappings(tableMappings(["billing", "app"], ["old"]));
        const id = (m: { rules: { "rule-name": string; "rule-id": string }[] }, name: string) =>
            m.rules.find((r) => r["rule-name"] === name)!["rule-id"];
        expect(id(after, "include-app")).to.equal(id(before, "include-app"));
        expect(id(after, "exclude-mysql")).to.equal(id(before, "exclude-mysql"));
        expect(tableMappings(["b", "a"], [])).to.equal(tableMappings(["a", "b"], []));
        expect(ruleId("include", "app")).not.to.equal(ruleId("exclude", "app"));
    });

    it("validates the schema lists with messages naming the key", () => {
        expect(schemaProblems(["app"], [])).to.deep.equal([]);
        expect(schemaProblems([], [])).to.deep.equal([
            { field: "includeSchemas", problem: "is empty", fix: 'name the schemas to copy, e.g. ["app"]' },
        ]);
        expect(schemaProblems(["app; drop"], [])[0]).to.include({
            field: "includeSchemas",
            problem: '"app; drop" is not a schema name or % pattern',
        });
        expect(schemaProblems(["mysql"], [])).to.deep.equal([
            { field: "includeSchemas", problem: '"mysql" is a system schema, never copied', fix: "remove it" },
        ]);
        expect(schemaProblems(["app", "app"], []).map((p) => p.problem)).to.deep.equal(["lists a schema twice"]);
        expect(schemaProblems(["app"], ["app"])).to.deep.equal([
            {
                field: "excludeSchemas",
                problem: '"app" is also in includeSchemas',
                fix: "keep it in one of the two lists",
            },
        ]);
    });

    it("loads in full LOB mode, validates, logs, and truncates only RDS before a full load", () => {
        const forward = taskSettings("forward") as Record<string, Record<string, unknown>>;
        const reverse = taskSettings("reverse") as Record<string, Record<string, unknown>>;
        expect(forward.FullLoadSettings.TargetTablePrepMode).to.equal("TRUNCATE_BEFORE_LOAD");
        expect(reverse.FullLoadSettings.TargetTablePrepMode).to.equal("DO_NOTHING");
        // The foreign keys go on RDS between the full load and the cached changes.
        expect(forward.FullLoadSettings.StopTaskCachedChangesNotApplied).to.equal(true);
        expect(reverse.FullLoadSettings.StopTaskCachedChangesNotApplied).to.equal(false);
        for (const settings of [forward, reverse]) {
            expect(settings.TargetMetadata).to.include({
                SupportLobs: true,
                FullLobMode: true,
                LimitedSizeLobMode: false,
            });
            expect(settings.ValidationSettings).to.include({ EnableValidation: true, ValidationOnly: false });
            expect(settings.Logging.EnableLogging).to.equal(true);
            expect((settings.Logging.LogComponents as { Id: string }[]).map((c) => c.Id)).to.include.members([
                "SOURCE_CAPTURE",
                "TARGET_APPLY",
                "TASK_MANAGER",
            ]);
            // DMS sets these itself and refuses them in the settings.
            expect(settings.Logging).not.to.have.any.keys("CloudWatchLogGroup", "CloudWatchLogStream");
            expect(settings.ChangeProcessingTuning.BatchApplyPreserveTransaction).to.equal(true);
            expect(settings.ErrorBehavior).to.include({
                FailOnNoTablesCaptured: true,
                TableErrorPolicy: "STOP_TASK",
                RecoverableErrorCount: -1,
            });
        }
    });

    it("builds identifiers DMS accepts, and refuses others", () => {
        expect(dmsIdentifier("scale-tiers-tier1m", "forward")).to.equal("scale-tiers-tier1m-forward");
        expect(dmsIdentifier("Scale-Tiers", "dms")).to.equal("scale-tiers-dms");
        expect(() => dmsIdentifier("1st", "dms")).to.throw(/not a DMS identifier/);
        expect(() => dmsIdentifier("a-", "-b")).to.throw(/not a DMS identifier/);
        expect(() => dmsIdentifier("a_b", "dms")).to.throw(/not a DMS identifier/);
        expect(() => dmsIdentifier("a".repeat(60), "dms")).to.throw(/63 at most/);
    });

    it("lets only DMS in this region assume the secrets role", () => {
        expect((JSON.parse(dmsTrustPolicy("ap-northeast-2")) as PolicyDocument).Statement).to.deep.equal([
            { Effect: "Allow", Principal: { Service: "dms.ap-northeast-2.amazonaws.com" }, Action: "sts:AssumeRole" },
        ]);
    });
});

const ARN = (name: string) => `arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:${name}-AbCdEf`;
const SETUP = {
    region: "ap-northeast-2",
    rootSecretArn: ARN("root"),
    rdsMasterSecretArn: ARN("rds!db-0f1e"),
    ec2AccountSecretArn: ARN("ec2-account"),
    rdsAccountSecretArn: ARN("rds-account"),
    rdsHost: "mysql-rds.scale-tiers.internal",
    schemas: ["app", "shop%"],
};

function setupScript(): string {
    const document = JSON.parse(accountSetupDocument(SETUP, accountSetupScripts())) as CommandDocument;
    expect(document.schemaVersion).to.equal("2.2");
    expect(document.mainSteps[0].action).to.equal("aws:runShellScript");
    return document.mainSteps[0].inputs.runCommand.join("\n");
}

/** Runs the document's script with `aws` and `mysql` replaced by shell functions; returns the SQL and output. */
function runSetup(row: string, rdsHours: string): { status: number | null; sql: string; output: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dms-setup-"));
    const log = path.join(dir, "mysql.log");
    const stubs = [
        `aws() { case "$*" in *ec2-account*|*rds-account*) echo '{"username":"dms","password":"it'\\''s"}' ;; *) echo '{"username":"root","password":"p"}' ;; esac; }`,
        `mysql() { local sql=""; [[ -t 0 ]] || sql=$(cat); printf '%s :: %s\\n' "$*" "$sql" >>'${log}'; case "$*" in *rds_show*) printf 'binlog retention hours\\t${rdsHours}\\tx\\n' ;; *@@log_bin*) printf '${row}\\n' ;; esac; }`,
    ];
    // The stubs go after the PATH export and before the calls.
    const script = setupScript().replace(/^mysql_dms_account '/m, `${stubs.join("\n")}\nmysql_dms_account '`);
    const run = spawnSync("bash", ["-c", script], { encoding: "utf8", input: "" });
    const sql = fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "";
    fs.rmSync(dir, { recursive: true, force: true });
    return { status: run.status, sql, output: run.stdout + run.stderr };
}

describe("DMS account setup", () => {
    it("carries mysql-dms.sh's function and mysql.sh's quoting, and uses the server's socket", () => {
        const mysql = readScript("mysql");
        const dms = fs.readFileSync(path.join(__dirname, "..", "components", "userdata", "mysql-dms.sh"), "utf8");
        expect(setupScript()).to.include(shellFunctions(dms, ["mysql_dms_account"]));
        expect(setupScript()).to.include(shellFunctions(mysql, ["sql_string"]));
        expect(mysql).to.include(`readonly socket_path=${MYSQL_SOCKET}\n`);
        // Not user data: the primary's never runs again, and the secret exists only once a migration starts.
        expect(mysql).not.to.include("mysql_dms_account");
        expect(() => shellFunctions(mysql, ["no_such_function"])).to.throw(/no function no_such_function/);
    });

    it("is valid bash that runs under sh too", () => {
        const script = setupScript();
        expect(script.split("\n")[0]).to.equal('[ -n "${BASH_VERSION:-}" ] || exec /bin/bash "$0" "$@"');
        expect(spawnSync("bash", ["-n"], { input: script, encoding: "utf8" }).status).to.equal(0);
    });

    it("refuses arguments that could break out of their quotes", () => {
        expect(() => accountSetupDocument({ ...SETUP, rdsHost: "x'; reboot; '" }, accountSetupScripts())).to.throw(
            /unsafe characters/,
        );
    });

    it("creates the account on both servers with read, replication and write grants", () => {
        const { status, sql, output } = runSetup("1\\tROW\\tFULL\\t604800", "24");
        expect(status, output).to.equal(0);
        expect(sql).to.include("CALL mysql.rds_set_configuration('binlog retention hours', 24)");
        for (const statement of [
            "CREATE USER IF NOT EXISTS 'dms'@'%' IDENTIFIED BY 'it''s' REQUIRE SSL;",
            "GRANT REPLICATION CLIENT, REPLICATION SLAVE, SELECT ON *.* TO 'dms'@'%';",
            "GRANT ALL PRIVILEGES ON `awsdms_control`.* TO 'dms'@'%';",
            "GRANT ALTER, CREATE, DROP, INDEX, INSERT, UPDATE, DELETE, SELECT ON `shop%`.* TO 'dms'@'%';",
        ]) {
            expect(sql.split(statement), statement).to.have.length(3);
        }
        expect(output).to.include(`${MYSQL_SOCKET}: binary log ready for AWS DMS`);
        expect(output).to.include("mysql-rds.scale-tiers.internal: account 'dms'@'%' (TLS required)");
    });

    it("fails listing every binlog setting DMS cannot use, before touching any account", () => {
        const { status, sql, output } = runSetup("0\\tMIXED\\tMINIMAL\\t3600", "24");
        expect(status).to.equal(1);
        expect(output).to.include("log_bin is OFF");
        expect(output).to.include("binlog_format is MIXED, DMS needs ROW");
        expect(output).to.include("binlog_row_image is MINIMAL, DMS needs FULL");
        expect(output).to.include("binlog_expire_logs_seconds is 3600, DMS needs at least 86400");
        expect(sql).not.to.include("CREATE USER");
    });

    it("fails when RDS keeps its binlogs too briefly", () => {
        const { status, output } = runSetup("1\\tROW\\tFULL\\t0", "NULL");
        expect(status).to.equal(1);
        expect(output).to.include("RDS binlog retention hours is NULL, DMS needs at least 24");
    });

    it("is backed by the bootstrap's own check of what DMS needs, at every boot", () => {
        const selfCheck = shellFunctions(readScript("mysql"), ["self_check"]);
        expect(selfCheck).to.include("[[ $binlog_format == ROW ]] || die");
        expect(selfCheck).to.include("[[ $binlog_row_image == FULL ]] || die");
        expect(selfCheck).to.include("((expire == 0 || expire >= dms_min_binlog_seconds)) ||");
        expect(readScript("mysql")).to.include("readonly dms_min_binlog_seconds=86400\n");
    });
});
