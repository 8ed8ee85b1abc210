/**
 * Amazon RDS for MySQL (components/data-rds.ts, domain/rds.ts): the pure naming, parameter and
 * placement functions, the resources tier1m records under mocks, and that
 * adding RDS to an estate leaves every self-managed MySQL resource as it was.
 */
import { expect } from "chai";
import { APP_DATABASE, MYSQL_PORT } from "../domain/database";
import {
    RDS_ENHANCED_MONITORING_POLICY,
    RDS_LOG_EXPORTS,
    rdsHostName,
    rdsIdentifier,
    rdsLogGroupName,
    rdsParameterFamily,
    rdsParameters,
    rdsReplicaIdentifier,
    replicaAvailabilityZones,
} from "../domain/rds";
import { serviceTrustPolicy } from "../components/shared/iam";
import { T, checkRdsHardening } from "../policy/rules";
import {
    RecordedResource,
    Recording,
    allStrings,
    configPatched,
    evaluate,
    input,
    named,
    ofType,
    parsePolicy,
    recordStack,
    tier1mAt,
} from "./harness";

const RDS_INSTANCE = "aws:rds/instance:Instance";
const DATA_COMPONENT = "scale-tiers:data:Database";
const IDENTIFIER = "scale-tiers-tier1m-mysql";
const AZS = ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"];

describe("RDS naming, parameters and placement", () => {
    it("names the primary from project and stack, and its replicas from the primary", () => {
        expect(rdsIdentifier("scale-tiers", "tier1m")).to.equal(IDENTIFIER);
        expect(rdsReplicaIdentifier(IDENTIFIER, 0)).to.equal(`${IDENTIFIER}-replica-1`);
        expect(rdsReplicaIdentifier(IDENTIFIER, 4)).to.equal(`${IDENTIFIER}-replica-5`);
    });

    it("refuses identifiers RDS would reject or lower-case", () => {
        for (const [project, stack] of [
            ["scale-tiers", "Tier1m"],
            ["scale-tiers", "tier_1m"],
            ["scale-tiers", "tier--1m"],
            ["1scale", "tier1m"],
            ["scale-tiers", "x".repeat(40)],
        ]) {
            expect(() => rdsIdentifier(project, stack), `${project}/${stack}`).to.throw(/rename the stack/);
        }
        // The longest accepted primary still leaves a valid (<= 63 characters) replica identifier.
        const longest = rdsIdentifier("p", "s".repeat(53 - "p--mysql".length));
        expect(longest).to.have.length(53);
        expect(rdsReplicaIdentifier(longest, 4)).to.have.length.at.most(63);
    });

    it("picks the parameter group family of the major version", () => {
        expect(rdsParameterFamily("8.0")).to.equal("mysql8.0");
        expect(rdsParameterFamily("8.4")).to.equal("mysql8.4");
    });

    it("sets utf8mb4, TLS only, DMS-ready binary logs and a file-based slow-query log", () => {
        const parameters = rdsParameters();
        const values = Object.fromEntries(parameters.map((p) => [p.name, p.value]));
        expect(parameters.map((p) => p.name)).to.have.length(new Set(parameters.map((p) => p.name)).size);
        expect(values).to.deep.equal({
            character_set_server: "utf8mb4",
            collation_server: "utf8mb4_0900_ai_ci",
            binlog_format: "ROW",
            binlog_row_image: "full",
            binlog_checksum: "CRC32",
            require_secure_transport: "1",
            slow_query_log: "1",
            long_query_time: "1",
            log_output: "FILE",
            performance_schema: "1",
        });
        // Static parameters must wait for a reboot: RDS rejects `immediate` for them.
        const pendingReboot = parameters.filter((p) => p.applyMethod === "pending-reboot").map((p) => p.name);
        expect(pendingReboot).to.deep.equal(["performance_schema"]);
    });

    it("spreads replicas round-robin over the AZs, the first one in the second AZ", () => {
        expect(replicaAvailabilityZones(AZS, 0)).to.deep.equal([]);
        expect(replicaAvailabilityZones(AZS, 1)).to.deep.equal(["ap-northeast-2b"]);
        expect(replicaAvailabilityZones(AZS, 4)).to.deep.equal([
            "ap-northeast-2b",
            "ap-northeast-2c",
            "ap-northeast-2a",
            "ap-northeast-2b",
        ]);
        expect(replicaAvailabilityZones(["a"], 2)).to.deep.equal(["a", "a"]);
        expect(() => replicaAvailabilityZones([], 1)).to.throw(/at least one AZ/);
    });

    it("names the log groups RDS exports to", () => {
        expect(RDS_LOG_EXPORTS.map((log) => rdsLogGroupName(IDENTIFIER, log))).to.deep.equal([
            `/aws/rds/instance/${IDENTIFIER}/error`,
            `/aws/rds/instance/${IDENTIFIER}/slowquery`,
        ]);
    });

    it("trusts a service on behalf of one account only", () => {
        expect(JSON.parse(serviceTrustPolicy("monitoring.rds.amazonaws.com", "111122223333"))).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Allow",
                    Principal: { Service: "monitoring.rds.amazonaws.com" },
                    Action: "sts:AssumeRole",
                    Condition: { StringEquals: { "aws:SourceAccount": "111122223333" } },
                },
            ],
        });
    });
});

describe("policy rds-hardened and read replicas", () => {
    const primary = { backupRetentionPeriod: 7, deletionProtection: true, storageEncrypted: true, multiAz: true };
    const replica = { backupRetentionPeriod: 7, replicateSourceDb: IDENTIFIER, skipFinalSnapshot: true };

    it("exempts read replicas from deletion protection, the final snapshot and Multi-AZ", () => {
        expect(checkRdsHardening(T.rdsInstance, replica, { requireMultiAz: true })).to.deep.equal([]);
    });

    it("still holds read replicas to privacy and backups, and primaries to everything", () => {
        expect(checkRdsHardening(T.rdsInstance, { ...replica, publiclyAccessible: true })).to.have.length(1);
        expect(checkRdsHardening(T.rdsInstance, { ...replica, backupRetentionPeriod: 0 })).to.have.length(1);
        expect(
            checkRdsHardening(T.rdsInstance, { ...primary, replicateSourceDb: "", deletionProtection: false }),
        ).to.deep.equal(["deletionProtection must be true"]);
        expect(checkRdsHardening(T.rdsInstance, primary, { requireMultiAz: true })).to.deep.equal([]);
    });
});

describe("tier1m: Amazon RDS for MySQL (mocks)", () => {
    let recording: Recording;
    let primary: RecordedResource;
    let replicas: RecordedResource[];
    before(async () => {
        recording = await recordStack("tier1m");
        primary = named(recording, RDS_INSTANCE, "db-rds-primary");
        replicas = ofType(recording, RDS_INSTANCE).filter((r) => r.name !== "db-rds-primary");
    });

    it("runs MySQL 8.4 Multi-AZ on encrypted gp3 storage that scales, in the data component", () => {
        expect(primary.inputs).to.include({
            identifier: IDENTIFIER,
            engine: "mysql",
            engineVersion: "8.4",
            instanceClass: "db.r7g.2xlarge",
            storageType: "gp3",
            allocatedStorage: 1000,
            maxAllocatedStorage: 4000,
            storageEncrypted: true,
            multiAz: true,
            port: MYSQL_PORT,
            dbName: APP_DATABASE,
            caCertIdentifier: "rds-ca-rsa2048-g1",
            autoMinorVersionUpgrade: true,
            applyImmediately: false,
        });
        // The AWS-managed aws/rds key.
        expect(primary.inputs).not.to.have.property("kmsKeyId");
        expect(primary.component).to.equal(DATA_COMPONENT);
    });

    it("lets RDS generate and keep the master password: no password input anywhere", () => {
        expect(primary.inputs).to.include({ manageMasterUserPassword: true, username: "admin" });
        for (const instance of ofType(recording, RDS_INSTANCE)) {
            expect(instance.inputs, instance.name).not.to.have.any.keys("password", "passwordWo");
        }
        const passwords = ofType(recording, "random:index/randomPassword:RandomPassword").map((p) => p.name);
        expect(passwords.filter((name) => name.startsWith("db-rds"))).to.deep.equal([]);
        expect(recording.outputs.rdsMasterSecretArn).to.equal(
            `arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:rds!db-${IDENTIFIER}-AbCdEf`,
        );
        expect(allStrings(recording.outputs).join("\n")).not.to.match(/mock-password-/);
    });

    it("keeps backups, protects the primary from deletion and leaves a stable final snapshot", () => {
        expect(primary.inputs).to.include({
            backupRetentionPeriod: 14,
            backupWindow: "17:00-18:00",
            maintenanceWindow: "sun:18:30-sun:19:30",
            copyTagsToSnapshot: true,
            deletionProtection: true,
            skipFinalSnapshot: false,
            finalSnapshotIdentifier: `${IDENTIFIER}-final`,
            deleteAutomatedBackups: false,
        });
        expect(primary.protect).to.equal(true);
    });

    it("is private: isolated subnets, its own security group open on 3306 to the web servers only", () => {
        expect(primary.inputs).to.include({ publiclyAccessible: false });
        const subnetGroup = named(recording, "aws:rds/subnetGroup:SubnetGroup", "db-rds-subnets");
        expect(input(subnetGroup, "subnetIds")).to.deep.equal([
            "subnet-isolated-0",
            "subnet-isolated-1",
            "subnet-isolated-2",
        ]);
        expect(input(primary, "dbSubnetGroupName")).to.equal("db-rds-subnets-mock");
        expect(input(primary, "vpcSecurityGroupIds")).to.deep.equal(["db-rds-sg-id"]);

        const touching = (type: string) =>
            ofType(recording, type).filter(
                (r) =>
                    input(r, "securityGroupId") === "db-rds-sg-id" ||
                    input(r, "referencedSecurityGroupId") === "db-rds-sg-id",
            );
        const ingress = touching("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
        expect(ingress.map((r) => r.inputs)).to.deep.equal([
            {
                securityGroupId: "db-rds-sg-id",
                referencedSecurityGroupId: "network-web-sg-id",
                ipProtocol: "tcp",
                fromPort: MYSQL_PORT,
                toPort: MYSQL_PORT,
                description: "MySQL on RDS from clients",
                tags: ingress[0].inputs.tags,
            },
        ]);
        // The web servers' way out to it; nothing leaves the RDS group itself.
        const egress = touching("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule");
        expect(egress.map((r) => [input(r, "securityGroupId"), input(r, "referencedSecurityGroupId")])).to.deep.equal([
            ["network-web-sg-id", "db-rds-sg-id"],
        ]);
        expect(egress.map((r) => [input(r, "fromPort"), input(r, "toPort")])).to.deep.equal([[3306, 3306]]);
        const group = named(recording, "aws:ec2/securityGroup:SecurityGroup", "db-rds-sg");
        expect(group.inputs).not.to.have.any.keys("ingress", "egress");
    });

    it("uses the DMS-ready parameter group of its family, autonamed so a new family is created first", () => {
        const group = named(recording, "aws:rds/parameterGroup:ParameterGroup", "db-rds-params");
        expect(input(group, "family")).to.equal("mysql8.4");
        expect(group.inputs).not.to.have.any.keys("name", "namePrefix");
        expect(input(group, "parameters")).to.deep.equal(rdsParameters());
        expect(input(primary, "parameterGroupName")).to.equal("db-rds-params-mock");
    });

    it("records Performance Insights and Enhanced Monitoring through a role only RDS of this account can assume", () => {
        expect(primary.inputs).to.include({
            performanceInsightsEnabled: true,
            performanceInsightsRetentionPeriod: 31,
            databaseInsightsMode: "standard",
            monitoringInterval: 15,
            monitoringRoleArn: "arn:aws:iam::123456789012:role/db-rds-monitoring-role",
        });
        const role = named(recording, "aws:iam/role:Role", "db-rds-monitoring-role");
        expect(parsePolicy(input<string>(role, "assumeRolePolicy")).Statement).to.deep.equal([
            {
                Effect: "Allow",
                Principal: { Service: "monitoring.rds.amazonaws.com" },
                Action: "sts:AssumeRole",
                // The confused-deputy guard.
                Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
            },
        ]);
        const attachment = named(recording, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "db-rds-monitoring");
        expect(attachment.inputs).to.deep.equal({
            role: "db-rds-monitoring-role-mock",
            policyArn: RDS_ENHANCED_MONITORING_POLICY,
        });
        expect(primary.dependsOn).to.include(attachment.urn);
    });

    it("exports error and slow-query logs into log groups it created first, with the stack's retention", () => {
        for (const instance of ofType(recording, RDS_INSTANCE)) {
            const identifier = input<string>(instance, "identifier");
            expect(input(instance, "enabledCloudwatchLogsExports"), instance.name).to.deep.equal([
                "error",
                "slowquery",
            ]);
            for (const log of RDS_LOG_EXPORTS) {
                const group = named(recording, "aws:cloudwatch/logGroup:LogGroup", `${instance.name}-log-${log}`);
                expect(group.inputs).to.include({ name: rdsLogGroupName(identifier, log), retentionInDays: 90 });
                expect(instance.dependsOn, `${instance.name} ${log}`).to.include(group.urn);
            }
        }
    });

    it("runs the configured read replica of the primary in another AZ, removable without a snapshot", () => {
        expect(replicas.map((r) => r.name)).to.deep.equal(["db-rds-replica-0"]);
        const [replica] = replicas;
        expect(replica.inputs).to.include({
            identifier: `${IDENTIFIER}-replica-1`,
            replicateSourceDb: IDENTIFIER,
            instanceClass: "db.r7g.2xlarge",
            availabilityZone: "ap-northeast-2b",
            parameterGroupName: "db-rds-params-mock",
            storageEncrypted: true,
            publiclyAccessible: false,
            performanceInsightsEnabled: true,
            monitoringInterval: 15,
            backupRetentionPeriod: 14,
            deletionProtection: false,
            skipFinalSnapshot: true,
        });
        expect(input(replica, "vpcSecurityGroupIds")).to.deep.equal(["db-rds-sg-id"]);
        // Inherited from the primary; RDS refuses these on a replica.
        expect(replica.inputs).not.to.have.any.keys(
            "finalSnapshotIdentifier",
            "manageMasterUserPassword",
            "username",
            "dbName",
            "dbSubnetGroupName",
        );
        expect(replica.protect).to.equal(false);
    });

    it("publishes mysql-rds.<zone> for operators and the migration (db.<zone>: tests/migration-phases.test.ts)", () => {
        const record = named(recording, "aws:route53/record:Record", "db-rds-dns");
        expect(record.inputs).to.include({ name: rdsHostName("scale-tiers.internal"), type: "CNAME", ttl: 60 });
        expect(input(record, "records")).to.deep.equal([`${IDENTIFIER}.c0mock0rds0.ap-northeast-2.rds.amazonaws.com`]);
        expect(recording.outputs.rdsEndpoint).to.equal(
            `${IDENTIFIER}.c0mock0rds0.ap-northeast-2.rds.amazonaws.com:3306`,
        );
    });
});

describe("RDS in the smaller tiers and on promotion (mocks)", () => {
    const rdsOnly = (r: RecordedResource) => r.name.startsWith("db-rds");
    const dataResources = (recording: Recording) =>
        recording.resources.filter((r) => r.component === DATA_COMPONENT && !rdsOnly(r));

    it("tier30k and tier150k have no RDS resource and no RDS output", async () => {
        for (const stack of ["tier30k", "tier150k"]) {
            const recording = await recordStack(stack);
            expect(
                recording.resources.filter((r) => r.type.startsWith("aws:rds/")),
                stack,
            ).to.deep.equal([]);
            expect(recording.resources.filter(rdsOnly), stack).to.deep.equal([]);
            expect(recording.outputs, stack).not.to.have.any.keys("rdsEndpoint", "rdsMasterSecretArn");
        }
    });

    it("turning RDS on changes no input or option of the self-managed MySQL resources", async () => {
        const before = await recordStack("tier150k");
        const after = await evaluate("tier150k", {
            config: configPatched("tier150k", "scale-tiers:database", { rds: { enabled: true } }),
        });
        expect(after.resources.filter(rdsOnly)).not.to.deep.equal([]);
        expect(dataResources(before).length).to.be.greaterThan(20);
        expect(dataResources(after)).to.deep.equal(dataResources(before));
    });

    it("tier150k -> tier1m (before its migration) keeps the URN of every data resource and only adds RDS ones", async () => {
        const tier150k = await recordStack("tier150k");
        const promoted = await evaluate("tier150k", { config: tier1mAt("none") });
        const urns = (recording: Recording) =>
            recording.resources.filter((r) => r.component === DATA_COMPONENT).map((r) => r.urn);
        const added = urns(promoted).filter((urn) => !urns(tier150k).includes(urn));
        expect(urns(promoted)).to.include.members(urns(tier150k));
        expect(
            added.every((urn) => /::db-rds(-|$)/.test(urn)),
            added.join("\n"),
        ).to.equal(true);
        expect(added).to.include(`urn:pulumi:tier150k::scale-tiers::${DATA_COMPONENT}$${RDS_INSTANCE}::db-rds-primary`);
    });
});
