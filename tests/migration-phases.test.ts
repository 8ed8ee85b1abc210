/**
 * The DMS migration as the real program builds it, phase by phase (mocks):
 * tier1m walked none -> replicating -> cutover (or rollback) ->
 * decommissioned, with each phase's resources and the inputs AWS receives,
 * the refused transitions, and the policy pack over every phase.
 */
import { expect } from "chai";
import * as fs from "fs";
import { MIGRATION_GATE_TYPE, MOCK_GATE_PASSED_AT, mockPrivateIp, mockSubnetIds } from "../plan/mocks";
import { PackConfig, StackResource, evaluateRules } from "../policy/rules";
import { isWaived } from "../policy/waivers";
import {
    ConfigMap,
    configPatched,
    evaluate,
    input,
    named,
    ofType,
    PROMOTED_TO_1M,
    promotedTo1m,
    RecordedResource,
    Recording,
    recordStack,
    refusal,
    tier1mAt,
    reached,
    stateOf,
    withPatch,
} from "./harness";
import { deploymentProblems } from "../stacks/deployed-state";
import { parseStackConfig } from "../stacks/config";
import { ConfigError } from "../domain/config-problem";

const ZONE = "scale-tiers.internal";
const PRIMARY_HOST = `mysql-primary.${ZONE}`;
const REPLICA_HOST = `mysql-replica.${ZONE}`;
const RDS_ADDRESS = "scale-tiers-tier1m-mysql.c0mock0rds0.ap-northeast-2.rds.amazonaws.com";
const RDS_REPLICA_ADDRESS = "scale-tiers-tier1m-mysql-replica-1.c0mock0rds0.ap-northeast-2.rds.amazonaws.com";
const ALARM_TOPIC = "arn:aws:sns:ap-northeast-2:123456789012:monitoring-alarms";
const ACCOUNT_SECRET = (side: "ec2" | "rds") =>
    `arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:migration-${side}-account-secret-AbCdEf`;
const SECRETS_ROLE_ARN = "arn:aws:iam::123456789012:role/migration-secrets-role";

const RECORD = "aws:route53/record:Record";
const TASK = "aws:dms/replicationTask:ReplicationTask";
const ENDPOINT = "aws:dms/endpoint:Endpoint";
const GATE = MIGRATION_GATE_TYPE;
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";

type Phase = "none" | "replicating" | "cutover" | "rollback" | "decommissioned";
const PHASES: Phase[] = ["none", "replicating", "cutover", "rollback", "decommissioned"];

const dms = (recording: Recording) => recording.resources.filter((r) => r.type.startsWith("aws:dms/"));
const names = (resources: readonly RecordedResource[]) => resources.map((r) => r.name);
/** The id the mocks give a custom resource, which other resources' inputs reference. */
const idOf = (r: RecordedResource) => `${r.name}-id`;
const json = <T>(r: RecordedResource, key: string) => JSON.parse(input<string>(r, key)) as T;

interface Statement {
    Effect: string;
    Action: string | string[];
    Resource?: string | string[];
    Principal?: { Service: string };
}

function expectRecord(recording: Recording, name: string, type: string, ttl: number, records: string[]): void {
    const record = named(recording, RECORD, name);
    expect(input(record, "type"), name).to.equal(type);
    expect(input(record, "ttl"), name).to.equal(ttl);
    expect(input(record, "records"), name).to.deep.equal(records);
}

function expectMysqlEndpoint(recording: Recording, name: string, endpointType: string, side: "ec2" | "rds"): void {
    const endpoint = named(recording, ENDPOINT, name);
    expect(endpoint.inputs, name).to.include({
        endpointId: `scale-tiers-tier1m-${name.replace("migration-", "")}`,
        endpointType,
        engineName: "mysql",
        secretsManagerArn: ACCOUNT_SECRET(side),
        secretsManagerAccessRoleArn: SECRETS_ROLE_ARN,
        sslMode: "require",
    });
    // Host, port and credentials come from the secret only: nothing of them is in state.
    for (const key of ["password", "username", "serverName", "port", "databaseName"]) {
        expect(endpoint.inputs, `${name}.${key}`).not.to.have.property(key);
    }
}

describe("migration phases of tier1m, as the program builds them (mocks)", () => {
    const recordings = {} as Record<Phase, Recording>;

    before(async function () {
        this.timeout(300_000);
        for (const phase of ["none", "replicating", "cutover", "rollback"] as const) {
            recordings[phase] = await evaluate("tier1m", reached(tier1mAt(phase)));
        }
        recordings.decommissioned = await evaluate("tier1m", reached(promotedTo1m()));
    });

    it("evaluates the phase each recording claims", () => {
        for (const phase of PHASES) {
            const migration = JSON.parse(recordings[phase].config["scale-tiers:migration"]) as { phase: string };
            expect(migration.phase).to.equal(phase);
        }
    });

    describe("none", () => {
        it("has nothing of DMS and no Migration component", () => {
            const none = recordings.none;
            expect(names(dms(none))).to.deep.equal([]);
            expect(ofType(none, "scale-tiers:migration:Migration")).to.deep.equal([]);
            expect(ofType(none, GATE)).to.deep.equal([]);
            expect(none.resources.filter((r) => r.name.startsWith("migration-"))).to.deep.equal([]);
        });

        it("points db.<zone> and db-read.<zone> at the servers' private addresses with A records", () => {
            expectRecord(recordings.none, "db-dns", "A", 60, [mockPrivateIp("db-primary")]);
            expectRecord(recordings.none, "db-read-dns", "A", 60, [mockPrivateIp("db-replica")]);
            expect(input(named(recordings.none, RECORD, "db-dns"), "name")).to.equal(`db.${ZONE}`);
            expect(input(named(recordings.none, RECORD, "db-read-dns"), "name")).to.equal(`db-read.${ZONE}`);
        });
    });

    describe("replicating", () => {
        let rec: Recording;
        before(() => {
            rec = recordings.replicating;
        });

        it("puts the replication subnet group on the private subnets of at least two AZs", () => {
            const vpc = ofType(rec, "awsx:ec2:Vpc")[0];
            const privateSubnets = mockSubnetIds(vpc.inputs, "Private");
            const group = named(rec, "aws:dms/replicationSubnetGroup:ReplicationSubnetGroup", "migration-subnets");
            expect(input<string[]>(group, "subnetIds")).to.deep.equal(privateSubnets);
            expect(input<string[]>(vpc, "availabilityZoneNames").length).to.be.at.least(2);
            expect(privateSubnets).to.have.length(input<string[]>(vpc, "availabilityZoneNames").length);
            expect(input(group, "replicationSubnetGroupId")).to.equal("scale-tiers-tier1m-dms-subnets");
        });

        it("builds the replication instance from config: private, Multi-AZ, default engine and DMS key", () => {
            const instance = named(rec, "aws:dms/replicationInstance:ReplicationInstance", "migration-instance");
            expect(instance.inputs).to.include({
                replicationInstanceId: "scale-tiers-tier1m-dms",
                replicationInstanceClass: "dms.r6i.2xlarge",
                allocatedStorage: 500,
                multiAz: true,
                publiclyAccessible: false,
                replicationSubnetGroupId: "scale-tiers-tier1m-dms-subnets",
                allowMajorVersionUpgrade: false,
            });
            expect(input(instance, "vpcSecurityGroupIds")).to.deep.equal(["migration-dms-sg-id"]);
            // No engineVersion: DMS's default. No kmsKeyArn: storage encrypted with the account's DMS key.
            expect(instance.inputs).not.to.have.property("engineVersion");
            expect(instance.inputs).not.to.have.property("kmsKeyArn");
            // DMS needs its account roles before it builds anything in the VPC.
            const policies = ["dms-vpc-role", "dms-cloudwatch-logs-role"].map(
                (role) =>
                    named(rec, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", `migration-${role}-policy`).urn,
            );
            expect(instance.dependsOn).to.include.members(policies);
        });

        it("reads both endpoints' credentials from Secrets Manager through an access role, over TLS", () => {
            expectMysqlEndpoint(rec, "migration-ec2-source", "source", "ec2");
            expectMysqlEndpoint(rec, "migration-rds-target", "target", "rds");
            expect(names(ofType(rec, ENDPOINT)).sort()).to.deep.equal(["migration-ec2-source", "migration-rds-target"]);
        });

        it("lets only DMS assume the access role, and only for the two account secrets", () => {
            const role = named(rec, "aws:iam/role:Role", "migration-secrets-role");
            const trust = json<{ Statement: Statement[] }>(role, "assumeRolePolicy").Statement;
            expect(trust).to.deep.equal([
                {
                    Effect: "Allow",
                    Principal: { Service: "dms.ap-northeast-2.amazonaws.com" },
                    Action: "sts:AssumeRole",
                },
            ]);
            const policy = named(rec, "aws:iam/rolePolicy:RolePolicy", "migration-secrets-policy");
            expect(input(policy, "role")).to.equal("migration-secrets-role-mock");
            const statements = json<{ Statement: Statement[] }>(policy, "policy").Statement;
            expect(statements).to.have.length(1);
            expect(statements[0].Effect).to.equal("Allow");
            expect(statements[0].Action).to.equal("secretsmanager:GetSecretValue");
            expect(statements[0].Resource).to.have.members([ACCOUNT_SECRET("ec2"), ACCOUNT_SECRET("rds")]);
        });

        it("runs a full-load-and-cdc forward task with the schema mappings and validated, logged settings", () => {
            const forward = named(rec, TASK, "migration-forward");
            expect(forward.inputs).to.include({
                replicationTaskId: "scale-tiers-tier1m-forward",
                migrationType: "full-load-and-cdc",
                startReplicationTask: true,
                replicationInstanceArn: "arn:aws:dms:ap-northeast-2:123456789012:rep:MIGRATION-INSTANCE",
                sourceEndpointArn: "arn:aws:dms:ap-northeast-2:123456789012:endpoint:MIGRATION-EC2-SOURCE",
                targetEndpointArn: "arn:aws:dms:ap-northeast-2:123456789012:endpoint:MIGRATION-RDS-TARGET",
            });
            expect(forward.inputs).not.to.have.property("cdcStartTime");

            type Rule = {
                "rule-type": string;
                "rule-action": string;
                "object-locator": { "schema-name": string; "table-name": string };
            };
            const rules = json<{ rules: Rule[] }>(forward, "tableMappings").rules;
            expect(rules.map((r) => [r["rule-type"], r["object-locator"]["table-name"]])).to.deep.equal(
                rules.map(() => ["selection", "%"]),
            );
            const schemas = (action: string) =>
                rules.filter((r) => r["rule-action"] === action).map((r) => r["object-locator"]["schema-name"]);
            expect(schemas("include")).to.deep.equal(["app"]);
            expect(schemas("exclude")).to.include.members(["mysql", "sys", "information_schema", "awsdms_control"]);

            const settings = json<{
                ValidationSettings: { EnableValidation: boolean };
                Logging: { EnableLogging: boolean; LogComponents: { Id: string }[] };
                FullLoadSettings: { TargetTablePrepMode: string };
            }>(forward, "replicationTaskSettings");
            expect(settings.ValidationSettings.EnableValidation).to.equal(true);
            expect(settings.Logging.EnableLogging).to.equal(true);
            expect(settings.Logging.LogComponents.map((c) => c.Id)).to.include.members([
                "SOURCE_CAPTURE",
                "TARGET_APPLY",
            ]);
            expect(settings.FullLoadSettings.TargetTablePrepMode).to.equal("TRUNCATE_BEFORE_LOAD");
        });

        it("has no reverse task and no gate yet", () => {
            expect(names(ofType(rec, TASK))).to.deep.equal(["migration-forward"]);
            expect(ofType(rec, GATE)).to.deep.equal([]);
        });

        it("opens MySQL from the DMS group to the EC2 servers' and RDS's groups, both ways", () => {
            const dmsGroup = idOf(named(rec, "aws:ec2/securityGroup:SecurityGroup", "migration-dms-sg"));
            const ec2Group = idOf(named(rec, "aws:ec2/securityGroup:SecurityGroup", "network-db-sg"));
            const rdsGroup = idOf(named(rec, "aws:ec2/securityGroup:SecurityGroup", "db-rds-sg"));
            const rule = (type: string, name: string) => {
                const r = named(rec, type, name);
                expect(r.inputs, name).to.include({ ipProtocol: "tcp", fromPort: 3306, toPort: 3306 });
                return [input<string>(r, "securityGroupId"), input<string>(r, "referencedSecurityGroupId")];
            };
            expect(rule(INGRESS, "migration-ec2-mysql-in-client-0")).to.deep.equal([ec2Group, dmsGroup]);
            expect(rule(EGRESS, "migration-ec2-mysql-client-0-out")).to.deep.equal([dmsGroup, ec2Group]);
            expect(rule(INGRESS, "migration-rds-mysql-in-client-0")).to.deep.equal([rdsGroup, dmsGroup]);
            expect(rule(EGRESS, "migration-rds-mysql-client-0-out")).to.deep.equal([dmsGroup, rdsGroup]);
            // The account setup runs on the EC2 primary and reaches RDS too.
            expect(rule(INGRESS, "migration-rds-mysql-in-client-1")).to.deep.equal([rdsGroup, ec2Group]);
            expect(rule(EGRESS, "migration-rds-mysql-client-1-out")).to.deep.equal([ec2Group, rdsGroup]);
            const dmsRules = [...ofType(rec, INGRESS), ...ofType(rec, EGRESS)].filter(
                (r) => input(r, "securityGroupId") === dmsGroup || input(r, "referencedSecurityGroupId") === dmsGroup,
            );
            expect(names(dmsRules).sort()).to.deep.equal(
                [
                    "migration-dms-out-https",
                    "migration-ec2-mysql-client-0-out",
                    "migration-ec2-mysql-in-client-0",
                    "migration-rds-mysql-client-0-out",
                    "migration-rds-mysql-in-client-0",
                ].sort(),
            );
        });

        it("turns db.<zone> into a 5-second CNAME to the EC2 primary's name, replaced delete-first", () => {
            expectRecord(rec, "db-dns", "CNAME", 5, [PRIMARY_HOST]);
            expectRecord(rec, "db-read-dns", "CNAME", 5, [REPLICA_HOST]);
            const record = named(rec, RECORD, "db-dns");
            expect(record.deleteBeforeReplace).to.equal(true);
            expect(record.dependsOn).to.deep.equal([]);
            // The CNAME's target still resolves to the primary.
            expectRecord(rec, "db-primary-dns", "A", 60, [mockPrivateIp("db-primary")]);
        });

        it("sends instance and task events and CDC latency alarms to the alarm topic", () => {
            const subscriptions = ofType(rec, "aws:dms/eventSubscription:EventSubscription");
            const bySource = Object.fromEntries(subscriptions.map((s) => [input<string>(s, "sourceType"), s]));
            expect(Object.keys(bySource).sort()).to.deep.equal(["replication-instance", "replication-task"]);
            expect(bySource["replication-instance"].inputs).to.deep.include({
                snsTopicArn: ALARM_TOPIC,
                sourceIds: ["scale-tiers-tier1m-dms"],
                enabled: true,
            });
            expect(input(bySource["replication-instance"], "eventCategories")).to.include("failure");
            expect(bySource["replication-task"].inputs).to.deep.include({
                snsTopicArn: ALARM_TOPIC,
                sourceIds: ["scale-tiers-tier1m-forward"],
                enabled: true,
            });
            expect(input(bySource["replication-task"], "eventCategories")).to.include("failure");

            const alarms = ofType(rec, "aws:cloudwatch/metricAlarm:MetricAlarm").filter(
                (a) => input(a, "namespace") === "AWS/DMS",
            );
            expect(alarms.map((a) => input(a, "metricName")).sort()).to.deep.equal([
                "CDCLatencySource",
                "CDCLatencyTarget",
            ]);
            for (const alarm of alarms) {
                expect(alarm.inputs, alarm.name).to.deep.include({
                    dimensions: {
                        ReplicationInstanceIdentifier: "scale-tiers-tier1m-dms",
                        ReplicationTaskIdentifier: "MIGRATION-FORWARD",
                    },
                    threshold: 300,
                    comparisonOperator: "GreaterThanThreshold",
                    alarmActions: [ALARM_TOPIC],
                });
            }
        });

        it("runs the account setup document on the EC2 primary, which may read the secrets it uses", () => {
            const document = named(rec, "aws:ssm/document:Document", "migration-accounts");
            expect(document.inputs).to.include({ documentType: "Command", documentFormat: "JSON" });
            const script = json<{ mainSteps: { inputs: { runCommand: string[] } }[] }>(
                document,
                "content",
            ).mainSteps[0].inputs.runCommand.join("\n");
            expect(script).to.include(ACCOUNT_SECRET("ec2"));
            expect(script).to.include(ACCOUNT_SECRET("rds"));
            expect(script).to.include(`'mysql-rds.${ZONE}'`);

            const association = named(rec, "aws:ssm/association:Association", "migration-accounts");
            const primary = named(rec, "aws:ec2/instance:Instance", "db-primary");
            expect(input(association, "targets")).to.deep.equal([{ key: "InstanceIds", values: [idOf(primary)] }]);
            expect(input(association, "name")).to.equal("migration-accounts-mock");
            expect(input(association, "maxErrors")).to.equal("0");

            const read = named(rec, "aws:iam/rolePolicy:RolePolicy", "migration-setup-secrets");
            expect(input(read, "role")).to.equal("db-role-mock");
            const resources = json<{ Statement: Statement[] }>(read, "policy").Statement.flatMap((s) => s.Resource);
            expect(resources).to.have.members([
                "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:rds!db-scale-tiers-tier1m-mysql-AbCdEf",
                ACCOUNT_SECRET("ec2"),
                ACCOUNT_SECRET("rds"),
            ]);
        });
    });

    describe("cutover", () => {
        let rec: Recording;
        let gate: RecordedResource;
        before(() => {
            rec = recordings.cutover;
            gate = named(rec, GATE, "migration-cutover-gate");
        });

        it("has a gate on the forward task, with the latency bound from config and a complete full load", () => {
            expect(gate.custom).to.equal(true);
            expect(ofType(rec, GATE)).to.have.length(1);
            expect(gate.inputs).to.deep.include({
                taskId: "scale-tiers-tier1m-forward",
                replicationInstanceId: "scale-tiers-tier1m-dms",
                region: "ap-northeast-2",
                bounds: { maxCdcLatencySeconds: 5, requireFullLoad: true },
                waitSeconds: 300,
            });
            const instance = named(rec, "aws:dms/replicationInstance:ReplicationInstance", "migration-instance");
            expect(gate.dependsOn).to.deep.equal([instance.urn]);
        });

        it("takes maxCdcLatencySeconds from config", async () => {
            const config = configPatched(PROMOTED_TO_1M, "scale-tiers:migration", {
                phase: "cutover",
                maxCdcLatencySeconds: 12,
            });
            const bounded = await evaluate("tier1m", reached(config));
            expect(input(named(bounded, GATE, "migration-cutover-gate"), "bounds")).to.deep.equal({
                maxCdcLatencySeconds: 12,
                requireFullLoad: true,
            });
        });

        it("points db.<zone> at RDS and db-read.<zone> at its replica, only after the gate", () => {
            expectRecord(rec, "db-dns", "CNAME", 5, [RDS_ADDRESS]);
            expectRecord(rec, "db-read-dns", "CNAME", 5, [RDS_REPLICA_ADDRESS]);
            for (const name of ["db-dns", "db-read-dns"]) {
                expect(named(rec, RECORD, name).dependsOn, name).to.include(gate.urn);
            }
        });

        it("stops the forward task after the gate", () => {
            const forward = named(rec, TASK, "migration-forward");
            expect(forward.inputs).to.include({ migrationType: "full-load-and-cdc", startReplicationTask: false });
            expect(forward.dependsOn).to.deep.equal([gate.urn]);
        });

        it("starts a CDC-only reverse task from RDS to the EC2 primary after the gate", () => {
            const reverse = named(rec, TASK, "migration-reverse");
            expect(reverse.inputs).to.include({
                replicationTaskId: "scale-tiers-tier1m-reverse",
                migrationType: "cdc",
                startReplicationTask: true,
                sourceEndpointArn: "arn:aws:dms:ap-northeast-2:123456789012:endpoint:MIGRATION-RDS-SOURCE",
                targetEndpointArn: "arn:aws:dms:ap-northeast-2:123456789012:endpoint:MIGRATION-EC2-TARGET",
            });
            expect(reverse.dependsOn).to.deep.equal([gate.urn]);
            // Set once, from the gate's passing time.
            expect(reverse.inputs.cdcStartTime).to.equal(MOCK_GATE_PASSED_AT);
            expect(reverse.ignoreChanges).to.deep.equal(["cdcStartTime"]);
            expectMysqlEndpoint(rec, "migration-rds-source", "source", "rds");
            expectMysqlEndpoint(rec, "migration-ec2-target", "target", "ec2");
            const settings = json<{ FullLoadSettings: { TargetTablePrepMode: string } }>(
                reverse,
                "replicationTaskSettings",
            );
            // Nothing may ever truncate the old primary.
            expect(settings.FullLoadSettings.TargetTablePrepMode).to.equal("DO_NOTHING");
        });

        it("watches the running reverse task, not the stopped forward one", () => {
            const taskEvents = ofType(rec, "aws:dms/eventSubscription:EventSubscription").find(
                (s) => input(s, "sourceType") === "replication-task",
            );
            expect(input(taskEvents!, "sourceIds")).to.deep.equal(["scale-tiers-tier1m-reverse"]);
            const dimensions = ofType(rec, "aws:cloudwatch/metricAlarm:MetricAlarm")
                .filter((a) => input(a, "namespace") === "AWS/DMS")
                .map((a) => input<Record<string, string>>(a, "dimensions").ReplicationTaskIdentifier);
            expect(dimensions).to.deep.equal(["MIGRATION-REVERSE", "MIGRATION-REVERSE"]);
        });
    });

    describe("rollback", () => {
        let rec: Recording;
        let gate: RecordedResource;
        before(() => {
            rec = recordings.rollback;
            gate = named(rec, GATE, "migration-rollback-gate");
        });

        it("checks the CDC-only reverse task at the gate", () => {
            expect(names(ofType(rec, GATE))).to.deep.equal(["migration-rollback-gate"]);
            expect(gate.inputs).to.deep.include({
                taskId: "scale-tiers-tier1m-reverse",
                bounds: { maxCdcLatencySeconds: 5, requireFullLoad: false },
            });
        });

        it("points db.<zone> back at the EC2 primary's name after the gate", () => {
            expectRecord(rec, "db-dns", "CNAME", 5, [PRIMARY_HOST]);
            expectRecord(rec, "db-read-dns", "CNAME", 5, [REPLICA_HOST]);
            expect(named(rec, RECORD, "db-dns").dependsOn).to.include(gate.urn);
        });

        it("stops the reverse task after the gate, keeping its start time, and has no forward task", () => {
            const reverse = named(rec, TASK, "migration-reverse");
            expect(reverse.inputs).to.include({ migrationType: "cdc", startReplicationTask: false });
            expect(reverse.dependsOn).to.deep.equal([gate.urn]);
            expect(reverse.ignoreChanges).to.include("cdcStartTime");
            expect(names(ofType(rec, TASK))).to.deep.equal(["migration-reverse"]);
            expect(names(ofType(rec, ENDPOINT)).sort()).to.deep.equal(["migration-ec2-target", "migration-rds-source"]);
        });

        it("keeps the self-managed servers running", () => {
            for (const server of ["db-primary", "db-replica"]) {
                const instance = named(rec, "aws:ec2/instance:Instance", server);
                expect(input(instance, "instanceType")).to.equal("r7i.2xlarge");
                const attachment = named(rec, "aws:ec2/volumeAttachment:VolumeAttachment", `${server}-data-attachment`);
                expect(attachment.inputs).to.include({ instanceId: idOf(instance), volumeId: `${server}-data-id` });
            }
        });
    });

    describe("decommissioned (the promoted estate's fixture)", () => {
        let rec: Recording;
        before(() => {
            rec = recordings.decommissioned;
        });

        it("has nothing of DMS and no self-managed MySQL server", () => {
            expect(names(dms(rec))).to.deep.equal([]);
            expect(ofType(rec, GATE)).to.deep.equal([]);
            const mysql = ofType(rec, "aws:ec2/instance:Instance").filter((i) =>
                String(input<Record<string, string>>(i, "tags").role).startsWith("mysql-"),
            );
            expect(names(mysql)).to.deep.equal([]);
            const attachments = ofType(rec, "aws:ec2/volumeAttachment:VolumeAttachment").filter((a) =>
                a.name.startsWith("db-"),
            );
            expect(names(attachments)).to.deep.equal([]);
            expect(names(ofType(rec, RECORD))).not.to.include.members(["db-primary-dns", "db-replica-dns"]);
        });

        it("keeps the data volumes, protected and retained, each with a protected final snapshot", () => {
            for (const server of ["db-primary", "db-replica"]) {
                const volume = named(rec, "aws:ebs/volume:Volume", `${server}-data`);
                expect(volume.protect, volume.name).to.equal(true);
                expect(volume.retainOnDelete, volume.name).to.equal(true);
                expect(volume.inputs).to.include({ encrypted: true, size: 1000 });
                const snapshot = named(rec, "aws:ebs/snapshot:Snapshot", `${server}-data-final`);
                expect(input(snapshot, "volumeId")).to.equal(idOf(volume));
                expect(snapshot.protect, snapshot.name).to.equal(true);
                expect(snapshot.retainOnDelete, snapshot.name).to.equal(true);
            }
        });

        it("points db.<zone> at RDS with a 60-second CNAME", () => {
            expectRecord(rec, "db-dns", "CNAME", 60, [RDS_ADDRESS]);
            expectRecord(rec, "db-read-dns", "CNAME", 60, [RDS_REPLICA_ADDRESS]);
            expect(named(rec, RECORD, "db-dns").dependsOn).to.deep.equal([]);
        });

        it("keeps the application's secret, which the web tier reads, naming db.<zone>", () => {
            named(rec, "aws:secretsmanager/secret:Secret", "db-app-secret");
            const version = named(rec, "aws:secretsmanager/secretVersion:SecretVersion", "db-app-secret-version");
            const secret = json<{ host: string; port: number; username: string }>(version, "secretString");
            expect(secret).to.include({ host: `db.${ZONE}`, port: 3306, username: "app" });
        });
    });

    it("exports what the runbook acts on while DMS exists: the account document, the instance, the task ARNs", () => {
        const exported = (phase: Phase) =>
            Object.keys(recordings[phase].outputs).filter((key) => key.startsWith("migration"));
        expect(exported("none")).to.deep.equal([]);
        expect(exported("replicating")).to.have.members([
            "migrationAccountSetupDocument",
            "migrationReplicationInstanceArn",
            "migrationForwardTaskArn",
        ]);
        expect(exported("cutover")).to.include.members(["migrationForwardTaskArn", "migrationReverseTaskArn"]);
        expect(exported("decommissioned")).to.deep.equal([]);
        const outputs = recordings.replicating.outputs;
        expect(outputs.migrationForwardTaskArn).to.match(/^arn:aws:dms:ap-northeast-2:\d+:task:/);
        expect(outputs.migrationAccountSetupDocument).to.be.a("string").and.not.equal("");
        expect(Object.keys(recordings.replicating.outputs.serverInstanceIds as object)).to.include.members([
            "db-primary",
            "db-replica",
        ]);
    });

    describe("the policy pack", () => {
        const pack = JSON.parse(fs.readFileSync("policy/config/tier1m.json", "utf8")) as PackConfig;
        const asStackResource = (r: RecordedResource): StackResource => ({
            type: r.type,
            urn: r.urn,
            name: r.name,
            inputs: r.inputs,
            id: r.custom ? `${r.name}-id` : undefined,
        });
        for (const phase of PHASES) {
            it(`passes every rule in phase ${phase}, apart from waivers`, () => {
                const violations = evaluateRules(recordings[phase].resources.map(asStackResource), pack);
                const open = violations.filter((v) => !isWaived(v.policy, v.urn));
                expect(open.map((v) => `${v.policy}: ${v.urn}: ${v.message}`)).to.deep.equal([]);
            });
        }
    });
});

describe("forbidden migration transitions, from the phase the estate has deployed", () => {
    const at = (phase: Phase) => configPatched(PROMOTED_TO_1M, "scale-tiers:migration", { phase });
    /** The refusal of `asked` on the promoted estate whose last update reached `deployed`. */
    const refusalOver = (deployed: Phase, asked: ConfigMap): string => {
        const config = parseStackConfig({ project: "scale-tiers", stack: "tier1m", values: asked });
        const problems = deploymentProblems({ kind: "recorded", state: stateOf(at(deployed)) }, config);
        expect(problems, "accepted").not.to.deep.equal([]);
        return new ConfigError(problems).message;
    };
    const cases: [string, Phase, () => ConfigMap, RegExp[]][] = [
        [
            "cutover straight from none",
            "none",
            () => at("cutover"),
            [
                /scale-tiers:migration\.phase: deployed none, asked cutover: "cutover" cannot follow "none"/,
                /one of none, replicating/,
            ],
        ],
        [
            "decommissioned from replicating",
            "replicating",
            () => at("decommissioned"),
            [/"decommissioned" cannot follow "replicating"/, /one of replicating, cutover, none/],
        ],
        [
            "decommissioned from rollback",
            "rollback",
            () => at("decommissioned"),
            [/"decommissioned" cannot follow "rollback"/, /one of rollback, replicating, none/],
        ],
        ["cutover again from rollback", "rollback", () => at("cutover"), [/"cutover" cannot follow "rollback"/]],
        [
            "anything after decommissioned",
            "decommissioned",
            () => at("replicating"),
            [/"replicating" cannot follow "decommissioned"/, /one of decommissioned \(/],
        ],
        [
            "a stale migration.from, whatever the phase",
            "cutover",
            () =>
                configPatched(PROMOTED_TO_1M, "scale-tiers:migration", {
                    phase: "decommissioned",
                    from: "replicating",
                }),
            [/scale-tiers:migration\.from: deployed cutover, asked replicating/, /remove migration\.from/],
        ],
    ];
    for (const [what, deployed, config, messages] of cases) {
        it(`refuses ${what}`, () => {
            const message = refusalOver(deployed, config());
            for (const expected of messages) {
                expect(message).to.match(expected);
            }
        });
    }

    it("refuses a migration with no RDS to migrate to, by config alone", () => {
        const noRds = configPatched(PROMOTED_TO_1M, "scale-tiers:database", { rds: { enabled: false } });
        const config = withPatch(noRds, "scale-tiers:migration", { phase: "replicating" });
        const message = refusal(config, "tier1m");
        expect(message).to.match(/scale-tiers:migration\.phase: is replicating, but there is no RDS to migrate to/);
        expect(message).to.match(/rds\.enabled: true/);
    });
});

describe("tier1m, built at 1M from nothing: RDS from the start (mocks)", () => {
    let rec: Recording;
    before(async () => {
        rec = await recordStack("tier1m");
    });

    it("has no self-managed MySQL at all: no servers, volumes, snapshots or schedule", () => {
        const selfManaged = rec.resources.filter((r) => /^db-(primary|replica)(-|$)|^db-snapshots/.test(r.name));
        expect(selfManaged.map((r) => r.name)).to.deep.equal([]);
        expect(ofType(rec, "aws:ebs/snapshot:Snapshot")).to.deep.equal([]);
        expect(rec.resources.filter((r) => r.type.startsWith("aws:dms/"))).to.deep.equal([]);
    });

    it("names RDS db.<zone> and its replica db-read.<zone>; of the servers' secrets only the application's", () => {
        expect(named(rec, RECORD, "db-dns").inputs).to.deep.include({
            name: `db.${ZONE}`,
            type: "CNAME",
            ttl: 60,
            records: ["scale-tiers-tier1m-mysql.c0mock0rds0.ap-northeast-2.rds.amazonaws.com"],
        });
        expect(input<string[]>(named(rec, RECORD, "db-read-dns"), "records")).to.deep.equal([
            "scale-tiers-tier1m-mysql-replica-1.c0mock0rds0.ap-northeast-2.rds.amazonaws.com",
        ]);
        const secrets = ofType(rec, "aws:secretsmanager/secret:Secret").filter((r) => r.name.startsWith("db-"));
        expect(secrets.map((r) => r.name)).to.deep.equal(["db-app-secret"]);
        expect(rec.resources.filter((r) => r.name === "db-role")).to.deep.equal([]);
    });
});
