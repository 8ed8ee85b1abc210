/**
 * What each server role tells CloudWatch: the agent's configuration (memory and
 * disk metrics, log files to ship) and where it lives. Pure functions.
 *
 * Servers pull their agent configuration from an SSM parameter with a fixed
 * name, which exists only while monitoring is on. A server deployed before
 * monitoring was switched on (the MySQL primary ignores user-data changes)
 * picks it up by itself, so switching monitoring on replaces no server.
 */

/** Server roles that run the CloudWatch agent. */
export type ServerRole = "web" | "mysql" | "memcached" | "rabbitmq" | "jenkins" | "jira" | "wiki" | "cms";

/** Where the custom metrics of the bootstrap scripts' publishers go. */
export const METRIC_NAMESPACES = {
    mysql: "ScaleTiers/MySQL",
    memcached: "ScaleTiers/Memcached",
    rabbitmq: "ScaleTiers/RabbitMQ",
} as const;

/** The agent's own namespace; its metrics carry the InstanceId dimension. */
export const AGENT_NAMESPACE = "CWAgent";

/**
 * SSM parameter holding a role's agent configuration. The `AmazonCloudWatch-`
 * prefix is what CloudWatchAgentServerPolicy lets the agent read.
 */
export function agentParameterName(project: string, stack: string, role: ServerRole): string {
    return `AmazonCloudWatch-${project}-${stack}-${role}`;
}

export function logGroupName(project: string, stack: string, role: ServerRole): string {
    return `/${project}/${stack}/${role}`;
}

/** Log files each role ships, and the filesystems whose use is measured. */
export const ROLE_TELEMETRY: Readonly<
    Record<ServerRole, { logFiles: readonly string[]; diskPaths: readonly string[] }>
> = {
    web: {
        logFiles: ["/var/log/nginx/access.log", "/var/log/nginx/error.log", "/var/log/scale-tiers-bootstrap.log"],
        diskPaths: ["/"],
    },
    mysql: {
        logFiles: ["/var/log/mysqld.log", "/var/log/mysql/slow.log", "/var/log/scale-tiers-bootstrap.log"],
        diskPaths: ["/", "/data/mysql"],
    },
    memcached: { logFiles: ["/var/log/scale-tiers-bootstrap.log"], diskPaths: ["/"] },
    rabbitmq: {
        logFiles: ["/var/log/rabbitmq/*.log", "/var/log/scale-tiers-bootstrap.log"],
        diskPaths: ["/", "/data/rabbitmq"],
    },
    jenkins: { logFiles: ["/var/log/scale-tiers-bootstrap.log"], diskPaths: ["/", "/data/jenkins"] },
    jira: {
        logFiles: ["/data/jira/home/log/atlassian-jira.log", "/var/log/scale-tiers-bootstrap.log"],
        diskPaths: ["/", "/data/jira"],
    },
    wiki: {
        logFiles: ["/var/log/nginx/access.log", "/var/log/nginx/error.log", "/var/log/php-fpm/www-error.log"],
        diskPaths: ["/", "/data/wiki"],
    },
    cms: {
        logFiles: ["/var/log/nginx/access.log", "/var/log/nginx/error.log", "/var/log/php-fpm/www-error.log"],
        diskPaths: ["/", "/data/cms"],
    },
};

/** The CloudWatch agent configuration (JSON) of a role. */
export function agentConfig(role: ServerRole, logGroup: string): string {
    const { logFiles, diskPaths } = ROLE_TELEMETRY[role];
    return JSON.stringify({
        agent: { metrics_collection_interval: 60, run_as_user: "root" },
        metrics: {
            namespace: AGENT_NAMESPACE,
            append_dimensions: { InstanceId: "${aws:InstanceId}" },
            metrics_collected: {
                mem: { measurement: ["mem_used_percent"] },
                // Alarms address disks by path and filesystem type; the device name changes with the instance.
                disk: { measurement: ["used_percent"], resources: [...diskPaths], drop_device: true },
            },
        },
        logs: {
            logs_collected: {
                files: {
                    collect_list: logFiles.map((file) => ({
                        file_path: file,
                        log_group_name: logGroup,
                        log_stream_name: `{instance_id}${file}`,
                        // Retention belongs to the log group, which the program owns.
                        retention_in_days: -1,
                    })),
                },
            },
        },
    });
}
