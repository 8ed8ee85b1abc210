/**
 * compute: the internet-facing Application Load Balancer (HTTPS with its
 * certificate and names, HTTP redirecting to it, target group, access logs)
 * and the web tier in the private subnets, as fixed EC2
 * instances or as an Auto Scaling group (launch template, target tracking on
 * CPU and requests, rolling instance refresh). Web servers learn the database
 * name and the ARN of its application secret from SSM parameters this
 * component writes; never the secret itself.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    AL2023_ROOT_DEVICE,
    METADATA_OPTIONS,
    al2023AmiId,
    autoScalingGroupTags,
    instanceRole,
    launchTemplateVolume,
    rootVolume,
} from "./shared/ec2";
import { DEPLOY_GROUP_TAG, RELEASES_PREFIX } from "../domain/delivery";
import { Tags } from "../domain/tags";
import { HTTPS_REDIRECT } from "../domain/tls";
import { BootScriptBucket, BootUserData, bootUserData } from "./shared/boot";
import { privateBucket } from "./shared/bucket";
import { PublicZone, aliasRecord, dnsValidatedCertificate, httpsListener } from "./shared/certificate";
import { allowClients, allowHttpsOut, ingressRule } from "./shared/rules";
import { instanceScript } from "./userdata/render";

/** The port nginx listens on behind the load balancer. */
export const WEB_PORT = 80;

/** The subnet index (and so AZ) of web instance `index`: round-robin over the AZs. */
export function webInstanceSubnetIndex(index: number, azCount: number): number {
    return index % azCount;
}

/** SSM parameter path under which the web servers find their settings. */
export function appParameterPath(project: string, stack: string): string {
    return `/${project}/${stack}/app`;
}

/** `web.autoScaling` (docs/configuration.md) as the web tier uses it. */
export interface WebAutoScaling {
    /** Fewest instances; at least one per AZ. */
    minSize: number;
    /** Most instances. */
    maxSize: number;
    /** Average CPU utilisation the group scales to hold, percent. */
    targetCpuPercent: number;
    /** Load balancer requests per instance per minute the group scales to hold. */
    targetRequestsPerMinute: number;
    /** Seconds after launch before failed load balancer health checks make the group replace an instance. */
    healthCheckGraceSeconds: number;
    /** Seconds a new instance takes to serve; until then it counts neither in the scaling metrics nor as refreshed. */
    instanceWarmupSeconds: number;
    /** Share of the desired capacity an instance refresh keeps in service, percent (0-100). */
    minHealthyPercent: number;
}

export interface WebTierArgs {
    region: string;
    vpcId: pulumi.Input<string>;
    /** Where the load balancer lives. */
    publicSubnetIds: pulumi.Input<string[]>;
    /** Where the web servers live, in AZ order. */
    privateSubnetIds: pulumi.Input<string[]>;
    /** Number of AZs, to spread the instances round-robin. */
    availabilityZoneCount: number;
    loadBalancerSecurityGroupId: pulumi.Input<string>;
    webSecurityGroupId: pulumi.Input<string>;
    /** Number of fixed web instances, 1 or more; ignored with `autoScaling`. */
    instanceCount: number;
    /** Run the servers as an Auto Scaling group instead of `instanceCount` fixed instances. Default: fixed. */
    autoScaling?: WebAutoScaling;
    /** EC2 instance type of each web server. */
    instanceType: string;
    /** Root volume size, GiB. */
    rootVolumeGiB: number;
    /** Path the target group probes, answered with 200 by every server. */
    healthCheckPath: string;
    /**
     * HTTPS on 443 (HTTP on 80 redirects to it): with a certificate issued
     * here for `hosts` (the first is `siteUrl`'s) in a public zone, where
     * their alias records go, or with a certificate of your own (ACM ARN).
     * Default: plain HTTP on 80, for a demo.
     */
    tls?: { zone: PublicZone; hosts: readonly string[] } | { certificateArn: string };
    /** Refuse deletion of the load balancer. */
    deletionProtection: boolean;
    /** Days the access logs are kept. */
    accessLogRetentionDays: number;
    /** Idle timeout of client connections, seconds. */
    idleTimeoutSeconds: number;
    /** SSM path for the servers' settings, e.g. `/scale-tiers/tier30k/app`. */
    appParameterPath: string;
    /** DNS name applications use for the database, e.g. `db.scale-tiers.internal`. */
    databaseHost: pulumi.Input<string>;
    /** ARN of the database's application secret; the servers may read this secret and no other. */
    databaseSecretArn: pulumi.Input<string>;
    /** memcached nodes (`ip:port,...`), published for the servers when there is a cache. */
    cacheNodes?: pulumi.Input<string>;
    /** DNS name of the message broker, published for the servers when there is one. */
    amqpHost?: string;
    /**
     * SQS queues the servers use, when the stack has them: their ARNs (the
     * servers may send, receive and delete messages there and nowhere else) and
     * `name=url,name=url`, published as `<appParameterPath>/queue-urls`.
     */
    queues?: { arns: pulumi.Input<string[]>; urls: pulumi.Input<string> };
    /** The cache speaks TLS (ElastiCache in-transit encryption); published as `cache-tls` = `true`. Default false. */
    cacheTls?: boolean;
    /** DNS name of the Logstash endpoint the servers ship logs to, published as `logstash-host`. Default: none. */
    logstashHost?: pulumi.Input<string>;
    /** The CA (PEM) the Logstash endpoint's TLS certificate is checked against, published as `logstash-ca`. */
    logstashCaCertificate?: pulumi.Input<string>;
    /** SSM parameter the servers' CloudWatch agent config is pulled from. */
    cloudWatchAgentParameter: string;
    /** Where releases come from, when the stack has CI; the servers may read its releases and nothing else. */
    artifactBucket?: { name: pulumi.Input<string>; arn: pulumi.Input<string> };
    /** Value of the deploy-group tag by which deploys select these servers. */
    deployGroup: string;
    /** Where the servers' boot script is published. */
    bootScripts: BootScriptBucket;
}

/** What every web server is made of, fixed or in the group. */
interface ServerParts {
    amiId: pulumi.Output<string>;
    /** The loader, and the published script and grant it needs first. */
    boot: BootUserData;
    targetGroup: aws.lb.TargetGroup;
    /** The app parameters the boot script reads. */
    parameters: aws.ssm.Parameter[];
}

interface FixedServer extends ServerParts {
    profile: aws.iam.InstanceProfile;
}

interface GroupServer extends ServerParts {
    instanceProfileArn: pulumi.Output<string>;
    loadBalancer: aws.lb.LoadBalancer;
}

export class WebTier extends pulumi.ComponentResource {
    public readonly loadBalancerArn: pulumi.Output<string>;
    /** `app/<name>/<id>`, the dimension of the load balancer's CloudWatch metrics. */
    public readonly loadBalancerArnSuffix: pulumi.Output<string>;
    public readonly targetGroupArnSuffix: pulumi.Output<string>;
    public readonly loadBalancerDnsName: pulumi.Output<string>;
    /** `https://<first host>`, when the site has names of its own. */
    public readonly siteUrl?: string;
    /** `http://<dns>`, when the site is served over plain HTTP. */
    public readonly plainHttpUrl?: pulumi.Output<string>;
    public readonly targetGroupArn: pulumi.Output<string>;
    public readonly accessLogBucket: pulumi.Output<string>;
    /** The log bucket's policy: a load balancer logging there must be created after it. */
    public readonly accessLogBucketPolicy: aws.s3.BucketPolicy;
    /** The fixed instances; empty when the servers are an Auto Scaling group. */
    public readonly instanceIds: pulumi.Output<string>[];
    /** The Auto Scaling group's name, when the servers are one. */
    public readonly autoScalingGroupName?: pulumi.Output<string>;
    public readonly roleName: pulumi.Output<string>;

    constructor(name: string, args: WebTierArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scale-tiers:compute:WebTier", name, {}, opts);
        const parent = { parent: this };
        const https = args.tls !== undefined;
        const accountId = aws.getCallerIdentityOutput({}, parent).accountId;

        const logs = this.createAccessLogBucket(name, args, accountId);
        this.accessLogBucket = logs.bucket.bucket;
        this.accessLogBucketPolicy = logs.policy;

        const loadBalancer = new aws.lb.LoadBalancer(
            `${name}-alb`,
            {
                loadBalancerType: "application",
                internal: false,
                subnets: args.publicSubnetIds,
                securityGroups: [args.loadBalancerSecurityGroupId],
                dropInvalidHeaderFields: true,
                enableDeletionProtection: args.deletionProtection,
                idleTimeout: args.idleTimeoutSeconds,
                accessLogs: { bucket: logs.bucket.bucket, prefix: ACCESS_LOG_PREFIX, enabled: true },
            },
            // ELB checks that it may write to the bucket when logging is switched on.
            { parent: this, dependsOn: [logs.policy] },
        );
        this.loadBalancerArn = loadBalancer.arn;
        this.loadBalancerArnSuffix = loadBalancer.arnSuffix;
        this.loadBalancerDnsName = loadBalancer.dnsName;
        if (!https) {
            this.plainHttpUrl = pulumi.interpolate`http://${loadBalancer.dnsName}`;
        }
        if (args.tls && "zone" in args.tls) {
            const { zone, hosts } = args.tls;
            hosts.forEach((host) =>
                aliasRecord(`${name}-site-${host}`, { zoneId: zone.zoneId, host, loadBalancer }, this),
            );
            this.siteUrl = `https://${hosts[0]}`;
        }

        const targetGroup = new aws.lb.TargetGroup(
            `${name}-tg`,
            {
                vpcId: args.vpcId,
                targetType: "instance",
                protocol: "HTTP",
                port: WEB_PORT,
                deregistrationDelay: 30,
                healthCheck: {
                    enabled: true,
                    protocol: "HTTP",
                    path: args.healthCheckPath,
                    matcher: "200",
                    interval: 15,
                    timeout: 5,
                    healthyThreshold: 2,
                    unhealthyThreshold: 3,
                },
            },
            parent,
        );
        this.targetGroupArn = targetGroup.arn;
        this.targetGroupArnSuffix = targetGroup.arnSuffix;
        this.createListeners(name, args, loadBalancer, targetGroup);
        this.createSecurityGroupRules(name, args, https);

        // The servers re-read these every few minutes, so a new cache node or broker reaches them in place.
        const parameters = Object.entries(appParameterValues(args)).map(
            ([key, value]) =>
                new aws.ssm.Parameter(
                    `${name}-${key}-param`,
                    { name: `${args.appParameterPath}/${key}`, type: "String", value },
                    parent,
                ),
        );
        const { role, profile, bootScripts } = instanceRole(
            name,
            pulumi
                .all([args.databaseSecretArn, accountId, args.artifactBucket?.arn, args.queues?.arns])
                .apply(([databaseSecretArn, account, artifactBucketArn, queueArns]) =>
                    webPolicy({
                        region: args.region,
                        accountId: account,
                        appParameterPath: args.appParameterPath,
                        databaseSecretArn,
                        artifactBucketArn,
                        queueArns,
                    }),
                ),
            args.bootScripts,
            this,
        );
        this.roleName = role.name;

        const amiId = al2023AmiId(args.instanceType, parent);
        const boot = bootUserData(
            name,
            bootScripts,
            instanceScript("web", {
                AWS_REGION_NAME: args.region,
                APP_PARAMETER_PATH: args.appParameterPath,
                HEALTH_CHECK_PATH: args.healthCheckPath,
                APP_PORT: WEB_PORT,
                CLOUDWATCH_AGENT_PARAMETER: args.cloudWatchAgentParameter,
            }),
            this,
        );
        this.instanceIds = [];
        if (args.autoScaling) {
            this.autoScalingGroupName = this.createAutoScalingGroup(name, args, args.autoScaling, {
                amiId,
                boot,
                instanceProfileArn: profile.arn,
                loadBalancer,
                targetGroup,
                parameters,
            });
        } else {
            this.createFixedInstances(name, args, { amiId, boot, profile, targetGroup, parameters });
        }

        this.registerOutputs({
            siteUrl: this.siteUrl,
            plainHttpUrl: this.plainHttpUrl,
            targetGroupArn: this.targetGroupArn,
            instanceIds: this.instanceIds,
            autoScalingGroupName: this.autoScalingGroupName,
        });
    }

    private createFixedInstances(name: string, args: WebTierArgs, server: FixedServer): void {
        const subnetIds = pulumi.output(args.privateSubnetIds);
        for (let index = 0; index < args.instanceCount; index++) {
            const instanceName = `${name}-${index}`;
            const instance = new aws.ec2.Instance(
                instanceName,
                {
                    ami: server.amiId,
                    instanceType: args.instanceType,
                    subnetId: subnetIds.apply((ids) => ids[webInstanceSubnetIndex(index, args.availabilityZoneCount)]),
                    vpcSecurityGroupIds: [args.webSecurityGroupId],
                    iamInstanceProfile: server.profile.name,
                    associatePublicIpAddress: false,
                    metadataOptions: METADATA_OPTIONS,
                    rootBlockDevice: rootVolume(args.rootVolumeGiB),
                    monitoring: true,
                    userDataBase64: server.boot.userDataBase64,
                    // Web servers hold no state: a changed script means a fresh server.
                    userDataReplaceOnChange: true,
                    tags: webServerTags(instanceName, args.deployGroup),
                },
                // The boot script reads the parameters; they, and the script, must exist first.
                { parent: this, dependsOn: [...server.parameters, ...server.boot.dependsOn] },
            );
            new aws.lb.TargetGroupAttachment(
                `${instanceName}-target`,
                { targetGroupArn: server.targetGroup.arn, targetId: instance.id, port: WEB_PORT },
                { parent: this },
            );
            this.instanceIds.push(instance.id);
        }
    }

    /**
     * The web servers as an Auto Scaling group behind the same target group.
     * The group starts at `minSize`; from then on the two target-tracking
     * policies own its size. A changed launch template (script, AMI, instance
     * type) rolls through the group as an instance refresh.
     */
    private createAutoScalingGroup(
        name: string,
        args: WebTierArgs,
        scaling: WebAutoScaling,
        server: GroupServer,
    ): pulumi.Output<string> {
        const parent = { parent: this };
        const groupName = `${name}-asg`;
        const serverTags = webServerTags(groupName, args.deployGroup);
        const launchTemplate = new aws.ec2.LaunchTemplate(
            `${name}-launch-template`,
            {
                description: "Web servers of the Auto Scaling group",
                imageId: server.amiId,
                instanceType: args.instanceType,
                iamInstanceProfile: { arn: server.instanceProfileArn },
                metadataOptions: METADATA_OPTIONS,
                blockDeviceMappings: [launchTemplateVolume(AL2023_ROOT_DEVICE, args.rootVolumeGiB)],
                networkInterfaces: [
                    {
                        deviceIndex: 0,
                        associatePublicIpAddress: "false",
                        deleteOnTermination: "true",
                        securityGroups: [args.webSecurityGroupId],
                    },
                ],
                monitoring: { enabled: true },
                // The same script, with the same values, as a fixed server: it installs the release
                // recorded in <appParameterPath>/app-version, so a scaled-out server serves what the others do.
                userData: server.boot.userDataBase64,
                tagSpecifications: [
                    { resourceType: "instance", tags: serverTags },
                    { resourceType: "volume", tags: { Name: groupName, role: "web" } },
                ],
                updateDefaultVersion: true,
            },
            // A version names its boot script: the object and the role's grant to read it come first.
            { parent: this, dependsOn: server.boot.dependsOn },
        );

        const group = new aws.autoscaling.Group(
            groupName,
            {
                vpcZoneIdentifiers: args.privateSubnetIds,
                // Keep launching in the healthy AZs when one has no capacity; the group rebalances later.
                availabilityZoneDistribution: { capacityDistributionStrategy: "balanced-best-effort" },
                targetGroupArns: [server.targetGroup.arn],
                launchTemplate: { id: launchTemplate.id, version: pulumi.interpolate`${launchTemplate.latestVersion}` },
                minSize: scaling.minSize,
                maxSize: scaling.maxSize,
                healthCheckType: "ELB",
                healthCheckGracePeriod: scaling.healthCheckGraceSeconds,
                defaultInstanceWarmup: scaling.instanceWarmupSeconds,
                // On creation, wait until minSize servers pass the target group's health check. Pulumi
                // deletes removed resources last, so a stack moving from fixed instances keeps them
                // serving until the group does. Later updates do not wait: the policies own the size.
                minElbCapacity: scaling.minSize,
                // The first boot installs packages and deploys the recorded release before the health
                // checks can pass; the provider's 10-minute default leaves little room for that.
                waitForCapacityTimeout: "20m",
                instanceRefresh: {
                    strategy: "Rolling",
                    preferences: instanceRefreshPreferences(scaling.minHealthyPercent, scaling.instanceWarmupSeconds),
                },
                terminationPolicies: TERMINATION_POLICIES,
                enabledMetrics: [...GROUP_METRICS],
                metricsGranularity: "1Minute",
                // The launch template tags the instances and volumes; these are the group's own.
                tags: autoScalingGroupTags({ Name: groupName }),
            },
            {
                parent: this,
                // The boot script reads the parameters; they must exist before the first launch.
                dependsOn: server.parameters,
                // AWS starts the group at minSize and the scaling policies move it from there. Were
                // desiredCapacity ever read back into the inputs, an update must not reset a
                // scaled-out group to it in the middle of a peak.
                ignoreChanges: ["desiredCapacity"],
            },
        );

        const requestLabel = pulumi
            .all([server.loadBalancer.arnSuffix, server.targetGroup.arnSuffix])
            .apply(([loadBalancerSuffix, targetGroupSuffix]) =>
                requestCountResourceLabel(loadBalancerSuffix, targetGroupSuffix),
            );
        for (const [metric, targetTrackingConfiguration] of Object.entries(targetTracking(scaling, requestLabel))) {
            new aws.autoscaling.Policy(
                `${name}-${metric}-target`,
                { autoscalingGroupName: group.name, policyType: "TargetTrackingScaling", targetTrackingConfiguration },
                parent,
            );
        }
        return group.name;
    }

    /**
     * The bucket both load balancers of the estate log to, each under its own
     * prefix; every object in it is a log and expires.
     */
    private createAccessLogBucket(name: string, args: WebTierArgs, accountId: pulumi.Output<string>) {
        const elbAccount = aws.elb.getServiceAccountOutput({}, { parent: this }).arn;
        return privateBucket(
            `${name}-alb-logs`,
            {
                versioned: false,
                lifecycleRules: [
                    {
                        id: "expire-access-logs",
                        status: "Enabled",
                        filter: {},
                        expiration: { days: args.accessLogRetentionDays },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
                    },
                ],
                statementInputs: [accountId, elbAccount],
                statements: (bucketArn, [account, elbAccountArn]) =>
                    accessLogStatements(bucketArn, account, elbAccountArn),
            },
            this,
        );
    }

    private createListeners(
        name: string,
        args: WebTierArgs,
        loadBalancer: aws.lb.LoadBalancer,
        targetGroup: aws.lb.TargetGroup,
    ): void {
        const forward = [{ type: "forward", targetGroupArn: targetGroup.arn }];
        const https = args.tls
            ? httpsListener(
                  name,
                  {
                      loadBalancerArn: loadBalancer.arn,
                      certificateArn:
                          "zone" in args.tls
                              ? dnsValidatedCertificate(
                                    `${name}-site-cert`,
                                    { zone: args.tls.zone, names: args.tls.hosts },
                                    this,
                                )
                              : args.tls.certificateArn,
                      defaultActions: forward,
                  },
                  this,
              )
            : undefined;
        // The same listener whether it forwards (demo) or redirects: its URN stays when a demo gets a
        // domain. It redirects only once HTTPS serves, which waits for ACM to issue the certificate.
        new aws.lb.Listener(
            `${name}-http`,
            {
                loadBalancerArn: loadBalancer.arn,
                port: 80,
                protocol: "HTTP",
                defaultActions: https ? [HTTPS_REDIRECT] : forward,
            },
            { parent: this, dependsOn: https ? [https] : [] },
        );
    }

    private createSecurityGroupRules(name: string, args: WebTierArgs, https: boolean): void {
        const listenerPorts = https ? [80, 443] : [80];
        for (const port of listenerPorts) {
            ingressRule(
                `${name}-lb-in-${port}`,
                {
                    securityGroupId: args.loadBalancerSecurityGroupId,
                    ports: { from: port },
                    peer: { cidr: "0.0.0.0/0" },
                    description: `Clients on ${port} from the internet`,
                },
                this,
            );
        }
        allowClients(
            `${name}-servers`,
            args.webSecurityGroupId,
            [args.loadBalancerSecurityGroupId],
            { from: WEB_PORT },
            "HTTP",
            this,
        );
        allowHttpsOut(`${name}-web-out-https`, args.webSecurityGroupId, this);
    }
}

/** The settings the web servers read from `<appParameterPath>/<key>`, by key; only those the stack has. */
export function appParameterValues(
    args: Pick<
        WebTierArgs,
        | "databaseHost"
        | "databaseSecretArn"
        | "cacheNodes"
        | "amqpHost"
        | "artifactBucket"
        | "queues"
        | "cacheTls"
        | "logstashHost"
        | "logstashCaCertificate"
    >,
): Record<string, pulumi.Input<string>> {
    const values: Record<string, pulumi.Input<string> | undefined> = {
        "db-host": args.databaseHost,
        "db-secret-arn": args.databaseSecretArn,
        "cache-nodes": args.cacheNodes,
        "amqp-host": args.amqpHost,
        "artifact-bucket": args.artifactBucket?.name,
        "queue-urls": args.queues?.urls,
        "cache-tls": args.cacheTls ? "true" : undefined,
        "logstash-host": args.logstashHost,
        "logstash-ca": args.logstashCaCertificate,
    };
    return Object.fromEntries(
        Object.entries(values).filter((entry): entry is [string, pulumi.Input<string>] => entry[1] !== undefined),
    );
}

/** The tags of a web server: deploys find the servers by the deploy-group tag. */
export function webServerTags(name: string, deployGroup: string): Tags {
    return { Name: name, role: "web", [DEPLOY_GROUP_TAG]: deployGroup };
}

/**
 * How far above the desired capacity an instance refresh may go: as far as it
 * may go below (so replacements launch before the servers they replace go),
 * at least 110% so that `minHealthyPercent` 100 still makes progress, and
 * within AWS's limits (at most 200%, at most 100 points above the minimum).
 */
export function refreshMaxHealthyPercent(minHealthyPercent: number): number {
    return Math.min(minHealthyPercent + 100, Math.max(110, 200 - minHealthyPercent));
}

/**
 * Instance refresh preferences of the web group. Instances already on the
 * group's launch template version are skipped. No auto rollback: the provider
 * saves the new launch template version on the group before it starts the
 * refresh, so a "rollback" would relaunch the same version
 * (hashicorp/terraform-provider-aws#34189). A failed refresh stops with the
 * old servers still serving; the fix is the next `pulumi up`.
 */
export function instanceRefreshPreferences(
    minHealthyPercent: number,
    instanceWarmupSeconds: number,
): aws.types.input.autoscaling.GroupInstanceRefreshPreferences {
    return {
        minHealthyPercentage: minHealthyPercent,
        maxHealthyPercentage: refreshMaxHealthyPercent(minHealthyPercent),
        instanceWarmup: String(instanceWarmupSeconds),
        skipMatching: true,
        autoRollback: false,
    };
}

/**
 * Scale-in removes servers on an older launch template version first (left
 * by a stopped refresh), then the oldest; AWS balances the AZs before either.
 */
export const TERMINATION_POLICIES = ["OldestLaunchTemplate", "OldestInstance"];

/** The group metrics CloudWatch collects every minute, so alarms and the dashboard can show the group's size. */
export const GROUP_METRICS = [
    "GroupMinSize",
    "GroupMaxSize",
    "GroupDesiredCapacity",
    "GroupInServiceInstances",
    "GroupPendingInstances",
    "GroupStandbyInstances",
    "GroupTerminatingInstances",
    "GroupTotalInstances",
] as const;

/**
 * The `resourceLabel` of an ALBRequestCountPerTarget policy:
 * `app/<lb-name>/<lb-id>/targetgroup/<tg-name>/<tg-id>`, from the two ARN suffixes.
 */
export function requestCountResourceLabel(loadBalancerArnSuffix: string, targetGroupArnSuffix: string): string {
    if (!/^app\/[^/]+\/[^/]+$/.test(loadBalancerArnSuffix)) {
        throw new Error(`not an application load balancer ARN suffix: ${loadBalancerArnSuffix}`);
    }
    if (!/^targetgroup\/[^/]+\/[^/]+$/.test(targetGroupArnSuffix)) {
        throw new Error(`not a target group ARN suffix: ${targetGroupArnSuffix}`);
    }
    return `${loadBalancerArnSuffix}/${targetGroupArnSuffix}`;
}

/**
 * The group's two target-tracking configurations; it scales out when either
 * is above its target and in only when both are below. CloudWatch reports
 * RequestCountPerTarget (the metric behind ALBRequestCountPerTarget) as a Sum
 * per minute, so its target is requests per server per minute, the unit of
 * `targetRequestsPerMinute`.
 */
export function targetTracking<Label>(scaling: WebAutoScaling, requestCountLabel: Label) {
    return {
        cpu: {
            predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
            targetValue: scaling.targetCpuPercent,
        },
        requests: {
            predefinedMetricSpecification: {
                predefinedMetricType: "ALBRequestCountPerTarget",
                resourceLabel: requestCountLabel,
            },
            targetValue: scaling.targetRequestsPerMinute,
        },
    };
}

/** What the web servers may do with SQS: produce and consume, nothing that manages queues. */
export const QUEUE_ACTIONS = ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"];

/**
 * The web servers may read the database's application secret, their own
 * settings, (with CI) the release packages, and (with SQS) use the queues.
 * Nothing more.
 */
export function webPolicy(inputs: {
    region: string;
    accountId: string;
    appParameterPath: string;
    databaseSecretArn: string;
    artifactBucketArn?: string;
    queueArns?: string[];
}): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ReadDatabaseSecret",
                Effect: "Allow",
                Action: "secretsmanager:GetSecretValue",
                Resource: inputs.databaseSecretArn,
            },
            {
                Sid: "ReadAppParameters",
                Effect: "Allow",
                Action: ["ssm:GetParameter", "ssm:GetParameters"],
                Resource: `arn:aws:ssm:${inputs.region}:${inputs.accountId}:parameter${inputs.appParameterPath}/*`,
            },
            ...(inputs.artifactBucketArn
                ? [
                      {
                          Sid: "ReadReleases",
                          Effect: "Allow",
                          Action: "s3:GetObject",
                          Resource: `${inputs.artifactBucketArn}/${RELEASES_PREFIX}*`,
                      },
                  ]
                : []),
            ...(inputs.queueArns?.length
                ? [{ Sid: "UseQueues", Effect: "Allow", Action: QUEUE_ACTIONS, Resource: inputs.queueArns }]
                : []),
        ],
    });
}

/** Prefix of the public load balancer's logs in the shared log bucket. */
export const ACCESS_LOG_PREFIX = "alb";

/**
 * Lets Elastic Load Balancing write access logs under any prefix of the
 * account's log path, and nothing else. Regions opened before August 2022
 * deliver as a regional ELB account, newer ones as the log delivery service
 * principal; both are allowed so the policy works anywhere.
 */
export function accessLogStatements(bucketArn: string, accountId: string, elbAccountArn: string): object[] {
    const logObjects = `${bucketArn}/*/AWSLogs/${accountId}/*`;
    return [
        {
            Sid: "ElbAccountWritesLogs",
            Effect: "Allow",
            Principal: { AWS: elbAccountArn },
            Action: "s3:PutObject",
            Resource: logObjects,
        },
        {
            Sid: "ElbServiceWritesLogs",
            Effect: "Allow",
            Principal: { Service: "logdelivery.elasticloadbalancing.amazonaws.com" },
            Action: "s3:PutObject",
            Resource: logObjects,
        },
    ];
}
