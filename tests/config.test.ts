import { expect } from "chai";
import { nearest } from "../domain/config-problem";
import { StackConfig } from "../domain/stack-config";
import { RawStackConfig, parseStackConfig } from "../stacks/config";
import { EvaluationError } from "../plan/evaluate";
import { ConfigMap, STACKS, configErrorOf, evaluate, refusal, stackConfig } from "./harness";

function raw(values: ConfigMap, stack = "tier30k"): RawStackConfig {
    return { project: "scale-tiers", stack, values };
}

function withObject(key: string, value: unknown): ConfigMap {
    return { ...stackConfig("tier30k"), [`scale-tiers:${key}`]: JSON.stringify(value) };
}

describe("stack config", () => {
    for (const stack of STACKS) {
        it(`accepts Pulumi.${stack}.yaml`, () => {
            const config = parseStackConfig(raw(stackConfig(stack), stack));
            expect(config.network.availabilityZones.length).to.be.at.least(2);
            expect(config.region).to.equal("ap-northeast-2");
        });
    }

    it("states the usage assumptions the cost estimate uses, each overridable", () => {
        const config = parseStackConfig(
            raw({
                ...stackConfig("tier30k"),
                "scale-tiers:usageAssumptions": JSON.stringify({ webLogMbPerClient: 3 }),
            }),
        );
        expect(config.usageAssumptions).to.include({
            requestsPerClient: 3000,
            responseMbPerClient: 50,
            webLogMbPerClient: 3,
        });
    });

    it("applies the documented defaults", () => {
        const defaults = { ...stackConfig("tier30k") };
        delete defaults["scale-tiers:web"];
        delete defaults["scale-tiers:database"];
        const config = parseStackConfig(raw(defaults));
        expect(config.web).to.deep.equal({
            instanceCount: 2,
            instanceType: "t3.small",
            rootVolumeGiB: 20,
            healthCheckPath: "/healthz",
            autoScaling: {
                enabled: false,
                minSize: 2,
                maxSize: 10,
                targetCpuPercent: 50,
                targetRequestsPerMinute: 6000,
                healthCheckGraceSeconds: 300,
                instanceWarmupSeconds: 180,
                minHealthyPercent: 90,
            },
        });
        expect(config.costGuard).to.deep.equal({ maxMonthlyIncreaseUsd: 250 });
        expect(config.database).to.deep.equal({
            instanceType: "r7i.large",
            mysqlVersion: "8.4",
            dataVolume: { sizeGiB: 100, iops: 3000, throughputMiBps: 125 },
            snapshots: { intervalHours: 24, retainCount: 7 },
            binlogRetentionHours: 168,
            replica: { enabled: false, instanceType: "r7i.large", retired: false },
            writer: "primary",
            selfManaged: true,
            rds: {
                enabled: false,
                instanceClass: "db.r7g.large",
                engineVersion: "8.4",
                allocatedStorageGiB: 100,
                maxAllocatedStorageGiB: 1000,
                multiAz: true,
                backupRetentionDays: 14,
                backupWindow: "17:00-18:00",
                maintenanceWindow: "sun:18:30-sun:19:30",
                readReplicas: 0,
                replicaInstanceClass: "db.r7g.large",
                performanceInsightsRetentionDays: 7,
                monitoringIntervalSeconds: 60,
            },
        });
        expect(config.memcached).to.deep.equal({
            enabled: false,
            nodeCount: 2,
            instanceType: "r7i.large",
            memoryMiB: 12288,
            maxConnections: 4096,
            draining: false,
        });
        expect(config.elasticache).to.deep.equal({
            enabled: false,
            nodeType: "cache.r7g.large",
            nodeCount: 3,
            engineVersion: "1.6.22",
        });
        expect(config.sqs).to.deep.equal({ enabled: false, queues: [] });
        expect(config.logging).to.deep.equal({
            enabled: false,
            opensearch: {
                engineVersion: "OpenSearch_2.19",
                instanceType: "r7g.large.search",
                instanceCount: 3,
                volumeGiB: 100,
                masterInstanceType: "m7g.large.search",
            },
            logstash: { instanceType: "c7g.large", instanceCount: 2, queueVolumeGiB: 50 },
        });
        expect(config.rabbitmq).to.deep.equal({
            enabled: false,
            nodeCount: 3,
            instanceType: "m7i.large",
            dataVolumeGiB: 100,
            managementCidrs: [],
            tls: false,
            draining: false,
            retired: false,
        });
        expect(config.jenkins).to.deep.equal({
            enabled: false,
            instanceType: "m7i.large",
            dataVolumeGiB: 100,
            artifactRetentionDays: 365,
            deployBatchPercent: 25,
            retired: false,
        });
        expect(config.collaboration).to.deep.equal({
            adminCidrs: [],
            jira: { enabled: false, instanceType: "m7i.xlarge", dataVolumeGiB: 100, retired: false },
            wiki: { enabled: false, instanceType: "t3.medium", dataVolumeGiB: 50, retired: false },
            cms: { enabled: false, instanceType: "t3.medium", dataVolumeGiB: 50, retired: false },
        });
        expect(config.monitoring).to.deep.equal({
            enabled: false,
            alarmEmails: [],
            alarms: {
                targetResponseSeconds: 1,
                replicationLagSeconds: 60,
                queueDepth: 10000,
                cacheEvictions: 1000,
                oldestMessageSeconds: 900,
            },
        });
        expect(config.loadBalancer).to.deep.equal({
            deletionProtection: true,
            accessLogRetentionDays: 90,
            idleTimeoutSeconds: 60,
        });
        expect(config.network).to.deep.equal({
            vpcCidr: "10.40.0.0/16",
            availabilityZones: ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"],
            natGateways: "Single",
            privateZoneName: "scale-tiers.internal",
            logRetentionDays: 30,
        });
    });

    it("hands down a deeply frozen object", () => {
        const config: StackConfig = parseStackConfig(raw(stackConfig("tier30k")));
        expect(Object.isFrozen(config)).to.equal(true);
        expect(Object.isFrozen(config.database.dataVolume)).to.equal(true);
        expect(Object.isFrozen(config.network.availabilityZones)).to.equal(true);
    });

    describe("rejects, naming the key, the rule and the fix", () => {
        const cases: [string, ConfigMap, RegExp][] = [
            [
                "an unknown top-level key",
                { ...stackConfig("tier30k"), "scale-tiers:webb": "{}" },
                /scale-tiers:webb: is not a known setting\. Fix: remove it, or use one of: .*web/,
            ],
            [
                "an unknown nested key",
                withObject("web", { instanceCount: 2, instanceTyp: "t3.small" }),
                /scale-tiers:web\.instanceTyp: is not a known setting/,
            ],
            [
                "a wrong type",
                withObject("web", { instanceCount: "two" }),
                /scale-tiers:web\.instanceCount: must be an integer, got string "two"/,
            ],
            [
                "an object given as a string",
                { ...stackConfig("tier30k"), "scale-tiers:database": "big" },
                /scale-tiers:database: must be an object, got string "big"/,
            ],
            [
                "a zero count",
                withObject("web", { instanceCount: 0 }),
                /scale-tiers:web\.instanceCount: 0 is out of range\. Fix: set it to an integer from 1 to 20/,
            ],
            [
                "a negative count",
                withObject("database", { snapshots: { retainCount: -1 } }),
                /scale-tiers:database\.snapshots\.retainCount: -1 is out of range/,
            ],
            [
                "a fractional size",
                withObject("database", { dataVolume: { sizeGiB: 100.5 } }),
                /scale-tiers:database\.dataVolume\.sizeGiB: must be an integer/,
            ],
            [
                "an instance type that does not exist",
                withObject("web", { instanceType: "t3.huge" }),
                /scale-tiers:web\.instanceType: "t3\.huge" has unknown size "huge"/,
            ],
            [
                "a previous-generation instance family",
                withObject("database", { instanceType: "m4.large" }),
                /scale-tiers:database\.instanceType: .*family "m4"/,
            ],
            [
                "an invalid CIDR",
                { ...stackConfig("tier30k"), "scale-tiers:vpcCidr": "10.40.0.0/33" },
                /scale-tiers:vpcCidr: "10\.40\.0\.0\/33" has a prefix length above 32/,
            ],
            [
                "a CIDR with host bits",
                { ...stackConfig("tier30k"), "scale-tiers:vpcCidr": "10.40.1.0/16" },
                /host bits set/,
            ],
            [
                "a CIDR too large for a VPC",
                { ...stackConfig("tier30k"), "scale-tiers:vpcCidr": "10.0.0.0/8" },
                /\/8 is outside \/16 to \/20/,
            ],
            [
                "a public CIDR",
                { ...stackConfig("tier30k"), "scale-tiers:vpcCidr": "8.8.0.0/16" },
                /not inside a private range/,
            ],
            [
                "a CIDR overlapping AWS's reserved range",
                { ...stackConfig("tier30k"), "scale-tiers:vpcCidr": "172.17.0.0/16" },
                /overlaps 172\.17\.0\.0\/16/,
            ],
            [
                "fewer than two AZs",
                { ...stackConfig("tier30k"), "scale-tiers:availabilityZones": '["ap-northeast-2a"]' },
                /scale-tiers:availabilityZones: has 1 AZ\(s\)\. Fix: list 2 to 4 distinct AZ names/,
            ],
            [
                "a repeated AZ",
                { ...stackConfig("tier30k"), "scale-tiers:availabilityZones": '["ap-northeast-2a","ap-northeast-2a"]' },
                /lists an AZ twice/,
            ],
            [
                "an AZ of another region",
                { ...stackConfig("tier30k"), "scale-tiers:availabilityZones": '["ap-northeast-2a","us-east-1a"]' },
                /"us-east-1a" not in region ap-northeast-2/,
            ],
            [
                "a NAT strategy that leaves private subnets offline",
                { ...stackConfig("tier30k"), "scale-tiers:natGateways": "None" },
                /scale-tiers:natGateways: string "None" is not allowed\. Fix: use one of "Single", "OnePerAz"/,
            ],
            [
                "a log retention CloudWatch does not offer",
                { ...stackConfig("tier30k"), "scale-tiers:logRetentionDays": "31" },
                /scale-tiers:logRetentionDays: number 31 is not allowed\. Fix: use one of 1, 3, 5/,
            ],
            [
                "an out-of-range volume size",
                withObject("database", { dataVolume: { sizeGiB: 10 } }),
                /dataVolume\.sizeGiB: 10 is out of range\. Fix: set it to an integer from 20 to 16384/,
            ],
            [
                "IOPS beyond gp3's ratio to size",
                withObject("database", { dataVolume: { sizeGiB: 20, iops: 12000 } }),
                /dataVolume\.iops: 12000 IOPS on 20 GiB exceeds gp3's 500 IOPS per GiB/,
            ],
            [
                "throughput beyond gp3's ratio to IOPS",
                withObject("database", { dataVolume: { throughputMiBps: 1000 } }),
                /dataVolume\.throughputMiBps: 1000 MiB\/s with 3000 IOPS exceeds/,
            ],
            [
                "a snapshot interval DLM does not offer",
                withObject("database", { snapshots: { intervalHours: 5 } }),
                /snapshots\.intervalHours: number 5 is not allowed\. Fix: use one of 1, 2, 3, 4, 6, 8, 12, 24/,
            ],
            [
                "binlogs kept too briefly for a replica or DMS",
                withObject("database", { binlogRetentionHours: 1 }),
                /binlogRetentionHours: 1 is out of range/,
            ],
            [
                "an unknown MySQL version",
                withObject("database", { mysqlVersion: "5.7" }),
                /mysqlVersion: string "5\.7" is not allowed\. Fix: use one of "8\.4", "8\.0"/,
            ],
            [
                "a certificate from another region",
                withObject("loadBalancer", {
                    certificateArn:
                        "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012",
                }),
                /the certificate is in us-east-1, but a load balancer can only use a certificate of its own region ap-northeast-2/,
            ],
            [
                "something that is not a certificate ARN",
                withObject("loadBalancer", { certificateArn: "my-cert" }),
                /"my-cert" is not an ACM certificate ARN/,
            ],
            [
                "a health check path that is not a path",
                withObject("web", { healthCheckPath: "healthz" }),
                /healthCheckPath: "healthz" is not an absolute URL path/,
            ],
            [
                "a zone name that is not a DNS name",
                { ...stackConfig("tier30k"), "scale-tiers:privateZoneName": "Internal_Zone" },
                /privateZoneName: "Internal_Zone" is not a lower-case DNS name/,
            ],
            [
                "a bad region",
                { ...stackConfig("tier30k"), "aws:region": "korea" },
                /aws:region: "korea" is not an AWS region name/,
            ],
            [
                "a RabbitMQ cluster of two, which cannot keep a quorum",
                withObject("rabbitmq", { enabled: true, nodeCount: 2 }),
                /scale-tiers:rabbitmq\.nodeCount: 2 nodes cannot keep a quorum when one fails.*Fix: use 1 \(no redundancy\) or 3 to 7/,
            ],
            [
                "a RabbitMQ data volume too small for the disk alarm",
                withObject("rabbitmq", { instanceType: "r7i.xlarge", dataVolumeGiB: 40 }),
                /scale-tiers:rabbitmq\.dataVolumeGiB: 40 GiB is less than twice the 32 GiB of r7i\.xlarge.*Fix: set it to at least 64/,
            ],
            [
                "a RabbitMQ cluster beyond seven nodes",
                withObject("rabbitmq", { nodeCount: 9 }),
                /scale-tiers:rabbitmq\.nodeCount: 9 is out of range/,
            ],
            [
                "the whole internet as admin CIDR",
                withObject("rabbitmq", { managementCidrs: ["0.0.0.0/0"] }),
                /scale-tiers:rabbitmq\.managementCidrs: "0\.0\.0\.0\/0" is a \/0, far beyond an admin network.*never 0\.0\.0\.0\/0/,
            ],
            [
                "an admin CIDR that is not a CIDR",
                withObject("rabbitmq", { managementCidrs: ["vpn"] }),
                /scale-tiers:rabbitmq\.managementCidrs: "vpn" is not an IPv4 CIDR block/,
            ],
            [
                "more cache memory than the node has",
                withObject("memcached", { enabled: true, instanceType: "r7i.large", memoryMiB: 16384 }),
                /scale-tiers:memcached\.memoryMiB: 16384 MiB does not fit on r7i\.large \(16 GiB\).*at most 15360/,
            ],
            [
                "an alarm subscriber that is not an address",
                withObject("monitoring", { enabled: true, alarmEmails: ["ops"] }),
                /scale-tiers:monitoring\.alarmEmails: "ops" is not an e-mail address/,
            ],
            [
                "alarm subscribers while monitoring is off",
                withObject("monitoring", { enabled: false, alarmEmails: ["ops@example.com"] }),
                /scale-tiers:monitoring\.alarmEmails: lists subscribers while monitoring is off/,
            ],
            [
                "an unknown alarm threshold",
                withObject("monitoring", { alarms: { diskPercent: 90 } }),
                /scale-tiers:monitoring\.alarms\.diskPercent: is not a known setting/,
            ],
            [
                "a failover to a replica that does not exist",
                withObject("database", { writer: "replica" }),
                /scale-tiers:database\.writer: is replica, but there is no replica to fail over to/,
            ],
            [
                "an unknown team tool",
                withObject("collaboration", { confluence: { enabled: true } }),
                /scale-tiers:collaboration\.confluence: is not a known setting\. Fix: remove it, or use one of: adminCidrs, certificateArn, cms, jira, wiki/,
            ],
            [
                "an admin CIDR that is not a CIDR",
                withObject("collaboration", { adminCidrs: ["office"] }),
                /scale-tiers:collaboration\.adminCidrs: "office" is not an IPv4 CIDR block/,
            ],
            [
                "0.0.0.0/0 as the tools' admin CIDR",
                withObject("collaboration", { adminCidrs: ["0.0.0.0/0"] }),
                /scale-tiers:collaboration\.adminCidrs: "0\.0\.0\.0\/0" is a \/0, far beyond an admin network or VPN range/,
            ],
            [
                "Jira on too little memory",
                withObject("collaboration", { jira: { enabled: true, instanceType: "t3.medium" } }),
                /scale-tiers:collaboration\.jira\.instanceType: t3\.medium has 4 GiB; Jira needs at least 8 GiB/,
            ],
            [
                "a deploy batch over 100%",
                withObject("jenkins", { deployBatchPercent: 150 }),
                /scale-tiers:jenkins\.deployBatchPercent: 150 is out of range/,
            ],
            [
                "a replica of an unknown instance type",
                withObject("database", { replica: { enabled: true, instanceType: "r7i.big" } }),
                /scale-tiers:database\.replica\.instanceType: "r7i\.big" has unknown size "big"/,
            ],
            [
                "an Auto Scaling group whose maximum is below its minimum",
                withObject("web", { autoScaling: { enabled: true, minSize: 6, maxSize: 4 } }),
                /scale-tiers:web\.autoScaling\.maxSize: 4 is below minSize 6/,
            ],
            [
                "an Auto Scaling group smaller than the AZ count",
                withObject("web", { autoScaling: { enabled: true, minSize: 2 } }),
                /scale-tiers:web\.autoScaling\.minSize: 2 instance\(s\) cannot cover the 3 AZs.*Fix: set minSize to 3 or more/,
            ],
            [
                "fixed instances and an Auto Scaling group at once",
                withObject("web", { instanceCount: 4, autoScaling: { enabled: true, minSize: 3 } }),
                /scale-tiers:web\.instanceCount: is set while autoScaling\.enabled is true/,
            ],
            [
                "an RDS class that is an EC2 type",
                withObject("database", { rds: { enabled: true, instanceClass: "r7g.large" } }),
                /scale-tiers:database\.rds\.instanceClass: "r7g\.large" is not of the form db\.<family>\.<size>/,
            ],
            [
                "RDS storage autoscaling without room to grow",
                withObject("database", { rds: { allocatedStorageGiB: 1000, maxAllocatedStorageGiB: 1050 } }),
                /scale-tiers:database\.rds\.maxAllocatedStorageGiB: 1050 GiB is not at least 10% above.*set it to 1100 or more/,
            ],
            [
                "an RDS engine older than the self-managed server",
                withObject("database", { mysqlVersion: "8.4", rds: { engineVersion: "8.0" } }),
                /scale-tiers:database\.rds\.engineVersion: 8\.0 is older than the self-managed server's 8\.4/,
            ],
            [
                "an RDS backup window that is not a window",
                withObject("database", { rds: { backupWindow: "2am" } }),
                /scale-tiers:database\.rds\.backupWindow: "2am" is not a UTC window hh:mm-hh:mm/,
            ],
            [
                "a Performance Insights retention RDS does not offer",
                withObject("database", { rds: { performanceInsightsRetentionDays: 30 } }),
                /scale-tiers:database\.rds\.performanceInsightsRetentionDays: number 30 is not allowed\. Fix: use one of 7, 31, 62/,
            ],
            [
                "a memcached version without in-transit encryption",
                withObject("elasticache", { engineVersion: "1.6.6" }),
                /scale-tiers:elasticache\.engineVersion: 1\.6\.6 has no in-transit encryption/,
            ],
            [
                "memcached nodes and ElastiCache both serving",
                {
                    ...withObject("memcached", { enabled: true }),
                    "scale-tiers:elasticache": JSON.stringify({ enabled: true }),
                },
                /scale-tiers:memcached: is enabled alongside elasticache.*Fix: set memcached\.draining: true while it drains/,
            ],
            [
                "RabbitMQ draining with no SQS to take over",
                withObject("rabbitmq", { enabled: true, draining: true }),
                /scale-tiers:rabbitmq\.draining: is true but sqs is off/,
            ],
            [
                "SQS switched on without a queue",
                withObject("sqs", { enabled: true }),
                /scale-tiers:sqs\.queues: is empty while sqs\.enabled is true/,
            ],
            [
                "a queue without a name",
                withObject("sqs", { enabled: true, queues: [{ visibilityTimeoutSeconds: 30 }] }),
                /scale-tiers:sqs\.queues\[0\]\.name: must be a string, got nothing/,
            ],
            [
                "two queues of one name",
                withObject("sqs", { enabled: true, queues: [{ name: "jobs" }, { name: "jobs" }] }),
                /scale-tiers:sqs\.queues: names jobs more than once/,
            ],
            [
                "a queue kept longer than SQS allows",
                withObject("sqs", { enabled: true, queues: [{ name: "jobs", retentionDays: 30 }] }),
                /scale-tiers:sqs\.queues\[0\]\.retentionDays: 30 is out of range/,
            ],
            [
                "OpenSearch data nodes that do not divide over the AZs",
                withObject("logging", { enabled: true, opensearch: { instanceCount: 4 } }),
                /scale-tiers:logging\.opensearch\.instanceCount: 4 data nodes do not divide evenly over 3 AZs/,
            ],
            [
                "a single Logstash instance",
                withObject("logging", { enabled: true, logstash: { instanceCount: 1 } }),
                /scale-tiers:logging\.logstash\.instanceCount: 1 is out of range/,
            ],
            [
                "a migration with no RDS to migrate to",
                withObject("migration", { phase: "replicating" }),
                /scale-tiers:migration\.phase: is replicating, but there is no RDS to migrate to\. Fix: set database\.rds\.enabled: true/,
            ],
            [
                "an unknown migration phase",
                withObject("migration", { phase: "done" }),
                /scale-tiers:migration\.phase: string "done" is not allowed\. Fix: use one of "none", "replicating", "cutover", "rollback", "decommissioned"/,
            ],
            [
                "a system schema in the migration",
                withObject("migration", { includeSchemas: ["app", "mysql"] }),
                /scale-tiers:migration\.includeSchemas: "mysql" is a system schema, never copied/,
            ],
            [
                "an estate with neither self-managed MySQL nor RDS",
                withObject("database", { selfManaged: false }),
                /scale-tiers:database\.selfManaged: is false, and without RDS the estate has no database/,
            ],
            [
                "a migration from self-managed MySQL the estate never had",
                {
                    ...withObject("database", { selfManaged: false, rds: { enabled: true } }),
                    "scale-tiers:migration": JSON.stringify({ phase: "replicating" }),
                },
                /scale-tiers:migration\.phase: is replicating, but database\.selfManaged is false/,
            ],
            [
                "an admin network listed twice (its rules are named by their block)",
                withObject("collaboration", { adminCidrs: ["10.8.0.0/16", "10.8.0.0/16"] }),
                /scale-tiers:collaboration\.adminCidrs: lists "10\.8\.0\.0\/16" twice\. Fix: list each entry once/,
            ],
            [
                "a management network listed twice",
                withObject("rabbitmq", { managementCidrs: ["10.8.0.0/16", "10.8.0.0/16"] }),
                /scale-tiers:rabbitmq\.managementCidrs: lists "10\.8\.0\.0\/16" twice/,
            ],
            [
                "an alarm address listed twice, in any case",
                withObject("monitoring", { alarmEmails: ["ops@example.com", "Ops@Example.com"] }),
                /scale-tiers:monitoring\.alarmEmails: lists "Ops@Example\.com" twice/,
            ],
            [
                "a RabbitMQ cluster both running and retired",
                withObject("rabbitmq", { enabled: true, retired: true }),
                /scale-tiers:rabbitmq\.retired: is true while the cluster is enabled/,
            ],
            [
                "a database password in plain text",
                withObject("database", { rootPassword: "hunter2" }),
                /scale-tiers:database\.rootPassword: looks like a secret in plain text.*Fix: remove it: the program generates every password/,
            ],
            [
                "an API token at the top level",
                { ...stackConfig("tier30k"), "scale-tiers:slackToken": "xoxb-123" },
                /scale-tiers:slackToken: looks like a secret in plain text/,
            ],
            [
                "a cost guard that is not a whole number of dollars",
                withObject("costGuard", { maxMonthlyIncreaseUsd: 99.5 }),
                /scale-tiers:costGuard\.maxMonthlyIncreaseUsd: must be an integer, got number 99\.5.*Fix: set it to an integer from 0 to 10000000/,
            ],
            [
                "a cost guard field misspelt, which would leave the default in force",
                withObject("costGuard", { maxMonthlyIncrease: 1000 }),
                /scale-tiers:costGuard\.maxMonthlyIncrease: /,
            ],
            [
                "a namespace typo, which would silently drop the setting (and on a deployed estate its nodes)",
                { ...stackConfig("tier30k"), "scale-tier:memcached": JSON.stringify({ enabled: true }) },
                /scale-tier:memcached: is in namespace "scale-tier", which nothing in this program reads.*Fix: write it as scale-tiers:memcached\./,
            ],
            [
                "a provider's namespace misspelt",
                { ...stackConfig("tier30k"), "aws-region": "eu-west-1", "awz:region": "eu-west-1" },
                /awz:region: is in namespace "awz".*Fix: write it as aws:region\./,
            ],
            [
                "a key without a namespace, as the CLI refuses it",
                { ...stackConfig("tier30k"), natGateways: "Single" },
                /natGateways: has no namespace, and the Pulumi CLI refuses .*Fix: write it as scale-tiers:natGateways/,
            ],
            [
                "a usage assumption below zero, or one the estimate does not know",
                withObject("usageAssumptions", { responseMbPerClient: -1, gbOutPerClient: 1 }),
                /scale-tiers:usageAssumptions\.responseMbPerClient: .*0.*scale-tiers:usageAssumptions\.gbOutPerClient/s,
            ],
            [
                "tags AWS or the program would refuse, all at once",
                withObject("tags", {
                    "aws:owner": "x",
                    stack: "y",
                    "cost center!": "z",
                    owner: 123,
                    "db-password": "p",
                }),
                /scale-tiers:tags\.aws:owner: .*aws:.*drop the aws: prefix.*scale-tiers:tags\.stack: .*the program's own.*rename it.*scale-tiers:tags\.cost center!: .*not a tag key.*scale-tiers:tags\.owner: must be a string, got number 123.*quote numbers.*scale-tiers:tags\.db-password: .*secret.*Secrets Manager/s,
            ],
            [
                "more tags than a resource has room for",
                withObject("tags", Object.fromEntries(Array.from({ length: 41 }, (_, i) => [`team-${i}`, "x"]))),
                /scale-tiers:tags: has 41 entries, more than 40/,
            ],
            [
                "a budget margin out of range",
                withObject("budget", { marginPercent: 900 }),
                /scale-tiers:budget\.marginPercent: .*500/,
            ],
            [
                "a namespace far from any the program reads",
                { ...stackConfig("tier30k"), "kubernetes:context": "prod" },
                /kubernetes:context: is in namespace "kubernetes".*Fix: use one of the namespaces scale-tiers, aws, awsx, random, tls, pulumi, or remove it/,
            ],
        ];
        for (const [what, values, message] of cases) {
            it(what, () => {
                expect(configErrorOf(values).message).to.match(message);
            });
        }

        // The program loads its config before it constructs anything, so one case of each kind of check
        // (the schema's, the secret scan, a cross-field rule) proves that every refusal above stops it
        // there; tests/stacks.test.ts adds one with several problems at once.
        const programCases = cases.filter(([what]) =>
            [
                "an unknown top-level key",
                "an API token at the top level",
                "a migration from self-managed MySQL the estate never had",
            ].includes(what),
        );
        for (const [what, values, message] of programCases) {
            it(`${what}: the program under mocks, before registering anything`, async () => {
                const failure = await evaluate("tier30k", { config: values }).then(
                    () => undefined,
                    (error: unknown) => error,
                );
                expect(failure).to.be.instanceOf(EvaluationError);
                expect((failure as EvaluationError).message).to.match(message);
                expect((failure as EvaluationError).registered).to.deep.equal([]);
            });
        }
        it("reaches the program with one case of each kind of check", () => {
            expect(programCases).to.have.length(3);
        });
    });

    it("lists every problem at once", () => {
        const values = {
            ...withObject("web", { instanceCount: 0, instanceType: "x" }),
            "scale-tiers:vpcCidr": "nonsense",
            "scale-tiers:typo": "1",
        };
        const error = configErrorOf(values);
        expect(error.problems.map((p) => p.key)).to.have.members([
            "scale-tiers:web.instanceCount",
            "scale-tiers:web.instanceType",
            "scale-tiers:vpcCidr",
            "scale-tiers:typo",
        ]);
        expect(error.message).to.match(/^stack configuration has 4 problems:/);
    });

    it("reports wrong values and the rules across settings at once, the rules on the values' defaults", () => {
        const values = {
            ...withObject("web", { instanceCount: "two", autoScaling: { enabled: true, minSize: 1 } }),
            "scale-tiers:sqs": JSON.stringify({
                enabled: true,
                queues: [{ retentionDays: 3 }, { name: "a" }, { name: "a" }],
            }),
        };
        expect(configErrorOf(values).problems.map((p) => `${p.key}: ${p.problem}`)).to.deep.equal([
            'scale-tiers:web.instanceCount: must be an integer, got string "two"',
            "scale-tiers:sqs.queues[0].name: must be a string, got nothing",
            "scale-tiers:web.instanceCount: is set while autoScaling.enabled is true; the group replaces the fixed instances",
            "scale-tiers:web.autoScaling.minSize: 1 instance(s) cannot cover the 3 AZs, so losing one AZ could leave no server",
            "scale-tiers:sqs.queues: names a more than once",
        ]);
    });

    it("points a wrong declared key at Pulumi.yaml's default", () => {
        expect(refusal({ ...stackConfig("tier30k"), "scale-tiers:vpcCidr": "[]" })).to.match(
            /scale-tiers:vpcCidr: "\[\]" is not an IPv4 CIDR block.*\. Fix: .*Pulumi\.yaml declares its default/,
        );
    });
});

describe("nearest", () => {
    it("picks the candidate a typo was meant to be, and nothing when none is close", () => {
        expect(nearest("scale-tier", ["scale-tiers", "aws", "awsx"])).to.equal("scale-tiers");
        expect(nearest("awz", ["scale-tiers", "aws", "awsx"])).to.equal("aws");
        expect(nearest("kubernetes", ["scale-tiers", "aws", "awsx", "random", "tls", "pulumi"])).to.equal(undefined);
    });
});
