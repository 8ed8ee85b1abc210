/**
 * cache: memcached for the web tier, on EC2 nodes (tier150k) or as Amazon
 * ElastiCache for Memcached (tier1m), or both while the EC2 nodes drain. The
 * web tier uses one of them, named by `nodeList`: ElastiCache whenever it
 * exists. The list is published as an SSM parameter the web servers re-read,
 * so switching caches replaces no server.
 *
 * Moving to ElastiCache loses nothing but warm entries: the EC2 nodes can stay
 * (`memcached.draining`) to switch back to, and go by `memcached.enabled: false`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BootScriptBucket, bootUserData } from "./shared/boot";
import { METADATA_OPTIONS, al2023AmiId, instanceRole, putMetricsStatement, rootVolume } from "./shared/ec2";
import { allowClients, allowHttpsOut, createSecurityGroup } from "./shared/rules";
import { METRIC_NAMESPACES } from "./shared/telemetry";
import { instanceScript } from "./userdata/render";

export const MEMCACHED_PORT = 11211;

/**
 * ElastiCache's weekly maintenance, UTC: Tuesday 03:00-04:00 in Seoul, a quiet
 * night, and never at the same time as the RDS window (Sunday by default).
 */
export const ELASTICACHE_MAINTENANCE_WINDOW = "tue:18:00-tue:19:00";

/** A cache endpoint as clients expect it: `host:port`. */
export interface CacheEndpoint {
    readonly address: string;
    readonly port: number;
}

/** The node list as clients expect it: `host:port` entries, comma-separated, in node order. */
export function cacheNodeList(nodes: readonly CacheEndpoint[]): string {
    return nodes.map((node) => `${node.address}:${node.port}`).join(",");
}

/** The node list of the EC2 nodes, from their private addresses. */
export function memcachedNodeList(privateIps: readonly string[]): string {
    return cacheNodeList(privateIps.map((address) => ({ address, port: MEMCACHED_PORT })));
}

/**
 * The AZ of each of `nodeCount` nodes, round-robin in AZ order. The list for
 * n + 1 nodes starts with the list for n: ElastiCache takes the AZs of added
 * nodes from the end of the list and cannot move existing nodes, so growing or
 * shrinking the cluster never asks it to.
 */
export function spreadOverZones(availabilityZones: readonly string[], nodeCount: number): string[] {
    if (availabilityZones.length === 0) {
        throw new Error("spreadOverZones needs at least one availability zone");
    }
    return Array.from({ length: nodeCount }, (_, index) => availabilityZones[index % availabilityZones.length]);
}

/** memcached on EC2 instances that the program runs itself. */
export interface MemcachedNodesArgs {
    /** Number of nodes, spread round-robin over the AZs. */
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
    /** Where the nodes' boot script is published. */
    bootScripts: BootScriptBucket;
}

/** An ElastiCache for Memcached cluster over the AZs, TLS only. */
export interface ElastiCacheArgs {
    /** Cache node type, e.g. `cache.r7g.large`. */
    nodeType: string;
    /** Number of nodes, 2 to 40, spread round-robin over the AZs. */
    nodeCount: number;
    /** Memcached version, 1.6.12 or later (in-transit encryption). */
    engineVersion: string;
}

export interface CacheArgs {
    region: string;
    vpcId: pulumi.Input<string>;
    /** Private subnets in AZ order. */
    privateSubnetIds: pulumi.Input<string[]>;
    /** AZ names in subnet order; node i goes to AZ i mod count. */
    availabilityZones: readonly string[];
    /** Security groups of the clients (the web tier), the only ones allowed on 11211. */
    clientSecurityGroupIds: pulumi.Input<string>[];
    /** EC2 nodes; none when unset. */
    nodes?: MemcachedNodesArgs;
    /** The managed cluster; when set, it is the cache the web tier uses, even while EC2 nodes run. */
    elastiCache?: ElastiCacheArgs;
}

export class Cache extends pulumi.ComponentResource {
    /** `host:11211,...`, in node order: what the web tier uses (ElastiCache's nodes when it exists). */
    public readonly nodeList: pulumi.Output<string>;
    /** Whether clients must speak TLS to the nodes of `nodeList` (ElastiCache: always). */
    public readonly tls: boolean;
    /** The ElastiCache cluster id, the dimension of its metrics; unset without ElastiCache. */
    public readonly clusterId?: pulumi.Output<string>;
    /** The EC2 nodes; empty without them. */
    public readonly instanceIds: pulumi.Output<string>[];
    /** The EC2 nodes' security group; unset without them. */
    public readonly securityGroupId?: pulumi.Output<string>;
    /** The EC2 nodes' instance role; unset without them. */
    public readonly roleName?: pulumi.Output<string>;

    constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scale-tiers:cache:Cache", name, {}, opts);
        if (!args.nodes && !args.elastiCache) {
            throw new Error(`cache ${name}: give nodes, elastiCache or both`);
        }
        const ec2 = args.nodes ? this.createNodes(name, args, args.nodes) : undefined;
        const cluster = args.elastiCache ? this.createCluster(name, args, args.elastiCache) : undefined;

        this.instanceIds = ec2?.instanceIds ?? [];
        this.securityGroupId = ec2?.securityGroupId;
        this.roleName = ec2?.roleName;
        this.clusterId = cluster?.clusterId;
        this.tls = cluster !== undefined;
        this.nodeList = cluster ? cluster.cacheNodes.apply(cacheNodeList) : ec2!.nodeList;

        this.registerOutputs({
            nodeList: this.nodeList,
            tls: this.tls,
            clusterId: this.clusterId,
            instanceIds: this.instanceIds,
        });
    }

    private createNodes(name: string, args: CacheArgs, nodes: MemcachedNodesArgs) {
        const securityGroup = createSecurityGroup(`${name}-sg`, args.vpcId, "memcached nodes", this);
        allowClients(name, securityGroup.id, args.clientSecurityGroupIds, { from: MEMCACHED_PORT }, "memcached", this);
        allowHttpsOut(`${name}-out-https`, securityGroup.id, this);

        const { role, profile, bootScripts } = instanceRole(
            name,
            JSON.stringify({ Version: "2012-10-17", Statement: [putMetricsStatement(METRIC_NAMESPACES.memcached)] }),
            nodes.bootScripts,
            this,
        );

        const boot = bootUserData(
            name,
            bootScripts,
            instanceScript("memcached", {
                AWS_REGION_NAME: args.region,
                MEMCACHED_MEMORY_MIB: nodes.memoryMiB,
                MEMCACHED_MAX_CONNECTIONS: nodes.maxConnections,
                CLOUDWATCH_AGENT_PARAMETER: nodes.cloudWatchAgentParameter,
                STACK_NAME: nodes.stackName,
            }),
            this,
        );
        const subnetIds = pulumi.output(args.privateSubnetIds);
        const azCount = args.availabilityZones.length;
        const amiId = al2023AmiId(nodes.instanceType, { parent: this });
        const instances = Array.from({ length: nodes.nodeCount }, (_, index) => {
            const nodeName = `${name}-${index}`;
            return new aws.ec2.Instance(
                nodeName,
                {
                    ami: amiId,
                    instanceType: nodes.instanceType,
                    subnetId: subnetIds.apply((ids) => ids[index % azCount]),
                    vpcSecurityGroupIds: [securityGroup.id],
                    iamInstanceProfile: profile.name,
                    associatePublicIpAddress: false,
                    metadataOptions: METADATA_OPTIONS,
                    rootBlockDevice: rootVolume(20),
                    monitoring: true,
                    userDataBase64: boot.userDataBase64,
                    // A cache node holds nothing that cannot be rebuilt: a changed script means a fresh node.
                    userDataReplaceOnChange: true,
                    tags: { Name: nodeName, role: "memcached" },
                },
                { parent: this, dependsOn: boot.dependsOn },
            );
        });
        return {
            instanceIds: instances.map((instance) => instance.id),
            securityGroupId: securityGroup.id,
            roleName: role.name,
            nodeList: pulumi.all(instances.map((instance) => instance.privateIp)).apply(memcachedNodeList),
        };
    }

    /**
     * Memcached keeps nothing on disk, so there is no encryption at rest to
     * set; in transit, the nodes accept TLS only. The cluster id is generated
     * (`<name>-cluster-<suffix>`): a node type change replaces the cluster, and
     * the new one comes up, and the web tier moves to it, before the old one goes.
     */
    private createCluster(name: string, args: CacheArgs, cache: ElastiCacheArgs) {
        const parent = { parent: this };
        const clusterName = `${name}-cluster`;
        const securityGroup = createSecurityGroup(`${clusterName}-sg`, args.vpcId, "ElastiCache for Memcached", this);
        // The nodes only answer: no egress rule.
        allowClients(
            clusterName,
            securityGroup.id,
            args.clientSecurityGroupIds,
            { from: MEMCACHED_PORT },
            "ElastiCache memcached",
            this,
        );
        const subnetGroup = new aws.elasticache.SubnetGroup(
            `${clusterName}-subnets`,
            { description: "Private subnets of the memcached cluster", subnetIds: args.privateSubnetIds },
            parent,
        );
        return new aws.elasticache.Cluster(
            clusterName,
            {
                engine: "memcached",
                engineVersion: cache.engineVersion,
                nodeType: cache.nodeType,
                numCacheNodes: cache.nodeCount,
                port: MEMCACHED_PORT,
                azMode: "cross-az",
                preferredAvailabilityZones: spreadOverZones(args.availabilityZones, cache.nodeCount),
                transitEncryptionEnabled: true,
                subnetGroupName: subnetGroup.name,
                securityGroupIds: [securityGroup.id],
                maintenanceWindow: ELASTICACHE_MAINTENANCE_WINDOW,
                // Otherwise added nodes wait for the maintenance window, and until then
                // every `pulumi up` reports a change it did not make.
                applyImmediately: true,
                tags: { Name: clusterName },
            },
            parent,
        );
    }
}
