/**
 * On-demand prices (USD, Linux, shared tenancy) the cost estimate uses.
 *
 * Source: the AWS public price list (pricing pages of EC2, EBS, VPC, ELB,
 * Route 53, Secrets Manager, CloudWatch, RDS, ElastiCache, OpenSearch), as of
 * 2024-06. Transcribed by hand, not fetched: this repository builds offline.
 * Check them against https://aws.amazon.com/pricing/ (or the Price List API)
 * before quoting a figure. Only prices we are sure of are listed; anything
 * missing is reported by the estimate as unpriced, never counted as zero.
 */

/** Prices of one region. Maps are keyed by instance type or class. */
export interface RegionPrices {
    /** EC2 instance, per hour. */
    readonly ec2Hourly: Readonly<Record<string, number>>;
    /** EBS gp3: storage per GB-month, IOPS above 3,000 per IOPS-month, throughput above 125 MiB/s per MiB/s-month. */
    readonly gp3: { readonly gbMonth: number; readonly iopsMonth: number; readonly throughputMonth: number };
    /** EBS snapshot storage (standard tier), per GB-month. */
    readonly snapshotGbMonth: number;
    readonly natGatewayHourly: number;
    readonly natGatewayPerGb: number;
    /** In-use public IPv4 address, per hour (NAT gateway EIPs, internet-facing ALB nodes). */
    readonly publicIpv4Hourly: number;
    readonly albHourly: number;
    readonly albLcuHourly: number;
    /** Interface VPC endpoint, per endpoint per AZ per hour. */
    readonly interfaceEndpointHourly: number;
    readonly route53HostedZoneMonthly: number;
    readonly secretMonthly: number;
    /** CloudWatch alarm on one standard-resolution metric, per month. */
    readonly metricAlarmMonthly: number;
    /** CloudWatch dashboard, per month (beyond the free three). */
    readonly dashboardMonthly: number;
    /** KMS customer managed key, per month (requests are usage). */
    readonly kmsKeyMonthly: number;
    /** CloudWatch Logs ingestion (standard class), per GB. */
    readonly logsIngestPerGb: number;
    /** Data transfer out to the internet, first 10 TB/month tier, per GB. */
    readonly dataTransferOutPerGb: number;
    /** RDS for MySQL, Single-AZ, per hour (Multi-AZ is twice). */
    readonly rdsMysqlHourly: Readonly<Record<string, number>>;
    /** ElastiCache node, per hour. */
    readonly elasticacheNodeHourly: Readonly<Record<string, number>>;
    /** OpenSearch Service instance, per hour. */
    readonly opensearchHourly: Readonly<Record<string, number>>;
    /** DMS replication instance, Single-AZ, per hour. */
    readonly dmsHourly: Readonly<Record<string, number>>;
}

export interface PriceTable {
    readonly asOf: string;
    readonly source: string;
    /** Hours AWS bills in an average month. */
    readonly hoursPerMonth: number;
    readonly regions: Readonly<Record<string, RegionPrices>>;
    /**
     * Resource types that cost nothing by themselves, with the reason; their
     * usage (if any) is estimated separately. A type neither priced nor here is reported.
     */
    readonly free: Readonly<Record<string, string>>;
}

export const PRICES: PriceTable = {
    asOf: "2024-06",
    source: "AWS public price list / pricing pages (on-demand, Linux, shared tenancy), transcribed by hand",
    hoursPerMonth: 730,
    regions: {
        "us-east-1": {
            ec2Hourly: {
                "t3.medium": 0.0416,
                "t3.large": 0.0832,
                "c7i.large": 0.08925,
                "c7i.xlarge": 0.1785,
                "c7i.2xlarge": 0.357,
                "m7i.large": 0.1008,
                "m7i.xlarge": 0.2016,
                "r7i.large": 0.1323,
                "r7i.xlarge": 0.2646,
                "r7i.2xlarge": 0.5292,
            },
            gp3: { gbMonth: 0.08, iopsMonth: 0.005, throughputMonth: 0.04 },
            snapshotGbMonth: 0.05,
            natGatewayHourly: 0.045,
            natGatewayPerGb: 0.045,
            publicIpv4Hourly: 0.005,
            albHourly: 0.0225,
            albLcuHourly: 0.008,
            interfaceEndpointHourly: 0.01,
            route53HostedZoneMonthly: 0.5,
            secretMonthly: 0.4,
            metricAlarmMonthly: 0.1,
            dashboardMonthly: 3,
            kmsKeyMonthly: 1,
            logsIngestPerGb: 0.5,
            dataTransferOutPerGb: 0.09,
            rdsMysqlHourly: { "db.r6g.large": 0.225, "db.r6g.xlarge": 0.45, "db.r6g.2xlarge": 0.9 },
            elasticacheNodeHourly: { "cache.r6g.large": 0.206, "cache.m6g.large": 0.149 },
            opensearchHourly: { "r6g.large.search": 0.167, "m6g.large.search": 0.128 },
            // No DMS class is listed: we are not sure enough of any figure.
            dmsHourly: {},
        },
        "ap-northeast-2": {
            ec2Hourly: {
                "t3.medium": 0.052,
                "t3.large": 0.104,
                "c7i.large": 0.1008,
                "c7i.xlarge": 0.2016,
                "c7i.2xlarge": 0.4032,
                // m7i is left out: not sure enough of the Seoul figures.
                "r7i.large": 0.1596,
                "r7i.xlarge": 0.3192,
                "r7i.2xlarge": 0.6384,
            },
            gp3: { gbMonth: 0.0912, iopsMonth: 0.0057, throughputMonth: 0.0456 },
            snapshotGbMonth: 0.05,
            natGatewayHourly: 0.059,
            natGatewayPerGb: 0.059,
            publicIpv4Hourly: 0.005,
            albHourly: 0.0225,
            albLcuHourly: 0.008,
            interfaceEndpointHourly: 0.013,
            route53HostedZoneMonthly: 0.5,
            secretMonthly: 0.4,
            metricAlarmMonthly: 0.1,
            dashboardMonthly: 3,
            kmsKeyMonthly: 1,
            logsIngestPerGb: 0.76,
            dataTransferOutPerGb: 0.126,
            // RDS, ElastiCache, OpenSearch and DMS in Seoul are left out until checked: reported as unpriced.
            rdsMysqlHourly: {},
            elasticacheNodeHourly: {},
            opensearchHourly: {},
            dmsHourly: {},
        },
    },
    free: {
        "aws:iam/role:Role": "IAM is free",
        "aws:iam/rolePolicy:RolePolicy": "IAM is free",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "IAM is free",
        "aws:iam/instanceProfile:InstanceProfile": "IAM is free",
        "aws:ec2/securityGroup:SecurityGroup": "security groups are free",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "security group rules are free",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "security group rules are free",
        "aws:ec2/flowLog:FlowLog": "billed as log ingestion (usage)",
        "aws:cloudwatch/logGroup:LogGroup": "billed as log ingestion and storage (usage)",
        "aws:dlm/lifecyclePolicy:LifecyclePolicy": "DLM is free; snapshot storage is usage",
        "aws:ec2/volumeAttachment:VolumeAttachment": "attachments are free",
        "aws:secretsmanager/secretVersion:SecretVersion": "included in the secret's monthly price",
        "aws:ssm/parameter:Parameter": "standard-tier parameters are free",
        "aws:route53/record:Record": "records are included in the hosted zone; queries are usage",
        "aws:lb/listener:Listener": "included in the load balancer's price",
        "aws:lb/targetGroup:TargetGroup": "included in the load balancer's price",
        "aws:lb/targetGroupAttachment:TargetGroupAttachment": "included in the load balancer's price",
        "aws:s3/bucket:Bucket": "storage and requests are usage (access logs, expired after 90 days)",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "bucket setting",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "bucket setting",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "SSE-S3 is free",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "bucket setting",
        "aws:s3/bucketPolicy:BucketPolicy": "bucket setting",
        "aws:sns/topic:Topic": "topics are free; publishes and deliveries are usage",
        "aws:sns/topicSubscription:TopicSubscription": "subscriptions are free; deliveries are usage",
        "aws:kms/alias:Alias": "aliases are free",
        "random:index/randomPassword:RandomPassword": "generated by Pulumi, not an AWS resource",
        "aws:ec2/launchTemplate:LaunchTemplate": "free; its instances are priced through the group",
        "aws:autoscaling/policy:Policy": "scaling policies are free",
        "aws:rds/subnetGroup:SubnetGroup": "subnet groups are free",
        "aws:rds/parameterGroup:ParameterGroup": "parameter groups are free",
        "aws:elasticache/subnetGroup:SubnetGroup": "subnet groups are free",
        "aws:sqs/queuePolicy:QueuePolicy": "queue setting",
        "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": "queue setting",
        "aws:sqs/queue:Queue": "billed per request (usage, not estimated here)",
        "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "account setting",
        "aws:s3/bucketVersioning:BucketVersioning": "bucket setting; old versions are storage (usage)",
        "aws:ssm/document:Document": "SSM documents are free",
    },
};
