/**
 * messaging: a RabbitMQ cluster on EC2 (tier150k), Amazon SQS queues (tier1m),
 * or both while RabbitMQ drains.
 *
 * RabbitMQ nodes have stable DNS names (`rabbitmq-<i>.<zone>`), so a replaced
 * instance rejoins under the same Erlang node name with its data volume; the
 * cluster forms by classic-config peer discovery over those names, and quorum
 * queues are the default.
 *
 * Each SQS queue has a dead-letter queue; both are encrypted (SSE-SQS),
 * reachable over TLS only, and protected. The web servers find them in the
 * `queue-urls` SSM parameter (`name=url,...`).
 *
 * Moving from RabbitMQ to SQS (`rabbitmq.draining: true` with `sqs.enabled`):
 * producers publish to SQS only, while the RabbitMQ cluster keeps running and
 * `amqp-host` stays published, so consumers empty the queues that are still
 * there. Once they are empty, `rabbitmq.retired: true` (with `enabled: false`)
 * removes the nodes and keeps their data volumes, protected and retained, each
 * with a final snapshot: the program never deletes them.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BootScriptBucket } from "./shared/boot";
import { instanceRole, putMetricsStatement, readSecretsPolicy } from "./shared/ec2";
import {
    allowClients,
    allowHttpsOut,
    allowPeers,
    createSecurityGroup,
    ingressRule,
    vpcAndAdminPeers,
} from "./shared/rules";
import { privateCertificate } from "./shared/private-ca";
import { generatedSecret } from "./shared/secrets";
import { rabbitmqNodeAzIndex } from "../domain/placement";
import { DATA_DEVICE_NAME, retiredServer, snapshotPolicy, statefulServer } from "./shared/server";
import { METRIC_NAMESPACES } from "./shared/telemetry";
import { instanceScript } from "./userdata/render";

export const AMQP_PORT = 5672;
export const AMQPS_PORT = 5671;
export const MANAGEMENT_PORT = 15672;
/** Erlang port mapper, inter-node distribution, and the CLI tools' range. */
export const CLUSTER_PORTS = [{ from: 4369 }, { from: 25672 }, { from: 35672, to: 35682 }] as const;

/** Stable DNS name of node `index`. */
export function nodeHostName(index: number, zoneName: string): string {
    return `rabbitmq-${index}.${zoneName}`;
}

/** Erlang node names of all nodes, as the classic-config peer discovery lists them. */
export function clusterNodeNames(nodeCount: number, zoneName: string): string[] {
    return Array.from({ length: nodeCount }, (_, index) => `rabbit@${nodeHostName(index, zoneName)}`);
}

/** The name clients connect to: every node's address. */
export function brokerHostName(zoneName: string): string {
    return `rabbitmq.${zoneName}`;
}

const DAY_SECONDS = 24 * 60 * 60;
/** The longest receive wait SQS allows: consumers poll far less, and pay for fewer empty receives. */
export const LONG_POLL_SECONDS = 20;
/**
 * The longest retention SQS allows. A message's age counts from when it was
 * first sent, so the dead-letter queue must keep it longer than its queue did.
 */
export const DEAD_LETTER_RETENTION_SECONDS = 14 * DAY_SECONDS;
const MAX_QUEUE_NAME = 80;

/** A queue's name and its dead-letter queue's: `<project>-<stack>-<name>` and `...-dlq`. */
export function queueNames(project: string, stack: string, name: string): { queue: string; deadLetterQueue: string } {
    const queue = `${project}-${stack}-${name}`;
    const deadLetterQueue = `${queue}-dlq`;
    if (!/^[A-Za-z0-9_-]+$/.test(queue) || deadLetterQueue.length > MAX_QUEUE_NAME) {
        throw new Error(
            `SQS queue name ${deadLetterQueue} is not 1 to ${MAX_QUEUE_NAME} letters, digits, - or _ (SQS's rule)`,
        );
    }
    return { queue, deadLetterQueue };
}

/** The queue's redrive policy: after `maxReceiveCount` receives, a message moves to the dead-letter queue. */
export function redrivePolicy(deadLetterQueueArn: string, maxReceiveCount: number): string {
    return JSON.stringify({ deadLetterTargetArn: deadLetterQueueArn, maxReceiveCount });
}

/** The dead-letter queue's redrive allow policy: only its own queue may use it. */
export function redriveAllowPolicy(sourceQueueArn: string): string {
    return JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [sourceQueueArn] });
}

/** A queue policy that refuses every request not made over TLS; access itself is granted by IAM. */
export function tlsOnlyQueuePolicy(queueArn: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "sqs:*",
                Resource: queueArn,
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    });
}

/** `name=url,name=url`, as the web servers read it from the `queue-urls` parameter. */
export function queueUrlList(queues: readonly { name: string; url: string }[]): string {
    return queues.map((queue) => `${queue.name}=${queue.url}`).join(",");
}

/** A RabbitMQ cluster on EC2. */
export interface RabbitmqArgs {
    /** 1, or 3 or more. */
    nodeCount: number;
    instanceType: string;
    /** Data volume per node, GiB (gp3, encrypted). */
    dataVolumeGiB: number;
    /** CIDR blocks allowed to the management UI besides the VPC. */
    managementCidrs: readonly string[];
    /** AMQP over TLS on 5671 only. */
    tls: boolean;
    zoneId: pulumi.Input<string>;
    zoneName: string;
    /** Value of the snapshot tag on the nodes' volumes. */
    snapshotSelector: string;
    stackName: string;
    cloudWatchAgentParameter: string;
    /** Where the nodes' boot scripts are published. */
    bootScripts: BootScriptBucket;
}

/** One SQS queue; it gets a dead-letter queue. */
export interface QueueArgs {
    /** Short name (letters, digits, `-`, `_`); the queue is `<project>-<stack>-<name>`. */
    name: string;
    /** Seconds a received message stays hidden from other consumers. */
    visibilityTimeoutSeconds: number;
    /** Days a message is kept, 1 to 14. */
    retentionDays: number;
    /** Receives before a message moves to the dead-letter queue. */
    maxReceiveCount: number;
}

/** SQS queues, named from the project and stack so that stacks sharing an account never collide. */
export interface SqsArgs {
    project: string;
    stack: string;
    queues: readonly QueueArgs[];
}

export interface MessagingArgs {
    region: string;
    vpcId: pulumi.Input<string>;
    vpcCidr: string;
    privateSubnetIds: pulumi.Input<string[]>;
    /** AZ names in subnet order; node i goes to AZ i mod count. */
    availabilityZones: readonly string[];
    /** Security groups of the AMQP clients (the web tier). */
    clientSecurityGroupIds: pulumi.Input<string>[];
    /** The RabbitMQ cluster; none when unset. */
    rabbitmq?: RabbitmqArgs;
    /** The SQS queues; none when unset. */
    sqs?: SqsArgs;
    /**
     * A RabbitMQ cluster that ran here and was removed: its nodes' data volumes
     * stay, with final snapshots. Unset: there was none, or it still runs.
     */
    retiredRabbitmq?: { nodeCount: number; dataVolumeGiB: number; snapshotSelector: string };
}

/** A queue and its dead-letter queue, by name: what alarms watch (`QueueName` dimensions). */
export interface MessageQueue {
    /** The short name from config. */
    name: string;
    queueName: pulumi.Output<string>;
    deadLetterQueueName: pulumi.Output<string>;
}

export class Messaging extends pulumi.ComponentResource {
    /** `rabbitmq.<zone>` while the RabbitMQ cluster runs (draining included). */
    public readonly host?: string;
    /** 5671 with TLS, else 5672; unset without RabbitMQ. */
    public readonly port?: number;
    public readonly adminSecretArn?: pulumi.Output<string>;
    /** PEM of the private CA that signed the brokers' certificate, when TLS is on. */
    public readonly caCertificate?: pulumi.Output<string>;
    /** The RabbitMQ nodes; empty without RabbitMQ. */
    public readonly instanceIds: pulumi.Output<string>[];
    public readonly securityGroupId?: pulumi.Output<string>;
    public readonly roleName?: pulumi.Output<string>;
    /** ARNs of the SQS queues producers and consumers use (dead-letter queues excluded); unset without SQS. */
    public readonly queueArns?: pulumi.Output<string[]>;
    /** `name=url,name=url` over the same queues, in config order; unset without SQS. */
    public readonly queueUrls?: pulumi.Output<string>;
    /** Every SQS queue with its dead-letter queue; empty without SQS. */
    public readonly queues: MessageQueue[];

    constructor(name: string, args: MessagingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scale-tiers:messaging:Messaging", name, {}, opts);
        if (!args.rabbitmq && !args.sqs && !args.retiredRabbitmq) {
            throw new Error(`messaging ${name}: give rabbitmq, sqs or both`);
        }
        const retired = args.retiredRabbitmq;
        // The same names, AZs and volume settings as the nodes had (createRabbitmq): any other AZ would
        // replace the volume.
        for (let index = 0; index < (retired?.nodeCount ?? 0); index++) {
            retiredServer(
                `${name}-${index}`,
                {
                    availabilityZone: args.availabilityZones[rabbitmqNodeAzIndex(index, args.availabilityZones.length)],
                    dataVolume: { sizeGiB: retired!.dataVolumeGiB },
                    snapshotSelector: retired!.snapshotSelector,
                },
                this,
            );
        }
        const broker = args.rabbitmq ? this.createRabbitmq(name, args, args.rabbitmq) : undefined;
        this.host = broker?.host;
        this.port = broker?.port;
        this.adminSecretArn = broker?.adminSecretArn;
        this.caCertificate = broker?.caCertificate;
        this.instanceIds = broker?.instanceIds ?? [];
        this.securityGroupId = broker?.securityGroupId;
        this.roleName = broker?.roleName;

        const queues = (args.sqs?.queues ?? []).map((queue) => this.createQueue(name, args.sqs!, queue));
        this.queues = queues.map(({ name: short, queue, deadLetterQueue }) => ({
            name: short,
            queueName: queue.name,
            deadLetterQueueName: deadLetterQueue.name,
        }));
        if (args.sqs) {
            this.queueArns = pulumi.all(queues.map(({ queue }) => queue.arn));
            // A queue's id is its URL.
            this.queueUrls = pulumi
                .all(queues.map(({ queue }) => queue.id))
                .apply((urls) => queueUrlList(queues.map((q, index) => ({ name: q.name, url: urls[index] }))));
        }

        this.registerOutputs({
            host: this.host,
            port: this.port,
            instanceIds: this.instanceIds,
            queueArns: this.queueArns,
            queueUrls: this.queueUrls,
        });
    }

    private createRabbitmq(name: string, args: MessagingArgs, rabbitmq: RabbitmqArgs) {
        const parent = { parent: this };
        const host = brokerHostName(rabbitmq.zoneName);
        const port = rabbitmq.tls ? AMQPS_PORT : AMQP_PORT;

        const securityGroup = createSecurityGroup(`${name}-sg`, args.vpcId, "RabbitMQ nodes", this);
        allowClients(name, securityGroup.id, args.clientSecurityGroupIds, { from: port }, "AMQP", this);
        const managementPeers = vpcAndAdminPeers(args.vpcCidr, rabbitmq.managementCidrs, {
            vpc: "Management UI from the VPC",
            admin: "Management UI from an admin network",
        });
        managementPeers.forEach(({ cidr, ruleName, description, formerPosition }) =>
            ingressRule(
                `${name}-in-management-${ruleName}`,
                {
                    securityGroupId: securityGroup.id,
                    ports: { from: MANAGEMENT_PORT },
                    peer: { cidr },
                    description,
                },
                this,
                [{ name: `${name}-in-management-${formerPosition}` }],
            ),
        );
        CLUSTER_PORTS.forEach((ports, index) =>
            allowPeers(`${name}-cluster-${index}`, securityGroup.id, ports, "RabbitMQ clustering", this),
        );
        allowHttpsOut(`${name}-out-https`, securityGroup.id, this);

        const cookie = generatedSecret(
            `${name}-cookie`,
            {
                description: "RabbitMQ Erlang cookie",
                password: { length: 64, special: false },
                content: (value) => ({ cookie: value }),
            },
            this,
        );
        const admin = generatedSecret(
            `${name}-admin`,
            { description: "RabbitMQ administrator", content: (password) => ({ username: "admin", password }) },
            this,
        );
        const certificates = rabbitmq.tls ? this.createCertificates(name, rabbitmq, host) : undefined;

        const secretArns = [cookie.arn, admin.arn, ...(certificates ? [certificates.secret.arn] : [])];
        const { role, profile, bootScripts } = instanceRole(
            name,
            readSecretsPolicy(secretArns, [putMetricsStatement(METRIC_NAMESPACES.rabbitmq)]),
            rabbitmq.bootScripts,
            this,
        );

        const nodeNames = clusterNodeNames(rabbitmq.nodeCount, rabbitmq.zoneName);
        const subnetIds = pulumi.output(args.privateSubnetIds);
        const nodes = nodeNames.map((nodeName, index) => {
            const azIndex = rabbitmqNodeAzIndex(index, args.availabilityZones.length);
            const availabilityZone = args.availabilityZones[azIndex];
            const logicalName = `${name}-${index}`;
            const { instance } = statefulServer(
                logicalName,
                {
                    availabilityZone,
                    subnetId: subnetIds.apply((ids) => ids[azIndex]),
                    instanceType: rabbitmq.instanceType,
                    securityGroupIds: [securityGroup.id],
                    instanceProfile: profile.name,
                    rootVolumeGiB: 30,
                    dataVolume: { sizeGiB: rabbitmq.dataVolumeGiB },
                    snapshotSelector: rabbitmq.snapshotSelector,
                    bootScripts,
                    bootScript: (volumeId) =>
                        pulumi
                            .all([volumeId, cookie.arn, admin.arn, certificates?.secret.arn ?? "none"])
                            .apply(([dataVolumeId, cookieArn, adminArn, tlsArn]) =>
                                instanceScript("rabbitmq", {
                                    AWS_REGION_NAME: args.region,
                                    DATA_VOLUME_ID: dataVolumeId,
                                    DATA_DEVICE_NAME,
                                    NODE_NAME: nodeName,
                                    CLUSTER_NODES: nodeNames.join(","),
                                    COOKIE_SECRET_ARN: cookieArn,
                                    ADMIN_SECRET_ARN: adminArn,
                                    TLS_ENABLED: String(rabbitmq.tls),
                                    TLS_SECRET_ARN: tlsArn,
                                    CLOUDWATCH_AGENT_PARAMETER: rabbitmq.cloudWatchAgentParameter,
                                    STACK_NAME: rabbitmq.stackName,
                                }),
                            ),
                    role: "rabbitmq",
                    // The script reads the secrets at boot.
                    dependsOn: [cookie.version, admin.version, ...(certificates ? [certificates.version] : [])],
                },
                this,
            );
            new aws.route53.Record(
                `${logicalName}-dns`,
                {
                    zoneId: rabbitmq.zoneId,
                    name: nodeHostName(index, rabbitmq.zoneName),
                    type: "A",
                    ttl: 60,
                    records: [instance.privateIp],
                },
                parent,
            );
            return instance;
        });
        snapshotPolicy(
            `${name}-snapshots`,
            {
                description: "Daily snapshots of the RabbitMQ data volumes",
                selector: rabbitmq.snapshotSelector,
                intervalHours: 24,
                retainCount: 7,
            },
            this,
        );
        new aws.route53.Record(
            `${name}-dns`,
            { zoneId: rabbitmq.zoneId, name: host, type: "A", ttl: 60, records: nodes.map((node) => node.privateIp) },
            parent,
        );
        return {
            host,
            port,
            adminSecretArn: admin.arn,
            caCertificate: certificates?.caCertificate,
            instanceIds: nodes.map((node) => node.id),
            securityGroupId: securityGroup.id,
            roleName: role.name,
        };
    }

    /**
     * A queue and its dead-letter queue, both protected: deleting either loses
     * the messages in it. A message received `maxReceiveCount` times without
     * being deleted moves to the dead-letter queue, which keeps it for the
     * longest time SQS allows and accepts messages from its own queue only.
     */
    private createQueue(name: string, sqs: SqsArgs, queue: QueueArgs) {
        const stateful = { parent: this, protect: true };
        const names = queueNames(sqs.project, sqs.stack, queue.name);
        const logicalName = `${name}-${queue.name}`;
        const common = { sqsManagedSseEnabled: true, receiveWaitTimeSeconds: LONG_POLL_SECONDS };
        const deadLetterQueue = new aws.sqs.Queue(
            `${logicalName}-dlq`,
            { ...common, name: names.deadLetterQueue, messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS },
            stateful,
        );
        const mainQueue = new aws.sqs.Queue(
            logicalName,
            {
                ...common,
                name: names.queue,
                visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds,
                messageRetentionSeconds: queue.retentionDays * DAY_SECONDS,
                redrivePolicy: deadLetterQueue.arn.apply((arn) => redrivePolicy(arn, queue.maxReceiveCount)),
            },
            stateful,
        );
        // A separate resource: the queue's ARN is only known once it exists, after its dead-letter queue.
        new aws.sqs.RedriveAllowPolicy(
            `${logicalName}-dlq-redrive-allow`,
            { queueUrl: deadLetterQueue.id, redriveAllowPolicy: mainQueue.arn.apply(redriveAllowPolicy) },
            { parent: this },
        );
        for (const [resourceName, target] of [
            [logicalName, mainQueue],
            [`${logicalName}-dlq`, deadLetterQueue],
        ] as const) {
            new aws.sqs.QueuePolicy(
                `${resourceName}-policy`,
                { queueUrl: target.id, policy: target.arn.apply(tlsOnlyQueuePolicy) },
                { parent: this },
            );
        }
        return { name: queue.name, queue: mainQueue, deadLetterQueue };
    }

    /**
     * A private CA and one server certificate for every node name and the
     * cluster name. The keys live in Pulumi state as secrets and in Secrets
     * Manager; clients trust the CA, published as an SSM parameter.
     */
    private createCertificates(name: string, rabbitmq: RabbitmqArgs, host: string) {
        const parent = { parent: this };
        const certificate = privateCertificate(
            { name, commonName: `${rabbitmq.stackName} RabbitMQ CA` },
            {
                name: `${name}-server`,
                commonName: host,
                dnsNames: [
                    host,
                    ...Array.from({ length: rabbitmq.nodeCount }, (_, index) => nodeHostName(index, rabbitmq.zoneName)),
                ],
                validDays: 2 * 365,
                renewBeforeDays: 30,
            },
            this,
        );
        const secret = new aws.secretsmanager.Secret(
            `${name}-tls-secret`,
            { description: "RabbitMQ server certificate and key", recoveryWindowInDays: 30 },
            parent,
        );
        const version = new aws.secretsmanager.SecretVersion(
            `${name}-tls-secret-version`,
            {
                secretId: secret.id,
                secretString: pulumi.secret(
                    pulumi
                        .all([certificate.certPem, certificate.privateKeyPem, certificate.caCertPem])
                        .apply(([cert, key, caPem]) =>
                            JSON.stringify({ certificate: cert, privateKey: key, caCertificate: caPem }),
                        ),
                ),
            },
            parent,
        );
        return { secret, version, caCertificate: certificate.caCertPem };
    }
}
