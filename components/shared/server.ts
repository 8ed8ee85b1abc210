/**
 * A server that keeps its state on its own EBS volume (database, broker,
 * Jenkins, team tools), and the snapshot schedule of such volumes.
 *
 * The volume is protected and outlives the instance; the instance ignores AMI
 * and user-data drift, so no deployment replaces it by accident. If it is
 * replaced on purpose, the attachment goes first (the volume attaches to one
 * instance at a time) and stops the old server cleanly, and the boot script
 * of the new one waits for the volume and adopts what is on it.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { RoleBootScripts, bootUserData } from "./boot";
import { METADATA_OPTIONS, al2023AmiId, rootVolume } from "./ec2";

/** Device name in the attachments; on Nitro instances the scripts find the volume by id instead. */
export const DATA_DEVICE_NAME = "/dev/sdf";

/** Tag whose value selects a stack's volumes for a snapshot policy. */
export const SNAPSHOT_TAG = "scale-tiers:snapshots";

export interface StatefulServerArgs {
    availabilityZone: string;
    subnetId: pulumi.Input<string>;
    instanceType: string;
    securityGroupIds: pulumi.Input<string>[];
    instanceProfile: pulumi.Input<string>;
    rootVolumeGiB: number;
    dataVolume: { sizeGiB: number; iops?: number; throughputMiBps?: number };
    /** Value of SNAPSHOT_TAG on the volume; undefined: not snapshotted. */
    snapshotSelector?: string;
    /** The rendered boot script, given the data volume's id; published in S3, run by the loader in user data. */
    bootScript: (volumeId: pulumi.Output<string>) => pulumi.Input<string>;
    /** The instance role's boot scripts (its `instanceRole`'s). */
    bootScripts: RoleBootScripts;
    /** The `role` tag, which monitoring and the plan read. */
    role: string;
    /** What must exist before the server boots (the secrets its script reads). */
    dependsOn: pulumi.Resource[];
}

export interface StatefulServer {
    readonly instance: aws.ec2.Instance;
    readonly volume: aws.ebs.Volume;
}

/** What a retired server still needs: where its volume is, and what it is like. */
export type RetiredServerArgs = Pick<StatefulServerArgs, "availabilityZone" | "dataVolume" | "snapshotSelector">;

/** The volume's inputs do not depend on whether its server runs, so retiring one changes nothing of it. */
function dataVolume(name: string, args: RetiredServerArgs, parent: pulumi.Resource, retired: boolean) {
    return new aws.ebs.Volume(
        `${name}-data`,
        {
            availabilityZone: args.availabilityZone,
            type: "gp3",
            size: args.dataVolume.sizeGiB,
            iops: args.dataVolume.iops,
            throughput: args.dataVolume.throughputMiBps,
            encrypted: true,
            finalSnapshot: true,
            tags: {
                Name: `${name}-data`,
                ...(args.snapshotSelector ? { [SNAPSHOT_TAG]: args.snapshotSelector } : {}),
            },
        },
        // The data lives here: never deleted or replaced by a deployment; a retired server's
        // volume is also left in AWS by a destroy.
        { parent, protect: true, retainOnDelete: retired },
    );
}

/**
 * A server that no longer runs (e.g. MySQL after the move to RDS): its data
 * volume `<name>-data` stays, protected, and gets a final snapshot
 * `<name>-data-final`; the instance and attachment go.
 */
export function retiredServer(name: string, args: RetiredServerArgs, parent: pulumi.Resource): aws.ebs.Volume {
    const volume = dataVolume(name, args, parent, true);
    // Taken while the old server may still be attached (deletions come last in an update):
    // crash-consistent, which InnoDB recovers from as from a power loss.
    new aws.ebs.Snapshot(
        `${name}-data-final`,
        {
            volumeId: volume.id,
            description: `Final snapshot of ${name}-data, taken when the server was retired`,
            tags: { Name: `${name}-data-final` },
        },
        { parent, protect: true, retainOnDelete: true },
    );
    return volume;
}

/** Creates `<name>` (instance), `<name>-data` (volume) and `<name>-data-attachment`. */
export function statefulServer(name: string, args: StatefulServerArgs, parent: pulumi.Resource): StatefulServer {
    const volume = dataVolume(name, args, parent, false);
    const boot = bootUserData(name, args.bootScripts, args.bootScript(volume.id), parent);
    const instance = new aws.ec2.Instance(
        name,
        {
            ami: al2023AmiId(args.instanceType, { parent }),
            instanceType: args.instanceType,
            availabilityZone: args.availabilityZone,
            subnetId: args.subnetId,
            vpcSecurityGroupIds: args.securityGroupIds,
            iamInstanceProfile: args.instanceProfile,
            associatePublicIpAddress: false,
            metadataOptions: METADATA_OPTIONS,
            rootBlockDevice: rootVolume(args.rootVolumeGiB),
            monitoring: true,
            userDataBase64: boot.userDataBase64,
            tags: { Name: name, role: args.role },
        },
        {
            parent,
            // A newer AMI or an edited script must not replace a stateful server: an edited
            // script is published under a new key (the old one stays), and the scripts are
            // idempotent, re-run through Session Manager (docs/architecture.md).
            ignoreChanges: ["ami", "userDataBase64"],
            dependsOn: [...args.dependsOn, ...boot.dependsOn],
        },
    );
    new aws.ec2.VolumeAttachment(
        `${name}-data-attachment`,
        {
            instanceId: instance.id,
            volumeId: volume.id,
            deviceName: DATA_DEVICE_NAME,
            // The service stops cleanly before the volume moves to a replacement instance.
            stopInstanceBeforeDetaching: true,
        },
        { parent, deleteBeforeReplace: true },
    );
    return { instance, volume };
}

/** The Data Lifecycle Manager schedule: a name DLM accepts, and the create and retain rules. */
export function snapshotSchedule(
    intervalHours: number,
    retainCount: number,
): aws.types.input.dlm.LifecyclePolicyPolicyDetailsSchedule {
    return {
        name: `every-${intervalHours}h-keep-${retainCount}`,
        // First snapshot of the day at 17:00 UTC, 02:00 in Seoul: the quietest hour for a Korean audience.
        createRule: { interval: intervalHours, intervalUnit: "HOURS", times: "17:00" },
        retainRule: { count: retainCount },
        copyTags: true,
    };
}

export interface SnapshotPolicyArgs {
    /** DLM accepts letters, digits, spaces, hyphens and underscores. */
    description: string;
    /** Volumes whose SNAPSHOT_TAG has this value. */
    selector: string;
    intervalHours: number;
    retainCount: number;
}

/** A DLM policy (and its role) snapshotting the volumes tagged with `selector`. */
export function snapshotPolicy(name: string, args: SnapshotPolicyArgs, parent: pulumi.Resource): void {
    const opts = { parent };
    const role = new aws.iam.Role(
        `${name}-role`,
        {
            assumeRolePolicy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { Service: "dlm.amazonaws.com" }, Action: "sts:AssumeRole" }],
            }),
        },
        opts,
    );
    new aws.iam.RolePolicyAttachment(
        `${name}-role-policy`,
        { role: role.name, policyArn: "arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole" },
        opts,
    );
    new aws.dlm.LifecyclePolicy(
        name,
        {
            description: args.description,
            executionRoleArn: role.arn,
            state: "ENABLED",
            policyDetails: {
                policyType: "EBS_SNAPSHOT_MANAGEMENT",
                resourceTypes: ["VOLUME"],
                targetTags: { [SNAPSHOT_TAG]: args.selector },
                schedules: [snapshotSchedule(args.intervalHours, args.retainCount)],
            },
        },
        opts,
    );
}
