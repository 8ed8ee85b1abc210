/**
 * The web tier as an Auto Scaling group: the pure decisions (refresh band,
 * request-count label, target tracking, tags, root device, role policy, app
 * parameters), tier1m's real recording, and tier150k switched from fixed
 * instances to a group, compared with its plain recording.
 */
import { expect } from "chai";
import {
    GROUP_METRICS,
    QUEUE_ACTIONS,
    TERMINATION_POLICIES,
    WebAutoScaling,
    appParameterValues,
    instanceRefreshPreferences,
    refreshMaxHealthyPercent,
    requestCountResourceLabel,
    targetTracking,
    webPolicy,
    webServerTags,
} from "../components/compute";
import { DEPLOY_GROUP_TAG } from "../domain/delivery";
import {
    AL2023_ROOT_DEVICE,
    METADATA_OPTIONS,
    autoScalingGroupTags,
    launchTemplateVolume,
    rootVolume,
} from "../components/shared/ec2";
import { agentParameterName } from "../components/shared/telemetry";
import { bootScriptKey, instanceScript, loaderLocation } from "../components/userdata/render";
import {
    RecordedResource,
    Recording,
    byRole,
    configPatched,
    evaluate,
    input,
    named,
    ofType,
    parsePolicy,
    recordStack,
    bootScriptOf,
} from "./harness";

const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
const GROUP = "aws:autoscaling/group:Group";
const POLICY = "aws:autoscaling/policy:Policy";
const PRIVATE_SUBNETS = ["subnet-private-0", "subnet-private-1", "subnet-private-2"];
/** The web target group's and load balancer's identities as the mocks give them. */
const TARGET_GROUP_ARN = "arn:aws:lb:ap-northeast-2:123456789012:web-tg";
const REQUEST_LABEL = "app/web-alb/0123456789abcdef/targetgroup/web-tg/0123456789abcdef";

const SCALING: WebAutoScaling = {
    minSize: 6,
    maxSize: 24,
    targetCpuPercent: 50,
    targetRequestsPerMinute: 60000,
    healthCheckGraceSeconds: 300,
    instanceWarmupSeconds: 180,
    minHealthyPercent: 90,
};

type GroupTag = { key: string; value: string; propagateAtLaunch: boolean };
type TagSpecification = { resourceType: string; tags: Record<string, string> };

function tagSpecification(template: RecordedResource, resourceType: string): Record<string, string> {
    const found = input<TagSpecification[]>(template, "tagSpecifications").find((s) => s.resourceType === resourceType);
    if (!found) {
        throw new Error(`${template.name} does not tag ${resourceType}s`);
    }
    return found.tags;
}

/** The app parameters the web component writes for `stack`. */
function appParameters(recording: Recording): RecordedResource[] {
    return ofType(recording, "aws:ssm/parameter:Parameter").filter((p) =>
        input<string>(p, "name").startsWith(`/scale-tiers/${recording.stack}/app/`),
    );
}

/** Everything the web component owns apart from its servers: load balancer, listeners, rules, parameters, role. */
function webFrontEnd(recording: Recording): RecordedResource[] {
    const servers = new Set([
        "aws:ec2/instance:Instance",
        "aws:lb/targetGroupAttachment:TargetGroupAttachment",
        LAUNCH_TEMPLATE,
        GROUP,
        POLICY,
    ]);
    return recording.resources.filter(
        (r) => r.component === "scale-tiers:compute:WebTier" && r.custom && !servers.has(r.type),
    );
}

describe("web Auto Scaling decisions (pure)", () => {
    it("lets a refresh go as far above the desired capacity as below it, within AWS's limits", () => {
        expect(refreshMaxHealthyPercent(90)).to.equal(110);
        expect(refreshMaxHealthyPercent(50)).to.equal(150);
        expect(refreshMaxHealthyPercent(0)).to.equal(100);
        // 100/100 could never replace a server: the refresh launches first instead.
        expect(refreshMaxHealthyPercent(100)).to.equal(110);
        for (let min = 0; min <= 100; min++) {
            const max = refreshMaxHealthyPercent(min);
            expect(max, `min ${min}`).to.be.within(100, 200);
            expect(max - min, `min ${min}`).to.be.within(1, 100);
        }
    });

    it("refreshes rolling, skipping servers already on the template, without the provider's broken auto rollback", () => {
        expect(instanceRefreshPreferences(90, 180)).to.deep.equal({
            minHealthyPercentage: 90,
            maxHealthyPercentage: 110,
            instanceWarmup: "180",
            skipMatching: true,
            autoRollback: false,
        });
    });

    it("labels the request-count metric with the load balancer and target group ARN suffixes", () => {
        expect(
            requestCountResourceLabel("app/web-alb/778d41231b141a0f", "targetgroup/web-tg/943f017f100becff"),
        ).to.equal("app/web-alb/778d41231b141a0f/targetgroup/web-tg/943f017f100becff");
        expect(() => requestCountResourceLabel("targetgroup/web-tg/1", "app/web-alb/2")).to.throw(/load balancer/);
        expect(() => requestCountResourceLabel("net/nlb/1", "targetgroup/web-tg/2")).to.throw(/load balancer/);
        expect(() => requestCountResourceLabel("app/web-alb/1", "arn:aws:elasticloadbalancing:x")).to.throw(
            /target group/,
        );
    });

    it("tracks average CPU and requests per server per minute, each at its configured target", () => {
        expect(targetTracking(SCALING, "label")).to.deep.equal({
            cpu: {
                predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
                targetValue: 50,
            },
            requests: {
                predefinedMetricSpecification: {
                    predefinedMetricType: "ALBRequestCountPerTarget",
                    resourceLabel: "label",
                },
                targetValue: 60000,
            },
        });
    });

    it("tags the group itself without propagating, so the launch template's tags reach the servers unchanged", () => {
        expect(autoScalingGroupTags({ project: "scale-tiers", Name: "web-asg" })).to.deep.equal([
            { key: "project", value: "scale-tiers", propagateAtLaunch: false },
            { key: "Name", value: "web-asg", propagateAtLaunch: false },
        ]);
    });

    it("gives the launch template the shared encrypted gp3 root volume on the AL2023 root device", () => {
        const shared = rootVolume(30);
        expect(launchTemplateVolume(AL2023_ROOT_DEVICE, 30)).to.deep.equal({
            deviceName: "/dev/xvda",
            ebs: { volumeType: "gp3", volumeSize: 30, encrypted: "true", deleteOnTermination: "true" },
        });
        expect(shared).to.include({ volumeType: "gp3", encrypted: true, deleteOnTermination: true });
        expect(AL2023_ROOT_DEVICE).to.equal("/dev/xvda");
    });

    it("tags a web server with its name, its role and the deploy group that deploys select", () => {
        expect(webServerTags("web-asg", "tier1m-web")).to.deep.equal({
            Name: "web-asg",
            role: "web",
            [DEPLOY_GROUP_TAG]: "tier1m-web",
        });
    });

    describe("the web role with queues", () => {
        const base = {
            region: "ap-northeast-2",
            accountId: "123456789012",
            appParameterPath: "/scale-tiers/tier1m/app",
            databaseSecretArn: "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:db-app-AbCdEf",
        };
        const queueArns = [
            "arn:aws:sqs:ap-northeast-2:123456789012:scale-tiers-tier1m-jobs",
            "arn:aws:sqs:ap-northeast-2:123456789012:scale-tiers-tier1m-notifications",
        ];

        it("may send, receive and delete messages on exactly those queues, and nothing else of SQS", () => {
            const statements = parsePolicy(webPolicy({ ...base, queueArns })).Statement;
            expect(statements).to.deep.equal([
                {
                    Sid: "ReadDatabaseSecret",
                    Effect: "Allow",
                    Action: "secretsmanager:GetSecretValue",
                    Resource: base.databaseSecretArn,
                },
                {
                    Sid: "ReadAppParameters",
                    Effect: "Allow",
                    Action: ["ssm:GetParameter", "ssm:GetParameters"],
                    Resource: "arn:aws:ssm:ap-northeast-2:123456789012:parameter/scale-tiers/tier1m/app/*",
                },
                {
                    Sid: "UseQueues",
                    Effect: "Allow",
                    Action: ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"],
                    Resource: queueArns,
                },
            ]);
            expect(QUEUE_ACTIONS).to.deep.equal(["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"]);
        });

        it("has no SQS statement without queues (so existing stacks' policies do not change)", () => {
            expect(webPolicy({ ...base, queueArns: [] })).to.equal(webPolicy(base));
            expect(webPolicy(base)).not.to.contain("sqs:");
        });
    });

    describe("the app parameters", () => {
        const required = { databaseHost: "db.scale-tiers.internal", databaseSecretArn: "arn:secret" };

        it("publishes the queue URLs, cache TLS and the Logstash host when the stack has them", () => {
            expect(
                appParameterValues({
                    ...required,
                    queues: {
                        arns: ["arn:aws:sqs:ap-northeast-2:123456789012:q"],
                        urls: "jobs=https://sqs.ap-northeast-2.amazonaws.com/123456789012/q",
                    },
                    cacheTls: true,
                    logstashHost: "logstash.scale-tiers.internal",
                }),
            ).to.deep.equal({
                "db-host": "db.scale-tiers.internal",
                "db-secret-arn": "arn:secret",
                "queue-urls": "jobs=https://sqs.ap-northeast-2.amazonaws.com/123456789012/q",
                "cache-tls": "true",
                "logstash-host": "logstash.scale-tiers.internal",
            });
        });

        it("publishes none of them otherwise, nor cache-tls for a plain cache", () => {
            expect(appParameterValues(required)).to.deep.equal({
                "db-host": "db.scale-tiers.internal",
                "db-secret-arn": "arn:secret",
            });
            expect(appParameterValues({ ...required, cacheTls: false })).not.to.have.property("cache-tls");
        });
    });
});

describe("tier1m web tier: an Auto Scaling group (mocks)", () => {
    let recording: Recording;
    let template: RecordedResource;
    let group: RecordedResource;
    before(async () => {
        recording = await recordStack("tier1m");
        template = named(recording, LAUNCH_TEMPLATE, "web-launch-template");
        group = named(recording, GROUP, "web-asg");
    });

    it("runs no fixed web servers and attaches no instance to the target group by hand", () => {
        expect(byRole(recording, "web")).to.deep.equal([]);
        expect(
            ofType(recording, "aws:lb/targetGroupAttachment:TargetGroupAttachment").filter((a) =>
                a.name.startsWith("web-"),
            ),
        ).to.deep.equal([]);
    });

    it("launches hardened servers: IMDSv2 with hop limit 1, encrypted gp3 root, no public IP, no key, the web role", () => {
        expect(input(template, "metadataOptions")).to.deep.equal({ ...METADATA_OPTIONS });
        expect(input(template, "metadataOptions")).to.include({
            httpEndpoint: "enabled",
            httpTokens: "required",
            httpPutResponseHopLimit: 1,
        });
        expect(input(template, "blockDeviceMappings")).to.deep.equal([
            {
                deviceName: "/dev/xvda",
                ebs: { volumeType: "gp3", volumeSize: 20, encrypted: "true", deleteOnTermination: "true" },
            },
        ]);
        expect(input(template, "networkInterfaces")).to.deep.equal([
            {
                deviceIndex: 0,
                associatePublicIpAddress: "false",
                deleteOnTermination: "true",
                securityGroups: ["network-web-sg-id"],
            },
        ]);
        expect(template.inputs.keyName).to.equal(undefined);
        expect(template.inputs.vpcSecurityGroupIds).to.equal(undefined);
        const profile = named(recording, "aws:iam/instanceProfile:InstanceProfile", "web-profile");
        expect(input(template, "iamInstanceProfile")).to.deep.equal({
            arn: `arn:aws:iam::123456789012:role/${profile.name}`,
        });
        expect(input(profile, "role")).to.equal("web-role-mock");
        expect(template.inputs).to.include({
            imageId: "ami-al2023-x86_64",
            instanceType: "c7i.xlarge",
            updateDefaultVersion: true,
        });
        expect(input(template, "monitoring")).to.deep.equal({ enabled: true });
    });

    it("tags the servers like fixed ones, with the deploy group Jenkins deploys to, and their volumes", () => {
        const base = { project: "scale-tiers", stack: "tier1m", "managed-by": "pulumi", component: "compute" };
        expect(tagSpecification(template, "instance")).to.deep.equal({
            ...base,
            Name: "web-asg",
            role: "web",
            [DEPLOY_GROUP_TAG]: "tier1m-web",
        });
        expect(tagSpecification(template, "volume")).to.deep.equal({ ...base, Name: "web-asg", role: "web" });
        expect(input(template, "tags")).to.deep.equal(base);
    });

    it("boots the web script with the stack's values, which installs the release recorded in app-version", () => {
        const expected = instanceScript("web", {
            AWS_REGION_NAME: "ap-northeast-2",
            APP_PARAMETER_PATH: "/scale-tiers/tier1m/app",
            HEALTH_CHECK_PATH: "/healthz",
            APP_PORT: 80,
            CLOUDWATCH_AGENT_PARAMETER: agentParameterName("scale-tiers", "tier1m", "web"),
        });
        const script = bootScriptOf(recording, template);
        expect(script).to.equal(expected);
        expect(loaderLocation(input<string>(template, "userData")).key).to.equal(bootScriptKey("web", expected));
        expect(script).to.contain('local -r name="${APP_PARAMETER_PATH}/app-version"');
        expect(script).to.match(/\n {2}deploy_recorded_release\n/);
    });

    it("creates each template version after the boot script it names and the role's grant to read it", () => {
        const object = named(recording, "aws:s3/bucketObjectv2:BucketObjectv2", "web-boot-script");
        const grant = named(recording, "aws:iam/rolePolicy:RolePolicy", "web-boot-scripts");
        expect(template.dependsOn).to.include.members([object.urn, grant.urn]);
        expect(object.retainOnDelete, "a scale-out hours later still finds it").to.equal(true);
    });

    it("spreads the group over every private subnet behind the web target group, checked by the load balancer", () => {
        expect(input(group, "vpcZoneIdentifiers")).to.deep.equal(PRIVATE_SUBNETS);
        expect(input(group, "availabilityZoneDistribution")).to.deep.equal({
            capacityDistributionStrategy: "balanced-best-effort",
        });
        expect(input(group, "targetGroupArns")).to.deep.equal([TARGET_GROUP_ARN]);
        expect(group.inputs).to.include({
            healthCheckType: "ELB",
            healthCheckGracePeriod: 300,
            defaultInstanceWarmup: 180,
            minSize: 6,
            maxSize: 24,
            minElbCapacity: 6,
            waitForCapacityTimeout: "20m",
        });
    });

    it("leaves the desired capacity to the scaling policies, and never resets it", () => {
        expect(group.inputs.desiredCapacity).to.equal(undefined);
        expect(group.ignoreChanges).to.deep.equal(["desiredCapacity"]);
    });

    it("launches from a numbered version of its launch template, so template changes start a refresh", () => {
        const spec = input<{ id: string; version: string }>(group, "launchTemplate");
        expect(spec.id).to.equal("web-launch-template-id");
        // $Latest and $Default would neither start a refresh nor allow rolling back.
        expect(spec.version).to.equal("1");
    });

    it("refreshes rolling with the configured health floor and warm-up", () => {
        expect(input(group, "instanceRefresh")).to.deep.equal({
            strategy: "Rolling",
            preferences: {
                minHealthyPercentage: 90,
                maxHealthyPercentage: 110,
                instanceWarmup: "180",
                skipMatching: true,
                autoRollback: false,
            },
        });
    });

    it("collects the group metrics every minute, scales in old templates first, and tags itself", () => {
        expect(input(group, "enabledMetrics")).to.deep.equal([...GROUP_METRICS]);
        expect(input(group, "metricsGranularity")).to.equal("1Minute");
        expect(input(group, "terminationPolicies")).to.deep.equal(TERMINATION_POLICIES);
        const tags = input<GroupTag[]>(group, "tags");
        expect(Object.fromEntries(tags.map((t) => [t.key, t.value]))).to.deep.equal({
            project: "scale-tiers",
            stack: "tier1m",
            "managed-by": "pulumi",
            component: "compute",
            Name: "web-asg",
        });
        expect(tags.every((t) => t.propagateAtLaunch === false)).to.equal(true);
    });

    it("creates the group only after the app parameters its servers read at boot", () => {
        const parameters = appParameters(recording).filter((p) => p.parent === group.parent);
        expect(parameters.map((p) => input(p, "name"))).to.include.members([
            "/scale-tiers/tier1m/app/db-host",
            "/scale-tiers/tier1m/app/db-secret-arn",
        ]);
        expect(group.dependsOn).to.have.members(parameters.map((p) => p.urn));
        expect(group.dependsOn).to.have.length(parameters.length);
    });

    it("tracks CPU at 50% and 60000 requests per server per minute on the web target group", () => {
        const policies = ofType(recording, POLICY).filter((p) => p.name.startsWith("web-"));
        expect(policies.map((p) => p.name)).to.have.members(["web-cpu-target", "web-requests-target"]);
        for (const policy of policies) {
            expect(input(policy, "autoscalingGroupName")).to.equal("web-asg-mock");
            expect(input(policy, "policyType")).to.equal("TargetTrackingScaling");
            expect(policy.parent).to.equal(group.parent);
        }
        expect(input(named(recording, POLICY, "web-cpu-target"), "targetTrackingConfiguration")).to.deep.equal({
            predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
            targetValue: 50,
        });
        expect(input(named(recording, POLICY, "web-requests-target"), "targetTrackingConfiguration")).to.deep.equal({
            predefinedMetricSpecification: {
                predefinedMetricType: "ALBRequestCountPerTarget",
                resourceLabel: REQUEST_LABEL,
            },
            targetValue: 60000,
        });
    });
});

describe("tier150k moved from fixed web servers to an Auto Scaling group (mocks)", () => {
    let fixed: Recording;
    let moved: Recording;
    before(async () => {
        fixed = await recordStack("tier150k");
        const patched = configPatched("tier150k", "scale-tiers:web", { autoScaling: { enabled: true, minSize: 3 } });
        // The config refuses instanceCount next to an enabled group.
        const web = JSON.parse(patched["scale-tiers:web"]) as Record<string, unknown>;
        delete web.instanceCount;
        moved = await evaluate("tier150k", { config: { ...patched, "scale-tiers:web": JSON.stringify(web) } });
    });

    it("replaces the four fixed servers and their attachments by the group", () => {
        expect(byRole(fixed, "web")).to.have.length(4);
        expect(byRole(moved, "web")).to.deep.equal([]);
        expect(
            ofType(moved, "aws:lb/targetGroupAttachment:TargetGroupAttachment").filter((a) =>
                a.name.startsWith("web-"),
            ),
        ).to.deep.equal([]);
        const group = named(moved, GROUP, "web-asg");
        expect(group.inputs).to.include({ minSize: 3, maxSize: 10, minElbCapacity: 3, healthCheckGracePeriod: 300 });
        expect(input(group, "vpcZoneIdentifiers")).to.deep.equal(PRIVATE_SUBNETS);
        expect(input(group, "targetGroupArns")).to.deep.equal([TARGET_GROUP_ARN]);
        expect(input(named(moved, POLICY, "web-requests-target"), "targetTrackingConfiguration")).to.deep.include({
            targetValue: 6000,
        });
    });

    it("keeps the load balancer, target group, listeners, rules, parameters and role: same URNs, same inputs", () => {
        const before = webFrontEnd(fixed);
        const after = webFrontEnd(moved);
        expect(before.map((r) => r.type)).to.include.members([
            "aws:lb/loadBalancer:LoadBalancer",
            "aws:lb/targetGroup:TargetGroup",
            "aws:lb/listener:Listener",
            "aws:ssm/parameter:Parameter",
            "aws:iam/rolePolicy:RolePolicy",
            "aws:iam/instanceProfile:InstanceProfile",
        ]);
        expect(after.map((r) => r.urn)).to.deep.equal(before.map((r) => r.urn));
        after.forEach((resource, index) => {
            expect(resource.inputs, resource.urn).to.deep.equal(before[index].inputs);
            expect(resource.protect, resource.urn).to.equal(before[index].protect);
        });
    });

    it("boots the group's servers with exactly the fixed servers' user data, profile and tags (but Name)", () => {
        const template = named(moved, LAUNCH_TEMPLATE, "web-launch-template");
        const [server] = byRole(fixed, "web");
        expect(input(template, "userData")).to.equal(input(server, "userDataBase64"));
        expect(bootScriptOf(fixed, server)).to.contain("readonly APP_PARAMETER_PATH='/scale-tiers/tier150k/app'");
        expect(input(server, "iamInstanceProfile")).to.equal("web-profile-mock");
        expect(input(template, "iamInstanceProfile")).to.deep.equal({
            arn: "arn:aws:iam::123456789012:role/web-profile",
        });
        expect(input(template, "imageId")).to.equal(input(server, "ami"));
        expect(input(template, "instanceType")).to.equal(input(server, "instanceType"));
        const serverTags = input<Record<string, string>>(server, "tags");
        expect(tagSpecification(template, "instance")).to.deep.equal({ ...serverTags, Name: "web-asg" });
        expect(serverTags[DEPLOY_GROUP_TAG]).to.equal("tier150k-web");
    });

    it("creates the group and its template after what the fixed servers waited for: parameters, boot script", () => {
        const [server] = byRole(fixed, "web");
        const group = named(moved, GROUP, "web-asg");
        const template = named(moved, LAUNCH_TEMPLATE, "web-launch-template");
        expect([...group.dependsOn, ...template.dependsOn]).to.have.members([...server.dependsOn]);
    });
});
