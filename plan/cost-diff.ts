/**
 * The monthly cost a pull request changes, per stack: its estimate at the base
 * and at the head, the lines (resources and usage) whose cost changed, stacks
 * added or removed, and whether a rise exceeds the stack's cost guard
 * (`costGuard.maxMonthlyIncreaseUsd`). Rendered as the Markdown comment the
 * cost workflow keeps on each pull request. Pure functions: the estimates come
 * from plan/cost.ts.
 */
import { parseStackConfig } from "../stacks/config";
import { ConfigError } from "../domain/config-problem";
import { StackCost } from "./cost";
import { Recording, projectName } from "./evaluate";

/** The hidden first line that finds the comment again, so that each run updates it in place. */
export const COST_COMMENT_MARKER = "<!-- scale-tiers:cost-diff -->";

/** One stack's estimate on one side of the pull request, with the cost guard its config sets. */
export interface CostSide {
    readonly cost: StackCost;
    /** `costGuard.maxMonthlyIncreaseUsd`; undefined when the recording's config does not parse here. */
    readonly maxMonthlyIncreaseUsd: number | undefined;
}

/** A line of an estimate: one resource's fixed cost, or one usage item. */
export interface CostLine {
    /** The resource's URN, or `usage:<item>`. */
    readonly key: string;
    /** The resource's name and type, or the usage item. */
    readonly label: string;
    readonly component: string;
    readonly monthlyUsd: number;
    /** How the figure is made, e.g. `t3.medium 0.052/h x 730 h + gp3 20 GB`. */
    readonly basis: string;
}

/** A line whose cost or basis differs; a side without it is undefined (added or removed). */
export interface CostLineChange {
    readonly key: string;
    readonly label: string;
    readonly component: string;
    readonly before?: { readonly monthlyUsd: number; readonly basis: string };
    readonly after?: { readonly monthlyUsd: number; readonly basis: string };
    readonly changeUsd: number;
}

export interface StackCostDiff {
    readonly stack: string;
    /** `added` and `removed`: the stack file exists at one side only. */
    readonly status: "added" | "removed" | "changed" | "unchanged";
    readonly beforeUsd?: number;
    readonly afterUsd?: number;
    readonly changeUsd: number;
    /** Lines whose cost or basis changed, largest change first. */
    readonly lines: readonly CostLineChange[];
    /** What the estimate cannot price at each side (`name: missing`): its totals are lower bounds. */
    readonly unpricedBefore: readonly string[];
    readonly unpricedAfter: readonly string[];
    /**
     * The sides whose clients are unknown (a config this commit's reader refuses), so that
     * their usage, which counts clients, is not priced.
     */
    readonly usageUnpriced: readonly ("base" | "head")[];
    /** The increase allowed without approval: the lower of the base's and the head's guard. */
    readonly limitUsd: number | undefined;
    /** Unpriced at the head and not at the base: what the pull request adds that the estimate cannot price. */
    readonly unpricedAdded: readonly string[];
    /** The stack's estimate rises by more than `limitUsd`. */
    readonly risesOverLimit: boolean;
    /**
     * The guard does not pass: a rise over the limit, or an addition the estimate cannot price
     * (its cost is unknown, so the rise cannot be shown to be within the limit).
     */
    readonly overLimit: boolean;
}

export interface CostDiff {
    /** What the base and the head are, e.g. `main (1a2b3c4d5e6f)`. */
    readonly base: string;
    readonly head: string;
    /** The price table's date. */
    readonly asOf: string;
    readonly stacks: readonly StackCostDiff[];
}

/** `costGuard.maxMonthlyIncreaseUsd` of a recorded stack, or undefined when its config does not parse here. */
export function costGuardOf(recording: Recording): number | undefined {
    try {
        return parseStackConfig({ project: projectName(), stack: recording.stack, values: recording.config }).costGuard
            .maxMonthlyIncreaseUsd;
    } catch (error) {
        if (error instanceof ConfigError) {
            return undefined;
        }
        throw error;
    }
}

/** An estimate's lines: one per priced resource (its fixed lines summed), one per usage item. */
export function costLines(cost: StackCost): CostLine[] {
    const byResource = new Map<string, CostLine>();
    for (const line of cost.fixed) {
        const seen = byResource.get(line.urn);
        byResource.set(line.urn, {
            key: line.urn,
            label: `${line.name} (${line.type})`,
            component: line.component,
            monthlyUsd: (seen?.monthlyUsd ?? 0) + line.monthlyUsd,
            basis: seen ? `${seen.basis} + ${line.basis}` : line.basis,
        });
    }
    const usage = cost.usage.map((u) => ({
        key: `usage:${u.item}`,
        label: u.item,
        component: u.component,
        monthlyUsd: u.monthlyUsd,
        basis: `${u.quantity.toFixed(1)} ${u.unit} x ${u.unitUsd}`,
    }));
    return [...byResource.values(), ...usage];
}

/** Cents: what an estimate is compared in, so that float noise never reads as a change. */
const cents = (usd: number): number => Math.round(usd * 100);

function lineChanges(before: readonly CostLine[], after: readonly CostLine[]): CostLineChange[] {
    const beforeByKey = new Map(before.map((l) => [l.key, l]));
    const afterByKey = new Map(after.map((l) => [l.key, l]));
    const keys = [...new Set([...beforeByKey.keys(), ...afterByKey.keys()])];
    const side = (l: CostLine | undefined) => (l ? { monthlyUsd: l.monthlyUsd, basis: l.basis } : undefined);
    return keys
        .map((key) => {
            const b = beforeByKey.get(key);
            const a = afterByKey.get(key);
            const { label, component } = (a ?? b)!;
            return {
                key,
                label,
                component,
                before: side(b),
                after: side(a),
                changeUsd: (a?.monthlyUsd ?? 0) - (b?.monthlyUsd ?? 0),
            };
        })
        .filter(
            (c) =>
                c.before === undefined ||
                c.after === undefined ||
                cents(c.before.monthlyUsd) !== cents(c.after.monthlyUsd) ||
                c.before.basis !== c.after.basis,
        )
        .sort((x, y) => Math.abs(y.changeUsd) - Math.abs(x.changeUsd) || x.label.localeCompare(y.label));
}

const unpricedOf = (cost: StackCost | undefined): string[] =>
    (cost?.unpriced ?? []).map((u) => `${u.name} (${u.type}): ${u.missing}`);

/** One stack's diff; `before` or `after` is undefined for a stack the pull request adds or removes. */
export function stackCostDiff(stack: string, before: CostSide | undefined, after: CostSide | undefined): StackCostDiff {
    const beforeUsd = before?.cost.totalUsd;
    const afterUsd = after?.cost.totalUsd;
    const changeUsd = (afterUsd ?? 0) - (beforeUsd ?? 0);
    const lines = lineChanges(before ? costLines(before.cost) : [], after ? costLines(after.cost) : []);
    const unpricedBefore = unpricedOf(before?.cost);
    const unpricedAfter = unpricedOf(after?.cost);
    // A pull request may tighten its own guard, never loosen it: the lower limit of the two sides holds.
    const limits = [before?.maxMonthlyIncreaseUsd, after?.maxMonthlyIncreaseUsd].filter(
        (limit): limit is number => limit !== undefined,
    );
    const limitUsd = limits.length > 0 ? Math.min(...limits) : undefined;
    const unpricedAdded = unpricedAfter.filter((u) => !unpricedBefore.includes(u));
    // A stack without a readable guard is held to no increase at all rather than let through.
    const risesOverLimit = cents(changeUsd) > cents(limitUsd ?? 0);
    const status = !before
        ? "added"
        : !after
          ? "removed"
          : lines.length > 0 || cents(changeUsd) !== 0 || unpricedBefore.join("\n") !== unpricedAfter.join("\n")
            ? "changed"
            : "unchanged";
    return {
        stack,
        status,
        beforeUsd,
        afterUsd,
        changeUsd,
        lines,
        unpricedBefore,
        unpricedAfter,
        usageUnpriced: [
            ...(before && before.cost.clients === undefined ? (["base"] as const) : []),
            ...(after && after.cost.clients === undefined ? (["head"] as const) : []),
        ],
        limitUsd,
        unpricedAdded,
        risesOverLimit,
        overLimit: risesOverLimit || unpricedAdded.length > 0,
    };
}

/**
 * Every stack of either side, in the head's order then the removed ones:
 * `base` and `head` map a stack name to its side.
 */
export function costDiff(
    labels: { base: string; head: string },
    base: ReadonlyMap<string, CostSide>,
    head: ReadonlyMap<string, CostSide>,
): CostDiff {
    const names = [...head.keys(), ...[...base.keys()].filter((name) => !head.has(name))];
    const asOf = [...head.values(), ...base.values()][0]?.cost.asOf ?? "";
    return {
        ...labels,
        asOf,
        stacks: names.map((name) => stackCostDiff(name, base.get(name), head.get(name))),
    };
}

/** The stacks whose rise exceeds their guard. */
export function overLimit(diff: CostDiff): StackCostDiff[] {
    return diff.stacks.filter((s) => s.overLimit);
}

/** Lines listed per stack; the rest are counted, which keeps the comment far below GitHub's 65,536 characters. */
export const MAX_LINES_PER_STACK = 30;

const money = (usd: number): string =>
    `$${Math.abs(usd).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** `+$12.34`, `-$5.00`, or `$0.00`. */
export function signedMoney(usd: number): string {
    const c = cents(usd);
    return c === 0 ? "$0.00" : `${c > 0 ? "+" : "-"}${money(usd)}`;
}

/** Text inside a table cell: pipes escaped, no line breaks. */
const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");

/** An estimate with unpriced lines is a lower bound: `≥ $1,234.00`. */
function total(usd: number | undefined, unpriced: readonly string[]): string {
    return usd === undefined ? "-" : `${unpriced.length > 0 ? "≥ " : ""}${money(usd)}`;
}

function changeCell(s: StackCostDiff): string {
    if (s.status === "added") {
        return `${signedMoney(s.changeUsd)} (new stack)`;
    }
    if (s.status === "removed") {
        return `${signedMoney(s.changeUsd)} (stack removed)`;
    }
    const percent =
        s.beforeUsd && cents(s.changeUsd) !== 0
            ? ` (${s.changeUsd > 0 ? "+" : ""}${((s.changeUsd / s.beforeUsd) * 100).toFixed(1)}%)`
            : "";
    return `${signedMoney(s.changeUsd)}${percent}`;
}

function guardCell(s: StackCostDiff): string {
    const unpriced = s.unpricedAdded.length > 0 ? "; **adds what the estimate cannot price**" : "";
    if (s.limitUsd === undefined) {
        const verdict = s.risesOverLimit
            ? "**over**: no readable `costGuard`, so no rise is allowed"
            : "no readable `costGuard`";
        return `${verdict}${unpriced}`;
    }
    return `${s.risesOverLimit ? `**over** the ${money(s.limitUsd)} allowed` : `within ${money(s.limitUsd)}`}${unpriced}`;
}

function lineCell(side: { monthlyUsd: number; basis: string } | undefined): string {
    return side ? `${money(side.monthlyUsd)}<br><sub>${cell(side.basis)}</sub>` : "-";
}

/** Unpriced items in code spans, as many as the line limit allows, the rest counted. */
function listed(items: readonly string[]): string {
    const shown = items.slice(0, MAX_LINES_PER_STACK).map((item) => `\`${cell(item)}\``);
    const rest = items.length - shown.length;
    return `${shown.join(", ")}${rest > 0 ? ` and ${rest} more` : ""}`;
}

function stackSection(s: StackCostDiff): string[] {
    const out = [
        `### ${s.stack}: ${s.status === "added" ? "new stack" : s.status === "removed" ? "removed" : signedMoney(s.changeUsd)}`,
        "",
    ];
    if (s.lines.length > 0) {
        out.push("| line | component | before | after | change |", "| --- | --- | ---: | ---: | ---: |");
        for (const l of s.lines.slice(0, MAX_LINES_PER_STACK)) {
            out.push(
                `| ${cell(l.label)} | ${cell(l.component)} | ${lineCell(l.before)} | ${lineCell(l.after)} | ${signedMoney(l.changeUsd)} |`,
            );
        }
        const rest = s.lines.slice(MAX_LINES_PER_STACK);
        if (rest.length > 0) {
            const restUsd = rest.reduce((sum, l) => sum + l.changeUsd, 0);
            out.push(
                "",
                `and ${rest.length} more line(s), ${signedMoney(restUsd)} together (\`npm run plan -- --cost-diff <base> --json\` has them all).`,
            );
        }
        out.push("");
    }
    const appeared = s.unpricedAdded;
    const gone = s.unpricedBefore.filter((u) => !s.unpricedAfter.includes(u));
    if (appeared.length > 0) {
        out.push(`Unpriced now (not in the totals): ${listed(appeared)}.`, "");
    }
    if (gone.length > 0 && s.status !== "removed") {
        out.push(`Priced or gone now: ${listed(gone)}.`, "");
    }
    if (s.usageUnpriced.length > 0) {
        out.push(
            `${s.usageUnpriced.map((side) => `The ${side}'s`).join(" and ")} config does not parse with the head's reader, so its usage (which counts \`clients\`) is not priced: compare the fixed costs only.`,
            "",
        );
    }
    return out;
}

/**
 * The pull-request comment: the marker, a table of every stack (before,
 * after, change, guard), what an over-limit rise needs, then the changed
 * lines of each stack that changed.
 */
export function costDiffMarkdown(diff: CostDiff, options: { approvalLabel?: string } = {}): string {
    const out = [
        COST_COMMENT_MARKER,
        "## Monthly cost estimate",
        "",
        `Base ${diff.base}, head ${diff.head}.`,
        "",
        "| stack | before | after | change | cost guard |",
        "| --- | ---: | ---: | ---: | --- |",
        ...diff.stacks.map(
            (s) =>
                `| ${cell(s.stack)} | ${total(s.beforeUsd, s.unpricedBefore)} | ${total(s.afterUsd, s.unpricedAfter)} | ${changeCell(s)} | ${guardCell(s)} |`,
        ),
        "",
    ];
    const over = overLimit(diff);
    if (over.length > 0) {
        const approval = options.approvalLabel
            ? `unless the pull request carries the label \`${options.approvalLabel}\`, which a reviewer adds once the rise is agreed`
            : "until the rise is agreed";
        const rises = over.filter((s) => s.risesOverLimit).map((s) => s.stack);
        const unknown = over.filter((s) => s.unpricedAdded.length > 0).map((s) => s.stack);
        const reasons = [
            rises.length > 0
                ? `**${rises.join(", ")}: the monthly estimate rises by more than \`costGuard.maxMonthlyIncreaseUsd\` allows.**`
                : "",
            unknown.length > 0
                ? `**${unknown.join(", ")}: adds resources the estimate cannot price, so the rise cannot be shown to be within the guard.**`
                : "",
        ].filter((reason) => reason !== "");
        out.push(`${reasons.join(" ")} The cost check fails ${approval}.`, "");
    }
    const changed = diff.stacks.filter((s) => s.status !== "unchanged");
    if (changed.length === 0) {
        out.push("No stack's estimate changes.", "");
    }
    changed.forEach((s) => out.push(...stackSection(s)));
    out.push(
        `<sub>Estimated offline under Pulumi mocks: both commits' programs and stack configs, priced with the head's price table (prices as of ${diff.asOf}), on-demand, usage from each stack's \`clients\`. A total marked ≥ leaves unpriced resources out. A pull request that changes only prices shows no change here.</sub>`,
    );
    return `${out.join("\n")}\n`;
}
