/**
 * network: the VPC (subnet math and NAT are awsx's job), VPC flow logs, the
 * interface endpoints Session Manager needs, the private hosted zone (and,
 * with a domain, the public one, looked up), the base security groups that
 * the other components attach their rules to, and the bucket every server's
 * boot script is published in (its user data is the loader that fetches it).
 */
import * as aws from "@pulumi/aws";
// The ec2 module alone: the package root also loads awsx classic (ECS, ECR, the AWS SDK), a quarter-second per run.
import * as awsxEc2 from "@pulumi/awsx/ec2";
import { AzSubnets, planSubnets } from "../domain/network-layout";
import * as pulumi from "@pulumi/pulumi";
import { BootScriptBucket } from "./shared/boot";
import { privateBucket } from "./shared/bucket";
import { PublicZone } from "./shared/certificate";
import { serviceTrustPolicy } from "./shared/iam";
import { createSecurityGroup, ingressRule } from "./shared/rules";

export { AzSubnets, MAX_AZS, overlappingSubnets, planSubnets } from "../domain/network-layout";

/**
 * The id of the public hosted zone `name` (or of zone `zoneId`, which must be
 * public and have that name). A missing zone fails the preview with
 * Route 53's answer, before anything is created.
 */
function findPublicZone(zone: { name: string; zoneId?: string }, parent: pulumi.Resource): pulumi.Output<string> {
    const found = aws.route53.getZoneOutput(
        zone.zoneId ? { zoneId: zone.zoneId } : { name: zone.name, privateZone: false },
        { parent },
    );
    return pulumi.all([found.zoneId, found.name, found.privateZone]).apply(([zoneId, name, isPrivate]) => {
        if (isPrivate || name.replace(/\.$/, "") !== zone.name) {
            throw new Error(
                `hosted zone ${zoneId} is ${isPrivate ? "private" : `named ${name}`}, not the public zone ${zone.name}`,
            );
        }
        return zoneId;
    });
}

/**
 * Days an overwritten or deleted boot script's old version is kept. Current
 * objects never expire: a server or a launch template version may name any.
 */
export const BOOT_SCRIPT_NONCURRENT_DAYS = 90;

/** Interface endpoints Session Manager needs from subnets without internet access. */
export const SESSION_MANAGER_ENDPOINTS = ["ssm", "ssmmessages", "ec2messages"] as const;

export interface NetworkArgs {
    /** AWS region, for endpoint service names. */
    region: string;
    /** IPv4 block of the VPC, /16 to /20. */
    vpcCidr: string;
    /** AZ names, 2 to 4; the order fixes which subnet goes where. */
    availabilityZones: readonly string[];
    /** `Single` NAT gateway (cheap, one AZ's loss cuts egress) or `OnePerAz`. */
    natGateways: "Single" | "OnePerAz";
    /** Private hosted zone name, associated with the VPC. */
    privateZoneName: string;
    /** The public hosted zone the estate's names go in, by name, or by id when `zoneId` is given. Default: none. */
    publicZone?: { name: string; zoneId?: string };
    /** Retention of the flow log group, in days (a CloudWatch Logs value). */
    logRetentionDays: number;
}

/** The security groups other components put their rules on; each starts with no rules. */
export interface BaseSecurityGroups {
    readonly loadBalancer: aws.ec2.SecurityGroup;
    readonly web: aws.ec2.SecurityGroup;
    readonly database: aws.ec2.SecurityGroup;
}

export class Network extends pulumi.ComponentResource {
    public readonly vpcId: pulumi.Output<string>;
    public readonly vpcCidr: string;
    public readonly subnetPlan: readonly AzSubnets[];
    /** Subnet ids in the order of `availabilityZones`. */
    public readonly publicSubnetIds: pulumi.Output<string[]>;
    public readonly privateSubnetIds: pulumi.Output<string[]>;
    public readonly isolatedSubnetIds: pulumi.Output<string[]>;
    public readonly availabilityZones: readonly string[];
    public readonly zoneId: pulumi.Output<string>;
    public readonly zoneName: string;
    /** The public hosted zone, when the estate has a domain. */
    public readonly publicZone?: PublicZone;
    public readonly securityGroups: BaseSecurityGroups;
    /** Where the servers' boot scripts are published, each under its instance role's prefix. */
    public readonly bootScripts: BootScriptBucket;

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scale-tiers:network:Network", name, {}, opts);
        const parent = { parent: this };

        this.vpcCidr = args.vpcCidr;
        this.availabilityZones = args.availabilityZones;
        this.subnetPlan = planSubnets(args.vpcCidr, args.availabilityZones);
        const vpc = new awsxEc2.Vpc(
            `${name}-vpc`,
            {
                cidrBlock: args.vpcCidr,
                availabilityZoneNames: [...args.availabilityZones],
                subnetStrategy: "Auto",
                subnetSpecs: [
                    { type: "Private", cidrBlocks: this.subnetPlan.map((az) => az.private) },
                    { type: "Public", cidrBlocks: this.subnetPlan.map((az) => az.public) },
                    { type: "Isolated", cidrBlocks: this.subnetPlan.map((az) => az.isolated) },
                ],
                natGateways: { strategy: args.natGateways },
                enableDnsHostnames: true,
                enableDnsSupport: true,
            },
            parent,
        );
        this.vpcId = vpc.vpcId;
        this.publicSubnetIds = vpc.publicSubnetIds;
        this.privateSubnetIds = vpc.privateSubnetIds;
        this.isolatedSubnetIds = vpc.isolatedSubnetIds;

        this.createFlowLogs(name, args);
        this.createSessionManagerEndpoints(name, args);

        const zone = new aws.route53.Zone(
            `${name}-zone`,
            {
                name: args.privateZoneName,
                comment: "Internal names of the estate (db.<zone> and friends)",
                vpcs: [{ vpcId: this.vpcId, vpcRegion: args.region }],
            },
            parent,
        );
        this.zoneId = zone.zoneId;
        this.zoneName = args.privateZoneName;
        if (args.publicZone) {
            this.publicZone = { zoneId: findPublicZone(args.publicZone, this), name: args.publicZone.name };
        }

        const group = (role: string, description: string) =>
            createSecurityGroup(`${name}-${role}-sg`, this.vpcId, description, this);
        this.securityGroups = {
            loadBalancer: group("lb", "Public load balancer"),
            web: group("web", "Web and application servers"),
            database: group("db", "Self-managed MySQL servers"),
        };
        this.bootScripts = this.createBootScriptBucket(name);

        this.registerOutputs({
            vpcId: this.vpcId,
            publicSubnetIds: this.publicSubnetIds,
            privateSubnetIds: this.privateSubnetIds,
            isolatedSubnetIds: this.isolatedSubnetIds,
            zoneId: this.zoneId,
        });
    }

    private createFlowLogs(name: string, args: NetworkArgs): void {
        const parent = { parent: this };
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-flow-logs`,
            { retentionInDays: args.logRetentionDays },
            parent,
        );
        const account = aws.getCallerIdentityOutput({}, parent).accountId;
        const role = new aws.iam.Role(
            `${name}-flow-logs-role`,
            {
                assumeRolePolicy: account.apply((accountId) =>
                    serviceTrustPolicy("vpc-flow-logs.amazonaws.com", accountId),
                ),
            },
            parent,
        );
        new aws.iam.RolePolicy(
            `${name}-flow-logs-policy`,
            {
                role: role.name,
                policy: logGroup.arn.apply((arn) =>
                    JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [
                            {
                                Effect: "Allow",
                                Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                                Resource: [arn, `${arn}:*`],
                            },
                        ],
                    }),
                ),
            },
            parent,
        );
        new aws.ec2.FlowLog(
            `${name}-flow-log`,
            {
                vpcId: this.vpcId,
                trafficType: "ALL",
                logDestinationType: "cloud-watch-logs",
                logDestination: logGroup.arn,
                iamRoleArn: role.arn,
                maxAggregationInterval: 60,
            },
            parent,
        );
    }

    /**
     * Private, SSE-S3, TLS only, versioned. The objects are content-addressed
     * and kept when the program drops them, so the script a running server or
     * a launch template version names is there for as long as it may boot.
     */
    private createBootScriptBucket(name: string): BootScriptBucket {
        const { bucket } = privateBucket(
            `${name}-boot-scripts`,
            {
                versioned: true,
                lifecycleRules: [
                    {
                        id: "expire-old-versions",
                        status: "Enabled",
                        filter: {},
                        noncurrentVersionExpiration: { noncurrentDays: BOOT_SCRIPT_NONCURRENT_DAYS },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
                    },
                ],
                statements: () => [],
            },
            this,
        );
        return { name: bucket.bucket, arn: bucket.arn };
    }

    private createSessionManagerEndpoints(name: string, args: NetworkArgs): void {
        const parent = { parent: this };
        const endpointSg = createSecurityGroup(
            `${name}-endpoints-sg`,
            this.vpcId,
            "Interface VPC endpoints, HTTPS from inside the VPC",
            this,
        );
        ingressRule(
            `${name}-endpoints-https-in`,
            {
                securityGroupId: endpointSg.id,
                ports: { from: 443 },
                peer: { cidr: args.vpcCidr },
                description: "HTTPS from the VPC",
            },
            this,
        );
        for (const service of SESSION_MANAGER_ENDPOINTS) {
            new aws.ec2.VpcEndpoint(
                `${name}-${service}-endpoint`,
                {
                    vpcId: this.vpcId,
                    serviceName: `com.amazonaws.${args.region}.${service}`,
                    vpcEndpointType: "Interface",
                    privateDnsEnabled: true,
                    subnetIds: this.privateSubnetIds,
                    securityGroupIds: [endpointSg.id],
                    tags: { Name: `${name}-${service}` },
                },
                parent,
            );
        }
    }
}
