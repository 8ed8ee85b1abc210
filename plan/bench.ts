/**
 * `npm run bench`: how long the plan of each stack takes, against the floor:
 * a one-resource program run by the same SDK under the same mocks, the same
 * way (ts-node, `runInPulumiStack`). The ratio is what the plan adds over the
 * fixed cost of a run; the target is under 1.5x.
 *
 * Each figure is the median wall time of several fresh processes, as a person
 * running `npm run plan -- --stack <stack>` waits for it: loading the SDKs is
 * part of both. A fresh process per run also keeps runs apart, since the
 * Pulumi runtime is process-global. Progress on stderr, the table on stdout.
 *
 *   npm run bench              # BENCH_RUNS=<n> to change the number of runs (default 5)
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { performance } from "perf_hooks";
import { PROJECT_ROOT, STACKS, evaluateStack } from "./evaluate";
import { stackReport } from "./main";
import { awsMocks } from "./mocks";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const FLOOR = "floor";

/** The floor: one resource, registered and awaited the way evaluateStack awaits the program's. */
async function trivialProgram(): Promise<void> {
    const pulumi = await import("@pulumi/pulumi");
    const aws = await import("@pulumi/aws");
    await pulumi.runtime.setMocks(awsMocks("ap-northeast-2"), "scale-tiers", FLOOR, false);
    pulumi.runtime.setAllConfig({ "aws:region": "ap-northeast-2" });
    await pulumi.runtime.runInPulumiStack(async () => ({ urn: new aws.s3.Bucket(FLOOR).urn }));
}

/** One measured run, in this process: `floor`, or a stack's whole report. */
async function runOnce(target: string): Promise<void> {
    if (target === FLOOR) {
        await trivialProgram();
    } else {
        stackReport(await evaluateStack(target));
    }
}

/** Median wall time (ms) of RUNS fresh processes running `target`. */
function median(target: string): number {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
        const start = performance.now();
        const child = spawnSync(
            process.execPath,
            ["-r", "ts-node/register/transpile-only", path.join(__dirname, "bench.ts"), "--run", target],
            { cwd: PROJECT_ROOT, encoding: "utf8" },
        );
        times.push(performance.now() - start);
        if (child.status !== 0) {
            throw new Error(`${target} run failed: ${child.stderr}`);
        }
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
}

function main(): void {
    process.stderr.write(`floor (one-resource program), ${RUNS} runs...\n`);
    const floor = median(FLOOR);
    const rows = [`${"stack".padEnd(10)} ${"plan ms".padStart(9)} ${"floor ms".padStart(9)} ${"ratio".padStart(6)}`];
    for (const stack of STACKS) {
        process.stderr.write(`${stack}, ${RUNS} runs...\n`);
        const time = median(stack);
        const ratio = time / floor;
        const verdict = ratio < 1.5 ? "" : "  over the 1.5x target";
        rows.push(
            `${stack.padEnd(10)} ${time.toFixed(0).padStart(9)} ${floor.toFixed(0).padStart(9)} ${ratio.toFixed(2).padStart(5)}x${verdict}`,
        );
    }
    process.stdout.write(`${rows.join("\n")}\n`);
}

const runIndex = process.argv.indexOf("--run");
if (runIndex >= 0) {
    runOnce(process.argv[runIndex + 1]).catch((error: Error) => {
        process.stderr.write(`${error.stack}\n`);
        process.exit(1);
    });
} else {
    main();
}
