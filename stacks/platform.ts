/**
 * The composition: turns a validated StackConfig into components. Which
 * components exist, and with what sizes, is decided here and only here.
 *
 * Logical names below are part of every resource's URN. They must not depend
 * on the tier or on a switch, or growing a stack would replace its data.
 */
import * as pulumi from "@pulumi/pulumi";
import { appParameterPath, WebTier } from "../components/compute";
import { Database } from "../components/data";
import { Network } from "../components/network";
import { baseTags } from "../components/shared/tags";
import { StackConfig } from "./config";

export interface Platform {
    readonly network: Network;
    readonly database: Database;
    readonly web: WebTier;
}

export function buildPlatform(config: StackConfig): Platform {
    const tags = baseTags(config.project, config.stack);
    const network = new Network("network", {
        region: config.region,
        vpcCidr: config.network.vpcCidr,
        availabilityZones: config.network.availabilityZones,
        natGateways: config.network.natGateways,
        privateZoneName: config.network.privateZoneName,
        logRetentionDays: config.network.logRetentionDays,
        tags,
    });

    const database = new Database("db", {
        region: config.region,
        privateSubnetIds: network.privateSubnetIds,
        availabilityZones: network.availabilityZones,
        databaseSecurityGroupId: network.securityGroups.database.id,
        clientSecurityGroupIds: [network.securityGroups.web.id],
        instanceType: config.database.instanceType,
        mysqlVersion: config.database.mysqlVersion,
        dataVolume: config.database.dataVolume,
        snapshots: config.database.snapshots,
        binlogRetentionHours: config.database.binlogRetentionHours,
        zoneId: network.zoneId,
        zoneName: network.zoneName,
        snapshotSelector: `${config.project}-${config.stack}-mysql`,
        tags,
    });

    const web = new WebTier("web", {
        region: config.region,
        vpcId: network.vpcId,
        publicSubnetIds: network.publicSubnetIds,
        privateSubnetIds: network.privateSubnetIds,
        availabilityZoneCount: network.availabilityZones.length,
        loadBalancerSecurityGroupId: network.securityGroups.loadBalancer.id,
        webSecurityGroupId: network.securityGroups.web.id,
        instanceCount: config.web.instanceCount,
        instanceType: config.web.instanceType,
        rootVolumeGiB: config.web.rootVolumeGiB,
        healthCheckPath: config.web.healthCheckPath,
        certificateArn: config.loadBalancer.certificateArn,
        deletionProtection: config.loadBalancer.deletionProtection,
        accessLogRetentionDays: config.loadBalancer.accessLogRetentionDays,
        idleTimeoutSeconds: config.loadBalancer.idleTimeoutSeconds,
        appParameterPath: appParameterPath(config.project, config.stack),
        databaseHost: database.host,
        databaseSecretArn: database.appSecretArn,
        tags,
    });

    return { network, database, web };
}

/** The stack outputs: where to reach the service, and where its database and secret are. */
export function stackOutputs(platform: Platform) {
    return {
        loadBalancerUrl: platform.web.url,
        vpcId: platform.network.vpcId,
        databaseDnsName: pulumi.output(platform.database.host),
        databaseSecretArn: platform.database.appSecretArn,
    };
}
