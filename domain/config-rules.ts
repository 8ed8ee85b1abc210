/**
 * The config's rules that span settings, as a table: each names the key it is
 * reported on and checks the validated config (with the region and the AZ
 * count the rules depend on). Rules of one value are in the schema
 * (domain/stack-config.ts); these run once every value is valid or defaulted.
 */
import { regionZones } from "./availability-zones";
import { ConfigProblem } from "./config-problem";
import { Finding } from "./config-fields";
import { certificateRegion } from "./config-checks";
import { MYSQL_VERSIONS } from "./database";
import { memoryGiB } from "./instance-types";
import { schemaProblems } from "./migration";
import { StackConfig, TOOL_NAMES } from "./stack-config";

export interface RuleContext {
    readonly config: StackConfig;
    /** Whether the stack file itself gives the setting at `path` (rather than leaving it to its default). */
    readonly given: (...path: string[]) => boolean;
}

export interface ConfigRule {
    /** The key the problem is reported on, under the project's namespace. */
    readonly key: string;
    readonly check: (context: RuleContext) => Finding | readonly Finding[] | undefined;
}

/** OpenSearch spreads a domain over at most three AZs. */
export const OPENSEARCH_MAX_ZONES = 3;
/** Jira's own minimum for a production instance. */
const JIRA_MIN_MEMORY_GIB = 8;
/** Memory a cache node must leave to the operating system and memcached's own overhead. */
const SYSTEM_RESERVE_MIB = 1024;

function azFix(region: string): string {
    return `list 2 to 4 distinct AZ names of ${region}, such as ${region}a and ${region}b`;
}

function certificateInRegion(arn: string | undefined, region: string): Finding | undefined {
    const certificateAt = arn ? certificateRegion(arn) : undefined;
    return certificateAt && certificateAt !== region
        ? {
              problem: `the certificate is in ${certificateAt}, but a load balancer can only use a certificate of its own region ${region}`,
              fix: `give an ACM certificate ARN from ${region}, or leave it out (domain issues certificates)`,
          }
        : undefined;
}

/**
 * A self-managed service and its managed replacement may run side by side
 * only while the old one drains; draining with nothing to drain to is a mistake too.
 */
function replacementRules(old: "memcached" | "rabbitmq", managed: "elasticache" | "sqs"): ConfigRule[] {
    return [
        {
            key: old,
            check: ({ config }) =>
                config[old].enabled && config[managed].enabled && !config[old].draining
                    ? {
                          problem: `is enabled alongside ${managed}, and the web tier can use only one`,
                          fix: `set ${old}.draining: true while it drains, then ${old}.enabled: false`,
                      }
                    : undefined,
        },
        {
            key: `${old}.draining`,
            check: ({ config }) =>
                config[old].draining && !config[managed].enabled
                    ? {
                          problem: `is true but ${managed} is off, so nothing takes over`,
                          fix: `enable ${managed}, or set ${old}.draining: false`,
                      }
                    : undefined,
        },
    ];
}

function migrationSchemaRule(field: "includeSchemas" | "excludeSchemas"): ConfigRule {
    return {
        key: `migration.${field}`,
        check: ({ config }) =>
            schemaProblems(config.migration.includeSchemas, config.migration.excludeSchemas).filter(
                (p) => p.field === field,
            ),
    };
}

/** A server that holds data is either running or retired, never both. */
function retiredRule(
    key: string,
    what: string,
    settings: (config: StackConfig) => { enabled: boolean; retired: boolean },
): ConfigRule {
    return {
        key: `${key}.retired`,
        check: ({ config }) =>
            settings(config).retired && settings(config).enabled
                ? {
                      problem: `is true while the ${what} is enabled`,
                      fix: "set enabled: false to retire it, or retired: false to keep it",
                  }
                : undefined,
    };
}

/** ACM puts the first name in the certificate's subject, whose common name holds at most 64 characters. */
const CERTIFICATE_FIRST_NAME_MAX = 64;
/** ACM's default quota of names on one certificate. */
const CERTIFICATE_NAMES_MAX = 10;

function siteHostFix(zone: string): string {
    return `list host names inside ${zone}, such as www.${zone}`;
}

function inZone(host: string, zone: string): boolean {
    return host === zone || host.endsWith(`.${zone}`);
}

/** How the site is served: on `domain`, with a certificate of your own, or (by explicit choice) as a plain-HTTP demo. */
const FRONT_DOOR_RULES: readonly ConfigRule[] = [
    {
        key: "domain",
        check: ({ config }) =>
            !config.domain && !config.loadBalancer.certificateArn && !config.plainHttpDemo
                ? {
                      problem: "is not set, so the site would be plain HTTP on the load balancer's own name",
                      fix:
                          "set domain.zone to your public Route 53 hosted zone (domain.siteHosts to the names to serve), " +
                          "or loadBalancer.certificateArn to serve a certificate of your own, " +
                          "or plainHttpDemo: true for a throwaway demo over plain HTTP",
                  }
                : undefined,
    },
    {
        key: "domain.siteHosts",
        check: ({ config: { domain }, given }) =>
            domain && given("domain", "siteHosts") && domain.siteHosts.length === 0
                ? {
                      problem: "is empty, so the site would have no name",
                      fix: siteHostFix(domain.zone),
                  }
                : undefined,
    },
    {
        key: "domain.siteHosts",
        check: ({ config: { domain } }) =>
            domain?.siteHosts
                .filter((host) => !inZone(host, domain.zone))
                .map((host) => ({
                    problem: `"${host}" is outside the zone ${domain.zone}`,
                    fix: siteHostFix(domain.zone),
                })),
    },
    {
        key: "domain.siteHosts",
        check: ({ config: { domain } }) =>
            domain && domain.siteHosts.length > CERTIFICATE_NAMES_MAX
                ? {
                      problem: `lists ${domain.siteHosts.length} names; an ACM certificate holds ${CERTIFICATE_NAMES_MAX} unless the quota is raised`,
                      fix: `list at most ${CERTIFICATE_NAMES_MAX}`,
                  }
                : undefined,
    },
    {
        key: "domain.siteHosts",
        check: ({ config: { domain } }) => {
            const first = domain?.siteHosts[0];
            return first && first.length > CERTIFICATE_FIRST_NAME_MAX
                ? {
                      problem: `the first name, "${first}", is longer than the ${CERTIFICATE_FIRST_NAME_MAX} characters ACM allows the certificate's main name`,
                      fix: `put a name of at most ${CERTIFICATE_FIRST_NAME_MAX} characters first`,
                  }
                : undefined;
        },
    },
    {
        // The team tools take `<tool>.<domain>` on the internal load balancer.
        key: "domain.siteHosts",
        check: ({ config: { domain } }) => {
            if (!domain) {
                return undefined;
            }
            const toolsDomain = domain.toolsSubdomain ? `${domain.toolsSubdomain}.${domain.zone}` : domain.zone;
            const taken = domain.siteHosts.filter((host) =>
                ["jenkins", ...TOOL_NAMES].some((tool) => host === `${tool}.${toolsDomain}`),
            );
            return taken.length > 0
                ? {
                      problem: `${taken.join(", ")} is a team tool's name, served by the internal load balancer`,
                      fix: "give the site other names, or set toolsSubdomain",
                  }
                : undefined;
        },
    },
    {
        key: "loadBalancer.certificateArn",
        check: ({ config }) =>
            config.domain && config.loadBalancer.certificateArn
                ? {
                      problem: "is set together with domain, which issues the site's certificate itself",
                      fix: "remove loadBalancer.certificateArn, or remove domain to serve your own certificate",
                  }
                : undefined,
    },
    {
        key: "collaboration.certificateArn",
        check: ({ config }) =>
            config.domain && config.collaboration.certificateArn
                ? {
                      problem: "is set together with domain, which issues the tools' certificate itself",
                      fix: "remove collaboration.certificateArn",
                  }
                : undefined,
    },
    {
        key: "plainHttpDemo",
        check: ({ config }) =>
            config.plainHttpDemo &&
            (config.domain || config.loadBalancer.certificateArn || config.collaboration.certificateArn)
                ? {
                      problem: "is true while a domain or a certificate is set, which serve HTTPS",
                      fix: "remove plainHttpDemo",
                  }
                : undefined,
    },
    {
        key: "collaboration.certificateArn",
        check: ({ config }) => {
            const toolsPresent =
                config.jenkins.enabled || TOOL_NAMES.some((tool) => config.collaboration[tool].enabled);
            return config.loadBalancer.certificateArn &&
                !config.domain &&
                !config.collaboration.certificateArn &&
                toolsPresent
                ? {
                      problem: "is not set, and the team tools are served over HTTPS only",
                      fix: "give a certificate for the tools' names (<tool>.<privateZoneName>), or use domain instead of certificates",
                  }
                : undefined;
        },
    },
    {
        key: "waf.enabled",
        check: ({ config }) =>
            config.waf.enabled && !config.monitoring.enabled
                ? {
                      problem:
                          "is true while monitoring is off, and the alarm on a spike of blocked requests publishes to the monitoring topic",
                      fix: "set monitoring.enabled: true, or waf.enabled: false",
                  }
                : undefined,
    },
];

export const CONFIG_RULES: readonly ConfigRule[] = [
    {
        key: "availabilityZones",
        check: ({ config: { network, region } }) => {
            const count = network.availabilityZones.length;
            return count < 2 || count > 4 ? { problem: `has ${count} AZ(s)`, fix: azFix(region) } : undefined;
        },
    },
    {
        key: "availabilityZones",
        check: ({ config: { network, region } }) =>
            new Set(network.availabilityZones).size !== network.availabilityZones.length
                ? { problem: "lists an AZ twice", fix: azFix(region) }
                : undefined,
    },
    {
        key: "availabilityZones",
        check: ({ config: { network, region } }) => {
            const foreign = network.availabilityZones.filter((az) => !new RegExp(`^${region}[a-z]$`).test(az));
            return foreign.length > 0
                ? {
                      problem: `${foreign.map((az) => `"${az}"`).join(", ")} not in region ${region}`,
                      fix: azFix(region),
                  }
                : undefined;
        },
    },
    {
        // A subnet in an AZ the region lacks fails halfway through the first update. Regions the table
        // does not know are not checked (the program warns).
        key: "availabilityZones",
        check: ({ config: { network, region } }) => {
            const zones = regionZones(region);
            const missing = zones
                ? network.availabilityZones.filter((az) => az.startsWith(region) && !zones.includes(az))
                : [];
            return zones && missing.length > 0
                ? {
                      problem: `${missing.map((az) => `"${az}"`).join(", ")}: ${region} has no such AZ (it has ${zones.join(", ")})`,
                      fix: `list AZs of ${zones.join(", ")}`,
                  }
                : undefined;
        },
    },
    ...FRONT_DOOR_RULES,
    {
        key: "loadBalancer.certificateArn",
        check: ({ config }) => certificateInRegion(config.loadBalancer.certificateArn, config.region),
    },
    {
        key: "web.instanceCount",
        check: ({ config, given }) =>
            config.web.autoScaling.enabled && given("web", "instanceCount")
                ? {
                      problem: "is set while autoScaling.enabled is true; the group replaces the fixed instances",
                      fix: "remove instanceCount, or set autoScaling.enabled: false",
                  }
                : undefined,
    },
    {
        key: "web.autoScaling.maxSize",
        check: ({ config: { web } }) =>
            web.autoScaling.maxSize < web.autoScaling.minSize
                ? {
                      problem: `${web.autoScaling.maxSize} is below minSize ${web.autoScaling.minSize}`,
                      fix: "raise maxSize to minSize or more",
                  }
                : undefined,
    },
    {
        key: "web.autoScaling.minSize",
        check: ({ config: { web, network } }) => {
            const azCount = network.availabilityZones.length;
            return web.autoScaling.enabled && azCount > 0 && web.autoScaling.minSize < azCount
                ? {
                      problem: `${web.autoScaling.minSize} instance(s) cannot cover the ${azCount} AZs, so losing one AZ could leave no server`,
                      fix: `set minSize to ${azCount} or more`,
                  }
                : undefined;
        },
    },
    {
        // gp3's ratios, AWS's own rules.
        key: "database.dataVolume.iops",
        check: ({ config }) => {
            const { iops, sizeGiB } = config.database.dataVolume;
            return iops > 500 * sizeGiB
                ? {
                      problem: `${iops} IOPS on ${sizeGiB} GiB exceeds gp3's 500 IOPS per GiB`,
                      fix: "lower iops or grow sizeGiB",
                  }
                : undefined;
        },
    },
    {
        key: "database.dataVolume.throughputMiBps",
        check: ({ config }) => {
            const { iops, throughputMiBps } = config.database.dataVolume;
            return throughputMiBps > iops / 4
                ? {
                      problem: `${throughputMiBps} MiB/s with ${iops} IOPS exceeds gp3's 0.25 MiB/s per IOPS`,
                      fix: "lower throughputMiBps or raise iops",
                  }
                : undefined;
        },
    },
    {
        key: "database.selfManaged",
        check: ({ config: { database } }) =>
            !database.selfManaged && !database.rds.enabled
                ? {
                      problem: "is false, and without RDS the estate has no database",
                      fix: "set database.rds.enabled: true, or selfManaged: true",
                  }
                : undefined,
    },
    {
        key: "database.writer",
        check: ({ config: { database } }) =>
            database.writer === "replica" && !database.replica.enabled
                ? {
                      problem: "is replica, but there is no replica to fail over to",
                      fix: "set database.replica.enabled: true, or writer: primary",
                  }
                : undefined,
    },
    {
        key: "database.rds.maxAllocatedStorageGiB",
        check: ({ config }) => {
            const { allocatedStorageGiB, maxAllocatedStorageGiB } = config.database.rds;
            const least = Math.ceil(allocatedStorageGiB * 1.1);
            return maxAllocatedStorageGiB < least
                ? {
                      problem: `${maxAllocatedStorageGiB} GiB is not at least 10% above allocatedStorageGiB ${allocatedStorageGiB}, as storage autoscaling requires`,
                      fix: `set it to ${least} or more`,
                  }
                : undefined;
        },
    },
    {
        key: "database.rds.engineVersion",
        check: ({ config: { database } }) =>
            MYSQL_VERSIONS.indexOf(database.rds.engineVersion) > MYSQL_VERSIONS.indexOf(database.mysqlVersion)
                ? {
                      problem: `${database.rds.engineVersion} is older than the self-managed server's ${database.mysqlVersion}; DMS would replicate to an older engine and back`,
                      fix: `use ${database.mysqlVersion}`,
                  }
                : undefined,
    },
    {
        key: "database.rds.multiAz",
        check: ({ config }) =>
            config.database.rds.multiAz && config.network.availabilityZones.length === 1
                ? { problem: "needs two AZs, and the VPC has one", fix: "list two or more availabilityZones" }
                : undefined,
    },
    {
        key: "memcached.memoryMiB",
        check: ({ config: { memcached } }) => {
            const available = memoryGiB(memcached.instanceType);
            const most = available === undefined ? undefined : available * 1024 - SYSTEM_RESERVE_MIB;
            return most !== undefined && memcached.memoryMiB > most
                ? {
                      problem: `${memcached.memoryMiB} MiB does not fit on ${memcached.instanceType} (${available} GiB) with ${SYSTEM_RESERVE_MIB} MiB left to the system`,
                      fix: `lower memoryMiB to at most ${most} or pick a larger instance type`,
                  }
                : undefined;
        },
    },
    ...replacementRules("memcached", "elasticache"),
    {
        key: "rabbitmq.nodeCount",
        check: ({ config }) =>
            config.rabbitmq.nodeCount === 2
                ? {
                      problem: "2 nodes cannot keep a quorum when one fails, so quorum queues would stop",
                      fix: "use 1 (no redundancy) or 3 to 7",
                  }
                : undefined,
    },
    {
        // The nodes raise RabbitMQ's disk alarm (and stop publishers) when free disk falls below their RAM.
        key: "rabbitmq.dataVolumeGiB",
        check: ({ config: { rabbitmq } }) => {
            const memory = memoryGiB(rabbitmq.instanceType);
            return memory !== undefined && rabbitmq.dataVolumeGiB < 2 * memory
                ? {
                      problem: `${rabbitmq.dataVolumeGiB} GiB is less than twice the ${memory} GiB of ${rabbitmq.instanceType}; RabbitMQ blocks publishers when free disk drops below its RAM`,
                      fix: `set it to at least ${2 * memory}`,
                  }
                : undefined;
        },
    },
    retiredRule("rabbitmq", "cluster", (config) => config.rabbitmq),
    retiredRule("database.replica", "replica", (config) => config.database.replica),
    retiredRule("jenkins", "server", (config) => config.jenkins),
    ...TOOL_NAMES.map((tool) => retiredRule(`collaboration.${tool}`, "server", (config) => config.collaboration[tool])),
    ...replacementRules("rabbitmq", "sqs"),
    {
        key: "sqs.queues",
        check: ({ config: { sqs } }) => {
            const names = sqs.queues.map((queue) => queue.name);
            const twice = [...new Set(names.filter((name, i) => names.indexOf(name) !== i))];
            return twice.length > 0
                ? { problem: `names ${twice.join(", ")} more than once`, fix: "give each queue its own name" }
                : undefined;
        },
    },
    {
        key: "sqs.queues",
        check: ({ config: { sqs } }) =>
            sqs.enabled && sqs.queues.length === 0
                ? {
                      problem: "is empty while sqs.enabled is true",
                      fix: "list queues as {name: orders, visibilityTimeoutSeconds: 60}",
                  }
                : undefined,
    },
    {
        key: "monitoring.alarmEmails",
        check: ({ config: { monitoring } }) =>
            !monitoring.enabled && monitoring.alarmEmails.length > 0
                ? {
                      problem: "lists subscribers while monitoring is off",
                      fix: "set monitoring.enabled: true, or remove alarmEmails",
                  }
                : undefined,
    },
    {
        key: "logging.opensearch.instanceCount",
        check: ({ config }) => {
            const zones = Math.min(config.network.availabilityZones.length, OPENSEARCH_MAX_ZONES);
            const count = config.logging.opensearch.instanceCount;
            return zones > 0 && count % zones !== 0
                ? {
                      problem: `${count} data nodes do not divide evenly over ${zones} AZs`,
                      fix: `use a multiple of ${zones}`,
                  }
                : undefined;
        },
    },
    {
        key: "migration.phase",
        check: ({ config: { migration, database } }) =>
            migration.phase !== "none" && !database.rds.enabled
                ? {
                      problem: `is ${migration.phase}, but there is no RDS to migrate to`,
                      fix: "set database.rds.enabled: true",
                  }
                : undefined,
    },
    {
        key: "migration.phase",
        check: ({ config: { migration, database } }) =>
            migration.phase !== "none" && !database.selfManaged
                ? {
                      problem: `is ${migration.phase}, but database.selfManaged is false: there is no self-managed MySQL to migrate from`,
                      fix: "set migration.phase: none",
                  }
                : undefined,
    },
    migrationSchemaRule("includeSchemas"),
    migrationSchemaRule("excludeSchemas"),
    {
        key: "collaboration.certificateArn",
        check: ({ config }) => certificateInRegion(config.collaboration.certificateArn, config.region),
    },
    {
        key: "collaboration.jira.instanceType",
        check: ({ config }) => {
            const jira = config.collaboration.jira;
            const memory = memoryGiB(jira.instanceType);
            return jira.enabled && memory !== undefined && memory < JIRA_MIN_MEMORY_GIB
                ? {
                      problem: `${jira.instanceType} has ${memory} GiB; Jira needs at least ${JIRA_MIN_MEMORY_GIB} GiB`,
                      fix: "pick a type with 8 GiB or more, such as m7i.large",
                  }
                : undefined;
        },
    },
];

/** Every rule's findings for `context`, keyed under `prefix` (the project's namespace). */
export function ruleProblems(context: RuleContext, prefix: string): ConfigProblem[] {
    return CONFIG_RULES.flatMap((rule) => {
        const found = rule.check(context);
        const findings: readonly Finding[] = found === undefined ? [] : "problem" in found ? [found] : found;
        return findings.map(({ problem, fix }) => ({ key: `${prefix}${rule.key}`, problem, fix }));
    });
}
