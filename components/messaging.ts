/**
 * messaging: a RabbitMQ cluster on EC2 (tier150k). Nodes have stable DNS
 * names (`rabbitmq-<i>.<zone>`), so a replaced instance rejoins under the same
 * Erlang node name with its data volume; the cluster forms by classic-config
 * peer discovery over those names, and quorum queues are the default.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { instanceRole, putMetricsStatement, readSecretsPolicy } from "./shared/ec2";
import { allowClients, allowHttpsOut, allowPeers, ingressRule, createSecurityGroup } from "./shared/rules";
import { Tags, componentTags } from "./shared/tags";
import { generatedSecret } from "./shared/secrets";
import { DATA_DEVICE_NAME, snapshotPolicy, statefulServer } from "./shared/server";
import { METRIC_NAMESPACES } from "./shared/telemetry";
import { renderUserData } from "./userdata/render";

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

export interface MessagingArgs {
    region: string;
    vpcId: pulumi.Input<string>;
    vpcCidr: string;
    privateSubnetIds: pulumi.Input<string[]>;
    /** AZ names in subnet order; node i goes to AZ i mod count. */
    availabilityZones: readonly string[];
    /** Security groups of the AMQP clients (the web tier). */
    clientSecurityGroupIds: pulumi.Input<string>[];
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
    tags: Tags;
}

export class Messaging extends pulumi.ComponentResource {
    /** `rabbitmq.<zone>`. */
    public readonly host: string;
    /** 5671 with TLS, else 5672. */
    public readonly port: number;
    public readonly adminSecretArn: pulumi.Output<string>;
    /** PEM of the private CA that signed the brokers' certificate, when TLS is on. */
    public readonly caCertificate?: pulumi.Output<string>;
    public readonly instanceIds: pulumi.Output<string>[];
    public readonly securityGroupId: pulumi.Output<string>;
    public readonly roleName: pulumi.Output<string>;

    constructor(name: string, args: MessagingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scale-tiers:messaging:Messaging", name, {}, opts);
        const tags = componentTags(args.tags, "messaging");
        const parent = { parent: this };
        this.host = brokerHostName(args.zoneName);
        this.port = args.tls ? AMQPS_PORT : AMQP_PORT;

        const securityGroup = createSecurityGroup(`${name}-sg`, args.vpcId, "RabbitMQ nodes", tags, this);
        this.securityGroupId = securityGroup.id;
        allowClients(name, securityGroup.id, args.clientSecurityGroupIds, { from: this.port }, "AMQP", tags, this);
        [args.vpcCidr, ...args.managementCidrs].forEach((cidr, index) =>
            ingressRule(
                `${name}-in-management-${index}`,
                {
                    securityGroupId: securityGroup.id,
                    ports: { from: MANAGEMENT_PORT },
                    peer: { cidr },
                    description: index === 0 ? "Management UI from the VPC" : "Management UI from an admin network",
                    tags,
                },
                this,
            ),
        );
        CLUSTER_PORTS.forEach((ports, index) =>
            allowPeers(`${name}-cluster-${index}`, securityGroup.id, ports, "RabbitMQ clustering", tags, this),
        );
        allowHttpsOut(`${name}-out-https`, securityGroup.id, tags, this);

        const cookie = generatedSecret(
            `${name}-cookie`,
            {
                description: "RabbitMQ Erlang cookie",
                password: { length: 64, special: false },
                content: (value) => ({ cookie: value }),
                tags,
            },
            this,
        );
        const admin = generatedSecret(
            `${name}-admin`,
            { description: "RabbitMQ administrator", content: (password) => ({ username: "admin", password }), tags },
            this,
        );
        this.adminSecretArn = admin.arn;
        const certificates = args.tls ? this.createCertificates(name, args, tags) : undefined;
        this.caCertificate = certificates?.caCertificate;

        const secretArns = [cookie.arn, admin.arn, ...(certificates ? [certificates.secret.arn] : [])];
        const { role, profile } = instanceRole(
            name,
            readSecretsPolicy(secretArns, [putMetricsStatement(METRIC_NAMESPACES.rabbitmq)]),
            tags,
            this,
        );
        this.roleName = role.name;

        const nodeNames = clusterNodeNames(args.nodeCount, args.zoneName);
        const subnetIds = pulumi.output(args.privateSubnetIds);
        const nodes = nodeNames.map((nodeName, index) => {
            const azIndex = index % args.availabilityZones.length;
            const availabilityZone = args.availabilityZones[azIndex];
            const logicalName = `${name}-${index}`;
            const { instance } = statefulServer(
                logicalName,
                {
                    availabilityZone,
                    subnetId: subnetIds.apply((ids) => ids[azIndex]),
                    instanceType: args.instanceType,
                    securityGroupIds: [securityGroup.id],
                    instanceProfile: profile.name,
                    rootVolumeGiB: 30,
                    dataVolume: { sizeGiB: args.dataVolumeGiB },
                    snapshotSelector: args.snapshotSelector,
                    userDataBase64: (volumeId) =>
                        pulumi
                            .all([volumeId, cookie.arn, admin.arn, certificates?.secret.arn ?? "none"])
                            .apply(([dataVolumeId, cookieArn, adminArn, tlsArn]) =>
                                renderUserData("rabbitmq", {
                                    AWS_REGION_NAME: args.region,
                                    DATA_VOLUME_ID: dataVolumeId,
                                    DATA_DEVICE_NAME,
                                    NODE_NAME: nodeName,
                                    CLUSTER_NODES: nodeNames.join(","),
                                    COOKIE_SECRET_ARN: cookieArn,
                                    ADMIN_SECRET_ARN: adminArn,
                                    TLS_ENABLED: String(args.tls),
                                    TLS_SECRET_ARN: tlsArn,
                                    CLOUDWATCH_AGENT_PARAMETER: args.cloudWatchAgentParameter,
                                    STACK_NAME: args.stackName,
                                }),
                            ),
                    role: "rabbitmq",
                    // The script reads the secrets at boot.
                    dependsOn: [cookie.version, admin.version, ...(certificates ? [certificates.version] : [])],
                    tags,
                },
                this,
            );
            new aws.route53.Record(
                `${logicalName}-dns`,
                {
                    zoneId: args.zoneId,
                    name: nodeHostName(index, args.zoneName),
                    type: "A",
                    ttl: 60,
                    records: [instance.privateIp],
                },
                parent,
            );
            return instance;
        });
        this.instanceIds = nodes.map((node) => node.id);
        snapshotPolicy(
            `${name}-snapshots`,
            {
                description: "Daily snapshots of the RabbitMQ data volumes",
                selector: args.snapshotSelector,
                intervalHours: 24,
                retainCount: 7,
                tags,
            },
            this,
        );
        new aws.route53.Record(
            `${name}-dns`,
            { zoneId: args.zoneId, name: this.host, type: "A", ttl: 60, records: nodes.map((node) => node.privateIp) },
            parent,
        );

        this.registerOutputs({ host: this.host, port: this.port, instanceIds: this.instanceIds });
    }

    /**
     * A private CA and one server certificate for every node name and the
     * cluster name. The keys live in Pulumi state as secrets and in Secrets
     * Manager; clients trust the CA, published as an SSM parameter.
     */
    private createCertificates(name: string, args: MessagingArgs, tags: Tags) {
        const parent = { parent: this };
        const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, parent);
        const ca = new tls.SelfSignedCert(
            `${name}-ca`,
            {
                privateKeyPem: caKey.privateKeyPem,
                isCaCertificate: true,
                validityPeriodHours: 10 * 365 * 24,
                allowedUses: ["cert_signing", "crl_signing"],
                subject: { commonName: `${args.stackName} RabbitMQ CA`, organization: "scale-tiers" },
            },
            parent,
        );
        const serverKey = new tls.PrivateKey(`${name}-server-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, parent);
        const request = new tls.CertRequest(
            `${name}-server-csr`,
            {
                privateKeyPem: serverKey.privateKeyPem,
                dnsNames: [
                    this.host,
                    ...Array.from({ length: args.nodeCount }, (_, index) => nodeHostName(index, args.zoneName)),
                ],
                subject: { commonName: this.host, organization: "scale-tiers" },
            },
            parent,
        );
        const certificate = new tls.LocallySignedCert(
            `${name}-server-cert`,
            {
                certRequestPem: request.certRequestPem,
                caPrivateKeyPem: caKey.privateKeyPem,
                caCertPem: ca.certPem,
                validityPeriodHours: 2 * 365 * 24,
                // Re-issued by `pulumi up` in its last 30 days, before clients see it expire.
                earlyRenewalHours: 30 * 24,
                allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
            },
            parent,
        );
        const secret = new aws.secretsmanager.Secret(
            `${name}-tls-secret`,
            { description: "RabbitMQ server certificate and key", recoveryWindowInDays: 30, tags },
            parent,
        );
        const version = new aws.secretsmanager.SecretVersion(
            `${name}-tls-secret-version`,
            {
                secretId: secret.id,
                secretString: pulumi.secret(
                    pulumi
                        .all([certificate.certPem, serverKey.privateKeyPem, ca.certPem])
                        .apply(([cert, key, caPem]) =>
                            JSON.stringify({ certificate: cert, privateKey: key, caCertificate: caPem }),
                        ),
                ),
            },
            parent,
        );
        return { secret, version, caCertificate: ca.certPem };
    }
}
