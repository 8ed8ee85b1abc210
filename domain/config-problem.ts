/**
 * A config problem as a person reads it: the key, what is wrong and the fix.
 * Every check of the stack configuration reports in these terms, and all of
 * them are reported at once in one ConfigError.
 */

export interface ConfigProblem {
    /** Full key, e.g. `scale-tiers:web.instanceCount`. */
    readonly key: string;
    /** What is wrong with the value that was given. */
    readonly problem: string;
    /** What is allowed, phrased as the fix. */
    readonly fix: string;
}

export class ConfigError extends Error {
    constructor(readonly problems: readonly ConfigProblem[]) {
        super(
            `stack configuration has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n` +
                problems.map((p) => `  - ${p.key}: ${p.problem}. Fix: ${p.fix}.`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

/** The candidate closest to `word` by edit distance, if it is close enough to be the one meant. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
    let best: { candidate: string; distance: number } | undefined;
    for (const candidate of candidates) {
        const distance = editDistance(word, candidate);
        if (!best || distance < best.distance) {
            best = { candidate, distance };
        }
    }
    return best && best.distance <= Math.max(2, Math.floor(word.length / 3)) ? best.candidate : undefined;
}

/** Levenshtein distance: insertions, deletions and substitutions of one character. */
function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            current[j] = Math.min(
                previous[j] + 1,
                current[j - 1] + 1,
                previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
            );
        }
        previous = current;
    }
    return previous[b.length];
}
