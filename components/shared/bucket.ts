/**
 * A private S3 bucket as every bucket of the estate is: owner-enforced objects
 * (no ACLs), public access blocked, encrypted by default, TLS-only, with a
 * lifecycle. Callers add the statements that say who may write what.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface PrivateBucketArgs {
    /** Versioning keeps overwritten or deleted objects (artifacts); off for logs. */
    versioned: boolean;
    /** Lifecycle rules, in the provider's shape. */
    lifecycleRules: aws.types.input.s3.BucketLifecycleConfigurationRule[];
    /** Extra policy statements, built from the bucket ARN and the resolved `statementInputs`; the TLS-only denial is always added. */
    statements: (bucketArn: string, inputs: string[]) => object[];
    /** Values the statements need (account ids, role ARNs). */
    statementInputs?: pulumi.Input<string>[];
}

/** The statement that refuses every request not made over TLS. */
export function denyInsecureTransport(bucketArn: string): object {
    return {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
    };
}

export interface PrivateBucket {
    readonly bucket: aws.s3.Bucket;
    /** Resources that must exist before anyone writes: the policy (log delivery checks it). */
    readonly policy: aws.s3.BucketPolicy;
}

export function privateBucket(name: string, args: PrivateBucketArgs, parent: pulumi.Resource): PrivateBucket {
    const opts = { parent };
    const bucket = new aws.s3.Bucket(name, { forceDestroy: false }, opts);
    new aws.s3.BucketOwnershipControls(
        `${name}-ownership`,
        { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
        opts,
    );
    new aws.s3.BucketPublicAccessBlock(
        `${name}-public-access`,
        {
            bucket: bucket.id,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        },
        opts,
    );
    // SSE-S3: the one encryption that load balancer log delivery supports, and enough for artifacts.
    new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-encryption`,
        { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
        opts,
    );
    if (args.versioned) {
        new aws.s3.BucketVersioning(
            `${name}-versioning`,
            { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
            opts,
        );
    }
    new aws.s3.BucketLifecycleConfiguration(
        `${name}-lifecycle`,
        { bucket: bucket.id, rules: args.lifecycleRules },
        opts,
    );
    const policy = new aws.s3.BucketPolicy(
        `${name}-policy`,
        {
            bucket: bucket.id,
            policy: pulumi.all([bucket.arn, pulumi.all(args.statementInputs ?? [])]).apply(([bucketArn, inputs]) =>
                JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [...args.statements(bucketArn, inputs), denyInsecureTransport(bucketArn)],
                }),
            ),
        },
        opts,
    );
    return { bucket, policy };
}
