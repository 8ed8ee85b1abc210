/**
 * Jenkins, its deploy path, and the team tools behind the internal load
 * balancer (tier150k and tier1m), under mocks, plus the pure policies.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { VERSION_PATTERN, deployDocument, jenkinsPolicy } from "../components/ci";
import { DEPLOY_GROUP_TAG } from "../domain/delivery";
import { mockPublicZoneId } from "../plan/mocks";
import { HTTPS_REDIRECT, TLS_POLICY } from "../domain/tls";
import {
    CommandDocument,
    PROJECT_ROOT,
    Recording,
    TOOLS_CERTIFICATE_ARN,
    byRole,
    evaluate,
    input,
    named,
    ofType,
    parsePolicy,
    recordStack,
    tier150kOperated,
    bootScriptOf,
} from "./harness";

/** The private zone, where a certificate of your own names the tools (tier150kOperated). */
const ZONE = "scale-tiers.internal";
/** The shipped stacks' placeholder domain, where the tools get public names. */
const DOMAIN = "scale-tiers.example";

describe("the deploy document", () => {
    const document = JSON.parse(deployDocument()) as CommandDocument;

    it("takes one version parameter that cannot carry shell syntax", () => {
        expect(document.schemaVersion).to.equal("2.2");
        expect(document.parameters?.version.allowedPattern).to.equal(VERSION_PATTERN);
        const pattern = new RegExp(VERSION_PATTERN);
        expect(pattern.test("42-1a2b3c4d")).to.equal(true);
        for (const evil of ["1; rm -rf /", "$(id)", "a b", "'", "", "../x", ".hidden"]) {
            expect(pattern.test(evil), evil).to.equal(false);
        }
    });

    it("runs the servers' deploy tool, which installs, restarts, checks health and rolls back", () => {
        expect(document.mainSteps).to.have.length(1);
        expect(document.mainSteps[0].action).to.equal("aws:runShellScript");
        expect(document.mainSteps[0].inputs.runCommand).to.deep.equal([
            "/usr/local/sbin/scale-tiers-deploy '{{ version }}'",
        ]);
    });
});

describe("the Jenkins role", () => {
    it("may upload releases, run the deploy on its own stack's web servers, follow it and record the version; nothing else", () => {
        const policy = parsePolicy(
            jenkinsPolicy({
                region: "ap-northeast-2",
                accountId: "123456789012",
                stack: "tier150k",
                bucketArn: "arn:aws:s3:::artifacts",
                documentName: "deploy",
                appVersionParameter: "/scale-tiers/tier150k/app/app-version",
                adminSecretArn: "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:admin",
            }),
        );
        const actions = policy.Statement.map((s) => [s.Action, s.Resource]);
        expect(actions).to.deep.equal([
            ["secretsmanager:GetSecretValue", "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:admin"],
            ["s3:PutObject", "arn:aws:s3:::artifacts/releases/*"],
            ["ssm:SendCommand", "arn:aws:ssm:ap-northeast-2:123456789012:document/deploy"],
            ["ssm:SendCommand", "arn:aws:ec2:ap-northeast-2:123456789012:instance/*"],
            [["ssm:ListCommands", "ssm:ListCommandInvocations", "ssm:GetCommandInvocation"], "*"],
            [
                "ssm:PutParameter",
                "arn:aws:ssm:ap-northeast-2:123456789012:parameter/scale-tiers/tier150k/app/app-version",
            ],
        ]);
        expect(policy.Statement[3].Condition).to.deep.equal({
            StringEquals: { [`ssm:resourceTag/${DEPLOY_GROUP_TAG}`]: "tier150k-web" },
        });
        expect(JSON.stringify(policy)).not.to.match(/"Action":"(s3|ssm|ec2|iam):\*"/);
    });
});

describe("the sample Jenkinsfile", () => {
    const jenkinsfile = fs.readFileSync(path.join(PROJECT_ROOT, "Jenkinsfile"), "utf8");

    it("uploads, deploys a few servers at a time stopping at the first failure, and records the version", () => {
        expect(jenkinsfile).to.contain("aws s3 cp");
        expect(jenkinsfile).to.contain("aws ssm send-command");
        expect(jenkinsfile).to.match(/--max-errors\s+0/);
        expect(jenkinsfile).to.contain("DEPLOY_MAX_CONCURRENCY");
        expect(jenkinsfile).to.contain("aws ssm put-parameter");
    });
});

for (const stack of ["tier150k", "tier1m"] as const) {
    describe(`${stack}: Jenkins and the team tools (mocks)`, () => {
        let recording: Recording;
        before(async () => {
            recording = await recordStack(stack);
        });

        it("keeps every tool off the internet: only the public load balancer takes traffic from 0.0.0.0/0", () => {
            const open = ofType(recording, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter(
                (r) => input(r, "cidrIpv4") === "0.0.0.0/0",
            );
            expect(open.map((r) => [input(r, "securityGroupId"), input(r, "fromPort")])).to.have.deep.members([
                ["network-lb-sg-id", 80],
                ["network-lb-sg-id", 443],
            ]);
            const toolsLb = named(recording, "aws:lb/loadBalancer:LoadBalancer", "tools-alb");
            expect(toolsLb.inputs).to.include({
                internal: true,
                dropInvalidHeaderFields: true,
                enableDeletionProtection: true,
            });
            expect(input(toolsLb, "subnets")).to.deep.equal([
                "subnet-private-0",
                "subnet-private-1",
                "subnet-private-2",
            ]);
            expect(input(toolsLb, "accessLogs")).to.deep.equal({
                bucket: "web-alb-logs-mock",
                prefix: "tools-alb",
                enabled: true,
            });
            const lbRules = ofType(recording, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter(
                (r) => input(r, "securityGroupId") === "tools-alb-sg-id",
            );
            expect(lbRules.map((r) => [input(r, "fromPort"), input(r, "cidrIpv4")])).to.have.deep.members([
                [80, "10.40.0.0/16"],
                [443, "10.40.0.0/16"],
            ]);
        });

        it("routes jira, wiki, cms and jenkins by host name, each to its own server and port", () => {
            const expected = { jira: 8080, wiki: 80, cms: 80, jenkins: 8080 };
            for (const [tool, port] of Object.entries(expected)) {
                const rule = named(recording, "aws:lb/listenerRule:ListenerRule", `tools-${tool}-rule`);
                expect(input(rule, "conditions")).to.deep.equal([{ hostHeader: { values: [`${tool}.${DOMAIN}`] } }]);
                const group = named(recording, "aws:lb/targetGroup:TargetGroup", `tools-${tool}-tg`);
                expect(group.inputs).to.include({ port, protocol: "HTTP" });
                const record = named(recording, "aws:route53/record:Record", `tools-${tool}-dns`);
                expect(record.inputs).to.deep.include({
                    name: `${tool}.${DOMAIN}`,
                    type: "A",
                    zoneId: mockPublicZoneId(DOMAIN),
                });
                expect(input<{ name: string }[]>(record, "aliases")[0].name).to.equal(
                    "internal-tools-alb-1234567890.ap-northeast-2.elb.amazonaws.com",
                );
                const server = tool === "jenkins" ? "ci-jenkins-sg-id" : `tools-${tool}-sg-id`;
                const ingress = ofType(recording, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter(
                    (r) => input(r, "securityGroupId") === server,
                );
                expect(ingress.map((r) => [input(r, "fromPort"), input(r, "referencedSecurityGroupId")])).to.deep.equal(
                    [[port, "tools-alb-sg-id"]],
                );
            }
            const priorities = ofType(recording, "aws:lb/listenerRule:ListenerRule").map((r) => input(r, "priority"));
            expect(new Set(priorities).size).to.equal(priorities.length);
            // HTTPS only: plain HTTP redirects, and the host rules hang on the HTTPS listener.
            expect(input(named(recording, "aws:lb/listener:Listener", "tools-http"), "defaultActions")).to.deep.equal([
                HTTPS_REDIRECT,
            ]);
            const https = named(recording, "aws:lb/listener:Listener", "tools-https");
            expect(https.inputs).to.include({ port: 443, protocol: "HTTPS", sslPolicy: TLS_POLICY });
            expect(input(https, "defaultActions")).to.deep.equal([
                {
                    type: "fixed-response",
                    fixedResponse: { contentType: "text/plain", messageBody: "unknown tool", statusCode: "404" },
                },
            ]);
            for (const rule of ofType(recording, "aws:lb/listenerRule:ListenerRule")) {
                expect(input(rule, "listenerArn")).to.equal("arn:aws:lb:ap-northeast-2:123456789012:tools-https");
            }
        });

        it("keeps each tool's and Jenkins' data on a protected volume that is snapshotted", () => {
            for (const name of ["ci-jenkins", "tools-jira", "tools-wiki", "tools-cms"]) {
                const volume = named(recording, "aws:ebs/volume:Volume", `${name}-data`);
                expect(volume.protect, name).to.equal(true);
                expect(volume.inputs, name).to.include({ encrypted: true, type: "gp3" });
                const server = named(recording, "aws:ec2/instance:Instance", name);
                expect(server.ignoreChanges, name).to.have.members(["ami", "userDataBase64"]);
                const selector = input<Record<string, string>>(volume, "tags")["scale-tiers:snapshots"];
                const policies = ofType(recording, "aws:dlm/lifecyclePolicy:LifecyclePolicy").filter(
                    (p) =>
                        input<{ targetTags: Record<string, string> }>(p, "policyDetails").targetTags[
                            "scale-tiers:snapshots"
                        ] === selector,
                );
                expect(policies, name).to.have.length(1);
            }
        });

        it("keeps releases in a versioned, encrypted, private, TLS-only bucket that ages them out", () => {
            expect(
                input(
                    named(recording, "aws:s3/bucketVersioning:BucketVersioning", "ci-artifacts-versioning"),
                    "versioningConfiguration",
                ),
            ).to.deep.equal({
                status: "Enabled",
            });
            expect(
                named(recording, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "ci-artifacts-public-access")
                    .inputs,
            ).to.include({
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            });
            const policy = parsePolicy(
                input<string>(named(recording, "aws:s3/bucketPolicy:BucketPolicy", "ci-artifacts-policy"), "policy"),
            );
            expect(policy.Statement).to.deep.equal([
                {
                    Sid: "DenyInsecureTransport",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:*",
                    Resource: ["arn:aws:s3:::ci-artifacts-mock", "arn:aws:s3:::ci-artifacts-mock/*"],
                    Condition: { Bool: { "aws:SecureTransport": "false" } },
                },
            ]);
            const [rule] = input<
                { expiration: { days: number }; noncurrentVersionExpiration: { noncurrentDays: number } }[]
            >(
                named(
                    recording,
                    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                    "ci-artifacts-lifecycle",
                ),
                "rules",
            );
            expect(rule.expiration.days).to.equal(365);
            expect(rule.noncurrentVersionExpiration.noncurrentDays).to.equal(30);
        });

        it("lets the web servers fetch releases, and tags them for the deploy", () => {
            const statements = parsePolicy(
                input<string>(named(recording, "aws:iam/rolePolicy:RolePolicy", "web-policy"), "policy"),
            ).Statement;
            expect(statements[2]).to.deep.equal({
                Sid: "ReadReleases",
                Effect: "Allow",
                Action: "s3:GetObject",
                Resource: "arn:aws:s3:::ci-artifacts-mock/releases/*",
            });
            const bucket = ofType(recording, "aws:ssm/parameter:Parameter").find(
                (p) => input(p, "name") === `/scale-tiers/${stack}/app/artifact-bucket`,
            )!;
            expect(input(bucket, "value")).to.equal("ci-artifacts-mock");
            for (const web of byRole(recording, "web")) {
                expect(input<Record<string, string>>(web, "tags")[DEPLOY_GROUP_TAG]).to.equal(`${stack}-web`);
            }
        });

        it("hands Jenkins where to upload, what to run and on which servers, but no secret", () => {
            const [jenkins] = byRole(recording, "jenkins");
            const script = bootScriptOf(recording, jenkins);
            expect(script).to.contain("readonly ARTIFACT_BUCKET='ci-artifacts-mock'");
            expect(script).to.contain("readonly DEPLOY_DOCUMENT='ci-deploy-mock'");
            expect(script).to.contain(`readonly DEPLOY_TARGET_TAG='${DEPLOY_GROUP_TAG}=${stack}-web'`);
            expect(script).to.contain(`readonly APP_VERSION_PARAMETER='/scale-tiers/${stack}/app/app-version'`);
            expect(script).to.contain(`readonly JENKINS_URL='https://jenkins.${DOMAIN}/'`);
            expect(script).not.to.match(/mock-password-/);
            const document = named(recording, "aws:ssm/document:Document", "ci-deploy");
            expect(document.inputs).to.include({
                documentType: "Command",
                documentFormat: "JSON",
                content: deployDocument(),
            });
        });

        it("checks the CMS and the wiki through an application page, at the load balancer and in their boot scripts alike", () => {
            // nginx's own /scale-tiers-health answered while nginx could not read WordPress' files, and while
            // the wiki's database was down (tests/boot/roles.boot.ts).
            const expected = { cms: "/wp-login.php", wiki: "/rest.php/v1/page/Main_Page" };
            for (const [tool, page] of Object.entries(expected)) {
                const group = named(recording, "aws:lb/targetGroup:TargetGroup", `tools-${tool}-tg`);
                const path = input<{ path: string }>(group, "healthCheck").path;
                expect(path, tool).to.equal(page);
                expect(bootScriptOf(recording, byRole(recording, tool)[0])).to.contain(
                    `readonly HEALTH_PATH='${path}'`,
                );
            }
        });

        it("accepts only 200 from every tool: a WordPress not yet installed redirects each page to its installer", () => {
            const groups = recording.resources.filter(
                (r) => r.type === "aws:lb/targetGroup:TargetGroup" && /^tools-.*-tg$/.test(r.name),
            );
            expect(groups.map((group) => group.name)).to.include.members(["tools-cms-tg", "tools-wiki-tg"]);
            for (const group of groups) {
                expect(input<{ matcher: string }>(group, "healthCheck").matcher, group.name).to.equal("200");
            }
        });

        it("lets nginx into the WordPress root, which php-fpm's user owns", () => {
            expect(bootScriptOf(recording, byRole(recording, "cms")[0])).to.match(
                /install -d -m 0750 -o "\$fpm_user" -g "\$web_server_group" "\$wp_root"/,
            );
            expect(bootScriptOf(recording, byRole(recording, "cms")[0])).to.contain("readonly web_server_group=nginx");
        });

        it("gives each tool its generated database credentials, and Jira its pinned version", () => {
            expect(bootScriptOf(recording, byRole(recording, "jira")[0])).to.match(
                /readonly JIRA_VERSION='\d+\.\d+\.\d+'/,
            );
            expect(bootScriptOf(recording, byRole(recording, "wiki")[0])).to.match(
                /readonly MEDIAWIKI_VERSION='\d+\.\d+\.\d+'/,
            );
            for (const tool of ["jira", "wiki", "cms"]) {
                const secret = JSON.parse(
                    input<string>(
                        named(
                            recording,
                            "aws:secretsmanager/secretVersion:SecretVersion",
                            `tools-${tool}-db-secret-version`,
                        ),
                        "secretString",
                    ),
                ) as Record<string, unknown>;
                expect(secret).to.include({ username: tool, dbname: tool });
                const policy = parsePolicy(
                    input<string>(named(recording, "aws:iam/rolePolicy:RolePolicy", `tools-${tool}-policy`), "policy"),
                );
                expect(
                    (policy.Statement[0].Resource as string[]).every((arn) => arn.includes(`tools-${tool}-`)),
                ).to.equal(true);
            }
        });
    });
}

const INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";

describe("the tools' load balancer with a certificate and an admin range (mocks)", () => {
    it("serves HTTPS, redirects HTTP, and admits the admin range", async () => {
        const certificateArn = TOOLS_CERTIFICATE_ARN;
        const recording = await evaluate("tier150k", { config: tier150kOperated() });
        const https = named(recording, "aws:lb/listener:Listener", "tools-https");
        expect(https.inputs).to.include({ port: 443, protocol: "HTTPS", certificateArn });
        expect(input(named(recording, "aws:lb/listener:Listener", "tools-http"), "defaultActions")).to.deep.equal([
            { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
        ]);
        const lbRules = ofType(recording, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
            .filter((r) => input(r, "securityGroupId") === "tools-alb-sg-id")
            .map((r) => `${input<number>(r, "fromPort")} ${input<string>(r, "cidrIpv4")}`);
        expect(lbRules).to.have.members(
            ["10.40.0.0/16", "10.8.0.0/16", "172.20.0.0/16"].flatMap((cidr) => [`80 ${cidr}`, `443 ${cidr}`]),
        );
        // Named by block, answering to the list-position names a stack deployed before 2026-11 has.
        const rule = named(recording, INGRESS_RULE, "tools-alb-in-443-172.20.0.0-16");
        expect(rule.inputs).to.include({ cidrIpv4: "172.20.0.0/16", fromPort: 443 });
        expect(rule.aliases).to.deep.equal(["tools-alb-in-443-2"]);
        expect(named(recording, INGRESS_RULE, "tools-alb-in-80-vpc").aliases).to.deep.equal(["tools-alb-in-80-0"]);
        expect(bootScriptOf(recording, byRole(recording, "jenkins")[0])).to.contain(
            `readonly JENKINS_URL='https://jenkins.${ZONE}/'`,
        );
    });
});
