/**
 * Writes every cloud-init script as an instance receives it (variables bound,
 * helpers inlined, comments and unused functions stripped) into a folder, so that .ci/run can
 * shellcheck what actually runs, not only the sources: each role's boot script
 * (published in S3) and the loader (the user data that fetches and runs it).
 *
 *   node bin/scripts/render-userdata.js <folder>   (after npm run build)
 */
import * as fs from "fs";
import * as path from "path";
import {
    LOADER_SCRIPT,
    USER_DATA_SCRIPTS,
    instanceScript,
    readScript,
    requiredVariables,
} from "../components/userdata/render";

const folder = process.argv[2];
if (!folder) {
    process.stderr.write("usage: render-userdata.ts <folder>\n");
    process.exit(2);
}
fs.mkdirSync(folder, { recursive: true });
for (const script of [...USER_DATA_SCRIPTS, LOADER_SCRIPT]) {
    // Placeholder values from the renderer's safe set; what matters here is the shell around them.
    const variables = Object.fromEntries(requiredVariables(readScript(script)).map((name) => [name, "placeholder"]));
    fs.writeFileSync(path.join(folder, `${script}.sh`), instanceScript(script, variables));
}
