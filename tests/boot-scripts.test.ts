/**
 * Every server boots through the loader: its boot script is an S3 object in
 * the network's boot-script bucket, named by its instance role and SHA-256,
 * readable by that role alone, kept when the program drops it, and created
 * before the server or template that names it.
 */
import { expect } from "chai";
import { bootScriptDigest, bootScriptPrefix, loaderLocation } from "../components/userdata/render";
import { BOOT_SCRIPT_NONCURRENT_DAYS } from "../components/network";
import { BOOT_SCRIPT_OBJECT_TYPE, encodedUserData } from "../plan/boot-scripts";
import { RecordedResource, Recording, STACKS, input, named, ofType, parsePolicy, recordStack } from "./harness";

const BUCKET = "network-boot-scripts-mock";
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;

/** The instance role a server or launch template runs as, by its profile's logical name. */
function roleNameOf(recording: Recording, server: RecordedResource): string {
    const profile = input<string | { arn: string }>(server, "iamInstanceProfile");
    const text = typeof profile === "string" ? profile : profile.arn;
    const found = ofType(recording, "aws:iam/instanceProfile:InstanceProfile").find(
        (p) => text === `${p.name}-mock` || text.endsWith(`/${p.name}`),
    );
    if (!found) {
        throw new Error(`${server.name} has no instance profile of the stack`);
    }
    return found.name.replace(/-profile$/, "");
}

for (const stack of STACKS) {
    describe(`boot scripts of ${stack} (mocks)`, () => {
        let recording: Recording;
        let servers: RecordedResource[];
        before(async () => {
            recording = await recordStack(stack);
            servers = recording.resources.filter((r) => encodedUserData(r) !== undefined);
        });

        it("keeps them in one private, encrypted, versioned, TLS-only bucket of the network component", () => {
            const bucket = named(recording, "aws:s3/bucket:Bucket", "network-boot-scripts");
            expect(bucket.component).to.equal("scale-tiers:network:Network");
            expect(
                named(
                    recording,
                    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                    "network-boot-scripts-public-access",
                ).inputs,
            ).to.include({
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            });
            expect(
                input(
                    named(
                        recording,
                        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                        "network-boot-scripts-encryption",
                    ),
                    "rules",
                ),
            ).to.deep.equal([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
            expect(
                input(
                    named(recording, "aws:s3/bucketVersioning:BucketVersioning", "network-boot-scripts-versioning"),
                    "versioningConfiguration",
                ),
            ).to.deep.equal({ status: "Enabled" });
            const rules = input<{ expiration?: unknown; noncurrentVersionExpiration?: { noncurrentDays: number } }[]>(
                named(
                    recording,
                    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                    "network-boot-scripts-lifecycle",
                ),
                "rules",
            );
            // A current script never expires: a server or template version may name any of them.
            expect(rules.map((rule) => rule.expiration)).to.deep.equal([undefined]);
            expect(rules[0].noncurrentVersionExpiration).to.deep.equal({ noncurrentDays: BOOT_SCRIPT_NONCURRENT_DAYS });
            const policy = parsePolicy(
                input(named(recording, "aws:s3/bucketPolicy:BucketPolicy", "network-boot-scripts-policy"), "policy"),
            );
            expect(policy.Statement).to.deep.include({
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            });
        });

        it("names each server's script by its instance role and SHA-256, and keeps it when the program drops it", () => {
            expect(servers.length).to.be.greaterThan(1);
            for (const server of servers) {
                const location = loaderLocation(encodedUserData(server)!);
                const object = ofType(recording, BOOT_SCRIPT_OBJECT_TYPE).find((o) => o.inputs.key === location.key);
                expect(object, `${server.name}: ${location.key}`).not.to.equal(undefined);
                expect(location.bucket).to.equal(BUCKET);
                expect(location.key).to.equal(
                    `${bootScriptPrefix(roleNameOf(recording, server))}${location.sha256}.sh`,
                );
                expect(bootScriptDigest(input<string>(object!, "content"))).to.equal(location.sha256);
                expect(object!.inputs).to.include({ bucket: BUCKET, checksumAlgorithm: "SHA256" });
                expect(object!.retainOnDelete, object!.name).to.equal(true);
                expect(server.dependsOn, server.name).to.include(object!.urn);
            }
        });

        it("lets each instance role read its own scripts and nothing else of the bucket, before its servers start", () => {
            for (const server of servers) {
                const role = roleNameOf(recording, server);
                const grant = named(recording, "aws:iam/rolePolicy:RolePolicy", `${role}-boot-scripts`);
                expect(parsePolicy(input(grant, "policy")).Statement).to.deep.equal([
                    {
                        Sid: "ReadOwnBootScripts",
                        Effect: "Allow",
                        Action: "s3:GetObject",
                        Resource: `${BUCKET_ARN}/boot/${role}/*`,
                    },
                ]);
                expect(server.dependsOn, server.name).to.include(grant.urn);
            }
            // No other policy of the stack names the bucket.
            const others = ofType(recording, "aws:iam/rolePolicy:RolePolicy").filter(
                (p) => !p.name.endsWith("-boot-scripts") && input<string>(p, "policy").includes(BUCKET),
            );
            expect(others.map((p) => p.name)).to.deep.equal([]);
        });

        it("never replaces a stateful server for a changed script: it ignores its user data", () => {
            const stateful = ofType(recording, "aws:ec2/instance:Instance").filter(
                (i) => i.inputs.userDataReplaceOnChange !== true,
            );
            expect(stateful.length).to.be.greaterThan(0);
            for (const server of stateful) {
                expect(server.ignoreChanges, server.name).to.include("userDataBase64");
            }
        });
    });
}
