/**
 * The shape of the price table the cost estimate uses (on-demand, USD, Linux,
 * shared tenancy), and where each price comes from. The figures themselves
 * are in domain/price-table.ts, which `npm run prices -- --refresh` rewrites
 * from the AWS Price List Query API.
 */

/** gp3 storage, with IOPS and throughput above what the volume includes. */
export interface Gp3Prices {
    /** Per GB-month. */
    readonly gbMonth: number;
    /** Per provisioned IOPS-month above the included IOPS. */
    readonly iopsMonth: number;
    /** Per MiB/s-month above the included throughput. */
    readonly throughputMonth: number;
}

/** Prices of one region. Maps are keyed by instance type or class. */
export interface RegionPrices {
    /** EC2 instance, per hour. */
    readonly ec2Hourly: Readonly<Record<string, number>>;
    /** EBS gp3 (3,000 IOPS and 125 MiB/s included). */
    readonly gp3: Gp3Prices;
    /** EBS snapshot storage (standard tier), per GB-month. */
    readonly snapshotGbMonth: number;
    readonly natGatewayHourly: number;
    readonly natGatewayPerGb: number;
    /** In-use public IPv4 address, per hour (NAT gateway EIPs, internet-facing load balancer nodes). */
    readonly publicIpv4Hourly: number;
    readonly albHourly: number;
    readonly albLcuHourly: number;
    readonly nlbHourly: number;
    readonly nlbLcuHourly: number;
    /** Interface VPC endpoint, per endpoint per AZ per hour. */
    readonly interfaceEndpointHourly: number;
    /** Per hosted zone per month (first 25 zones). */
    readonly route53HostedZoneMonthly: number;
    readonly secretMonthly: number;
    /** CloudWatch alarm on one standard-resolution metric, per month. */
    readonly metricAlarmMonthly: number;
    /** CloudWatch alarm on one high-resolution metric (period under 60 s), per month. */
    readonly highResolutionAlarmMonthly: number;
    /** CloudWatch dashboard, per month (beyond the free three). */
    readonly dashboardMonthly: number;
    /** CloudWatch custom or detailed-monitoring metric, per metric-month (first 10,000 metrics). */
    readonly metricMonthly: number;
    /** KMS customer managed key, per month. */
    readonly kmsKeyMonthly: number;
    /** CloudWatch Logs ingestion (standard class), per GB. */
    readonly logsIngestPerGb: number;
    /** CloudWatch Logs storage, per GB-month. */
    readonly logsStorageGbMonth: number;
    /** Data transfer out to the internet, first 10 TB/month tier, per GB. */
    readonly dataTransferOutPerGb: number;
    /** Data transfer between AZs of the region, per GB, charged on each side. */
    readonly interAzPerGb: number;
    /** RDS for MySQL, Single-AZ, per hour (a Multi-AZ instance runs a standby: twice). */
    readonly rdsMysqlHourly: Readonly<Record<string, number>>;
    /** RDS gp3, Single-AZ (Multi-AZ is twice): 3,000 IOPS and 125 MiB/s included under 400 GB, 12,000 and 500 from 400 GB. */
    readonly rdsGp3: Gp3Prices;
    /** RDS backup storage beyond the free allowance (the provisioned storage), per GB-month. */
    readonly rdsBackupGbMonth: number;
    /** Performance Insights retention beyond the free 7 days (one month), per vCPU-month. */
    readonly rdsPerformanceInsightsVcpuMonth: number;
    /** ElastiCache node, per hour. */
    readonly elasticacheNodeHourly: Readonly<Record<string, number>>;
    /** OpenSearch Service instance (data or dedicated master), per hour. */
    readonly opensearchHourly: Readonly<Record<string, number>>;
    /** OpenSearch Service gp3 storage, per GB-month. */
    readonly opensearchGp3GbMonth: number;
    /** DMS replication instance, Single-AZ, per hour (Multi-AZ is twice). */
    readonly dmsHourly: Readonly<Record<string, number>>;
    /** DMS replication instance storage (gp2), per GB-month. */
    readonly dmsStorageGbMonth: number;
    /** SQS standard queue, per million requests (beyond the account's free million). */
    readonly sqsPerMillionRequests: number;
    /** S3 Standard storage, first 50 TB, per GB-month. */
    readonly s3StandardGbMonth: number;
    /** S3 PUT, COPY, POST and LIST requests, per 1,000. */
    readonly s3PutPer1000: number;
    /** AWS WAF web ACL, per month. */
    readonly wafWebAclMonthly: number;
    /** AWS WAF rule in a web ACL (an AWS managed rule group counts as one), per month. */
    readonly wafRuleMonthly: number;
    /** AWS WAF requests inspected (within the web ACL's included capacity units), per million. */
    readonly wafPerMillionRequests: number;
}

/** Where a figure of the table comes from. */
export interface PriceSource {
    /** What it is: a page, an API, or how the figure was made from others. */
    readonly what: string;
    /** Where to check it; "" when there is nothing to fetch. */
    readonly url: string;
    /** When it was read (YYYY-MM or YYYY-MM-DD). */
    readonly date: string;
    /**
     * True when the figure was read from the source named; false for figures
     * carried over from memory or derived by a stated ratio, which `npm run
     * prices -- --refresh` replaces with the API's.
     */
    readonly checked: boolean;
}

export interface PriceTable {
    /** Date of the newest source. */
    readonly asOf: string;
    /** Hours AWS bills in an average month. */
    readonly hoursPerMonth: number;
    readonly regions: Readonly<Record<string, RegionPrices>>;
    /** The sources the figures name, by id. */
    readonly sources: Readonly<Record<string, PriceSource>>;
    /**
     * Per region, the source of each figure by its path in RegionPrices
     * (`ec2Hourly.t3.medium`, `gp3.gbMonth`, `natGatewayHourly`); `*` is the
     * source of every figure not listed.
     */
    readonly provenance: Readonly<Record<string, Readonly<Record<string, string>>>>;
    /**
     * Resource types that cost nothing by themselves, with the reason; their
     * usage (if any) is estimated separately. A type neither priced nor here is reported.
     */
    readonly free: Readonly<Record<string, string>>;
}

/** Every figure of a region's prices by its path (`ec2Hourly.t3.medium`, `gp3.gbMonth`). */
export function pricePaths(prices: RegionPrices): Record<string, number> {
    const paths: Record<string, number> = {};
    for (const [key, value] of Object.entries(prices)) {
        if (typeof value === "number") {
            paths[key] = value;
        } else {
            for (const [inner, figure] of Object.entries(value as Record<string, number>)) {
                paths[`${key}.${inner}`] = figure;
            }
        }
    }
    return paths;
}

/** The source of one figure of a region. */
export function sourceOf(table: PriceTable, region: string, path: string): PriceSource | undefined {
    const regionSources = table.provenance[region] ?? {};
    const id = regionSources[path] ?? regionSources["*"];
    return id === undefined ? undefined : table.sources[id];
}
