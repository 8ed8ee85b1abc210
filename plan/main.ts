/**
 * `npm run plan`: what each stack would create, evaluated offline under mocks
 * with each stack's real config. Text by default, `--json` for tools; progress
 * goes to stderr so stdout stays clean.
 *
 *   npm run plan                       # all stacks
 *   npm run plan -- --stack tier30k    # one stack (repeatable)
 *   npm run plan -- --json
 */
import { STACKS, evaluateStack } from "./evaluate";
import { StackInventory, formatInventory, inventory } from "./inventory";

interface Options {
    stacks: string[];
    json: boolean;
}

const USAGE = `usage: npm run plan -- [--stack <${STACKS.join("|")}>]... [--json]`;

function parseArgs(argv: string[]): Options {
    const options: Options = { stacks: [], json: false };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--json") {
            options.json = true;
        } else if (arg === "--stack" && argv[i + 1] !== undefined) {
            options.stacks.push(argv[++i]);
        } else if (arg === "--help" || arg === "-h") {
            process.stdout.write(`${USAGE}\n`);
            process.exit(0);
        } else {
            throw new Error(`unknown argument "${arg}"\n${USAGE}`);
        }
    }
    const unknown = options.stacks.filter((s) => !(STACKS as readonly string[]).includes(s));
    if (unknown.length > 0) {
        throw new Error(`unknown stack ${unknown.join(", ")}; stacks are ${STACKS.join(", ")}`);
    }
    if (options.stacks.length === 0) {
        options.stacks = [...STACKS];
    }
    return options;
}

async function main(): Promise<void> {
    const options = parseArgs(process.argv.slice(2));
    const inventories: StackInventory[] = [];
    for (const stack of options.stacks) {
        process.stderr.write(`evaluating ${stack} under mocks...\n`);
        inventories.push(inventory(await evaluateStack(stack)));
    }
    process.stdout.write(
        options.json
            ? `${JSON.stringify(inventories, null, 2)}\n`
            : `${inventories.map(formatInventory).join("\n\n")}\n`,
    );
}

main().catch((error: Error) => {
    process.stderr.write(`plan failed: ${error.message}\n`);
    process.exit(1);
});
