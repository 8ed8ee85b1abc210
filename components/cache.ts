/**
 * cache: memcached nodes on EC2 for the web tier (tier150k). The node list is
 * published as an SSM parameter the web servers read, never hard-coded.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { METADATA_OPTIONS, al2023AmiId, instanceRole, putMetricsStatement, rootVolume } from "./shared/ec2";
import { allowClients, allowHttpsOut, createSecurityGroup } from "./shared/rules";
import { Tags, componentTags } from "./shared/tags";
import { METRIC_NAMESPACES } from "./shared/telemetry";
import { renderUserData } from "./userdata/render";

export const MEMCACHED_PORT = 11211;

/** The node list as clients expect it: `ip:port` entries, comma-separated, in node order. */
export function memcachedNodeList(privateIps: readonly string[]): string {
    return privateIps.map((ip) => `${ip}:${MEMCACHED_PORT}`).join(",");
}

export interface CacheArgs {
    region: string;
    vpcId: pulumi.Input<string>;
    /** Private subnets in AZ order; nodes go round-robin over them. */
    privateSubnetIds: pulumi.Input<string[]>;
    availabilityZoneCount: number;
    /** Security groups of the clients (the web tier), the only ones allowed on 11211. */
    clientSecurityGroupIds: pulumi.Input<string>[];
    /** Number of memcached nodes. */
    nodeCount: number;
    /** EC2 instance type of each node. */
    instanceType: string;
    /** Memory memcached may use on each node, MiB. */
    memoryMiB: number;
    /** Maximum connections per node. */
    maxConnections: number;
    /** Stack name, the dimension of the nodes' metrics. */
    stackName: string;
    /** SSM parameter the nodes' CloudWatch agent config is pulled from. */
    cloudWatchAgentParameter: string;
    tags: Tags;
}

export class Cache extends pulumi.ComponentResource {
    /** `ip:11211,...`, in node order. */
    public readonly nodeList: pulumi.Output<string>;
    public readonly instanceIds: pulumi.Output<string>[];
    public readonly securityGroupId: pulumi.Output<string>;
    public readonly roleName: pulumi.Output<string>;

    constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scale-tiers:cache:Cache", name, {}, opts);
        const tags = componentTags(args.tags, "cache");
        const securityGroup = createSecurityGroup(`${name}-sg`, args.vpcId, "memcached nodes", tags, this);
        this.securityGroupId = securityGroup.id;
        allowClients(
            name,
            securityGroup.id,
            args.clientSecurityGroupIds,
            { from: MEMCACHED_PORT },
            "memcached",
            tags,
            this,
        );
        allowHttpsOut(`${name}-out-https`, securityGroup.id, tags, this);

        const { role, profile } = instanceRole(
            name,
            JSON.stringify({ Version: "2012-10-17", Statement: [putMetricsStatement(METRIC_NAMESPACES.memcached)] }),
            tags,
            this,
        );
        this.roleName = role.name;

        const userDataBase64 = renderUserData("memcached", {
            AWS_REGION_NAME: args.region,
            MEMCACHED_MEMORY_MIB: args.memoryMiB,
            MEMCACHED_MAX_CONNECTIONS: args.maxConnections,
            CLOUDWATCH_AGENT_PARAMETER: args.cloudWatchAgentParameter,
            STACK_NAME: args.stackName,
        });
        const subnetIds = pulumi.output(args.privateSubnetIds);
        const amiId = al2023AmiId(args.instanceType, { parent: this });
        const nodes = Array.from({ length: args.nodeCount }, (_, index) => {
            const nodeName = `${name}-${index}`;
            return new aws.ec2.Instance(
                nodeName,
                {
                    ami: amiId,
                    instanceType: args.instanceType,
                    subnetId: subnetIds.apply((ids) => ids[index % args.availabilityZoneCount]),
                    vpcSecurityGroupIds: [securityGroup.id],
                    iamInstanceProfile: profile.name,
                    associatePublicIpAddress: false,
                    metadataOptions: METADATA_OPTIONS,
                    rootBlockDevice: rootVolume(20, tags),
                    monitoring: true,
                    userDataBase64,
                    // A cache node holds nothing that cannot be rebuilt: a changed script means a fresh node.
                    userDataReplaceOnChange: true,
                    tags: { ...tags, Name: nodeName, role: "memcached" },
                },
                { parent: this },
            );
        });
        this.instanceIds = nodes.map((node) => node.id);
        this.nodeList = pulumi.all(nodes.map((node) => node.privateIp)).apply(memcachedNodeList);

        this.registerOutputs({ nodeList: this.nodeList, instanceIds: this.instanceIds });
    }
}
