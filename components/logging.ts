/**
 * observability: ELK on AWS (tier1m). The web servers' Filebeat ships logs
 * over TLS to Logstash OSS (an Auto Scaling group behind an internal Network
 * Load Balancer, `logstash.<zone>`:5044, which ends TLS with a certificate
 * from the estate's own CA), which indexes them into an Amazon
 * OpenSearch Service domain in the VPC; OpenSearch Dashboards is Kibana.
 * Fine-grained access control with an internal user database decides who may
 * do what; the master password is generated and kept in Secrets Manager.
 * Operating notes: docs/logging.md.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { TLS_POLICY } from "../domain/tls";
import { LogstashConfig, OpenSearchConfig } from "../domain/stack-config";
import { BootScriptBucket, bootUserData } from "./shared/boot";
import {
    AL2023_ROOT_DEVICE,
    METADATA_OPTIONS,
    al2023AmiId,
    autoScalingGroupTags,
    instanceRole,
    launchTemplateVolume,
    readSecretsPolicy,
} from "./shared/ec2";
import { allowClients, allowHttpsOut, createSecurityGroup, ingressRule } from "./shared/rules";
import { MIXED_PASSWORD, generatedSecret } from "./shared/secrets";
import { privateCertificate } from "./shared/private-ca";
import { instanceScript } from "./userdata/render";

/** Filebeat to Logstash (the Beats protocol). */
export const BEATS_PORT = 5044;
export const HTTPS_PORT = 443;
/** OpenSearch spreads a domain over at most three AZs. */
export const MAX_DOMAIN_ZONES = 3;
export const DEDICATED_MASTER_COUNT = 3;
/** At least TLS 1.2, with perfect forward secrecy only. */
export const DOMAIN_TLS_POLICY = "Policy-Min-TLS-1-2-PFS-2023-10";
/** The OpenSearch user Logstash writes as, with a role that may only write `logs-*`. */
export const LOGSTASH_USER = "logstash";
export const MASTER_USER = "admin";
/** Where the launch template attaches the persistent-queue volume. */
export const QUEUE_DEVICE_NAME = "/dev/sdf";
/** Logstash's root volume, GiB: the OS, the JDK Logstash bundles, its logs. */
export const LOGSTASH_ROOT_GIB = 20;

/** The slow and error logs the domain publishes, by the suffix of their log group. */
export const DOMAIN_LOG_TYPES = {
    INDEX_SLOW_LOGS: "index-slow",
    SEARCH_SLOW_LOGS: "search-slow",
    ES_APPLICATION_LOGS: "application",
} as const;

/** `logstash.<zone>`: what the log shippers connect to. */
export function logstashHostName(zoneName: string): string {
    return `logstash.${zoneName}`;
}

/**
 * `<project>-<stack>-logs`. Domain names are 3-28 characters of [a-z0-9-]
 * starting with a letter, and changing one replaces the domain, so a name that
 * does not fit is refused rather than shortened in some way a later version
 * might shorten differently.
 */
export function opensearchDomainName(project: string, stack: string): string {
    const name = `${project}-${stack}-logs`;
    if (!/^[a-z][a-z0-9-]{2,27}$/.test(name)) {
        throw new Error(
            `OpenSearch domain name "${name}" must be 3-28 characters of [a-z0-9-] starting with a letter; shorten the project or stack name`,
        );
    }
    return name;
}

export function domainZoneCount(availabilityZoneCount: number): number {
    return Math.min(availabilityZoneCount, MAX_DOMAIN_ZONES);
}

export interface StandbyInputs {
    engineVersion: string;
    instanceType: string;
    instanceCount: number;
    zones: number;
}

/**
 * Why Multi-AZ with Standby cannot be switched on for this domain, or
 * undefined when it can: it needs OpenSearch 1.3 or later, three AZs, a
 * multiple of three data nodes, dedicated masters (always on here), gp3
 * storage (always here) and a non-burstable current instance type.
 */
export function multiAzWithStandbyProblem(inputs: StandbyInputs): string | undefined {
    const version = /^OpenSearch_(\d+)\.(\d+)$/.exec(inputs.engineVersion);
    if (!version || Number(version[1]) * 1000 + Number(version[2]) < 1003) {
        return `${inputs.engineVersion} is older than OpenSearch_1.3`;
    }
    if (inputs.zones !== 3) {
        return `the domain spans ${inputs.zones} AZs, not 3`;
    }
    if (inputs.instanceCount % 3 !== 0) {
        return `${inputs.instanceCount} data nodes is not a multiple of 3`;
    }
    if (/^(t2|t3|t4g|m3|m4|r3|r4|c4|i2)\./.test(inputs.instanceType)) {
        return `${inputs.instanceType} is a burstable or previous-generation type`;
    }
    return undefined;
}

/** The domain's cluster layout: data nodes over up to three AZs, three dedicated masters. */
export function clusterConfig(
    config: OpenSearchConfig,
    availabilityZoneCount: number,
): aws.types.input.opensearch.DomainClusterConfig {
    const zones = domainZoneCount(availabilityZoneCount);
    const standby =
        multiAzWithStandbyProblem({
            engineVersion: config.engineVersion,
            instanceType: config.instanceType,
            instanceCount: config.instanceCount,
            zones,
        }) === undefined;
    return {
        instanceType: config.instanceType,
        instanceCount: config.instanceCount,
        zoneAwarenessEnabled: zones > 1,
        ...(zones > 1 ? { zoneAwarenessConfig: { availabilityZoneCount: zones } } : {}),
        dedicatedMasterEnabled: true,
        dedicatedMasterCount: DEDICATED_MASTER_COUNT,
        dedicatedMasterType: config.masterInstanceType,
        multiAzWithStandbyEnabled: standby,
    };
}

/**
 * Shards of each daily `logs-*` index: one primary per data node of an AZ,
 * and a replica in every other AZ, so each AZ holds a full copy (what Multi-AZ
 * with Standby requires, and what survives an AZ's loss otherwise).
 */
export function logIndexSettings(instanceCount: number, availabilityZoneCount: number) {
    const zones = domainZoneCount(availabilityZoneCount);
    return { shards: Math.max(1, Math.floor(instanceCount / zones)), replicas: Math.max(1, zones - 1) };
}

/** Logstash's persistent queue may fill this much of its volume, GB; the rest is headroom for page files. */
export function queueMaxGigabytes(volumeGiB: number): number {
    return Math.floor(volumeGiB * 0.8);
}

export function domainArn(region: string, accountId: string, domainName: string): string {
    return `arn:aws:es:${region}:${accountId}:domain/${domainName}`;
}

/**
 * Every HTTP verb on the domain, from any principal: the domain is reachable
 * only inside the VPC (its security group decides from where), and
 * fine-grained access control authenticates every request. Naming IAM
 * principals here would demand SigV4-signed requests, which the internal
 * users' basic authentication (Logstash, Dashboards logins) cannot send.
 */
export function domainAccessPolicy(arn: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "es:ESHttp*", Resource: `${arn}/*` }],
    });
}

/** Lets OpenSearch Service write this domain's logs into these log groups, and no other domain's. */
export function logPublishingPolicy(
    logGroupArns: readonly string[],
    accountId: string,
    sourceDomainArn: string,
): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "OpenSearchPublishesDomainLogs",
                Effect: "Allow",
                Principal: { Service: "es.amazonaws.com" },
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource: logGroupArns.map((arn) => `${arn}:*`),
                Condition: {
                    StringEquals: { "aws:SourceAccount": accountId },
                    ArnLike: { "aws:SourceArn": sourceDomainArn },
                },
            },
        ],
    });
}

export interface LoggingArgs {
    region: string;
    /** Project and stack names: the domain is named `<project>-<stack>-logs`. */
    project: string;
    stack: string;
    vpcId: pulumi.Input<string>;
    /** The VPC's CIDR: where Dashboards is reached from through Session Manager port forwarding. */
    vpcCidr: string;
    /** Private subnets in AZ order; the domain uses the first `min(AZs, 3)`, Logstash all of them. */
    privateSubnetIds: pulumi.Input<string[]>;
    /** AZ names in the same order as the subnets. */
    availabilityZones: readonly string[];
    /** Security groups of the servers that ship logs (the web tier): the only ones allowed on 5044. */
    clientSecurityGroupIds: pulumi.Input<string>[];
    opensearch: OpenSearchConfig;
    logstash: LogstashConfig;
    /** Days the domain's slow and error logs are kept in CloudWatch Logs. */
    logRetentionDays: number;
    /** Private hosted zone for `logstash.<zone>`. */
    zoneId: pulumi.Input<string>;
    zoneName: string;
    /** Refuse deletion of the load balancer. */
    deletionProtection: boolean;
    /** Where the Logstash servers' boot script is published. */
    bootScripts: BootScriptBucket;
}

/** Days the Beats certificate is valid, and how long before its end `pulumi up` issues the next one. */
export const BEATS_CERTIFICATE_DAYS = { valid: 2 * 365, renewBefore: 60 } as const;

export class Logging extends pulumi.ComponentResource {
    public readonly domainName: string;
    /** The account that owns the domain: its CloudWatch metrics carry it as `ClientId`. */
    public readonly accountId: pulumi.Output<string>;
    public readonly domainArn: pulumi.Output<string>;
    /** The domain's VPC endpoint (host name, no scheme). */
    public readonly domainEndpoint: pulumi.Output<string>;
    /** `https://<vpc endpoint>/_dashboards`, reachable from inside the VPC only. */
    public readonly dashboardsUrl: pulumi.Output<string>;
    /** The master user's secret (`username`, `password`): for people and the Logstash bootstrap. */
    public readonly masterSecretArn: pulumi.Output<string>;
    /** `logstash.<zone>`, what the log shippers send to on 5044, over TLS. */
    public readonly logstashHost: string;
    /** The CA (PEM) that signed the certificate the shippers are served: what they trust. Not a secret. */
    public readonly logstashCaCertificate: pulumi.Output<string>;
    public readonly logstashGroupName: pulumi.Output<string>;
    public readonly logstashSecurityGroupId: pulumi.Output<string>;
    public readonly roleName: pulumi.Output<string>;

    constructor(name: string, args: LoggingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scale-tiers:observability:Logging", name, {}, opts);
        const parent = { parent: this };
        const accountId = aws.getCallerIdentityOutput({}, parent).accountId;
        this.accountId = accountId;
        this.domainName = opensearchDomainName(args.project, args.stack);
        this.logstashHost = logstashHostName(args.zoneName);

        const domainSg = createSecurityGroup(`${name}-search-sg`, args.vpcId, "OpenSearch domain", this);
        const logstashSg = createSecurityGroup(`${name}-logstash-sg`, args.vpcId, "Logstash servers", this);
        const nlbSg = createSecurityGroup(`${name}-nlb-sg`, args.vpcId, "Logstash load balancer", this);
        this.logstashSecurityGroupId = logstashSg.id;
        this.createSecurityGroupRules(name, args, domainSg.id, logstashSg.id, nlbSg.id);

        // OpenSearch demands an upper- and lower-case letter, a digit and a special character.
        const password = { ...MIXED_PASSWORD, minSpecial: 2 };
        const userSecret = (secretName: string, user: string, description: string) =>
            generatedSecret(
                `${name}-${secretName}`,
                { description, password, content: (value) => ({ username: user, password: value }) },
                this,
            );
        const master = userSecret("master", MASTER_USER, "OpenSearch master user (fine-grained access control)");
        const logstashUser = userSecret("logstash", LOGSTASH_USER, "OpenSearch user Logstash indexes as");
        this.masterSecretArn = master.arn;

        const arn = accountId.apply((account) => domainArn(args.region, account, this.domainName));
        const domain = this.createDomain(name, args, domainSg.id, master.version, accountId, arn);
        this.domainArn = domain.arn;
        this.domainEndpoint = domain.endpoint;
        this.dashboardsUrl = pulumi.interpolate`https://${domain.dashboardEndpoint}`;

        const { role, profile, bootScripts } = instanceRole(
            `${name}-logstash`,
            arn.apply((resource) =>
                readSecretsPolicy(
                    [master.arn, logstashUser.arn],
                    [{ Sid: "FindDomainEndpoint", Effect: "Allow", Action: "es:DescribeDomain", Resource: resource }],
                ),
            ),
            args.bootScripts,
            this,
        );
        this.roleName = role.name;

        const script = pulumi.all([master.arn, logstashUser.arn]).apply(([masterArn, logstashArn]) => {
            const index = logIndexSettings(args.opensearch.instanceCount, args.availabilityZones.length);
            return instanceScript("logstash", {
                AWS_REGION_NAME: args.region,
                DOMAIN_NAME: this.domainName,
                MASTER_SECRET_ARN: masterArn,
                LOGSTASH_SECRET_ARN: logstashArn,
                QUEUE_DEVICE_NAME,
                QUEUE_MAX_GB: queueMaxGigabytes(args.logstash.queueVolumeGiB),
                INDEX_SHARDS: index.shards,
                INDEX_REPLICAS: index.replicas,
            });
        });
        const boot = bootUserData(`${name}-logstash`, bootScripts, script, this);
        const template = new aws.ec2.LaunchTemplate(
            `${name}-logstash`,
            {
                description: "Logstash OSS: Beats in, OpenSearch out",
                imageId: al2023AmiId(args.logstash.instanceType, parent),
                instanceType: args.logstash.instanceType,
                iamInstanceProfile: { arn: profile.arn },
                vpcSecurityGroupIds: [logstashSg.id],
                metadataOptions: METADATA_OPTIONS,
                monitoring: { enabled: true },
                // The root, and each instance's own queue: events it accepted but has not indexed yet.
                blockDeviceMappings: [
                    launchTemplateVolume(AL2023_ROOT_DEVICE, LOGSTASH_ROOT_GIB),
                    launchTemplateVolume(QUEUE_DEVICE_NAME, args.logstash.queueVolumeGiB),
                ],
                userData: boot.userDataBase64,
                tagSpecifications: ["instance", "volume", "network-interface"].map((resourceType) => ({
                    resourceType,
                    tags: { Name: `${name}-logstash`, role: "logstash" },
                })),
            },
            // A version names its boot script: the object and the role's grant to read it come first.
            { parent: this, dependsOn: boot.dependsOn },
        );

        const beats = this.createBeatsCertificate(name);
        this.logstashCaCertificate = beats.caCertificate;
        const { loadBalancer, targetGroup } = this.createLoadBalancer(name, args, nlbSg.id, beats.certificateArn);
        const group = new aws.autoscaling.Group(
            `${name}-logstash`,
            {
                vpcZoneIdentifiers: args.privateSubnetIds,
                minSize: args.logstash.instanceCount,
                maxSize: args.logstash.instanceCount,
                desiredCapacity: args.logstash.instanceCount,
                launchTemplate: { id: template.id, version: pulumi.interpolate`${template.latestVersion}` },
                targetGroupArns: [targetGroup.arn],
                healthCheckType: "ELB",
                // Installing Logstash and its OpenSearch plugin takes a few minutes.
                healthCheckGracePeriod: 900,
                instanceRefresh: {
                    strategy: "Rolling",
                    preferences: { minHealthyPercentage: 50, instanceWarmup: "600" },
                },
                enabledMetrics: ["GroupInServiceInstances", "GroupDesiredCapacity", "GroupTerminatingInstances"],
                tags: autoScalingGroupTags({ Name: `${name}-logstash` }),
            },
            // The instances wait for the domain and read both secrets while they boot.
            { parent: this, dependsOn: [domain, master.version, logstashUser.version] },
        );
        this.logstashGroupName = group.name;

        new aws.route53.Record(
            `${name}-logstash-dns`,
            {
                zoneId: args.zoneId,
                name: this.logstashHost,
                type: "A",
                aliases: [{ name: loadBalancer.dnsName, zoneId: loadBalancer.zoneId, evaluateTargetHealth: true }],
            },
            parent,
        );

        this.registerOutputs({
            domainName: this.domainName,
            domainArn: this.domainArn,
            domainEndpoint: this.domainEndpoint,
            dashboardsUrl: this.dashboardsUrl,
            masterSecretArn: this.masterSecretArn,
            logstashHost: this.logstashHost,
            logstashGroupName: this.logstashGroupName,
        });
    }

    private createDomain(
        name: string,
        args: LoggingArgs,
        securityGroupId: pulumi.Output<string>,
        masterSecret: aws.secretsmanager.SecretVersion,
        accountId: pulumi.Output<string>,
        arn: pulumi.Output<string>,
    ): aws.opensearch.Domain {
        const parent = { parent: this };
        const logGroups = Object.entries(DOMAIN_LOG_TYPES).map(
            ([logType, suffix]) =>
                [
                    logType,
                    new aws.cloudwatch.LogGroup(
                        `${name}-${suffix}-logs`,
                        {
                            name: `/aws/opensearch/${this.domainName}/${suffix}`,
                            retentionInDays: args.logRetentionDays,
                        },
                        parent,
                    ),
                ] as const,
        );
        const publishing = new aws.cloudwatch.LogResourcePolicy(
            `${name}-log-publishing`,
            {
                policyName: `${this.domainName}-log-publishing`,
                policyDocument: pulumi
                    .all([pulumi.all(logGroups.map(([, group]) => group.arn)), accountId, arn])
                    .apply(([groupArns, account, sourceArn]) => logPublishingPolicy(groupArns, account, sourceArn)),
            },
            parent,
        );
        const zones = domainZoneCount(args.availabilityZones.length);
        return new aws.opensearch.Domain(
            `${name}-domain`,
            {
                domainName: this.domainName,
                engineVersion: args.opensearch.engineVersion,
                clusterConfig: clusterConfig(args.opensearch, args.availabilityZones.length),
                vpcOptions: {
                    subnetIds: pulumi.output(args.privateSubnetIds).apply((ids) => ids.slice(0, zones)),
                    securityGroupIds: [securityGroupId],
                },
                ebsOptions: { ebsEnabled: true, volumeType: "gp3", volumeSize: args.opensearch.volumeGiB },
                encryptAtRest: { enabled: true },
                nodeToNodeEncryption: { enabled: true },
                domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: DOMAIN_TLS_POLICY },
                advancedSecurityOptions: {
                    enabled: true,
                    anonymousAuthEnabled: false,
                    internalUserDatabaseEnabled: true,
                    masterUserOptions: {
                        masterUserName: MASTER_USER,
                        masterUserPassword: pulumi.secret(
                            masterSecret.secretString.apply(
                                (value) => (JSON.parse(value!) as { password: string }).password,
                            ),
                        ),
                    },
                },
                accessPolicies: arn.apply(domainAccessPolicy),
                logPublishingOptions: logGroups.map(([logType, group]) => ({
                    logType,
                    cloudwatchLogGroupArn: group.arn,
                    enabled: true,
                })),
                // Auto-Tune and service software updates apply their changes in the off-peak window.
                autoTuneOptions: { desiredState: "ENABLED", rollbackOnDisable: "NO_ROLLBACK", useOffPeakWindow: true },
                offPeakWindowOptions: { enabled: true },
                softwareUpdateOptions: { autoSoftwareUpdateEnabled: true },
            },
            // OpenSearch checks that it may write to the log groups when publishing is switched on.
            { parent: this, dependsOn: [publishing], protect: true },
        );
    }

    /**
     * A CA of the estate's own and the certificate the load balancer serves
     * the shippers for `logstash.<zone>` (a private name no public CA
     * certifies), imported into ACM. The keys live in Pulumi state as secrets
     * and in ACM, never on a server; the shippers get only the CA certificate.
     * `pulumi up` issues the next certificate in the last
     * `BEATS_CERTIFICATE_DAYS.renewBefore` days and re-imports it under the same ARN.
     */
    private createBeatsCertificate(name: string) {
        const parent = { parent: this };
        const certificate = privateCertificate(
            { name: `${name}-beats`, commonName: `${this.logstashHost} CA` },
            {
                name: `${name}-beats`,
                commonName: this.logstashHost,
                dnsNames: [this.logstashHost],
                validDays: BEATS_CERTIFICATE_DAYS.valid,
                renewBeforeDays: BEATS_CERTIFICATE_DAYS.renewBefore,
            },
            this,
        );
        const imported = new aws.acm.Certificate(
            `${name}-beats-acm`,
            {
                privateKey: certificate.privateKeyPem,
                certificateBody: certificate.certPem,
                certificateChain: certificate.caCertPem,
            },
            parent,
        );
        return { certificateArn: imported.arn, caCertificate: certificate.caCertPem };
    }

    private createLoadBalancer(
        name: string,
        args: LoggingArgs,
        securityGroupId: pulumi.Output<string>,
        certificateArn: pulumi.Output<string>,
    ): { loadBalancer: aws.lb.LoadBalancer; targetGroup: aws.lb.TargetGroup } {
        const parent = { parent: this };
        const loadBalancer = new aws.lb.LoadBalancer(
            `${name}-nlb`,
            {
                loadBalancerType: "network",
                internal: true,
                subnets: args.privateSubnetIds,
                // Only at creation can a Network Load Balancer get security groups.
                securityGroups: [securityGroupId],
                // Two Logstash servers in three AZs: every AZ's load balancer node must reach both.
                enableCrossZoneLoadBalancing: true,
                enableDeletionProtection: args.deletionProtection,
            },
            parent,
        );
        const targetGroup = new aws.lb.TargetGroup(
            `${name}-logstash-tg`,
            {
                vpcId: args.vpcId,
                targetType: "instance",
                protocol: "TCP",
                port: BEATS_PORT,
                // Logstash sees the load balancer's address, so its group can admit the load balancer's
                // group; Beats events carry the sending host's name anyway.
                preserveClientIp: "false",
                // Beats connections are long-lived: closing them after draining moves the shippers on.
                deregistrationDelay: 60,
                connectionTermination: true,
                healthCheck: {
                    enabled: true,
                    protocol: "TCP",
                    port: "traffic-port",
                    interval: 10,
                    healthyThreshold: 3,
                    unhealthyThreshold: 3,
                },
            },
            parent,
        );
        // TLS ends here; from the load balancer to Logstash the events cross the VPC in TCP, admitted
        // from the load balancer's security group only.
        new aws.lb.Listener(
            `${name}-beats`,
            {
                loadBalancerArn: loadBalancer.arn,
                port: BEATS_PORT,
                protocol: "TLS",
                sslPolicy: TLS_POLICY,
                certificateArn,
                defaultActions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
            },
            parent,
        );
        return { loadBalancer, targetGroup };
    }

    private createSecurityGroupRules(
        name: string,
        args: LoggingArgs,
        domainSgId: pulumi.Output<string>,
        logstashSgId: pulumi.Output<string>,
        nlbSgId: pulumi.Output<string>,
    ): void {
        allowClients(`${name}-beats`, nlbSgId, args.clientSecurityGroupIds, { from: BEATS_PORT }, "Beats", this);
        allowClients(`${name}-logstash`, logstashSgId, [nlbSgId], { from: BEATS_PORT }, "Beats", this);
        allowClients(`${name}-search`, domainSgId, [logstashSgId], { from: HTTPS_PORT }, "OpenSearch", this);
        // Session Manager port forwarding reaches Dashboards through whichever managed instance an
        // operator picks (a Logstash server mid-refresh, a web or tool server); fine-grained access
        // control still authenticates every request, and nothing outside the VPC can route here.
        ingressRule(
            `${name}-search-in-vpc`,
            {
                securityGroupId: domainSgId,
                ports: { from: HTTPS_PORT },
                peer: { cidr: args.vpcCidr },
                description: "OpenSearch and Dashboards from the VPC (Session Manager port forwarding)",
            },
            this,
        );
        // Packages, the OpenSearch plugin from rubygems.org, Secrets Manager, and the domain itself.
        allowHttpsOut(`${name}-logstash-out-https`, logstashSgId, this);
    }
}
