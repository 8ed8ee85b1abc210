/**
 * Writes the user data of every server each stack builds, as the instance
 * receives it (unpacked), to <folder>/<stack>/<resource name>.sh: what the
 * boot harness (tests/boot) runs. Stacks are evaluated under the offline mocks.
 *
 *   node bin/scripts/stack-userdata.js <folder> [stack...]   (after npm run build)
 */
import * as fs from "fs";
import * as path from "path";
import { decodeUserData } from "../components/userdata/render";
import { STACKS, evaluateStack, RecordedResource } from "../plan/evaluate";

/** A server's boot script: gzip+base64 (userDataBase64, launch templates' userData) or plain text. */
function userDataOf(resource: RecordedResource): string | undefined {
    const encoded = resource.inputs.userDataBase64 ?? resource.inputs.userData;
    if (typeof encoded !== "string") {
        return undefined;
    }
    if (encoded.startsWith("#!")) {
        return encoded;
    }
    return decodeUserData(encoded);
}

async function main(): Promise<void> {
    const [folder, ...only] = process.argv.slice(2);
    if (!folder) {
        process.stderr.write("usage: stack-userdata.ts <folder> [stack...]\n");
        process.exit(2);
    }
    for (const stack of only.length > 0 ? only : STACKS) {
        const recording = await evaluateStack(stack);
        fs.mkdirSync(path.join(folder, stack), { recursive: true });
        for (const resource of recording.resources) {
            const script = userDataOf(resource);
            if (script !== undefined) {
                fs.writeFileSync(path.join(folder, stack, `${resource.name}.sh`), script);
            }
        }
    }
}

main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
});
