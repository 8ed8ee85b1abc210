/**
 * What a stack's config decides about its estate, as pure functions of the
 * config: which components exist, and in which state the self-managed
 * servers are. The composition (platform.ts) and the components' args
 * (component-args.ts) ask these; tests/decisions.test.ts checks them
 * without running the program.
 */
import { DatabaseNames } from "../domain/database";
import { databaseDnsRecord, phaseResources } from "../domain/migration";
import { StackConfig, TOOL_NAMES, ToolName } from "../domain/stack-config";

/**
 * The self-managed MySQL servers: `none` in an estate built with RDS from the
 * start, `retired` once the migration has decommissioned them (their volumes
 * stay), else `running`.
 */
export function selfManagedServers(config: StackConfig): "none" | "running" | "retired" {
    if (!config.database.selfManaged) {
        return "none";
    }
    return phaseResources(config.migration.phase).selfManagedServers ? "running" : "retired";
}

/** How `db.<zone>` is published: by the migration phase, or on RDS for an estate that never had servers. */
export function databaseNames(config: StackConfig): DatabaseNames {
    return databaseDnsRecord(config.database.selfManaged ? config.migration.phase : "decommissioned");
}

/** The cache component runs memcached nodes, ElastiCache, or both while the nodes drain. */
export function hasCache(config: StackConfig): boolean {
    return config.memcached.enabled || config.elasticache.enabled;
}

/** The messaging component holds RabbitMQ (running or retired, its volumes kept) and the SQS queues. */
export function hasMessaging(config: StackConfig): boolean {
    return config.rabbitmq.enabled || config.sqs.enabled || config.rabbitmq.retired;
}

/** The team tools switched on, in the tools table's order. */
export function enabledTools(config: StackConfig): ToolName[] {
    return TOOL_NAMES.filter((tool) => config.collaboration[tool].enabled);
}

/** The team tools that ran and are retired (their volumes kept), in the tools table's order. */
export function retiredTools(config: StackConfig): ToolName[] {
    return TOOL_NAMES.filter((tool) => config.collaboration[tool].retired);
}

/**
 * The internal load balancer and its tools exist for any team tool, and for
 * Jenkins; the component stays while it holds a retired tool's volume.
 */
export function hasCollaboration(config: StackConfig): boolean {
    return enabledTools(config).length > 0 || config.jenkins.enabled || retiredTools(config).length > 0;
}

/** The CI component runs Jenkins, or holds its volume and artifact bucket once it is retired. */
export function hasCi(config: StackConfig): boolean {
    return config.jenkins.enabled || config.jenkins.retired;
}

/** DMS runs (replication instance, endpoints, tasks) in the phases that move data, and only towards RDS. */
export function runsDms(config: StackConfig): boolean {
    return phaseResources(config.migration.phase).dms && config.database.rds.enabled;
}

/** The tools' scheme: HTTPS with a domain or a certificate of your own, HTTP only in a plain-HTTP demo. */
export function toolsScheme(config: StackConfig): "https" | "http" {
    return config.domain || config.collaboration.certificateArn ? "https" : "http";
}

/**
 * What the team tools' names end in: `<toolsSubdomain>.<zone>` (or the zone)
 * of the domain, else the private zone, where a certificate of your own must
 * name them.
 */
export function toolsDomain(config: StackConfig): string {
    const domain = config.domain;
    if (!domain) {
        return config.network.privateZoneName;
    }
    return domain.toolsSubdomain ? `${domain.toolsSubdomain}.${domain.zone}` : domain.zone;
}
