/**
 * `npm run prices`: every figure of the price table with its source.
 * `npm run prices -- --refresh`: asks the AWS Price List Query API
 * (GetProducts, us-east-1 endpoint) for every figure of every region of the
 * table, and for every instance type and class the stacks use, then rewrites
 * domain/price-table.ts with the API's figures as checked, dated today. It
 * needs AWS credentials allowed `pricing:GetProducts`. A figure the API does
 * not return, or returns several different prices for, keeps its old value
 * and source and is reported.
 *
 * The queries are pure data (`queriesFor`) and the refresh takes the API call
 * as a function (`refreshTable`), so both are tested offline against recorded
 * responses in the API's shape (tests/fixtures/pricing/).
 */
import * as fs from "fs";
import * as path from "path";
import { Filter, GetProductsCommand, GetProductsCommandInput, PricingClient } from "@aws-sdk/client-pricing";
import { PriceSource, PriceTable, RegionPrices, pricePaths, sourceOf } from "../domain/prices";
import { PRICES } from "../domain/price-table";
import { PROJECT_ROOT, Recording, STACKS, evaluateStack } from "./evaluate";

/** The maps of RegionPrices keyed by a type or class, and the resource inputs that name one. */
type TypedMap = "ec2Hourly" | "rdsMysqlHourly" | "elasticacheNodeHourly" | "opensearchHourly" | "dmsHourly";

/** One figure's query: a service's products, narrowed by attributes, then by how the usage type ends. */
export interface PriceQuery {
    readonly region: string;
    /** The figure's path in RegionPrices (`ec2Hourly.t3.medium`). */
    readonly path: string;
    readonly serviceCode: string;
    /** Attribute filters (TERM_MATCH), besides the region. */
    readonly attributes: Readonly<Record<string, string>>;
    /**
     * The end of the product's usage type (`NatGateway-Hours`): usage types
     * carry a region prefix (`APN2-`), none in us-east-1, so it is matched on
     * the API's side by CONTAINS and here by its end.
     */
    readonly usagetype?: string;
    /** The figure per unit of the API's price (1,000,000 for SQS's per-request price per million). */
    readonly scale: number;
    /** False for figures billed the same everywhere (Route 53 zones): no region filter. */
    readonly regional: boolean;
    /** The attribute holding the region: `regionCode`, or `fromRegionCode` for data transfer. */
    readonly regionField: string;
}

/** How each figure of RegionPrices is found in the Price List, keyed by path (maps by their name). */
const FIGURES: Readonly<Record<string, Omit<PriceQuery, "region" | "path">>> = {
    "gp3.gbMonth": q("AmazonEC2", { productFamily: "Storage", volumeApiName: "gp3" }),
    "gp3.iopsMonth": q("AmazonEC2", { productFamily: "System Operation", volumeApiName: "gp3", group: "EBS IOPS" }),
    "gp3.throughputMonth": q("AmazonEC2", { productFamily: "Provisioned Throughput", volumeApiName: "gp3" }),
    snapshotGbMonth: q("AmazonEC2", { productFamily: "Storage Snapshot" }, "EBS:SnapshotUsage"),
    natGatewayHourly: q("AmazonEC2", { productFamily: "NAT Gateway" }, "NatGateway-Hours"),
    natGatewayPerGb: q("AmazonEC2", { productFamily: "NAT Gateway" }, "NatGateway-Bytes"),
    publicIpv4Hourly: q("AmazonVPC", {}, "PublicIPv4:InUseAddress"),
    albHourly: q("AWSELB", { productFamily: "Load Balancer-Application" }, "LoadBalancerUsage"),
    albLcuHourly: q("AWSELB", { productFamily: "Load Balancer-Application" }, "LCUUsage"),
    nlbHourly: q("AWSELB", { productFamily: "Load Balancer-Network" }, "LoadBalancerUsage"),
    nlbLcuHourly: q("AWSELB", { productFamily: "Load Balancer-Network" }, "LCUUsage"),
    interfaceEndpointHourly: q("AmazonVPC", { productFamily: "VpcEndpoint" }, "VpcEndpoint-Hours"),
    route53HostedZoneMonthly: { ...q("AmazonRoute53", {}, "HostedZone"), regional: false },
    secretMonthly: q("AWSSecretsManager", {}, "AWSSecretsManager-Secrets"),
    metricAlarmMonthly: q("AmazonCloudWatch", {}, "CW:AlarmMonitorUsage"),
    highResolutionAlarmMonthly: q("AmazonCloudWatch", {}, "CW:HighResAlarmMonitorUsage"),
    dashboardMonthly: q("AmazonCloudWatch", {}, "DashboardsUsageHour-Basic"),
    metricMonthly: q("AmazonCloudWatch", {}, "CW:MetricMonitorUsage"),
    kmsKeyMonthly: q("awskms", {}, "KMS-Keys"),
    logsIngestPerGb: q("AmazonCloudWatch", { productFamily: "Data Payload" }, "DataProcessing-Bytes"),
    logsStorageGbMonth: q("AmazonCloudWatch", { productFamily: "Storage Snapshot" }, "TimedStorage-ByteHrs"),
    dataTransferOutPerGb: {
        ...q("AWSDataTransfer", { transferType: "AWS Outbound", toLocation: "External" }, "DataTransfer-Out-Bytes"),
        regionField: "fromRegionCode",
    },
    interAzPerGb: {
        ...q("AWSDataTransfer", { transferType: "IntraRegion" }, "DataTransfer-Regional-Bytes"),
        regionField: "fromRegionCode",
    },
    "rdsGp3.gbMonth": q("AmazonRDS", { deploymentOption: "Single-AZ" }, "RDS:GP3-Storage"),
    "rdsGp3.iopsMonth": q("AmazonRDS", { deploymentOption: "Single-AZ" }, "RDS:GP3-PIOPS"),
    "rdsGp3.throughputMonth": q("AmazonRDS", { deploymentOption: "Single-AZ" }, "RDS:GP3-Throughput"),
    rdsBackupGbMonth: q("AmazonRDS", {}, "RDS:ChargedBackupUsage"),
    rdsPerformanceInsightsVcpuMonth: q("AmazonRDS", { productFamily: "Performance Insights" }, "PI_LTR:FMR"),
    opensearchGp3GbMonth: q("AmazonES", {}, "ES:GP3-Storage"),
    dmsStorageGbMonth: q("AWSDatabaseMigrationSvc", { availabilityZone: "Single" }, "GP2-Storage"),
    sqsPerMillionRequests: { ...q("AWSQueueService", { queueType: "Standard" }, "Requests-RBP"), scale: 1e6 },
    s3StandardGbMonth: q("AmazonS3", { volumeType: "Standard" }, "TimedStorage-ByteHrs"),
    s3PutPer1000: { ...q("AmazonS3", {}, "Requests-Tier1"), scale: 1000 },
    wafWebAclMonthly: q("awswaf", {}, "WebACL"),
    wafRuleMonthly: q("awswaf", {}, "Rule"),
    wafPerMillionRequests: { ...q("awswaf", {}, "Request"), scale: 1e6 },
};

/** How an instance type or class of each map is found. */
const TYPED: Readonly<Record<TypedMap, (type: string) => Omit<PriceQuery, "region" | "path">>> = {
    ec2Hourly: (type) =>
        q("AmazonEC2", {
            instanceType: type,
            operatingSystem: "Linux",
            tenancy: "Shared",
            preInstalledSw: "NA",
            capacitystatus: "Used",
            licenseModel: "No License required",
        }),
    rdsMysqlHourly: (type) =>
        q("AmazonRDS", { instanceType: type, databaseEngine: "MySQL", deploymentOption: "Single-AZ" }),
    elasticacheNodeHourly: (type) =>
        q("AmazonElastiCache", { instanceType: type, cacheEngine: "Memcached", productFamily: "Cache Instance" }),
    opensearchHourly: (type) =>
        q("AmazonES", { instanceType: type, productFamily: "Amazon OpenSearch Service Instance" }),
    dmsHourly: (type) => q("AWSDatabaseMigrationSvc", { instanceType: type, availabilityZone: "Single" }),
};

function q(
    serviceCode: string,
    attributes: Record<string, string>,
    usagetype?: string,
): Omit<PriceQuery, "region" | "path"> {
    return { serviceCode, attributes, usagetype, scale: 1, regional: true, regionField: "regionCode" };
}

const TYPED_MAPS = Object.keys(TYPED) as TypedMap[];

/** The instance types and classes a set of recordings runs, by the map that prices them. */
export function typesInUse(recordings: readonly Recording[]): Record<TypedMap, string[]> {
    const used: Record<TypedMap, Set<string>> = {
        ec2Hourly: new Set(),
        rdsMysqlHourly: new Set(),
        elasticacheNodeHourly: new Set(),
        opensearchHourly: new Set(),
        dmsHourly: new Set(),
    };
    const add = (map: TypedMap, value: unknown) => {
        if (typeof value === "string" && value !== "") {
            used[map].add(value);
        }
    };
    for (const resource of recordings.flatMap((r) => r.resources)) {
        const i = resource.inputs;
        switch (resource.type) {
            case "aws:ec2/instance:Instance":
            case "aws:ec2/launchTemplate:LaunchTemplate":
                add("ec2Hourly", i.instanceType);
                break;
            case "aws:rds/instance:Instance":
                add("rdsMysqlHourly", i.instanceClass);
                break;
            case "aws:elasticache/cluster:Cluster":
                add("elasticacheNodeHourly", i.nodeType);
                break;
            case "aws:opensearch/domain:Domain": {
                const cluster = (i.clusterConfig ?? {}) as {
                    instanceType?: string;
                    dedicatedMasterEnabled?: boolean;
                    dedicatedMasterType?: string;
                };
                add("opensearchHourly", cluster.instanceType);
                add("opensearchHourly", cluster.dedicatedMasterEnabled ? cluster.dedicatedMasterType : undefined);
                break;
            }
            case "aws:dms/replicationInstance:ReplicationInstance":
                add("dmsHourly", i.replicationInstanceClass);
                break;
        }
    }
    return Object.fromEntries(TYPED_MAPS.map((map) => [map, [...used[map]].sort()])) as Record<TypedMap, string[]>;
}

/** Every query of a region: each figure the table has, and each type in use the table lacks. */
export function queriesFor(
    region: string,
    prices: RegionPrices | undefined,
    inUse: Record<TypedMap, string[]>,
): PriceQuery[] {
    const queries: PriceQuery[] = Object.entries(FIGURES).map(([path, query]) => ({ ...query, region, path }));
    for (const map of TYPED_MAPS) {
        const types = new Set([...Object.keys(prices?.[map] ?? {}), ...inUse[map]]);
        [...types].sort().forEach((type) => queries.push({ ...TYPED[map](type), region, path: `${map}.${type}` }));
    }
    return queries;
}

/** The request for a query, as GetProducts takes it. */
export function productsRequest(query: PriceQuery): GetProductsCommandInput {
    const filters: Filter[] = Object.entries(query.attributes).map(([Field, Value]) => ({
        Type: "TERM_MATCH",
        Field,
        Value,
    }));
    if (query.regional) {
        filters.push({ Type: "TERM_MATCH", Field: query.regionField, Value: query.region });
    }
    if (query.usagetype) {
        filters.push({ Type: "CONTAINS", Field: "usagetype", Value: query.usagetype });
    }
    return { ServiceCode: query.serviceCode, Filters: filters, FormatVersion: "aws_v1", MaxResults: 100 };
}

/** One product of a GetProducts answer, as its PriceList entry (a JSON string) holds it. */
interface Product {
    product: { attributes: Record<string, string> };
    terms: {
        OnDemand?: Record<
            string,
            {
                priceDimensions: Record<
                    string,
                    { unit: string; beginRange?: string; pricePerUnit: { USD?: string }; description?: string }
                >;
            }
        >;
    };
}

/**
 * The on-demand price of a product: its first paid tier (tiered prices start
 * with a free one for some services, and the lowest paid tier is what these
 * estates pay), or undefined without an on-demand USD price.
 */
export function onDemandPrice(product: Product): number | undefined {
    const dimensions = Object.values(product.terms.OnDemand ?? {}).flatMap((term) =>
        Object.values(term.priceDimensions),
    );
    const paid = dimensions
        .map((d) => ({ begin: Number(d.beginRange ?? 0), usd: Number(d.pricePerUnit.USD ?? "NaN") }))
        .filter((d) => Number.isFinite(d.usd) && d.usd > 0)
        .sort((a, b) => a.begin - b.begin);
    return paid[0]?.usd;
}

/** What the API answered for one query: a figure, or why there is none. */
export type Answer = { figure: number } | { problem: string };

/** The figure a query's products give: one price, or the reason there is none (nothing, several). */
export function answerOf(query: PriceQuery, entries: readonly string[]): Answer {
    const products = entries
        .map((entry) => JSON.parse(entry) as Product)
        .filter(
            (p) => query.usagetype === undefined || (p.product.attributes.usagetype ?? "").endsWith(query.usagetype),
        );
    const prices = [...new Set(products.map(onDemandPrice).filter((p): p is number => p !== undefined))];
    if (prices.length === 0) {
        return { problem: `no on-demand product (${products.length} product(s) matched)` };
    }
    if (prices.length > 1) {
        return {
            problem: `${prices.length} different prices (${prices.join(", ")}): the filters are not narrow enough`,
        };
    }
    return { figure: Number((prices[0] * query.scale).toPrecision(10)) };
}

/** GetProducts, one page. */
export type GetProducts = (request: GetProductsCommandInput) => Promise<{ PriceList?: unknown[]; NextToken?: string }>;

/** Every PriceList entry of a query, over all pages. */
async function entriesOf(getProducts: GetProducts, query: PriceQuery): Promise<string[]> {
    const entries: string[] = [];
    let nextToken: string | undefined;
    do {
        const page = await getProducts({ ...productsRequest(query), NextToken: nextToken });
        // The SDK hands each entry as a JSON string (or an object whose toString is one).
        entries.push(
            ...(page.PriceList ?? []).map((entry) => (typeof entry === "string" ? entry : JSON.stringify(entry))),
        );
        nextToken = page.NextToken;
    } while (nextToken);
    return entries;
}

export interface RefreshReport {
    readonly changed: { region: string; path: string; from: number | undefined; to: number }[];
    readonly kept: { region: string; path: string; problem: string }[];
}

/** Sets a figure by its path in a region's prices. */
function withFigure(prices: RegionPrices, figurePath: string, value: number): RegionPrices {
    const dot = figurePath.indexOf(".");
    if (dot < 0) {
        return { ...prices, [figurePath]: value };
    }
    const key = figurePath.slice(0, dot) as keyof RegionPrices;
    return { ...prices, [key]: { ...(prices[key] as Record<string, number>), [figurePath.slice(dot + 1)]: value } };
}

/**
 * The table with every region's figures from the Price List API: answered
 * figures take the API source of `date`, the others keep theirs.
 */
export async function refreshTable(
    table: PriceTable,
    inUse: Record<TypedMap, string[]>,
    getProducts: GetProducts,
    date: string,
): Promise<{ table: PriceTable; report: RefreshReport }> {
    const sourceId = `aws-price-list-api-${date}`;
    const source: PriceSource = {
        what: "AWS Price List Query API (GetProducts), on-demand, as npm run prices -- --refresh read it",
        url: "https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_pricing_GetProducts.html",
        date,
        checked: true,
    };
    const regions: Record<string, RegionPrices> = { ...table.regions };
    const provenance: Record<string, Record<string, string>> = {};
    const report: RefreshReport = { changed: [], kept: [] };
    for (const region of Object.keys(table.regions)) {
        let prices = table.regions[region];
        // Every figure names its source explicitly once refreshed: the region's default no longer covers them all.
        const sources: Record<string, string> = Object.fromEntries(
            Object.keys(pricePaths(prices)).map((p) => [p, idOf(table, region, p)]),
        );
        for (const query of queriesFor(region, prices, inUse)) {
            const answer = answerOf(query, await entriesOf(getProducts, query));
            if ("problem" in answer) {
                report.kept.push({ region, path: query.path, problem: answer.problem });
                continue;
            }
            const from = pricePaths(prices)[query.path];
            if (from !== answer.figure) {
                report.changed.push({ region, path: query.path, from, to: answer.figure });
            }
            prices = withFigure(prices, query.path, answer.figure);
            sources[query.path] = sourceId;
        }
        regions[region] = prices;
        provenance[region] = sources;
    }
    const used = new Set(Object.values(provenance).flatMap((s) => Object.values(s)));
    const sources = Object.fromEntries(
        Object.entries({ ...table.sources, [sourceId]: source }).filter(([id]) => used.has(id)),
    );
    return { table: { ...table, asOf: date.slice(0, 7), regions, provenance, sources }, report };
}

/** The id of a figure's source in the table. */
function idOf(table: PriceTable, region: string, figurePath: string): string {
    const regionSources = table.provenance[region] ?? {};
    return regionSources[figurePath] ?? regionSources["*"] ?? "";
}

const TABLE_FILE = path.join(PROJECT_ROOT, "domain", "price-table.ts");

/** domain/price-table.ts for a table: its header, the table as data, formatted as the repository formats. */
export async function tableSource(table: PriceTable): Promise<string> {
    const current = fs.readFileSync(TABLE_FILE, "utf8");
    const header = current.slice(0, current.indexOf("export const PRICES"));
    const text = `${header}export const PRICES: PriceTable = ${JSON.stringify(table, null, 4)};\n`;
    const prettier = await import("prettier");
    const options = (await prettier.resolveConfig(TABLE_FILE)) ?? {};
    return prettier.format(text, { ...options, filepath: TABLE_FILE });
}

function listTable(table: PriceTable): string {
    const lines: string[] = [];
    for (const [region, prices] of Object.entries(table.regions)) {
        lines.push(`${region}:`);
        for (const [figurePath, figure] of Object.entries(pricePaths(prices))) {
            const source = sourceOf(table, region, figurePath);
            const mark = source?.checked ? "" : "  (not checked)";
            lines.push(
                `  ${figurePath.padEnd(44)} ${String(figure).padStart(10)}  ${source?.date ?? "?"} ${idOf(table, region, figurePath)}${mark}`,
            );
        }
    }
    return lines.join("\n");
}

async function main(): Promise<void> {
    const args = process.argv.slice(2);
    if (args.some((arg) => arg !== "--refresh")) {
        throw new Error("usage: npm run prices [-- --refresh]");
    }
    if (!args.includes("--refresh")) {
        process.stdout.write(`${listTable(PRICES)}\n`);
        return;
    }
    const recordings: Recording[] = [];
    for (const stack of STACKS) {
        process.stderr.write(`evaluating ${stack} under mocks for the types it uses...\n`);
        recordings.push(await evaluateStack(stack));
    }
    // The Price List Query API answers in us-east-1 (and ap-south-1), whatever region it prices.
    const client = new PricingClient({ region: "us-east-1" });
    const getProducts: GetProducts = (request) => client.send(new GetProductsCommand(request));
    const date = new Date().toISOString().slice(0, 10);
    const { table, report } = await refreshTable(PRICES, typesInUse(recordings), getProducts, date);
    fs.writeFileSync(TABLE_FILE, await tableSource(table));
    report.changed.forEach((c) =>
        process.stdout.write(`changed ${c.region} ${c.path}: ${c.from ?? "none"} -> ${c.to}\n`),
    );
    report.kept.forEach((k) => process.stdout.write(`KEPT    ${k.region} ${k.path}: ${k.problem}\n`));
    process.stdout.write(
        `wrote ${path.relative(PROJECT_ROOT, TABLE_FILE)}: ${report.changed.length} figure(s) changed, ${report.kept.length} kept with their old source\n`,
    );
}

if (require.main === module) {
    main().catch((error: Error) => {
        const credentials =
            error.name === "CredentialsProviderError"
                ? " (no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID)"
                : "";
        process.stderr.write(`prices failed${credentials}: ${error.message}\n`);
        process.exit(1);
    });
}
