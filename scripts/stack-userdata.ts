/**
 * Writes what every server of each stack runs at boot, as the stacks render
 * it under the offline mocks: <folder>/<stack>/<resource name>.sh, the boot
 * script its loader fetches from S3 (digest checked), and
 * <resource name>.user-data.sh, the loader itself (the user data EC2 gets).
 *
 *   node bin/scripts/stack-userdata.js <folder> [stack...]   (after npm run build)
 */
import * as fs from "fs";
import * as path from "path";
import { bootScriptOf, encodedUserData, loaderOf } from "../plan/boot-scripts";
import { STACKS, evaluateStack } from "../plan/evaluate";

async function main(): Promise<void> {
    const [folder, ...only] = process.argv.slice(2);
    if (!folder) {
        process.stderr.write("usage: stack-userdata.ts <folder> [stack...]\n");
        process.exit(2);
    }
    for (const stack of only.length > 0 ? only : STACKS) {
        const recording = await evaluateStack(stack);
        fs.mkdirSync(path.join(folder, stack), { recursive: true });
        for (const resource of recording.resources.filter((r) => encodedUserData(r) !== undefined)) {
            fs.writeFileSync(path.join(folder, stack, `${resource.name}.user-data.sh`), loaderOf(resource));
            fs.writeFileSync(
                path.join(folder, stack, `${resource.name}.sh`),
                bootScriptOf(recording.resources, resource),
            );
        }
    }
}

main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
});
