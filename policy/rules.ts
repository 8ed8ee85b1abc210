/**
 * The scale-tiers safety net as plain functions: no Pulumi engine, no
 * @pulumi/policy import. policy/index.ts adapts them into a CrossGuard
 * PolicyPack; tests/policy.test.ts runs them over the recorded stacks.
 *
 * A resource check takes (type, inputs) and returns its violation messages.
 * A stack check takes every resource of the stack and returns violations
 * with the URN of the resource at fault.
 */
import * as zlib from "zlib";

export type Props = Record<string, unknown>;
export type ResourceCheck = (type: string, inputs: Props) => string[];

/** A resource as a stack check sees it. */
export interface StackResource {
    readonly type: string;
    readonly urn: string;
    readonly name: string;
    /** Inputs (tests) or outputs (the engine's stack analysis); the names are the same. */
    readonly inputs: Props;
    /**
     * The provider id if known: the engine's `id` output (for an S3 bucket,
     * its name; for a security group, sg-...); under the repo's mocks,
     * `${name}-id`. Sub-resources reference their parent by this id.
     */
    readonly id?: string;
}

export interface StackViolation {
    readonly urn: string;
    readonly message: string;
}
export type StackCheck = (resources: readonly StackResource[]) => StackViolation[];

export interface ResourceRule {
    readonly name: string;
    readonly description: string;
    readonly check: ResourceCheck;
}
export interface StackRule {
    readonly name: string;
    readonly description: string;
    readonly check: StackCheck;
}

export const T = {
    instance: "aws:ec2/instance:Instance",
    launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
    ebsVolume: "aws:ebs/volume:Volume",
    rdsInstance: "aws:rds/instance:Instance",
    cacheCluster: "aws:elasticache/cluster:Cluster",
    cacheReplicationGroup: "aws:elasticache/replicationGroup:ReplicationGroup",
    sqsQueue: "aws:sqs/queue:Queue",
    snsTopic: "aws:sns/topic:Topic",
    openSearchDomain: "aws:opensearch/domain:Domain",
    bucket: "aws:s3/bucket:Bucket",
    bucketV2: "aws:s3/bucketV2:BucketV2",
    bucketEncryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    bucketEncryptionV2: "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    bucketPublicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    bucketObject: "aws:s3/bucketObjectv2:BucketObjectv2",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
    ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    loadBalancer: "aws:lb/loadBalancer:LoadBalancer",
    albLoadBalancer: "aws:alb/loadBalancer:LoadBalancer",
    listener: "aws:lb/listener:Listener",
    albListener: "aws:alb/listener:Listener",
    vpc: "aws:ec2/vpc:Vpc",
    awsxVpc: "awsx:ec2:Vpc",
    flowLog: "aws:ec2/flowLog:FlowLog",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    kmsKey: "aws:kms/key:Key",
} as const;

// ---------------------------------------------------------------- helpers

function obj(value: unknown): Props | undefined {
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Props) : undefined;
}

function list(value: unknown): unknown[] {
    return Array.isArray(value) ? value : [];
}

/** `true` or the provider's string "true" (launch template block devices use strings). */
function isTrue(value: unknown): boolean {
    return value === true || value === "true";
}

function isLoadBalancer(type: string): boolean {
    return type === T.loadBalancer || type === T.albLoadBalancer;
}

// ---------------------------------------------------------------- 1. IMDSv2

export const checkImdsV2: ResourceCheck = (type, inputs) => {
    if (type !== T.instance && type !== T.launchTemplate) {
        return [];
    }
    const tokens = obj(inputs.metadataOptions)?.httpTokens;
    return tokens === "required"
        ? []
        : [`metadataOptions.httpTokens must be "required" (IMDSv2), is ${String(tokens)}`];
};

// ---------------------------------------------------------------- 2. encryption

export const checkEbsEncrypted: ResourceCheck = (type, inputs) => {
    const problems: string[] = [];
    if (type === T.ebsVolume && !isTrue(inputs.encrypted)) {
        problems.push("EBS volume must set encrypted: true");
    }
    if (type === T.instance) {
        if (!isTrue(obj(inputs.rootBlockDevice)?.encrypted)) {
            problems.push("rootBlockDevice.encrypted must be true");
        }
        list(inputs.ebsBlockDevices).forEach((device, i) => {
            if (!isTrue(obj(device)?.encrypted)) {
                problems.push(`ebsBlockDevices[${i}].encrypted must be true`);
            }
        });
    }
    if (type === T.launchTemplate) {
        list(inputs.blockDeviceMappings).forEach((mapping, i) => {
            const ebs = obj(obj(mapping)?.ebs);
            if (ebs && !isTrue(ebs.encrypted)) {
                problems.push(`blockDeviceMappings[${i}].ebs.encrypted must be true`);
            }
        });
    }
    return problems;
};

export const checkRdsEncrypted: ResourceCheck = (type, inputs) =>
    type === T.rdsInstance && !isTrue(inputs.storageEncrypted) ? ["RDS instance must set storageEncrypted: true"] : [];

export const checkElastiCacheInTransit: ResourceCheck = (type, inputs) => {
    if (type !== T.cacheCluster && type !== T.cacheReplicationGroup) {
        return [];
    }
    // A cluster that joins a replication group inherits the group's setting.
    if (type === T.cacheCluster && typeof inputs.replicationGroupId === "string") {
        return [];
    }
    return isTrue(inputs.transitEncryptionEnabled) ? [] : ["ElastiCache must set transitEncryptionEnabled: true"];
};

export const checkSqsEncrypted: ResourceCheck = (type, inputs) =>
    type === T.sqsQueue && !isTrue(inputs.sqsManagedSseEnabled) && !inputs.kmsMasterKeyId
        ? ["SQS queue must set sqsManagedSseEnabled: true or a kmsMasterKeyId"]
        : [];

export const checkSnsEncrypted: ResourceCheck = (type, inputs) =>
    type === T.snsTopic && !inputs.kmsMasterKeyId ? ["SNS topic must set kmsMasterKeyId"] : [];

/** TLS security policies that allow TLS 1.2 and later only. */
export const TLS12_POLICY = /^Policy-Min-TLS-1-[2-9]/;

export const checkOpenSearchEncrypted: ResourceCheck = (type, inputs) => {
    if (type !== T.openSearchDomain) {
        return [];
    }
    const problems: string[] = [];
    if (!isTrue(obj(inputs.encryptAtRest)?.enabled)) {
        problems.push("encryptAtRest.enabled must be true");
    }
    if (!isTrue(obj(inputs.nodeToNodeEncryption)?.enabled)) {
        problems.push("nodeToNodeEncryption.enabled must be true");
    }
    const endpoint = obj(inputs.domainEndpointOptions);
    if (!isTrue(endpoint?.enforceHttps)) {
        problems.push("domainEndpointOptions.enforceHttps must be true");
    }
    const tls = endpoint?.tlsSecurityPolicy;
    if (typeof tls !== "string" || !TLS12_POLICY.test(tls)) {
        problems.push(`domainEndpointOptions.tlsSecurityPolicy must be TLS 1.2 or later, is ${String(tls)}`);
    }
    return problems;
};

// ---------------------------------------------------------------- awsguard's rules for current types
// @pulumi/awsguard targets @pulumi/aws 4 resource types; these are its rules
// that apply to what this program creates, rewritten for @pulumi/aws 7.

/** awsguard `elasticsearch-in-vpc-only`: a domain is reached through the VPC only. */
export const checkOpenSearchInVpc: ResourceCheck = (type, inputs) =>
    type === T.openSearchDomain && list(obj(inputs.vpcOptions)?.subnetIds).length === 0
        ? ["vpcOptions.subnetIds must place the domain in the VPC"]
        : [];

/** awsguard `ec2-instance-detailed-monitoring-enabled`: one-minute metrics, which the alarms and scaling need. */
export const checkDetailedMonitoring: ResourceCheck = (type, inputs) => {
    if (type === T.instance && !isTrue(inputs.monitoring)) {
        return ["monitoring (detailed, one-minute metrics) must be true"];
    }
    if (type === T.launchTemplate && !isTrue(obj(inputs.monitoring)?.enabled)) {
        return ["monitoring.enabled (detailed, one-minute metrics) must be true"];
    }
    return [];
};

/** awsguard `cmk-backing-key-rotation-enabled`: symmetric customer keys rotate. */
export const checkKeyRotation: ResourceCheck = (type, inputs) => {
    const symmetric = (inputs.customerMasterKeySpec ?? inputs.keySpec ?? "SYMMETRIC_DEFAULT") === "SYMMETRIC_DEFAULT";
    return type === T.kmsKey && symmetric && !isTrue(inputs.enableKeyRotation)
        ? ["enableKeyRotation must be true for a symmetric key"]
        : [];
};

/** Whether a bucket policy document denies requests where aws:SecureTransport is false. */
export function deniesInsecureTransport(policy: unknown): boolean {
    let document: unknown = policy;
    if (typeof policy === "string") {
        try {
            document = JSON.parse(policy);
        } catch {
            return false;
        }
    }
    return list(obj(document)?.Statement).some((statement) => {
        const s = obj(statement);
        const bool = obj(obj(s?.Condition)?.Bool);
        const value = bool?.["aws:SecureTransport"];
        return s?.Effect === "Deny" && (value === "false" || value === false);
    });
}

/**
 * Every S3 bucket has, in the same stack, an SSE configuration, a public
 * access block with all four flags, and a policy denying plain HTTP.
 *
 * Matching: a sub-resource's `bucket` input holds its bucket's id. A bucket is
 * known by its `id` (the engine's `id` output, which for S3 is the bucket
 * name; `${name}-id` under the repo's mocks) and by its `bucket` property (the
 * bucket name, an output in the engine). Either match counts.
 */
export const checkS3Buckets: StackCheck = (resources) => {
    const violations: StackViolation[] = [];
    const subResources = (types: string[]) =>
        resources.filter((r) => types.includes(r.type) && typeof r.inputs.bucket === "string");
    const encryption = subResources([T.bucketEncryption, T.bucketEncryptionV2]);
    const blocks = subResources([T.bucketPublicAccessBlock]);
    const policies = subResources([T.bucketPolicy]);
    for (const bucket of resources.filter((r) => r.type === T.bucket || r.type === T.bucketV2)) {
        const ids = new Set([bucket.id, bucket.inputs.id, bucket.inputs.bucket].filter((v) => typeof v === "string"));
        const of = (rs: StackResource[]) => rs.filter((r) => ids.has(r.inputs.bucket as string));
        const sse = of(encryption).filter((r) =>
            list(r.inputs.rules).some((rule) => !!obj(obj(rule)?.applyServerSideEncryptionByDefault)?.sseAlgorithm),
        );
        if (sse.length === 0) {
            violations.push({
                urn: bucket.urn,
                message: `bucket ${bucket.name} has no server-side encryption configuration`,
            });
        }
        const flags = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];
        if (!of(blocks).some((b) => flags.every((f) => isTrue(b.inputs[f])))) {
            violations.push({
                urn: bucket.urn,
                message: `bucket ${bucket.name} has no public access block with ${flags.join(", ")} all true`,
            });
        }
        if (!of(policies).some((p) => deniesInsecureTransport(p.inputs.policy))) {
            violations.push({
                urn: bucket.urn,
                message: `bucket ${bucket.name} has no bucket policy denying aws:SecureTransport=false`,
            });
        }
    }
    return violations;
};

// ---------------------------------------------------------------- 3. public ingress

const OPEN_CIDR = /^(0\.0\.0\.0|::)\/0$/;
/** Ports the public load balancer may open to the internet. */
export const PUBLIC_LB_PORTS: readonly number[] = [80, 443];

interface IngressEntry {
    readonly cidrs: string[];
    readonly fromPort: unknown;
    readonly toPort: unknown;
    readonly protocol: unknown;
}

/** Whether an open-to-the-world entry is one the public load balancer may have. */
function isWebPort(entry: IngressEntry): boolean {
    return (
        entry.protocol === "tcp" &&
        entry.fromPort === entry.toPort &&
        typeof entry.fromPort === "number" &&
        PUBLIC_LB_PORTS.includes(entry.fromPort)
    );
}

/** The ingress entries a resource opens, with the id of the group they belong to. */
function ingressEntries(r: StackResource): { groupId: unknown; entries: IngressEntry[] } {
    const i = r.inputs;
    if (r.type === T.ingressRule) {
        return {
            groupId: i.securityGroupId,
            entries: [
                {
                    cidrs: [i.cidrIpv4, i.cidrIpv6].filter((c): c is string => typeof c === "string"),
                    fromPort: i.fromPort,
                    toPort: i.toPort,
                    protocol: i.ipProtocol,
                },
            ],
        };
    }
    if (r.type === T.securityGroupRule && i.type === "ingress") {
        return {
            groupId: i.securityGroupId,
            entries: [
                {
                    cidrs: [...list(i.cidrBlocks), ...list(i.ipv6CidrBlocks)] as string[],
                    fromPort: i.fromPort,
                    toPort: i.toPort,
                    protocol: i.protocol,
                },
            ],
        };
    }
    if (r.type === T.securityGroup) {
        return {
            groupId: r.id,
            entries: list(i.ingress).map((rule) => {
                const e = obj(rule) ?? {};
                return {
                    cidrs: [...list(e.cidrBlocks), ...list(e.ipv6CidrBlocks)] as string[],
                    fromPort: e.fromPort,
                    toPort: e.toPort,
                    protocol: e.protocol,
                };
            }),
        };
    }
    return { groupId: undefined, entries: [] };
}

/**
 * The security groups of internet-facing load balancers (`internal` not true):
 * the only groups that may accept 80/443 from anywhere. Recognised by the load
 * balancer that uses them, not by a name or tag, so a renamed group stays
 * exempt and a group that is not on a public load balancer never is.
 */
export function publicLoadBalancerGroups(resources: readonly StackResource[]): Set<string> {
    const groups = new Set<string>();
    for (const lb of resources.filter((r) => isLoadBalancer(r.type) && !isTrue(r.inputs.internal))) {
        list(lb.inputs.securityGroups).forEach((g) => typeof g === "string" && groups.add(g));
    }
    return groups;
}

export const checkPublicIngress: StackCheck = (resources) => {
    const exempt = publicLoadBalancerGroups(resources);
    const violations: StackViolation[] = [];
    for (const r of resources) {
        const { groupId, entries } = ingressEntries(r);
        for (const entry of entries) {
            const open = entry.cidrs.filter((c) => OPEN_CIDR.test(c));
            if (open.length === 0) {
                continue;
            }
            if (typeof groupId === "string" && exempt.has(groupId) && isWebPort(entry)) {
                continue;
            }
            violations.push({
                urn: r.urn,
                message:
                    `${r.name} allows ingress from ${open.join(", ")} (${String(entry.protocol)} ` +
                    `${String(entry.fromPort)}-${String(entry.toPort)}); only tcp 80/443 on an internet-facing ` +
                    "load balancer's security group may",
            });
        }
    }
    return violations;
};

// ---------------------------------------------------------------- 4. public IPs

export const checkNoPublicIp: ResourceCheck = (type, inputs) => {
    if (type === T.instance && isTrue(inputs.associatePublicIpAddress)) {
        return ["instance must not set associatePublicIpAddress"];
    }
    if (type === T.launchTemplate) {
        return list(inputs.networkInterfaces)
            .map((ni, i) => (isTrue(obj(ni)?.associatePublicIpAddress) ? i : -1))
            .filter((i) => i >= 0)
            .map((i) => `networkInterfaces[${i}].associatePublicIpAddress must not be true`);
    }
    return [];
};

// ---------------------------------------------------------------- 5. RDS

export interface RdsOptions {
    /** Require multiAz (set per stack through the pack's config `requireMultiAz`). */
    readonly requireMultiAz?: boolean;
}

export function checkRdsHardening(type: string, inputs: Props, options: RdsOptions = {}): string[] {
    if (type !== T.rdsInstance) {
        return [];
    }
    const problems: string[] = [];
    if (isTrue(inputs.publiclyAccessible)) {
        problems.push("publiclyAccessible must not be true");
    }
    const retention = inputs.backupRetentionPeriod;
    if (typeof retention !== "number" || retention < 1) {
        problems.push(`backupRetentionPeriod must be >= 1, is ${String(retention)}`);
    }
    // A read replica holds no data of its own, and RDS refuses a final snapshot of one: it may be
    // removed freely (a lower replica count), so neither guard applies to it. Nor does Multi-AZ:
    // replicas spread over the AZs instead, each one a standby for reads.
    const replica = typeof inputs.replicateSourceDb === "string" && inputs.replicateSourceDb !== "";
    if (!replica && !isTrue(inputs.deletionProtection)) {
        problems.push("deletionProtection must be true");
    }
    // The provider's default for skipFinalSnapshot is false.
    if (!replica && isTrue(inputs.skipFinalSnapshot)) {
        problems.push("skipFinalSnapshot must be false");
    }
    if (options.requireMultiAz && !replica && !isTrue(inputs.multiAz)) {
        problems.push("multiAz must be true in this stack");
    }
    return problems;
}

// ---------------------------------------------------------------- 6. load balancers

export const checkLoadBalancer: ResourceCheck = (type, inputs) => {
    // loadBalancerType defaults to "application".
    if (!isLoadBalancer(type) || (inputs.loadBalancerType ?? "application") !== "application") {
        return [];
    }
    const problems: string[] = [];
    if (!isTrue(inputs.dropInvalidHeaderFields)) {
        problems.push("dropInvalidHeaderFields must be true");
    }
    if (!isTrue(obj(inputs.accessLogs)?.enabled)) {
        problems.push("accessLogs.enabled must be true");
    }
    return problems;
};

/** Every load balancer refuses deletion: deleting one loses its DNS name, which clients and records point at. */
export const checkDeletionProtection: ResourceCheck = (type, inputs) =>
    isLoadBalancer(type) && !isTrue(inputs.enableDeletionProtection) ? ["enableDeletionProtection must be true"] : [];

/** Listener protocols that are encrypted end to end from the client. */
const ENCRYPTED_PROTOCOLS = ["HTTPS", "TLS"];

function redirectsToHttps(action: unknown): boolean {
    const a = obj(action);
    return a?.type === "redirect" && obj(a.redirect)?.protocol === "HTTPS";
}

/**
 * Every listener of an internet-facing load balancer serves HTTPS (or TLS),
 * or answers everything with a redirect to HTTPS. A listener's load balancer
 * is found by ARN (the engine's outputs carry `arn`; the provider's id is the
 * ARN too); one that cannot be found counts as internet-facing, so the rule
 * fails closed.
 */
export const checkHttpsListeners: StackCheck = (resources) => {
    const internal = new Set<string>();
    for (const lb of resources.filter((r) => isLoadBalancer(r.type) && isTrue(r.inputs.internal))) {
        [lb.inputs.arn, lb.id].forEach((arn) => typeof arn === "string" && internal.add(arn));
    }
    const violations: StackViolation[] = [];
    for (const listener of resources.filter((r) => r.type === T.listener || r.type === T.albListener)) {
        const i = listener.inputs;
        if (typeof i.loadBalancerArn === "string" && internal.has(i.loadBalancerArn)) {
            continue;
        }
        const actions = list(i.defaultActions);
        const protocol = typeof i.protocol === "string" ? i.protocol : "HTTP";
        if (ENCRYPTED_PROTOCOLS.includes(protocol) || (actions.length > 0 && actions.every(redirectsToHttps))) {
            continue;
        }
        violations.push({
            urn: listener.urn,
            message: `${listener.name} serves ${protocol} on ${String(i.port)} to the internet; serve HTTPS, or redirect every request to HTTPS`,
        });
    }
    return violations;
};

// ---------------------------------------------------------------- 7. VPC flow logs

/**
 * Every VPC has a flow log. An `aws:ec2/vpc:Vpc` (in the engine, also the
 * child of an awsx VPC) needs a FlowLog whose vpcId is its id; an awsx VPC
 * needs one whose vpcId is its `vpcId` output when that is known (engine), or
 * any FlowLog with a vpcId (under mocks, where component outputs are not
 * recorded).
 */
export const checkVpcFlowLogs: StackCheck = (resources) => {
    const flowLogVpcs = resources
        .filter((r) => r.type === T.flowLog && typeof r.inputs.vpcId === "string")
        .map((r) => r.inputs.vpcId as string);
    const violations: StackViolation[] = [];
    for (const vpc of resources.filter((r) => r.type === T.vpc || r.type === T.awsxVpc)) {
        const id = vpc.type === T.vpc ? vpc.id : vpc.inputs.vpcId;
        const covered = typeof id === "string" ? flowLogVpcs.includes(id) : flowLogVpcs.length > 0;
        if (!covered) {
            violations.push({ urn: vpc.urn, message: `VPC ${vpc.name} has no aws:ec2/flowLog:FlowLog` });
        }
    }
    return violations;
};

// ---------------------------------------------------------------- 8. log retention

export const checkLogRetention: ResourceCheck = (type, inputs) => {
    if (type !== T.logGroup) {
        return [];
    }
    const days = inputs.retentionInDays;
    return typeof days === "number" && days > 0 ? [] : [`retentionInDays must be set (> 0), is ${String(days)}`];
};

// ---------------------------------------------------------------- 9. secrets in user data and tags

/**
 * A credential assignment: a password/secret/token key followed by a literal
 * of 8+ characters. Not matched: `...:secret:name` inside an ARN (the keyword
 * follows a colon), shell expansions (`$` is not in the value set), names like
 * APP_SECRET_ARN (the keyword is not directly followed by = or :), values that
 * are ARNs.
 */
export const CREDENTIAL_ASSIGNMENT =
    /(?<![:/])(password|passwd|secret|token)\s*[=:]\s*['"]?([A-Za-z0-9+/!#%*.:=?^_~-]{8,})/gi;

/** The user data as text: base64 (optionally gzipped, as our renderer does) or plain. */
export function userDataText(inputs: Props, type: string): string[] {
    const texts: string[] = [];
    const decode = (base64: string): string => {
        const bytes = Buffer.from(base64, "base64");
        return bytes[0] === 0x1f && bytes[1] === 0x8b
            ? zlib.gunzipSync(bytes).toString("utf8")
            : bytes.toString("utf8");
    };
    if (typeof inputs.userDataBase64 === "string") {
        texts.push(decode(inputs.userDataBase64));
    }
    if (typeof inputs.userData === "string") {
        // Launch templates take base64 user data; instances take text.
        texts.push(type === T.launchTemplate ? decode(inputs.userData) : inputs.userData);
    }
    return texts;
}

export function findCredentials(text: string): string[] {
    const found: string[] = [];
    for (const match of text.matchAll(CREDENTIAL_ASSIGNMENT)) {
        if (!/^arn:/i.test(match[2])) {
            found.push(match[0].replace(/([=:]\s*['"]?).*/, "$1<redacted>"));
        }
    }
    return found;
}

export const checkNoPlaintextSecrets: ResourceCheck = (type, inputs) => {
    const problems: string[] = [];
    if (type === T.instance || type === T.launchTemplate) {
        for (const text of userDataText(inputs, type)) {
            findCredentials(text).forEach((c) => problems.push(`user data looks like it holds a credential: ${c}`));
        }
    }
    // The servers' boot scripts: user data is only the loader that fetches them.
    if (type === T.bucketObject && typeof inputs.content === "string") {
        findCredentials(inputs.content).forEach((c) =>
            problems.push(`object content looks like it holds a credential: ${c}`),
        );
    }
    const tags = obj(inputs.tags);
    for (const [key, value] of Object.entries(tags ?? {})) {
        findCredentials(`${key}=${String(value)}`).forEach((c) => problems.push(`tag looks like a credential: ${c}`));
    }
    return problems;
};

// ---------------------------------------------------------------- 10. tags

export const REQUIRED_TAGS: readonly string[] = ["stack", "component"];

export const checkRequiredTags: ResourceCheck = (_type, inputs) => {
    const tags = obj(inputs.tags);
    if (!tags) {
        return [];
    }
    const missing = REQUIRED_TAGS.filter((k) => typeof tags[k] !== "string" || tags[k] === "");
    return missing.length === 0 ? [] : [`tags must include ${missing.join(" and ")}`];
};

// ---------------------------------------------------------------- the rules

export const RESOURCE_RULES: readonly ResourceRule[] = [
    {
        name: "imdsv2-required",
        description: "EC2 instances and launch templates require IMDSv2 tokens.",
        check: checkImdsV2,
    },
    {
        name: "ebs-encrypted",
        description: "EBS volumes, instance root/EBS devices and launch template devices are encrypted.",
        check: checkEbsEncrypted,
    },
    { name: "rds-encrypted", description: "RDS instances encrypt their storage.", check: checkRdsEncrypted },
    {
        name: "elasticache-encrypted-in-transit",
        description: "ElastiCache clusters and replication groups encrypt in transit.",
        check: checkElastiCacheInTransit,
    },
    { name: "sqs-encrypted", description: "SQS queues use SSE (SQS-managed or KMS).", check: checkSqsEncrypted },
    { name: "sns-encrypted", description: "SNS topics are encrypted with KMS.", check: checkSnsEncrypted },
    {
        name: "opensearch-encrypted",
        description: "OpenSearch domains encrypt at rest and node to node, and enforce HTTPS with TLS 1.2+.",
        check: checkOpenSearchEncrypted,
    },
    {
        name: "opensearch-in-vpc",
        description: "OpenSearch domains live in the VPC (awsguard elasticsearch-in-vpc-only).",
        check: checkOpenSearchInVpc,
    },
    {
        name: "detailed-monitoring",
        description:
            "Instances and launch templates publish one-minute metrics (awsguard ec2-instance-detailed-monitoring-enabled).",
        check: checkDetailedMonitoring,
    },
    {
        name: "kms-key-rotation",
        description: "Symmetric customer-managed KMS keys rotate (awsguard cmk-backing-key-rotation-enabled).",
        check: checkKeyRotation,
    },
    {
        name: "no-public-ip",
        description: "Instances and launch templates get no public IP address.",
        check: checkNoPublicIp,
    },
    {
        name: "rds-hardened",
        description:
            "RDS instances are private, backed up, deletion-protected and keep a final snapshot (multi-AZ when configured).",
        check: (type, inputs) => checkRdsHardening(type, inputs),
    },
    {
        name: "alb-hardened",
        description: "Application load balancers drop invalid headers and write access logs.",
        check: checkLoadBalancer,
    },
    {
        name: "load-balancer-deletion-protection",
        description: "Every load balancer (application or network, public or internal) has deletion protection.",
        check: checkDeletionProtection,
    },
    { name: "log-retention", description: "CloudWatch log groups set a retention.", check: checkLogRetention },
    {
        name: "no-plaintext-secrets",
        description: "No credential in instance/launch template user data, S3 object content (boot scripts) or tags.",
        check: checkNoPlaintextSecrets,
    },
    {
        name: "required-tags",
        description: `Every resource given tags carries ${REQUIRED_TAGS.join(" and ")}.`,
        check: checkRequiredTags,
    },
];

export const STACK_RULES: readonly StackRule[] = [
    {
        name: "s3-bucket-protected",
        description: "Every S3 bucket has SSE, a full public access block and a policy denying plain HTTP.",
        check: checkS3Buckets,
    },
    {
        name: "no-public-ingress",
        description:
            "No security group ingress from 0.0.0.0/0 or ::/0, except tcp 80/443 on an internet-facing load balancer's group.",
        check: checkPublicIngress,
    },
    { name: "vpc-flow-logs", description: "Every VPC has a flow log.", check: checkVpcFlowLogs },
    {
        name: "https-listeners",
        description:
            "Every listener of an internet-facing load balancer serves HTTPS or TLS, or redirects every request to HTTPS.",
        check: checkHttpsListeners,
    },
];

export interface NamedViolation {
    readonly policy: string;
    readonly urn: string;
    readonly message: string;
}

/** Every rule over a stack's resources, in rule order. */
/** The pack's per-stack settings, as in policy/config/<stack>.json. */
export interface PackConfig {
    readonly "rds-hardened"?: RdsOptions;
}

export function evaluateRules(resources: readonly StackResource[], config: PackConfig = {}): NamedViolation[] {
    const violations: NamedViolation[] = [];
    for (const rule of RESOURCE_RULES) {
        for (const r of resources) {
            const messages =
                rule.name === "rds-hardened"
                    ? checkRdsHardening(r.type, r.inputs, config["rds-hardened"])
                    : rule.check(r.type, r.inputs);
            messages.forEach((message) => violations.push({ policy: rule.name, urn: r.urn, message }));
        }
    }
    for (const rule of STACK_RULES) {
        rule.check(resources).forEach((v) => violations.push({ policy: rule.name, ...v }));
    }
    return violations;
}
