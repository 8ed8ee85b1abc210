/**
 * The real program under mocks, for each stack's real config: assertions on
 * what would be deployed (placement, every security-group rule, IMDSv2,
 * encryption, the volume/instance split, secrets, DNS, tags).
 */
import { expect } from "chai";
import { planSubnets } from "../components/network";
import { WEB_PORT } from "../components/compute";
import { MYSQL_PORT } from "../domain/database";
import { TAGGABLE_TYPES } from "../domain/taggable-types";
import { HTTPS_REDIRECT, TLS_POLICY } from "../domain/tls";
import { EvaluationError } from "../plan/evaluate";
import { MOCK_ACCOUNT_ID, mockPrivateIp, mockVpcId } from "../plan/mocks";
import {
    RecordedResource,
    Recording,
    allStrings,
    configPatched,
    configWith,
    evaluate,
    input,
    named,
    ofType,
    parsePolicy,
    recordStack,
    stackConfig,
    byRole,
    bootScriptOf,
} from "./harness";

/** The stack files this repository ships, which the expectations below describe. */
const SHIPPED_STACKS = ["tier30k", "tier150k", "tier1m"] as const;

const EXPECTED = {
    tier30k: { nat: "Single", webCount: 2, webType: "t3.medium", dbType: "r7i.large", volumeGiB: 100 },
    tier150k: { nat: "OnePerAz", webCount: 4, webType: "c7i.large", dbType: "r7i.xlarge", volumeGiB: 500 },
    // tier1m's web servers are an Auto Scaling group (tests/web-autoscaling.test.ts), no fixed instances.
    tier1m: { nat: "OnePerAz", webCount: 0, webType: "c7i.xlarge", dbType: "r7i.2xlarge", volumeGiB: 1000 },
} as const;

const AZS = ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"];

/** Security-group ids as the mocks assign them. */
const SG = {
    lb: "network-lb-sg-id",
    web: "network-web-sg-id",
    db: "network-db-sg-id",
    endpoints: "network-endpoints-sg-id",
};

interface Rule {
    sg: string;
    port: number;
    from: string;
}

function rules(recording: Recording, type: string): Rule[] {
    return ofType(recording, type)
        .map((r) => ({
            sg: input<string>(r, "securityGroupId"),
            port: input<number>(r, "fromPort"),
            from: input<string>(r, "cidrIpv4") ?? input<string>(r, "referencedSecurityGroupId"),
        }))
        .sort((a, b) => `${a.sg}${a.port}${a.from}`.localeCompare(`${b.sg}${b.port}${b.from}`));
}

/** The private address the mocks give an instance. */
function privateIpOf(instance: RecordedResource): string {
    return mockPrivateIp(instance.name);
}

/** Tags as a map; Auto Scaling groups take them as a list of `{ key, value, propagateAtLaunch }`. */
function tagMap(tags: unknown): Record<string, string> {
    return Array.isArray(tags)
        ? Object.fromEntries((tags as { key: string; value: string }[]).map((t) => [t.key, t.value]))
        : (tags as Record<string, string>);
}

/** The tags the estate gives a resource, read off its URN: project, stack, and the component that owns it. */
function estateTagsOf(resource: RecordedResource): Record<string, string> {
    const [, stack, component] = /^urn:pulumi:([^:]+)::scale-tiers::scale-tiers:([a-z]+):/.exec(resource.urn) ?? [];
    return { project: "scale-tiers", stack, "managed-by": "pulumi", component };
}

/** A database secret version's JSON. */
function secretOf(version: RecordedResource) {
    return JSON.parse(input<string>(version, "secretString")) as { username: string; password: string };
}

function policyOf(resource: RecordedResource) {
    return JSON.parse(input<string>(resource, "policy")) as {
        Statement: { Action: string | string[]; Resource: string | string[]; Effect: string }[];
    };
}

for (const stack of SHIPPED_STACKS) {
    describe(`stack ${stack} (mocks)`, () => {
        const expected = EXPECTED[stack];
        let recording: Recording;
        before(async () => {
            recording = await recordStack(stack);
        });

        it("builds the VPC from the fixed subnet layout with the tier's NAT strategy", () => {
            const vpc = named(recording, "awsx:ec2:Vpc", "network-vpc");
            const plan = planSubnets("10.40.0.0/16", AZS);
            expect(input(vpc, "cidrBlock")).to.equal("10.40.0.0/16");
            expect(input(vpc, "availabilityZoneNames")).to.deep.equal(AZS);
            expect(input(vpc, "natGateways")).to.deep.equal({ strategy: expected.nat });
            const specs = input<{ type: string; cidrBlocks: string[] }[]>(vpc, "subnetSpecs").map((s) => [
                s.type,
                s.cidrBlocks,
            ]);
            expect(specs).to.deep.equal([
                ["Private", plan.map((az) => az.private)],
                ["Public", plan.map((az) => az.public)],
                ["Isolated", plan.map((az) => az.isolated)],
            ]);
        });

        it("logs all VPC traffic to a log group with retention, through a role only flow logs of this account can assume", () => {
            const flowLog = named(recording, "aws:ec2/flowLog:FlowLog", "network-flow-log");
            expect(input(flowLog, "trafficType")).to.equal("ALL");
            expect(input(flowLog, "logDestinationType")).to.equal("cloud-watch-logs");
            const group = named(recording, "aws:cloudwatch/logGroup:LogGroup", "network-flow-logs");
            expect(input(group, "retentionInDays")).to.equal(stack === "tier1m" ? 90 : 30);
            const trust = parsePolicy(
                input<string>(named(recording, "aws:iam/role:Role", "network-flow-logs-role"), "assumeRolePolicy"),
            );
            expect(trust.Statement[0].Principal).to.deep.equal({ Service: "vpc-flow-logs.amazonaws.com" });
            expect(trust.Statement[0].Condition).to.deep.equal({
                StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT_ID },
            });
        });

        it("has the interface endpoints Session Manager needs, in the private subnets", () => {
            const endpoints = ofType(recording, "aws:ec2/vpcEndpoint:VpcEndpoint");
            expect(endpoints.map((e) => input(e, "serviceName"))).to.have.members([
                "com.amazonaws.ap-northeast-2.ssm",
                "com.amazonaws.ap-northeast-2.ssmmessages",
                "com.amazonaws.ap-northeast-2.ec2messages",
            ]);
            for (const endpoint of endpoints) {
                expect(input(endpoint, "privateDnsEnabled")).to.equal(true);
                expect(input(endpoint, "subnetIds")).to.deep.equal([
                    "subnet-private-0",
                    "subnet-private-1",
                    "subnet-private-2",
                ]);
            }
        });

        it("defines security groups without inline rules", () => {
            for (const sg of ofType(recording, "aws:ec2/securityGroup:SecurityGroup")) {
                expect(sg.inputs.ingress ?? [], sg.name).to.deep.equal([]);
                expect(sg.inputs.egress ?? [], sg.name).to.deep.equal([]);
            }
        });

        it("puts an internet-facing ALB in the public subnets, dropping invalid headers and logging access", () => {
            const alb = named(recording, "aws:lb/loadBalancer:LoadBalancer", "web-alb");
            expect(input(alb, "internal")).to.equal(false);
            expect(input(alb, "enableDeletionProtection")).to.equal(true);
            expect(input(alb, "subnets")).to.deep.equal(["subnet-public-0", "subnet-public-1", "subnet-public-2"]);
            expect(input(alb, "dropInvalidHeaderFields")).to.equal(true);
            expect(input(alb, "accessLogs")).to.deep.equal({
                bucket: "web-alb-logs-mock",
                prefix: "alb",
                enabled: true,
            });
            expect(alb.dependsOn).to.include(
                named(recording, "aws:s3/bucketPolicy:BucketPolicy", "web-alb-logs-policy").urn,
            );
            const tg = named(recording, "aws:lb/targetGroup:TargetGroup", "web-tg");
            expect(input(tg, "healthCheck")).to.include({ path: "/healthz", matcher: "200", protocol: "HTTP" });
            const http = named(recording, "aws:lb/listener:Listener", "web-http");
            expect(input(http, "defaultActions")).to.deep.equal([HTTPS_REDIRECT]);
            const https = named(recording, "aws:lb/listener:Listener", "web-https");
            expect(https.inputs).to.include({ port: 443, protocol: "HTTPS", sslPolicy: TLS_POLICY });
            expect(input(https, "defaultActions")).to.deep.equal([
                { type: "forward", targetGroupArn: "arn:aws:lb:ap-northeast-2:123456789012:web-tg" },
            ]);
            expect(
                ofType(recording, "aws:lb/listener:Listener")
                    .filter((l) => l.name.startsWith("web-"))
                    .map((l) => l.name),
            ).to.have.members(["web-http", "web-https"]);
        });

        it("keeps access logs encrypted, private, TLS-only and expiring", () => {
            expect(
                input(
                    named(
                        recording,
                        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                        "web-alb-logs-encryption",
                    ),
                    "rules",
                ),
            ).to.deep.equal([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
            expect(
                named(recording, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "web-alb-logs-public-access")
                    .inputs,
            ).to.include({
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            });
            const policy = policyOf(named(recording, "aws:s3/bucketPolicy:BucketPolicy", "web-alb-logs-policy"));
            expect(policy.Statement.map((s) => s.Effect)).to.deep.equal(["Allow", "Allow", "Deny"]);
            expect(policy.Statement[0].Resource).to.equal(
                `arn:aws:s3:::web-alb-logs-mock/*/AWSLogs/${MOCK_ACCOUNT_ID}/*`,
            );
            const lifecycle = named(
                recording,
                "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                "web-alb-logs-lifecycle",
            );
            expect(input<{ expiration: { days: number } }[]>(lifecycle, "rules")[0].expiration.days).to.equal(90);
        });

        if (expected.webCount > 0) {
            it(`runs ${expected.webCount} ${expected.webType} web servers spread over the AZs, registered in the target group`, () => {
                const web = byRole(recording, "web");
                expect(web).to.have.length(expected.webCount);
                const subnets = web.map((i) => input<string>(i, "subnetId"));
                expect(new Set(subnets)).to.deep.equal(
                    new Set(
                        ["subnet-private-0", "subnet-private-1"].concat(
                            expected.webCount > 2 ? ["subnet-private-2"] : [],
                        ),
                    ),
                );
                for (const instance of web) {
                    expect(input(instance, "instanceType")).to.equal(expected.webType);
                    expect(input(instance, "ami")).to.equal("ami-al2023-x86_64");
                    expect(input(instance, "userDataReplaceOnChange")).to.equal(true);
                    expect(bootScriptOf(recording, instance)).to.contain(
                        "readonly APP_PARAMETER_PATH='/scale-tiers/" + stack + "/app'",
                    );
                }
                const targets = ofType(recording, "aws:lb/targetGroupAttachment:TargetGroupAttachment")
                    .filter((t) => t.name.startsWith("web-"))
                    .map((t) => input(t, "targetId"));
                expect(targets).to.have.members(web.map((i) => `${i.name}-id`));
            });
        } else {
            it(`runs ${expected.webType} web servers as an Auto Scaling group over the AZs, in the target group`, () => {
                expect(byRole(recording, "web")).to.deep.equal([]);
                expect(
                    ofType(recording, "aws:lb/targetGroupAttachment:TargetGroupAttachment").filter((t) =>
                        t.name.startsWith("web-"),
                    ),
                ).to.deep.equal([]);
                const template = named(recording, "aws:ec2/launchTemplate:LaunchTemplate", "web-launch-template");
                expect(input(template, "instanceType")).to.equal(expected.webType);
                expect(input(template, "imageId")).to.equal("ami-al2023-x86_64");
                expect(bootScriptOf(recording, template)).to.contain(
                    "readonly APP_PARAMETER_PATH='/scale-tiers/" + stack + "/app'",
                );
                const group = named(recording, "aws:autoscaling/group:Group", "web-asg");
                expect(input(group, "vpcZoneIdentifiers")).to.deep.equal([
                    "subnet-private-0",
                    "subnet-private-1",
                    "subnet-private-2",
                ]);
                expect(input(group, "targetGroupArns")).to.deep.equal([
                    "arn:aws:lb:ap-northeast-2:123456789012:web-tg",
                ]);
            });
        }

        it("hardens every instance: IMDSv2, encrypted root, no public IP, no SSH key, instance profile", () => {
            for (const instance of ofType(recording, "aws:ec2/instance:Instance")) {
                expect(input(instance, "metadataOptions"), instance.name).to.deep.include({
                    httpTokens: "required",
                    httpPutResponseHopLimit: 1,
                });
                expect(input(instance, "rootBlockDevice"), instance.name).to.deep.include({
                    encrypted: true,
                    volumeType: "gp3",
                });
                expect(input(instance, "associatePublicIpAddress"), instance.name).to.equal(false);
                expect(instance.inputs.keyName, instance.name).to.equal(undefined);
                expect(input<string>(instance, "subnetId"), instance.name).to.match(/^subnet-private-/);
                expect(input<string>(instance, "iamInstanceProfile"), instance.name).to.match(/-profile-mock$/);
            }
        });

        it("keeps MySQL data on a separate, protected, encrypted gp3 volume in the server's AZ", () => {
            if (stack === "tier1m") {
                // Built at 1M, tier1m runs RDS from the start: no server, no volume, nothing retired. An estate
                // promoted from tier150k keeps its retired volumes instead (tests/migration-phases.test.ts).
                expect(byRole(recording, "mysql-primary")).to.deep.equal([]);
                expect(
                    ofType(recording, "aws:ebs/volume:Volume").filter((v) => v.name.startsWith("db-")),
                ).to.deep.equal([]);
                expect(ofType(recording, "aws:ebs/snapshot:Snapshot")).to.deep.equal([]);
                return;
            }
            const [primary] = byRole(recording, "mysql-primary");
            expect(input(primary, "instanceType")).to.equal(expected.dbType);
            expect(primary.ignoreChanges).to.have.members(["ami", "userDataBase64"]);
            expect(input(primary, "availabilityZone")).to.equal("ap-northeast-2a");
            expect(input(primary, "subnetId")).to.equal("subnet-private-0");
            const volume = named(recording, "aws:ebs/volume:Volume", "db-primary-data");
            expect(volume.protect).to.equal(true);
            expect(volume.inputs).to.include({
                availabilityZone: "ap-northeast-2a",
                type: "gp3",
                encrypted: true,
                size: expected.volumeGiB,
                finalSnapshot: true,
            });
            const attachment = named(
                recording,
                "aws:ec2/volumeAttachment:VolumeAttachment",
                "db-primary-data-attachment",
            );
            expect(attachment.inputs).to.include({
                instanceId: "db-primary-id",
                volumeId: "db-primary-data-id",
                stopInstanceBeforeDetaching: true,
            });
            expect(attachment.deleteBeforeReplace).to.equal(true);
            expect(bootScriptOf(recording, primary)).to.contain("readonly DATA_VOLUME_ID='db-primary-data-id'");
            // The secrets it reads, the boot script its loader fetches and the role's grant to read that.
            expect(primary.dependsOn).to.have.length(5);
            expect(primary.dependsOn).to.include.members([
                named(recording, "aws:s3/bucketObjectv2:BucketObjectv2", "db-primary-boot-script").urn,
                named(recording, "aws:iam/rolePolicy:RolePolicy", "db-boot-scripts").urn,
            ]);
        });

        it("snapshots the data volume on the configured schedule, while its server runs", () => {
            if (stack === "tier1m") {
                expect(ofType(recording, "aws:dlm/lifecyclePolicy:LifecyclePolicy").map((p) => p.name)).not.to.include(
                    "db-snapshots",
                );
                return;
            }
            const policy = named(recording, "aws:dlm/lifecyclePolicy:LifecyclePolicy", "db-snapshots");
            const details = input<{
                targetTags: Record<string, string>;
                schedules: { retainRule: { count: number }; createRule: { interval: number } }[];
            }>(policy, "policyDetails");
            const volumeTags = input<Record<string, string>>(
                named(recording, "aws:ebs/volume:Volume", "db-primary-data"),
                "tags",
            );
            for (const [key, value] of Object.entries(details.targetTags)) {
                expect(volumeTags[key]).to.equal(value);
            }
            const database = JSON.parse(stackConfig(stack)["scale-tiers:database"]) as {
                snapshots: { intervalHours: number; retainCount: number };
            };
            expect(details.schedules[0].createRule.interval).to.equal(database.snapshots.intervalHours);
            expect(details.schedules[0].retainRule.count).to.equal(database.snapshots.retainCount);
        });

        it("generates the passwords, keeps them in Secrets Manager and never in user data, parameters or outputs", () => {
            const passwords = ofType(recording, "random:index/randomPassword:RandomPassword").map((p) => p.name);
            const versions = ofType(recording, "aws:secretsmanager/secretVersion:SecretVersion");
            // Servers of its own need root and replication accounts; an estate on RDS only the application's.
            const accounts = stack === "tier1m" ? ["app"] : ["root", "app", "repl"];
            expect(passwords).to.include.members(
                accounts.map((a) => `db-${{ root: "root", app: "app", repl: "replication" }[a]}-password`),
            );
            expect(versions.map((v) => secretOf(v).username)).to.include.members(accounts);
            const exposed = [
                ...ofType(recording, "aws:ec2/instance:Instance").map((server) => bootScriptOf(recording, server)),
                ...ofType(recording, "aws:ssm/parameter:Parameter").map((p) => input<string>(p, "value")),
                ...allStrings(recording.outputs),
                ...ofType(recording, "aws:ec2/instance:Instance").flatMap((i) => allStrings(i.inputs.tags)),
            ].join("\n");
            expect(exposed).not.to.match(/mock-password-/);
            const app = secretOf(versions.find((v) => secretOf(v).username === "app")!);
            expect(app).to.include({ host: "db.scale-tiers.internal", port: 3306, dbname: "app" });
            expect(app.password).to.match(/^mock-password-/);
        });

        it("lets the web role read the app secret and its own parameters, nothing more", () => {
            const statements = policyOf(named(recording, "aws:iam/rolePolicy:RolePolicy", "web-policy")).Statement;
            // With CI, a third statement lets them fetch releases (tests/tools.test.ts); with SQS a
            // fourth lets them use the queues (tests/sqs.test.ts).
            expect(statements).to.have.length({ tier30k: 2, tier150k: 3, tier1m: 4 }[stack]);
            expect(statements.slice(0, 2)).to.deep.equal([
                {
                    Sid: "ReadDatabaseSecret",
                    Effect: "Allow",
                    Action: "secretsmanager:GetSecretValue",
                    Resource: "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:db-app-secret-AbCdEf",
                },
                {
                    Sid: "ReadAppParameters",
                    Effect: "Allow",
                    Action: ["ssm:GetParameter", "ssm:GetParameters"],
                    Resource: `arn:aws:ssm:ap-northeast-2:123456789012:parameter/scale-tiers/${stack}/app/*`,
                },
            ]);
            // An estate on RDS from the start (tier1m) has no MySQL servers, so no server role.
            const serverRoles = stack === "tier1m" ? [] : ["db"];
            if (serverRoles.length === 0) {
                expect(ofType(recording, "aws:iam/rolePolicy:RolePolicy").map((p) => p.name)).not.to.include(
                    "db-policy",
                );
            } else {
                const dbStatements = policyOf(named(recording, "aws:iam/rolePolicy:RolePolicy", "db-policy")).Statement;
                expect(dbStatements[0].Resource).to.have.members([
                    "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:db-root-secret-AbCdEf",
                    "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:db-app-secret-AbCdEf",
                    "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:db-replication-secret-AbCdEf",
                ]);
                expect(dbStatements[1]).to.deep.include({
                    Action: "cloudwatch:PutMetricData",
                    Condition: { StringEquals: { "cloudwatch:namespace": "ScaleTiers/MySQL" } },
                });
            }
            for (const role of ["web", ...serverRoles]) {
                expect(
                    input(
                        named(recording, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", `${role}-ssm-core`),
                        "policyArn",
                    ),
                ).to.equal("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore");
            }
        });

        it("hands the web servers the database name and secret ARN through SSM parameters", () => {
            const appParameters = ofType(recording, "aws:ssm/parameter:Parameter").filter((p) =>
                input<string>(p, "name").startsWith(`/scale-tiers/${stack}/app/`),
            );
            const parameters = Object.fromEntries(appParameters.map((p) => [input(p, "name"), input(p, "value")]));
            expect(parameters).to.deep.include({
                [`/scale-tiers/${stack}/app/db-host`]: "db.scale-tiers.internal",
                [`/scale-tiers/${stack}/app/db-secret-arn`]:
                    "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:db-app-secret-AbCdEf",
            });
            const boot = [
                named(recording, "aws:s3/bucketObjectv2:BucketObjectv2", "web-boot-script"),
                named(recording, "aws:iam/rolePolicy:RolePolicy", "web-boot-scripts"),
            ];
            for (const web of byRole(recording, "web")) {
                expect(web.dependsOn).to.have.members([...appParameters, ...boot].map((r) => r.urn));
            }
        });

        it("points db.<zone> at the primary's private address in the private zone (at RDS after the migration)", () => {
            const zone = named(recording, "aws:route53/zone:Zone", "network-zone");
            expect(input(zone, "name")).to.equal("scale-tiers.internal");
            expect(input<{ vpcId: string }[]>(zone, "vpcs")[0].vpcId).to.match(/^vpc-/);
            const record = named(recording, "aws:route53/record:Record", "db-dns");
            expect(record.deleteBeforeReplace).to.equal(true);
            if (stack === "tier1m") {
                expect(record.inputs).to.include({ name: "db.scale-tiers.internal", type: "CNAME", ttl: 60 });
                expect(input(record, "records")).to.deep.equal([
                    "scale-tiers-tier1m-mysql.c0mock0rds0.ap-northeast-2.rds.amazonaws.com",
                ]);
                return;
            }
            const [primary] = byRole(recording, "mysql-primary");
            expect(record.inputs).to.include({ name: "db.scale-tiers.internal", type: "A", ttl: 60 });
            expect(input<string>(record, "zoneId")).to.match(/^Z[0-9A-F]{12}$/);
            expect(input(record, "records")).to.deep.equal([privateIpOf(primary)]);
        });

        it("tags every resource whose type takes tags with project, stack and the component that owns it", () => {
            const tagged = recording.resources.filter((r) => TAGGABLE_TYPES.has(r.type));
            expect(tagged.map((r) => r.type)).to.include.members(["aws:ec2/instance:Instance", "awsx:ec2:Vpc"]);
            for (const resource of tagged) {
                expect(tagMap(input(resource, "tags")), resource.urn).to.include(estateTagsOf(resource));
            }
        });

        it("tags what servers create with them: root volumes, launched instances and volumes, the groups", () => {
            for (const instance of ofType(recording, "aws:ec2/instance:Instance")) {
                const rootVolume = input<{ tags: Record<string, string> }>(instance, "rootBlockDevice");
                expect(rootVolume.tags, instance.urn).to.deep.equal(estateTagsOf(instance));
            }
            for (const template of ofType(recording, "aws:ec2/launchTemplate:LaunchTemplate")) {
                const specifications = input<{ resourceType: string; tags: Record<string, string> }[]>(
                    template,
                    "tagSpecifications",
                );
                for (const specification of specifications) {
                    expect(specification.tags, `${template.urn} ${specification.resourceType}`)
                        .to.include(estateTagsOf(template))
                        .and.to.have.property("Name");
                }
            }
            for (const group of ofType(recording, "aws:autoscaling/group:Group")) {
                const tags = input<{ key: string; value: string; propagateAtLaunch: boolean }[]>(group, "tags");
                expect(tagMap(tags), group.urn).to.include(estateTagsOf(group)).and.to.have.property("Name");
                expect(
                    tags.filter((tag) => tag.propagateAtLaunch),
                    group.urn,
                ).to.deep.equal([]);
            }
            const [vpc] = ofType(recording, "awsx:ec2:Vpc");
            for (const subnet of input<{ tags: Record<string, string> }[]>(vpc, "subnetSpecs")) {
                expect(subnet.tags).to.deep.equal(estateTagsOf(vpc));
            }
        });

        it("exports the site's URL, the load balancer's name, VPC id, database name and secret ARN, the boot-script bucket", () => {
            expect(recording.outputs).not.to.have.property("loadBalancerUrl");
            expect(recording.outputs).to.deep.include({
                siteUrl: "https://scale-tiers.example",
                loadBalancerDnsName: "web-alb-1234567890.ap-northeast-2.elb.amazonaws.com",
                vpcId: mockVpcId("network-vpc"),
                databaseDnsName: "db.scale-tiers.internal",
                databaseSecretArn: "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:db-app-secret-AbCdEf",
                bootScriptBucket: "network-boot-scripts-mock",
            });
        });
    });
}

describe("the stack's own tags (mocks)", () => {
    let recording: Recording;
    const own = { "cost-center": "cc-42", owner: "platform team" };

    before(async () => {
        recording = await evaluate("tier1m", {
            config: configWith("tier1m", { "scale-tiers:tags": JSON.stringify(own) }),
        });
    });

    it("puts them beside the estate's on every resource that takes tags, and on what servers launch", () => {
        const objects = ofType(recording, "aws:s3/bucketObjectv2:BucketObjectv2");
        for (const resource of recording.resources.filter((r) => TAGGABLE_TYPES.has(r.type) && !objects.includes(r))) {
            expect(tagMap(input(resource, "tags")), resource.urn).to.include({ ...own, ...estateTagsOf(resource) });
        }
        // S3 objects take at most 10 tags.
        expect(objects).to.have.length.greaterThan(0);
        for (const object of objects) {
            expect(input(object, "tags"), object.urn).to.deep.equal(estateTagsOf(object));
        }
        for (const template of ofType(recording, "aws:ec2/launchTemplate:LaunchTemplate")) {
            for (const specification of input<{ tags: Record<string, string> }[]>(template, "tagSpecifications")) {
                expect(specification.tags, template.urn).to.include(own);
            }
        }
        for (const group of ofType(recording, "aws:autoscaling/group:Group")) {
            expect(tagMap(input(group, "tags")), group.urn).to.include(own);
        }
    });
});

describe("tier30k security groups (mocks)", () => {
    let recording: Recording;
    before(async () => {
        recording = await recordStack("tier30k");
    });

    it("opens exactly: internet -> LB on 443 and 80 (redirect), LB -> web, web -> MySQL, VPC -> endpoints on 443", () => {
        expect(rules(recording, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")).to.deep.equal([
            { sg: SG.db, port: MYSQL_PORT, from: SG.web },
            { sg: SG.endpoints, port: 443, from: "10.40.0.0/16" },
            { sg: SG.lb, port: 443, from: "0.0.0.0/0" },
            { sg: SG.lb, port: 80, from: "0.0.0.0/0" },
            { sg: SG.web, port: WEB_PORT, from: SG.lb },
        ]);
        expect(rules(recording, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")).to.deep.equal([
            { sg: SG.db, port: 443, from: "0.0.0.0/0" },
            { sg: SG.lb, port: WEB_PORT, from: SG.web },
            { sg: SG.web, port: MYSQL_PORT, from: SG.db },
            { sg: SG.web, port: 443, from: "0.0.0.0/0" },
        ]);
        for (const sg of ofType(recording, "aws:ec2/securityGroup:SecurityGroup")) {
            expect(sg.inputs.ingress ?? [], sg.name).to.deep.equal([]);
            expect(sg.inputs.egress ?? [], sg.name).to.deep.equal([]);
        }
    });
});

describe("HTTPS with a certificate of your own (mocks)", () => {
    const certificateArn = "arn:aws:acm:ap-northeast-2:123456789012:certificate/12345678-1234-1234-1234-123456789012";
    let recording: Recording;
    before(async () => {
        const withoutDomain = configWith("tier30k", {}, ["scale-tiers:domain"]);
        recording = await evaluate("tier30k", {
            config: { ...withoutDomain, "scale-tiers:loadBalancer": JSON.stringify({ certificateArn }) },
        });
    });

    it("redirects HTTP to HTTPS and serves HTTPS with a TLS 1.3 policy and that certificate, issuing none", () => {
        expect(input(named(recording, "aws:lb/listener:Listener", "web-http"), "defaultActions")).to.deep.equal([
            HTTPS_REDIRECT,
        ]);
        const https = named(recording, "aws:lb/listener:Listener", "web-https");
        expect(https.inputs).to.include({ port: 443, protocol: "HTTPS", sslPolicy: TLS_POLICY, certificateArn });
        expect(ofType(recording, "aws:acm/certificate:Certificate")).to.deep.equal([]);
        expect(ofType(recording, "aws:route53/record:Record").filter((r) => r.name.startsWith("web-"))).to.deep.equal(
            [],
        );
        // No name of its own: the adopter points theirs at the load balancer.
        expect(recording.outputs).not.to.have.property("siteUrl");
        expect(recording.outputs).not.to.have.property("loadBalancerUrl");
        expect(recording.outputs.loadBalancerDnsName).to.equal("web-alb-1234567890.ap-northeast-2.elb.amazonaws.com");
    });

    it("opens 443 as well as 80 to the internet, on the load balancer only", () => {
        const open = rules(recording, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter(
            (r) => r.from === "0.0.0.0/0",
        );
        expect(open).to.deep.equal([
            { sg: SG.lb, port: 443, from: "0.0.0.0/0" },
            { sg: SG.lb, port: 80, from: "0.0.0.0/0" },
        ]);
    });
});

describe("Graviton instance types (mocks)", () => {
    it("pick the arm64 AMI", async () => {
        const recording = await evaluate("tier30k", {
            config: configPatched("tier30k", "scale-tiers:web", { instanceType: "t4g.medium" }),
        });
        for (const web of byRole(recording, "web")) {
            expect(input(web, "ami")).to.equal("ami-al2023-arm64");
        }
        expect(input(byRole(recording, "mysql-primary")[0], "ami")).to.equal("ami-al2023-x86_64");
    });
});

describe("bad config (mocks)", () => {
    it("fails before any resource is registered", async () => {
        const config = configPatched("tier30k", "scale-tiers:web", { instanceCount: 0, instanceType: "t3.huge" });
        const error = await evaluate("tier30k", { config }).then(
            () => undefined,
            (e: Error) => e,
        );
        expect(error).to.be.instanceOf(EvaluationError);
        const failed = error as EvaluationError;
        expect(failed.message).to.match(/2 problems/);
        expect(failed.message).to.contain("scale-tiers:web.instanceCount");
        expect(failed.message).to.contain("scale-tiers:web.instanceType");
        expect(failed.registered).to.deep.equal([]);
    });
});
