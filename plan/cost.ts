/**
 * Monthly cost estimate of a recording: fixed costs computed exactly from the
 * resources and the price table, usage costs from stated per-client
 * assumptions, shown apart. A price the table lacks is reported as unpriced,
 * never counted as zero. Pure functions.
 */
import { parseStackConfig } from "../stacks/config";
import { ConfigError } from "../domain/config-problem";
import { RecordedResource, Recording, projectName } from "./evaluate";
import { PRICES, PriceTable, RegionPrices } from "./prices";

/**
 * The clients a recorded stack serves (`scale-tiers:clients`, or its shape's
 * default), whatever the stack is called; undefined for a hand-made recording
 * without a stack's config.
 */
export function configuredClients(recording: Recording): number | undefined {
    try {
        return parseStackConfig({ project: projectName(), stack: recording.stack, values: recording.config }).clients;
    } catch (error) {
        if (error instanceof ConfigError) {
            return undefined;
        }
        throw error;
    }
}

/** Per client per month, what usage costs are computed from. Stated, not measured: change them here. */
export interface UsageAssumptions {
    /** HTTP requests a client makes through the load balancer. */
    readonly requestsPerClient: number;
    /** Requests served per new TCP/TLS connection (keep-alive). */
    readonly requestsPerConnection: number;
    /** GB the load balancer sends to a client (responses); also the data transferred out. */
    readonly responseGbPerClient: number;
    /** GB servers in private subnets exchange with the internet through NAT, per client. */
    readonly natGbPerClient: number;
    /** GB of VPC flow logs ingested into CloudWatch Logs, per client. */
    readonly logGbPerClient: number;
    /** Share of a data volume's size holding data (snapshots store used blocks only). */
    readonly volumeFillRatio: number;
    /** Share of the data that changes between two snapshots (each snapshot after the first stores only that). */
    readonly changePerSnapshot: number;
}

export const DEFAULT_ASSUMPTIONS: UsageAssumptions = {
    requestsPerClient: 3_000,
    requestsPerConnection: 10,
    responseGbPerClient: 0.05,
    natGbPerClient: 0.002,
    logGbPerClient: 0.001,
    volumeFillRatio: 0.5,
    changePerSnapshot: 0.02,
};

export interface FixedCostLine {
    readonly urn: string;
    readonly name: string;
    readonly type: string;
    readonly component: string;
    readonly monthlyUsd: number;
    /** How the figure was made, e.g. `2 NAT gateways x 0.059/h x 730 h`. */
    readonly basis: string;
}

export interface UsageCostLine {
    readonly item: string;
    readonly component: string;
    readonly quantity: number;
    readonly unit: string;
    readonly unitUsd: number;
    readonly monthlyUsd: number;
    readonly assumption: string;
}

export interface Unpriced {
    readonly name: string;
    readonly type: string;
    readonly component: string;
    /** What the price table lacks, e.g. `ec2Hourly["x2.large"] in ap-northeast-2`. */
    readonly missing: string;
}

export interface StackCost {
    readonly stack: string;
    readonly region: string;
    readonly clients: number | undefined;
    readonly asOf: string;
    readonly fixed: readonly FixedCostLine[];
    readonly usage: readonly UsageCostLine[];
    readonly unpriced: readonly Unpriced[];
    readonly fixedUsd: number;
    readonly usageUsd: number;
    readonly totalUsd: number;
    /** Fixed and usage per component type token. */
    readonly byComponent: Readonly<Record<string, { fixedUsd: number; usageUsd: number }>>;
    readonly per1000ClientsUsd: number | undefined;
    readonly assumptions: UsageAssumptions;
}

/** Result of pricing one resource: its cost lines, or what is missing to price it. */
type Priced = { lines: { usd: number; basis: string }[]; missing: string[] };

function tags(resource: RecordedResource): Record<string, string> {
    return (resource.inputs.tags as Record<string, string> | undefined) ?? {};
}

/** Number of NAT gateways awsx creates for a VPC's strategy. */
export function natGatewayCount(vpc: RecordedResource): number {
    const strategy = (vpc.inputs.natGateways as { strategy?: string } | undefined)?.strategy ?? "OnePerAz";
    const azs = (vpc.inputs.availabilityZoneNames as string[] | undefined)?.length ?? 3;
    return strategy === "Single" ? 1 : strategy === "OnePerAz" ? azs : 0;
}

function hourly(table: Readonly<Record<string, number>>, key: string, label: string, region: string): Priced {
    const price = table[key];
    return price === undefined
        ? { lines: [], missing: [`${label}["${key}"] in ${region}`] }
        : { lines: [{ usd: price, basis: `${key} ${price}/h` }], missing: [] };
}

/** gp3 storage, IOPS above the 3,000 included and throughput above the 125 MiB/s included. */
function gp3(p: RegionPrices, sizeGb: number, iops = 3000, throughput = 125): { usd: number; basis: string } {
    const extraIops = Math.max(0, iops - 3000);
    const extraThroughput = Math.max(0, throughput - 125);
    const usd = sizeGb * p.gp3.gbMonth + extraIops * p.gp3.iopsMonth + extraThroughput * p.gp3.throughputMonth;
    const extras = [extraIops ? ` + ${extraIops} IOPS` : "", extraThroughput ? ` + ${extraThroughput} MiB/s` : ""];
    return { usd, basis: `gp3 ${sizeGb} GB${extras.join("")}` };
}

/** A server's EBS volume as the instance's root device or a launch template's mapping gives it. */
interface VolumeSpec {
    volumeSize?: number;
    volumeType?: string;
    iops?: number;
    throughput?: number;
}

/** One server for a month: its instance hours and its gp3 volumes; a volume of another kind is reported. */
function priceServer(
    instanceType: string,
    volumes: readonly VolumeSpec[],
    p: RegionPrices,
    region: string,
    h: number,
): Priced {
    const compute = hourly(p.ec2Hourly, instanceType, "ec2Hourly", region);
    const lines = compute.lines.map((l) => ({ usd: l.usd * h, basis: `${l.basis} x ${h} h` }));
    const missing = [...compute.missing];
    for (const volume of volumes) {
        if (volume.volumeSize === undefined || (volume.volumeType ?? "gp3") !== "gp3") {
            missing.push(`volume ${volume.volumeType ?? "?"} ${volume.volumeSize ?? "?"} GB`);
        } else {
            lines.push(gp3(p, volume.volumeSize, volume.iops, volume.throughput));
        }
    }
    return { lines, missing };
}

/**
 * An Auto Scaling group costs its launch template's server, priced at the
 * group's minimum: what runs all month. Scaling above it is load, not a fixed
 * cost. The template is found by the id the mocks give it.
 */
function priceGroup(
    group: RecordedResource,
    resources: readonly RecordedResource[],
    p: RegionPrices,
    region: string,
    h: number,
): Priced {
    const templateId = (group.inputs.launchTemplate as { id?: string } | undefined)?.id;
    const template = resources.find(
        (r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate" && `${r.name}-id` === templateId,
    );
    if (!template) {
        return { lines: [], missing: [`launch template ${String(templateId)} of the group`] };
    }
    const size = Number(group.inputs.minSize ?? 0);
    const mappings = (template.inputs.blockDeviceMappings as { ebs?: VolumeSpec }[] | undefined) ?? [];
    const server = priceServer(
        String(template.inputs.instanceType),
        mappings.map((mapping) => mapping.ebs ?? {}),
        p,
        region,
        h,
    );
    return {
        lines: server.lines.map((l) => ({ usd: l.usd * size, basis: `${size} x ${l.basis} (minSize)` })),
        missing: server.missing,
    };
}

function priceResource(
    resource: RecordedResource,
    resources: readonly RecordedResource[],
    p: RegionPrices,
    table: PriceTable,
    region: string,
): Priced {
    const i = resource.inputs;
    const h = table.hoursPerMonth;
    const monthly = (priced: Priced, times = 1, what = ""): Priced => ({
        lines: priced.lines.map((l) => ({
            usd: l.usd * h * times,
            basis: `${times > 1 ? `${times} x ` : ""}${l.basis}${what} x ${h} h`,
        })),
        missing: priced.missing,
    });
    switch (resource.type) {
        case "aws:ec2/instance:Instance":
            return priceServer(
                String(i.instanceType),
                [(i.rootBlockDevice as VolumeSpec | undefined) ?? {}],
                p,
                region,
                h,
            );
        case "aws:autoscaling/group:Group":
            return priceGroup(resource, resources, p, region, h);
        case "aws:ebs/volume:Volume":
            return i.type === "gp3"
                ? { lines: [gp3(p, Number(i.size), i.iops as number, i.throughput as number)], missing: [] }
                : { lines: [], missing: [`EBS ${String(i.type)} in ${region}`] };
        case "awsx:ec2:Vpc": {
            const nats = natGatewayCount(resource);
            return {
                lines: [
                    {
                        usd: nats * p.natGatewayHourly * h,
                        basis: `${nats} NAT gateway(s) x ${p.natGatewayHourly}/h x ${h} h`,
                    },
                    {
                        usd: nats * p.publicIpv4Hourly * h,
                        basis: `${nats} NAT public IPv4 x ${p.publicIpv4Hourly}/h x ${h} h`,
                    },
                ],
                missing: [],
            };
        }
        case "aws:lb/loadBalancer:LoadBalancer": {
            if ((i.loadBalancerType ?? "application") !== "application") {
                return { lines: [], missing: [`${String(i.loadBalancerType)} load balancer in ${region}`] };
            }
            // An internet-facing ALB holds (at least) one public IPv4 address per subnet (AZ).
            const ips = i.internal ? 0 : ((i.subnets as string[] | undefined)?.length ?? 0);
            return {
                lines: [
                    { usd: p.albHourly * h, basis: `ALB ${p.albHourly}/h x ${h} h` },
                    {
                        usd: ips * p.publicIpv4Hourly * h,
                        basis: `${ips} public IPv4 x ${p.publicIpv4Hourly}/h x ${h} h`,
                    },
                ],
                missing: [],
            };
        }
        case "aws:ec2/vpcEndpoint:VpcEndpoint": {
            if (i.vpcEndpointType !== "Interface") {
                return { lines: [{ usd: 0, basis: "gateway endpoint, free" }], missing: [] };
            }
            const azs = (i.subnetIds as string[] | undefined)?.length ?? 0;
            return monthly(
                {
                    lines: [{ usd: p.interfaceEndpointHourly, basis: `endpoint ${p.interfaceEndpointHourly}/h` }],
                    missing: [],
                },
                azs,
                " per AZ",
            );
        }
        case "aws:route53/zone:Zone":
            return { lines: [{ usd: p.route53HostedZoneMonthly, basis: "hosted zone per month" }], missing: [] };
        case "aws:secretsmanager/secret:Secret":
            return { lines: [{ usd: p.secretMonthly, basis: "secret per month" }], missing: [] };
        case "aws:cloudwatch/metricAlarm:MetricAlarm":
            // Alarms on high-resolution periods (under a minute) cost three times more: not in the table.
            return Number(i.period ?? 60) < 60
                ? { lines: [], missing: [`high-resolution alarm in ${region}`] }
                : { lines: [{ usd: p.metricAlarmMonthly, basis: "standard alarm per month" }], missing: [] };
        case "aws:cloudwatch/dashboard:Dashboard":
            return { lines: [{ usd: p.dashboardMonthly, basis: "dashboard per month" }], missing: [] };
        case "aws:kms/key:Key":
            return { lines: [{ usd: p.kmsKeyMonthly, basis: "customer managed key per month" }], missing: [] };
        case "aws:rds/instance:Instance":
            return monthly(
                hourly(p.rdsMysqlHourly, String(i.instanceClass), "rdsMysqlHourly", region),
                i.multiAz ? 2 : 1,
            );
        case "aws:elasticache/cluster:Cluster":
            return monthly(
                hourly(p.elasticacheNodeHourly, String(i.nodeType), "elasticacheNodeHourly", region),
                Number(i.numCacheNodes ?? 1),
            );
        case "aws:opensearch/domain:Domain": {
            const cluster = (i.clusterConfig ?? {}) as { instanceType?: string; instanceCount?: number };
            return monthly(
                hourly(p.opensearchHourly, String(cluster.instanceType), "opensearchHourly", region),
                cluster.instanceCount ?? 1,
            );
        }
        case "aws:dms/replicationInstance:ReplicationInstance":
            return monthly(
                hourly(p.dmsHourly, String(i.replicationInstanceClass), "dmsHourly", region),
                i.multiAz ? 2 : 1,
            );
        default:
            return table.free[resource.type] !== undefined
                ? { lines: [], missing: [] }
                : { lines: [], missing: [`no price for type ${resource.type}`] };
    }
}

/** The resources that cost something: custom resources, and the awsx VPC (a component whose NAT gateways are billed). */
function billable(resource: RecordedResource): boolean {
    return resource.custom || resource.type === "awsx:ec2:Vpc";
}

function usageLines(
    recording: Recording,
    p: RegionPrices,
    a: UsageAssumptions,
    clients: number,
    h: number,
): UsageCostLine[] {
    const of = (type: string) => recording.resources.filter((r) => r.type === type);
    const lines: UsageCostLine[] = [];
    const line = (
        item: string,
        r: RecordedResource,
        quantity: number,
        unit: string,
        unitUsd: number,
        assumption: string,
    ) =>
        lines.push({
            item,
            component: r.component ?? r.type,
            quantity,
            unit,
            unitUsd,
            monthlyUsd: quantity * unitUsd,
            assumption,
        });

    const publicAlbs = of("aws:lb/loadBalancer:LoadBalancer").filter((r) => !r.inputs.internal);
    publicAlbs.forEach((alb) => {
        const gb = (clients * a.responseGbPerClient) / publicAlbs.length;
        const connectionsPerSecond =
            (clients * a.requestsPerClient) / a.requestsPerConnection / publicAlbs.length / (h * 3600);
        // Evenly spread load: LCUs per hour is the largest of the dimensions (1 GB/h, 25 new connections/s);
        // the rule dimension stays under the 10 free rules, active connections are assumed not to dominate.
        const lcu = Math.max(gb / h, connectionsPerSecond / 25);
        line(
            `ALB LCUs (${alb.name})`,
            alb,
            lcu * h,
            "LCU-h",
            p.albLcuHourly,
            `${a.responseGbPerClient} GB and ${a.requestsPerClient} requests (${a.requestsPerConnection}/connection) per client`,
        );
        line(
            `data transfer out (${alb.name})`,
            alb,
            gb,
            "GB",
            p.dataTransferOutPerGb,
            `${a.responseGbPerClient} GB per client`,
        );
    });
    of("awsx:ec2:Vpc")
        .filter((vpc) => natGatewayCount(vpc) > 0)
        .forEach((vpc) =>
            line(
                `NAT data processed (${vpc.name})`,
                vpc,
                clients * a.natGbPerClient,
                "GB",
                p.natGatewayPerGb,
                `${a.natGbPerClient} GB per client`,
            ),
        );
    of("aws:ec2/flowLog:FlowLog")
        .filter((f) => f.inputs.logDestinationType !== "s3")
        .forEach((f) =>
            line(
                `log ingestion (${f.name})`,
                f,
                clients * a.logGbPerClient,
                "GB",
                p.logsIngestPerGb,
                `${a.logGbPerClient} GB of flow logs per client`,
            ),
        );
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
            const data = Number(volume.inputs.size) * a.volumeFillRatio;
            const gb = data * (1 + a.changePerSnapshot * (retain - 1));
            line(
                `snapshot storage (${volume.name}, ${retain} kept)`,
                policy,
                gb,
                "GB-month",
                p.snapshotGbMonth,
                `${a.volumeFillRatio} of the volume used, ${a.changePerSnapshot} changed per snapshot`,
            );
        });
    });
    return lines;
}

const sum = (values: number[]): number => values.reduce((total, v) => total + v, 0);

/** The monthly cost of a recording, for `clients` clients (default: the stack's configured clients). */
export function estimateCost(
    recording: Recording,
    options: { clients?: number; prices?: PriceTable; assumptions?: UsageAssumptions } = {},
): StackCost {
    const table = options.prices ?? PRICES;
    const assumptions = options.assumptions ?? DEFAULT_ASSUMPTIONS;
    const clients = options.clients ?? configuredClients(recording);
    const region = recording.config["aws:region"] ?? "ap-northeast-2";
    const p = table.regions[region];
    const fixed: FixedCostLine[] = [];
    const unpriced: Unpriced[] = [];
    for (const resource of recording.resources.filter(billable)) {
        const component = resource.component ?? resource.type;
        if (p === undefined) {
            unpriced.push({ name: resource.name, type: resource.type, component, missing: `region ${region}` });
            continue;
        }
        const priced = priceResource(resource, recording.resources, p, table, region);
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
            }),
        );
    }
    const usage = p && clients !== undefined ? usageLines(recording, p, assumptions, clients, table.hoursPerMonth) : [];
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
    const fixedUsd = sum(fixed.map((l) => l.monthlyUsd));
    const usageUsd = sum(usage.map((l) => l.monthlyUsd));
    return {
        stack: recording.stack,
        region,
        clients,
        asOf: table.asOf,
        fixed,
        usage,
        unpriced,
        fixedUsd,
        usageUsd,
        totalUsd: fixedUsd + usageUsd,
        byComponent,
        per1000ClientsUsd: clients ? ((fixedUsd + usageUsd) / clients) * 1000 : undefined,
        assumptions,
    };
}

const usd = (value: number): string => `$${value.toFixed(2)}`;

/** The cost as text: totals, per component, usage lines with their assumptions, unpriced items. */
export function formatCost(cost: StackCost): string {
    const lines = [
        `  monthly cost (${cost.region}, on-demand, prices as of ${cost.asOf}): fixed ${usd(cost.fixedUsd)} + usage ${usd(cost.usageUsd)} = ${usd(cost.totalUsd)}` +
            (cost.per1000ClientsUsd !== undefined
                ? `; ${usd(cost.per1000ClientsUsd)} per 1,000 clients (${cost.clients} clients)`
                : ""),
    ];
    const width = Math.max(...Object.keys(cost.byComponent).map((c) => c.length));
    for (const [component, c] of Object.entries(cost.byComponent)) {
        lines.push(
            `    ${component.padEnd(width)} fixed ${usd(c.fixedUsd).padStart(10)}  usage ${usd(c.usageUsd).padStart(10)}`,
        );
    }
    lines.push("    usage assumptions (per client per month):");
    for (const u of cost.usage) {
        lines.push(
            `      ${u.item}: ${u.quantity.toFixed(1)} ${u.unit} x ${u.unitUsd} = ${usd(u.monthlyUsd)} (${u.assumption})`,
        );
    }
    if (cost.unpriced.length > 0) {
        lines.push(`    UNPRICED, not in the totals above (add them to plan/prices.ts):`);
        cost.unpriced.forEach((u) => lines.push(`      ${u.name} (${u.type}): ${u.missing}`));
    }
    return lines.join("\n");
}
