/**
 * The estate's MySQL, as the config, the data component and the migration
 * all name it.
 */

export const MYSQL_PORT = 3306;

/** MySQL Community major versions the self-managed servers run and RDS offers. */
export type MysqlVersion = "8.0" | "8.4";
export const MYSQL_VERSIONS: readonly MysqlVersion[] = ["8.4", "8.0"];

/** The self-managed servers: the primary, and the replica that can take over. */
export type MysqlRole = "primary" | "replica";
export const MYSQL_ROLES: readonly MysqlRole[] = ["primary", "replica"];

/**
 * How `db.<zone>` and `db-read.<zone>` are published in a migration phase
 * (domain/migration.ts `databaseDnsRecord`): an A record to the writer's
 * address before the migration, then a CNAME to the writer's own name, and
 * from the cutover a CNAME to RDS.
 */
export interface DatabaseNames {
    readonly type: "A" | "CNAME";
    readonly ttlSeconds: number;
    readonly target: "ec2" | "rds";
}
