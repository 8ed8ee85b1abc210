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
    thresholds: { targetResponseSeconds: 1, replicationLagSeconds: 60, queueDepth: 10000, cacheEvictions: 1000 },
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

describe("dashboard", () => {
    it("has one widget per alarm with its metric and threshold", () => {
        const alarms = alarmSpecs(BASE);
        const body = JSON.parse(dashboardBody("ap-northeast-2", alarms));
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
        const config = JSON.parse(agentConfig("mysql", "/scale-tiers/tier150k/mysql"));
        expect(config.metrics.append_dimensions).to.deep.equal({ InstanceId: "${aws:InstanceId}" });
        expect(config.metrics.metrics_collected.disk.resources).to.deep.equal(["/", "/data/mysql"]);
        expect(config.metrics.metrics_collected.mem.measurement).to.deep.equal(["mem_used_percent"]);
        const files = config.logs.logs_collected.files.collect_list;
        expect(files.map((f: { file_path: string }) => f.file_path)).to.include.members([
            "/var/log/mysqld.log",
            "/var/log/mysql/slow.log",
        ]);
        expect(new Set(files.map((f: { log_group_name: string }) => f.log_group_name))).to.deep.equal(
            new Set(["/scale-tiers/tier150k/mysql"]),
        );
    });

    it("lives under names the agent policy and the program agree on", () => {
        expect(agentParameterName("scale-tiers", "tier150k", "web")).to.equal(
            "AmazonCloudWatch-scale-tiers-tier150k-web",
        );
        expect(logGroupName("scale-tiers", "tier150k", "rabbitmq")).to.equal("/scale-tiers/tier150k/rabbitmq");
    });
});
