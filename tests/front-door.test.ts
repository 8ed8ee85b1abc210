/**
 * The front door under mocks: the site's certificate, its validation records
 * and names in the public zone, HTTPS with HTTP redirecting to it, the WAF in
 * front of it, Beats over TLS to Logstash, the plain-HTTP demo and what the
 * policy pack says of it; and, without mocks, the config refusals and the web
 * ACL's rules.
 */
import { expect } from "chai";
import { MANAGED_RULE_GROUPS, RATE_RULE, webAclRules } from "../components/firewall";
import { BEATS_CERTIFICATE_DAYS } from "../components/logging";
import { HTTPS_REDIRECT, TLS_POLICY } from "../domain/tls";
import { MOCK_ACCOUNT_ID, PLACEHOLDER_ZONE, mockPublicZoneId } from "../plan/mocks";
import { StackResource, evaluateRules } from "../policy/rules";
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
    recordStack,
    refusal,
    bootScriptOf,
    byRole,
} from "./harness";

const CERTIFICATE = "aws:acm/certificate:Certificate";
const VALIDATION = "aws:acm/certificateValidation:CertificateValidation";
const RECORD = "aws:route53/record:Record";
const LISTENER = "aws:lb/listener:Listener";
const ZONE_ID = mockPublicZoneId(PLACEHOLDER_ZONE);
const WEB_ALB_DNS = "web-alb-1234567890.ap-northeast-2.elb.amazonaws.com";
const REGION = "ap-northeast-2";

/** The validation records of a certificate, by the host they prove. */
function validationRecords(recording: Recording, certificate: string): Record<string, RecordedResource> {
    const prefix = `${certificate}-validation-`;
    return Object.fromEntries(
        ofType(recording, RECORD)
            .filter((r) => r.name.startsWith(prefix))
            .map((r) => [r.name.slice(prefix.length), r]),
    );
}

describe("the site on its domain (mocks)", () => {
    let recording: Recording;
    before(async () => {
        recording = await recordStack("tier30k");
    });

    it("issues one DNS-validated certificate for the apex and www, proven by a CNAME per host in the public zone", () => {
        const certificate = named(recording, CERTIFICATE, "web-site-cert");
        expect(certificate.inputs).to.deep.include({
            domainName: PLACEHOLDER_ZONE,
            subjectAlternativeNames: [`www.${PLACEHOLDER_ZONE}`],
            validationMethod: "DNS",
        });
        const records = validationRecords(recording, "web-site-cert");
        expect(Object.keys(records)).to.have.members([PLACEHOLDER_ZONE, `www.${PLACEHOLDER_ZONE}`]);
        for (const [host, record] of Object.entries(records)) {
            expect(record.inputs, host).to.include({ zoneId: ZONE_ID, type: "CNAME", ttl: 300, allowOverwrite: true });
            expect(input<string>(record, "name"), host).to.match(new RegExp(`^_[0-9a-f]{32}\\.${host}\\.$`));
            expect(input<string[]>(record, "records")[0], host).to.match(/\.acm-validations\.aws\.$/);
        }
        const validation = named(recording, VALIDATION, "web-site-cert-validation");
        expect(input<string[]>(validation, "validationRecordFqdns")).to.have.members(
            Object.values(records).map((r) => input<string>(r, "name").replace(/\.$/, "")),
        );
    });

    it("serves HTTPS on 443 with the validated certificate and a TLS 1.3 policy, and redirects 80 to it", () => {
        const https = named(recording, LISTENER, "web-https");
        const validation = named(recording, VALIDATION, "web-site-cert-validation");
        expect(https.inputs).to.include({
            port: 443,
            protocol: "HTTPS",
            sslPolicy: TLS_POLICY,
            certificateArn: input<string>(validation, "certificateArn"),
        });
        expect(TLS_POLICY).to.match(/^ELBSecurityPolicy-TLS13-/);
        const http = named(recording, LISTENER, "web-http");
        expect(input(http, "defaultActions")).to.deep.equal([HTTPS_REDIRECT]);
        expect(HTTPS_REDIRECT.redirect).to.deep.equal({ protocol: "HTTPS", port: "443", statusCode: "HTTP_301" });
        // A deployed estate's port 80 turns into the redirect only once 443 serves.
        expect(http.dependsOn).to.deep.equal([https.urn]);
    });

    it("points alias A records of every site host at the load balancer, and exports https://<first host>", () => {
        for (const host of [PLACEHOLDER_ZONE, `www.${PLACEHOLDER_ZONE}`]) {
            const record = named(recording, RECORD, `web-site-${host}`);
            expect(record.inputs).to.deep.include({ zoneId: ZONE_ID, name: host, type: "A" });
            expect(input(record, "aliases")).to.deep.equal([
                { name: WEB_ALB_DNS, zoneId: "ZWKZPGTI48KDX", evaluateTargetHealth: true },
            ]);
        }
        // IPv4 only: the VPC's subnets have no IPv6 blocks (docs/front-door.md).
        expect(ofType(recording, RECORD).filter((r) => r.inputs.type === "AAAA")).to.deep.equal([]);
        expect(input(named(recording, "aws:lb/loadBalancer:LoadBalancer", "web-alb"), "ipAddressType")).to.equal(
            undefined,
        );
        expect(recording.outputs.siteUrl).to.equal(`https://${PLACEHOLDER_ZONE}`);
    });

    it("runs no WAF in tier30k", () => {
        expect(recording.resources.filter((r) => r.type.startsWith("aws:wafv2/"))).to.deep.equal([]);
    });
});

describe("a domain of the team's choosing (mocks)", () => {
    let recording: Recording;
    before(async () => {
        const domain = configPatched("tier150k", "scale-tiers:domain", {
            zoneId: ZONE_ID,
            siteHosts: [`www.${PLACEHOLDER_ZONE}`, `shop.${PLACEHOLDER_ZONE}`],
            toolsSubdomain: "tools",
        });
        const config = {
            ...domain,
            "scale-tiers:waf": JSON.stringify({ enabled: true, ratePerIpPer5Minutes: 100, countOnly: true }),
        };
        recording = await evaluate("tier150k", { config });
    });

    it("finds the zone by id and certifies and names exactly the hosts listed, the first as siteUrl", () => {
        expect(named(recording, CERTIFICATE, "web-site-cert").inputs).to.deep.include({
            domainName: `www.${PLACEHOLDER_ZONE}`,
            subjectAlternativeNames: [`shop.${PLACEHOLDER_ZONE}`],
        });
        const aliases = ofType(recording, RECORD).filter(
            (r) => r.name.startsWith("web-site-") && r.inputs.type === "A",
        );
        expect(aliases.map((r) => input<string>(r, "name"))).to.have.members([
            `www.${PLACEHOLDER_ZONE}`,
            `shop.${PLACEHOLDER_ZONE}`,
        ]);
        aliases.forEach((r) => expect(input(r, "zoneId")).to.equal(ZONE_ID));
        expect(recording.outputs.siteUrl).to.equal(`https://www.${PLACEHOLDER_ZONE}`);
    });

    it("puts the tools under the subdomain, on one wildcard certificate for them from the same zone", () => {
        // One name for every tool: adding or retiring a tool leaves the certificate as it is.
        const wildcard = `*.tools.${PLACEHOLDER_ZONE}`;
        const certificate = named(recording, CERTIFICATE, "tools-cert");
        expect([
            input(certificate, "domainName"),
            ...input<string[]>(certificate, "subjectAlternativeNames"),
        ]).to.deep.equal([wildcard]);
        expect(Object.keys(validationRecords(recording, "tools-cert"))).to.have.members([wildcard]);
        Object.values(validationRecords(recording, "tools-cert")).forEach((r) =>
            expect(input(r, "zoneId")).to.equal(ZONE_ID),
        );
        const https = named(recording, LISTENER, "tools-https");
        expect(input(https, "certificateArn")).to.equal(
            input(named(recording, VALIDATION, "tools-cert-validation"), "certificateArn"),
        );
        // Port 80 redirects only once 443 serves every tool's host rule.
        const rules = ofType(recording, "aws:lb/listenerRule:ListenerRule");
        expect(named(recording, LISTENER, "tools-http").dependsOn).to.have.members([
            https.urn,
            ...rules.map((r) => r.urn),
        ]);
        expect(recording.outputs.toolUrls).to.deep.equal({
            jenkins: `https://jenkins.tools.${PLACEHOLDER_ZONE}/`,
            jira: `https://jira.tools.${PLACEHOLDER_ZONE}/`,
            wiki: `https://wiki.tools.${PLACEHOLDER_ZONE}/`,
            cms: `https://cms.tools.${PLACEHOLDER_ZONE}/`,
        });
        expect(bootScriptOf(recording, byRole(recording, "jira")[0])).to.contain(
            `readonly BASE_URL='https://jira.tools.${PLACEHOLDER_ZONE}/'`,
        );
    });

    it("counts instead of blocking in count-only mode, at the configured rate, and alarms on the counted requests", () => {
        const rules = input<{ name: string; action?: object; overrideAction?: object; statement: object }[]>(
            named(recording, "aws:wafv2/webAcl:WebAcl", "waf-acl"),
            "rules",
        );
        for (const rule of rules) {
            expect(rule.action ?? rule.overrideAction, rule.name).to.deep.equal({ count: {} });
        }
        expect(rules.find((r) => r.name === RATE_RULE)!.statement).to.deep.equal({
            rateBasedStatement: { limit: 100, aggregateKeyType: "IP", evaluationWindowSec: 300 },
        });
        const alarm = named(recording, "aws:cloudwatch/metricAlarm:MetricAlarm", "waf-blocked-requests");
        const [metric] = input<{ metric: { metricName: string } }[]>(alarm, "metricQueries");
        expect(metric.metric.metricName).to.equal("CountedRequests");
    });
});

describe("the WAF of tier150k and tier1m (mocks)", () => {
    for (const stack of ["tier150k", "tier1m"]) {
        describe(stack, () => {
            let recording: Recording;
            before(async () => {
                recording = await recordStack(stack);
            });

            it("is a regional web ACL that allows by default and runs the managed groups and the per-IP rate rule", () => {
                const acl = named(recording, "aws:wafv2/webAcl:WebAcl", "waf-acl");
                expect(acl.inputs).to.deep.include({
                    name: `scale-tiers-${stack}-web`,
                    scope: "REGIONAL",
                    defaultAction: { allow: {} },
                });
                const rules = input<
                    {
                        name: string;
                        priority: number;
                        action?: object;
                        overrideAction?: object;
                        statement: Record<string, unknown>;
                        visibilityConfig: { cloudwatchMetricsEnabled: boolean; metricName: string };
                    }[]
                >(acl, "rules");
                expect(rules.map((r) => [r.priority, r.name])).to.deep.equal([
                    [0, "AWSManagedRulesAmazonIpReputationList"],
                    [1, RATE_RULE],
                    [2, "AWSManagedRulesCommonRuleSet"],
                    [3, "AWSManagedRulesKnownBadInputsRuleSet"],
                    [4, "AWSManagedRulesSQLiRuleSet"],
                ]);
                for (const rule of rules.filter((r) => r.name !== RATE_RULE)) {
                    expect(rule.overrideAction, rule.name).to.deep.equal({ none: {} });
                    expect(rule.action, rule.name).to.equal(undefined);
                    expect(rule.statement, rule.name).to.deep.equal({
                        managedRuleGroupStatement: { vendorName: "AWS", name: rule.name },
                    });
                }
                const rate = rules.find((r) => r.name === RATE_RULE)!;
                expect(rate.action).to.deep.equal({ block: {} });
                expect(rate.statement).to.deep.equal({
                    rateBasedStatement: { limit: 2000, aggregateKeyType: "IP", evaluationWindowSec: 300 },
                });
                rules.forEach((r) =>
                    expect(r.visibilityConfig).to.include({ cloudwatchMetricsEnabled: true, metricName: r.name }),
                );
            });

            it("protects the public load balancer", () => {
                expect(
                    named(recording, "aws:wafv2/webAclAssociation:WebAclAssociation", "waf-association").inputs,
                ).to.include({
                    resourceArn: `arn:aws:lb:${REGION}:${MOCK_ACCOUNT_ID}:web-alb`,
                    webAclArn: `arn:aws:wafv2:${REGION}:${MOCK_ACCOUNT_ID}:waf-acl`,
                });
            });

            it("logs to an aws-waf-logs- group with retention, the authorization and cookie headers redacted", () => {
                const group = named(recording, "aws:cloudwatch/logGroup:LogGroup", "waf-logs");
                expect(group.inputs).to.include({
                    name: `aws-waf-logs-scale-tiers-${stack}`,
                    retentionInDays: stack === "tier1m" ? 90 : 30,
                });
                const logging = named(
                    recording,
                    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
                    "waf-logging",
                );
                expect(logging.inputs).to.deep.include({
                    resourceArn: `arn:aws:wafv2:${REGION}:${MOCK_ACCOUNT_ID}:waf-acl`,
                    // The mocks' ARN of the log group (a real one is arn:aws:logs:...:log-group:aws-waf-logs-...).
                    logDestinationConfigs: [`arn:aws:cloudwatch:${REGION}:${MOCK_ACCOUNT_ID}:waf-logs`],
                    redactedFields: [{ singleHeader: { name: "authorization" } }, { singleHeader: { name: "cookie" } }],
                });
            });

            it("alarms on a spike of blocked requests above their usual band, to the alarm topic", () => {
                const alarm = named(recording, "aws:cloudwatch/metricAlarm:MetricAlarm", "waf-blocked-requests");
                const topic = `arn:aws:sns:${REGION}:${MOCK_ACCOUNT_ID}:monitoring-alarms`;
                expect(alarm.inputs).to.deep.include({
                    thresholdMetricId: "band",
                    comparisonOperator: "GreaterThanUpperThreshold",
                    evaluationPeriods: 2,
                    treatMissingData: "notBreaching",
                    alarmActions: [topic],
                });
                expect(input(alarm, "metricQueries")).to.deep.equal([
                    {
                        id: "requests",
                        returnData: true,
                        metric: {
                            namespace: "AWS/WAFV2",
                            metricName: "BlockedRequests",
                            dimensions: { WebACL: `scale-tiers-${stack}-web`, Region: REGION, Rule: "ALL" },
                            period: 300,
                            stat: "Sum",
                        },
                    },
                    { id: "band", expression: "ANOMALY_DETECTION_BAND(requests, 3)", returnData: true },
                ]);
            });
        });
    }

    it("orders the rules the same way whatever the settings, and blocks unless counting", () => {
        type Rule = { name: string; priority: number; action?: object; overrideAction?: object };
        const plain = (rules: unknown) => JSON.parse(JSON.stringify(rules)) as Rule[];
        const blocking = plain(webAclRules({ ratePerIpPer5Minutes: 10, countOnly: false }));
        const counting = plain(webAclRules({ ratePerIpPer5Minutes: 2_000_000_000, countOnly: true }));
        expect(blocking.map((r) => r.name)).to.deep.equal(counting.map((r) => r.name));
        expect(blocking.map((r) => r.priority)).to.deep.equal([0, 1, 2, 3, 4]);
        expect(MANAGED_RULE_GROUPS).to.have.length(4);
        expect(counting.every((r) => JSON.stringify(r.action ?? r.overrideAction) === '{"count":{}}')).to.equal(true);
        expect(blocking.filter((r) => r.action).map((r) => r.action)).to.deep.equal([{ block: {} }]);
    });
});

describe("Filebeat to Logstash over TLS (mocks)", () => {
    let recording: Recording;
    before(async () => {
        recording = await recordStack("tier1m");
    });

    it("ends TLS at the load balancer with a certificate for logstash.<zone> from the estate's CA, renewed by pulumi up", () => {
        const csr = named(recording, "tls:index/certRequest:CertRequest", "logs-beats-csr");
        expect(input(csr, "dnsNames")).to.deep.equal(["logstash.scale-tiers.internal"]);
        const certificate = named(recording, "tls:index/locallySignedCert:LocallySignedCert", "logs-beats-cert");
        expect(certificate.inputs).to.deep.include({
            validityPeriodHours: BEATS_CERTIFICATE_DAYS.valid * 24,
            earlyRenewalHours: BEATS_CERTIFICATE_DAYS.renewBefore * 24,
            allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
        });
        expect(
            input(named(recording, "tls:index/selfSignedCert:SelfSignedCert", "logs-beats-ca"), "isCaCertificate"),
        ).to.equal(true);
        const imported = named(recording, CERTIFICATE, "logs-beats-acm");
        expect(input<string>(imported, "certificateBody")).to.contain("mock-cert-logs-beats-cert");
        expect(input<string>(imported, "certificateChain")).to.contain("mock-cert-logs-beats-ca");
        expect(input<string>(imported, "privateKey")).to.contain("mock-key-logs-beats-key");
        const listener = named(recording, LISTENER, "logs-beats");
        expect(listener.inputs).to.include({ port: 5044, protocol: "TLS", sslPolicy: TLS_POLICY });
        expect(input<string>(listener, "certificateArn")).to.match(/^arn:aws:acm:ap-northeast-2:\d{12}:certificate\//);
        expect(
            input(named(recording, "aws:lb/loadBalancer:LoadBalancer", "logs-nlb"), "enableDeletionProtection"),
        ).to.equal(true);
    });

    it("publishes the CA for the shippers, and no private key reaches a server", () => {
        const parameter = ofType(recording, "aws:ssm/parameter:Parameter").find(
            (p) => input(p, "name") === "/scale-tiers/tier1m/app/logstash-ca",
        )!;
        expect(input<string>(parameter, "value")).to.contain("mock-cert-logs-beats-ca");
        const launchTemplates = ofType(recording, "aws:ec2/launchTemplate:LaunchTemplate");
        const servers = [...ofType(recording, "aws:ec2/instance:Instance"), ...launchTemplates];
        const keys = ["mock-key-logs-beats-key", "mock-key-logs-beats-ca-key"];
        for (const server of servers) {
            const text = [
                ...allStrings(server.inputs),
                ...(server.inputs.userDataBase64 ? [bootScriptOf(recording, server)] : []),
            ].join("\n");
            keys.forEach((key) => expect(text, server.name).not.to.contain(key));
        }
        expect(allStrings(recording.outputs).some((s) => keys.some((key) => s.includes(key)))).to.equal(false);
    });
});

describe("the plain-HTTP demo (mocks)", () => {
    let recording: Recording;
    before(async () => {
        recording = await evaluate("tier30k", {
            config: configWith("tier30k", { "scale-tiers:plainHttpDemo": "true" }, ["scale-tiers:domain"]),
        });
    });

    it("serves HTTP on the load balancer's own name, with no certificate, record or HTTPS listener", () => {
        expect(input(named(recording, LISTENER, "web-http"), "defaultActions")).to.deep.equal([
            { type: "forward", targetGroupArn: `arn:aws:lb:${REGION}:${MOCK_ACCOUNT_ID}:web-tg` },
        ]);
        expect(ofType(recording, LISTENER).map((l) => l.name)).to.deep.equal(["web-http"]);
        expect(ofType(recording, CERTIFICATE)).to.deep.equal([]);
        expect(recording.outputs.loadBalancerUrl).to.equal(`http://${WEB_ALB_DNS}`);
        expect(recording.outputs).not.to.have.property("siteUrl");
    });

    it("is what the policy pack's https-listeners rule refuses", () => {
        const resources: StackResource[] = recording.resources.map((r) => ({
            type: r.type,
            urn: r.urn,
            name: r.name,
            inputs: r.inputs,
            id: r.custom ? `${r.name}-id` : undefined,
        }));
        const violations = evaluateRules(resources).filter((v) => v.policy === "https-listeners");
        expect(violations.map((v) => v.urn.split("::").pop())).to.deep.equal(["web-http"]);
    });
});

describe("front door config refusals", () => {
    const certificateArn = "arn:aws:acm:ap-northeast-2:123456789012:certificate/12345678-1234-1234-1234-123456789012";
    const domain = (patch: Record<string, unknown>) => configPatched("tier30k", "scale-tiers:domain", patch);

    it("refuses a stack with neither a domain, a certificate nor the demo, saying what to set", () => {
        const message = refusal(configWith("tier30k", {}, ["scale-tiers:domain"]));
        expect(message).to.contain("scale-tiers:domain: is not set");
        expect(message).to.contain("set domain.zone to your public Route 53 hosted zone");
        expect(message).to.contain("plainHttpDemo: true");
    });

    it("refuses a domain together with a certificate of your own, for the site or the tools", () => {
        expect(refusal(configPatched("tier30k", "scale-tiers:loadBalancer", { certificateArn }))).to.contain(
            "scale-tiers:loadBalancer.certificateArn: is set together with domain",
        );
        expect(
            refusal(configPatched("tier150k", "scale-tiers:collaboration", { certificateArn }), "tier150k"),
        ).to.contain("scale-tiers:collaboration.certificateArn: is set together with domain");
    });

    it("refuses the demo together with a domain or a certificate", () => {
        expect(refusal(configWith("tier30k", { "scale-tiers:plainHttpDemo": "true" }))).to.contain(
            "scale-tiers:plainHttpDemo: is true while a domain or a certificate is set",
        );
    });

    it("refuses a site host outside the zone, or one a team tool takes", () => {
        expect(refusal(domain({ siteHosts: ["www.example.com"] }))).to.contain(
            `scale-tiers:domain.siteHosts: "www.example.com" is outside the zone ${PLACEHOLDER_ZONE}`,
        );
        expect(refusal(domain({ siteHosts: [`evil${PLACEHOLDER_ZONE}`] }))).to.contain("is outside the zone");
        expect(refusal(domain({ siteHosts: [`jira.${PLACEHOLDER_ZONE}`] }))).to.contain("is a team tool's name");
        expect(refusal(domain({ siteHosts: [] }))).to.contain("scale-tiers:domain.siteHosts: is empty");
        const many = Array.from({ length: 11 }, (_, i) => `h${i}.${PLACEHOLDER_ZONE}`);
        expect(refusal(domain({ siteHosts: many }))).to.contain("an ACM certificate holds 10");
    });

    it("refuses a zone name that is not a DNS name, and a zone id that is not one", () => {
        for (const zone of ["Example.COM", "localhost", "exa mple.com", "-bad.example.com"]) {
            expect(refusal(domain({ zone, siteHosts: ["www.example.com"] })), zone).to.contain(
                `scale-tiers:domain.zone: "${zone}" is not a lower-case DNS name of two or more labels`,
            );
        }
        expect(refusal(domain({ zoneId: "zone-1" }))).to.contain(
            'scale-tiers:domain.zoneId: "zone-1" is not a hosted zone id',
        );
    });

    it("refuses a rate limit outside WAF's 10 to 2,000,000,000 requests per 5 minutes", () => {
        for (const rate of [9, 2_000_000_001]) {
            expect(
                refusal(configPatched("tier150k", "scale-tiers:waf", { ratePerIpPer5Minutes: rate }), "tier150k"),
                String(rate),
            ).to.contain(`scale-tiers:waf.ratePerIpPer5Minutes: ${rate} is out of range`);
        }
        expect(() =>
            refusal(configPatched("tier150k", "scale-tiers:waf", { ratePerIpPer5Minutes: 10 }), "tier150k"),
        ).to.throw("config was accepted");
    });

    it("refuses WAF without monitoring, whose topic its alarm needs", () => {
        expect(refusal(configPatched("tier30k", "scale-tiers:waf", { enabled: true }))).to.contain(
            "scale-tiers:waf.enabled: is true while monitoring is off",
        );
    });

    it("refuses a certificate of your own for the site while the tools would be left without one", () => {
        const message = refusal(
            configPatched("tier150k", "scale-tiers:loadBalancer", { certificateArn }, ["scale-tiers:domain"]),
            "tier150k",
        );
        expect(message).to.contain("scale-tiers:collaboration.certificateArn: is not set");
    });
});
