/**
 * `npm run bench`: the two figures that say whether feedback is fast, measured
 * in one run on the same machine.
 *
 * (a) Evaluation: the plan of each stack against the floor, a one-resource
 *     program run by the same SDK under the same mocks the same way
 *     (compiled, `runInPulumiStack`). Each is a whole fresh process, as a
 *     person running `npm run plan -- --stack <stack>` waits for it: loading
 *     the SDKs is part of both. Target: the largest estate (tier1m) at most
 *     2.0x the floor.
 * (b) The test suite's wall time, as `npm test` runs it (bin/ current).
 *     Target: at most 30 s on a quiet 2-core machine.
 *
 * Figures are medians of several runs; CPU time (user + system) is shown
 * beside wall time because it moves less when the machine is shared. Progress
 * on stderr, the table on stdout. Targets are reported, never enforced: a
 * benchmark, not a timed test.
 *
 *   npm run bench                 # BENCH_RUNS=<n> to change the number of runs (default 5)
 *   npm run bench -- --no-tests   # the evaluation figures only
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import { performance } from "perf_hooks";
import { PROJECT_ROOT, STACKS, evaluateStack } from "./evaluate";
import { stackReport } from "./main";
import { awsMocks } from "./mocks";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const FLOOR = "floor";
const EVALUATION_TARGET = 2.0;
const TESTS_TARGET_SECONDS = 30;

/** The floor: one resource, registered and awaited the way evaluateStack awaits the program's. */
async function trivialProgram(): Promise<void> {
    const pulumi = await import("@pulumi/pulumi");
    const aws = await import("@pulumi/aws");
    await pulumi.runtime.setMocks(awsMocks("ap-northeast-2"), "scale-tiers", FLOOR, false);
    pulumi.runtime.setAllConfig({ "aws:region": "ap-northeast-2" });
    await pulumi.runtime.runInPulumiStack(() => Promise.resolve({ urn: new aws.s3.Bucket(FLOOR).urn }));
}

/** One measured run, in this process: `floor`, or a stack's whole report. */
async function runOnce(target: string): Promise<void> {
    if (target === FLOOR) {
        await trivialProgram();
    } else {
        stackReport(await evaluateStack(target));
    }
}

interface Timing {
    wallMs: number;
    cpuMs: number;
}

/** Wall and CPU time of one child process running `args` with this Node.js. */
function timeProcess(args: string[]): Timing {
    const cpuBefore = childrenCpuMs();
    const start = performance.now();
    const child = spawnSync(process.execPath, args, { cwd: PROJECT_ROOT, encoding: "utf8" });
    const wallMs = performance.now() - start;
    if (child.status !== 0) {
        throw new Error(`${args.join(" ")} failed (exit ${child.status}): ${child.stderr}`);
    }
    return { wallMs, cpuMs: childrenCpuMs() - cpuBefore };
}

/** Clock ticks per second of /proc's times (USER_HZ), 100 on every Linux architecture that Node.js runs on. */
const USER_HZ = 100;

/**
 * CPU time (user + system) of this process's waited-for children, in ms: fields cutime and
 * cstime of /proc/self/stat (Node.js gives no rusage for a spawned child). NaN off Linux.
 */
function childrenCpuMs(): number {
    if (!fs.existsSync("/proc/self/stat")) {
        return NaN;
    }
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    // Fields after the command name, which is in parentheses and may contain spaces; cutime is field 16.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / USER_HZ;
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

/** Median wall and CPU time of RUNS runs of `args`. */
function measure(label: string, args: string[], runs = RUNS): Timing {
    process.stderr.write(`${label}, ${runs} runs...\n`);
    const timings = Array.from({ length: runs }, () => timeProcess(args));
    return { wallMs: median(timings.map((t) => t.wallMs)), cpuMs: median(timings.map((t) => t.cpuMs)) };
}

function main(): void {
    const self = [__filename, "--run"];
    const floor = measure(FLOOR, [...self, FLOOR]);
    const column = (text: string, width: number) => text.padStart(width);
    const rows = [
        `${"evaluation".padEnd(12)}${column("wall ms", 9)}${column("cpu ms", 9)}${column("x floor", 9)}${column("cpu x", 7)}`,
        `${FLOOR.padEnd(12)}${column(floor.wallMs.toFixed(0), 9)}${column(floor.cpuMs.toFixed(0), 9)}`,
    ];
    // STACKS runs smallest estate first.
    const largest = STACKS[STACKS.length - 1];
    for (const stack of STACKS) {
        const time = measure(stack, [...self, stack]);
        const ratio = time.wallMs / floor.wallMs;
        const verdict = stack === largest && ratio > EVALUATION_TARGET ? `  over the ${EVALUATION_TARGET}x target` : "";
        rows.push(
            `${stack.padEnd(12)}${column(time.wallMs.toFixed(0), 9)}${column(time.cpuMs.toFixed(0), 9)}` +
                `${column(`${ratio.toFixed(2)}x`, 9)}${column(`${(time.cpuMs / floor.cpuMs).toFixed(2)}x`, 7)}${verdict}`,
        );
    }
    if (!process.argv.includes("--no-tests")) {
        const mocha = require.resolve("mocha/bin/mocha.js", { paths: [PROJECT_ROOT] });
        const tests = measure("npm test (mocha)", [mocha, "--reporter", "dot"], Math.min(RUNS, 3));
        const verdict = tests.wallMs / 1000 > TESTS_TARGET_SECONDS ? `  over the ${TESTS_TARGET_SECONDS} s target` : "";
        rows.push(
            "",
            `tests: ${(tests.wallMs / 1000).toFixed(1)} s wall, ${(tests.cpuMs / 1000).toFixed(1)} s CPU${verdict}`,
        );
    }
    rows.push(
        `machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node.js ${process.version}`,
    );
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
