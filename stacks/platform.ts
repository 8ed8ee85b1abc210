/**
 * The composition: turns a validated StackConfig into components. Which
 * components exist, and with what sizes, is decided here and only here.
 *
 * Logical names below are part of every resource's URN. They must not depend
 * on the tier or on a switch, or growing a stack would replace its data.
 */
import * as pulumi from "@pulumi/pulumi";
import { CostBudget } from "../components/budget";
import { Cache } from "../components/cache";
import { Ci } from "../components/ci";
import { Collaboration } from "../components/collaboration";
import { WebTier } from "../components/compute";
import { Database } from "../components/data";
import { WebFirewall } from "../components/firewall";
import { Logging } from "../components/logging";
import { Messaging } from "../components/messaging";
import { Migration } from "../components/migration";
import { Network } from "../components/network";
import { Observability } from "../components/observability";
import { StackConfig } from "../domain/stack-config";
import {
    budgetArgs,
    buildContext,
    cacheArgs,
    ciArgs,
    collaborationArgs,
    databaseArgs,
    firewallArgs,
    loggingArgs,
    messagingArgs,
    migrationArgs,
    networkArgs,
    observabilityArgs,
    statefulServers,
    webArgs,
} from "./component-args";
import { RegisteredResources } from "./cost";
import { databaseNames, hasCache, hasCi, hasCollaboration, hasMessaging, runsDms } from "./decisions";

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
    readonly budget?: CostBudget;
    readonly firewall?: WebFirewall;
}

export function buildPlatform(config: StackConfig): Platform {
    // Before the first resource: the budget prices everything the program registers.
    const registered = config.budget.enabled ? new RegisteredResources() : undefined;
    const context = buildContext(config);
    const network = new Network("network", networkArgs(context));
    const database = new Database("db", databaseArgs(context, network));
    const cache = hasCache(config) ? new Cache("cache", cacheArgs(context, network)) : undefined;
    const messaging = hasMessaging(config) ? new Messaging("mq", messagingArgs(context, network)) : undefined;
    const ci = hasCi(config) ? new Ci("ci", ciArgs(context, network)) : undefined;
    const logging = config.logging.enabled ? new Logging("logs", loggingArgs(context, network)) : undefined;
    const web = new WebTier("web", webArgs(context, { network, database, cache, messaging, ci, logging }));
    const collaboration = hasCollaboration(config)
        ? new Collaboration("tools", collaborationArgs(context, network, web, ci))
        : undefined;
    const watched = { network, database, cache, messaging, ci, logging, web, collaboration };
    const observability = config.monitoring.enabled
        ? new Observability("monitoring", observabilityArgs(context, watched))
        : undefined;
    // The config refuses WAF without monitoring: its alarm needs the topic.
    const firewall =
        config.waf.enabled && observability
            ? new WebFirewall("waf", firewallArgs(context, web, observability.alarmTopicArn))
            : undefined;
    const rds = database.rds;
    const migration =
        runsDms(config) && rds
            ? new Migration("migration", migrationArgs(context, network, database, rds, observability?.alarmTopicArn))
            : undefined;
    // Last: at the cutover the names wait for the migration's gate.
    database.publishNames(databaseNames(config), migration?.gate);
    const budget = registered
        ? new CostBudget("budget", budgetArgs(context, registered.estimatedMonthlyUsd(config), observability))
        : undefined;

    return {
        network,
        database,
        cache,
        messaging,
        web,
        ci,
        collaboration,
        observability,
        logging,
        migration,
        firewall,
        budget,
    };
}

/** The stateful servers' instance ids by label (`db-primary`, `mq-0`, `jenkins`, `jira`...), if the stack has any. */
function serverInstanceIds(platform: Platform): pulumi.Output<Record<string, string>> | undefined {
    const servers = statefulServers(platform);
    return servers.length > 0
        ? pulumi.all(Object.fromEntries(servers.map((server) => [server.label, server.instanceId])))
        : undefined;
}

/** The stack outputs: where to reach the service, and where its data and secrets are (ARNs, never values). */
export function stackOutputs(platform: Platform): Record<string, pulumi.Output<unknown>> {
    const outputs: Record<string, pulumi.Output<unknown> | undefined> = {
        siteUrl: platform.web.siteUrl ? pulumi.output(platform.web.siteUrl) : undefined,
        loadBalancerDnsName: platform.web.loadBalancerDnsName,
        // Only a plain-HTTP demo is reached by the load balancer's own name.
        loadBalancerUrl: platform.web.plainHttpUrl,
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
        bootScriptBucket: platform.network.bootScripts.name,
        deployDocument: platform.ci?.deployDocumentName,
        toolUrls: platform.collaboration ? pulumi.output(platform.collaboration.urls) : undefined,
        alarmTopicArn: platform.observability?.alarmTopicArn,
        dashboardName: platform.observability?.dashboardName,
        logsDomainEndpoint: platform.logging?.domainEndpoint,
        logsDashboardsUrl: platform.logging?.dashboardsUrl,
        logsMasterSecretArn: platform.logging?.masterSecretArn,
        // What the runbooks act on: Session Manager and Run Command need instance ids, DMS its ARNs.
        serverInstanceIds: serverInstanceIds(platform),
        migrationAccountSetupDocument: platform.migration?.accountSetupDocumentName,
        migrationReplicationInstanceArn: platform.migration?.replicationInstanceArn,
        migrationForwardTaskArn: platform.migration?.forwardTaskArn,
        migrationReverseTaskArn: platform.migration?.reverseTaskArn,
        budgetName: platform.budget?.budgetName,
        budgetLimitUsd: platform.budget?.limitUsd,
    };
    return Object.fromEntries(
        Object.entries(outputs).filter((entry): entry is [string, pulumi.Output<unknown>] => entry[1] !== undefined),
    );
}
