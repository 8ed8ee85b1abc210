/**
 * What every EC2 server of the estate has in common: an Amazon Linux 2023 AMI
 * of the right architecture, IMDSv2 only, an encrypted gp3 root volume, no
 * public address, and an instance role that Session Manager can use.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Architecture, architectureOf } from "../../domain/instance-types";
import { Tags } from "../../domain/tags";
import { BootScriptBucket, RoleBootScripts, readBootScriptsPolicy } from "./boot";

/** AWS's public SSM parameter that always names the newest AL2023 AMI. */
export function al2023AmiParameter(arch: Architecture): string {
    return `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${arch}`;
}

export function al2023AmiId(instanceType: string, opts: pulumi.InvokeOutputOptions): pulumi.Output<string> {
    return aws.ssm.getParameterOutput({ name: al2023AmiParameter(architectureOf(instanceType)) }, opts).value;
}

/** IMDSv2 only, and a hop limit of 1 so that containers on the host cannot reach the instance role. */
export const METADATA_OPTIONS = {
    httpEndpoint: "enabled",
    httpTokens: "required",
    httpPutResponseHopLimit: 1,
    instanceMetadataTags: "disabled",
} as const;

/**
 * A root volume: gp3, encrypted, gone with its instance. Typed as the plain
 * values it holds (no Input), which `launchTemplateVolume` spells as strings.
 */
export function rootVolume(sizeGiB: number) {
    return {
        volumeType: "gp3",
        volumeSize: sizeGiB,
        encrypted: true,
        deleteOnTermination: true,
    } satisfies aws.types.input.ec2.InstanceRootBlockDevice;
}

/** Root device of the Amazon Linux 2023 AMIs; a mapping under another name would add a volume instead. */
export const AL2023_ROOT_DEVICE = "/dev/xvda";

/**
 * A volume like `rootVolume` (gp3, encrypted, gone with its instance) as a
 * launch template block device, which takes strings for booleans.
 */
export function launchTemplateVolume(
    deviceName: string,
    sizeGiB: number,
): aws.types.input.ec2.LaunchTemplateBlockDeviceMapping {
    const volume = rootVolume(sizeGiB);
    return {
        deviceName,
        ebs: {
            volumeType: volume.volumeType,
            volumeSize: volume.volumeSize,
            encrypted: String(volume.encrypted),
            deleteOnTermination: String(volume.deleteOnTermination),
        },
    };
}

/**
 * An Auto Scaling group's own tags, as the list it takes. Not propagated: the
 * launch template's tag specifications tag the instances and volumes, and a
 * propagated tag with the same key would override those.
 */
export function autoScalingGroupTags(tags: Tags): aws.types.input.autoscaling.GroupTag[] {
    return Object.entries(tags).map(([key, value]) => ({ key, value, propagateAtLaunch: false }));
}

export const EC2_ASSUME_ROLE_POLICY = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

export const SSM_MANAGED_INSTANCE_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";

export interface InstanceRole {
    readonly role: aws.iam.Role;
    readonly profile: aws.iam.InstanceProfile;
    /** Where the role's servers' boot scripts are published, and its grant to read them. */
    readonly bootScripts: RoleBootScripts;
}

/**
 * An instance role with Session Manager access, one inline policy, read
 * access to its own boot scripts in `bootScripts`, and its instance profile.
 * `policy` is an IAM policy document (JSON) granting exactly what the server
 * needs beyond Session Manager and its boot.
 */
export function instanceRole(
    name: string,
    policy: pulumi.Input<string>,
    bootScripts: BootScriptBucket,
    parent: pulumi.Resource,
): InstanceRole {
    const role = new aws.iam.Role(`${name}-role`, { assumeRolePolicy: EC2_ASSUME_ROLE_POLICY }, { parent });
    new aws.iam.RolePolicyAttachment(
        `${name}-ssm-core`,
        { role: role.name, policyArn: SSM_MANAGED_INSTANCE_CORE },
        { parent },
    );
    new aws.iam.RolePolicy(`${name}-policy`, { role: role.name, policy }, { parent });
    const bootPolicy = new aws.iam.RolePolicy(
        `${name}-boot-scripts`,
        { role: role.name, policy: bootScripts.arn.apply((arn) => readBootScriptsPolicy(arn, name)) },
        { parent },
    );
    const profile = new aws.iam.InstanceProfile(`${name}-profile`, { role: role.name }, { parent });
    return { role, profile, bootScripts: { bucket: bootScripts, roleName: name, policy: bootPolicy } };
}

/** An IAM statement that lets a server publish custom metrics to one namespace and no other. */
export function putMetricsStatement(namespace: string) {
    return {
        Sid: "PublishOwnMetrics",
        Effect: "Allow",
        Action: "cloudwatch:PutMetricData",
        Resource: "*",
        Condition: { StringEquals: { "cloudwatch:namespace": namespace } },
    };
}

/**
 * A policy document that allows `secretsmanager:GetSecretValue` on exactly
 * these secrets, plus `extraStatements`.
 */
export function readSecretsPolicy(
    secretArns: pulumi.Input<string>[],
    extraStatements: object[] = [],
): pulumi.Output<string> {
    return pulumi.all(secretArns).apply((arns) =>
        JSON.stringify({
            Version: "2012-10-17",
            Statement: [
                { Sid: "ReadOwnSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: arns },
                ...extraStatements,
            ],
        }),
    );
}
