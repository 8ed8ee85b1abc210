/**
 * Which resources hold state, which of their inputs force a replacement, and
 * what a change from one recording to another would destroy. Pure functions.
 *
 * The tables name, for every resource type the program registers, the inputs
 * whose change makes the provider replace the resource (delete it and create
 * a new one): `ForceNew` (SDKv2) or `RequiresReplace` (plugin framework) in
 * the provider's schema, by their Pulumi input names. Sources are files of
 * hashicorp/terraform-provider-aws under internal/service/ unless said
 * otherwise. `block.field` is one field of a nested block (of each element,
 * for a list of blocks) whose siblings change in place. Replacements a
 * provider decides case by case (CustomizeDiff) are listed only where said.
 */
import { RecordedResource, Recording, roleOf } from "./evaluate";

/**
 * Regional AWS types also replace on `region`: the provider forces a new
 * resource when the per-resource Region changes (internal/provider/sdkv2/region.go).
 */
function regional(...inputs: string[]): readonly string[] {
    return [...inputs, "region"];
}

/**
 * Stateful resource types (they hold data) and their replacement-forcing
 * inputs: a replacement deletes the data with the resource.
 */
export const STATEFUL_REPLACEMENT_INPUTS: Readonly<Record<string, readonly string[]>> = {
    // No provider schema: awsx builds the VPC and its subnets from these.
    "awsx:ec2:Vpc": ["cidrBlock", "availabilityZoneNames", "subnetSpecs", "instanceTenancy"],
    "aws:ebs/volume:Volume": regional(
        "availabilityZone",
        "encrypted",
        "kmsKeyId",
        "multiAttachEnabled",
        "outpostArn",
        "snapshotId",
    ), // ec2/ebs_volume.go
    "aws:route53/zone:Zone": ["name", "delegationSetId"],
    "aws:secretsmanager/secret:Secret": regional("name", "namePrefix"),
    "aws:s3/bucket:Bucket": regional("bucket", "bucketPrefix", "objectLockEnabled"),
    // rds/instance.go; replicate_source_db is not among them: promoting a replica is in place.
    "aws:rds/instance:Instance": regional(
        "availabilityZone",
        "characterSetName",
        "customIamInstanceProfile",
        "dbName",
        "engine",
        "identifier",
        "identifierPrefix",
        "kmsKeyId",
        "ncharCharacterSetName",
        "restoreToPointInTime",
        "s3Import",
        "snapshotIdentifier",
        "storageEncrypted",
        "timezone",
        "username",
    ),
    "aws:sqs/queue:Queue": regional("name", "namePrefix", "fifoQueue"),
    // opensearch/domain.go: the encryption flags replace when turned off, or on where the engine cannot in place.
    "aws:opensearch/domain:Domain": regional(
        "domainName",
        "advancedSecurityOptions.enabled",
        "encryptAtRest.enabled",
        "encryptAtRest.kmsKeyId",
        "nodeToNodeEncryption.enabled",
        "vpcOptions",
    ),
    // hashicorp/terraform-provider-random internal/provider/resource_password.go: every input regenerates it.
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

/**
 * Inputs that replace an EC2 instance (ec2/ec2_instance.go); they matter for
 * the servers that hold data. User data replaces it only with
 * `userDataReplaceOnChange` (a CustomizeDiff), see `forcingInputs`.
 */
const INSTANCE_REPLACEMENT_INPUTS = regional(
    "ami",
    "associatePublicIpAddress",
    "availabilityZone",
    "cpuOptions",
    "ebsBlockDevices",
    "ebsOptimized",
    "enclaveOptions",
    "ephemeralBlockDevices",
    "hibernation",
    "hostId",
    "ipv6AddressCount",
    "ipv6Addresses",
    "keyName",
    "launchTemplate",
    "networkInterfaces",
    "placementGroup",
    "placementPartitionNumber",
    "privateDnsNameOptions",
    "privateIp",
    "rootBlockDevice.encrypted",
    "rootBlockDevice.kmsKeyId",
    "securityGroups",
    "subnetId",
    "tenancy",
    "userData",
    "userDataBase64",
);

/** Roles (the `role` tag) of the servers that keep state on their own volume. */
const STATEFUL_INSTANCE_ROLE = /^(mysql-.*|rabbitmq|jenkins|jira|wiki|cms)$/;

/** Whether a change to `key` counts: not when the resource ignores changes to it or to its block. */
function notIgnored(resource: RecordedResource): (key: string) => boolean {
    return (key) => !resource.ignoreChanges.some((ignored) => key === ignored || key.startsWith(`${ignored}.`));
}

/** The replacement-forcing inputs of a resource, or undefined when it holds no state. */
export function replacementInputs(resource: RecordedResource): readonly string[] | undefined {
    if (resource.type === "aws:ec2/instance:Instance") {
        if (!STATEFUL_INSTANCE_ROLE.test(roleOf(resource))) {
            return undefined;
        }
        return forcingInputs(resource);
    }
    return STATEFUL_REPLACEMENT_INPUTS[resource.type];
}

/**
 * Replacement-forcing inputs of types that hold no state: replacing them costs
 * a short outage or a new endpoint, not data. An empty list says the type
 * updates every input in place. The promotion diff uses them.
 */
export const REPLACEMENT_INPUTS: Readonly<Record<string, readonly string[]>> = {
    "aws:acm/certificate:Certificate": regional(
        "certificateAuthorityArn",
        "domainName",
        "keyAlgorithm",
        "subjectAlternativeNames",
        "validationMethod",
        "validationOptions",
    ),
    "aws:acm/certificateValidation:CertificateValidation": regional("certificateArn", "validationRecordFqdns"),
    "aws:autoscaling/group:Group": regional("name", "namePrefix"),
    "aws:autoscaling/policy:Policy": regional("autoscalingGroupName", "name"),
    "aws:budgets/budget:Budget": ["accountId", "name", "namePrefix"],
    "aws:cloudwatch/dashboard:Dashboard": regional("dashboardName"),
    "aws:cloudwatch/logGroup:LogGroup": regional("name", "namePrefix", "logGroupClass"), // logs/group.go
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": regional("policyName"), // logs/resource_policy.go
    "aws:cloudwatch/metricAlarm:MetricAlarm": regional("name"), // alarm_name
    "aws:dlm/lifecyclePolicy:LifecyclePolicy": regional(),
    "aws:dms/endpoint:Endpoint": regional("endpointId", "kmsKeyArn"),
    "aws:dms/eventSubscription:EventSubscription": regional("name", "sourceIds", "sourceType"),
    "aws:dms/replicationInstance:ReplicationInstance": regional(
        "availabilityZone",
        "kmsKeyArn",
        "publiclyAccessible",
        "replicationInstanceId",
        "replicationSubnetGroupId",
    ),
    "aws:dms/replicationSubnetGroup:ReplicationSubnetGroup": regional("replicationSubnetGroupId"),
    "aws:dms/replicationTask:ReplicationTask": regional(
        "replicationInstanceArn",
        "replicationTaskId",
        "sourceEndpointArn",
        "targetEndpointArn",
    ),
    "aws:ebs/snapshot:Snapshot": regional("volumeId", "description", "outpostArn"), // ec2/ebs_snapshot.go
    // ec2/vpc_flow_log.go: no update but of tags.
    "aws:ec2/flowLog:FlowLog": regional(
        "deliverCrossAccountRole",
        "destinationOptions",
        "eniId",
        "iamRoleArn",
        "logDestination",
        "logDestinationType",
        "logFormat",
        "maxAggregationInterval",
        "subnetId",
        "trafficType",
        "transitGatewayAttachmentId",
        "transitGatewayId",
        "vpcId",
    ),
    "aws:ec2/instance:Instance": INSTANCE_REPLACEMENT_INPUTS,
    // ec2/ec2_launch_template.go: any other change is a new template version.
    "aws:ec2/launchTemplate:LaunchTemplate": regional("name", "namePrefix"),
    "aws:ec2/securityGroup:SecurityGroup": regional("name", "namePrefix", "description", "vpcId"), // ec2/vpc_security_group.go
    "aws:ec2/volumeAttachment:VolumeAttachment": regional("deviceName", "instanceId", "volumeId"), // ec2/ebs_volume_attachment.go
    "aws:ec2/vpcEndpoint:VpcEndpoint": regional(
        "dnsOptions.privateDnsPreference",
        "dnsOptions.privateDnsSpecifiedDomains",
        "resourceConfigurationArn",
        "serviceName",
        "serviceNetworkArn",
        "serviceRegion",
        "vpcEndpointType",
        "vpcId",
    ),
    "aws:elasticache/cluster:Cluster": regional(
        "availabilityZone",
        "clusterId",
        "engine",
        "networkType",
        "outpostMode",
        "port",
        "preferredOutpostArn",
        "replicationGroupId",
        "snapshotArns",
        "snapshotName",
        "subnetGroupName",
        "transitEncryptionEnabled",
    ),
    "aws:elasticache/subnetGroup:SubnetGroup": regional("name"),
    "aws:iam/instanceProfile:InstanceProfile": ["name", "namePrefix", "path"],
    "aws:iam/role:Role": ["name", "namePrefix", "path"],
    "aws:iam/rolePolicy:RolePolicy": ["name", "namePrefix", "role"],
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ["policyArn", "role"],
    "aws:kms/key:Key": regional("customKeyStoreId", "customerMasterKeySpec", "keyUsage", "multiRegion", "xksKeyId"),
    "aws:lb/listener:Listener": regional("loadBalancerArn"), // elbv2/listener.go
    "aws:lb/listenerRule:ListenerRule": regional("listenerArn"), // elbv2/listener_rule.go
    // elbv2/load_balancer.go; a network load balancer also replaces on some subnet and security group changes.
    "aws:lb/loadBalancer:LoadBalancer": regional(
        "customerOwnedIpv4Pool",
        "internal",
        "loadBalancerType",
        "name",
        "namePrefix",
    ),
    "aws:lb/targetGroup:TargetGroup": regional(
        "ipAddressType",
        "name",
        "namePrefix",
        "port",
        "protocol",
        "protocolVersion",
        "targetType",
        "vpcId",
    ), // elbv2/target_group.go
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": regional(
        "availabilityZone",
        "port",
        "targetGroupArn",
        "targetId",
    ), // elbv2/target_group_attachment.go
    "aws:rds/parameterGroup:ParameterGroup": regional("name", "namePrefix", "family", "description"),
    "aws:rds/subnetGroup:SubnetGroup": regional("name", "namePrefix"),
    "aws:route53/record:Record": ["name", "zoneId"],
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": regional("bucket", "expectedBucketOwner"),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": regional("bucket"),
    // s3/object.go: new content is uploaded in place; a boot script's key is its digest, so a new script is a new object.
    "aws:s3/bucketObjectv2:BucketObjectv2": regional("bucket", "key"),
    "aws:s3/bucketPolicy:BucketPolicy": regional("bucket"),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": regional("bucket"),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": regional(
        "bucket",
        "expectedBucketOwner",
    ),
    "aws:s3/bucketVersioning:BucketVersioning": regional("bucket", "expectedBucketOwner"),
    "aws:secretsmanager/secretVersion:SecretVersion": regional(
        "secretBinary",
        "secretId",
        "secretString",
        "secretStringWoVersion",
    ),
    "aws:sns/topic:Topic": regional("name", "namePrefix", "fifoTopic"),
    "aws:sns/topicPolicy:TopicPolicy": regional("arn"),
    "aws:sns/topicSubscription:TopicSubscription": regional("endpoint", "protocol", "topic"), // topic_arn
    "aws:sqs/queuePolicy:QueuePolicy": regional("queueUrl"),
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": regional("queueUrl"), // sqs/queue_redrive_allow_policy.go
    "aws:ssm/association:Association": regional("name"),
    "aws:ssm/document:Document": regional("name"),
    "aws:ssm/parameter:Parameter": regional("name", "dataType"),
    // ec2/vpc_security_group_ingress_rule.go (both directions)
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": regional("securityGroupId"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": regional("securityGroupId"),
    "aws:wafv2/webAcl:WebAcl": regional("name", "namePrefix", "scope"),
    "aws:wafv2/webAclAssociation:WebAclAssociation": regional("resourceArn", "webAclArn"),
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": regional("resourceArn"),
    // components/migration-gate.ts: a dynamic provider without `diff`, so the engine updates it in place.
    "pulumi-nodejs:dynamic/migration:Gate": [],
    // hashicorp/terraform-provider-tls internal/provider/resource_*.go
    "tls:index/certRequest:CertRequest": ["dnsNames", "ipAddresses", "privateKeyPem", "subject", "uris"],
    "tls:index/locallySignedCert:LocallySignedCert": [
        "allowedUses",
        "caCertPem",
        "caPrivateKeyPem",
        "certRequestPem",
        "isCaCertificate",
        "setSubjectKeyId",
        "validityPeriodHours",
    ],
    "tls:index/privateKey:PrivateKey": ["algorithm", "ecdsaCurve", "rsaBits"],
    "tls:index/selfSignedCert:SelfSignedCert": [
        "allowedUses",
        "dnsNames",
        "ipAddresses",
        "isCaCertificate",
        "privateKeyPem",
        "setAuthorityKeyId",
        "setSubjectKeyId",
        "subject",
        "uris",
        "validityPeriodHours",
    ],
};

/** Whether the tables say which inputs of `type` replace it (an empty list included). */
export function hasReplacementEntry(type: string): boolean {
    return type in STATEFUL_REPLACEMENT_INPUTS || type in REPLACEMENT_INPUTS;
}

/**
 * The value at `path` (`input` or `block.field`) of a resource's inputs; for
 * a list of blocks, the field of each element.
 */
export function inputAt(inputs: Record<string, unknown>, path: string): unknown {
    return path.split(".").reduce<unknown>((value, field) => {
        const at = (v: unknown) =>
            v !== null && typeof v === "object" ? (v as Record<string, unknown>)[field] : undefined;
        return Array.isArray(value) ? value.map(at) : at(value);
    }, inputs);
}

/** The inputs among `paths` whose values differ from `before` to `after`. */
export function changedInputs(
    paths: readonly string[],
    before: Record<string, unknown>,
    after: Record<string, unknown>,
): string[] {
    return paths.filter((path) => JSON.stringify(inputAt(before, path)) !== JSON.stringify(inputAt(after, path)));
}

/**
 * Every input of `resource` whose change replaces it, stateful or not, minus
 * ignored ones. An instance's user data replaces it only with `userDataReplaceOnChange`
 * (otherwise the provider stops and starts it).
 */
export function forcingInputs(resource: RecordedResource): readonly string[] {
    const keys = STATEFUL_REPLACEMENT_INPUTS[resource.type] ?? REPLACEMENT_INPUTS[resource.type] ?? [];
    return keys.filter(
        (key) =>
            notIgnored(resource)(key) &&
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

/**
 * What going from `before` to `after` would destroy: every stateful resource of
 * `before` that is gone from `after` (a changed URN counts as gone) or whose
 * replacement-forcing inputs changed.
 */
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
        const changed = changedInputs(keys, resource.inputs, next.inputs);
        if (changed.length > 0) {
            losses.push({ urn: resource.urn, reason: `replaced: ${changed.join(", ")} changed` });
        }
    }
    return losses;
}
