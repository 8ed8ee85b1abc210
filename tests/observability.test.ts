import { expect } from "chai";
import { AlarmInputs, alarmSpecs, dashboardBody } from "../components/observability";
import { agentConfig, agentParameterName, logGroupName } from "../components/shared/telemetry";

const BASE: AlarmInputs<string> = {
    loadBalancer: "app/web-alb/1",
    targetGroup: "targetgroup/web-tg/2",
    stack: "tier150k",
    statefulServers: [{ label: "db-primary", instanceId: "i-1", dataPath: "/data/mysql", recover: true }],
    replica: false,
    memcached: false,
    thresholds: {
        targetResponseSeconds: 1,
        replicationLagSeconds: 60,
        queueDepth: 10000,
        cacheEvictions: 1000,
        oldestMessageSeconds: 900,
    },
};

describe("alarm specs", () => {
    it("watch the load balancer and every stateful server", () => {
        const keys = alarmSpecs(BASE).map((a) => a.key);
        expect(keys).to.deep.equal([
            "alb-5xx",
            "target-5xx",
            "unhealthy-hosts",
            "response-time",
            "db-primary-system-status",
            "db-primary-instance-status",
            "db-primary-cpu",
            "db-primary-memory",
            "db-primary-disk-root",
            "db-primary-disk-data",
        ]);
    });

    it("recover a database server whose host fails", () => {
        const system = alarmSpecs(BASE).find((a) => a.key === "db-primary-system-status")!;
        expect(system).to.include({ metricName: "StatusCheckFailed_System", recover: true, threshold: 1 });
        expect(alarmSpecs(BASE).filter((a) => a.recover)).to.have.length(1);
    });

    it("address the agent's disk metric by path and filesystem, as the agent publishes it", () => {
        const disk = alarmSpecs(BASE).find((a) => a.key === "db-primary-disk-data")!;
        expect(disk).to.include({ namespace: "CWAgent", metricName: "disk_used_percent", threshold: 80 });
        expect(disk.dimensions).to.deep.equal({ InstanceId: "i-1", path: "/data/mysql", fstype: "xfs" });
    });

    it("treat a silent replica or broker as down, and use the configured thresholds", () => {
        const alarms = alarmSpecs({ ...BASE, replica: true, rabbitmqNodes: 3, memcached: true });
        const byKey = Object.fromEntries(alarms.map((a) => [a.key, a]));
        expect(byKey["replication-stopped"]).to.include({
            namespace: "ScaleTiers/MySQL",
            metricName: "ReplicationRunning",
            comparison: "LessThanThreshold",
            threshold: 1,
            treatMissingData: "breaching",
        });
        expect(byKey["replication-stopped"].dimensions).to.deep.equal({ Stack: "tier150k", Role: "replica" });
        expect(byKey["replication-lag"]).to.include({ metricName: "ReplicationLagSeconds", threshold: 60 });
        expect(byKey["rabbitmq-node-down"]).to.include({
            metricName: "RunningNodes",
            threshold: 3,
            treatMissingData: "breaching",
        });
        expect(byKey["queue-depth"]).to.include({ metricName: "MessagesReady", threshold: 10000 });
        expect(byKey["cache-evictions"]).to.include({
            namespace: "ScaleTiers/Memcached",
            metricName: "Evictions",
            statistic: "Sum",
        });
    });

    it("use a percentile for response time", () => {
        expect(alarmSpecs(BASE).find((a) => a.key === "response-time")).to.include({ statistic: "p95", threshold: 1 });
    });
});

describe("managed service alarms", () => {
    const MANAGED: AlarmInputs<string>["managed"] = {
        autoScalingGroup: { name: "web-asg", minSize: 6, maxSize: 24 },
        rds: { identifier: "scale-tiers-tier1m-mysql", allocatedStorageGiB: 1000, replicas: ["replica-0"] },
        elastiCacheCluster: "cache-ec",
        queues: [{ name: "jobs", queue: "scale-tiers-tier1m-jobs", deadLetterQueue: "scale-tiers-tier1m-jobs-dlq" }],
        openSearch: { domainName: "logs", accountId: "123456789012", volumeGiB: 500 },
    };
    const byKey = Object.fromEntries(alarmSpecs({ ...BASE, managed: MANAGED }).map((a) => [a.key, a]));

    it("watch nothing managed when there is nothing managed", () => {
        expect(alarmSpecs(BASE).map((a) => a.key)).to.satisfy((keys: string[]) =>
            keys.every((key) => !/^(web-asg|rds|elasticache|sqs|opensearch)-/.test(key)),
        );
    });

    it("page when the web group is pinned at its maximum or cannot reach its minimum", () => {
        expect(byKey["web-asg-at-max"]).to.include({
            namespace: "AWS/AutoScaling",
            metricName: "GroupInServiceInstances",
            statistic: "Minimum",
            threshold: 24,
            comparison: "GreaterThanOrEqualToThreshold",
        });
        expect(byKey["web-asg-below-min"]).to.include({
            threshold: 6,
            comparison: "LessThanThreshold",
            treatMissingData: "breaching",
        });
        expect(byKey["web-asg-at-max"].dimensions).to.deep.equal({ AutoScalingGroupName: "web-asg" });
    });

    it("watch RDS storage in bytes against a tenth of the allocation, and every replica's lag", () => {
        expect(byKey["rds-free-storage"]).to.include({
            namespace: "AWS/RDS",
            metricName: "FreeStorageSpace",
            threshold: 100 * 1024 ** 3,
            comparison: "LessThanThreshold",
        });
        expect(byKey["rds-cpu"].dimensions).to.deep.equal({ DBInstanceIdentifier: "scale-tiers-tier1m-mysql" });
        expect(byKey["rds-replica-0-lag"]).to.include({ metricName: "ReplicaLag", threshold: 60 });
        expect(byKey["rds-replica-0-lag"].dimensions).to.deep.equal({ DBInstanceIdentifier: "replica-0" });
    });

    it("raise a dead letter at once, and a stuck queue after the configured age", () => {
        expect(byKey["sqs-jobs-dead-letters"]).to.include({
            namespace: "AWS/SQS",
            metricName: "ApproximateNumberOfMessagesVisible",
            threshold: 0,
            comparison: "GreaterThanThreshold",
        });
        expect(byKey["sqs-jobs-dead-letters"].dimensions).to.deep.equal({ QueueName: "scale-tiers-tier1m-jobs-dlq" });
        expect(byKey["sqs-jobs-oldest-message"]).to.include({
            metricName: "ApproximateAgeOfOldestMessage",
            threshold: 900,
        });
        expect(byKey["sqs-jobs-depth"]).to.include({ threshold: 10000 });
    });

    it("watch OpenSearch status, write blocks, storage in MiB and JVM pressure, by domain and account", () => {
        for (const key of ["opensearch-red", "opensearch-yellow", "opensearch-writes-blocked"]) {
            expect(byKey[key], key).to.include({ namespace: "AWS/ES", threshold: 1 });
            expect(byKey[key].dimensions).to.deep.equal({ DomainName: "logs", ClientId: "123456789012" });
        }
        expect(byKey["opensearch-red"]).to.include({ periodSeconds: 60, evaluationPeriods: 1 });
        expect(byKey["opensearch-yellow"]).to.include({ periodSeconds: 60, evaluationPeriods: 15 });
        expect(byKey["opensearch-free-storage"]).to.include({
            statistic: "Minimum",
            threshold: 128000,
            comparison: "LessThanThreshold",
        });
        expect(byKey["opensearch-jvm-pressure"]).to.include({ metricName: "JVMMemoryPressure", threshold: 80 });
        expect(byKey["opensearch-master-jvm-pressure"]).to.include({ metricName: "MasterJVMMemoryPressure" });
    });

    it("watch ElastiCache evictions with the memcached threshold", () => {
        expect(byKey["elasticache-evictions"]).to.include({
            namespace: "AWS/ElastiCache",
            statistic: "Sum",
            threshold: 1000,
        });
        expect(byKey["elasticache-evictions"].dimensions).to.deep.equal({ CacheClusterId: "cache-ec" });
    });
});

/** A CloudWatch dashboard body, the fields the tests read. */
interface DashboardBody {
    widgets: {
        x: number;
        y: number;
        properties: { metrics: string[][]; annotations: { horizontal: { value: number }[] } };
    }[];
}

/** The CloudWatch agent's config, the fields the tests read. */
interface AgentConfig {
    metrics: {
        append_dimensions: Record<string, string>;
        metrics_collected: { disk: { resources: string[] }; mem: { measurement: string[] } };
    };
    logs: { logs_collected: { files: { collect_list: { file_path: string; log_group_name: string }[] } } };
}

describe("dashboard", () => {
    it("has one widget per alarm with its metric and threshold", () => {
        const alarms = alarmSpecs(BASE);
        const body = JSON.parse(dashboardBody("ap-northeast-2", alarms)) as DashboardBody;
        expect(body.widgets).to.have.length(alarms.length);
        expect(body.widgets[2].properties.metrics).to.deep.equal([
            [
                "AWS/ApplicationELB",
                "UnHealthyHostCount",
                "LoadBalancer",
                "app/web-alb/1",
                "TargetGroup",
                "targetgroup/web-tg/2",
            ],
        ]);
        expect(body.widgets[2].properties.annotations.horizontal[0].value).to.equal(1);
        expect(body.widgets[3]).to.include({ x: 12, y: 6 });
    });
});

describe("CloudWatch agent config", () => {
    it("measures memory and the data disk, and ships the role's logs to its group", () => {
        const config = JSON.parse(agentConfig("mysql", "/scale-tiers/tier150k/mysql")) as AgentConfig;
        expect(config.metrics.append_dimensions).to.deep.equal({ InstanceId: "${aws:InstanceId}" });
        expect(config.metrics.metrics_collected.disk.resources).to.deep.equal(["/", "/data/mysql"]);
        expect(config.metrics.metrics_collected.mem.measurement).to.deep.equal(["mem_used_percent"]);
        const files = config.logs.logs_collected.files.collect_list;
        expect(files.map((f) => f.file_path)).to.include.members(["/var/log/mysqld.log", "/var/log/mysql/slow.log"]);
        expect(new Set(files.map((f) => f.log_group_name))).to.deep.equal(new Set(["/scale-tiers/tier150k/mysql"]));
    });

    it("lives under names the agent policy and the program agree on", () => {
        expect(agentParameterName("scale-tiers", "tier150k", "web")).to.equal(
            "AmazonCloudWatch-scale-tiers-tier150k-web",
        );
        expect(logGroupName("scale-tiers", "tier150k", "rabbitmq")).to.equal("/scale-tiers/tier150k/rabbitmq");
    });
});
