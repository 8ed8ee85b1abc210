/**
 * Amazon RDS for MySQL as the estate runs it: identifiers, parameters, log
 * groups and replica placement. Pure functions; components/data-rds.ts
 * creates the resources.
 */
import { MysqlVersion } from "./database";

/** The DNS name operators and the migration use for the RDS primary, whatever `db.<zone>` points at. */
export function rdsHostName(zoneName: string): string {
    return `mysql-rds.${zoneName}`;
}

/** Longest primary identifier that still leaves room for `-replica-<n>`. */
const RDS_IDENTIFIER_MAX = 63 - "-replica-9".length;

/**
 * The RDS primary's identifier, `<project>-<stack>-mysql`: unique per stack in
 * an account and region, as RDS requires. Throws when the project or stack
 * name makes one RDS refuses (letters, digits and single hyphens, starting
 * with a letter; RDS would also lower-case it, and then differ from the
 * program's value on every update).
 */
export function rdsIdentifier(project: string, stack: string): string {
    const identifier = `${project}-${stack}-mysql`;
    if (!/^[a-z](?!.*--)[a-z0-9-]*$/.test(identifier) || identifier.length > RDS_IDENTIFIER_MAX) {
        throw new Error(
            `RDS identifier "${identifier}" (from project and stack name) must be lower-case letters, digits and ` +
                `single hyphens, start with a letter and be at most ${RDS_IDENTIFIER_MAX} characters; rename the stack`,
        );
    }
    return identifier;
}

/** Identifier of read replica `index` (0-based): `<primary>-replica-<index + 1>`. */
export function rdsReplicaIdentifier(primary: string, index: number): string {
    return `${primary}-replica-${index + 1}`;
}

/** The parameter group family of a MySQL major version. */
export function rdsParameterFamily(version: MysqlVersion): string {
    return `mysql${version}`;
}

/** Logs the instances export to CloudWatch Logs. */
export const RDS_LOG_EXPORTS = ["error", "slowquery"] as const;

/** The log group RDS writes an export to: it must exist first, or RDS creates it without retention. */
export function rdsLogGroupName(identifier: string, log: (typeof RDS_LOG_EXPORTS)[number]): string {
    return `/aws/rds/instance/${identifier}/${log}`;
}

export interface RdsParameter {
    readonly name: string;
    readonly value: string;
    /** `immediate` for dynamic parameters; static ones take effect at the next reboot. */
    readonly applyMethod: "immediate" | "pending-reboot";
}

/**
 * The DB parameters, the same for MySQL 8.0 and 8.4 (8.4 deprecates
 * `binlog_format` but still accepts it). Besides character set and slow-query
 * logging as on the self-managed servers, RDS is the source of the reverse DMS
 * task that keeps the old primary current until the cutover is final, so it
 * needs what DMS CDC needs of a MySQL source: row-based binary logs with full
 * row images. `binlog_checksum` stays CRC32 (MySQL's default, as on the
 * self-managed servers): DMS reads checksummed binary logs from engine 3.4.8
 * on, and only older engines required NONE.
 */
export function rdsParameters(): RdsParameter[] {
    const dynamic = (name: string, value: string): RdsParameter => ({ name, value, applyMethod: "immediate" });
    return [
        dynamic("character_set_server", "utf8mb4"),
        dynamic("collation_server", "utf8mb4_0900_ai_ci"),
        dynamic("binlog_format", "ROW"),
        dynamic("binlog_row_image", "full"),
        dynamic("binlog_checksum", "CRC32"),
        // TLS only, as on the self-managed servers.
        dynamic("require_secure_transport", "1"),
        dynamic("slow_query_log", "1"),
        dynamic("long_query_time", "1"),
        // The CloudWatch Logs export reads log files, not tables.
        dynamic("log_output", "FILE"),
        // Performance Insights' per-query detail needs it. Set here rather than left to RDS, which
        // manages it only while the parameter is at its default; static, so it waits for a reboot.
        { name: "performance_schema", value: "1", applyMethod: "pending-reboot" },
    ];
}

/**
 * The AZ of each read replica: round-robin over `availabilityZones`, starting
 * with the second (the first replica in another AZ than the self-managed
 * primary, like the self-managed replica).
 */
export function replicaAvailabilityZones(availabilityZones: readonly string[], count: number): string[] {
    if (availabilityZones.length === 0) {
        throw new Error("read replicas need at least one AZ");
    }
    return Array.from({ length: count }, (_, index) => availabilityZones[(index + 1) % availabilityZones.length]);
}

export const RDS_ENHANCED_MONITORING_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole";
