/**
 * SQS: the pure helpers, tier1m's queues under mocks, RabbitMQ draining beside
 * them, and a stack that has only SQS.
 */
import { expect } from "chai";
import {
    DEAD_LETTER_RETENTION_SECONDS,
    LONG_POLL_SECONDS,
    queueNames,
    queueUrlList,
    redriveAllowPolicy,
    redrivePolicy,
    tlsOnlyQueuePolicy,
} from "../components/messaging";
import {
    byRole,
    configPatched,
    evaluate,
    input,
    named,
    ofType,
    parsePolicy,
    PROMOTED_TO_1M,
    promotedTo1m,
    Recording,
    recordStack,
    stackConfig,
    reached,
} from "./harness";

const QUEUE = "aws:sqs/queue:Queue";
const QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy";
const REDRIVE_ALLOW = "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy";
/** The ARN the mocks give a resource named `name`. */
const arnOf = (name: string) => `arn:aws:sqs:ap-northeast-2:123456789012:${name}`;

interface QueueConfig {
    name: string;
    visibilityTimeoutSeconds: number;
    retentionDays: number;
    maxReceiveCount: number;
}

function parameter(recording: Recording, key: string) {
    return ofType(recording, "aws:ssm/parameter:Parameter").find(
        (p) => input(p, "name") === `/scale-tiers/${recording.stack}/app/${key}`,
    );
}

describe("SQS helpers", () => {
    it("names a queue <project>-<stack>-<name> and its dead-letter queue ...-dlq", () => {
        expect(queueNames("scale-tiers", "tier1m", "jobs")).to.deep.equal({
            queue: "scale-tiers-tier1m-jobs",
            deadLetterQueue: "scale-tiers-tier1m-jobs-dlq",
        });
    });

    it("refuses names SQS would refuse: over 80 characters with -dlq, or other characters", () => {
        const longest = "q".repeat(80 - "scale-tiers-tier1m--dlq".length);
        expect(queueNames("scale-tiers", "tier1m", longest).deadLetterQueue).to.have.length(80);
        expect(() => queueNames("scale-tiers", "tier1m", `${longest}q`)).to.throw(/1 to 80 letters/);
        expect(() => queueNames("scale-tiers", "tier1m", "jobs.fifo")).to.throw(/letters, digits, - or _/);
        expect(() => queueNames("scale tiers", "tier1m", "jobs")).to.throw(/letters, digits, - or _/);
    });

    it("writes the redrive policy and a redrive allow policy for the one source queue", () => {
        expect(JSON.parse(redrivePolicy(arnOf("q-dlq"), 5))).to.deep.equal({
            deadLetterTargetArn: arnOf("q-dlq"),
            maxReceiveCount: 5,
        });
        expect(JSON.parse(redriveAllowPolicy(arnOf("q")))).to.deep.equal({
            redrivePermission: "byQueue",
            sourceQueueArns: [arnOf("q")],
        });
    });

    it("denies every action on the queue to requests without TLS, and allows nothing", () => {
        const policy = parsePolicy(tlsOnlyQueuePolicy(arnOf("q")));
        expect(policy.Version).to.equal("2012-10-17");
        expect(policy.Statement).to.have.length(1);
        const [statement] = policy.Statement;
        expect(statement).to.include({ Effect: "Deny", Principal: "*", Action: "sqs:*", Resource: arnOf("q") });
        expect(statement.Condition).to.deep.equal({ Bool: { "aws:SecureTransport": "false" } });
    });

    it("lists queue URLs as name=url, comma-separated, in order", () => {
        const url = (name: string) =>
            `https://sqs.ap-northeast-2.amazonaws.com/123456789012/scale-tiers-tier1m-${name}`;
        expect(
            queueUrlList([
                { name: "jobs", url: url("jobs") },
                { name: "notifications", url: url("notifications") },
            ]),
        ).to.equal(`jobs=${url("jobs")},notifications=${url("notifications")}`);
        expect(queueUrlList([])).to.equal("");
    });
});

describe("tier1m: SQS queues with dead-letter queues (mocks)", () => {
    const { queues } = JSON.parse(stackConfig("tier1m")["scale-tiers:sqs"]) as { queues: QueueConfig[] };
    let recording: Recording;
    before(async () => {
        recording = await recordStack("tier1m");
    });

    it("has the configured queues", () => {
        expect(queues.map((q) => q.name)).to.deep.equal(["jobs", "notifications"]);
        expect(ofType(recording, QUEUE).map((q) => q.name)).to.have.members(
            queues.flatMap((q) => [`mq-${q.name}`, `mq-${q.name}-dlq`]),
        );
    });

    for (const name of ["jobs", "notifications"]) {
        describe(`queue ${name}`, () => {
            let config: QueueConfig;
            before(() => {
                config = queues.find((q) => q.name === name)!;
            });

            it("is encrypted, long-polled, protected, and timed as configured", () => {
                const queue = named(recording, QUEUE, `mq-${name}`);
                expect(queue.inputs).to.deep.include({
                    name: `scale-tiers-tier1m-${name}`,
                    sqsManagedSseEnabled: true,
                    receiveWaitTimeSeconds: LONG_POLL_SECONDS,
                    visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
                    messageRetentionSeconds: config.retentionDays * 86400,
                });
                expect(LONG_POLL_SECONDS).to.equal(20);
                expect(queue.protect).to.equal(true);
                expect(input(queue, "tags")).to.include({ stack: "tier1m", component: "messaging" });
                expect(queue.parent).to.match(/scale-tiers:messaging:Messaging::mq$/);
                expect(queue.inputs.policy, "the policy is its own resource").to.equal(undefined);
            });

            it("moves a message to its dead-letter queue after maxReceiveCount receives", () => {
                const queue = named(recording, QUEUE, `mq-${name}`);
                expect(JSON.parse(input<string>(queue, "redrivePolicy"))).to.deep.equal({
                    deadLetterTargetArn: arnOf(`mq-${name}-dlq`),
                    maxReceiveCount: config.maxReceiveCount,
                });
            });

            it("keeps dead letters 14 days, for this queue only, encrypted and protected", () => {
                const dlq = named(recording, QUEUE, `mq-${name}-dlq`);
                expect(dlq.inputs).to.deep.include({
                    name: `scale-tiers-tier1m-${name}-dlq`,
                    sqsManagedSseEnabled: true,
                    receiveWaitTimeSeconds: LONG_POLL_SECONDS,
                    messageRetentionSeconds: 14 * 86400,
                });
                expect(DEAD_LETTER_RETENTION_SECONDS).to.equal(1209600);
                expect(dlq.inputs.redrivePolicy).to.equal(undefined);
                expect(dlq.protect).to.equal(true);
                const allow = named(recording, REDRIVE_ALLOW, `mq-${name}-dlq-redrive-allow`);
                expect(input(allow, "queueUrl")).to.equal(`mq-${name}-dlq-id`);
                expect(JSON.parse(input<string>(allow, "redriveAllowPolicy"))).to.deep.equal({
                    redrivePermission: "byQueue",
                    sourceQueueArns: [arnOf(`mq-${name}`)],
                });
            });

            it("refuses requests without TLS on the queue and on its dead-letter queue", () => {
                for (const target of [`mq-${name}`, `mq-${name}-dlq`]) {
                    const policy = named(recording, QUEUE_POLICY, `${target}-policy`);
                    expect(input(policy, "queueUrl")).to.equal(`${target}-id`);
                    expect(JSON.parse(input<string>(policy, "policy"))).to.deep.equal(
                        JSON.parse(tlsOnlyQueuePolicy(arnOf(target))),
                    );
                }
            });
        });
    }

    it("has no RabbitMQ of its own: a 1M estate built from nothing never had one", () => {
        expect(byRole(recording, "rabbitmq")).to.deep.equal([]);
        expect(parameter(recording, "amqp-host")).to.equal(undefined);
    });

    it("keeps the RabbitMQ of an estate promoted from tier150k running while it drains, its host published", async () => {
        const recording = await evaluate("tier1m", reached(promotedTo1m()));
        expect(byRole(recording, "rabbitmq").map((n) => n.name)).to.deep.equal(["mq-0", "mq-1", "mq-2"]);
        [0, 1, 2].forEach((index) =>
            expect(named(recording, "aws:ebs/volume:Volume", `mq-${index}-data`).protect).to.equal(true),
        );
        expect(input(parameter(recording, "amqp-host")!, "value")).to.equal("rabbitmq.scale-tiers.internal");
        const names = recording.resources.map((r) => r.name);
        expect(names).to.include.members(["monitoring-queue-depth", "monitoring-rabbitmq-node-down"]);
    });
});

describe("SQS elsewhere (mocks)", () => {
    it("tier150k has RabbitMQ and no SQS queue", async () => {
        const recording = await recordStack("tier150k");
        expect(ofType(recording, QUEUE)).to.deep.equal([]);
        expect(byRole(recording, "rabbitmq")).to.have.length(3);
    });

    it("with RabbitMQ gone, keeps the queues and their names, and leaves nothing of the broker", async () => {
        const recording = await evaluate(
            "tier1m",
            reached(configPatched(PROMOTED_TO_1M, "scale-tiers:rabbitmq", { enabled: false, draining: false })),
        );
        const full = await evaluate("tier1m", reached(promotedTo1m()));
        const urns = (r: Recording) => ofType(r, QUEUE).map((q) => q.urn);
        expect(urns(recording)).to.have.members(urns(full));
        expect(recording.resources.filter((r) => /^mq-(sg|role|cookie|admin|dns|\d+)/.test(r.name))).to.deep.equal([]);
        expect(parameter(recording, "amqp-host")).to.equal(undefined);
        const names = recording.resources.map((r) => r.name);
        for (const gone of ["monitoring-rabbitmq-logs", "monitoring-queue-depth", "monitoring-rabbitmq-node-down"]) {
            expect(names).not.to.include(gone);
        }
        expect(recording.outputs.brokerDnsName).to.equal(undefined);
    });
});
