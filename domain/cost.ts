/**
 * Monthly cost of a set of resources as their inputs describe them: fixed
 * costs computed exactly from the resources and the price table, usage costs
 * from the stated usage assumptions, shown apart. A price the table lacks is
 * reported as unpriced, never counted as zero. Pure functions: the plan prices
 * a recording with them, and the program its own resources for its budget.
 */
import { PriceTable, RegionPrices, sourceOf } from "./prices";
import { UsageAssumptions } from "./stack-config";

/**
 * The types whose inputs the estimate reads (below, by type); any other
 * resource counts by its type alone (free, or reported). The program resolves
 * only these types' inputs for its budget: a type priced from its inputs here
 * belongs in this set.
 */
export const PRICED_BY_INPUTS: ReadonlySet<string> = new Set([
    "awsx:ec2:Vpc",
    "aws:ec2/instance:Instance",
    "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:autoscaling/group:Group",
    "aws:ebs/volume:Volume",
    "aws:ebs/snapshot:Snapshot",
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:ec2/vpcEndpoint:VpcEndpoint",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:ec2/flowLog:FlowLog",
    "aws:ssm/parameter:Parameter",
    "aws:rds/instance:Instance",
    "aws:elasticache/cluster:Cluster",
    "aws:opensearch/domain:Domain",
    "aws:dms/replicationInstance:ReplicationInstance",
    "aws:dlm/lifecyclePolicy:LifecyclePolicy",
    "aws:sqs/queue:Queue",
    "aws:wafv2/webAcl:WebAcl",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketObjectv2:BucketObjectv2",
]);

/** The servers' boot scripts: S3 objects the program publishes (components/shared/boot.ts). */
const BUCKET_OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2";

/** What the estimate reads of a resource: its type, name and inputs as the provider receives them. */
export interface BilledResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** Type token of the top-level component the resource belongs to. */
    readonly component?: string;
    /** False for component resources, which cost nothing by themselves (awsx's VPC excepted: its NAT gateways). */
    readonly custom: boolean;
    readonly inputs: Record<string, unknown>;
}

/** What the estimate needs besides the resources. */
export interface CostContext {
    readonly region: string;
    /** Clients served; undefined leaves the usage costs out. */
    readonly clients: number | undefined;
    readonly assumptions: UsageAssumptions;
    /** Days the load balancers' access logs are kept (`loadBalancer.accessLogRetentionDays`). */
    readonly accessLogRetentionDays: number;
    readonly prices: PriceTable;
}

export interface FixedCostLine {
    readonly urn: string;
    readonly name: string;
    readonly type: string;
    readonly component: string;
    readonly monthlyUsd: number;
    /** How the figure was made, e.g. `3 NAT gateway(s) x 0.059/h x 730 h`. */
    readonly basis: string;
    /** The figures of the table it used, by path (`natGatewayHourly`). */
    readonly prices: readonly string[];
}

export interface UsageCostLine {
    readonly item: string;
    readonly component: string;
    readonly quantity: number;
    readonly unit: string;
    readonly unitUsd: number;
    readonly monthlyUsd: number;
    readonly assumption: string;
    readonly prices: readonly string[];
}

export interface Unpriced {
    readonly name: string;
    readonly type: string;
    readonly component: string;
    /** What the price table lacks, e.g. `ec2Hourly["x2.large"] in ap-northeast-2`. */
    readonly missing: string;
}

export interface CostEstimate {
    readonly region: string;
    readonly clients: number | undefined;
    readonly asOf: string;
    readonly fixed: readonly FixedCostLine[];
    readonly usage: readonly UsageCostLine[];
    readonly unpriced: readonly Unpriced[];
    readonly fixedUsd: number;
    readonly usageUsd: number;
    /** Fixed plus usage: a lower bound while anything is unpriced. */
    readonly totalUsd: number;
    /** True when nothing is unpriced: only then is `totalUsd` an estimate rather than a lower bound. */
    readonly complete: boolean;
    /** The part of the total resting on figures whose source is not checked (see PriceSource.checked). */
    readonly uncheckedUsd: number;
    /** Fixed and usage per component type token. */
    readonly byComponent: Readonly<Record<string, { fixedUsd: number; usageUsd: number }>>;
    readonly per1000ClientsUsd: number | undefined;
    readonly assumptions: UsageAssumptions;
}

/** One cost line of a resource before it is attributed. */
interface Line {
    usd: number;
    basis: string;
    prices: string[];
}

/** Result of pricing one resource: its cost lines, or what is missing to price it. */
interface Priced {
    lines: Line[];
    missing: string[];
}

const GB_PER_MB = 1 / 1000;
const DAYS_PER_MONTH = 730 / 24;

/** An input that should be a string, or `fallback`. */
function text(value: unknown, fallback = ""): string {
    return typeof value === "string" ? value : fallback;
}

function tags(resource: BilledResource): Record<string, string> {
    return (resource.inputs.tags as Record<string, string> | undefined) ?? {};
}

/** Number of NAT gateways awsx creates for a VPC's strategy. */
export function natGatewayCount(vpc: BilledResource): number {
    const strategy = (vpc.inputs.natGateways as { strategy?: string } | undefined)?.strategy ?? "OnePerAz";
    return strategy === "Single" ? 1 : strategy === "OnePerAz" ? vpcAzCount(vpc) : 0;
}

function vpcAzCount(vpc: BilledResource): number {
    return (vpc.inputs.availabilityZoneNames as string[] | undefined)?.length ?? 3;
}

/** vCPUs of an RDS class from its size (`db.r7g.2xlarge`: 8), as AWS sizes its m, r and c classes. */
export function rdsClassVcpus(instanceClass: string): number | undefined {
    const size = instanceClass.split(".").pop() ?? "";
    if (size === "large") {
        return 2;
    }
    const match = /^(\d*)xlarge$/.exec(size);
    return match ? 4 * Number(match[1] || 1) : undefined;
}

/** A figure of a map (`ec2Hourly`) for a key, or what is missing. */
function mapped(
    p: RegionPrices,
    table: "ec2Hourly" | "rdsMysqlHourly" | "elasticacheNodeHourly" | "opensearchHourly" | "dmsHourly",
    key: string,
    region: string,
): { price: number; path: string } | string {
    const price = p[table][key];
    return price === undefined ? `${table}["${key}"] in ${region}` : { price, path: `${table}.${key}` };
}

/** Hours of a month times an hourly figure of a map, `count` times. */
function hourly(
    p: RegionPrices,
    table: "ec2Hourly" | "rdsMysqlHourly" | "elasticacheNodeHourly" | "opensearchHourly" | "dmsHourly",
    key: string,
    count: number,
    h: number,
    region: string,
    what = "",
): Priced {
    const figure = mapped(p, table, key, region);
    if (typeof figure === "string") {
        return { lines: [], missing: [figure] };
    }
    const times = count === 1 ? "" : `${count} x `;
    return {
        lines: [
            {
                usd: count * figure.price * h,
                basis: `${times}${key}${what} ${figure.price}/h x ${h} h`,
                prices: [figure.path],
            },
        ],
        missing: [],
    };
}

/** gp3 storage, IOPS and throughput above what the size includes. */
function gp3Line(
    prices: { gbMonth: number; iopsMonth: number; throughputMonth: number },
    pathPrefix: string,
    sizeGb: number,
    included: { iops: number; throughput: number },
    iops = 0,
    throughput = 0,
    copies = 1,
    label = "gp3",
): Line {
    const extraIops = Math.max(0, iops - included.iops);
    const extraThroughput = Math.max(0, throughput - included.throughput);
    const usd =
        copies * (sizeGb * prices.gbMonth + extraIops * prices.iopsMonth + extraThroughput * prices.throughputMonth);
    const extras = [extraIops ? ` + ${extraIops} IOPS` : "", extraThroughput ? ` + ${extraThroughput} MiB/s` : ""];
    const used = [`${pathPrefix}.gbMonth`];
    if (extraIops) {
        used.push(`${pathPrefix}.iopsMonth`);
    }
    if (extraThroughput) {
        used.push(`${pathPrefix}.throughputMonth`);
    }
    return { usd, basis: `${copies > 1 ? `${copies} x ` : ""}${label} ${sizeGb} GB${extras.join("")}`, prices: used };
}

const EBS_GP3_INCLUDED = { iops: 3000, throughput: 125 };

/** RDS gp3 includes 3,000 IOPS and 125 MiB/s under 400 GB, 12,000 IOPS and 500 MiB/s from 400 GB (MySQL). */
function rdsGp3Included(sizeGb: number): { iops: number; throughput: number } {
    return sizeGb < 400 ? { iops: 3000, throughput: 125 } : { iops: 12000, throughput: 500 };
}

/** A server's EBS volume as the instance's root device or a launch template's mapping gives it. */
interface VolumeSpec {
    volumeSize?: number | string;
    volumeType?: string;
    iops?: number | string;
    throughput?: number | string;
}

/** Metrics the CloudWatch agent publishes per server of a role, from the agent configurations the stack stores. */
function agentMetricsByRole(resources: readonly BilledResource[]): Map<string, number> {
    const byRole = new Map<string, number>();
    for (const parameter of resources.filter((r) => r.type === "aws:ssm/parameter:Parameter")) {
        const name = text(parameter.inputs.name);
        if (!name.startsWith("AmazonCloudWatch-")) {
            continue;
        }
        const config = JSON.parse(text(parameter.inputs.value, "{}")) as {
            metrics?: { metrics_collected?: Record<string, { measurement?: unknown[]; resources?: unknown[] }> };
        };
        const collected = Object.values(config.metrics?.metrics_collected ?? {});
        const metrics = collected.reduce(
            (total, c) => total + (c.measurement?.length ?? 0) * (c.resources?.length ?? 1),
            0,
        );
        byRole.set(name.slice(name.lastIndexOf("-") + 1), metrics);
    }
    return byRole;
}

/** The telemetry role of a server's role tag: `mysql-primary` ships as `mysql`. */
function telemetryRole(role: string): string {
    return role.split("-")[0];
}

/** EC2 detailed monitoring publishes seven metrics per instance at one-minute resolution. */
const DETAILED_MONITORING_METRICS = 7;

/** One server for a month: instance hours, gp3 volumes, detailed monitoring and agent metrics. */
function priceServer(
    server: { instanceType: string; volumes: readonly VolumeSpec[]; detailedMonitoring: boolean; role: string },
    agentMetrics: ReadonlyMap<string, number>,
    p: RegionPrices,
    region: string,
    h: number,
): Priced {
    const priced = hourly(p, "ec2Hourly", server.instanceType, 1, h, region);
    for (const volume of server.volumes) {
        if (volume.volumeSize === undefined || (volume.volumeType ?? "gp3") !== "gp3") {
            priced.missing.push(`volume ${volume.volumeType ?? "?"} ${volume.volumeSize ?? "?"} GB`);
        } else {
            priced.lines.push(
                gp3Line(
                    p.gp3,
                    "gp3",
                    Number(volume.volumeSize),
                    EBS_GP3_INCLUDED,
                    Number(volume.iops ?? 0),
                    Number(volume.throughput ?? 0),
                ),
            );
        }
    }
    const agent = agentMetrics.get(server.role) ?? agentMetrics.get(telemetryRole(server.role)) ?? 0;
    const metrics = (server.detailedMonitoring ? DETAILED_MONITORING_METRICS : 0) + agent;
    if (metrics > 0) {
        priced.lines.push({
            usd: metrics * p.metricMonthly,
            basis: `${metrics} CloudWatch metrics (detailed monitoring, agent) x ${p.metricMonthly}`,
            prices: ["metricMonthly"],
        });
    }
    return priced;
}

/** The instance role a launch template tags its instances with. */
function templateRole(template: BilledResource): string {
    const specs =
        (template.inputs.tagSpecifications as { resourceType?: string; tags?: Record<string, string> }[]) ?? [];
    return specs.find((s) => s.resourceType === "instance")?.tags?.role ?? "";
}

/**
 * The launch template of an Auto Scaling group: the one whose id the group
 * names where ids are known (mocks give `<name>-id`), else the only launch
 * template beside the group in its component.
 */
function templateOf(group: BilledResource, resources: readonly BilledResource[]): BilledResource | undefined {
    const templates = resources.filter((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate");
    const id = (group.inputs.launchTemplate as { id?: string } | undefined)?.id;
    const byId = templates.find((t) => `${t.name}-id` === id);
    if (byId) {
        return byId;
    }
    const siblings = templates.filter((t) => t.component === group.component);
    return siblings.length === 1 ? siblings[0] : undefined;
}

/**
 * An Auto Scaling group costs its launch template's server, priced at the
 * group's minimum: what runs all month. Scaling above it is load, not a fixed cost.
 */
function priceGroup(
    group: BilledResource,
    resources: readonly BilledResource[],
    agentMetrics: ReadonlyMap<string, number>,
    p: RegionPrices,
    region: string,
    h: number,
): Priced {
    const template = templateOf(group, resources);
    if (!template) {
        return { lines: [], missing: [`the launch template of the group`] };
    }
    const size = Number(group.inputs.minSize ?? 0);
    const mappings = (template.inputs.blockDeviceMappings as { ebs?: VolumeSpec }[] | undefined) ?? [];
    const server = priceServer(
        {
            instanceType: String(template.inputs.instanceType),
            volumes: mappings.map((mapping) => mapping.ebs ?? {}),
            detailedMonitoring: (template.inputs.monitoring as { enabled?: boolean } | undefined)?.enabled === true,
            role: templateRole(template),
        },
        agentMetrics,
        p,
        region,
        h,
    );
    return {
        lines: server.lines.map((l) => ({ ...l, usd: l.usd * size, basis: `${size} x ${l.basis} (minSize)` })),
        missing: server.missing,
    };
}

/** The primary of a read replica (by identifier), whose storage the replica copies. */
function replicaSource(replica: BilledResource, resources: readonly BilledResource[]): BilledResource | undefined {
    const source = text(replica.inputs.replicateSourceDb);
    return resources.find(
        (r) => r.type === "aws:rds/instance:Instance" && (r.inputs.identifier === source || r.name === source),
    );
}

/** An RDS instance: hours and storage (twice for Multi-AZ), IOPS and throughput above gp3's, Performance Insights. */
function priceRds(
    instance: BilledResource,
    resources: readonly BilledResource[],
    p: RegionPrices,
    region: string,
    h: number,
): Priced {
    const i = instance.inputs;
    const copies = i.multiAz === true ? 2 : 1;
    const deployment = copies === 2 ? " Multi-AZ (primary and standby)" : "";
    const instanceClass = String(i.instanceClass);
    const priced = hourly(p, "rdsMysqlHourly", instanceClass, copies, h, region, deployment);
    const storageOf = i.replicateSourceDb ? (replicaSource(instance, resources)?.inputs ?? {}) : i;
    const sizeGb = Number(storageOf.allocatedStorage ?? 0);
    const storageType = text(storageOf.storageType, "gp2");
    if (storageType !== "gp3") {
        priced.missing.push(`RDS ${storageType} storage in ${region}`);
    } else if (sizeGb > 0) {
        priced.lines.push(
            gp3Line(
                p.rdsGp3,
                "rdsGp3",
                sizeGb,
                rdsGp3Included(sizeGb),
                Number(storageOf.iops ?? 0),
                Number(storageOf.storageThroughput ?? 0),
                copies,
                "RDS gp3",
            ),
        );
    }
    const retention = Number(i.performanceInsightsRetentionPeriod ?? 7);
    if (i.performanceInsightsEnabled === true && retention > 7) {
        const vcpus = rdsClassVcpus(instanceClass);
        if (vcpus === undefined) {
            priced.missing.push(`vCPUs of ${instanceClass}`);
        } else {
            const price = p.rdsPerformanceInsightsVcpuMonth;
            priced.lines.push({
                usd: copies * vcpus * price,
                basis: `Performance Insights ${retention} days: ${copies * vcpus} vCPU x ${price}`,
                prices: ["rdsPerformanceInsightsVcpuMonth"],
            });
        }
    }
    return priced;
}

/** An OpenSearch domain: data nodes, dedicated masters and each data node's gp3 volume. */
function priceOpenSearch(domain: BilledResource, p: RegionPrices, region: string, h: number): Priced {
    const cluster = (domain.inputs.clusterConfig ?? {}) as {
        instanceType?: string;
        instanceCount?: number;
        dedicatedMasterEnabled?: boolean;
        dedicatedMasterType?: string;
        dedicatedMasterCount?: number;
    };
    const nodes = cluster.instanceCount ?? 1;
    // Multi-AZ with standby keeps one AZ's nodes as standby inside instanceCount: no extra nodes are billed.
    const priced = hourly(p, "opensearchHourly", String(cluster.instanceType), nodes, h, region, " data node");
    if (cluster.dedicatedMasterEnabled) {
        const masters = hourly(
            p,
            "opensearchHourly",
            String(cluster.dedicatedMasterType),
            cluster.dedicatedMasterCount ?? 3,
            h,
            region,
            " dedicated master",
        );
        priced.lines.push(...masters.lines);
        priced.missing.push(...masters.missing);
    }
    const ebs = (domain.inputs.ebsOptions ?? {}) as { ebsEnabled?: boolean; volumeSize?: number; volumeType?: string };
    if (ebs.ebsEnabled) {
        if (ebs.volumeType !== "gp3") {
            priced.missing.push(`OpenSearch ${String(ebs.volumeType)} storage in ${region}`);
        } else {
            const gb = nodes * Number(ebs.volumeSize ?? 0);
            priced.lines.push({
                usd: gb * p.opensearchGp3GbMonth,
                basis: `${nodes} x gp3 ${ebs.volumeSize} GB x ${p.opensearchGp3GbMonth}`,
                prices: ["opensearchGp3GbMonth"],
            });
        }
    }
    return priced;
}

function fixedLine(usd: number, basis: string, ...prices: string[]): Priced {
    return { lines: [{ usd, basis, prices }], missing: [] };
}

function priceResource(
    resource: BilledResource,
    resources: readonly BilledResource[],
    agentMetrics: ReadonlyMap<string, number>,
    p: RegionPrices,
    table: PriceTable,
    region: string,
): Priced {
    const i = resource.inputs;
    const h = table.hoursPerMonth;
    switch (resource.type) {
        case "aws:ec2/instance:Instance":
            return priceServer(
                {
                    instanceType: String(i.instanceType),
                    volumes: [(i.rootBlockDevice as VolumeSpec | undefined) ?? {}],
                    detailedMonitoring: i.monitoring === true,
                    role: tags(resource).role ?? "",
                },
                agentMetrics,
                p,
                region,
                h,
            );
        case "aws:autoscaling/group:Group":
            return priceGroup(resource, resources, agentMetrics, p, region, h);
        case "aws:ebs/volume:Volume":
            return i.type === "gp3"
                ? {
                      lines: [
                          gp3Line(
                              p.gp3,
                              "gp3",
                              Number(i.size),
                              EBS_GP3_INCLUDED,
                              Number(i.iops ?? 0),
                              Number(i.throughput ?? 0),
                          ),
                      ],
                      missing: [],
                  }
                : { lines: [], missing: [`EBS ${String(i.type)} in ${region}`] };
        case "awsx:ec2:Vpc": {
            const nats = natGatewayCount(resource);
            return {
                lines: [
                    {
                        usd: nats * p.natGatewayHourly * h,
                        basis: `${nats} NAT gateway(s) x ${p.natGatewayHourly}/h x ${h} h`,
                        prices: ["natGatewayHourly"],
                    },
                    {
                        usd: nats * p.publicIpv4Hourly * h,
                        basis: `${nats} NAT public IPv4 x ${p.publicIpv4Hourly}/h x ${h} h`,
                        prices: ["publicIpv4Hourly"],
                    },
                ],
                missing: [],
            };
        }
        case "aws:lb/loadBalancer:LoadBalancer": {
            const kind = text(i.loadBalancerType, "application");
            if (kind !== "application" && kind !== "network") {
                return { lines: [], missing: [`${kind} load balancer in ${region}`] };
            }
            const [label, price, path] =
                kind === "application" ? ["ALB", p.albHourly, "albHourly"] : ["NLB", p.nlbHourly, "nlbHourly"];
            // An internet-facing load balancer holds one public IPv4 address per subnet (AZ).
            const ips = i.internal ? 0 : ((i.subnets as string[] | undefined)?.length ?? 0);
            return {
                lines: [
                    { usd: price * h, basis: `${label} ${price}/h x ${h} h`, prices: [path] },
                    {
                        usd: ips * p.publicIpv4Hourly * h,
                        basis: `${ips} public IPv4 x ${p.publicIpv4Hourly}/h x ${h} h`,
                        prices: ["publicIpv4Hourly"],
                    },
                ],
                missing: [],
            };
        }
        case "aws:ec2/vpcEndpoint:VpcEndpoint": {
            if (i.vpcEndpointType !== "Interface") {
                return fixedLine(0, "gateway endpoint, free");
            }
            const azs = (i.subnetIds as string[] | undefined)?.length ?? 0;
            return fixedLine(
                azs * p.interfaceEndpointHourly * h,
                `${azs} AZ(s) x endpoint ${p.interfaceEndpointHourly}/h x ${h} h`,
                "interfaceEndpointHourly",
            );
        }
        case "aws:route53/zone:Zone":
            return fixedLine(p.route53HostedZoneMonthly, "hosted zone per month", "route53HostedZoneMonthly");
        case "aws:secretsmanager/secret:Secret":
            return fixedLine(p.secretMonthly, "secret per month", "secretMonthly");
        case BUCKET_OBJECT: {
            // Its own bytes, all month (a replaced version is kept as well: kilobytes more per change).
            const bytes = new TextEncoder().encode(typeof i.content === "string" ? i.content : "").length;
            return fixedLine(
                (bytes / 1024 ** 3) * p.s3StandardGbMonth,
                `${bytes} bytes x ${p.s3StandardGbMonth}/GB-month`,
                "s3StandardGbMonth",
            );
        }
        case "aws:wafv2/webAcl:WebAcl": {
            const rules = Array.isArray(i.rules) ? i.rules.length : 0;
            return {
                lines: [
                    { usd: p.wafWebAclMonthly, basis: "web ACL per month", prices: ["wafWebAclMonthly"] },
                    { usd: rules * p.wafRuleMonthly, basis: `${rules} rules per month`, prices: ["wafRuleMonthly"] },
                ],
                missing: [],
            };
        }
        case "aws:cloudwatch/metricAlarm:MetricAlarm":
            // An anomaly detection alarm is billed as three standard ones (the metric and the band's two bounds).
            if (JSON.stringify(i.metricQueries ?? []).includes("ANOMALY_DETECTION_BAND")) {
                return fixedLine(3 * p.metricAlarmMonthly, "anomaly detection alarm per month", "metricAlarmMonthly");
            }
            return Number(i.period ?? 60) < 60
                ? fixedLine(
                      p.highResolutionAlarmMonthly,
                      "high-resolution alarm per month",
                      "highResolutionAlarmMonthly",
                  )
                : fixedLine(p.metricAlarmMonthly, "standard alarm per month", "metricAlarmMonthly");
        case "aws:cloudwatch/dashboard:Dashboard":
            return fixedLine(p.dashboardMonthly, "dashboard per month", "dashboardMonthly");
        case "aws:kms/key:Key":
            return fixedLine(p.kmsKeyMonthly, "customer managed key per month", "kmsKeyMonthly");
        case "aws:rds/instance:Instance":
            return priceRds(resource, resources, p, region, h);
        case "aws:elasticache/cluster:Cluster":
            return hourly(p, "elasticacheNodeHourly", String(i.nodeType), Number(i.numCacheNodes ?? 1), h, region);
        case "aws:opensearch/domain:Domain":
            return priceOpenSearch(resource, p, region, h);
        case "aws:ebs/snapshot:Snapshot": {
            // A retired server's final snapshot, kept: priced at its volume's full size (an upper bound:
            // snapshots store used blocks only), the volume found by the id the snapshot names.
            const volume = resources.find((r) => r.type === "aws:ebs/volume:Volume" && `${r.name}-id` === i.volumeId);
            return volume === undefined
                ? { lines: [], missing: [`the size of the snapshot's volume ${text(i.volumeId)}`] }
                : fixedLine(
                      Number(volume.inputs.size) * p.snapshotGbMonth,
                      `snapshot of ${text(volume.inputs.size)} GB x ${p.snapshotGbMonth}`,
                      "snapshotGbMonth",
                  );
        }
        case "aws:dms/replicationInstance:ReplicationInstance": {
            const copies = i.multiAz === true ? 2 : 1;
            const priced = hourly(p, "dmsHourly", String(i.replicationInstanceClass), copies, h, region);
            const gb = Number(i.allocatedStorage ?? 50);
            priced.lines.push({
                usd: copies * gb * p.dmsStorageGbMonth,
                basis: `${copies > 1 ? `${copies} x ` : ""}DMS storage ${gb} GB x ${p.dmsStorageGbMonth}`,
                prices: ["dmsStorageGbMonth"],
            });
            return priced;
        }
        default:
            return table.free[resource.type] !== undefined
                ? { lines: [], missing: [] }
                : { lines: [], missing: [`no price for type ${resource.type}`] };
    }
}

/** The resources that cost something: custom resources, and the awsx VPC (a component whose NAT gateways are billed). */
function billable(resource: BilledResource): boolean {
    return resource.custom || resource.type === "awsx:ec2:Vpc";
}

/** Servers running all month with a role: instances by their tag, groups at their minimum by their template's tag. */
function serversOfRole(resources: readonly BilledResource[], role: string): number {
    const instances = resources.filter(
        (r) => r.type === "aws:ec2/instance:Instance" && telemetryRole(tags(r).role ?? "") === role,
    ).length;
    const grouped = resources
        .filter((r) => r.type === "aws:autoscaling/group:Group")
        .map((group) => ({ group, template: templateOf(group, resources) }))
        .filter(({ template }) => template !== undefined && telemetryRole(templateRole(template)) === role)
        .reduce((total, { group }) => total + Number(group.inputs.minSize ?? 0), 0);
    return instances + grouped;
}

function usageLines(
    resources: readonly BilledResource[],
    context: CostContext,
    p: RegionPrices,
    clients: number,
): UsageCostLine[] {
    const a = context.assumptions;
    const h = context.prices.hoursPerMonth;
    const of = (type: string) => resources.filter((r) => r.type === type);
    const lines: UsageCostLine[] = [];
    const line = (
        item: string,
        r: BilledResource,
        quantity: number,
        unit: string,
        unitUsd: number,
        assumption: string,
        ...prices: string[]
    ) =>
        lines.push({
            item,
            component: r.component ?? r.type,
            quantity,
            unit,
            unitUsd,
            monthlyUsd: quantity * unitUsd,
            assumption,
            prices,
        });
    const requests = clients * a.requestsPerClient;

    const publicAlbs = of("aws:lb/loadBalancer:LoadBalancer").filter(
        (r) => !r.inputs.internal && (r.inputs.loadBalancerType ?? "application") === "application",
    );
    publicAlbs.forEach((alb) => {
        const gb = (clients * a.responseMbPerClient * GB_PER_MB) / publicAlbs.length;
        const connectionsPerSecond = requests / a.requestsPerConnection / publicAlbs.length / (h * 3600);
        // Evenly spread load: LCUs per hour is the largest of the dimensions (1 GB/h, 25 new connections/s);
        // the rule dimension stays under the 10 free rules, active connections are assumed not to dominate.
        const lcu = Math.max(gb / h, connectionsPerSecond / 25);
        line(
            `ALB LCUs (${alb.name})`,
            alb,
            lcu * h,
            "LCU-h",
            p.albLcuHourly,
            `${a.responseMbPerClient} MB and ${a.requestsPerClient} requests (${a.requestsPerConnection}/connection) per client`,
            "albLcuHourly",
        );
        line(
            `data transfer out (${alb.name})`,
            alb,
            gb,
            "GB",
            p.dataTransferOutPerGb,
            `${a.responseMbPerClient} MB per client`,
            "dataTransferOutPerGb",
        );
        if ((alb.inputs.accessLogs as { enabled?: boolean } | undefined)?.enabled !== true) {
            return;
        }
        const logGb = ((requests / publicAlbs.length) * a.accessLogBytesPerRequest) / 1e9;
        const monthsKept = context.accessLogRetentionDays / DAYS_PER_MONTH;
        line(
            `access logs in S3 (${alb.name})`,
            alb,
            logGb * monthsKept,
            "GB-month",
            p.s3StandardGbMonth,
            `${a.accessLogBytesPerRequest} bytes per request, kept ${context.accessLogRetentionDays} days`,
            "s3StandardGbMonth",
        );
    });

    const logGroups = of("aws:cloudwatch/logGroup:LogGroup");
    const webLogGb = clients * a.webLogMbPerClient * GB_PER_MB;
    /** GB a month a log group receives, by what writes to it. */
    const logGroupGb = (group: BilledResource): { gb: number; assumption: string } => {
        const name = text(group.inputs.name);
        const role = /^\/[^/]+\/[^/]+\/([a-z0-9-]+)$/.exec(name)?.[1];
        if (role === "web") {
            return { gb: webLogGb, assumption: `${a.webLogMbPerClient} MB of web logs per client` };
        }
        const servers = role === undefined ? 1 : serversOfRole(resources, role);
        return {
            gb: servers * a.serverLogMbPerDay * DAYS_PER_MONTH * GB_PER_MB,
            assumption: `${a.serverLogMbPerDay} MB a day x ${servers} writer(s)`,
        };
    };
    const flowLogGroups = new Set(
        of("aws:ec2/flowLog:FlowLog")
            .filter((f) => f.inputs.logDestinationType !== "s3")
            .map((f) => text(f.inputs.logDestination)),
    );
    logGroups.forEach((group) => {
        // A flow log names its group by ARN, which holds the group's name (auto-named from the logical one).
        const isFlowLog = [...flowLogGroups].some((destination) => destination.includes(group.name));
        const { gb, assumption } = isFlowLog
            ? {
                  gb: clients * a.flowLogMbPerClient * GB_PER_MB,
                  assumption: `${a.flowLogMbPerClient} MB of flow logs per client`,
              }
            : logGroupGb(group);
        line(`log ingestion (${group.name})`, group, gb, "GB", p.logsIngestPerGb, assumption, "logsIngestPerGb");
        const days = Number(group.inputs.retentionInDays ?? 0) || 3653;
        // Stored as ingested (CloudWatch compresses what it stores: an upper bound), each GB kept `days`.
        line(
            `log storage (${group.name})`,
            group,
            gb * (days / DAYS_PER_MONTH),
            "GB-month",
            p.logsStorageGbMonth,
            `${days} days kept, uncompressed`,
            "logsStorageGbMonth",
        );
    });

    of("aws:wafv2/webAcl:WebAcl").forEach((acl) =>
        line(
            `requests inspected (${acl.name})`,
            acl,
            (clients * a.requestsPerClient) / 1e6,
            "million requests",
            p.wafPerMillionRequests,
            `${a.requestsPerClient} requests per client, every one through the web ACL`,
            "wafPerMillionRequests",
        ),
    );

    const nlbs = of("aws:lb/loadBalancer:LoadBalancer").filter((r) => r.inputs.loadBalancerType === "network");
    nlbs.forEach((nlb) => {
        // The log intake's NLB carries what the servers ship to Logstash: the web logs, at one GB/h per NLCU.
        const gb = webLogGb / nlbs.length;
        line(
            `NLB LCUs (${nlb.name})`,
            nlb,
            gb,
            "NLCU-h",
            p.nlbLcuHourly,
            `${a.webLogMbPerClient} MB of logs per client`,
            "nlbLcuHourly",
        );
    });

    of("awsx:ec2:Vpc").forEach((vpc) => {
        if (natGatewayCount(vpc) > 0) {
            line(
                `NAT data processed (${vpc.name})`,
                vpc,
                clients * a.natMbPerClient * GB_PER_MB,
                "GB",
                p.natGatewayPerGb,
                `${a.natMbPerClient} MB per client`,
                "natGatewayPerGb",
            );
        }
        if (vpcAzCount(vpc) > 1) {
            // Billed on both sides of the transfer.
            line(
                `inter-AZ transfer (${vpc.name})`,
                vpc,
                2 * clients * a.interAzMbPerClient * GB_PER_MB,
                "GB",
                p.interAzPerGb,
                `${a.interAzMbPerClient} MB per client, billed in and out`,
                "interAzPerGb",
            );
        }
    });

    const queues = of("aws:sqs/queue:Queue");
    if (queues.length > 0) {
        line(
            "SQS requests",
            queues[0],
            (clients * a.queueRequestsPerClient) / 1e6,
            "million requests",
            p.sqsPerMillionRequests,
            `${a.queueRequestsPerClient} requests per client`,
            "sqsPerMillionRequests",
        );
    }

    const accessLogBuckets = new Set(
        of("aws:lb/loadBalancer:LoadBalancer")
            .map((lb) => (lb.inputs.accessLogs as { bucket?: string } | undefined)?.bucket)
            .filter((bucket): bucket is string => bucket !== undefined),
    );
    // The boot scripts' bucket is priced by its objects, which the program publishes itself.
    const objectBuckets = of(BUCKET_OBJECT).map((object) => String(object.inputs.bucket));
    of("aws:s3/bucket:Bucket")
        .filter((bucket) => ![...accessLogBuckets, ...objectBuckets].some((name) => name.startsWith(bucket.name)))
        .forEach((bucket) =>
            line(
                `S3 storage (${bucket.name})`,
                bucket,
                a.artifactGb,
                "GB-month",
                p.s3StandardGbMonth,
                `${a.artifactGb} GB kept`,
                "s3StandardGbMonth",
            ),
        );
    if (accessLogBuckets.size > 0) {
        // Each load balancer node delivers a log file every 5 minutes.
        const nodes = of("aws:lb/loadBalancer:LoadBalancer")
            .filter((lb) => (lb.inputs.accessLogs as { enabled?: boolean } | undefined)?.enabled)
            .reduce((total, lb) => total + ((lb.inputs.subnets as string[] | undefined)?.length ?? 1), 0);
        const puts = nodes * 12 * h;
        const bucket = of("aws:s3/bucket:Bucket").find((b) =>
            [...accessLogBuckets].some((name) => name.startsWith(b.name)),
        );
        if (bucket) {
            line(
                "access log PUT requests",
                bucket,
                puts / 1000,
                "1,000 requests",
                p.s3PutPer1000,
                `${nodes} load balancer nodes, a file each 5 minutes`,
                "s3PutPer1000",
            );
        }
    }

    const fill = a.volumeFillPercent / 100;
    const change = a.changePerSnapshotPercent / 100;
    of("aws:rds/instance:Instance").forEach((instance) => {
        const i = instance.inputs;
        const interval = Number(i.monitoringInterval ?? 0);
        if (interval > 0) {
            const samples = (h * 3600) / interval;
            line(
                `Enhanced Monitoring (${instance.name})`,
                instance,
                (samples * a.enhancedMonitoringKbPerSample) / 1e6,
                "GB",
                p.logsIngestPerGb,
                `a sample each ${interval} s of ${a.enhancedMonitoringKbPerSample} KB`,
                "logsIngestPerGb",
            );
        }
        const retention = Number(i.backupRetentionPeriod ?? 0);
        const allocated = Number(i.allocatedStorage ?? 0);
        if (retention > 0 && allocated > 0 && !i.replicateSourceDb) {
            // Backups up to the provisioned storage are free; daily increments beyond it are billed.
            const backupGb = allocated * fill * (1 + change * (retention - 1));
            line(
                `backup storage above the free allowance (${instance.name})`,
                instance,
                Math.max(0, backupGb - allocated),
                "GB-month",
                p.rdsBackupGbMonth,
                `${a.volumeFillPercent}% used, ${a.changePerSnapshotPercent}% changed a day, ${retention} days kept`,
                "rdsBackupGbMonth",
            );
        }
    });

    of("aws:dlm/lifecyclePolicy:LifecyclePolicy").forEach((policy) => {
        const details = policy.inputs.policyDetails as {
            targetTags?: Record<string, string>;
            schedules?: { retainRule?: { count?: number } }[];
        };
        const retain = Math.max(...(details.schedules ?? []).map((s) => s.retainRule?.count ?? 1));
        const targets = of("aws:ebs/volume:Volume").filter((v) =>
            Object.entries(details.targetTags ?? {}).every(([k, value]) => tags(v)[k] === value),
        );
        targets.forEach((volume) => {
            const data = Number(volume.inputs.size) * fill;
            const gb = data * (1 + change * (retain - 1));
            line(
                `snapshot storage (${volume.name}, ${retain} kept)`,
                policy,
                gb,
                "GB-month",
                p.snapshotGbMonth,
                `${a.volumeFillPercent}% of the volume used, ${a.changePerSnapshotPercent}% changed per snapshot`,
                "snapshotGbMonth",
            );
        });
    });
    return lines;
}

const sum = (values: number[]): number => values.reduce((total, v) => total + v, 0);

/** The monthly cost of `resources` in `context.region`. */
export function estimateResources(resources: readonly BilledResource[], context: CostContext): CostEstimate {
    const { region, clients, prices: table } = context;
    const p = table.regions[region];
    const agentMetrics = agentMetricsByRole(resources);
    const fixed: FixedCostLine[] = [];
    const unpriced: Unpriced[] = [];
    for (const resource of resources.filter(billable)) {
        const component = resource.component ?? resource.type;
        if (p === undefined) {
            unpriced.push({ name: resource.name, type: resource.type, component, missing: `region ${region}` });
            continue;
        }
        const priced = priceResource(resource, resources, agentMetrics, p, table, region);
        priced.missing.forEach((missing) =>
            unpriced.push({ name: resource.name, type: resource.type, component, missing }),
        );
        priced.lines.forEach((l) =>
            fixed.push({
                urn: resource.urn,
                name: resource.name,
                type: resource.type,
                component,
                monthlyUsd: l.usd,
                basis: l.basis,
                prices: l.prices,
            }),
        );
    }
    const usage = p && clients !== undefined ? usageLines(resources, context, p, clients) : [];
    const components = [...new Set([...fixed.map((l) => l.component), ...usage.map((l) => l.component)])];
    const byComponent = Object.fromEntries(
        components.map((c) => [
            c,
            {
                fixedUsd: sum(fixed.filter((l) => l.component === c).map((l) => l.monthlyUsd)),
                usageUsd: sum(usage.filter((l) => l.component === c).map((l) => l.monthlyUsd)),
            },
        ]),
    );
    const unchecked = (l: { prices: readonly string[] }) =>
        l.prices.some((path) => sourceOf(table, region, path)?.checked !== true);
    const fixedUsd = sum(fixed.map((l) => l.monthlyUsd));
    const usageUsd = sum(usage.map((l) => l.monthlyUsd));
    return {
        region,
        clients,
        asOf: table.asOf,
        fixed,
        usage,
        unpriced,
        fixedUsd,
        usageUsd,
        totalUsd: fixedUsd + usageUsd,
        complete: unpriced.length === 0,
        uncheckedUsd: sum([...fixed, ...usage].filter(unchecked).map((l) => l.monthlyUsd)),
        byComponent,
        per1000ClientsUsd: clients ? ((fixedUsd + usageUsd) / clients) * 1000 : undefined,
        assumptions: context.assumptions,
    };
}
