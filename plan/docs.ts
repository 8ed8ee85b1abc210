/**
 * `npm run docs`: regenerates the config reference in docs/configuration.md
 * and the key declarations in Pulumi.yaml from the schema, and the table of
 * taggable resource types from the installed provider SDKs.
 */
import * as fs from "fs";
import * as path from "path";
import { configurationDoc, projectFile } from "./config-docs";
import { PROJECT_ROOT } from "./evaluate";
import { taggableTypesModule } from "./taggable-types";

async function main(): Promise<void> {
    const docs = path.join(PROJECT_ROOT, "docs", "configuration.md");
    fs.writeFileSync(docs, await configurationDoc(fs.readFileSync(docs, "utf8"), docs));
    const project = path.join(PROJECT_ROOT, "Pulumi.yaml");
    fs.writeFileSync(project, projectFile(fs.readFileSync(project, "utf8")));
    fs.writeFileSync(path.join(PROJECT_ROOT, "domain", "taggable-types.ts"), taggableTypesModule());
    process.stderr.write(
        "wrote docs/configuration.md, Pulumi.yaml's config declarations and domain/taggable-types.ts\n",
    );
}

main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
});
