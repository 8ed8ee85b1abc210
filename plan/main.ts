/**
 * `npm run plan`: what each stack would create, evaluated offline under mocks
 * with each stack's real config: inventory, capability table, monthly cost and
 * the critical path of a first `pulumi up`, and what losing one AZ stops. Text by default, `--json` for
 * tools; progress goes to stderr so stdout stays clean.
 *
 *   npm run plan                              # all stacks
 *   npm run plan -- --stack tier30k           # one stack (repeatable)
 *   npm run plan -- --json
 *   npm run plan -- --diff tier30k tier150k   # promotion diff, same stack name
 *   npm run plan -- --diff origin/main        # each stack at a git ref against the working tree
 *   npm run plan -- --cost-diff origin/main   # each stack's monthly cost at a git ref and now, as Markdown;
 *                                             # exit 3 when a rise exceeds its costGuard
 *   npm run plan -- --write-diagrams          # regenerate docs/diagrams/<stack>.md
 */
import * as fs from "fs";
import * as path from "path";
import { AzLossFinding, azLossFindings, formatAzLoss } from "./az-loss";
import { CapabilityRow, capabilities, formatCapabilities } from "./capabilities";
import { StackCost, estimateCost, formatCost } from "./cost";
import { CostSide, costDiff, costDiffMarkdown, costGuardOf, overLimit } from "./cost-diff";
import { diagramMarkdown } from "./diagram";
import { formatDiff, promotionDiff } from "./diff";
import { PROJECT_ROOT, Recording, STACKS, evaluateStack, stackConfig } from "./evaluate";
import { commitOf, recordingsAtRef, stackNamesAtRef, workingTreeChanged } from "./git-ref";
import { CriticalPath, buildGraph, deployTime, formatCriticalPath } from "./graph";
import { StackInventory, formatInventory, inventory } from "./inventory";

interface Options {
    stacks: string[];
    json: boolean;
    /** Two stacks: the first promoted to the second's config. */
    diff?: [string, string];
    /** A git ref whose plan each stack's working tree is compared with. */
    diffRef?: string;
    /** A git ref whose monthly cost each stack's working tree is compared with. */
    costDiffRef?: string;
    /** The pull-request label that approves a rise over the cost guard, named in the cost diff. */
    approvalLabel?: string;
    /** `--stack` was given: only those stacks, at both sides of a cost diff. */
    stacksChosen: boolean;
    writeDiagrams: boolean;
}

const USAGE = `usage: npm run plan -- [--stack <${STACKS.join("|")}>]... [--json] [--diff <from-stack> <to-stack> | --diff <git-ref> | --cost-diff <git-ref> [--approval-label <label>]] [--write-diagrams]`;

/** The exit status of a cost diff in which a stack's rise exceeds its cost guard (1 is a failure to run). */
export const OVER_COST_GUARD_STATUS = 3;

function checkStacks(stacks: string[]): void {
    const unknown = stacks.filter((s) => !STACKS.includes(s));
    if (unknown.length > 0) {
        throw new Error(
            `unknown stack ${unknown.join(", ")}: no Pulumi.<stack>.yaml for it; the stacks are ${STACKS.join(", ")}`,
        );
    }
}

function parseArgs(argv: string[]): Options {
    const options: Options = { stacks: [], json: false, writeDiagrams: false, stacksChosen: false };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--json") {
            options.json = true;
        } else if (arg === "--write-diagrams") {
            options.writeDiagrams = true;
        } else if (arg === "--stack" && argv[i + 1] !== undefined) {
            options.stacks.push(argv[++i]);
        } else if (arg === "--diff" && STACKS.includes(argv[i + 1]) && STACKS.includes(argv[i + 2])) {
            options.diff = [argv[i + 1], argv[i + 2]];
            i += 2;
        } else if (arg === "--diff" && argv[i + 1] !== undefined && !argv[i + 1].startsWith("--")) {
            options.diffRef = argv[++i];
        } else if (arg === "--cost-diff" && argv[i + 1] !== undefined && !argv[i + 1].startsWith("--")) {
            options.costDiffRef = argv[++i];
        } else if (arg === "--approval-label" && argv[i + 1] !== undefined) {
            options.approvalLabel = argv[++i];
        } else if (arg === "--help" || arg === "-h") {
            process.stdout.write(`${USAGE}\n`);
            process.exit(0);
        } else {
            throw new Error(`unknown argument "${arg}"\n${USAGE}`);
        }
    }
    checkStacks([...options.stacks, ...(options.diff ?? [])]);
    options.stacksChosen = options.stacks.length > 0;
    if (!options.stacksChosen) {
        options.stacks = [...STACKS];
    }
    return options;
}

/** Everything the plan says about one stack. */
export interface StackReport {
    readonly inventory: StackInventory;
    readonly capabilities: readonly CapabilityRow[];
    readonly cost: StackCost;
    readonly firstDeploy: CriticalPath;
    readonly azLoss: readonly AzLossFinding[];
    /** What `pulumi preview` would warn about, as the program says it. */
    readonly warnings: readonly string[];
}

export function stackReport(recording: Recording): StackReport {
    return {
        inventory: inventory(recording),
        capabilities: capabilities(recording),
        cost: estimateCost(recording),
        firstDeploy: deployTime(recording),
        azLoss: azLossFindings(recording),
        warnings: recording.warnings,
    };
}

export function formatStackReport(report: StackReport): string {
    return [
        ...report.warnings.map((warning) => `WARNING  ${warning}`),
        formatInventory(report.inventory),
        formatCapabilities(report.capabilities),
        formatCost(report.cost),
        formatCriticalPath(report.firstDeploy),
        formatAzLoss(report.azLoss),
    ].join("\n");
}

/** Where the diagram of `stack` is committed. */
export function diagramPath(stack: string): string {
    return path.join(PROJECT_ROOT, "docs", "diagrams", `${stack}.md`);
}

/** Each stack's monthly cost at `ref` and in the working tree; stacks only one side has are added or removed. */
async function runCostDiff(ref: string, options: Options): Promise<void> {
    const commit = commitOf(ref);
    const baseStacks = stackNamesAtRef(ref).filter((s) => !options.stacksChosen || options.stacks.includes(s));
    process.stderr.write(`evaluating ${baseStacks.join(", ") || "no stacks"} at ${ref}, under mocks...\n`);
    const atRef = baseStacks.length > 0 ? recordingsAtRef(ref, baseStacks) : [];
    if (atRef[0]?.lockfileDiffers) {
        process.stderr.write(`note: ${ref}'s package-lock.json differs; it was evaluated with today's packages\n`);
    }
    const side = (recording: Recording): CostSide => ({
        cost: estimateCost(recording),
        maxMonthlyIncreaseUsd: costGuardOf(recording),
    });
    const base = new Map(baseStacks.map((stack, index) => [stack, side(atRef[index].recording)]));
    const head = new Map<string, CostSide>();
    for (const stack of options.stacks) {
        process.stderr.write(`evaluating ${stack} in the working tree...\n`);
        head.set(stack, side(await evaluateStack(stack)));
    }
    const short = commit.slice(0, 12);
    const labels = {
        base: commit.startsWith(ref) ? `\`${short}\`` : `\`${ref}\` (\`${short}\`)`,
        head: `the working tree at \`${commitOf("HEAD").slice(0, 12)}\`${workingTreeChanged() ? " with uncommitted changes" : ""}`,
    };
    const diff = costDiff(labels, base, head);
    process.stdout.write(
        options.json
            ? `${JSON.stringify(diff, null, 2)}\n`
            : costDiffMarkdown(diff, { approvalLabel: options.approvalLabel }),
    );
    const over = overLimit(diff);
    if (over.length > 0) {
        process.stderr.write(
            `cost guard: ${over.map((s) => s.stack).join(", ")} rise(s) by more than allowed, or add(s) what the estimate cannot price\n`,
        );
        process.exitCode = OVER_COST_GUARD_STATUS;
    }
}

async function main(): Promise<void> {
    const options = parseArgs(process.argv.slice(2));
    if (options.diff) {
        const [from, to] = options.diff;
        process.stderr.write(`evaluating ${from}, then ${from} with ${to}'s config, under mocks...\n`);
        const before = await evaluateStack(from);
        const after = await evaluateStack(from, { stackName: from, config: stackConfig(to) });
        const diff = promotionDiff(before, after, from, `${from} with ${to}'s config`);
        process.stdout.write(options.json ? `${JSON.stringify(diff, null, 2)}\n` : `${formatDiff(diff)}\n`);
        return;
    }
    if (options.costDiffRef) {
        await runCostDiff(options.costDiffRef, options);
        return;
    }
    if (options.diffRef) {
        process.stderr.write(`evaluating ${options.stacks.join(", ")} at ${options.diffRef}, under mocks...\n`);
        const atRef = recordingsAtRef(options.diffRef, options.stacks);
        const diffs = [];
        for (const [index, stack] of options.stacks.entries()) {
            const { recording: before, commit, lockfileDiffers } = atRef[index];
            if (lockfileDiffers) {
                process.stderr.write(
                    `note: ${options.diffRef}'s package-lock.json differs; it was evaluated with today's packages\n`,
                );
            }
            process.stderr.write(`evaluating ${stack} in the working tree...\n`);
            const after = await evaluateStack(stack);
            diffs.push(
                promotionDiff(before, after, `${stack} at ${options.diffRef} (${commit.slice(0, 12)})`, `${stack} now`),
            );
        }
        process.stdout.write(
            options.json ? `${JSON.stringify(diffs, null, 2)}\n` : `${diffs.map(formatDiff).join("\n\n")}\n`,
        );
        return;
    }
    const reports: StackReport[] = [];
    for (const stack of options.stacks) {
        process.stderr.write(`evaluating ${stack} under mocks...\n`);
        const recording = await evaluateStack(stack);
        reports.push(stackReport(recording));
        if (options.writeDiagrams) {
            fs.writeFileSync(diagramPath(stack), diagramMarkdown(recording, buildGraph(recording)));
            process.stderr.write(`wrote ${path.relative(PROJECT_ROOT, diagramPath(stack))}\n`);
        }
    }
    process.stdout.write(
        options.json ? `${JSON.stringify(reports, null, 2)}\n` : `${reports.map(formatStackReport).join("\n\n")}\n`,
    );
}

if (require.main === module) {
    main().catch((error: Error) => {
        process.stderr.write(`plan failed: ${error.message}\n`);
        process.exit(1);
    });
}
