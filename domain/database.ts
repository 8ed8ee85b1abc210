/**
 * The estate's MySQL, as the config, the data component and the migration
 * all name it.
 */

export const MYSQL_PORT = 3306;

/** The application's database (schema), on the self-managed servers and on RDS. */
export const APP_DATABASE = "app";

/** MySQL Community major versions the self-managed servers run and RDS offers. */
export const MYSQL_VERSIONS = ["8.4", "8.0"] as const;
export type MysqlVersion = (typeof MYSQL_VERSIONS)[number];

/** The self-managed servers: the primary, and the replica that can take over. */
export const MYSQL_ROLES = ["primary", "replica"] as const;
export type MysqlRole = (typeof MYSQL_ROLES)[number];

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
