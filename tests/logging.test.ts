/**
 * ELK on AWS (tier1m): the OpenSearch domain, its logs and master secret,
 * Logstash behind its internal load balancer, the web servers' log shipper,
 * plus the pure decisions behind them.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import {
    BEATS_PORT,
    DOMAIN_TLS_POLICY,
    clusterConfig,
    domainAccessPolicy,
    logIndexSettings,
    logPublishingPolicy,
    logstashHostName,
    multiAzWithStandbyProblem,
    opensearchDomainName,
    queueMaxGigabytes,
} from "../components/logging";
import { readScript } from "../components/userdata/render";
import { MOCK_ACCOUNT_ID } from "../plan/mocks";
import { TLS_POLICY } from "../domain/tls";
import { findCredentials } from "../policy/rules";
import { OpenSearchConfig } from "../domain/stack-config";
import {
    Recording,
    RecordedResource,
    allStrings,
    bootScriptOf,
    input,
    named,
    ofType,
    parsePolicy,
    recordStack,
} from "./harness";

/** The password in a secret version's JSON. */
const passwordOf = (version: RecordedResource) =>
    (JSON.parse(input<string>(version, "secretString")) as { password: string }).password;

const REGION = "ap-northeast-2";
const DOMAIN = "scale-tiers-tier1m-logs";
const DOMAIN_ARN = `arn:aws:es:${REGION}:${MOCK_ACCOUNT_ID}:domain/${DOMAIN}`;
const SEARCH: OpenSearchConfig = {
    engineVersion: "OpenSearch_2.19",
    instanceType: "r7g.large.search",
    instanceCount: 3,
    volumeGiB: 100,
    masterInstanceType: "m7g.large.search",
};
/** The layout of three data nodes in three AZs: zone awareness, three masters, a standby AZ. */
const THREE_ZONES = {
    instanceType: "r7g.large.search",
    instanceCount: 3,
    zoneAwarenessEnabled: true,
    zoneAwarenessConfig: { availabilityZoneCount: 3 },
    dedicatedMasterEnabled: true,
    dedicatedMasterCount: 3,
    dedicatedMasterType: "m7g.large.search",
    multiAzWithStandbyEnabled: true,
};
const SG = {
    domain: "logs-search-sg-id",
    logstash: "logs-logstash-sg-id",
    nlb: "logs-nlb-sg-id",
    web: "network-web-sg-id",
};

describe("logging decisions", () => {
    it("names the domain from project and stack, and refuses a name OpenSearch would not take", () => {
        expect(opensearchDomainName("scale-tiers", "tier1m")).to.equal(DOMAIN);
        expect(() => opensearchDomainName("scale-tiers", "a-very-long-stack-name")).to.throw(/3-28 characters/);
        expect(() => opensearchDomainName("Scale", "x")).to.throw(/starting with a letter/);
        expect(logstashHostName("scale-tiers.internal")).to.equal("logstash.scale-tiers.internal");
    });

    it("runs Multi-AZ with Standby only where its rules allow it", () => {
        const fits = {
            engineVersion: "OpenSearch_2.19",
            instanceType: "r7g.xlarge.search",
            instanceCount: 3,
            zones: 3,
        };
        expect(multiAzWithStandbyProblem(fits)).to.equal(undefined);
        expect(multiAzWithStandbyProblem({ ...fits, instanceCount: 6 })).to.equal(undefined);
        expect(multiAzWithStandbyProblem({ ...fits, engineVersion: "OpenSearch_1.2" })).to.match(/older/);
        expect(multiAzWithStandbyProblem({ ...fits, engineVersion: "Elasticsearch_7.10" })).to.match(/older/);
        expect(multiAzWithStandbyProblem({ ...fits, zones: 2, instanceCount: 4 })).to.match(/2 AZs/);
        expect(multiAzWithStandbyProblem({ ...fits, instanceCount: 4 })).to.match(/multiple of 3/);
        expect(multiAzWithStandbyProblem({ ...fits, instanceType: "t3.medium.search" })).to.match(/burstable/);
    });

    it("spreads the data nodes over at most three AZs, with three dedicated masters", () => {
        expect(clusterConfig(SEARCH, 3)).to.deep.equal(THREE_ZONES);
        const twoZones = clusterConfig({ ...SEARCH, instanceCount: 4 }, 2);
        expect(twoZones).to.include({ zoneAwarenessEnabled: true, multiAzWithStandbyEnabled: false });
        expect(twoZones.zoneAwarenessConfig).to.deep.equal({ availabilityZoneCount: 2 });
        expect(clusterConfig(SEARCH, 4).zoneAwarenessConfig).to.deep.equal({ availabilityZoneCount: 3 });
    });

    it("keeps a full copy of every index in each AZ, and leaves queue headroom", () => {
        expect(logIndexSettings(3, 3)).to.deep.equal({ shards: 1, replicas: 2 });
        expect(logIndexSettings(6, 3)).to.deep.equal({ shards: 2, replicas: 2 });
        expect(logIndexSettings(4, 2)).to.deep.equal({ shards: 2, replicas: 1 });
        expect(queueMaxGigabytes(50)).to.equal(40);
    });

    it("lets OpenSearch write only this domain's log groups, and FGAC decide HTTP access", () => {
        const policy = parsePolicy(logPublishingPolicy(["arn:group-a", "arn:group-b"], MOCK_ACCOUNT_ID, DOMAIN_ARN));
        expect(policy.Statement).to.deep.equal([
            {
                Sid: "OpenSearchPublishesDomainLogs",
                Effect: "Allow",
                Principal: { Service: "es.amazonaws.com" },
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource: ["arn:group-a:*", "arn:group-b:*"],
                Condition: {
                    StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT_ID },
                    ArnLike: { "aws:SourceArn": DOMAIN_ARN },
                },
            },
        ]);
        expect(parsePolicy(domainAccessPolicy(DOMAIN_ARN)).Statement).to.deep.equal([
            { Effect: "Allow", Principal: { AWS: "*" }, Action: "es:ESHttp*", Resource: `${DOMAIN_ARN}/*` },
        ]);
    });
});

describe("tier1m: ELK (mocks)", () => {
    let recording: Recording;
    let domain: RecordedResource;
    before(async () => {
        recording = await recordStack("tier1m");
        domain = named(recording, "aws:opensearch/domain:Domain", "logs-domain");
    });

    const logging = () => recording.resources.filter((r) => r.component === "scale-tiers:observability:Logging");
    const masterPassword = () =>
        passwordOf(named(recording, "aws:secretsmanager/secretVersion:SecretVersion", "logs-master-secret-version"));

    it("runs a protected, encrypted OpenSearch domain in three private subnets", () => {
        expect(domain.protect).to.equal(true);
        expect(input(domain, "domainName")).to.equal(DOMAIN);
        expect(input(domain, "engineVersion")).to.equal("OpenSearch_2.19");
        expect(input(domain, "clusterConfig")).to.deep.equal({ ...THREE_ZONES, instanceType: "r7g.xlarge.search" });
        expect(input(domain, "vpcOptions")).to.deep.equal({
            subnetIds: ["subnet-private-0", "subnet-private-1", "subnet-private-2"],
            securityGroupIds: [SG.domain],
        });
        expect(input(domain, "ebsOptions")).to.deep.equal({ ebsEnabled: true, volumeType: "gp3", volumeSize: 500 });
        expect(input(domain, "encryptAtRest")).to.deep.equal({ enabled: true });
        expect(input(domain, "nodeToNodeEncryption")).to.deep.equal({ enabled: true });
        expect(input(domain, "domainEndpointOptions")).to.deep.equal({
            enforceHttps: true,
            tlsSecurityPolicy: DOMAIN_TLS_POLICY,
        });
        expect(input(domain, "autoTuneOptions")).to.deep.equal({
            desiredState: "ENABLED",
            rollbackOnDisable: "NO_ROLLBACK",
            useOffPeakWindow: true,
        });
        expect(input(domain, "offPeakWindowOptions")).to.deep.equal({ enabled: true });
        expect(JSON.parse(input<string>(domain, "accessPolicies"))).to.deep.equal(
            JSON.parse(domainAccessPolicy(DOMAIN_ARN)),
        );
    });

    it("controls access with an internal user database and the generated master password", () => {
        const security = input<Record<string, unknown>>(domain, "advancedSecurityOptions");
        expect(security).to.deep.equal({
            enabled: true,
            anonymousAuthEnabled: false,
            internalUserDatabaseEnabled: true,
            masterUserOptions: { masterUserName: "admin", masterUserPassword: masterPassword() },
        });
        expect(masterPassword()).to.match(/^mock-password-/);
        const secret = named(recording, "aws:secretsmanager/secret:Secret", "logs-master-secret");
        expect(input(secret, "recoveryWindowInDays")).to.equal(30);
        expect(recording.outputs.logsMasterSecretArn).to.match(/:secret:logs-master-secret-/);
    });

    it("keeps the passwords out of every input but their secrets' and the domain's, and out of the outputs", () => {
        const passwords = ofType(recording, "aws:secretsmanager/secretVersion:SecretVersion")
            .filter((v) => v.name.startsWith("logs-"))
            .map(passwordOf);
        expect(passwords).to.have.length(2);
        for (const resource of recording.resources) {
            const inputs = { ...resource.inputs };
            if (resource.type === "aws:secretsmanager/secretVersion:SecretVersion") {
                delete inputs.secretString;
            }
            if (resource === domain) {
                delete inputs.advancedSecurityOptions;
            }
            const strings = allStrings(inputs);
            for (const password of passwords) {
                expect(
                    strings.some((s) => s.includes(password)),
                    resource.name,
                ).to.equal(false);
            }
        }
        const outputs = allStrings(recording.outputs);
        passwords.forEach((password) => expect(outputs.some((s) => s.includes(password))).to.equal(false));
    });

    it("publishes the slow and error logs to its own log groups, which only OpenSearch may write", () => {
        const groups = ["index-slow", "search-slow", "application"].map((suffix) =>
            named(recording, "aws:cloudwatch/logGroup:LogGroup", `logs-${suffix}-logs`),
        );
        groups.forEach((group, index) => {
            const suffix = ["index-slow", "search-slow", "application"][index];
            expect(input(group, "name")).to.equal(`/aws/opensearch/${DOMAIN}/${suffix}`);
            expect(input(group, "retentionInDays")).to.equal(90);
        });
        const arn = (name: string) => `arn:aws:cloudwatch:${REGION}:${MOCK_ACCOUNT_ID}:${name}`;
        expect(input(domain, "logPublishingOptions")).to.deep.equal([
            { logType: "INDEX_SLOW_LOGS", cloudwatchLogGroupArn: arn("logs-index-slow-logs"), enabled: true },
            { logType: "SEARCH_SLOW_LOGS", cloudwatchLogGroupArn: arn("logs-search-slow-logs"), enabled: true },
            { logType: "ES_APPLICATION_LOGS", cloudwatchLogGroupArn: arn("logs-application-logs"), enabled: true },
        ]);
        const policy = named(recording, "aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "logs-log-publishing");
        expect(input(policy, "policyName")).to.equal(`${DOMAIN}-log-publishing`);
        expect(JSON.parse(input<string>(policy, "policyDocument"))).to.deep.equal(
            JSON.parse(
                logPublishingPolicy(
                    ["logs-index-slow-logs", "logs-search-slow-logs", "logs-application-logs"].map(arn),
                    MOCK_ACCOUNT_ID,
                    DOMAIN_ARN,
                ),
            ),
        );
        expect(domain.dependsOn).to.include(policy.urn);
    });

    it("opens 5044 from the web servers to the load balancer to Logstash, and 443 from Logstash and the VPC to the domain", () => {
        const rules = (type: string) =>
            ofType(recording, type)
                .filter((r) => r.component === "scale-tiers:observability:Logging")
                .map((r) => [
                    input<string>(r, "securityGroupId"),
                    input<number>(r, "fromPort"),
                    input<number>(r, "toPort"),
                    input<string>(r, "cidrIpv4") ?? input<string>(r, "referencedSecurityGroupId"),
                ])
                .sort((a, b) => a.join(" ").localeCompare(b.join(" ")));
        expect(rules("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")).to.deep.equal(
            [
                [SG.logstash, BEATS_PORT, BEATS_PORT, SG.nlb],
                [SG.nlb, BEATS_PORT, BEATS_PORT, SG.web],
                [SG.domain, 443, 443, "10.40.0.0/16"],
                [SG.domain, 443, 443, SG.logstash],
            ].sort((a, b) => a.join(" ").localeCompare(b.join(" "))),
        );
        expect(rules("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")).to.deep.equal(
            [
                [SG.logstash, 443, 443, "0.0.0.0/0"],
                [SG.logstash, 443, 443, SG.domain],
                [SG.nlb, BEATS_PORT, BEATS_PORT, SG.logstash],
                [SG.web, BEATS_PORT, BEATS_PORT, SG.nlb],
            ].sort((a, b) => a.join(" ").localeCompare(b.join(" "))),
        );
        for (const group of ["logs-search-sg", "logs-logstash-sg", "logs-nlb-sg"]) {
            expect(input(named(recording, "aws:ec2/securityGroup:SecurityGroup", group), "ingress")).to.equal(
                undefined,
            );
        }
    });

    it("launches Logstash on Graviton with IMDSv2, encrypted volumes and a queue volume", () => {
        const template = named(recording, "aws:ec2/launchTemplate:LaunchTemplate", "logs-logstash");
        expect(input(template, "imageId")).to.equal("ami-al2023-arm64");
        expect(input(template, "instanceType")).to.equal("c7g.large");
        expect(input(template, "metadataOptions")).to.include({ httpTokens: "required", httpPutResponseHopLimit: 1 });
        expect(input(template, "vpcSecurityGroupIds")).to.deep.equal([SG.logstash]);
        expect(input(template, "networkInterfaces")).to.equal(undefined);
        expect(input(template, "iamInstanceProfile")).to.deep.equal({
            arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/logs-logstash-profile`,
        });
        expect(input(template, "blockDeviceMappings")).to.deep.equal([
            {
                deviceName: "/dev/xvda",
                ebs: { volumeType: "gp3", volumeSize: 20, encrypted: "true", deleteOnTermination: "true" },
            },
            {
                deviceName: "/dev/sdf",
                ebs: { volumeType: "gp3", volumeSize: 50, encrypted: "true", deleteOnTermination: "true" },
            },
        ]);
        const tagged = input<{ resourceType: string; tags: Record<string, string> }[]>(template, "tagSpecifications");
        expect(tagged.map((t) => t.resourceType)).to.deep.equal(["instance", "volume", "network-interface"]);
        tagged.forEach((t) =>
            expect(t.tags).to.include({ stack: "tier1m", component: "observability", role: "logstash" }),
        );
    });

    it("keeps instanceCount Logstash servers over the private subnets, behind the load balancer", () => {
        const group = named(recording, "aws:autoscaling/group:Group", "logs-logstash");
        expect(input(group, "minSize")).to.equal(2);
        expect(input(group, "maxSize")).to.equal(2);
        expect(input(group, "desiredCapacity")).to.equal(2);
        expect(input(group, "vpcZoneIdentifiers")).to.deep.equal([
            "subnet-private-0",
            "subnet-private-1",
            "subnet-private-2",
        ]);
        expect(input(group, "healthCheckType")).to.equal("ELB");
        expect(input<{ id: string }>(group, "launchTemplate").id).to.equal("logs-logstash-id");
        const targetGroup = named(recording, "aws:lb/targetGroup:TargetGroup", "logs-logstash-tg");
        expect(input(group, "targetGroupArns")).to.deep.equal([
            `arn:aws:lb:${REGION}:${MOCK_ACCOUNT_ID}:logs-logstash-tg`,
        ]);
        expect(input(group, "instanceRefresh")).to.deep.include({ strategy: "Rolling" });
        expect(group.dependsOn).to.include.members([
            domain.urn,
            named(recording, "aws:secretsmanager/secretVersion:SecretVersion", "logs-master-secret-version").urn,
            named(recording, "aws:secretsmanager/secretVersion:SecretVersion", "logs-logstash-secret-version").urn,
        ]);

        expect(targetGroup.inputs).to.deep.include({
            protocol: "TCP",
            port: BEATS_PORT,
            targetType: "instance",
            preserveClientIp: "false",
        });
        expect(input(targetGroup, "healthCheck")).to.include({ protocol: "TCP", port: "traffic-port" });
        const nlb = named(recording, "aws:lb/loadBalancer:LoadBalancer", "logs-nlb");
        expect(nlb.inputs).to.deep.include({
            loadBalancerType: "network",
            internal: true,
            securityGroups: [SG.nlb],
            subnets: ["subnet-private-0", "subnet-private-1", "subnet-private-2"],
            enableCrossZoneLoadBalancing: true,
        });
        const listener = named(recording, "aws:lb/listener:Listener", "logs-beats");
        expect(listener.inputs).to.deep.include({
            loadBalancerArn: `arn:aws:lb:${REGION}:${MOCK_ACCOUNT_ID}:logs-nlb`,
            port: BEATS_PORT,
            protocol: "TLS",
            sslPolicy: TLS_POLICY,
            defaultActions: [
                { type: "forward", targetGroupArn: `arn:aws:lb:${REGION}:${MOCK_ACCOUNT_ID}:logs-logstash-tg` },
            ],
        });
        const alias = named(recording, "aws:route53/record:Record", "logs-logstash-dns");
        expect(alias.inputs).to.deep.include({ name: "logstash.scale-tiers.internal", type: "A" });
        expect(input(alias, "aliases")).to.deep.equal([
            {
                name: `internal-logs-nlb-1234567890.${REGION}.elb.amazonaws.com`,
                zoneId: "ZWKZPGTI48KDX",
                evaluateTargetHealth: true,
            },
        ]);
    });

    it("lets Logstash read its two secrets and find the domain, nothing more", () => {
        const policy = parsePolicy(
            input<string>(named(recording, "aws:iam/rolePolicy:RolePolicy", "logs-logstash-policy"), "policy"),
        );
        const secret = (name: string) => `arn:aws:secretsmanager:${REGION}:${MOCK_ACCOUNT_ID}:secret:${name}-AbCdEf`;
        expect(policy.Statement).to.deep.equal([
            {
                Sid: "ReadOwnSecrets",
                Effect: "Allow",
                Action: "secretsmanager:GetSecretValue",
                Resource: [secret("logs-master-secret"), secret("logs-logstash-secret")],
            },
            { Sid: "FindDomainEndpoint", Effect: "Allow", Action: "es:DescribeDomain", Resource: DOMAIN_ARN },
        ]);
    });

    it("boots Logstash with names and ARNs only: the pipeline, queue and index come from the script", () => {
        const template = named(recording, "aws:ec2/launchTemplate:LaunchTemplate", "logs-logstash");
        const script = bootScriptOf(recording, template);
        expect(script).to.include(`readonly DOMAIN_NAME='${DOMAIN}'`);
        expect(script).to.include("readonly QUEUE_DEVICE_NAME='/dev/sdf'");
        expect(script).to.include("readonly QUEUE_MAX_GB='40'");
        expect(script).to.include("readonly INDEX_REPLICAS='2'");
        expect(script).to.match(
            /readonly MASTER_SECRET_ARN='arn:aws:secretsmanager:[^']+:secret:logs-master-secret-AbCdEf'/,
        );
        expect(script).to.include("https://artifacts.elastic.co/packages/oss-8.x/yum");
        expect(script).to.include('dnf install -y --enablerepo="$elastic_repo" logstash-oss');
        expect(script).to.include("install logstash-output-opensearch");
        expect(script).to.include("queue.type: persisted");
        expect(script).to.include(`port => ${BEATS_PORT}`);
        expect(script).to.include('index => "logs-%{+YYYY.MM.dd}"');
        expect(script).to.include('hosts => ["https://${OPENSEARCH_HOST}:443"]');
        expect(findCredentials(script)).to.deep.equal([]);
        for (const version of ofType(recording, "aws:secretsmanager/secretVersion:SecretVersion")) {
            const password = passwordOf(version);
            expect(script).not.to.include(password);
        }
    });

    it("exposes where the domain and its secret are", () => {
        expect(recording.outputs).to.have.property("logsMasterSecretArn");
        expect(recording.outputs.logsDashboardsUrl).to.match(/^https:\/\//);
        const tagged = logging().filter((r) => r.inputs.tags !== undefined);
        expect(tagged.length).to.be.greaterThan(20);
        for (const resource of tagged) {
            const tags = resource.inputs.tags;
            const pairs = Array.isArray(tags)
                ? Object.fromEntries(tags.map((t: { key: string; value: string }) => [t.key, t.value]))
                : (tags as Record<string, string>);
            expect(pairs, resource.name).to.include({ stack: "tier1m", component: "observability" });
        }
    });
});

describe("tier150k: no ELK (mocks)", () => {
    it("creates nothing of the logging pipeline", async () => {
        const recording = await recordStack("tier150k");
        expect(recording.resources.filter((r) => r.component === "scale-tiers:observability:Logging")).to.deep.equal(
            [],
        );
        expect(ofType(recording, "aws:opensearch/domain:Domain")).to.deep.equal([]);
        expect(
            ofType(recording, "aws:ec2/launchTemplate:LaunchTemplate").filter((t) => t.name.startsWith("logs")),
        ).to.deep.equal([]);
        expect(Object.keys(recording.outputs).filter((key) => key.startsWith("logs"))).to.deep.equal([]);
    });
});

describe("the scripts", () => {
    /** A top-level function of a script, from its name to the closing brace in column 0. */
    function functionSource(source: string, name: string): string {
        return new RegExp(`^${name}\\(\\) \\{\\n[\\s\\S]*?\\n\\}\\n`, "m").exec(source)![0];
    }

    /**
     * Runs web.sh's log_shipper_sync with stand-ins for SSM, systemd and dnf; prints what they were asked.
     * `parameter`: the SSM parameter's value, or "absent" when there is none.
     */
    function shipperSync(parameter: string, filebeatEnabled: boolean) {
        const source = readScript("web");
        const fn = functionSource(source, "log_shipper_sync");
        const stubs = [
            parameter === "absent"
                ? "deploy_ssm_value() { return 3; }"
                : `deploy_ssm_value() { printf '%s' '${parameter}'; }`,
            `systemctl() { echo "systemctl $*"; [[ $1 != is-enabled ]] || ${filebeatEnabled ? "true" : "false"}; }`,
            'dnf() { echo "dnf $*"; }',
            'rpm() { echo "rpm $*"; return 1; }',
        ].join("\n");
        return spawnSync(
            "bash",
            ["-c", `set -euo pipefail\n${stubs}\n${fn}\nlog_shipper_sync ${REGION} /scale-tiers/tier1m/app`],
            {
                encoding: "utf8",
            },
        );
    }

    it("web.sh ships nothing and installs nothing while <prefix>/logstash-host is absent", () => {
        const run = shipperSync("absent", false);
        expect(run.status, run.stderr).to.equal(0);
        expect(run.stdout).to.equal("systemctl is-enabled --quiet filebeat\n");
    });

    it("web.sh stops Filebeat when the parameter goes away, and refuses a malformed host", () => {
        const stopped = shipperSync("absent", true);
        expect(stopped.status).to.equal(0);
        expect(stopped.stdout).to.include("systemctl disable --now filebeat");
        const bad = shipperSync("evil host; rm -rf /", false);
        expect(bad.status).to.equal(1);
        expect(bad.stdout).not.to.include("dnf");
    });

    /** log_shipper_sync with `logstash-host` and `logstash-ca` as given; `install` prints what it would write. */
    function tlsShipperSync(host: string, ca: string) {
        const fn = functionSource(readScript("web"), "log_shipper_sync");
        const stubs = [
            `deploy_ssm_value() { case $2 in */logstash-host) printf '%s' '${host}' ;; */logstash-ca) printf '%s' '${ca}' ;; *) return 3 ;; esac; }`,
            'systemctl() { echo "systemctl $*"; [[ $1 != is-* ]]; }',
            'dnf() { echo "dnf $*"; }',
            "rpm() { return 0; }",
            'install() { echo "install $* <<"; cat "${@: -2:1}"; echo ">>"; }',
        ].join("\n");
        return spawnSync(
            "bash",
            ["-c", `set -euo pipefail\n${stubs}\n${fn}\nlog_shipper_sync ${REGION} /scale-tiers/tier1m/app`],
            { encoding: "utf8" },
        );
    }

    it("web.sh ships over TLS, checking the endpoint against the CA from SSM, and refuses a CA that is not one", () => {
        const ca = "-----BEGIN CERTIFICATE-----\nMIIBmock\n-----END CERTIFICATE-----";
        const run = tlsShipperSync("logstash.scale-tiers.internal", ca);
        expect(run.status, run.stderr).to.equal(0);
        expect(run.stdout).to.contain('hosts: ["logstash.scale-tiers.internal:5044"]');
        expect(run.stdout).to.contain("ssl.enabled: true");
        expect(run.stdout).to.contain("ssl.verification_mode: full");
        expect(run.stdout).to.contain('ssl.certificate_authorities: ["/etc/filebeat/logstash-ca.pem"]');
        expect(run.stdout).to.match(
            /install -m 0644 -o root -g root \S+ \/etc\/filebeat\/logstash-ca.pem <<\n-----BEGIN CERTIFICATE-----\nMIIBmock\n/,
        );
        expect(run.stdout).to.contain("systemctl restart filebeat");
        const bad = tlsShipperSync("logstash.scale-tiers.internal", "not a certificate");
        expect(bad.status).to.equal(1);
        expect(bad.stderr).to.contain("logstash-ca is not a PEM certificate");
        expect(bad.stdout).not.to.contain("install");
    });

    it("logstash.sh provisions the logstash user with no password on any command line", () => {
        const source = readScript("logstash");
        const functions = ["write_master_auth", "opensearch_request", "opensearch_put", "provision_opensearch"]
            .map((name) => functionSource(source, name))
            .join("\n");
        const program = [
            "set -euo pipefail",
            "work_dir=$(mktemp -d); INDEX_SHARDS=1; INDEX_REPLICAS=2",
            // Every command line curl is given, and the bodies it would send.
            'curl() { printf \'%s\\n\' "$*" >>"${work_dir}/argv"; local a; for a in "$@"; do [[ $a != @* ]] || cat "${a#@}" >>"${work_dir}/bodies"; done; printf 200; }',
            'log() { :; }; retry() { shift; "$@"; }; die() { echo "$*" >&2; exit 1; }',
            functions,
            "write_master_auth admin 'Master-Pass-1!'",
            "provision_opensearch vpc-logs.example.es.amazonaws.com logstash 'Logstash-Pass-2?'",
            'cat "${work_dir}/argv"; echo ---; cat "${work_dir}/bodies"; ls "${work_dir}"',
        ].join("\n");
        const run = spawnSync("bash", ["-c", program], { encoding: "utf8" });
        expect(run.status, run.stderr).to.equal(0);
        const [argv, rest] = run.stdout.split("---\n");
        expect(argv).not.to.include("Pass-");
        expect(argv).to.include("-X PUT");
        expect(argv).to.include(
            "https://vpc-logs.example.es.amazonaws.com/_plugins/_security/api/internalusers/logstash",
        );
        expect(argv).to.include("https://vpc-logs.example.es.amazonaws.com/_index_template/logs");
        expect(rest).to.include('"password": "Logstash-Pass-2?"');
        expect(rest).not.to.include("Master-Pass");
        expect(rest).to.include('"index_patterns": [\n    "logs-*"');
        expect(rest).to.include('"number_of_replicas": 2');
        // The request files with passwords are gone once provisioning is done.
        expect(rest).not.to.match(/^(user\.json|master\.curl)$/m);
    });

    it("web.sh keeps the shipper on its own timer, pointed at <host>:5044", () => {
        const source = readScript("web");
        expect(source).to.include(
            "install_timer scale-tiers-log-shipper-sync 5min /usr/local/sbin/scale-tiers-log-shipper-sync",
        );
        expect(source).to.include('hosts: ["${host}:5044"]');
        expect(source).to.include("include_matches.match: [_SYSTEMD_UNIT=scale-tiers-app.service]");
    });
});
