/**
 * The composition: turns a validated StackConfig into components. Which
 * components exist, and with what sizes, is decided here and only here.
 *
 * Logical names below are part of every resource's URN. They must not depend
 * on the tier or on a switch, or growing a stack would replace its data.
 */
import * as pulumi from "@pulumi/pulumi";
import { Cache } from "../components/cache";
import { Ci, JENKINS_PORT, webDeployGroup } from "../components/ci";
import { Collaboration, TOOLS, toolHostName } from "../components/collaboration";
import { appParameterPath, WebTier } from "../components/compute";
import { Database, primaryHostName, rdsIdentifier } from "../components/data";
import { MYSQL_PORT } from "../domain/database";
import { Migration } from "../components/migration";
import { databaseDnsRecord, phaseResources } from "../domain/migration";
import { Logging } from "../components/logging";
import { Messaging } from "../components/messaging";
import { Network } from "../components/network";
import { Observability, WatchedServer } from "../components/observability";
import { baseTags } from "../components/shared/tags";
import { ServerRole, agentParameterName } from "../components/shared/telemetry";
import { StackConfig, ToolName } from "../domain/stack-config";

export interface Platform {
    readonly network: Network;
    readonly database: Database;
    readonly cache?: Cache;
    readonly messaging?: Messaging;
    readonly web: WebTier;
    readonly ci?: Ci;
    readonly collaboration?: Collaboration;
    readonly observability?: Observability;
    readonly logging?: Logging;
    readonly migration?: Migration;
}

/** `db.<zone>` of an estate built with RDS from the start: what it is once a migration is over. */
const RDS_FROM_THE_START = databaseDnsRecord("decommissioned");

export function buildPlatform(config: StackConfig): Platform {
    const tags = baseTags(config.project, config.stack);
    // Fixed names, whether monitoring is on or not: servers look for their agent config there.
    const agentParameter = (role: ServerRole) => agentParameterName(config.project, config.stack, role);
    const network = new Network("network", {
        region: config.region,
        vpcCidr: config.network.vpcCidr,
        availabilityZones: config.network.availabilityZones,
        natGateways: config.network.natGateways,
        privateZoneName: config.network.privateZoneName,
        logRetentionDays: config.network.logRetentionDays,
        tags,
    });
    const webSecurityGroupId = network.securityGroups.web.id;

    const database = new Database("db", {
        region: config.region,
        vpcId: network.vpcId,
        privateSubnetIds: network.privateSubnetIds,
        isolatedSubnetIds: network.isolatedSubnetIds,
        availabilityZones: network.availabilityZones,
        databaseSecurityGroupId: network.securityGroups.database.id,
        clientSecurityGroupIds: [webSecurityGroupId],
        instanceType: config.database.instanceType,
        mysqlVersion: config.database.mysqlVersion,
        dataVolume: config.database.dataVolume,
        snapshots: config.database.snapshots,
        binlogRetentionHours: config.database.binlogRetentionHours,
        zoneId: network.zoneId,
        zoneName: network.zoneName,
        snapshotSelector: `${config.project}-${config.stack}-mysql`,
        replica: config.database.replica.enabled ? { instanceType: config.database.replica.instanceType } : undefined,
        writer: config.database.writer,
        stackName: config.stack,
        cloudWatchAgentParameter: agentParameter("mysql"),
        servers: !config.database.selfManaged
            ? "none"
            : phaseResources(config.migration.phase).selfManagedServers
              ? "running"
              : "retired",
        rds: config.database.rds.enabled
            ? {
                  ...config.database.rds,
                  identifier: rdsIdentifier(config.project, config.stack),
                  logRetentionDays: config.network.logRetentionDays,
              }
            : undefined,
        tags,
    });

    // Where the cache and the broker run, and who their clients are.
    const webBackend = {
        region: config.region,
        vpcId: network.vpcId,
        privateSubnetIds: network.privateSubnetIds,
        availabilityZones: network.availabilityZones,
        clientSecurityGroupIds: [webSecurityGroupId],
    };
    const cache =
        config.memcached.enabled || config.elasticache.enabled
            ? new Cache("cache", {
                  ...webBackend,
                  nodes: config.memcached.enabled
                      ? {
                            nodeCount: config.memcached.nodeCount,
                            instanceType: config.memcached.instanceType,
                            memoryMiB: config.memcached.memoryMiB,
                            maxConnections: config.memcached.maxConnections,
                            stackName: config.stack,
                            cloudWatchAgentParameter: agentParameter("memcached"),
                        }
                      : undefined,
                  elastiCache: config.elasticache.enabled ? config.elasticache : undefined,
                  tags,
              })
            : undefined;

    const rabbitmqSnapshots = `${config.project}-${config.stack}-rabbitmq`;
    const messaging =
        config.rabbitmq.enabled || config.sqs.enabled || config.rabbitmq.retired
            ? new Messaging("mq", {
                  ...webBackend,
                  vpcCidr: network.vpcCidr,
                  rabbitmq: config.rabbitmq.enabled
                      ? {
                            nodeCount: config.rabbitmq.nodeCount,
                            instanceType: config.rabbitmq.instanceType,
                            dataVolumeGiB: config.rabbitmq.dataVolumeGiB,
                            managementCidrs: config.rabbitmq.managementCidrs,
                            tls: config.rabbitmq.tls,
                            zoneId: network.zoneId,
                            zoneName: network.zoneName,
                            snapshotSelector: rabbitmqSnapshots,
                            stackName: config.stack,
                            cloudWatchAgentParameter: agentParameter("rabbitmq"),
                        }
                      : undefined,
                  sqs: config.sqs.enabled
                      ? { project: config.project, stack: config.stack, queues: config.sqs.queues }
                      : undefined,
                  retiredRabbitmq: config.rabbitmq.retired
                      ? {
                            nodeCount: config.rabbitmq.nodeCount,
                            dataVolumeGiB: config.rabbitmq.dataVolumeGiB,
                            snapshotSelector: rabbitmqSnapshots,
                        }
                      : undefined,
                  tags,
              })
            : undefined;

    const appPath = appParameterPath(config.project, config.stack);
    const tools = config.collaboration;
    const toolsScheme = tools.certificateArn ? "https" : "http";
    const ci = config.jenkins.enabled
        ? new Ci("ci", {
              region: config.region,
              stackName: config.stack,
              vpcId: network.vpcId,
              privateSubnetIds: network.privateSubnetIds,
              availabilityZones: network.availabilityZones,
              instanceType: config.jenkins.instanceType,
              dataVolumeGiB: config.jenkins.dataVolumeGiB,
              artifactRetentionDays: config.jenkins.artifactRetentionDays,
              deployBatchPercent: config.jenkins.deployBatchPercent,
              appParameterPath: appPath,
              jenkinsUrl: `${toolsScheme}://${toolHostName("jenkins", network.zoneName)}/`,
              snapshotSelector: `${config.project}-${config.stack}-jenkins`,
              cloudWatchAgentParameter: agentParameter("jenkins"),
              tags,
          })
        : undefined;

    const logging = config.logging.enabled
        ? new Logging("logs", {
              region: config.region,
              project: config.project,
              stack: config.stack,
              vpcId: network.vpcId,
              vpcCidr: network.vpcCidr,
              privateSubnetIds: network.privateSubnetIds,
              availabilityZones: network.availabilityZones,
              clientSecurityGroupIds: [webSecurityGroupId],
              opensearch: config.logging.opensearch,
              logstash: config.logging.logstash,
              logRetentionDays: config.network.logRetentionDays,
              zoneId: network.zoneId,
              zoneName: network.zoneName,
              tags,
          })
        : undefined;

    const web = new WebTier("web", {
        region: config.region,
        vpcId: network.vpcId,
        publicSubnetIds: network.publicSubnetIds,
        privateSubnetIds: network.privateSubnetIds,
        availabilityZoneCount: network.availabilityZones.length,
        loadBalancerSecurityGroupId: network.securityGroups.loadBalancer.id,
        webSecurityGroupId,
        instanceCount: config.web.instanceCount,
        autoScaling: config.web.autoScaling.enabled ? config.web.autoScaling : undefined,
        instanceType: config.web.instanceType,
        rootVolumeGiB: config.web.rootVolumeGiB,
        healthCheckPath: config.web.healthCheckPath,
        certificateArn: config.loadBalancer.certificateArn,
        deletionProtection: config.loadBalancer.deletionProtection,
        accessLogRetentionDays: config.loadBalancer.accessLogRetentionDays,
        idleTimeoutSeconds: config.loadBalancer.idleTimeoutSeconds,
        appParameterPath: appPath,
        databaseHost: database.host,
        databaseSecretArn: database.appSecretArn,
        cacheNodes: cache?.nodeList,
        cacheTls: cache?.tls,
        logstashHost: logging?.logstashHost,
        amqpHost: messaging?.host,
        queues:
            messaging?.queueArns && messaging.queueUrls
                ? { arns: messaging.queueArns, urls: messaging.queueUrls }
                : undefined,
        cloudWatchAgentParameter: agentParameter("web"),
        artifactBucket: ci ? { name: ci.artifactBucketName, arn: ci.artifactBucketArn } : undefined,
        deployGroup: webDeployGroup(config.stack),
        tags,
    });

    const enabledTools = (Object.keys(TOOLS) as ToolName[]).filter((tool) => tools[tool].enabled);
    const collaboration =
        enabledTools.length > 0 || ci
            ? new Collaboration("tools", {
                  region: config.region,
                  stackName: config.stack,
                  vpcId: network.vpcId,
                  vpcCidr: network.vpcCidr,
                  privateSubnetIds: network.privateSubnetIds,
                  availabilityZones: network.availabilityZones,
                  adminCidrs: tools.adminCidrs,
                  certificateArn: tools.certificateArn,
                  zoneId: network.zoneId,
                  zoneName: network.zoneName,
                  accessLogBucket: web.accessLogBucket,
                  accessLogBucketPolicy: web.accessLogBucketPolicy,
                  tools: Object.fromEntries(
                      enabledTools.map((tool) => [
                          tool,
                          { instanceType: tools[tool].instanceType, dataVolumeGiB: tools[tool].dataVolumeGiB },
                      ]),
                  ),
                  extraBackends: ci
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
                  snapshotSelector: `${config.project}-${config.stack}-tools`,
                  agentParameter,
                  tags,
              })
            : undefined;

    const observability = config.monitoring.enabled
        ? new Observability("monitoring", {
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
                  ...(ci ? [{ role: "jenkins" as const, roleName: ci.roleName }] : []),
                  ...enabledTools.map((tool) => ({ role: tool, roleName: collaboration!.roleNames[tool]! })),
              ],
              loadBalancerArnSuffix: web.loadBalancerArnSuffix,
              targetGroupArnSuffix: web.targetGroupArnSuffix,
              statefulServers: statefulServers(database, messaging, ci, collaboration),
              replica: database.replicaInstanceId !== undefined,
              rabbitmqNodes: messaging?.host ? messaging.instanceIds.length : undefined,
              memcached: cache?.roleName !== undefined,
              thresholds: config.monitoring.alarms,
              // DMS sends the migration's task and instance events to the alarm topic.
              publisherServices: phaseResources(config.migration.phase).dms ? ["dms.amazonaws.com"] : [],
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
              tags,
          })
        : undefined;

    const migration =
        phaseResources(config.migration.phase).dms && database.rds
            ? new Migration("migration", {
                  region: config.region,
                  phase: config.migration.phase,
                  identifierPrefix: `${config.project}-${config.stack}`,
                  vpcId: network.vpcId,
                  privateSubnetIds: network.privateSubnetIds,
                  replicationInstanceClass: config.migration.replicationInstanceClass,
                  allocatedStorageGiB: config.migration.allocatedStorageGiB,
                  multiAz: config.migration.multiAz,
                  engineVersion: config.migration.engineVersion || undefined,
                  includeSchemas: config.migration.includeSchemas,
                  excludeSchemas: config.migration.excludeSchemas,
                  maxCdcLatencySeconds: config.migration.maxCdcLatencySeconds,
                  gateWaitSeconds: config.migration.gateWaitSeconds,
                  alarmCdcLatencySeconds: config.migration.alarmCdcLatencySeconds,
                  manageServiceRoles: config.migration.manageServiceRoles,
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
                      host: database.rds.hostName,
                      port: MYSQL_PORT,
                      masterSecretArn: database.rds.masterSecretArn,
                      securityGroupId: database.rds.securityGroupId,
                  },
                  alarmTopicArn: observability?.alarmTopicArn,
                  tags,
              })
            : undefined;
    // Last: at the cutover the names wait for the migration's gate.
    database.publishNames(
        config.database.selfManaged ? databaseDnsRecord(config.migration.phase) : RDS_FROM_THE_START,
        migration?.gate,
    );

    return { network, database, cache, messaging, web, ci, collaboration, observability, logging, migration };
}

/** The servers whose loss loses data or a quorum: watched closely, and recovered by EC2 when their host fails. */
function statefulServers(
    database: Database,
    messaging?: Messaging,
    ci?: Ci,
    collaboration?: Collaboration,
): WatchedServer[] {
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
    if (ci) {
        servers.push({ label: "jenkins", instanceId: ci.instanceId, dataPath: "/data/jenkins", recover: true });
    }
    for (const [tool, instanceId] of Object.entries(collaboration?.instanceIds ?? {})) {
        servers.push({ label: tool, instanceId, dataPath: `/data/${tool}`, recover: true });
    }
    return servers;
}

/** The stack outputs: where to reach the service, and where its data and secrets are (ARNs, never values). */
export function stackOutputs(platform: Platform): Record<string, pulumi.Output<unknown>> {
    const outputs: Record<string, pulumi.Output<unknown> | undefined> = {
        loadBalancerUrl: platform.web.url,
        vpcId: platform.network.vpcId,
        databaseDnsName: pulumi.output(platform.database.host),
        databaseSecretArn: platform.database.appSecretArn,
        databaseReadDnsName: platform.database.readHost ? pulumi.output(platform.database.readHost) : undefined,
        rdsEndpoint: platform.database.rds?.endpoint,
        rdsMasterSecretArn: platform.database.rds?.masterSecretArn,
        cacheNodes: platform.cache?.nodeList,
        brokerDnsName: platform.messaging?.host ? pulumi.output(platform.messaging.host) : undefined,
        brokerAdminSecretArn: platform.messaging?.adminSecretArn,
        artifactBucket: platform.ci?.artifactBucketName,
        deployDocument: platform.ci?.deployDocumentName,
        toolUrls: platform.collaboration ? pulumi.output(platform.collaboration.urls) : undefined,
        alarmTopicArn: platform.observability?.alarmTopicArn,
        dashboardName: platform.observability?.dashboardName,
        logsDomainEndpoint: platform.logging?.domainEndpoint,
        logsDashboardsUrl: platform.logging?.dashboardsUrl,
        logsMasterSecretArn: platform.logging?.masterSecretArn,
    };
    return Object.fromEntries(
        Object.entries(outputs).filter((entry): entry is [string, pulumi.Output<unknown>] => entry[1] !== undefined),
    );
}
