/**
 * Each component's args, from the stack's config and the components built
 * before it: one function per component, over a shared context. Which
 * components exist is decided in decisions.ts; platform.ts builds them in
 * dependency order.
 */
import * as pulumi from "@pulumi/pulumi";
import { CostBudgetArgs } from "../components/budget";
import { Cache, CacheArgs } from "../components/cache";
import { Ci, CiArgs, JENKINS_PORT, webDeployGroup } from "../components/ci";
import { Collaboration, CollaborationArgs, toolHostName } from "../components/collaboration";
import { WebTier, WebTierArgs, appParameterPath } from "../components/compute";
import { Database, DatabaseArgs, primaryHostName } from "../components/data";
import { rdsIdentifier } from "../domain/rds";
import { Logging, LoggingArgs } from "../components/logging";
import { Messaging, MessagingArgs } from "../components/messaging";
import { MigrationArgs } from "../components/migration";
import { Network, NetworkArgs } from "../components/network";
import { Observability, ObservabilityArgs, WatchedServer } from "../components/observability";
import { ServerRole, agentParameterName } from "../components/shared/telemetry";
import { MYSQL_PORT } from "../domain/database";
import { phaseResources } from "../domain/migration";
import { StackConfig } from "../domain/stack-config";
import { WebFirewallArgs } from "../components/firewall";
import { enabledTools, retiredTools, selfManagedServers, toolsDomain, toolsScheme } from "./decisions";

/** What every args function starts from. */
export interface BuildContext {
    readonly config: StackConfig;
    /** The SSM parameter of a server role's CloudWatch agent config: fixed names, monitoring on or off. */
    readonly agentParameter: (role: ServerRole) => string;
}

export function buildContext(config: StackConfig): BuildContext {
    return {
        config,
        agentParameter: (role) => agentParameterName(config.project, config.stack, role),
    };
}

/** The Data Lifecycle Manager target tag of a kind of server's volumes. */
function snapshotSelector({ config }: BuildContext, kind: string): string {
    return `${config.project}-${config.stack}-${kind}`;
}

export function networkArgs({ config }: BuildContext): NetworkArgs {
    const { domain } = config;
    return {
        region: config.region,
        ...config.network,
        publicZone: domain ? { name: domain.zone, zoneId: domain.zoneId } : undefined,
    };
}

/** Where a backend of the web tier (database, cache, broker, log shipping) runs, and who its clients are. */
function webBackend({ config }: BuildContext, network: Network) {
    return {
        region: config.region,
        vpcId: network.vpcId,
        privateSubnetIds: network.privateSubnetIds,
        availabilityZones: network.availabilityZones,
        clientSecurityGroupIds: [network.securityGroups.web.id],
    };
}

export function databaseArgs(context: BuildContext, network: Network): DatabaseArgs {
    const { config } = context;
    const { replica, rds, selfManaged: _selfManaged, ...servers } = config.database;
    return {
        ...webBackend(context, network),
        isolatedSubnetIds: network.isolatedSubnetIds,
        databaseSecurityGroupId: network.securityGroups.database.id,
        ...servers,
        zoneId: network.zoneId,
        zoneName: network.zoneName,
        snapshotSelector: snapshotSelector(context, "mysql"),
        replica:
            replica.enabled || replica.retired
                ? { instanceType: replica.instanceType, retired: replica.retired }
                : undefined,
        stackName: config.stack,
        cloudWatchAgentParameter: context.agentParameter("mysql"),
        bootScripts: network.bootScripts,
        servers: selfManagedServers(config),
        rds: rds.enabled
            ? {
                  ...rds,
                  identifier: rdsIdentifier(config.project, config.stack),
                  logRetentionDays: config.network.logRetentionDays,
              }
            : undefined,
    };
}

export function cacheArgs(context: BuildContext, network: Network): CacheArgs {
    const { config } = context;
    const { memcached } = config;
    return {
        ...webBackend(context, network),
        nodes: memcached.enabled
            ? {
                  nodeCount: memcached.nodeCount,
                  instanceType: memcached.instanceType,
                  memoryMiB: memcached.memoryMiB,
                  maxConnections: memcached.maxConnections,
                  stackName: config.stack,
                  cloudWatchAgentParameter: context.agentParameter("memcached"),
                  bootScripts: network.bootScripts,
              }
            : undefined,
        elastiCache: config.elasticache.enabled ? config.elasticache : undefined,
    };
}

export function messagingArgs(context: BuildContext, network: Network): MessagingArgs {
    const { config } = context;
    const { rabbitmq } = config;
    const rabbitmqSnapshots = snapshotSelector(context, "rabbitmq");
    return {
        ...webBackend(context, network),
        vpcCidr: network.vpcCidr,
        rabbitmq: rabbitmq.enabled
            ? {
                  nodeCount: rabbitmq.nodeCount,
                  instanceType: rabbitmq.instanceType,
                  dataVolumeGiB: rabbitmq.dataVolumeGiB,
                  managementCidrs: rabbitmq.managementCidrs,
                  tls: rabbitmq.tls,
                  zoneId: network.zoneId,
                  zoneName: network.zoneName,
                  snapshotSelector: rabbitmqSnapshots,
                  stackName: config.stack,
                  cloudWatchAgentParameter: context.agentParameter("rabbitmq"),
                  bootScripts: network.bootScripts,
              }
            : undefined,
        sqs: config.sqs.enabled
            ? { project: config.project, stack: config.stack, queues: config.sqs.queues }
            : undefined,
        retiredRabbitmq: rabbitmq.retired
            ? {
                  nodeCount: rabbitmq.nodeCount,
                  dataVolumeGiB: rabbitmq.dataVolumeGiB,
                  snapshotSelector: rabbitmqSnapshots,
              }
            : undefined,
    };
}

export function ciArgs(context: BuildContext, network: Network): CiArgs {
    const { config } = context;
    const { enabled: _enabled, retired: _retired, ...jenkins } = config.jenkins;
    return {
        region: config.region,
        stackName: config.stack,
        vpcId: network.vpcId,
        privateSubnetIds: network.privateSubnetIds,
        availabilityZones: network.availabilityZones,
        ...jenkins,
        appParameterPath: appParameterPath(config.project, config.stack),
        jenkinsUrl: `${toolsScheme(config)}://${toolHostName("jenkins", toolsDomain(config))}/`,
        snapshotSelector: snapshotSelector(context, "jenkins"),
        cloudWatchAgentParameter: context.agentParameter("jenkins"),
        bootScripts: network.bootScripts,
        retired: config.jenkins.retired,
    };
}

export function loggingArgs(context: BuildContext, network: Network): LoggingArgs {
    const { config } = context;
    return {
        ...webBackend(context, network),
        project: config.project,
        stack: config.stack,
        vpcCidr: network.vpcCidr,
        opensearch: config.logging.opensearch,
        logstash: config.logging.logstash,
        logRetentionDays: config.network.logRetentionDays,
        zoneId: network.zoneId,
        zoneName: network.zoneName,
        deletionProtection: config.loadBalancer.deletionProtection,
        bootScripts: network.bootScripts,
    };
}

/** The components the web servers are clients of, where the stack has them. */
export interface WebDependencies {
    readonly network: Network;
    readonly database: Database;
    readonly cache?: Cache;
    readonly messaging?: Messaging;
    readonly ci?: Ci;
    readonly logging?: Logging;
}

export function webArgs(
    context: BuildContext,
    { network, database, cache, messaging, ci, logging }: WebDependencies,
): WebTierArgs {
    const { config } = context;
    const { autoScaling, ...servers } = config.web;
    const { certificateArn, ...loadBalancer } = config.loadBalancer;
    const zone = network.publicZone;
    return {
        region: config.region,
        vpcId: network.vpcId,
        publicSubnetIds: network.publicSubnetIds,
        privateSubnetIds: network.privateSubnetIds,
        availabilityZoneCount: network.availabilityZones.length,
        loadBalancerSecurityGroupId: network.securityGroups.loadBalancer.id,
        webSecurityGroupId: network.securityGroups.web.id,
        ...servers,
        autoScaling: autoScaling.enabled ? autoScaling : undefined,
        ...loadBalancer,
        tls:
            config.domain && zone
                ? { zone, hosts: config.domain.siteHosts }
                : certificateArn
                  ? { certificateArn }
                  : undefined,
        appParameterPath: appParameterPath(config.project, config.stack),
        databaseHost: database.host,
        databaseSecretArn: database.appSecretArn,
        cacheNodes: cache?.nodeList,
        cacheTls: cache?.tls,
        logstashHost: logging?.logstashHost,
        logstashCaCertificate: logging?.logstashCaCertificate,
        amqpHost: messaging?.host,
        queues:
            messaging?.queueArns && messaging.queueUrls
                ? { arns: messaging.queueArns, urls: messaging.queueUrls }
                : undefined,
        cloudWatchAgentParameter: context.agentParameter("web"),
        bootScripts: network.bootScripts,
        artifactBucket: ci ? { name: ci.artifactBucketName, arn: ci.artifactBucketArn } : undefined,
        deployGroup: webDeployGroup(config.stack),
    };
}

export function collaborationArgs(context: BuildContext, network: Network, web: WebTier, ci?: Ci): CollaborationArgs {
    const { config } = context;
    const tools = config.collaboration;
    const zone = network.publicZone;
    return {
        region: config.region,
        stackName: config.stack,
        vpcId: network.vpcId,
        vpcCidr: network.vpcCidr,
        privateSubnetIds: network.privateSubnetIds,
        availabilityZones: network.availabilityZones,
        adminCidrs: tools.adminCidrs,
        // With a domain, public names and a certificate from its zone; else the private zone's names.
        tls: zone ? { zone } : tools.certificateArn ? { certificateArn: tools.certificateArn } : undefined,
        zoneId: zone ? zone.zoneId : network.zoneId,
        toolsDomain: toolsDomain(config),
        deletionProtection: config.loadBalancer.deletionProtection,
        accessLogBucket: web.accessLogBucket,
        accessLogBucketPolicy: web.accessLogBucketPolicy,
        tools: Object.fromEntries(
            enabledTools(config).map((tool) => [
                tool,
                { instanceType: tools[tool].instanceType, dataVolumeGiB: tools[tool].dataVolumeGiB },
            ]),
        ),
        retiredTools: Object.fromEntries(
            retiredTools(config).map((tool) => [tool, { dataVolumeGiB: tools[tool].dataVolumeGiB }]),
        ),
        extraBackends:
            ci?.instanceId && ci.securityGroupId
                ? [
                      {
                          host: "jenkins",
                          port: JENKINS_PORT,
                          healthPath: "/login",
                          instanceId: ci.instanceId,
                          securityGroupId: ci.securityGroupId,
                          priority: 40,
                      },
                  ]
                : [],
        snapshotSelector: snapshotSelector(context, "tools"),
        bootScripts: network.bootScripts,
        agentParameter: context.agentParameter,
    };
}

/** Everything monitoring watches, where the stack has it. */
export interface WatchedComponents extends WebDependencies {
    readonly web: WebTier;
    readonly collaboration?: Collaboration;
}

export function observabilityArgs(context: BuildContext, watched: WatchedComponents): ObservabilityArgs {
    const { config } = context;
    const { database, cache, messaging, ci, web, logging, collaboration } = watched;
    return {
        project: config.project,
        stack: config.stack,
        region: config.region,
        logRetentionDays: config.network.logRetentionDays,
        alarmEmails: config.monitoring.alarmEmails,
        roles: [
            { role: "web", roleName: web.roleName },
            // A retired server's log group keeps its history; an estate without servers gets none.
            ...(database.roleName ? [{ role: "mysql" as const, roleName: database.roleName }] : []),
            ...(cache?.roleName ? [{ role: "memcached" as const, roleName: cache.roleName }] : []),
            ...(messaging?.roleName ? [{ role: "rabbitmq" as const, roleName: messaging.roleName }] : []),
            ...(ci?.roleName ? [{ role: "jenkins" as const, roleName: ci.roleName }] : []),
            ...enabledTools(config).map((tool) => ({ role: tool, roleName: collaboration!.roleNames[tool]! })),
        ],
        loadBalancerArnSuffix: web.loadBalancerArnSuffix,
        targetGroupArnSuffix: web.targetGroupArnSuffix,
        statefulServers: statefulServers(watched),
        replica: database.replicaInstanceId !== undefined,
        rabbitmqNodes: messaging?.host ? messaging.instanceIds.length : undefined,
        memcached: cache?.roleName !== undefined,
        thresholds: config.monitoring.alarms,
        // DMS sends the migration's task and instance events to the alarm topic, AWS Budgets its forecasts.
        publisherServices: [
            ...(phaseResources(config.migration.phase).dms ? ["dms.amazonaws.com"] : []),
            ...(config.budget.enabled ? ["budgets.amazonaws.com"] : []),
        ],
        managed: {
            autoScalingGroup:
                web.autoScalingGroupName && config.web.autoScaling.enabled
                    ? {
                          name: web.autoScalingGroupName,
                          minSize: config.web.autoScaling.minSize,
                          maxSize: config.web.autoScaling.maxSize,
                      }
                    : undefined,
            elastiCacheCluster: cache?.clusterId,
            queues: messaging?.queues.map((queue) => ({
                name: queue.name,
                queue: queue.queueName,
                deadLetterQueue: queue.deadLetterQueueName,
            })),
            openSearch: logging
                ? {
                      domainName: logging.domainName,
                      accountId: logging.accountId,
                      volumeGiB: config.logging.opensearch.volumeGiB,
                  }
                : undefined,
            rds: database.rds
                ? {
                      identifier: database.rds.identifier,
                      allocatedStorageGiB: config.database.rds.allocatedStorageGiB,
                      replicas: database.rds.replicaIdentifiers,
                  }
                : undefined,
        },
    };
}

/** The servers whose loss loses data or a quorum: watched closely, and recovered by EC2 when their host fails. */
export function statefulServers({ database, messaging, ci, collaboration }: WatchedComponents): WatchedServer[] {
    const servers: WatchedServer[] = [];
    if (database.primaryInstanceId) {
        servers.push({
            label: "db-primary",
            instanceId: database.primaryInstanceId,
            dataPath: "/data/mysql",
            recover: true,
        });
    }
    if (database.replicaInstanceId) {
        servers.push({
            label: "db-replica",
            instanceId: database.replicaInstanceId,
            dataPath: "/data/mysql",
            recover: true,
        });
    }
    messaging?.instanceIds.forEach((instanceId, index) =>
        servers.push({ label: `mq-${index}`, instanceId, dataPath: "/data/rabbitmq", recover: true }),
    );
    if (ci?.instanceId) {
        servers.push({ label: "jenkins", instanceId: ci.instanceId, dataPath: "/data/jenkins", recover: true });
    }
    for (const [tool, instanceId] of Object.entries(collaboration?.instanceIds ?? {})) {
        servers.push({ label: tool, instanceId, dataPath: `/data/${tool}`, recover: true });
    }
    return servers;
}

/** The web ACL in front of the public load balancer; only called where the stack has WAF and an alarm topic. */
export function firewallArgs(
    { config }: BuildContext,
    web: WebTier,
    alarmTopicArn: Observability["alarmTopicArn"],
): WebFirewallArgs {
    const { enabled: _enabled, ...waf } = config.waf;
    return {
        region: config.region,
        project: config.project,
        stack: config.stack,
        loadBalancerArn: web.loadBalancerArn,
        ...waf,
        alarmTopicArn,
    };
}

/** DMS from the EC2 primary (while it exists) to RDS; only called where the stack runs DMS (decisions.ts). */
export function migrationArgs(
    context: BuildContext,
    network: Network,
    database: Database,
    rds: NonNullable<Database["rds"]>,
    alarmTopicArn?: Observability["alarmTopicArn"],
): MigrationArgs {
    const { config } = context;
    const { migration } = config;
    return {
        region: config.region,
        phase: migration.phase,
        identifierPrefix: `${config.project}-${config.stack}`,
        vpcId: network.vpcId,
        privateSubnetIds: network.privateSubnetIds,
        replicationInstanceClass: migration.replicationInstanceClass,
        allocatedStorageGiB: migration.allocatedStorageGiB,
        multiAz: migration.multiAz,
        engineVersion: migration.engineVersion || undefined,
        includeSchemas: migration.includeSchemas,
        excludeSchemas: migration.excludeSchemas,
        maxCdcLatencySeconds: migration.maxCdcLatencySeconds,
        gateWaitSeconds: migration.gateWaitSeconds,
        alarmCdcLatencySeconds: migration.alarmCdcLatencySeconds,
        manageServiceRoles: migration.manageServiceRoles,
        logRetentionDays: config.network.logRetentionDays,
        source:
            database.primaryInstanceId && database.rootSecretArn && database.roleName
                ? {
                      host: primaryHostName(network.zoneName),
                      instanceId: database.primaryInstanceId,
                      securityGroupId: network.securityGroups.database.id,
                      rootSecretArn: database.rootSecretArn,
                      roleName: database.roleName,
                  }
                : undefined,
        target: {
            host: rds.hostName,
            port: MYSQL_PORT,
            masterSecretArn: rds.masterSecretArn,
            securityGroupId: rds.securityGroupId,
        },
        alarmTopicArn,
    };
}

export function budgetArgs(
    { config }: BuildContext,
    estimatedMonthlyUsd: pulumi.Input<number>,
    observability: Observability | undefined,
): CostBudgetArgs {
    return {
        project: config.project,
        stack: config.stack,
        estimatedMonthlyUsd,
        marginPercent: config.budget.marginPercent,
        alarmTopicArn: observability?.alarmTopicArn,
    };
}
