/**
 * What tier150k adds, under mocks: the MySQL replica, memcached, RabbitMQ and
 * CloudWatch. tier1m keeps the replica and RabbitMQ (draining into SQS) at
 * larger sizes, so both are checked here; its memcached is ElastiCache
 * (tests/elasticache.test.ts) and its queues SQS (tests/sqs.test.ts).
 */
import { expect } from "chai";
import { MEMCACHED_PORT } from "../components/cache";
import { MYSQL_PORT } from "../domain/database";
import { AMQP_PORT, MANAGEMENT_PORT } from "../components/messaging";
import { WEB_PORT } from "../components/compute";
import { readScript } from "../components/userdata/render";
import { mockPrivateIp } from "../plan/mocks";
import {
    byRole,
    configPatched,
    evaluate,
    input,
    named,
    ofType,
    parsePolicy,
    promotedTo1m,
    Recording,
    recordStack,
    stackConfig,
    tier150kOperated,
    tier1mAt,
    bootScriptOf,
    reached,
} from "./harness";

const SG = {
    lb: "network-lb-sg-id",
    web: "network-web-sg-id",
    db: "network-db-sg-id",
    endpoints: "network-endpoints-sg-id",
    cache: "cache-sg-id",
    mq: "mq-sg-id",
};

function rules(recording: Recording, type: string) {
    return ofType(recording, type)
        .map((r) => {
            const from = input<number>(r, "fromPort");
            const to = input<number>(r, "toPort");
            return {
                sg: input<string>(r, "securityGroupId"),
                ports: from === to ? String(from) : `${from}-${to}`,
                peer: input<string>(r, "cidrIpv4") ?? input<string>(r, "referencedSecurityGroupId"),
            };
        })
        .sort((a, b) => `${a.sg} ${a.ports} ${a.peer}`.localeCompare(`${b.sg} ${b.ports} ${b.peer}`));
}

function record(recording: Recording, name: string): { name: string; records: string[] } {
    const r = named(recording, "aws:route53/record:Record", name);
    return { name: input(r, "name"), records: input(r, "records") };
}

for (const stack of ["tier150k", "tier1m"] as const) {
    describe(`${stack}: replication, cache, broker, monitoring (mocks)`, () => {
        // tier1m's cache is ElastiCache, in a group of its own; tier150k's the EC2 nodes.
        const cacheSg = stack === "tier1m" ? "cache-cluster-sg-id" : SG.cache;
        let recording: Recording;
        before(async () => {
            // At 1M, the estate promoted from tier150k: the replica and the RabbitMQ draining into SQS.
            recording = await (stack === "tier1m" ? evaluate("tier1m", reached(promotedTo1m())) : recordStack(stack));
        });

        it("opens exactly the ports each service needs, to exactly its clients", () => {
            expect(rules(recording, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")).to.deep.equal(
                [
                    { sg: cacheSg, ports: String(MEMCACHED_PORT), peer: SG.web },
                    { sg: SG.db, ports: String(MYSQL_PORT), peer: SG.db },
                    { sg: SG.db, ports: String(MYSQL_PORT), peer: SG.web },
                    { sg: SG.endpoints, ports: "443", peer: "10.40.0.0/16" },
                    { sg: SG.lb, ports: "443", peer: "0.0.0.0/0" },
                    { sg: SG.lb, ports: "80", peer: "0.0.0.0/0" },
                    { sg: SG.mq, ports: String(MANAGEMENT_PORT), peer: "10.40.0.0/16" },
                    { sg: SG.mq, ports: "25672", peer: SG.mq },
                    { sg: SG.mq, ports: "35672-35682", peer: SG.mq },
                    { sg: SG.mq, ports: "4369", peer: SG.mq },
                    { sg: SG.mq, ports: String(AMQP_PORT), peer: SG.web },
                    { sg: SG.web, ports: String(WEB_PORT), peer: SG.lb },
                    // The team tools and Jenkins: from the VPC to their load balancer, from it to them.
                    { sg: "tools-alb-sg-id", ports: "443", peer: "10.40.0.0/16" },
                    { sg: "tools-alb-sg-id", ports: "80", peer: "10.40.0.0/16" },
                    { sg: "ci-jenkins-sg-id", ports: "8080", peer: "tools-alb-sg-id" },
                    { sg: "tools-jira-sg-id", ports: "8080", peer: "tools-alb-sg-id" },
                    { sg: "tools-wiki-sg-id", ports: "80", peer: "tools-alb-sg-id" },
                    { sg: "tools-cms-sg-id", ports: "80", peer: "tools-alb-sg-id" },
                    // tier1m's managed services: RDS from the web tier; log shipping to Logstash through its
                    // load balancer; OpenSearch from Logstash and, for Dashboards, the VPC.
                    ...(stack === "tier1m"
                        ? [
                              { sg: "db-rds-sg-id", ports: String(MYSQL_PORT), peer: SG.web },
                              { sg: "logs-nlb-sg-id", ports: "5044", peer: SG.web },
                              { sg: "logs-logstash-sg-id", ports: "5044", peer: "logs-nlb-sg-id" },
                              { sg: "logs-search-sg-id", ports: "443", peer: "logs-logstash-sg-id" },
                              { sg: "logs-search-sg-id", ports: "443", peer: "10.40.0.0/16" },
                          ]
                        : []),
                ].sort((a, b) => `${a.sg} ${a.ports} ${a.peer}`.localeCompare(`${b.sg} ${b.ports} ${b.peer}`)),
            );
            const egress = rules(recording, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule");
            expect(egress.filter((r) => r.sg === SG.web).map((r) => `${r.ports}>${r.peer}`)).to.have.members([
                "443>0.0.0.0/0",
                `${MYSQL_PORT}>${SG.db}`,
                `${MEMCACHED_PORT}>${cacheSg}`,
                `${AMQP_PORT}>${SG.mq}`,
                ...(stack === "tier1m" ? [`${MYSQL_PORT}>db-rds-sg-id`, "5044>logs-nlb-sg-id"] : []),
            ]);
            expect(egress.filter((r) => r.peer === "0.0.0.0/0").every((r) => r.ports === "443")).to.equal(true);
        });

        // tier1m is past its migration to RDS: its self-managed servers are retired (tests/migration-phases.test.ts).
        if (stack === "tier150k") {
            it("runs the replica in the second AZ on its own protected volume, as a GTID replica of the primary", () => {
                const [primary] = byRole(recording, "mysql-primary");
                const [replica] = byRole(recording, "mysql-replica");
                expect(input(replica, "availabilityZone")).to.equal("ap-northeast-2b");
                expect(input(replica, "subnetId")).to.equal("subnet-private-1");
                expect(input(primary, "availabilityZone")).to.equal("ap-northeast-2a");
                expect(replica.ignoreChanges).to.have.members(["ami", "userDataBase64"]);
                const volume = named(recording, "aws:ebs/volume:Volume", "db-replica-data");
                expect(volume.protect).to.equal(true);
                expect(volume.inputs).to.include({ availabilityZone: "ap-northeast-2b", encrypted: true, type: "gp3" });
                const script = bootScriptOf(recording, replica);
                expect(script).to.contain("readonly MYSQL_ROLE='replica'");
                expect(script).to.contain("readonly MYSQL_SERVER_ID='2'");
                expect(script).to.contain("readonly PRIMARY_HOST='mysql-primary.scale-tiers.internal'");
                expect(bootScriptOf(recording, primary)).to.contain("readonly MYSQL_SERVER_ID='1'");
                expect(bootScriptOf(recording, primary)).to.contain("readonly MYSQL_ROLE='primary'");
            });

            it("names the primary, the write endpoint and the read endpoint in the private zone", () => {
                const [primary] = byRole(recording, "mysql-primary");
                const [replica] = byRole(recording, "mysql-replica");
                expect(record(recording, "db-dns")).to.deep.equal({
                    name: "db.scale-tiers.internal",
                    records: [mockPrivateIp(primary.name)],
                });
                expect(record(recording, "db-primary-dns")).to.deep.equal({
                    name: "mysql-primary.scale-tiers.internal",
                    records: [mockPrivateIp(primary.name)],
                });
                expect(record(recording, "db-read-dns")).to.deep.equal({
                    name: "db-read.scale-tiers.internal",
                    records: [mockPrivateIp(replica.name)],
                });
                expect(record(recording, "db-replica-dns")).to.deep.equal({
                    name: "mysql-replica.scale-tiers.internal",
                    records: [mockPrivateIp(replica.name)],
                });
            });
        }

        // tier1m has no memcached nodes: tests/elasticache.test.ts.
        if (stack === "tier150k") {
            it("spreads memcached over the AZs and publishes the node list to the web servers", () => {
                const nodes = byRole(recording, "memcached");
                const memcached = JSON.parse(stackConfig(stack)["scale-tiers:memcached"]) as {
                    nodeCount: number;
                    memoryMiB: number;
                };
                expect(nodes).to.have.length(memcached.nodeCount);
                expect(new Set(nodes.map((n) => input(n, "subnetId"))).size).to.equal(Math.min(memcached.nodeCount, 3));
                for (const node of nodes) {
                    expect(input(node, "vpcSecurityGroupIds")).to.deep.equal([SG.cache]);
                    expect(bootScriptOf(recording, node)).to.contain(
                        `readonly MEMCACHED_MEMORY_MIB='${memcached.memoryMiB}'`,
                    );
                }
                const parameter = ofType(recording, "aws:ssm/parameter:Parameter").find(
                    (p) => input(p, "name") === `/scale-tiers/${stack}/app/cache-nodes`,
                )!;
                expect(input(parameter, "value")).to.equal(
                    nodes.map((n) => `${mockPrivateIp(n.name)}:11211`).join(","),
                );
            });
        }

        it("runs three RabbitMQ nodes in three AZs, each with a protected volume and a stable name", () => {
            const nodes = byRole(recording, "rabbitmq");
            expect(nodes.map((n) => input(n, "availabilityZone"))).to.deep.equal([
                "ap-northeast-2a",
                "ap-northeast-2b",
                "ap-northeast-2c",
            ]);
            const names = [0, 1, 2].map((i) => `rabbit@rabbitmq-${i}.scale-tiers.internal`);
            nodes.forEach((node, index) => {
                const script = bootScriptOf(recording, node);
                expect(script).to.contain(`readonly NODE_NAME='${names[index]}'`);
                expect(script).to.contain(`readonly CLUSTER_NODES='${names.join(",")}'`);
                expect(named(recording, "aws:ebs/volume:Volume", `mq-${index}-data`).protect).to.equal(true);
                expect(record(recording, `mq-${index}-dns`)).to.deep.equal({
                    name: `rabbitmq-${index}.scale-tiers.internal`,
                    records: [mockPrivateIp(node.name)],
                });
            });
            expect(record(recording, "mq-dns").records).to.have.members(nodes.map((n) => mockPrivateIp(n.name)));
            const parameter = ofType(recording, "aws:ssm/parameter:Parameter").find(
                (p) => input(p, "name") === `/scale-tiers/${stack}/app/amqp-host`,
            )!;
            expect(input(parameter, "value")).to.equal("rabbitmq.scale-tiers.internal");
        });

        it("keeps the cookie and admin credentials in Secrets Manager, readable by the nodes only", () => {
            const versions = ofType(recording, "aws:secretsmanager/secretVersion:SecretVersion").map((v) => v.name);
            expect(versions).to.include.members(["mq-cookie-secret-version", "mq-admin-secret-version"]);
            const policy = parsePolicy(
                input<string>(named(recording, "aws:iam/rolePolicy:RolePolicy", "mq-policy"), "policy"),
            );
            expect(policy.Statement[0].Resource).to.have.members([
                "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:mq-cookie-secret-AbCdEf",
                "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:mq-admin-secret-AbCdEf",
            ]);
            for (const node of byRole(recording, "rabbitmq")) {
                expect(bootScriptOf(recording, node)).not.to.match(/mock-password-/);
            }
        });

        it("creates a log group with retention and an agent config for every server role, and lets each role use them", () => {
            const retention = stack === "tier1m" ? 90 : 30;
            const roles = ["web", "mysql", "rabbitmq", "jenkins", "jira", "wiki", "cms"];
            for (const role of stack === "tier150k" ? [...roles, "memcached"] : roles) {
                const group = named(recording, "aws:cloudwatch/logGroup:LogGroup", `monitoring-${role}-logs`);
                expect(group.inputs).to.include({ name: `/scale-tiers/${stack}/${role}`, retentionInDays: retention });
                const parameter = named(recording, "aws:ssm/parameter:Parameter", `monitoring-${role}-agent-config`);
                expect(input(parameter, "name")).to.equal(`AmazonCloudWatch-scale-tiers-${stack}-${role}`);
                expect(parameter.dependsOn).to.deep.equal([group.urn]);
                const config = JSON.parse(input<string>(parameter, "value")) as {
                    logs: { logs_collected: { files: { collect_list: { log_group_name: string }[] } } };
                };
                expect(config.logs.logs_collected.files.collect_list[0].log_group_name).to.equal(
                    `/scale-tiers/${stack}/${role}`,
                );
                expect(
                    input(
                        named(
                            recording,
                            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                            `monitoring-${role}-agent-policy`,
                        ),
                        "policyArn",
                    ),
                ).to.equal("arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy");
            }
            for (const instance of ofType(recording, "aws:ec2/instance:Instance")) {
                expect(bootScriptOf(recording, instance)).to.match(
                    /readonly CLOUDWATCH_AGENT_PARAMETER='AmazonCloudWatch-scale-tiers-/,
                );
            }
        });

        it("alarms through an encrypted topic that CloudWatch may use, and recovers failed database and broker hosts", () => {
            const topic = named(recording, "aws:sns/topic:Topic", "monitoring-alarms");
            const key = named(recording, "aws:kms/key:Key", "monitoring-alarms-key");
            expect(input(topic, "kmsMasterKeyId")).to.equal(
                key.inputs.arn ?? "arn:aws:kms:ap-northeast-2:123456789012:monitoring-alarms-key",
            );
            expect(input(key, "enableKeyRotation")).to.equal(true);
            const keyPolicy = parsePolicy(input<string>(key, "policy"));
            // AWS Budgets publishes the budget's forecasts to the same topic.
            expect(keyPolicy.Statement[1].Principal).to.deep.equal({
                Service: ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"],
            });
            const alarms = ofType(recording, "aws:cloudwatch/metricAlarm:MetricAlarm");
            const recovering = alarms.filter((a) =>
                input<string[]>(a, "alarmActions").some((x) => x.endsWith(":ec2:recover")),
            );
            expect(recovering.map((a) => a.name)).to.have.members([
                ...(stack === "tier150k"
                    ? ["monitoring-db-primary-system-status", "monitoring-db-replica-system-status"]
                    : []),
                "monitoring-mq-0-system-status",
                "monitoring-mq-1-system-status",
                "monitoring-mq-2-system-status",
                "monitoring-jenkins-system-status",
                "monitoring-jira-system-status",
                "monitoring-wiki-system-status",
                "monitoring-cms-system-status",
            ]);
            const names = alarms.map((a) => a.name);
            expect(names).to.include.members([
                "monitoring-alb-5xx",
                "monitoring-unhealthy-hosts",
                "monitoring-response-time",
                "monitoring-queue-depth",
                "monitoring-rabbitmq-node-down",
                ...(stack === "tier150k"
                    ? [
                          "monitoring-cache-evictions",
                          "monitoring-replication-stopped",
                          "monitoring-replication-lag",
                          "monitoring-db-primary-disk-data",
                          "monitoring-db-primary-memory",
                      ]
                    : ["monitoring-rds-cpu", "monitoring-rds-free-storage", "monitoring-rds-replica-0-lag"]),
            ]);
            const unhealthy = named(recording, "aws:cloudwatch/metricAlarm:MetricAlarm", "monitoring-unhealthy-hosts");
            expect(input(unhealthy, "dimensions")).to.deep.equal({
                LoadBalancer: "app/web-alb/0123456789abcdef",
                TargetGroup: "targetgroup/web-tg/0123456789abcdef",
            });
            const responseTime = named(recording, "aws:cloudwatch/metricAlarm:MetricAlarm", "monitoring-response-time");
            expect(responseTime.inputs).to.include({ extendedStatistic: "p95", threshold: 1 });
            expect(responseTime.inputs.statistic).to.equal(undefined);
            const nodeDown = named(
                recording,
                "aws:cloudwatch/metricAlarm:MetricAlarm",
                "monitoring-rabbitmq-node-down",
            );
            expect(nodeDown.inputs).to.include({
                threshold: 3,
                comparisonOperator: "LessThanThreshold",
                treatMissingData: "breaching",
            });
            const dashboard = named(recording, "aws:cloudwatch/dashboard:Dashboard", "monitoring-dashboard");
            expect(
                (JSON.parse(input<string>(dashboard, "dashboardBody")) as { widgets: unknown[] }).widgets,
            ).to.have.length(alarms.filter((a) => a.component === "scale-tiers:observability:Observability").length);
        });
    });
}

describe("manual failover to the replica (mocks)", () => {
    it("moves db.<zone> to the replica and changes nothing else about the servers", async () => {
        const before = await recordStack("tier150k");
        const after = await evaluate("tier150k", {
            config: configPatched("tier150k", "scale-tiers:database", { writer: "replica" }),
        });
        const [replica] = byRole(after, "mysql-replica");
        expect(record(after, "db-dns").records).to.deep.equal([mockPrivateIp(replica.name)]);
        expect(record(after, "db-primary-dns")).to.deep.equal(record(before, "db-primary-dns"));
        const servers = (r: Recording) =>
            ofType(r, "aws:ec2/instance:Instance").map((i) => ({ urn: i.urn, inputs: JSON.stringify(i.inputs) }));
        expect(servers(after)).to.deep.equal(servers(before));
    });
});

describe("tier150k promotion keeps the primary as it is (mocks)", () => {
    it("renders the primary's boot script identically in every tier, so nothing about it needs re-applying", async () => {
        const scripts: string[] = [];
        // tier1m until its migration retires the primary.
        for (const config of [stackConfig("tier30k"), stackConfig("tier150k"), tier1mAt("replicating")]) {
            const recording = await evaluate("tier30k", { config });
            scripts.push(bootScriptOf(recording, byRole(recording, "mysql-primary")[0]));
        }
        expect(scripts[1]).to.equal(scripts[0]);
        expect(scripts[2]).to.equal(scripts[0]);
    });
});

describe("the cloud-init scripts hold the settings the design requires", () => {
    it("MySQL: GTID replication with full row images, a read-only replica, a DMS-compatible binlog", () => {
        const mysql = readScript("mysql");
        for (const setting of [
            "gtid_mode=ON",
            "enforce_gtid_consistency=ON",
            "binlog_format=ROW",
            "binlog_row_image=FULL",
            "log_replica_updates=ON",
            "super_read_only=ON",
            "SOURCE_AUTO_POSITION=1",
            "CLONE INSTANCE FROM",
            "Replica_IO_Running",
            "Replica_SQL_Running",
        ]) {
            expect(mysql, setting).to.contain(setting);
        }
    });

    it("memcached: bound to the private address, UDP off", () => {
        const memcached = readScript("memcached");
        expect(memcached).to.match(/-U 0/);
        expect(memcached).to.match(/-l /);
    });

    it("RabbitMQ: classic-config peer discovery and quorum queues by default", () => {
        const rabbitmq = readScript("rabbitmq");
        expect(rabbitmq).to.contain("cluster_formation.peer_discovery_backend = classic_config");
        expect(rabbitmq).to.contain("default_queue_type = quorum");
    });
});

describe("RabbitMQ over TLS (mocks)", () => {
    let recording: Recording;
    before(async () => {
        recording = await evaluate("tier150k", {
            config: configPatched("tier150k", "scale-tiers:rabbitmq", { tls: true }),
        });
    });

    it("opens 5671 instead of 5672 and hands the nodes a certificate for every name", () => {
        const amqp = ofType(recording, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
            .filter((r) => input(r, "securityGroupId") === SG.mq && input(r, "referencedSecurityGroupId") === SG.web)
            .map((r) => input(r, "fromPort"));
        expect(amqp).to.deep.equal([5671]);
        const request = named(recording, "tls:index/certRequest:CertRequest", "mq-server-csr");
        expect(input(request, "dnsNames")).to.deep.equal([
            "rabbitmq.scale-tiers.internal",
            "rabbitmq-0.scale-tiers.internal",
            "rabbitmq-1.scale-tiers.internal",
            "rabbitmq-2.scale-tiers.internal",
        ]);
        expect(named(recording, "tls:index/selfSignedCert:SelfSignedCert", "mq-ca").inputs).to.include({
            isCaCertificate: true,
        });
        for (const node of byRole(recording, "rabbitmq")) {
            expect(bootScriptOf(recording, node)).to.contain("readonly TLS_ENABLED='true'");
            expect(bootScriptOf(recording, node)).to.contain(
                "readonly TLS_SECRET_ARN='arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:mq-tls-secret-AbCdEf'",
            );
            expect(bootScriptOf(recording, node)).not.to.contain("mock-key-");
        }
    });
});

describe("tier150k as a team runs it: admin networks and alarm subscribers (mocks)", () => {
    let recording: Recording;
    before(async () => {
        recording = await evaluate("tier150k", { config: tier150kOperated() });
    });

    it("opens the RabbitMQ management UI to each admin network, one rule named by its block", () => {
        const rule = named(
            recording,
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "mq-in-management-172.20.0.0-16",
        );
        expect(rule.inputs).to.include({
            cidrIpv4: "172.20.0.0/16",
            fromPort: MANAGEMENT_PORT,
            toPort: MANAGEMENT_PORT,
        });
        // The list-position name a stack deployed before 2026-11 has for it.
        expect(rule.aliases).to.deep.equal(["mq-in-management-2"]);
    });

    it("exports each stateful server's instance id, by the label the runbooks use", () => {
        const ids = recording.outputs.serverInstanceIds as Record<string, string>;
        expect(Object.keys(ids)).to.have.members([
            "db-primary",
            "db-replica",
            "mq-0",
            "mq-1",
            "mq-2",
            "jenkins",
            "jira",
            "wiki",
            "cms",
        ]);
        // The mocks give each instance the id `<logical name>-id`: each label is its own server's.
        for (const role of ["mysql-primary", "mysql-replica", "jenkins", "jira"]) {
            const [server] = byRole(recording, role);
            expect(Object.entries(ids).filter(([, id]) => id === `${server.name}-id`)).to.have.length(1);
        }
        expect(ids["db-replica"]).to.equal(`${byRole(recording, "mysql-replica")[0].name}-id`);
    });

    it("warns of alarms nobody is told about only where nobody subscribes", async () => {
        const silent =
            /alarms publish to the alarm topic, which has no subscriber: nobody is told\. Set scale-tiers:monitoring\.alarmEmails/;
        expect(recording.warnings.filter((w) => silent.test(w))).to.deep.equal([]);
        const shipped = await recordStack("tier150k");
        expect(shipped.warnings.filter((w) => silent.test(w))).to.have.length(1);
        expect(shipped.warnings[0]).to.match(/^\d+ alarms publish/);
        // tier30k has no alarm topic: only its budget alerts nobody.
        expect((await recordStack("tier30k")).warnings).to.deep.equal([
            "The monthly budget has no alarm topic to alert: nobody is told when the forecast passes it. " +
                "Set scale-tiers:monitoring.enabled: true (docs/configuration.md, budget).",
        ]);
    });

    it("subscribes each alarm address once, named by the address", () => {
        const subscriptions = ofType(recording, "aws:sns/topicSubscription:TopicSubscription");
        expect(subscriptions.map((s) => [s.name, input(s, "endpoint"), s.aliases[0]])).to.have.deep.members([
            ["monitoring-alarms-email-ops@example.com", "ops@example.com", "monitoring-alarms-email-0"],
            ["monitoring-alarms-email-oncall@example.com", "oncall@example.com", "monitoring-alarms-email-1"],
        ]);
        expect(subscriptions.every((s) => input(s, "protocol") === "email")).to.equal(true);
    });
});
