/**
 * The policy pack (policy/): every rule over each stack's recorded resources
 * (only waived violations allowed), and every rule against a hand-made bad
 * resource. The rules are pure; the pack's adapter is exercised without the
 * engine.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as zlib from "zlib";
import type {
    ResourceValidation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import { packPolicies } from "../policy/pack";
import {
    NamedViolation,
    PackConfig,
    Props,
    RESOURCE_RULES,
    STACK_RULES,
    StackResource,
    T,
    checkRdsHardening,
    evaluateRules,
    findCredentials,
} from "../policy/rules";
import { WAIVERS, isWaived } from "../policy/waivers";
import { RecordedResource, STACKS, recordStack } from "./harness";

/**
 * A recorded resource as a stack rule sees it. The id is the one the repo's
 * mocks give every custom resource (`${name}-id`, plan/mocks.ts), which is what
 * sub-resources (bucket policies, rules, load balancers) reference.
 */
function asStackResource(r: RecordedResource): StackResource {
    return { type: r.type, urn: r.urn, name: r.name, inputs: r.inputs, id: r.custom ? `${r.name}-id` : undefined };
}

function ruleNamed(name: string) {
    const rule = RESOURCE_RULES.find((r) => r.name === name);
    if (!rule) {
        throw new Error(`no resource rule ${name}`);
    }
    return rule;
}

function stackRuleNamed(name: string) {
    const rule = STACK_RULES.find((r) => r.name === name);
    if (!rule) {
        throw new Error(`no stack rule ${name}`);
    }
    return rule;
}

function res(type: string, name: string, inputs: Props, id?: string): StackResource {
    return { type, name, urn: `urn:pulumi:test::scale-tiers::${type}::${name}`, inputs, id: id ?? `${name}-id` };
}

function gzipBase64(text: string): string {
    return zlib.gzipSync(Buffer.from(text, "utf8")).toString("base64");
}

const TAGS = { stack: "test", component: "test" };
const GOOD_INSTANCE: Props = {
    associatePublicIpAddress: false,
    metadataOptions: { httpTokens: "required" },
    rootBlockDevice: { encrypted: true },
    tags: TAGS,
    userDataBase64: gzipBase64("#!/bin/bash\nreadonly APP_SECRET_ARN='arn:aws:secretsmanager:r:1:secret:app-AbCdEf'\n"),
};

describe("the policy pack", () => {
    for (const stack of STACKS) {
        it(`${stack}: every recorded resource passes every policy, apart from waivers`, async () => {
            const recording = await recordStack(stack);
            const config = JSON.parse(fs.readFileSync(`policy/config/${stack}.json`, "utf8")) as PackConfig;
            const violations = evaluateRules(recording.resources.map(asStackResource), config);
            const open = violations.filter((v) => !isWaived(v.policy, v.urn));
            const show = (v: NamedViolation) => `${v.policy}: ${v.urn}: ${v.message}`;
            expect(open.map(show), "violations").to.deep.equal([]);
        });
    }

    it("has no stale waivers: each waiver names a policy and matches a violation in some stack", async () => {
        const all: NamedViolation[] = [];
        for (const stack of STACKS) {
            const recording = await recordStack(stack);
            all.push(...evaluateRules(recording.resources.map(asStackResource)));
        }
        const names = [...RESOURCE_RULES, ...STACK_RULES].map((r) => r.name);
        for (const waiver of WAIVERS) {
            expect(names, waiver.reason).to.include(waiver.policy);
            expect(waiver.reason.length, waiver.policy).to.be.greaterThan(10);
            expect(
                all.some((v) => v.policy === waiver.policy && waiver.urnPattern.test(v.urn)),
                `${waiver.policy} ${String(waiver.urnPattern)}`,
            ).to.equal(true);
        }
    });

    it("has a pack config per stack, and tier1m requires Multi-AZ RDS", () => {
        for (const stack of STACKS) {
            const config = JSON.parse(fs.readFileSync(`policy/config/${stack}.json`, "utf8")) as PackConfig;
            expect(config["rds-hardened"]?.requireMultiAz, stack).to.equal(stack === "tier1m");
        }
    });

    it("wires every rule into the pack as a mandatory policy, with unique names", () => {
        const policies = packPolicies();
        const names = policies.map((p) => p.name);
        expect(names).to.deep.equal([...RESOURCE_RULES, ...STACK_RULES].map((r) => r.name));
        expect(new Set(names).size).to.equal(names.length);
        policies.forEach((p) => expect(p.enforcementLevel, p.name).to.equal("mandatory"));
    });

    it("reports through the pack's adapters, and honours waivers there too", async () => {
        const reported: string[] = [];
        const report = (message: string) => reported.push(message);
        const urn = "urn:pulumi:test::scale-tiers::aws:cloudwatch/logGroup:LogGroup::logs";
        const args = {
            type: T.logGroup,
            props: { tags: TAGS },
            urn,
            name: "logs",
            getConfig: () => ({}),
        } as unknown as ResourceValidationArgs;
        const retention = (waivers: Parameters<typeof packPolicies>[0]) =>
            packPolicies(waivers).find((p) => p.name === "log-retention") as ResourceValidationPolicy;
        await (retention([]).validateResource as ResourceValidation)(args, report);
        expect(reported).to.have.length(1);
        await (
            retention([{ policy: "log-retention", urnPattern: /::logs$/, reason: "test waiver" }])
                .validateResource as ResourceValidation
        )(args, report);
        expect(reported).to.have.length(1);

        const flowLogs = packPolicies([]).find((p) => p.name === "vpc-flow-logs") as StackValidationPolicy;
        const stackReports: [string, string | undefined][] = [];
        await flowLogs.validateStack(
            {
                resources: [{ type: T.vpc, urn: "urn:vpc", name: "vpc", props: { id: "vpc-1" } }],
                getConfig: () => ({}),
            } as never,
            (message: string, urn?: string) => stackReports.push([message, urn]),
        );
        expect(stackReports).to.have.length(1);
        expect(stackReports[0][1]).to.equal("urn:vpc");
    });
});

describe("each policy catches a bad resource", () => {
    const bad = (name: string, type: string, inputs: Props) => ruleNamed(name).check(type, inputs);

    it("imdsv2-required: instances and launch templates without httpTokens=required", () => {
        expect(bad("imdsv2-required", T.instance, GOOD_INSTANCE)).to.deep.equal([]);
        expect(bad("imdsv2-required", T.instance, { metadataOptions: { httpTokens: "optional" } })).to.have.length(1);
        expect(bad("imdsv2-required", T.launchTemplate, {})).to.have.length(1);
    });

    it("ebs-encrypted: unencrypted volumes, root devices and launch template devices", () => {
        expect(bad("ebs-encrypted", T.instance, GOOD_INSTANCE)).to.deep.equal([]);
        expect(bad("ebs-encrypted", T.ebsVolume, { encrypted: false })).to.have.length(1);
        expect(bad("ebs-encrypted", T.instance, { rootBlockDevice: { volumeSize: 30 } })).to.have.length(1);
        expect(
            bad("ebs-encrypted", T.instance, { rootBlockDevice: { encrypted: true }, ebsBlockDevices: [{}] }),
        ).to.have.length(1);
        expect(
            bad("ebs-encrypted", T.launchTemplate, { blockDeviceMappings: [{ ebs: { encrypted: "false" } }] }),
        ).to.have.length(1);
        expect(
            bad("ebs-encrypted", T.launchTemplate, { blockDeviceMappings: [{ ebs: { encrypted: "true" } }] }),
        ).to.deep.equal([]);
    });

    it("rds-encrypted: RDS without storageEncrypted", () => {
        expect(bad("rds-encrypted", T.rdsInstance, {})).to.have.length(1);
        expect(bad("rds-encrypted", T.rdsInstance, { storageEncrypted: true })).to.deep.equal([]);
    });

    it("elasticache-encrypted-in-transit: clusters and replication groups without TLS", () => {
        expect(bad("elasticache-encrypted-in-transit", T.cacheCluster, { engine: "memcached" })).to.have.length(1);
        expect(bad("elasticache-encrypted-in-transit", T.cacheReplicationGroup, {})).to.have.length(1);
        expect(
            bad("elasticache-encrypted-in-transit", T.cacheCluster, {
                engine: "memcached",
                transitEncryptionEnabled: true,
            }),
        ).to.deep.equal([]);
    });

    it("sqs-encrypted and sns-encrypted: queues and topics without SSE", () => {
        expect(bad("sqs-encrypted", T.sqsQueue, { sqsManagedSseEnabled: false })).to.have.length(1);
        expect(bad("sqs-encrypted", T.sqsQueue, { sqsManagedSseEnabled: true })).to.deep.equal([]);
        expect(bad("sqs-encrypted", T.sqsQueue, { kmsMasterKeyId: "alias/aws/sqs" })).to.deep.equal([]);
        expect(bad("sns-encrypted", T.snsTopic, {})).to.have.length(1);
        expect(bad("sns-encrypted", T.snsTopic, { kmsMasterKeyId: "arn:aws:kms:r:1:key/k" })).to.deep.equal([]);
    });

    it("opensearch-encrypted: every missing protection, and TLS below 1.2", () => {
        expect(bad("opensearch-encrypted", T.openSearchDomain, {})).to.have.length(4);
        const good = {
            encryptAtRest: { enabled: true },
            nodeToNodeEncryption: { enabled: true },
            domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: "Policy-Min-TLS-1-2-PFS-2023-10" },
        };
        expect(bad("opensearch-encrypted", T.openSearchDomain, good)).to.deep.equal([]);
        const tls10 = {
            ...good,
            domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: "Policy-Min-TLS-1-0-2019-07" },
        };
        expect(bad("opensearch-encrypted", T.openSearchDomain, tls10)).to.have.length(1);
    });

    it("s3-bucket-protected: a bucket missing SSE, a full public access block or the TLS-only policy", () => {
        const rule = stackRuleNamed("s3-bucket-protected");
        const tlsOnly = JSON.stringify({
            Statement: [
                {
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:*",
                    Condition: { Bool: { "aws:SecureTransport": "false" } },
                },
            ],
        });
        const complete = [
            res(T.bucket, "logs", {}),
            res(T.bucketEncryption, "logs-sse", {
                bucket: "logs-id",
                rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
            }),
            res(T.bucketPublicAccessBlock, "logs-pab", {
                bucket: "logs-id",
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            }),
            res(T.bucketPolicy, "logs-policy", { bucket: "logs-id", policy: tlsOnly }),
        ];
        expect(rule.check(complete)).to.deep.equal([]);
        // The engine's view: the bucket's id is its name, and sub-resources reference that.
        const engine = complete.map((r) =>
            r.type === T.bucket
                ? { ...r, id: "logs-abc123", inputs: { bucket: "logs-abc123" } }
                : { ...r, inputs: { ...r.inputs, bucket: "logs-abc123" } },
        );
        expect(rule.check(engine)).to.deep.equal([]);
        expect(rule.check([complete[0]])).to.have.length(3);
        const halfBlocked = complete.map((r) =>
            r.type === T.bucketPublicAccessBlock ? { ...r, inputs: { ...r.inputs, restrictPublicBuckets: false } } : r,
        );
        expect(rule.check(halfBlocked).map((v) => v.message)).to.deep.equal([
            "bucket logs has no public access block with blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets all true",
        ]);
        const allowAll = complete.map((r) =>
            r.type === T.bucketPolicy
                ? { ...r, inputs: { ...r.inputs, policy: '{"Statement":[{"Effect":"Allow"}]}' } }
                : r,
        );
        expect(rule.check(allowAll)).to.have.length(1);
        // Sub-resources of another bucket do not count.
        const other = [...complete.slice(1), res(T.bucket, "data", {})];
        expect(rule.check(other)).to.have.length(3);
    });

    it("no-public-ingress: the world on any group but the internet-facing load balancer's 80/443", () => {
        const rule = stackRuleNamed("no-public-ingress");
        const lbGroup = res(T.securityGroup, "lb-sg", {});
        const lb = res(T.loadBalancer, "alb", { internal: false, securityGroups: ["lb-sg-id"] });
        const rule443 = (group: string, extra: Props = {}) =>
            res(T.ingressRule, `${group}-in`, {
                securityGroupId: `${group}-id`,
                cidrIpv4: "0.0.0.0/0",
                fromPort: 443,
                toPort: 443,
                ipProtocol: "tcp",
                ...extra,
            });
        expect(rule.check([lbGroup, lb, rule443("lb-sg")])).to.deep.equal([]);
        expect(rule.check([lbGroup, lb, rule443("lb-sg", { fromPort: 22, toPort: 22 })])).to.have.length(1);
        expect(
            rule.check([lbGroup, lb, rule443("lb-sg", { ipProtocol: "-1", fromPort: -1, toPort: -1 })]),
        ).to.have.length(1);
        expect(rule.check([lbGroup, lb, rule443("web-sg")])).to.have.length(1);
        expect(
            rule.check([lbGroup, { ...lb, inputs: { ...lb.inputs, internal: true } }, rule443("lb-sg")]),
        ).to.have.length(1);
        expect(rule.check([rule443("web-sg", { cidrIpv4: undefined, cidrIpv6: "::/0" })])).to.have.length(1);
        expect(rule.check([rule443("web-sg", { cidrIpv4: "10.0.0.0/16" })])).to.deep.equal([]);
        const inline = res(T.securityGroup, "web-sg", {
            ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }],
        });
        expect(rule.check([inline])).to.have.length(1);
        const legacy = res(T.securityGroupRule, "web-ssh", {
            type: "ingress",
            securityGroupId: "web-sg-id",
            protocol: "tcp",
            fromPort: 22,
            toPort: 22,
            ipv6CidrBlocks: ["::/0"],
        });
        expect(rule.check([legacy])).to.have.length(1);
        expect(rule.check([{ ...legacy, inputs: { ...legacy.inputs, type: "egress" } }])).to.deep.equal([]);
    });

    it("no-public-ip: instances and launch template interfaces with a public address", () => {
        expect(bad("no-public-ip", T.instance, GOOD_INSTANCE)).to.deep.equal([]);
        expect(bad("no-public-ip", T.instance, { associatePublicIpAddress: true })).to.have.length(1);
        expect(
            bad("no-public-ip", T.launchTemplate, { networkInterfaces: [{}, { associatePublicIpAddress: "true" }] }),
        ).to.deep.equal(["networkInterfaces[1].associatePublicIpAddress must not be true"]);
    });

    it("rds-hardened: public, unbacked-up, unprotected or snapshot-skipping databases; multi-AZ when asked", () => {
        const good = { backupRetentionPeriod: 7, deletionProtection: true, storageEncrypted: true };
        expect(bad("rds-hardened", T.rdsInstance, good)).to.deep.equal([]);
        expect(bad("rds-hardened", T.rdsInstance, { ...good, publiclyAccessible: true })).to.have.length(1);
        expect(bad("rds-hardened", T.rdsInstance, { ...good, backupRetentionPeriod: 0 })).to.have.length(1);
        expect(bad("rds-hardened", T.rdsInstance, { ...good, deletionProtection: false })).to.have.length(1);
        expect(bad("rds-hardened", T.rdsInstance, { ...good, skipFinalSnapshot: true })).to.have.length(1);
        expect(checkRdsHardening(T.rdsInstance, good, { requireMultiAz: true })).to.deep.equal([
            "multiAz must be true in this stack",
        ]);
        expect(checkRdsHardening(T.rdsInstance, { ...good, multiAz: true }, { requireMultiAz: true })).to.deep.equal(
            [],
        );
        // A read replica needs no protection, final snapshot or Multi-AZ of its own, but stays private.
        const replica = { replicateSourceDb: "primary", backupRetentionPeriod: 7, skipFinalSnapshot: true };
        expect(checkRdsHardening(T.rdsInstance, replica, { requireMultiAz: true })).to.deep.equal([]);
        expect(bad("rds-hardened", T.rdsInstance, { ...replica, publiclyAccessible: true })).to.have.length(1);
    });

    it("opensearch-in-vpc: a domain with a public endpoint", () => {
        expect(bad("opensearch-in-vpc", T.openSearchDomain, {})).to.have.length(1);
        expect(bad("opensearch-in-vpc", T.openSearchDomain, { vpcOptions: { subnetIds: [] } })).to.have.length(1);
        expect(bad("opensearch-in-vpc", T.openSearchDomain, { vpcOptions: { subnetIds: ["s-1"] } })).to.deep.equal([]);
    });

    it("detailed-monitoring: instances and launch templates on five-minute metrics", () => {
        expect(bad("detailed-monitoring", T.instance, {})).to.have.length(1);
        expect(bad("detailed-monitoring", T.instance, { monitoring: true })).to.deep.equal([]);
        expect(bad("detailed-monitoring", T.launchTemplate, { monitoring: { enabled: false } })).to.have.length(1);
        expect(bad("detailed-monitoring", T.launchTemplate, { monitoring: { enabled: true } })).to.deep.equal([]);
    });

    it("kms-key-rotation: a symmetric key that never rotates; asymmetric keys cannot", () => {
        expect(bad("kms-key-rotation", T.kmsKey, {})).to.have.length(1);
        expect(bad("kms-key-rotation", T.kmsKey, { enableKeyRotation: true })).to.deep.equal([]);
        expect(bad("kms-key-rotation", T.kmsKey, { customerMasterKeySpec: "RSA_2048" })).to.deep.equal([]);
    });

    it("alb-hardened: application load balancers without header dropping or access logs", () => {
        expect(bad("alb-hardened", T.loadBalancer, {})).to.have.length(2);
        expect(
            bad("alb-hardened", T.loadBalancer, { dropInvalidHeaderFields: true, accessLogs: { enabled: false } }),
        ).to.have.length(1);
        expect(bad("alb-hardened", T.loadBalancer, { loadBalancerType: "network" })).to.deep.equal([]);
    });

    it("load-balancer-deletion-protection: any load balancer, public or internal, that can be deleted", () => {
        expect(bad("load-balancer-deletion-protection", T.loadBalancer, {})).to.have.length(1);
        expect(
            bad("load-balancer-deletion-protection", T.loadBalancer, {
                loadBalancerType: "network",
                internal: true,
                enableDeletionProtection: false,
            }),
        ).to.have.length(1);
        expect(
            bad("load-balancer-deletion-protection", T.albLoadBalancer, { enableDeletionProtection: true }),
        ).to.deep.equal([]);
        expect(bad("load-balancer-deletion-protection", T.listener, {})).to.deep.equal([]);
    });

    it("https-listeners: plain listeners on an internet-facing load balancer that do not redirect to HTTPS", () => {
        const rule = stackRuleNamed("https-listeners");
        const publicArn = "arn:aws:elasticloadbalancing:r:1:loadbalancer/app/web/1";
        const internalArn = "arn:aws:elasticloadbalancing:r:1:loadbalancer/app/tools/2";
        const lbs = [
            res(T.loadBalancer, "web", { internal: false }, publicArn),
            res(T.loadBalancer, "tools", { internal: true, arn: internalArn }),
        ];
        const forward = [{ type: "forward", targetGroupArn: "tg" }];
        const redirect = [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }];
        const listener = (name: string, loadBalancerArn: string, inputs: Props) =>
            res(T.listener, name, { loadBalancerArn, ...inputs });
        const violations = rule.check([
            ...lbs,
            listener("plain", publicArn, { port: 80, protocol: "HTTP", defaultActions: forward }),
            listener("to-http", publicArn, {
                port: 8080,
                protocol: "HTTP",
                defaultActions: [{ type: "redirect", redirect: { protocol: "HTTP", port: "80" } }],
            }),
            listener("tcp", publicArn, { port: 5044, protocol: "TCP", defaultActions: forward }),
            listener("orphan", "arn:unknown", { port: 80, protocol: "HTTP", defaultActions: forward }),
            listener("redirect", publicArn, { port: 80, protocol: "HTTP", defaultActions: redirect }),
            listener("https", publicArn, { port: 443, protocol: "HTTPS", defaultActions: forward }),
            listener("tls", publicArn, { port: 5044, protocol: "TLS", defaultActions: forward }),
            listener("internal", internalArn, { port: 80, protocol: "HTTP", defaultActions: forward }),
        ]);
        expect(violations.map((v) => v.urn.split("::").pop())).to.deep.equal(["plain", "to-http", "tcp", "orphan"]);
        expect(violations[0].message).to.contain("redirect every request to HTTPS");
    });

    it("vpc-flow-logs: a VPC (plain or awsx) without a flow log", () => {
        const rule = stackRuleNamed("vpc-flow-logs");
        const vpc = res(T.vpc, "vpc", {}, "vpc-1");
        expect(rule.check([vpc])).to.have.length(1);
        expect(rule.check([vpc, res(T.flowLog, "fl", { vpcId: "vpc-1" })])).to.deep.equal([]);
        expect(rule.check([vpc, res(T.flowLog, "fl", { vpcId: "vpc-2" })])).to.have.length(1);
        expect(rule.check([res(T.awsxVpc, "net", {})])).to.have.length(1);
        expect(rule.check([res(T.awsxVpc, "net", {}), res(T.flowLog, "fl", { vpcId: "vpc-1" })])).to.deep.equal([]);
    });

    it("log-retention: log groups kept forever", () => {
        expect(bad("log-retention", T.logGroup, {})).to.have.length(1);
        expect(bad("log-retention", T.logGroup, { retentionInDays: 0 })).to.have.length(1);
        expect(bad("log-retention", T.logGroup, { retentionInDays: 30 })).to.deep.equal([]);
    });

    it("no-plaintext-secrets: a password in (gzipped) user data, a boot script or a tag, not ARNs or shell expansions", async () => {
        expect(bad("no-plaintext-secrets", T.instance, GOOD_INSTANCE)).to.deep.equal([]);
        // A real recorded loader, and the boot script it fetches, with a credential injected.
        const recording = await recordStack("tier30k");
        const db = recording.resources.find((r) => r.type === T.instance && r.name === "db-primary");
        const object = recording.resources.find(
            (r) => r.type === T.bucketObject && r.name === "db-primary-boot-script",
        );
        expect(db, "tier30k db-primary").to.not.equal(undefined);
        expect(object, "tier30k db-primary-boot-script").to.not.equal(undefined);
        const loader = zlib.gunzipSync(Buffer.from(db!.inputs.userDataBase64 as string, "base64")).toString("utf8");
        expect(bad("no-plaintext-secrets", T.instance, db!.inputs)).to.deep.equal([]);
        expect(bad("no-plaintext-secrets", T.bucketObject, object!.inputs)).to.deep.equal([]);
        const inject = (text: string) => text.replace("\n", "\nDB_PASSWORD=hunter2hunter2\n");
        const found = bad("no-plaintext-secrets", T.instance, {
            ...db!.inputs,
            userDataBase64: gzipBase64(inject(loader)),
        });
        expect(found).to.deep.equal(["user data looks like it holds a credential: PASSWORD=<redacted>"]);
        expect(found.join()).not.to.include("hunter2");
        const inScript = bad("no-plaintext-secrets", T.bucketObject, {
            ...object!.inputs,
            content: inject(object!.inputs.content as string),
        });
        expect(inScript).to.deep.equal(["object content looks like it holds a credential: PASSWORD=<redacted>"]);
        expect(
            bad("no-plaintext-secrets", T.instance, { userData: "mysql --password='s3cr3tPassw0rd'" }),
        ).to.have.length(1);
        expect(
            bad("no-plaintext-secrets", T.launchTemplate, {
                userData: Buffer.from("TOKEN: abcdefgh1234").toString("base64"),
            }),
        ).to.have.length(1);
        expect(
            bad("no-plaintext-secrets", T.ebsVolume, { tags: { ...TAGS, api_token: "ghp_abcdefgh12345678" } }),
        ).to.have.length(1);
        for (const harmless of [
            "readonly APP_SECRET_ARN='arn:aws:secretsmanager:r:1:secret:db-app-secret-AbCdEf'",
            'PASSWORD="$(aws secretsmanager get-secret-value --secret-id "$APP_SECRET_ARN")"',
            "mysql_config_editor set --login-path=root --password --prompt=dbpass",
            "secret: arn:aws:secretsmanager:r:1:secret:x-AbCdEf",
            "password=short",
        ]) {
            expect(findCredentials(harmless), harmless).to.deep.equal([]);
        }
    });

    it("required-tags: tags without stack or component", () => {
        expect(bad("required-tags", T.ebsVolume, { tags: TAGS })).to.deep.equal([]);
        expect(bad("required-tags", T.ebsVolume, { tags: { stack: "x" } })).to.deep.equal([
            "tags must include component",
        ]);
        expect(bad("required-tags", T.ebsVolume, { tags: {} })).to.deep.equal([
            "tags must include stack and component",
        ]);
        expect(bad("required-tags", T.bucketPolicy, {})).to.deep.equal([]);
    });

    it("every rule has a bad-input test above", function () {
        const titles = (this.test?.parent?.tests ?? []).map((t) => t.title);
        for (const rule of [...RESOURCE_RULES, ...STACK_RULES]) {
            expect(
                titles.some((t) => t.includes(rule.name)),
                rule.name,
            ).to.equal(true);
        }
    });
});
