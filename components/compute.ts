/**
 * compute: the internet-facing Application Load Balancer (listeners, target
 * group, access logs) and the web tier as fixed EC2 instances in the private
 * subnets. Web servers learn the database name and the ARN of its application
 * secret from SSM parameters this component writes; never the secret itself.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { METADATA_OPTIONS, al2023AmiId, instanceRole, rootVolume } from "./shared/ec2";
import { DEPLOY_GROUP_TAG, RELEASES_PREFIX } from "./ci";
import { privateBucket } from "./shared/bucket";
import { allowClients, allowHttpsOut, ingressRule } from "./shared/rules";
import { Tags, componentTags } from "./shared/tags";
import { renderUserData } from "./userdata/render";

/** The port nginx listens on behind the load balancer. */
export const WEB_PORT = 80;

/** TLS 1.3 with TLS 1.2 fallback: AWS's recommended policy for internet-facing listeners. */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/** The subnet index (and so AZ) of web instance `index`: round-robin over the AZs. */
export function webInstanceSubnetIndex(index: number, azCount: number): number {
    return index % azCount;
}

/** SSM parameter path under which the web servers find their settings. */
export function appParameterPath(project: string, stack: string): string {
    return `/${project}/${stack}/app`;
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
    /** Number of web instances, 1 or more. */
    instanceCount: number;
    /** EC2 instance type of each web server. */
    instanceType: string;
    /** Root volume size, GiB. */
    rootVolumeGiB: number;
    /** Path the target group probes, answered with 200 by every server. */
    healthCheckPath: string;
    /** ACM certificate ARN; when set, HTTPS on 443 and HTTP redirects to it. Default: HTTP only. */
    certificateArn?: string;
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
    /** SSM parameter the servers' CloudWatch agent config is pulled from. */
    cloudWatchAgentParameter: string;
    /** Where releases come from, when the stack has CI; the servers may read its releases and nothing else. */
    artifactBucket?: { name: pulumi.Input<string>; arn: pulumi.Input<string> };
    /** Value of the deploy-group tag by which deploys select these servers. */
    deployGroup: string;
    tags: Tags;
}

export class WebTier extends pulumi.ComponentResource {
    public readonly loadBalancerArn: pulumi.Output<string>;
    /** `app/<name>/<id>`, the dimension of the load balancer's CloudWatch metrics. */
    public readonly loadBalancerArnSuffix: pulumi.Output<string>;
    public readonly targetGroupArnSuffix: pulumi.Output<string>;
    public readonly loadBalancerDnsName: pulumi.Output<string>;
    /** `https://<dns>` when a certificate is configured, else `http://<dns>`. */
    public readonly url: pulumi.Output<string>;
    public readonly targetGroupArn: pulumi.Output<string>;
    public readonly accessLogBucket: pulumi.Output<string>;
    /** The log bucket's policy: a load balancer logging there must be created after it. */
    public readonly accessLogBucketPolicy: aws.s3.BucketPolicy;
    public readonly instanceIds: pulumi.Output<string>[];
    public readonly roleName: pulumi.Output<string>;

    constructor(name: string, args: WebTierArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scale-tiers:compute:WebTier", name, {}, opts);
        const tags = componentTags(args.tags, "compute");
        const parent = { parent: this };
        const https = args.certificateArn !== undefined;
        const accountId = aws.getCallerIdentityOutput({}, parent).accountId;

        const logs = this.createAccessLogBucket(name, args, tags, accountId);
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
                tags,
            },
            // ELB checks that it may write to the bucket when logging is switched on.
            { parent: this, dependsOn: [logs.policy] },
        );
        this.loadBalancerArn = loadBalancer.arn;
        this.loadBalancerArnSuffix = loadBalancer.arnSuffix;
        this.loadBalancerDnsName = loadBalancer.dnsName;
        this.url = pulumi.interpolate`${https ? "https" : "http"}://${loadBalancer.dnsName}`;

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
                tags,
            },
            parent,
        );
        this.targetGroupArn = targetGroup.arn;
        this.targetGroupArnSuffix = targetGroup.arnSuffix;
        this.createListeners(name, args, loadBalancer, targetGroup, tags);
        this.createSecurityGroupRules(name, args, https, tags);

        const published: Record<string, pulumi.Input<string> | undefined> = {
            "db-host": args.databaseHost,
            "db-secret-arn": args.databaseSecretArn,
            "cache-nodes": args.cacheNodes,
            "amqp-host": args.amqpHost,
            "artifact-bucket": args.artifactBucket?.name,
        };
        // The servers re-read these every few minutes, so a new cache node or broker reaches them in place.
        const parameters = Object.entries(published)
            .filter((entry): entry is [string, pulumi.Input<string>] => entry[1] !== undefined)
            .map(
                ([key, value]) =>
                    new aws.ssm.Parameter(
                        `${name}-${key}-param`,
                        { name: `${args.appParameterPath}/${key}`, type: "String", value, tags },
                        parent,
                    ),
            );
        const { role, profile } = instanceRole(
            name,
            pulumi
                .all([args.databaseSecretArn, accountId, args.artifactBucket?.arn])
                .apply(([databaseSecretArn, account, artifactBucketArn]) =>
                    webPolicy({
                        region: args.region,
                        accountId: account,
                        appParameterPath: args.appParameterPath,
                        databaseSecretArn,
                        artifactBucketArn,
                    }),
                ),
            tags,
            this,
        );
        this.roleName = role.name;

        const amiId = al2023AmiId(args.instanceType, parent);
        const userDataBase64 = renderUserData("web", {
            AWS_REGION_NAME: args.region,
            APP_PARAMETER_PATH: args.appParameterPath,
            HEALTH_CHECK_PATH: args.healthCheckPath,
            APP_PORT: WEB_PORT,
            CLOUDWATCH_AGENT_PARAMETER: args.cloudWatchAgentParameter,
        });
        const subnetIds = pulumi.output(args.privateSubnetIds);
        this.instanceIds = [];
        for (let index = 0; index < args.instanceCount; index++) {
            const instanceName = `${name}-${index}`;
            const instance = new aws.ec2.Instance(
                instanceName,
                {
                    ami: amiId,
                    instanceType: args.instanceType,
                    subnetId: subnetIds.apply((ids) => ids[webInstanceSubnetIndex(index, args.availabilityZoneCount)]),
                    vpcSecurityGroupIds: [args.webSecurityGroupId],
                    iamInstanceProfile: profile.name,
                    associatePublicIpAddress: false,
                    metadataOptions: METADATA_OPTIONS,
                    rootBlockDevice: rootVolume(args.rootVolumeGiB, tags),
                    monitoring: true,
                    userDataBase64,
                    // Web servers hold no state: a changed script means a fresh server.
                    userDataReplaceOnChange: true,
                    tags: { ...tags, Name: instanceName, role: "web", [DEPLOY_GROUP_TAG]: args.deployGroup },
                },
                // The boot script reads the parameters; they must exist first.
                { parent: this, dependsOn: parameters },
            );
            new aws.lb.TargetGroupAttachment(
                `${instanceName}-target`,
                { targetGroupArn: targetGroup.arn, targetId: instance.id, port: WEB_PORT },
                parent,
            );
            this.instanceIds.push(instance.id);
        }

        this.registerOutputs({ url: this.url, targetGroupArn: this.targetGroupArn, instanceIds: this.instanceIds });
    }

    /**
     * The bucket both load balancers of the estate log to, each under its own
     * prefix; every object in it is a log and expires.
     */
    private createAccessLogBucket(name: string, args: WebTierArgs, tags: Tags, accountId: pulumi.Output<string>) {
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
                tags,
            },
            this,
        );
    }

    private createListeners(
        name: string,
        args: WebTierArgs,
        loadBalancer: aws.lb.LoadBalancer,
        targetGroup: aws.lb.TargetGroup,
        tags: Tags,
    ): void {
        const parent = { parent: this };
        const forward = [{ type: "forward", targetGroupArn: targetGroup.arn }];
        new aws.lb.Listener(
            `${name}-http`,
            {
                loadBalancerArn: loadBalancer.arn,
                port: 80,
                protocol: "HTTP",
                defaultActions: args.certificateArn
                    ? [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }]
                    : forward,
                tags,
            },
            parent,
        );
        if (args.certificateArn) {
            new aws.lb.Listener(
                `${name}-https`,
                {
                    loadBalancerArn: loadBalancer.arn,
                    port: 443,
                    protocol: "HTTPS",
                    sslPolicy: TLS_POLICY,
                    certificateArn: args.certificateArn,
                    defaultActions: forward,
                    tags,
                },
                parent,
            );
        }
    }

    private createSecurityGroupRules(name: string, args: WebTierArgs, https: boolean, tags: Tags): void {
        const listenerPorts = https ? [80, 443] : [80];
        for (const port of listenerPorts) {
            ingressRule(
                `${name}-lb-in-${port}`,
                {
                    securityGroupId: args.loadBalancerSecurityGroupId,
                    ports: { from: port },
                    peer: { cidr: "0.0.0.0/0" },
                    description: `Clients on ${port} from the internet`,
                    tags,
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
            tags,
            this,
        );
        allowHttpsOut(`${name}-web-out-https`, args.webSecurityGroupId, tags, this);
    }
}

/**
 * The web servers may read the database's application secret, their own
 * settings, and (with CI) the release packages. Nothing more.
 */
export function webPolicy(inputs: {
    region: string;
    accountId: string;
    appParameterPath: string;
    databaseSecretArn: string;
    artifactBucketArn?: string;
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
