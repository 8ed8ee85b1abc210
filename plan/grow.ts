/**
 * `npm run grow -- --stack <name>`: writes the next step of the road
 * 30k -> 150k -> 1M (plan/road.ts) into Pulumi.<name>.yaml, and prints what
 * that step does to the estate, evaluated offline under mocks with the stack's
 * own name: data-loss risks first, then what it replaces, adds, retires and
 * changes, and the monthly cost before and after. One step per run; nothing
 * but that stack's file is written. Review the diff, then `pulumi up`.
 *
 *   npm run grow -- --stack prod             # write the next step
 *   npm run grow -- --stack prod --dry-run   # only say what it would be
 *   npm run grow -- --stack prod --step cutover   # write it only if it is the next step
 */
import * as fs from "fs";
import * as path from "path";
import { deployedState } from "../domain/deployed-state";
import { parseStackConfig } from "../stacks/config";
import { estimateCost } from "./cost";
import { formatDiff, promotionDiff } from "./diff";
import { PROJECT_ROOT, evaluateStack, projectName, stackConfigFromFile, stackConfigFromText } from "./evaluate";
import { ROAD, roadPosition, shippedConfig, writeStep } from "./road";

interface Options {
    stack: string;
    dryRun: boolean;
    step?: string;
}

const USAGE = "usage: npm run grow -- --stack <name> [--dry-run] [--step <step>]";

function parseArgs(argv: string[]): Options {
    let stack: string | undefined;
    let step: string | undefined;
    let dryRun = false;
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--stack" && argv[i + 1] !== undefined) {
            stack = argv[++i];
        } else if (argv[i] === "--step" && argv[i + 1] !== undefined) {
            step = argv[++i];
        } else if (argv[i] === "--dry-run") {
            dryRun = true;
        } else {
            throw new Error(`unknown argument "${argv[i]}"\n${USAGE}`);
        }
    }
    if (!stack) {
        throw new Error(USAGE);
    }
    if (step !== undefined && !ROAD.some((s) => s.name === step)) {
        throw new Error(`no step "${step}"; the road is ${ROAD.map((s) => s.name).join(" -> ")}`);
    }
    return { stack, dryRun, step };
}

const usd = (value: number) => `$${value.toFixed(2)}`;

async function main(): Promise<void> {
    const options = parseArgs(process.argv.slice(2));
    const file = path.join(PROJECT_ROOT, `Pulumi.${options.stack}.yaml`);
    if (!fs.existsSync(file)) {
        throw new Error(`no ${path.relative(PROJECT_ROOT, file)}: grow edits an existing stack's file`);
    }
    const project = projectName();
    const parse = (values: Record<string, string>) => parseStackConfig({ project, stack: options.stack, values });
    const position = roadPosition(parse(stackConfigFromFile(file)));
    if ("refused" in position) {
        throw new Error(`${options.stack}: ${position.refused}`);
    }
    if ("done" in position) {
        process.stdout.write(`${options.stack} is at the end of the road: ${ROAD.map((s) => s.name).join(" -> ")}\n`);
        return;
    }
    const { next, index } = position;
    if (options.step !== undefined && options.step !== next.name) {
        throw new Error(`${options.stack}: the next step is "${next.name}", not "${options.step}"; steps go in order`);
    }
    const text = fs.readFileSync(file, "utf8");
    const grown = writeStep(text, next.values(shippedConfig));
    // Refused config fails here, before anything is written.
    const after = stackConfigFromText(grown);
    parse(after);
    process.stderr.write(`evaluating ${options.stack} before and after "${next.name}" under mocks...\n`);
    // Each evaluated as the program runs it on the deployed estate: reading back the state the
    // file's current config recorded, so a step the program would refuse fails here too.
    const before = stackConfigFromFile(file);
    const previousOutputs = { deployedState: deployedState(parse(before)) };
    const beforeRecording = await evaluateStack(options.stack, { config: before, previousOutputs });
    const afterRecording = await evaluateStack(options.stack, { config: after, previousOutputs });
    const [costBefore, costAfter] = [beforeRecording, afterRecording].map((r) => estimateCost(r));
    // An incomplete estimate is a lower bound, said on the figure itself.
    const total = (c: typeof costBefore) =>
        c.complete ? usd(c.totalUsd) : `AT LEAST ${usd(c.totalUsd)} (${c.unpriced.length} unpriced)`;
    process.stdout.write(
        [
            `step ${index + 1} of ${ROAD.length}, "${next.name}": ${next.summary}`,
            formatDiff(
                promotionDiff(beforeRecording, afterRecording, options.stack, `${options.stack} after ${next.name}`),
            ),
            `monthly cost: ${total(costBefore)} -> ${total(costAfter)}`,
            options.dryRun
                ? `dry run: ${path.relative(PROJECT_ROOT, file)} is unchanged`
                : `wrote ${path.relative(PROJECT_ROOT, file)}; review it and the diff above, then pulumi up -s ${options.stack}`,
        ].join("\n") + "\n",
    );
    if (!options.dryRun) {
        // Written beside it, then renamed over it: the stack file is never left half-written.
        const staged = `${file}.grow`;
        fs.writeFileSync(staged, grown);
        fs.renameSync(staged, file);
    }
}

if (require.main === module) {
    main().catch((error: Error) => {
        process.stderr.write(`grow refused: ${error.message}\n`);
        process.exit(1);
    });
}
