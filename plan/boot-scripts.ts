/**
 * The boot script a server runs, read from a recording: its user data is the
 * loader (components/userdata/loader.sh), which names the published object
 * and the digest the script must have.
 */
import { bootScriptDigest, decodeUserData, loaderLocation } from "../components/userdata/render";
import { RecordedResource } from "./evaluate";

export const BOOT_SCRIPT_OBJECT_TYPE = "aws:s3/bucketObjectv2:BucketObjectv2";

/** A server's or launch template's user data as encoded (instances' `userDataBase64`, templates' `userData`). */
export function encodedUserData(server: RecordedResource): string | undefined {
    const encoded = server.inputs.userDataBase64 ?? server.inputs.userData;
    return typeof encoded === "string" ? encoded : undefined;
}

/**
 * The script `server`'s loader fetches: the object the recording publishes
 * under the key and bucket it names. Throws when there is none, or when its
 * content does not have the pinned digest (the loader would refuse it).
 */
export function bootScriptOf(resources: readonly RecordedResource[], server: RecordedResource): string {
    const encoded = encodedUserData(server);
    if (encoded === undefined) {
        throw new Error(`${server.name} has no user data`);
    }
    const location = loaderLocation(encoded);
    const object = resources.find(
        (r) =>
            r.type === BOOT_SCRIPT_OBJECT_TYPE && r.inputs.key === location.key && r.inputs.bucket === location.bucket,
    );
    const content = object?.inputs.content;
    if (typeof content !== "string") {
        throw new Error(
            `${server.name}'s loader names s3://${location.bucket}/${location.key}, which is not published`,
        );
    }
    if (bootScriptDigest(content) !== location.sha256) {
        throw new Error(`${server.name}'s boot script does not have the SHA-256 its loader pins`);
    }
    return content;
}

/** The loader itself, as the instance receives it. */
export function loaderOf(server: RecordedResource): string {
    const encoded = encodedUserData(server);
    if (encoded === undefined) {
        throw new Error(`${server.name} has no user data`);
    }
    return decodeUserData(encoded);
}
