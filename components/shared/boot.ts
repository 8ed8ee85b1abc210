/**
 * How a server gets its boot script: the rendered script is published in the
 * estate's boot-script bucket as `boot/<instance role>/<sha256>.sh`, and the
 * server's user data is the loader (userdata/loader.sh) pinned to that key and
 * digest. User data stays about a kilobyte, whatever the script's size.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { bootScriptDigest, bootScriptKey, bootScriptPrefix, loaderUserData } from "../userdata/render";

/** The bucket the boot scripts are published in (the network component's). */
export interface BootScriptBucket {
    readonly name: pulumi.Output<string>;
    readonly arn: pulumi.Output<string>;
}

/** One instance role's boot scripts: where they go, and the grant that lets the role read them. */
export interface RoleBootScripts {
    readonly bucket: BootScriptBucket;
    /** The instance role's logical name, which names its prefix. */
    readonly roleName: string;
    /** The role's read access to its prefix: a server boots only once it exists. */
    readonly policy: aws.iam.RolePolicy;
}

/**
 * The role may read its own boot scripts, every version of them (each is
 * pinned by its digest): a launch template version or an Auto Scaling
 * launch during an update may still name the one before. No list, no other
 * role's prefix.
 */
export function readBootScriptsPolicy(bucketArn: string, roleName: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ReadOwnBootScripts",
                Effect: "Allow",
                Action: "s3:GetObject",
                Resource: `${bucketArn}/${bootScriptPrefix(roleName)}*`,
            },
        ],
    });
}

/** A server's user data, and what must exist before the server starts. */
export interface BootUserData {
    readonly userDataBase64: pulumi.Output<string>;
    /** The published script and the role's grant to read it. */
    readonly dependsOn: pulumi.Resource[];
}

/**
 * Publishes `script` as `<name>-boot-script` and returns the loader that runs
 * it. The object is never deleted by an update (`retainOnDelete`): a changed
 * script is a new key, and a stateful server (which ignores user-data
 * changes), a launch template version or a scale-out hours later may still
 * name the old one.
 */
export function bootUserData(
    name: string,
    boot: RoleBootScripts,
    script: pulumi.Input<string>,
    parent: pulumi.Resource,
): BootUserData {
    const text = pulumi.output(script);
    const object = new aws.s3.BucketObjectv2(
        `${name}-boot-script`,
        {
            bucket: boot.bucket.name,
            key: text.apply((content) => bootScriptKey(boot.roleName, content)),
            content: text,
            contentType: "text/x-shellscript",
            // S3 checks the upload against its SHA-256 and keeps the checksum with the object.
            checksumAlgorithm: "SHA256",
        },
        { parent, retainOnDelete: true },
    );
    // From the object's outputs: the user data is known only once the object exists.
    const userDataBase64 = pulumi
        .all([object.bucket, object.key, text])
        .apply(([bucket, key, content]) => loaderUserData({ bucket, key, sha256: bootScriptDigest(content) }));
    return { userDataBase64, dependsOn: [object, boot.policy] };
}
