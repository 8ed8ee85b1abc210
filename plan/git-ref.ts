/**
 * A stack's recording at a git ref (a branch, tag or commit), for
 * `npm run plan -- --diff <ref>`: what a pull request changes against its base.
 *
 * The ref is checked out as a temporary git worktree, compiled there by its
 * own build step, and evaluated under mocks in a child process, so that its
 * program and the working tree's never share a Pulumi runtime. Its packages
 * are the working tree's node_modules: when the ref's lockfile differs, the
 * ref is evaluated with today's packages, and the caller is told.
 */
import { SpawnSyncOptions, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT, Recording } from "./evaluate";

export interface RefRecording {
    readonly recording: Recording;
    /** The commit the ref names. */
    readonly commit: string;
    /** The ref's package-lock.json differs from the working tree's, whose packages evaluated it. */
    readonly lockfileDiffers: boolean;
}

function run(command: string, args: string[], options: SpawnSyncOptions = {}): string {
    const result = spawnSync(command, args, { cwd: PROJECT_ROOT, encoding: "utf8", ...options });
    if (result.status !== 0) {
        const output = [result.stderr, result.stdout].map(String).join("").trim();
        throw new Error(`${command} ${args.join(" ")} failed (exit ${result.status}): ${output}`);
    }
    return String(result.stdout);
}

/** The commit `ref` names. */
export function commitOf(ref: string): string {
    return run("git", ["rev-parse", "--verify", `${ref}^{commit}`]).trim();
}

/** The working tree differs from HEAD (tracked or untracked files). */
export function workingTreeChanged(): boolean {
    return run("git", ["status", "--porcelain"]).trim() !== "";
}

/** The stacks at `ref`: its Pulumi.<name>.yaml files beside Pulumi.yaml, by name. */
export function stackNamesAtRef(ref: string): string[] {
    return run("git", ["ls-tree", "--name-only", commitOf(ref)])
        .split("\n")
        .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
        .filter((name): name is string => name !== undefined)
        .sort();
}

/** Evaluates `stacks` at `ref`, each once, in one worktree. */
export function recordingsAtRef(ref: string, stacks: readonly string[]): RefRecording[] {
    const commit = commitOf(ref);
    const worktree = fs.mkdtempSync(path.join(os.tmpdir(), "scale-tiers-ref-"));
    run("git", ["worktree", "add", "--detach", worktree, commit]);
    try {
        const build = path.join(worktree, "scripts", "build.js");
        if (!fs.existsSync(build)) {
            throw new Error(`${ref} (${commit.slice(0, 12)}) predates the compiled program (scripts/build.js)`);
        }
        fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(worktree, "node_modules"), "dir");
        run(process.execPath, [build], { cwd: worktree, stdio: ["ignore", "inherit", "inherit"] });
        const lockfile = (dir: string) => fs.readFileSync(path.join(dir, "package-lock.json"), "utf8");
        const lockfileDiffers = lockfile(worktree) !== lockfile(PROJECT_ROOT);
        return stacks.map((stack) => {
            const script =
                'require("./bin/plan/evaluate").evaluateStack(process.argv[1])' +
                ".then((r) => process.stdout.write(JSON.stringify(r)))" +
                ".catch((e) => { process.stderr.write(String(e.message)); process.exit(1); });";
            const json = run(process.execPath, ["-e", script, stack], { cwd: worktree, maxBuffer: 256 * 2 ** 20 });
            return { recording: JSON.parse(json) as Recording, commit, lockfileDiffers };
        });
    } finally {
        run("git", ["worktree", "remove", "--force", worktree]);
        fs.rmSync(worktree, { recursive: true, force: true });
    }
}
