/**
 * Which resources hold state, which of their inputs force a replacement, and
 * what a change from one recording to another would destroy. Pure functions.
 */
import { RecordedResource, Recording, roleOf } from "./evaluate";

/**
 * Stateful resource types and the inputs whose change makes the provider
 * replace the resource (delete it, and its data, and create a new one).
 * For random passwords every input regenerates the password.
 */
export const STATEFUL_REPLACEMENT_INPUTS: Readonly<Record<string, readonly string[]>> = {
    "awsx:ec2:Vpc": ["cidrBlock", "availabilityZoneNames", "subnetSpecs", "instanceTenancy"],
    "aws:ebs/volume:Volume": ["availabilityZone", "encrypted", "kmsKeyId", "snapshotId", "outpostArn"],
    "aws:route53/zone:Zone": ["name", "delegationSetId"],
    "aws:secretsmanager/secret:Secret": ["name", "namePrefix"],
    "aws:s3/bucket:Bucket": ["bucket", "bucketPrefix", "objectLockEnabled"],
    "aws:rds/instance:Instance": [
        "identifier",
        "identifierPrefix",
        "engine",
        "storageEncrypted",
        "kmsKeyId",
        "username",
        "dbName",
        "characterSetName",
        "ncharCharacterSetName",
        "replicateSourceDb",
        "snapshotIdentifier",
        "availabilityZone",
        "timezone",
    ],
    "aws:sqs/queue:Queue": ["name", "namePrefix", "fifoQueue"],
    "aws:opensearch/domain:Domain": ["domainName"],
    "random:index/randomPassword:RandomPassword": [
        "length",
        "special",
        "overrideSpecial",
        "upper",
        "lower",
        "numeric",
        "minLower",
        "minUpper",
        "minNumeric",
        "minSpecial",
        "keepers",
    ],
};

/** Inputs that replace an EC2 instance; they matter for the servers that hold data. */
const INSTANCE_REPLACEMENT_INPUTS = [
    "availabilityZone",
    "subnetId",
    "keyName",
    "privateIp",
    "tenancy",
    "ami",
    "userData",
];

/** Roles (the `role` tag) of the servers that keep state on their own volume. */
const STATEFUL_INSTANCE_ROLE = /^(mysql-.*|rabbitmq|jenkins|jira|wiki|cms)$/;

/** The replacement-forcing inputs of a resource, or undefined when it holds no state. */
export function replacementInputs(resource: RecordedResource): readonly string[] | undefined {
    if (resource.type === "aws:ec2/instance:Instance") {
        if (!STATEFUL_INSTANCE_ROLE.test(roleOf(resource))) {
            return undefined;
        }
        return INSTANCE_REPLACEMENT_INPUTS.filter((key) => !resource.ignoreChanges.includes(key));
    }
    return STATEFUL_REPLACEMENT_INPUTS[resource.type];
}

/**
 * Replacement-forcing inputs of types that hold no state: replacing them costs
 * a short outage or a new endpoint, not data. The promotion diff uses them.
 */
export const REPLACEMENT_INPUTS: Readonly<Record<string, readonly string[]>> = {
    "aws:ec2/instance:Instance": INSTANCE_REPLACEMENT_INPUTS,
    "aws:lb/loadBalancer:LoadBalancer": ["name", "namePrefix", "internal", "loadBalancerType"],
    "aws:lb/targetGroup:TargetGroup": ["name", "namePrefix", "port", "protocol", "vpcId", "targetType"],
};

/**
 * Every input of `resource` whose change replaces it, stateful or not, minus
 * ignored ones. An instance's user data replaces it only with `userDataReplaceOnChange`
 * (otherwise the provider stops and starts it).
 */
export function forcingInputs(resource: RecordedResource): readonly string[] {
    const keys = STATEFUL_REPLACEMENT_INPUTS[resource.type] ?? REPLACEMENT_INPUTS[resource.type] ?? [];
    return keys.filter(
        (key) =>
            !resource.ignoreChanges.includes(key) &&
            !(
                (key === "userData" || key === "userDataBase64") &&
                resource.type === "aws:ec2/instance:Instance" &&
                resource.inputs.userDataReplaceOnChange !== true
            ),
    );
}

export interface StatefulLoss {
    readonly urn: string;
    /** `removed`, or the inputs whose change forces a replacement. */
    readonly reason: string;
}

/**
 * What going from `before` to `after` would destroy: every stateful resource of
 * `before` that is gone from `after` (a changed URN counts as gone) or whose
 * replacement-forcing inputs changed.
 */
/**
 * The resource of `after` that names `resource` (of an earlier recording, gone
 * by its URN) as an alias, of its type and parent: a rename Pulumi carries
 * over without replacing anything.
 */
export function renamedTo(after: Recording, resource: RecordedResource): RecordedResource | undefined {
    return after.resources.find(
        (r) =>
            r.type === resource.type &&
            r.parent === resource.parent &&
            (r.aliases ?? []).some((alias) => alias === resource.name || alias === resource.urn),
    );
}

export function statefulLosses(before: Recording, after: Recording): StatefulLoss[] {
    const afterByUrn = new Map(after.resources.map((r) => [r.urn, r]));
    const losses: StatefulLoss[] = [];
    for (const resource of before.resources) {
        const keys = replacementInputs(resource);
        if (keys === undefined) {
            continue;
        }
        const next = afterByUrn.get(resource.urn) ?? renamedTo(after, resource);
        if (!next) {
            losses.push({ urn: resource.urn, reason: "removed" });
            continue;
        }
        const changed = keys.filter((key) => JSON.stringify(resource.inputs[key]) !== JSON.stringify(next.inputs[key]));
        if (changed.length > 0) {
            losses.push({ urn: resource.urn, reason: `replaced: ${changed.join(", ")} changed` });
        }
    }
    return losses;
}
